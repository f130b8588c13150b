/* Opportunistic retransmission and penalisation (Raiciu et al., "How Hard Can It Be?
 * Designing and Implementing a Deployable Multipath TCP", NSDI 2012, §4.2), an option of the
 * schedulers that want it (sched->opportunistic) while the stack's `opportunistic_retrans`
 * knob is on. A connection that may send no new data because the peer's data-level receive
 * window is full, while a subflow has room, is waiting for its oldest data: it sits on a
 * slower subflow (in flight or lost there). That data goes again on the fastest subflow with
 * room, once for each oldest byte, and the slow subflow's congestion window is halved, at
 * most once per its RTT, so that it holds less of the window from then on. */
#include "mptcp/mptcp.h"

/* The subflow whose oldest mapping not yet acknowledged holds data byte `dsn`. */
static struct mptcp_subflow *holder_of(struct mptcp_sock *msk, uint64_t dsn, uint32_t *left)
{
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next) {
                if (!sf->tx.n || sf->closing)
                        continue;
                const struct mptcp_map *m = um_recq_at(&sf->tx, 0);
                if (dsn_leq(m->dsn, dsn) && dsn_lt(dsn, m->dsn + m->len)) {
                        *left = (uint32_t)(m->dsn + m->len - dsn);
                        return sf;
                }
        }
        return NULL;
}

void mptcp_opportunistic(struct mptcp_sock *msk)
{
        if (!msk->ms->opportunistic || !msk->sched->opportunistic ||
            msk->or_dsn == msk->snd_una + 1 || msk->snd_una == msk->snd_nxt)
                return;
        uint32_t len = 0;
        struct mptcp_subflow *slow = holder_of(msk, msk->snd_una, &len);
        struct mptcp_subflow *fast = slow ? mptcp_sched_lowest(msk, len, 1) : NULL;
        if (!fast || fast == slow)
                return;
        struct um_tcp_path_info f, s;
        um_tcp_path_info(fast->tcp, &f);
        um_tcp_path_info(slow->tcp, &s);
        /* Only a faster path with nothing waiting to go out gets it there sooner: the copy
         * would queue behind what the fast subflow still has to send. */
        if (f.srtt_us >= s.srtt_us || f.queued - f.in_flight >= f.mss)
                return;
        uint32_t room = mptcp_subflow_room(&f);
        uint32_t n = mptcp_push_range(msk, fast, msk->snd_una, len < room ? len : room);
        if (!n)
                return;
        msk->or_dsn = msk->snd_una + 1;
        msk->bytes_retrans += n;
        msk->retransmits++;
        msk->ms->ctr.MPTcpExtOpportunisticRetrans++; /* mptcp_push sends it */
        uint64_t now = msk->st->now;
        if (!slow->penalised_at || now - slow->penalised_at >= s.srtt_us) {
                slow->penalised_at = now;
                msk->ms->ctr.MPTcpExtSubflowPenalised++;
                um_tcp_reduce_cwnd(slow->tcp);
        }
}
