/* Path-manager events (include/umptcp/mptcp_pm.h): what the engine reports, with the
 * attributes Linux's mptcp_pm events carry, queued as it happens and delivered to the
 * subscribers after the poll, outside the protocol's processing. */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_pm_kernel.h"
#include "net/iface.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *um_mptcp_event_name(enum um_mptcp_event_type type)
{
        switch (type) {
        case UM_MPTCP_EVENT_CREATED:
                return "created";
        case UM_MPTCP_EVENT_ESTABLISHED:
                return "established";
        case UM_MPTCP_EVENT_CLOSED:
                return "closed";
        case UM_MPTCP_EVENT_ANNOUNCED:
                return "announced";
        case UM_MPTCP_EVENT_REMOVED:
                return "removed";
        case UM_MPTCP_EVENT_SUB_ESTABLISHED:
                return "sub_established";
        case UM_MPTCP_EVENT_SUB_CLOSED:
                return "sub_closed";
        case UM_MPTCP_EVENT_SUB_PRIORITY:
                return "sub_priority";
        case UM_MPTCP_EVENT_LISTENER_CREATED:
                return "listener_created";
        case UM_MPTCP_EVENT_LISTENER_CLOSED:
                return "listener_closed";
        }
        return NULL;
}

int um_mptcp_pm_subscribe(struct um_stack *st, um_mptcp_event_fn fn, void *arg)
{
        if (!st || !fn)
                return -EINVAL;
        struct mptcp_pm_events *e = &st->mptcp->events;
        if (e->n_subs == MPTCP_PM_SUBSCRIBERS)
                return -ENOSPC;
        e->subs[e->n_subs] = (struct mptcp_pm_subscriber){fn, arg, ++e->last_handle};
        return e->subs[e->n_subs++].handle;
}

void um_mptcp_pm_unsubscribe(struct um_stack *st, int handle)
{
        struct mptcp_pm_events *e = st ? &st->mptcp->events : NULL;
        for (int i = 0; e && i < e->n_subs; i++)
                if (e->subs[i].handle == handle) {
                        memmove(&e->subs[i], &e->subs[i + 1],
                                (size_t)(--e->n_subs - i) * sizeof(e->subs[0]));
                        return;
                }
}

int mptcp_pm_subscribed(const struct mptcp_stack *ms)
{
        return ms->events.n_subs > 0;
}

/* The queue grows rather than drop: the built-in manager acts on what it reads here, and a
 * lost CLOSED or SUB_CLOSED would leak its records or its limits. What one poll can queue
 * is bounded by what it reads, and no peer can make events faster than its packets arrive
 * (announcements are de-duplicated and rate-limited per connection, mptcp_pm.c). Only a
 * failed allocation drops one, counted in MPTcpExtPmEventDrops. */
static void queue_event(struct mptcp_stack *ms, const struct um_mptcp_event *ev)
{
        struct mptcp_pm_events *e = &ms->events;
        if (!e->n_subs && !mptcp_pm_kernel_active(ms))
                return; /* nobody listens */
        if (e->n == e->cap) {
                uint32_t cap = e->cap ? 2 * e->cap : 64;
                struct um_mptcp_event *q = malloc(cap * sizeof(*q));
                if (!q) {
                        ms->ctr.MPTcpExtPmEventDrops++;
                        return;
                }
                for (uint32_t i = 0; i < e->n; i++)
                        q[i] = e->queue[(e->head + i) % e->cap];
                free(e->queue);
                e->queue = q;
                e->head = 0;
                e->cap = cap;
        }
        e->queue[(e->head + e->n++) % e->cap] = *ev;
}

static void put_addr(uint8_t out[16], const struct um_addr *a)
{
        memcpy(out, a->b, um_addr_len(a));
}

