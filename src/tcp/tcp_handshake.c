/* Opening a connection: a listener's SYNs (a bounded SYN queue, then cookies), active open
 * and simultaneous open (RFC 9293 §3.5), and the move to ESTABLISHED. Option negotiation
 * (MSS, RFC 7323 window scale and timestamps, RFC 2018 SACK) is in tcp_child.c. */
#include "tcp/tcp_input_int.h"
#include "tcp/tcp_cc.h"
#include "net/ip.h"

#include <errno.h>

void tcp_become_established(struct um_tcp_conn *c)
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
                c->ulp->handshake(c, UM_TCP_HS_ESTABLISHED, NULL);
}

void tcp_syn_acked(struct um_tcp_conn *c, const struct tcp_seg *s, uint32_t wnd)
{
        c->snd_una = s->info.ack;
        c->snd_wnd = wnd;
        c->max_snd_wnd = wnd;
        c->snd_wl1 = s->info.seq;
        c->snd_wl2 = s->info.ack;
        if (!c->retries) /* Karn: a retransmitted SYN gives no sample */
                tcp_rtt_sample(c, c->st->now - c->syn_xmit_us);
        c->retries = 0;
        c->backoff = 0;
        tcp_timer_clear(c, TCP_T_RTO);
}

struct um_tcp_conn *tcp_listen_input(struct um_tcp_conn *l, const struct tcp_seg *s)
{
        struct um_stack *st = l->st;
        uint8_t f = s->info.flags;
        if (f & UM_TH_RST)
                return NULL;
        if (f & UM_TH_ACK) {
                /* Either the answer to a SYN cookie, or nothing we know. */
                struct um_tcp_conn *c = (f & UM_TH_SYN) ? NULL : tcp_syncookie_ack(l, s);
                if (!c && !l->dead)
                        tcp_reset_for(st, s);
                return c;
        }
        if (!(f & UM_TH_SYN) || (f & UM_TH_FIN))
                return NULL;
        if (l->n_acceptq >= l->backlog) {
                st->tcp->ctr.TcpExtListenOverflows++;
                st->tcp->ctr.TcpExtListenDrops++;
                return NULL;
        }
        /* A full SYN queue answers with a cookie and keeps nothing: a flood cannot exhaust
         * memory, and real clients still get through. */
        if (l->n_embryonic >= l->backlog) {
                tcp_syncookie_send(l, s);
                return NULL;
        }
        struct um_tcp_conn *c = tcp_child_new(l, s);
        if (!c) {
                st->tcp->ctr.TcpExtListenDrops++;
                return NULL;
        }
        c->ts_offset = (uint32_t)um_rng_u64(&st->rng);
        c->irs = s->info.seq;
        c->rcv_nxt = s->info.seq + 1;
        c->rcv_adv = c->rcv_nxt;
        c->iss = tcp_isn(c);
        c->snd_una = c->iss;
        c->snd_nxt = c->iss + 1;
        c->snd_wnd = s->wnd;
        c->max_snd_wnd = s->wnd;
        c->snd_wl1 = s->info.seq;
        if (tcp_child_register(l, c, s) < 0)
                return NULL;
        c->syn_xmit_us = st->now;
        tcp_send_syn(c);
        tcp_rearm_rto(c);
        return NULL;
}

void tcp_synsent_input(struct um_tcp_conn *c, const struct tcp_seg *s)
{
        struct um_stack *st = c->st;
        uint8_t f = s->info.flags;
        uint32_t ack = s->info.ack;
        if (f & UM_TH_ACK) {
                if (seq_leq(ack, c->iss) || seq_gt(ack, c->snd_nxt)) {
                        if (!(f & UM_TH_RST))
                                tcp_reset_for(st, s);
                        return;
                }
        }
        if (f & UM_TH_RST) {
                if (f & UM_TH_ACK) {
                        st->tcp->ctr.TcpAttemptFails++;
                        tcp_done(c, ECONNREFUSED);
                }
                return;
        }
        if (!(f & UM_TH_SYN))
                return;
        c->irs = s->info.seq;
        c->rcv_nxt = s->info.seq + 1;
        c->rcv_adv = c->rcv_nxt;
        tcp_negotiate(c, s, 0);
        if (tcp_dispatch_options(c, s) < 0) {
                tcp_send_rst(c);
                tcp_done(c, ECONNABORTED);
                return;
        }
        if (f & UM_TH_ACK) {
                tcp_syn_acked(c, s, s->wnd); /* RFC 7323 §2.2: a SYN's window is not scaled */
                if (c->ulp && c->ulp->handshake)
                        c->ulp->handshake(c, UM_TCP_HS_SYNACK_RECEIVED, &s->info);
                tcp_become_established(c);
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

void tcp_accept_child(struct um_tcp_conn *c)
{
        struct um_tcp_conn *l = c->parent;
        l->n_embryonic--;
        l->n_acceptq++;
        STAILQ_INSERT_TAIL(&l->acceptq, c, aq_link);
        tcp_notify(l);
}
