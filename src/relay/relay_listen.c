/* The relay's listeners: a kernel TCP listener whose connections go on over MPTCP
 * (forward), an MPTCP listener of the stack whose connections go on over kernel TCP
 * (accept). Each accepted connection starts its other side's connect at once; past
 * max_conns it is refused with a reset, counted and logged, so that a flood costs the
 * relay nothing it keeps. */
#include "relay/relay.h"
#include "relay/relay_proto.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include "core/log.h"

static socklen_t sa_len(const struct sockaddr_storage *ss)
{
        return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* A destination's address: as given, or its name resolved (once, when the listener opens:
 * the daemon starts before it serves). */
static int resolve(const struct relay_dest *d, struct sockaddr_storage *out, char *err,
                   size_t errlen)
{
        if (!d->is_name) {
                *out = d->addr;
                return 0;
        }
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
        int rc = getaddrinfo(d->name, NULL, &hints, &res);
        if (rc || !res) {
                snprintf(err, errlen, "cannot resolve %s: %s", d->name, gai_strerror(rc));
                return -EHOSTUNREACH;
        }
        memcpy(out, res->ai_addr, res->ai_addrlen);
        freeaddrinfo(res);
        if (out->ss_family == AF_INET)
                ((struct sockaddr_in *)out)->sin_port = htons(d->port);
        else
                ((struct sockaddr_in6 *)out)->sin6_port = htons(d->port);
        return 0;
}

static void set_congestion(struct um_relay *r, int ufd)
{
        if (ufd >= 0 && r->cfg.congestion)
                um_setsockopt(r->st, ufd, IPPROTO_TCP, TCP_CONGESTION, r->cfg.congestion,
                              (socklen_t)strlen(r->cfg.congestion));
}

static void umptcp_listener_ready(struct um_stack *st, int fd, short revents, void *arg)
{
        (void)st;
        (void)fd;
        struct relay_listener *l = arg;
        if (revents & POLLIN)
                relay_listener_accept(l->relay, l);
}

int relay_listener_open(struct um_relay *r, struct relay_listener *l,
                        const struct um_relay_listener_spec *spec, char *err, size_t errlen)
{
        struct relay_dest at, to;
        int rc;
        if (!spec->listen || !spec->target) {
                snprintf(err, errlen, "a listener needs an address and a target");
                return -EINVAL;
        }
        int accept = spec->kind == UM_RELAY_ACCEPT;
        if ((rc = relay_parse_hostport(spec->listen, accept, &at, err, errlen)) < 0 ||
            (rc = relay_parse_hostport(spec->target, 0, &to, err, errlen)) < 0)
                return rc;
        if (at.is_name) {
                snprintf(err, errlen, "listen on an address, not a name: %s", spec->listen);
                return -EINVAL;
        }
        if ((rc = resolve(&to, &l->target, err, errlen)) < 0)
                return rc;
        struct sockaddr_storage *addr = &at.addr;
        l->kind = spec->kind;
        l->flags = spec->flags;
        l->relay = r;
        char a[80], b[80];
        snprintf(l->name, sizeof(l->name), "%s %s -> %s", accept ? "accept" : "forward",
                 relay_addr_str((struct sockaddr *)addr, a, sizeof(a)),
                 relay_addr_str((struct sockaddr *)&l->target, b, sizeof(b)));
        if (accept) {
                l->fd = um_socket(r->st, addr->ss_family, SOCK_STREAM, IPPROTO_MPTCP);
                set_congestion(r, l->fd);
                if (l->fd < 0 || um_bind(r->st, l->fd, (struct sockaddr *)addr, sa_len(addr)) < 0 ||
                    um_listen(r->st, l->fd, 511) < 0 ||
                    um_sock_set_callback(r->st, l->fd, umptcp_listener_ready, l) < 0) {
                        rc = -errno;
                        if (l->fd >= 0)
                                um_close(r->st, l->fd);
                        snprintf(err, errlen, "%s: %s", l->name, strerror(-rc));
                        return rc;
                }
                return 0;
        }
        l->fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(l->fd, (struct sockaddr *)addr, sa_len(addr)) < 0 || listen(l->fd, 511) < 0 ||
            (rc = relay_epoll_set(r, l->fd, EPOLLIN, (void *)((uintptr_t)l | 1), 1)) < 0) {
                rc = -errno;
                if (l->fd >= 0)
                        close(l->fd);
                snprintf(err, errlen, "%s: %s", l->name, strerror(-rc));
                return rc;
        }
        return 0;
}