/* CREATED, ESTABLISHED, CLOSED: the connection's first addresses and ports. */
void mptcp_event_conn(struct mptcp_sock *msk, enum um_mptcp_event_type type)
{
        struct um_mptcp_event ev = {
            .type = type, .attrs = UM_MPTCP_ATTR_TOKEN, .token = msk->local_token};
        if (type == UM_MPTCP_EVENT_CLOSED) {
                if (!msk->ev_created)
                        return;
                /* Every subflow the manager was told of is closed first, so that its
                 * records and limits follow every subflow, whatever state it reached. */
                for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                        mptcp_event_sub(sf, UM_MPTCP_EVENT_SUB_CLOSED, 0);
                msk->ev_created = 0;
        } else {
                if (type == UM_MPTCP_EVENT_CREATED)
                        msk->ev_created = 1;
                else if (msk->first) /* its end mid-connection is reported, as a join's */
                        msk->first->ev_reported = 1;
                int server = msk->first && msk->first->passive;
                /* As Linux 6.18 sends them: IDs 0, flags and server_side only when set. */
                ev.attrs |= UM_MPTCP_ATTR_FAMILY | UM_MPTCP_ATTR_LOC_ID | UM_MPTCP_ATTR_REM_ID |
                            UM_MPTCP_ATTR_SADDR | UM_MPTCP_ATTR_DADDR | UM_MPTCP_ATTR_SPORT |
                            UM_MPTCP_ATTR_DPORT;
                ev.family = msk->laddr.family;
                put_addr(ev.saddr, &msk->laddr);
                put_addr(ev.daddr, &msk->raddr);
                ev.sport = msk->lport;
                ev.dport = msk->rport;
                ev.server_side = (uint8_t)server;
                ev.flags =
                    (uint16_t)((msk->remote_deny_join_id0 ? UM_MPTCP_EVENT_FLAG_DENY_JOIN_ID0 : 0) |
                               (server ? UM_MPTCP_EVENT_FLAG_SERVER_SIDE : 0));
                if (ev.flags)
                        ev.attrs |= UM_MPTCP_ATTR_FLAGS;
                if (server)
                        ev.attrs |= UM_MPTCP_ATTR_SERVER_SIDE;
        }
        queue_event(msk->ms, &ev);
}

/* SUB_ESTABLISHED, SUB_CLOSED, SUB_PRIORITY: one subflow's addresses, IDs and priority.
 * SUB_CLOSED comes once for every subflow the manager could know of: each one established,
 * and each join this side opened, also one that failed in its handshake (as Linux's
 * mptcp_close_ssk reports it while the connection is established). */
void mptcp_event_sub(struct mptcp_subflow *sf, enum um_mptcp_event_type type, int error)
{
        struct mptcp_sock *msk = sf->msk;
        if (type == UM_MPTCP_EVENT_SUB_ESTABLISHED)
                sf->ev_reported = 1;
        else if (!sf->ev_reported)
                return;
        if (type == UM_MPTCP_EVENT_SUB_CLOSED)
                sf->ev_reported = 0;
        struct um_mptcp_event ev = {
            .type = type,
            .attrs = UM_MPTCP_ATTR_TOKEN | UM_MPTCP_ATTR_FAMILY | UM_MPTCP_ATTR_LOC_ID |
                     UM_MPTCP_ATTR_REM_ID | UM_MPTCP_ATTR_SADDR | UM_MPTCP_ATTR_DADDR |
                     UM_MPTCP_ATTR_SPORT | UM_MPTCP_ATTR_DPORT | UM_MPTCP_ATTR_BACKUP,
            .token = msk->local_token,
            .loc_id = sf->local_id,
            .rem_id = sf->remote_id,
            .backup = (uint8_t)(sf->backup || sf->peer_backup)};
        struct um_addr l, r;
        l = mptcp_local_addr(sf->tcp, &ev.sport);
        struct sockaddr_storage rs;
        um_tcp_endpoints(sf->tcp, NULL, &rs);
        um_addr_from_sockaddr((struct sockaddr *)&rs, sizeof(rs), &r, &ev.dport);
        ev.family = l.family;
        put_addr(ev.saddr, &l);
        put_addr(ev.daddr, &r);
        /* The stack's interface the subflow's address is on (umptcp routes by source
         * address, so every subflow is bound to one; Linux reports a bound device's). */
        int ifindex = um_iface_of_addr(msk->st, &l);
        if (ifindex >= 0) {
                ev.attrs |= UM_MPTCP_ATTR_IF_IDX;
                ev.if_idx = (uint32_t)ifindex;
        }
        if (error) {
                ev.attrs |= UM_MPTCP_ATTR_ERROR;
                ev.error = (uint8_t)error;
        }
        if (type == UM_MPTCP_EVENT_SUB_CLOSED && sf->peer_rst_reason != MPTCP_RST_NONE) {
                ev.attrs |= UM_MPTCP_ATTR_RESET_REASON | UM_MPTCP_ATTR_RESET_FLAGS;
                ev.reset_reason = sf->peer_rst_reason;
        }
        queue_event(msk->ms, &ev);
}

