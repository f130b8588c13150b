/* The built-in path manager, like Linux's in-kernel one: local endpoints with flags, and
 * limits. When a connection is established (its ESTABLISHED event) it announces the
 * `signal` endpoints, and a client opens one subflow from each `subflow` endpoint to the
 * address it connected to; an address the peer announces (ANNOUNCED) is taken up within
 * the add_addr_accepted limit; joins are accepted up to the subflow limit. Removing an
 * endpoint removes its address from every connection (RM_ADDR, its subflows closed);
 * changing its backup flag sends MP_PRIO on its subflows. A `fullmesh` endpoint opens a
 * subflow to every address the peer has: the one connected to and each one announced (in
 * place of the one subflow from the routed source). Unlike Linux's, it re-creates a
 * subflow from a `subflow` endpoint that a reset or a timeout took (not one it or the peer
 * removed), after 1 s, then 2, 4, ... up to 64 s between tries, while the endpoint and the
 * connection exist.
 *
 * It reaches the engine only through the path-manager interface (include/umptcp/mptcp_pm.h
 * and mptcp_pm_kernel.h): it keeps its own small record of each connection it acts on,
 * found by token, made at ESTABLISHED and dropped at CLOSED. */
#include "mptcp/mptcp_pm_kernel.h"

#include <errno.h>
#include <stdlib.h>

#include "core/stack.h"
#include "core/timer.h"
#include <string.h>
#include <umptcp/mptcp.h>

enum {
        RETRY_FIRST_US = 1000000, /* a lost subflow's first re-creation, then doubling */
        RETRY_MAX_US = 64000000,
        MAX_ENDPOINTS = 8,
        MAX_LIMIT = 8,   /* Linux caps both limits at 8 */
        MAX_ACCEPTED = 8 /* peer addresses a connection takes up */
};

struct endpoint {
        struct um_addr addr;
        uint16_t port; /* announced with the address; 0: the connection's */
        uint8_t id;
        unsigned flags;
};

/* What the manager remembers of a connection. */
struct conn {
        struct conn *next; /* in its token's bucket */
        uint32_t token;
        uint8_t server_side, deny_join_id0, n_joins, n_accepted;
        uint8_t accepted[MAX_ACCEPTED]; /* IDs of peer addresses taken up */
        struct um_addr laddr, raddr;    /* the first subflow's */
        uint16_t lport, rport;
};

/* A subflow from an endpoint that was lost, to be opened again. */
struct retry {
        uint32_t token;
        uint8_t ep_id, tries;
        uint64_t due; /* UINT64_MAX: not now (it was opened again; tries count on) */
};

struct mptcp_pm_kernel {
        struct um_stack *st;
        struct retry *retries;
        int n_retries, cap_retries;
        struct um_timer timer; /* at the earliest retry due */
        struct endpoint endpoints[MAX_ENDPOINTS];
        int n_endpoints;
        unsigned limit_subflows, limit_add_addr_accepted;
        struct conn **buckets; /* doubles when it holds more records than buckets */
        uint32_t mask, n;
};

static void retry_fire(struct um_timer *t, uint64_t now);

struct mptcp_pm_kernel *mptcp_pm_kernel_new(struct um_stack *st)
{
        struct mptcp_pm_kernel *pm = calloc(1, sizeof(*pm));
        if (!pm)
                return NULL;
        pm->st = st;
        um_timer_init(&pm->timer, retry_fire);
        pm->limit_subflows = 2; /* Linux's defaults */
        pm->limit_add_addr_accepted = 0;
        return pm;
}

void mptcp_pm_kernel_free(struct mptcp_pm_kernel *pm)
{
        if (!pm)
                return;
        um_timer_cancel(&pm->st->timers, &pm->timer);
        free(pm->retries);
        for (uint32_t b = 0; pm->buckets && b <= pm->mask; b++)
                for (struct conn *c = pm->buckets[b], *next; c; c = next) {
                        next = c->next;
                        free(c);
                }
        free(pm->buckets);
        free(pm);
}

/* ---- The record of connections, by token ---- */

static struct conn **slot(const struct mptcp_pm_kernel *pm, uint32_t token)
{
        return &pm->buckets[(token * 2654435761u) & pm->mask];
}

static struct conn *conn_find(const struct mptcp_pm_kernel *pm, uint32_t token)
{
        if (!pm->buckets)
                return NULL;
        for (struct conn *c = *slot(pm, token); c; c = c->next)
                if (c->token == token)
                        return c;
        return NULL;
}

