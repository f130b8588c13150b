/* Exact-segment tests: what the stack sends for what a scripted peer sends it, byte for
 * byte, for exchanges that whole transfers reach only by chance (a Linux client's TCP Fast
 * Open SYN, a reset before accept(), lost handshake segments, injected options). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <umptcp/mptcp.h>
#include <umptcp/socket.h>
#include <umptcp/tcp_ext.h>

#include "mptcp/mptcp.h"
#include "mptcp/mptcp_crypto.h"
#include "net/addr.h"
#include "seg_script.h"
#include "simtest.h"

/* Issue 11 item 1: a Linux client with TCP Fast Open (net.ipv4.tcp_fastopen=5) puts data in
 * its MP_CAPABLE SYN, then, its SYN/ACK acknowledging only the SYN, sends the data again
 * with a DSS holding only a DATA_ACK: no MP_CAPABLE, no mapping. Linux's server falls back
 * and the data arrives; umptcp reset the subflow and then freed the child while it waited
 * on the accept queue (a use-after-free in accept()). */
static void test_fast_open_client_falls_back(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        int lfd = listen_on(&p, IPPROTO_MPTCP);
        uint8_t data[1000];
        fill(data, sizeof(data), 3);

        struct seg syn = to_stack(PEER_ISN, 0, UM_TH_SYN);
        add_mpc(&syn, MPC_LEN_SYN, 0, 0);
        syn.payload = data;
        syn.len = sizeof(data);
        seg_peer_send(&p, &syn);
        struct seg synack;
        assert_true(seg_peer_recv(&p, &synack));
        assert_int_equal(synack.flags, UM_TH_SYN | UM_TH_ACK);
        assert_int_equal(synack.ack, PEER_ISN + 1); /* the SYN's data is not taken */
        assert_true(mptcp_has(&synack.mp, MPTCPOPT_MP_CAPABLE));
        assert_int_equal(synack.mp.mpc_len, MPC_LEN_SYNACK);

        struct seg again = to_stack(PEER_ISN + 1, synack.seq + 1, UM_TH_ACK | UM_TH_PSH);
        uint8_t dss[8];
        struct mptcp_dss_out d = {.flags = DSS_A, .data_ack = 12345};
        seg_add_opt(&again, dss, mptcp_write_dss(dss, &d));
        again.payload = data;
        again.len = sizeof(data);
        seg_peer_send(&p, &again);
        struct seg ack;
        assert_true(seg_peer_wait(&p, &ack, 200000));
        assert_false(ack.flags & UM_TH_RST);
        assert_int_equal(ack.ack, PEER_ISN + 1 + sizeof(data));
        assert_int_equal(ack.n_mptcp, 0); /* plain TCP from here: the client falls back too */
        assert_true(um_counter_get(p.st, "MPTcpExtMPCapableFallbackACK") == 1);

        int fd = um_accept(p.st, lfd, NULL, NULL);
        assert_true(fd >= 0);
        uint8_t got[2000];
        assert_int_equal(um_recv(p.st, fd, got, sizeof(got), 0), sizeof(data));
        assert_memory_equal(got, data, sizeof(data));
        assert_true(fell_back(p.st, fd));
        um_close(p.st, fd);
        um_close(p.st, lfd);
        seg_peer_close(&p);
}

/* Issue 11 item 7: a blind attacker's segment, in the window but with an ACK that fails
 * RFC 5961's checks, carries a DATA_FIN and an MP_FAIL. Its options acted before the ACK
 * was checked: the first DATA_FIN recorded wins (EOF never came), and MP_FAIL on the only
 * subflow forced a fallback. Now it earns a challenge ACK and nothing else. */
