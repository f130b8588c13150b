/* Exact-segment tests of TCP's loss handling: what the stack retransmits, and when, for a
 * scripted peer that acknowledges some segments and not others. Times are the injected
 * clock's, exact to the microsecond; the RTO and RTT are read back with TCP_INFO, and what
 * is asserted is the RFC's rule applied to them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <umptcp/socket.h>
#include <umptcp/tcp_ext.h>

#include "seg_script.h"
#include "simtest.h"
#include "tcp/tcp.h"

enum { MSS = 1000, RTT_US = 50000 };

/* A TCP connection the peer opened to the stack; seq_b is the stack's next sequence number. */
struct tcp_conn {
        int lfd, fd;
        uint32_t seq_a, seq_b;
};

/* The peer's SYN offers MSS 1000 (and SACK when asked); it answers the SYN/ACK after
 * RTT_US, so that the stack's first RTT sample is RTT_US. */
static void tcp_open(struct seg_peer *p, struct tcp_conn *t, int sack)
{
        t->lfd = listen_on(p, IPPROTO_TCP);
        struct seg syn = to_stack(PEER_ISN, 0, UM_TH_SYN);
        static const uint8_t mss[4] = {2, 4, MSS >> 8, MSS & 0xff}, sack_perm[4] = {1, 1, 4, 2};
        seg_add_opt(&syn, mss, sizeof(mss));
        if (sack)
                seg_add_opt(&syn, sack_perm, sizeof(sack_perm));
        seg_peer_send(p, &syn);
        struct seg synack;
        assert_true(seg_peer_recv(p, &synack));
        seg_peer_run(p, RTT_US);
        t->seq_a = PEER_ISN + 1;
        t->seq_b = synack.seq + 1;
        struct seg ack = to_stack(t->seq_a, t->seq_b, UM_TH_ACK);
        seg_peer_send(p, &ack);
        t->fd = um_accept(p->st, t->lfd, NULL, NULL);
        assert_true(t->fd >= 0);
}

static void tcp_close(struct seg_peer *p, struct tcp_conn *t)
{
        um_close(p->st, t->fd);
        um_close(p->st, t->lfd);
        seg_peer_close(p);
}

