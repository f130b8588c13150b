/* Timer-driven behaviour over whole connections: RTO backoff on a dead link and recovery
 * when it returns, aborting after the retries, zero-window probing, keepalive. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "pair.h"
#include "simtest.h"

#define MB (1024 * 1024)

struct rto_watch {
        uint64_t last_count;
        uint64_t times[32];
        int n;
        uint8_t max_backoff;
};

static void watch_rto(void *arg, struct um_stack *cli, int cfd, struct um_stack *srv, int sfd,
                      uint64_t now)
{
        struct rto_watch *w = arg;
        (void)srv;
        (void)sfd;
        uint64_t c = um_counter_get(cli, "TcpExtTCPTimeouts");
        if (c != w->last_count && w->n < 32)
                w->times[w->n++] = now;
        w->last_count = c;
        struct tcp_info ti;
        socklen_t len = sizeof(ti);
        if (um_getsockopt(cli, cfd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
            ti.tcpi_backoff > w->max_backoff)
                w->max_backoff = ti.tcpi_backoff;
}

static void test_rto_backoff_then_recovery(void **state)
{
        (void)state;
        struct rto_watch w = {0};
        struct um_sim_transfer_cfg c = {.bytes = 4 * MB, .path = simtest_path(50, 10)};
        struct um_emu_outage out = {500000, 30500000}; /* dead from 0.5 s to 30.5 s */
        c.path.fwd.outages[0] = c.path.rev.outages[0] = out;
        c.path.fwd.n_outages = c.path.rev.n_outages = 1;
        c.on_step = watch_rto;
        c.step_arg = &w;
        assert_true(simtest_transfer("30 s outage", &c, NULL));
        printf("RTOs at:");
        for (int i = 0; i < w.n; i++)
                printf(" %.3f", (double)w.times[i] / 1e6);
        printf(" s; max backoff %u\n", w.max_backoff);
        /* At least 5 timeouts in 30 s, each gap about twice the one before (RFC 6298 §5.5). */
        assert_true(w.n >= 5);
        assert_true(w.max_backoff >= 4);
        for (int i = 2; i < w.n && w.times[i] < 30500000; i++) {
                uint64_t g1 = w.times[i - 1] - w.times[i - 2], g2 = w.times[i] - w.times[i - 1];
                assert_true(g2 * 10 >= g1 * 19);
        }
}

/* RFC 5681 §3.1: a timeout sets ssthresh from the window in use before it, once. The
 * retransmissions that follow, ACKed with SACK blocks for what got through, must not
 * start fast recovery and cut ssthresh again for the same losses. */
struct ssthresh_watch {
        uint64_t outage_from, outage_to;
        uint32_t cwnd_before;  /* segments, just before the outage */
        uint32_t min_ssthresh; /* segments, in the 100 ms (5 RTTs) after it */
        uint64_t timeouts;
        struct tcp_info
            ti; /* here, not on the stack: gcc 12 -O3 misreports a local one as dangling */
};

static void watch_ssthresh(void *arg, struct um_stack *cli, int cfd, struct um_stack *srv, int sfd,
                           uint64_t now)
{
        struct ssthresh_watch *w = arg;
        (void)srv, (void)sfd;
        socklen_t len = sizeof(w->ti);
        if (um_getsockopt(cli, cfd, IPPROTO_TCP, TCP_INFO, &w->ti, &len) != 0)
                return;
        if (now < w->outage_from)
                w->cwnd_before = w->ti.tcpi_snd_cwnd;
        else if (now >= w->outage_to && now < w->outage_to + 100000 &&
                 w->ti.tcpi_snd_ssthresh < w->min_ssthresh)
                w->min_ssthresh = w->ti.tcpi_snd_ssthresh;
        w->timeouts = um_counter_get(cli, "TcpExtTCPTimeouts");
}

static void test_rto_sets_ssthresh_once(void **state)
{
        (void)state;
        struct ssthresh_watch w = {
            .outage_from = 1000000, .outage_to = 1300000, .min_ssthresh = UINT32_MAX};
        struct um_sim_transfer_cfg c = {.bytes = 16 * MB, .path = simtest_path(50, 10)};
        struct um_emu_outage out = {w.outage_from, w.outage_to};
        c.path.fwd.outages[0] = c.path.rev.outages[0] = out;
        c.path.fwd.n_outages = c.path.rev.n_outages = 1;
        c.on_step = watch_ssthresh;
        c.step_arg = &w;
        assert_true(simtest_transfer("0.3 s outage", &c, NULL));
        printf("cwnd before the outage %u segments; ssthresh after it at least %u; %llu timeouts\n",
               w.cwnd_before, w.min_ssthresh, (unsigned long long)w.timeouts);
        assert_true(w.timeouts >= 1);
        assert_true(w.min_ssthresh * 2 >= w.cwnd_before);
}

