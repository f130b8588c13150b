/* What a hostile peer can do to the path manager's side of the engine, segment by segment
 * (issue 22, items 1-4): SYN-cookie joins another peer's SYNs must not evict, joins that
 * fail in their handshake and their place under the limits, announcements of addresses no
 * subflow can go to, and floods of signals on one connection that must not change what
 * another connection's events, joins and announcements are. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <umptcp/mptcp.h>
#include <umptcp/mptcp_pm.h>
#include <umptcp/socket.h>
#include <umptcp/tcp_ext.h>

#include "mptcp/mptcp_crypto.h"
#include "net/addr.h"
#include "seg_script.h"
#include "simtest.h"

/* ---- The events a test's subscriber saw ---- */

enum { LOG_MAX = 8192 };
struct ev_log {
        struct um_mptcp_event ev[LOG_MAX];
        int n;
};

static void log_event(struct um_stack *st, const struct um_mptcp_event *ev, void *arg)
{
        (void)st;
        struct ev_log *l = arg;
        if (l->n < LOG_MAX)
                l->ev[l->n++] = *ev;
}

static int count_events(const struct ev_log *l, enum um_mptcp_event_type type, uint32_t token)
{
        int n = 0;
        for (int i = 0; i < l->n; i++)
                n += l->ev[i].type == type && l->ev[i].token == token;
        return n;
}

static uint64_t ctr(struct seg_peer *p, const char *name)
{
        return um_counter_get(p->st, name);
}

/* ---- Connections the peer opened to the stack, each from its own port ---- */

struct conn {
        struct mpc_conn m;
        uint16_t port;
        uint32_t token; /* the stack's, as its events report it */
};

static uint32_t token_of(uint64_t key)
{
        uint32_t token;
        uint64_t idsn;
        mptcp_key_derive(NULL, key, &token, &idsn);
        return token;
}

static void open_conn(struct seg_peer *p, struct conn *c, int lfd, uint16_t port)
{
        p->port = port;
        c->port = port;
        mpc_open_on(p, &c->m, lfd, 0);
        c->token = token_of(c->m.key_b);
}

/* A pure ACK from the peer on the connection's first subflow. */
static struct seg on_conn(const struct conn *c)
{
        struct seg s = to_stack(c->m.seq_a, c->m.seq_b, UM_TH_ACK);
        s.sport = c->port;
        return s;
}

static void send_add_addr(struct seg_peer *p, const struct conn *c, uint8_t id, const char *addr)
{
        struct um_addr a;
        assert_int_equal(um_addr_parse(addr, &a), 0);
        uint64_t hmac =
            mptcp_add_addr_hmac(NULL, c->m.key_a, c->m.key_b, id, a.b, um_addr_len(&a), 0);
        struct seg s = on_conn(c);
        uint8_t o[30];
        seg_add_opt(&s, o, mptcp_write_add_addr(o, 0, id, &a, 0, 1, hmac));
        seg_peer_send(p, &s);
}

/* The next ADD_ADDR (not an echo) the stack sends to the peer's port, within `us`. */
static int wait_add_addr(struct seg_peer *p, uint16_t port, uint64_t us, struct seg *out)
{
        while (wait_to(p, out, port, us))
                if (mptcp_has(&out->mp, MPTCPOPT_ADD_ADDR) && !out->mp.add_echo)
                        return 1;
        return 0;
}

/* The next join SYN the stack sends, within `us`. */
static int wait_join_syn(struct seg_peer *p, uint64_t us, struct seg *out)
{
        while (seg_peer_wait(p, out, us))
                if (out->flags == UM_TH_SYN && mptcp_has(&out->mp, MPTCPOPT_MP_JOIN))
                        return 1;
        return 0;
}

/* The peer refuses a SYN the stack sent, as a host with nothing listening does. */
static void refuse(struct seg_peer *p, const struct seg *syn)
{
        struct seg rst = {.sport = syn->dport,
                          .dport = syn->sport,
                          .ack = syn->seq + 1,
                          .flags = UM_TH_RST | UM_TH_ACK,
                          .peer_host = syn->peer_host,
                          .stack_host = syn->stack_host};
        seg_peer_send(p, &rst);
}

/* ---- Item 1: joins waiting under SYN cookies ---- */

