/* The relay's metrics endpoint in one process, without root: a relay stack reaches a far
 * umptcp stack (an MPTCP echo server) over two emulated paths, a kernel client goes
 * through --forward, and a small HTTP client on loopback scrapes the endpoint between
 * steps of the loop. Each scrape is checked line by line as Prometheus reads the text
 * format 0.0.4; the values must follow what happened; anything but GET or HEAD of /metrics
 * is refused; the connection limits hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <umptcp/link.h>
#include <umptcp/mptcp.h>
#include <umptcp/mptcp_pm.h>
#include <umptcp/relay.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include "pair.h"
#include "simtest.h"

enum { FAR_PORT = 5001, MAX_FAR = 8, BYTES = 200000 };

struct far_end {
        int fd;
        uint8_t buf[16384];
        size_t len, off;
        int eof, shut;
};

struct world {
        struct um_stack *relay_st, *far;
        struct um_link *links[4];
        struct um_relay *relay;
        int far_listener;
        struct far_end far_ends[MAX_FAR];
        int n_far;
        uint16_t metrics_port;
};

/* The far stack echoes what it is sent and half-closes after the client did. */
static void far_echo(struct far_end *e, struct um_stack *st)
{
        for (;;) {
                if (e->off < e->len) {
                        ssize_t w = um_send(st, e->fd, e->buf + e->off, e->len - e->off, 0);
                        if (w <= 0)
                                return;
                        e->off += (size_t)w;
                        continue;
                }
                if (e->eof) {
                        if (!e->shut)
                                um_shutdown(st, e->fd, SHUT_WR);
                        e->shut = 1;
                        return;
                }
                ssize_t n = um_recv(st, e->fd, e->buf, sizeof(e->buf), 0);
                if (n == 0)
                        e->eof = 1;
                if (n <= 0)
                        return;
                e->len = (size_t)n;
                e->off = 0;
        }
}

static void step(struct world *w)
{
        um_relay_run_once(w->relay, 1);
        um_stack_poll(w->far, um_clock_now_us());
        for (int fd;
             w->n_far < MAX_FAR && (fd = um_accept(w->far, w->far_listener, NULL, NULL)) >= 0;)
                w->far_ends[w->n_far++] = (struct far_end){.fd = fd};
        for (int i = 0; i < w->n_far; i++)
                far_echo(&w->far_ends[i], w->far);
}

/* log: where the relay's stack logs (NULL: stderr). */
static void world_open_logged(struct world *w, FILE *log)
{
        memset(w, 0, sizeof(*w));
        uint64_t seed = simtest_seed();
        assert_int_equal(pair_two_paths(&w->relay_st, &w->far, w->links, seed, log), 0);
        assert_int_equal(um_relay_new(w->relay_st, NULL, &w->relay), 0);
        w->far_listener = um_socket(w->far, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(FAR_PORT)};
        assert_int_equal(um_bind(w->far, w->far_listener, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(um_listen(w->far, w->far_listener, 16), 0);
        /* The endpoint on a port the system chooses. */
        struct sockaddr_storage ss = {0}, bound;
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        char err[200] = "";
        int rc = um_relay_metrics_open(w->relay, &ss, err, sizeof(err));
        if (rc < 0)
                printf("    %s\n", err);
        assert_int_equal(rc, 0);
        assert_int_equal(um_relay_metrics_addr(w->relay, &bound), 0);
        w->metrics_port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
        assert_true(w->metrics_port > 0);
}

static void world_open(struct world *w)
{
        world_open_logged(w, NULL);
}

static void world_close(struct world *w)
{
        for (int i = 0; i < w->n_far; i++)
                um_close(w->far, w->far_ends[i].fd);
        um_relay_free(w->relay);
        um_close(w->far, w->far_listener);
        um_stack_free(w->relay_st);
        um_stack_free(w->far);
        for (int i = 0; i < 4; i++)
                um_link_destroy(w->links[i]);
}

static int connect_loopback(uint16_t port)
{
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_true(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EINPROGRESS);
        return fd;
}

/* Sends what it can of out (advancing *off) and reads into in; returns 1 at EOF. */
static int client_io(int fd, const char *out, size_t out_len, size_t *off, char **in,
                     size_t *in_len)
{
        if (*off < out_len) {
                ssize_t n = send(fd, out + *off, out_len - *off, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n > 0)
                        *off += (size_t)n;
        }
        char buf[16384];
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                               errno != ENOTCONN && errno != EINPROGRESS))
                        return 1;
                if (n < 0)
                        return 0;
                *in = realloc(*in, *in_len + (size_t)n + 1);
                assert_non_null(*in);
                memcpy(*in + *in_len, buf, (size_t)n);
                *in_len += (size_t)n;
                (*in)[*in_len] = 0;
        }
}

