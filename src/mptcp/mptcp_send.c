/* The data level, sending (RFC 8684 §3.3): the msk's send queue keyed by data sequence
 * number, pushing chunks to the subflows the scheduler picks, the mappings that describe
 * them, DATA_ACK processing, reinjection and the DATA_FIN. */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_crypto.h"
#include "tcp/tcp_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PUSH_CHUNK = MPTCP_MAP_MAX };

static struct mptcp_map *tx_at(const struct mptcp_subflow *sf, uint32_t i)
{
        return um_recq_at(&sf->tx, i);
}

/* Records the mapping of len bytes just written; with checksums, each write is a mapping of
 * its own, its checksum taken from the send queue. */
static int tx_map_add(struct mptcp_subflow *sf, uint64_t dsn, uint32_t ssn, uint32_t len, int csum)
{
        if (sf->tx.n && !csum) {
                struct mptcp_map *last = tx_at(sf, sf->tx.n - 1);
                if (!last->frozen && last->dsn + last->len == dsn && last->ssn + last->len == ssn &&
                    last->len + len <= MPTCP_MAP_MAX) {
                        last->len += len;
                        return 0;
                }
        }
        struct mptcp_map rec = {.dsn = dsn, .ssn = ssn, .len = len};
        if (um_recq_push(&sf->tx, &rec) < 0)
                return -ENOMEM;
        struct mptcp_map *m = tx_at(sf, sf->tx.n - 1);
        if (csum) {
                const struct mptcp_sock *msk = sf->msk;
                uint32_t rel = ssn - um_tcp_iss(sf->tcp);
                m->csum = mptcp_dss_csum_ring(dsn, rel, (uint16_t)len, &msk->snd,
                                              (uint32_t)(dsn - msk->snd_una), len, 0);
        }
        return 0;
}

/* The mapping holding subflow byte seq (binary search: mappings are in subflow order). */
static struct mptcp_map *tx_find(struct mptcp_subflow *sf, uint32_t seq)
{
        uint32_t lo = 0, hi = sf->tx.n;
        while (lo < hi) {
                uint32_t mid = (lo + hi) / 2;
                struct mptcp_map *m = tx_at(sf, mid);
                if ((int32_t)(seq - m->ssn) < 0)
                        hi = mid;
                else if ((int32_t)(seq - (m->ssn + m->len)) >= 0)
                        lo = mid + 1;
                else
                        return m;
        }
        return NULL;
}

static void tx_prune(struct mptcp_subflow *sf)
{
        uint32_t una = um_tcp_snd_una(sf->tcp);
        while (sf->tx.n) {
                struct mptcp_map *m = tx_at(sf, 0);
                if ((int32_t)(una - (m->ssn + m->len)) < 0)
                        break;
                um_recq_pop(&sf->tx);
        }
}

/* Subflow sequence number of the next byte written into the subflow. */
static uint32_t next_write_ssn(const struct mptcp_subflow *sf)
{
        struct um_tcp_path_info pi;
        um_tcp_path_info(sf->tcp, &pi);
        return um_tcp_snd_una(sf->tcp) + pi.queued;
}

uint32_t mptcp_push_range(struct mptcp_sock *msk, struct mptcp_subflow *sf, uint64_t dsn,
                          uint32_t len)
{
        if (len > PUSH_CHUNK)
                len = PUSH_CHUNK;
        uint32_t ssn = next_write_ssn(sf);
        long n = um_tcp_write_ring(sf->tcp, &msk->snd, (uint32_t)(dsn - msk->snd_una), len);
        if (n <= 0)
                return 0;
        if (!msk->fallback && tx_map_add(sf, dsn, ssn, (uint32_t)n, msk->csum) < 0) {
                mptcp_subflow_reset(sf, MPTCP_RST_ERESOURCE);
                return 0;
        }
        sf->touched = 1;
        sf->bytes_sent += (uint64_t)n;
        msk->bytes_sent += (uint64_t)n;
        msk->last_data_sent = msk->st->now;
        return (uint32_t)n;
}

static void flush_touched(struct mptcp_sock *msk)
{
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                if (sf->touched) {
                        sf->touched = 0;
                        um_tcp_output(sf->tcp);
                }
}

