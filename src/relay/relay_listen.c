/* The relay's listeners: a kernel TCP listener whose connections go on over MPTCP
 * (forward), an MPTCP listener of the stack whose connections go on over kernel TCP
 * (accept). Each accepted connection starts its other side's connect at once; past
 * max_conns it is refused with a reset, counted and logged, so that a flood costs the
 * relay nothing it keeps. */
#include "relay/relay.h"
#include "relay/relay_proto.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include "core/log.h"

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
        int accept = spec->kind == UM_RELAY_ACCEPT;
        int targeted = accept || spec->kind == UM_RELAY_FORWARD;
        if (!spec->listen || (targeted && !spec->target)) {
                snprintf(err, errlen, "a listener needs an address%s",
                         targeted ? " and a target" : "");
                return -EINVAL;
        }
        if (spec->kind > UM_RELAY_TRANSPARENT) {
                snprintf(err, errlen, "no such relay kind: %d", (int)spec->kind);
                return -EINVAL;
        }
        if ((rc = relay_parse_hostport(spec->listen, accept, &at, err, errlen)) < 0 ||
            (targeted && (rc = relay_parse_hostport(spec->target, 0, &to, err, errlen)) < 0))
                return rc;
        if (at.is_name) {
                snprintf(err, errlen, "listen on an address, not a name: %s", spec->listen);
                return -EINVAL;
        }
        memset(&l->target, 0, sizeof(l->target));
        if (targeted && (rc = resolve(&to, &l->target, err, errlen)) < 0)
                return rc;
        struct sockaddr_storage *addr = &at.addr;
        l->kind = spec->kind;
        l->flags = spec->flags;
        l->relay = r;
        l->user = l->password = NULL;
        char a[80], b[80];
        static const char *const kinds[] = {"forward", "accept", "socks", "http-connect",
                                            "transparent"};
        if (targeted)
                snprintf(l->name, sizeof(l->name), "%s %s -> %s", kinds[spec->kind],
                         relay_addr_str((struct sockaddr *)addr, a, sizeof(a)),
                         relay_addr_str((struct sockaddr *)&l->target, b, sizeof(b)));
        else
                snprintf(l->name, sizeof(l->name), "%s %s", kinds[spec->kind],
                         relay_addr_str((struct sockaddr *)addr, a, sizeof(a)));
        if (spec->kind == UM_RELAY_SOCKS && spec->user) {
                /* RFC 1929: each 1 to 255 octets (the parser refuses a client otherwise). */
                if (!*spec->user || strlen(spec->user) > 255 || !spec->password ||
                    !*spec->password || strlen(spec->password) > 255) {
                        snprintf(err, errlen, "%s: user and password of 1 to 255 bytes each",
                                 l->name);
                        return -EINVAL;
                }
                l->user = strdup(spec->user);
                l->password = strdup(spec->password);
                if (!l->user || !l->password) {
                        free(l->user);
                        free(l->password);
                        return -ENOMEM;
                }
        }
        int requests = spec->kind == UM_RELAY_SOCKS || spec->kind == UM_RELAY_HTTP_CONNECT;
        if (spec->allow && !requests) {
                snprintf(err, errlen, "%s: allow is for socks and http-connect only", l->name);
                rc = -EINVAL;
        } else {
                rc = relay_allow_parse(spec->allow, &l->allow, err, errlen);
        }
        if (rc < 0 || (requests && (rc = relay_resolver_need(r, err, errlen)) < 0)) {
                free(l->user);
                free(l->password);
                return rc;
        }
        if (accept) {
                l->fd = um_socket(r->st, addr->ss_family, SOCK_STREAM, IPPROTO_MPTCP);
                relay_sock_options(r, l->fd);
                if (l->fd < 0 ||
                    um_bind(r->st, l->fd, (struct sockaddr *)addr, (socklen_t)relay_sa_len(addr)) <
                        0 ||
                    um_listen(r->st, l->fd, RELAY_BACKLOG) < 0 ||
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
        if (l->fd >= 0 && spec->kind == UM_RELAY_TRANSPARENT) {
                /* TPROXY delivers connections for addresses not the host's only to a socket
                 * with IP_TRANSPARENT (CAP_NET_ADMIN); REDIRECT needs none, so without the
                 * capability the listener still serves REDIRECT. */
                int v6 = addr->ss_family == AF_INET6;
                if (setsockopt(l->fd, v6 ? SOL_IPV6 : SOL_IP,
                               v6 ? IPV6_TRANSPARENT : IP_TRANSPARENT, &one, sizeof(one)) < 0)
                        um_log(r->st, UM_LOG_ERR,
                               "relay: %s: no IP_TRANSPARENT (%s): REDIRECT only", l->name,
                               strerror(errno));
        }
        socklen_t blen = sizeof(l->bound);
        if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(l->fd, (struct sockaddr *)addr, (socklen_t)relay_sa_len(addr)) < 0 ||
            listen(l->fd, RELAY_BACKLOG) < 0 ||
            getsockname(l->fd, (struct sockaddr *)&l->bound, &blen) < 0 ||
            (rc = relay_epoll_set(r, l->fd, EPOLLIN, (void *)((uintptr_t)l | 1), 1)) < 0) {
                rc = -errno;
                if (l->fd >= 0)
                        close(l->fd);
                free(l->user);
                free(l->password);
                snprintf(err, errlen, "%s: %s", l->name, strerror(-rc));
                return rc;
        }
        return 0;
}

void relay_listener_close(struct um_relay *r, struct relay_listener *l)
{
        if (l->paused_until) {
                l->paused_until = 0;
                r->n_paused--;
        }
        if (l->kind == UM_RELAY_ACCEPT) {
                um_close(r->st, l->fd);
        } else {
                relay_epoll_del(r, l->fd);
                close(l->fd);
        }
        um_log(r->st, UM_LOG_INFO, "relay: %s closed", l->name);
        free(l->user);
        free(l->password);
        l->user = l->password = NULL;
        l->id = -1;
}

