/* HyStart++ (RFC 9406): leave slow start when the round's minimum RTT rises, through a
 * few rounds of Conservative Slow Start that undo a false alarm. Generic: it shapes the
 * slow-start growth that every congestion-control module uses. */
#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"

enum {
        HS_MIN_RTT_THRESH_US = 4000,
        HS_MAX_RTT_THRESH_US = 16000,
        HS_MIN_RTT_DIVISOR = 8,
        HS_N_RTT_SAMPLE = 8,
        HS_CSS_GROWTH_DIVISOR = 4,
        HS_CSS_ROUNDS = 5,
};

void tcp_hystart_reset(struct um_tcp_conn *c)
{
        c->hs_window_end = c->snd_nxt;
        c->hs_last_round_min = UINT64_MAX;
        c->hs_round_min = UINT64_MAX;
        c->hs_samples = 0;
        c->hs_css_baseline = UINT64_MAX;
        c->hs_css_rounds = 0;
        c->hs_in_css = 0;
}

/* §4.2: called on each ACK while cwnd < ssthresh, with this ACK's RTT sample (0: none). */
void tcp_hystart_on_ack(struct um_tcp_conn *c, uint64_t rtt_us)
{
        if (seq_geq(c->snd_una, c->hs_window_end)) {
                /* A new round. */
                c->hs_window_end = c->snd_nxt;
                c->hs_last_round_min = c->hs_round_min;
                c->hs_round_min = UINT64_MAX;
                c->hs_samples = 0;
                if (c->hs_in_css && ++c->hs_css_rounds >= HS_CSS_ROUNDS) {
                        /* Delay kept rising through CSS: this is the path's capacity. */
                        c->ssthresh = c->cwnd;
                        c->hs_in_css = 0;
                        c->st->tcp->ctr.TcpExtTCPHystartExits++;
                        return;
                }
        }
        if (!rtt_us)
                return;
        if (rtt_us < c->hs_round_min)
                c->hs_round_min = rtt_us;
        c->hs_samples++;
        if (c->hs_samples < HS_N_RTT_SAMPLE || c->hs_round_min == UINT64_MAX ||
            c->hs_last_round_min == UINT64_MAX)
                return;
        if (!c->hs_in_css) {
                uint64_t thresh = c->hs_last_round_min / HS_MIN_RTT_DIVISOR;
                if (thresh < HS_MIN_RTT_THRESH_US)
                        thresh = HS_MIN_RTT_THRESH_US;
                if (thresh > HS_MAX_RTT_THRESH_US)
                        thresh = HS_MAX_RTT_THRESH_US;
                if (c->hs_round_min >= c->hs_last_round_min + thresh) {
                        c->hs_css_baseline = c->hs_round_min;
                        c->hs_in_css = 1;
                        c->hs_css_rounds = 0;
                }
        } else if (c->hs_round_min < c->hs_css_baseline) {
                /* §4.2: the rise was a false alarm; back to slow start. */
                c->hs_css_baseline = UINT64_MAX;
                c->hs_in_css = 0;
        }
}
