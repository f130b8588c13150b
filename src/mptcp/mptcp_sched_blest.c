/* `blest` (Ferlin, Alay, Mehani and Boreli, "BLEST: Blocking Estimation-based MPTCP
 * Scheduler for Heterogeneous Networks", IFIP Networking 2016). Data goes on the fastest
 * subflow (lowest RTT) while it has room; when it has none, the next fastest one with room
 * takes the chunk only if that does not risk blocking the fast one at the data level: in
 * one RTT of the slow subflow the fast one could send
 *     X = MSS_f · (CWND_f + (RTT_s/RTT_f − 1)/2) · RTT_s/RTT_f    (CWND in segments),
 * and the slow one is held back when λ·X > W − MSS_s · (inflight_s + 1), W being the send
 * window the peer's data-level receive window allows. λ starts at 1 and adapts as the paper
 * says, in thousandths: +0.04 when the connection finds its send window too small for the
 * chunk (the blocking it should have foreseen), −0.01 for each RTT of the fast subflow
 * without that, within [0.5, 2]. */
#include "mptcp/mptcp.h"

enum {
        LAMBDA_INIT = 1000,
        LAMBDA_MIN = 500,
        LAMBDA_MAX = 2000,
        LAMBDA_BAD = 40,
        LAMBDA_GOOD = 10,
};

/* sched_priv[0]: λ in thousandths (0: not yet set); [1]: when it last fell (ms). */
static uint32_t lambda(struct mptcp_sock *msk, const struct um_tcp_path_info *fast, uint32_t len)
{
        uint32_t *l = &msk->sched_priv[0], *at = &msk->sched_priv[1];
        uint32_t now_ms = (uint32_t)(msk->st->now / 1000);
        if (!*l) {
                *l = LAMBDA_INIT;
                *at = now_ms;
        }
        uint64_t end = mptcp_send_wnd_end(msk);
        uint64_t wnd = dsn_gt(end, msk->snd_nxt) ? end - msk->snd_nxt : 0;
        uint32_t rtt_ms = (uint32_t)((fast->srtt_us ? fast->srtt_us : 100000) / 1000) + 1;
        if (wnd < len) {
                *l = *l + LAMBDA_BAD < LAMBDA_MAX ? *l + LAMBDA_BAD : LAMBDA_MAX;
                *at = now_ms;
        } else if (now_ms - *at >= rtt_ms) {
                *l = *l > LAMBDA_MIN + LAMBDA_GOOD ? *l - LAMBDA_GOOD : LAMBDA_MIN;
                *at = now_ms;
        }
        return *l;
}

static int blest_get_send(struct mptcp_sock *msk, uint32_t *len, struct mptcp_subflow **out)
{
        struct mptcp_subflow *fast = mptcp_sched_fastest(msk);
        if (!fast)
                return 0;
        struct um_tcp_path_info f, s;
        um_tcp_path_info(fast->tcp, &f);
        uint32_t lam = lambda(msk, &f, *len);
        out[0] = fast;
        if (mptcp_sched_room(&f, *len))
                return 1;
        struct mptcp_subflow *slow = mptcp_sched_lowest(msk, *len, 1);
        if (!slow)
                return 0;
        um_tcp_path_info(slow->tcp, &s);
        uint64_t rtt_f = f.srtt_us ? f.srtt_us : 100000, rtt_s = s.srtt_us ? s.srtt_us : 100000;
        uint64_t ratio = rtt_s * 1000 / rtt_f; /* RTT_s/RTT_f in thousandths */
        uint64_t cwnd_f = f.cwnd / (f.mss ? f.mss : 1);
        /* X in bytes, carrying the two thousandths of the ratio's products. */
        uint64_t x = (uint64_t)f.mss * (cwnd_f * 1000 + (ratio > 1000 ? (ratio - 1000) / 2 : 0)) *
                     ratio / 1000000;
        uint64_t end = mptcp_send_wnd_end(msk);
        uint64_t w = dsn_gt(end, msk->snd_una) ? end - msk->snd_una : 0;
        uint64_t slow_needs = (uint64_t)s.mss * (s.in_flight / (s.mss ? s.mss : 1) + 1);
        if (x * lam / 1000 + slow_needs > w)
                return 0; /* the fast subflow will do it sooner: wait for its room */
        out[0] = slow;
        return 1;
}

const struct mptcp_sched_ops mptcp_sched_blest = {
    .name = "blest",
    .get_send = blest_get_send,
    .opportunistic = 1,
};