static int grow(struct mptcp_pm_kernel *pm)
{
        uint32_t old_n = pm->buckets ? pm->mask + 1 : 0, n = old_n ? 2 * old_n : 64;
        struct conn **b = calloc(n, sizeof(*b)), **old = pm->buckets;
        if (!b)
                return -ENOMEM;
        pm->buckets = b;
        pm->mask = n - 1;
        for (uint32_t i = 0; i < old_n; i++)
                for (struct conn *c = old[i], *next; c; c = next) {
                        next = c->next;
                        c->next = *slot(pm, c->token);
                        *slot(pm, c->token) = c;
                }
        free(old);
        return 0;
}

static struct conn *conn_add(struct mptcp_pm_kernel *pm, uint32_t token)
{
        if ((!pm->buckets || pm->n > pm->mask) && grow(pm) < 0)
                return NULL;
        struct conn *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        c->token = token;
        c->next = *slot(pm, token);
        *slot(pm, token) = c;
        pm->n++;
        return c;
}

static void conn_drop(struct mptcp_pm_kernel *pm, uint32_t token)
{
        if (!pm->buckets)
                return;
        for (struct conn **pp = slot(pm, token); *pp; pp = &(*pp)->next)
                if ((*pp)->token == token) {
                        struct conn *c = *pp;
                        *pp = c->next;
                        free(c);
                        pm->n--;
                        return;
                }
}

/* ---- Reactions to events ---- */

static struct endpoint *endpoint_by_id(struct mptcp_pm_kernel *pm, int id)
{
        for (int i = 0; i < pm->n_endpoints; i++)
                if (pm->endpoints[i].id == id)
                        return &pm->endpoints[i];
        return NULL;
}

static struct um_addr event_addr(int family, const uint8_t raw[16])
{
        struct um_addr a = {.family = (uint8_t)family};
        memcpy(a.b, raw, family == AF_INET ? 4 : 16);
        return a;
}

static struct um_mptcp_pm_addr pm_addr(const struct um_addr *a, uint16_t port, uint8_t id)
{
        struct um_mptcp_pm_addr out = {.id = id};
        um_addr_to_sockaddr(a, port, (struct sockaddr *)&out.addr, sizeof(out.addr));
        return out;
}

static int open_from(struct mptcp_pm_kernel *pm, const struct conn *c, const struct endpoint *ep)
{
        struct sockaddr_storage remote;
        um_addr_to_sockaddr(&c->raddr, c->rport, (struct sockaddr *)&remote, sizeof(remote));
        struct um_mptcp_pm_addr a = pm_addr(&ep->addr, 0, ep->id);
        return um_mptcp_pm_subflow_create(pm->st, c->token, &a, (struct sockaddr *)&remote,
                                          (ep->flags & UM_MPTCP_PM_BACKUP) != 0);
}

/* Whether an endpoint is the connection's initial address (ID 0, RFC 8684 §3.4.1), which
 * is never announced nor joined from. An endpoint with a port of its own is another place
 * on that address, as Linux matches an endpoint's port only when it has one: a server
 * behind a NAT load balancer announces its own address with another port, so that joins
 * reach it and not the shared address its C flag forbids (docs/DEPLOY.md). */
static int is_initial(const struct conn *c, const struct endpoint *ep)
{
        return um_addr_eq(&ep->addr, &c->laddr) && (!ep->port || ep->port == c->lport);
}

/* What an endpoint does on an established connection: its announcement, its subflow to the
 * address the connection went to (a client's, where the peer's C flag allows: RFC 8684
 * §3.1), within the limits. */
static void use_endpoint(struct mptcp_pm_kernel *pm, struct conn *c, const struct endpoint *ep)
{
        if (ep->addr.family != c->laddr.family || is_initial(c, ep))
                return;
        if (ep->flags & UM_MPTCP_PM_SIGNAL) {
                struct um_mptcp_pm_addr a = pm_addr(&ep->addr, ep->port, ep->id);
                um_mptcp_pm_announce(pm->st, c->token, &a);
        }
        if ((ep->flags & (UM_MPTCP_PM_SUBFLOW | UM_MPTCP_PM_FULLMESH)) && !c->server_side &&
            !c->deny_join_id0 && c->n_joins < pm->limit_subflows && open_from(pm, c, ep) == 0)
                c->n_joins++;
}

