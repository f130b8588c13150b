/* Segment arrival (RFC 9293 §3.10.7): header checks and demultiplexing, the RFC 5961
 * defences, PAWS (RFC 7323 §5), the ACK field, and when to acknowledge. Opening lives in
 * tcp_handshake.c, the data path in tcp_rcv.c. */
#include "core/bytes.h"
#include "tcp/tcp_input_int.h"
#include "tcp/tcp_cc.h"
#include "tcp/tcp_options.h"
#include "net/checksum.h"
#include "net/ip.h"
#include "net/net.h"

#include <errno.h>

static int seq_acceptable(const struct um_tcp_conn *c, const struct tcp_seg *s, int *trim_all)
{
        uint32_t wnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
        uint32_t seq = s->info.seq, len = tcp_seg_seqlen(s);
        *trim_all = 0;
        if (!len) {
                if (!wnd)
                        return seq == c->rcv_nxt;
                return seq_in(seq, c->rcv_nxt, c->rcv_nxt + wnd);
        }
        if (!wnd) {
                /* RFC 9293 §3.10.7.4: still take the ACK of a segment at rcv_nxt. */
                if (seq == c->rcv_nxt) {
                        *trim_all = 1;
                        return 1;
                }
                return 0;
        }
        return seq_in(seq, c->rcv_nxt, c->rcv_nxt + wnd) ||
               seq_in(seq + len - 1, c->rcv_nxt, c->rcv_nxt + wnd);
}

static void handle_rst(struct um_tcp_conn *c, const struct tcp_seg *s)
{
        struct um_stack *st = c->st;
        /* RFC 5961 §3.2: only an exact match resets; the rest of the window challenges. */
        if (s->info.seq != c->rcv_nxt) {
                st->tcp->ctr.TcpExtRSTChallenge++;
                tcp_challenge_ack(c);
                return;
        }
        /* Extensions may carry a reason or a signal on a reset; they see it first. */
        tcp_dispatch_options(c, s);
        if (c->ulp && c->ulp->rst_received)
                c->ulp->rst_received(c, &s->info);
        switch (c->state) {
        case TCPS_SYN_RECEIVED:
                tcp_done(c, c->parent ? 0 : ECONNREFUSED);
                break;
        case TCPS_ESTABLISHED:
        case TCPS_CLOSE_WAIT:
                st->tcp->ctr.TcpEstabResets++;
                tcp_done(c, ECONNRESET);
                break;
        case TCPS_FIN_WAIT_1:
        case TCPS_FIN_WAIT_2:
                tcp_done(c, ECONNRESET);
                break;
        default:
                tcp_done(c, 0);
                break;
        }
}

static void grow_sndbuf(struct um_tcp_conn *c)
{
        if (c->user_sndbuf)
                return;
        uint64_t want = 2 * (uint64_t)c->cwnd;
        if (want <= c->sndbuf.cap || c->sndbuf.cap >= TCP_MAX_BUF)
                return;
        uint32_t cap = c->sndbuf.cap * 2;
        if (cap > TCP_MAX_BUF)
                cap = TCP_MAX_BUF;
        if (um_ring_grow(&c->sndbuf, cap, c->sndbuf.len) == 0)
                c->sndbuf_max = cap;
}

/* RFC 9293 §3.10.7.4 "fifth, check the ACK field", its tests: a segment that fails them is
 * answered (a reset, a challenge ACK) or dropped, and has no other effect. Extensions see
 * a segment's options only after it passed, so that a blind attacker's in-window segment
 * with a made-up ACK cannot act through them (as Linux treats its own extensions). */
static int ack_acceptable(struct um_tcp_conn *c, const struct tcp_seg *s)
{
        struct um_stack *st = c->st;
        uint32_t ack = s->info.ack;
        if (c->state == TCPS_SYN_RECEIVED) {
                if (!seq_lt(c->snd_una, ack) || !seq_leq(ack, c->snd_nxt)) {
                        tcp_reset_for(st, s);
                        return 0;
                }
                if (c->parent && c->parent->n_acceptq >= c->parent->backlog) {
                        st->tcp->ctr.TcpExtListenOverflows++;
                        return 0;
                }
                return 1;
        }
        /* RFC 5961 §5.2: the acceptable ACK range. */
        if (seq_gt(ack, c->snd_nxt)) {
                st->tcp->ctr.TcpExtAckTooNew++;
                tcp_challenge_ack(c);
                return 0;
        }
        if (seq_lt(ack, c->snd_una - c->max_snd_wnd)) {
                st->tcp->ctr.TcpExtAckTooOld++;
                tcp_challenge_ack(c);
                return 0;
        }
        return 1;
}

