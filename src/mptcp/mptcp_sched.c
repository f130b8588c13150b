/* The packet schedulers: which subflow carries the next chunk of new data, and where data
 * sent before goes again. Each scheduler is a struct mptcp_sched_ops in a file of its own;
 * here are the registry (by name: the stack's `scheduler` knob and the per-socket
 * SOL_MPTCP MPTCP_SCHEDULER choice), what they share, and `default` and `minrtt`, the two
 * that pick the one subflow of lowest cost. Schedulers never send: they name subflows and
 * mptcp_push (mptcp_send.c) sends. */
#include "mptcp/mptcp.h"

#include <string.h>

static const struct mptcp_sched_ops *const registry[] = {
    &mptcp_sched_default,  &mptcp_sched_minrtt, &mptcp_sched_roundrobin, &mptcp_sched_redundant,
    &mptcp_sched_handover, &mptcp_sched_blest,  &mptcp_sched_ecf,
};

const struct mptcp_sched_ops *mptcp_sched_find(const char *name)
{
        for (size_t i = 0; name && i < sizeof(registry) / sizeof(registry[0]); i++)
                if (!strcmp(registry[i]->name, name))
                        return registry[i];
        return NULL;
}

const struct mptcp_sched_ops *mptcp_sched_at(int index)
{
        return index >= 0 && (size_t)index < sizeof(registry) / sizeof(registry[0])
                   ? registry[index]
                   : NULL;
}

int mptcp_sched_active(const struct mptcp_subflow *sf)
{
        return !sf->stale && mptcp_subflow_usable(sf);
}

int mptcp_sched_is_backup(const struct mptcp_subflow *sf)
{
        return sf->backup || sf->peer_backup;
}

int mptcp_sched_regular_active(const struct mptcp_sock *msk)
{
        for (const struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                if (!mptcp_sched_is_backup(sf) && mptcp_sched_active(sf))
                        return 1;
        return 0;
}

int mptcp_sched_room(const struct um_tcp_path_info *pi, uint32_t len)
{
        return !len || mptcp_subflow_room(pi) >= (len < pi->mss ? len : pi->mss);
}

struct mptcp_subflow *mptcp_sched_lowest(struct mptcp_sock *msk, uint32_t len, int by_rtt)
{
        struct mptcp_subflow *best[2] = {NULL, NULL};
        uint64_t best_cost[2] = {UINT64_MAX, UINT64_MAX};
        int regular_active = 0;
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next) {
                if (!mptcp_sched_active(sf))
                        continue;
                int b = mptcp_sched_is_backup(sf);
                regular_active |= !b;
                struct um_tcp_path_info pi;
                um_tcp_path_info(sf->tcp, &pi);
                if (!mptcp_sched_room(&pi, len))
                        continue;
                uint64_t srtt = pi.srtt_us ? pi.srtt_us : 100000;
                uint64_t cwnd = pi.cwnd ? pi.cwnd : pi.mss;
                uint64_t cost = by_rtt ? srtt : ((uint64_t)pi.queued + len) * srtt / cwnd;
                if (cost < best_cost[b]) {
                        best_cost[b] = cost;
                        best[b] = sf;
                }
        }
        return best[0] || regular_active ? best[0] : best[1];
}

struct mptcp_subflow *mptcp_sched_fastest(struct mptcp_sock *msk)
{
        int backups = !mptcp_sched_regular_active(msk);
        struct mptcp_subflow *best = NULL;
        uint64_t best_rtt = UINT64_MAX;
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next) {
                if (!mptcp_sched_active(sf) || mptcp_sched_is_backup(sf) != backups)
                        continue;
                struct um_tcp_path_info pi;
                um_tcp_path_info(sf->tcp, &pi);
                uint64_t rtt = pi.srtt_us ? pi.srtt_us : 100000;
                if (rtt < best_rtt) {
                        best_rtt = rtt;
                        best = sf;
                }
        }
        return best;
}

struct mptcp_subflow *mptcp_sched_retrans(struct mptcp_sock *msk, uint32_t len)
{
        return msk->sched->get_retrans ? msk->sched->get_retrans(msk, len)
                                       : mptcp_sched_lowest(msk, len, 0);
}

static int one(struct mptcp_subflow *sf, struct mptcp_subflow **out)
{
        out[0] = sf;
        return sf != NULL;
}

/* As Linux's: the lowest estimated time to deliver what a subflow already holds plus the
 * chunk (bytes queued ÷ rate, rate = cwnd ÷ srtt). */
static int default_get_send(struct mptcp_sock *msk, uint32_t *len, struct mptcp_subflow **out)
{
        return one(mptcp_sched_lowest(msk, *len, 0), out);
}

const struct mptcp_sched_ops mptcp_sched_default = {
    .name = "default",
    .get_send = default_get_send,
    .opportunistic = 1,
};

/* The lowest smoothed RTT among the subflows with room in their window (the
 * multipath-tcp.org kernel's default). */
static int minrtt_get_send(struct mptcp_sock *msk, uint32_t *len, struct mptcp_subflow **out)
{
        return one(mptcp_sched_lowest(msk, *len, 1), out);
}

static struct mptcp_subflow *minrtt_get_retrans(struct mptcp_sock *msk, uint32_t len)
{
        return mptcp_sched_lowest(msk, len, 1);
}

const struct mptcp_sched_ops mptcp_sched_minrtt = {
    .name = "minrtt",
    .get_send = minrtt_get_send,
    .get_retrans = minrtt_get_retrans,
    .opportunistic = 1,
};