/* A fallen-back connection is its first subflow's byte stream. That subflow is marked
 * closing when the application closes, but takes the data still queued before its FIN:
 * TCP refuses writes itself once it cannot take them. */
static void push_fallback(struct mptcp_sock *msk)
{
        struct mptcp_subflow *sf = msk->first;
        if (!sf || sf->released)
                return;
        while (dsn_lt(msk->snd_nxt, msk->write_seq)) {
                uint64_t left = msk->write_seq - msk->snd_nxt;
                uint32_t n = mptcp_push_range(msk, sf, msk->snd_nxt,
                                              left < PUSH_CHUNK ? (uint32_t)left : PUSH_CHUNK);
                if (!n)
                        break;
                msk->snd_nxt += n;
        }
        flush_touched(msk);
        if (msk->snd_shutdown && msk->snd_nxt == msk->write_seq && !msk->wr_fin_done) {
                msk->wr_fin_done = 1;
                tcp_api_shutdown(sf->tcp, SHUT_WR);
        }
}

static uint32_t take_reinject(struct mptcp_sock *msk)
{
        while (msk->n_reinject) {
                uint64_t *r = msk->reinject[0];
                if (dsn_lt(r[0], msk->snd_una))
                        r[0] = msk->snd_una;
                if (dsn_lt(r[0], r[1]))
                        return (uint32_t)(r[1] - r[0] < PUSH_CHUNK ? r[1] - r[0] : PUSH_CHUNK);
                memmove(msk->reinject, msk->reinject + 1,
                        (size_t)(--msk->n_reinject) * sizeof(msk->reinject[0]));
        }
        return 0;
}

enum { SILENT_FLOOR_US = 50000 };

/* A subflow that has data out and has heard nothing for three of its round trips (and at
 * least 50 ms), while another subflow heard from its peer since: its path went quiet, and
 * waiting for its retransmission timer would leave the data behind it stalled for an RTO
 * or more. */
static int gone_silent(const struct mptcp_sock *msk, const struct mptcp_subflow *sf)
{
        uint64_t now = msk->st->now, heard = um_tcp_last_recv_us(sf->tcp);
        if (now - heard <= SILENT_FLOOR_US)
                return 0; /* the common case, without the path's whole state */
        struct um_tcp_path_info pi;
        um_tcp_path_info(sf->tcp, &pi);
        if (!pi.in_flight || !pi.srtt_us || now - heard <= 3 * pi.srtt_us)
                return 0;
        for (const struct mptcp_subflow *o = msk->subflows; o; o = o->next)
                if (o != sf && !o->stale && mptcp_subflow_usable(o) &&
                    um_tcp_last_recv_us(o->tcp) > heard)
                        return 1;
        return 0;
}

/* A subflow whose retransmission timer fired, or that went silent while another did not, is
 * stale: the scheduler skips it, and what it holds goes again on the others at once, so one
 * dead path does not stall the data level behind its holes (Linux does the same once a
 * subflow has been stale for a while). It recovers when an ACK arrives without backoff
 * (mptcp_subflow_acked). */
static void check_stale(struct mptcp_sock *msk)
{
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next) {
                if (sf->stale || (!um_tcp_backoff(sf->tcp) && !gone_silent(msk, sf)) ||
                    !mptcp_subflow_usable(sf))
                        continue;
                sf->stale = 1;
                msk->st->mptcp->ctr.MPTcpExtSubflowStale++;
                for (struct mptcp_subflow *o = msk->subflows; o; o = o->next)
                        if (o != sf && !o->stale && mptcp_subflow_usable(o)) {
                                mptcp_reinject_subflow(sf);
                                break;
                        }
        }
}

/* RFC 9293 §3.8.6.2.1, sender-side silly window avoidance at the data level: a window that
 * opened by less than a segment (and less than half the largest one offered) waits for more
 * while data is in flight, whose acknowledgement will move it. Sending each sliver as it
 * opened made a tenth of all segments tiny; a Linux receiver charges every segment its
 * full buffer cost, and with enough of them out of order its receive memory filled up and
 * the connection stalled for good (docs/INTEROP.md, "Receive-memory stall"). */