static void established(struct mptcp_pm_kernel *pm, const struct um_mptcp_event *ev)
{
        struct conn *c = conn_find(pm, ev->token);
        if (!c && !(c = conn_add(pm, ev->token)))
                return;
        c->server_side = ev->server_side;
        c->deny_join_id0 = (ev->flags & UM_MPTCP_EVENT_FLAG_DENY_JOIN_ID0) != 0;
        c->laddr = event_addr(ev->family, ev->saddr);
        c->raddr = event_addr(ev->family, ev->daddr);
        c->lport = ev->sport;
        c->rport = ev->dport;
        for (int i = 0; i < pm->n_endpoints; i++)
                use_endpoint(pm, c, &pm->endpoints[i]);
}

/* Takes up an address the peer announced: a subflow to it from the routed source, within
 * the limits. */
static void announced(struct mptcp_pm_kernel *pm, const struct um_mptcp_event *ev)
{
        struct conn *c = conn_find(pm, ev->token);
        if (!c)
                return;
        struct um_addr a = event_addr(ev->family, ev->daddr);
        if (a.family != c->raddr.family || um_addr_eq(&a, &c->raddr))
                return;
        for (int i = 0; i < c->n_accepted; i++)
                if (c->accepted[i] == ev->rem_id)
                        return; /* a repeat */
        if (c->n_accepted >= pm->limit_add_addr_accepted || c->n_accepted == MAX_ACCEPTED ||
            c->n_joins >= pm->limit_subflows)
                return;
        c->accepted[c->n_accepted++] = ev->rem_id;
        struct sockaddr_storage remote;
        uint16_t port = (ev->attrs & UM_MPTCP_ATTR_DPORT) ? ev->dport : c->rport;
        um_addr_to_sockaddr(&a, port, (struct sockaddr *)&remote, sizeof(remote));
        /* As Linux: every fullmesh endpoint opens a subflow to it; without one, a subflow
         * from the routed source does. */
        int fullmesh = 0;
        for (int i = 0; i < pm->n_endpoints && c->n_joins < pm->limit_subflows; i++) {
                const struct endpoint *ep = &pm->endpoints[i];
                if (!(ep->flags & UM_MPTCP_PM_FULLMESH) || ep->addr.family != a.family)
                        continue;
                fullmesh = 1;
                struct um_mptcp_pm_addr local = pm_addr(&ep->addr, 0, ep->id);
                if (um_mptcp_pm_subflow_create(pm->st, ev->token, &local,
                                               (struct sockaddr *)&remote,
                                               (ep->flags & UM_MPTCP_PM_BACKUP) != 0) == 0)
                        c->n_joins++;
        }
        if (fullmesh)
                return;
        struct um_addr any = {.family = a.family};
        struct um_mptcp_pm_addr local = pm_addr(&any, 0, 0);
        if (um_mptcp_pm_subflow_create(pm->st, ev->token, &local, (struct sockaddr *)&remote, 0) ==
            0)
                c->n_joins++;
}

static void removed(struct mptcp_pm_kernel *pm, const struct um_mptcp_event *ev)
{
        struct conn *c = conn_find(pm, ev->token);
        for (int i = 0; c && i < c->n_accepted; i++)
                if (c->accepted[i] == ev->rem_id)
                        c->accepted[i--] = c->accepted[--c->n_accepted];
}

/* ---- Re-creating lost subflows ---- */

static struct retry *retry_find(struct mptcp_pm_kernel *pm, uint32_t token, uint8_t ep_id)
{
        for (int i = 0; i < pm->n_retries; i++)
                if (pm->retries[i].token == token && pm->retries[i].ep_id == ep_id)
                        return &pm->retries[i];
        return NULL;
}

static void retry_rearm(struct mptcp_pm_kernel *pm)
{
        uint64_t at = UINT64_MAX;
        for (int i = 0; i < pm->n_retries; i++)
                if (pm->retries[i].due < at)
                        at = pm->retries[i].due;
        if (at == UINT64_MAX)
                um_timer_cancel(&pm->st->timers, &pm->timer);
        else
                um_timer_arm(&pm->st->timers, &pm->timer, at);
}