/* The rest of "fifth, check the ACK field", for an acceptable ACK. Returns -1 when the
 * segment is done. */
static int process_ack(struct um_tcp_conn *c, const struct tcp_seg *s)
{
        struct um_stack *st = c->st;
        uint32_t ack = s->info.ack;
        if (c->state == TCPS_SYN_RECEIVED) {
                tcp_syn_acked(c, s, (uint32_t)s->wnd << c->snd_wscale);
                tcp_become_established(c);
                if (c->state != TCPS_ESTABLISHED)
                        return -1;
                if (c->parent)
                        tcp_accept_child(c);
        }
        uint32_t old_una = c->snd_una;
        uint32_t new_wnd = (uint32_t)s->wnd << c->snd_wscale;
        int dupack = ack == old_una && !s->info.len && !(s->info.flags & (UM_TH_SYN | UM_TH_FIN)) &&
                     new_wnd == c->snd_wnd && tcp_flight_size(c);
        const uint32_t(*sack)[2] = c->sack_ok ? (const uint32_t(*)[2])s->o.sack : NULL;
        uint32_t delivered = tcp_ack_update(c, ack, sack, c->sack_ok ? s->o.n_sack : 0);

        if (seq_gt(ack, old_una)) {
                uint32_t acked = ack - old_una;
                uint32_t data = acked;
                if (c->fin_sent && seq_gt(ack, c->fin_seq))
                        data--;
                if (data > c->sndbuf.len)
                        data = c->sndbuf.len;
                um_ring_consume(&c->sndbuf, data);
                um_ring_release(&c->sndbuf, &c->st->rings); /* when all was acknowledged */
                c->snd_una = ack;
                c->bytes_acked += data;
                c->retries = 0;
                c->backoff = 0;
                c->probes = 0;
                tcp_rearm_rto(c);
                tcp_arm_tlp(c); /* RFC 8985 §7.2: restart the probe timer on new ACKs */
                if (c->ulp && c->ulp->acked)
                        c->ulp->acked(c, ack, data);
                grow_sndbuf(c);
                if (c->ulp && c->ulp->write_space)
                        c->ulp->write_space(c);
                tcp_notify(c);
        }
        /* RFC 9293 §3.10.7.4: window update from a segment not older than the last one. */
        if (seq_lt(c->snd_wl1, s->info.seq) ||
            (c->snd_wl1 == s->info.seq && seq_leq(c->snd_wl2, ack))) {
                int opened = !c->snd_wnd && new_wnd;
                c->snd_wnd = new_wnd;
                c->snd_wl1 = s->info.seq;
                c->snd_wl2 = ack;
                if (new_wnd > c->max_snd_wnd)
                        c->max_snd_wnd = new_wnd;
                if (opened)
                        tcp_timer_clear(c, TCP_T_PERSIST);
        }
        tcp_recovery_on_ack(c, delivered, dupack);

        int fin_acked = c->fin_sent && seq_gt(c->snd_una, c->fin_seq);
        if (fin_acked) {
                switch (c->state) {
                case TCPS_FIN_WAIT_1:
                        tcp_set_state(c, TCPS_FIN_WAIT_2);
                        if (c->orphan)
                                tcp_timer_set(c, TCP_T_LINGER, st->now + tcp_of(c)->fin_timeout_us);
                        break;
                case TCPS_CLOSING:
                        tcp_set_state(c, TCPS_TIME_WAIT);
                        tcp_timer_set(c, TCP_T_LINGER, st->now + 2 * tcp_of(c)->msl_us);
                        break;
                case TCPS_LAST_ACK:
                        tcp_done(c, 0);
                        return -1;
                default:
                        break;
                }
        }
        return 0;
}

