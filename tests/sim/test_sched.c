/* Packet schedulers, by the properties that make each what it is (no timings): `redundant`
 * sends every byte on every active subflow and delivers each once; `roundrobin` gives the
 * subflows turns of the configured number of segments; `handover` keeps the second subflow
 * idle until the first fails; `minrtt` prefers the path of lower RTT; `blest` and `ecf` put
 * less on a slow path whose data would block the fast one; a socket's own choice
 * (SOL_MPTCP MPTCP_SCHEDULER) takes effect and reads back. Every transfer is verified end
 * to end by SHA-256; the seed is printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <umptcp/mptcp.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include "simtest.h"
#include "tcp_view.h"

#define MB (1024 * 1024)

static struct um_sim_transfer_cfg two_paths(const char *sched, uint64_t bytes)
{
        struct um_sim_transfer_cfg c = {.bytes = bytes,
                                        .protocol = IPPROTO_MPTCP,
                                        .path = simtest_path(50, 10),
                                        .n_more_paths = 1,
                                        .scheduler = sched};
        c.more_paths[0] = simtest_path(50, 10);
        return c;
}

static void run_ok(const char *name, struct um_sim_transfer_cfg *c,
                   struct um_sim_transfer_result *r)
{
        int ok = simtest_transfer(name, c, r);
        for (int k = 0; k <= c->n_more_paths; k++)
                printf("    path %d: %llu bytes up (%llu by the mark)\n", k,
                       (unsigned long long)r->path_bytes[k],
                       (unsigned long long)r->path_bytes_at_mark[k]);
        assert_true(ok);
        assert_int_equal(r->client_error, 0);
        assert_int_equal(r->server_error, 0);
}

/* The client's data mappings as they first went out: data sequence, length, path. */
enum { MAX_MAPS = 1 << 16 };
struct mapping {
        uint64_t dsn;
        uint32_t len;
        int path;
};
struct mapping_log {
        struct mapping m[MAX_MAPS];
        int n;
};

static int log_mappings_box(void *arg, int dir, uint8_t *pkt, uint32_t *len, uint32_t cap)
{
        (void)cap;
        struct mapping_log *log = arg;
        struct tcp_view v;
        if (dir != 0 || view(pkt, *len, &v) < 0 || !v.plen)
                return 1;
        int i;
        unsigned at = 0;
        while ((i = next_mptcp_option(&v, &at)) >= 0) {
                const uint8_t *o = v.opt + i;
                if (o[2] >> 4 != 2 || !(o[3] & 0x04))
                        continue; /* not a DSS with a mapping */
                unsigned p = 4 + ((o[3] & 0x01) ? ((o[3] & 0x02) ? 8 : 4) : 0);
                uint64_t dsn = 0;
                int wide = (o[3] & 0x08) != 0;
                for (int k = 0; k < (wide ? 8 : 4); k++)
                        dsn = dsn << 8 | o[p + (unsigned)k];
                p += (wide ? 8 : 4) + 4;
                uint32_t dlen = (uint32_t)o[p] << 8 | o[p + 1];
                for (int k = log->n - 1; k >= 0 && k >= log->n - 64; k--)
                        if (log->m[k].dsn == dsn && log->m[k].path == v.ip[14])
                                return 1; /* a retransmission */
                if (log->n < MAX_MAPS)
                        log->m[log->n++] = (struct mapping){dsn, dlen, v.ip[14]};
        }
        return 1;
}

static int by_dsn(const void *a, const void *b)
{
        const struct mapping *x = a, *y = b;
        return x->dsn < y->dsn ? -1 : x->dsn > y->dsn;
}

static void set_turn(void *arg, struct um_stack *cli, struct um_stack *srv)
{
        (void)srv;
        assert_int_equal(um_mptcp_sysctl_set(cli, "roundrobin_segments", *(int *)arg), 0);
}

/* Turns of `segments` segments: in data order, the paths take turns of at most that many
 * segments. */