static struct tcp_info info_of(struct seg_peer *p, const struct tcp_conn *t)
{
        struct tcp_info ti;
        socklen_t len = sizeof(ti);
        assert_int_equal(um_getsockopt(p->st, t->fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
        return ti;
}

/* The application writes n bytes; the stack sends segs segments of MSS at once. */
static void app_send(struct seg_peer *p, const struct tcp_conn *t, uint32_t n)
{
        static uint8_t data[64 * MSS];
        assert_true(n <= sizeof(data));
        assert_int_equal(um_send(p->st, t->fd, data, n, 0), (long)n);
}

static void expect_data(struct seg_peer *p, uint32_t seq, uint32_t len, uint64_t at)
{
        struct seg s;
        assert_true(seg_peer_wait(p, &s, 120000000));
        assert_int_equal(s.seq, seq);
        assert_int_equal(s.len, len);
        assert_true(s.flags & UM_TH_ACK);
        assert_int_equal(p->now, at);
}

/* The application writes n bytes; a first flight of 10 full segments leaves at once. */
static void send_flight(struct seg_peer *p, const struct tcp_conn *t, uint32_t n)
{
        app_send(p, t, n);
        uint64_t t0 = p->now;
        for (uint32_t i = 0; i < 10; i++)
                expect_data(p, t->seq_b + i * MSS, MSS, t0);
}

/* An ACK from the peer, with SACK blocks [sack[i][0], sack[i][1]). */
static void peer_ack(struct seg_peer *p, const struct tcp_conn *t, uint32_t ack,
                     const uint32_t (*sack)[2], int n_sack)
{
        struct seg s = to_stack(t->seq_a, ack, UM_TH_ACK);
        if (n_sack) {
                uint8_t o[36] = {1, 1, 5, (uint8_t)(2 + 8 * n_sack)};
                for (int i = 0; i < n_sack; i++)
                        for (int k = 0; k < 2; k++) {
                                uint32_t v = sack[i][k];
                                uint8_t *b = o + 4 + 8 * i + 4 * k;
                                b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16);
                                b[2] = (uint8_t)(v >> 8), b[3] = (uint8_t)v;
                        }
                seg_add_opt(&s, o, 4 + 8 * (unsigned)n_sack);
        }
        seg_peer_send(p, &s);
}

/* RFC 6298 §5.5: each expiry doubles the RTO; §5.1: data sent while no timer runs (after
 * everything was acknowledged) starts it with the RTO of the moment. */
static void test_rto_backoff_doubles_then_restarts(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        struct tcp_conn t;
        tcp_open(&p, &t, 0);
        app_send(&p, &t, MSS);
        uint64_t t0 = p.now;
        expect_data(&p, t.seq_b, MSS, t0);
        uint64_t rto = info_of(&p, &t).tcpi_rto;
        assert_int_equal(rto, 3 * RTT_US < 200000 ? 200000 : 3 * RTT_US); /* §2.2, Linux's floor */
        uint64_t at = t0;
        for (int k = 0; k < 5; k++) {
                at += rto << k;
                expect_data(&p, t.seq_b, MSS, at);
                assert_int_equal(info_of(&p, &t).tcpi_backoff, k + 1);
        }
        assert_int_equal(um_counter_get(p.st, "TcpExtTCPTimeouts"), 5);

        peer_ack(&p, &t, t.seq_b + MSS, NULL, 0);
        t.seq_b += MSS;
        seg_peer_run(&p, 1000);
        app_send(&p, &t, MSS);
        uint64_t t1 = p.now;
        expect_data(&p, t.seq_b, MSS, t1);
        rto = info_of(&p, &t).tcpi_rto;
        expect_data(&p, t.seq_b, MSS, t1 + rto);
        tcp_close(&p, &t);
}

/* RFC 6298 §5.3: an ACK of new data restarts the timer for what is still outstanding, from
 * the ACK; data sent meanwhile did not restart it (§5.1: it was running). */
static void test_rto_restarts_on_new_ack(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        struct tcp_conn t;
        tcp_open(&p, &t, 0);
        app_send(&p, &t, MSS);
        uint64_t t0 = p.now;
        expect_data(&p, t.seq_b, MSS, t0);
        uint64_t rto0 = info_of(&p, &t).tcpi_rto;
        seg_peer_run(&p, 20000);
        app_send(&p, &t, MSS);
        expect_data(&p, t.seq_b + MSS, MSS, t0 + 20000);
        seg_peer_run(&p, 60000);
        peer_ack(&p, &t, t.seq_b + MSS, NULL, 0); /* the first only, 80 ms after it left */
        uint64_t t_ack = p.now;
        uint64_t rto = info_of(&p, &t).tcpi_rto;
        assert_true(t_ack + rto != t0 + rto0);
        expect_data(&p, t.seq_b + MSS, MSS, t_ack + rto);
        tcp_close(&p, &t);
}

/* RFC 8985 §7: a tail loss (the last segments of a flight) is probed after PTO = 2 SRTT
 * (capped at the RTO; with more than one segment in flight no delayed-ACK allowance): the
 * probe is the last segment again, before the RTO. The ACK of all ends the episode
 * without recovery or timeout. */
static void test_tail_loss_probe(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        struct tcp_conn t;
        tcp_open(&p, &t, 1);
        send_flight(&p, &t, 10 * MSS);
        seg_peer_run(&p, RTT_US);
        peer_ack(&p, &t, t.seq_b + 8 * MSS, NULL, 0); /* all but the last two */
        uint64_t t_ack = p.now;
        struct tcp_info ti = info_of(&p, &t);
        uint64_t pto = 2 * (uint64_t)ti.tcpi_rtt;
        assert_true(pto < ti.tcpi_rto);
        expect_data(&p, t.seq_b + 9 * MSS, MSS, t_ack + pto);
        assert_int_equal(um_counter_get(p.st, "TcpExtTCPLossProbes"), 1);
        peer_ack(&p, &t, t.seq_b + 10 * MSS, NULL, 0);
        assert_int_equal(um_counter_get(p.st, "TcpExtTCPSackRecovery"), 0);
        assert_int_equal(um_counter_get(p.st, "TcpExtTCPTimeouts"), 0);
        tcp_close(&p, &t);
}

/* RFC 8985 §6.2: the first segment is lost, the nine after it are SACKed. RACK marks it
 * lost once a segment sent after it was delivered and the reordering window (min RTT / 4)
 * has passed since that became known: it goes again then, with no third duplicate ACK.
 * Then RFC 6937 PRR: while recovery lasts, data sent never exceeds what the proportional
 * rule allows, ceil(delivered * ssthresh / RecoverFS), plus the first retransmission; and
 * recovery ends with cwnd at ssthresh. */
static void test_rack_then_prr(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        struct tcp_conn t;
        tcp_open(&p, &t, 1);
        send_flight(&p, &t, 40 * MSS);
        uint32_t una = t.seq_b, nxt = t.seq_b + 10 * MSS;
        seg_peer_run(&p, RTT_US);
        uint32_t sack[1][2] = {{una + MSS, una + 2 * MSS}};
        peer_ack(&p, &t, una, sack, 1);
        uint64_t t_sack = p.now;
        struct seg s;
        while (seg_peer_recv(&p, &s)) { /* new data only: the first may just be reordered */
                assert_int_equal(s.seq, nxt);
                nxt += s.len;
        }
        expect_data(&p, una, MSS, t_sack + RTT_US / 4);
        assert_int_equal(um_counter_get(p.st, "TcpExtTCPRACKLost"), 1);
        assert_int_equal(um_counter_get(p.st, "TcpExtTCPSackRecovery"), 1);
        struct tcp_info ti = info_of(&p, &t);
        uint64_t ssthresh = (uint64_t)ti.tcpi_snd_ssthresh * MSS;
        uint64_t recover_fs = nxt - una; /* RFC 6937: the flight when recovery started */
        assert_true(ssthresh < recover_fs);

        /* Segments 3..10 are SACKed one per ACK; each may release new data. */
        uint64_t delivered = MSS, sent = 0;
        for (uint32_t i = 2; i < 10; i++) {
                sack[0][1] = una + (i + 1) * MSS;
                peer_ack(&p, &t, una, sack, 1);
                delivered += MSS;
                while (seg_peer_recv(&p, &s)) {
                        assert_int_equal(s.seq, nxt); /* new data, in order */
                        nxt += s.len;
                        sent += s.len;
                }
                assert_true(sent <= (delivered * ssthresh + recover_fs - 1) / recover_fs);
        }
        assert_true(sent > 0);
        peer_ack(&p, &t, nxt, NULL, 0); /* everything, the retransmission included */
        ti = info_of(&p, &t);
        /* One reduction for the episode; the window restarts from ssthresh (this ACK may add
         * one congestion-avoidance step for what it delivered). */
        assert_int_equal((uint64_t)ti.tcpi_snd_ssthresh * MSS, ssthresh);
        assert_true((uint64_t)ti.tcpi_snd_cwnd * MSS >= ssthresh);
        assert_true((uint64_t)ti.tcpi_snd_cwnd * MSS <= ssthresh + MSS);
        tcp_close(&p, &t);
}

/* RFC 8985 §6.2 covers retransmissions too: the first segment is lost twice. Once a
 * segment sent after the retransmission is SACKed, and the retransmission is older than
 * that by more than the reordering window, it is marked lost again and goes out a third
 * time at once, without waiting for the retransmission timer. */
static void test_rack_detects_lost_retransmission(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        struct tcp_conn t;
        tcp_open(&p, &t, 1);
        send_flight(&p, &t, 60 * MSS);
        uint32_t una = t.seq_b, nxt = t.seq_b + 10 * MSS;
        seg_peer_run(&p, RTT_US);
        uint32_t sack[2][2] = {{una + MSS, una + 2 * MSS}};
        peer_ack(&p, &t, una, sack, 1);
        struct seg s;
        while (seg_peer_recv(&p, &s))
                nxt = s.seq + s.len;
        expect_data(&p, una, MSS, p.now + RTT_US / 4); /* the first retransmission */
        seg_peer_run(&p, RTT_US / 2);
        sack[0][1] = nxt; /* all else sent so far, late: new data goes now */
        peer_ack(&p, &t, una, sack, 1);
        uint32_t later = nxt;
        assert_true(seg_peer_recv(&p, &s));
        assert_int_equal(s.seq, later);
        while (seg_peer_recv(&p, &s))
                ;
        seg_peer_run(&p, RTT_US);
        /* Sent RTT / 2 after the retransmission, delivered: the retransmission is lost. */
        sack[0][1] = later + MSS;
        peer_ack(&p, &t, una, sack, 1);
        int again = 0;
        while (seg_peer_recv(&p, &s))
                again += s.seq == una && s.len == MSS;
        assert_int_equal(again, 1);
        assert_int_equal(um_counter_get(p.st, "TcpExtTCPRACKLost"), 2);
        assert_int_equal(um_counter_get(p.st, "TcpExtTCPTimeouts"), 0);
        peer_ack(&p, &t, una + 10 * MSS, NULL, 0);
        tcp_close(&p, &t);
}

/* SYN cookies (RFC 4987 §3.6): with the SYN queue full, the SYN/ACK keeps nothing and its
 * sequence number is the cookie; an ACK that returns it opens the connection with the MSS
 * the SYN asked for, and one that does not is refused with a reset, counted. */
static void test_syn_cookies(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        int lfd = listen_backlog(&p, IPPROTO_TCP, 1);
        struct seg flood = {.sport = 33333, .dport = PORT, .seq = 5, .flags = UM_TH_SYN};
        seg_peer_send(&p, &flood);
        seg_peer_drain(&p);

        static const uint8_t mss[4] = {2, 4, MSS >> 8, MSS & 0xff};
        struct seg syn = to_stack(PEER_ISN, 0, UM_TH_SYN);
        seg_add_opt(&syn, mss, sizeof(mss));
        seg_peer_send(&p, &syn);
        struct seg synack;
        assert_true(seg_peer_recv(&p, &synack));
        assert_int_equal(synack.flags, UM_TH_SYN | UM_TH_ACK);
        assert_int_equal(synack.ack, PEER_ISN + 1);
        assert_int_equal(um_counter_get(p.st, "TcpExtSyncookiesSent"), 1);

        struct seg wrong = to_stack(PEER_ISN + 1, synack.seq + 2, UM_TH_ACK);
        seg_peer_send(&p, &wrong);
        struct seg rst;
        assert_true(seg_peer_recv(&p, &rst));
        assert_int_equal(rst.flags, UM_TH_RST);
        assert_int_equal(rst.seq, synack.seq + 2);
        assert_int_equal(um_counter_get(p.st, "TcpExtSyncookiesFailed"), 1);

        struct seg ack = to_stack(PEER_ISN + 1, synack.seq + 1, UM_TH_ACK);
        seg_peer_send(&p, &ack);
        assert_int_equal(um_counter_get(p.st, "TcpExtSyncookiesRecv"), 1);
        int fd = um_accept(p.st, lfd, NULL, NULL);
        assert_true(fd >= 0);
        struct tcp_conn t = {.lfd = lfd, .fd = fd, .seq_a = PEER_ISN + 1, .seq_b = synack.seq + 1};
        /* The cookie keeps the SYN's MSS as the largest of its eight sizes not above it: the
         * smallest, 536, for 1000. */
        app_send(&p, &t, 3 * 536);
        for (uint32_t i = 0; i < 3; i++)
                expect_data(&p, t.seq_b + i * 536, 536, p.now);
        um_close(p.st, fd);
        um_close(p.st, lfd);
        seg_peer_close(&p);
}

/* Receive auto-tuning grows the buffer only when the buffer limited the window. A peer
 * without window scaling sees at most 65,535 bytes, less than the 128 KiB buffer: filling
 * that window says nothing about the buffer, which stays as it was. */
static void test_rcvbuf_not_grown_behind_unscaled_window(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        struct tcp_conn t;
        tcp_open(&p, &t, 0);
        int before = 0;
        socklen_t len = sizeof(before);
        assert_int_equal(um_getsockopt(p.st, t.fd, SOL_SOCKET, SO_RCVBUF, &before, &len), 0);
        static uint8_t sent[60 * MSS], got[60 * MSS];
        fill(sent, sizeof(sent), 7);
        for (uint32_t i = 0; i < 60; i++) {
                struct seg d = to_stack(t.seq_a, t.seq_b, UM_TH_ACK);
                d.payload = sent + i * MSS;
                d.len = MSS;
                seg_peer_send(&p, &d);
                t.seq_a += MSS;
        }
        seg_peer_drain(&p);
        assert_int_equal(um_counter_get(p.st, "TcpExtTCPRcvAutotune"), 0);
        int after = 0;
        assert_int_equal(um_getsockopt(p.st, t.fd, SOL_SOCKET, SO_RCVBUF, &after, &len), 0);
        assert_int_equal(after, before);
        assert_int_equal(um_recv(p.st, t.fd, got, sizeof(got), 0), (long)sizeof(got));
        assert_memory_equal(got, sent, sizeof(sent));
        tcp_close(&p, &t);
}

/* The stack closes first; the peer acknowledges its FIN and sends its own, which the stack
 * acknowledges and enters TIME_WAIT. Nobody holds the connection any more: it becomes a
 * record of its own at the end of that poll. */
static void close_into_time_wait(struct seg_peer *p, struct tcp_conn *t)
{
        tcp_open(p, t, 0);
        um_close(p->st, t->fd);
        struct seg fin;
        assert_true(wait_to(p, &fin, p->port, 1000000));
        assert_int_equal(fin.flags, UM_TH_FIN | UM_TH_ACK);
        assert_int_equal(fin.seq, t->seq_b);
        t->seq_b++;
        struct seg peer_fin = to_stack(t->seq_a, t->seq_b, UM_TH_FIN | UM_TH_ACK);
        seg_peer_send(p, &peer_fin);
        t->seq_a++;
        struct seg ack;
        assert_true(wait_to(p, &ack, p->port, 1000000));
        assert_int_equal(ack.flags, UM_TH_ACK);
        assert_int_equal(ack.seq, t->seq_b);
        assert_int_equal(ack.ack, t->seq_a);
        assert_int_equal(um_counter_get(p->st, "TcpExtTW"), 1);
        assert_int_equal(p->st->tcp->tw.n, 1);
}

/* The record answers as the connection did (RFC 9293 §3.10.7.4): a retransmitted FIN and
 * an old SYN get an ACK of the peer's FIN; a SYN beyond the old sequence space opens a new
 * connection through the listener and ends the wait. */
static void test_time_wait_record_answers(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        struct tcp_conn t;
        close_into_time_wait(&p, &t);
        struct seg again = to_stack(t.seq_a - 1, t.seq_b, UM_TH_FIN | UM_TH_ACK);
        seg_peer_send(&p, &again);
        struct seg ack;
        assert_true(wait_to(&p, &ack, p.port, 1000000));
        assert_int_equal(ack.flags, UM_TH_ACK);
        assert_int_equal(ack.seq, t.seq_b);
        assert_int_equal(ack.ack, t.seq_a);
        struct seg old_syn = to_stack(t.seq_a - 5000, 0, UM_TH_SYN);
        seg_peer_send(&p, &old_syn);
        assert_true(wait_to(&p, &ack, p.port, 1000000));
        assert_int_equal(ack.flags, UM_TH_ACK);
        assert_int_equal(ack.ack, t.seq_a);
        assert_int_equal(p.st->tcp->tw.n, 1);
        struct seg new_syn = to_stack(t.seq_a + 100000, 0, UM_TH_SYN);
        seg_peer_send(&p, &new_syn);
        struct seg synack;
        assert_true(wait_to(&p, &synack, p.port, 1000000));
        assert_int_equal(synack.flags, UM_TH_SYN | UM_TH_ACK);
        assert_int_equal(synack.ack, t.seq_a + 100001);
        assert_int_equal(p.st->tcp->tw.n, 0);
        um_close(p.st, t.lfd);
        seg_peer_close(&p);
}

/* 2*MSL (60 s) from the last FIN; the port stays taken for bind() without SO_REUSEADDR
 * meanwhile; afterwards the 4-tuple belongs to nobody and is answered with a reset. */
static void test_time_wait_record_expires(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        struct tcp_conn t;
        close_into_time_wait(&p, &t);
        um_close(p.st, t.lfd);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};
        int fd = um_socket(p.st, AF_INET, SOCK_STREAM, IPPROTO_TCP);
        assert_int_equal(um_bind(p.st, fd, (struct sockaddr *)&sa, sizeof(sa)), -1);
        assert_int_equal(errno, EADDRINUSE);
        int one = 1;
        assert_int_equal(um_setsockopt(p.st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
        assert_int_equal(um_bind(p.st, fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        um_close(p.st, fd);

        seg_peer_run(&p, 50ULL * 1000000);
        struct seg again = to_stack(t.seq_a - 1, t.seq_b, UM_TH_FIN | UM_TH_ACK);
        seg_peer_send(&p, &again); /* restarts the 60 s */
        struct seg ack;
        assert_true(wait_to(&p, &ack, p.port, 1000000));
        assert_int_equal(ack.ack, t.seq_a);
        seg_peer_run(&p, 59ULL * 1000000);
        assert_int_equal(p.st->tcp->tw.n, 1);
        seg_peer_run(&p, 2ULL * 1000000);
        assert_int_equal(p.st->tcp->tw.n, 0);
        struct seg late = to_stack(t.seq_a, t.seq_b, UM_TH_ACK);
        seg_peer_send(&p, &late);
        struct seg rst;
        assert_true(wait_to(&p, &rst, p.port, 1000000));
        assert_int_equal(rst.flags, UM_TH_RST);
        assert_int_equal(rst.seq, t.seq_b);
        seg_peer_close(&p);
}

/* Buffers follow the bytes: a receive ring read to its end and a send ring acknowledged to
 * its end give their memory to the stack's pool, with the segment records; the pool frees
 * what waited unused for a second. */
static void test_drained_buffers_given_back(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        struct tcp_conn t;
        tcp_open(&p, &t, 0);
        struct um_tcp_conn *c = um_tcp_conn_of(p.st, t.fd);
        static uint8_t sent[3 * MSS], got[3 * MSS];
        fill(sent, sizeof(sent), 3);
        for (uint32_t i = 0; i < 3; i++) {
                struct seg d = to_stack(t.seq_a, t.seq_b, UM_TH_ACK);
                d.payload = sent + i * MSS;
                d.len = MSS;
                seg_peer_send(&p, &d);
                t.seq_a += MSS;
        }
        assert_non_null(c->rcvbuf.buf);
        assert_int_equal(um_recv(p.st, t.fd, got, sizeof(got), 0), (long)sizeof(got));
        assert_memory_equal(got, sent, sizeof(got));
        assert_null(c->rcvbuf.buf);
        seg_peer_drain(&p); /* the ACK of the peer's data */
        app_send(&p, &t, 2 * MSS);
        expect_data(&p, t.seq_b, MSS, p.now);
        expect_data(&p, t.seq_b + MSS, MSS, p.now);
        assert_non_null(c->sndbuf.buf);
        assert_non_null(c->txq.recs);
        peer_ack(&p, &t, t.seq_b + 2 * MSS, NULL, 0);
        assert_null(c->sndbuf.buf);
        assert_null(c->txq.recs);
        assert_int_equal(p.st->rings.n, 2);
        seg_peer_run(&p, 1100000);
        assert_int_equal(p.st->rings.n, 0);
        tcp_close(&p, &t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_rto_backoff_doubles_then_restarts),
            cmocka_unit_test(test_rto_restarts_on_new_ack),
            cmocka_unit_test(test_tail_loss_probe),
            cmocka_unit_test(test_rack_then_prr),
            cmocka_unit_test(test_rack_detects_lost_retransmission),
            cmocka_unit_test(test_syn_cookies),
            cmocka_unit_test(test_rcvbuf_not_grown_behind_unscaled_window),
            cmocka_unit_test(test_time_wait_record_answers),
            cmocka_unit_test(test_time_wait_record_expires),
            cmocka_unit_test(test_drained_buffers_given_back),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
