/* The data level, receiving (RFC 8684 §3.3): mappings remembered per subflow and checked
 * against its sequence space, in-order subflow bytes placed by data sequence number into the
 * msk's receive queue or its out-of-order ranges, the DSS checksum (§3.3.1) with MP_FAIL
 * (§3.7), DATA_FIN, and one receive window shared by all subflows (§3.3.4). */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_crypto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PULL_CHUNK = 65536 };

static uint32_t map_bytes(const struct mptcp_map *m)
{
        return m->len - (m->fin ? 1 : 0);
}

/* The last mapping gone, the table goes too (an idle subflow keeps none). */
static void drop_map(struct mptcp_subflow *sf, int i)
{
        memmove(&sf->rx[i], &sf->rx[i + 1], (size_t)(sf->rx_n - i - 1) * sizeof(sf->rx[0]));
        if (--sf->rx_n == 0) {
                free(sf->rx);
                sf->rx = NULL;
                sf->rx_cap = 0;
        }
}

static void note_data_fin(struct mptcp_sock *msk, uint64_t fin_seq)
{
        if (msk->rcv_fin_known)
                return;
        msk->rcv_fin_known = 1;
        msk->rcv_fin_seq = fin_seq;
}

/* The DATA_FIN is reached once the data before it is: `via` is the subflow whose data or
 * mapping got it there. */
static void check_data_fin(struct mptcp_sock *msk, struct mptcp_subflow *via)
{
        if (!msk->rcv_fin_known || msk->rcv_shutdown || msk->rcv_nxt != msk->rcv_fin_seq)
                return;
        msk->rcv_shutdown = 1;
        msk->rcv_data_fin = 1;
        um_ring_release(&msk->rcv, &msk->st->rings); /* when already read: nothing more comes */
        mptcp_msk_wake(msk);
        /* Acknowledge the DATA_FIN at once, on the subflow it came by. */
        um_tcp_send_ack(via->tcp);
        mptcp_check_close(msk);
}

int mptcp_map_add(struct mptcp_subflow *sf, const struct mptcp_ext *e)
{
        struct mptcp_sock *msk = sf->msk;
        int fin = (e->flags & DSS_F) != 0;
        if (!sf->rcv_read)
                sf->rcv_read = um_tcp_irs(sf->tcp) + 1;
        if (fin)
                note_data_fin(msk, e->dsn + e->data_len - 1);
        if (fin && e->data_len == 1 && e->ssn == 0) {
                check_data_fin(msk, sf);
                return 0;
        }
        if (!e->data_len) {
                /* An infinite mapping we did not ask for: the peer fell back. */
                mptcp_infinite_received(sf, &(struct mptcp_opts){.dsn = e->dsn, .ssn = e->ssn});
                return 0;
        }
        struct mptcp_map m = {.dsn = e->dsn,
                              .ssn = um_tcp_irs(sf->tcp) + e->ssn,
                              .len = e->data_len,
                              .csum = e->csum,
                              .fin = (uint8_t)fin,
                              .frozen = e->with_csum};
        uint32_t bytes = map_bytes(&m);
        /* A mapping wholly behind what was read is an old retransmission. */
        if (!bytes || (int32_t)(m.ssn + bytes - sf->rcv_read) <= 0)
                return 0;
        /* RFC 8684 §3.3.2: a mapping must lie in the subflow's sequence space and agree with
         * the mappings already known for the same bytes. */
        uint32_t rcv_nxt = um_tcp_rcv_nxt(sf->tcp);
        if ((int32_t)(m.ssn - rcv_nxt) > (1 << 30) ||
            (int32_t)(m.ssn - sf->rcv_read) < -(1 << 30)) {
                msk->st->mptcp->ctr.MPTcpExtDSSNotMatching++;
                mptcp_subflow_reset(sf, MPTCP_RST_EMPTCP);
                return -EINVAL;
        }
        int at = sf->rx_n;
        for (int i = 0; i < sf->rx_n; i++) {
                struct mptcp_map *o = &sf->rx[i];
                if (o->ssn == m.ssn && o->dsn == m.dsn && o->len == m.len)
                        return 0; /* the same mapping, repeated on another segment */
                uint32_t ob = map_bytes(o);
                int overlap =
                    (int32_t)(m.ssn - (o->ssn + ob)) < 0 && (int32_t)(o->ssn - (m.ssn + bytes)) < 0;
                if (overlap && (int64_t)(m.dsn - o->dsn) != (int32_t)(m.ssn - o->ssn)) {
                        msk->st->mptcp->ctr.MPTcpExtDSSNotMatching++;
                        mptcp_subflow_reset(sf, MPTCP_RST_EMPTCP);
                        return -EINVAL;
                }
                if (at == sf->rx_n && (int32_t)(m.ssn - o->ssn) < 0)
                        at = i;
        }
        if (sf->rx_n == sf->rx_cap) {
                int cap = sf->rx_cap ? sf->rx_cap * 2 : 64;
                struct mptcp_map *rx =
                    cap <= MPTCP_RX_MAPS_MAX ? realloc(sf->rx, (size_t)cap * sizeof(*rx)) : NULL;
                if (!rx) {
                        /* Out of room: this subflow cannot follow its data any more. */
                        msk->st->mptcp->ctr.MPTcpExtRcvPruned++;
                        mptcp_subflow_reset(sf, MPTCP_RST_ERESOURCE);
                        return -ENOMEM;
                }
                sf->rx = rx;
                sf->rx_cap = cap;
        }
        memmove(&sf->rx[at + 1], &sf->rx[at], (size_t)(sf->rx_n - at) * sizeof(sf->rx[0]));
        sf->rx[at] = m;
        sf->rx_n++;
        return 0;
}

