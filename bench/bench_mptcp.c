/* MPTCP over emulated paths, in virtual time (so the figures repeat exactly for a seed):
 *   aggregation  two 100 Mbit/s, 10 ms paths: goodput / 200 Mbit/s, next to plain TCP on one
 *                such path (goodput / 100 Mbit/s) measured in the same run as the baseline;
 *   simult_flows the heterogeneous cases of Linux's selftest: 16 MiB one way while 80 KiB
 *                go the other, then the other way round; the time against
 *                size*8*10/((r1+r2)*9) + 1 s, as the selftest allows;
 *   failover     the first path cut for good mid-transfer: time until in-order data moves
 *                again, in retransmission timeouts of the cut subflow; no byte lost.
 * Every transfer is verified end to end (SHA-256 both ways). Usage: bench_mptcp [SEED
 * [SCHEDULER]] (the MPTCP transfers' scheduler; the default's without). */
#include <umptcp/mptcp.h>
#include <umptcp/sim.h>
#include <umptcp/socket.h>

#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MB = 1024 * 1024 };

static struct um_sim_path path(double mbit, double delay_ms)
{
        struct um_sim_path p;
        memset(&p, 0, sizeof(p));
        p.fwd.rate_bps = p.rev.rate_bps = (uint64_t)(mbit * 1e6);
        p.fwd.delay_us = p.rev.delay_us = (uint64_t)(delay_ms * 1000);
        return p;
}

static int run(const char *what, struct um_sim_transfer_cfg *c, struct um_sim_transfer_result *r)
{
        int rc = um_sim_transfer(c, r);
        if (rc || !r->verified) {
                fprintf(stderr, "bench_mptcp: %s: transfer %s (seed %llu)\n", what,
                        r->completed ? "did not verify" : "did not complete",
                        (unsigned long long)c->seed);
                return -1;
        }
        return 0;
}

static int aggregation(uint64_t seed, const char *sched)
{
        struct um_sim_transfer_cfg tcp = {.seed = seed, .bytes = 150 * MB, .path = path(100, 10)};
        struct um_sim_transfer_cfg mp = {.seed = seed,
                                         .bytes = 300 * MB,
                                         .protocol = IPPROTO_MPTCP,
                                         .scheduler = sched,
                                         .path = path(100, 10),
                                         .n_more_paths = 1};
        mp.more_paths[0] = path(100, 10);
        struct um_sim_transfer_result rt, rm;
        if (run("aggregation baseline", &tcp, &rt) || run("aggregation", &mp, &rm))
                return -1;
        double base = rt.goodput_bps / 100e6, agg = rm.goodput_bps / 200e6;
        printf("aggregation 2 x 100 Mbit/s, 10 ms (300 MiB, %.1f s): %.1f Mbit/s = %.3f of 200; "
               "plain TCP on one path (150 MiB): %.1f Mbit/s = %.3f of 100; ratio %.3f\n",
               rm.seconds, rm.goodput_bps / 1e6, agg, rt.goodput_bps / 1e6, base, agg / base);
        return 0;
}

static int simult_flows(uint64_t seed, const char *sched)
{
        static const struct {
                double r1, r2, d1, d2;
        } cases[] = {{10, 10, 1, 25}, {10, 3, 1, 25}, {10, 3, 25, 1}};
        int bad = 0;
        for (size_t k = 0; k < 2 * sizeof(cases) / sizeof(cases[0]); k++) {
                size_t i = k / 2;
                int up = !(k % 2);
                struct um_sim_transfer_cfg c = {.seed = seed,
                                                .bytes = up ? 16 * MB : 80 * 1024,
                                                .reverse_bytes = up ? 80 * 1024 : 16 * MB,
                                                .protocol = IPPROTO_MPTCP,
                                                .scheduler = sched,
                                                .path = path(cases[i].r1, cases[i].d1),
                                                .n_more_paths = 1};
                c.more_paths[0] = path(cases[i].r2, cases[i].d2);
                struct um_sim_transfer_result r;
                if (run("simult_flows", &c, &r))
                        return -1;
                double limit = 16.0 * MB * 8 * 10 / ((cases[i].r1 + cases[i].r2) * 1e6 * 9) + 1;
                int ok = r.seconds <= limit;
                bad += !ok;
                printf("simult_flows %2.0f/%-2.0f Mbit/s, %2.0f/%-2.0f ms, 16 MiB %s: %.2f s, "
                       "limit %.2f s (%.2f of it) %s\n",
                       cases[i].r1, cases[i].r2, cases[i].d1, cases[i].d2,
                       up ? "client->server" : "server->client", r.seconds, limit,
                       r.seconds / limit, ok ? "ok" : "TOO SLOW");
        }
        return bad ? -1 : 0;
}

