/* Exact-segment tests of MPTCP (RFC 8684): every field of the suboptions the stack sends
 * for what a scripted peer sends it — MP_CAPABLE in its four forms both ways, MP_JOIN with
 * its HMACs, DSS mappings refused, a checksum failure with MP_FAIL and the infinite
 * mapping, the C flag, ADD_ADDR with its HMAC and echo, DATA_FIN each way (ours also before
 * the listener confirmed the handshake), and with two subflows the data-level window's
 * reserve, no new data while data sent again waits, and data received past the
 * connection's receive buffer waiting in its subflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>
#include <umptcp/mptcp.h>
#include <umptcp/socket.h>
#include <umptcp/tcp_ext.h>

#include "mptcp/mptcp_crypto.h"
#include "mptcp/mptcp_options.h"
#include "seg_script.h"
#include "simtest.h"

static const uint64_t KEY_A = 0x0102030405060708ULL, KEY_B = 0x5555aaaa5555aaaaULL;

static void open_peer(struct seg_peer *p)
{
        assert_int_equal(seg_peer_open(p, simtest_seed()), 0);
}

/* The next segment that carries MPTCP suboption t, within `us`. */
static int wait_for(struct seg_peer *p, struct seg *out, enum mptcp_subtype t, uint64_t us)
{
        while (seg_peer_wait(p, out, us))
                if (mptcp_has(&out->mp, t))
                        return 1;
        return 0;
}

/* The next segment that carries a DSS mapping, within `us`. */
static int wait_for_mapping(struct seg_peer *p, struct seg *out, uint64_t us)
{
        while (wait_for(p, out, MPTCPOPT_DSS, us))
                if (out->mp.dss_flags & DSS_M)
                        return 1;
        return 0;
}

static uint64_t idsn_of(uint64_t key)
{
        uint32_t token;
        uint64_t idsn;
        mptcp_key_derive(NULL, key, &token, &idsn);
        return idsn;
}

static uint32_t token_of(uint64_t key)
{
        uint32_t token;
        uint64_t idsn;
        mptcp_key_derive(NULL, key, &token, &idsn);
        return token;
}

/* The stack listens; the peer's SYN asks for checksums (A). Then the first data carries the
 * keys, its length and its checksum (the third ACK was lost). */
static void test_mp_capable_as_listener(void **state)
{
        (void)state;
        struct seg_peer p;
        open_peer(&p);
        int lfd = listen_on(&p, IPPROTO_MPTCP);
        struct seg syn = to_stack(PEER_ISN, 0, UM_TH_SYN);
        uint8_t o[24];
        seg_add_opt(&syn, o, mptcp_write_mpc(o, MPC_LEN_SYN, MPC_FLAG_A | MPC_FLAG_H, 0, 0, 0, 0));
        seg_peer_send(&p, &syn);
        struct seg synack;
        assert_true(seg_peer_recv(&p, &synack));
        assert_int_equal(synack.n_mptcp, 1);
        assert_int_equal(synack.mp.mpc_len, MPC_LEN_SYNACK);
        assert_int_equal(synack.mp.mpc_version, 1);
        assert_int_equal(synack.mp.mpc_flags, MPC_FLAG_A | MPC_FLAG_H);
        uint64_t key_b = synack.mp.mpc_sndr_key;
        assert_true(key_b != 0);

        static const char data[] = "first data";
        uint16_t len = sizeof(data) - 1;
        uint16_t csum = mptcp_dss_csum(idsn_of(KEY_A) + 1, 1, len, (const uint8_t *)data, len, 0);
        struct seg first = to_stack(PEER_ISN + 1, synack.seq + 1, UM_TH_ACK | UM_TH_PSH);
        seg_add_opt(&first, o,
                    mptcp_write_mpc(o, MPC_LEN_DATA_CSUM, MPC_FLAG_A | MPC_FLAG_H, KEY_A, key_b,
                                    len, csum));
        first.payload = (const uint8_t *)data;
        first.len = len;
        seg_peer_send(&p, &first);
        struct seg ack;
        assert_true(wait_for(&p, &ack, MPTCPOPT_DSS, 200000));
        assert_int_equal(ack.ack, PEER_ISN + 1 + len);
        assert_int_equal(ack.mp.dss_flags & (DSS_A | DSS_M), DSS_A);
        assert_int_equal(ack.mp.data_ack, (uint32_t)(idsn_of(KEY_A) + 1 + len));
        int fd = um_accept(p.st, lfd, NULL, NULL);
        assert_true(fd >= 0);
        char buf[32];
        assert_int_equal(um_recv(p.st, fd, buf, sizeof(buf), 0), len);
        assert_memory_equal(buf, data, len);
        assert_int_equal(um_counter_get(p.st, "MPTcpExtMPCapableSYNRX"), 1);
        assert_int_equal(um_counter_get(p.st, "MPTcpExtMPCapableACKRX"), 1);
        um_close(p.st, fd);
        um_close(p.st, lfd);
        seg_peer_close(&p);
}

/* The stack connects: its SYN, its third ACK with both keys, and its first data with both
 * keys and the data length (no checksum: neither side asked). */
static void test_mp_capable_as_initiator(void **state)
{
        (void)state;
        struct seg_peer p;
        open_peer(&p);
        struct seg syn;
        int fd = mpc_connect_out(&p, &syn);
        assert_int_equal(syn.n_mptcp, 1);
        assert_int_equal(syn.mp.mpc_len, MPC_LEN_SYN);
        assert_int_equal(syn.mp.mpc_version, 1);
        assert_int_equal(syn.mp.mpc_flags, MPC_FLAG_H);
        struct seg third;
        assert_true(seg_peer_recv(&p, &third));
        assert_int_equal(third.flags, UM_TH_ACK);
        assert_int_equal(third.ack, PEER_ISN + 1);
        assert_int_equal(third.mp.mpc_len, MPC_LEN_ACK);
        uint64_t key_a = third.mp.mpc_sndr_key;
        assert_int_equal(third.mp.mpc_rcvr_key, KEY_B);

        assert_int_equal(um_send(p.st, fd, "hello", 5, 0), 5);
        struct seg data;
        assert_true(seg_peer_recv(&p, &data));
        assert_int_equal(data.seq, syn.seq + 1);
        assert_int_equal(data.len, 5);
        assert_memory_equal(data.data, "hello", 5);
        assert_int_equal(data.mp.mpc_len, MPC_LEN_DATA);
        assert_int_equal(data.mp.mpc_sndr_key, key_a);
        assert_int_equal(data.mp.mpc_rcvr_key, KEY_B);
        assert_int_equal(data.mp.mpc_data_len, 5);
        assert_false(mptcp_has(&data.mp, MPTCPOPT_DSS));

        /* The listener's DSS confirms: the next data goes under a DSS mapping. */
        struct seg ack = to_initiator(&syn, PEER_ISN + 1, syn.seq + 6, UM_TH_ACK);
        struct mptcp_dss_out d = {.flags = DSS_A | DSS_a, .data_ack = idsn_of(key_a) + 6};
        uint8_t o[28];
        seg_add_opt(&ack, o, mptcp_write_dss(o, &d));
        seg_peer_send(&p, &ack);
        assert_int_equal(um_send(p.st, fd, "world", 5, 0), 5);
        assert_true(wait_for(&p, &data, MPTCPOPT_DSS, 200000));
        assert_false(mptcp_has(&data.mp, MPTCPOPT_MP_CAPABLE));
        assert_int_equal(data.mp.dss_flags & (DSS_M | DSS_m), DSS_M | DSS_m);
        assert_int_equal(data.mp.dsn, idsn_of(key_a) + 6);
        assert_int_equal(data.mp.ssn, 6);
        assert_int_equal(data.mp.data_len, 5);
        assert_int_equal(data.mp.data_ack, idsn_of(KEY_B) + 1);
        um_close(p.st, fd);
        seg_peer_close(&p);
}

