/* Segment arrival (RFC 9293 §3.10.7), with the RFC 5961 defences, PAWS (RFC 7323 §5),
 * and receive-side flow control: reassembly, delayed ACKs, receive-buffer auto-tuning. */
#include "tcp/tcp_input.h"
#include "core/bytes.h"
#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"
#include "tcp/tcp_options.h"
#include "net/checksum.h"
#include "net/ip.h"

#include <errno.h>

struct tcp_seg {
        struct um_tcp_seg_info info;
        uint16_t sport, dport, wnd;
        struct tcp_opts o;
        const uint8_t *opt;
        unsigned optlen;
        int ifindex;
        const struct um_addr *src, *dst;
};

static uint32_t seg_seqlen(const struct tcp_seg *s)
{
        return s->info.len + !!(s->info.flags & UM_TH_SYN) + !!(s->info.flags & UM_TH_FIN);
}

/* RFC 9293 §3.10.7.1: the reply to a segment that belongs to no connection. */
static void reset_for(struct um_stack *st, const struct tcp_seg *s)
{
        if (s->info.flags & UM_TH_RST)
                return;
        if (s->info.flags & UM_TH_ACK)
                tcp_respond_rst(st, s->ifindex, s->dst, s->src, s->dport, s->sport, s->info.ack, 0,
                                0);
        else
                tcp_respond_rst(st, s->ifindex, s->dst, s->src, s->dport, s->sport, 0,
                                s->info.seq + seg_seqlen(s), UM_TH_ACK);
}

/* RFC 5961 §7: challenge ACKs, limited per stack to 1000 a second. */
static void challenge_ack(struct um_tcp_conn *c)
{
        struct um_tcp_stack *t = tcp_of(c);
        uint64_t now = c->st->now;
        if (now - t->challenge_window_start >= 1000000) {
                t->challenge_window_start = now;
                t->challenge_count = 0;
        }
        if (++t->challenge_count > 1000) {
                c->st->ctr.TcpExtChallengeACKLimited++;
                return;
        }
        c->st->ctr.TcpExtChallengeACK++;
        tcp_send_ack(c);
}

static uint16_t mss_for_route(const struct um_tcp_conn *c)
{
        uint32_t mtu = um_iface_mtu(c->st, c->ifindex);
        uint32_t ip = c->laddr.family == AF_INET ? UM_IPV4_HDR : UM_IPV6_HDR;
        return (uint16_t)(mtu - ip - TCP_HDR);
}

static uint8_t wscale_for(uint32_t buf)
{
        uint8_t ws = 0;
        while (ws < TCP_RCV_WSCALE_MAX && ((uint64_t)65535 << ws) < buf)
                ws++;
        return ws;
}

/* Applies the options of a SYN or SYN/ACK: MSS, window scale, SACK, timestamps. */
static void negotiate(struct um_tcp_conn *c, const struct tcp_seg *s, int passive)
{
        const struct tcp_opts *o = &s->o;
        uint16_t peer =
            o->has_mss ? o->mss
                       : (c->laddr.family == AF_INET ? TCP_MSS_DEFAULT_V4 : TCP_MSS_DEFAULT_V6);
        c->mss = peer < c->adv_mss ? peer : c->adv_mss;
        if (c->mss < 88)
                c->mss = 88; /* keep room for options and progress (Linux's floor) */
        c->ws_ok = o->has_ws && (passive || c->syn_ws);
        c->snd_wscale = c->ws_ok ? o->wscale : 0;
        if (!c->ws_ok)
                c->rcv_wscale = 0;
        c->sack_ok = o->sack_perm && (passive || c->syn_sack);
        c->ts_ok = o->has_ts && (passive || c->syn_ts);
        if (c->ts_ok) {
                c->ts_recent = o->tsval;
                c->ts_recent_time = c->st->now;
        }
}

static void become_established(struct um_tcp_conn *c)
{
        if (tcp_conn_alloc_buffers(c) < 0) {
                tcp_send_rst(c);
                tcp_done(c, ENOMEM);
                return;
        }
        c->cwnd = TCP_INIT_CWND_SEGS * (uint32_t)c->mss;
        c->cc->init(c);
        tcp_hystart_reset(c);
        c->last_recv_us = c->st->now;
        tcp_set_state(c, TCPS_ESTABLISHED);
        tcp_arm_keepalive(c);
        if (c->ulp && c->ulp->handshake)
                c->ulp->handshake(c, UM_TCP_HS_ESTABLISHED);
}