/* ANNOUNCED: an address the peer announced (its port only when it gave one). */
void mptcp_event_announced(struct mptcp_sock *msk, const struct mptcp_addr_info *a)
{
        struct um_mptcp_event ev = {.type = UM_MPTCP_EVENT_ANNOUNCED,
                                    .attrs = UM_MPTCP_ATTR_TOKEN | UM_MPTCP_ATTR_REM_ID |
                                             UM_MPTCP_ATTR_FAMILY | UM_MPTCP_ATTR_DADDR,
                                    .token = msk->local_token,
                                    .rem_id = a->id,
                                    .family = a->addr.family};
        put_addr(ev.daddr, &a->addr);
        if (a->port) {
                ev.attrs |= UM_MPTCP_ATTR_DPORT;
                ev.dport = a->port;
        }
        queue_event(msk->ms, &ev);
}

/* REMOVED: an address ID the peer removed. */
void mptcp_event_removed(struct mptcp_sock *msk, uint8_t id)
{
        struct um_mptcp_event ev = {.type = UM_MPTCP_EVENT_REMOVED,
                                    .attrs = UM_MPTCP_ATTR_TOKEN | UM_MPTCP_ATTR_REM_ID,
                                    .token = msk->local_token,
                                    .rem_id = id};
        queue_event(msk->ms, &ev);
}

void mptcp_event_listener(struct mptcp_stack *ms, enum um_mptcp_event_type type,
                          const struct um_tcp_conn *listener, int family)
{
        struct um_mptcp_event ev = {.type = type,
                                    .attrs = UM_MPTCP_ATTR_FAMILY | UM_MPTCP_ATTR_SADDR |
                                             UM_MPTCP_ATTR_SPORT};
        struct um_addr a = mptcp_local_addr(listener, &ev.sport);
        ev.family = a.family ? a.family : family; /* bound to no address: the wildcard */
        put_addr(ev.saddr, &a);
        queue_event(ms, &ev);
}

static int still_subscribed(const struct mptcp_pm_events *e, int handle)
{
        for (int i = 0; i < e->n_subs; i++)
                if (e->subs[i].handle == handle)
                        return 1;
        return 0;
}

int mptcp_pm_events_pending(const struct mptcp_stack *ms)
{
        return ms->events.n > 0;
}

/* Delivers what is queued: first to the built-in manager (when it is the one), then to
 * every subscriber. Events a callback causes are delivered in the same loop. */
void mptcp_pm_deliver(struct mptcp_stack *ms)
{
        struct mptcp_pm_events *e = &ms->events;
        if (e->delivering)
                return;
        e->delivering = 1;
        while (e->n) {
                struct um_mptcp_event ev = e->queue[e->head];
                e->head = (e->head + 1) % e->cap;
                e->n--;
                if (mptcp_pm_kernel_active(ms))
                        mptcp_pm_kernel_on_event(ms->pm_kernel, &ev);
                /* A callback may subscribe or unsubscribe: call those subscribed before it
                 * that still are. */
                struct mptcp_pm_subscriber subs[MPTCP_PM_SUBSCRIBERS];
                int n = e->n_subs;
                memcpy(subs, e->subs, (size_t)n * sizeof(subs[0]));
                for (int i = 0; i < n; i++)
                        if (still_subscribed(e, subs[i].handle))
                                subs[i].fn(ms->st, &ev, subs[i].arg);
        }
        e->delivering = 0;
}

void mptcp_pm_events_free(struct mptcp_stack *ms)
{
        free(ms->events.queue);
        ms->events.queue = NULL;
        ms->events.n = ms->events.cap = 0;
}