/* Past max_conns: a reset, a counter and a log line (at most one a second). */
static int full(struct um_relay *r, const struct relay_listener *l, const struct sockaddr *client)
{
        if (r->n_conns < r->cfg.max_conns)
                return 0;
        r->ctr.RelayRefusedFull++;
        char a[80];
        relay_log_refusal(r, RELAY_REFUSAL_FULL, "relay: %s: refused %s: %u connections already",
                          l->name, relay_addr_str(client, a, sizeof(a)), r->n_conns);
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
        relay_sock_options(r, ufd);
        if (ufd < 0 || (um_connect(r->st, ufd, (struct sockaddr *)&l->target,
                                   (socklen_t)relay_sa_len(&l->target)) < 0 &&
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
        relay_sock_options(r, ufd);
        int kfd = socket(l->target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (kfd < 0 ||
            (connect(kfd, (struct sockaddr *)&l->target, (socklen_t)relay_sa_len(&l->target)) < 0 &&
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

/* accept() fails for want of descriptors or memory while the client waits in the backlog. */
static int out_of_resources(int err)
{
        return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/* Accepting resumes at until, or once a connection of the relay closes (relay_listeners_resume).
 * A kernel listener is off epoll meanwhile; the stack's MPTCP listener is not on it. */
static void defer(struct um_relay *r, struct relay_listener *l, uint64_t until)
{
        if (l->kind != UM_RELAY_ACCEPT)
                relay_epoll_del(r, l->fd);
        if (!l->paused_until)
                r->n_paused++;
        l->paused_until = until ? until : 1;
        l->conns_at_pause = r->n_conns;
}

/* The client stays in the backlog, so the listener stays readable: left on the
 * level-triggered epoll it would wake the loop again at once, for ever, while nothing
 * frees what accept() lacks. Off epoll until a connection of the relay closes (one
 * descriptor fewer) or RELAY_ACCEPT_PAUSE_US passed (another process may free some). */
static void pause_listener(struct um_relay *r, struct relay_listener *l, int err)
{
        defer(r, l, um_clock_now_us() + RELAY_ACCEPT_PAUSE_US);
        r->ctr.RelayAcceptErrors++;
        um_log(r->st, UM_LOG_ERR, "relay: %s: accept: %s: paused for %u ms", l->name, strerror(err),
               (unsigned)(RELAY_ACCEPT_PAUSE_US / 1000));
}

void relay_listeners_resume(struct um_relay *r, uint64_t now)
{
        for (int i = 0; r->n_paused && i < RELAY_LISTENERS; i++) {
                struct relay_listener *l = &r->listeners[i];
                if (l->id < 0 || !l->paused_until ||
                    (now < l->paused_until && r->n_conns >= l->conns_at_pause))
                        continue;
                l->paused_until = 0;
                r->n_paused--;
                if (l->kind == UM_RELAY_ACCEPT) {
                        /* No callback comes for clients already waiting: take them now. */
                        relay_listener_accept(r, l);
                        continue;
                }
                int rc = relay_epoll_set(r, l->fd, EPOLLIN, (void *)((uintptr_t)l | 1), 1);
                if (rc < 0)
                        pause_listener(r, l, -rc);
        }
}

void relay_listener_accept(struct um_relay *r, struct relay_listener *l)
{
        /* A kernel listener sits on the level-triggered epoll: what a batch of 64 leaves is
         * reported at the next wait. The stack calls an MPTCP listener's callback when its
         * readiness changes, not while clients wait, so its queue is emptied here: at most
         * the backlog, as no client can join it meanwhile; were any left past that, or after
         * a failure, the next round takes them (defer) instead of the next arrival. */
        int accept = l->kind == UM_RELAY_ACCEPT;
        int batch = accept ? RELAY_BACKLOG + 1 : 64;
        for (int i = 0; i < batch && l->id >= 0; i++) {
                struct sockaddr_storage client;
                socklen_t len = sizeof(client);
                if (accept) {
                        int ufd = um_accept(r->st, l->fd, (struct sockaddr *)&client, &len);
                        if (ufd < 0 && errno == ECONNABORTED)
                                continue; /* that client went before it was taken: the next */
                        if (ufd < 0) {
                                if (errno != EAGAIN && errno != EWOULDBLOCK)
                                        pause_listener(r, l, errno);
                                return;
                        }
                        r->ctr.RelayAccepted++;
                        accept_one(r, l, ufd, (struct sockaddr *)&client);
                } else {
                        int kfd = accept4(l->fd, (struct sockaddr *)&client, &len,
                                          SOCK_NONBLOCK | SOCK_CLOEXEC);
                        if (kfd < 0) {
                                if (out_of_resources(errno))
                                        pause_listener(r, l, errno);
                                return;
                        }
                        r->ctr.RelayAccepted++;
                        if (l->kind == UM_RELAY_FORWARD) {
                                forward_one(r, l, kfd, (struct sockaddr *)&client);
                        } else if (full(r, l, (struct sockaddr *)&client)) {
                                relay_kernel_reset(kfd);
                        } else if (l->kind == UM_RELAY_TRANSPARENT) {
                                relay_transparent_start(r, l, kfd, (struct sockaddr *)&client);
                        } else {
                                relay_request_start(r, l, kfd, (struct sockaddr *)&client);
                        }
                }
        }
        if (accept && l->id >= 0 && (um_sock_events(r->st, l->fd) & POLLIN))
                defer(r, l, um_clock_now_us());
}
