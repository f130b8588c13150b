/* The coupled congestion controls as TCP modules under real transfers: TCP_CONGESTION on an
 * MPTCP socket takes each of lia, olia, balia and wvegas, reads back, and carries a 2-path
 * transfer verified end to end; the stack's default may be one of them; wVegas, being
 * delay-based, keeps the paths' queues short where CUBIC fills them (no packet dropped
 * against hundreds); a plain TCP socket takes them too (one path: Reno's behaviour). The
 * arithmetic's invariants are in tests/unit/test_coupled_cc.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <umptcp/mptcp.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>
#include <umptcp/tcp_ext.h>

#include "simtest.h"

#define MB (1024 * 1024)

static char seen_cc[16];

static void read_cc(void *arg, struct um_stack *cli, int cfd, struct um_stack *srv, int sfd,
                    uint64_t now)
{
        (void)arg;
        (void)srv;
        (void)sfd;
        (void)now;
        socklen_t len = sizeof(seen_cc);
        if (um_getsockopt(cli, cfd, IPPROTO_TCP, TCP_CONGESTION, seen_cc, &len) < 0)
                seen_cc[0] = 0;
}

static struct um_sim_transfer_result run(const char *name, const char *cc, int protocol)
{
        struct um_sim_transfer_cfg c = {.bytes = 8 * MB,
                                        .protocol = protocol,
                                        .path = simtest_path(50, 10),
                                        .cc = cc,
                                        .on_step = read_cc};
        if (protocol == IPPROTO_MPTCP) {
                c.n_more_paths = 1;
                c.more_paths[0] = simtest_path(50, 10);
        }
        struct um_sim_transfer_result r;
        memset(seen_cc, 0, sizeof(seen_cc));
        int ok = simtest_transfer(name, &c, &r);
        printf("    TCP_CONGESTION read back: %s; %llu packets dropped by the paths\n", seen_cc,
               (unsigned long long)r.link_drops);
        assert_true(ok);
        assert_int_equal(r.client_error, 0);
        assert_int_equal(r.server_error, 0);
        return r;
}

static void test_each_coupled_cc_carries_a_transfer(void **state)
{
        (void)state;
        const char *names[] = {"lia", "olia", "balia", "wvegas"};
        for (int i = 0; i < 4; i++) {
                char title[64];
                snprintf(title, sizeof(title), "MPTCP over 2 paths with %s", names[i]);
                run(title, names[i], IPPROTO_MPTCP);
                assert_string_equal(seen_cc, names[i]);
                snprintf(title, sizeof(title), "plain TCP with %s", names[i]);
                run(title, names[i], IPPROTO_TCP);
                assert_string_equal(seen_cc, names[i]);
        }
}

static void test_wvegas_keeps_the_queues_short(void **state)
{
        (void)state;
        struct um_sim_transfer_result cubic = run("MPTCP with cubic", "cubic", IPPROTO_MPTCP);
        struct um_sim_transfer_result wvegas = run("MPTCP with wvegas", "wvegas", IPPROTO_MPTCP);
        assert_true(cubic.link_drops > 50);
        assert_int_equal(wvegas.link_drops, 0);
}

static void test_stack_default(void **state)
{
        (void)state;
        struct um_stack *st = um_stack_new(&(struct um_stack_config){.seed = 1});
        assert_non_null(st);
        assert_string_equal(um_tcp_congestion_control(st), "cubic");
        assert_int_equal(um_tcp_congestion_control_set(st, "vegas"), -ENOENT);
        assert_int_equal(um_tcp_congestion_control_set(st, "olia"), 0);
        int fd = um_socket(st, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        char name[16] = {0};
        socklen_t len = sizeof(name);
        assert_int_equal(um_getsockopt(st, fd, IPPROTO_TCP, TCP_CONGESTION, name, &len), 0);
        assert_string_equal(name, "olia");
        /* A registered name is taken once. */
        static const struct um_tcp_cc_ops dup = {.name = "lia"};
        assert_int_equal(um_tcp_cc_register(st, &dup, NULL), -EINVAL); /* no ops */
        um_close(st, fd);
        um_stack_free(st);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_stack_default),
            cmocka_unit_test(test_each_coupled_cc_carries_a_transfer),
            cmocka_unit_test(test_wvegas_keeps_the_queues_short),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