static int sws_wait(const struct mptcp_sock *msk, uint64_t wnd)
{
        if (msk->snd_una == msk->snd_nxt || wnd >= msk->max_wnd / 2)
                return 0; /* nothing in flight to reopen it, or no sliver */
        for (const struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next) {
                struct um_tcp_path_info pi;
                um_tcp_path_info(sf->tcp, &pi);
                if (wnd < pi.mss)
                        return 1;
        }
        return 0;
}

void mptcp_push(struct mptcp_sock *msk)
{
        if (msk->fallback) {
                push_fallback(msk);
                mptcp_rtx_rearm(msk);
                mptcp_reap_rearm(msk); /* a closing subflow is released once all is written */
                return;
        }
        check_stale(msk);
        if (!msk->remote_key_known || !msk->snd.buf)
                goto fin;
        for (int guard = 0; guard < 4096; guard++) {
                uint32_t len = take_reinject(msk);
                if (len) {
                        struct mptcp_subflow *sf = mptcp_sched_retrans(msk, len);
                        if (!sf)
                                break;
                        uint32_t n = mptcp_push_range(msk, sf, msk->reinject[0][0], len);
                        if (!n)
                                break;
                        msk->reinject[0][0] += n;
                        if (!msk->repairing || dsn_gt(msk->reinject[0][0], msk->repair_end))
                                msk->repair_end = msk->reinject[0][0];
                        msk->repairing = 1;
                        msk->bytes_retrans += n;
                        msk->retransmits++;
                        msk->st->mptcp->ctr.MPTcpExtMPTCPRetrans++;
                        continue;
                }
                /* With more than one subflow, no new data while data sent again is not yet
                 * acknowledged: the hole it fills holds everything behind it at the peer,
                 * so new data could only wait there out of order, and a Linux peer whose
                 * out-of-order data fills its buffer never takes the hole's bytes
                 * (mptcp_send_wnd_end). */
                if (msk->repairing && msk->n_subflows > 1)
                        break;
                uint64_t avail = msk->write_seq - msk->snd_nxt;
                uint64_t end = mptcp_send_wnd_end(msk);
                uint64_t wnd = dsn_gt(end, msk->snd_nxt) ? end - msk->snd_nxt : 0;
                int window_limited = wnd < avail;
                if (window_limited)
                        avail = wnd;
                if (!avail || (window_limited && sws_wait(msk, avail))) {
                        if (window_limited)
                                mptcp_opportunistic(msk);
                        break;
                }
                len = avail < PUSH_CHUNK ? (uint32_t)avail : PUSH_CHUNK;
                struct mptcp_subflow *out[MPTCP_MAX_SUBFLOWS];
                int copies = msk->sched->get_send(msk, &len, out);
                if (!copies)
                        break;
                struct mptcp_subflow *sf = out[0];
                struct um_tcp_path_info pi;
                um_tcp_path_info(sf->tcp, &pi);
                uint32_t room = mptcp_subflow_room(&pi);
                if (len > room)
                        len = room;
                /* Whole segments per mapping, so mapping ends do not make short segments:
                 * the first gives room for the DSS, the others are full (mptcp_tx_limit). */
                if (len > pi.mss)
                        len = (len + DSS_LEN_MAX) / pi.mss * pi.mss - DSS_LEN_MAX;
                /* RFC 6298 §5.1: data going out while none is outstanding starts the
                 * retransmission timer afresh; it does not run on from the last DATA_ACK,
                 * however long ago that was. */
                if (!mptcp_data_outstanding(msk))
                        msk->last_una_move = msk->st->now;
                uint32_t n = mptcp_push_range(msk, sf, msk->snd_nxt, len);
                if (!n)
                        break;
                /* A redundant scheduler's copies: the same bytes as their own mappings. */
                for (int k = 1; k < copies; k++)
                        mptcp_push_range(msk, out[k], msk->snd_nxt, n);
                if (msk->sched->pushed)
                        msk->sched->pushed(msk, sf, n);
                msk->snd_nxt += n;
        }
        flush_touched(msk);
fin:
        if (msk->snd_shutdown && !msk->data_fin_sent && msk->snd_nxt == msk->write_seq &&
            msk->remote_key_known) {
                msk->data_fin_sent = 1;
                msk->last_una_move = msk->st->now;
                mptcp_send_data_fin(msk);
        }
        mptcp_rtx_rearm(msk);
        mptcp_reap_rearm(msk);
}

