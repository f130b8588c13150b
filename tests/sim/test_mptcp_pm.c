/* The built-in path manager and the signals it sends, between two umptcp stacks: a server
 * announcing its second address (ADD_ADDR, its echo, the client's join to it), an
 * announcement with a bad HMAC ignored, an endpoint turned backup mid-transfer (MP_PRIO),
 * an endpoint removed mid-transfer (RM_ADDR, its subflows closed, no byte lost). Every
 * transfer is verified end to end by SHA-256; the seed is printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <umptcp/mptcp.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include "simtest.h"
#include "tcp_view.h"

#define MB (1024 * 1024)

enum { N_CTR = 12 };
static const char *const ctr_names[N_CTR] = {
    "MPTcpExtAddAddr",     "MPTcpExtAddAddrTx", "MPTcpExtEchoAdd",     "MPTcpExtEchoAddTx",
    "MPTcpExtAddAddrDrop", "MPTcpExtRmAddr",    "MPTcpExtRmAddrTx",    "MPTcpExtRmSubflow",
    "MPTcpExtMPPrioTx",    "MPTcpExtMPPrioRx",  "MPTcpExtMPJoinSynTx", "MPTcpExtMPJoinAckRx",
};
enum {
        ADD_ADDR,
        ADD_ADDR_TX,
        ECHO_ADD,
        ECHO_ADD_TX,
        ADD_ADDR_DROP,
        RM_ADDR,
        RM_ADDR_TX,
        RM_SUBFLOW,
        PRIO_TX,
        PRIO_RX,
        JOIN_SYN_TX,
        JOIN_ACK_RX,
};

/* Counters of both stacks as of the last step, one action at a set time, and what the
 * client's MPTCP_INFO said. */
struct watch {
        uint64_t cli[N_CTR], srv[N_CTR];
        uint64_t act_at_us;
        void (*act)(struct um_stack *cli, struct um_stack *srv);
        int acted;
        int max_subflows, max_accepted;
};

static void on_step(void *arg, struct um_stack *cli, int cfd, struct um_stack *srv, int sfd,
                    uint64_t now)
{
        (void)sfd;
        struct watch *w = arg;
        for (int i = 0; i < N_CTR; i++) {
                w->cli[i] = um_counter_get(cli, ctr_names[i]);
                w->srv[i] = um_counter_get(srv, ctr_names[i]);
        }
        struct mptcp_info mi;
        socklen_t l = sizeof(mi);
        if (um_getsockopt(cli, cfd, SOL_MPTCP, MPTCP_INFO, &mi, &l) == 0) {
                if (mi.mptcpi_subflows_total > w->max_subflows)
                        w->max_subflows = mi.mptcpi_subflows_total;
                if (mi.mptcpi_add_addr_accepted > w->max_accepted)
                        w->max_accepted = mi.mptcpi_add_addr_accepted;
        }
        if (w->act && !w->acted && now >= w->act_at_us) {
                w->acted = 1;
                w->act(cli, srv);
        }
}

static void print_counters(const struct watch *w)
{
        for (int i = 0; i < N_CTR; i++)
                if (w->cli[i] || w->srv[i])
                        printf("    %-22s client %llu server %llu\n", ctr_names[i],
                               (unsigned long long)w->cli[i], (unsigned long long)w->srv[i]);
}

static void run_ok(const char *name, struct um_sim_transfer_cfg *c,
                   struct um_sim_transfer_result *r, const struct watch *w)
{
        int ok = simtest_transfer(name, c, r);
        for (int k = 0; k <= c->n_more_paths; k++)
                printf("    path %d: %llu bytes up (%llu by the mark)\n", k,
                       (unsigned long long)r->path_bytes[k],
                       (unsigned long long)r->path_bytes_at_mark[k]);
        print_counters(w);
        assert_true(ok);
        assert_int_equal(r->client_error, 0);
        assert_int_equal(r->server_error, 0);
}

static struct um_sim_transfer_cfg two_paths(struct watch *w, uint64_t bytes)
{
        struct um_sim_transfer_cfg c = {.bytes = bytes,
                                        .protocol = IPPROTO_MPTCP,
                                        .path = simtest_path(50, 10),
                                        .n_more_paths = 1,
                                        .on_step = on_step,
                                        .step_arg = w};
        c.more_paths[0] = simtest_path(50, 10);
        return c;
}

