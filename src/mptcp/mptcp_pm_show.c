/* What a path manager may read of the connections (include/umptcp/mptcp_pm.h): each
 * connection with a token and its subflows, for umptcp-ctl show and for managers that
 * join a connection already running. */
#include "mptcp/mptcp.h"
#include "sock/sock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void subflow_info(const struct mptcp_subflow *sf, struct um_mptcp_subflow_info *out)
{
        struct um_tcp_path_info pi;
        um_tcp_path_info(sf->tcp, &pi);
        *out = (struct um_mptcp_subflow_info){.loc_id = sf->local_id,
                                              .rem_id = sf->remote_id,
                                              .backup = sf->backup,
                                              .peer_backup = sf->peer_backup,
                                              .state = um_tcp_state(sf->tcp),
                                              .srtt_us = pi.srtt_us,
                                              .cwnd = pi.cwnd,
                                              .bytes_sent = sf->bytes_sent,
                                              .bytes_received = sf->bytes_received};
        um_tcp_endpoints(sf->tcp, &out->local, &out->remote);
}

/* What a manager sees of a connection with a token (MPTCP negotiated); 0 without one. */
static int conn_info(const struct mptcp_sock *msk, struct um_mptcp_conn_info *ci)
{
        if (!msk->token_registered || !msk->first)
                return 0;
        *ci = (struct um_mptcp_conn_info){.token = msk->local_token,
                                          .server_side = msk->first->passive,
                                          .fallback = msk->fallback,
                                          .bytes_sent = msk->bytes_sent,
                                          .bytes_received = msk->bytes_received,
                                          .bytes_retrans = msk->bytes_retrans};
        um_tcp_endpoints(msk->first->tcp, &ci->local, &ci->remote);
        if (msk->sock && msk->sock->description)
                snprintf(ci->description, sizeof(ci->description), "%s", msk->sock->description);
        for (const struct mptcp_subflow *sf = msk->subflows;
             sf && ci->n_subflows < UM_MPTCP_SHOW_SUBFLOWS; sf = sf->next)
                if (!sf->is_listener)
                        subflow_info(sf, &ci->subflows[ci->n_subflows++]);
        return 1;
}

int um_mptcp_connections(struct um_stack *st,
                         void (*fn)(const struct um_mptcp_conn_info *ci, void *arg), void *arg)
{
        if (!st || !fn)
                return 0;
        int n = 0;
        struct mptcp_sock *msk;
        struct um_mptcp_conn_info ci;
        LIST_FOREACH(msk, &st->mptcp->all, all_link)
        {
                if (!conn_info(msk, &ci))
                        continue;
                fn(&ci, arg);
                n++;
        }
        return n;
}

int um_mptcp_connection(struct um_stack *st, uint32_t token,
                        void (*fn)(const struct um_mptcp_conn_info *ci, void *arg), void *arg)
{
        if (!st || !fn)
                return -EINVAL;
        struct um_mptcp_conn_info ci;
        const struct mptcp_sock *msk = mptcp_token_lookup(st->mptcp, token);
        if (!msk || !conn_info(msk, &ci))
                return -ENOENT;
        fn(&ci, arg);
        return 0;
}
