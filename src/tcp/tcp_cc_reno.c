/* Reno/NewReno congestion avoidance (RFC 5681 §3.1). */
#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"

struct reno {
        uint32_t acked_accum; /* bytes acked since cwnd last grew in avoidance */
};

static struct reno *reno_of(struct um_tcp_conn *c)
{
        return (struct reno *)c->cc_priv;
}

static void reno_init(struct um_tcp_conn *c)
{
        reno_of(c)->acked_accum = 0;
}

static void reno_on_ack(struct um_tcp_conn *c, uint32_t acked)
{
        if (c->cwnd < c->ssthresh)
                acked = tcp_cc_slow_start(c, acked);
        if (!acked)
                return;
        struct reno *r = reno_of(c);
        r->acked_accum += acked;
        /* One MSS per window's worth of acknowledged bytes. */
        while (r->acked_accum >= c->cwnd) {
                r->acked_accum -= c->cwnd;
                c->cwnd += c->mss;
        }
}

static uint32_t reno_ssthresh(struct um_tcp_conn *c)
{
        uint32_t half = tcp_flight_size(c) / 2;
        uint32_t floor = 2u * c->mss;
        return half > floor ? half : floor;
}

static void reno_recovery_exit(struct um_tcp_conn *c)
{
        reno_of(c)->acked_accum = 0;
}

const struct tcp_cc_ops tcp_cc_reno = {
    .name = "reno",
    .init = reno_init,
    .on_ack = reno_on_ack,
    .ssthresh = reno_ssthresh,
    .on_recovery_exit = reno_recovery_exit,
};