uint32_t mptcp_rcv_space(const struct mptcp_sock *msk)
{
        if (!msk->rcv.buf)
                return msk->rcvbuf;
        return msk->rcv.cap - msk->rcv.len;
}

/* One window spans all subflows (RFC 8684 §3.3.4), yet each subflow's TCP sizes its buffer
 * from its own traffic, and a subflow's buffer caps the window it announces. Data that
 * waits at the data level for a slower path fills the window without any subflow seeing
 * it: when out-of-order data spans half of the smallest subflow buffer while the reader
 * keeps up, every subflow's buffer doubles, up to the connection's own. */
static void rcvbuf_autotune(struct mptcp_sock *msk, uint64_t end)
{
        uint32_t smallest = UINT32_MAX;
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next) {
                uint32_t cap = sf->tcp ? um_tcp_rcvbuf_size(sf->tcp) : 0;
                if (cap && cap < smallest)
                        smallest = cap;
        }
        if (smallest == UINT32_MAX || smallest >= msk->rcv.cap ||
            end - msk->rcv_nxt < smallest / 2 || msk->rcv.len >= smallest / 4)
                return;
        uint32_t target = smallest * 2 < msk->rcv.cap ? smallest * 2 : msk->rcv.cap;
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                if (sf->tcp)
                        um_tcp_rcvbuf_reserve(sf->tcp, target);
}

/* Moves the subflow's next n bytes, data [dsn, dsn + n), into the receive queue: ring to
 * ring, what was received before dropped. */
static void place(struct mptcp_subflow *via, uint64_t dsn, uint32_t n)
{
        struct mptcp_sock *msk = via->msk;
        struct um_stack *st = msk->st;
        if (dsn_leq(dsn + n, msk->rcv_nxt)) {
                st->mptcp->ctr.MPTcpExtDuplicateData++;
                um_tcp_read_ring(via->tcp, NULL, 0, n);
                return;
        }
        if (dsn_lt(dsn, msk->rcv_nxt)) {
                uint32_t skip = (uint32_t)(msk->rcv_nxt - dsn);
                um_tcp_read_ring(via->tcp, NULL, 0, skip);
                n -= skip;
                dsn = msk->rcv_nxt;
        }
        uint64_t base = msk->rcv_nxt - msk->rcv.len;
        um_tcp_read_ring(via->tcp, &msk->rcv, (uint32_t)(dsn - base), n);
        msk->bytes_received += n;
        msk->last_data_recv = st->now;
        if (dsn != msk->rcv_nxt) {
                if (um_ranges_add(&msk->ooo, (uint32_t)dsn, (uint32_t)(dsn + n)) < 0)
                        st->mptcp->ctr.MPTcpExtRcvPruned++;
                else
                        st->mptcp->ctr.MPTcpExtOFOQueue++;
                rcvbuf_autotune(msk, dsn + n);
                return;
        }
        uint32_t next = um_ranges_advance(&msk->ooo, (uint32_t)(dsn + n));
        msk->rcv_nxt = dsn + n + (uint32_t)(next - (uint32_t)(dsn + n));
        msk->rcv.len = (uint32_t)(msk->rcv_nxt - base);
        mptcp_msk_wake(msk);
        check_data_fin(msk, via);
}

/* The mapping that covers subflow byte seq, NULL if none does. */
static struct mptcp_map *find_map(struct mptcp_subflow *sf, uint32_t seq)
{
        if (sf->msk->fallback) {
                if (!sf->has_fb_rx)
                        return NULL;
                return (int32_t)(seq - sf->fb_rx.ssn) >= 0 ? &sf->fb_rx : NULL;
        }
        while (sf->rx_n && (int32_t)(sf->rx[0].ssn + map_bytes(&sf->rx[0]) - seq) <= 0)
                drop_map(sf, 0);
        for (int i = 0; i < sf->rx_n; i++)
                if ((int32_t)(seq - sf->rx[i].ssn) >= 0 &&
                    (int32_t)(seq - (sf->rx[i].ssn + map_bytes(&sf->rx[i]))) < 0)
                        return &sf->rx[i];
        return NULL;
}