/* The stack connected (key_a its key); the listener's DSS makes it fully established. */
static uint64_t connect_established(struct seg_peer *p, int *fd, struct seg *syn)
{
        *fd = mpc_connect_out(p, syn);
        struct seg third;
        assert_true(seg_peer_recv(p, &third));
        uint64_t key_a = third.mp.mpc_sndr_key;
        struct seg ack = to_initiator(syn, PEER_ISN + 1, syn->seq + 1, UM_TH_ACK);
        struct mptcp_dss_out d = {.flags = DSS_A | DSS_a, .data_ack = idsn_of(key_a) + 1};
        uint8_t o[28];
        seg_add_opt(&ack, o, mptcp_write_dss(o, &d));
        seg_peer_send(p, &ack);
        return key_a;
}

/* The peer (B, the listener) announces 10.0.0.3 with its HMAC; the stack echoes it and joins
 * it. The join's SYN names B's token and A's nonce; the SYN/ACK's truncated HMAC is checked
 * and the third ACK carries A's full one (RFC 8684 §3.2, §3.4.1). A second join whose
 * SYN/ACK carries a wrong HMAC is reset with MP_TCPRST "administratively prohibited". */
static void test_add_addr_echo_and_join_hmacs(void **state)
{
        (void)state;
        struct seg_peer p;
        open_peer(&p);
        assert_int_equal(um_mptcp_limits_set(p.st, 2, 2), 0);
        int fd;
        struct seg syn;
        uint64_t key_a = connect_established(&p, &fd, &syn);
        seg_peer_drain(&p);

        for (int round = 0; round < 2; round++) {
                uint8_t host = (uint8_t)(3 + round), id = (uint8_t)(7 + round);
                struct um_addr a;
                um_addr_parse(round ? "10.0.0.4" : "10.0.0.3", &a);
                struct seg ann = to_initiator(&syn, PEER_ISN + 1, syn.seq + 1, UM_TH_ACK);
                uint8_t o[40];
                uint64_t hmac = mptcp_add_addr_hmac(NULL, KEY_B, key_a, id, a.b, 4, 0);
                seg_add_opt(&ann, o, mptcp_write_add_addr(o, 0, id, &a, 0, 1, hmac));
                seg_peer_send(&p, &ann);
                /* The echo and the join's SYN, in either order. */
                struct seg echo = {0}, jsyn = {0}, any;
                while ((!echo.n_mptcp || !jsyn.n_mptcp) && seg_peer_wait(&p, &any, 100000)) {
                        if (mptcp_has(&any.mp, MPTCPOPT_ADD_ADDR))
                                echo = any;
                        if (mptcp_has(&any.mp, MPTCPOPT_MP_JOIN))
                                jsyn = any;
                }
                assert_true(echo.n_mptcp && jsyn.n_mptcp);
                assert_true(echo.mp.add_echo);
                assert_false(echo.mp.add_has_hmac);
                assert_int_equal(echo.mp.add_addr_id, id);
                assert_true(um_addr_eq(&echo.mp.add_addr, &a));

                assert_int_equal(jsyn.flags, UM_TH_SYN);
                assert_int_equal(jsyn.peer_host, host);
                assert_int_equal(jsyn.dport, PORT);
                assert_int_equal(jsyn.mp.join_len, JOIN_LEN_SYN);
                assert_int_equal(jsyn.mp.join_token, token_of(KEY_B));
                assert_int_equal(jsyn.mp.join_backup, 0);
                uint32_t r_a = jsyn.mp.join_nonce, r_b = 0x0badcafe;
                uint8_t mac[32];
                mptcp_join_hmac(NULL, KEY_B, key_a, r_b, r_a, mac);
                if (round)
                        mac[0] ^= 1;
                struct seg jsynack = to_initiator(&jsyn, 777, jsyn.seq + 1, UM_TH_SYN | UM_TH_ACK);
                jsynack.peer_host = host;
                seg_add_opt(&jsynack, o, mptcp_write_join_synack(o, 0, 5, mac, r_b));
                seg_peer_send(&p, &jsynack);
                struct seg jack;
                assert_true(seg_peer_wait(&p, &jack, 100000));
                assert_int_equal(jack.peer_host, host);
                if (round) {
                        assert_true(jack.flags & UM_TH_RST);
                        assert_true(mptcp_has(&jack.mp, MPTCPOPT_MP_TCPRST));
                        assert_int_equal(jack.mp.rst_reason, MPTCP_RST_EPROHIBIT);
                        break;
                }
                assert_int_equal(jack.flags, UM_TH_ACK);
                assert_int_equal(jack.mp.join_len, JOIN_LEN_ACK);
                mptcp_join_hmac(NULL, key_a, KEY_B, r_a, r_b, mac);
                assert_memory_equal(jack.mp.join_hmac, mac, 20);
        }
        assert_int_equal(um_counter_get(p.st, "MPTcpExtAddAddr"), 2);
        assert_int_equal(um_counter_get(p.st, "MPTcpExtEchoAddTx"), 2);
        assert_int_equal(um_counter_get(p.st, "MPTcpExtMPJoinSynAckHMacFailure"), 1);
        um_close(p.st, fd);
        seg_peer_close(&p);
}

/* The stack, listening, announces its `signal` endpoint on a pure ACK with the HMAC of its
 * key over the peer's (RFC 8684 §3.4.1), repeats it every add_addr_timeout until echoed,
 * and not after. */
static void test_add_addr_sent_until_echoed(void **state)
{
        (void)state;
        struct seg_peer p;
        open_peer(&p);
        assert_int_equal(um_stack_add_addr(p.st, 0, "10.0.0.4/24"), 0);
        assert_int_equal(um_mptcp_endpoint_add(p.st, "10.0.0.4", UM_MPTCP_PM_SIGNAL, 9), 9);
        assert_int_equal(um_mptcp_sysctl_set(p.st, "add_addr_timeout", 2), 0);
        struct mpc_conn m;
        mpc_open(&p, &m);
        struct um_addr a;
        um_addr_parse("10.0.0.4", &a);
        uint64_t want = mptcp_add_addr_hmac(NULL, m.key_b, m.key_a, 9, a.b, 4, 0);
        struct seg ann;
        assert_true(wait_for(&p, &ann, MPTCPOPT_ADD_ADDR, 100000));
        uint64_t t0 = p.now;
        assert_int_equal(ann.len, 0);
        assert_false(ann.mp.add_echo);
        assert_int_equal(ann.mp.add_addr_id, 9);
        assert_true(um_addr_eq(&ann.mp.add_addr, &a));
        assert_false(ann.mp.add_has_port);
        assert_true(ann.mp.add_has_hmac);
        assert_int_equal(ann.mp.add_hmac, want);
        assert_true(wait_for(&p, &ann, MPTCPOPT_ADD_ADDR, 3000000));
        assert_int_equal(p.now, t0 + 2000000);
        assert_int_equal(ann.mp.add_hmac, want);

        struct seg echo = to_stack(m.seq_a, m.seq_b, UM_TH_ACK);
        uint8_t o[40];
        seg_add_opt(&echo, o, mptcp_write_add_addr(o, 1, 9, &a, 0, 0, 0));
        seg_peer_send(&p, &echo);
        assert_false(wait_for(&p, &ann, MPTCPOPT_ADD_ADDR, 10000000));
        assert_int_equal(um_counter_get(p.st, "MPTcpExtAddAddrTx"), 2);
        assert_int_equal(um_counter_get(p.st, "MPTcpExtEchoAdd"), 1);
        mpc_close(&p, &m);
}

/* RFC 8684 §3.1: C in the listener's MP_CAPABLE forbids joins to its address and port. The
 * stack, listening with allow_join_initial_addr_port 0, sets it; connecting, it joins the
 * peer from its `subflow` endpoint only when the peer did not. */
