/* The built-in path manager, like Linux's in-kernel one: local endpoints with flags, and
 * limits. A client opens one subflow from each `subflow` endpoint to the address it
 * connected to, once the connection is fully established; a server accepts joins up to
 * its subflow limit. It decides; the protocol engine only executes. */
#include "mptcp/mptcp.h"
#include "tcp/tcp_api.h"

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

uint8_t mptcp_pm_local_id(const struct mptcp_stack *ms, const struct um_addr *a)
{
        for (int i = 0; i < ms->n_endpoints; i++)
                if (um_addr_eq(&ms->endpoints[i].addr, a))
                        return ms->endpoints[i].id;
        return 0;
}

int mptcp_pm_accept_join(const struct mptcp_sock *msk)
{
        return msk->n_subflows - 1 < (int)msk->ms->limit_subflows &&
               msk->n_subflows < MPTCP_MAX_SUBFLOWS;
}

static void open_join(struct mptcp_sock *msk, const struct mptcp_pm_endpoint *ep)
{
        struct um_stack *st = msk->st;
        struct um_tcp_conn *c = tcp_api_open(st, NULL, NULL);
        if (!c)
                return;
        if (tcp_api_bind(c, &ep->addr, 0, 0) < 0) {
                tcp_api_close(c);
                return;
        }
        struct mptcp_subflow *sf = mptcp_subflow_new(msk, c);
        if (!sf) {
                tcp_api_close(c);
                return;
        }
        sf->is_join = 1;
        sf->local_id = ep->id;
        sf->backup = (ep->flags & UM_MPTCP_PM_BACKUP) != 0;
        um_rng_bytes(&st->rng, &sf->local_nonce, sizeof(sf->local_nonce));
        msk->n_joins_opened++;
        st->ctr.MPTcpExtMPJoinSynTx++;
        int rc = tcp_api_connect(c, &msk->raddr, msk->rport);
        if (rc < 0 && rc != -EINPROGRESS)
                mptcp_subflow_reset(sf, MPTCP_RST_EUNSPEC);
}

void mptcp_pm_established(struct mptcp_sock *msk)
{
        struct mptcp_stack *ms = msk->ms;
        if (msk->pm_done || msk->fallback || !msk->first || msk->first->passive)
                return;
        msk->pm_done = 1;
        for (int i = 0; i < ms->n_endpoints; i++) {
                const struct mptcp_pm_endpoint *ep = &ms->endpoints[i];
                if (!(ep->flags & UM_MPTCP_PM_SUBFLOW) || ep->addr.family != msk->raddr.family ||
                    um_addr_eq(&ep->addr, &msk->laddr))
                        continue;
                if (msk->n_joins_opened >= (int)ms->limit_subflows)
                        break;
                open_join(msk, ep);
        }
}