static void roundrobin_turns(int segments)
{
        char name[64];
        snprintf(name, sizeof(name), "roundrobin, turns of %d segment(s)", segments);
        struct mapping_log *log = calloc(1, sizeof(*log));
        assert_non_null(log);
        struct um_sim_transfer_cfg c = two_paths("roundrobin", 8 * MB);
        c.middlebox = log_mappings_box;
        c.middlebox_arg = log;
        c.on_setup = set_turn;
        c.step_arg = &segments;
        struct um_sim_transfer_result r;
        run_ok(name, &c, &r);
        qsort(log->m, (size_t)log->n, sizeof(log->m[0]), by_dsn);
        /* Before the join a subflow alone goes on in one mapping; from the second
         * subflow's first byte on, the data goes in runs of mappings on one path (a turn
         * may take more than one when the subflow's buffer takes less at once), each run
         * one turn at most. */
        int first1 = 0;
        while (first1 < log->n && log->m[first1].path != 1)
                first1++;
        int runs = 0, longer = 0;
        uint32_t longest = 0, turn = (uint32_t)segments * 1460, run = 0;
        for (int i = first1; i < log->n; i++) {
                if (i > first1 && log->m[i].dsn == log->m[i - 1].dsn)
                        continue; /* the same mapping again (a retransmission) */
                if (i > first1 && log->m[i].path == log->m[i - 1].path) {
                        run += log->m[i].len;
                } else {
                        runs++;
                        run = log->m[i].len;
                }
                if (run > longest)
                        longest = run;
                longer += run > turn;
        }
        printf("    from the join on: %d turns, %d longer than %u bytes, the longest %u\n", runs,
               longer, turn, longest);
        assert_true(runs > 1000);
        assert_int_equal(longer, 0);
        assert_true(longest > turn - 1460);
        assert_true(r.path_bytes[0] > 3 * MB && r.path_bytes[1] > 3 * MB);
        free(log);
}

static void test_roundrobin_alternates_as_configured(void **state)
{
        (void)state;
        roundrobin_turns(1);
        roundrobin_turns(3);
}

/* Every byte on every path once both exist, each delivered once: from the first byte
 * the second subflow carried, each path's mappings cover every byte to the end. */
static uint64_t duplicates;

static void count_duplicates(void *arg, struct um_stack *cli, int cfd, struct um_stack *srv,
                             int sfd, uint64_t now)
{
        (void)arg;
        (void)cli;
        (void)cfd;
        (void)sfd;
        (void)now;
        duplicates = um_counter_get(srv, "MPTcpExtDuplicateData");
}

/* Whether the path's mappings (sorted by DSN) cover [from, to) without a gap. */
static int covers(const struct mapping_log *log, int path, uint64_t from, uint64_t to)
{
        uint64_t reach = from;
        for (int i = 0; i < log->n; i++)
                if (log->m[i].path == path && log->m[i].dsn <= reach &&
                    log->m[i].dsn + log->m[i].len > reach)
                        reach = log->m[i].dsn + log->m[i].len;
        return reach >= to;
}

static void test_redundant_sends_every_byte_on_every_subflow(void **state)
{
        (void)state;
        struct mapping_log *log = calloc(1, sizeof(*log));
        assert_non_null(log);
        struct um_sim_transfer_cfg c = two_paths("redundant", 8 * MB);
        c.more_paths[0] = simtest_path(30, 20); /* a slower path: it sets the pace */
        c.on_step = count_duplicates;
        c.middlebox = log_mappings_box;
        c.middlebox_arg = log;
        struct um_sim_transfer_result r;
        duplicates = 0;
        run_ok("redundant over 50 Mbit/s 10 ms and 30 Mbit/s 20 ms", &c, &r);
        qsort(log->m, (size_t)log->n, sizeof(log->m[0]), by_dsn);
        uint64_t first1 = UINT64_MAX, end = 0;
        for (int i = 0; i < log->n; i++) {
                if (log->m[i].path == 1 && log->m[i].dsn < first1)
                        first1 = log->m[i].dsn;
                if (log->m[i].dsn + log->m[i].len > end)
                        end = log->m[i].dsn + log->m[i].len;
        }
        assert_true(first1 != UINT64_MAX);
        printf("    both paths carry the last %llu of %llu bytes; duplicates dropped: %llu\n",
               (unsigned long long)(end - first1), (unsigned long long)c.bytes,
               (unsigned long long)duplicates);
        assert_true(end - first1 > c.bytes / 2);
        /* The slower path's copy of the last bytes may still wait for its congestion window
         * when the faster one has delivered them and the transfer ends: all but the last
         * 64 KiB must be on both. */
        assert_true(covers(log, 0, first1, end));
        assert_true(covers(log, 1, first1, end - 64 * 1024));
        assert_true(duplicates > 0);
        free(log);
}