/* A half-open connection fills a listener's SYN queue of one: from here on, cookies (a
 * new one each time, as the old one's SYN/ACK repeats run out). */
static void cookie_mode(struct seg_peer *p)
{
        uint16_t port = (uint16_t)(33333 + p->now / 1000000); /* a new one each second */
        struct seg half = {.sport = port, .dport = PORT, .seq = 5, .flags = UM_TH_SYN};
        add_mpc(&half, MPC_LEN_SYN, 0, 0);
        seg_peer_send(p, &half);
        seg_peer_drain(p);
}

/* A stack whose MPTCP listener answers with cookies, room for 8 subflows a connection,
 * and a first connection made through a cookie; returns the listener. */
static int open_under_cookies(struct seg_peer *p, struct conn *first)
{
        assert_int_equal(seg_peer_open(p, simtest_seed()), 0);
        assert_int_equal(um_mptcp_limits_set(p->st, 8, 0), 0);
        int lfd = listen_backlog(p, IPPROTO_MPTCP, 1);
        cookie_mode(p);
        open_conn(p, first, lfd, 40000);
        seg_peer_drain(p);
        return lfd;
}

/* A join SYN for the connection from sport: 1 when the stack answers with its SYN/ACK (a
 * place in the table), 0 when it refuses. */
static int join_taken(struct seg_peer *p, const struct conn *c, uint16_t sport)
{
        struct seg syn = join_syn_seg(&c->m, sport, 77), answer;
        seg_peer_send(p, &syn);
        assert_true(wait_to(p, &answer, sport, 100000));
        return (answer.flags & UM_TH_SYN) && mptcp_has(&answer.mp, MPTCPOPT_MP_JOIN);
}

/* The table of joins answered with SYN cookies had 1,024 single-entry slots chosen by a
 * hash the salt only started, so the slot was a fixed function of the low 10 bits of the
 * source port: 1,024 join SYNs from consecutive ports (any valid token, the attacker's own
 * connection's) evicted every waiting join, and one SYN from the victim's address at its
 * port + 1024 evicted exactly that one; the victims were reset at their third ACK. */
static void test_join_cookies_hold_against_a_flood(void **state)
{
        (void)state;
        struct seg_peer p;
        struct conn victim, attacker;
        int lfd = open_under_cookies(&p, &victim);
        open_conn(&p, &attacker, lfd, 40001);
        seg_peer_drain(&p);

        enum { JOINS = 7, FLOOD = 1024 };
        struct join_half joins[JOINS];
        for (int i = 0; i < JOINS; i++)
                join_begin(&p, &victim.m, (uint16_t)(42001 + i), &joins[i]);
        for (int i = 0; i < FLOOD; i++) {
                struct seg syn = join_syn_seg(&attacker.m, (uint16_t)(50000 + i), (uint32_t)i);
                seg_peer_send(&p, &syn);
        }
        for (int i = 0; i < JOINS; i++) { /* where the old slots of the victims' were */
                struct seg syn = join_syn_seg(&attacker.m, (uint16_t)(42001 + i + 1024), 7);
                seg_peer_send(&p, &syn);
        }
        seg_peer_drain(&p);
        int completed = 0;
        for (int i = 0; i < JOINS; i++)
                completed += join_end(&p, &victim.m, &joins[i]);
        printf("    %d of %d joins completed; %llu of %d flood SYNs refused\n", completed, JOINS,
               (unsigned long long)ctr(&p, "MPTcpExtMPJoinCookieFull"), FLOOD + JOINS);
        assert_int_equal(completed, JOINS);
        /* The attacker's connection had its share, no more. */
        assert_true(ctr(&p, "MPTcpExtMPJoinCookieFull") >= FLOOD + JOINS - 16);
        assert_int_equal(ctr(&p, "MPTcpExtMPJoinAckRx"), JOINS);
        struct mptcp_info mi;
        socklen_t l = sizeof(mi);
        assert_int_equal(um_getsockopt(p.st, victim.m.fd, SOL_MPTCP, MPTCP_INFO, &mi, &l), 0);
        assert_int_equal(mi.mptcpi_subflows, JOINS);
        um_close(p.st, attacker.m.fd);
        mpc_close(&p, &victim.m);
}

