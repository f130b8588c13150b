/* Loss detection and recovery: the SACK scoreboard (RFC 2018/6675 pipe), RACK-TLP
 * (RFC 8985), Proportional Rate Reduction (RFC 6937), NewReno for peers without SACK
 * (RFC 6582) and the RTO response (RFC 5681 §3.1, RFC 6298 §5). */
#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"

static void clear_flags(struct um_tcp_conn *c, struct tcp_txseg *s, uint32_t bytes)
{
        if (s->flags & TXS_SACKED)
                c->sacked_out -= bytes;
        if (s->flags & TXS_LOST)
                c->lost_out -= bytes;
        if (s->flags & TXS_RETRANS)
                c->retrans_out -= bytes;
}

/* RFC 8985 §6.2 step 2: remember the most recently sent segment that was delivered. */
static void rack_update(struct um_tcp_conn *c, const struct tcp_txseg *s)
{
        uint64_t rtt = c->st->now - s->xmit_us;
        if ((s->flags & TXS_EVER_RETRANS) && rtt < c->min_rtt_us)
                return; /* probably the original was delivered: ambiguous */
        uint32_t end = s->seq + s->len;
        if (s->xmit_us > c->rack_xmit_us ||
            (s->xmit_us == c->rack_xmit_us && seq_gt(end, c->rack_end_seq))) {
                c->rack_xmit_us = s->xmit_us;
                c->rack_end_seq = end;
                c->rack_rtt_us = rtt;
        }
}

