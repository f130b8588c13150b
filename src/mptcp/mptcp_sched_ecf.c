/* `ecf` (Lim, Nahum, Towsley and Gibbens, "ECF: An MPTCP Path Scheduler to Manage
 * Heterogeneous Paths", CoNEXT 2017): earliest completion first. Data goes on the fastest
 * subflow (lowest RTT) while it has room; when it has none, the next fastest with room, x_s,
 * takes the chunk unless waiting for the fast one, x_f, completes the data sooner. With k
 * the segments still to send at the data level, n = 1 + k/CWND_f rounds of x_f,
 * δ = max(rttvar_f, rttvar_s) and β = 1/4 (the paper's hysteresis, kept while waiting):
 *     if n·RTT_f < (1 + waiting·β)·(RTT_s + δ)
 *        and (k/CWND_s)·RTT_s ≥ 2·RTT_f + δ:  wait for x_f (waiting = 1)
 *     else: send on x_s (waiting = 0). */
#include "mptcp/mptcp.h"

static int ecf_get_send(struct mptcp_sock *msk, uint32_t *len, struct mptcp_subflow **out)
{
        uint32_t *waiting = &msk->sched_priv[0];
        struct mptcp_subflow *fast = mptcp_sched_fastest(msk);
        if (!fast)
                return 0;
        struct um_tcp_path_info f, s;
        um_tcp_path_info(fast->tcp, &f);
        out[0] = fast;
        if (mptcp_sched_room(&f, *len)) {
                *waiting = 0;
                return 1;
        }
        struct mptcp_subflow *slow = mptcp_sched_lowest(msk, *len, 1);
        if (!slow)
                return 0;
        um_tcp_path_info(slow->tcp, &s);
        uint64_t mss = f.mss ? f.mss : 1;
        uint64_t k = (msk->write_seq - msk->snd_nxt + mss - 1) / mss;
        uint64_t cwnd_f = f.cwnd / mss ? f.cwnd / mss : 1;
        uint64_t cwnd_s = s.cwnd / (s.mss ? s.mss : 1) ? s.cwnd / (s.mss ? s.mss : 1) : 1;
        uint64_t rtt_f = f.srtt_us ? f.srtt_us : 100000, rtt_s = s.srtt_us ? s.srtt_us : 100000;
        uint64_t delta = f.rttvar_us > s.rttvar_us ? f.rttvar_us : s.rttvar_us;
        uint64_t n = 1 + k / cwnd_f;
        /* In quarters: (1 + waiting/4)·(RTT_s + δ). */
        if (4 * n * rtt_f < (4 + *waiting) * (rtt_s + delta) &&
            k * rtt_s >= (2 * rtt_f + delta) * cwnd_s) {
                *waiting = 1;
                return 0;
        }
        *waiting = 0;
        out[0] = slow;
        return 1;
}

const struct mptcp_sched_ops mptcp_sched_ecf = {
    .name = "ecf",
    .get_send = ecf_get_send,
    .opportunistic = 1,
};
