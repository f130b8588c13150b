/* wVegas, weighted Vegas (Cao, Xu, Fu, "Delay-based congestion control for multipath TCP",
 * ICNP 2012): each path keeps a backlog of diff_r = w_r·(rtt_r − base_rtt_r)/rtt_r segments
 * queued in the network, and the connection's total target ALPHA_TOTAL is shared by
 * weight x_r/Σ x_k (x = w/rtt); once per RTT the window moves one segment towards its
 * share. Traffic thus leaves the paths whose queues grow. Slow start is TCP's, left (as
 * Vegas leaves it) at the first RTT whose backlog passes the share; a loss halves the
 * window. */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_cc_int.h"

double mptcp_wvegas_alpha(const struct mptcp_cc_path *p, int n, int r)
{
        double sum = 0;
        for (int i = 0; i < n; i++)
                sum += p[i].w / p[i].rtt;
        return sum > 0 ? (p[r].w / p[r].rtt) / sum * MPTCP_WVEGAS_ALPHA_TOTAL
                       : MPTCP_WVEGAS_ALPHA_TOTAL;
}

int mptcp_wvegas_step(const struct mptcp_cc_path *p, int n, int r)
{
        double diff = p[r].w * (p[r].rtt - p[r].base_rtt) / p[r].rtt;
        double alpha = mptcp_wvegas_alpha(p, n, r);
        return diff < alpha ? 1 : diff > alpha ? -1 : 0;
}

static void wvegas_on_ack(struct um_tcp_conn *c, uint32_t acked, void *arg)
{
        int slow_start = um_tcp_cwnd(c) < um_tcp_ssthresh(c);
        acked = mptcp_cc_acked(c, acked);
        struct mptcp_cc_priv *v = mptcp_cc_priv(c);
        uint64_t now = um_stack_now(um_tcp_stack(c));
        if (now < v->round_end_us)
                return; /* once per RTT */
        struct mptcp_cc_path p[MPTCP_MAX_SUBFLOWS];
        int self, n = mptcp_cc_gather(c, arg, p, &self);
        v->round_end_us = now + (uint64_t)(p[self].rtt * 1e6);
        int step = mptcp_wvegas_step(p, n, self);
        if (slow_start) { /* as Vegas: slow start ends when the backlog passes the share */
                if (step < 0)
                        um_tcp_set_ssthresh(c, um_tcp_cwnd(c));
                return;
        }
        if (acked) {
                struct um_tcp_path_info pi;
                um_tcp_path_info(c, &pi);
                mptcp_cc_grow(c, step * (double)pi.mss);
        }
}

const struct um_tcp_cc_ops mptcp_cc_wvegas = {
    .name = "wvegas",
    .init = mptcp_cc_init,
    .on_ack = wvegas_on_ack,
    .ssthresh = mptcp_cc_halve,
};
