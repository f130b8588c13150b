/* The engine's side of path management: what it does itself when a connection becomes
 * established and when the peer's address signals arrive (RFC 8684 §3.4: echo every
 * announcement, close what goes to a removed address, note a peer's priority), what it
 * reports of these as events, and the two questions it asks the manager in charge during a
 * handshake (may this join come in, which ID has this local address). The decisions are
 * the managers': the built-in one (mptcp_pm_kernel.c) or one outside (path_manager =
 * userspace), both through the interface in include/umptcp/mptcp_pm.h. */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_pm_kernel.h"

int mptcp_pm_kernel_active(const struct mptcp_stack *ms)
{
        return !ms->pm_userspace;
}

int mptcp_pm_accept_join(const struct mptcp_sock *msk)
{
        if (msk->n_subflows >= MPTCP_MAX_SUBFLOWS)
                return 0;
        /* As Linux's userspace manager: joins are taken while a manager listens. */
        if (msk->ms->pm_userspace)
                return mptcp_pm_subscribed(msk->ms);
        return mptcp_pm_kernel_allow_join(msk->ms->pm_kernel, msk->n_subflows);
}

uint8_t mptcp_pm_local_id(const struct mptcp_sock *msk, const struct um_addr *a)
{
        const struct mptcp_stack *ms = msk->ms;
        if (um_addr_eq(a, &msk->laddr))
                return 0;
        if (!ms->pm_userspace)
                return mptcp_pm_kernel_local_id(ms->pm_kernel, a);
        /* The userspace manager's: the ID it announced the address with, or that a subflow
         * from it has; else the next one free, as Linux gives it. */
        int max = 0;
        for (int i = 0; i < msk->pm.n_announced; i++) {
                if (um_addr_eq(&msk->pm.announced[i].a.addr, a))
                        return msk->pm.announced[i].a.id;
                if (msk->pm.announced[i].a.id > max)
                        max = msk->pm.announced[i].a.id;
        }
        for (const struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next) {
                if (sf->is_listener)
                        continue;
                struct um_addr l = mptcp_local_addr(sf->tcp, NULL);
                if (sf->local_id && um_addr_eq(&l, a))
                        return sf->local_id;
                if (sf->local_id > max)
                        max = sf->local_id;
        }
        return max < 255 ? (uint8_t)(max + 1) : 0;
}

void mptcp_pm_established(struct mptcp_sock *msk)
{
        if (msk->pm_done || msk->fallback || !msk->first)
                return;
        msk->pm_done = 1;
        mptcp_event_conn(msk, UM_MPTCP_EVENT_ESTABLISHED);
        mptcp_signal_kick(msk); /* echoes owed from before */
}

void mptcp_pm_add_addr_received(struct mptcp_sock *msk, const struct mptcp_addr_info *a)
{
        mptcp_event_announced(msk, a);
        mptcp_signal_echo(msk, a); /* RFC 8684 §3.4.1: every valid announcement is echoed */
        mptcp_signal_kick(msk);
}

void mptcp_pm_prio_received(struct mptcp_subflow *sf, int backup)
{
        sf->peer_backup = backup != 0;
        mptcp_event_sub(sf, UM_MPTCP_EVENT_SUB_PRIORITY, 0);
}

void mptcp_pm_rm_addr_received(struct mptcp_sock *msk, const uint8_t *ids, int n)
{
        for (int k = 0; k < n; k++) {
                mptcp_event_removed(msk, ids[k]);
                /* RFC 8684 §3.4.2: close every subflow to the removed address. */
                for (struct mptcp_subflow *sf = msk->subflows, *next; sf; sf = next) {
                        next = sf->next;
                        if (sf->remote_id == ids[k] && mptcp_subflow_usable(sf))
                                mptcp_subflow_remove(sf);
                }
        }
}