static int dispatch_options(struct um_tcp_conn *c, const struct tcp_seg *s)
{
        if (!s->o.has_other || !tcp_of(c)->n_opts)
                return 0;
        if (tcp_options_dispatch(c, &s->info, s->opt, s->optlen) < 0) {
                c->st->ctr.TcpInErrs++;
                return -1;
        }
        return 0;
}

static void listen_input(struct um_tcp_conn *l, const struct tcp_seg *s)
{
        struct um_stack *st = l->st;
        uint8_t f = s->info.flags;
        if (f & UM_TH_RST)
                return;
        if (f & UM_TH_ACK) {
                reset_for(st, s);
                return;
        }
        if (!(f & UM_TH_SYN) || (f & UM_TH_FIN))
                return;
        /* A bounded SYN queue and accept queue: beyond them, SYNs are dropped, which keeps
         * a flood from exhausting memory while established connections carry on. */
        if (l->n_embryonic >= l->backlog || l->n_acceptq >= l->backlog) {
                if (l->n_acceptq >= l->backlog)
                        st->ctr.TcpExtListenOverflows++;
                st->ctr.TcpExtListenDrops++;
                return;
        }
        struct um_tcp_conn *c = tcp_conn_new(st);
        if (!c) {
                st->ctr.TcpExtListenDrops++;
                return;
        }
        c->laddr = *s->dst;
        c->raddr = *s->src;
        c->lport = s->dport;
        c->rport = s->sport;
        struct um_addr src = c->laddr;
        c->ifindex = um_route(st, &src, &c->raddr);
        if (c->ifindex < 0)
                c->ifindex = s->ifindex;
        c->parent = l;
        l->n_embryonic++;
        c->nodelay = l->nodelay;
        c->keepalive = l->keepalive;
        c->keep_idle_s = l->keep_idle_s;
        c->keep_intvl_s = l->keep_intvl_s;
        c->keep_cnt = l->keep_cnt;
        c->user_sndbuf = l->user_sndbuf;
        c->user_rcvbuf = l->user_rcvbuf;
        c->sndbuf_max = l->sndbuf_max;
        c->rcvbuf_max = l->rcvbuf_max;
        c->cc = l->cc;
        c->ts_offset = (uint32_t)um_rng_u64(&st->rng);
        c->irs = s->info.seq;
        c->rcv_nxt = s->info.seq + 1;
        c->rcv_adv = c->rcv_nxt;
        c->iss = tcp_isn(c);
        c->snd_una = c->iss;
        c->snd_nxt = c->iss + 1;
        c->adv_mss = mss_for_route(c);
        c->rcv_wscale = wscale_for(c->rcvbuf_max);
        negotiate(c, s, 1);
        c->snd_wnd = s->wnd;
        c->max_snd_wnd = s->wnd;
        c->snd_wl1 = s->info.seq;
        c->state = TCPS_SYN_RECEIVED;
        tcp_hash_insert(c);
        if (l->ulp && l->ulp->clone && l->ulp->clone(l, c) < 0) {
                tcp_done(c, ECONNABORTED);
                return;
        }
        if (dispatch_options(c, s) < 0) {
                tcp_done(c, ECONNABORTED);
                return;
        }
        if (c->ulp && c->ulp->handshake)
                c->ulp->handshake(c, UM_TCP_HS_SYN_RECEIVED);
        if (c->dead)
                return;
        st->ctr.TcpPassiveOpens++;
        c->syn_xmit_us = st->now;
        tcp_send_syn(c);
        tcp_rearm_rto(c);
}

