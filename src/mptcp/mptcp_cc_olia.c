/* OLIA, the Opportunistic Linked Increases Algorithm (Khalili, Gast, Popovic, Le Boudec,
 * "MPTCP is not Pareto-optimal", IEEE/ACM ToN 2013; draft-khalili-mptcp-congestion-control):
 * LIA's coupling made Pareto-optimal. Window growth per segment acknowledged on path r is
 * (w_r/rtt_r²)/(Σ w_p/rtt_p)² + alpha_r/w_r, where alpha_r moves window from the paths with
 * the largest windows (M) to the presumably best paths that do not have one (B∖M, best by
 * the bytes between losses over rtt², l_r/rtt_r²). A loss halves the window. */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_cc_int.h"

void mptcp_olia_sets(const struct mptcp_cc_path *p, int n, int *best, int *max)
{
        double best_q = -1, max_w = -1;
        for (int i = 0; i < n; i++) {
                double q = p[i].inter_loss / (p[i].rtt * p[i].rtt);
                if (q > best_q)
                        best_q = q;
                if (p[i].w > max_w)
                        max_w = p[i].w;
        }
        for (int i = 0; i < n; i++) {
                /* Equal within a part in a million: the same as far as the algorithm goes. */
                double q = p[i].inter_loss / (p[i].rtt * p[i].rtt);
                best[i] = q >= best_q * (1 - 1e-6);
                max[i] = p[i].w >= max_w * (1 - 1e-6);
        }
}

double mptcp_olia_alpha(const struct mptcp_cc_path *p, int n, int r)
{
        int best[MPTCP_MAX_SUBFLOWS], max[MPTCP_MAX_SUBFLOWS];
        if (n > MPTCP_MAX_SUBFLOWS || n < 2)
                return 0;
        mptcp_olia_sets(p, n, best, max);
        int collected = 0, n_max = 0; /* |B∖M|, |M| */
        for (int i = 0; i < n; i++) {
                collected += best[i] && !max[i];
                n_max += max[i];
        }
        if (!collected)
                return 0;
        if (best[r] && !max[r])
                return 1.0 / (n * collected);
        return max[r] ? -1.0 / (n * n_max) : 0;
}

double mptcp_olia_increase(const struct mptcp_cc_path *p, int n, int r)
{
        double sum = 0;
        for (int i = 0; i < n; i++)
                sum += p[i].w / p[i].rtt;
        double coupled = (p[r].w / (p[r].rtt * p[r].rtt)) / (sum * sum);
        return coupled + mptcp_olia_alpha(p, n, r) / p[r].w;
}

static void olia_on_ack(struct um_tcp_conn *c, uint32_t acked, void *arg)
{
        mptcp_cc_coupled_ack(c, acked, arg, mptcp_olia_increase);
}

const struct um_tcp_cc_ops mptcp_cc_olia = {
    .name = "olia",
    .init = mptcp_cc_init,
    .on_ack = olia_on_ack,
    .ssthresh = mptcp_cc_halve,
};
