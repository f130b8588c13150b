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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <umptcp/link.h>
#include <umptcp/mptcp.h>
#include <umptcp/mptcp_pm.h>
#include <umptcp/relay.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include "core/sha256.h"
#include "relay/relay.h"
#include "simtest.h"

enum { FAR_PORT = 5001, MAX_ENDS = 64 };

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

static void step(struct world *w)
{
        um_relay_run_once(w->relay, 0);
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

static void world_open(struct world *w, const struct um_relay_config *cfg)
{
        memset(w, 0, sizeof(*w));
        w->seed = simtest_seed();
        w->backend = -1;
        w->relay_st = um_stack_new(&(struct um_stack_config){.seed = w->seed, .name = "relay"});
        w->far = um_stack_new(&(struct um_stack_config){.seed = w->seed + 1, .name = "far"});
        assert_non_null(w->relay_st);
        assert_non_null(w->far);
        struct um_emu_dir_config d = {.rate_bps = 1000000000, .delay_us = 1000};
        for (int p = 0; p < 2; p++) {
                assert_int_equal(um_link_emu_pair(&d, &d, 1500, w->seed + (uint64_t)p,
                                                  &w->links[2 * p], &w->links[2 * p + 1]),
                                 0);
                char a[32];
                int i = um_stack_add_iface(w->relay_st, w->links[2 * p]);
                snprintf(a, sizeof(a), "10.0.%d.1/24", p + 1);
                assert_int_equal(um_stack_add_addr(w->relay_st, i, a), 0);
                i = um_stack_add_iface(w->far, w->links[2 * p + 1]);
                snprintf(a, sizeof(a), "10.0.%d.2/24", p + 1);
                assert_int_equal(um_stack_add_addr(w->far, i, a), 0);
        }
        /* Each side opens its second path's subflow from its second address. */
        assert_true(um_mptcp_endpoint_add(w->relay_st, "10.0.2.1", UM_MPTCP_PM_SUBFLOW, 0) > 0);
        assert_true(um_mptcp_endpoint_add(w->far, "10.0.2.2", UM_MPTCP_PM_SUBFLOW, 0) > 0);
        assert_int_equal(um_relay_new(w->relay_st, cfg, &w->relay), 0);
        w->far_listener = um_socket(w->far, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(FAR_PORT)};
        assert_int_equal(um_bind(w->far, w->far_listener, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(um_listen(w->far, w->far_listener, 128), 0);
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

static int all_settled(const struct world *w)
{
        for (int i = 0; i < w->n_ends; i++)
                if (!w->ends[i].echo && !w->ends[i].err && !w->ends[i].eof)
                        return 0;
        return 1;
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

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_forward_both_ways),
            cmocka_unit_test(test_accept_with_proxy_header),
            cmocka_unit_test(test_refusals),
            cmocka_unit_test(test_slow_reader_bounded),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
