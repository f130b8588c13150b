/* TIME_WAIT as a record of its own (RFC 9293 §3.3.2, §3.10.7.4). Once no socket can read a
 * connection any more, its 2*MSL wait needs only what answers the peer's late segments:
 * the 4-tuple, both sequence numbers, the timestamps and the window. The connection
 * becomes such a record at the end of the poll in which it was both orphaned and in
 * TIME_WAIT (so that the ACK of the peer's FIN leaves first), and its control block and
 * extension context are freed. */
#include "core/bytes.h"
#include "tcp/tcp_input_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct tcp_tw {
        LIST_ENTRY(tcp_tw) hash_link;
        LIST_ENTRY(tcp_tw) port_link;
        TAILQ_ENTRY(tcp_tw) expiry_link;
        uint64_t expires;
        struct um_addr laddr, raddr;
        uint16_t lport, rport;
        uint32_t snd_nxt, rcv_nxt;
        uint32_t ts_recent, ts_offset;
        uint16_t wnd; /* the window field of our ACKs */
        int8_t ifindex;
        uint8_t ts_ok : 1;
};

_Static_assert(sizeof(struct tcp_tw) <= 128, "a TIME_WAIT record stays small");

enum { TW_FIRST_BUCKETS = 256 };

static struct tcp_tw_chain *chain_of(struct um_tcp_stack *t, const struct um_addr *laddr,
                                     uint16_t lport, const struct um_addr *raddr, uint16_t rport)
{
        return &t->tw.hash[tcp_tuple_hash(t, laddr, lport, raddr, rport) & t->tw.hash_mask];
}

static struct tcp_tw_chain *bucket_of(struct um_tcp_stack *t, const struct tcp_tw *w)
{
        return chain_of(t, &w->laddr, w->lport, &w->raddr, w->rport);
}

/* Twice the buckets when there are more records than buckets; without memory for it the
 * chains grow longer and nothing is lost. */
static int table_make_room(struct um_tcp_stack *t)
{
        struct tcp_tw_table *tw = &t->tw;
        if (tw->hash && tw->n < tw->hash_mask + 1)
                return 0;
        uint32_t old_n = tw->hash ? tw->hash_mask + 1 : 0;
        uint32_t new_n = old_n ? 2 * old_n : TW_FIRST_BUCKETS;
        struct tcp_tw_chain *old = tw->hash, *h = calloc(new_n, sizeof(*h));
        if (!h)
                return old ? 0 : -ENOMEM;
        tw->hash = h;
        tw->hash_mask = new_n - 1;
        for (uint32_t i = 0; i < old_n; i++)
                while (!LIST_EMPTY(&old[i])) {
                        struct tcp_tw *w = LIST_FIRST(&old[i]);
                        LIST_REMOVE(w, hash_link);
                        LIST_INSERT_HEAD(bucket_of(t, w), w, hash_link);
                }
        free(old);
        return 0;
}

static void tw_free(struct um_tcp_stack *t, struct tcp_tw *w)
{
        LIST_REMOVE(w, hash_link);
        LIST_REMOVE(w, port_link);
        TAILQ_REMOVE(&t->tw.expiry, w, expiry_link);
        t->tw.n--;
        free(w);
}

static void arm(struct um_stack *st)
{
        struct tcp_tw_table *tw = &st->tcp->tw;
        struct tcp_tw *first = TAILQ_FIRST(&tw->expiry);
        if (first)
                um_timer_arm(&st->timers, &tw->timer, first->expires);
        else
                um_timer_cancel(&st->timers, &tw->timer);
}

static void expire(struct um_timer *timer, uint64_t now)
{
        struct tcp_tw_table *tw =
            (struct tcp_tw_table *)((char *)timer - offsetof(struct tcp_tw_table, timer));
        struct um_tcp_stack *t = tw->st->tcp;
        struct tcp_tw *w;
        while ((w = TAILQ_FIRST(&tw->expiry)) && w->expires <= now)
                tw_free(t, w);
        arm(tw->st);
}

int tcp_tw_from_conn(struct um_tcp_conn *c)
{
        struct um_stack *st = c->st;
        struct um_tcp_stack *t = st->tcp;
        struct tcp_tw *w = calloc(1, sizeof(*w));
        if (!w || table_make_room(t) < 0) {
                free(w);
                return -ENOMEM;
        }
        w->laddr = c->laddr;
        w->raddr = c->raddr;
        w->lport = c->lport;
        w->rport = c->rport;
        w->snd_nxt = c->snd_nxt;
        w->rcv_nxt = c->rcv_nxt;
        w->ts_ok = c->ts_ok;
        w->ts_recent = c->ts_recent;
        w->ts_offset = c->ts_offset;
        w->ifindex = (int8_t)c->ifindex;
        uint32_t scaled = tcp_adv_window(c) >> c->rcv_wscale;
        w->wnd = scaled > 65535 ? 65535 : (uint16_t)scaled;
        w->expires =
            c->deadline[TCP_T_LINGER] ? c->deadline[TCP_T_LINGER] : st->now + 2 * t->msl_us;
        LIST_INSERT_HEAD(bucket_of(t, w), w, hash_link);
        LIST_INSERT_HEAD(&t->tw.ports[w->lport % TCP_PORT_BUCKETS], w, port_link);
        /* Waits are all 2*MSL long, so a new one goes last; one whose expiry came from an
         * earlier restart may need to go further up. */
        struct tcp_tw *after = TAILQ_LAST(&t->tw.expiry, tcp_tw_expiry);
        while (after && after->expires > w->expires)
                after = TAILQ_PREV(after, tcp_tw_expiry, expiry_link);
        if (after)
                TAILQ_INSERT_AFTER(&t->tw.expiry, after, w, expiry_link);
        else
                TAILQ_INSERT_HEAD(&t->tw.expiry, w, expiry_link);
        t->tw.n++;
        arm(st);
        return 0;
}

