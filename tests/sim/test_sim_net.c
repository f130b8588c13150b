/* The network emulator (um_sim_net in include/umptcp/sim.h): hosts and routers, routes
 * found by the routers, flows with their own start times, and the shared bottleneck of
 * RFC 6356's second goal (do no harm): an MPTCP connection whose two subflows cross the
 * bottleneck a TCP flow crosses takes about twice the TCP flow's share when uncoupled
 * (CUBIC) and about one share with coupled congestion control. Every flow that completes
 * is verified by SHA-256. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <umptcp/mptcp.h>
#include <umptcp/sim.h>

#include "simtest.h"

#define MB (1024 * 1024)

static struct um_emu_dir_config fast(void)
{
        return (struct um_emu_dir_config){.rate_bps = 1000000000, .delay_us = 1000};
}

static struct um_emu_dir_config bottleneck(void)
{
        return (struct um_emu_dir_config){
            .rate_bps = 20000000, .delay_us = 10000, .queue_packets = 50};
}

/* a -- r1 == r2 -- b, two flows a->b starting 1 s apart, both verified; the bottleneck
 * carried them both. */
static void test_two_flows_through_two_routers(void **state)
{
        (void)state;
        uint64_t seed = simtest_seed();
        struct um_sim_net *net = um_sim_net_new(seed);
        int a = um_sim_net_host(net, "a"), b = um_sim_net_host(net, "b");
        int r1 = um_sim_net_router(net, "r1"), r2 = um_sim_net_router(net, "r2");
        assert_int_equal(um_sim_net_router(net, "r1"), -EEXIST);
        struct um_emu_dir_config f = fast(), bn = bottleneck();
        assert_true(um_sim_net_link(net, a, "10.1.0.1/24", r1, NULL, &f, &f, 0) >= 0);
        int mid = um_sim_net_link(net, r1, NULL, r2, NULL, &bn, &bn, 0);
        assert_true(mid >= 0);
        assert_true(um_sim_net_link(net, r2, NULL, b, "10.2.0.2/24", &f, &f, 0) >= 0);
        assert_int_equal(um_sim_net_link(net, a, NULL, r1, NULL, &f, &f, 0), -EINVAL);
        struct um_sim_flow fl = {
            .name = "first", .client = a, .server = b, .server_addr = "10.2.0.2", .bytes = 2 * MB};
        int f1 = um_sim_net_flow(net, &fl);
        fl.name = "second";
        fl.start_us = 1000000;
        fl.protocol = IPPROTO_MPTCP;
        int f2 = um_sim_net_flow(net, &fl);
        assert_int_equal(um_sim_net_run(net, 60000000, 0, NULL, NULL), 1);
        struct um_sim_flow_result r1r, r2r;
        um_sim_net_flow_result(net, f1, &r1r);
        um_sim_net_flow_result(net, f2, &r2r);
        printf("    first: %.2f Mbit/s, second (from 1 s): %.2f Mbit/s\n", r1r.goodput_bps / 1e6,
               r2r.goodput_bps / 1e6);
        assert_true(r1r.verified && r2r.verified);
        assert_true(r2r.start_us >= 1000000);
        /* Each byte took at least the one-way delay (12 ms) from write to read; the
         * quantiles are in order. */
        printf(
            "    delay per byte: mean %.1f ms, p50 %.1f, p95 %.1f, p99 %.1f; MPTCP subflows %d\n",
            r2r.delay_mean_us / 1e3, r2r.delay_p50_us / 1e3, r2r.delay_p95_us / 1e3,
            r2r.delay_p99_us / 1e3, r2r.n_subflows);
        assert_true(r1r.delay_mean_us >= 12000 && r2r.delay_p50_us >= 12000);
        assert_true(r2r.delay_p50_us <= r2r.delay_p95_us && r2r.delay_p95_us <= r2r.delay_p99_us);
        /* One address: one subflow, which carried every byte. */
        assert_int_equal(r2r.n_subflows, 1);
        assert_string_equal(r2r.subflows[0].local, "10.1.0.1");
        assert_true(r2r.subflows[0].bytes_sent >= 2 * MB);
        assert_true(um_sim_net_link_stats(net, mid, 0)->delivered_bytes > 4 * MB);
        um_sim_net_free(net);
}

/* RFC 6356 §2, goal 2: m has two addresses, both behind r1; t one; the bottleneck r1-r2
 * (20 Mbit/s) is shared; both flows go to s for 10 s. Returns MPTCP's bytes over TCP's. */
static double do_no_harm(const char *cc)
{
        uint64_t seed = simtest_seed();
        struct um_sim_net *net = um_sim_net_new(seed);
        int m = um_sim_net_host(net, "m"), t = um_sim_net_host(net, "t");
        int s = um_sim_net_host(net, "s"), r1 = um_sim_net_router(net, "r1"),
            r2 = um_sim_net_router(net, "r2");
        struct um_emu_dir_config f = fast(), bn = bottleneck();
        um_sim_net_link(net, m, "10.1.0.1/24", r1, NULL, &f, &f, 0);
        um_sim_net_link(net, m, "10.1.1.1/24", r1, NULL, &f, &f, 0);
        um_sim_net_link(net, t, "10.3.0.1/24", r1, NULL, &f, &f, 0);
        int mid = um_sim_net_link(net, r1, NULL, r2, NULL, &bn, &bn, 0);
        um_sim_net_link(net, r2, NULL, s, "10.2.0.2/24", &f, &f, 0);
        struct um_sim_flow mp = {.name = "mptcp",
                                 .client = m,
                                 .server = s,
                                 .server_addr = "10.2.0.2",
                                 .protocol = IPPROTO_MPTCP,
                                 .bytes = 200 * MB,
                                 .cc = cc};
        struct um_sim_flow tcp = {
            .name = "tcp", .client = t, .server = s, .server_addr = "10.2.0.2", .bytes = 200 * MB};
        int fm = um_sim_net_flow(net, &mp), ft = um_sim_net_flow(net, &tcp);
        assert_int_equal(um_sim_net_run(net, 10000000, 0, NULL, NULL), 0);
        double bm = (double)um_sim_net_flow_received(net, fm),
               bt = (double)um_sim_net_flow_received(net, ft);
        double carried = (double)um_sim_net_link_stats(net, mid, 0)->delivered_bytes;
        printf("    %-6s MPTCP %.2f Mbit/s, TCP %.2f Mbit/s: %.2f x; bottleneck %.1f%% used\n", cc,
               bm * 8 / 10e6, bt * 8 / 10e6, bm / bt, carried * 8 / 10e6 / 20 * 100);
        assert_true(bm > 0 && bt > 0);
        um_sim_net_free(net);
        return bm / bt;
}

static void test_shared_bottleneck_do_no_harm(void **state)
{
        (void)state;
        assert_true(do_no_harm("cubic") > 1.5);
        assert_true(do_no_harm("lia") < 1.3);
        assert_true(do_no_harm("olia") < 1.3);
        assert_true(do_no_harm("balia") < 1.3);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_two_flows_through_two_routers),
            cmocka_unit_test(test_shared_bottleneck_do_no_harm),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
