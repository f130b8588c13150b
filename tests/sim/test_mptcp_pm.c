/* The built-in path manager and the signals it sends, between two umptcp stacks: a server
 * announcing its second address (ADD_ADDR, its echo, the client's join to it), an
 * announcement with a bad HMAC ignored, an endpoint turned backup mid-transfer (MP_PRIO),
 * an endpoint removed mid-transfer (RM_ADDR, its subflows closed, no byte lost). Every
 * transfer is verified end to end by SHA-256; the seed is printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <umptcp/mptcp.h>
#include <umptcp/mptcp_pm.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include "pair.h"
#include "simtest.h"
#include "tcp_view.h"

#define MB (1024 * 1024)

enum { N_CTR = 17 };
static const char *const ctr_names[N_CTR] = {
    "MPTcpExtAddAddr",           "MPTcpExtAddAddrTx",          "MPTcpExtEchoAdd",
    "MPTcpExtEchoAddTx",         "MPTcpExtAddAddrDrop",        "MPTcpExtRmAddr",
    "MPTcpExtRmAddrTx",          "MPTcpExtRmSubflow",          "MPTcpExtMPPrioTx",
    "MPTcpExtMPPrioRx",          "MPTcpExtMPJoinSynTx",        "MPTcpExtMPJoinAckRx",
    "MPTcpExtSubflowStale",      "MPTcpExtMPJoinPortSynRx",    "MPTcpExtMPJoinPortSynAckRx",
    "MPTcpExtMismatchPortSynRx", "MPTcpExtPortListenerNoJoin",
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
        STALE,
        JOIN_PORT_SYN_RX,
        JOIN_PORT_SYNACK_RX,
        MISMATCH_PORT,
        PORT_NO_JOIN,
};

/* Counters of both stacks as of the last step, one action at a set time, and what the
 * client's MPTCP_INFO said. */