static void synsent_input(struct um_tcp_conn *c, const struct tcp_seg *s)
{
        struct um_stack *st = c->st;
        uint8_t f = s->info.flags;
        uint32_t ack = s->info.ack;
        if (f & UM_TH_ACK) {
                if (seq_leq(ack, c->iss) || seq_gt(ack, c->snd_nxt)) {
                        if (!(f & UM_TH_RST))
                                reset_for(st, s);
                        return;
                }
        }
        if (f & UM_TH_RST) {
                if (f & UM_TH_ACK) {
                        st->ctr.TcpAttemptFails++;
                        tcp_done(c, ECONNREFUSED);
                }
                return;
        }
        if (!(f & UM_TH_SYN))
                return;
        c->irs = s->info.seq;
        c->rcv_nxt = s->info.seq + 1;
        c->rcv_adv = c->rcv_nxt;
        negotiate(c, s, 0);
        if (dispatch_options(c, s) < 0) {
                tcp_send_rst(c);
                tcp_done(c, ECONNABORTED);
                return;
        }
        if (f & UM_TH_ACK) {
                c->snd_una = ack;
                c->snd_wnd = s->wnd; /* RFC 7323 §2.2: a SYN's window is not scaled */
                c->max_snd_wnd = c->snd_wnd;
                c->snd_wl1 = s->info.seq;
                c->snd_wl2 = ack;
                if (!c->retries)
                        tcp_rtt_sample(c, st->now - c->syn_xmit_us);
                c->retries = 0;
                c->backoff = 0;
                tcp_timer_clear(c, TCP_T_RTO);
                if (c->ulp && c->ulp->handshake)
                        c->ulp->handshake(c, UM_TCP_HS_SYNACK_RECEIVED);
                become_established(c);
                if (c->state != TCPS_ESTABLISHED)
                        return;
                c->ack_now = 1;
                tcp_output(c);
                return;
        }
        /* Simultaneous open (RFC 9293 §3.5, figure 8). */
        c->snd_wnd = s->wnd;
        c->max_snd_wnd = c->snd_wnd;
        c->snd_wl1 = s->info.seq;
        tcp_set_state(c, TCPS_SYN_RECEIVED);
        tcp_send_syn(c);
        tcp_rearm_rto(c);
}