void mptcp_send_data_fin(struct mptcp_sock *msk)
{
        /* Like Linux: a mapping of length 1 at subflow sequence 0 on a bare ACK. */
        struct mptcp_subflow *sf = mptcp_sched_retrans(msk, 0);
        if (!sf)
                for (sf = msk->subflows; sf; sf = sf->next)
                        if (um_tcp_state(sf->tcp) == UM_TCP_ESTABLISHED ||
                            um_tcp_state(sf->tcp) == UM_TCP_CLOSE_WAIT)
                                break;
        if (!sf)
                return;
        /* RFC 8684 §3.1: while the listener has not shown that it has our key, the third
         * ACK's MP_CAPABLE goes again first. The DATA_FIN's DSS cannot carry the key, and
         * a listener that lost the third ACK and got this DSS first would fall back to
         * TCP and ignore it (Linux does), the DATA_FIN with it. */
        if (sf->mp_capable && !sf->passive && !sf->is_join && !sf->fully_established)
                um_tcp_send_pure_ack(sf->tcp);
        /* A pure ACK of its own, now: an ACK asked for while the subflow is processing a
         * segment would leave later, when this flag is down again. */
        sf->send_data_fin = 1;
        um_tcp_send_pure_ack(sf->tcp);
        sf->send_data_fin = 0;
}

void mptcp_data_acked(struct mptcp_sock *msk, uint64_t ack, uint32_t wnd)
{
        uint64_t top = msk->snd_nxt + (msk->data_fin_sent ? 1 : 0);
        if (dsn_gt(ack, top) || dsn_lt(ack, msk->snd_una))
                return; /* not something we sent, or older than what we know */
        msk->last_ack_recv = msk->st->now;
        if (dsn_gt(ack + wnd, msk->wnd_end))
                msk->wnd_end = ack + wnd;
        if (wnd > msk->max_wnd)
                msk->max_wnd = wnd;
        uint64_t data_ack = dsn_gt(ack, msk->write_seq) ? msk->write_seq : ack;
        if (dsn_gt(data_ack, msk->snd_una)) {
                uint64_t n = data_ack - msk->snd_una;
                um_ring_consume(&msk->snd, (uint32_t)n);
                um_ring_release(&msk->snd, &msk->st->rings); /* when all was acknowledged */
                msk->snd_una = data_ack;
                if (msk->repairing && dsn_leq(msk->repair_end, data_ack))
                        msk->repairing = 0;
                msk->bytes_acked += n;
                msk->last_una_move = msk->st->now;
                msk->rtx_backoff = 0;
                mptcp_msk_wake(msk);
        }
        if (msk->data_fin_sent && ack == msk->write_seq + 1 && !msk->data_fin_acked) {
                msk->data_fin_acked = 1;
                mptcp_msk_wake(msk);
                mptcp_check_close(msk);
        }
}

/* RFC 8684 §3.3.1: a mapping may cover many segments. It goes on the segment that starts
 * it (retransmissions of that one included); the rest carry no mapping and need no option
 * room, which keeps MPTCP's per-byte overhead close to plain TCP's. With checksums every
 * segment repeats it, as Linux's own segments do (docs/INTEROP.md). */
static int carries_mapping(const struct mptcp_sock *msk, const struct mptcp_map *m, uint32_t seq)
{
        return seq == m->ssn || msk->csum;
}

/* Caps a segment so that `opt` option bytes fit beside its payload. */
static uint32_t leave_room(struct mptcp_subflow *sf, uint32_t len, unsigned opt)
{
        struct um_tcp_path_info pi;
        um_tcp_path_info(sf->tcp, &pi);
        uint32_t cap = pi.mss > opt + 64 ? pi.mss - opt : 64;
        return len < cap ? len : cap;
}

