/* Application-facing TCP operations: open, bind, listen, connect, send, receive, close. */
#include "tcp/tcp_api.h"
#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

struct um_tcp_conn *tcp_api_open(struct um_stack *st,
                                 void (*notify)(struct um_tcp_conn *c, void *arg), void *arg)
{
        struct um_tcp_conn *c = tcp_conn_new(st);
        if (c)
                tcp_api_set_notify(c, notify, arg);
        return c;
}

void tcp_api_set_notify(struct um_tcp_conn *c, void (*notify)(struct um_tcp_conn *c, void *arg),
                        void *arg)
{
        c->notify = notify;
        c->notify_arg = arg;
}

static int port_in_use(struct um_stack *st, const struct um_tcp_conn *self, const struct um_addr *a,
                       uint16_t port, int reuse)
{
        struct um_tcp_conn *x;
        LIST_FOREACH(x, &st->tcp->ports[port % TCP_PORT_BUCKETS], port_link)
        {
                if (x == self || x->lport != port || x->dead)
                        continue;
                if (!(um_addr_is_any(&x->laddr) || um_addr_is_any(a) || um_addr_eq(&x->laddr, a)))
                        continue;
                /* SO_REUSEADDR lets a socket take a port that only connections (TIME_WAIT
                 * among them) use, not one a listener holds. */
                if (reuse && x->state != TCPS_LISTEN)
                        continue;
                return 1;
        }
        return !reuse && tcp_tw_port_in_use(st, a, port);
}

int tcp_api_bind_address(struct um_tcp_conn *c, const struct um_addr *a)
{
        if (c->state != TCPS_CLOSED || c->lport)
                return -EINVAL;
        if (um_addr_is_any(a) || um_iface_of_addr(c->st, a) < 0)
                return -EADDRNOTAVAIL;
        c->laddr = *a;
        return 0;
}

int tcp_api_bind(struct um_tcp_conn *c, const struct um_addr *a, uint16_t port, int reuse)
{
        if (c->state != TCPS_CLOSED || c->lport)
                return -EINVAL;
        if (!um_addr_is_any(a) && um_iface_of_addr(c->st, a) < 0)
                return -EADDRNOTAVAIL;
        if (!port) {
                struct um_tcp_stack *t = tcp_of(c);
                for (int tries = 0; tries < 60999 - 32768 + 1 && !port; tries++) {
                        uint16_t p = t->next_port;
                        t->next_port = (uint16_t)(p >= 60999 ? 32768 : p + 1);
                        if (!port_in_use(c->st, c, a, p, 0))
                                port = p;
                }
                if (!port)
                        return -EADDRINUSE;
        } else if (port_in_use(c->st, c, a, port, reuse)) {
                return -EADDRINUSE;
        }
        c->laddr = *a;
        tcp_set_lport(c, port);
        return 0;
}

int tcp_api_listen(struct um_tcp_conn *c, int backlog)
{
        if (c->state == TCPS_LISTEN) {
                c->backlog = backlog < 1 ? 1 : backlog;
                return 0;
        }
        if (c->state != TCPS_CLOSED)
                return -EINVAL;
        if (!c->lport) {
                int rc = tcp_api_bind(c, &c->laddr, 0, 0);
                if (rc)
                        return rc;
        }
        c->backlog = backlog < 1 ? 1 : (backlog > 4096 ? 4096 : backlog);
        c->state = TCPS_LISTEN;
        LIST_INSERT_HEAD(&tcp_of(c)->listeners, c, hash_link);
        return 0;
}

