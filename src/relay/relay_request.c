/* Relayed connections whose destination is not the listener's: a SOCKS5 (RFC 1928, RFC 1929)
 * or HTTP CONNECT (RFC 9110 §9.3.6) request names it, or nftables redirected the connection
 * here and its original destination is it. A request is read within request_timeout_ms (a
 * slow client holds no slot longer), a name is resolved without blocking the loop, and the
 * client gets its reply once the MPTCP connect has an outcome; bytes it sent after its
 * request wait for the connection and go first.
 *
 * Names are resolved with c-ares rather than getaddrinfo_a: c-ares hands over its sockets,
 * which sit on the relay's epoll descriptor like every other kernel socket, and its timers
 * run on the relay's tick, so a resolution is one more event of the one loop. getaddrinfo_a
 * runs glibc's blocking resolver on threads of its own and reports by signal or by a thread
 * of its own, which this single-threaded loop would have to turn back into an event. */
#include "relay/relay.h"
#include "relay/relay_proto.h"

#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include "core/log.h"

/* Linux's <linux/netfilter_ipv4.h> SO_ORIGINAL_DST and <linux/netfilter_ipv6/ip6_tables.h>
 * IP6T_SO_ORIGINAL_DST (both 80), not included: those headers clash with <netinet/in.h>. */
enum { RELAY_SO_ORIGINAL_DST = 80 };

/* Each try waits this long for a DNS server's answer, and a name gets this many tries per
 * server; connect_timeout_ms bounds the whole of it anyway. */
enum { RESOLVE_TRY_MS = 2000, RESOLVE_TRIES = 2 };

struct relay_resolver {
        ares_channel ch;
};

static const char *client_str(const struct relay_conn *c, char *buf, size_t len)
{
        return relay_addr_str((const struct sockaddr *)&c->client, buf, len);
}

/* ---- the resolver ---- */

/* c-ares opens and closes its sockets as it needs them; each sits on the relay's epoll
 * descriptor while it is open, tagged with its number. */
static void resolver_socket(void *data, ares_socket_t fd, int readable, int writable)
{
        struct um_relay *r = data;
        if (!readable && !writable) {
                relay_epoll_del(r, fd);
                return;
        }
        uint32_t ev = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);
        void *token = (void *)(((uintptr_t)fd << 2) | RELAY_TAG_RESOLVER);
        if (relay_epoll_set(r, fd, ev, token, 0) < 0)
                relay_epoll_set(r, fd, ev, token, 1);
}