static void segment_arrives(struct um_tcp_conn *c, struct tcp_seg *s)
{
        struct um_stack *st = c->st;
        uint8_t f = s->info.flags;
        c->segs_in++;
        /* A retransmitted SYN while we wait for the handshake's ACK. */
        if (c->state == TCPS_SYN_RECEIVED && (f & UM_TH_SYN) && !(f & UM_TH_ACK) &&
            s->info.seq == c->irs) {
                tcp_send_syn(c);
                return;
        }
        /* RFC 7323 §5.3: PAWS. */
        if (c->ts_ok && s->o.has_ts && !(f & UM_TH_RST) &&
            (int32_t)(s->o.tsval - c->ts_recent) < 0 &&
            st->now - c->ts_recent_time < 24ULL * 86400 * 1000000) {
                st->tcp->ctr.TcpExtPAWSEstab++;
                c->ack_now = 1;
                tcp_output(c);
                return;
        }
        int trim_all;
        if (!seq_acceptable(c, s, &trim_all)) {
                st->tcp->ctr.TcpExtOutOfWindow++;
                if (s->info.len && seq_lt(s->info.seq, c->rcv_nxt) && !(f & UM_TH_RST))
                        tcp_note_duplicate(c, s->info.seq,
                                           seq_min(s->info.seq + s->info.len, c->rcv_nxt));
                if (!(f & UM_TH_RST)) {
                        c->ack_now = 1;
                        tcp_output(c);
                }
                return;
        }
        if (f & UM_TH_RST) {
                handle_rst(c, s);
                return;
        }
        if (f & UM_TH_SYN) {
                /* RFC 5961 §4.2: a SYN in a synchronized state gets a challenge ACK. */
                st->tcp->ctr.TcpExtSYNChallenge++;
                tcp_challenge_ack(c);
                return;
        }
        if (!(f & UM_TH_ACK) || !ack_acceptable(c, s))
                return;
        if (tcp_dispatch_options(c, s) < 0)
                return;
        /* RFC 7323 §4.3: remember the timestamp to echo. */
        if (c->ts_ok && s->o.has_ts && seq_leq(s->info.seq, c->rcv_nxt) &&
            (int32_t)(s->o.tsval - c->ts_recent) >= 0) {
                c->ts_recent = s->o.tsval;
                c->ts_recent_time = st->now;
        }
        c->last_recv_us = st->now;
        s->info.wnd = (uint32_t)s->wnd << c->snd_wscale;
        if (c->ulp && c->ulp->segment_in)
                c->ulp->segment_in(c, &s->info);
        if (c->dead || c->state == TCPS_CLOSED)
                return;
        if (process_ack(c, s) < 0 || c->dead || c->state == TCPS_CLOSED)
                return;
        tcp_process_data(c, s, trim_all);
        if (c->dead || c->state == TCPS_CLOSED)
                return;
        if (c->keepalive)
                tcp_arm_keepalive(c);
        if (!c->ack_now && c->rcv_unacked_segs >= 2)
                c->ack_now = 1;
        if (!c->ack_now && c->rcv_unacked_segs && !c->deadline[TCP_T_DELACK])
                tcp_timer_set(c, TCP_T_DELACK, st->now + TCP_DELACK_US);
        tcp_output(c);
}

/* Output an extension asks for while the segment is processed (an ACK, data it wrote)
 * goes out once it is, so that it acknowledges the segment's data too and TCP's state is
 * whole when it is built (um_tcp_send_ack, um_tcp_output). */
static void conn_input(struct um_tcp_conn *c, struct tcp_seg *s)
{
        c->in_input = 1;
        segment_arrives(c, s);
        c->in_input = 0;
        if ((c->ack_now || c->output_pending) && !c->dead && c->state != TCPS_CLOSED)
                tcp_output(c);
}