int tcp_api_connect(struct um_tcp_conn *c, const struct um_addr *a, uint16_t port)
{
        struct um_stack *st = c->st;
        switch (c->state) {
        case TCPS_CLOSED:
                break;
        case TCPS_SYN_SENT:
        case TCPS_SYN_RECEIVED:
                return -EALREADY;
        case TCPS_LISTEN:
                return -EOPNOTSUPP;
        default:
                return -EISCONN;
        }
        if (c->error)
                return -EINVAL; /* a socket whose connection failed is not reused */
        if (!port || um_addr_is_any(a))
                return -EINVAL;
        if (c->laddr.family && !um_addr_is_any(&c->laddr) && c->laddr.family != a->family)
                return -EAFNOSUPPORT;
        struct um_addr src = um_addr_is_any(&c->laddr) ? (struct um_addr){0} : c->laddr;
        int ifindex = um_route(st, &src, a);
        if (ifindex < 0)
                return ifindex;
        c->laddr = src;
        c->raddr = *a;
        c->rport = port;
        c->ifindex = ifindex;
        if (!c->lport) {
                if (tcp_pick_port(st, c) < 0)
                        return -EADDRNOTAVAIL;
        } else if (tcp_lookup(st, &c->laddr, c->lport, a, port) ||
                   tcp_tw_lookup(st, &c->laddr, c->lport, a, port)) {
                return -EADDRINUSE;
        }
        uint32_t mtu = um_iface_mtu(st, ifindex);
        c->adv_mss = (uint16_t)(mtu - (a->family == AF_INET ? 20 : 40) - TCP_HDR);
        c->mss = c->adv_mss;
        c->rcv_wscale = 0;
        while (c->rcv_wscale < TCP_RCV_WSCALE_MAX &&
               ((uint64_t)65535 << c->rcv_wscale) < c->rcvbuf_max)
                c->rcv_wscale++;
        c->syn_ws = c->syn_sack = c->syn_ts = 1;
        c->ts_offset = (uint32_t)um_rng_u64(&st->rng);
        c->iss = tcp_isn(c);
        c->snd_una = c->iss;
        c->snd_nxt = c->iss + 1;
        c->state = TCPS_SYN_SENT;
        tcp_hash_insert(c);
        st->tcp->ctr.TcpActiveOpens++;
        if (c->ulp && c->ulp->handshake)
                c->ulp->handshake(c, UM_TCP_HS_SYN_SENT, NULL);
        c->syn_xmit_us = st->now;
        tcp_send_syn(c);
        tcp_rearm_rto(c);
        return -EINPROGRESS;
}

struct um_tcp_conn *tcp_api_accept(struct um_tcp_conn *l)
{
        struct um_tcp_conn *c = STAILQ_FIRST(&l->acceptq);
        if (!c)
                return NULL;
        STAILQ_REMOVE_HEAD(&l->acceptq, aq_link);
        l->n_acceptq--;
        c->parent = NULL;
        return c;
}

long tcp_api_send(struct um_tcp_conn *c, const void *buf, size_t len)
{
        if (c->error && c->state == TCPS_CLOSED)
                return -tcp_api_take_error(c);
        switch (c->state) {
        case TCPS_ESTABLISHED:
        case TCPS_CLOSE_WAIT:
                break;
        case TCPS_SYN_SENT:
        case TCPS_SYN_RECEIVED:
                return -EAGAIN;
        case TCPS_CLOSED:
        case TCPS_LISTEN:
                return -ENOTCONN;
        default:
                return -EPIPE;
        }
        if (c->fin_queued)
                return -EPIPE;
        if (len > UINT32_MAX)
                len = UINT32_MAX;
        if (len && um_ring_back(&c->sndbuf, &c->st->rings) < 0)
                return -ENOMEM;
        uint32_t n = um_ring_append(&c->sndbuf, buf, (uint32_t)len);
        if (!n)
                return len ? -EAGAIN : 0;
        tcp_output(c);
        return n;
}

/* A receive ring read to its end, with no out-of-order bytes beyond, gives its memory to
 * the stack's pool until new bytes come. */
static void rcvbuf_drained(struct um_tcp_conn *c)
{
        if (!c->rcvbuf.len && !c->reass.n)
                um_ring_release(&c->rcvbuf, &c->st->rings);
}

long tcp_api_recv(struct um_tcp_conn *c, void *buf, size_t len, int peek)
{
        if (c->state == TCPS_LISTEN)
                return -ENOTCONN;
        if (c->rcvbuf.len) {
                uint32_t n = um_ring_read(&c->rcvbuf, buf, len, peek);
                if (!peek) {
                        rcvbuf_drained(c);
                        tcp_maybe_window_update(c);
                }
                return n;
        }
        if (c->fin_rcvd || c->rd_shut)
                return 0;
        if (c->error)
                return -tcp_api_take_error(c);
        if (c->state == TCPS_CLOSED)
                return c->rcv_nxt ? 0 : -ENOTCONN;
        if (c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED ||
            c->state >= TCPS_ESTABLISHED)
                return -EAGAIN;
        return -ENOTCONN;
}

