/* `redundant`: every chunk on every active subflow (the backups only when no regular one is
 * active), so each byte arrives by the fastest path of the moment; the receiver keeps the
 * first copy and counts the others (MPTcpExtDuplicateData). It waits until all of them have
 * room, so no path falls behind the data: the connection goes at the pace of the slowest,
 * the price of the lowest delay. */
#include "mptcp/mptcp.h"

static int redundant_get_send(struct mptcp_sock *msk, uint32_t *len, struct mptcp_subflow **out)
{
        int backups = !mptcp_sched_regular_active(msk), n = 0;
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next) {
                if (!mptcp_sched_active(sf) || mptcp_sched_is_backup(sf) != backups)
                        continue;
                struct um_tcp_path_info pi;
                um_tcp_path_info(sf->tcp, &pi);
                if (!mptcp_sched_room(&pi, *len))
                        return 0;
                uint32_t room = mptcp_subflow_room(&pi);
                if (room < *len)
                        *len = room;
                out[n++] = sf;
        }
        return n;
}

const struct mptcp_sched_ops mptcp_sched_redundant = {
    .name = "redundant",
    .get_send = redundant_get_send,
};
