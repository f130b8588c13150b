/* The relay in one process, without root: its stack reaches a far umptcp stack over two
 * emulated paths, and its kernel side is loopback. Kernel clients send through --forward to
 * an MPTCP echo server on the far stack; the far stack's MPTCP clients send through
 * --accept to a kernel echo server (with a PROXY v2 header). Every byte is checked end to
 * end (SHA-256 of what was sent against what came back); the seed is printed. Also: a
 * client's reset reaches the far end as a reset, past max_conns a connection is refused, a
 * target that refuses is a reset for the client, and a slow reader holds the relay to its
 * bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <ifaddrs.h>
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

#include "core/sha256.h"
#include "relay/relay.h"
#include "pair.h"
#include "simtest.h"

enum { FAR_PORT = 5001, MAX_ENDS = 512 };

/* One end of a test connection: sends its bytes and half-closes, keeps what it receives;
 * an echo end sends back what it receives instead. */
struct end {
        struct um_stack *st; /* an umptcp socket of this stack, or NULL: a kernel socket */
        int fd;
        int echo;
        uint8_t *out;
        size_t out_len, out_off;
        uint8_t *in;
        size_t in_len, in_cap;
        size_t reset_after; /* a kernel client that sends this much, and resets once it is
                               echoed (0: it does not) */
        int shut, eof, err, closed;
};

struct world {
        struct um_stack *relay_st, *far;
        struct um_link *links[4];
        struct um_relay *relay;
        int far_listener; /* the far stack's MPTCP echo server */
        int backend;      /* the kernel echo server behind --accept (-1: none) */
        int dns;          /* a DNS server on loopback UDP that knows far.test (-1: none) */
        struct end ends[MAX_ENDS];
        int n_ends;
        uint64_t seed;
};