int tcp_api_shutdown(struct um_tcp_conn *c, int how)
{
        int never_connected = c->state == TCPS_CLOSED && !c->rcv_nxt;
        if (c->state == TCPS_LISTEN || c->state == TCPS_SYN_SENT || never_connected)
                return -ENOTCONN;
        if (c->state == TCPS_CLOSED)
                return 0; /* the connection is over: nothing left to shut */
        if (how == SHUT_RD || how == SHUT_RDWR)
                c->rd_shut = 1;
        if (how == SHUT_WR || how == SHUT_RDWR) {
                if (!c->fin_queued) {
                        c->fin_queued = 1;
                        tcp_output(c);
                }
        }
        tcp_notify(c);
        return 0;
}

void tcp_api_close(struct um_tcp_conn *c)
{
        struct um_stack *st = c->st;
        c->orphan = 1;
        c->notify = NULL;
        c->rd_shut = 1;
        switch (c->state) {
        case TCPS_CLOSED:
        case TCPS_LISTEN:
        case TCPS_SYN_SENT:
                tcp_done(c, 0);
                return;
        case TCPS_TIME_WAIT:
                tcp_tw_schedule(c);
                return;
        case TCPS_LAST_ACK:
        case TCPS_CLOSING:
        case TCPS_FIN_WAIT_2:
                if (c->state == TCPS_FIN_WAIT_2)
                        tcp_timer_set(c, TCP_T_LINGER, st->now + tcp_of(c)->fin_timeout_us);
                return;
        default:
                break;
        }
        /* RFC 9293 §3.10.4 and RFC 2525 §2.17: unread data or SO_LINGER 0 aborts. */
        if (c->rcvbuf.len || c->linger_zero || c->state == TCPS_SYN_RECEIVED) {
                st->tcp->ctr.TcpExtTCPAbortOnClose++;
                tcp_send_rst(c);
                tcp_done(c, 0);
                return;
        }
        if (!c->fin_queued) {
                c->fin_queued = 1;
                tcp_output(c);
        }
}

short tcp_api_events(const struct um_tcp_conn *c)
{
        short ev = 0;
        if (c->state == TCPS_LISTEN)
                return STAILQ_EMPTY(&c->acceptq) ? 0 : POLLIN;
        if (c->rcvbuf.len || c->fin_rcvd || c->rd_shut)
                ev |= POLLIN;
        if (c->fin_rcvd)
                ev |= POLLRDHUP;
        if ((c->state == TCPS_ESTABLISHED || c->state == TCPS_CLOSE_WAIT) && !c->fin_queued &&
            um_ring_free_space(&c->sndbuf) >= c->sndbuf.cap / 4)
                ev |= POLLOUT;
        if (c->error)
                ev |= POLLERR;
        if (c->state == TCPS_CLOSED && (c->rcv_nxt || c->error))
                ev |= POLLHUP | POLLIN;
        if (c->fin_rcvd && c->fin_sent && seq_gt(c->snd_una, c->fin_seq))
                ev |= POLLHUP;
        return ev;
}

int tcp_api_connected(const struct um_tcp_conn *c)
{
        return c->state >= TCPS_ESTABLISHED;
}

void tcp_api_names(const struct um_tcp_conn *c, struct um_addr *la, uint16_t *lp,
                   struct um_addr *ra, uint16_t *rp)
{
        *la = c->laddr;
        *lp = c->lport;
        *ra = c->raddr;
        *rp = c->rport;
}

int tcp_api_take_error(struct um_tcp_conn *c)
{
        int e = c->error;
        if (e == ETIMEDOUT && c->soft_error)
                e = c->soft_error;
        if (c->state != TCPS_CLOSED)
                c->error = 0;
        return e;
}

/* ---- extension API: read and write like an application ---- */

long um_tcp_read(struct um_tcp_conn *c, void *buf, size_t len)
{
        if (!c->rcvbuf.len)
                return tcp_api_recv(c, buf, len, 0);
        uint32_t n = um_ring_read(&c->rcvbuf, buf, len, 0);
        rcvbuf_drained(c);
        return n;
}

