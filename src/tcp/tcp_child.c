/* A listener's child, made from a SYN with the listener's settings and registered in
 * SYN_RECEIVED; and the options a SYN or SYN/ACK settles (tcp_negotiate, shared with the
 * active open). */
#include "tcp/tcp_input_int.h"
#include "net/ip.h"

#include <errno.h>

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
void tcp_negotiate(struct um_tcp_conn *c, const struct tcp_seg *s, int passive)
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

int tcp_child_register(struct um_tcp_conn *l, struct um_tcp_conn *c, const struct tcp_seg *syn)
{
        c->state = TCPS_SYN_RECEIVED;
        l->n_embryonic++;
        tcp_hash_insert(c);
        if ((l->ulp && l->ulp->clone && l->ulp->clone(l, c) < 0) ||
            (syn && tcp_dispatch_options(c, syn) < 0)) {
                tcp_done(c, ECONNABORTED);
                return -1;
        }
        if (c->ulp && c->ulp->handshake)
                c->ulp->handshake(c, syn ? UM_TCP_HS_SYN_RECEIVED : UM_TCP_HS_COOKIE_ACK,
                                  syn ? &syn->info : NULL);
        if (c->dead)
                return -1;
        l->st->tcp->ctr.TcpPassiveOpens++;
        return 0;
}

struct um_tcp_conn *tcp_child_new(struct um_tcp_conn *l, const struct tcp_seg *s)
{
        struct um_stack *st = l->st;
        struct um_tcp_conn *c = tcp_conn_new(st);
        if (!c)
                return NULL;
        c->laddr = *s->dst;
        c->raddr = *s->src;
        tcp_set_lport(c, s->dport);
        c->rport = s->sport;
        /* Answer through the interface the SYN came in on: with several paths between two
         * hosts, a subflow's packets then stay on the path it was opened on. */
        c->ifindex = s->ifindex;
        c->parent = l;
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
        c->adv_mss = mss_for_route(c);
        c->rcv_wscale = wscale_for(c->rcvbuf_max);
        if (s->info.flags & UM_TH_SYN)
                tcp_negotiate(c, s, 1);
        return c;
}
