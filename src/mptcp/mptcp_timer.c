/* The msk's timer, in TCP's form: one deadline per kind, each set by the file whose
 * behaviour it is, and one stack timer armed at the earliest. What runs when it fires is
 * mptcp_msk.c's (msk_timer_fire). */
#include "mptcp/mptcp.h"

void mptcp_timer_rearm(struct mptcp_sock *msk)
{
        uint64_t next = UINT64_MAX;
        for (int k = 0; k < MPTCP_T_COUNT; k++)
                if (msk->deadline[k] < next)
                        next = msk->deadline[k];
        if (next == UINT64_MAX)
                um_timer_cancel(&msk->st->timers, &msk->timer);
        else if (!um_timer_armed(&msk->timer) || msk->timer.at != next)
                um_timer_arm(&msk->st->timers, &msk->timer,
                             next < msk->st->now ? msk->st->now : next);
}

void mptcp_timer_set(struct mptcp_sock *msk, enum mptcp_timer_kind k, uint64_t at)
{
        if (msk->deadline[k] == at)
                return;
        msk->deadline[k] = at;
        mptcp_timer_rearm(msk);
}

int mptcp_timer_due(const struct mptcp_sock *msk, enum mptcp_timer_kind k, uint64_t now)
{
        return msk->deadline[k] <= now;
}