/* Issue 11 item 6: a server whose MP_CAPABLE carries C (Linux's
 * net.mptcp.allow_join_initial_addr_port = 0) must not be joined at its initial address and
 * port (RFC 8684 §3.1: MUST NOT); umptcp opened its subflow endpoints' joins there anyway.
 * An address it announces may still be joined. */
static void deny_join_initial(void *arg, struct um_stack *cli, struct um_stack *srv)
{
        (void)arg;
        (void)cli;
        assert_int_equal(um_mptcp_sysctl_set(srv, "allow_join_initial_addr_port", 0), 0);
}

static void test_c_flag_honoured(void **state)
{
        (void)state;
        struct watch w = {0};
        struct um_sim_transfer_cfg c = two_paths(&w, 4 * MB);
        c.on_setup = deny_join_initial;
        struct um_sim_transfer_result r;
        run_ok("C set: no join to the server's initial address", &c, &r, &w);
        assert_int_equal(w.cli[JOIN_SYN_TX], 0);
        assert_int_equal(w.max_subflows, 1);

        struct watch w2 = {0};
        c = two_paths(&w2, 4 * MB);
        c.on_setup = deny_join_initial;
        c.server_signal = 1;
        run_ok("C set: the announced address is joined", &c, &r, &w2);
        assert_int_equal(w2.cli[JOIN_SYN_TX], 1);
        assert_int_equal(w2.max_subflows, 2);
}

static void test_server_announces_its_address(void **state)
{
        (void)state;
        struct watch w = {0};
        struct um_sim_transfer_cfg c = two_paths(&w, 20 * MB);
        c.server_signal = 1;
        struct um_sim_transfer_result r;
        run_ok("server announces 10.0.1.2, client joins it", &c, &r, &w);
        assert_int_equal(w.srv[ADD_ADDR_TX], 1);
        assert_int_equal(w.cli[ADD_ADDR], 1);
        assert_int_equal(w.cli[ECHO_ADD_TX], 1);
        assert_int_equal(w.srv[ECHO_ADD], 1);
        assert_int_equal(w.cli[ADD_ADDR_DROP], 0);
        assert_int_equal(w.cli[JOIN_SYN_TX], 1);
        assert_int_equal(w.cli[JOIN_ACK_RX] + w.srv[JOIN_ACK_RX], 1);
        assert_int_equal(w.max_subflows, 2);
        assert_int_equal(w.max_accepted, 1);
        /* The join went from the client's address on the second path, and carried data. */
        assert_true(r.path_bytes[1] > 20 * MB / 4);
}

/* Flips a bit in the HMAC of every ADD_ADDR the server sends (16 bytes: IPv4 with HMAC). */
static int bad_add_addr_hmac_box(void *arg, int dir, uint8_t *pkt, uint32_t *len, uint32_t cap)
{
        (void)cap;
        int *hits = arg;
        struct tcp_view v;
        if (dir != 1 || view(pkt, *len, &v) < 0)
                return 1;
        int i;
        unsigned at = 0;
        while ((i = next_mptcp_option(&v, &at)) >= 0)
                if (v.opt[i + 1] == 16 && (v.opt[i + 2] >> 4) == 3) {
                        v.opt[i + 15] ^= 0x01;
                        fix_tcp_checksum(&v);
                        (*hits)++;
                }
        return 1;
}

static void test_add_addr_with_bad_hmac_ignored(void **state)
{
        (void)state;
        int hits = 0;
        struct watch w = {0};
        struct um_sim_transfer_cfg c = two_paths(&w, 4 * MB);
        c.server_signal = 1;
        c.middlebox = bad_add_addr_hmac_box;
        c.middlebox_arg = &hits;
        struct um_sim_transfer_result r;
        run_ok("ADD_ADDR with a bad HMAC", &c, &r, &w);
        assert_true(hits >= 1);
        assert_int_equal(w.cli[ADD_ADDR_DROP], (uint64_t)hits);
        assert_int_equal(w.cli[ADD_ADDR], 0);
        assert_int_equal(w.cli[ECHO_ADD_TX], 0);
        assert_int_equal(w.cli[JOIN_SYN_TX], 0);
        assert_int_equal(w.max_subflows, 1);
}