static void retry_forget(struct mptcp_pm_kernel *pm, uint32_t token)
{
        for (int i = 0; i < pm->n_retries;)
                if (pm->retries[i].token == token)
                        pm->retries[i] = pm->retries[--pm->n_retries];
                else
                        i++;
        retry_rearm(pm);
}

/* The next try: 1 s after the first loss, doubling up to 64 s. */
static void retry_later(struct mptcp_pm_kernel *pm, struct retry *r)
{
        uint64_t wait = (uint64_t)RETRY_FIRST_US << (r->tries < 6 ? r->tries : 6);
        r->due = um_stack_now(pm->st) + (wait < RETRY_MAX_US ? wait : RETRY_MAX_US);
        if (r->tries < 255)
                r->tries++;
}

static void retry_fire(struct um_timer *t, uint64_t now)
{
        struct mptcp_pm_kernel *pm =
            (struct mptcp_pm_kernel *)((char *)t - offsetof(struct mptcp_pm_kernel, timer));
        for (int i = 0; i < pm->n_retries;) {
                struct retry *r = &pm->retries[i];
                struct conn *c = conn_find(pm, r->token);
                const struct endpoint *ep = endpoint_by_id(pm, r->ep_id);
                if (!c || !ep || !(ep->flags & UM_MPTCP_PM_SUBFLOW)) {
                        *r = pm->retries[--pm->n_retries]; /* nothing to re-create */
                        continue;
                }
                if (r->due <= now) {
                        r->due = UINT64_MAX; /* its SUB_CLOSED, if it fails, sets the next */
                        int rc = c->n_joins < pm->limit_subflows ? open_from(pm, c, ep) : -ENOSPC;
                        if (rc == 0)
                                c->n_joins++;
                        else if (rc == -EBUSY) { /* the connection is closing */
                                *r = pm->retries[--pm->n_retries];
                                continue;
                        } else { /* no SYN went out (no route, no port, no room) */
                                retry_later(pm, r);
                        }
                }
                i++;
        }
        retry_rearm(pm);
}

static int first_subflow(const struct conn *c, const struct um_mptcp_event *ev)
{
        struct um_addr l = event_addr(ev->family, ev->saddr), r = event_addr(ev->family, ev->daddr);
        return ev->sport == c->lport && ev->dport == c->rport && um_addr_eq(&l, &c->laddr) &&
               um_addr_eq(&r, &c->raddr);
}

/* A subflow from a `subflow` endpoint ended with an error (a reset, a timeout): open it
 * again later. One the manager or the peer removed ends aborted or cleanly: not that. */
static void sub_closed(struct mptcp_pm_kernel *pm, const struct um_mptcp_event *ev)
{
        struct conn *c = conn_find(pm, ev->token);
        /* One of its joins is gone, whatever state it reached: the limit has room again
         * (as Linux counts). */
        if (c && !c->server_side && c->n_joins && !first_subflow(c, ev))
                c->n_joins--;
        const struct endpoint *ep = endpoint_by_id(pm, ev->loc_id);
        if (!c || c->server_side || !ep || !(ep->flags & UM_MPTCP_PM_SUBFLOW) ||
            !(ev->attrs & UM_MPTCP_ATTR_ERROR) || ev->error == ECONNABORTED)
                return;
        struct retry *r = retry_find(pm, ev->token, ev->loc_id);
        if (!r) {
                if (pm->n_retries == pm->cap_retries) {
                        int cap = pm->cap_retries ? 2 * pm->cap_retries : 8;
                        struct retry *p = realloc(pm->retries, (size_t)cap * sizeof(*p));
                        if (!p)
                                return;
                        pm->retries = p;
                        pm->cap_retries = cap;
                }
                r = &pm->retries[pm->n_retries++];
                *r = (struct retry){.token = ev->token, .ep_id = ev->loc_id};
        }
        retry_later(pm, r);
        retry_rearm(pm);
}

void mptcp_pm_kernel_on_event(struct mptcp_pm_kernel *pm, const struct um_mptcp_event *ev)
{
        switch (ev->type) {
        case UM_MPTCP_EVENT_SUB_CLOSED:
                sub_closed(pm, ev);
                break;
        case UM_MPTCP_EVENT_SUB_ESTABLISHED: { /* back: the next loss starts from 1 s */
                struct retry *r = retry_find(pm, ev->token, ev->loc_id);
                if (r)
                        *r = pm->retries[--pm->n_retries];
                break;
        }
        case UM_MPTCP_EVENT_ESTABLISHED:
                established(pm, ev);
                break;
        case UM_MPTCP_EVENT_ANNOUNCED:
                announced(pm, ev);
                break;
        case UM_MPTCP_EVENT_REMOVED:
                removed(pm, ev);
                break;
        case UM_MPTCP_EVENT_CLOSED:
                retry_forget(pm, ev->token);
                conn_drop(pm, ev->token);
                break;
        default:
                break;
        }
}

