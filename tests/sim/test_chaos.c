/* Random mixes of impairments, drawn from the printed seed: every transfer must complete
 * and verify. Found real bugs while it was a manual soak (bogus RTT samples after holes,
 * probe timers not restarted on ACKs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <umptcp/socket.h>

#include "core/rand.h"
#include "core/stack.h"
#include "mptcp/mptcp.h"
#include "simtest.h"

/* UMPTCP_CHAOS_ONLY=N replays transfer N alone (the draws for the others still happen, so
 * it gets the same configuration as in the full run). */
static int wanted(int i)
{
        const char *only = getenv("UMPTCP_CHAOS_ONLY");
        return !only || !*only || atoi(only) == i;
}

static double pick(struct um_rng *r, const double *v, int n)
{
        return v[um_rng_u64(r) % (uint64_t)n];
}

static const double rates[] = {1, 10, 50, 100, 1000, 0};
static const double delays[] = {0, 0.1, 1, 10, 50};

/* Random loss, burst loss, reordering, duplication and jitter on a path, both ways. */
static void impair(struct um_sim_path *p, uint64_t coin)
{
        static const double losses[] = {0.001, 0.01, 0.05};
        static const double probs[] = {0.01, 0.05, 0.2};
        struct um_emu_dir_config *d[2] = {&p->fwd, &p->rev};
        for (int k = 0; k < 2; k++) {
                if (coin & 1)
                        d[k]->loss = losses[(coin >> 8) % 3];
                if (coin & 2) {
                        d[k]->ge_p = 0.01;
                        d[k]->ge_r = 0.3;
                        d[k]->ge_loss_bad = 0.5;
                }
                if (coin & 4)
                        d[k]->reorder = probs[(coin >> 12) % 3];
                if (coin & 8)
                        d[k]->duplicate = probs[(coin >> 16) % 2];
                if (coin & 16)
                        d[k]->jitter_us = 5000;
        }
}

/* One transfer in four: the writer closes (not shuts down) with data still queued, on the
 * client or on the server side; the other direction carries nothing then. */
static void close_early(struct um_sim_transfer_cfg *c, uint64_t bits)
{
        if ((bits & 3) != 3)
                return;
        c->close_when_written = 1;
        if (bits & 4) {
                c->reverse_bytes = c->bytes;
                c->bytes = 0;
        } else {
                c->reverse_bytes = 0;
        }
}

static const char *closing(const struct um_sim_transfer_cfg *c)
{
        if (!c->close_when_written)
                return "";
        return c->bytes ? " client-closes" : " server-closes";
}

static void test_random_impairments(void **state)
{
        (void)state;
        struct um_rng r;
        um_rng_seed(&r, simtest_seed());
        for (int i = 0; i < 150; i++) {
                struct um_sim_transfer_cfg c = {.seed = um_rng_u64(&r) % 1000000000 + 1};
                c.bytes = (uint64_t)(64 + um_rng_u64(&r) % 960) * 1024;
                c.path = simtest_path(pick(&r, rates, 6), pick(&r, delays, 5));
                char desc[160];
                int n = snprintf(desc, sizeof(desc), "#%d %lluK %.0fMb %.1fms", i,
                                 (unsigned long long)c.bytes / 1024, c.path.fwd.rate_bps / 1e6,
                                 c.path.fwd.delay_us / 1e3);
                uint64_t coin = um_rng_u64(&r);
                impair(&c.path, coin);
                if (coin & 32)
                        c.reverse_bytes = 256 * 1024;
                if (coin & 64)
                        c.cc = "reno";
                if (coin & 128)
                        c.ipv6 = 1;
                if (coin & 256)
                        c.rcvbuf = 8192;
                if (coin & 512)
                        c.read_pause_until_us = 2000000;
                close_early(&c, coin >> 40);
                snprintf(desc + n, sizeof(desc) - (size_t)n, " mix %03llx%s",
                         (unsigned long long)(coin & 0x3ff), closing(&c));
                c.time_limit_us = 3000ULL * 1000000;
                if (!wanted(i))
                        continue;
                struct um_sim_transfer_result res;
                if (!simtest_transfer(desc, &c, &res))
                        fail_msg("transfer %d did not verify (transfer seed %llu)", i,
                                 (unsigned long long)c.seed);
        }
}