/* Review of the above: a connection's 16 joins whose third ACKs never came held its share
 * for good (expired entries still counted), so it could never join again under cookies. */
static void test_join_cookie_share_comes_back(void **state)
{
        (void)state;
        struct seg_peer p;
        struct conn c;
        open_under_cookies(&p, &c);
        for (int i = 0; i < 16; i++)
                assert_true(join_taken(&p, &c, (uint16_t)(43001 + i)));
        assert_false(join_taken(&p, &c, 43100)); /* its share is full */
        for (int s = 0; s < 20; s++) {           /* past the entries' 16 s */
                seg_peer_run(&p, 1000000);
                seg_peer_drain(&p);
        }
        cookie_mode(&p);
        assert_true(join_taken(&p, &c, 44000));
        mpc_close(&p, &c.m);
}

/* Review of the above: tokens cost one handshake each, so 80 connections with 48 joins
 * each, repeated every 15 s (which kept their entries young), held every place of the table
 * and every other client's join under cookies was refused (0 of 10). A repeat now keeps its
 * entry's age, and a connection holding fewer entries takes the place of one holding more. */
static void test_join_cookies_shared_among_connections(void **state)
{
        (void)state;
        struct seg_peer p;
        struct conn victim;
        int lfd = open_under_cookies(&p, &victim);
        enum { ATTACKERS = 80, EACH = 48 };
        static struct conn att[ATTACKERS];
        for (int a = 0; a < ATTACKERS; a++) {
                open_conn(&p, &att[a], lfd, (uint16_t)(20000 + a));
                seg_peer_drain(&p);
        }
        for (int round = 0; round < 3; round++) {
                for (int a = 0; a < ATTACKERS; a++)
                        for (int i = 0; i < EACH; i++) {
                                struct seg syn =
                                    join_syn_seg(&att[a].m, (uint16_t)(50000 + a * EACH + i), 1);
                                seg_peer_send(&p, &syn);
                        }
                seg_peer_drain(&p);
                if (round < 2) {
                        seg_peer_run(&p, 15000000);
                        seg_peer_drain(&p);
                        cookie_mode(&p);
                }
        }
        int taken = 0;
        for (int i = 0; i < 7; i++)
                taken += join_taken(&p, &victim, (uint16_t)(44000 + i));
        printf("    %d of 7 joins taken against 80 connections' floods; %llu refused, %llu "
               "evicted\n",
               taken, (unsigned long long)ctr(&p, "MPTcpExtMPJoinCookieFull"),
               (unsigned long long)ctr(&p, "MPTcpExtMPJoinCookieEvicted"));
        assert_int_equal(taken, 7);
        for (int a = 0; a < ATTACKERS; a++)
                um_close(p.st, att[a].m.fd);
        mpc_close(&p, &victim.m);
}

/* ---- Item 2: joins that fail in their handshake ---- */

/* The stack connects out to the peer and the peer confirms the key with a DATA_ACK: the
 * connection is established at the stack. Returns the socket; *syn is its SYN. */
static int client_established(struct seg_peer *p, struct seg *syn, uint64_t *stack_key)
{
        int fd = mpc_connect_out(p, syn);
        struct seg third; /* MPTCP v1: the initiator's key comes with its third ACK */
        assert_true(seg_peer_recv(p, &third));
        assert_true(mptcp_has(&third.mp, MPTCPOPT_MP_CAPABLE));
        *stack_key = third.mp.mpc_sndr_key;
        uint32_t token;
        uint64_t idsn;
        mptcp_key_derive(NULL, *stack_key, &token, &idsn);
        struct seg ack = to_initiator(syn, PEER_ISN + 1, syn->seq + 1, UM_TH_ACK);
        struct mptcp_dss_out d = {.flags = DSS_A | DSS_a, .data_ack = idsn + 1};
        uint8_t o[28];
        seg_add_opt(&ack, o, mptcp_write_dss(o, &d));
        seg_peer_send(p, &ack);
        return fd;
}

/* SUB_CLOSED came only for subflows reported established: a join refused at its SYN
 * never gave back its place under the limit, and the built-in manager never tried it
 * again (one SYN in 300 s, where 1 s, 2, 4, ... were documented). */
