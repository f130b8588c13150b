/* The metrics endpoint's HTTP server (relay_metrics.h): libmicrohttpd without threads of
 * its own, its epoll descriptor watched by the relay's loop, since the stack it reads has
 * no locks. It faces whoever reaches its address: it binds only there (IPv6 without
 * IPv4-mapped addresses), holds few connections and none for long, answers GET and HEAD
 * of /metrics only, takes no request body, and logs every request it refuses. */
#include "relay/relay_metrics.h"
#include "relay/relay.h"

#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <umptcp/stack.h>
#include <unistd.h>

#include "core/log.h"

/* A scrape is one short request: a few clients at once (Prometheus servers, a curl), and
 * no more from one address than a pair of servers with retries need. libmicrohttpd's
 * timeout is one of inactivity, which a client sending a byte now and then never meets,
 * and its limit per address is no limit to a client with many (127/8, an IPv6 /64): each
 * connection has a deadline from its accept too, and is shut down when it is past. */
enum {
        METRICS_CONNS = 16,
        METRICS_CONNS_PER_IP = 4,
        METRICS_TIMEOUT_S = 10,
        METRICS_DEADLINE_US = 5000000, /* a connection's whole life */
        METRICS_CONN_MEMORY = 16384,   /* a request's line and headers, at most */
        METRICS_BACKLOG = 16,
        METRICS_LOG_GAP_US = 1000000, /* between two lines of libmicrohttpd's */
};

/* A connection libmicrohttpd holds, while it does (conn NULL: a free slot). */
struct metrics_conn {
        struct MHD_Connection *conn;
        int fd;
        uint64_t deadline_us; /* UINT64_MAX once shut down */
};

static const char content_type[] = "text/plain; version=0.0.4; charset=utf-8";

struct relay_metrics {
        struct um_relay *r;
        struct MHD_Daemon *d;
        int epfd; /* libmicrohttpd's, inside the relay's */
        struct sockaddr_storage bound;
        char name[64];          /* "ADDR:PORT", for log lines */
        uint64_t log_next_us;   /* libmicrohttpd's next line not before */
        unsigned long log_held; /* its lines held back since its last one */
        /* As many as libmicrohttpd takes at once: one more is shut down at once. */
        struct metrics_conn conns[METRICS_CONNS];
        int closed; /* a connection closed in this run of libmicrohttpd's */
};

/* How many of libmicrohttpd's lines were held back, once it has said nothing for a while
 * (while it goes on, its next line says it). */
static void log_held(struct relay_metrics *m, uint64_t now)
{
        if (!m->log_held || now < m->log_next_us + METRICS_LOG_GAP_US)
                return;
        um_log(m->r->st, UM_LOG_ERR, "relay: metrics %s: %lu more messages not shown", m->name,
               m->log_held);
        m->log_held = 0;
}

/* libmicrohttpd reports every failed try of what it retries at once: accept at EMFILE is
 * two lines a try, without a pause, and would fill the disk. A line a second goes out at
 * most, with how many were held back before it. A message may hold what a client sent:
 * no control byte (a terminal's escape) nor anything past ASCII reaches the log. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
        struct relay_metrics *m = cls;
        uint64_t now = um_clock_now_us();
        if (now < m->log_next_us) {
                m->log_held++;
                return;
        }
        m->log_next_us = now + METRICS_LOG_GAP_US;
        char line[256], held[64] = "";
        vsnprintf(line, sizeof(line), fmt, ap);
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                line[--len] = 0;
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)line[i] < ' ' || (unsigned char)line[i] >= 127)
                        line[i] = '?';
        if (m->log_held)
                snprintf(held, sizeof(held), " (%lu more messages before it not shown)",
                         m->log_held);
        m->log_held = 0;
        um_log(m->r->st, UM_LOG_ERR, "relay: metrics %s: %s%s", m->name, line, held);
}

/* What a client sent, fit for a log line: printable, and not long. */
static const char *shown(const char *s, char *buf, size_t len)
{
        size_t i = 0;
        for (; s[i] && i + 1 < len; i++)
                buf[i] = s[i] > ' ' && s[i] < 127 ? s[i] : '?';
        buf[i] = 0;
        return buf;
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *text)
{
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
        if (!resp)
                return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
        if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        enum MHD_Result rc = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return rc;
}

static void log_refusal(struct relay_metrics *m, struct MHD_Connection *conn, const char *method,
                        const char *url, unsigned status, const char *why)
{
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        char client[80] = "?", meth[24], path[80];
        if (ci && ci->client_addr)
                relay_addr_str(ci->client_addr, client, sizeof(client));
        um_log(m->r->st, UM_LOG_INFO, "relay: metrics %s: %s: %s %s: %u %s", m->name, client,
               shown(method, meth, sizeof(meth)), shown(url, path, sizeof(path)), status, why);
}