uint32_t mptcp_tx_limit(struct mptcp_subflow *sf, uint32_t seq, uint32_t len)
{
        if (sf->msk->fallback) {
                if (!sf->send_infinite)
                        return len;
                /* The infinite mapping starts a segment of its own, with room for it. */
                if ((int32_t)(seq - sf->fb_tx.ssn) < 0 && (int32_t)(seq + len - sf->fb_tx.ssn) > 0)
                        return sf->fb_tx.ssn - seq;
                return seq == sf->fb_tx.ssn ? leave_room(sf, len, DSS_LEN_MAX) : len;
        }
        struct mptcp_map *m = tx_find(sf, seq);
        if (!m)
                return len;
        uint32_t left = m->ssn + m->len - seq;
        if (left < len)
                len = left;
        /* Option room this segment needs: a whole DSS where it carries the mapping, a
         * DATA_ACK where ours moved since this subflow last carried one, else none. */
        unsigned opt = carries_mapping(sf->msk, m, seq)               ? DSS_LEN_MAX
                       : sf->data_ack_sent != mptcp_data_ack(sf->msk) ? DSS_LEN_ACK32
                                                                      : 0;
        return leave_room(sf, len, opt);
}

void mptcp_segment_out(struct mptcp_subflow *sf, struct um_tcp_seg_info *seg)
{
        struct mptcp_sock *msk = sf->msk;
        struct mptcp_stack *ms = msk->ms;
        uint32_t iss = um_tcp_iss(sf->tcp);
        if (msk->fallback) {
                if (sf->send_infinite && seg->len && seg->seq == sf->fb_tx.ssn) {
                        struct mptcp_ext *e = um_tcp_pkt_ext_add(msk->st, seg->pkt, ms->ext_id);
                        if (e)
                                *e = (struct mptcp_ext){
                                    .dsn = sf->fb_tx.dsn, .ssn = seg->seq - iss, .flags = DSS_M};
                }
                return;
        }
        if (!seg->len) {
                if (!sf->send_data_fin)
                        return;
                struct mptcp_ext *e = um_tcp_pkt_ext_add(msk->st, seg->pkt, ms->ext_id);
                if (!e)
                        return;
                *e = (struct mptcp_ext){
                    .dsn = msk->write_seq, .ssn = 0, .data_len = 1, .flags = DSS_M | DSS_F};
                if (msk->csum)
                        e->csum = mptcp_dss_csum(e->dsn, 0, 1, NULL, 0, 0);
                return;
        }
        struct mptcp_map *m = tx_find(sf, seg->seq);
        if (!m)
                return;
        m->frozen = 1;
        if (!carries_mapping(msk, m, seg->seq))
                return;
        struct mptcp_ext *e = um_tcp_pkt_ext_add(msk->st, seg->pkt, ms->ext_id);
        if (!e)
                return;
        *e = (struct mptcp_ext){.dsn = m->dsn,
                                .ssn = m->ssn - iss,
                                .data_len = (uint16_t)m->len,
                                .csum = m->csum,
                                .flags = DSS_M};
}

void mptcp_subflow_acked(struct mptcp_subflow *sf)
{
        struct mptcp_sock *msk = sf->msk;
        tx_prune(sf);
        if (sf->stale) {
                struct um_tcp_path_info pi;
                um_tcp_path_info(sf->tcp, &pi);
                if (!pi.backoff) {
                        sf->stale = 0;
                        msk->st->mptcp->ctr.MPTcpExtSubflowRecover++;
                }
        }
        if (msk->fallback && sf->has_fb_tx) {
                uint32_t una = um_tcp_snd_una(sf->tcp);
                if ((int32_t)(una - sf->fb_tx.ssn) > 0) {
                        uint64_t ack = sf->fb_tx.dsn + (uint32_t)(una - sf->fb_tx.ssn);
                        if (sf->send_infinite)
                                sf->send_infinite = 0;
                        if (dsn_gt(ack, msk->snd_nxt))
                                ack = msk->snd_nxt;
                        mptcp_data_acked(msk, ack, 0);
                }
        }
        mptcp_push(msk);
}