int relay_resolver_need(struct um_relay *r, char *err, size_t errlen)
{
        if (r->resolver)
                return 0;
        struct relay_resolver *res = calloc(1, sizeof(*res));
        if (!res)
                return -ENOMEM;
        int rc = ares_library_init(ARES_LIB_INIT_ALL);
        if (rc != ARES_SUCCESS) {
                free(res);
                snprintf(err, errlen, "resolver: %s", ares_strerror(rc));
                return -ENOMEM;
        }
        struct ares_options o = {
            .sock_state_cb = resolver_socket,
            .sock_state_cb_data = r,
            .timeout = RESOLVE_TRY_MS,
            .tries = RESOLVE_TRIES,
        };
        rc = ares_init_options(&res->ch, &o,
                               ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
        if (rc == ARES_SUCCESS && r->cfg.dns_servers) {
                rc = ares_set_servers_ports_csv(res->ch, r->cfg.dns_servers);
                if (rc != ARES_SUCCESS)
                        ares_destroy(res->ch);
        }
        if (rc != ARES_SUCCESS) {
                snprintf(err, errlen, "resolver: %s%s%s", ares_strerror(rc),
                         r->cfg.dns_servers ? ": " : "",
                         r->cfg.dns_servers ? r->cfg.dns_servers : "");
                ares_library_cleanup();
                free(res);
                return -EINVAL;
        }
        r->resolver = res;
        return 0;
}

void relay_resolver_events(struct um_relay *r, int fd, uint32_t events)
{
        if (!r->resolver)
                return;
        ares_socket_t rfd = (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) ? fd : ARES_SOCKET_BAD;
        ares_socket_t wfd = (events & EPOLLOUT) ? fd : ARES_SOCKET_BAD;
        ares_process_fd(r->resolver->ch, rfd, wfd);
}

void relay_resolver_tick(struct um_relay *r)
{
        /* No socket: only the queries whose time ran out (retries, then ARES_ETIMEOUT). */
        if (r->resolver)
                ares_process_fd(r->resolver->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

void relay_resolver_free(struct um_relay *r)
{
        if (!r->resolver)
                return;
        /* Every connection is gone: what is still asked answers to nobody. */
        ares_destroy(r->resolver->ch);
        ares_library_cleanup();
        free(r->resolver);
        r->resolver = NULL;
}

/* ---- a request's end ---- */

/* A reply of a few bytes to a client that has just sent its request: its socket's send
 * buffer, empty, takes it whole; a short write means the client is gone. */
static int write_reply(struct relay_conn *c, const uint8_t *p, size_t n)
{
        ssize_t w = send(c->kfd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w == (ssize_t)n)
                return 0;
        if (w >= 0)
                errno = EPIPE;
        return -1;
}

/* The connect to what the request asked for ended: err 0 (open) or an errno. The reply is
 * written; on success the request's state is freed and 0 returned, else -1 (the caller
 * ends the connection). */
static int answer(struct relay_conn *c, int err)
{
        uint8_t reply[RELAY_HTTP_REPLY_MAX];
        size_t n;
        if (c->kind == UM_RELAY_SOCKS) {
                struct sockaddr_storage bound;
                socklen_t len = sizeof(bound);
                int have =
                    !err && um_getsockname(c->r->st, c->ufd, (struct sockaddr *)&bound, &len) == 0;
                n = relay_socks_result(reply, -err, have ? (struct sockaddr *)&bound : NULL);
        } else {
                n = relay_http_result(reply, sizeof(reply), -err);
        }
        if (write_reply(c, reply, n) < 0)
                return -1;
        if (!err)
                relay_conn_drop_request(c);
        return 0;
}

/* The client is told why (SOCKS5 REP, HTTP 502/504), then the connection ends. */
static void connect_failed(struct relay_conn *c, int err)
{
        c->r->ctr.RelayConnectFailed++;
        char why[96];
        snprintf(why, sizeof(why), "connect: %s", strerror(err));
        answer(c, err);
        relay_conn_refuse(c, why);
}

/* The umptcp socket's events while its connect is under way: the reply waits for them. */
static void request_ready(struct um_stack *st, int fd, short revents, void *arg)
{
        (void)st;
        (void)fd;
        struct relay_conn *c = arg;
        if (revents & (POLLERR | POLLHUP)) {
                connect_failed(c, relay_conn_umptcp_error(c));
        } else if (revents & POLLOUT) {
                if (answer(c, 0) < 0)
                        relay_conn_kernel_failed(c, errno);
                else
                        relay_conn_open(c);
        }
}

void relay_request_check_time(struct relay_conn *c, uint64_t now)
{
        struct um_relay *r = c->r;
        if (c->state == RELAY_REQUESTING && now >= c->request_by_us) {
                /* A slow client holds no slot longer than its request's deadline. */
                r->ctr.RelayRequestTimeouts++;
                char a[80];
                um_log(r->st, UM_LOG_ERR, "relay: %s: %s: request not whole after %u ms",
                       c->listener_name, client_str(c, a, sizeof(a)), r->cfg.request_timeout_ms);
                relay_conn_refuse(c, "request timeout");
                return;
        }
        if ((c->state == RELAY_CONNECTING || c->state == RELAY_RESOLVING) &&
            now >= c->connect_by_us) {
                r->ctr.RelayConnectTimeouts++;
                connect_failed(c, ETIMEDOUT);
                return;
        }
        relay_conn_check_time(c, now);
}

static void connect_now(struct relay_conn *c)
{
        struct um_relay *r = c->r;
        /* A request's client waits for its reply until the connect's outcome; a transparent
         * client knows nothing of the relay and needs none. */
        int rc = relay_conn_connect(c, c->req ? request_ready : NULL);
        if (rc < 0) {
                r->ctr.RelayConnectFailed++;
                char a[80], why[96];
                snprintf(why, sizeof(why), "connect: %s", strerror(-rc));
                um_log(r->st, UM_LOG_ERR, "relay: %s: %s: %s", c->listener_name,
                       client_str(c, a, sizeof(a)), why);
                if (c->req) {
                        answer(c, -rc);
                        relay_conn_refuse(c, why);
                } else {
                        relay_conn_reset(c, why);
                }
        }
}

/* Why the policy refuses the destination to, or NULL: never reachable over the links
 * (relay_dest_never), this host's own address, link-local unless allow names it (a
 * transparent connection has no allow-list: NULL), then outside allow. */
static const char *dest_policy(struct um_relay *r, const struct relay_allow *allow,
                               const struct sockaddr *to)
{
        const char *why = relay_dest_never(to);
        if (why)
                return why;
        if (relay_host_has(r, to))
                return "this host";
        why = relay_dest_link_local(to);
        if (why && !(allow && relay_allow_link_local(allow, to)))
                return why;
        if (allow && !relay_allow_match(allow, to))
                return "not in the listener's allow list";
        return NULL;
}

/* A destination the policy refuses is refused before any connect: the client is told
 * (SOCKS5 REP 2, HTTP 403). Returns 1 when it was (the connection is gone). */
static int dest_refused(struct relay_conn *c)
{
        struct um_relay *r = c->r;
        const struct sockaddr *to = (const struct sockaddr *)&c->target;
        const char *why = dest_policy(r, &c->req->allow, to);
        if (!why)
                return 0;
        r->ctr.RelayDestRefused++;
        char a[80], b[80], line[128];
        snprintf(line, sizeof(line), "destination %s refused: %s", relay_addr_str(to, b, sizeof(b)),
                 why);
        relay_log_refusal(r, RELAY_REFUSAL_DEST, "relay: %s: %s: %s", c->listener_name,
                          client_str(c, a, sizeof(a)), line);
        answer(c, EACCES);
        relay_conn_refuse(c, line);
        return 1;
}

/* The answer for a name: its first IPv4 address (the links are IPv4 more often than not),
 * else its first IPv6 one. */
static void resolved(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
        (void)timeouts;
        struct relay_query *q = arg;
        struct relay_conn *c = q->c;
        free(q);
        if (!c) {
                ares_freeaddrinfo(res);
                return;
        }
        c->req->query = NULL;
        const struct ares_addrinfo_node *pick = NULL;
        for (const struct ares_addrinfo_node *n = res ? res->nodes : NULL; n; n = n->ai_next)
                if ((n->ai_family == AF_INET || n->ai_family == AF_INET6) &&
                    (!pick || (pick->ai_family == AF_INET6 && n->ai_family == AF_INET)))
                        pick = n;
        if (status == ARES_SUCCESS && pick && pick->ai_addrlen <= sizeof(c->target)) {
                memset(&c->target, 0, sizeof(c->target));
                memcpy(&c->target, pick->ai_addr, pick->ai_addrlen);
                if (c->target.ss_family == AF_INET)
                        ((struct sockaddr_in *)&c->target)->sin_port = htons(c->req->port);
                else
                        ((struct sockaddr_in6 *)&c->target)->sin6_port = htons(c->req->port);
        } else {
                pick = NULL;
        }
        ares_freeaddrinfo(res);
        if (!pick) {
                struct um_relay *r = c->r;
                r->ctr.RelayResolveFailed++;
                char a[80], why[96];
                snprintf(why, sizeof(why), "resolve: %s",
                         status == ARES_SUCCESS ? "no address" : ares_strerror(status));
                um_log(r->st, UM_LOG_ERR, "relay: %s: %s: %s", c->listener_name,
                       client_str(c, a, sizeof(a)), why);
                /* RFC 1928 §6 has no code of its own for it: X'04' Host unreachable. */
                answer(c, EHOSTUNREACH);
                relay_conn_refuse(c, why);
                return;
        }
        /* Checked as resolved: a name is no way around the policy (one for 127.0.0.1). */
        if (!dest_refused(c))
                connect_now(c);
}

/* The request is whole: its destination is resolved if a name, then connected to. The
 * connection may be gone when this returns (a name answered at once, a connect refused). */
static void request_whole(struct relay_conn *c, const struct relay_dest *d)
{
        struct um_relay *r = c->r;
        r->ctr.RelayRequests++;
        c->req->reading = 0; /* its slot among those reading a request is free */
        r->n_requesting--;
        c->connect_by_us = um_clock_now_us() + (uint64_t)r->cfg.connect_timeout_ms * 1000;
        if (!d->is_name) {
                c->target = d->addr;
                if (!dest_refused(c))
                        connect_now(c);
                return;
        }
        struct relay_query *q = calloc(1, sizeof(*q));
        if (!q) {
                relay_conn_abort(c, "out of memory");
                return;
        }
        q->c = c;
        c->req->query = q;
        c->req->port = d->port;
        c->state = RELAY_RESOLVING;
        relay_conn_watch(c);
        struct ares_addrinfo_hints hints = {.ai_family = AF_UNSPEC, .ai_flags = ARES_AI_NOSORT};
        ares_getaddrinfo(r->resolver->ch, d->name, NULL, &hints, resolved, q);
}

/* ---- a request being read ---- */

static void request_failed(struct relay_conn *c, const char *why, int bad)
{
        struct um_relay *r = c->r;
        char a[80];
        um_log(r->st, UM_LOG_ERR, "relay: %s: %s: request: %s", c->listener_name,
               client_str(c, a, sizeof(a)), why);
        if (bad)
                r->ctr.RelayRequestBad++;
        else
                r->ctr.RelayRequestAbandoned++;
        relay_conn_refuse(c, why);
}

void relay_request_events(struct relay_conn *c, uint32_t events)
{
        struct um_relay *r = c->r;
        (void)events;
        /* At most a chunk: what follows the request in it is the client's first bytes for
         * the destination, held as any chunk the far side has not taken yet. The parsers
         * bound the request itself (RELAY_HTTP_MAX; SOCKS5's fields have lengths). */
        ssize_t n = recv(c->kfd, r->scratch, r->cfg.buffer_bytes, 0);
        if (n == 0) {
                request_failed(c, "the client closed before its request was whole", 0);
                return;
        }
        if (n < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                        request_failed(c, strerror(errno), 0);
                return;
        }
        size_t off = 0;
        while (off < (size_t)n) {
                uint8_t reply[RELAY_HTTP_REPLY_MAX];
                size_t used = 0, rlen = 0;
                const char *why = NULL;
                struct relay_dest dest;
                enum relay_step step =
                    c->kind == UM_RELAY_SOCKS
                        ? relay_socks_input(&c->req->p.socks, r->scratch + off, (size_t)n - off,
                                            &used, reply, sizeof(reply), &rlen, &dest, &why)
                        : relay_http_input(&c->req->p.http, r->scratch + off, (size_t)n - off,
                                           &used, reply, sizeof(reply), &rlen, &dest, &why);
                off += used;
                if (rlen && write_reply(c, reply, rlen) < 0) {
                        request_failed(c, strerror(errno), 0);
                        return;
                }
                if (step == RELAY_MORE)
                        return;
                if (step == RELAY_FAIL) {
                        /* RFC 1929 §2: a STATUS other than X'00' is a failed login. */
                        int auth = c->kind == UM_RELAY_SOCKS && rlen == 2 && reply[0] == 1 &&
                                   reply[1] != 0;
                        if (auth) {
                                r->ctr.RelayAuthFailed++;
                                char a[80];
                                um_log(r->st, UM_LOG_ERR, "relay: %s: %s: request: %s",
                                       c->listener_name, client_str(c, a, sizeof(a)), why);
                                relay_conn_refuse(c, why);
                                return;
                        }
                        request_failed(c, why ? why : "bad request", 1);
                        return;
                }
                if (step == RELAY_REQUEST) {
                        if (off < (size_t)n &&
                            relay_conn_hold_up(c, r->scratch + off, (size_t)n - off) < 0) {
                                relay_conn_abort(c, "out of memory");
                                return;
                        }
                        request_whole(c, &dest);
                        return;
                }
        }
}

void relay_request_start(struct um_relay *r, const struct relay_listener *l, int kfd,
                         const struct sockaddr *client)
{
        if (r->n_requesting >= r->cfg.max_requesting) {
                /* Clients that connect and say nothing hold their slot for request_timeout_ms:
                 * past this many, they would take every one of max_conns from the relays that
                 * need no request. The newest is refused, before anything is kept for it. */
                r->ctr.RelayRefusedRequesting++;
                char a[80];
                relay_log_refusal(r, RELAY_REFUSAL_REQUESTING,
                                  "relay: %s: refused %s: %u connections already reading "
                                  "their request",
                                  l->name, relay_addr_str(client, a, sizeof(a)), r->n_requesting);
                relay_kernel_reset(kfd);
                return;
        }
        struct relay_request *req = calloc(1, sizeof(*req));
        struct relay_conn *c = req ? relay_conn_new_request(r, l, kfd, client) : NULL;
        if (!c) {
                free(req);
                relay_kernel_reset(kfd);
                return;
        }
        c->req = req;
        req->allow = l->allow;
        req->reading = 1;
        r->n_requesting++;
        if (l->kind == UM_RELAY_SOCKS) {
                const char *user = NULL, *password = NULL;
                if (l->user) {
                        /* Copied: the listener may close while the request is read. */
                        snprintf(req->user, sizeof(req->user), "%s", l->user);
                        snprintf(req->password, sizeof(req->password), "%s", l->password);
                        user = req->user;
                        password = req->password;
                }
                relay_socks_init(&req->p.socks, user, password);
        } else {
                relay_http_init(&req->p.http);
        }
}

/* ---- transparent ---- */

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
        if (a->ss_family != b->ss_family)
                return 0;
        if (a->ss_family == AF_INET)
                return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
                       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
        return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                       &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
        return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
                                              : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

static int is_any(const struct sockaddr_storage *ss)
{
        if (ss->ss_family == AF_INET)
                return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
        return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

/* An address of this host's (in the listener's namespace): one a socket may bind without
 * IP_TRANSPARENT or IP_FREEBIND. */
static int is_local(const struct sockaddr_storage *ss)
{
        int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return 0;
        struct sockaddr_storage a = *ss;
        if (a.ss_family == AF_INET)
                ((struct sockaddr_in *)&a)->sin_port = 0;
        else
                ((struct sockaddr_in6 *)&a)->sin6_port = 0;
        int ok = bind(fd, (struct sockaddr *)&a, (socklen_t)relay_sa_len(&a)) == 0;
        close(fd);
        return ok;
}

/* The destination the client meant. REDIRECT rewrote it: conntrack keeps the original
 * (SO_ORIGINAL_DST). TPROXY did not: the accepted socket's own address is it. A connection
 * made to the listener itself (no rule, or a rule that caught the relay's own) gets the
 * listener's address either way. */
static int original_dst(int kfd, struct sockaddr_storage *out)
{
        socklen_t len = sizeof(*out);
        memset(out, 0, sizeof(*out));
        if (getsockopt(kfd, SOL_IP, RELAY_SO_ORIGINAL_DST, out, &len) < 0) {
                len = sizeof(*out);
                if (getsockopt(kfd, SOL_IPV6, RELAY_SO_ORIGINAL_DST, out, &len) < 0) {
                        len = sizeof(*out);
                        if (getsockname(kfd, (struct sockaddr *)out, &len) < 0)
                                return -errno;
                }
        }
        /* A dual-stack listener sees IPv4 clients as IPv4-mapped: the stack speaks IPv4. */
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
        if (out->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
                struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = in6->sin6_port};
                memcpy(&in.sin_addr, &in6->sin6_addr.s6_addr[12], 4);
                memset(out, 0, sizeof(*out));
                memcpy(out, &in, sizeof(in));
        }
        return out->ss_family == AF_INET || out->ss_family == AF_INET6 ? 0 : -EAFNOSUPPORT;
}

void relay_transparent_start(struct um_relay *r, const struct relay_listener *l, int kfd,
                             const struct sockaddr *client)
{
        struct sockaddr_storage dst;
        char a[80], b[80];
        int rc = original_dst(kfd, &dst);
        if (rc < 0) {
                r->ctr.RelayNoOriginalDst++;
                um_log(r->st, UM_LOG_ERR, "relay: %s: %s: no original destination: %s", l->name,
                       relay_addr_str(client, a, sizeof(a)), strerror(-rc));
                relay_kernel_reset(kfd);
                return;
        }
        /* To the listener itself, the relay would connect to itself without end. */
        if (port_of(&dst) == port_of(&l->bound) &&
            (same_addr(&dst, &l->bound) || (is_any(&l->bound) && is_local(&dst)))) {
                r->ctr.RelayLoopRefused++;
                relay_log_refusal(r, RELAY_REFUSAL_LOOP,
                                  "relay: %s: %s: refused: its destination %s is the listener",
                                  l->name, relay_addr_str(client, a, sizeof(a)),
                                  relay_addr_str((struct sockaddr *)&dst, b, sizeof(b)));
                relay_kernel_reset(kfd);
                return;
        }
        /* The original destination meets the same policy as a request's (it has no
         * allow-list): this host's addresses and link-local would reach the host and its
         * neighbours from the TUN side. The client asked nobody: a reset is its answer. */
        const char *why = dest_policy(r, NULL, (const struct sockaddr *)&dst);
        if (why) {
                r->ctr.RelayDestRefused++;
                relay_log_refusal(r, RELAY_REFUSAL_DEST,
                                  "relay: %s: %s: destination %s refused: %s", l->name,
                                  relay_addr_str(client, a, sizeof(a)),
                                  relay_addr_str((struct sockaddr *)&dst, b, sizeof(b)), why);
                relay_kernel_reset(kfd);
                return;
        }
        struct relay_conn *c = relay_conn_new_request(r, l, kfd, client);
        if (!c) {
                relay_kernel_reset(kfd);
                return;
        }
        c->target = dst;
        connect_now(c);
}