/* Whether the request says a body follows (the endpoint takes none). */
static int has_body(struct MHD_Connection *conn)
{
        const char *len =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        return (len && strcmp(len, "0")) ||
               MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                           MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

/* Every request is answered at its first call, before any body is read: a refused one's
 * body is never taken, and libmicrohttpd closes its connection after the answer. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
        struct relay_metrics *m = cls;
        (void)version;
        (void)upload_data;
        (void)upload_data_size;
        (void)req_cls;
        if (strcmp(url, "/metrics")) {
                log_refusal(m, conn, method, url, MHD_HTTP_NOT_FOUND, "Not Found");
                return answer(conn, MHD_HTTP_NOT_FOUND, "not found: GET /metrics\n");
        }
        if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
                log_refusal(m, conn, method, url, MHD_HTTP_METHOD_NOT_ALLOWED,
                            "Method Not Allowed");
                return answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or HEAD only\n");
        }
        if (has_body(conn)) {
                log_refusal(m, conn, method, url, MHD_HTTP_BAD_REQUEST, "Bad Request (a body)");
                return answer(conn, MHD_HTTP_BAD_REQUEST, "no request body\n");
        }
        char *text;
        size_t len;
        int rc = relay_metrics_text(m->r, &text, &len);
        if (rc < 0) {
                log_refusal(m, conn, method, url, MHD_HTTP_INTERNAL_SERVER_ERROR, strerror(-rc));
                return answer(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot build the metrics\n");
        }
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(text);
                return MHD_NO;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
        /* One request a connection: its deadline is the request's, and no idle keep-alive
         * connection is cut between two scrapes. */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
        enum MHD_Result q = MHD_queue_response(conn, MHD_HTTP_OK, resp);
        MHD_destroy_response(resp);
        return q;
}

/* Each connection libmicrohttpd takes gets its deadline; what cannot be tracked (no
 * slot: never, as libmicrohttpd holds no more than the slots) is shut down at once. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
        struct relay_metrics *m = cls;
        if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
                struct metrics_conn *c = *socket_context;
                if (c)
                        c->conn = NULL;
                m->closed = 1;
                return;
        }
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct metrics_conn *c = NULL;
        for (int i = 0; i < METRICS_CONNS && !c; i++)
                if (!m->conns[i].conn)
                        c = &m->conns[i];
        *socket_context = NULL;
        if (!ci)
                return; /* never seen: libmicrohttpd's own timeout ends it */
        if (!c) {
                /* Untracked it would have no deadline. */
                shutdown(ci->connect_fd, SHUT_RDWR);
                return;
        }
        *c = (struct metrics_conn){.conn = conn,
                                   .fd = ci->connect_fd,
                                   .deadline_us = um_clock_now_us() + METRICS_DEADLINE_US};
        *socket_context = c;
}

/* Shuts down the connections past their deadline: libmicrohttpd sees the end of their
 * stream at its next run and frees them as any other (closing a descriptor it still
 * watches is not ours to do). Returns how many. */
