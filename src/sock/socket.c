/* BSD-style socket calls: argument checks, handle lookup, errno conventions. */
#include "sock/sock.h"
#include "core/stack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int sock_table_init(struct um_stack *st)
{
        st->socks = calloc(1, sizeof(*st->socks));
        if (!st->socks)
                return -ENOMEM;
        return sock_register_proto(st, &um_sock_tcp_ops);
}

void sock_table_destroy(struct um_stack *st)
{
        struct um_sock_table *t = st->socks;
        if (!t)
                return;
        for (int i = 0; i < t->n; i++) {
                sock_desc_free(t->socks[i]);
                free(t->socks[i]);
        }
        free(t->socks);
        free(t->free_fds);
        free(t);
        st->socks = NULL;
}

int sock_register_proto(struct um_stack *st, const struct um_sock_ops *ops)
{
        struct um_sock_table *t = st->socks;
        if (t->n_protos == (int)(sizeof(t->protos) / sizeof(t->protos[0])))
                return -ENOSPC;
        t->protos[t->n_protos++] = ops;
        return 0;
}

static int fail(int negerr)
{
        errno = -negerr;
        return -1;
}

static struct um_sock *lookup(struct um_stack *st, int fd)
{
        struct um_sock_table *t = st ? st->socks : NULL;
        if (!t || fd < 0 || fd >= t->n || !t->socks[fd] || !t->socks[fd]->used)
                return NULL;
        return t->socks[fd];
}

/* A descriptor in O(1): the last one closed, else a new one (the table doubles). */
static struct um_sock *alloc_sock(struct um_stack *st)
{
        struct um_sock_table *t = st->socks;
        int fd;
        if (t->n_free) {
                fd = t->free_fds[--t->n_free];
        } else {
                if (t->n == t->cap) {
                        int cap = t->cap ? 2 * t->cap : 16;
                        struct um_sock **grown = realloc(t->socks, (size_t)cap * sizeof(*grown));
                        if (!grown)
                                return NULL;
                        t->socks = grown;
                        int *free_fds = realloc(t->free_fds, (size_t)cap * sizeof(*free_fds));
                        if (!free_fds)
                                return NULL;
                        t->free_fds = free_fds;
                        t->cap = cap;
                }
                if (!(t->socks[t->n] = calloc(1, sizeof(struct um_sock))))
                        return NULL;
                fd = t->n++;
        }
        struct um_sock *s = t->socks[fd];
        memset(s, 0, sizeof(*s));
        s->fd = fd;
        s->used = 1;
        s->st = st;
        return s;
}

static void release_sock(struct um_sock *s)
{
        struct um_sock_table *t = s->st->socks;
        s->used = 0;
        sock_desc_free(s);
        t->free_fds[t->n_free++] = s->fd;
}

void sock_wake(struct um_sock *s)
{
        if (!s || !s->used || !s->cb || s->wake_pending)
                return;
        s->wake_pending = 1;
        s->wake_next = s->st->socks->wake_head;
        s->st->socks->wake_head = s;
}

void sock_dispatch(struct um_stack *st)
{
        struct um_sock_table *t = st->socks;
        while (t->wake_head) {
                struct um_sock *s = t->wake_head;
                t->wake_head = s->wake_next;
                s->wake_pending = 0;
                if (s->used && s->cb)
                        s->cb(st, s->fd, s->ops->events(s), s->cb_arg);
        }
}

int um_socket(struct um_stack *st, int domain, int type, int protocol)
{
        if (!st)
                return fail(-EINVAL);
        if (domain != AF_INET && domain != AF_INET6)
                return fail(-EAFNOSUPPORT);
        if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != SOCK_STREAM)
                return fail(-EPROTONOSUPPORT);
        if (protocol == 0)
                protocol = IPPROTO_TCP;
        const struct um_sock_ops *ops = NULL;
        for (int i = 0; i < st->socks->n_protos; i++)
                if (st->socks->protos[i]->protocol == protocol)
                        ops = st->socks->protos[i];
        if (!ops)
                return fail(-EPROTONOSUPPORT);
        struct um_sock *s = alloc_sock(st);
        if (!s)
                return fail(-ENOMEM);
        s->domain = domain;
        s->ops = ops;
        int rc = ops->create(st, s);
        if (rc) {
                release_sock(s);
                return fail(rc);
        }
        return s->fd;
}