static void test_options_of_a_bad_ack_ignored(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        struct mpc_conn m;
        mpc_open(&p, &m);
        seg_peer_drain(&p);

        struct seg evil = to_stack(m.seq_a, m.seq_b + 100000, UM_TH_ACK);
        struct mptcp_dss_out d = {
            .flags = DSS_M | DSS_m | DSS_F, .dsn = m.dsn_a + 5, .ssn = 0, .data_len = 1};
        uint8_t o[28];
        seg_add_opt(&evil, o, mptcp_write_dss(o, &d));
        seg_add_opt(&evil, o, mptcp_write_mp_fail(o, m.dsn_a));
        uint64_t too_new = um_counter_get(p.st, "TcpExtAckTooNew");
        seg_peer_send(&p, &evil);
        assert_int_equal(um_counter_get(p.st, "TcpExtAckTooNew"), too_new + 1);
        struct seg challenge;
        assert_true(seg_peer_recv(&p, &challenge));
        assert_int_equal(challenge.ack, m.seq_a);
        assert_int_equal(um_counter_get(p.st, "MPTcpExtMPFailRx"), 0);

        mpc_send(&p, &m, "0123456789", 0);
        mpc_send(&p, &m, NULL, 1);
        char buf[64];
        assert_int_equal(um_recv(p.st, m.fd, buf, sizeof(buf), 0), 10);
        assert_memory_equal(buf, "0123456789", 10);
        assert_int_equal(um_recv(p.st, m.fd, buf, sizeof(buf), 0), 0); /* the real DATA_FIN */
        assert_false(fell_back(p.st, m.fd));
        mpc_close(&p, &m);
}

/* Issue 11 item 3: the third ACK and the first data (which carry the initiator's key) are
 * lost, later data arrives. The server waited for the key but acknowledged that data with a
 * bare ACK, which a Linux client reads as MPTCP stripped and falls back on, while the server
 * stayed MPTCP and reset the subflow later. Both ends must agree: the server sends nothing
 * without its option until the key comes (the client's retransmission brings it). */
static void test_no_bare_ack_before_the_key(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        int lfd = listen_on(&p, IPPROTO_MPTCP);
        uint64_t key_a = 0x1122334455667788ULL, idsn_a;
        uint32_t token;
        mptcp_key_derive(NULL, key_a, &token, &idsn_a);
        struct seg syn = to_stack(PEER_ISN, 0, UM_TH_SYN);
        add_mpc(&syn, MPC_LEN_SYN, 0, 0);
        seg_peer_send(&p, &syn);
        struct seg synack;
        assert_true(seg_peer_recv(&p, &synack));
        uint64_t key_b = synack.mp.mpc_sndr_key, idsn_b;
        mptcp_key_derive(NULL, key_b, &token, &idsn_b);

        /* Bytes 11-20 of the stream, under a DSS: the third ACK and bytes 1-10 are lost. */
        struct seg later = to_stack(PEER_ISN + 11, synack.seq + 1, UM_TH_ACK | UM_TH_PSH);
        struct mptcp_dss_out d = {.flags = DSS_A | DSS_a | DSS_M | DSS_m,
                                  .data_ack = idsn_b + 1,
                                  .dsn = idsn_a + 11,
                                  .ssn = 11,
                                  .data_len = 10};
        uint8_t o[28];
        seg_add_opt(&later, o, mptcp_write_dss(o, &d));
        later.payload = (const uint8_t *)"klmnopqrst";
        later.len = 10;
        seg_peer_send(&p, &later);
        struct seg out;
        while (seg_peer_wait(&p, &out, 500000)) /* nothing bare: a SYN/ACK again at most */
                assert_true(out.n_mptcp > 0);
        assert_true(um_counter_get(p.st, "TcpExtAckWithheld") >= 1);

        /* The client's retransmission of its first data carries the keys (RFC 8684 §3.1). */
        struct seg first = to_stack(PEER_ISN + 1, synack.seq + 1, UM_TH_ACK | UM_TH_PSH);
        uint8_t mpc[24];
        seg_add_opt(&first, mpc,
                    mptcp_write_mpc(mpc, MPC_LEN_DATA, MPC_FLAG_H, key_a, key_b, 10, 0));
        first.payload = (const uint8_t *)"abcdefghij";
        first.len = 10;
        seg_peer_send(&p, &first);
        assert_true(seg_peer_wait(&p, &out, 200000));
        assert_int_equal(out.ack, PEER_ISN + 21);
        assert_true(mptcp_has(&out.mp, MPTCPOPT_DSS));
        assert_true(out.mp.dss_flags & DSS_A);
        assert_true(out.mp.data_ack == ((idsn_a + 21) & 0xffffffff) ||
                    out.mp.data_ack == idsn_a + 21);
        int fd = um_accept(p.st, lfd, NULL, NULL);
        assert_true(fd >= 0);
        char buf[32];
        assert_int_equal(um_recv(p.st, fd, buf, sizeof(buf), 0), 20);
        assert_memory_equal(buf, "abcdefghijklmnopqrst", 20);
        assert_false(fell_back(p.st, fd));
        um_close(p.st, fd);
        um_close(p.st, lfd);
        seg_peer_close(&p);
}