static int cut_late(struct relay_metrics *m, uint64_t now)
{
        int n = 0;
        for (int i = 0; i < METRICS_CONNS; i++) {
                struct metrics_conn *c = &m->conns[i];
                if (!c->conn || now < c->deadline_us)
                        continue;
                const union MHD_ConnectionInfo *ci =
                    MHD_get_connection_info(c->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
                char client[80] = "?";
                if (ci && ci->client_addr)
                        relay_addr_str(ci->client_addr, client, sizeof(client));
                um_log(m->r->st, UM_LOG_INFO, "relay: metrics %s: %s: closed, not done within %d s",
                       m->name, client, METRICS_DEADLINE_US / 1000000);
                shutdown(c->fd, SHUT_RDWR);
                c->deadline_us = UINT64_MAX;
                n++;
        }
        return n;
}

/* The listening socket is made here, not by libmicrohttpd, so that a failure names its
 * errno and IPv6 stays IPv6-only. Returns the socket or -errno. */
static int listen_on(const struct sockaddr_storage *addr)
{
        int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        socklen_t len =
            addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
        if (fd < 0 ||
            (addr->ss_family == AF_INET6 &&
             setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(fd, (const struct sockaddr *)addr, len) < 0 || listen(fd, METRICS_BACKLOG) < 0) {
                int rc = -errno;
                if (fd >= 0)
                        close(fd);
                return rc;
        }
        return fd;
}

static void metrics_free(struct um_relay *r, struct relay_metrics *m)
{
        relay_epoll_del(r, m->epfd);
        MHD_stop_daemon(m->d); /* closes the listening socket too */
        free(m);
}

int um_relay_metrics_open(struct um_relay *r, const struct sockaddr_storage *addr, char *err,
                          size_t errlen)
{
        if (!r || !addr || (addr->ss_family != AF_INET && addr->ss_family != AF_INET6)) {
                snprintf(err, errlen, "metrics: want an IPv4 or IPv6 address");
                return -EINVAL;
        }
        struct relay_metrics *m = calloc(1, sizeof(*m));
        if (!m) {
                snprintf(err, errlen, "metrics: %s", strerror(ENOMEM));
                return -ENOMEM;
        }
        m->r = r;
        relay_addr_str((const struct sockaddr *)addr, m->name, sizeof(m->name));
        int fd = listen_on(addr);
        socklen_t blen = sizeof(m->bound);
        if (fd < 0 || getsockname(fd, (struct sockaddr *)&m->bound, &blen) < 0) {
                int rc = fd < 0 ? fd : -errno;
                if (fd >= 0)
                        close(fd);
                snprintf(err, errlen, "metrics %s: %s", m->name, strerror(-rc));
                free(m);
                return rc;
        }
        relay_addr_str((const struct sockaddr *)&m->bound, m->name, sizeof(m->name));
        /* MHD_USE_EPOLL without a thread flag: libmicrohttpd runs only inside MHD_run. */
        unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
        if (addr->ss_family == AF_INET6)
                flags |= MHD_USE_IPv6;
        m->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m, MHD_OPTION_EXTERNAL_LOGGER,
                                on_mhd_log, m, MHD_OPTION_LISTEN_SOCKET, fd,
                                MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONNS,
                                MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)METRICS_CONNS_PER_IP,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_TIMEOUT_S,
                                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)METRICS_CONN_MEMORY,
                                MHD_OPTION_NOTIFY_CONNECTION, on_connection, m, MHD_OPTION_END);
        const union MHD_DaemonInfo *info =
            m->d ? MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
        int rc = -EIO;
        if (info)
                m->epfd = info->epoll_fd;
        if (!info || (rc = relay_epoll_set(r, m->epfd, EPOLLIN,
                                           (void *)(uintptr_t)RELAY_TAG_METRICS, 1)) < 0) {
                snprintf(err, errlen, "metrics %s: cannot start its HTTP server: %s", m->name,
                         strerror(-rc));
                if (m->d)
                        MHD_stop_daemon(m->d);
                else
                        close(fd); /* EBADF at worst: no thread opened anything since */
                free(m);
                return rc;
        }
        if (r->metrics)
                metrics_free(r, r->metrics);
        r->metrics = m;
        um_log(r->st, UM_LOG_INFO, "relay: metrics on http://%s/metrics", m->name);
        return 0;
}

int um_relay_metrics_addr(const struct um_relay *r, struct sockaddr_storage *out)
{
        if (!r || !r->metrics)
                return -ENOENT;
        *out = r->metrics->bound;
        return 0;
}

void um_relay_metrics_close(struct um_relay *r)
{
        if (!r || !r->metrics)
                return;
        metrics_free(r, r->metrics);
        r->metrics = NULL;
}

int relay_metrics_timeout_ms(struct um_relay *r)
{
        if (!r->metrics)
                return -1;
        MHD_UNSIGNED_LONG_LONG t;
        uint64_t ms = MHD_get_timeout(r->metrics->d, &t) == MHD_YES ? t : UINT64_MAX;
        uint64_t now = um_clock_now_us();
        for (int i = 0; i < METRICS_CONNS; i++) {
                const struct metrics_conn *c = &r->metrics->conns[i];
                if (!c->conn || c->deadline_us == UINT64_MAX)
                        continue;
                /* Rounded up: woken before it, the loop would spin until it. */
                uint64_t left = c->deadline_us > now ? (c->deadline_us - now + 999) / 1000 : 0;
                if (left < ms)
                        ms = left;
        }
        if (ms == UINT64_MAX)
                return -1;
        return ms > INT_MAX ? INT_MAX : (int)ms;
}

void relay_metrics_run(struct um_relay *r, int ready)
{
        if (!r->metrics)
                return;
        uint64_t now = um_clock_now_us();
        log_held(r->metrics, now);
        if (!cut_late(r->metrics, now) && !ready && relay_metrics_timeout_ms(r) != 0)
                return;
        /* At its connection limit libmicrohttpd takes its listening socket out of its
         * epoll set, and puts it back only at the start of a run: a run after one that
         * freed a slot, or the clients queued behind a full house would wait for some
         * other event. */
        r->metrics->closed = 0;
        MHD_run(r->metrics->d);
        if (r->metrics->closed)
                MHD_run(r->metrics->d);
}