static void csum_failed(struct mptcp_subflow *sf, const struct mptcp_map *m)
{
        struct mptcp_sock *msk = sf->msk;
        msk->st->mptcp->ctr.MPTcpExtDataCsumErr++;
        if (msk->n_subflows > 1) {
                /* RFC 8684 §3.7: with other subflows, only this one goes; its data is sent
                 * again on the others. */
                mptcp_subflow_reset(sf, MPTCP_RST_EMIDDLEBOX);
                return;
        }
        /* Alone: MP_FAIL names the mapping, bytes are dropped until the peer's infinite
         * mapping says where plain TCP resumes. */
        sf->fail_dsn = m->dsn;
        sf->send_mp_fail = 1;
        sf->await_infinite = 1;
        msk->fallback = 1;
        msk->n_reinject = 0;
        um_tcp_send_ack(sf->tcp);
}

void mptcp_infinite_received(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        struct mptcp_sock *msk = sf->msk;
        msk->st->mptcp->ctr.MPTcpExtInfiniteMapRx++;
        uint64_t dsn = o->dsn;
        if (!(o->dss_flags & DSS_m) && o->dss_flags)
                dsn = mptcp_expand_seq(msk->rcv_nxt, (uint32_t)o->dsn);
        sf->fb_rx = (struct mptcp_map){.dsn = dsn, .ssn = um_tcp_irs(sf->tcp) + o->ssn};
        sf->has_fb_rx = 1;
        sf->await_infinite = 0;
        sf->send_mp_fail = 0;
        if (!msk->fallback) {
                msk->fallback = 1;
                msk->n_reinject = 0;
                if (!sf->has_fb_tx) {
                        /* Our own direction continues from where the data level stands. */
                        sf->fb_tx =
                            (struct mptcp_map){.dsn = msk->snd_nxt, .ssn = um_tcp_snd_una(sf->tcp)};
                        sf->has_fb_tx = 1;
                }
        }
}

