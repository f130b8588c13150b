/* Per-connection timers: each connection keeps one deadline per kind and arms a single
 * stack timer at the earliest of them. What runs when one expires is in tcp_timeouts.c. */
#include "tcp/tcp.h"

#include <errno.h>

void tcp_timer_init(struct um_tcp_conn *c)
{
        um_timer_init(&c->timer, tcp_of(c)->conn_timer_fn);
}

void tcp_timer_rearm(struct um_tcp_conn *c)
{
        uint64_t next = UINT64_MAX;
        for (int k = 0; k < TCP_T_COUNT; k++)
                if (c->deadline[k] && c->deadline[k] < next)
                        next = c->deadline[k];
        if (next == UINT64_MAX)
                um_timer_cancel(&c->st->timers, &c->timer);
        else if (!um_timer_armed(&c->timer) || c->timer.at != next)
                um_timer_arm(&c->st->timers, &c->timer, next);
}

void tcp_timer_set(struct um_tcp_conn *c, enum tcp_timer_kind k, uint64_t at)
{
        if (c->dead || c->state == TCPS_CLOSED)
                return;
        c->deadline[k] = at ? at : 1;
        tcp_timer_rearm(c);
}

void tcp_timer_clear(struct um_tcp_conn *c, enum tcp_timer_kind k)
{
        if (!c->deadline[k])
                return;
        c->deadline[k] = 0;
        tcp_timer_rearm(c);
}

void tcp_rearm_rto(struct um_tcp_conn *c)
{
        if (tcp_flight_size(c) || c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED)
                tcp_timer_set(c, TCP_T_RTO, c->st->now + c->rto_us);
        else
                tcp_timer_clear(c, TCP_T_RTO);
}

void tcp_arm_keepalive(struct um_tcp_conn *c)
{
        if (!c->keepalive || c->state < TCPS_ESTABLISHED || c->state == TCPS_TIME_WAIT) {
                tcp_timer_clear(c, TCP_T_KEEPALIVE);
                return;
        }
        c->probes = c->deadline[TCP_T_PERSIST] ? c->probes : 0;
        tcp_timer_set(c, TCP_T_KEEPALIVE, c->st->now + (uint64_t)c->keep_idle_s * 1000000);
}

/* RFC 8985 §7.2: the tail loss probe's timeout. */
void tcp_arm_tlp(struct um_tcp_conn *c)
{
        if (!c->sack_ok || c->in_recovery || c->rto_recovery || c->tlp_outstanding ||
            !tcp_flight_size(c)) {
                tcp_timer_clear(c, TCP_T_TLP);
                return;
        }
        /* RFC 8985 §7.2. */
        uint64_t pto = c->srtt_us ? 2 * c->srtt_us : TCP_INIT_RTO_US;
        if (c->txq.n == 1)
                pto += TCP_DELACK_US * 5; /* WCDelAckT = 200 ms */
        if (pto < TCP_TLP_MIN_US)
                pto = TCP_TLP_MIN_US;
        if (pto > c->rto_us)
                pto = c->rto_us;
        tcp_timer_set(c, TCP_T_TLP, c->st->now + pto);
}