static void test_c_flag(void **state)
{
        (void)state;
        struct seg_peer p;
        open_peer(&p);
        assert_int_equal(um_mptcp_sysctl_set(p.st, "allow_join_initial_addr_port", 0), 0);
        int lfd = listen_on(&p, IPPROTO_MPTCP);
        struct seg syn = to_stack(PEER_ISN, 0, UM_TH_SYN);
        add_mpc(&syn, MPC_LEN_SYN, 0, 0);
        seg_peer_send(&p, &syn);
        struct seg synack;
        assert_true(seg_peer_recv(&p, &synack));
        assert_int_equal(synack.mp.mpc_flags, MPC_FLAG_C | MPC_FLAG_H);
        um_close(p.st, lfd);
        seg_peer_close(&p);

        for (int c = 0; c < 2; c++) {
                open_peer(&p);
                assert_int_equal(um_stack_add_addr(p.st, 0, "10.0.0.4/24"), 0);
                assert_true(um_mptcp_endpoint_add(p.st, "10.0.0.4", UM_MPTCP_PM_SUBFLOW, 0) > 0);
                int fd = um_socket(p.st, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
                struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};
                inet_pton(AF_INET, "10.0.0.1", &sa.sin_addr);
                assert_int_equal(um_connect(p.st, fd, (struct sockaddr *)&sa, sizeof(sa)), -1);
                assert_true(seg_peer_recv(&p, &syn));
                synack = to_initiator(&syn, PEER_ISN, syn.seq + 1, UM_TH_SYN | UM_TH_ACK);
                uint8_t o[24];
                seg_add_opt(&synack, o,
                            mptcp_write_mpc(o, MPC_LEN_SYNACK, MPC_FLAG_H | (c ? MPC_FLAG_C : 0),
                                            KEY_B, 0, 0, 0));
                seg_peer_send(&p, &synack);
                struct seg third;
                assert_true(seg_peer_recv(&p, &third));
                struct seg ack = to_initiator(&syn, PEER_ISN + 1, syn.seq + 1, UM_TH_ACK);
                struct mptcp_dss_out d = {.flags = DSS_A | DSS_a,
                                          .data_ack = idsn_of(third.mp.mpc_sndr_key) + 1};
                seg_add_opt(&ack, o, mptcp_write_dss(o, &d));
                seg_peer_send(&p, &ack);
                struct seg join;
                int joined = wait_for(&p, &join, MPTCPOPT_MP_JOIN, 1000000);
                assert_int_equal(joined, !c);
                if (joined) {
                        assert_int_equal(join.stack_host, 4);
                        assert_int_equal(join.dport, PORT);
                        assert_int_equal(join.mp.join_token, token_of(KEY_B));
                }
                um_close(p.st, fd);
                seg_peer_close(&p);
        }
}

/* A join SYN from sport to the stack's port dport; returns the stack's answer. */
static struct seg join_syn_to(struct seg_peer *p, const struct mpc_conn *m, uint16_t sport,
                              uint16_t dport, uint32_t nonce)
{
        struct seg syn = join_syn_seg(m, sport, nonce), answer;
        syn.dport = dport;
        seg_peer_send(p, &syn);
        assert_true(wait_to(p, &answer, sport, 100000));
        return answer;
}

/* A server behind a NAT load balancer (docs/DEPLOY.md): C set, and a `signal` endpoint with
 * a port on its own initial address. The connection announces that address with the port
 * (ID 5, the HMAC over the port: RFC 8684 §3.4.1), though the address is the initial one,
 * as Linux does for an endpoint with a port; a join to the initial address and port is
 * refused (§3.1), one to the announced port completes. */
static void test_announce_port_on_initial_address(void **state)
{
        (void)state;
        enum { ANNOUNCED_PORT = 7000 };
        struct seg_peer p;
        open_peer(&p);
        assert_int_equal(um_mptcp_sysctl_set(p.st, "allow_join_initial_addr_port", 0), 0);
        assert_int_equal(
            um_mptcp_endpoint_add_port(p.st, "10.0.0.2", ANNOUNCED_PORT, UM_MPTCP_PM_SIGNAL, 5), 5);
        struct mpc_conn m;
        mpc_open(&p, &m);
        struct um_addr a;
        um_addr_parse("10.0.0.2", &a);
        struct seg ann;
        assert_true(wait_for(&p, &ann, MPTCPOPT_ADD_ADDR, 100000));
        assert_false(ann.mp.add_echo);
        assert_int_equal(ann.mp.add_addr_id, 5);
        assert_true(um_addr_eq(&ann.mp.add_addr, &a));
        assert_true(ann.mp.add_has_port);
        assert_int_equal(ann.mp.add_port, ANNOUNCED_PORT);
        assert_int_equal(ann.mp.add_hmac,
                         mptcp_add_addr_hmac(NULL, m.key_b, m.key_a, 5, a.b, 4, ANNOUNCED_PORT));
        uint8_t o[40];
        struct seg echo = to_stack(m.seq_a, m.seq_b, UM_TH_ACK);
        seg_add_opt(&echo, o, mptcp_write_add_addr(o, 1, 5, &a, ANNOUNCED_PORT, 0, 0));
        seg_peer_send(&p, &echo);
        seg_peer_drain(&p);

        struct seg rst = join_syn_to(&p, &m, 6001, PORT, 0x11111111);
        assert_true(rst.flags & UM_TH_RST);
        assert_true(mptcp_has(&rst.mp, MPTCPOPT_MP_TCPRST));
        assert_int_equal(um_counter_get(p.st, "MPTcpExtMPJoinRejected"), 1);

        uint32_t r_a = 0x22222222;
        struct seg synack = join_syn_to(&p, &m, 6002, ANNOUNCED_PORT, r_a);
        assert_int_equal(synack.flags, UM_TH_SYN | UM_TH_ACK);
        assert_int_equal(synack.sport, ANNOUNCED_PORT);
        assert_int_equal(synack.mp.join_len, JOIN_LEN_SYNACK);
        uint8_t mac[32];
        mptcp_join_hmac(NULL, m.key_b, m.key_a, synack.mp.join_nonce, r_a, mac);
        assert_memory_equal(synack.mp.join_hmac, mac, 8);
        mptcp_join_hmac(NULL, m.key_a, m.key_b, r_a, synack.mp.join_nonce, mac);
        struct seg ack = {.sport = 6002,
                          .dport = ANNOUNCED_PORT,
                          .seq = PEER_ISN + 1,
                          .ack = synack.seq + 1,
                          .flags = UM_TH_ACK};
        seg_add_opt(&ack, o, mptcp_write_join_ack(o, mac));
        seg_peer_send(&p, &ack);
        struct seg fourth;
        assert_true(wait_to(&p, &fourth, 6002, 100000));
        assert_int_equal(fourth.flags, UM_TH_ACK);
        assert_int_equal(um_counter_get(p.st, "MPTcpExtMPJoinPortSynRx"), 1);
        assert_int_equal(um_counter_get(p.st, "MPTcpExtMPJoinAckRx"), 1);
        assert_int_equal(um_counter_get(p.st, "MPTcpExtMPJoinNoTokenFound"), 0);
        mpc_close(&p, &m);
}

/* RFC 8684 §3.3.2: a mapping that maps bytes already mapped to other data sequence numbers,
 * or data that no mapping covers once mappings were seen, resets the subflow with
 * MP_TCPRST "MPTCP-specific error", counted. */
