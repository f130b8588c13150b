/* SYN cookies (RFC 4987 §3.6): when a listener's SYN queue is full, the SYN/ACK carries
 * the connection's state in its ISN and nothing is kept; a returning ACK that proves it
 * creates the connection. ISN = 5-bit time counter | 3-bit MSS index | 24-bit keyed hash
 * of the 4-tuple, the peer's ISN, the counter and the index. With timestamps, window scale
 * and SACK ride in the low 6 bits of our timestamp value (the way Linux does it). */
#include "core/siphash.h"
#include "tcp/tcp_input_int.h"

#include <errno.h>
#include <string.h>

enum {
        COOKIE_PERIOD_US = 64 * 1000000, /* a counter tick; cookies live two ticks */
        TS_OPT_BITS = 6,
        TS_HAS_OPTS = 1 << 5,
        TS_SACK = 1 << 4,
        TS_NO_WSCALE = 15,
};

static const uint16_t mss_table[8] = {536, 1200, 1220, 1360, 1400, 1440, 1452, 1460};

static uint32_t keyed_hash(const struct um_tcp_conn *c, const struct um_addr *la, uint16_t lp,
                           const struct um_addr *ra, uint16_t rp, uint32_t extra, uint8_t tag)
{
        uint8_t msg[41];
        msg[0] = tag;
        size_t n = 1 + tcp_tuple_bytes(msg + 1, la, lp, ra, rp);
        um_put_be32(msg + n, extra);
        return (uint32_t)um_siphash(tcp_of(c)->secret + 16, msg, n + 4);
}

static uint32_t cookie_for(const struct um_tcp_conn *l, const struct tcp_seg *s, uint32_t irs,
                           uint32_t counter, uint32_t mss_idx)
{
        uint32_t h = keyed_hash(l, s->dst, s->dport, s->src, s->sport,
                                irs ^ (counter << 27) ^ (mss_idx << 24), 'C');
        return counter << 27 | mss_idx << 24 | (h & 0xffffff);
}

/* A timestamp offset the cookie connection keeps, so later timestamps follow the SYN/ACK's. */
static uint32_t ts_offset_for(const struct um_tcp_conn *l, const struct tcp_seg *s)
{
        return keyed_hash(l, s->dst, s->dport, s->src, s->sport, 0, 'T');
}

static uint32_t counter_now(const struct um_stack *st)
{
        return (uint32_t)(st->now / COOKIE_PERIOD_US) & 31;
}

void tcp_syncookie_send(struct um_tcp_conn *l, const struct tcp_seg *s)
{
        struct um_stack *st = l->st;
        /* A short-lived connection block only to build the SYN/ACK; it is never hashed. */
        struct um_tcp_conn *c = tcp_child_new(l, s);
        if (!c) {
                st->tcp->ctr.TcpExtListenDrops++;
                return;
        }
        uint16_t peer = s->o.has_mss ? s->o.mss : TCP_MSS_DEFAULT_V4;
        uint16_t mss = peer < c->adv_mss ? peer : c->adv_mss;
        uint32_t idx = 0;
        while (idx < 7 && mss_table[idx + 1] <= mss)
                idx++;
        c->irs = s->info.seq;
        c->rcv_nxt = c->rcv_adv = s->info.seq + 1;
        c->iss = cookie_for(l, s, s->info.seq, counter_now(st), idx);
        c->snd_una = c->iss;
        c->snd_nxt = c->iss + 1;
        c->ts_offset = ts_offset_for(l, s);
        if (c->ts_ok) {
                /* The options the connection will need, in our timestamp, kept just below
                 * the clock so that later timestamps are never older. */
                uint32_t bits = TS_HAS_OPTS | (c->sack_ok ? TS_SACK : 0) |
                                (c->ws_ok ? c->snd_wscale : TS_NO_WSCALE);
                uint32_t mask = (1u << TS_OPT_BITS) - 1, ts = tcp_ts_now(c);
                uint32_t cookie_ts = (ts & ~mask) - (1u << TS_OPT_BITS) + bits;
                c->ts_offset += cookie_ts - ts;
        }
        st->tcp->ctr.TcpExtSyncookiesSent++;
        c->state = TCPS_SYN_RECEIVED;
        c->parent = NULL;
        c->orphan = 1;
        /* Extensions answer in the SYN/ACK too, from the SYN alone. */
        if ((!l->ulp || !l->ulp->clone || l->ulp->clone(l, c) == 0) &&
            tcp_dispatch_options(c, s) == 0) {
                if (c->ulp && c->ulp->handshake)
                        c->ulp->handshake(c, UM_TCP_HS_SYN_COOKIE, &s->info);
                if (!c->dead)
                        tcp_send_syn(c);
        }
        c->state = TCPS_CLOSED;
        tcp_done(c, 0);
}

struct um_tcp_conn *tcp_syncookie_ack(struct um_tcp_conn *l, const struct tcp_seg *s)
{
        struct um_stack *st = l->st;
        uint32_t cookie = s->info.ack - 1;
        uint32_t counter = cookie >> 27, idx = (cookie >> 24) & 7;
        uint32_t age = (counter_now(st) - counter) & 31;
        if (age > 1 || cookie_for(l, s, s->info.seq - 1, counter, idx) != cookie) {
                st->tcp->ctr.TcpExtSyncookiesFailed++;
                return NULL;
        }
        if (l->n_acceptq >= l->backlog) {
                st->tcp->ctr.TcpExtListenOverflows++;
                st->tcp->ctr.TcpExtListenDrops++;
                return NULL;
        }
        struct um_tcp_conn *c = tcp_child_new(l, s);
        if (!c)
                return NULL;
        c->irs = s->info.seq - 1;
        c->rcv_nxt = s->info.seq;
        c->rcv_adv = c->rcv_nxt;
        c->iss = cookie;
        c->snd_una = cookie;
        c->snd_nxt = cookie + 1;
        c->retries = 1; /* the SYN/ACK's send time is not kept: no RTT sample (Karn) */
        c->ts_offset = ts_offset_for(l, s);
        c->mss = mss_table[idx] < c->adv_mss ? mss_table[idx] : c->adv_mss;
        /* What the SYN negotiated, as far as the cookie kept it. */
        uint32_t bits = s->o.has_ts ? s->o.tsecr & ((1u << TS_OPT_BITS) - 1) : 0;
        c->ts_ok = s->o.has_ts && (bits & TS_HAS_OPTS);
        c->sack_ok = c->ts_ok && (bits & TS_SACK);
        c->ws_ok = c->ts_ok && (bits & 15) != TS_NO_WSCALE;
        c->snd_wscale = c->ws_ok ? (uint8_t)(bits & 15) : 0;
        if (!c->ws_ok)
                c->rcv_wscale = 0;
        if (c->ts_ok) {
                c->ts_recent = s->o.tsval;
                c->ts_recent_time = st->now;
        }
        c->snd_wnd = (uint32_t)s->wnd << c->snd_wscale;
        c->max_snd_wnd = c->snd_wnd;
        c->snd_wl1 = s->info.seq;
        c->snd_wl2 = s->info.ack;
        /* The child is in SYN_RECEIVED now: the ACK completes its handshake as any other
         * child's, its options going to their handlers then. */
        if (tcp_child_register(l, c, NULL) < 0)
                return NULL;
        st->tcp->ctr.TcpExtSyncookiesRecv++;
        return c;
}
