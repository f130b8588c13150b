/* BALIA, the Balanced Linked Adaptation algorithm (Peng, Walid, Hwang, Low, "Multipath TCP:
 * Analysis, Design, and Implementation", IEEE/ACM ToN 2016): with x_k = w_k/rtt_k and
 * alpha_r = max x_k / x_r, path r's window grows by
 * x_r/(rtt_r·(Σ x_k)²) · (1 + alpha_r)/2 · (4 + alpha_r)/5 per segment acknowledged, and a
 * loss takes it to w_r·(1 − min(alpha_r, 1.5)/2): half of it on the fastest path, down to a
 * quarter on one much slower, balancing friendliness and responsiveness. */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_cc_int.h"

static double balia_alpha(const struct mptcp_cc_path *p, int n, int r, double *sum)
{
        double best = 0;
        *sum = 0;
        for (int i = 0; i < n; i++) {
                double x = p[i].w / p[i].rtt;
                *sum += x;
                if (x > best)
                        best = x;
        }
        double xr = p[r].w / p[r].rtt;
        return xr > 0 ? best / xr : 1;
}

double mptcp_balia_increase(const struct mptcp_cc_path *p, int n, int r)
{
        double sum, a = balia_alpha(p, n, r, &sum);
        double xr = p[r].w / p[r].rtt;
        return xr / (p[r].rtt * sum * sum) * (1 + a) / 2 * (4 + a) / 5;
}

double mptcp_balia_decrease_factor(const struct mptcp_cc_path *p, int n, int r)
{
        double sum, a = balia_alpha(p, n, r, &sum);
        return 1 - (a < 1.5 ? a : 1.5) / 2;
}

static void balia_on_ack(struct um_tcp_conn *c, uint32_t acked, void *arg)
{
        mptcp_cc_coupled_ack(c, acked, arg, mptcp_balia_increase);
}

static uint32_t balia_ssthresh(struct um_tcp_conn *c, void *arg)
{
        struct mptcp_cc_path p[MPTCP_MAX_SUBFLOWS];
        int self, n = mptcp_cc_gather(c, arg, p, &self);
        return mptcp_cc_loss(c, mptcp_balia_decrease_factor(p, n, self));
}

const struct um_tcp_cc_ops mptcp_cc_balia = {
    .name = "balia",
    .init = mptcp_cc_init,
    .on_ack = balia_on_ack,
    .ssthresh = balia_ssthresh,
};