static void make_backup(struct um_stack *cli, struct um_stack *srv)
{
        (void)srv;
        assert_int_equal(um_mptcp_endpoint_set_backup(cli, "10.0.1.1", 1), 0);
}

static void test_endpoint_turned_backup(void **state)
{
        (void)state;
        struct watch w = {.act_at_us = 1000000, .act = make_backup};
        struct um_sim_transfer_cfg c = two_paths(&w, 30 * MB);
        c.mark_at_us = 1500000; /* what is in flight at the change has arrived by then */
        struct um_sim_transfer_result r;
        run_ok("client's second path turned backup at 1 s", &c, &r, &w);
        assert_int_equal(w.cli[PRIO_TX], 1);
        assert_int_equal(w.srv[PRIO_RX], 1);
        /* Before the change both paths carried data; after it, only the first. */
        assert_true(r.path_bytes_at_mark[1] > 2 * MB);
        uint64_t after = r.path_bytes[1] - r.path_bytes_at_mark[1];
        printf("    path 1 after the mark: %llu bytes\n", (unsigned long long)after);
        assert_true(after < 64 * 1024);
        assert_true(r.path_bytes[0] - r.path_bytes_at_mark[0] > 5 * MB);
}

static void remove_server_address(struct um_stack *cli, struct um_stack *srv)
{
        (void)cli;
        assert_int_equal(um_mptcp_endpoint_del(srv, "10.0.1.2"), 0);
        assert_int_equal(um_mptcp_endpoint_del(srv, "10.0.1.2"), -ENOENT);
}

static void test_endpoint_removed(void **state)
{
        (void)state;
        struct watch w = {.act_at_us = 1000000, .act = remove_server_address};
        struct um_sim_transfer_cfg c = two_paths(&w, 30 * MB);
        c.server_signal = 1;
        c.reverse_bytes = 8 * MB;
        c.mark_at_us = 1500000;
        struct um_sim_transfer_result r;
        run_ok("server removes 10.0.1.2 at 1 s", &c, &r, &w);
        assert_int_equal(w.srv[RM_ADDR_TX], 1);
        assert_int_equal(w.cli[RM_ADDR], 1);
        assert_true(w.srv[RM_SUBFLOW] >= 1);
        assert_true(r.path_bytes_at_mark[1] > 2 * MB);
        assert_true(r.path_bytes[1] - r.path_bytes_at_mark[1] < 64 * 1024);
}

static void test_endpoint_api_misuse(void **state)
{
        (void)state;
        struct um_stack *st = um_stack_new(&(struct um_stack_config){.seed = 1});
        assert_non_null(st);
        assert_int_equal(um_mptcp_endpoint_del(st, "10.9.9.9"), -ENOENT);
        assert_int_equal(um_mptcp_endpoint_del(st, "not an address"), -ENOENT);
        assert_int_equal(um_mptcp_endpoint_set_backup(st, NULL, 1), -ENOENT);
        assert_true(um_mptcp_endpoint_add(st, "10.9.9.9", UM_MPTCP_PM_SIGNAL, 0) > 0);
        assert_int_equal(um_mptcp_endpoint_set_backup(st, "10.9.9.9", 1), 0);
        assert_int_equal(um_mptcp_endpoint_del(st, "10.9.9.9"), 0);
        assert_int_equal(um_mptcp_sysctl_set(st, "add_addr_timeout", 0), -EINVAL);
        assert_int_equal(um_mptcp_sysctl_set(st, "add_addr_timeout", 5), 0);
        int v = 0;
        assert_int_equal(um_mptcp_sysctl_get(st, "add_addr_timeout", &v), 0);
        assert_int_equal(v, 5);
        um_stack_free(st);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_server_announces_its_address),
            cmocka_unit_test(test_c_flag_honoured),
            cmocka_unit_test(test_add_addr_with_bad_hmac_ignored),
            cmocka_unit_test(test_endpoint_turned_backup),
            cmocka_unit_test(test_endpoint_removed),
            cmocka_unit_test(test_endpoint_api_misuse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
