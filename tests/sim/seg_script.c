/* Scripts for exact-segment tests (seg_script.h). */
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

int listen_backlog(struct seg_peer *p, int proto, int backlog)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};
        int fd = um_socket(p->st, AF_INET, SOCK_STREAM, proto);
        assert_true(fd >= 0);
        assert_int_equal(um_bind(p->st, fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(um_listen(p->st, fd, backlog), 0);
        return fd;
}

int listen_on(struct seg_peer *p, int proto)
{
        return listen_backlog(p, proto, 8);
}

int fell_back(struct um_stack *st, int fd)
{
        struct mptcp_info mi;
        socklen_t l = sizeof(mi);
        assert_int_equal(um_getsockopt(st, fd, SOL_MPTCP, MPTCP_INFO, &mi, &l), 0);
        return (mi.mptcpi_flags & MPTCP_INFO_FLAG_FALLBACK) != 0;
}

struct seg to_stack(uint32_t seq, uint32_t ack, uint8_t flags)
{
        return (struct seg){.dport = PORT, .seq = seq, .ack = ack, .flags = flags};
}

struct seg to_initiator(const struct seg *syn, uint32_t seq, uint32_t ack, uint8_t flags)
{
        return (struct seg){
            .sport = PORT, .dport = syn->sport, .seq = seq, .ack = ack, .flags = flags};
}

void add_mpc(struct seg *s, unsigned len, uint64_t sndr, uint64_t rcvr)
{
        uint8_t o[24];
        seg_add_opt(s, o, mptcp_write_mpc(o, len, MPC_FLAG_H, sndr, rcvr, 0, 0));
}

void fill(uint8_t *b, size_t n, uint8_t salt)
{
        for (size_t i = 0; i < n; i++)
                b[i] = (uint8_t)(i * 7 + salt);
}

void mpc_handshake_start(struct seg_peer *p, struct mpc_conn *m, int lfd)
{
        memset(m, 0, sizeof(*m));
        m->lfd = lfd;
        m->key_a = 0x0102030405060708ULL;
        uint32_t token;
        mptcp_key_derive(NULL, m->key_a, &token, &m->idsn_a);
        struct seg syn = to_stack(PEER_ISN, 0, UM_TH_SYN);
        add_mpc(&syn, MPC_LEN_SYN, 0, 0);
        seg_peer_send(p, &syn);
        struct seg synack;
        assert_true(seg_peer_recv(p, &synack));
        assert_true(mptcp_has(&synack.mp, MPTCPOPT_MP_CAPABLE));
        m->key_b = synack.mp.mpc_sndr_key;
        mptcp_key_derive(NULL, m->key_b, &token, &m->idsn_b);
        m->seq_a = PEER_ISN + 1;
        m->seq_b = synack.seq + 1;
        m->dsn_a = m->idsn_a + 1;
}

void mpc_handshake_finish(struct seg_peer *p, const struct mpc_conn *m, uint16_t wnd)
{
        struct seg ack = to_stack(m->seq_a, m->seq_b, UM_TH_ACK);
        ack.wnd = wnd;
        add_mpc(&ack, MPC_LEN_ACK, m->key_a, m->key_b);
        seg_peer_send(p, &ack);
}

void mpc_open_on(struct seg_peer *p, struct mpc_conn *m, int lfd, uint16_t wnd)
{
        mpc_handshake_start(p, m, lfd);
        mpc_handshake_finish(p, m, wnd);
        m->fd = um_accept(p->st, m->lfd, NULL, NULL);
        assert_true(m->fd >= 0);
}

void mpc_open(struct seg_peer *p, struct mpc_conn *m)
{
        mpc_open_on(p, m, listen_on(p, IPPROTO_MPTCP), 0);
}

void mpc_close(struct seg_peer *p, struct mpc_conn *m)
{
        um_close(p->st, m->fd);
        um_close(p->st, m->lfd);
        seg_peer_close(p);
}

struct seg join_syn_seg(const struct mpc_conn *m, uint16_t sport, uint32_t nonce)
{
        uint32_t token;
        uint64_t idsn;
        mptcp_key_derive(NULL, m->key_b, &token, &idsn);
        struct seg syn = {.sport = sport, .dport = PORT, .seq = PEER_ISN, .flags = UM_TH_SYN};
        uint8_t o[12];
        seg_add_opt(&syn, o, mptcp_write_join_syn(o, 0, 2, token, nonce));
        return syn;
}

int wait_to(struct seg_peer *p, struct seg *out, uint16_t port, uint64_t us)
{
        while (seg_peer_wait(p, out, us))
                if (out->dport == port)
                        return 1;
        return 0;
}

void join_begin(struct seg_peer *p, const struct mpc_conn *m, uint16_t sport, struct join_half *j)
{
        j->sport = sport;
        j->r_a = 0x01020304u + sport;
        struct seg syn = join_syn_seg(m, sport, j->r_a);
        seg_peer_send(p, &syn);
        struct seg synack;
        assert_true(wait_to(p, &synack, sport, 100000));
        assert_true(mptcp_has(&synack.mp, MPTCPOPT_MP_JOIN));
        assert_int_equal(synack.mp.join_len, JOIN_LEN_SYNACK);
        j->r_b = synack.mp.join_nonce;
        j->synack_seq = synack.seq;
        uint8_t mac[32];
        mptcp_join_hmac(NULL, m->key_b, m->key_a, j->r_b, j->r_a, mac);
        assert_memory_equal(mac, synack.mp.join_hmac, 8);
}

int join_end(struct seg_peer *p, const struct mpc_conn *m, const struct join_half *j)
{
        uint8_t mac[32];
        mptcp_join_hmac(NULL, m->key_a, m->key_b, j->r_a, j->r_b, mac);
        struct seg ack = {.sport = j->sport,
                          .dport = PORT,
                          .seq = PEER_ISN + 1,
                          .ack = j->synack_seq + 1,
                          .flags = UM_TH_ACK};
        uint8_t o[24];
        seg_add_opt(&ack, o, mptcp_write_join_ack(o, mac));
        seg_peer_send(p, &ack);
        struct seg fourth;
        assert_true(wait_to(p, &fourth, j->sport, 100000));
        return !(fourth.flags & UM_TH_RST);
}

int join_open(struct seg_peer *p, const struct mpc_conn *m, uint16_t sport)
{
        struct join_half j;
        join_begin(p, m, sport, &j);
        return join_end(p, m, &j);
}

void mpc_send(struct seg_peer *p, struct mpc_conn *m, const char *data, int fin)
{
        uint32_t len = data ? (uint32_t)strlen(data) : 0;
        struct seg s = to_stack(m->seq_a, m->seq_b, UM_TH_ACK | (len ? UM_TH_PSH : 0));
        struct mptcp_dss_out d = {.flags = DSS_A | DSS_a | DSS_M | DSS_m | (fin ? DSS_F : 0),
                                  .data_ack = m->idsn_b + 1,
                                  .dsn = m->dsn_a,
                                  .ssn = len ? m->seq_a - PEER_ISN : 0,
                                  .data_len = (uint16_t)(len + (fin ? 1 : 0))};
        uint8_t o[28];
        seg_add_opt(&s, o, mptcp_write_dss(o, &d));
        s.payload = (const uint8_t *)data;
        s.len = len;
        seg_peer_send(p, &s);
        m->seq_a += len;
        m->dsn_a += len + (fin ? 1 : 0);
}

int mpc_connect_out(struct seg_peer *p, struct seg *syn)
{
        int fd = um_socket(p->st, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};
        inet_pton(AF_INET, "10.0.0.1", &sa.sin_addr);
        assert_int_equal(um_connect(p->st, fd, (struct sockaddr *)&sa, sizeof(sa)), -1);
        assert_true(seg_peer_recv(p, syn));
        assert_true(mptcp_has(&syn->mp, MPTCPOPT_MP_CAPABLE));
        struct seg synack = to_initiator(syn, PEER_ISN, syn->seq + 1, UM_TH_SYN | UM_TH_ACK);
        add_mpc(&synack, MPC_LEN_SYNACK, 0x5555aaaa5555aaaaULL, 0);
        seg_peer_send(p, &synack);
        return fd;
}

void mpc_ack(struct seg_peer *p, const struct mpc_conn *m, uint32_t acked, uint16_t wnd)
{
        struct seg s = to_stack(m->seq_a, m->seq_b + acked, UM_TH_ACK);
        s.wnd = wnd;
        struct mptcp_dss_out d = {.flags = DSS_A | DSS_a, .data_ack = m->idsn_b + 1 + acked};
        uint8_t o[28];
        seg_add_opt(&s, o, mptcp_write_dss(o, &d));
        seg_peer_send(p, &s);
}
