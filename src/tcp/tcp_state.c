/* A connection's state changes and the wake-ups they cause: counted, told to its ULP,
 * notified to the socket above, and, for an orphan entering TIME_WAIT, filed to become a
 * TIME_WAIT record at the poll's end (tcp_reap). */
#include "tcp/tcp.h"

void tcp_notify(struct um_tcp_conn *c)
{
        if (c->notify)
                c->notify(c, c->notify_arg);
}

void tcp_tw_schedule(struct um_tcp_conn *c)
{
        if (!c->tw_link.le_prev)
                LIST_INSERT_HEAD(&tcp_of(c)->tw.pending, c, tw_link);
}

void tcp_tw_unschedule(struct um_tcp_conn *c)
{
        if (c->tw_link.le_prev) {
                LIST_REMOVE(c, tw_link);
                c->tw_link.le_prev = NULL;
        }
}

void tcp_set_state(struct um_tcp_conn *c, enum tcp_state s)
{
        enum tcp_state old = c->state;
        if (old == s)
                return;
        c->state = s;
        if (s == TCPS_TIME_WAIT) {
                c->st->tcp->ctr.TcpExtTW++;
                /* Both FINs are acknowledged (the send ring went when its last byte was):
                 * what was received stays only until it is read. */
                if (!c->reass.n)
                        um_ring_release(&c->rcvbuf, &c->st->rings);
                if (c->orphan)
                        tcp_tw_schedule(c);
        }
        if (c->ulp && c->ulp->state_change)
                c->ulp->state_change(c, (int)old, (int)s);
        tcp_notify(c);
}