static void test_dss_mapping_validation(void **state)
{
        (void)state;
        for (int kind = 0; kind < 2; kind++) {
                struct seg_peer p;
                open_peer(&p);
                struct mpc_conn m;
                mpc_open(&p, &m);
                seg_peer_drain(&p);
                struct seg s = to_stack(m.seq_a, m.seq_b, UM_TH_ACK | UM_TH_PSH);
                uint8_t o[28];
                struct mptcp_dss_out d = {.flags = DSS_A | DSS_a | DSS_M | DSS_m,
                                          .data_ack = m.idsn_b + 1,
                                          .dsn = m.dsn_a,
                                          .ssn = 1,
                                          .data_len = 20};
                seg_add_opt(&s, o, mptcp_write_dss(o, &d));
                s.payload = (const uint8_t *)"0123456789";
                s.len = 10; /* the first half of a 20-byte mapping */
                seg_peer_send(&p, &s);
                seg_peer_drain(&p);
                struct seg next = to_stack(m.seq_a + 10, m.seq_b, UM_TH_ACK | UM_TH_PSH);
                if (kind == 0) {
                        d.dsn += 1000; /* the same subflow bytes, other data */
                        seg_add_opt(&next, o, mptcp_write_dss(o, &d));
                        next.payload = (const uint8_t *)"abcdefghij";
                        next.len = 10;
                } else {
                        next.seq = m.seq_a + 20; /* past the mapping, with none of its own */
                        next.payload = (const uint8_t *)"klmnopqrst";
                        next.len = 10;
                        struct seg fill_in = to_stack(m.seq_a + 10, m.seq_b, UM_TH_ACK);
                        fill_in.payload = (const uint8_t *)"abcdefghij";
                        fill_in.len = 10;
                        seg_peer_send(&p, &next);
                        seg_peer_drain(&p);
                        next = fill_in;
                }
                seg_peer_send(&p, &next);
                struct seg rst;
                assert_true(wait_for(&p, &rst, MPTCPOPT_MP_TCPRST, 100000));
                assert_true(rst.flags & UM_TH_RST);
                assert_int_equal(rst.mp.rst_reason, MPTCP_RST_EMPTCP);
                assert_int_equal(
                    um_counter_get(p.st, kind ? "MPTcpExtDSSNoMatchTCP" : "MPTcpExtDSSNotMatching"),
                    1);
                um_close(p.st, m.fd);
                um_close(p.st, m.lfd);
                seg_peer_close(&p);
        }
}

/* RFC 8684 §3.7, the receiver: a DSS checksum that does not match on the only subflow is
 * answered with MP_FAIL naming the mapping; nothing of it is delivered. The peer's infinite
 * mapping then says where its plain byte stream continues, and it is read from there. */
static void test_checksum_failure_mp_fail_then_infinite_mapping(void **state)
{
        (void)state;
        struct seg_peer p;
        open_peer(&p);
        assert_int_equal(um_mptcp_sysctl_set(p.st, "checksum_enabled", 1), 0);
        struct mpc_conn m;
        mpc_open(&p, &m);
        seg_peer_drain(&p);
        struct seg s = to_stack(m.seq_a, m.seq_b, UM_TH_ACK | UM_TH_PSH);
        uint8_t o[28];
        uint16_t good = mptcp_dss_csum(m.dsn_a, 1, 5, (const uint8_t *)"hello", 5, 0);
        struct mptcp_dss_out d = {.flags = DSS_A | DSS_a | DSS_M | DSS_m,
                                  .data_ack = m.idsn_b + 1,
                                  .dsn = m.dsn_a,
                                  .ssn = 1,
                                  .data_len = 5,
                                  .csum = (uint16_t)(good ^ 0x0100),
                                  .with_csum = 1};
        seg_add_opt(&s, o, mptcp_write_dss(o, &d));
        s.payload = (const uint8_t *)"hello";
        s.len = 5;
        seg_peer_send(&p, &s);
        struct seg fail;
        assert_true(wait_for(&p, &fail, MPTCPOPT_MP_FAIL, 200000));
        assert_int_equal(fail.len, 0);
        assert_int_equal(fail.mp.fail_dsn, m.dsn_a);
        assert_int_equal(um_counter_get(p.st, "MPTcpExtDataCsumErr"), 1);
        char buf[16];
        assert_int_equal(um_recv(p.st, m.fd, buf, sizeof(buf), 0), -1);

        struct seg inf = to_stack(m.seq_a + 5, m.seq_b, UM_TH_ACK | UM_TH_PSH);
        struct mptcp_dss_out id = {.flags = DSS_M | DSS_m, .dsn = m.dsn_a, .ssn = 6};
        seg_add_opt(&inf, o, mptcp_write_dss(o, &id));
        inf.payload = (const uint8_t *)"world";
        inf.len = 5;
        seg_peer_send(&p, &inf);
        assert_int_equal(um_recv(p.st, m.fd, buf, sizeof(buf), 0), 5);
        assert_memory_equal(buf, "world", 5);
        assert_int_equal(um_counter_get(p.st, "MPTcpExtInfiniteMapRx"), 1);
        assert_true(fell_back(p.st, m.fd));
        struct seg after;
        assert_true(seg_peer_wait(&p, &after, 200000));
        assert_int_equal(after.ack, m.seq_a + 10);
        assert_false(mptcp_has(&after.mp, MPTCPOPT_MP_FAIL));
        mpc_close(&p, &m);
}

/* RFC 8684 §3.7, the sender: the peer's MP_FAIL on the only subflow makes the stack send
 * again from the failed data sequence number as plain TCP, the first segment carrying the
 * infinite mapping (DSS with a mapping of length 0) that says so. */
static void test_mp_fail_answered_with_infinite_mapping(void **state)
{
        (void)state;
        struct seg_peer p;
        open_peer(&p);
        struct mpc_conn m;
        mpc_open(&p, &m);
        seg_peer_drain(&p);
        assert_int_equal(um_send(p.st, m.fd, "hello", 5, 0), 5);
        struct seg data;
        assert_true(wait_for(&p, &data, MPTCPOPT_DSS, 100000));
        assert_int_equal(data.mp.dsn, m.idsn_b + 1);
        struct seg fail = to_stack(m.seq_a, m.seq_b + 5, UM_TH_ACK);
        uint8_t o[28];
        seg_add_opt(&fail, o, mptcp_write_mp_fail(o, m.idsn_b + 1));
        seg_peer_send(&p, &fail);
        struct seg inf;
        assert_true(wait_for(&p, &inf, MPTCPOPT_DSS, 200000));
        assert_int_equal(inf.seq, m.seq_b + 5);
        assert_int_equal(inf.len, 5);
        assert_memory_equal(inf.data, "hello", 5);
        assert_int_equal(inf.mp.dss_flags & (DSS_M | DSS_m), DSS_M | DSS_m);
        assert_int_equal(inf.mp.data_len, 0);
        assert_int_equal(inf.mp.dsn, m.idsn_b + 1);
        assert_int_equal(um_counter_get(p.st, "MPTcpExtMPFailRx"), 1);
        assert_int_equal(um_counter_get(p.st, "MPTcpExtInfiniteMapTx"), 1);
        mpc_close(&p, &m);
}

/* RFC 8684 §3.3.3: the peer's DATA_FIN on its last mapping is acknowledged at once with a
 * DATA_ACK one past it, and reads end there; the stack's own, after shutdown(SHUT_WR), is a
 * mapping of length 1 at subflow sequence 0 right after its data. Once both are
 * acknowledged the subflow closes. */