/* handover: the second subflow carries no data while the first works (its handshake
 * alone); when the first path is cut for good at 1 s, the data goes on the second. The
 * choice is the client socket's own (the stacks keep `default`), made before the
 * connection exists. */
static struct mapping_log handover_log;
static int handover_set, maps_at_cut = -1;

static void choose_handover(void *arg, struct um_stack *cli, int cfd, struct um_stack *srv, int sfd,
                            uint64_t now)
{
        (void)arg;
        (void)srv;
        (void)sfd;
        if (maps_at_cut < 0 && now >= 1000000)
                maps_at_cut = handover_log.n;
        if (handover_set)
                return;
        handover_set = 1;
        assert_int_equal(um_setsockopt(cli, cfd, SOL_MPTCP, MPTCP_SCHEDULER, "handover", 8), 0);
        char name[16] = {0};
        socklen_t len = sizeof(name);
        assert_int_equal(um_getsockopt(cli, cfd, SOL_MPTCP, MPTCP_SCHEDULER, name, &len), 0);
        assert_string_equal(name, "handover");
        assert_string_equal(um_mptcp_scheduler(cli), "default");
}

static void test_handover_keeps_the_second_subflow_idle(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = two_paths(NULL, 16 * MB);
        struct um_emu_outage cut = {.start_us = 1000000, .end_us = 1000 * 1000000ULL};
        c.path.fwd.outages[c.path.fwd.n_outages++] = cut;
        c.path.rev.outages[c.path.rev.n_outages++] = cut;
        c.on_step = choose_handover;
        c.mark_at_us = cut.start_us;
        c.middlebox = log_mappings_box;
        c.middlebox_arg = &handover_log;
        struct um_sim_transfer_result r;
        run_ok("handover: the first path cut for good at 1 s", &c, &r);
        assert_true(handover_set);
        assert_true(maps_at_cut > 100);
        for (int i = 0; i < maps_at_cut; i++)
                assert_int_equal(handover_log.m[i].path, 0);
        assert_true(r.path_bytes_at_mark[0] > MB);
        assert_true(r.path_bytes_at_mark[1] < 1000); /* the join's handshake */
        assert_true(r.path_bytes[1] > 8 * MB);
}

/* minrtt: of two paths of the same rate, the one of lower RTT carries more. */
static void test_minrtt_prefers_the_lower_rtt(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = two_paths("minrtt", 8 * MB);
        c.more_paths[0] = simtest_path(50, 40);
        struct um_sim_transfer_result r;
        run_ok("minrtt over 10 ms and 40 ms paths", &c, &r);
        assert_true(r.path_bytes[0] > r.path_bytes[1]);
}

/* blest and ecf on heterogeneous paths (10 ms and 100 ms RTT, a 256 KB receive buffer the
 * slow path's data can fill): each holds the slow subflow back where minrtt sends on it, so
 * the slow path carries less of the same transfer. */
static uint64_t slow_path_bytes(const char *sched)
{
        char name[64];
        snprintf(name, sizeof(name), "%s over 5 ms and 50 ms paths, 256 KB buffer", sched);
        struct um_sim_transfer_cfg c = two_paths(sched, 2 * MB);
        c.path = simtest_path(50, 5);
        c.more_paths[0] = simtest_path(50, 50);
        c.rcvbuf = 256 * 1024;
        struct um_sim_transfer_result r;
        run_ok(name, &c, &r);
        return r.path_bytes[1];
}

static void test_blest_and_ecf_spare_the_slow_path(void **state)
{
        (void)state;
        uint64_t minrtt = slow_path_bytes("minrtt");
        uint64_t blest = slow_path_bytes("blest");
        uint64_t ecf = slow_path_bytes("ecf");
        assert_true(blest < minrtt);
        assert_true(ecf < minrtt);
}

/* Opportunistic retransmission and penalisation (Raiciu et al., NSDI 2012): under minrtt
 * on the same heterogeneous paths, with the knob on, the client sends its oldest data again
 * on the fast path when the receive window holds it and halves the slow subflow's window;
 * with the knob off it does neither. */
static uint64_t or_counts[2];

static void enable_or(void *arg, struct um_stack *cli, struct um_stack *srv)
{
        (void)srv;
        assert_int_equal(um_mptcp_sysctl_set(cli, "opportunistic_retrans", *(int *)arg), 0);
}