static void test_failed_joins_reported_and_retried(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        assert_true(um_stack_add_addr(p.st, 0, "10.0.0.3/24") >= 0);
        assert_true(um_mptcp_endpoint_add(p.st, "10.0.0.3", UM_MPTCP_PM_SUBFLOW, 0) > 0);
        static struct ev_log log;
        log.n = 0;
        assert_true(um_mptcp_pm_subscribe(p.st, log_event, &log) > 0);
        struct seg syn;
        uint64_t key;
        int fd = client_established(&p, &syn, &key);
        uint32_t token = token_of(key);

        /* Every join from 10.0.0.3 is refused, for 16 s. */
        int syns = 0;
        uint64_t end = p.now + 16000000;
        struct seg s;
        while (p.now < end && wait_join_syn(&p, end - p.now, &s)) {
                assert_int_equal(s.stack_host, 3);
                syns++;
                refuse(&p, &s);
        }
        seg_peer_run(&p, 1000);
        printf("    %d join SYNs in 16 s, each refused\n", syns);
        assert_true(syns >= 4); /* at 0, 1, 3, 7 and 15 s */
        int closed = 0;
        for (int i = 0; i < log.n; i++)
                if (log.ev[i].type == UM_MPTCP_EVENT_SUB_CLOSED && log.ev[i].token == token) {
                        assert_true(log.ev[i].attrs & UM_MPTCP_ATTR_ERROR);
                        assert_int_equal(log.ev[i].error, ECONNREFUSED);
                        assert_int_equal(log.ev[i].loc_id, 1);
                        closed++;
                }
        assert_int_equal(closed, syns);
        assert_int_equal(ctr(&p, "MPTcpExtMPJoinSynTx"), syns);
        um_close(p.st, fd);
        seg_peer_close(&p);
}

/* With room for one join and two announced addresses, a join to the first that is refused
 * must leave room for the second. */
static void test_failed_join_gives_back_its_place(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        assert_int_equal(um_mptcp_limits_set(p.st, 1, 2), 0);
        struct seg syn;
        uint64_t key;
        int fd = client_established(&p, &syn, &key);
        struct conn peer = {.port = PORT};
        peer.m.key_a = 0x5555aaaa5555aaaaULL; /* the peer's, as mpc_connect_out answers */
        peer.m.key_b = key;

        for (uint8_t id = 1; id <= 2; id++) {
                struct um_addr a;
                um_addr_parse(id == 1 ? "10.0.0.4" : "10.0.0.5", &a);
                uint64_t hmac = mptcp_add_addr_hmac(NULL, peer.m.key_a, key, id, a.b, 4, 0);
                struct seg ann = to_initiator(&syn, PEER_ISN + 1, syn.seq + 1, UM_TH_ACK);
                uint8_t o[30];
                seg_add_opt(&ann, o, mptcp_write_add_addr(o, 0, id, &a, 0, 1, hmac));
                seg_peer_send(&p, &ann);
                struct seg join;
                assert_true(wait_join_syn(&p, 1000000, &join));
                assert_int_equal(join.peer_host, id == 1 ? 4 : 5);
                refuse(&p, &join);
        }
        um_close(p.st, fd);
        seg_peer_close(&p);
}

/* ---- Item 3: announcements no subflow can go to ---- */

/* An authenticated ADD_ADDR of 0.0.0.0 made the manager attach a subflow before connect()
 * refused it; the subflow stayed attached and CLOSED, and seven such filled the connection's
 * eight places. Addresses a remote host cannot have, and our own, are now echoed but not
 * taken up; a join the engine cannot start leaves nothing behind. */
