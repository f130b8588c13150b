/* LIA, the Linked Increases Algorithm (RFC 6356): a subflow's window grows by
 * min(alpha/w_total, 1/w_r) per segment acknowledged, so that the connection takes no more
 * than one TCP would on its best path (§3's goals 1 and 2) and moves traffic off congested
 * paths; a loss halves the subflow's window as for TCP. */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_cc_int.h"

double mptcp_lia_alpha(const struct mptcp_cc_path *p, int n)
{
        double total = 0, best = 0, sum = 0;
        for (int i = 0; i < n; i++) {
                double rate = p[i].w / (p[i].rtt * p[i].rtt);
                total += p[i].w;
                if (rate > best)
                        best = rate;
                sum += p[i].w / p[i].rtt;
        }
        return sum > 0 ? total * best / (sum * sum) : 1;
}

double mptcp_lia_increase(const struct mptcp_cc_path *p, int n, int r)
{
        double total = 0;
        for (int i = 0; i < n; i++)
                total += p[i].w;
        double coupled = mptcp_lia_alpha(p, n) / total, alone = 1 / p[r].w;
        return coupled < alone ? coupled : alone;
}

static void lia_on_ack(struct um_tcp_conn *c, uint32_t acked, void *arg)
{
        mptcp_cc_coupled_ack(c, acked, arg, mptcp_lia_increase);
}

const struct um_tcp_cc_ops mptcp_cc_lia = {
    .name = "lia",
    .init = mptcp_cc_init,
    .on_ack = lia_on_ack,
    .ssthresh = mptcp_cc_halve,
};