static int seq_acceptable(const struct um_tcp_conn *c, const struct tcp_seg *s, int *trim_all)
{
        uint32_t wnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
        uint32_t seq = s->info.seq, len = seg_seqlen(s);
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
                st->ctr.TcpExtRSTChallenge++;
                challenge_ack(c);
                return;
        }
        switch (c->state) {
        case TCPS_SYN_RECEIVED:
                tcp_done(c, c->parent ? 0 : ECONNREFUSED);
                break;
        case TCPS_ESTABLISHED:
        case TCPS_CLOSE_WAIT:
                st->ctr.TcpEstabResets++;
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

static void accept_child(struct um_tcp_conn *c)
{
        struct um_tcp_conn *l = c->parent;
        l->n_embryonic--;
        l->n_acceptq++;
        c->aq_next = NULL;
        if (l->aq_tail)
                l->aq_tail->aq_next = c;
        else
                l->aq_head = c;
        l->aq_tail = c;
        tcp_notify(l);
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
        if (tcp_ring_grow(&c->sndbuf, cap) == 0)
                c->sndbuf_max = cap;
}

/* RFC 9293 §3.10.7.4 "fifth, check the ACK field". Returns -1 when the segment is done. */
static int process_ack(struct um_tcp_conn *c, const struct tcp_seg *s)
{
        struct um_stack *st = c->st;
        uint32_t ack = s->info.ack;
        if (c->state == TCPS_SYN_RECEIVED) {
                if (!seq_lt(c->snd_una, ack) || !seq_leq(ack, c->snd_nxt)) {
                        reset_for(st, s);
                        return -1;
                }
                if (c->parent && c->parent->n_acceptq >= c->parent->backlog) {
                        st->ctr.TcpExtListenOverflows++;
                        return -1;
                }
                c->snd_una = ack;
                c->snd_wnd = (uint32_t)s->wnd << c->snd_wscale;
                c->max_snd_wnd = c->snd_wnd;
                c->snd_wl1 = s->info.seq;
                c->snd_wl2 = ack;
                if (!c->retries)
                        tcp_rtt_sample(c, st->now - c->syn_xmit_us);
                c->retries = 0;
                c->backoff = 0;
                tcp_timer_clear(c, TCP_T_RTO);
                become_established(c);
                if (c->state != TCPS_ESTABLISHED)
                        return -1;
                if (c->parent)
                        accept_child(c);
        }
        /* RFC 5961 §5.2: the acceptable ACK range. */
        if (seq_gt(ack, c->snd_nxt)) {
                st->ctr.TcpExtAckTooNew++;
                challenge_ack(c);
                return -1;
        }
        if (seq_lt(ack, c->snd_una - c->max_snd_wnd)) {
                st->ctr.TcpExtAckTooOld++;
                challenge_ack(c);
                return -1;
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
                tcp_ring_consume(&c->sndbuf, data);
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

/* Receive-buffer auto-tuning in the manner of Linux's DRS: measure how many bytes arrive
 * per receiver-side RTT and keep the buffer at four times that. */
static void rcv_autotune(struct um_tcp_conn *c)
{
        uint64_t now = c->st->now;
        /* The peer has half the window in flight while the application keeps up: the
         * window, not the reader, limits it. Grow before it fills (the RTT-based rule below
         * needs a whole window to arrive before its first sample). */
        uint32_t cap = c->rcvbuf.cap, remaining = c->rcv_adv - c->rcv_nxt;
        if (!c->user_rcvbuf && cap < c->rcvbuf_max && remaining < cap / 2 &&
            c->rcvbuf.len < cap / 4) {
                uint32_t target = cap * 2 > c->rcvbuf_max ? c->rcvbuf_max : cap * 2;
                if (tcp_ring_grow(&c->rcvbuf, target) == 0)
                        c->st->ctr.TcpExtTCPRcvAutotune++;
        }
        if (!c->rcv_rtt_time || seq_geq(c->rcv_nxt, c->rcv_rtt_seq)) {
                if (c->rcv_rtt_time) {
                        uint64_t sample = now - c->rcv_rtt_time;
                        if (!c->rcv_rtt_us || sample < c->rcv_rtt_us)
                                c->rcv_rtt_us = sample;
                        else
                                c->rcv_rtt_us = (7 * c->rcv_rtt_us + sample) / 8;
                }
                c->rcv_rtt_seq = c->rcv_nxt + (c->rcv_adv - c->rcv_nxt);
                c->rcv_rtt_time = now;
        }
        uint64_t rtt = c->rcv_rtt_us;
        if (c->srtt_us && (!rtt || c->srtt_us < rtt))
                rtt = c->srtt_us;
        if (!c->rcv_space_time) {
                c->rcv_space_time = now;
                c->rcv_space_seq = c->rcv_nxt;
                return;
        }
        if (!rtt || now - c->rcv_space_time < rtt)
                return;
        uint32_t got = c->rcv_nxt - c->rcv_space_seq;
        if (got > c->rcv_space) {
                c->rcv_space = got;
                uint64_t target = 4 * (uint64_t)got;
                if (target > c->rcvbuf_max)
                        target = c->rcvbuf_max;
                if (!c->user_rcvbuf && target > c->rcvbuf.cap &&
                    tcp_ring_grow(&c->rcvbuf, (uint32_t)target) == 0)
                        c->st->ctr.TcpExtTCPRcvAutotune++;
        }
        c->rcv_space_seq = c->rcv_nxt;
        c->rcv_space_time = now;
}

static void process_fin(struct um_tcp_conn *c)
{
        struct um_stack *st = c->st;
        c->rcv_fin_pending = 0;
        c->fin_rcvd = 1;
        c->rcv_nxt++;
        c->ack_now = 1;
        switch (c->state) {
        case TCPS_SYN_RECEIVED:
        case TCPS_ESTABLISHED:
                tcp_set_state(c, TCPS_CLOSE_WAIT);
                break;
        case TCPS_FIN_WAIT_1:
                if (c->fin_sent && seq_gt(c->snd_una, c->fin_seq)) {
                        tcp_set_state(c, TCPS_TIME_WAIT);
                        tcp_timer_set(c, TCP_T_LINGER, st->now + 2 * tcp_of(c)->msl_us);
                } else {
                        tcp_set_state(c, TCPS_CLOSING);
                }
                break;
        case TCPS_FIN_WAIT_2:
                tcp_set_state(c, TCPS_TIME_WAIT);
                tcp_timer_set(c, TCP_T_LINGER, st->now + 2 * tcp_of(c)->msl_us);
                break;
        default:
                break;
        }
        tcp_notify(c);
}

/* RFC 2883: a segment we already had is reported as the first SACK block of the next ACK,
 * which lets the sender tell reordering (or a spurious retransmission) from loss. */
static void note_duplicate(struct um_tcp_conn *c, uint32_t start, uint32_t end)
{
        if (!c->sack_ok)
                return;
        c->dsack_pending = 1;
        c->dsack_start = start;
        c->dsack_end = end;
        c->ack_now = 1;
}

/* RFC 9293 §3.10.7.4 "seventh, process the segment text" and "eighth, check the FIN". */
static void process_data(struct um_tcp_conn *c, const struct tcp_seg *s, int trim_all)
{
        struct um_stack *st = c->st;
        uint32_t seq = s->info.seq;
        const uint8_t *data = s->info.payload;
        uint32_t len = trim_all ? 0 : s->info.len;
        int fin = !trim_all && (s->info.flags & UM_TH_FIN);
        int can_receive = c->state == TCPS_ESTABLISHED || c->state == TCPS_FIN_WAIT_1 ||
                          c->state == TCPS_FIN_WAIT_2;
        if (!can_receive) {
                if (c->state == TCPS_TIME_WAIT && fin) {
                        /* A retransmitted FIN: ACK it and restart 2*MSL (RFC 9293). */
                        c->ack_now = 1;
                        tcp_timer_set(c, TCP_T_LINGER, st->now + 2 * tcp_of(c)->msl_us);
                } else if (len || fin) {
                        c->ack_now = 1;
                }
                return;
        }
        if (len && c->orphan && c->rd_shut) {
                /* Nobody will ever read this: abort as Linux does (RFC 9293 §3.10.7.4). */
                st->ctr.TcpExtTCPAbortOnData++;
                tcp_send_rst(c);
                tcp_done(c, 0);
                return;
        }
        if (len && seq_lt(seq, c->rcv_nxt))
                note_duplicate(c, seq, seq_min(seq + len, c->rcv_nxt));
        if (seq_lt(seq, c->rcv_nxt)) {
                uint32_t cut = c->rcv_nxt - seq;
                if (cut >= len) {
                        if (len)
                                st->ctr.TcpExtTCPDupData++;
                        c->ack_now = c->ack_now || len || (fin && seq + len + 1 != c->rcv_nxt + 1);
                        if (fin && seq + len == c->rcv_nxt && !c->fin_rcvd)
                                process_fin(c);
                        return;
                }
                data += cut;
                len -= cut;
                seq = c->rcv_nxt;
        }
        uint32_t room = tcp_rcv_window(c);
        uint32_t off = seq - c->rcv_nxt;
        if (len && off >= room) {
                st->ctr.TcpExtTCPRcvQDrop++;
                c->ack_now = 1;
                return;
        }
        if (off + len > room) {
                len = room - off;
                fin = 0;
        }
        if (fin) {
                c->rcv_fin_pending = 1;
                c->rcv_fin_seq = seq + len;
        }
        if (len) {
                tcp_ring_copy_in(&c->rcvbuf, c->rcvbuf.len + off, data, len);
                c->bytes_received += len;
                c->data_segs_in++;
                if (off == 0) {
                        uint32_t old = c->rcv_nxt;
                        int had_holes = c->reass.n;
                        c->rcv_nxt = tcp_reass_advance(&c->reass, old + len);
                        c->rcvbuf.len += c->rcv_nxt - old;
                        if (had_holes)
                                c->ack_now = 1; /* RFC 5681 §4.2: ACK a filled hole at once */
                        if (len + 64u >= c->mss || c->reass.n)
                                c->rcv_unacked_segs++;
                        else
                                c->rcv_unacked_segs += 2; /* small segment: no reason to wait */
                        rcv_autotune(c);
                        if (c->ulp && c->ulp->data_ready)
                                c->ulp->data_ready(c, old, c->rcv_nxt - old);
                        tcp_notify(c);
                } else {
                        if (tcp_reass_covers(&c->reass, seq, seq + len))
                                note_duplicate(c, seq, seq + len);
                        if (tcp_reass_add(&c->reass, seq, seq + len) < 0) {
                                st->ctr.TcpExtTCPOFODrop++;
                        } else {
                                st->ctr.TcpExtTCPOFOQueue++;
                        }
                        c->ack_now = 1; /* duplicate ACK carrying SACK (RFC 5681 §4.2) */
                }
        }
        if (c->rcv_fin_pending && c->rcv_fin_seq == c->rcv_nxt)
                process_fin(c);
}

static void conn_input(struct um_tcp_conn *c, struct tcp_seg *s)
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
                st->ctr.TcpExtPAWSEstab++;
                c->ack_now = 1;
                tcp_output(c);
                return;
        }
        int trim_all;
        if (!seq_acceptable(c, s, &trim_all)) {
                st->ctr.TcpExtOutOfWindow++;
                if (s->info.len && seq_lt(s->info.seq, c->rcv_nxt) && !(f & UM_TH_RST))
                        note_duplicate(c, s->info.seq,
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
                st->ctr.TcpExtSYNChallenge++;
                challenge_ack(c);
                return;
        }
        if (!(f & UM_TH_ACK))
                return;
        if (dispatch_options(c, s) < 0)
                return;
        /* RFC 7323 §4.3: remember the timestamp to echo. */
        if (c->ts_ok && s->o.has_ts && seq_leq(s->info.seq, c->rcv_nxt) &&
            (int32_t)(s->o.tsval - c->ts_recent) >= 0) {
                c->ts_recent = s->o.tsval;
                c->ts_recent_time = st->now;
        }
        c->last_recv_us = st->now;
        if (c->ulp && c->ulp->segment_in)
                c->ulp->segment_in(c, &s->info);
        if (c->dead || c->state == TCPS_CLOSED)
                return;
        if (process_ack(c, s) < 0 || c->dead || c->state == TCPS_CLOSED)
                return;
        process_data(c, s, trim_all);
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

void um_tcp_input(struct um_stack *st, int ifindex, const struct um_addr *src,
                  const struct um_addr *dst, struct um_pkt *pkt)
{
        st->ctr.TcpInSegs++;
        const uint8_t *h = um_pkt_data(pkt);
        uint32_t len = pkt->len;
        struct tcp_seg s = {.ifindex = ifindex, .src = src, .dst = dst};
        if (len < TCP_HDR) {
                st->ctr.TcpInErrs++;
                goto out;
        }
        unsigned doff = (unsigned)(h[12] >> 4) * 4;
        if (doff < TCP_HDR || doff > len) {
                st->ctr.TcpInErrs++;
                goto out;
        }
        if (um_csum_fold(um_csum_add(um_csum_pseudo(src, dst, UM_IPPROTO_TCP, len), h, len))) {
                st->ctr.TcpInCsumErrors++;
                st->ctr.TcpInErrs++;
                goto out;
        }
        s.sport = um_get_be16(h);
        s.dport = um_get_be16(h + 2);
        s.info.seq = um_get_be32(h + 4);
        s.info.ack = um_get_be32(h + 8);
        s.info.flags = h[13] & 0x3f;
        s.wnd = um_get_be16(h + 14);
        s.opt = h + TCP_HDR;
        s.optlen = doff - TCP_HDR;
        s.info.payload = h + doff;
        s.info.len = len - doff;
        s.info.pkt = pkt;
        if (!s.sport || !s.dport) {
                st->ctr.TcpInErrs++;
                goto out;
        }
        if (tcp_options_parse(s.opt, s.optlen, &s.o) < 0)
                st->ctr.TcpExtBadOptions++;
        if ((s.info.flags & (UM_TH_SYN | UM_TH_RST)) == (UM_TH_SYN | UM_TH_RST) ||
            (s.info.flags & (UM_TH_SYN | UM_TH_FIN)) == (UM_TH_SYN | UM_TH_FIN)) {
                st->ctr.TcpInErrs++; /* impossible flag combinations */
                goto out;
        }
        struct um_tcp_conn *c = tcp_lookup(st, dst, s.dport, src, s.sport);
        if (!c) {
                struct um_tcp_conn *l = tcp_lookup_listener(st, dst, s.dport);
                if (l) {
                        listen_input(l, &s);
                } else {
                        st->ctr.TcpExtNoSocket++;
                        reset_for(st, &s);
                }
                goto out;
        }
        if (c->state == TCPS_SYN_SENT)
                synsent_input(c, &s);
        else
                conn_input(c, &s);
out:
        um_pkt_free(&st->pool, pkt);
}

void um_tcp_icmp_error(struct um_stack *st, const struct um_addr *local,
                       const struct um_addr *remote, uint16_t lport, uint16_t rport, uint32_t seq,
                       int err, int hard)
{
        struct um_tcp_conn *c = tcp_lookup(st, local, lport, remote, rport);
        if (!c)
                return;
        /* RFC 5927 §4.1: believe only errors that quote data we have in flight. */
        if (c->state == TCPS_SYN_SENT ? seq != c->iss : !seq_in(seq, c->snd_una, c->snd_nxt + 1))
                return;
        if (hard && (c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED)) {
                st->ctr.TcpAttemptFails++;
                tcp_done(c, err);
                return;
        }
        c->soft_error = err;
}