static ssize_t end_send(struct end *e, const void *p, size_t n)
{
        return e->st ? um_send(e->st, e->fd, p, n, 0)
                     : send(e->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static ssize_t end_recv(struct end *e, void *p, size_t n)
{
        return e->st ? um_recv(e->st, e->fd, p, n, 0) : recv(e->fd, p, n, MSG_DONTWAIT);
}

static int again(void)
{
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINPROGRESS || errno == ENOTCONN;
}

static void keep(struct end *e, const uint8_t *p, size_t n)
{
        if (e->in_len + n > e->in_cap) {
                e->in_cap = (e->in_len + n) * 2;
                e->in = realloc(e->in, e->in_cap);
                assert_non_null(e->in);
        }
        memcpy(e->in + e->in_len, p, n);
        e->in_len += n;
}

static void pump_end(struct end *e)
{
        if (e->closed || e->err)
                return;
        uint8_t buf[16384];
        for (;;) {
                ssize_t n = end_recv(e, buf, sizeof(buf));
                if (n > 0) {
                        keep(e, buf, (size_t)n);
                        if (e->echo) { /* what it sends is what it received */
                                e->out = e->in;
                                e->out_len = e->in_len;
                        }
                        continue;
                }
                if (n == 0)
                        e->eof = 1;
                else if (!again())
                        e->err = errno;
                break;
        }
        while (!e->err && e->out_off < e->out_len) {
                size_t n = e->out_len - e->out_off;
                if (e->reset_after && e->out_off + n > e->reset_after)
                        n = e->reset_after - e->out_off;
                ssize_t w = n ? end_send(e, e->out + e->out_off, n) : 0;
                if (w <= 0) {
                        if (w < 0 && !again())
                                e->err = errno;
                        break;
                }
                e->out_off += (size_t)w;
        }
        if (e->reset_after && e->in_len >= e->reset_after) { /* its bytes came back: a reset */
                struct linger lg = {.l_onoff = 1, .l_linger = 0};
                setsockopt(e->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
                close(e->fd);
                e->closed = 1;
                return;
        }
        int all_out = e->out_off == e->out_len && (!e->echo || e->eof);
        if (all_out && !e->shut && !e->err) {
                if (e->st)
                        um_shutdown(e->st, e->fd, SHUT_WR);
                else
                        shutdown(e->fd, SHUT_WR);
                e->shut = 1;
        }
}

static struct end *new_end(struct world *w, struct um_stack *st, int fd, int echo)
{
        assert_true(w->n_ends < MAX_ENDS);
        struct end *e = &w->ends[w->n_ends++];
        *e = (struct end){.st = st, .fd = fd, .echo = echo};
        return e;
}

/* Bytes of connection k: the seed's pattern. */
static uint8_t *pattern(const struct world *w, int k, size_t n)
{
        uint8_t *p = malloc(n);
        assert_non_null(p);
        uint64_t x = w->seed * 2654435761u + (uint64_t)k + 1;
        for (size_t i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                p[i] = (uint8_t)x;
        }
        return p;
}

/* The DNS server: far.test is 10.0.1.2 (A), local.test 127.0.0.1, slow.test is never
 * answered, any other name does not exist; no AAAA. */
static void answer_dns(int fd)
{
        uint8_t q[512], a[600];
        struct sockaddr_storage from;
        for (;;) {
                socklen_t flen = sizeof(from);
                ssize_t n =
                    recvfrom(fd, q, sizeof(q), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
                if (n < 12)
                        return;
                size_t off = 12;
                char name[256] = "";
                while (off < (size_t)n && q[off] && q[off] < 64) {
                        size_t l = q[off];
                        if (off + 1 + l > (size_t)n || strlen(name) + l + 2 > sizeof(name))
                                return;
                        strncat(name, (const char *)q + off + 1, l);
                        strcat(name, ".");
                        off += 1 + l;
                }
                if (off + 5 > (size_t)n)
                        return;
                uint16_t qtype = (uint16_t)(q[off + 1] << 8 | q[off + 2]);
                size_t qend = off + 5;
                if (!strcmp(name, "slow.test."))
                        continue;
                int local = !strcmp(name, "local.test.");
                int known = local || !strcmp(name, "far.test.");
                int give = known && qtype == 1;
                memcpy(a, q, qend);
                a[2] = 0x81;                    /* QR, RD */
                a[3] = known ? 0x80 : 0x83;     /* RA; NXDOMAIN for an unknown name */
                a[6] = 0, a[7] = (uint8_t)give; /* ANCOUNT */
                a[8] = a[9] = a[10] = a[11] = 0;
                size_t len = qend;
                if (give) {
                        static const uint8_t rr[] = {0xc0, 12, 0, 1, 0,  1, 0, 0,
                                                     0,    60, 0, 4, 10, 0, 1, 2};
                        static const uint8_t lo[4] = {127, 0, 0, 1};
                        memcpy(a + len, rr, sizeof(rr));
                        if (local)
                                memcpy(a + len + sizeof(rr) - 4, lo, 4);
                        len += sizeof(rr);
                }
                sendto(fd, a, len, 0, (struct sockaddr *)&from, flen);
        }
}

static void step(struct world *w)
{
        um_relay_run_once(w->relay, 0);
        if (w->dns >= 0)
                answer_dns(w->dns);
        um_stack_poll(w->far, um_clock_now_us());
        for (int fd; (fd = um_accept(w->far, w->far_listener, NULL, NULL)) >= 0;)
                new_end(w, w->far, fd, 1);
        if (w->backend >= 0)
                for (int fd; (fd = accept4(w->backend, NULL, NULL, SOCK_NONBLOCK)) >= 0;)
                        new_end(w, NULL, fd, 1);
        for (int i = 0; i < w->n_ends; i++)
                pump_end(&w->ends[i]);
}

static void run(struct world *w, int (*done)(const struct world *), double max_s)
{
        uint64_t until = um_clock_now_us() + (uint64_t)(max_s * 1e6);
        while (!done(w) && um_clock_now_us() < until)
                step(w);
}

/* The world, the relay's stack logging to log (NULL: stderr). */
static void world_open_log(struct world *w, const struct um_relay_config *cfg, FILE *log)
{
        memset(w, 0, sizeof(*w));
        w->seed = simtest_seed();
        w->backend = -1;
        w->dns = -1;
        assert_int_equal(pair_two_paths(&w->relay_st, &w->far, w->links, w->seed, log), 0);
        /* The far side too opens its second path's subflow from its second address. */
        assert_true(um_mptcp_endpoint_add(w->far, "10.0.2.2", UM_MPTCP_PM_SUBFLOW, 0) > 0);
        assert_int_equal(um_relay_new(w->relay_st, cfg, &w->relay), 0);
        w->far_listener = um_socket(w->far, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(FAR_PORT)};
        assert_int_equal(um_bind(w->far, w->far_listener, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(um_listen(w->far, w->far_listener, 128), 0);
}

static void world_open(struct world *w, const struct um_relay_config *cfg)
{
        world_open_log(w, cfg, NULL);
}

static void world_close(struct world *w)
{
        for (int i = 0; i < w->n_ends; i++) {
                struct end *e = &w->ends[i];
                if (!e->closed) {
                        if (e->st)
                                um_close(e->st, e->fd);
                        else
                                close(e->fd);
                }
                if (e->out != e->in)
                        free(e->out);
                free(e->in);
        }
        um_relay_free(w->relay);
        if (w->backend >= 0)
                close(w->backend);
        if (w->dns >= 0)
                close(w->dns);
        um_close(w->far, w->far_listener);
        um_stack_free(w->relay_st);
        um_stack_free(w->far);
        for (int i = 0; i < 4; i++)
                um_link_destroy(w->links[i]);
}

/* A loopback port free now (a listener takes a port it is given, not 0). */
static uint16_t free_port(void)
{
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof(sa);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
        close(fd);
        return ntohs(sa.sin_port);
}

/* A forward listener on loopback to a port of the far stack; the listener's id. */
static int forward_to(struct world *w, const char *target)
{
        char err[200], listen[32];
        snprintf(listen, sizeof(listen), "127.0.0.1:%u", free_port());
        struct um_relay_listener_spec spec = {
            .kind = UM_RELAY_FORWARD, .listen = listen, .target = target};
        int id = um_relay_listen(w->relay, &spec, err, sizeof(err));
        if (id < 0)
                printf("    %s\n", err);
        assert_true(id >= 0);
        return id;
}

/* A forward listener on loopback to the far echo server; its port. */
static uint16_t forward_listener(struct world *w)
{
        int id = forward_to(w, "10.0.1.2:5001");
        struct sockaddr_storage ss;
        assert_int_equal(um_relay_listener_addr(w->relay, id, &ss), 0);
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static struct end *kernel_client(struct world *w, uint16_t port, int k, size_t bytes)
{
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_true(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EINPROGRESS);
        struct end *e = new_end(w, NULL, fd, 0);
        e->out = pattern(w, k, bytes);
        e->out_len = bytes;
        return e;
}

/* Whether every client got its bytes back and saw the end, or (a resetting one) is gone. */
static int clients_done(const struct world *w)
{
        for (int i = 0; i < w->n_ends; i++) {
                const struct end *e = &w->ends[i];
                if (!e->echo && !e->closed && !e->err && !(e->eof && e->shut))
                        return 0;
        }
        return um_relay_active(w->relay) == 0;
}

/* Whether every far-end echo has ended: with its stream whole, or reset. A relay whose
 * kernel client reset is done at once, while its MP_FASTCLOSE may still be on the way. */
static int echoes_done(const struct world *w)
{
        for (int i = 0; i < w->n_ends; i++) {
                const struct end *e = &w->ends[i];
                if (e->echo && !e->closed && !e->err && !(e->eof && e->shut))
                        return 0;
        }
        return 1;
}

static void assert_echoed(const struct end *e)
{
        uint8_t a[32], b[32];
        assert_int_equal(e->err, 0);
        assert_int_equal(e->in_len, e->out_len);
        um_sha256(NULL, e->out, e->out_len, a);
        um_sha256(NULL, e->in, e->in_len, b);
        assert_memory_equal(a, b, 32);
}

/* Kernel clients through --forward to the far MPTCP echo server, both ways over two
 * paths; two of them reset mid-way, which the far end must see as a reset. */
static void test_forward_both_ways(void **state)
{
        (void)state;
        struct world w;
        world_open(&w, NULL);
        uint16_t port = forward_listener(&w);
        enum { CLIENTS = 12, RESETS = 2, BYTES = 300000 };
        for (int k = 0; k < CLIENTS; k++) {
                struct end *e = kernel_client(&w, port, k, BYTES);
                if (k < RESETS)
                        e->reset_after = BYTES / 3;
        }
        run(&w, clients_done, 20);
        run(&w, echoes_done, 5);
        int verified = 0, far_resets = 0;
        for (int i = 0; i < w.n_ends; i++) {
                const struct end *e = &w.ends[i];
                if (e->echo) {
                        far_resets += e->err != 0;
                        continue;
                }
                if (e->reset_after)
                        continue;
                assert_echoed(e);
                verified++;
        }
        printf("    %d clients verified both ways, %d far-end resets; relay: %llu accepted, "
               "%llu closed, %llu resets from the kernel side, %llu up, %llu down\n",
               verified, far_resets,
               (unsigned long long)um_counter_get(w.relay_st, "RelayAccepted"),
               (unsigned long long)um_counter_get(w.relay_st, "RelayClosed"),
               (unsigned long long)um_counter_get(w.relay_st, "RelayResetsFromKernel"),
               (unsigned long long)um_counter_get(w.relay_st, "RelayBytesUp"),
               (unsigned long long)um_counter_get(w.relay_st, "RelayBytesDown"));
        assert_int_equal(verified, CLIENTS - RESETS);
        assert_int_equal(far_resets, RESETS);
        assert_int_equal(um_counter_get(w.relay_st, "RelayResetsFromKernel"), RESETS);
        assert_int_equal(um_counter_get(w.relay_st, "RelayClosed"), CLIENTS - RESETS);
        assert_int_equal(um_relay_active(w.relay), 0);
        /* Both paths carried data. */
        assert_true(um_link_emu_stats(w.links[0])->delivered_bytes > BYTES);
        assert_true(um_link_emu_stats(w.links[2])->delivered_bytes > BYTES);
        world_close(&w);
}

/* The far stack's MPTCP clients through --accept to a kernel echo server, which reads the
 * PROXY v2 header first: the client's address and the relay's. */
static void test_accept_with_proxy_header(void **state)
{
        (void)state;
        struct world w;
        world_open(&w, NULL);
        w.backend = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(w.backend, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(w.backend, 16), 0);
        socklen_t len = sizeof(sa);
        getsockname(w.backend, (struct sockaddr *)&sa, &len);
        char target[64], err[200];
        snprintf(target, sizeof(target), "127.0.0.1:%u", ntohs(sa.sin_port));
        struct um_relay_listener_spec spec = {.kind = UM_RELAY_ACCEPT,
                                              .listen = "7000",
                                              .target = target,
                                              .flags = UM_RELAY_PROXY_V2};
        assert_true(um_relay_listen(w.relay, &spec, err, sizeof(err)) >= 0);
        enum { CLIENTS = 4, BYTES = 200000 };
        for (int k = 0; k < CLIENTS; k++) {
                int fd = um_socket(w.far, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
                struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(7000)};
                inet_pton(AF_INET, "10.0.1.1", &to.sin_addr);
                assert_true(um_connect(w.far, fd, (struct sockaddr *)&to, sizeof(to)) == 0 ||
                            errno == EINPROGRESS);
                struct end *e = new_end(&w, w.far, fd, 0);
                e->out = pattern(&w, k, BYTES);
                e->out_len = BYTES;
        }
        run(&w, clients_done, 20);
        /* Each client's echo: the header the backend read, then its own bytes. */
        static const uint8_t sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                        0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
        int verified = 0;
        for (int i = 0; i < w.n_ends; i++) {
                struct end *e = &w.ends[i];
                if (e->echo)
                        continue;
                assert_int_equal(e->err, 0);
                assert_true(e->in_len == 28 + e->out_len); /* IPv4: 16 + 12 bytes */
                assert_memory_equal(e->in, sig, sizeof(sig));
                assert_int_equal(e->in[12], 0x21);
                assert_int_equal(e->in[13], 0x11);
                uint8_t src[4], dst[4];
                inet_pton(AF_INET, "10.0.1.2", src);
                inet_pton(AF_INET, "10.0.1.1", dst);
                assert_memory_equal(e->in + 16, src, 4);
                assert_memory_equal(e->in + 20, dst, 4);
                assert_int_equal(e->in[26] << 8 | e->in[27], 7000);
                uint8_t a[32], b[32];
                um_sha256(NULL, e->out, e->out_len, a);
                um_sha256(NULL, e->in + 28, e->out_len, b);
                assert_memory_equal(a, b, 32);
                verified++;
        }
        printf("    %d MPTCP clients verified through --accept with PROXY v2\n", verified);
        assert_int_equal(verified, CLIENTS);
        world_close(&w);
}

/* A kernel echo server on loopback behind --accept; the listener's target. */
static void backend_open(struct world *w, char *target, size_t len)
{
        w->backend = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(w->backend, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(w->backend, 1024), 0);
        socklen_t slen = sizeof(sa);
        getsockname(w->backend, (struct sockaddr *)&sa, &slen);
        snprintf(target, len, "127.0.0.1:%u", ntohs(sa.sin_port));
}

/* More MPTCP clients than a callback of the listener used to take (64) reach --accept in
 * one burst, and no other comes after them: the stack calls the listener's callback when
 * its readiness changes, not while clients wait, so the relay must take them all then
 * (or come back for the rest by itself). Each is relayed both ways. */
static void test_accept_burst(void **state)
{
        (void)state;
        struct world w;
        world_open(&w, NULL);
        char target[64], err[200];
        backend_open(&w, target, sizeof(target));
        struct um_relay_listener_spec spec = {
            .kind = UM_RELAY_ACCEPT, .listen = "7000", .target = target};
        assert_true(um_relay_listen(w.relay, &spec, err, sizeof(err)) >= 0);
        enum { CLIENTS = 100, BYTES = 1000 };
        for (int k = 0; k < CLIENTS; k++) {
                int fd = um_socket(w.far, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
                struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(7000)};
                inet_pton(AF_INET, "10.0.1.1", &to.sin_addr);
                assert_true(um_connect(w.far, fd, (struct sockaddr *)&to, sizeof(to)) == 0 ||
                            errno == EINPROGRESS);
                struct end *e = new_end(&w, w.far, fd, 0);
                e->out = pattern(&w, k, BYTES);
                e->out_len = BYTES;
        }
        run(&w, clients_done, 30); /* the sanitizers' build is slow */
        int verified = 0;
        for (int i = 0; i < w.n_ends; i++) {
                const struct end *e = &w.ends[i];
                if (e->echo || e->err || e->in_len != e->out_len)
                        continue;
                assert_echoed(e);
                verified++;
        }
        printf("    %d of %d MPTCP clients of one burst relayed through --accept; relay: %llu "
               "accepted, %llu closed\n",
               verified, CLIENTS, (unsigned long long)um_counter_get(w.relay_st, "RelayAccepted"),
               (unsigned long long)um_counter_get(w.relay_st, "RelayClosed"));
        assert_int_equal(verified, CLIENTS);
        assert_int_equal(um_counter_get(w.relay_st, "RelayAccepted"), CLIENTS);
        assert_int_equal(um_counter_get(w.relay_st, "RelayClosed"), CLIENTS);
        world_close(&w);
}

static int all_settled(const struct world *w)
{
        for (int i = 0; i < w->n_ends; i++)
                if (!w->ends[i].echo && !w->ends[i].err && !w->ends[i].eof)
                        return 0;
        return 1;
}

/* ---- What show says of a relayed connection ---- */

struct descriptions {
        char d[4][UM_SO_DESCRIPTION_MAX + 1];
        int n;
};

static void take_description(const struct um_mptcp_conn_info *ci, void *arg)
{
        struct descriptions *ds = arg;
        if (ds->n < 4)
                snprintf(ds->d[ds->n++], sizeof(ds->d[0]), "%s", ci->description);
}

/* Whether the clients that stay open (shut set by hand, so they never half-close) got
 * their bytes back. */
static int echoed_open(const struct world *w)
{
        for (int i = 0; i < w->n_ends; i++) {
                const struct end *e = &w->ends[i];
                if (!e->echo && e->in_len < e->out_len)
                        return 0;
        }
        return 1;
}

static uint16_t port_of(int fd, int peer)
{
        struct sockaddr_in sa;
        socklen_t len = sizeof(sa);
        assert_int_equal(peer ? getpeername(fd, (struct sockaddr *)&sa, &len)
                              : getsockname(fd, (struct sockaddr *)&sa, &len),
                         0);
        return ntohs(sa.sin_port);
}

/* Two relayed connections held open: a kernel client's through a forward listener (its
 * port in *lport, its end in *fwd) and a far MPTCP client's through an accept listener on
 * 7000 to a kernel backend (its port in *bport); each has sent 1000 bytes, echoed. */
static void open_forward_and_accept(struct world *w, uint16_t *lport, uint16_t *bport,
                                    struct end **fwd)
{
        *lport = forward_listener(w);
        *fwd = kernel_client(w, *lport, 0, 1000);
        (*fwd)->shut = 1;
        w->backend = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(w->backend, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(w->backend, 16), 0);
        *bport = port_of(w->backend, 0);
        char target[64], err[200];
        snprintf(target, sizeof(target), "127.0.0.1:%u", *bport);
        struct um_relay_listener_spec spec = {
            .kind = UM_RELAY_ACCEPT, .listen = "7000", .target = target};
        assert_true(um_relay_listen(w->relay, &spec, err, sizeof(err)) >= 0);
        int fd = um_socket(w->far, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(7000)};
        inet_pton(AF_INET, "10.0.1.1", &to.sin_addr);
        assert_true(um_connect(w->far, fd, (struct sockaddr *)&to, sizeof(to)) == 0 ||
                    errno == EINPROGRESS);
        struct end *acc = new_end(w, w->far, fd, 0);
        acc->out = pattern(w, 1, 1000);
        acc->out_len = 1000;
        acc->shut = 1;
        run(w, echoed_open, 10);
        assert_true(echoed_open(w));
}

/* Each relayed connection's MPTCP socket carries its description, which show prints: the
 * kind and the kernel-side connection, client first, so its kernel-side peer's port is
 * there (forward: the kernel client's; accept: the relay's own toward the backend, which
 * the backend sees as its peer's). */
static void test_show_names_kernel_side(void **state)
{
        (void)state;
        struct world w;
        world_open(&w, NULL);
        uint16_t lport, bport;
        struct end *fwd;
        open_forward_and_accept(&w, &lport, &bport, &fwd);
        assert_int_equal(um_relay_active(w.relay), 2);

        int backend_side = -1; /* the backend's end of the relay's kernel connection */
        for (int i = 0; i < w.n_ends; i++)
                if (w.ends[i].echo && !w.ends[i].st)
                        backend_side = w.ends[i].fd;
        assert_true(backend_side >= 0);
        char want_fwd[UM_SO_DESCRIPTION_MAX + 1], want_acc[UM_SO_DESCRIPTION_MAX + 1];
        snprintf(want_fwd, sizeof(want_fwd), "relay forward 127.0.0.1:%u -> 127.0.0.1:%u",
                 port_of(fwd->fd, 0), lport);
        snprintf(want_acc, sizeof(want_acc), "relay accept 127.0.0.1:%u -> 127.0.0.1:%u",
                 port_of(backend_side, 1), bport);
        struct descriptions ds = {0};
        um_mptcp_connections(w.relay_st, take_description, &ds);
        int fwd_seen = 0, acc_seen = 0;
        for (int i = 0; i < ds.n; i++) {
                printf("    %s\n", ds.d[i]);
                fwd_seen += !strcmp(ds.d[i], want_fwd);
                acc_seen += !strcmp(ds.d[i], want_acc);
        }
        assert_int_equal(ds.n, 2);
        assert_int_equal(fwd_seen, 1);
        assert_int_equal(acc_seen, 1);
        world_close(&w);
}

/* socket_buffer_bytes (umptcpd --socket-buffer) sizes the send and receive queues of every
 * MPTCP socket the relay makes or takes, forward and accept alike: with buffer_bytes and
 * max_conns, what bounds the relay's memory (docs/RELAY.md, "Memory"). */
static void test_socket_buffer_sizes_the_queues(void **state)
{
        (void)state;
        enum { SOCKBUF = 65536 };
        struct world w;
        world_open(&w, &(struct um_relay_config){.socket_buffer_bytes = SOCKBUF});
        uint16_t lport, bport;
        struct end *fwd;
        open_forward_and_accept(&w, &lport, &bport, &fwd);
        int relayed = 0;
        for (int ufd = 0; ufd < 256; ufd++) {
                char d[UM_SO_DESCRIPTION_MAX + 1] = "";
                socklen_t dl = sizeof(d);
                if (um_getsockopt(w.relay_st, ufd, SOL_SOCKET, UM_SO_DESCRIPTION, d, &dl) < 0 ||
                    strncmp(d, "relay ", 6))
                        continue;
                int snd = 0, rcv = 0;
                socklen_t l = sizeof(int);
                assert_int_equal(um_getsockopt(w.relay_st, ufd, SOL_SOCKET, SO_SNDBUF, &snd, &l),
                                 0);
                assert_int_equal(um_getsockopt(w.relay_st, ufd, SOL_SOCKET, SO_RCVBUF, &rcv, &l),
                                 0);
                printf("    %s: send buffer %d, receive buffer %d\n", d, snd, rcv);
                assert_int_equal(snd, SOCKBUF);
                assert_int_equal(rcv, SOCKBUF);
                relayed++;
        }
        assert_int_equal(relayed, 2);
        world_close(&w);
}

/* Past max_conns a client is reset, counted; a target nobody listens on is a reset for
 * the client too. */
static void test_refusals(void **state)
{
        (void)state;
        struct world w;
        world_open(&w, &(struct um_relay_config){.max_conns = 2});
        uint16_t port = forward_listener(&w);
        for (int k = 0; k < 3; k++)
                kernel_client(&w, port, k, 1000)->reset_after = 0;
        /* The first two stay open (their echo server waits for more): only the third ends. */
        for (int k = 0; k < 3; k++)
                w.ends[k].out_len = 500;
        run(&w, all_settled, 2);
        assert_int_equal(um_counter_get(w.relay_st, "RelayRefusedFull"), 1);
        int reset = 0;
        for (int i = 0; i < 3; i++)
                reset += w.ends[i].err == ECONNRESET;
        assert_int_equal(reset, 1);
        world_close(&w);

        world_open(&w, NULL);
        int id = forward_to(&w, "10.0.1.2:5999");
        struct sockaddr_storage ss;
        um_relay_listener_addr(w.relay, id, &ss);
        struct end *e = kernel_client(&w, ntohs(((struct sockaddr_in *)&ss)->sin_port), 0, 100);
        run(&w, all_settled, 5);
        assert_int_equal(e->err, ECONNRESET);
        assert_int_equal(um_counter_get(w.relay_st, "RelayConnectFailed"), 1);
        assert_int_equal(um_relay_active(w.relay), 0);
        world_close(&w);
}

static size_t held(const struct um_relay *r)
{
        size_t n = 0;
        for (const struct relay_conn *c = r->conns; c; c = c->next)
                n += c->up.held.len + c->down.held.len;
        return n;
}

/* A far end that does not read for a while: the relay holds at most its bound, and every
 * byte arrives when reading resumes. */
static void test_slow_reader_bounded(void **state)
{
        (void)state;
        struct world w;
        world_open(&w, &(struct um_relay_config){.buffer_bytes = 16384});
        uint16_t port = forward_listener(&w);
        enum { BYTES = 32 << 20 }; /* beyond every socket buffer on the way */
        kernel_client(&w, port, 0, BYTES);
        size_t most = 0;
        /* The far server is not pumped for 1 s: only the relay and the stacks run. */
        uint64_t until = um_clock_now_us() + 1000000;
        while (um_clock_now_us() < until) {
                um_relay_run_once(w.relay, 0);
                um_stack_poll(w.far, um_clock_now_us());
                for (int fd; (fd = um_accept(w.far, w.far_listener, NULL, NULL)) >= 0;)
                        new_end(&w, w.far, fd, 1);
                pump_end(&w.ends[0]);
                if (held(w.relay) > most)
                        most = held(w.relay);
        }
        printf("    the relay held at most %zu bytes while the reader slept (bound 2 x 16384)\n",
               most);
        assert_true(most <= 2 * 16384);
        assert_true(w.ends[0].out_off < BYTES); /* the client was slowed down */
        run(&w, clients_done, 30);
        assert_echoed(&w.ends[0]);
        world_close(&w);
}

static double cpu_s(void)
{
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Reads what a far-end socket has for it into e (without the end's sending side). */
static void far_read(struct end *e)
{
        uint8_t buf[16384];
        ssize_t n;
        while ((n = um_recv(e->st, e->fd, buf, sizeof(buf), 0)) > 0)
                keep(e, buf, (size_t)n);
        if (n == 0)
                e->eof = 1;
        else if (!again())
                e->err = errno;
}

/* The far end sends DATA_FIN at once and reads nothing (256 KiB of receive buffer); the
 * kernel client sends until the relay holds a chunk MPTCP will not take, then FIN. The
 * relay's kernel socket is then shut both ways (its write side after the DATA_FIN, its read
 * side by the client's FIN): epoll reports EPOLLHUP whatever it is watched for, and a
 * level-triggered watch would wake the loop at once on every wait, for nothing it can do,
 * until the far end reads. Over 1 s the loop must sleep as long as it is asked, and when
 * the far end reads at last, every byte arrives and the pair closes. */
static void test_hang_up_while_held(void **state)
{
        (void)state;
        struct world w;
        world_open(&w, &(struct um_relay_config){.buffer_bytes = 16384});
        int small = 256 << 10; /* less than the relay's MPTCP send queue (4 MiB) */
        uint16_t port = forward_listener(&w);
        enum { MOST = 64 << 20, SLICE = 16384 };
        struct end *e = kernel_client(&w, port, 0, MOST);
        e->out_len = 0;
        e->shut = 1; /* not at each pause of its sending: it shuts down by hand below */
        struct end *far = NULL;
        /* The client sends once the far end took its socket (whose receive queue is sized
         * with the first bytes), 16 KiB a round, so that little waits in the kernel when the
         * relay stops reading: the client's FIN must reach the relay's socket behind them. */
        uint64_t until = um_clock_now_us() + 20000000, held_since = 0;
        while (um_clock_now_us() < until) {
                um_relay_run_once(w.relay, 0);
                um_stack_poll(w.far, um_clock_now_us());
                for (int fd; (fd = um_accept(w.far, w.far_listener, NULL, NULL)) >= 0;) {
                        far = new_end(&w, w.far, fd, 0);
                        assert_int_equal(
                            um_setsockopt(w.far, fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)),
                            0);
                        assert_int_equal(um_shutdown(w.far, fd, SHUT_WR), 0);
                }
                /* Held for 200 ms: what the far end's window let through is gone, and MPTCP
                 * takes nothing more. */
                struct relay_conn *c = w.relay->conns;
                if (!c || !c->up.held.len)
                        held_since = um_clock_now_us();
                else if (c->down.shut && um_clock_now_us() - held_since >= 200000)
                        break;
                if (far && (!c || !c->up.held.len))
                        e->out_len = e->out_off + SLICE;
                pump_end(e);
        }
        struct relay_conn *c = w.relay->conns;
        assert_non_null(far);
        assert_non_null(c);
        assert_true(c->up.held.len > 0);
        e->out_len = e->out_off; /* all it sends: its FIN follows */
        assert_int_equal(shutdown(e->fd, SHUT_WR), 0);
        /* Wait for the FIN to reach the relay's socket, which the relay does not read. */
        struct pollfd pfd = {.fd = c->kfd};
        for (int i = 0; i < 100 && !(pfd.revents & POLLHUP); i++) {
                usleep(1000);
                poll(&pfd, 1, 0);
        }
        assert_true(pfd.revents & POLLHUP);
        uint64_t start = um_clock_now_us();
        double cpu = cpu_s();
        unsigned rounds = 0;
        while (um_clock_now_us() - start < 1000000) {
                um_relay_run_once(w.relay, 50);
                um_stack_poll(w.far, um_clock_now_us());
                pump_end(e);
                rounds++;
        }
        cpu = cpu_s() - cpu;
        printf("    1 s with the kernel socket hung up and a chunk held: %u rounds of the loop, "
               "%.3f s of CPU; client sent %zu bytes\n",
               rounds, cpu, e->out_off);
        assert_int_equal(um_relay_active(w.relay), 1);
        assert_true(rounds <= 60); /* a 50 ms wait each, bar the stacks' own wakes */
        assert_true(cpu < 0.3);
        /* The far end reads at last: everything the client sent arrives, then its end. */
        until = um_clock_now_us() + 20000000;
        while (um_clock_now_us() < until && !(far->eof && um_relay_active(w.relay) == 0)) {
                um_relay_run_once(w.relay, 0);
                um_stack_poll(w.far, um_clock_now_us());
                far_read(far);
                pump_end(e);
        }
        printf("    then the far end read %zu of %zu bytes and their end; relay: %llu closed\n",
               far->in_len, e->out_len,
               (unsigned long long)um_counter_get(w.relay_st, "RelayClosed"));
        assert_int_equal(far->err, 0);
        assert_true(far->eof);
        assert_int_equal(far->in_len, e->out_len);
        uint8_t a[32], b[32];
        um_sha256(NULL, e->out, e->out_len, a);
        um_sha256(NULL, far->in, far->in_len, b);
        assert_memory_equal(a, b, 32);
        assert_int_equal(um_counter_get(w.relay_st, "RelayClosed"), 1);
        assert_int_equal(um_relay_active(w.relay), 0);
        assert_true(e->eof);
        assert_int_equal(e->err, 0);
        world_close(&w);
}

/* A client waits in a forward listener's backlog while the process may open no descriptor
 * (RLIMIT_NOFILE at the lowest free one): accept() fails with EMFILE and the listener stays
 * readable. The loop must not spin on it for 500 ms: it pauses the listener (counted), waits
 * as long as it was asked, and accepts the client once descriptors may be opened again. */
static void test_accept_out_of_fds(void **state)
{
        (void)state;
        struct world w;
        world_open(&w, NULL);
        uint16_t port = forward_listener(&w);
        struct end *e = kernel_client(&w, port, 0, 1000); /* its socket before the limit */
        struct rlimit old, low;
        assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
        int lowest = dup(e->fd);
        assert_true(lowest >= 0);
        close(lowest);
        low = old;
        low.rlim_cur = (rlim_t)lowest;
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
        assert_true(dup(e->fd) < 0 && errno == EMFILE);
        uint64_t start = um_clock_now_us();
        double cpu = cpu_s();
        unsigned rounds = 0;
        while (um_clock_now_us() - start < 500000) {
                um_relay_run_once(w.relay, 50);
                rounds++;
        }
        cpu = cpu_s() - cpu;
        uint64_t errors = um_counter_get(w.relay_st, "RelayAcceptErrors");
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
        run(&w, clients_done, 5);
        printf("    500 ms at RLIMIT_NOFILE: %u rounds of the loop, %.3f s of CPU, %llu accept "
               "errors (pauses); then the client relayed: %s\n",
               rounds, cpu, (unsigned long long)errors, e->in_len == e->out_len ? "yes" : "no");
        assert_true(rounds <= 40); /* a 50 ms wait each, bar a few early wakes */
        assert_true(cpu < 0.2);
        assert_true(errors >= 1 && errors <= 10); /* at most one per 100 ms pause */
        assert_echoed(e);
        assert_int_equal(um_counter_get(w.relay_st, "RelayAccepted"), 1);
        world_close(&w);
}

/* ---- SOCKS5, HTTP CONNECT ---- */

/* The world with its DNS server; cfg's dns_servers points into servers. */
static void world_open_dns(struct world *w, struct um_relay_config *cfg, char *servers, size_t len)
{
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t sl = sizeof(sa);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
        snprintf(servers, len, "127.0.0.1:%u", ntohs(sa.sin_port));
        cfg->dns_servers = servers;
        world_open(w, cfg);
        w->dns = fd;
}

/* A listener of kind on loopback (allow: its allow-list, or NULL); its port. */
static uint16_t allow_listener(struct world *w, enum um_relay_kind kind, const char *user,
                               const char *password, const char *allow)
{
        char err[200], listen[32];
        snprintf(listen, sizeof(listen), "127.0.0.1:%u", free_port());
        struct um_relay_listener_spec spec = {
            .kind = kind, .listen = listen, .user = user, .password = password, .allow = allow};
        int id = um_relay_listen(w->relay, &spec, err, sizeof(err));
        if (id < 0)
                printf("    %s\n", err);
        assert_true(id >= 0);
        struct sockaddr_storage ss;
        assert_int_equal(um_relay_listener_addr(w->relay, id, &ss), 0);
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static uint16_t request_listener(struct world *w, enum um_relay_kind kind, const char *user,
                                 const char *password)
{
        return allow_listener(w, kind, user, password, NULL);
}

/* A kernel client that sends its request and, without waiting for the reply, bytes of
 * pattern k for the destination (early data): out is the request then the payload. */
static struct end *request_client(struct world *w, uint16_t port, const void *req, size_t req_len,
                                  int k, size_t bytes)
{
        struct end *e = kernel_client(w, port, k, bytes);
        uint8_t *out = malloc(req_len + bytes);
        assert_non_null(out);
        memcpy(out, req, req_len);
        memcpy(out + req_len, e->out, bytes);
        free(e->out);
        e->out = out;
        e->out_len = req_len + bytes;
        return e;
}

/* A SOCKS5 request: the greeting (no-auth, or RFC 1929 with user and password), then a
 * CONNECT to name (a name) or to 10.0.1.2 (name NULL), port port. */
static size_t socks_request(uint8_t *b, const char *user, const char *password, const char *name,
                            uint16_t port)
{
        size_t n = 0;
        b[n++] = 5, b[n++] = 1, b[n++] = user ? 2 : 0;
        if (user) {
                b[n++] = 1;
                b[n++] = (uint8_t)strlen(user);
                memcpy(b + n, user, strlen(user));
                n += strlen(user);
                b[n++] = (uint8_t)strlen(password);
                memcpy(b + n, password, strlen(password));
                n += strlen(password);
        }
        b[n++] = 5, b[n++] = 1, b[n++] = 0;
        if (name) {
                b[n++] = 3;
                b[n++] = (uint8_t)strlen(name);
                memcpy(b + n, name, strlen(name));
                n += strlen(name);
        } else {
                b[n++] = 1;
                b[n++] = 10, b[n++] = 0, b[n++] = 1, b[n++] = 2;
        }
        b[n++] = (uint8_t)(port >> 8), b[n++] = (uint8_t)port;
        return n;
}

/* A SOCKS5 request without credentials: CONNECT to addr (IPv4 or IPv6), port FAR_PORT. */
static size_t socks_request_to(uint8_t *b, const char *addr)
{
        size_t n = 0;
        b[n++] = 5, b[n++] = 1, b[n++] = 0;
        b[n++] = 5, b[n++] = 1, b[n++] = 0;
        if (inet_pton(AF_INET, addr, b + n + 1) == 1) {
                b[n] = 1;
                n += 5;
        } else {
                assert_int_equal(inet_pton(AF_INET6, addr, b + n + 1), 1);
                b[n] = 4;
                n += 17;
        }
        b[n++] = FAR_PORT >> 8, b[n++] = FAR_PORT & 0xff;
        return n;
}

/* What came back is the replies (reply_len bytes, checked as given, bytes 0xee skipped)
 * then the payload, SHA-256 equal to what was sent after the request. */
static void assert_relayed(const struct end *e, size_t req_len, const uint8_t *reply,
                           size_t reply_len)
{
        assert_int_equal(e->err, 0);
        assert_true(e->eof);
        assert_int_equal(e->in_len, reply_len + e->out_len - req_len);
        for (size_t i = 0; i < reply_len; i++)
                if (reply[i] != 0xee)
                        assert_int_equal(e->in[i], reply[i]);
        uint8_t a[32], b[32];
        um_sha256(NULL, e->out + req_len, e->out_len - req_len, a);
        um_sha256(NULL, e->in + reply_len, e->in_len - reply_len, b);
        assert_memory_equal(a, b, 32);
}

/* The client saw exactly these bytes, then the end (or a reset once they came). */
static void assert_refused(const struct end *e, const void *reply, size_t len)
{
        assert_true(e->eof || e->err == ECONNRESET);
        assert_int_equal(e->in_len, len);
        assert_memory_equal(e->in, reply, len);
}

/* SOCKS5 CONNECT by IPv4 address and by name (resolved by c-ares from the test's DNS
 * server), without and with RFC 1929 credentials; each client's early data and the echo
 * verified by SHA-256; wrong credentials get STATUS 1 and the end. */
static void test_socks_connect(void **state)
{
        (void)state;
        struct world w;
        char servers[32];
        world_open_dns(&w, &(struct um_relay_config){0}, servers, sizeof(servers));
        uint16_t open_port = request_listener(&w, UM_RELAY_SOCKS, NULL, NULL);
        uint16_t auth_port = request_listener(&w, UM_RELAY_SOCKS, "alice", "s3cret");
        enum { BYTES = 200000 };
        uint8_t req[600];
        size_t n[5];
        struct end *e[5];
        n[0] = socks_request(req, NULL, NULL, NULL, FAR_PORT);
        e[0] = request_client(&w, open_port, req, n[0], 0, BYTES);
        n[1] = socks_request(req, NULL, NULL, "far.test", FAR_PORT);
        e[1] = request_client(&w, open_port, req, n[1], 1, BYTES);
        n[2] = socks_request(req, "alice", "s3cret", NULL, FAR_PORT);
        e[2] = request_client(&w, auth_port, req, n[2], 2, BYTES);
        n[3] = socks_request(req, "alice", "s3cret", "far.test", FAR_PORT);
        e[3] = request_client(&w, auth_port, req, n[3], 3, BYTES);
        n[4] = socks_request(req, "alice", "wrong", NULL, FAR_PORT);
        e[4] = request_client(&w, auth_port, req, n[4], 4, 0);
        run(&w, clients_done, 20);
        /* Method selection, then (with credentials) RFC 1929's status, then REP 0 with the
         * relay's address of the connection (IPv4, its port the stack's choice). */
        static const uint8_t open_reply[] = {5, 0, 5, 0, 0, 1, 10, 0, 1, 1, 0xee, 0xee};
        static const uint8_t auth_reply[] = {5, 2, 1, 0, 5, 0, 0, 1, 10, 0, 1, 1, 0xee, 0xee};
        assert_relayed(e[0], n[0], open_reply, sizeof(open_reply));
        assert_relayed(e[1], n[1], open_reply, sizeof(open_reply));
        assert_relayed(e[2], n[2], auth_reply, sizeof(auth_reply));
        assert_relayed(e[3], n[3], auth_reply, sizeof(auth_reply));
        static const uint8_t refused[] = {5, 2, 1, 1};
        assert_refused(e[4], refused, sizeof(refused));
        printf("    SOCKS5: 4 clients (address, name, each with and without credentials) "
               "verified both ways, %d bytes each; %llu requests, %llu logins refused\n",
               BYTES, (unsigned long long)um_counter_get(w.relay_st, "RelayRequests"),
               (unsigned long long)um_counter_get(w.relay_st, "RelayAuthFailed"));
        assert_int_equal(um_counter_get(w.relay_st, "RelayRequests"), 4);
        assert_int_equal(um_counter_get(w.relay_st, "RelayAuthFailed"), 1);
        assert_int_equal(um_counter_get(w.relay_st, "RelayClosed"), 4);
        assert_int_equal(um_relay_active(w.relay), 0);
        world_close(&w);
}

/* HTTP CONNECT with early data after the empty line, verified both ways; a GET is a 405
 * and the end; a SOCKS5 BIND is REP 7 and the end; both counted as bad requests. */
static void test_http_connect_and_bad_requests(void **state)
{
        (void)state;
        struct world w;
        char servers[32];
        world_open_dns(&w, &(struct um_relay_config){0}, servers, sizeof(servers));
        uint16_t http = request_listener(&w, UM_RELAY_HTTP_CONNECT, NULL, NULL);
        uint16_t socks = request_listener(&w, UM_RELAY_SOCKS, NULL, NULL);
        enum { BYTES = 300000 };
        static const char connect[] = "CONNECT 10.0.1.2:5001 HTTP/1.1\r\nHost: 10.0.1.2:5001\r\n"
                                      "User-Agent: test\r\n\r\n";
        struct end *ok[2], *get, *bind;
        for (int k = 0; k < 2; k++)
                ok[k] = request_client(&w, http, connect, strlen(connect), k, BYTES);
        static const char get_req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        get = request_client(&w, http, get_req, strlen(get_req), 3, 0);
        static const uint8_t bind_req[] = {5, 1, 0, 5, 2, 0, 1, 10, 0, 1, 2, 0x13, 0x89};
        bind = request_client(&w, socks, bind_req, sizeof(bind_req), 4, 0);
        run(&w, clients_done, 20);
        static const char established[] = "HTTP/1.1 200 Connection established\r\n\r\n";
        for (int k = 0; k < 2; k++)
                assert_relayed(ok[k], strlen(connect), (const uint8_t *)established,
                               strlen(established));
        assert_true(get->in_len > 12 && !memcmp(get->in, "HTTP/1.1 405", 12));
        assert_true(get->eof || get->err == ECONNRESET);
        static const uint8_t rep7[] = {5, 0, 5, 7, 0, 1, 0, 0, 0, 0, 0, 0};
        assert_refused(bind, rep7, sizeof(rep7));
        printf("    HTTP CONNECT: 2 clients with early data verified both ways (%d bytes each); "
               "a GET got 405, a BIND REP 7: %llu bad requests\n",
               BYTES, (unsigned long long)um_counter_get(w.relay_st, "RelayRequestBad"));
        assert_int_equal(um_counter_get(w.relay_st, "RelayRequestBad"), 2);
        assert_int_equal(um_relay_active(w.relay), 0);
        world_close(&w);
}

/* A client that sends its request a byte every 100 ms is cut at request_timeout_ms. */
static void test_request_deadline(void **state)
{
        (void)state;
        struct world w;
        char servers[32];
        world_open_dns(&w, &(struct um_relay_config){.request_timeout_ms = 500}, servers,
                       sizeof(servers));
        uint16_t port = request_listener(&w, UM_RELAY_HTTP_CONNECT, NULL, NULL);
        static const char req[] = "CONNECT 10.0.1.2:5001 HTTP/1.1\r\nHost: 10.0.1.2:5001\r\n\r\n";
        struct end *e = kernel_client(&w, port, 0, 0);
        e->shut = 1; /* it sends by hand, and never ends */
        uint64_t start = um_clock_now_us(), next = start;
        size_t sent = 0;
        while (!e->eof && !e->err && um_clock_now_us() - start < 3000000) {
                if (um_clock_now_us() >= next && sent < strlen(req)) {
                        assert_int_equal(send(e->fd, req + sent, 1, MSG_NOSIGNAL), 1);
                        sent++;
                        next += 100000;
                }
                step(&w);
        }
        double cut = (double)(um_clock_now_us() - start) / 1e6;
        printf("    a byte each 100 ms: cut after %.2f s and %zu bytes of %zu (deadline 0.5 s); "
               "%llu request timeouts\n",
               cut, sent, strlen(req),
               (unsigned long long)um_counter_get(w.relay_st, "RelayRequestTimeouts"));
        assert_true(e->eof || e->err);
        assert_true(cut >= 0.5 && cut < 1.0);
        assert_int_equal(e->in_len, 0);
        assert_int_equal(um_counter_get(w.relay_st, "RelayRequestTimeouts"), 1);
        assert_int_equal(um_relay_active(w.relay), 0);
        world_close(&w);
}

/* A destination nobody listens on: SOCKS5 REP 5 (connection refused), HTTP 502; a name that
 * does not resolve: REP 4 (host unreachable), counted. */
static void test_request_target_refuses(void **state)
{
        (void)state;
        struct world w;
        char servers[32];
        world_open_dns(&w, &(struct um_relay_config){0}, servers, sizeof(servers));
        uint16_t socks = request_listener(&w, UM_RELAY_SOCKS, NULL, NULL);
        uint16_t http = request_listener(&w, UM_RELAY_HTTP_CONNECT, NULL, NULL);
        uint8_t req[300];
        size_t n = socks_request(req, NULL, NULL, NULL, 5999);
        struct end *s = request_client(&w, socks, req, n, 0, 0);
        n = socks_request(req, NULL, NULL, "nowhere.test", FAR_PORT);
        struct end *name = request_client(&w, socks, req, n, 1, 0);
        static const char connect[] = "CONNECT 10.0.1.2:5999 HTTP/1.1\r\n\r\n";
        struct end *h = request_client(&w, http, connect, strlen(connect), 2, 0);
        run(&w, clients_done, 10);
        static const uint8_t rep5[] = {5, 0, 5, 5, 0, 1, 0, 0, 0, 0, 0, 0};
        static const uint8_t rep4[] = {5, 0, 5, 4, 0, 1, 0, 0, 0, 0, 0, 0};
        assert_refused(s, rep5, sizeof(rep5));
        assert_refused(name, rep4, sizeof(rep4));
        assert_true(h->in_len > 12 && !memcmp(h->in, "HTTP/1.1 502", 12));
        printf("    refusing target: REP 5 and 502 (%llu connect failures); unknown name: REP 4 "
               "(%llu resolve failures)\n",
               (unsigned long long)um_counter_get(w.relay_st, "RelayConnectFailed"),
               (unsigned long long)um_counter_get(w.relay_st, "RelayResolveFailed"));
        assert_int_equal(um_counter_get(w.relay_st, "RelayConnectFailed"), 2);
        assert_int_equal(um_counter_get(w.relay_st, "RelayResolveFailed"), 1);
        assert_int_equal(um_relay_active(w.relay), 0);
        world_close(&w);
}

/* Destinations the MPTCP links can never reach are refused before any connect, with
 * SOCKS5's REP 2 (connection not allowed by ruleset) or HTTP's 403, counted: unspecified,
 * loopback, multicast, the limited broadcast, IPv4-mapped loopback, and a name that
 * resolves to loopback. With an allow-list, a destination outside it is refused the same
 * way and one inside it is relayed (a name checked as resolved). */
static void test_dest_refused(void **state)
{
        (void)state;
        struct world w;
        char servers[32];
        world_open_dns(&w, &(struct um_relay_config){.connect_timeout_ms = 1000}, servers,
                       sizeof(servers));
        uint16_t socks = request_listener(&w, UM_RELAY_SOCKS, NULL, NULL);
        uint16_t http = request_listener(&w, UM_RELAY_HTTP_CONNECT, NULL, NULL);
        uint16_t socks_allow = allow_listener(&w, UM_RELAY_SOCKS, NULL, NULL, "10.0.1.0/24");
        uint16_t http_allow =
            allow_listener(&w, UM_RELAY_HTTP_CONNECT, NULL, NULL, "192.0.2.0/24; 10.0.2.2");
        static const char *const socks_never[] = {
            "127.0.0.1", "127.9.9.9", "0.0.0.0", "224.0.0.1",       "255.255.255.255",
            "::1",       "::",        "ff02::1", "::ffff:127.0.0.1"};
        enum { NS = sizeof(socks_never) / sizeof(socks_never[0]) };
        struct end *sn[NS];
        uint8_t req[300];
        for (int i = 0; i < NS; i++) {
                size_t n = socks_request_to(req, socks_never[i]);
                sn[i] = request_client(&w, socks, req, n, i, 0);
        }
        size_t n = socks_request(req, NULL, NULL, "local.test", FAR_PORT);
        struct end *local = request_client(&w, socks, req, n, 20, 0);
        static const char *const http_never[] = {"CONNECT 127.0.0.1:5001 HTTP/1.1\r\n\r\n",
                                                 "CONNECT [::1]:5001 HTTP/1.1\r\n\r\n",
                                                 "CONNECT 0.0.0.0:5001 HTTP/1.1\r\n\r\n",
                                                 "CONNECT [::ffff:127.0.0.1]:5001 HTTP/1.1\r\n\r\n",
                                                 "CONNECT 239.1.1.1:5001 HTTP/1.1\r\n\r\n",
                                                 "CONNECT local.test:5001 HTTP/1.1\r\n\r\n"};
        enum { NH = sizeof(http_never) / sizeof(http_never[0]) };
        struct end *hn[NH];
        for (int i = 0; i < NH; i++)
                hn[i] = request_client(&w, http, http_never[i], strlen(http_never[i]), 30 + i, 0);
        /* The allow-lists: 10.0.1.0/24 for SOCKS5, 192.0.2.0/24 and 10.0.2.2 for HTTP; both
         * far addresses answer, so only the policy tells them apart. */
        enum { BYTES = 100000 };
        n = socks_request_to(req, "10.0.1.2");
        size_t in_n = n;
        struct end *in_socks = request_client(&w, socks_allow, req, n, 40, BYTES);
        n = socks_request_to(req, "10.0.2.2");
        struct end *out_socks = request_client(&w, socks_allow, req, n, 41, 0);
        n = socks_request_to(req, "127.0.0.1");
        struct end *lo_socks = request_client(&w, socks_allow, req, n, 42, 0);
        static const char in_http[] = "CONNECT 10.0.2.2:5001 HTTP/1.1\r\n\r\n";
        static const char out_http[] = "CONNECT far.test:5001 HTTP/1.1\r\n\r\n"; /* 10.0.1.2 */
        struct end *in_h = request_client(&w, http_allow, in_http, strlen(in_http), 43, BYTES);
        struct end *out_h = request_client(&w, http_allow, out_http, strlen(out_http), 44, 0);
        run(&w, clients_done, 10);
        static const uint8_t rep2[] = {5, 0, 5, 2, 0, 1, 0, 0, 0, 0, 0, 0};
        for (int i = 0; i < NS; i++) {
                if (sn[i]->in_len != sizeof(rep2) || memcmp(sn[i]->in, rep2, sizeof(rep2)))
                        fail_msg("SOCKS5 to %s: %zu bytes, REP %d", socks_never[i], sn[i]->in_len,
                                 sn[i]->in_len > 3 ? sn[i]->in[3] : -1);
                assert_refused(sn[i], rep2, sizeof(rep2));
        }
        assert_refused(local, rep2, sizeof(rep2));
        for (int i = 0; i < NH; i++)
                if (hn[i]->in_len < 12 || memcmp(hn[i]->in, "HTTP/1.1 403", 12))
                        fail_msg("%.*s: %.12s", (int)strcspn(http_never[i], "\r"), http_never[i],
                                 hn[i]->in_len ? (const char *)hn[i]->in : "nothing");
        assert_refused(out_socks, rep2, sizeof(rep2));
        assert_refused(lo_socks, rep2, sizeof(rep2));
        assert_true(out_h->in_len > 12 && !memcmp(out_h->in, "HTTP/1.1 403", 12));
        static const uint8_t ok_reply[] = {5, 0, 5, 0, 0, 1, 10, 0, 1, 1, 0xee, 0xee};
        assert_relayed(in_socks, in_n, ok_reply, sizeof(ok_reply));
        static const char established[] = "HTTP/1.1 200 Connection established\r\n\r\n";
        assert_relayed(in_h, strlen(in_http), (const uint8_t *)established, strlen(established));
        unsigned refused = NS + 1 + NH + 3;
        printf("    %u destinations refused (REP 2 or 403), %llu counted, %llu connects tried "
               "and failed; 2 inside an allow-list relayed\n",
               refused, (unsigned long long)um_counter_get(w.relay_st, "RelayDestRefused"),
               (unsigned long long)um_counter_get(w.relay_st, "RelayConnectFailed"));
        assert_int_equal(um_counter_get(w.relay_st, "RelayDestRefused"), refused);
        assert_int_equal(um_counter_get(w.relay_st, "RelayConnectFailed"), 0);
        assert_int_equal(um_counter_get(w.relay_st, "RelayClosed"), 2);
        assert_int_equal(um_relay_active(w.relay), 0);
        world_close(&w);
}

/* An allow-list is refused on a listener it does not apply to, and when malformed. */
static void test_allow_misuse(void **state)
{
        (void)state;
        struct world w;
        world_open(&w, NULL);
        char err[200], listen[32];
        snprintf(listen, sizeof(listen), "127.0.0.1:%u", free_port());
        struct um_relay_listener_spec spec = {.kind = UM_RELAY_FORWARD,
                                              .listen = listen,
                                              .target = "10.0.1.2:5001",
                                              .allow = "10.0.0.0/8"};
        assert_int_equal(um_relay_listen(w.relay, &spec, err, sizeof(err)), -EINVAL);
        printf("    %s\n", err);
        spec = (struct um_relay_listener_spec){
            .kind = UM_RELAY_SOCKS, .listen = listen, .allow = "10.1.2.3/8"};
        assert_int_equal(um_relay_listen(w.relay, &spec, err, sizeof(err)), -EINVAL);
        printf("    %s\n", err);
        assert_non_null(strstr(err, "10.1.2.3/8"));
        world_close(&w);
}

/* A connection made to a transparent listener itself (no nftables rule sent it) has the
 * listener for its original destination: the relay would connect to itself. Reset,
 * counted. (REDIRECT and TPROXY need a namespace of one's own: test_umptcpd_proxy.sh.) */
static void test_transparent_refuses_loop(void **state)
{
        (void)state;
        struct world w;
        world_open(&w, NULL);
        uint16_t port = request_listener(&w, UM_RELAY_TRANSPARENT, NULL, NULL);
        struct end *e = kernel_client(&w, port, 0, 100);
        run(&w, all_settled, 5);
        printf("    a connection to the transparent listener itself: %s, %llu loops refused\n",
               e->err == ECONNRESET ? "reset" : "not reset",
               (unsigned long long)um_counter_get(w.relay_st, "RelayLoopRefused"));
        assert_int_equal(e->err, ECONNRESET);
        assert_int_equal(um_counter_get(w.relay_st, "RelayLoopRefused"), 1);
        assert_int_equal(um_relay_active(w.relay), 0);
        world_close(&w);
}

/* Clients that go before their request is answered: one mid-request (counted as
 * abandoned), one that resets while its name is being resolved (its query, still asked when
 * the relay is freed, is answered to nobody), and one whose name is never answered within the
 * connect timeout (REP 6, TTL expired, as RFC 1928 §6 has it for a timeout). */
static void test_request_vanishing(void **state)
{
        (void)state;
        struct world w;
        char servers[32];
        world_open_dns(&w, &(struct um_relay_config){.connect_timeout_ms = 1000}, servers,
                       sizeof(servers));
        uint16_t port = request_listener(&w, UM_RELAY_SOCKS, NULL, NULL);
        static const uint8_t half[] = {5, 1, 0, 5, 1, 0, 3}; /* then the end */
        struct end *gone = request_client(&w, port, half, sizeof(half), 0, 0);
        uint8_t req[300];
        size_t n = socks_request(req, NULL, NULL, "slow.test", FAR_PORT);
        struct end *reset = request_client(&w, port, req, n, 1, 0);
        reset->shut = 1;
        struct end *waits = request_client(&w, port, req, n, 2, 0);
        uint64_t until = um_clock_now_us() + 300000;
        while (um_clock_now_us() < until)
                step(&w);
        assert_int_equal(um_relay_active(w.relay), 2); /* both resolving */
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(reset->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        close(reset->fd);
        reset->closed = reset->eof = 1;
        run(&w, all_settled, 5);
        static const uint8_t rep6[] = {5, 0, 5, 6, 0, 1, 0, 0, 0, 0, 0, 0};
        assert_refused(waits, rep6, sizeof(rep6));
        assert_true(gone->eof || gone->err);
        printf("    vanishing clients: %llu abandoned, %llu reset while resolving, %llu "
               "connect timeouts (REP 6)\n",
               (unsigned long long)um_counter_get(w.relay_st, "RelayRequestAbandoned"),
               (unsigned long long)um_counter_get(w.relay_st, "RelayResetsFromKernel"),
               (unsigned long long)um_counter_get(w.relay_st, "RelayConnectTimeouts"));
        assert_int_equal(um_counter_get(w.relay_st, "RelayRequestAbandoned"), 1);
        assert_int_equal(um_counter_get(w.relay_st, "RelayResetsFromKernel"), 1);
        assert_int_equal(um_counter_get(w.relay_st, "RelayConnectTimeouts"), 1);
        assert_int_equal(um_relay_active(w.relay), 0);
        world_close(&w);
}

/* A non-loopback IPv4 address of this host's kernel (the test's namespace), or 0. */
static int host_ipv4(char *out, size_t len)
{
        struct ifaddrs *ifs;
        int found = 0;
        if (getifaddrs(&ifs) < 0)
                return 0;
        for (const struct ifaddrs *i = ifs; i && !found; i = i->ifa_next) {
                if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
                        continue;
                const struct sockaddr_in *in = (const struct sockaddr_in *)i->ifa_addr;
                if ((ntohl(in->sin_addr.s_addr) >> 24) != 127)
                        found = inet_ntop(AF_INET, &in->sin_addr, out, (socklen_t)len) != NULL;
        }
        freeifaddrs(ifs);
        return found;
}

/* The relay's links end in this host's kernel, which routes onward: a destination that is
 * one of the host's addresses (the kernel's, or the stack's own link addresses) reaches the
 * host's services from the TUN side, and a link-local one the host's neighbours (a cloud's
 * metadata service). All are refused with REP 2 / 403 and counted, so are loopback and
 * link-local hidden in IPv4-compatible and NAT64 (64:ff9b::/96) forms. An allow-list does
 * not re-allow this host, and re-allows link-local only with a prefix inside it. */
static void test_dest_refused_this_host(void **state)
{
        (void)state;
        struct world w;
        char servers[32];
        world_open_dns(&w, &(struct um_relay_config){.connect_timeout_ms = 1000}, servers,
                       sizeof(servers));
        uint16_t socks = request_listener(&w, UM_RELAY_SOCKS, NULL, NULL);
        uint16_t http = request_listener(&w, UM_RELAY_HTTP_CONNECT, NULL, NULL);
        uint16_t wide = allow_listener(&w, UM_RELAY_SOCKS, NULL, NULL, "0.0.0.0/0;::/0");
        uint16_t ll =
            allow_listener(&w, UM_RELAY_SOCKS, NULL, NULL, "169.254.169.0/24;10.0.1.0/24");
        char host[INET_ADDRSTRLEN] = "", host64[64] = "";
        int have_host = host_ipv4(host, sizeof(host));
        if (have_host)
                snprintf(host64, sizeof(host64), "64:ff9b::%s", host);
        const char *never[] = {"10.0.1.1",
                               "10.0.2.1",
                               "169.254.169.254",
                               "169.254.1.1",
                               "fe80::1",
                               "::ffff:169.254.169.254",
                               "64:ff9b::127.0.0.1",
                               "::127.0.0.1",
                               "64:ff9b::169.254.169.254",
                               "64:ff9b::10.0.1.1",
                               "::ffff:10.0.2.1",
                               have_host ? host : "10.0.1.1",
                               have_host ? host64 : "10.0.2.1"};
        enum { NN = sizeof(never) / sizeof(never[0]) };
        struct end *e[NN];
        uint8_t req[300];
        for (int i = 0; i < NN; i++) {
                size_t n = socks_request_to(req, never[i]);
                e[i] = request_client(&w, socks, req, n, i, 0);
        }
        static const char *const http_never[] = {"CONNECT 10.0.1.1:5001 HTTP/1.1\r\n\r\n",
                                                 "CONNECT 169.254.169.254:80 HTTP/1.1\r\n\r\n",
                                                 "CONNECT [64:ff9b::7f00:1]:80 HTTP/1.1\r\n\r\n"};
        enum { NH = sizeof(http_never) / sizeof(http_never[0]) };
        struct end *h[NH];
        for (int i = 0; i < NH; i++)
                h[i] = request_client(&w, http, http_never[i], strlen(http_never[i]), 20 + i, 0);
        /* 0.0.0.0/0 names neither link-local nor this host; 169.254.169.0/24 names the
         * metadata address (the connect is tried: nobody answers it over the links), and
         * 10.0.1.0/24 does not name this host's 10.0.1.1. */
        size_t n = socks_request_to(req, "169.254.169.254");
        struct end *wide_ll = request_client(&w, wide, req, n, 30, 0);
        n = socks_request_to(req, "10.0.1.1");
        struct end *wide_host = request_client(&w, wide, req, n, 31, 0);
        n = socks_request_to(req, "169.254.169.254");
        struct end *named_ll = request_client(&w, ll, req, n, 32, 0);
        n = socks_request_to(req, "10.0.1.1");
        struct end *named_host = request_client(&w, ll, req, n, 33, 0);
        enum { BYTES = 50000 };
        n = socks_request_to(req, "10.0.1.2");
        size_t ok_n = n;
        struct end *ok = request_client(&w, ll, req, n, 34, BYTES);
        run(&w, clients_done, 10);
        static const uint8_t rep2[] = {5, 0, 5, 2, 0, 1, 0, 0, 0, 0, 0, 0};
        unsigned refused = 0;
        for (int i = 0; i < NN; i++) {
                int is_rep2 = e[i]->in_len == sizeof(rep2) && !memcmp(e[i]->in, rep2, sizeof(rep2));
                printf("    SOCKS5 to %-26s REP %d\n", never[i],
                       e[i]->in_len > 3 ? e[i]->in[3] : -1);
                refused += is_rep2;
        }
        for (int i = 0; i < NH; i++) {
                int is_403 = h[i]->in_len >= 12 && !memcmp(h[i]->in, "HTTP/1.1 403", 12);
                printf("    %.*s: %.12s\n", (int)strcspn(http_never[i], "\r"), http_never[i],
                       h[i]->in_len ? (const char *)h[i]->in : "nothing");
                refused += is_403;
        }
        struct end *allowed[] = {wide_ll, wide_host, named_ll, named_host};
        static const char *const what[] = {
            "169.254.169.254 inside 0.0.0.0/0", "10.0.1.1 inside 0.0.0.0/0",
            "169.254.169.254 inside 169.254.169.0/24", "10.0.1.1 inside 10.0.1.0/24"};
        for (int i = 0; i < 4; i++)
                printf("    allow-list, %s: REP %d\n", what[i],
                       allowed[i]->in_len > 3 ? allowed[i]->in[3] : -1);
        printf("    %u of %d refused as this host / link-local / embedded (host address %s); "
               "%llu counted\n",
               refused, NN + NH, have_host ? host : "none but the stack's",
               (unsigned long long)um_counter_get(w.relay_st, "RelayDestRefused"));
        assert_int_equal(refused, NN + NH);
        assert_refused(wide_ll, rep2, sizeof(rep2));
        assert_refused(wide_host, rep2, sizeof(rep2));
        assert_refused(named_host, rep2, sizeof(rep2));
        /* Let through by its link-local prefix: nobody answers it, a timeout (REP 6). */
        assert_true(named_ll->in_len > 3 && named_ll->in[3] == 6);
        static const uint8_t ok_reply[] = {5, 0, 5, 0, 0, 1, 10, 0, 1, 1, 0xee, 0xee};
        assert_relayed(ok, ok_n, ok_reply, sizeof(ok_reply));
        assert_int_equal(um_counter_get(w.relay_st, "RelayDestRefused"), NN + NH + 3);
        assert_int_equal(um_relay_active(w.relay), 0);
        world_close(&w);
}

static int fd_reset(int fd)
{
        char b;
        return recv(fd, &b, 1, MSG_DONTWAIT) < 0 && errno == ECONNRESET;
}

/* Clients that connect to a SOCKS5 listener and say nothing hold their slot until their
 * request times out: with --max-conns 20, 20 of them used to lock every listener out
 * (renewed every 9 s, for good). Those reading their request now have their own cap
 * (max(8, max_conns / 4)): past it they are reset and counted, a --forward client is still
 * relayed, and 1,000 more refusals log a bounded number of lines. */
static void test_request_phase_cap(void **state)
{
        (void)state;
        struct world w;
        FILE *log = tmpfile();
        assert_non_null(log);
        char servers[32];
        struct um_relay_config cfg = {.max_conns = 20};
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t sl = sizeof(sa);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
        snprintf(servers, sizeof(servers), "127.0.0.1:%u", ntohs(sa.sin_port));
        cfg.dns_servers = servers;
        world_open_log(&w, &cfg, log);
        w.dns = fd;
        uint16_t socks = request_listener(&w, UM_RELAY_SOCKS, NULL, NULL);
        uint16_t port = forward_listener(&w);
        enum { IDLE = 20, FLOOD = 1000, BATCH = 100 };
        for (int k = 0; k < IDLE; k++)
                kernel_client(&w, socks, k, 0)->shut = 1; /* says nothing, never ends */
        uint64_t until = um_clock_now_us() + 300000;
        while (um_clock_now_us() < until)
                step(&w);
        unsigned idle_open = um_relay_active(w.relay);
        struct end *fwd = kernel_client(&w, port, 40, 20000);
        run(&w, clients_done, 3);
        printf("    %d silent SOCKS5 clients, max_conns 20: %u held, %llu refused; a forward "
               "client: %s\n",
               IDLE, idle_open,
               (unsigned long long)um_counter_get(w.relay_st, "RelayRefusedRequesting"),
               fwd->err                      ? strerror(fwd->err)
               : fwd->in_len == fwd->out_len ? "echoed"
                                             : "stuck");
        assert_int_equal(fwd->err, 0);
        assert_echoed(fwd);
        assert_int_equal(idle_open, 8);
        /* The flood: each refused at once, before anything is kept for it. */
        uint64_t start = um_clock_now_us();
        uint64_t refused0 = um_counter_get(w.relay_st, "RelayRefusedRequesting") +
                            um_counter_get(w.relay_st, "RelayRefusedFull");
        for (int b = 0; b < FLOOD / BATCH; b++) {
                int fds[BATCH];
                for (int i = 0; i < BATCH; i++) {
                        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
                        struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(socks)};
                        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                        connect(fds[i], (struct sockaddr *)&to, sizeof(to));
                }
                uint64_t by = um_clock_now_us() + 2000000;
                int done = 0, gone[BATCH] = {0};
                while (done < BATCH && um_clock_now_us() < by) {
                        step(&w);
                        for (int i = 0; i < BATCH; i++)
                                if (!gone[i] && (fds[i] < 0 || fd_reset(fds[i]))) {
                                        gone[i] = 1; /* a reset is told once */
                                        done++;
                                }
                }
                for (int i = 0; i < BATCH; i++)
                        close(fds[i]);
        }
        double took = (double)(um_clock_now_us() - start) / 1e6;
        uint64_t refused = um_counter_get(w.relay_st, "RelayRefusedRequesting") +
                           um_counter_get(w.relay_st, "RelayRefusedFull") - refused0;
        /* A second later the count of those not logged has a line of its own. */
        until = um_clock_now_us() + 1200000;
        while (um_clock_now_us() < until)
                step(&w);
        fflush(log);
        rewind(log);
        char line[512];
        unsigned lines = 0, refusal_lines = 0;
        unsigned long long told = 0, more;
        while (fgets(line, sizeof(line), log)) {
                lines++;
                refusal_lines += strstr(line, ": refused ") != NULL;
                told += strstr(line, ": refused ") != NULL;
                const char *m = strstr(line, "relay: ");
                if (m && sscanf(m, "relay: %llu more refusals", &more) == 1)
                        told += more;
                else if ((m = strstr(line, "(")) && sscanf(m, "(%llu more like it", &more) == 1)
                        told += more;
                printf("    log: %s", line);
        }
        fclose(log);
        printf("    %d more clients in %.2f s: %llu refused; the log: %u refusal lines, %u in "
               "all, telling of %llu refusals\n",
               FLOOD, took, (unsigned long long)refused, refusal_lines, lines, told);
        assert_int_equal(refused, FLOOD);
        assert_int_equal(told, IDLE - 8 + FLOOD); /* each refusal told, as a line or a count */
        /* One line a second per kind of refusal, and the first of each: a handful. */
        assert_true(refusal_lines <= 2 * (unsigned)(took + 2));
        world_close(&w);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_forward_both_ways),
            cmocka_unit_test(test_accept_with_proxy_header),
            cmocka_unit_test(test_refusals),
            cmocka_unit_test(test_slow_reader_bounded),
            cmocka_unit_test(test_accept_out_of_fds),
            cmocka_unit_test(test_hang_up_while_held),
            cmocka_unit_test(test_accept_burst),
            cmocka_unit_test(test_socks_connect),
            cmocka_unit_test(test_http_connect_and_bad_requests),
            cmocka_unit_test(test_request_deadline),
            cmocka_unit_test(test_request_target_refuses),
            cmocka_unit_test(test_request_vanishing),
            cmocka_unit_test(test_transparent_refuses_loop),
            cmocka_unit_test(test_show_names_kernel_side),
            cmocka_unit_test(test_socket_buffer_sizes_the_queues),
            cmocka_unit_test(test_dest_refused),
            cmocka_unit_test(test_allow_misuse),
            cmocka_unit_test(test_dest_refused_this_host),
            cmocka_unit_test(test_request_phase_cap),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