static void test_data_fin_both_ways(void **state)
{
        (void)state;
        struct seg_peer p;
        open_peer(&p);
        struct mpc_conn m;
        mpc_open(&p, &m);
        seg_peer_drain(&p);

        struct seg s = to_stack(m.seq_a, m.seq_b, UM_TH_ACK | UM_TH_PSH);
        struct mptcp_dss_out d = {.flags = DSS_A | DSS_a | DSS_M | DSS_m | DSS_F,
                                  .data_ack = m.idsn_b + 1,
                                  .dsn = m.dsn_a,
                                  .ssn = 1,
                                  .data_len = 4};
        uint8_t o[28];
        seg_add_opt(&s, o, mptcp_write_dss(o, &d));
        s.payload = (const uint8_t *)"abc";
        s.len = 3;
        seg_peer_send(&p, &s);
        uint64_t sent_at = p.now;
        struct seg ack;
        do
                assert_true(wait_for(&p, &ack, MPTCPOPT_DSS, 100000));
        while ((ack.mp.data_ack & 0xffffffff) != (uint32_t)(m.dsn_a + 4));
        assert_int_equal(p.now, sent_at);
        assert_int_equal(ack.ack, m.seq_a + 3);
        assert_true(ack.mp.dss_flags & DSS_A);
        char buf[8];
        assert_int_equal(um_recv(p.st, m.fd, buf, sizeof(buf), 0), 3);
        assert_memory_equal(buf, "abc", 3);
        assert_int_equal(um_recv(p.st, m.fd, buf, sizeof(buf), 0), 0);

        assert_int_equal(um_send(p.st, m.fd, "xyz", 3, 0), 3);
        assert_int_equal(um_shutdown(p.st, m.fd, SHUT_WR), 0);
        struct seg data, fin;
        assert_true(wait_for_mapping(&p, &data, 100000));
        assert_int_equal(data.len, 3);
        assert_int_equal(data.mp.dsn, m.idsn_b + 1);
        int fin_on_data = (data.mp.dss_flags & DSS_F) != 0;
        if (fin_on_data) { /* the DATA_FIN may ride on the data's own mapping */
                fin = data;
                assert_int_equal(fin.mp.data_len, 4);
        } else {
                assert_true(wait_for_mapping(&p, &fin, 100000));
                assert_int_equal(fin.len, 0);
                assert_true(fin.mp.dss_flags & DSS_F);
                assert_int_equal(fin.mp.dsn, m.idsn_b + 4);
                assert_int_equal(fin.mp.ssn, 0);
                assert_int_equal(fin.mp.data_len, 1);
        }
        assert_false(fin.flags & UM_TH_FIN); /* the subflow stays open until both are acked */

        /* Both DATA_FINs acknowledged: the connection is over, its subflow closes with FIN. */
        struct seg dack = to_stack(m.seq_a + 3, fin.seq + fin.len, UM_TH_ACK);
        struct mptcp_dss_out a = {.flags = DSS_A | DSS_a, .data_ack = m.idsn_b + 5};
        seg_add_opt(&dack, o, mptcp_write_dss(o, &a));
        seg_peer_send(&p, &dack);
        struct seg tcp_fin;
        do
                assert_true(seg_peer_wait(&p, &tcp_fin, 1000000));
        while (!(tcp_fin.flags & UM_TH_FIN));
        mpc_close(&p, &m);
}

/* RFC 8684 §3.3.3 with §3.1: the stack connected and shuts down before sending anything,
 * to a listener with nothing to send either (a Linux server waiting for a request), so no
 * DSS of the listener's has confirmed the handshake yet. The DATA_FIN leaves at once all
 * the same, in a DSS (MP_CAPABLE has no DATA_FIN), right after the third ACK's MP_CAPABLE
 * repeated; the listener's DATA_ACK and DATA_FIN then end the connection. Until this was
 * fixed every DATA_FIN went out as MP_CAPABLE alone, and a relayed client that connected
 * and closed stayed open until the relay's idle timeout or grace period. */
static void test_data_fin_before_the_listener_confirms(void **state)
{
        (void)state;
        struct seg_peer p;
        open_peer(&p);
        struct seg syn;
        int fd = mpc_connect_out(&p, &syn);
        struct seg third;
        assert_true(seg_peer_recv(&p, &third));
        assert_int_equal(third.mp.mpc_len, MPC_LEN_ACK);
        uint64_t key_a = third.mp.mpc_sndr_key, dsn_a = idsn_of(key_a) + 1;
        seg_peer_run(&p, 50000); /* the listener sends nothing: no DSS confirms */
        seg_peer_drain(&p);

        uint64_t shut_at = p.now;
        assert_int_equal(um_shutdown(p.st, fd, SHUT_WR), 0);
        struct seg again, fin;
        assert_true(seg_peer_recv(&p, &again));
        assert_int_equal(again.len, 0);
        assert_int_equal(again.mp.mpc_len, MPC_LEN_ACK);
        assert_int_equal(again.mp.mpc_sndr_key, key_a);
        assert_int_equal(again.mp.mpc_rcvr_key, KEY_B);
        assert_true(wait_for_mapping(&p, &fin, 1000000));
        assert_int_equal(p.now, shut_at); /* not after a retransmission timeout */
        assert_int_equal(fin.len, 0);
        assert_int_equal(fin.seq, syn.seq + 1);
        assert_false(fin.flags & UM_TH_FIN);
        assert_false(mptcp_has(&fin.mp, MPTCPOPT_MP_CAPABLE));
        assert_true(fin.mp.dss_flags & DSS_F);
        assert_int_equal(fin.mp.dsn, dsn_a);
        assert_int_equal(fin.mp.ssn, 0);
        assert_int_equal(fin.mp.data_len, 1);
        assert_true(fin.mp.dss_flags & DSS_A);
        assert_int_equal(fin.mp.data_ack, idsn_of(KEY_B) + 1);

        /* The listener's server saw the end, closed: its DATA_ACK of our DATA_FIN and its
         * own DATA_FIN, as Linux sends them. */
        struct seg back = to_initiator(&syn, PEER_ISN + 1, syn.seq + 1, UM_TH_ACK);
        struct mptcp_dss_out d = {.flags = DSS_A | DSS_a | DSS_M | DSS_m | DSS_F,
                                  .data_ack = dsn_a + 1,
                                  .dsn = idsn_of(KEY_B) + 1,
                                  .ssn = 0,
                                  .data_len = 1};
        uint8_t o[28];
        seg_add_opt(&back, o, mptcp_write_dss(o, &d));
        seg_peer_send(&p, &back);
        char buf[8];
        assert_int_equal(um_recv(p.st, fd, buf, sizeof(buf), 0), 0);
        struct seg ack;
        do
                assert_true(wait_for(&p, &ack, MPTCPOPT_DSS, 100000));
        while (!(ack.mp.dss_flags & DSS_A) ||
               (ack.mp.data_ack & 0xffffffff) != (uint32_t)(idsn_of(KEY_B) + 2));
        assert_false(mptcp_has(&ack.mp, MPTCPOPT_MP_CAPABLE));
        /* Both DATA_FINs acknowledged: the subflow closes with FIN. */
        struct seg tcp_fin;
        do
                assert_true(seg_peer_wait(&p, &tcp_fin, 1000000));
        while (!(tcp_fin.flags & UM_TH_FIN));
        um_close(p.st, fd);
        seg_peer_close(&p);
}

/* ---- The data-level window with more than one subflow (RFC 8684 §3.3.4) ----
 *
 * A Linux receiver whose out-of-order data fills its buffer takes nothing more from its
 * subflows, not even the bytes that would fill its hole, and the connection stops for good
 * (docs/INTEROP.md, "A path cut"). So with more than one subflow the stack keeps the last
 * eighth of the peer's window free for new data, and sends no new data while data it sent
 * again is not yet DATA_ACKed. With one subflow there is no such hole: it uses the whole
 * window. */

enum { PEER_MSS = 1460, JOIN_ISN = 777, BULK = 256 << 10 };

/* A connection the stack opened to the peer (B), with, when asked, a second subflow the
 * stack joined to the peer's second address 10.0.0.3. Subflow 0 is the first. */
struct mp_conn {
        int fd, n;            /* the socket; its subflows (1 or 2) */
        uint64_t key_a;       /* the stack's key */
        uint64_t data_seq;    /* the stack's first data sequence number, IDSN + 1 */
        struct seg syn[2];    /* the stack's SYN of each subflow: its ports, hosts, ISN */
        uint32_t peer_seq[2]; /* the peer's next sequence number on each */
        uint32_t acked[2];    /* what the peer acknowledged on each, TCP-level */
        uint64_t data_ack;    /* what the peer DATA_ACKs ... */
        uint16_t wnd;         /* ... and the window it offers from there (no scaling) */
        uint16_t join_wnd;    /* the window the stack announced in the join's third ACK */
};