void mptcp_reinject_subflow(struct mptcp_subflow *sf)
{
        struct mptcp_sock *msk = sf->msk;
        for (uint32_t i = 0; i < sf->tx.n; i++) {
                struct mptcp_map *m = tx_at(sf, i);
                uint64_t s = m->dsn, e = m->dsn + m->len;
                if (dsn_leq(e, msk->snd_una))
                        continue;
                if (dsn_lt(s, msk->snd_una))
                        s = msk->snd_una;
                if (msk->n_reinject && msk->reinject[msk->n_reinject - 1][1] == s) {
                        msk->reinject[msk->n_reinject - 1][1] = e;
                        continue;
                }
                if (msk->n_reinject == MPTCP_REINJECT_MAX) {
                        /* Out of slots: resend everything outstanding from the oldest. */
                        msk->reinject[0][0] = msk->snd_una;
                        msk->reinject[0][1] = msk->snd_nxt;
                        msk->n_reinject = 1;
                        break;
                }
                msk->reinject[msk->n_reinject][0] = s;
                msk->reinject[msk->n_reinject][1] = e;
                msk->n_reinject++;
        }
}

/* RFC 8684 §3.7: the peer saw a checksum fail on our data. With one subflow the connection
 * falls back: data from the failed mapping on goes again behind an infinite mapping. */
void mptcp_fail_received(struct mptcp_subflow *sf)
{
        struct mptcp_sock *msk = sf->msk;
        if (msk->n_subflows > 1) {
                mptcp_subflow_reset(sf, MPTCP_RST_EMIDDLEBOX);
                return;
        }
        uint64_t from = sf->fail_dsn;
        if (dsn_lt(from, msk->snd_una) || dsn_gt(from, msk->snd_nxt))
                from = msk->snd_una;
        msk->fallback = 1;
        msk->n_reinject = 0;
        msk->snd_nxt = from;
        sf->fb_tx = (struct mptcp_map){.dsn = from, .ssn = next_write_ssn(sf)};
        sf->has_fb_tx = 1;
        sf->send_infinite = 1;
        push_fallback(msk);
}

/* ---- data-level retransmission (RFC 8684 §3.3.6) ---- */

static uint64_t data_rto(const struct mptcp_sock *msk)
{
        uint64_t rto = 200000;
        for (const struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next) {
                struct um_tcp_path_info pi;
                um_tcp_path_info(sf->tcp, &pi);
                if (pi.rto_us > rto && !pi.backoff)
                        rto = pi.rto_us;
        }
        uint64_t r = rto << (msk->rtx_backoff < 6 ? msk->rtx_backoff : 6);
        return r < 60000000 ? r : 60000000;
}

static uint64_t rtx_due(const struct mptcp_sock *msk)
{
        if (msk->fallback || !mptcp_data_outstanding(msk))
                return UINT64_MAX;
        return msk->last_una_move + data_rto(msk);
}

void mptcp_rtx_rearm(struct mptcp_sock *msk)
{
        mptcp_timer_set(msk, MPTCP_T_RTX, rtx_due(msk));
}

void mptcp_rtx_timer(struct mptcp_sock *msk, uint64_t now)
{
        if (now < rtx_due(msk))
                return;
        /* Data not DATA_ACKed in time goes out again, on the best subflow the scheduler
         * finds. Not before the peer has shown it speaks MPTCP: a peer that fell back reads
         * a second copy as new bytes (subflow TCP retransmits what was lost meanwhile). */
        msk->rtx_backoff++;
        msk->last_una_move = now;
        uint64_t end = dsn_lt(msk->snd_nxt, msk->snd_una + MPTCP_MAP_MAX)
                           ? msk->snd_nxt
                           : msk->snd_una + MPTCP_MAP_MAX;
        int confirmed = !msk->first || msk->first->fully_established;
        if (confirmed && dsn_gt(end, msk->snd_una) && msk->n_reinject < MPTCP_REINJECT_MAX) {
                msk->reinject[msk->n_reinject][0] = msk->snd_una;
                msk->reinject[msk->n_reinject][1] = end;
                msk->n_reinject++;
        }
        if (msk->data_fin_sent && !msk->data_fin_acked)
                mptcp_send_data_fin(msk);
        mptcp_rtx_rearm(msk);
}