/* Issue 11 item 11: an ADD_ADDR confirmed the MP_CAPABLE handshake before its HMAC was
 * checked, so a forged one kept an initiator in MPTCP whose listener never had its key. Now
 * it confirms nothing: at the listener's first sequence number, a segment without a DSS
 * or an authentic ADD_ADDR means fallback. */
static void test_forged_add_addr_confirms_nothing(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        struct seg syn;
        int fd = mpc_connect_out(&p, &syn);
        seg_peer_drain(&p); /* the third ACK */
        assert_int_equal(um_send(p.st, fd, "hello", 5, 0), 5);
        struct seg data;
        assert_true(seg_peer_wait(&p, &data, 100000));
        assert_int_equal(data.len, 5);

        struct seg forged = to_initiator(&syn, PEER_ISN + 1, syn.seq + 1, UM_TH_ACK);
        struct um_addr a;
        um_addr_parse("10.0.9.9", &a);
        uint8_t o[40];
        seg_add_opt(&forged, o, mptcp_write_add_addr(o, 0, 7, &a, 0, 1, 0x0123456789abcdefULL));
        seg_peer_send(&p, &forged);
        assert_true(fell_back(p.st, fd));
        um_close(p.st, fd);
        seg_peer_close(&p);
}

/* Issue 11 item 3, the initiator's side: a Linux listener that lost our third ACK and first
 * data falls back on our next data (a DSS without MP_CAPABLE) and answers with a bare ACK
 * that acknowledges nothing new. Linux initiators fall back on it; umptcp waited for an ACK
 * of data, sending DSS options to a peer that had left MPTCP. */
static void test_listener_fallback_seen_at_once(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        struct seg syn;
        int fd = mpc_connect_out(&p, &syn);
        assert_int_equal(um_send(p.st, fd, "hello", 5, 0), 5);
        seg_peer_drain(&p); /* the third ACK and the first data: "lost" */
        struct seg dup = to_initiator(&syn, PEER_ISN + 1, syn.seq + 1, UM_TH_ACK);
        seg_peer_send(&p, &dup);
        assert_true(fell_back(p.st, fd));
        um_close(p.st, fd);
        seg_peer_close(&p);
}

/* A join for a token nobody has is refused with a reset carrying MP_TCPRST, counted in
 * MPTcpExtMPRstTx like every other (issue 11 item 11: it was not, having no connection). */
