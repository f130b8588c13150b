/* What the coupled congestion-control modules share (mptcp_cc.h): the connection's paths
 * gathered from the subflow's ULP context, the window moved by a fractional number of
 * segments, the loss response, and their registration with TCP. Each algorithm's own
 * arithmetic and module ops are in mptcp_cc_<name>.c. */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_cc.h"
#include "mptcp/mptcp_cc_int.h"

#include <errno.h>

struct mptcp_cc_priv *mptcp_cc_priv(struct um_tcp_conn *c)
{
        return um_tcp_cc_priv(c);
}

static struct mptcp_cc_path path_of(struct um_tcp_conn *c, const struct mptcp_cc_ops_tag *tag)
{
        struct um_tcp_path_info pi;
        um_tcp_path_info(c, &pi);
        const struct mptcp_cc_priv *v = mptcp_cc_priv(c);
        double mss = pi.mss ? pi.mss : 1;
        struct mptcp_cc_path p = {
            .w = pi.cwnd / mss,
            .rtt = (pi.srtt_us ? pi.srtt_us : 100000) / 1e6,
            .base_rtt = (pi.min_rtt_us ? pi.min_rtt_us : (pi.srtt_us ? pi.srtt_us : 100000)) / 1e6,
        };
        if (v->tag == tag) { /* a sibling under the same module: its loss record is ours */
                p.inter_loss = (double)(v->between > v->since_loss ? v->between : v->since_loss);
        }
        return p;
}

int mptcp_cc_gather(struct um_tcp_conn *c, const struct mptcp_cc_ops_tag *tag,
                    struct mptcp_cc_path *p, int *self)
{
        *self = 0;
        if (!um_tcp_ulp_is(c, &mptcp_subflow_ulp) || !mptcp_subflow_of(c)->msk) {
                p[0] = path_of(c, tag);
                return 1;
        }
        int n = 0;
        for (struct mptcp_subflow *sf = mptcp_subflow_of(c)->msk->subflows;
             sf && n < MPTCP_MAX_SUBFLOWS; sf = sf->next) {
                int state = um_tcp_state(sf->tcp);
                if (sf->tcp != c &&
                    (sf->closing || (state != UM_TCP_ESTABLISHED && state != UM_TCP_CLOSE_WAIT)))
                        continue;
                if (sf->tcp == c)
                        *self = n;
                p[n++] = path_of(sf->tcp, tag);
        }
        return n;
}

void mptcp_cc_grow(struct um_tcp_conn *c, double bytes)
{
        struct mptcp_cc_priv *v = mptcp_cc_priv(c);
        v->frac += bytes;
        int64_t whole = (int64_t)v->frac;
        v->frac -= (double)whole;
        int64_t cwnd = (int64_t)um_tcp_cwnd(c) + whole;
        um_tcp_set_cwnd(c, cwnd > 0 ? (uint32_t)cwnd : 0);
}

uint32_t mptcp_cc_acked(struct um_tcp_conn *c, uint32_t acked)
{
        struct mptcp_cc_priv *v = mptcp_cc_priv(c);
        v->since_loss += acked;
        if (um_tcp_cwnd(c) < um_tcp_ssthresh(c))
                acked = um_tcp_slow_start(c, acked);
        return acked;
}

uint32_t mptcp_cc_loss(struct um_tcp_conn *c, double factor)
{
        struct mptcp_cc_priv *v = mptcp_cc_priv(c);
        v->between = v->since_loss;
        v->since_loss = 0;
        v->frac = 0;
        struct um_tcp_path_info pi;
        um_tcp_path_info(c, &pi);
        double w = (double)(pi.in_flight > pi.cwnd ? pi.cwnd : pi.in_flight);
        uint32_t floor = 2 * pi.mss;
        uint32_t next = (uint32_t)(w * factor);
        return next > floor ? next : floor;
}

void mptcp_cc_coupled_ack(struct um_tcp_conn *c, uint32_t acked, void *arg,
                          double (*increase)(const struct mptcp_cc_path *p, int n, int r))
{
        acked = mptcp_cc_acked(c, acked);
        if (!acked)
                return;
        struct mptcp_cc_path p[MPTCP_MAX_SUBFLOWS];
        int self, n = mptcp_cc_gather(c, arg, p, &self);
        /* increase() segments per segment acknowledged: as many bytes per byte. */
        mptcp_cc_grow(c, increase(p, n, self) * acked);
}

uint32_t mptcp_cc_halve(struct um_tcp_conn *c, void *arg)
{
        (void)arg;
        return mptcp_cc_loss(c, 0.5);
}

void mptcp_cc_init(struct um_tcp_conn *c, void *arg)
{
        mptcp_cc_priv(c)->tag = arg;
}

int mptcp_cc_register(struct um_stack *st)
{
        static const struct um_tcp_cc_ops *const all[] = {&mptcp_cc_lia, &mptcp_cc_olia,
                                                          &mptcp_cc_balia, &mptcp_cc_wvegas};
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
                /* The module's own ops are its tag: siblings under it recognise each other. */
                int rc = um_tcp_cc_register(st, all[i], (void *)all[i]);
                if (rc < 0)
                        return rc;
        }
        return 0;
}