/* First record index whose sequence is >= seq (records are sorted by sequence). */
static uint32_t txq_lower_bound(struct um_tcp_conn *c, uint32_t seq)
{
        uint32_t lo = 0, hi = c->txq.n;
        while (lo < hi) {
                uint32_t mid = (lo + hi) / 2;
                if (seq_lt(tcp_txq_at(&c->txq, mid)->seq, seq))
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static uint32_t apply_sack(struct um_tcp_conn *c, uint32_t start, uint32_t end, uint64_t *rtt_from)
{
        /* Ignore blocks below snd_una (D-SACK or stale) or beyond what was sent. */
        if (!seq_lt(start, end) || seq_lt(start, c->snd_una) || seq_gt(end, c->snd_nxt))
                return 0;
        uint32_t delivered = 0;
        for (uint32_t i = txq_lower_bound(c, start); i < c->txq.n; i++) {
                struct tcp_txseg *s = tcp_txq_at(&c->txq, i);
                if (seq_gt(s->seq + s->len, end))
                        break;
                if (s->flags & TXS_SACKED)
                        continue;
                clear_flags(c, s, s->len);
                if (!(s->flags & TXS_EVER_RETRANS) && s->xmit_us > *rtt_from)
                        *rtt_from = s->xmit_us;
                s->flags = (uint8_t)((s->flags & ~(TXS_LOST | TXS_RETRANS)) | TXS_SACKED);
                c->sacked_out += s->len;
                delivered += s->len;
                rack_update(c, s);
        }
        return delivered;
}

static int was_retransmitted(const struct um_tcp_conn *c, uint32_t start, uint32_t end)
{
        for (int i = 0; i < 16; i++) {
                const uint32_t *h = c->rexmit_hist[i];
                if (h[0] != h[1] && seq_lt(start, h[1]) && seq_gt(end, h[0]))
                        return 1;
        }
        return 0;
}

uint32_t tcp_ack_update(struct um_tcp_conn *c, uint32_t ack, const uint32_t (*sack)[2], int n_sack)
{
        uint32_t delivered = 0;
        uint64_t rtt_from = 0;
        c->ack_rtt_us = 0;
        if (seq_gt(ack, c->snd_una)) {
                while (c->txq.n) {
                        struct tcp_txseg *s = tcp_txq_at(&c->txq, 0);
                        uint32_t end = s->seq + s->len;
                        if (seq_leq(end, ack)) {
                                if (!(s->flags & TXS_SACKED)) {
                                        delivered += s->len;
                                        rack_update(c, s);
                                        /* Karn (RFC 6298 §3): no sample from a retransmitted
                                         * segment; nor from one SACKed earlier, whose
                                         * cumulative ACK waited for a hole. The most recently
                                         * sent one gives the truest sample. */
                                        if (!(s->flags & TXS_EVER_RETRANS) && s->xmit_us > rtt_from)
                                                rtt_from = s->xmit_us;
                                }
                                clear_flags(c, s, s->len);
                                um_recq_pop(&c->txq);
                        } else if (seq_lt(s->seq, ack)) {
                                uint32_t cut = ack - s->seq;
                                if (!(s->flags & TXS_SACKED))
                                        delivered += cut;
                                clear_flags(c, s, cut);
                                s->seq = ack;
                                s->len -= cut;
                                break;
                        } else {
                                break;
                        }
                }
                while (c->rtxq.n && seq_leq(((struct tcp_rtx *)um_recq_at(&c->rtxq, 0))->end, ack))
                        um_recq_pop(&c->rtxq);
                uint32_t acked = ack - c->snd_una;
                c->rack_settled = c->rack_settled > acked ? c->rack_settled - acked : 0;
        }
        /* RFC 2883 §4: a first block below the cumulative ACK, or inside the second block,
         * reports a duplicate. */
        if (n_sack && (seq_leq(sack[0][1], ack) || (n_sack > 1 && seq_geq(sack[0][0], sack[1][0]) &&
                                                    seq_leq(sack[0][1], sack[1][1])))) {
                c->st->tcp->ctr.TcpExtTCPDSACKRecv++;
                /* RFC 8985 §6.2 step 4: a duplicate of something we retransmitted means the
                 * original was only late: widen the reordering window for 16 recoveries. A
                 * duplicate the network made tells nothing about reordering. */
                if (was_retransmitted(c, sack[0][0], sack[0][1])) {
                        if (c->reo_wnd_mult < 64)
                                c->reo_wnd_mult++;
                        c->reo_wnd_persist = 16;
                }
        }
        for (int i = 0; i < n_sack; i++)
                delivered += apply_sack(c, sack[i][0], sack[i][1], &rtt_from);
        if (rtt_from) {
                c->ack_rtt_us = c->st->now - rtt_from;
                tcp_rtt_sample(c, c->ack_rtt_us);
        }
        return delivered;
}

static void enter_recovery(struct um_tcp_conn *c)
{
        c->hs_in_css = 0;
        c->in_recovery = 1;
        c->recovery_point = c->snd_nxt;
        c->ssthresh = c->cc->ssthresh(c);
        c->prr_delivered = 0;
        c->prr_out = 0;
        c->recover_fs = tcp_flight_size(c);
        if (c->sack_ok)
                c->st->tcp->ctr.TcpExtTCPSackRecovery++;
        else
                c->st->tcp->ctr.TcpExtTCPRenoRecovery++;
        tcp_timer_clear(c, TCP_T_TLP);
}

/* The segment waits to be sent again (lost, and any retransmission of it lost too). */
static void mark_lost(struct um_tcp_conn *c, struct tcp_txseg *s)
{
        if (!c->lost_out || seq_lt(s->seq, c->lost_from))
                c->lost_from = s->seq;
        if (s->flags & TXS_RETRANS) {
                c->retrans_out -= s->len;
                s->flags &= (uint8_t)~TXS_RETRANS;
        }
        if (!(s->flags & TXS_LOST)) {
                s->flags |= TXS_LOST;
                c->lost_out += s->len;
        }
}

/* RFC 8985 §6.2 step 5 for one segment: marks it lost once its reordering window has
 * passed, or makes *wait as long as that takes. Returns 0 for a segment sent later than
 * the one RACK last saw delivered: it and all sent after it tell nothing yet. */
static int rack_check(struct um_tcp_conn *c, struct tcp_txseg *s, uint64_t reo_wnd, uint64_t *wait)
{
        if (s->xmit_us > c->rack_xmit_us)
                return 0;
        /* Sent in the same microsecond: the order of sequence numbers decides. */
        if (s->xmit_us == c->rack_xmit_us && !seq_lt(s->seq + s->len, c->rack_end_seq))
                return 1;
        uint64_t now = c->st->now, deadline = s->xmit_us + c->rack_rtt_us + reo_wnd;
        if (deadline <= now) {
                mark_lost(c, s);
                c->st->tcp->ctr.TcpExtTCPRACKLost++;
        } else if (deadline - now > *wait) {
                *wait = deadline - now;
        }
        return 1;
}

/* Originals, in sequence order, which is the order they were sent in. */
static void rack_detect_originals(struct um_tcp_conn *c, uint64_t reo_wnd, uint64_t *wait)
{
        int settled = 1; /* every record so far needs no look again */
        for (uint32_t i = txq_lower_bound(c, c->snd_una + c->rack_settled); i < c->txq.n; i++) {
                struct tcp_txseg *s = tcp_txq_at(&c->txq, i);
                if (!(s->flags & (TXS_SACKED | TXS_LOST | TXS_EVER_RETRANS)) &&
                    !rack_check(c, s, reo_wnd, wait))
                        break; /* sent after RACK's segment, and so are the originals beyond */
                settled = settled && (s->flags & (TXS_SACKED | TXS_LOST | TXS_EVER_RETRANS));
                if (settled)
                        c->rack_settled = s->seq + s->len - c->snd_una;
        }
}

/* Retransmissions, in the order they went out. */
static void rack_detect_retransmissions(struct um_tcp_conn *c, uint64_t reo_wnd, uint64_t *wait)
{
        for (uint32_t i = 0; i < c->rtxq.n; i++) {
                struct tcp_rtx *r = um_recq_at(&c->rtxq, i);
                struct tcp_txseg *s = NULL;
                if (seq_gt(r->end, c->snd_una)) {
                        uint32_t at =
                            txq_lower_bound(c, seq_lt(r->seq, c->snd_una) ? c->snd_una : r->seq);
                        if (at < c->txq.n)
                                s = tcp_txq_at(&c->txq, at);
                }
                if (!s || !(s->flags & TXS_RETRANS) || s->xmit_us != r->xmit_us ||
                    !seq_lt(s->seq, r->end)) {
                        if (i == 0) { /* acknowledged, SACKed, lost or sent again since */
                                um_recq_pop(&c->rtxq);
                                i--;
                        }
                        continue;
                }
                if (!rack_check(c, s, reo_wnd, wait))
                        break; /* sent after RACK's segment, and so are those listed later */
                if (i == 0 && !(s->flags & TXS_RETRANS)) {
                        um_recq_pop(&c->rtxq); /* just marked lost */
                        i--;
                }
        }
}

void tcp_rack_detect(struct um_tcp_conn *c)
{
        uint64_t now = c->st->now;
        uint64_t reo_wnd = (c->reo_wnd_mult ? c->reo_wnd_mult : 1) * c->min_rtt_us / 4;
        if (c->srtt_us && reo_wnd > c->srtt_us)
                reo_wnd = c->srtt_us;
        uint64_t wait = 0;
        rack_detect_originals(c, reo_wnd, &wait);
        rack_detect_retransmissions(c, reo_wnd, &wait);
        if (wait)
                tcp_timer_set(c, TCP_T_REORDER, now + wait);
        else
                tcp_timer_clear(c, TCP_T_REORDER);
        /* After a timeout every segment is already marked lost and goes out again under
         * slow start (RFC 5681 §3.1); fast recovery on top would cut ssthresh a second
         * time, from the window slow start has rebuilt, for the same losses. */
        if (c->lost_out && !c->in_recovery && !c->rto_recovery)
                enter_recovery(c);
}

static void mark_head_lost(struct um_tcp_conn *c)
{
        if (c->txq.n)
                mark_lost(c, tcp_txq_at(&c->txq, 0));
}

void tcp_recovery_on_ack(struct um_tcp_conn *c, uint32_t delivered, int dupack)
{
        uint32_t pipe_before = tcp_pipe(c) + delivered;
        if (c->tlp_outstanding && seq_geq(c->snd_una, c->tlp_end_seq))
                c->tlp_outstanding = 0;
        if (c->in_recovery && seq_geq(c->snd_una, c->recovery_point)) {
                c->in_recovery = 0;
                if (c->reo_wnd_persist && !--c->reo_wnd_persist)
                        c->reo_wnd_mult = 1;
                if (c->cwnd > c->ssthresh || !c->rto_recovery)
                        c->cwnd = c->ssthresh;
                c->cc->on_recovery_exit(c);
        }
        if (c->rto_recovery && seq_geq(c->snd_una, c->recovery_point))
                c->rto_recovery = 0;

        if (!c->sack_ok) {
                if (dupack) {
                        if (++c->dupacks == 3 && !c->in_recovery && !c->rto_recovery) {
                                mark_head_lost(c);
                                enter_recovery(c);
                        }
                } else {
                        c->dupacks = 0;
                        if (c->in_recovery && delivered)
                                mark_head_lost(c); /* NewReno partial ACK */
                }
        } else if (c->sacked_out || c->in_recovery || c->retrans_out) {
                tcp_rack_detect(c);
        }

        if (c->in_recovery) {
                /* RFC 6937 §3 with the SSRB reduction bound. */
                c->prr_delivered += delivered;
                uint32_t pipe = tcp_pipe(c);
                int64_t sndcnt;
                if (pipe > c->ssthresh) {
                        uint64_t fs = c->recover_fs ? c->recover_fs : 1;
                        sndcnt =
                            (int64_t)(((uint64_t)c->prr_delivered * c->ssthresh + fs - 1) / fs) -
                            c->prr_out;
                } else {
                        int64_t limit = (int64_t)c->prr_delivered - c->prr_out;
                        if (limit < (int64_t)delivered)
                                limit = delivered;
                        limit += c->mss;
                        sndcnt = (int64_t)c->ssthresh - pipe;
                        if (sndcnt > limit)
                                sndcnt = limit;
                }
                if (sndcnt < 0)
                        sndcnt = 0;
                /* The first retransmission goes out at once (fast retransmit). */
                if (!c->prr_out && !sndcnt && c->lost_out)
                        sndcnt = c->mss;
                c->cwnd = pipe + (uint32_t)sndcnt;
                if (c->cwnd < c->mss)
                        c->cwnd = c->mss;
        } else if (delivered && 2 * (uint64_t)pipe_before >= c->cwnd) {
                if (c->cwnd < c->ssthresh && !c->rto_recovery)
                        tcp_hystart_on_ack(c, c->ack_rtt_us);
                /* Grow only while the window was in use (RFC 7661 in spirit). */
                c->cc->on_ack(c, delivered);
        }
}

void tcp_on_rto(struct um_tcp_conn *c)
{
        /* RFC 5681 §3.1 eq. (4), once per loss episode rather than per backoff. A timeout
         * inside fast recovery is the same episode: ssthresh was set when it began, and
         * cwnd, which PRR has drawn down towards what is left in flight, says nothing of
         * the path (Linux's tcp_enter_loss keeps it too). */
        if (!c->backoff && !c->in_recovery)
                c->ssthresh = c->cc->ssthresh(c);
        c->cwnd = c->mss;
        c->in_recovery = 0;
        c->rto_recovery = 1;
        c->recovery_point = c->snd_nxt;
        c->tlp_outstanding = 0;
        c->dupacks = 0;
        c->retrans_out = 0;
        c->lost_out = 0;
        c->lost_from = c->snd_una;
        for (uint32_t i = 0; i < c->txq.n; i++) {
                struct tcp_txseg *s = tcp_txq_at(&c->txq, i);
                if (s->flags & TXS_SACKED)
                        continue;
                s->flags = (uint8_t)((s->flags & ~TXS_RETRANS) | TXS_LOST);
                c->lost_out += s->len;
        }
        um_recq_free(&c->rtxq); /* none of them is outstanding now */
        tcp_timer_clear(c, TCP_T_TLP);
        tcp_timer_clear(c, TCP_T_REORDER);
}

void tcp_on_tlp(struct um_tcp_conn *c)
{
        if (!tcp_flight_size(c) || c->in_recovery || c->rto_recovery)
                return;
        c->st->tcp->ctr.TcpExtTCPLossProbes++;
        uint32_t before = c->snd_nxt;
        /* §7.3: new data if the windows allow, else the last segment again. */
        uint32_t saved = c->cwnd;
        c->cwnd = tcp_pipe(c) + tcp_seg_size(c);
        tcp_output(c);
        c->cwnd = saved;
        if (c->snd_nxt == before && c->txq.n) {
                struct tcp_txseg *last = tcp_txq_at(&c->txq, c->txq.n - 1);
                if (!(last->flags & TXS_SACKED))
                        tcp_retransmit_seg(c, last);
        }
        c->tlp_outstanding = 1;
        c->tlp_end_seq = c->snd_nxt;
        tcp_rearm_rto(c);
}
