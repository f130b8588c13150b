/* Helpers of the simulation tests: the seed (printed, replayable with UMPTCP_SEED),
 * paths, and transfers checked end to end. */
#include "simtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

uint64_t simtest_seed(void)
{
        static uint64_t seed;
        if (seed)
                return seed;
        const char *env = getenv("UMPTCP_SEED");
        if (env && *env)
                seed = strtoull(env, NULL, 0);
        if (!seed) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                seed = ((uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec * 1000003u) % 1000000007u + 1;
        }
        printf("seed %llu (replay with UMPTCP_SEED=%llu)\n", (unsigned long long)seed,
               (unsigned long long)seed);
        return seed;
}

int simtest_transfer(const char *name, struct um_sim_transfer_cfg *cfg,
                     struct um_sim_transfer_result *res)
{
        struct um_sim_transfer_result local;
        if (!res)
                res = &local;
        if (!cfg->seed)
                cfg->seed = simtest_seed();
        um_sim_transfer(cfg, res);
        printf("%-28s %s: %llu+%llu bytes, %.3f s virtual, %.2f Mbit/s, %llu retrans, %llu RTOs, "
               "sha256 %.16s/%.16s\n",
               name, res->verified ? "verified" : "FAILED", (unsigned long long)res->received,
               (unsigned long long)res->reverse_received, res->seconds, res->goodput_bps / 1e6,
               (unsigned long long)res->retrans_segs, (unsigned long long)res->timeouts,
               res->digest_sent, res->digest_received);
        if (!res->verified) {
                printf("  errors: client %d, server %d; %s\n", res->client_error, res->server_error,
                       res->failure[0] ? res->failure : "no call failed");
                /* A failure replays once with a capture and logs, for whoever debugs it. */
                const char *pcap = getenv("UMPTCP_SIM_PCAP");
                if (pcap && *pcap && !cfg->pcap) {
                        struct um_sim_transfer_result again;
                        cfg->pcap = pcap;
                        const char *lvl = getenv("UMPTCP_SIM_LOG");
                        cfg->log_level = lvl ? atoi(lvl) : cfg->log_level;
                        um_sim_transfer(cfg, &again);
                        printf("  replayed into %s\n", pcap);
                        cfg->pcap = NULL;
                }
        }
        fflush(stdout);
        return res->verified;
}

struct um_sim_path simtest_path(double mbit, double delay_ms)
{
        struct um_sim_path p = {0};
        p.fwd.rate_bps = p.rev.rate_bps = (uint64_t)(mbit * 1e6);
        p.fwd.delay_us = p.rev.delay_us = (uint64_t)(delay_ms * 1000);
        return p;
}