/* The packet's data starts at the TCP header. Takes the packet. */
static void tcp_input(struct um_stack *st, int ifindex, const struct um_addr *src,
                      const struct um_addr *dst, struct um_pkt *pkt)
{
        st->tcp->ctr.TcpInSegs++;
        const uint8_t *h = um_pkt_data(pkt);
        uint32_t len = pkt->len;
        struct tcp_seg s = {.ifindex = ifindex, .src = src, .dst = dst};
        struct um_tcp_seg_parsed parsed;
        parsed.tcp = st->tcp;
        parsed.present = 0;
        s.info.parsed = &parsed;
        if (len < TCP_HDR) {
                st->tcp->ctr.TcpInErrs++;
                goto out;
        }
        unsigned doff = (unsigned)(h[12] >> 4) * 4;
        if (doff < TCP_HDR || doff > len) {
                st->tcp->ctr.TcpInErrs++;
                goto out;
        }
        if (!(pkt->flags & UM_PKT_CSUM_VALID) &&
            um_csum_fold(um_csum_add(um_csum_pseudo(src, dst, UM_IPPROTO_TCP, len), h, len))) {
                st->tcp->ctr.TcpInCsumErrors++;
                st->tcp->ctr.TcpInErrs++;
                goto out;
        }
        s.sport = um_get_be16(h);
        s.dport = um_get_be16(h + 2);
        s.info.seq = um_get_be32(h + 4);
        s.info.ack = um_get_be32(h + 8);
        s.info.flags = h[13] & 0x3f;
        s.wnd = um_get_be16(h + 14);
        s.info.wnd = s.wnd;
        s.opt = h + TCP_HDR;
        s.optlen = doff - TCP_HDR;
        s.info.payload = h + doff;
        s.info.len = len - doff;
        s.info.pkt = pkt;
        if (!s.sport || !s.dport) {
                st->tcp->ctr.TcpInErrs++;
                goto out;
        }
        if (tcp_options_parse(s.opt, s.optlen, &s.o) < 0)
                st->tcp->ctr.TcpExtBadOptions++;
        if ((s.info.flags & (UM_TH_SYN | UM_TH_RST)) == (UM_TH_SYN | UM_TH_RST) ||
            (s.info.flags & (UM_TH_SYN | UM_TH_FIN)) == (UM_TH_SYN | UM_TH_FIN)) {
                st->tcp->ctr.TcpInErrs++; /* impossible flag combinations */
                goto out;
        }
        struct um_tcp_conn *c = tcp_lookup(st, dst, s.dport, src, s.sport);
        if (!c) {
                struct tcp_tw *w = tcp_tw_lookup(st, dst, s.dport, src, s.sport);
                if (w && !tcp_tw_input(st, w, &s))
                        goto out;
                struct um_tcp_conn *l = tcp_lookup_listener(st, dst, s.dport);
                if (l) {
                        struct um_tcp_conn *child = tcp_listen_input(l, &s);
                        if (child)
                                conn_input(child, &s);
                } else {
                        st->tcp->ctr.TcpExtNoSocket++;
                        tcp_reset_for(st, &s);
                }
                goto out;
        }
        if (c->state == TCPS_SYN_SENT)
                tcp_synsent_input(c, &s);
        else
                conn_input(c, &s);
out:
        um_pkt_free(&st->pool, pkt);
}

/* An ICMP error quoting a segment we sent from local to remote; `l4` is its TCP header. */
static void tcp_icmp_error(struct um_stack *st, const struct um_addr *local,
                           const struct um_addr *remote, const uint8_t *l4, uint32_t l4len, int err,
                           int hard)
{
        if (l4len < 8)
                return;
        uint32_t seq = um_get_be32(l4 + 4);
        struct um_tcp_conn *c = tcp_lookup(st, local, um_get_be16(l4), remote, um_get_be16(l4 + 2));
        if (!c)
                return;
        /* RFC 5927 §4.1: believe only errors that quote data we have in flight. */
        if (c->state == TCPS_SYN_SENT ? seq != c->iss : !seq_in(seq, c->snd_una, c->snd_nxt + 1))
                return;
        if (hard && (c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED)) {
                st->tcp->ctr.TcpAttemptFails++;
                tcp_done(c, err);
                return;
        }
        c->soft_error = err;
}

const struct um_net_transport tcp_transport = {
    .proto = UM_IPPROTO_TCP, .input = tcp_input, .icmp_error = tcp_icmp_error};
