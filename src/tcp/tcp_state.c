/* A connection's state changes and the wake-ups they cause: counted, told to its ULP, and
 * notified to the socket above. */
#include "tcp/tcp.h"

void tcp_notify(struct um_tcp_conn *c)
{
        if (c->notify)
                c->notify(c, c->notify_arg);
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
