/* The engine's side of path management: what it does itself when a connection becomes
 * established and when the peer's address signals arrive (RFC 8684 §3.4: echo every
 * announcement, close what goes to a removed address, note a peer's priority), what it
 * reports of these as events, and the two questions it asks the manager in charge during a
 * handshake (may this join come in, which ID has this local address). The decisions are
 * the managers': the built-in one (mptcp_pm_kernel.c) or one outside (path_manager =
 * userspace), both through the interface in include/umptcp/mptcp_pm.h. */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_pm_kernel.h"
#include "net/iface.h"

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

/* Whether a peer's announcement names an address a subflow could go to: a host's unicast
 * address, and none of ours (a subflow to ourselves would only loop). */
static int peer_addr_usable(const struct mptcp_sock *msk, const struct um_addr *a)
{
        return a->family == msk->raddr.family && um_addr_is_host_unicast(a) &&
               um_iface_of_addr(msk->st, a) < 0;
}

static struct mptcp_addr_info *heard_by_id(struct mptcp_sock *msk, uint8_t id)
{
        for (int i = 0; i < msk->pm.n_heard; i++)
                if (msk->pm.heard[i].id == id)
                        return &msk->pm.heard[i];
        return NULL;
}

uint8_t mptcp_pm_remote_id(struct mptcp_sock *msk, const struct um_addr *a, uint16_t port)
{
        for (int i = 0; i < msk->pm.n_heard; i++) {
                const struct mptcp_addr_info *h = &msk->pm.heard[i];
                if (um_addr_eq(&h->addr, a) && (h->port ? h->port : msk->rport) == port)
                        return h->id;
        }
        return 0;
}

/* One new announcement may be reported now: UM_MPTCP_ANNOUNCE_BURST at once, then one per
 * UM_MPTCP_ANNOUNCE_INTERVAL_MS, so that one peer cannot flood the managers' events. */
static int announce_credit_take(struct mptcp_sock *msk)
{
        struct mptcp_pm_state *pm = &msk->pm;
        const uint64_t interval = (uint64_t)UM_MPTCP_ANNOUNCE_INTERVAL_MS * 1000;
        uint64_t now = msk->st->now;
        if (!pm->announce_credit_at) { /* the first announcement of the connection */
                pm->announce_credit = UM_MPTCP_ANNOUNCE_BURST;
                pm->announce_credit_at = now;
        }
        uint64_t earned = (now - pm->announce_credit_at) / interval;
        if (earned) {
                uint64_t credit = pm->announce_credit + earned;
                pm->announce_credit =
                    (uint8_t)(credit < UM_MPTCP_ANNOUNCE_BURST ? credit : UM_MPTCP_ANNOUNCE_BURST);
                pm->announce_credit_at += earned * interval;
        }
        if (!pm->announce_credit)
                return 0;
        pm->announce_credit--;
        return 1;
}

void mptcp_pm_add_addr_received(struct mptcp_sock *msk, const struct mptcp_addr_info *a)
{
        struct mptcp_addr_info *known = heard_by_id(msk, a->id);
        if (!peer_addr_usable(msk, &a->addr)) {
                msk->ms->ctr.MPTcpExtAddAddrIgnored++; /* authentic, so echoed; not taken up */
        } else if (known && um_addr_eq(&known->addr, &a->addr) && known->port == a->port) {
                /* A repeat: our echo was lost. It is echoed again, and reported once. */
        } else if ((!known && msk->pm.n_heard == MPTCP_PM_ADDRS) || !announce_credit_take(msk)) {
                /* Not echoed: the peer repeats it, and it may be taken then. */
                msk->ms->ctr.MPTcpExtAddAddrDrop++;
                return;
        } else {
                /* RFC 8684 §3.4.1: an ID announced again with another address replaces it. */
                *(known ? known : &msk->pm.heard[msk->pm.n_heard++]) = *a;
                mptcp_event_announced(msk, a);
        }
        mptcp_signal_echo(msk, a); /* RFC 8684 §3.4.1: every valid announcement is echoed */
        mptcp_signal_kick(msk);
}

void mptcp_pm_prio_received(struct mptcp_subflow *sf, int backup)
{
        if (sf->peer_backup == !!backup)
                return; /* no change: nothing to report */
        sf->peer_backup = backup != 0;
        mptcp_event_sub(sf, UM_MPTCP_EVENT_SUB_PRIORITY, 0);
}

/* An ID the peer may remove: one it announced, or one a subflow not yet closing has at its
 * end. Once removed it is neither, so a repeated RM_ADDR reports nothing more. */
static int remote_id_known(struct mptcp_sock *msk, uint8_t id)
{
        if (heard_by_id(msk, id))
                return 1;
        for (const struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                if (!sf->is_listener && !sf->closing && sf->remote_id == id)
                        return 1;
        return 0;
}

void mptcp_pm_rm_addr_received(struct mptcp_sock *msk, const uint8_t *ids, int n)
{
        for (int k = 0; k < n; k++) {
                if (!remote_id_known(msk, ids[k]))
                        continue; /* nothing to close, nothing to report */
                struct mptcp_addr_info *h = heard_by_id(msk, ids[k]);
                if (h)
                        *h = msk->pm.heard[--msk->pm.n_heard];
                mptcp_event_removed(msk, ids[k]);
                /* RFC 8684 §3.4.2: close every subflow to the removed address, also a join
                 * still in its handshake (as Linux's mptcp_pm_rm_addr_or_subflow). */
                for (struct mptcp_subflow *sf = msk->subflows, *next; sf; sf = next) {
                        next = sf->next;
                        if (sf->remote_id == ids[k] && !sf->is_listener)
                                mptcp_subflow_remove(sf);
                }
        }
}
