/* What a connection's timer does when a deadline expires (tcp_timer.c keeps them):
 * retransmission with backoff (RFC 6298 §5.5), delayed ACK, zero-window probes
 * (RFC 9293 §3.8.6.1), keepalive, the end of TIME_WAIT and FIN_WAIT_2, RACK's reordering
 * window and the tail loss probe (RFC 8985). */
#include "tcp/tcp.h"

#include <errno.h>

static void backoff_rto(struct um_tcp_conn *c)
{
        c->rto_us *= 2;
        if (c->rto_us > TCP_MAX_RTO_US)
                c->rto_us = TCP_MAX_RTO_US;
        c->backoff++;
}

static void on_rto(struct um_tcp_conn *c)
{
        struct um_stack *st = c->st;
        if (c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED) {
                if (++c->retries > TCP_SYN_RETRIES) {
                        st->tcp->ctr.TcpAttemptFails++;
                        if (c->state == TCPS_SYN_RECEIVED)
                                c->orphan = c->orphan || c->parent != NULL;
                        tcp_done(c, ETIMEDOUT);
                        return;
                }
                backoff_rto(c);
                st->tcp->ctr.TcpExtTCPTimeouts++;
                tcp_send_syn(c);
                tcp_rearm_rto(c);
                return;
        }
        if (!tcp_flight_size(c))
                return;
        if (++c->retries > TCP_DATA_RETRIES) {
                st->tcp->ctr.TcpExtTCPAbortOnTimeout++;
                tcp_send_rst(c);
                tcp_done(c, ETIMEDOUT);
                return;
        }
        st->tcp->ctr.TcpExtTCPTimeouts++;
        tcp_on_rto(c);
        backoff_rto(c);
        tcp_output(c);
        tcp_rearm_rto(c);
}

static void on_persist(struct um_tcp_conn *c)
{
        if (c->sndbuf.len <= tcp_flight_size(c))
                return;
        if (c->snd_wnd && !tcp_flight_size(c)) {
                /* A small window the SWS rule would not use: send what fits (§3.8.6.2.1). */
                c->force_send = 1;
                tcp_output(c);
                c->force_send = 0;
                if (tcp_flight_size(c))
                        return;
        }
        /* RFC 9293 §3.8.6.1: probe the zero window for as long as the peer answers. */
        c->st->tcp->ctr.TcpExtTCPWinProbe++;
        tcp_send_probe(c);
        uint64_t rto = c->rto_us << (c->probes < 6 ? c->probes : 6);
        if (rto > TCP_MAX_RTO_US)
                rto = TCP_MAX_RTO_US;
        c->probes++;
        tcp_timer_set(c, TCP_T_PERSIST, c->st->now + rto);
}

static void on_keepalive(struct um_tcp_conn *c)
{
        uint64_t now = c->st->now;
        uint64_t idle = (uint64_t)c->keep_idle_s * 1000000;
        if (tcp_flight_size(c) || c->sndbuf.len > tcp_flight_size(c)) {
                /* Data in flight: the retransmission timer watches the peer. */
                tcp_timer_set(c, TCP_T_KEEPALIVE, now + idle);
                return;
        }
        if (now - c->last_recv_us < idle && !c->probes) {
                tcp_timer_set(c, TCP_T_KEEPALIVE, c->last_recv_us + idle);
                return;
        }
        if (c->probes >= c->keep_cnt) {
                c->st->tcp->ctr.TcpExtTCPAbortOnTimeout++;
                tcp_send_rst(c);
                tcp_done(c, ETIMEDOUT);
                return;
        }
        c->st->tcp->ctr.TcpExtTCPKeepAlive++;
        c->probes++;
        tcp_send_probe(c);
        tcp_timer_set(c, TCP_T_KEEPALIVE, now + (uint64_t)c->keep_intvl_s * 1000000);
}

void tcp_timeouts_fire(struct um_timer *t, uint64_t now)
{
        struct um_tcp_conn *c =
            (struct um_tcp_conn *)((char *)t - offsetof(struct um_tcp_conn, timer));
        for (int k = 0; k < TCP_T_COUNT && !c->dead && c->state != TCPS_CLOSED; k++) {
                if (!c->deadline[k] || c->deadline[k] > now)
                        continue;
                c->deadline[k] = 0;
                switch ((enum tcp_timer_kind)k) {
                case TCP_T_RTO:
                        on_rto(c);
                        break;
                case TCP_T_DELACK:
                        c->st->tcp->ctr.TcpExtTCPDelayedAcks++;
                        tcp_send_ack(c);
                        break;
                case TCP_T_PERSIST:
                        on_persist(c);
                        break;
                case TCP_T_KEEPALIVE:
                        on_keepalive(c);
                        break;
                case TCP_T_LINGER:
                        tcp_done(c, c->state == TCPS_TIME_WAIT ? 0 : ETIMEDOUT);
                        break;
                case TCP_T_REORDER:
                        tcp_rack_detect(c);
                        tcp_output(c);
                        break;
                case TCP_T_TLP:
                        tcp_on_tlp(c);
                        break;
                default:
                        break;
                }
        }
        if (!c->dead && c->state != TCPS_CLOSED)
                tcp_timer_rearm(c);
}