static void test_unusable_announcements_ignored(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        assert_int_equal(um_mptcp_limits_set(p.st, 8, 8), 0);
        struct conn c;
        open_conn(&p, &c, listen_on(&p, IPPROTO_MPTCP), 40000);
        static const char *const bad[] = {"0.0.0.0",   "0.1.2.3",         "127.0.0.1",
                                          "224.0.0.1", "255.255.255.255", "10.0.0.2"};
        enum { N_BAD = sizeof(bad) / sizeof(bad[0]) };
        for (int i = 0; i < N_BAD; i++)
                send_add_addr(&p, &c, (uint8_t)(i + 1), bad[i]);
        seg_peer_run(&p, 100000);
        struct mptcp_info mi;
        socklen_t l = sizeof(mi);
        assert_int_equal(um_getsockopt(p.st, c.m.fd, SOL_MPTCP, MPTCP_INFO, &mi, &l), 0);
        assert_int_equal(mi.mptcpi_subflows, 0);
        assert_int_equal(ctr(&p, "MPTcpExtMPJoinSynTx"), 0);
        assert_int_equal(ctr(&p, "MPTcpExtAddAddrIgnored"), N_BAD);
        assert_true(ctr(&p, "MPTcpExtEchoAddTx") >= N_BAD);

        /* The same through a manager's command. */
        struct um_mptcp_pm_addr any = {0};
        any.addr.ss_family = AF_INET;
        struct sockaddr_in nowhere = {.sin_family = AF_INET, .sin_port = htons(PORT)};
        assert_int_equal(
            um_mptcp_pm_subflow_create(p.st, c.token, &any, (struct sockaddr *)&nowhere, 0),
            -EINVAL);
        assert_int_equal(um_getsockopt(p.st, c.m.fd, SOL_MPTCP, MPTCP_INFO, &mi, &l), 0);
        assert_int_equal(mi.mptcpi_subflows, 0);

        /* A real address is still taken up. */
        send_add_addr(&p, &c, 9, "10.0.0.4");
        struct seg join;
        assert_true(wait_join_syn(&p, 1000000, &join));
        assert_int_equal(join.peer_host, 4);
        assert_int_equal(ctr(&p, "MPTcpExtMPJoinSynTx"), 1);
        mpc_close(&p, &c.m);
}

/* ---- Item 4: one connection's flood and another's events ---- */

/* Every authenticated ADD_ADDR queued an ANNOUNCED event, in a queue of 1,024 drained once
 * per poll: 1,100 on the attacker's own connection, read in one poll with another
 * connection's third ACK, lost that connection's ESTABLISHED, and with it the built-in
 * manager's announcement of its signal endpoint. Now the queue does not drop, the
 * attacker's announcements are reported once each and at most UM_MPTCP_ANNOUNCE_BURST at
 * once, and repeated MP_PRIOs and RM_ADDRs of unknown IDs report nothing. */
static void test_flood_on_one_connection_spares_another(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        assert_true(um_stack_add_addr(p.st, 0, "10.0.0.3/24") >= 0);
        assert_true(um_mptcp_endpoint_add(p.st, "10.0.0.3", UM_MPTCP_PM_SIGNAL, 0) > 0);
        static struct ev_log log;
        log.n = 0;
        assert_true(um_mptcp_pm_subscribe(p.st, log_event, &log) > 0);
        int lfd = listen_on(&p, IPPROTO_MPTCP);
        struct conn attacker, victim;
        open_conn(&p, &attacker, lfd, 40001);
        seg_peer_run(&p, 1000);
        seg_peer_drain(&p);

        p.port = victim.port = 40000;
        mpc_handshake_start(&p, &victim.m, lfd);
        victim.token = token_of(victim.m.key_b);
        enum { FLOOD = 1100 };
        p.hold = 1; /* all of it read in one poll, the victim's third ACK amid it */
        for (int i = 0; i < FLOOD; i++) {
                char addr[32];
                snprintf(addr, sizeof(addr), "10.1.%d.%d", i / 250, i % 250 + 1);
                send_add_addr(&p, &attacker, (uint8_t)(i % 255 + 1), addr);
        }
        mpc_handshake_finish(&p, &victim.m, 0);
        for (int i = 0; i < 400; i++) { /* the same priority again and again */
                struct seg prio = on_conn(&attacker);
                uint8_t o[4];
                seg_add_opt(&prio, o, mptcp_write_mp_prio(o, 1));
                seg_peer_send(&p, &prio);
        }
        for (int i = 0; i < 400; i++) { /* IDs it never announced */
                struct seg rm = on_conn(&attacker);
                uint8_t o[12], ids[1] = {(uint8_t)(200 + i % 50)};
                seg_add_opt(&rm, o, mptcp_write_rm_addr(o, ids, 1));
                seg_peer_send(&p, &rm);
        }
        p.hold = 0;
        seg_peer_run(&p, 0);
        printf("    attacker: %d announced, %d priority, %d removed events; %llu dropped\n",
               count_events(&log, UM_MPTCP_EVENT_ANNOUNCED, attacker.token),
               count_events(&log, UM_MPTCP_EVENT_SUB_PRIORITY, attacker.token),
               count_events(&log, UM_MPTCP_EVENT_REMOVED, attacker.token),
               (unsigned long long)ctr(&p, "MPTcpExtPmEventDrops"));
        assert_int_equal(count_events(&log, UM_MPTCP_EVENT_ESTABLISHED, victim.token), 1);
        assert_int_equal(ctr(&p, "MPTcpExtPmEventDrops"), 0);
        assert_true(count_events(&log, UM_MPTCP_EVENT_ANNOUNCED, attacker.token) <=
                    UM_MPTCP_ANNOUNCE_BURST);
        assert_int_equal(count_events(&log, UM_MPTCP_EVENT_SUB_PRIORITY, attacker.token), 1);
        assert_int_equal(count_events(&log, UM_MPTCP_EVENT_REMOVED, attacker.token), 0);
        /* The victim's connection got its manager's announcement all the same. */
        struct seg ann;
        assert_true(wait_add_addr(&p, victim.port, 1000000, &ann));
        victim.m.fd = um_accept(p.st, lfd, NULL, NULL);
        assert_true(victim.m.fd >= 0);

        /* A repeat is echoed but reported once; new ones are taken again a while later. */
        int before = count_events(&log, UM_MPTCP_EVENT_ANNOUNCED, attacker.token);
        seg_peer_run(&p, 2 * UM_MPTCP_ANNOUNCE_INTERVAL_MS * 1000);
        send_add_addr(&p, &attacker, 1, "10.9.0.1");
        send_add_addr(&p, &attacker, 1, "10.9.0.1");
        seg_peer_run(&p, 1000);
        assert_int_equal(count_events(&log, UM_MPTCP_EVENT_ANNOUNCED, attacker.token), before + 1);
        um_close(p.st, attacker.m.fd);
        mpc_close(&p, &victim.m);
}

