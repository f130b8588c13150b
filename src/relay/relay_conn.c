/* A relayed connection: a kernel socket and an umptcp socket, and the bytes between them.
 *
 * Each way reads its source only while nothing of it waits for the sink: a chunk read is
 * offered to the sink at once, and what the sink does not take waits (at most one chunk,
 * buffer_bytes) until it does. So the relay holds at most two chunks a connection, none
 * when the sinks keep up, and a slow sink slows its source (the kernel socket is not read,
 * the MPTCP window closes) instead of filling memory. An end of stream is passed on once
 * what came before it is taken (FIN to DATA_FIN and back); an error on either side resets
 * the other (a kernel RST becomes MP_FASTCLOSE, an MPTCP reset a kernel RST). */
#include "relay/relay.h"
#include "relay/relay_proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <umptcp/mptcp.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include "core/log.h"

/* What MPTCP made of the connection so far: its subflows, whether it fell back. */
static void sample_mptcp(struct relay_conn *c)
{
        if (c->ufd < 0)
                return;
        struct mptcp_info mi;
        socklen_t len = sizeof(mi);
        if (um_getsockopt(c->r->st, c->ufd, SOL_MPTCP, MPTCP_INFO, &mi, &len) < 0)
                return;
        if (mi.mptcpi_subflows_total > c->subflows_max)
                c->subflows_max = mi.mptcpi_subflows_total;
        c->fallback = (mi.mptcpi_flags & MPTCP_INFO_FLAG_FALLBACK) != 0;
}

/* The bytes MPTCP gave the kernel side, less the PROXY header the relay put first. */
static uint64_t down_bytes(const struct relay_conn *c)
{
        return c->down.bytes > c->header_bytes ? c->down.bytes - c->header_bytes : 0;
}

void relay_conn_drop_request(struct relay_conn *c)
{
        if (!c->req)
                return;
        if (c->req->query)
                c->req->query->c = NULL;
        if (c->req->reading) /* gone before its request was whole */
                c->r->n_requesting--;
        /* The credentials it held go with it. */
        memset(c->req->password, 0, sizeof(c->req->password));
        free(c->req);
        c->req = NULL;
}

/* The connection's log line, its counters, and its memory. */
static void conn_free(struct relay_conn *c, const char *how)
{
        struct um_relay *r = c->r;
        char a[80], to[96] = "";
        uint64_t now = um_clock_now_us();
        if (c->kind != UM_RELAY_FORWARD && c->kind != UM_RELAY_ACCEPT && c->target.ss_family) {
                /* Each connection of these has a destination of its own. */
                char t[80];
                snprintf(to, sizeof(to), " -> %s",
                         relay_addr_str((struct sockaddr *)&c->target, t, sizeof(t)));
        }
        um_log(r->st, UM_LOG_INFO,
               "relay: %s: %s%s: up %llu bytes, down %llu bytes, %s, %u subflow%s, %.3f s: %s",
               c->listener_name, relay_addr_str((struct sockaddr *)&c->client, a, sizeof(a)), to,
               (unsigned long long)c->up.bytes, (unsigned long long)down_bytes(c),
               c->fallback ? "TCP (fallback)" : "MPTCP", c->subflows_max,
               c->subflows_max == 1 ? "" : "s", (double)(now - c->started_us) / 1e6, how);
        r->ctr.RelayBytesUp += c->up.bytes;
        r->ctr.RelayBytesDown += down_bytes(c);
        r->ctr.RelayFallbacks += c->fallback;
        if (c->prev)
                c->prev->next = c->next;
        else
                r->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        r->n_conns--;
        relay_conn_drop_request(c);
        free(c->up.held.buf);
        free(c->down.held.buf);
        free(c);
}

/* Both sides let go, for why: the MPTCP side reset, the kernel side reset or (a refusal
 * whose reply was written) closed. */
static void end_both(struct relay_conn *c, const char *why, int kernel_reset)
{
        struct um_relay *r = c->r;
        sample_mptcp(c);
        relay_epoll_del(r, c->kfd);
        if (kernel_reset)
                relay_kernel_reset(c->kfd);
        else
                close(c->kfd);
        if (c->ufd >= 0) {
                um_sock_set_callback(r->st, c->ufd, NULL, NULL);
                relay_umptcp_reset(r->st, c->ufd);
        }
        conn_free(c, why);
}

