/* Round-trip time estimation and the retransmission timeout (RFC 6298 §2). */
#include "tcp/tcp.h"

void tcp_rtt_sample(struct um_tcp_conn *c, uint64_t r)
{
        if (!r)
                r = 1;
        c->latest_rtt_us = r;
        if (!c->min_rtt_us || r < c->min_rtt_us)
                c->min_rtt_us = r;
        if (!c->srtt_us) {
                c->srtt_us = r;
                c->rttvar_us = r / 2;
        } else {
                uint64_t diff = c->srtt_us > r ? c->srtt_us - r : r - c->srtt_us;
                c->rttvar_us = (3 * c->rttvar_us + diff) / 4;
                c->srtt_us = (7 * c->srtt_us + r) / 8;
        }
        uint64_t var = 4 * c->rttvar_us;
        if (var < 1000) /* clock granularity G = 1 ms */
                var = 1000;
        uint64_t rto = c->srtt_us + var;
        if (rto < TCP_MIN_RTO_US)
                rto = TCP_MIN_RTO_US;
        if (rto > TCP_MAX_RTO_US)
                rto = TCP_MAX_RTO_US;
        c->rto_us = rto;
}