/* Failover: watches the server's in-order data (MPTCP_INFO rcv_nxt) and the client's first
 * subflow's RTO just before the cut. */
struct failover {
        uint64_t cut_us, rto_us, last_move, stall_from, stall_to;
        uint64_t rcv_nxt;
};

static void failover_step(void *arg, struct um_stack *cli, int cfd, struct um_stack *srv, int sfd,
                          uint64_t now)
{
        struct failover *f = arg;
        if (sfd < 0)
                return;
        struct mptcp_info mi;
        socklen_t len = sizeof(mi);
        memset(&mi, 0, sizeof(mi));
        if (um_getsockopt(srv, sfd, SOL_MPTCP, MPTCP_INFO, &mi, &len) < 0)
                return;
        int moved = mi.mptcpi_rcv_nxt != f->rcv_nxt;
        f->rcv_nxt = mi.mptcpi_rcv_nxt;
        if (moved) {
                /* The longest pause in in-order data that ends after the cut. */
                uint64_t from = f->last_move > f->cut_us ? f->last_move : f->cut_us;
                if (now > f->cut_us && now - from > f->stall_to - f->stall_from &&
                    now < f->cut_us + 10000000) {
                        f->stall_from = from;
                        f->stall_to = now;
                }
                f->last_move = now;
        }
        if (now < f->cut_us) {
                struct {
                        struct mptcp_subflow_data h;
                        struct tcp_info ti[2];
                } d;
                memset(&d, 0, sizeof(d));
                d.h.size_subflow_data = sizeof(d.h);
                d.h.size_user = sizeof(struct tcp_info);
                len = sizeof(d);
                if (um_getsockopt(cli, cfd, SOL_MPTCP, MPTCP_TCPINFO, &d, &len) == 0 &&
                    d.h.num_subflows)
                        f->rto_us = d.ti[0].tcpi_rto;
        }
}

static int failover(uint64_t seed, const char *sched)
{
        struct failover f = {.cut_us = 3000000};
        struct um_sim_transfer_cfg c = {.seed = seed,
                                        .bytes = 60 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .scheduler = sched,
                                        .path = path(50, 10),
                                        .n_more_paths = 1,
                                        .on_step = failover_step,
                                        .step_arg = &f};
        c.more_paths[0] = path(50, 10);
        struct um_emu_outage cut = {.start_us = f.cut_us, .end_us = 1000 * 1000000ULL};
        c.path.fwd.outages[c.path.fwd.n_outages++] = cut;
        c.path.rev.outages[c.path.rev.n_outages++] = cut;
        struct um_sim_transfer_result r;
        if (run("failover", &c, &r))
                return -1;
        if (!f.stall_to || !f.rto_us) {
                fprintf(stderr, "bench_mptcp: failover: data never moved after the cut\n");
                return -1;
        }
        /* In-order data keeps coming from the other path until it reaches the first hole the
         * cut left; the stall is that hole waiting to be sent again. */
        double resumed = (double)(f.stall_to - f.cut_us) / 1e3;
        printf("failover 2 x 50 Mbit/s, 10 ms, first path cut at %.1f s for good: in-order data "
               "stalled %.1f ms from %.1f ms after the cut, flowing again %.1f ms after it = %.2f "
               "RTOs (RTO %.1f ms); 60 MiB verified in %.2f s\n",
               (double)f.cut_us / 1e6, (double)(f.stall_to - f.stall_from) / 1e3,
               (double)(f.stall_from - f.cut_us) / 1e3, resumed, resumed * 1e3 / (double)f.rto_us,
               (double)f.rto_us / 1e3, r.seconds);
        return 0;
}

int main(int argc, char **argv)
{
        uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
        const char *sched = argc > 2 ? argv[2] : NULL;
        int known = !sched;
        for (int i = 0; sched && um_mptcp_scheduler_at(i); i++)
                known |= !strcmp(sched, um_mptcp_scheduler_at(i));
        if (!seed || !known || argc > 3) {
                fprintf(stderr, "usage: bench_mptcp [SEED (non-zero) [SCHEDULER]]\n");
                return 2;
        }
        printf("seed %llu (virtual time: the same seed gives the same figures)%s%s\n",
               (unsigned long long)seed, sched ? ", scheduler " : "", sched ? sched : "");
        int rc = aggregation(seed, sched) | simult_flows(seed, sched) | failover(seed, sched);
        return rc ? 1 : 0;
}