void relay_conn_reset(struct relay_conn *c, const char *why)
{
        end_both(c, why, 1);
}

void relay_conn_refuse(struct relay_conn *c, const char *why)
{
        end_both(c, why, 0);
}

void relay_conn_abort(struct relay_conn *c, const char *why)
{
        c->r->ctr.RelayAborted++;
        relay_conn_reset(c, why);
}

/* Both ways done: each side closed as TCP closes, the stack still delivering what it
 * holds of ours. */
static void conn_close(struct relay_conn *c)
{
        struct um_relay *r = c->r;
        sample_mptcp(c);
        r->ctr.RelayClosed++;
        relay_epoll_del(r, c->kfd);
        close(c->kfd);
        um_sock_set_callback(r->st, c->ufd, NULL, NULL);
        um_close(r->st, c->ufd);
        conn_free(c, "closed");
}

/* What the kernel socket is watched for: readable while nothing of it waits for MPTCP and
 * it has not ended, writable while bytes wait for it (or its connect is under way). Errors
 * and hang-ups come always, whatever the mask: a socket watched for nothing else is watched
 * edge-triggered. Level-triggered, a hang-up (shut both ways: its FIN came, and the far
 * end's DATA_FIN was passed on) would be reported on every wait while a chunk waits for
 * MPTCP to take it, and the loop would spin until the far end reads or the idle timeout.
 * Edge-triggered, it is reported once, and an error (a reset) once when it comes; the rest
 * of the socket's bytes are read when MPTCP takes the chunk (the pump reads on then). */
static int watch_kernel(struct relay_conn *c, int add)
{
        uint32_t ev = 0;
        if (c->state == RELAY_REQUESTING) {
                ev = EPOLLIN;
        } else if (c->state == RELAY_RESOLVING) {
                ev = 0;
        } else if (c->state == RELAY_CONNECTING) {
                if (c->kind == UM_RELAY_ACCEPT)
                        ev = EPOLLOUT;
        } else {
                if (!c->up.eof && !c->up.held.len)
                        ev |= EPOLLIN;
                if (c->down.held.len)
                        ev |= EPOLLOUT;
        }
        if (!ev)
                ev = EPOLLET;
        if (!add && ev == c->epoll_events)
                return 0;
        c->epoll_events = ev;
        return relay_epoll_set(c->r, c->kfd, ev, c, add);
}

/* Keeps what the sink did not take of a chunk. */
static int hold(struct relay_dir *d, const uint8_t *p, size_t n)
{
        d->held.buf = malloc(n);
        if (!d->held.buf)
                return -ENOMEM;
        memcpy(d->held.buf, p, n);
        d->held.off = 0;
        d->held.len = (uint32_t)n;
        return 0;
}

int relay_conn_hold_up(struct relay_conn *c, const uint8_t *p, size_t n)
{
        return hold(&c->up, p, n);
}

void relay_conn_watch(struct relay_conn *c)
{
        watch_kernel(c, 0);
}

static void held_taken(struct relay_dir *d, size_t n)
{
        d->held.off += (uint32_t)n;
        d->bytes += n;
        if (d->held.off == d->held.len) {
                free(d->held.buf);
                d->held = (struct relay_held){0};
        }
}

/* Errors of each side, as pumps return them. */
enum { FROM_KERNEL = 1, FROM_MPTCP = 2 };

