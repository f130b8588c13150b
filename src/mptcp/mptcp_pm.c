/* The built-in path manager, like Linux's in-kernel one: local endpoints with flags, and
 * limits. Once a connection is fully established, either side announces its `signal`
 * endpoints, and a client opens one subflow from each `subflow` endpoint to the address it
 * connected to; a peer's announcement is taken up (a subflow to it) within the
 * add_addr_accepted limit; a server accepts joins up to its subflow limit. Removing an
 * endpoint closes its subflows and tells peers (RM_ADDR); changing its backup flag tells
 * them with MP_PRIO. It decides; the protocol engine only executes. */
#include "mptcp/mptcp.h"
#include "tcp/tcp_api.h"
#include "net/iface.h"

#include <errno.h>
#include <string.h>

int um_mptcp_endpoint_add(struct um_stack *st, const char *addr, unsigned flags, int id)
{
        if (!st || !addr || id < 0 || id > 255)
                return -EINVAL;
        struct mptcp_stack *ms = st->mptcp;
        struct um_addr a;
        if (um_addr_parse(addr, &a) < 0)
                return -EINVAL;
        if (ms->n_endpoints == MPTCP_MAX_ENDPOINTS)
                return -ENOSPC;
        for (int i = 0; i < ms->n_endpoints; i++)
                if (um_addr_eq(&ms->endpoints[i].addr, &a) || ms->endpoints[i].id == id)
                        return -EEXIST;
        if (!id) {
                id = 1;
                for (int i = 0; i < ms->n_endpoints; i++)
                        if (ms->endpoints[i].id >= id)
                                id = ms->endpoints[i].id + 1;
        }
        ms->endpoints[ms->n_endpoints++] =
            (struct mptcp_pm_endpoint){.addr = a, .id = (uint8_t)id, .flags = flags};
        return id;
}

int mptcp_pm_kernel_active(const struct mptcp_stack *ms)
{
        return !ms->pm_userspace;
}

void mptcp_pm_kernel_event(struct mptcp_stack *ms, const struct um_mptcp_event *ev)
{
        (void)ms;
        (void)ev;
}

uint8_t mptcp_pm_local_id(const struct mptcp_sock *msk, const struct um_addr *a)
{
        const struct mptcp_stack *ms = msk->ms;
        if (um_addr_eq(a, &msk->laddr))
                return 0;
        if (!ms->pm_userspace) {
                for (int i = 0; i < ms->n_endpoints; i++)
                        if (um_addr_eq(&ms->endpoints[i].addr, a))
                                return ms->endpoints[i].id;
                return 0;
        }
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
                if (sf->is_listener || !sf->msk)
                        continue;
                struct um_addr l = mptcp_local_addr(sf->tcp, NULL);
                if (sf->local_id && um_addr_eq(&l, a))
                        return sf->local_id;
                if (sf->local_id > max)
                        max = sf->local_id;
        }
        return max < 255 ? (uint8_t)(max + 1) : 0;
}

int mptcp_pm_accept_join(const struct mptcp_sock *msk)
{
        if (msk->n_subflows >= MPTCP_MAX_SUBFLOWS)
                return 0;
        /* As Linux's userspace manager: joins are taken while a manager listens. */
        if (msk->ms->pm_userspace)
                return mptcp_pm_subscribed(msk->ms);
        return msk->n_subflows - 1 < (int)msk->ms->limit_subflows;
}

static int may_open_join(const struct mptcp_sock *msk)
{
        return msk->n_joins_opened < (int)msk->ms->limit_subflows &&
               msk->n_subflows < MPTCP_MAX_SUBFLOWS;
}

void mptcp_pm_established(struct mptcp_sock *msk)
{
        struct mptcp_stack *ms = msk->ms;
        if (msk->pm_done || msk->fallback || !msk->first)
                return;
        msk->pm_done = 1;
        mptcp_event_conn(msk, UM_MPTCP_EVENT_ESTABLISHED);
        if (ms->pm_userspace) { /* announcements and subflows come by command */
                mptcp_signal_kick(msk);
                return;
        }
        for (int i = 0; i < ms->n_endpoints; i++) {
                const struct mptcp_pm_endpoint *ep = &ms->endpoints[i];
                if (!(ep->flags & UM_MPTCP_PM_SIGNAL) || ep->addr.family != msk->raddr.family ||
                    um_addr_eq(&ep->addr, &msk->laddr))
                        continue;
                mptcp_signal_announce(msk,
                                      &(struct mptcp_addr_info){.addr = ep->addr, .id = ep->id});
                msk->pm.n_signalled++;
        }
        mptcp_signal_kick(msk); /* echoes owed from before */
        /* RFC 8684 §3.1: the peer's C flag forbids joins to its address and port. */
        if (msk->first->passive || msk->remote_deny_join_id0)
                return;
        for (int i = 0; i < ms->n_endpoints; i++) {
                const struct mptcp_pm_endpoint *ep = &ms->endpoints[i];
                if (!(ep->flags & UM_MPTCP_PM_SUBFLOW) || ep->addr.family != msk->raddr.family ||
                    um_addr_eq(&ep->addr, &msk->laddr))
                        continue;
                if (!may_open_join(msk))
                        break;
                mptcp_join_open(msk, &ep->addr, 0, ep->id, ep->flags & UM_MPTCP_PM_BACKUP,
                                &msk->raddr, msk->rport);
        }
}