static void test_join_with_unknown_token_reset_counted(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        int lfd = listen_on(&p, IPPROTO_MPTCP);
        struct seg syn = to_stack(PEER_ISN, 0, UM_TH_SYN);
        uint8_t o[12];
        seg_add_opt(&syn, o, mptcp_write_join_syn(o, 0, 1, 0xdeadbeef, 42));
        seg_peer_send(&p, &syn);
        struct seg rst;
        assert_true(seg_peer_wait(&p, &rst, 100000));
        assert_true(rst.flags & UM_TH_RST);
        assert_true(mptcp_has(&rst.mp, MPTCPOPT_MP_TCPRST));
        assert_int_equal(rst.mp.rst_reason, MPTCP_RST_EMPTCP);
        assert_int_equal(um_counter_get(p.st, "MPTcpExtMPJoinNoTokenFound"), 1);
        assert_int_equal(um_counter_get(p.st, "MPTcpExtMPRstTx"), 1);
        um_close(p.st, lfd);
        seg_peer_close(&p);
}

/* Issue 11 item 8: join slots were counted at the SYN, so two SYNs carrying the token (it
 * is derived from a key sent in clear) filled the default limit of two, and the real
 * client's join was refused for some 127 s. They count when the third ACK proves the keys. */
static void test_spoofed_join_syns_hold_no_slot(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        struct mpc_conn m;
        mpc_open(&p, &m);
        seg_peer_drain(&p);
        for (uint16_t port = 41001; port <= 41004; port++) {
                struct seg spoof = join_syn_seg(&m, port, 99);
                seg_peer_send(&p, &spoof);
        }
        seg_peer_drain(&p);
        assert_true(join_open(&p, &m, 42001));
        assert_true(join_open(&p, &m, 42002));
        /* The limit (two joins, Linux's default) holds for real joins. */
        assert_false(join_open(&p, &m, 42003));
        assert_int_equal(um_counter_get(p.st, "MPTcpExtMPJoinAckRx"), 2);
        assert_int_equal(um_counter_get(p.st, "MPTcpExtMPJoinRejected"), 1);
        struct mptcp_info mi;
        socklen_t l = sizeof(mi);
        assert_int_equal(um_getsockopt(p.st, m.fd, SOL_MPTCP, MPTCP_INFO, &mi, &l), 0);
        assert_int_equal(mi.mptcpi_subflows, 2);
        mpc_close(&p, &m);
}

/* Heap bytes held per SYN waiting in a listener's queue (nothing completes). */
static double bytes_per_syn(int proto)
{
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        int lfd = listen_backlog(&p, proto, 4096);
        enum { N = 400 };
        for (int i = 0; i < 8; i++) { /* warm the packet pools up */
                struct seg syn = {
                    .sport = (uint16_t)(30000 + i), .dport = PORT, .flags = UM_TH_SYN};
                add_mpc(&syn, MPC_LEN_SYN, 0, 0);
                seg_peer_send(&p, &syn);
                seg_peer_drain(&p);
        }
        struct mallinfo2 before = mallinfo2();
        for (int i = 0; i < N; i++) {
                struct seg syn = {.sport = (uint16_t)(20000 + i),
                                  .dport = PORT,
                                  .seq = (uint32_t)i * 7919,
                                  .flags = UM_TH_SYN};
                add_mpc(&syn, MPC_LEN_SYN, 0, 0);
                seg_peer_send(&p, &syn);
                seg_peer_drain(&p);
        }
        struct mallinfo2 after = mallinfo2();
        um_close(p.st, lfd);
        seg_peer_close(&p);
        return (double)(after.uordblks - before.uordblks) / N;
}

/* Issue 11 item 9: an MP_CAPABLE SYN allocated a whole msk and a 64 KiB buffer (84-97 KB
 * per queued SYN, 342 MB for a backlog of 4096). Now only the key waits on the child. */
static void test_syn_flood_memory(void **state)
{
        (void)state;
        double tcp = bytes_per_syn(IPPROTO_TCP), mptcp = bytes_per_syn(IPPROTO_MPTCP);
        printf("    heap per queued SYN: TCP listener %.0f bytes, MPTCP listener %.0f bytes\n", tcp,
               mptcp);
        assert_true(mptcp <= tcp + sizeof(struct mptcp_subflow) + 256);
}