struct reply {
        int status;
        char *raw;        /* head and body, NUL-terminated */
        const char *body; /* into raw */
};

/* One HTTP request to the endpoint (the loop stepping meanwhile); the whole reply. */
static struct reply http(struct world *w, const char *request)
{
        int fd = connect_loopback(w->metrics_port);
        struct reply r = {0};
        size_t off = 0, len = 0;
        uint64_t until = um_clock_now_us() + 5000000;
        while (!client_io(fd, request, strlen(request), &off, &r.raw, &len) &&
               um_clock_now_us() < until)
                step(w);
        close(fd);
        assert_non_null(r.raw);
        assert_int_equal(sscanf(r.raw, "HTTP/1.%*d %d", &r.status), 1);
        char *sep = strstr(r.raw, "\r\n\r\n");
        assert_non_null(sep);
        r.body = sep + 4;
        return r;
}

static struct reply scrape(struct world *w)
{
        return http(w, "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
}

static int name_ok(const char *s, size_t n)
{
        if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
                return 0;
        for (size_t i = 1; i < n; i++)
                if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
                        return 0;
        return 1;
}

/* Checks the text line by line as the 0.0.4 format has it: each family's HELP and TYPE
 * once, before its samples, which follow each other; metric and label names of the
 * allowed characters; label values quoted with their escapes; a value that parses.
 * Returns the number of samples. */
static int check_format(const char *text)
{
        enum { MAX_FAM = 64 };
        char fams[MAX_FAM][80];
        int n_fam = 0, samples = 0;
        char current[80] = "";
        assert_true(*text && text[strlen(text) - 1] == '\n');
        for (const char *line = text; *line;) {
                const char *end = strchr(line, '\n');
                assert_non_null(end);
                size_t len = (size_t)(end - line);
                char l[1024];
                assert_true(len < sizeof(l));
                memcpy(l, line, len);
                l[len] = 0;
                line = end + 1;
                char name[80], type[16];
                if (!strncmp(l, "# HELP ", 7)) {
                        assert_int_equal(sscanf(l + 7, "%79s", name), 1);
                        assert_true(name_ok(name, strlen(name)));
                        assert_true(strlen(l) > 8 + strlen(name)); /* a help text */
                        continue;
                }
                if (!strncmp(l, "# TYPE ", 7)) {
                        assert_int_equal(sscanf(l + 7, "%79s %15s", name, type), 2);
                        assert_true(name_ok(name, strlen(name)));
                        assert_true(!strcmp(type, "counter") || !strcmp(type, "gauge"));
                        for (int i = 0; i < n_fam; i++)
                                assert_string_not_equal(fams[i], name); /* once */
                        assert_true(n_fam < MAX_FAM);
                        snprintf(fams[n_fam++], sizeof(fams[0]), "%s", name);
                        snprintf(current, sizeof(current), "%s", name);
                        continue;
                }
                assert_true(l[0] != '#' && l[0] != ' ' && l[0]);
                size_t nl = strcspn(l, "{ ");
                assert_true(name_ok(l, nl));
                /* Its family's TYPE came just before its run of samples. */
                assert_int_equal(nl, strlen(current));
                assert_memory_equal(l, current, nl);
                const char *p = l + nl;
                if (*p == '{') {
                        p++;
                        while (*p != '}') {
                                size_t ln = strcspn(p, "=");
                                assert_true(ln > 0 && name_ok(p, ln) && p[0] != ':');
                                p += ln;
                                assert_true(p[0] == '=' && p[1] == '"');
                                for (p += 2; *p != '"'; p++) {
                                        assert_true(*p);
                                        if (*p == '\\') {
                                                p++;
                                                assert_true(*p == '\\' || *p == '"' || *p == 'n');
                                        }
                                }
                                p++;
                                assert_true(*p == ',' || *p == '}');
                                p += *p == ',';
                        }
                        p++;
                }
                assert_true(*p == ' ');
                p++;
                char *vend;
                strtod(p, &vend);
                assert_true(vend != p && *vend == 0);
                samples++;
        }
        return samples;
}

/* The value of the sample whose name and labels are exactly key; -1 when there is none. */
static double sample(const char *text, const char *key)
{
        size_t k = strlen(key);
        for (const char *line = text; *line; line = strchr(line, '\n') + 1) {
                if (!strncmp(line, key, k) && line[k] == ' ')
                        return strtod(line + k + 1, NULL);
        }
        return -1;
}

static double mib(const char *text, const char *name)
{
        char key[128];
        snprintf(key, sizeof(key), "umptcp_mib_total{name=\"%s\"}", name);
        return sample(text, key);
}

static double per_link(const char *text, const char *family, int ifindex, const char *link)
{
        char key[160];
        snprintf(key, sizeof(key), "%s{ifindex=\"%d\",link=\"%s\"}", family, ifindex, link);
        return sample(text, key);
}

/* A scrape before and after a relayed connection: the format holds, and the counters and
 * gauges follow the connection (accepted, open with a subflow on each path, closed). */
static void test_scrape_follows_traffic(void **state)
{
        (void)state;
        struct world w;
        world_open(&w);
        char err[200];
        char listen[32];
        /* A forward listener on a free loopback port (it takes no port 0). */
        int probe = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in pa = {.sin_family = AF_INET};
        pa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t plen = sizeof(pa);
        assert_int_equal(bind(probe, (struct sockaddr *)&pa, sizeof(pa)), 0);
        assert_int_equal(getsockname(probe, (struct sockaddr *)&pa, &plen), 0);
        close(probe);
        snprintf(listen, sizeof(listen), "127.0.0.1:%u", ntohs(pa.sin_port));
        struct um_relay_listener_spec spec = {
            .kind = UM_RELAY_FORWARD, .listen = listen, .target = "10.0.1.2:5001"};
        assert_true(um_relay_listen(w.relay, &spec, err, sizeof(err)) >= 0);

        struct reply before = scrape(&w);
        assert_int_equal(before.status, 200);
        assert_non_null(strstr(before.raw, "Content-Type: text/plain; version=0.0.4; "
                                           "charset=utf-8\r\n"));
        int n = check_format(before.body);
        printf("    first scrape: %d samples, %zu bytes\n", n, strlen(before.body));
        assert_true(n > 100);
        assert_true(mib(before.body, "RelayAccepted") == 0);
        assert_true(mib(before.body, "MPTcpExtMPCapableSYNTX") == 0);
        assert_true(sample(before.body, "umptcp_relay_listeners") == 1);
        assert_true(sample(before.body, "umptcp_relay_connections") == 0);
        const char *l0 = w.links[0]->name, *l1 = w.links[2]->name;
        assert_true(per_link(before.body, "umptcp_link_transmit_bytes_total", 0, l0) == 0);
        assert_true(per_link(before.body, "umptcp_link_transmit_bytes_total", 1, l1) == 0);
        char key[160];
        snprintf(key, sizeof(key),
                 "umptcp_link_address_info{ifindex=\"1\",link=\"%s\",address=\"10.0.2.1/24\"}", l1);
        assert_true(sample(before.body, key) == 1);

        /* A client through the relay, echoed, its connection left open. */
        char *out = malloc(BYTES), *in = NULL;
        assert_non_null(out);
        for (size_t i = 0; i < BYTES; i++)
                out[i] = (char)('a' + i % 26);
        int fd = connect_loopback(ntohs(pa.sin_port));
        size_t off = 0, in_len = 0;
        uint64_t until = um_clock_now_us() + 10000000;
        while (in_len < BYTES && um_clock_now_us() < until) {
                assert_int_equal(client_io(fd, out, BYTES, &off, &in, &in_len), 0);
                step(&w);
        }
        assert_int_equal(in_len, BYTES);
        assert_memory_equal(in, out, BYTES);
        /* The second path's subflow is up well within this. */
        for (until = um_clock_now_us() + 200000; um_clock_now_us() < until;)
                step(&w);
        struct reply open = scrape(&w);
        assert_int_equal(open.status, 200);
        check_format(open.body);
        assert_true(mib(open.body, "RelayAccepted") == 1);
        assert_true(mib(open.body, "RelayBytesUp") == 0); /* counted when it ends */
        assert_true(mib(open.body, "MPTcpExtMPCapableSYNTX") == 1);
        assert_true(mib(open.body, "IpInReceives") > mib(before.body, "IpInReceives"));
        assert_true(sample(open.body, "umptcp_relay_connections") == 1);
        assert_true(sample(open.body, "umptcp_relay_held_bytes") == 0);
        assert_true(sample(open.body, "umptcp_mptcp_connections") == 1);
        assert_true(per_link(open.body, "umptcp_link_subflows", 0, l0) == 1);
        assert_true(per_link(open.body, "umptcp_link_subflows", 1, l1) == 1);
        for (int i = 0; i < 2; i++) {
                const char *l = i ? l1 : l0;
                double tx = per_link(open.body, "umptcp_link_transmit_bytes_total", i, l);
                double rx = per_link(open.body, "umptcp_link_receive_bytes_total", i, l);
                printf("    link %d (%s): %.0f bytes sent, %.0f received\n", i, l, tx, rx);
                assert_true(tx > 0 && rx > 0);
                assert_true(per_link(open.body, "umptcp_link_transmit_packets_total", i, l) > 0);
        }
        /* Both paths together carried the bytes each way. */
        assert_true(per_link(open.body, "umptcp_link_transmit_bytes_total", 0, l0) +
                        per_link(open.body, "umptcp_link_transmit_bytes_total", 1, l1) >
                    BYTES);

        /* The client ends; the relay closes the connection. */
        shutdown(fd, SHUT_WR);
        until = um_clock_now_us() + 5000000;
        while (!client_io(fd, out, BYTES, &off, &in, &in_len) && um_clock_now_us() < until)
                step(&w);
        close(fd);
        until = um_clock_now_us() + 5000000;
        while (um_relay_active(w.relay) && um_clock_now_us() < until)
                step(&w);
        struct reply after = scrape(&w);
        check_format(after.body);
        assert_true(mib(after.body, "RelayClosed") == 1);
        assert_true(mib(after.body, "RelayBytesUp") == BYTES);
        assert_true(mib(after.body, "RelayBytesDown") == BYTES);
        assert_true(sample(after.body, "umptcp_relay_connections") == 0);
        free(out);
        free(in);
        free(before.raw);
        free(open.raw);
        free(after.raw);
        world_close(&w);
}

/* Only GET and HEAD of /metrics: 404 elsewhere, 405 with Allow for another method, 400
 * for a body; HEAD has the headers and no body. */
static void test_refusals(void **state)
{
        (void)state;
        struct world w;
        world_open(&w);
        static const struct {
                const char *req;
                int status;
                const char *has; /* in the reply, when not NULL */
        } cases[] = {
            {"GET /other HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 404, NULL},
            {"GET /metricsX HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 404, NULL},
            {"POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nConnection: "
             "close\r\n\r\nabc",
             405, "Allow: GET, HEAD\r\n"},
            {"DELETE /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 405, NULL},
            {"GET /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: "
             "close\r\n\r\nhello",
             400, NULL},
            {"GET /metrics?x=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 200, NULL},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct reply r = http(&w, cases[i].req);
                assert_int_equal(r.status, cases[i].status);
                if (cases[i].has)
                        assert_non_null(strstr(r.raw, cases[i].has));
                free(r.raw);
        }
        /* HEAD: the headers of a scrape, no body. */
        struct reply r = http(&w, "HEAD /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.raw, "version=0.0.4"));
        assert_string_equal(r.body, "");
        free(r.raw);
        world_close(&w);
}

/* At most 4 connections from one address: a fifth is closed at once, and once the four
 * go a scrape is served again. An address in use is refused with its reason, and the
 * endpoint open stays; closed, it takes no connection. */
static void test_limits_and_reopen(void **state)
{
        (void)state;
        struct world w;
        world_open(&w);
        int idle[4];
        for (int i = 0; i < 4; i++)
                idle[i] = connect_loopback(w.metrics_port);
        for (uint64_t until = um_clock_now_us() + 100000; um_clock_now_us() < until;)
                step(&w);
        int fifth = connect_loopback(w.metrics_port);
        char *in = NULL;
        size_t off = 0, in_len = 0;
        int closed = 0;
        for (uint64_t until = um_clock_now_us() + 2000000; !closed && um_clock_now_us() < until;) {
                step(&w);
                closed = client_io(fifth, "", 0, &off, &in, &in_len);
        }
        assert_true(closed);
        assert_int_equal(in_len, 0);
        close(fifth);
        /* The four are still held (not timed out yet): each still open. */
        for (int i = 0; i < 4; i++)
                assert_int_equal(client_io(idle[i], "", 0, &off, &in, &in_len), 0);
        for (int i = 0; i < 4; i++)
                close(idle[i]);
        for (uint64_t until = um_clock_now_us() + 100000; um_clock_now_us() < until;)
                step(&w);
        struct reply r = scrape(&w);
        assert_int_equal(r.status, 200);
        free(r.raw);

        /* The port taken: a clear refusal, and the endpoint open goes on. */
        struct sockaddr_storage ss;
        assert_int_equal(um_relay_metrics_addr(w.relay, &ss), 0);
        char err[200] = "";
        assert_int_equal(um_relay_metrics_open(w.relay, &ss, err, sizeof(err)), -EADDRINUSE);
        char want[64];
        snprintf(want, sizeof(want), "127.0.0.1:%u", w.metrics_port);
        printf("    %s\n", err);
        assert_non_null(strstr(err, want));
        assert_non_null(strstr(err, strerror(EADDRINUSE)));
        r = scrape(&w);
        assert_int_equal(r.status, 200);
        free(r.raw);
        um_relay_metrics_close(w.relay);
        assert_int_equal(um_relay_metrics_addr(w.relay, &ss), -ENOENT);
        int fd = connect_loopback(w.metrics_port);
        step(&w);
        closed = 0;
        for (uint64_t until = um_clock_now_us() + 1000000; !closed && um_clock_now_us() < until;)
                closed = client_io(fd, "", 0, &off, &in, &in_len);
        assert_true(closed);
        close(fd);
        free(in);
        world_close(&w);
}

/* A connection to the endpoint from a loopback address of its own (127.0.0.0/8 is all
 * local: libmicrohttpd's limit per address does not hold them back). */
static int connect_from(uint16_t port, unsigned host)
{
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in from = {.sin_family = AF_INET};
        from.sin_addr.s_addr = htonl(INADDR_LOOPBACK - 1 + host);
        assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_true(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EINPROGRESS);
        return fd;
}

/* Slowloris: every slot held by a client that sends a byte of its request now and then,
 * well within the inactivity timeout, from four addresses four each. Each connection has
 * a deadline from its accept whatever it sends: the scrape waiting behind them is served
 * within it, and the slow ones are closed. */
static void test_slow_clients_cut(void **state)
{
        (void)state;
        struct world w;
        world_open(&w);
        enum { SLOW = 16 };
        const char slow_req[] =
            "GET /metrics HTTP/1.1\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        int slow[SLOW], slow_closed[SLOW] = {0};
        size_t slow_off[SLOW] = {0};
        for (int i = 0; i < SLOW; i++)
                slow[i] = connect_from(w.metrics_port, 1 + (unsigned)i / 4);
        char *in = NULL;
        size_t in_len = 0;
        uint64_t next_byte = 0;
        /* Each slow client sends one byte every 300 ms. */
        for (uint64_t until = um_clock_now_us() + 300000; um_clock_now_us() < until;)
                step(&w);
        const char *req = "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
        int fd = connect_from(w.metrics_port, 9);
        size_t off = 0, s_len = 0;
        char *s_in = NULL;
        uint64_t start = um_clock_now_us(), served = 0;
        while (!served && um_clock_now_us() < start + 8000000) {
                step(&w);
                if (client_io(fd, req, strlen(req), &off, &s_in, &s_len))
                        served = um_clock_now_us();
                int tick = um_clock_now_us() >= next_byte;
                if (tick)
                        next_byte = um_clock_now_us() + 300000;
                for (int i = 0; i < SLOW; i++) {
                        if (slow_closed[i])
                                continue;
                        size_t upto = slow_off[i] + (tick && slow_off[i] < sizeof(slow_req) - 1);
                        slow_closed[i] =
                            client_io(slow[i], slow_req, upto, &slow_off[i], &in, &in_len);
                }
        }
        int n_closed = 0;
        for (int i = 0; i < SLOW; i++) {
                n_closed += slow_closed[i];
                close(slow[i]);
        }
        close(fd);
        printf("    scrape served after %.1f s; %d of %d slow clients closed\n",
               served ? (double)(served - start) / 1e6 : -1.0, n_closed, SLOW);
        assert_true(served && served - start < 6500000);
        assert_non_null(s_in);
        assert_non_null(strstr(s_in, "HTTP/1.1 200"));
        assert_true(n_closed > 0);
        free(in);
        free(s_in);
        world_close(&w);
}

static int count_lines(FILE *f, const char *with)
{
        fflush(f);
        rewind(f);
        char line[1024];
        int n = 0;
        while (fgets(line, sizeof(line), f))
                if (strstr(line, with)) {
                        printf("    %s", line);
                        n++;
                }
        return n;
}

/* Out of descriptors, libmicrohttpd retries accept without pause and reports each failed
 * try: what reaches the log is a line a second at most, however many tries, and without
 * a control byte. Once descriptors are free again the waiting scrape is served. */
static void test_emfile_log_bounded(void **state)
{
        (void)state;
        FILE *log = tmpfile();
        assert_non_null(log);
        struct world w;
        world_open_logged(&w, log);
        const char *req = "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
        int fd = connect_loopback(w.metrics_port);
        /* Every descriptor taken (a lower limit first, so that there are few to take). */
        struct rlimit old, low;
        assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
        low = old;
        if (low.rlim_cur > 256)
                low.rlim_cur = 256;
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
        int held[256], n_held = 0;
        while (n_held < 256 && (held[n_held] = dup(fd)) >= 0)
                n_held++;
        assert_int_equal(errno, EMFILE);
        char *in = NULL;
        size_t off = 0, in_len = 0;
        for (uint64_t until = um_clock_now_us() + 2500000; um_clock_now_us() < until;) {
                step(&w);
                assert_int_equal(client_io(fd, req, strlen(req), &off, &in, &in_len), 0);
        }
        for (int i = 0; i < n_held; i++)
                close(held[i]);
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
        int lines = count_lines(log, "relay: metrics");
        printf("    %d log lines of the metrics server in 2.5 s at EMFILE\n", lines);
        assert_true(lines >= 1 && lines <= 4);
        rewind(log);
        for (int ch; (ch = fgetc(log)) != EOF;)
                assert_true(ch == '\n' || (ch >= ' ' && ch < 127));
        for (uint64_t until = um_clock_now_us() + 3000000;
             !client_io(fd, req, strlen(req), &off, &in, &in_len) && um_clock_now_us() < until;)
                step(&w);
        close(fd);
        assert_non_null(in);
        assert_non_null(strstr(in, "HTTP/1.1 200"));
        free(in);
        world_close(&w);
        fclose(log);
}

int main(void)
{
        simtest_seed();
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_scrape_follows_traffic),
            cmocka_unit_test(test_refusals),
            cmocka_unit_test(test_limits_and_reopen),
            cmocka_unit_test(test_emfile_log_bounded),
            cmocka_unit_test(test_slow_clients_cut),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