/* ---- The engine's questions ---- */

int mptcp_pm_kernel_allow_join(const struct mptcp_pm_kernel *pm, int n_subflows)
{
        return n_subflows - 1 < (int)pm->limit_subflows;
}

uint8_t mptcp_pm_kernel_local_id(const struct mptcp_pm_kernel *pm, const struct um_addr *a)
{
        for (int i = 0; i < pm->n_endpoints; i++)
                if (um_addr_eq(&pm->endpoints[i].addr, a))
                        return pm->endpoints[i].id;
        return 0;
}

void mptcp_pm_kernel_info(const struct mptcp_pm_kernel *pm, uint32_t token,
                          struct mptcp_pm_kernel_info *out)
{
        *out = (struct mptcp_pm_kernel_info){.subflows_max = pm->limit_subflows,
                                             .add_addr_accepted_max = pm->limit_add_addr_accepted,
                                             .endpoints = (unsigned)pm->n_endpoints};
        for (int i = 0; i < pm->n_endpoints; i++)
                out->signal_max += (pm->endpoints[i].flags & UM_MPTCP_PM_SIGNAL) != 0;
        const struct conn *c = conn_find(pm, token);
        out->add_addr_accepted = c ? c->n_accepted : 0;
}

/* ---- Endpoints and limits (um_mptcp_endpoint_*, um_mptcp_limits_set) ---- */

int um_mptcp_endpoint_add(struct um_stack *st, const char *addr, unsigned flags, int id)
{
        return um_mptcp_endpoint_add_port(st, addr, 0, flags, id);
}

int um_mptcp_endpoint_add_port(struct um_stack *st, const char *addr, uint16_t port, unsigned flags,
                               int id)
{
        /* As Linux: a port is for an address to announce. */
        if (!st || !addr || id < 0 || id > 255 || (port && !(flags & UM_MPTCP_PM_SIGNAL)))
                return -EINVAL;
        struct mptcp_pm_kernel *pm = mptcp_pm_kernel_of(st);
        struct um_addr a;
        if (um_addr_parse(addr, &a) < 0)
                return -EINVAL;
        if (pm->n_endpoints == MAX_ENDPOINTS)
                return -ENOSPC;
        for (int i = 0; i < pm->n_endpoints; i++)
                if ((um_addr_eq(&pm->endpoints[i].addr, &a) && pm->endpoints[i].port == port) ||
                    pm->endpoints[i].id == id)
                        return -EEXIST;
        if (!id) {
                id = 1;
                for (int i = 0; i < pm->n_endpoints; i++)
                        if (pm->endpoints[i].id >= id)
                                id = pm->endpoints[i].id + 1;
        }
        struct endpoint *ep = &pm->endpoints[pm->n_endpoints++];
        *ep = (struct endpoint){.addr = a, .port = port, .id = (uint8_t)id, .flags = flags};
        /* As Linux's: a new endpoint serves the connections already there too. */
        for (uint32_t b = 0; pm->buckets && b <= pm->mask; b++)
                for (struct conn *c = pm->buckets[b]; c; c = c->next)
                        use_endpoint(pm, c, ep);
        return id;
}

static struct endpoint *endpoint_find(struct mptcp_pm_kernel *pm, const char *addr)
{
        struct um_addr a;
        if (!addr || um_addr_parse(addr, &a) < 0)
                return NULL;
        for (int i = 0; i < pm->n_endpoints; i++)
                if (um_addr_eq(&pm->endpoints[i].addr, &a))
                        return &pm->endpoints[i];
        return NULL;
}

int um_mptcp_endpoint_del(struct um_stack *st, const char *addr)
{
        struct mptcp_pm_kernel *pm = st ? mptcp_pm_kernel_of(st) : NULL;
        struct endpoint *ep = pm ? endpoint_find(pm, addr) : NULL;
        if (!ep)
                return -ENOENT;
        /* Every connection that announced it or has subflows from it removes it (those
         * that did neither answer ENOENT, which is nothing to do). */
        for (uint32_t b = 0; pm->buckets && b <= pm->mask; b++)
                for (struct conn *c = pm->buckets[b]; c; c = c->next)
                        um_mptcp_pm_remove(st, c->token, ep->id);
        *ep = pm->endpoints[--pm->n_endpoints];
        return 0;
}

