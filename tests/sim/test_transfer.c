/* Bulk transfers of 10 MB under the impairments a serious stack must survive, each
 * verified end to end by SHA-256. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>
#include <umptcp/mptcp.h>
#include <umptcp/socket.h>

#include "simtest.h"

#define MB (1024 * 1024)

static void run(const char *name, struct um_sim_transfer_cfg *cfg)
{
        struct um_sim_transfer_result r;
        assert_true(simtest_transfer(name, cfg, &r));
        assert_int_equal(r.client_error, 0);
        assert_int_equal(r.server_error, 0);
}

static void test_clean_path(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {.bytes = 10 * MB, .path = simtest_path(100, 10)};
        run("clean 100M/10ms", &c);
}

static void test_random_loss_1pct(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {.bytes = 10 * MB, .path = simtest_path(100, 10)};
        c.path.fwd.loss = c.path.rev.loss = 0.01;
        struct um_sim_transfer_result r;
        assert_true(simtest_transfer("loss 1%", &c, &r));
        assert_true(r.retrans_segs > 0);
}

static void test_random_loss_5pct(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {.bytes = 10 * MB, .path = simtest_path(100, 10)};
        c.path.fwd.loss = c.path.rev.loss = 0.05;
        run("loss 5%", &c);
}

static void test_burst_loss(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {.bytes = 10 * MB, .path = simtest_path(50, 20)};
        c.path.fwd.ge_p = c.path.rev.ge_p = 0.01;
        c.path.fwd.ge_r = c.path.rev.ge_r = 0.25;
        c.path.fwd.ge_loss_bad = c.path.rev.ge_loss_bad = 0.6;
        run("Gilbert-Elliott bursts", &c);
}

static void test_reordering(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {.bytes = 10 * MB, .path = simtest_path(0, 10)};
        c.path.fwd.reorder = c.path.rev.reorder = 0.03;
        c.path.fwd.reorder_delay_us = c.path.rev.reorder_delay_us = 8000;
        struct um_sim_transfer_result r;
        assert_true(simtest_transfer("reordering 3%, 8 ms, no queue", &c, &r));
        /* Nothing is lost: D-SACKs (RFC 2883) widen RACK's reordering window (RFC 8985
         * §6.2) after the first few spurious retransmissions, so they stay few. */
        assert_int_equal(r.link_drops, 0);
        assert_true(r.retrans_segs < 40);
}

static void test_duplication(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {.bytes = 10 * MB, .path = simtest_path(100, 10)};
        c.path.fwd.duplicate = c.path.rev.duplicate = 0.05;
        run("duplication 5%", &c);
}

static void test_jitter(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {.bytes = 10 * MB, .path = simtest_path(100, 10)};
        c.path.fwd.jitter_us = c.path.rev.jitter_us = 5000;
        run("jitter 5ms", &c);
}

static void test_small_bdp(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {.bytes = 10 * MB, .path = simtest_path(1000, 0.05)};
        run("small BDP 1G/50us", &c);
}

static void test_large_bdp(void **state)
{
        (void)state;
        /* 500 Mbit/s with a 200 ms RTT: a 12.5 MB bandwidth-delay product needs window
         * scaling and receive-buffer growth. */
        struct um_sim_transfer_cfg c = {.bytes = 40 * MB, .path = simtest_path(500, 100)};
        struct um_sim_transfer_result r;
        assert_true(simtest_transfer("large BDP 500M/200ms", &c, &r));
        /* Slow start alone would take ~10 RTTs to fill it; 40 MB must not take minutes. */
        assert_true(r.seconds < 20);
}

static void test_unlimited_rate(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {.bytes = 10 * MB, .path = simtest_path(0, 0)};
        run("unlimited, no delay", &c);
}

/* SO_MEMINFO while the receiver reads nothing (the first second): the bytes held for it
 * grow, never past its buffer; the sender holds bytes too. TCP and MPTCP alike. */
static uint32_t meminfo_rmem_max;

static void watch_meminfo(void *arg, struct um_stack *cli, int cfd, struct um_stack *srv, int sfd,
                          uint64_t now)
{
        (void)arg;
        if (sfd < 0 || now > 900000)
                return;
        uint32_t m[UM_SK_MEMINFO_VARS] = {0}, c[UM_SK_MEMINFO_VARS] = {0};
        socklen_t len = sizeof(m);
        assert_int_equal(um_getsockopt(srv, sfd, SOL_SOCKET, SO_MEMINFO, m, &len), 0);
        assert_int_equal(len, sizeof(m));
        assert_true(m[UM_SK_MEMINFO_RMEM_ALLOC] <= m[UM_SK_MEMINFO_RCVBUF]);
        if (m[UM_SK_MEMINFO_RMEM_ALLOC] > meminfo_rmem_max)
                meminfo_rmem_max = m[UM_SK_MEMINFO_RMEM_ALLOC];
        len = sizeof(c);
        assert_int_equal(um_getsockopt(cli, cfd, SOL_SOCKET, SO_MEMINFO, c, &len), 0);
        assert_true(c[UM_SK_MEMINFO_WMEM_ALLOC] <= c[UM_SK_MEMINFO_SNDBUF]);
}