struct tcp_tw *tcp_tw_lookup(struct um_stack *st, const struct um_addr *laddr, uint16_t lport,
                             const struct um_addr *raddr, uint16_t rport)
{
        struct um_tcp_stack *t = st->tcp;
        if (!t->tw.n)
                return NULL;
        struct tcp_tw *w;
        LIST_FOREACH(w, chain_of(t, laddr, lport, raddr, rport), hash_link)
        if (w->lport == lport && w->rport == rport && um_addr_eq(&w->laddr, laddr) &&
            um_addr_eq(&w->raddr, raddr))
                return w;
        return NULL;
}

int tcp_tw_port_in_use(struct um_stack *st, const struct um_addr *a, uint16_t port)
{
        struct tcp_tw *w;
        LIST_FOREACH(w, &st->tcp->tw.ports[port % TCP_PORT_BUCKETS], port_link)
        if (w->lport == port &&
            (um_addr_is_any(&w->laddr) || um_addr_is_any(a) || um_addr_eq(&w->laddr, a)))
                return 1;
        return 0;
}

/* An ACK from the record: our next sequence number, the peer's, the last window, and the
 * timestamps when they were negotiated (RFC 7323 §3.2: on every segment). */
static void send_ack(struct um_stack *st, const struct tcp_tw *w)
{
        uint8_t opt[12];
        unsigned optlen = 0;
        if (w->ts_ok) {
                opt[0] = opt[1] = 1;
                opt[2] = 8;
                opt[3] = 10;
                um_put_be32(opt + 4, (uint32_t)(st->now / 1000) + w->ts_offset);
                um_put_be32(opt + 8, w->ts_recent);
                optlen = 12;
        }
        tcp_respond(st, w->ifindex, &w->laddr, &w->raddr, w->lport, w->rport, w->snd_nxt,
                    w->rcv_nxt, UM_TH_ACK, w->wnd, opt, optlen);
}

int tcp_tw_input(struct um_stack *st, struct tcp_tw *w, const struct tcp_seg *s)
{
        struct um_tcp_stack *t = st->tcp;
        uint8_t f = s->info.flags;
        uint32_t seq = s->info.seq;
        int newer_ts = w->ts_ok && s->o.has_ts && (int32_t)(s->o.tsval - w->ts_recent) > 0;
        if (f & UM_TH_RST) {
                /* RFC 5961 §3.2: only a reset at exactly the next sequence number ends it. */
                if (seq == w->rcv_nxt) {
                        tw_free(t, w);
                        arm(st);
                }
                return 0;
        }
        /* RFC 7323 §5.3: PAWS. */
        if (w->ts_ok && s->o.has_ts && (int32_t)(s->o.tsval - w->ts_recent) < 0) {
                t->ctr.TcpExtPAWSEstab++;
                send_ack(st, w);
                return 0;
        }
        if ((f & UM_TH_SYN) && !(f & UM_TH_ACK)) {
                /* RFC 9293 §3.10.7.4 and RFC 6191: a new incarnation whose SYN is beyond
                 * the old one's sequence space, or newer by its timestamp, ends the wait
                 * and goes to the listener. */
                if (w->ts_ok && s->o.has_ts ? newer_ts : seq_gt(seq, w->rcv_nxt)) {
                        tw_free(t, w);
                        arm(st);
                        return 1;
                }
                send_ack(st, w);
                return 0;
        }
        if (s->o.has_ts && seq_leq(seq, w->rcv_nxt) && newer_ts)
                w->ts_recent = s->o.tsval;
        if (f & UM_TH_FIN) {
                /* The peer did not get the ACK of its FIN: ACK it again and wait 2*MSL
                 * from now (RFC 9293 §3.10.7.4). */
                TAILQ_REMOVE(&t->tw.expiry, w, expiry_link);
                w->expires = st->now + 2 * t->msl_us;
                TAILQ_INSERT_TAIL(&t->tw.expiry, w, expiry_link);
                arm(st);
                send_ack(st, w);
                return 0;
        }
        /* Data, or a segment outside the window, is answered with an ACK; a bare ACK at the
         * right place needs nothing. */
        if (s->info.len || seq != w->rcv_nxt)
                send_ack(st, w);
        return 0;
}

void tcp_tw_init(struct um_stack *st)
{
        struct tcp_tw_table *tw = &st->tcp->tw;
        TAILQ_INIT(&tw->expiry);
        LIST_INIT(&tw->pending);
        um_timer_init(&tw->timer, expire);
        tw->st = st;
}

void tcp_tw_free_all(struct um_stack *st)
{
        struct um_tcp_stack *t = st->tcp;
        while (!TAILQ_EMPTY(&t->tw.expiry))
                tw_free(t, TAILQ_FIRST(&t->tw.expiry));
        um_timer_cancel(&st->timers, &t->tw.timer);
        free(t->tw.hash);
        t->tw.hash = NULL;
}