/* Data sequence numbers that wrap past 2^64 early in the connection, on both ends. */
static void near_wrap(void *arg, struct um_stack *cli, struct um_stack *srv)
{
        (void)arg;
        cli->mptcp->test_idsn_near_wrap = 1;
        srv->mptcp->test_idsn_near_wrap = 1;
}

/* MPTCP over one to four impaired paths, with a path cut for a while, checksums, the
 * server announcing its addresses, small buffers and a slow reader drawn at random. */
static void test_random_impairments_mptcp(void **state)
{
        (void)state;
        struct um_rng r;
        um_rng_seed(&r, simtest_seed() ^ 0x6d707463);
        for (int i = 0; i < 80; i++) {
                struct um_sim_transfer_cfg c = {.seed = um_rng_u64(&r) % 1000000000 + 1,
                                                .protocol = IPPROTO_MPTCP};
                c.bytes = (uint64_t)(64 + um_rng_u64(&r) % 2000) * 1024;
                c.n_more_paths = (int)(um_rng_u64(&r) % 4);
                c.path = simtest_path(pick(&r, rates + 1, 4), pick(&r, delays, 5));
                impair(&c.path, um_rng_u64(&r) & um_rng_u64(&r)); /* fewer at once */
                for (int k = 0; k < c.n_more_paths; k++) {
                        c.more_paths[k] = simtest_path(pick(&r, rates + 1, 4), pick(&r, delays, 5));
                        impair(&c.more_paths[k], um_rng_u64(&r) & um_rng_u64(&r));
                }
                uint64_t coin = um_rng_u64(&r);
                if ((coin & 1) && c.n_more_paths) {
                        struct um_emu_outage o = {.start_us = 300000, .end_us = 1500000};
                        c.path.fwd.outages[0] = c.path.rev.outages[0] = o;
                        c.path.fwd.n_outages = c.path.rev.n_outages = 1;
                }
                if (coin & 2)
                        c.checksum = 1;
                if (coin & 4)
                        c.server_signal = 1;
                if (coin & 8)
                        c.reverse_bytes = 256 * 1024;
                if (coin & 16)
                        c.ipv6 = 1;
                if (coin & 32)
                        c.rcvbuf = 65536;
                if (coin & 64)
                        c.read_pause_until_us = 1000000;
                close_early(&c, coin >> 40);
                if (((coin >> 44) & 7) == 7)
                        c.server_mptcp_disabled = 1; /* the connection falls back */
                if (((coin >> 47) & 3) == 3)
                        c.on_setup = near_wrap;
                char desc[160];
                snprintf(desc, sizeof(desc),
                         "mptcp #%d %lluK %d paths %.0fMb %.1fms mix %02llx%s%s%s", i,
                         (unsigned long long)(c.bytes + c.reverse_bytes) / 1024, c.n_more_paths + 1,
                         c.path.fwd.rate_bps / 1e6, c.path.fwd.delay_us / 1e3,
                         (unsigned long long)(coin & 0x7f), closing(&c),
                         c.server_mptcp_disabled ? " fallback" : "", c.on_setup ? " wrap" : "");
                c.time_limit_us = 3000ULL * 1000000;
                if (!wanted(i))
                        continue;
                struct um_sim_transfer_result res;
                if (!simtest_transfer(desc, &c, &res))
                        fail_msg("MPTCP transfer %d did not verify (transfer seed %llu)", i,
                                 (unsigned long long)c.seed);
        }
}

int main(void)
{
        simtest_seed();
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_random_impairments),
            cmocka_unit_test(test_random_impairments_mptcp),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