void relay_listener_close(struct um_relay *r, struct relay_listener *l)
{
        if (l->kind == UM_RELAY_ACCEPT) {
                um_close(r->st, l->fd);
        } else {
                relay_epoll_del(r, l->fd);
                close(l->fd);
        }
        um_log(r->st, UM_LOG_INFO, "relay: %s closed", l->name);
        l->id = -1;
}

/* Past max_conns: a reset, a counter and a log line. */
static int full(struct um_relay *r, const struct relay_listener *l, const struct sockaddr *client)
{
        if (r->n_conns < r->cfg.max_conns)
                return 0;
        r->ctr.RelayRefusedFull++;
        char a[80];
        um_log(r->st, UM_LOG_ERR, "relay: %s: refused %s: %u connections already", l->name,
               relay_addr_str(client, a, sizeof(a)), r->n_conns);
        return 1;
}

static void connect_failed(struct um_relay *r, const struct relay_listener *l,
                           const struct sockaddr *client, int err)
{
        r->ctr.RelayConnectFailed++;
        char a[80];
        um_log(r->st, UM_LOG_ERR, "relay: %s: %s: connect: %s", l->name,
               relay_addr_str(client, a, sizeof(a)), strerror(err));
}

/* A kernel client: MPTCP to the target. */
static void forward_one(struct um_relay *r, struct relay_listener *l, int kfd,
                        const struct sockaddr *client)
{
        if (full(r, l, client)) {
                relay_kernel_reset(kfd);
                return;
        }
        int ufd = um_socket(r->st, l->target.ss_family, SOCK_STREAM, IPPROTO_MPTCP);
        set_congestion(r, ufd);
        if (ufd < 0 ||
            (um_connect(r->st, ufd, (struct sockaddr *)&l->target, sa_len(&l->target)) < 0 &&
             errno != EINPROGRESS)) {
                connect_failed(r, l, client, errno);
                if (ufd >= 0)
                        um_close(r->st, ufd);
                relay_kernel_reset(kfd);
                return;
        }
        if (!relay_conn_new(r, l, kfd, ufd, client)) {
                relay_umptcp_reset(r->st, ufd);
                relay_kernel_reset(kfd);
        }
}

/* An MPTCP client: kernel TCP to the target. */
static void accept_one(struct um_relay *r, struct relay_listener *l, int ufd,
                       const struct sockaddr *client)
{
        if (full(r, l, client)) {
                relay_umptcp_reset(r->st, ufd);
                return;
        }
        set_congestion(r, ufd);
        int kfd = socket(l->target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (kfd < 0 || (connect(kfd, (struct sockaddr *)&l->target, sa_len(&l->target)) < 0 &&
                        errno != EINPROGRESS)) {
                connect_failed(r, l, client, errno);
                if (kfd >= 0)
                        close(kfd);
                relay_umptcp_reset(r->st, ufd);
                return;
        }
        if (!relay_conn_new(r, l, kfd, ufd, client)) {
                relay_kernel_reset(kfd);
                relay_umptcp_reset(r->st, ufd);
        }
}

void relay_listener_accept(struct um_relay *r, struct relay_listener *l)
{
        for (int i = 0; i < 64 && l->id >= 0; i++) {
                struct sockaddr_storage client;
                socklen_t len = sizeof(client);
                if (l->kind == UM_RELAY_ACCEPT) {
                        int ufd = um_accept(r->st, l->fd, (struct sockaddr *)&client, &len);
                        if (ufd < 0)
                                return;
                        r->ctr.RelayAccepted++;
                        accept_one(r, l, ufd, (struct sockaddr *)&client);
                } else {
                        int kfd = accept4(l->fd, (struct sockaddr *)&client, &len,
                                          SOCK_NONBLOCK | SOCK_CLOEXEC);
                        if (kfd < 0)
                                return;
                        r->ctr.RelayAccepted++;
                        forward_one(r, l, kfd, (struct sockaddr *)&client);
                }
        }
}