/* Issue 11 item 10: under a SYN flood the cookie SYN/ACK had no MPTCP option, so every real
 * client fell back. The MP_CAPABLE SYN/ACK needs only a key, which the third ACK carries
 * back; a join's nonces wait in a fixed table until its third ACK. */
static void test_syn_cookies_keep_mptcp(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        int lfd = listen_backlog(&p, IPPROTO_MPTCP, 1);
        /* One half-open connection fills this listener's SYN queue. */
        struct seg flood = {.sport = 33333, .dport = PORT, .seq = 5, .flags = UM_TH_SYN};
        add_mpc(&flood, MPC_LEN_SYN, 0, 0);
        seg_peer_send(&p, &flood);
        seg_peer_drain(&p);

        struct mpc_conn m;
        mpc_open_on(&p, &m, lfd, 0);
        assert_int_equal(um_counter_get(p.st, "TcpExtSyncookiesSent"), 1);
        assert_int_equal(um_counter_get(p.st, "TcpExtSyncookiesRecv"), 1);
        assert_false(fell_back(p.st, m.fd));
        seg_peer_drain(&p);
        mpc_send(&p, &m, "cookie!", 0);
        struct seg ack;
        assert_true(seg_peer_wait(&p, &ack, 200000));
        assert_true(mptcp_has(&ack.mp, MPTCPOPT_DSS) && (ack.mp.dss_flags & DSS_A));
        char buf[16];
        assert_int_equal(um_recv(p.st, m.fd, buf, sizeof(buf), 0), 7);
        assert_memory_equal(buf, "cookie!", 7);

        /* A join through a cookie too. */
        assert_true(join_open(&p, &m, 42001));
        assert_int_equal(um_counter_get(p.st, "TcpExtSyncookiesSent"), 2);
        assert_int_equal(um_counter_get(p.st, "MPTcpExtMPJoinAckRx"), 1);
        um_close(p.st, m.fd);
        um_close(p.st, lfd);
        seg_peer_close(&p);
}

/* The DATA_FIN leaves as soon as the last data does, also when an arriving ACK is what lets
 * that data go: the DATA_FIN's bare ACK was once asked for inside the ACK's processing,
 * deferred to its end, and sent without the DATA_FIN, which then waited for the data-level
 * retransmission timer (found by bench_mptcp: every transfer ended 0.2-0.3 s late). */
static void test_data_fin_right_after_the_data(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        struct mpc_conn m;
        mpc_open_on(&p, &m, listen_on(&p, IPPROTO_MPTCP), 1000); /* the peer's window */
        seg_peer_drain(&p);
        static uint8_t data[3000];
        assert_int_equal(um_send(p.st, m.fd, data, sizeof(data), 0), sizeof(data));
        assert_int_equal(um_shutdown(p.st, m.fd, SHUT_WR), 0);
        struct seg out;
        uint32_t sent = 0;
        while (seg_peer_recv(&p, &out))
                sent += out.len;
        assert_true(sent > 0 && sent <= 1000);
        mpc_ack(&p, &m, sent, 65535); /* everything so far, and room for the rest */
        int data_fin = 0;
        while (seg_peer_recv(&p, &out)) {
                sent += out.len;
                data_fin |= mptcp_has(&out.mp, MPTCPOPT_DSS) && (out.mp.dss_flags & DSS_F);
        }
        assert_true(sent > 1000); /* the rest went into the subflow (its tail may wait for
                                   * Nagle), and the DATA_FIN at once */
        assert_true(data_fin);
        mpc_close(&p, &m);
}

/* The same rule for any extension: an option handler sees no option of a segment whose
 * ACK fails the checks. */
static int parsed;

static int count_parse(void *arg, struct um_tcp_conn *c, const struct um_tcp_seg_info *seg,
                       const uint8_t *opt, uint8_t len, void *state)
{
        (void)arg, (void)c, (void)seg, (void)opt, (void)len, (void)state;
        parsed++;
        return 0;
}