/* Moves what the subflow has in order into the msk. Returns bytes consumed. */
static uint32_t pull(struct mptcp_subflow *sf)
{
        struct mptcp_sock *msk = sf->msk;
        struct um_stack *st = msk->st;
        uint32_t total = 0;
        if (!sf->rcv_read)
                sf->rcv_read = um_tcp_irs(sf->tcp) + 1;
        for (;;) {
                uint32_t avail = um_tcp_readable(sf->tcp);
                if (!avail || !sf->msk)
                        break;
                /* The receive queue comes with the first bytes (and again, should any come
                 * after it was given back). */
                if (!msk->rcv.buf) {
                        um_ring_init_lazy(&msk->rcv, msk->rcvbuf);
                        if (um_ring_back(&msk->rcv, &msk->st->rings) < 0)
                                break;
                }
                uint32_t seq = sf->rcv_read;
                if (msk->fallback && !sf->has_fb_rx && !sf->await_infinite) {
                        sf->fb_rx = (struct mptcp_map){.dsn = msk->rcv_nxt, .ssn = seq};
                        sf->has_fb_rx = 1;
                }
                struct mptcp_map *m = find_map(sf, seq);
                if (!m && sf->await_infinite) {
                        um_tcp_read_ring(sf->tcp, NULL, 0, avail < PULL_CHUNK ? avail : PULL_CHUNK);
                        sf->rcv_read += avail < PULL_CHUNK ? avail : PULL_CHUNK;
                        continue;
                }
                if (!m && msk->fallback && sf->has_fb_rx && (int32_t)(seq - sf->fb_rx.ssn) < 0) {
                        /* Bytes sent before the infinite mapping: superseded. */
                        uint32_t n = sf->fb_rx.ssn - seq;
                        if (n > avail)
                                n = avail;
                        if (n > PULL_CHUNK)
                                n = PULL_CHUNK;
                        um_tcp_read_ring(sf->tcp, NULL, 0, n);
                        sf->rcv_read += n;
                        continue;
                }
                if (!m) {
                        if (!sf->seen_dss && !msk->dss_seen && msk->n_subflows == 1) {
                                /* RFC 8684 §3.7: data without a mapping on the first
                                 * subflow means a middlebox removed the options. */
                                st->mptcp->ctr.MPTcpExtMPCapableDataFallback++;
                                mptcp_do_fallback(msk);
                                sf->fb_rx = (struct mptcp_map){.dsn = msk->rcv_nxt, .ssn = seq};
                                sf->has_fb_rx = 1;
                                continue;
                        }
                        st->mptcp->ctr.MPTcpExtDSSNoMatchTCP++;
                        mptcp_subflow_reset(sf, MPTCP_RST_EMPTCP);
                        break;
                }
                uint32_t off = seq - m->ssn;
                uint64_t dsn = m->dsn + off;
                uint32_t n = avail;
                int whole = msk->csum && !msk->fallback && m->frozen;
                if (m != &sf->fb_rx && n > map_bytes(m) - off)
                        n = map_bytes(m) - off;
                if (whole && (off || avail < map_bytes(m)))
                        break; /* a checksummed mapping is checked whole */
                if (n > PULL_CHUNK)
                        n = PULL_CHUNK;
                /* What does not fit the receive queue waits in the subflow, TCP-acknowledged,
                 * until the reader makes room: dropping it would leave a hole only the peer's
                 * data-level retransmission fills, which Linux sends once per timeout (a
                 * relayed download crawled at 1 Mbit/s). Bytes that fill the hole at rcv_nxt
                 * always find room, since room ends past rcv_nxt until the reader is behind. */
                uint64_t room_end = msk->rcv_nxt - msk->rcv.len + msk->rcv.cap;
                int prune = 0;
                if (dsn_gt(dsn + n, room_end) && dsn_gt(dsn + n, msk->rcv_nxt)) {
                        /* Only what the peer may have been offered waits: every window we
                         * announce is at most the buffer, from a DATA_ACK no later than rcv_nxt.
                         * Bytes past that, or a subflow already holding two buffers' worth,
                         * are the peer's doing, not the reader's slowness: they go, or a peer
                         * could pin subflow memory for as long as the connection lives. */
                        if (!msk->fallback && (dsn_gt(dsn + n, msk->rcv_nxt + msk->rcv.cap) ||
                                               avail > 2 * msk->rcv.cap))
                                prune = 1; /* (after a fallback, the subflow is the stream) */
                        else if (!dsn_lt(dsn, room_end) || whole)
                                break;
                        else
                                n = (uint32_t)(room_end - dsn);
                }
                sf->rcv_read += n;
                total += n;
                struct mptcp_map done = *m;
                if (m != &sf->fb_rx && off + n == map_bytes(m))
                        drop_map(sf, (int)(m - sf->rx));
                if (prune) {
                        sf->bytes_received += n;
                        st->mptcp->ctr.MPTcpExtRcvPruned++;
                        um_tcp_read_ring(sf->tcp, NULL, 0, n);
                        continue;
                }
                /* A checksummed mapping is checked where TCP holds it, before it moves. */
                if (whole && mptcp_dss_csum_ring(done.dsn, done.ssn - um_tcp_irs(sf->tcp),
                                                 (uint16_t)done.len, um_tcp_rcv_ring(sf->tcp), 0, n,
                                                 done.csum)) {
                        um_tcp_read_ring(sf->tcp, NULL, 0, n);
                        csum_failed(sf, &done);
                        continue;
                }
                sf->bytes_received += n;
                place(sf, dsn, n);
        }
        if (msk->fallback && um_tcp_fin_received(sf->tcp) && !um_tcp_readable(sf->tcp) &&
            sf == msk->first && !msk->rcv_shutdown) {
                msk->rcv_shutdown = 1;
                mptcp_msk_wake(msk);
        }
        if (sf->closing && total && !um_tcp_readable(sf->tcp))
                mptcp_reap_rearm(msk); /* drained: the subflow may go now */
        return total;
}

void mptcp_subflow_data_ready(struct mptcp_subflow *sf)
{
        pull(sf);
}

void mptcp_rcv_pull_all(struct mptcp_sock *msk)
{
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                if (um_tcp_readable(sf->tcp) || um_tcp_fin_received(sf->tcp))
                        pull(sf);
}

void mptcp_window_update(struct mptcp_sock *msk)
{
        uint64_t before = msk->rcv_nxt;
        mptcp_rcv_pull_all(msk);
        int sent = 0;
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                sent |= um_tcp_window_update(sf->tcp);
        if (sent || msk->rcv_nxt == before)
                return;
        /* Bytes that waited in a subflow for the reader's room came in and moved the
         * DATA_ACK, yet no subflow's own window opened enough for an update: the peer hears
         * of it now, not with its next data, which it may be holding back for this very
         * DATA_ACK (it would wait for its data-level retransmission timeout). */
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                if (mptcp_subflow_usable(sf)) {
                        um_tcp_send_pure_ack(sf->tcp);
                        return;
                }
}