/* MP_PRIO on every subflow from the endpoint, on every connection. */
static void tell_backup(struct mptcp_pm_kernel *pm, const struct endpoint *ep)
{
        for (uint32_t b = 0; pm->buckets && b <= pm->mask; b++)
                for (struct conn *c = pm->buckets[b]; c; c = c->next)
                        mptcp_pm_backup_by_id(pm->st, c->token, ep->id,
                                              (ep->flags & UM_MPTCP_PM_BACKUP) != 0);
}

int um_mptcp_endpoint_set_backup(struct um_stack *st, const char *addr, int backup)
{
        struct mptcp_pm_kernel *pm = st ? mptcp_pm_kernel_of(st) : NULL;
        struct endpoint *ep = pm ? endpoint_find(pm, addr) : NULL;
        if (!ep)
                return -ENOENT;
        ep->flags = backup ? ep->flags | UM_MPTCP_PM_BACKUP : ep->flags & ~UM_MPTCP_PM_BACKUP;
        tell_backup(pm, ep);
        return 0;
}

int um_mptcp_endpoint_del_id(struct um_stack *st, int id)
{
        struct mptcp_pm_kernel *pm = st ? mptcp_pm_kernel_of(st) : NULL;
        struct endpoint *ep = pm ? endpoint_by_id(pm, id) : NULL;
        if (!ep)
                return -ENOENT;
        char buf[64];
        return um_mptcp_endpoint_del(st, um_addr_str(&ep->addr, buf, sizeof(buf)));
}

int um_mptcp_endpoint_change(struct um_stack *st, int id, unsigned set, unsigned clear)
{
        struct mptcp_pm_kernel *pm = st ? mptcp_pm_kernel_of(st) : NULL;
        struct endpoint *ep = pm ? endpoint_by_id(pm, id) : NULL;
        const unsigned changeable = UM_MPTCP_PM_BACKUP | UM_MPTCP_PM_FULLMESH;
        if (!ep)
                return -ENOENT;
        if ((set | clear) & ~changeable || set & clear)
                return -EINVAL;
        unsigned flags = (ep->flags | set) & ~clear;
        /* As Linux: signal and fullmesh do not go together. */
        if ((flags & UM_MPTCP_PM_SIGNAL) && (flags & UM_MPTCP_PM_FULLMESH))
                return -EINVAL;
        unsigned old = ep->flags;
        ep->flags = flags;
        if ((old ^ flags) & UM_MPTCP_PM_BACKUP)
                tell_backup(pm, ep);
        return 0;
}

int um_mptcp_endpoint_get(const struct um_stack *st, int index, struct um_mptcp_endpoint *out)
{
        const struct mptcp_pm_kernel *pm = st ? mptcp_pm_kernel_of((struct um_stack *)st) : NULL;
        if (!pm || !out || index < 0 || index >= pm->n_endpoints)
                return -ENOENT;
        const struct endpoint *ep = &pm->endpoints[index];
        *out = (struct um_mptcp_endpoint){.id = ep->id, .flags = ep->flags};
        um_addr_to_sockaddr(&ep->addr, ep->port, (struct sockaddr *)&out->addr, sizeof(out->addr));
        return 0;
}

void um_mptcp_limits_get(const struct um_stack *st, unsigned *subflows, unsigned *add_addr_accepted)
{
        const struct mptcp_pm_kernel *pm = mptcp_pm_kernel_of((struct um_stack *)st);
        *subflows = pm->limit_subflows;
        *add_addr_accepted = pm->limit_add_addr_accepted;
}

int um_mptcp_limits_set(struct um_stack *st, unsigned subflows, unsigned add_addr_accepted)
{
        if (!st || subflows > MAX_LIMIT || add_addr_accepted > MAX_LIMIT)
                return -EINVAL;
        struct mptcp_pm_kernel *pm = mptcp_pm_kernel_of(st);
        pm->limit_subflows = subflows;
        pm->limit_add_addr_accepted = add_addr_accepted;
        return 0;
}
