/* The packet scheduler: which subflow carries the next chunk. The interface is one call
 * (struct mptcp_sched_ops); the default follows Linux's: among the active subflows that
 * have room, the one with the lowest estimated time to deliver what it already holds plus
 * the chunk (bytes queued ÷ rate, rate = cwnd ÷ srtt); backup subflows only when no other
 * subflow is usable; stale subflows (see check_stale in mptcp_send.c) skipped. */
#include "mptcp/mptcp.h"

static struct mptcp_subflow *default_get_subflow(struct mptcp_sock *msk, uint32_t len)
{
        struct mptcp_subflow *best[2] = {NULL, NULL};
        uint64_t best_cost[2] = {UINT64_MAX, UINT64_MAX};
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next) {
                if (!mptcp_subflow_usable(sf))
                        continue;
                if (sf->stale)
                        continue;
                struct um_tcp_path_info pi;
                um_tcp_path_info(sf->tcp, &pi);
                if (len && mptcp_subflow_room(&pi) < (len < pi.mss ? len : pi.mss))
                        continue;
                uint64_t srtt = pi.srtt_us ? pi.srtt_us : 100000;
                uint64_t cwnd = pi.cwnd ? pi.cwnd : pi.mss;
                /* time to deliver = (queued + len) * srtt / cwnd */
                uint64_t cost = ((uint64_t)pi.queued + len) * srtt / cwnd;
                int b = sf->backup || sf->peer_backup;
                if (cost < best_cost[b]) {
                        best_cost[b] = cost;
                        best[b] = sf;
                }
        }
        if (best[0])
                return best[0];
        /* Backups carry data only when no regular subflow is active at all. */
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                if (!(sf->backup || sf->peer_backup) && mptcp_subflow_usable(sf) && !sf->stale)
                        return NULL;
        return best[1];
}

const struct mptcp_sched_ops mptcp_sched_default = {
    .name = "default",
    .get_subflow = default_get_subflow,
};