struct ev_logs;
struct watch {
        uint64_t cli[N_CTR], srv[N_CTR];
        uint64_t act_at_us;
        void (*act)(struct um_stack *cli, struct um_stack *srv);
        int acted;
        int max_subflows, max_accepted;
        uint64_t stale_at;    /* when the client first marked a subflow stale */
        struct ev_logs *logs; /* path-manager events, when a test subscribes */
        void *act_arg;        /* what a test's setup needs */
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
        if (!w->stale_at && w->cli[STALE])
                w->stale_at = now;
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

/* ---- Path-manager events (include/umptcp/mptcp_pm.h) ---- */

enum { MAX_EVENTS = 64 };
struct ev_log {
        struct um_mptcp_event ev[MAX_EVENTS];
        int n;
        struct um_stack *st;
};
struct ev_logs {
        struct ev_log cli, srv;
};

static void log_event(struct um_stack *st, const struct um_mptcp_event *ev, void *arg)
{
        struct ev_log *l = arg;
        assert_ptr_equal(st, l->st);
        assert_non_null(um_mptcp_event_name(ev->type));
        printf("    event %-16s token %08x loc_id %u rem_id %u sport %u dport %u backup %u\n",
               um_mptcp_event_name(ev->type), ev->token, ev->loc_id, ev->rem_id, ev->sport,
               ev->dport, ev->backup);
        if (l->n < MAX_EVENTS)
                l->ev[l->n++] = *ev;
}

static void subscribe_both(void *arg, struct um_stack *cli, struct um_stack *srv)
{
        struct ev_logs *logs = ((struct watch *)arg)->logs;
        logs->cli.st = cli;
        logs->srv.st = srv;
        assert_true(um_mptcp_pm_subscribe(cli, log_event, &logs->cli) > 0);
        assert_true(um_mptcp_pm_subscribe(srv, log_event, &logs->srv) > 0);
}

/* The index of the first event of a type at or after `from`, or -1. */
static int find_event(const struct ev_log *l, enum um_mptcp_event_type type, int from)
{
        for (int i = from; i < l->n; i++)
                if (l->ev[i].type == type)
                        return i;
        return -1;
}

static int count_events(const struct ev_log *l, enum um_mptcp_event_type type)
{
        int n = 0;
        for (int i = 0; i < l->n; i++)
                n += l->ev[i].type == type;
        return n;
}

static void assert_addr4(const uint8_t a[16], const char *want)
{
        struct in_addr w;
        inet_pton(AF_INET, want, &w);
        assert_memory_equal(a, &w, 4);
}

/* One side's life of a 2-subflow connection as events: CREATED, ESTABLISHED, then the
 * join's SUB_ESTABLISHED, and CLOSED once the connection is over at the data level (on the
 * server, which sees both DATA_FINs acknowledged before the harness stops); the same token
 * throughout, the connection's addresses and ports, and which side is the server. */
static void check_life(const struct ev_log *l, int server)
{
        /* The server's listen() came first, reported as Linux does: its family and port. */
        if (server) {
                const struct um_mptcp_event *lc = &l->ev[0];
                assert_int_equal(lc->type, UM_MPTCP_EVENT_LISTENER_CREATED);
                assert_int_equal(lc->attrs,
                                 UM_MPTCP_ATTR_FAMILY | UM_MPTCP_ATTR_SADDR | UM_MPTCP_ATTR_SPORT);
                assert_int_equal(lc->family, AF_INET);
                assert_int_equal(lc->sport, 5001);
        }
        int created = find_event(l, UM_MPTCP_EVENT_CREATED, 0);
        int est = find_event(l, UM_MPTCP_EVENT_ESTABLISHED, 0);
        int sub = find_event(l, UM_MPTCP_EVENT_SUB_ESTABLISHED, 0);
        int closed = find_event(l, UM_MPTCP_EVENT_CLOSED, 0);
        assert_true(created == server && est > created && sub > est);
        assert_int_equal(count_events(l, UM_MPTCP_EVENT_LISTENER_CREATED), server);
        assert_int_equal(count_events(l, UM_MPTCP_EVENT_CREATED), 1);
        assert_int_equal(count_events(l, UM_MPTCP_EVENT_CLOSED), server);
        if (server)
                assert_true(closed > sub && !(l->ev[closed].attrs & UM_MPTCP_ATTR_SADDR));
        uint32_t token = l->ev[created].token;
        for (int i = created; i < l->n; i++)
                assert_int_equal(l->ev[i].token, token);
        const struct um_mptcp_event *c = &l->ev[created];
        assert_int_equal(c->family, AF_INET);
        /* As Linux: flags and server_side only when set, IDs 0. */
        assert_int_equal(!!(c->attrs & UM_MPTCP_ATTR_SERVER_SIDE), server);
        assert_int_equal(!!(c->attrs & UM_MPTCP_ATTR_FLAGS), server);
        assert_true(c->attrs & UM_MPTCP_ATTR_LOC_ID);
        assert_int_equal(c->loc_id + c->rem_id, 0);
        assert_int_equal(c->server_side, server);
        assert_int_equal(c->flags & UM_MPTCP_EVENT_FLAG_SERVER_SIDE,
                         server ? UM_MPTCP_EVENT_FLAG_SERVER_SIDE : 0);
        assert_addr4(c->saddr, server ? "10.0.0.2" : "10.0.0.1");
        assert_addr4(c->daddr, server ? "10.0.0.1" : "10.0.0.2");
        assert_int_equal(server ? c->sport : c->dport, 5001); /* the harness's port */
        assert_memory_equal(&l->ev[est].saddr, c->saddr, 16);
        const struct um_mptcp_event *s = &l->ev[sub];
        assert_true((s->attrs & (UM_MPTCP_ATTR_LOC_ID | UM_MPTCP_ATTR_REM_ID)) ==
                    (UM_MPTCP_ATTR_LOC_ID | UM_MPTCP_ATTR_REM_ID));
        assert_int_equal(server ? s->rem_id : s->loc_id, 1); /* the client's endpoint */
        assert_addr4(server ? s->daddr : s->saddr, "10.0.1.1");
        /* The interface of its local address: the client's second, the server's first
         * (the join goes to the address the connection went to). */
        assert_true(s->attrs & UM_MPTCP_ATTR_IF_IDX);
        assert_int_equal(s->if_idx, server ? 0 : 1);
}

static void test_events_of_a_connection(void **state)
{
        (void)state;
        struct ev_logs logs = {0};
        struct watch w = {.logs = &logs};
        struct um_sim_transfer_cfg c = two_paths(&w, 4 * MB);
        c.on_setup = subscribe_both;
        struct um_sim_transfer_result r;
        run_ok("events of a 2-subflow connection", &c, &r, &w);
        check_life(&logs.cli, 0);
        check_life(&logs.srv, 1);
        assert_int_not_equal(logs.cli.ev[0].token, logs.srv.ev[1].token);
        assert_int_equal(count_events(&logs.cli, UM_MPTCP_EVENT_SUB_CLOSED), 0);
}

/* The announcement, its removal and a priority change reach the peer's subscribers as
 * ANNOUNCED, REMOVED and SUB_PRIORITY; the removed address's subflow ends as SUB_CLOSED
 * on both sides, mid-connection. */
static void test_events_of_signals(void **state)
{
        (void)state;
        struct ev_logs logs = {0};
        struct watch w = {.act_at_us = 1000000, .act = remove_server_address, .logs = &logs};
        struct um_sim_transfer_cfg c = two_paths(&w, 30 * MB);
        c.server_signal = 1;
        c.on_setup = subscribe_both;
        struct um_sim_transfer_result r;
        run_ok("events of ADD_ADDR and RM_ADDR", &c, &r, &w);
        int ann = find_event(&logs.cli, UM_MPTCP_EVENT_ANNOUNCED, 0);
        assert_true(ann >= 0);
        assert_int_equal(logs.cli.ev[ann].rem_id, 1);
        assert_addr4(logs.cli.ev[ann].daddr, "10.0.1.2");
        assert_false(logs.cli.ev[ann].attrs & UM_MPTCP_ATTR_DPORT);
        int rem = find_event(&logs.cli, UM_MPTCP_EVENT_REMOVED, ann);
        assert_true(rem > ann);
        assert_int_equal(logs.cli.ev[rem].rem_id, 1);
        int cli_closed = find_event(&logs.cli, UM_MPTCP_EVENT_SUB_CLOSED, 0);
        int srv_closed = find_event(&logs.srv, UM_MPTCP_EVENT_SUB_CLOSED, 0);
        /* Which comes first is the paths' race: the RM_ADDR rides an ACK on the first
         * subflow, the removed subflow's end its own path (RFC 8684 §3.4.2 names no order). */
        assert_true(cli_closed >= 0);
        assert_true(srv_closed >= 0);
        assert_int_equal(logs.cli.ev[cli_closed].rem_id, 1);
        assert_addr4(logs.cli.ev[cli_closed].daddr, "10.0.1.2");
        assert_int_equal(logs.srv.ev[srv_closed].loc_id, 1);
        assert_true(find_event(&logs.srv, UM_MPTCP_EVENT_CLOSED, srv_closed) > srv_closed);

        struct ev_logs logs2 = {0};
        struct watch w2 = {.act_at_us = 500000, .act = make_backup, .logs = &logs2};
        c = two_paths(&w2, 16 * MB);
        c.on_setup = subscribe_both;
        run_ok("events of MP_PRIO", &c, &r, &w2);
        int prio = find_event(&logs2.srv, UM_MPTCP_EVENT_SUB_PRIORITY, 0);
        assert_true(prio >= 0);
        assert_int_equal(logs2.srv.ev[prio].backup, 1);
        assert_addr4(logs2.srv.ev[prio].daddr, "10.0.1.1");
        assert_int_equal(count_events(&logs2.cli, UM_MPTCP_EVENT_SUB_PRIORITY), 0);
}

/* Subscribing and unsubscribing: handles, bad arguments, and no event after leaving. */
static void test_event_subscription(void **state)
{
        (void)state;
        struct um_stack *st = um_stack_new(&(struct um_stack_config){.seed = 1});
        assert_int_equal(um_mptcp_pm_subscribe(st, NULL, NULL), -EINVAL);
        assert_int_equal(um_mptcp_pm_subscribe(NULL, log_event, NULL), -EINVAL);
        int h[8];
        for (int i = 0; i < 8; i++)
                assert_true((h[i] = um_mptcp_pm_subscribe(st, log_event, NULL)) > 0);
        assert_int_equal(um_mptcp_pm_subscribe(st, log_event, NULL), -ENOSPC);
        for (int i = 0; i < 8; i++)
                um_mptcp_pm_unsubscribe(st, h[i]);
        um_mptcp_pm_unsubscribe(st, 12345); /* not subscribed: nothing happens */
        assert_int_equal(um_mptcp_pm_remove(st, 1234, 1), -ENOENT);
        assert_int_equal(um_mptcp_path_manager_set(st, "bogus"), -EINVAL);
        assert_string_equal(um_mptcp_path_manager(st), "kernel");
        assert_null(um_mptcp_event_name((enum um_mptcp_event_type)4));
        assert_string_equal(um_mptcp_event_name(UM_MPTCP_EVENT_SUB_ESTABLISHED), "sub_established");
        um_stack_free(st);
}

/* ---- The userspace path manager: the engine only executes ---- */

struct us_manager {
        struct ev_log log;
        struct um_stack *st;
        int role; /* 0: open a subflow from 10.0.1.1; 1: announce 10.0.1.2 as ID 7 */
        int rc, acted;
        uint32_t token;
};

static struct sockaddr_storage sa4(const char *ip, uint16_t port)
{
        struct sockaddr_storage ss = {0};
        struct sockaddr_in *s = (struct sockaddr_in *)&ss;
        s->sin_family = AF_INET;
        s->sin_port = htons(port);
        inet_pton(AF_INET, ip, &s->sin_addr);
        return ss;
}

static void us_manage(struct um_stack *st, const struct um_mptcp_event *ev, void *arg)
{
        struct us_manager *m = arg;
        if (m->log.n < MAX_EVENTS)
                m->log.ev[m->log.n++] = *ev;
        if (ev->type != UM_MPTCP_EVENT_ESTABLISHED || m->acted)
                return;
        m->acted = 1;
        m->token = ev->token;
        if (m->role == 0) {
                struct um_mptcp_pm_addr local = {.addr = sa4("10.0.1.1", 0), .id = 7};
                struct sockaddr_storage remote = sa4("10.0.0.2", 0);
                m->rc = um_mptcp_pm_subflow_create(st, ev->token, &local,
                                                   (struct sockaddr *)&remote, 0);
        } else {
                struct um_mptcp_pm_addr local = {.addr = sa4("10.0.1.2", 0), .id = 7};
                m->rc = um_mptcp_pm_announce(st, ev->token, &local);
        }
}

static void userspace_client(void *arg, struct um_stack *cli, struct um_stack *srv)
{
        struct us_manager *m = ((struct watch *)arg)->act_arg;
        (void)srv;
        m->st = cli;
        assert_int_equal(um_mptcp_path_manager_set(cli, "userspace"), 0);
        assert_string_equal(um_mptcp_path_manager(cli), "userspace");
        assert_true(um_mptcp_pm_subscribe(cli, us_manage, m) > 0);
}

static void userspace_server(void *arg, struct um_stack *cli, struct um_stack *srv)
{
        struct us_manager *m = ((struct watch *)arg)->act_arg;
        (void)cli;
        m->st = srv;
        assert_int_equal(um_mptcp_path_manager_set(srv, "userspace"), 0);
        if (m->role >= 0)
                assert_true(um_mptcp_pm_subscribe(srv, us_manage, m) > 0);
}

static void test_userspace_manager_opens_and_announces(void **state)
{
        (void)state;
        /* The client's manager opens the second subflow itself; its endpoint (which the
         * harness adds) opens nothing in userspace mode. */
        struct us_manager m = {.role = 0};
        struct watch w = {.act_arg = &m};
        struct um_sim_transfer_cfg c = two_paths(&w, 8 * MB);
        c.on_setup = userspace_client;
        struct um_sim_transfer_result r;
        run_ok("userspace manager on the client opens a subflow", &c, &r, &w);
        assert_int_equal(m.rc, 0);
        assert_int_equal(w.cli[JOIN_SYN_TX], 1);
        assert_int_equal(w.srv[JOIN_ACK_RX], 1);
        assert_true(r.path_bytes[1] > MB);
        int sub = find_event(&m.log, UM_MPTCP_EVENT_SUB_ESTABLISHED, 0);
        assert_true(sub > 0);
        assert_int_equal(m.log.ev[sub].loc_id, 7);
        assert_addr4(m.log.ev[sub].saddr, "10.0.1.1");

        /* The server's manager announces 10.0.1.2 as ID 7; the client (built-in manager,
         * taking announcements) joins it; the server takes the join because a manager
         * listens, and gives the join the announced ID. */
        struct us_manager ms = {.role = 1};
        struct watch w2 = {.act_arg = &ms};
        c = two_paths(&w2, 8 * MB);
        c.server_signal = 1; /* the client accepts announcements */
        c.on_setup = userspace_server;
        run_ok("userspace manager on the server announces", &c, &r, &w2);
        assert_int_equal(ms.rc, 0);
        assert_int_equal(w2.srv[ADD_ADDR_TX], 1);
        assert_int_equal(w2.cli[JOIN_SYN_TX], 1);
        assert_int_equal(w2.srv[JOIN_ACK_RX], 1);
        assert_true(r.path_bytes[1] > MB);
        sub = find_event(&ms.log, UM_MPTCP_EVENT_SUB_ESTABLISHED, 0);
        assert_true(sub > 0);
        assert_int_equal(ms.log.ev[sub].loc_id, 7);

        /* With no manager listening, a userspace server announces nothing and refuses
         * joins (the client's subflow endpoint tries one). */
        struct us_manager none = {.role = -1};
        struct watch w3 = {.act_arg = &none};
        c = two_paths(&w3, 4 * MB);
        c.on_setup = userspace_server;
        run_ok("userspace server without a manager", &c, &r, &w3);
        assert_int_equal(w3.srv[ADD_ADDR_TX], 0);
        assert_int_equal(w3.cli[JOIN_SYN_TX], 1);
        assert_int_equal(w3.srv[JOIN_ACK_RX], 0);
        assert_true(r.path_bytes[1] < 64 * 1024);
}

/* Commands on a connection the client's manager runs: at 1 s set the subflow to backup
 * (MP_PRIO), at 2 s remove the address ID (RM_ADDR, its subflow closes), each verified by
 * the peer's counters; bad requests get their errors and change nothing. */
static struct us_manager *cmd_mgr;
static struct watch *cmd_watch;

static void remove_at_2s(struct um_stack *cli, struct um_stack *srv)
{
        (void)srv;
        assert_int_equal(um_mptcp_pm_remove(cli, cmd_mgr->token, 7), 0);
        assert_int_equal(um_mptcp_pm_remove(cli, cmd_mgr->token, 7), -ENOENT); /* gone */
}

static void commands_at_1s(struct um_stack *cli, struct um_stack *srv)
{
        (void)srv;
        struct us_manager *m = cmd_mgr;
        struct sockaddr_storage l = sa4("10.0.1.1", 0), rem = sa4("10.0.0.2", 5001);
        int sub = find_event(&m->log, UM_MPTCP_EVENT_SUB_ESTABLISHED, 0);
        assert_true(sub > 0);
        ((struct sockaddr_in *)&l)->sin_port = htons(m->log.ev[sub].sport);
        /* bad requests first */
        assert_int_equal(um_mptcp_pm_set_backup(cli, m->token + 1, (struct sockaddr *)&l,
                                                (struct sockaddr *)&rem, 1),
                         -ENOENT);
        struct sockaddr_storage wrong = sa4("10.0.1.1", 1);
        assert_int_equal(um_mptcp_pm_set_backup(cli, m->token, (struct sockaddr *)&wrong,
                                                (struct sockaddr *)&rem, 1),
                         -ENOENT);
        struct um_mptcp_pm_addr id0 = {.addr = sa4("10.0.1.1", 0), .id = 0};
        assert_int_equal(um_mptcp_pm_announce(cli, m->token, &id0), -EINVAL);
        assert_int_equal(um_mptcp_pm_announce(cli, m->token, NULL), -EINVAL);
        struct um_mptcp_pm_addr v6 = {.id = 9};
        v6.addr.ss_family = AF_INET6;
        assert_int_equal(um_mptcp_pm_announce(cli, m->token, &v6), -EINVAL);
        struct um_mptcp_pm_addr elsewhere = {.addr = sa4("10.9.9.9", 0), .id = 9};
        assert_int_equal(
            um_mptcp_pm_subflow_create(cli, m->token, &elsewhere, (struct sockaddr *)&rem, 0),
            -EADDRNOTAVAIL);
        assert_int_equal(um_mptcp_pm_subflow_create(cli, m->token, &elsewhere, NULL, 0), -EINVAL);
        assert_int_equal(um_mptcp_pm_remove(cli, m->token, 200), -ENOENT);
        assert_int_equal(um_mptcp_pm_subflow_destroy(cli, m->token, (struct sockaddr *)&wrong,
                                                     (struct sockaddr *)&rem),
                         -ENOENT);
        /* then the real ones */
        assert_int_equal(um_mptcp_pm_set_backup(cli, m->token, (struct sockaddr *)&l,
                                                (struct sockaddr *)&rem, 1),
                         0);
        cmd_watch->acted = 0;
        cmd_watch->act_at_us = 2000000;
        cmd_watch->act = remove_at_2s;
}

static void test_userspace_manager_commands(void **state)
{
        (void)state;
        struct us_manager m = {.role = 0};
        cmd_mgr = &m;
        struct watch w = {.act_arg = &m, .act_at_us = 1000000, .act = commands_at_1s};
        cmd_watch = &w;
        struct um_sim_transfer_cfg c = two_paths(&w, 30 * MB);
        c.on_setup = userspace_client;
        c.mark_at_us = 1500000;
        struct um_sim_transfer_result r;
        run_ok("userspace manager: MP_PRIO at 1 s, RM_ADDR at 2 s", &c, &r, &w);
        assert_int_equal(w.cli[PRIO_TX], 1);
        assert_int_equal(w.srv[PRIO_RX], 1);
        assert_int_equal(w.cli[RM_ADDR_TX], 1);
        assert_int_equal(w.srv[RM_ADDR], 1);
        /* Backup from 1 s: the second path carried (almost) nothing after. */
        assert_true(r.path_bytes_at_mark[1] > MB);
        assert_true(r.path_bytes[1] - r.path_bytes_at_mark[1] < 64 * 1024);
        int closed = find_event(&m.log, UM_MPTCP_EVENT_SUB_CLOSED, 0);
        assert_true(closed > 0);
        assert_int_equal(m.log.ev[closed].loc_id, 7);
        assert_int_equal(um_mptcp_path_manager_set(NULL, "kernel"), -EINVAL);
}

static void copy_conn(const struct um_mptcp_conn_info *ci, void *arg)
{
        *(struct um_mptcp_conn_info *)arg = *ci;
}

/* Unlike Linux's, the built-in manager opens a subflow from a `subflow` endpoint again when
 * a reset took it: the server resets the client's join at 1 s (a command on the server's
 * side); about 1 s later the client joins again, and the second path carries data anew. */
static void server_resets_the_join(struct um_stack *cli, struct um_stack *srv)
{
        (void)cli;
        struct um_mptcp_conn_info ci = {0};
        assert_int_equal(um_mptcp_connections(srv, copy_conn, &ci), 1);
        int found = 0;
        for (int i = 0; i < ci.n_subflows; i++)
                if (ci.subflows[i].rem_id == 1) {
                        assert_int_equal(
                            um_mptcp_pm_subflow_destroy(srv, ci.token,
                                                        (struct sockaddr *)&ci.subflows[i].local,
                                                        (struct sockaddr *)&ci.subflows[i].remote),
                            0);
                        found = 1;
                }
        assert_true(found);
}

static void test_lost_subflow_recreated(void **state)
{
        (void)state;
        struct ev_logs logs = {0};
        struct watch w = {.act_at_us = 1000000, .act = server_resets_the_join, .logs = &logs};
        struct um_sim_transfer_cfg c = two_paths(&w, 40 * MB);
        c.on_setup = subscribe_both;
        c.mark_at_us = 2500000;
        struct um_sim_transfer_result r;
        run_ok("the server resets the client's join at 1 s", &c, &r, &w);
        assert_int_equal(w.cli[JOIN_SYN_TX], 2);
        assert_int_equal(w.srv[JOIN_ACK_RX], 2);
        int closed = find_event(&logs.cli, UM_MPTCP_EVENT_SUB_CLOSED, 0);
        assert_true(closed > 0);
        assert_true(logs.cli.ev[closed].attrs & UM_MPTCP_ATTR_ERROR);
        assert_int_equal(logs.cli.ev[closed].error, ECONNRESET);
        int again = find_event(&logs.cli, UM_MPTCP_EVENT_SUB_ESTABLISHED, closed);
        assert_true(again > closed);
        assert_int_equal(logs.cli.ev[again].loc_id, 1);
        assert_true(r.path_bytes[1] - r.path_bytes_at_mark[1] > MB); /* carrying again */
}

/* A fullmesh endpoint: the client's 10.0.1.1 opens a subflow to every address the server
 * has — the one connected to and the two it announces — and the client's third address,
 * no endpoint, opens none (without fullmesh, the announced 10.0.2.2 would be joined from
 * it, the routed source). */
static void fullmesh_client(void *arg, struct um_stack *cli, struct um_stack *srv)
{
        subscribe_both(arg, cli, srv);
        assert_true(um_mptcp_endpoint_add(cli, "10.0.1.1",
                                          UM_MPTCP_PM_SUBFLOW | UM_MPTCP_PM_FULLMESH, 0) > 0);
        assert_int_equal(um_mptcp_limits_set(cli, 4, 2), 0);
        assert_int_equal(um_mptcp_limits_set(srv, 4, 0), 0);
}

static void test_fullmesh_endpoint(void **state)
{
        (void)state;
        struct ev_logs logs = {0};
        struct watch w = {.logs = &logs};
        struct um_sim_transfer_cfg c = two_paths(&w, 16 * MB);
        c.n_more_paths = 2;
        c.more_paths[1] = simtest_path(50, 10);
        c.server_signal = 1;
        c.on_setup = fullmesh_client;
        struct um_sim_transfer_result r;
        run_ok("a fullmesh endpoint joins every server address", &c, &r, &w);
        assert_int_equal(w.cli[JOIN_SYN_TX], 3);
        const char *want[3] = {"10.0.0.2", "10.0.1.2", "10.0.2.2"};
        int seen[3] = {0};
        for (int i = 0; i < logs.cli.n; i++) {
                const struct um_mptcp_event *e = &logs.cli.ev[i];
                if (e->type != UM_MPTCP_EVENT_SUB_ESTABLISHED)
                        continue;
                assert_addr4(e->saddr, "10.0.1.1");
                assert_int_equal(e->loc_id, 1);
                for (int k = 0; k < 3; k++) {
                        struct in_addr a;
                        inet_pton(AF_INET, want[k], &a);
                        seen[k] += !memcmp(e->daddr, &a, 4);
                }
        }
        assert_true(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
}

/* The client's subflow endpoint removed at 1 s (RM_ADDR, its subflow closed) and added
 * again at 2 s: the connection gets its subflow back (a new endpoint serves the connections
 * already there, as Linux's does), and the second path carries data after. */
static struct watch *readd_watch;

static void readd_endpoint(struct um_stack *cli, struct um_stack *srv)
{
        (void)srv;
        assert_true(um_mptcp_endpoint_add(cli, "10.0.1.1", UM_MPTCP_PM_SUBFLOW, 0) > 0);
}

static void remove_client_endpoint(struct um_stack *cli, struct um_stack *srv)
{
        (void)srv;
        assert_int_equal(um_mptcp_endpoint_del(cli, "10.0.1.1"), 0);
        readd_watch->acted = 0;
        readd_watch->act_at_us = 2000000;
        readd_watch->act = readd_endpoint;
}

static void test_endpoint_removed_and_readded(void **state)
{
        (void)state;
        struct watch w = {.act_at_us = 1000000, .act = remove_client_endpoint};
        readd_watch = &w;
        struct um_sim_transfer_cfg c = two_paths(&w, 40 * MB);
        c.mark_at_us = 2500000;
        struct um_sim_transfer_result r;
        run_ok("the client's endpoint removed at 1 s, added again at 2 s", &c, &r, &w);
        assert_int_equal(w.cli[RM_ADDR_TX], 1);
        assert_int_equal(w.srv[RM_ADDR], 1);
        assert_int_equal(w.cli[JOIN_SYN_TX], 2);
        assert_int_equal(w.srv[JOIN_ACK_RX], 2);
        assert_true(r.path_bytes[1] - r.path_bytes_at_mark[1] > MB);
}

/* A path that goes silent for good: the client's subflow on it has data out and hears
 * nothing while the other subflow does; after three of its round trips (at least 50 ms) it
 * is stale and its data goes on the other path, before its retransmission timer (200 ms)
 * would have fired. */
static void test_silent_subflow_goes_stale_before_its_rto(void **state)
{
        (void)state;
        struct watch w = {0};
        struct um_sim_transfer_cfg c = two_paths(&w, 30 * MB);
        struct um_emu_outage cut = {.start_us = 1000000, .end_us = 1000 * 1000000ULL};
        c.more_paths[0].fwd.outages[c.more_paths[0].fwd.n_outages++] = cut;
        c.more_paths[0].rev.outages[c.more_paths[0].rev.n_outages++] = cut;
        struct um_sim_transfer_result r;
        run_ok("the second path cut for good at 1 s", &c, &r, &w);
        printf("    stale %.1f ms after the cut\n", (double)(w.stale_at - cut.start_us) / 1e3);
        assert_int_equal(w.cli[STALE], 1);
        assert_true(w.stale_at > cut.start_us + 50000);
        assert_true(w.stale_at < cut.start_us + 200000);
}

/* An endpoint with a port (RFC 8684 §3.4.1): the server announces 10.0.1.2 port 7000,
 * listens there from the announcement on (LISTENER_CREATED) and takes the client's join
 * there; it refuses there what is not a join (a plain TCP connection), and a join for this
 * connection at a port the connection did not announce (another MPTCP listener's, 5002).
 * Deleting the endpoint at 1.5 s sends RM_ADDR and closes the listener (LISTENER_CLOSED). */
enum { ANNOUNCED_PORT = 7000, OTHER_LISTENER_PORT = 5002 };
static int port_probe_fd = -1;

static void port_endpoint_setup(void *arg, struct um_stack *cli, struct um_stack *srv)
{
        subscribe_both(arg, cli, srv);
        assert_int_equal(um_mptcp_endpoint_del(cli, "10.0.1.1"), 0);
        assert_int_equal(
            um_mptcp_endpoint_add_port(srv, "10.0.1.2", ANNOUNCED_PORT, UM_MPTCP_PM_SUBFLOW, 0),
            -EINVAL); /* as Linux: a port is for an address to announce */
        assert_int_equal(
            um_mptcp_endpoint_add_port(srv, "10.0.1.2", ANNOUNCED_PORT, UM_MPTCP_PM_SIGNAL, 0), 1);
        struct um_mptcp_endpoint ep;
        assert_int_equal(um_mptcp_endpoint_get(srv, 0, &ep), 0);
        assert_int_equal(ntohs(((struct sockaddr_in *)&ep.addr)->sin_port), ANNOUNCED_PORT);
        assert_int_equal(um_mptcp_limits_set(cli, 2, 1), 0);
        int fd = um_socket(srv, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons(OTHER_LISTENER_PORT)};
        assert_int_equal(um_bind(srv, fd, (struct sockaddr *)&any, sizeof(any)), 0);
        assert_int_equal(um_listen(srv, fd, 4), 0);
}

static struct watch *port_watch;

static void delete_port_endpoint(struct um_stack *cli, struct um_stack *srv)
{
        (void)cli;
        assert_int_equal(um_mptcp_endpoint_del_id(srv, 1), 0);
}

static void probe_ports(struct um_stack *cli, struct um_stack *srv)
{
        (void)srv;
        struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(ANNOUNCED_PORT)};
        inet_pton(AF_INET, "10.0.1.2", &to.sin_addr);
        port_probe_fd = um_socket(cli, AF_INET, SOCK_STREAM, IPPROTO_TCP);
        assert_true(port_probe_fd >= 0);
        int rc = um_connect(cli, port_probe_fd, (struct sockaddr *)&to, sizeof(to));
        assert_true(rc == 0 || errno == EINPROGRESS);
        const struct ev_log *l = &port_watch->logs->cli;
        uint32_t token = l->ev[find_event(l, UM_MPTCP_EVENT_CREATED, 0)].token;
        struct um_mptcp_pm_addr local = {.id = 0};
        struct sockaddr_in *la = (struct sockaddr_in *)&local.addr;
        la->sin_family = AF_INET;
        inet_pton(AF_INET, "10.0.0.1", &la->sin_addr);
        struct sockaddr_in other = {.sin_family = AF_INET, .sin_port = htons(OTHER_LISTENER_PORT)};
        inet_pton(AF_INET, "10.0.0.2", &other.sin_addr);
        assert_int_equal(
            um_mptcp_pm_subflow_create(cli, token, &local, (struct sockaddr *)&other, 0), 0);
        port_watch->acted = 0;
        port_watch->act_at_us = 1500000;
        port_watch->act = delete_port_endpoint;
}

/* The event of a type whose local port (sport) is `port`, or NULL. */
static const struct um_mptcp_event *
event_at_port(const struct ev_log *l, enum um_mptcp_event_type type, uint16_t port, int remote)
{
        for (int i = 0; i < l->n; i++)
                if (l->ev[i].type == type && (remote ? l->ev[i].dport : l->ev[i].sport) == port)
                        return &l->ev[i];
        return NULL;
}

static void test_endpoint_with_port(void **state)
{
        (void)state;
        struct ev_logs logs = {0};
        struct watch w = {.act_at_us = 1000000, .act = probe_ports, .logs = &logs};
        port_watch = &w;
        struct um_sim_transfer_cfg c = two_paths(&w, 30 * MB);
        c.on_setup = port_endpoint_setup;
        c.mark_at_us = 1000000;
        struct um_sim_transfer_result r;
        run_ok("the server announces 10.0.1.2 port 7000", &c, &r, &w);
        /* The announcement carried the port, and the client joined there. */
        const struct um_mptcp_event *ann =
            event_at_port(&logs.cli, UM_MPTCP_EVENT_ANNOUNCED, ANNOUNCED_PORT, 1);
        assert_non_null(ann);
        assert_true(ann->attrs & UM_MPTCP_ATTR_DPORT);
        assert_non_null(
            event_at_port(&logs.cli, UM_MPTCP_EVENT_SUB_ESTABLISHED, ANNOUNCED_PORT, 1));
        assert_non_null(
            event_at_port(&logs.srv, UM_MPTCP_EVENT_SUB_ESTABLISHED, ANNOUNCED_PORT, 0));
        assert_int_equal(w.srv[JOIN_PORT_SYN_RX], 1);
        assert_int_equal(w.cli[JOIN_PORT_SYNACK_RX], 1);
        assert_true(r.path_bytes_at_mark[1] > 2 * MB); /* the port's subflow carried data */
        /* The listener: made with the announcement, closed with the endpoint. */
        const struct um_mptcp_event *lc =
            event_at_port(&logs.srv, UM_MPTCP_EVENT_LISTENER_CREATED, ANNOUNCED_PORT, 0);
        assert_non_null(lc);
        assert_addr4(lc->saddr, "10.0.1.2");
        assert_non_null(
            event_at_port(&logs.srv, UM_MPTCP_EVENT_LISTENER_CLOSED, ANNOUNCED_PORT, 0));
        assert_int_equal(w.srv[RM_ADDR_TX], 1);
        /* What is not a join, and a join to a port this connection did not announce, were
         * refused. */
        assert_int_equal(w.srv[PORT_NO_JOIN], 1);
        assert_int_equal(w.srv[MISMATCH_PORT], 1);
        assert_int_equal(w.cli[JOIN_SYN_TX], 2);
        assert_int_equal(w.srv[JOIN_ACK_RX], 1);
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

static void first_token(const struct um_mptcp_conn_info *ci, void *arg)
{
        *(uint32_t *)arg = ci->token;
}

/* A stack freed with a connection that announced a port and was closed but not yet over:
 * TCP freed the port's listener first, then the connection's end put it, reporting
 * listener_closed from its freed TCP connection and closing it again (use after free; the
 * control-socket session fuzzer found it; the sanitizer build fails here without the
 * fix). */
static void test_stack_freed_with_announced_port(void **state)
{
        (void)state;
        struct pair p;
        struct um_emu_dir_config d = {.rate_bps = 100000000, .delay_us = 1000};
        assert_int_equal(pair_open_proto(&p, &d, &d, simtest_seed(), IPPROTO_MPTCP), 0);
        uint32_t token = 0;
        assert_int_equal(um_mptcp_connections(p.cli, first_token, &token), 1);
        struct um_mptcp_pm_addr a = {.id = 3};
        struct sockaddr_in *a4 = (struct sockaddr_in *)&a.addr;
        a4->sin_family = AF_INET;
        a4->sin_port = htons(6001);
        inet_pton(AF_INET, "10.0.0.1", &a4->sin_addr);
        assert_int_equal(um_mptcp_pm_announce(p.cli, token, &a), 0);
        pair_run(&p, 50000);
        /* Closed by the application, still closing when the stack goes. */
        assert_int_equal(um_close(p.cli, p.cfd), 0);
        pair_close(&p);
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
            cmocka_unit_test(test_events_of_a_connection),
            cmocka_unit_test(test_events_of_signals),
            cmocka_unit_test(test_event_subscription),
            cmocka_unit_test(test_userspace_manager_opens_and_announces),
            cmocka_unit_test(test_userspace_manager_commands),
            cmocka_unit_test(test_lost_subflow_recreated),
            cmocka_unit_test(test_fullmesh_endpoint),
            cmocka_unit_test(test_endpoint_with_port),
            cmocka_unit_test(test_endpoint_removed_and_readded),
            cmocka_unit_test(test_silent_subflow_goes_stale_before_its_rto),
            cmocka_unit_test(test_stack_freed_with_announced_port),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