/* Whether data sequence number a is before b. */
static int dsn_before(uint64_t a, uint64_t b)
{
        return (int64_t)(a - b) < 0;
}

/* A segment from the peer on subflow i, acknowledging what it acknowledged there. */
static struct seg on_subflow(const struct mp_conn *c, int i, uint8_t flags)
{
        struct seg s = to_initiator(&c->syn[i], c->peer_seq[i], c->acked[i], flags);
        s.peer_host = c->syn[i].peer_host;
        s.wnd = c->wnd;
        return s;
}

/* The peer's pure ACK on subflow i, with its DATA_ACK and window. */
static void peer_ack(struct seg_peer *p, const struct mp_conn *c, int i)
{
        struct seg s = on_subflow(c, i, UM_TH_ACK);
        struct mptcp_dss_out d = {.flags = DSS_A | DSS_a, .data_ack = c->data_ack};
        uint8_t o[28];
        seg_add_opt(&s, o, mptcp_write_dss(o, &d));
        seg_peer_send(p, &s);
}

/* The peer's SYN/ACK (MSS PEER_MSS, window wnd, no window scale) to the stack's SYN. */
static struct seg peer_synack(const struct seg *syn, uint32_t isn, uint16_t wnd)
{
        static const uint8_t mss[4] = {2, 4, PEER_MSS >> 8, PEER_MSS & 0xff};
        struct seg s = to_initiator(syn, isn, syn->seq + 1, UM_TH_SYN | UM_TH_ACK);
        s.peer_host = syn->peer_host;
        s.wnd = wnd;
        seg_add_opt(&s, mss, sizeof(mss));
        return s;
}

/* The stack connects to the peer, which offers window wnd; the peer's DSS makes the
 * connection fully established. With join, the peer then announces 10.0.0.3 and the stack
 * joins it: the join's handshake completes and the peer acknowledges the stack's third
 * ACK, which lets the stack send on it (RFC 8684 §3.2). A nonzero rcvbuf is the socket's
 * SO_RCVBUF, set before it connects. */