long um_tcp_read_ring(struct um_tcp_conn *c, struct um_ring *dst, uint32_t off, size_t len)
{
        uint32_t n = len < c->rcvbuf.len ? (uint32_t)len : c->rcvbuf.len;
        if (dst)
                um_ring_copy_ring(dst, off, &c->rcvbuf, 0, n);
        um_ring_consume(&c->rcvbuf, n);
        rcvbuf_drained(c);
        return n;
}

const struct um_ring *um_tcp_rcv_ring(const struct um_tcp_conn *c)
{
        return &c->rcvbuf;
}

int um_tcp_window_update(struct um_tcp_conn *c)
{
        return c->state >= TCPS_ESTABLISHED && tcp_maybe_window_update(c);
}

uint32_t um_tcp_readable(const struct um_tcp_conn *c)
{
        return c->rcvbuf.len;
}

int um_tcp_fin_received(const struct um_tcp_conn *c)
{
        return c->fin_rcvd;
}

/* How many of len bytes an extension may queue now (0 and *err when none). */
static uint32_t write_room(struct um_tcp_conn *c, size_t len, long *err)
{
        *err = 0;
        if (c->state != TCPS_ESTABLISHED && c->state != TCPS_CLOSE_WAIT)
                *err = c->state < TCPS_ESTABLISHED ? -EAGAIN : -EPIPE;
        else if (c->fin_queued)
                *err = -EPIPE;
        else if (len && !um_ring_free_space(&c->sndbuf))
                *err = -EAGAIN;
        else if (len && um_ring_back(&c->sndbuf, &c->st->rings) < 0)
                *err = -ENOMEM;
        if (*err)
                return 0;
        uint32_t room = um_ring_free_space(&c->sndbuf);
        return len < room ? (uint32_t)len : room;
}

long um_tcp_write(struct um_tcp_conn *c, const void *buf, size_t len)
{
        long err;
        uint32_t n = write_room(c, len, &err);
        return err ? err : (long)um_ring_append(&c->sndbuf, buf, n);
}

long um_tcp_write_ring(struct um_tcp_conn *c, const struct um_ring *src, uint32_t off, size_t len)
{
        long err;
        uint32_t n = write_room(c, len, &err);
        if (err)
                return err;
        um_ring_copy_ring(&c->sndbuf, c->sndbuf.len, src, off, n);
        c->sndbuf.len += n;
        return n;
}

void um_tcp_output(struct um_tcp_conn *c)
{
        if (c->state < TCPS_ESTABLISHED)
                return;
        if (c->in_input)
                c->output_pending = 1; /* sent once the segment is processed (conn_input) */
        else
                tcp_output(c);
}

void um_tcp_adopt(struct um_tcp_conn *c)
{
        struct um_tcp_conn *l = c->parent;
        if (!l || c->state != TCPS_SYN_RECEIVED)
                return;
        l->n_embryonic--;
        c->parent = NULL;
}

void um_tcp_path_info(const struct um_tcp_conn *c, struct um_tcp_path_info *pi)
{
        pi->mss = tcp_seg_size(c);
        pi->cwnd = c->cwnd;
        pi->srtt_us = c->srtt_us;
        pi->rttvar_us = c->rttvar_us;
        pi->min_rtt_us = c->min_rtt_us;
        pi->rto_us = c->rto_us;
        pi->snd_wnd = c->snd_wnd;
        pi->in_flight = tcp_flight_size(c);
        pi->queued = c->sndbuf.len;
        pi->sndbuf_free = um_ring_free_space(&c->sndbuf);
        pi->backoff = c->backoff;
        pi->retrans_out = c->retrans_out;
}

uint32_t um_tcp_backoff(const struct um_tcp_conn *c)
{
        return c->backoff;
}

uint64_t um_tcp_last_recv_us(const struct um_tcp_conn *c)
{
        return c->last_recv_us;
}

void um_tcp_reduce_cwnd(struct um_tcp_conn *c)
{
        if (c->in_recovery)
                return;
        uint32_t floor = 2 * tcp_seg_size(c);
        c->cwnd = c->cwnd / 2 > floor ? c->cwnd / 2 : floor;
        c->ssthresh = c->cwnd;
}

void um_tcp_abort(struct um_tcp_conn *c)
{
        tcp_send_rst(c);
        tcp_done(c, ECONNABORTED);
}
