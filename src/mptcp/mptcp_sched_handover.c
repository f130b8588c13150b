/* `handover`: the first subflow alone carries data while it is active; the others, the
 * best of them as `default` picks, only while it is not (like Apple's handover mode: a
 * second path kept warm for when the first fails). */
#include "mptcp/mptcp.h"

static struct mptcp_subflow *pick(struct mptcp_sock *msk, uint32_t len)
{
        struct mptcp_subflow *first = msk->first;
        if (first && mptcp_sched_active(first)) {
                struct um_tcp_path_info pi;
                um_tcp_path_info(first->tcp, &pi);
                return mptcp_sched_room(&pi, len) ? first : NULL;
        }
        return mptcp_sched_lowest(msk, len, 0);
}

static int handover_get_send(struct mptcp_sock *msk, uint32_t *len, struct mptcp_subflow **out)
{
        out[0] = pick(msk, *len);
        return out[0] != NULL;
}

const struct mptcp_sched_ops mptcp_sched_handover = {
    .name = "handover",
    .get_send = handover_get_send,
    .get_retrans = pick,
};