static int sockaddr_in(const struct um_sock *s, const struct sockaddr *addr, socklen_t len,
                       struct um_addr *a, uint16_t *port)
{
        int rc = um_addr_from_sockaddr(addr, len, a, port);
        if (rc)
                return rc;
        if (a->family != s->domain) {
                /* An IPv4-mapped address on an AF_INET6 socket means IPv4. */
                static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
                if (s->domain == AF_INET6 && a->family == AF_INET6 &&
                    memcmp(a->b, mapped, 12) == 0) {
                        memmove(a->b, a->b + 12, 4);
                        a->family = AF_INET;
                        return 0;
                }
                if (!(s->domain == AF_INET6 && a->family == AF_INET))
                        return -EAFNOSUPPORT;
        }
        return 0;
}

int um_bind(struct um_stack *st, int fd, const struct sockaddr *addr, socklen_t len)
{
        struct um_sock *s = lookup(st, fd);
        if (!s)
                return fail(-EBADF);
        struct um_addr a;
        uint16_t port;
        int rc = sockaddr_in(s, addr, len, &a, &port);
        if (rc)
                return fail(rc);
        rc = s->ops->bind(s, &a, port);
        return rc ? fail(rc) : 0;
}

int um_listen(struct um_stack *st, int fd, int backlog)
{
        struct um_sock *s = lookup(st, fd);
        if (!s)
                return fail(-EBADF);
        int rc = s->ops->listen(s, backlog);
        return rc ? fail(rc) : 0;
}

static int fill_name(const struct um_addr *a, uint16_t port, struct sockaddr *addr, socklen_t *len)
{
        if (!addr || !len)
                return 0;
        *len = um_addr_to_sockaddr(a, port, addr, *len);
        return 0;
}

int um_accept(struct um_stack *st, int fd, struct sockaddr *addr, socklen_t *len)
{
        struct um_sock *s = lookup(st, fd);
        if (!s)
                return fail(-EBADF);
        struct um_sock *child = alloc_sock(st);
        if (!child)
                return fail(-ENOMEM);
        child->domain = s->domain;
        child->ops = s->ops;
        int rc = s->ops->accept(s, child);
        if (rc) {
                release_sock(child);
                return fail(rc);
        }
        struct um_addr la, ra;
        uint16_t lp, rp;
        child->ops->names(child, &la, &lp, &ra, &rp);
        fill_name(&ra, rp, addr, len);
        return child->fd;
}

int um_connect(struct um_stack *st, int fd, const struct sockaddr *addr, socklen_t len)
{
        struct um_sock *s = lookup(st, fd);
        if (!s)
                return fail(-EBADF);
        struct um_addr a;
        uint16_t port;
        int rc = sockaddr_in(s, addr, len, &a, &port);
        if (rc)
                return fail(rc);
        rc = s->ops->connect(s, &a, port);
        return rc ? fail(rc) : 0;
}

ssize_t um_send(struct um_stack *st, int fd, const void *buf, size_t len, int flags)
{
        struct um_sock *s = lookup(st, fd);
        if (!s)
                return fail(-EBADF);
        if (!buf && len)
                return fail(-EFAULT);
        if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL))
                return fail(-EOPNOTSUPP);
        long rc = s->ops->send(s, buf, len);
        return rc < 0 ? fail((int)rc) : rc;
}

ssize_t um_recv(struct um_stack *st, int fd, void *buf, size_t len, int flags)
{
        struct um_sock *s = lookup(st, fd);
        if (!s)
                return fail(-EBADF);
        if (!buf && len)
                return fail(-EFAULT);
        if (flags & ~(MSG_DONTWAIT | MSG_PEEK))
                return fail(-EOPNOTSUPP);
        long rc = s->ops->recv(s, buf, len, !!(flags & MSG_PEEK));
        return rc < 0 ? fail((int)rc) : rc;
}

int um_shutdown(struct um_stack *st, int fd, int how)
{
        struct um_sock *s = lookup(st, fd);
        if (!s)
                return fail(-EBADF);
        if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
                return fail(-EINVAL);
        int rc = s->ops->shutdown(s, how);
        return rc ? fail(rc) : 0;
}

