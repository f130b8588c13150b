/* An MPTCP connection (msk) is made and freed here; here it learns that a subflow closed,
 * and here runs what its timer does when it fires (each kind's deadline is set by its own
 * file). The state changes any path may make are in mptcp_msk_state.c. */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_crypto.h"
#include "sock/sock.h"
#include "tcp/tcp_api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void msk_timer_fire(struct um_timer *t, uint64_t now);

struct mptcp_sock *mptcp_msk_new(struct mptcp_stack *ms, int domain)
{
        struct mptcp_sock *msk = calloc(1, sizeof(*msk));
        if (!msk)
                return NULL;
        msk->ms = ms;
        msk->st = ms->st;
        msk->domain = domain;
        msk->sndbuf = MPTCP_DEFAULT_BUF;
        msk->rcvbuf = MPTCP_DEFAULT_BUF;
        msk->sched = ms->sched;
        um_timer_init(&msk->timer, msk_timer_fire);
        for (int k = 0; k < MPTCP_T_COUNT; k++)
                msk->deadline[k] = UINT64_MAX;
        LIST_INSERT_HEAD(&ms->all, msk, all_link);
        return msk;
}

void mptcp_msk_over(struct mptcp_sock *msk)
{
        mptcp_event_conn(msk, UM_MPTCP_EVENT_CLOSED);
        mptcp_port_listeners_release(msk); /* no join may come for it any more */
}

static void msk_free(struct mptcp_sock *msk)
{
        mptcp_msk_over(msk);
        mptcp_token_remove(msk);
        um_timer_cancel(&msk->st->timers, &msk->timer);
        LIST_REMOVE(msk, all_link);
        um_ring_free(&msk->snd, &msk->st->rings);
        um_ring_free(&msk->rcv, &msk->st->rings);
        um_ranges_free(&msk->ooo);
        free(msk);
}

void mptcp_msk_maybe_free(struct mptcp_sock *msk)
{
        if (msk->orphan && !msk->sock && !msk->subflows && !msk->listener && !msk->pending)
                msk_free(msk);
}

void mptcp_subflow_closed(struct mptcp_subflow *sf)
{
        struct mptcp_sock *msk = sf->msk;
        if (!msk->fallback)
                mptcp_reinject_subflow(sf);
        int usable = 0;
        for (struct mptcp_subflow *o = msk->subflows; o; o = o->next)
                if (o != sf && um_tcp_state(o->tcp) >= UM_TCP_ESTABLISHED &&
                    um_tcp_state(o->tcp) != UM_TCP_CLOSED)
                        usable = 1;
        if (!usable && !msk->subflows_closing && !msk->error &&
            !(msk->data_fin_acked && msk->rcv_shutdown) && sf == msk->first) {
                int err = tcp_api_take_error(sf->tcp);
                if (msk->fallback && !err) {
                        /* A plain TCP close: the end of the data, once the msk has taken
                         * what the subflow still holds (mptcp_rcv_pull_all). */
                        if (!um_tcp_readable(sf->tcp))
                                msk->rcv_shutdown = 1;
                } else {
                        msk->error = err ? err : ECONNRESET;
                }
        }
        /* Every subflow reported established is reported closed while the connection is
         * (Linux reports it only before either side's DATA_FIN); then, if it was the
         * last one and took the connection with it, the connection. */
        if (msk->ev_created) /* with its error: a closed subflow keeps it */
                mptcp_event_sub(sf, UM_MPTCP_EVENT_SUB_CLOSED, tcp_api_take_error(sf->tcp));
        if (msk->error)
                mptcp_msk_over(msk);
        sf->closing = 1;
        mptcp_reap_rearm(msk);
        mptcp_push(msk);
}

static void msk_timer_fire(struct um_timer *t, uint64_t now)
{
        struct mptcp_sock *msk =
            (struct mptcp_sock *)((char *)t - offsetof(struct mptcp_sock, timer));
        if (mptcp_timer_due(msk, MPTCP_T_ORPHAN, now)) {
                mptcp_timer_set(msk, MPTCP_T_ORPHAN, UINT64_MAX);
                msk->error = ETIMEDOUT;
                mptcp_fastclose(msk);
                mptcp_close_subflows(msk);
        }
        if (msk->subflows_closing)
                for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                        sf->closing = 1;
        mptcp_join_ack_timer(msk, now);
        mptcp_rtx_timer(msk, now);
        mptcp_signal_timer(msk, now);
        mptcp_push(msk);
        /* Released subflows are freed at the end of the poll, so msk outlives this. */
        mptcp_reap_subflows(msk);
        mptcp_timer_rearm(msk);
}