/* Review of item 4: a subflow's remote ID kept that ID known after its RM_ADDR, and a join
 * still in its handshake to the removed address was not closed, so each repeat of the ID
 * (37 in one option, 200 options in one poll) made a REMOVED event (7,400), and the join
 * went on repeating its SYN to the removed address. */
static void test_rm_addr_repeats_report_once(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        assert_int_equal(um_mptcp_limits_set(p.st, 8, 8), 0);
        static struct ev_log log;
        log.n = 0;
        assert_true(um_mptcp_pm_subscribe(p.st, log_event, &log) > 0);
        struct conn c;
        open_conn(&p, &c, listen_on(&p, IPPROTO_MPTCP), 40000);
        send_add_addr(&p, &c, 5, "10.0.0.4");
        struct seg join;
        assert_true(wait_join_syn(&p, 1000000, &join)); /* left unanswered */
        assert_int_equal(join.peer_host, 4);
        uint8_t ids[37];
        memset(ids, 5, sizeof(ids));
        p.hold = 1;
        for (int i = 0; i < 200; i++) {
                struct seg rm = on_conn(&c);
                uint8_t o[40];
                seg_add_opt(&rm, o, mptcp_write_rm_addr(o, ids, sizeof(ids)));
                seg_peer_send(&p, &rm);
        }
        p.hold = 0;
        seg_peer_run(&p, 0);
        assert_int_equal(count_events(&log, UM_MPTCP_EVENT_REMOVED, c.token), 1);
        /* The join to it is over: no more SYNs there. */
        int syns = 0;
        while (wait_join_syn(&p, 10000000, &join))
                syns += join.peer_host == 4;
        assert_int_equal(syns, 0);
        mpc_close(&p, &c.m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_join_cookies_hold_against_a_flood),
            cmocka_unit_test(test_join_cookie_share_comes_back),
            cmocka_unit_test(test_join_cookies_shared_among_connections),
            cmocka_unit_test(test_failed_joins_reported_and_retried),
            cmocka_unit_test(test_failed_join_gives_back_its_place),
            cmocka_unit_test(test_unusable_announcements_ignored),
            cmocka_unit_test(test_flood_on_one_connection_spares_another),
            cmocka_unit_test(test_rm_addr_repeats_report_once),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
