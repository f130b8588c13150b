/* MPTCP sockets (IPPROTO_MPTCP): the BSD calls on an msk. The first subflow is an ordinary
 * TCP connection created here; a listener is a TCP listener whose children become msks. */
#include "mptcp/mptcp.h"
#include "sock/sock.h"
#include "tcp/tcp_api.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

static struct mptcp_sock *msk_of(const struct um_sock *s)
{
        return s->pcb;
}

static int msk_create(struct um_stack *st, struct um_sock *s)
{
        struct mptcp_sock *msk = mptcp_msk_new(st->mptcp, s->domain);
        if (!msk)
                return -ENOMEM;
        msk->sock = s;
        s->pcb = msk;
        return 0;
}

static struct um_tcp_conn *pending_conn(struct mptcp_sock *msk)
{
        if (!msk->pending)
                msk->pending = tcp_api_open(msk->st, NULL, NULL);
        return msk->pending;
}

static int msk_bind(struct um_sock *s, const struct um_addr *a, uint16_t port)
{
        struct mptcp_sock *msk = msk_of(s);
        if (msk->state != MPTCP_CLOSED || msk->first)
                return -EINVAL;
        struct um_tcp_conn *c = pending_conn(msk);
        if (!c)
                return -ENOMEM;
        return tcp_api_bind(c, a, port, s->reuseaddr);
}

static void listener_notify(struct um_tcp_conn *c, void *arg)
{
        (void)c;
        sock_wake(arg);
}

static int msk_listen(struct um_sock *s, int backlog)
{
        struct mptcp_sock *msk = msk_of(s);
        if (msk->state == MPTCP_LISTEN)
                return 0;
        if (msk->state != MPTCP_CLOSED || msk->first)
                return -EINVAL;
        struct um_tcp_conn *c = pending_conn(msk);
        if (!c)
                return -ENOMEM;
        struct mptcp_subflow *sf = mptcp_subflow_new(c);
        if (!sf)
                return -ENOMEM;
        sf->is_listener = 1;
        sf->msk = msk;
        int rc = tcp_api_listen(c, backlog);
        if (rc < 0)
                return rc;
        tcp_api_set_notify(c, listener_notify, s);
        msk->listener = c;
        msk->pending = NULL;
        msk->state = MPTCP_LISTEN;
        mptcp_event_listener(msk->ms, UM_MPTCP_EVENT_LISTENER_CREATED, c, msk->domain);
        return 0;
}

static int msk_accept(struct um_sock *s, struct um_sock *child)
{
        struct mptcp_sock *l = msk_of(s);
        if (l->state != MPTCP_LISTEN)
                return -EINVAL;
        struct um_tcp_conn *c = tcp_api_accept(l->listener);
        if (!c)
                return -EAGAIN;
        struct mptcp_subflow *sf = mptcp_subflow_of(c);
        struct mptcp_sock *msk = sf->msk;
        if (!msk) {
                tcp_api_close(c);
                return -ECONNABORTED;
        }
        msk->sock = child;
        msk->orphan = 0;
        msk->nodelay = l->nodelay;
        msk->sched = l->sched;
        msk->sndbuf = l->sndbuf;
        msk->rcvbuf = l->rcvbuf;
        child->pcb = msk;
        return 0; /* the send queue comes with the first bytes written (msk_send) */
}

static int msk_connect(struct um_sock *s, const struct um_addr *a, uint16_t port)
{
        struct mptcp_sock *msk = msk_of(s);
        if (msk->state == MPTCP_SYN_SENT)
                return -EALREADY;
        if (msk->state != MPTCP_CLOSED || msk->first)
                return -EISCONN;
        struct um_tcp_conn *c = pending_conn(msk);
        if (!c)
                return -ENOMEM;
        msk->pending = NULL;
        struct mptcp_subflow *sf = mptcp_subflow_new(c);
        if (!sf) {
                tcp_api_close(c);
                return -ENOMEM;
        }
        mptcp_msk_attach(msk, sf);
        msk->state = MPTCP_SYN_SENT;
        if (!msk->ms->enabled || mptcp_token_new(msk) < 0)
                mptcp_do_fallback(msk);
        int rc = tcp_api_connect(c, a, port);
        /* The addresses are known now: keep them as the connection's own. */
        struct sockaddr_storage l, r;
        um_tcp_endpoints(c, &l, &r);
        um_addr_from_sockaddr((struct sockaddr *)&l, sizeof(l), &msk->laddr, &msk->lport);
        um_addr_from_sockaddr((struct sockaddr *)&r, sizeof(r), &msk->raddr, &msk->rport);
        if (rc < 0 && rc != -EINPROGRESS) {
                msk->state = MPTCP_CLOSED;
                return rc;
        }
        return rc;
}

static int msk_take_error(struct mptcp_sock *msk)
{
        int e = msk->error;
        msk->error = 0;
        return e;
}

static long msk_send(struct um_sock *s, const void *buf, size_t len)
{
        struct mptcp_sock *msk = msk_of(s);
        if (msk->error)
                return -msk_take_error(msk);
        if (msk->state == MPTCP_SYN_SENT)
                return -EAGAIN;
        if (msk->state != MPTCP_ESTABLISHED)
                return -ENOTCONN;
        if (msk->snd_shutdown || msk->fastclosed)
                return -EPIPE;
        if (!msk->snd.buf) {
                um_ring_init_lazy(&msk->snd, msk->sndbuf);
                if (um_ring_back(&msk->snd, &msk->st->rings) < 0)
                        return -ENOMEM;
        }
        if (!msk->fallback && !msk->remote_key_known)
                return -EAGAIN;
        if (len > UINT32_MAX)
                len = UINT32_MAX;
        uint32_t n = um_ring_append(&msk->snd, buf, (uint32_t)len);
        if (!n)
                return len ? -EAGAIN : 0;
        msk->write_seq += n;
        mptcp_push(msk);
        return n;
}