static int is_again(int err)
{
        return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

/* The two sides' calls, so that one pump serves both ways (the kernel socket is
 * non-blocking, as the stack's are). */
static ssize_t side_send(struct relay_conn *c, int kernel, const void *p, size_t n)
{
        return kernel ? send(c->kfd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT)
                      : um_send(c->r->st, c->ufd, p, n, 0);
}

static ssize_t side_recv(struct relay_conn *c, int kernel, void *p, size_t n)
{
        return kernel ? recv(c->kfd, p, n, 0) : um_recv(c->r->st, c->ufd, p, n, 0);
}

static int side_shutdown(struct relay_conn *c, int kernel)
{
        return kernel ? shutdown(c->kfd, SHUT_WR) : um_shutdown(c->r->st, c->ufd, SHUT_WR);
}

/* One way: kernel to MPTCP (up) or MPTCP to kernel (down). Returns 0, or FROM_* when a
 * side failed (errno says how). */
static int pump(struct relay_conn *c, int from_kernel)
{
        struct um_relay *r = c->r;
        struct relay_dir *d = from_kernel ? &c->up : &c->down;
        int source = from_kernel ? FROM_KERNEL : FROM_MPTCP;
        int sink = from_kernel ? FROM_MPTCP : FROM_KERNEL;
        for (;;) {
                if (d->held.len) {
                        ssize_t n = side_send(c, !from_kernel, d->held.buf + d->held.off,
                                              d->held.len - d->held.off);
                        if (n < 0)
                                return is_again(errno) ? 0 : sink;
                        held_taken(d, (size_t)n);
                        if (d->held.len)
                                return 0;
                }
                if (d->eof) {
                        if (!d->shut && side_shutdown(c, !from_kernel) < 0)
                                return sink;
                        d->shut = 1;
                        return 0;
                }
                ssize_t n = side_recv(c, from_kernel, r->scratch, r->cfg.buffer_bytes);
                if (n == 0) {
                        d->eof = 1;
                        continue;
                }
                if (n < 0)
                        return is_again(errno) ? 0 : source;
                c->active_us = um_clock_now_us();
                ssize_t m = side_send(c, !from_kernel, r->scratch, (size_t)n);
                if (m < 0) {
                        if (!is_again(errno))
                                return sink;
                        m = 0;
                }
                d->bytes += (uint64_t)m;
                if (m < n && hold(d, r->scratch + m, (size_t)(n - m)) < 0) {
                        errno = ENOMEM;
                        return source;
                }
        }
}

/* One side failed: the other is reset, and the connection is over. */
static void failed(struct relay_conn *c, int side, int err)
{
        struct um_relay *r = c->r;
        char why[96];
        if (side == FROM_KERNEL) {
                r->ctr.RelayResetsFromKernel++;
                snprintf(why, sizeof(why), "kernel side: %s", strerror(err));
        } else {
                r->ctr.RelayResetsFromMptcp++;
                snprintf(why, sizeof(why), "MPTCP side: %s", strerror(err));
        }
        relay_conn_reset(c, why);
}

void relay_conn_kernel_failed(struct relay_conn *c, int err)
{
        failed(c, FROM_KERNEL, err);
}

void relay_conn_pump(struct relay_conn *c)
{
        if (c->state != RELAY_OPEN)
                return;
        int side = pump(c, 1);
        if (!side)
                side = pump(c, 0);
        if (side) {
                failed(c, side, errno);
                return;
        }
        if (c->up.shut && c->down.shut && !c->up.held.len && !c->down.held.len) {
                conn_close(c);
                return;
        }
        watch_kernel(c, 0);
}

static void umptcp_ready(struct um_stack *st, int fd, short revents, void *arg);

void relay_conn_open(struct relay_conn *c)
{
        /* A request's own callback, if it had one, saw the connect through: no more. */
        um_sock_set_callback(c->r->st, c->ufd, umptcp_ready, c);
        c->state = RELAY_OPEN;
        c->active_us = um_clock_now_us();
        sample_mptcp(c);
        relay_conn_pump(c);
}

int relay_conn_umptcp_error(const struct relay_conn *c)
{
        int err = 0;
        socklen_t len = sizeof(err);
        um_getsockopt(c->r->st, c->ufd, SOL_SOCKET, SO_ERROR, &err, &len);
        return err ? err : ECONNRESET;
}

static void connect_failed(struct relay_conn *c, int err)
{
        c->r->ctr.RelayConnectFailed++;
        char why[96];
        snprintf(why, sizeof(why), "connect: %s", strerror(err));
        relay_conn_reset(c, why);
}

static void umptcp_ready(struct um_stack *st, int fd, short revents, void *arg)
{
        (void)st;
        (void)fd;
        struct relay_conn *c = arg;
        if (c->state == RELAY_CONNECTING && c->kind != UM_RELAY_ACCEPT) {
                if (revents & (POLLERR | POLLHUP))
                        connect_failed(c, relay_conn_umptcp_error(c));
                else if (revents & POLLOUT)
                        relay_conn_open(c);
                return;
        }
        /* A reset may come while neither way has bytes to move that would show it. */
        if (c->state == RELAY_OPEN && (revents & POLLERR)) {
                failed(c, FROM_MPTCP, relay_conn_umptcp_error(c));
                return;
        }
        relay_conn_pump(c);
}

static int kernel_error(const struct relay_conn *c)
{
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(c->kfd, SOL_SOCKET, SO_ERROR, &err, &len);
        return err;
}

void relay_conn_kernel_events(struct relay_conn *c, uint32_t events)
{
        if (c->state == RELAY_CONNECTING || c->state == RELAY_RESOLVING) {
                if (c->kind != UM_RELAY_ACCEPT) {
                        if (events & (EPOLLERR | EPOLLHUP))
                                failed(c, FROM_KERNEL, ECONNRESET); /* the client left */
                        return;
                }
                int err = kernel_error(c);
                if (err || (events & (EPOLLERR | EPOLLHUP)))
                        connect_failed(c, err ? err : ECONNREFUSED);
                else if (events & EPOLLOUT)
                        relay_conn_open(c);
                return;
        }
        int err = (events & EPOLLERR) ? kernel_error(c) : 0;
        if (err) { /* a reset, also while neither way has bytes to move that would show it */
                failed(c, FROM_KERNEL, err);
                return;
        }
        relay_conn_pump(c);
}

void relay_conn_check_time(struct relay_conn *c, uint64_t now)
{
        struct um_relay *r = c->r;
        if ((c->state == RELAY_CONNECTING || c->state == RELAY_RESOLVING) &&
            now >= c->connect_by_us) {
                r->ctr.RelayConnectTimeouts++;
                connect_failed(c, ETIMEDOUT);
                return;
        }
        if (c->state == RELAY_OPEN &&
            now - c->active_us >= (uint64_t)r->cfg.idle_timeout_ms * 1000) {
                r->ctr.RelayIdleTimeouts++;
                relay_conn_abort(c, "idle");
                return;
        }
        sample_mptcp(c);
}

/* A connection the relay could not set up: its caller resets the client, who would
 * otherwise leave no trace of why. */
static struct relay_conn *setup_failed(struct um_relay *r, const struct relay_listener *l,
                                       const struct sockaddr *client, const char *why, int err)
{
        r->ctr.RelaySetupFailed++;
        char a[80];
        um_log(r->st, UM_LOG_ERR, "relay: %s: %s: not relayed: %s%s%s", l->name,
               relay_addr_str(client, a, sizeof(a)), why, err ? ": " : "",
               err ? strerror(err) : "");
        return NULL;
}

static void link_conn(struct um_relay *r, struct relay_conn *c)
{
        c->next = r->conns;
        if (r->conns)
                r->conns->prev = c;
        r->conns = c;
        r->n_conns++;
}

struct relay_conn *relay_conn_new_request(struct um_relay *r, const struct relay_listener *l,
                                          int kfd, const struct sockaddr *client)
{
        struct relay_conn *c = calloc(1, sizeof(*c));
        if (!c)
                return setup_failed(r, l, client, "out of memory", 0);
        *c = (struct relay_conn){.r = r, .kind = l->kind, .kfd = kfd, .ufd = -1};
        c->started_us = c->active_us = um_clock_now_us();
        c->request_by_us = c->started_us + (uint64_t)r->cfg.request_timeout_ms * 1000;
        c->connect_by_us = c->started_us + (uint64_t)r->cfg.connect_timeout_ms * 1000;
        memcpy(&c->client, client,
               client->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                             : sizeof(struct sockaddr_in));
        snprintf(c->listener_name, sizeof(c->listener_name), "%s", l->name);
        c->state = l->kind == UM_RELAY_TRANSPARENT ? RELAY_RESOLVING : RELAY_REQUESTING;
        int rc = watch_kernel(c, 1);
        if (rc < 0) {
                free(c);
                return setup_failed(r, l, client, "epoll", -rc);
        }
        link_conn(r, c);
        return c;
}

/* The MPTCP socket names the kernel-side connection it carries, for whoever reads
 * umptcp-ctl show (UM_SO_DESCRIPTION): the kind, then that connection from its client to
 * its server, so the kernel-side peer's port is there to find in ss or the backend's logs:
 * the client and the relay's listening address, or (accept) the relay's own address and
 * the backend. Two long IPv6 addresses may not fit: then the peer alone. */
static void describe(const struct relay_conn *c)
{
        struct sockaddr_storage here;
        socklen_t len = sizeof(here);
        if (getsockname(c->kfd, (struct sockaddr *)&here, &len) < 0)
                here.ss_family = AF_UNSPEC;
        int to_backend = c->kind == UM_RELAY_ACCEPT;
        char peer[80], local[80], d[UM_SO_DESCRIPTION_MAX + 1];
        relay_addr_str((const struct sockaddr *)(to_backend ? &c->target : &c->client), peer,
                       sizeof(peer));
        relay_addr_str((const struct sockaddr *)&here, local, sizeof(local));
        int kind = (int)strcspn(c->listener_name, " "); /* its first word */
        int n = snprintf(d, sizeof(d), "relay %.*s %s -> %s", kind, c->listener_name,
                         to_backend ? local : peer, to_backend ? peer : local);
        if (n < 0 || (size_t)n >= sizeof(d))
                snprintf(d, sizeof(d), "relay %.*s peer %s", kind, c->listener_name, peer);
        /* Only a watcher's help: the connection goes on without it. */
        (void)um_setsockopt(c->r->st, c->ufd, SOL_SOCKET, UM_SO_DESCRIPTION, d,
                            (socklen_t)strlen(d));
}

int relay_conn_connect(struct relay_conn *c, um_sock_cb ready)
{
        struct um_relay *r = c->r;
        int ufd = um_socket(r->st, c->target.ss_family, SOCK_STREAM, IPPROTO_MPTCP);
        if (ufd < 0)
                return -errno;
        relay_sock_options(r, ufd);
        if ((um_connect(r->st, ufd, (struct sockaddr *)&c->target, relay_sa_len(&c->target)) < 0 &&
             errno != EINPROGRESS) ||
            um_sock_set_callback(r->st, ufd, ready ? ready : umptcp_ready, c) < 0) {
                int err = errno;
                um_close(r->st, ufd);
                return -err;
        }
        c->ufd = ufd;
        c->state = RELAY_CONNECTING;
        describe(c);
        watch_kernel(c, 0);
        return 0;
}

struct relay_conn *relay_conn_new(struct um_relay *r, const struct relay_listener *l, int kfd,
                                  int ufd, const struct sockaddr *client)
{
        struct relay_conn *c = calloc(1, sizeof(*c));
        if (!c)
                return setup_failed(r, l, client, "out of memory", 0);
        *c = (struct relay_conn){.r = r, .kind = l->kind, .kfd = kfd, .ufd = ufd};
        c->started_us = c->active_us = um_clock_now_us();
        c->connect_by_us = c->started_us + (uint64_t)r->cfg.connect_timeout_ms * 1000;
        memcpy(&c->client, client,
               client->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                             : sizeof(struct sockaddr_in));
        c->target = l->target;
        snprintf(c->listener_name, sizeof(c->listener_name), "%s", l->name);
        if ((l->flags & UM_RELAY_PROXY_V2) && l->kind == UM_RELAY_ACCEPT) {
                /* The backend reads the client's address first (haproxy's PROXY v2). */
                struct sockaddr_storage local;
                socklen_t len = sizeof(local);
                uint8_t header[64];
                size_t n = 0;
                if (um_getsockname(r->st, ufd, (struct sockaddr *)&local, &len) == 0)
                        n = relay_proxy_v2(header, sizeof(header), client,
                                           (struct sockaddr *)&local);
                int rc = n ? hold(&c->down, header, n) : 0;
                if (!n || rc < 0) {
                        free(c);
                        return setup_failed(r, l, client,
                                            n ? "out of memory" : "no PROXY v2 header for it", 0);
                }
                c->header_bytes = (uint8_t)n; /* not the client's: not counted as its bytes */
        }
        const char *step = "umptcp socket";
        int rc = um_sock_set_callback(r->st, ufd, umptcp_ready, c) < 0 ? -errno : 0;
        c->state = RELAY_CONNECTING;
        /* Off epoll, the kernel side would never be read: the pair would stall until the
         * idle timeout. */
        if (rc == 0) {
                step = "epoll";
                rc = watch_kernel(c, 1);
                if (rc < 0)
                        um_sock_set_callback(r->st, ufd, NULL, NULL);
        }
        if (rc < 0) {
                free(c->down.held.buf);
                free(c);
                return setup_failed(r, l, client, step, -rc);
        }
        describe(c);
        link_conn(r, c);
        return c;
}