/* Takes up an address the peer announced: a subflow to it, within the limits. */
static void take_up(struct mptcp_sock *msk, const struct mptcp_addr_info *a)
{
        struct mptcp_pm_state *pm = &msk->pm;
        if (a->addr.family != msk->raddr.family || um_addr_eq(&a->addr, &msk->raddr))
                return;
        for (int i = 0; i < pm->n_accepted; i++)
                if (pm->accepted[i].id == a->id || um_addr_eq(&pm->accepted[i].addr, &a->addr))
                        return; /* a repeat */
        if (pm->n_accepted >= (int)msk->ms->limit_add_addr_accepted ||
            pm->n_accepted == MPTCP_PM_ADDRS || !may_open_join(msk))
                return;
        pm->accepted[pm->n_accepted++] = *a;
        struct um_addr src = {0};
        if (um_route(msk->st, &src, &a->addr) < 0)
                return;
        mptcp_join_open(msk, &src, 0, mptcp_pm_local_id(msk, &src), 0, &a->addr,
                        a->port ? a->port : msk->rport);
}

void mptcp_pm_add_addr_received(struct mptcp_sock *msk, const struct mptcp_addr_info *a)
{
        mptcp_event_announced(msk, a);
        mptcp_signal_echo(msk, a); /* RFC 8684 §3.4.1: every valid announcement is echoed */
        if (!msk->ms->pm_userspace)
                take_up(msk, a);
        mptcp_signal_kick(msk);
}

void mptcp_pm_prio_received(struct mptcp_subflow *sf, int backup)
{
        sf->peer_backup = backup != 0;
        mptcp_event_sub(sf, UM_MPTCP_EVENT_SUB_PRIORITY, 0);
}

void mptcp_pm_rm_addr_received(struct mptcp_sock *msk, const uint8_t *ids, int n)
{
        struct mptcp_pm_state *pm = &msk->pm;
        for (int k = 0; k < n; k++) {
                mptcp_event_removed(msk, ids[k]);
                /* RFC 8684 §3.4.2: close every subflow to the removed address. */
                for (struct mptcp_subflow *sf = msk->subflows, *next; sf; sf = next) {
                        next = sf->next;
                        if (sf->remote_id == ids[k] && mptcp_subflow_usable(sf))
                                mptcp_subflow_remove(sf);
                }
                for (int i = 0; i < pm->n_accepted; i++)
                        if (pm->accepted[i].id == ids[k])
                                pm->accepted[i--] = pm->accepted[--pm->n_accepted];
        }
}

static struct mptcp_pm_endpoint *endpoint_find(struct mptcp_stack *ms, const char *addr)
{
        struct um_addr a;
        if (!addr || um_addr_parse(addr, &a) < 0)
                return NULL;
        for (int i = 0; i < ms->n_endpoints; i++)
                if (um_addr_eq(&ms->endpoints[i].addr, &a))
                        return &ms->endpoints[i];
        return NULL;
}

static int subflow_from(const struct mptcp_subflow *sf, const struct um_addr *a)
{
        struct um_addr local = mptcp_local_addr(sf->tcp, NULL);
        return um_addr_eq(&local, a);
}

int um_mptcp_endpoint_del(struct um_stack *st, const char *addr)
{
        struct mptcp_stack *ms = st ? st->mptcp : NULL;
        struct mptcp_pm_endpoint *ep = ms ? endpoint_find(ms, addr) : NULL;
        if (!ep)
                return -ENOENT;
        struct mptcp_sock *msk;
        LIST_FOREACH(msk, &ms->all, all_link)
        {
                if (msk->fallback || !msk->remote_key_known)
                        continue;
                int used = 0;
                for (int i = 0; i < msk->pm.n_announced; i++)
                        used |= msk->pm.announced[i].a.id == ep->id;
                for (struct mptcp_subflow *sf = msk->subflows, *next; sf; sf = next) {
                        next = sf->next;
                        if (!sf->is_listener && subflow_from(sf, &ep->addr)) {
                                used = 1;
                                mptcp_subflow_remove(sf);
                        }
                }
                if (used)
                        mptcp_signal_remove(msk, ep->id);
                mptcp_reap_rearm(msk);
        }
        *ep = ms->endpoints[--ms->n_endpoints];
        return 0;
}

int um_mptcp_endpoint_set_backup(struct um_stack *st, const char *addr, int backup)
{
        struct mptcp_stack *ms = st ? st->mptcp : NULL;
        struct mptcp_pm_endpoint *ep = ms ? endpoint_find(ms, addr) : NULL;
        if (!ep)
                return -ENOENT;
        ep->flags = backup ? ep->flags | UM_MPTCP_PM_BACKUP : ep->flags & ~UM_MPTCP_PM_BACKUP;
        struct mptcp_sock *msk;
        LIST_FOREACH(msk, &ms->all, all_link)
        {
                if (msk->fallback || !msk->remote_key_known)
                        continue;
                for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                        if (!sf->is_listener && subflow_from(sf, &ep->addr))
                                mptcp_signal_prio(sf, backup);
                mptcp_push(msk);
        }
        return 0;
}