static void test_meminfo(void **state)
{
        (void)state;
        for (int mptcp = 0; mptcp <= 1; mptcp++) {
                struct um_sim_transfer_cfg c = {.bytes = 8 * MB,
                                                .path = simtest_path(50, 10),
                                                .protocol = mptcp ? IPPROTO_MPTCP : IPPROTO_TCP,
                                                .read_pause_until_us = 1000000,
                                                .on_step = watch_meminfo};
                meminfo_rmem_max = 0;
                run(mptcp ? "MPTCP, the receiver pauses 1 s" : "TCP, the receiver pauses 1 s", &c);
                printf("    receive memory peak in the pause: %u bytes\n", meminfo_rmem_max);
                assert_true(meminfo_rmem_max > 64 * 1024);
        }
}

/* The most paths a transfer takes: every link is freed at the end (LeakSanitizer, in the
 * sanitizer build, found those of paths 5 to 8 left behind). */
static void test_eight_paths(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {.bytes = 4 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .path = simtest_path(20, 5),
                                        .n_more_paths = UM_SIM_MAX_PATHS - 1};
        for (int k = 0; k < c.n_more_paths; k++)
                c.more_paths[k] = simtest_path(20, 5 + k);
        run("MPTCP over 8 paths", &c);
}

static void test_bidirectional(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {
            .bytes = 10 * MB, .reverse_bytes = 10 * MB, .path = simtest_path(100, 10)};
        c.path.fwd.loss = c.path.rev.loss = 0.005;
        run("both ways, loss 0.5%", &c);
}

static void test_ipv6_reno(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {
            .bytes = 10 * MB, .ipv6 = 1, .cc = "reno", .path = simtest_path(100, 10)};
        c.path.fwd.loss = c.path.rev.loss = 0.01;
        run("IPv6, Reno, loss 1%", &c);
}

static void test_small_mtu(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {.bytes = 10 * MB, .path = simtest_path(100, 5)};
        c.path.mtu = 576;
        run("MTU 576", &c);
}

static void test_small_buffers(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {
            .bytes = 10 * MB, .sndbuf = 8192, .rcvbuf = 8192, .path = simtest_path(100, 10)};
        run("8 KB socket buffers", &c);
}

static void test_same_seed_same_run(void **state)
{
        (void)state;
        /* DESIGN: with a seed, a simulated run repeats exactly: same timing, same losses,
         * same retransmissions. */
        struct um_sim_transfer_result r1, r2, r3;
        struct um_sim_transfer_cfg c = {.bytes = 4 * MB, .path = simtest_path(50, 10)};
        c.path.fwd.loss = c.path.rev.loss = 0.02;
        c.path.fwd.reorder = 0.01;
        c.path.fwd.jitter_us = 2000;
        assert_true(simtest_transfer("repeat A", &c, &r1));
        assert_true(simtest_transfer("repeat B (same seed)", &c, &r2));
        assert_true(r1.seconds == r2.seconds);
        assert_int_equal(r1.retrans_segs, r2.retrans_segs);
        assert_int_equal(r1.link_drops, r2.link_drops);
        assert_int_equal(r1.timeouts, r2.timeouts);
        c.seed ^= 0x5a5a;
        assert_true(simtest_transfer("repeat C (other seed)", &c, &r3));
        assert_true(r3.seconds != r1.seconds || r3.link_drops != r1.link_drops);
}

int main(void)
{
        simtest_seed();
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_clean_path),
            cmocka_unit_test(test_random_loss_1pct),
            cmocka_unit_test(test_random_loss_5pct),
            cmocka_unit_test(test_burst_loss),
            cmocka_unit_test(test_reordering),
            cmocka_unit_test(test_duplication),
            cmocka_unit_test(test_jitter),
            cmocka_unit_test(test_small_bdp),
            cmocka_unit_test(test_large_bdp),
            cmocka_unit_test(test_unlimited_rate),
            cmocka_unit_test(test_bidirectional),
            cmocka_unit_test(test_ipv6_reno),
            cmocka_unit_test(test_small_mtu),
            cmocka_unit_test(test_small_buffers),
            cmocka_unit_test(test_same_seed_same_run),
            cmocka_unit_test(test_eight_paths),
            cmocka_unit_test(test_meminfo),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