static long msk_recv(struct um_sock *s, void *buf, size_t len, int peek)
{
        struct mptcp_sock *msk = msk_of(s);
        if (msk->state == MPTCP_LISTEN)
                return -ENOTCONN;
        /* As tcp_api_recv: the bytes first, then the end of the stream, then errors. */
        if (msk->rcv.len) {
                uint32_t n = um_ring_read(&msk->rcv, buf, len, peek);
                if (!peek)
                        mptcp_window_update(msk);
                /* Read to its end with nothing out of order beyond: the memory goes to the
                 * stack's pool until new bytes come. */
                if (!msk->rcv.len && !msk->ooo.n)
                        um_ring_release(&msk->rcv, &msk->st->rings);
                return n;
        }
        if (msk->rcv_shutdown || msk->rd_shut)
                return 0;
        if (msk->error)
                return -msk_take_error(msk);
        if (msk->state == MPTCP_CLOSED)
                return -ENOTCONN;
        return -EAGAIN;
}

static int msk_shutdown(struct um_sock *s, int how)
{
        struct mptcp_sock *msk = msk_of(s);
        if (msk->state != MPTCP_ESTABLISHED)
                return -ENOTCONN;
        if (how == SHUT_RD || how == SHUT_RDWR)
                msk->rd_shut = 1;
        if ((how == SHUT_WR || how == SHUT_RDWR) && !msk->snd_shutdown) {
                msk->snd_shutdown = 1;
                mptcp_push(msk);
        }
        mptcp_msk_wake(msk);
        return 0;
}

static void msk_close(struct um_sock *s)
{
        struct mptcp_sock *msk = msk_of(s);
        msk->sock = NULL;
        msk->orphan = 1;
        if (msk->pending) {
                tcp_api_close(msk->pending);
                msk->pending = NULL;
        }
        if (msk->listener) {
                mptcp_event_listener(msk->ms, UM_MPTCP_EVENT_LISTENER_CLOSED, msk->listener,
                                     msk->domain);
                mptcp_subflow_of(msk->listener)->msk = NULL;
                tcp_api_close(msk->listener);
                msk->listener = NULL;
        }
        if (msk->state == MPTCP_ESTABLISHED && !msk->error) {
                /* RFC 8684 §3.5: closing with unread data (or SO_LINGER 0) aborts, and the
                 * peer learns it from MP_FASTCLOSE. */
                if (msk->rcv.len || msk->linger_zero) {
                        if (msk->fallback) {
                                for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                                        sf->closing = 1;
                                if (msk->first)
                                        um_tcp_abort(msk->first->tcp);
                        } else {
                                mptcp_fastclose(msk);
                        }
                        mptcp_close_subflows(msk);
                } else if (!msk->snd_shutdown) {
                        msk->snd_shutdown = 1;
                        mptcp_push(msk);
                }
                if (msk->fallback && msk->first)
                        msk->first->closing = 1;
                mptcp_check_close(msk);
                mptcp_rtx_rearm(msk);
                mptcp_reap_rearm(msk);
        } else {
                mptcp_close_subflows(msk);
        }
        mptcp_msk_maybe_free(msk);
}

static short msk_events(const struct um_sock *s)
{
        const struct mptcp_sock *msk = msk_of(s);
        if (msk->state == MPTCP_LISTEN)
                return tcp_api_events(msk->listener);
        short ev = 0;
        if (msk->rcv.len || msk->rcv_shutdown || msk->rd_shut)
                ev |= POLLIN;
        if (msk->rcv_shutdown)
                ev |= POLLRDHUP;
        if (msk->state == MPTCP_ESTABLISHED && !msk->snd_shutdown &&
            (msk->fallback || msk->remote_key_known) &&
            (!msk->snd.buf || um_ring_free_space(&msk->snd) >= msk->snd.cap / 4))
                ev |= POLLOUT;
        if (msk->error)
                ev |= POLLERR | POLLIN;
        int fallback_done = msk->fallback && msk->rcv_shutdown && msk->wr_fin_done &&
                            msk->snd_una == msk->write_seq;
        if ((msk->error && !msk->subflows) || (msk->rcv_shutdown && msk->data_fin_acked) ||
            fallback_done || (msk->fastclosed && msk->error))
                ev |= POLLHUP;
        return ev;
}

static int msk_names(const struct um_sock *s, struct um_addr *la, uint16_t *lp, struct um_addr *ra,
                     uint16_t *rp)
{
        const struct mptcp_sock *msk = msk_of(s);
        const struct um_tcp_conn *c = msk->listener ? msk->listener : msk->pending;
        if (c) {
                tcp_api_names(c, la, lp, ra, rp);
                return 0; /* not connected: getpeername says ENOTCONN */
        }
        *la = msk->laddr;
        *lp = msk->lport;
        *ra = msk->raddr;
        *rp = msk->rport;
        return msk->state == MPTCP_ESTABLISHED;
}

static const struct um_sock_ops mptcp_sock_ops = {
    .protocol = IPPROTO_MPTCP,
    .create = msk_create,
    .bind = msk_bind,
    .listen = msk_listen,
    .accept = msk_accept,
    .connect = msk_connect,
    .send = msk_send,
    .recv = msk_recv,
    .shutdown = msk_shutdown,
    .close = msk_close,
    .events = msk_events,
    .setopt = mptcp_setsockopt,
    .getopt = mptcp_getsockopt,
    .names = msk_names,
};

int mptcp_sock_init(struct um_stack *st)
{
        return sock_register_proto(st, &mptcp_sock_ops);
}