static void mp_conn_open_rcvbuf(struct seg_peer *p, struct mp_conn *c, int join, uint16_t wnd,
                                int rcvbuf)
{
        memset(c, 0, sizeof(*c));
        c->wnd = wnd;
        c->fd = um_socket(p->st, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        if (rcvbuf)
                assert_int_equal(
                    um_setsockopt(p->st, c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};
        inet_pton(AF_INET, "10.0.0.1", &sa.sin_addr);
        assert_int_equal(um_connect(p->st, c->fd, (struct sockaddr *)&sa, sizeof(sa)), -1);
        assert_true(seg_peer_recv(p, &c->syn[0]));
        struct seg synack = peer_synack(&c->syn[0], PEER_ISN, wnd);
        add_mpc(&synack, MPC_LEN_SYNACK, KEY_B, 0);
        seg_peer_send(p, &synack);
        struct seg third;
        assert_true(seg_peer_recv(p, &third));
        assert_int_equal(third.mp.mpc_len, MPC_LEN_ACK);
        c->key_a = third.mp.mpc_sndr_key;
        c->data_seq = c->data_ack = idsn_of(c->key_a) + 1;
        c->peer_seq[0] = PEER_ISN + 1;
        c->acked[0] = c->syn[0].seq + 1;
        c->n = 1;
        peer_ack(p, c, 0);
        seg_peer_drain(p);
        if (!join)
                return;

        struct um_addr a;
        um_addr_parse("10.0.0.3", &a);
        struct seg ann = on_subflow(c, 0, UM_TH_ACK);
        uint8_t o[40];
        uint64_t hmac = mptcp_add_addr_hmac(NULL, KEY_B, c->key_a, 7, a.b, 4, 0);
        seg_add_opt(&ann, o, mptcp_write_add_addr(o, 0, 7, &a, 0, 1, hmac));
        seg_peer_send(p, &ann);
        assert_true(wait_for(p, &c->syn[1], MPTCPOPT_MP_JOIN, 100000)); /* the echo skipped */
        assert_int_equal(c->syn[1].flags, UM_TH_SYN);
        assert_int_equal(c->syn[1].peer_host, 3);
        uint32_t r_b = 0x0badcafe;
        uint8_t mac[32];
        mptcp_join_hmac(NULL, KEY_B, c->key_a, r_b, c->syn[1].mp.join_nonce, mac);
        struct seg jsynack = peer_synack(&c->syn[1], JOIN_ISN, wnd);
        seg_add_opt(&jsynack, o, mptcp_write_join_synack(o, 0, 7, mac, r_b));
        seg_peer_send(p, &jsynack);
        struct seg jack;
        do
                assert_true(seg_peer_wait(p, &jack, 100000));
        while (jack.sport != c->syn[1].sport);
        assert_int_equal(jack.flags, UM_TH_ACK);
        assert_int_equal(jack.mp.join_len, JOIN_LEN_ACK);
        c->join_wnd = jack.wnd;
        c->peer_seq[1] = JOIN_ISN + 1;
        c->acked[1] = c->syn[1].seq + 1;
        c->n = 2;
        peer_ack(p, c, 1); /* the fourth ACK */
        seg_peer_drain(p);
}

static void mp_conn_open(struct seg_peer *p, struct mp_conn *c, int join, uint16_t wnd)
{
        mp_conn_open_rcvbuf(p, c, join, wnd, 0);
}

/* The subflow the stack's segment s came on. */
static int subflow_of(const struct mp_conn *c, const struct seg *s)
{
        for (int i = 0; i < c->n; i++)
                if (s->sport == c->syn[i].sport && s->peer_host == c->syn[i].peer_host)
                        return i;
        fail_msg("a segment from port %u on no subflow", s->sport);
        return 0;
}

/* The next segment of the stack's that carries a DSS mapping, until time `until`. Every
 * data segment on the way (that one included) is TCP-acknowledged at once on its subflow,
 * so the congestion windows open; the DATA_ACK and window stay c->data_ack and c->wnd. */
static int next_mapping(struct seg_peer *p, struct mp_conn *c, struct seg *s, uint64_t until)
{
        while (p->now <= until && seg_peer_wait(p, s, until - p->now)) {
                if (!s->len)
                        continue;
                int i = subflow_of(c, s);
                if ((int32_t)(s->seq + s->len - c->acked[i]) > 0)
                        c->acked[i] = s->seq + s->len;
                peer_ack(p, c, i);
                if (mptcp_has(&s->mp, MPTCPOPT_DSS) && (s->mp.dss_flags & DSS_M))
                        return 1;
        }
        return 0;
}

/* The stack's app writes BULK bytes; the peer takes every segment but DATA_ACKs none, its
 * window wnd. Returns how far past IDSN + 1 the stack's mappings reached within 100 ms,
 * less than the data-level retransmission timeout (at least 200 ms). */
static uint64_t window_filled(int join, uint16_t wnd)
{
        struct seg_peer p;
        open_peer(&p);
        assert_int_equal(um_mptcp_limits_set(p.st, 2, 2), 0);
        struct mp_conn c;
        mp_conn_open(&p, &c, join, wnd);
        static uint8_t buf[BULK];
        fill(buf, sizeof(buf), 3);
        assert_int_equal(um_send(p.st, c.fd, buf, sizeof(buf), 0), BULK);
        uint64_t until = p.now + 100000, end = c.data_seq;
        int mappings[2] = {0, 0};
        struct seg s;
        while (next_mapping(&p, &c, &s, until)) {
                assert_int_equal(s.mp.dsn, end); /* new data, in order: nothing sent again */
                mappings[subflow_of(&c, &s)]++;
                end = s.mp.dsn + s.mp.data_len;
        }
        for (int i = 0; i < c.n; i++)
                assert_true(mappings[i] > 0); /* each subflow carried data */
        print_message("    %d subflow(s), window %u: new data up to IDSN+1+%llu in %d + %d "
                      "mappings\n",
                      c.n, wnd, (unsigned long long)(end - c.data_seq), mappings[0], mappings[1]);
        um_close(p.st, c.fd);
        seg_peer_close(&p);
        return end - c.data_seq;
}

/* With two subflows, new data stops an eighth of the window short of its end (and fills up
 * to there); with one, it fills the whole window. */
static void test_window_reserve_with_two_subflows(void **state)
{
        (void)state;
        const uint16_t w = 60000;
        uint64_t limit = w - w / 8;
        uint64_t two = window_filled(1, w);
        assert_true(two <= limit);
        assert_true(two > limit - PEER_MSS);

        uint64_t one = window_filled(0, w);
        assert_true(one <= w);
        assert_true(one > (uint64_t)w - PEER_MSS);
        print_message("    two subflows: %llu of at most %llu (W - W/8); one: %llu of %u (W)\n",
                      (unsigned long long)two, (unsigned long long)limit, (unsigned long long)one,
                      w);
}

/* With two subflows, data sent again after the data-level retransmission timeout (RFC 8684
 * §3.3.6) holds back new data until the peer DATA_ACKs past it, though the window (opened
 * meanwhile) would take more; then new data follows at once. */
static void test_no_new_data_while_repairing(void **state)
{
        (void)state;
        struct seg_peer p;
        open_peer(&p);
        assert_int_equal(um_mptcp_limits_set(p.st, 2, 2), 0);
        struct mp_conn c;
        mp_conn_open(&p, &c, 1, 32768); /* opened to 65535 later: the window holds nothing */
        static uint8_t buf[BULK];
        fill(buf, sizeof(buf), 5);
        assert_int_equal(um_send(p.st, c.fd, buf, sizeof(buf), 0), BULK);

        /* The data goes out, the peer takes it all on its subflows, its DATA_ACK stays: the
         * data-level timer fires and the oldest data goes again. */
        uint64_t t0 = p.now, end = c.data_seq;
        struct seg s;
        for (;;) {
                assert_true(next_mapping(&p, &c, &s, t0 + 2000000));
                if (dsn_before(s.mp.dsn, end) && p.now - t0 >= 200000)
                        break;
                if (dsn_before(end, s.mp.dsn + s.mp.data_len))
                        end = s.mp.dsn + s.mp.data_len;
        }
        uint64_t resent_at = p.now;
        assert_int_equal(s.mp.dsn, c.data_seq);

        /* The peer opens its window to 65535 from the same DATA_ACK (room for new data up to
         * IDSN+1+57344, the reserve kept) and keeps acknowledging every segment: 500 ms
         * without any new data, only the oldest sent again once more (the timer backed off). */
        c.wnd = 65535;
        for (int i = 0; i < c.n; i++)
                peer_ack(&p, &c, i);
        int resent = 1;
        while (next_mapping(&p, &c, &s, resent_at + 500000)) {
                if (dsn_before(end, s.mp.dsn + s.mp.data_len))
                        fail_msg("new data IDSN+1+%llu..%llu %llu ms after the resend, sent up "
                                 "to IDSN+1+%llu before",
                                 (unsigned long long)(s.mp.dsn - c.data_seq),
                                 (unsigned long long)(s.mp.dsn + s.mp.data_len - c.data_seq),
                                 (unsigned long long)(p.now - resent_at) / 1000,
                                 (unsigned long long)(end - c.data_seq));
                resent++;
        }

        /* The peer DATA_ACKs all it has: new data at once, from where it stopped. */
        c.data_ack = end;
        peer_ack(&p, &c, 0);
        uint64_t acked_at = p.now;
        do
                assert_true(next_mapping(&p, &c, &s, acked_at + 10000));
        while (dsn_before(s.mp.dsn, end));
        assert_int_equal(s.mp.dsn, end);
        print_message("    sent up to IDSN+1+%llu, resent from IDSN+1 after %llu ms; %d resent "
                      "mappings and no new data in 500 ms with the window at 65535; new data "
                      "%llu ms after the DATA_ACK\n",
                      (unsigned long long)(end - c.data_seq),
                      (unsigned long long)(resent_at - t0) / 1000, resent,
                      (unsigned long long)(p.now - acked_at) / 1000);
        um_close(p.st, c.fd);
        seg_peer_close(&p);
}

/* ---- Data past the connection's receive buffer (RFC 8684 §3.3.4) ----
 *
 * One receive window spans all subflows, yet each subflow's TCP announces its own, and TCP
 * never pulls a right edge back. A subflow that received nothing for a while still offers
 * the window it announced earlier, which, from the DATA_ACK that has advanced since, lets
 * the peer send past the connection's buffer. TCP acknowledges what its window took, so
 * the peer will not send it again at the TCP level; should the data level drop it, only
 * the peer's data-level retransmission fills the hole, which Linux sends once per timeout
 * (a relayed download crawled at 1 Mbit/s). Such data must wait, acknowledged, in its
 * subflow until the reader makes room. */

enum { SMALL_RCVBUF = 64 << 10, CHUNK = 1024, FIRST = 56 << 10, SECOND = 16 << 10 };

/* What the stack last told the peer: on each subflow the ACK and window, and its DATA_ACK. */
struct stack_said {
        uint32_t ack[2];
        uint16_t wnd[2];
        uint64_t data_ack;
};

/* Takes every segment the stack sends within `us` (none carries data), noting what it says. */
static void hear(struct seg_peer *p, const struct mp_conn *c, struct stack_said *h, uint64_t us)
{
        struct seg s;
        while (seg_peer_wait(p, &s, us)) {
                assert_int_equal(s.len, 0);
                int i = subflow_of(c, &s);
                h->ack[i] = s.ack;
                h->wnd[i] = s.wnd;
                if (mptcp_has(&s.mp, MPTCPOPT_DSS) && (s.mp.dss_flags & DSS_A))
                        h->data_ack = s.mp.data_ack;
        }
}

/* The peer's data on subflow i: len bytes under the mapping of map_len bytes from data
 * sequence number dsn and subflow sequence number ssn (relative to isn). */
static void peer_data(struct seg_peer *p, struct mp_conn *c, int i, uint32_t isn, uint64_t dsn,
                      uint32_t ssn, uint16_t map_len, const uint8_t *data, uint32_t len)
{
        struct seg s = on_subflow(c, i, UM_TH_ACK | UM_TH_PSH);
        struct mptcp_dss_out d = {.flags = DSS_A | DSS_a | DSS_M | DSS_m,
                                  .data_ack = c->data_ack,
                                  .dsn = dsn,
                                  .ssn = ssn - isn,
                                  .data_len = map_len};
        uint8_t o[28];
        seg_add_opt(&s, o, mptcp_write_dss(o, &d));
        s.payload = data;
        s.len = len;
        seg_peer_send(p, &s);
        c->peer_seq[i] += len;
}

/* The peer sends `from`..`to` of its data on subflow 0, a mapping a segment. */
static void first_subflow_data(struct seg_peer *p, struct mp_conn *c, uint64_t idsn,
                               const uint8_t *data, uint32_t from, uint32_t to)
{
        for (uint32_t off = from; off < to; off += CHUNK)
                peer_data(p, c, 0, PEER_ISN, idsn + 1 + off, c->peer_seq[0], CHUNK, data + off,
                          CHUNK);
}

/* The stack's MPTCP socket has SO_RCVBUF 64 KiB and two subflows; its application does not
 * read. The peer sends the first 48 KiB on the first subflow, then, on the joined one,
 * within the window the stack announced there on joining, one mapping of 16 KiB from data
 * sequence number +56 KiB, ahead of the first as a faster path is: it ends 8 KiB past the
 * connection's buffer. Then the first subflow brings +48..56 KiB, which fills the hole. All of it
 * is TCP-acked. The application reads all it can, again and again, while the peer sends nothing
 * more, at neither level: it gets all 72 KiB, the DATA_ACK reaches them, and nothing was pruned.
 * (Data in order at rcv_nxt that ends past the buffer waited in its subflow before too;
 * data beyond a hole was read out and dropped.) */
static void data_past_the_buffer(uint32_t hole_at)
{
        enum { TOTAL = FIRST + SECOND, HOLE = 8 << 10 };
        struct seg_peer p;
        open_peer(&p);
        assert_int_equal(um_mptcp_limits_set(p.st, 2, 2), 0);
        struct mp_conn c;
        mp_conn_open_rcvbuf(&p, &c, 1, 65535, SMALL_RCVBUF);
        int rcvbuf = 0;
        socklen_t sl = sizeof(rcvbuf);
        assert_int_equal(um_getsockopt(p.st, c.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &sl), 0);
        assert_int_equal(rcvbuf, SMALL_RCVBUF);
        /* Subflow 2's window as the stack announced it on joining: room for all its data. */
        assert_true(c.join_wnd >= SECOND);
        uint64_t idsn = idsn_of(KEY_B);
        static uint8_t sent[TOTAL], got[TOTAL + 1];
        fill(sent, sizeof(sent), 9);
        struct stack_said h = {.data_ack = 0};

        first_subflow_data(&p, &c, idsn, sent, 0, hole_at);
        first_subflow_data(&p, &c, idsn, sent, hole_at + HOLE, FIRST);
        hear(&p, &c, &h, 300000);
        assert_int_equal(h.ack[0], c.peer_seq[0]);
        assert_int_equal((uint32_t)h.data_ack, (uint32_t)(idsn + 1 + hole_at));

        /* Past the buffer, which ends at +64 KiB (room_end: rcv_nxt - rcv.len + rcv.cap). */
        uint32_t seq2 = c.peer_seq[1];
        for (uint32_t off = 0; off < SECOND; off += CHUNK)
                peer_data(&p, &c, 1, JOIN_ISN, idsn + 1 + FIRST, seq2, SECOND, sent + FIRST + off,
                          CHUNK);
        hear(&p, &c, &h, 300000);
        assert_int_equal(h.ack[1], c.peer_seq[1]); /* TCP took all of it */
        uint16_t wnd_taken = h.wnd[1];

        first_subflow_data(&p, &c, idsn, sent, hole_at, hole_at + HOLE);
        hear(&p, &c, &h, 300000);
        assert_int_equal(h.ack[0], c.peer_seq[0]);
        /* The buffer is full up to its end; the rest waits. */
        assert_int_equal((uint32_t)h.data_ack, (uint32_t)(idsn + 1 + SMALL_RCVBUF));
        uint16_t wnd_full = h.wnd[0];

        /* The application reads, again and again; the peer sends nothing. */
        uint32_t n = 0;
        int reads = 0;
        for (int round = 0; round < 20 && n < TOTAL; round++) {
                long r;
                while ((r = um_recv(p.st, c.fd, got + n, sizeof(got) - n, 0)) > 0) {
                        n += (uint32_t)r;
                        reads++;
                }
                hear(&p, &c, &h, 50000);
        }
        hear(&p, &c, &h, 300000);
        print_message(
            "    hole at +%u KiB; subflow 2 took +%u..%u KiB (join window %u, then %u); buffer "
            "full at "
            "DATA_ACK IDSN+1+%u (window %u on subflow 1); read %u of %u bytes in %d reads, "
            "DATA_ACK IDSN+1+%llu, MPTcpExtRcvPruned %llu\n",
            hole_at >> 10, (unsigned)FIRST >> 10, (unsigned)TOTAL >> 10, c.join_wnd, wnd_taken,
            (unsigned)SMALL_RCVBUF, wnd_full, n, (unsigned)TOTAL, reads,
            (unsigned long long)(uint32_t)(h.data_ack - idsn - 1),
            (unsigned long long)um_counter_get(p.st, "MPTcpExtRcvPruned"));
        assert_int_equal(n, TOTAL);
        assert_memory_equal(got, sent, TOTAL);
        assert_int_equal((uint32_t)h.data_ack, (uint32_t)(idsn + 1 + TOTAL));
        assert_int_equal(um_counter_get(p.st, "MPTcpExtRcvPruned"), 0);
        um_close(p.st, c.fd);
        seg_peer_close(&p);
}

static void test_data_past_the_buffer_waits_in_its_subflow(void **state)
{
        (void)state;
        data_past_the_buffer(FIRST - (8 << 10));
}

/* The same with the hole at the start: when the reader lets the waiting bytes in, no
 * subflow's own window opens enough for an update of its own (each still offers what it
 * promised), yet the DATA_ACK moved: the stack says so at once. It used to stay at +64 KiB,
 * and a peer with nothing more to send waited for its data-level timeout. */
static void test_data_ack_follows_the_reader(void **state)
{
        (void)state;
        data_past_the_buffer(8 << 10);
}

/* A peer that maps data far past any window the stack offered (DSN +1 MiB with a 64 KiB
 * buffer) gets it dropped and counted, not kept: waiting in the subflow is for bytes the
 * stack offered and its reader has not made room for yet, and a peer's own far-away data
 * would otherwise pin subflow memory for as long as the connection lives. */
static void test_data_far_past_the_window_is_dropped(void **state)
{
        (void)state;
        enum { FAR = 1 << 20, LEN = 32 << 10 };
        struct seg_peer p;
        open_peer(&p);
        assert_int_equal(um_mptcp_limits_set(p.st, 2, 2), 0);
        struct mp_conn c;
        mp_conn_open_rcvbuf(&p, &c, 1, 65535, SMALL_RCVBUF);
        uint64_t idsn = idsn_of(KEY_B);
        static uint8_t junk[LEN];
        fill(junk, sizeof(junk), 5);
        struct stack_said h = {.data_ack = 0};
        uint32_t seq2 = c.peer_seq[1];
        for (uint32_t off = 0; off < LEN; off += CHUNK)
                peer_data(&p, &c, 1, JOIN_ISN, idsn + 1 + FAR, seq2, LEN, junk + off, CHUNK);
        hear(&p, &c, &h, 300000);
        print_message("    %u bytes mapped at +%u KiB: subflow 2 acknowledged them, its window %u "
                      "after, MPTcpExtRcvPruned %llu\n",
                      (unsigned)LEN, (unsigned)FAR >> 10, h.wnd[1],
                      (unsigned long long)um_counter_get(p.st, "MPTcpExtRcvPruned"));
        assert_int_equal(h.ack[1], c.peer_seq[1]);
        assert_true(um_counter_get(p.st, "MPTcpExtRcvPruned") > 0);
        assert_true(h.wnd[1] >= 65535 - 2 * CHUNK); /* nothing held: the window is whole */
        um_close(p.st, c.fd);
        seg_peer_close(&p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_mp_capable_as_listener),
            cmocka_unit_test(test_mp_capable_as_initiator),
            cmocka_unit_test(test_add_addr_echo_and_join_hmacs),
            cmocka_unit_test(test_add_addr_sent_until_echoed),
            cmocka_unit_test(test_c_flag),
            cmocka_unit_test(test_announce_port_on_initial_address),
            cmocka_unit_test(test_dss_mapping_validation),
            cmocka_unit_test(test_checksum_failure_mp_fail_then_infinite_mapping),
            cmocka_unit_test(test_mp_fail_answered_with_infinite_mapping),
            cmocka_unit_test(test_data_fin_both_ways),
            cmocka_unit_test(test_data_fin_before_the_listener_confirms),
            cmocka_unit_test(test_window_reserve_with_two_subflows),
            cmocka_unit_test(test_no_new_data_while_repairing),
            cmocka_unit_test(test_data_past_the_buffer_waits_in_its_subflow),
            cmocka_unit_test(test_data_ack_follows_the_reader),
            cmocka_unit_test(test_data_far_past_the_window_is_dropped),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