static void test_dead_link_aborts(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {.bytes = 4 * MB, .path = simtest_path(50, 10)};
        struct um_emu_outage out = {300000, UINT64_MAX / 2};
        c.path.fwd.outages[0] = c.path.rev.outages[0] = out;
        c.path.fwd.n_outages = c.path.rev.n_outages = 1;
        c.time_limit_us = 3000ULL * 1000000;
        struct um_sim_transfer_result r;
        assert_false(simtest_transfer("link dies for good (must abort)", &c, &r));
        assert_int_equal(r.client_error, ETIMEDOUT);
        /* 15 retransmissions with backoff capped at 60 s end it within minutes, not never. */
        assert_true(r.seconds > 100 && r.seconds < 1200);
}

struct probe_watch {
        uint64_t probes;
};

static void watch_probes(void *arg, struct um_stack *cli, int cfd, struct um_stack *srv, int sfd,
                         uint64_t now)
{
        (void)cfd;
        (void)srv;
        (void)sfd;
        (void)now;
        ((struct probe_watch *)arg)->probes = um_counter_get(cli, "TcpExtTCPWinProbe");
}

static void test_zero_window_probes(void **state)
{
        (void)state;
        struct probe_watch w = {0};
        /* The receiver reads nothing for 20 s with a 16 KB buffer: the window closes, the
         * sender probes it, and everything arrives once reading resumes. */
        struct um_sim_transfer_cfg c = {.bytes = 2 * MB,
                                        .rcvbuf = 16384,
                                        .read_pause_until_us = 20000000,
                                        .path = simtest_path(10, 5)};
        c.on_step = watch_probes;
        c.step_arg = &w;
        assert_true(simtest_transfer("zero window for 20 s", &c, NULL));
        printf("window probes: %llu\n", (unsigned long long)w.probes);
        assert_true(w.probes >= 3);
}

static void test_keepalive(void **state)
{
        (void)state;
        struct pair p;
        struct um_emu_dir_config fwd = {.delay_us = 5000}, rev = {.delay_us = 5000};
        assert_int_equal(pair_open(&p, &fwd, &rev, simtest_seed()), 0);
        int one = 1, idle = 10, intvl = 2, cnt = 3;
        assert_int_equal(um_setsockopt(p.cli, p.cfd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)),
                         0);
        assert_int_equal(
            um_setsockopt(p.cli, p.cfd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)), 0);
        assert_int_equal(
            um_setsockopt(p.cli, p.cfd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)), 0);
        assert_int_equal(um_setsockopt(p.cli, p.cfd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)),
                         0);
        int bad = 0;
        assert_int_equal(um_setsockopt(p.cli, p.cfd, IPPROTO_TCP, TCP_KEEPIDLE, &bad, sizeof(bad)),
                         -1);
        assert_int_equal(errno, EINVAL);

        /* A live peer answers: after 100 idle seconds the connection stands. */
        pair_run(&p, 100ULL * 1000000);
        uint64_t probes = um_counter_get(p.cli, "TcpExtTCPKeepAlive");
        printf("keepalive probes in 100 s: %llu\n", (unsigned long long)probes);
        assert_true(probes >= 8 && probes <= 11);
        assert_true(um_sock_events(p.cli, p.cfd) & POLLOUT);
        assert_false(um_sock_events(p.cli, p.cfd) & POLLERR);

        /* The path dies: idle + cnt * intvl later the connection is gone. */
        struct um_emu_dir_config dead = {.delay_us = 5000, .n_outages = 1};
        dead.outages[0] = (struct um_emu_outage){0, UINT64_MAX / 2};
        um_link_emu_configure(p.lc, &dead);
        um_link_emu_configure(p.ls, &dead);
        pair_run(&p, 20ULL * 1000000);
        assert_true(um_sock_events(p.cli, p.cfd) & POLLERR);
        int err = 0;
        socklen_t len = sizeof(err);
        assert_int_equal(um_getsockopt(p.cli, p.cfd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
        assert_int_equal(err, ETIMEDOUT);
        pair_close(&p);
}

int main(void)
{
        simtest_seed();
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_rto_backoff_then_recovery),
            cmocka_unit_test(test_rto_sets_ssthresh_once),
            cmocka_unit_test(test_dead_link_aborts),
            cmocka_unit_test(test_zero_window_probes),
            cmocka_unit_test(test_keepalive),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
