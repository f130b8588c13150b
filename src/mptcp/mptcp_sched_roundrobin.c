/* `roundrobin`: the active subflows take turns, each for `roundrobin_segments` full
 * segments (the stack's knob, default 1, as the multipath-tcp.org kernel's num_segments),
 * strictly: a subflow without room in its window keeps its turn until it has room (that
 * kernel's cwnd_limited = 0), so the data is spread evenly whatever the paths are — the
 * scheduler against which the others are measured. */
#include "mptcp/mptcp.h"

/* The active subflows of the class in use, in list order. */
static int candidates(struct mptcp_sock *msk, struct mptcp_subflow **c)
{
        int backups = !mptcp_sched_regular_active(msk), n = 0;
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                if (mptcp_sched_active(sf) && mptcp_sched_is_backup(sf) == backups)
                        c[n++] = sf;
        return n;
}

static int rr_get_send(struct mptcp_sock *msk, uint32_t *len, struct mptcp_subflow **out)
{
        struct mptcp_subflow *c[MPTCP_MAX_SUBFLOWS];
        int n = candidates(msk, c);
        if (!n)
                return 0;
        struct mptcp_subflow *sf = c[msk->sched_priv[0] % (uint32_t)n];
        struct um_tcp_path_info pi;
        um_tcp_path_info(sf->tcp, &pi);
        if (!mptcp_sched_room(&pi, *len))
                return 0;        /* its turn waits for its window */
        if (!msk->sched_priv[1]) /* whole segments, as mptcp_push cuts a mapping */
                msk->sched_priv[1] = (uint32_t)msk->ms->rr_segments * pi.mss - DSS_LEN_MAX;
        if (*len > msk->sched_priv[1])
                *len = msk->sched_priv[1];
        out[0] = sf;
        return 1;
}

static void rr_pushed(struct mptcp_sock *msk, struct mptcp_subflow *sf, uint32_t bytes)
{
        (void)sf;
        msk->sched_priv[1] = bytes < msk->sched_priv[1] ? msk->sched_priv[1] - bytes : 0;
        if (!msk->sched_priv[1])
                msk->sched_priv[0]++; /* the next one's turn */
}

const struct mptcp_sched_ops mptcp_sched_roundrobin = {
    .name = "roundrobin",
    .get_send = rr_get_send,
    .pushed = rr_pushed,
    .opportunistic = 1,
};
