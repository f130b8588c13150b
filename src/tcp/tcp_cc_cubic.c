/* CUBIC (RFC 9438): window growth as a cubic function of the time since the last
 * congestion event, with the Reno-friendly region and fast convergence. */
#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"

#include <math.h>

#define CUBIC_C    0.4
#define CUBIC_BETA 0.7

struct cubic {
        double w_max;      /* segments, before the last reduction */
        double w_last_max; /* for fast convergence (§4.7) */
        double k;          /* seconds */
        double w_est;      /* Reno-friendly estimate, segments (§4.3) */
        uint64_t epoch_us; /* 0: no epoch yet */
        double cwnd_epoch; /* segments at the epoch start */
};

static struct cubic *cubic_of(struct um_tcp_conn *c)
{
        _Static_assert(sizeof(struct cubic) <= sizeof(((struct um_tcp_conn *)0)->cc_priv),
                       "cubic state fits cc_priv");
        return (struct cubic *)c->cc_priv;
}

static void cubic_init(struct um_tcp_conn *c)
{
        struct cubic *s = cubic_of(c);
        *s = (struct cubic){0};
}

static void cubic_on_ack(struct um_tcp_conn *c, uint32_t acked)
{
        if (c->cwnd < c->ssthresh)
                acked = tcp_cc_slow_start(c, acked);
        if (!acked)
                return;
        struct cubic *s = cubic_of(c);
        double mss = c->mss;
        double cwnd = c->cwnd / mss;
        uint64_t now = c->st->now;
        if (!s->epoch_us) {
                s->epoch_us = now;
                s->cwnd_epoch = cwnd;
                s->w_est = cwnd;
                if (s->w_max < cwnd) {
                        s->k = 0;
                        s->w_max = cwnd;
                } else {
                        s->k = cbrt((s->w_max - cwnd) / CUBIC_C);
                }
        }
        /* §4.2: the target one RTT ahead. */
        double rtt = (double)(c->srtt_us ? c->srtt_us : 100000) / 1e6;
        double t = (double)(now - s->epoch_us) / 1e6;
        double target = CUBIC_C * pow(t + rtt - s->k, 3) + s->w_max;
        if (target < cwnd)
                target = cwnd;
        if (target > 1.5 * cwnd)
                target = 1.5 * cwnd;
        /* §4.3: Reno-friendly estimate with alpha = 3(1-beta)/(1+beta). */
        double alpha = s->w_est < s->w_max ? 3.0 * (1 - CUBIC_BETA) / (1 + CUBIC_BETA) : 1.0;
        s->w_est += alpha * (acked / mss) / cwnd;
        double next;
        if (s->w_est > target)
                next = cwnd + (s->w_est - cwnd > 0 ? (s->w_est - cwnd) : 0) * (acked / mss) / cwnd;
        else
                next = cwnd + (target - cwnd) * (acked / mss) / cwnd;
        if (s->w_est > next)
                next = s->w_est;
        double bytes = next * mss;
        if (bytes > (double)(UINT32_MAX / 2))
                bytes = (double)(UINT32_MAX / 2);
        if ((uint32_t)bytes > c->cwnd)
                c->cwnd = (uint32_t)bytes;
}

static uint32_t cubic_ssthresh(struct um_tcp_conn *c)
{
        struct cubic *s = cubic_of(c);
        double cwnd = c->cwnd / (double)c->mss;
        /* §4.7 fast convergence. */
        if (cwnd < s->w_last_max)
                s->w_last_max = cwnd * (1 + CUBIC_BETA) / 2;
        else
                s->w_last_max = cwnd;
        s->w_max = s->w_last_max;
        s->epoch_us = 0;
        double th = cwnd * CUBIC_BETA * c->mss;
        uint32_t floor = 2u * c->mss;
        return th < floor ? floor : (uint32_t)th;
}

static void cubic_recovery_exit(struct um_tcp_conn *c)
{
        cubic_of(c)->epoch_us = 0;
}

const struct tcp_cc_ops tcp_cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .on_ack = cubic_on_ack,
    .ssthresh = cubic_ssthresh,
    .on_recovery_exit = cubic_recovery_exit,
};