static void count_or(void *arg, struct um_stack *cli, int cfd, struct um_stack *srv, int sfd,
                     uint64_t now)
{
        (void)arg;
        (void)cfd;
        (void)srv;
        (void)sfd;
        (void)now;
        or_counts[0] = um_counter_get(cli, "MPTcpExtOpportunisticRetrans");
        or_counts[1] = um_counter_get(cli, "MPTcpExtSubflowPenalised");
}

static void test_opportunistic_retransmission(void **state)
{
        (void)state;
        for (int on = 0; on <= 1; on++) {
                struct um_sim_transfer_cfg c = two_paths("minrtt", 4 * MB);
                c.path = simtest_path(50, 5);
                c.more_paths[0] = simtest_path(50, 50);
                c.rcvbuf = 256 * 1024;
                c.on_setup = enable_or;
                c.step_arg = &on;
                c.on_step = count_or;
                or_counts[0] = or_counts[1] = 0;
                struct um_sim_transfer_result r;
                run_ok(on ? "minrtt with opportunistic retransmission" : "minrtt without", &c, &r);
                printf("    opportunistic retransmissions %llu, penalisations %llu\n",
                       (unsigned long long)or_counts[0], (unsigned long long)or_counts[1]);
                if (on) {
                        assert_true(or_counts[0] > 0);
                        assert_true(or_counts[1] > 0);
                        assert_true(or_counts[1] <= or_counts[0]);
                } else {
                        assert_int_equal(or_counts[0] + or_counts[1], 0);
                }
        }
}

static void test_scheduler_choice_misuse(void **state)
{
        (void)state;
        struct um_stack *st = um_stack_new(&(struct um_stack_config){.seed = 1});
        assert_non_null(st);
        assert_string_equal(um_mptcp_scheduler(st), "default");
        assert_int_equal(um_mptcp_scheduler_set(st, "fastest"), -ENOENT);
        assert_int_equal(um_mptcp_scheduler_set(st, NULL), -ENOENT);
        const char *want[] = {"default",  "minrtt", "roundrobin", "redundant",
                              "handover", "blest",  "ecf"};
        for (int i = 0; i < 7; i++) {
                assert_string_equal(um_mptcp_scheduler_at(i), want[i]);
                assert_int_equal(um_mptcp_scheduler_set(st, want[i]), 0);
                assert_string_equal(um_mptcp_scheduler(st), want[i]);
        }
        assert_null(um_mptcp_scheduler_at(7));
        assert_int_equal(um_mptcp_sysctl_set(st, "roundrobin_segments", 0), -EINVAL);
        assert_int_equal(um_mptcp_sysctl_set(st, "roundrobin_segments", 65), -EINVAL);
        int fd = um_socket(st, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        assert_true(fd >= 0);
        char name[16];
        socklen_t len = sizeof(name);
        assert_int_equal(um_getsockopt(st, fd, SOL_MPTCP, MPTCP_SCHEDULER, name, &len), 0);
        assert_string_equal(name, "ecf"); /* the stack's default when it was made */
        assert_int_equal(um_setsockopt(st, fd, SOL_MPTCP, MPTCP_SCHEDULER, "nope", 4), -1);
        assert_int_equal(errno, ENOENT);
        assert_int_equal(um_setsockopt(st, fd, SOL_MPTCP, MPTCP_SCHEDULER, NULL, 0), -1);
        assert_int_equal(errno, EINVAL);
        assert_int_equal(
            um_setsockopt(st, fd, SOL_MPTCP, MPTCP_SCHEDULER, "a-name-far-too-long-to-be", 25), -1);
        assert_int_equal(errno, EINVAL);
        len = 2; /* cut to fit, as TCP_CONGESTION */
        assert_int_equal(um_getsockopt(st, fd, SOL_MPTCP, MPTCP_SCHEDULER, name, &len), 0);
        assert_int_equal(len, 2);
        assert_memory_equal(name, "ec", 2);
        um_close(st, fd);
        um_stack_free(st);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_scheduler_choice_misuse),
            cmocka_unit_test(test_redundant_sends_every_byte_on_every_subflow),
            cmocka_unit_test(test_roundrobin_alternates_as_configured),
            cmocka_unit_test(test_handover_keeps_the_second_subflow_idle),
            cmocka_unit_test(test_minrtt_prefers_the_lower_rtt),
            cmocka_unit_test(test_blest_and_ecf_spare_the_slow_path),
            cmocka_unit_test(test_opportunistic_retransmission),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