int um_close(struct um_stack *st, int fd)
{
        struct um_sock *s = lookup(st, fd);
        if (!s)
                return fail(-EBADF);
        s->ops->close(s);
        release_sock(s);
        s->cb = NULL;
        for (struct um_sock **pp = &st->socks->wake_head; *pp; pp = &(*pp)->wake_next)
                if (*pp == s) {
                        *pp = s->wake_next;
                        break;
                }
        s->wake_pending = 0;
        return 0;
}

int um_setsockopt(struct um_stack *st, int fd, int level, int name, const void *val, socklen_t len)
{
        struct um_sock *s = lookup(st, fd);
        if (!s)
                return fail(-EBADF);
        if (level == SOL_SOCKET && name == SO_REUSEADDR) {
                if (!val || len < sizeof(int))
                        return fail(-EINVAL);
                memcpy(&s->reuseaddr, val, sizeof(int));
                return 0;
        }
        if (level == SOL_SOCKET && name == UM_SO_DESCRIPTION) {
                int rc = sock_desc_set(s, val, len);
                return rc ? fail(rc) : 0;
        }
        int rc = s->ops->setopt(s, level, name, val, len);
        return rc ? fail(rc) : 0;
}

int um_getsockopt(struct um_stack *st, int fd, int level, int name, void *val, socklen_t *len)
{
        struct um_sock *s = lookup(st, fd);
        if (!s)
                return fail(-EBADF);
        if (!len)
                return fail(-EFAULT);
        size_t n = *len;
        int rc;
        if (level == SOL_SOCKET && name == SO_TYPE) {
                int v = SOCK_STREAM;
                if (!val || n < sizeof(int))
                        return fail(-EINVAL);
                memcpy(val, &v, sizeof(v));
                n = sizeof(v);
                rc = 0;
        } else if (level == SOL_SOCKET && name == SO_REUSEADDR) {
                if (!val || n < sizeof(int))
                        return fail(-EINVAL);
                memcpy(val, &s->reuseaddr, sizeof(int));
                n = sizeof(int);
                rc = 0;
        } else if (level == SOL_SOCKET && name == UM_SO_DESCRIPTION) {
                rc = sock_desc_get(s, val, &n);
        } else {
                rc = s->ops->getopt(s, level, name, val, &n);
        }
        if (rc)
                return fail(rc);
        *len = (socklen_t)n;
        return 0;
}

int um_getsockname(struct um_stack *st, int fd, struct sockaddr *addr, socklen_t *len)
{
        struct um_sock *s = lookup(st, fd);
        if (!s)
                return fail(-EBADF);
        if (!addr || !len)
                return fail(-EFAULT);
        struct um_addr la, ra;
        uint16_t lp, rp;
        s->ops->names(s, &la, &lp, &ra, &rp);
        if (!la.family)
                la.family = (uint8_t)s->domain;
        return fill_name(&la, lp, addr, len);
}

int um_getpeername(struct um_stack *st, int fd, struct sockaddr *addr, socklen_t *len)
{
        struct um_sock *s = lookup(st, fd);
        if (!s)
                return fail(-EBADF);
        if (!addr || !len)
                return fail(-EFAULT);
        struct um_addr la, ra;
        uint16_t lp, rp;
        if (!s->ops->names(s, &la, &lp, &ra, &rp))
                return fail(-ENOTCONN);
        return fill_name(&ra, rp, addr, len);
}

short um_sock_events(struct um_stack *st, int fd)
{
        struct um_sock *s = lookup(st, fd);
        return s ? s->ops->events(s) : POLLNVAL;
}

int um_poll(struct um_stack *st, struct pollfd *fds, int n)
{
        int ready = 0;
        for (int i = 0; i < n; i++) {
                short ev = um_sock_events(st, fds[i].fd);
                fds[i].revents = (short)(ev & (fds[i].events | POLLERR | POLLHUP | POLLNVAL));
                if (fds[i].revents)
                        ready++;
        }
        return ready;
}

int um_sock_set_callback(struct um_stack *st, int fd, um_sock_cb cb, void *arg)
{
        struct um_sock *s = lookup(st, fd);
        if (!s)
                return fail(-EBADF);
        s->cb = cb;
        s->cb_arg = arg;
        return 0;
}