static const struct um_tcp_option_ops counting_option = {
    .kind = 253, .priority = 1, .parse = count_parse};

static void test_extension_options_after_ack_check(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        assert_true(um_tcp_option_register(p.st, &counting_option, NULL) >= 0);
        int lfd = listen_on(&p, IPPROTO_TCP);
        seg_peer_send(&p, &(struct seg){.dport = PORT, .seq = PEER_ISN, .flags = UM_TH_SYN});
        struct seg synack;
        assert_true(seg_peer_recv(&p, &synack));
        static const uint8_t opt[4] = {253, 4, 0x12, 0x34};
        struct seg ack = to_stack(PEER_ISN + 1, synack.seq + 1, UM_TH_ACK);
        seg_peer_send(&p, &ack);
        parsed = 0;
        struct seg bad = to_stack(PEER_ISN + 1, synack.seq + 1 + 5000, UM_TH_ACK);
        seg_add_opt(&bad, opt, sizeof(opt));
        seg_peer_send(&p, &bad);
        assert_int_equal(parsed, 0);
        struct seg good = to_stack(PEER_ISN + 1, synack.seq + 1, UM_TH_ACK);
        seg_add_opt(&good, opt, sizeof(opt));
        seg_peer_send(&p, &good);
        assert_int_equal(parsed, 1);
        um_close(p.st, lfd);
        seg_peer_close(&p);
}

/* A child reset while it waits for accept() stays queued, as on Linux: accept() returns it
 * with the data that arrived before the reset, then its error. It used to be freed while
 * still on the queue. */
static void test_reset_before_accept(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        int lfd = listen_on(&p, IPPROTO_TCP);
        seg_peer_send(&p, &(struct seg){.dport = PORT, .seq = PEER_ISN, .flags = UM_TH_SYN});
        struct seg synack;
        assert_true(seg_peer_recv(&p, &synack));
        uint32_t ack = synack.seq + 1;
        struct seg s = to_stack(PEER_ISN + 1, ack, UM_TH_ACK | UM_TH_PSH);
        s.payload = (const uint8_t *)"hello";
        s.len = 5;
        seg_peer_send(&p, &s);
        seg_peer_send(&p, &(struct seg){.dport = PORT, .seq = PEER_ISN + 6, .flags = UM_TH_RST});
        seg_peer_run(&p, 1000000); /* the stack frees what it freed at the end of polls */
        int fd = um_accept(p.st, lfd, NULL, NULL);
        assert_true(fd >= 0);
        char buf[16];
        assert_int_equal(um_recv(p.st, fd, buf, sizeof(buf), 0), 5);
        assert_memory_equal(buf, "hello", 5);
        assert_int_equal(um_recv(p.st, fd, buf, sizeof(buf), 0), -1);
        assert_int_equal(errno, ECONNRESET);
        um_close(p.st, fd);
        um_close(p.st, lfd);
        seg_peer_close(&p);
}

int main(void)
{
        simtest_seed();
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fast_open_client_falls_back),
            cmocka_unit_test(test_reset_before_accept),
            cmocka_unit_test(test_options_of_a_bad_ack_ignored),
            cmocka_unit_test(test_no_bare_ack_before_the_key),
            cmocka_unit_test(test_forged_add_addr_confirms_nothing),
            cmocka_unit_test(test_listener_fallback_seen_at_once),
            cmocka_unit_test(test_join_with_unknown_token_reset_counted),
            cmocka_unit_test(test_spoofed_join_syns_hold_no_slot),
            cmocka_unit_test(test_syn_flood_memory),
            cmocka_unit_test(test_syn_cookies_keep_mptcp),
            cmocka_unit_test(test_data_fin_right_after_the_data),
            cmocka_unit_test(test_extension_options_after_ack_check),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
