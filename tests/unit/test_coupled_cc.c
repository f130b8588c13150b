/* The coupled congestion controls' arithmetic (src/mptcp/mptcp_cc.h), checked against
 * their papers on worked examples and on scripted sequences of ACKs and losses: LIA's
 * bound of RFC 6356 §3 (never more aggressive than TCP on a path, Reno on one path), OLIA's
 * sets of best and largest-window paths and its alphas summing to zero, BALIA's decrease
 * between a half and a quarter, wVegas' shares of the backlog. The random sequences print
 * their seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "mptcp/mptcp_cc.h"

static uint64_t rng_state;

static double uniform(double lo, double hi)
{
        rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
        return lo + (hi - lo) * (double)(rng_state >> 11) / (double)(1ULL << 53);
}

static void seed_rng(void)
{
        const char *env = getenv("UMPTCP_SEED");
        rng_state = env ? strtoull(env, NULL, 0) : 12345;
        printf("seed %llu (replay with UMPTCP_SEED=%llu)\n", (unsigned long long)rng_state,
               (unsigned long long)rng_state);
}

static void test_lia_worked_example(void **state)
{
        (void)state;
        /* w = 10, 20 segments; rtt = 100, 200 ms: w/rtt² = 1000, 500; Σ w/rtt = 200. */
        struct mptcp_cc_path p[2] = {{.w = 10, .rtt = 0.1}, {.w = 20, .rtt = 0.2}};
        assert_true(fabs(mptcp_lia_alpha(p, 2) - 30.0 * 1000 / (200.0 * 200)) < 1e-9);
        assert_true(fabs(mptcp_lia_increase(p, 2, 0) - 0.025) < 1e-9);
        assert_true(fabs(mptcp_lia_increase(p, 2, 1) - 0.025) < 1e-9);
        /* n identical paths: alpha = 1/n. */
        struct mptcp_cc_path same[4] = {
            {8, 0.05, 0, 0}, {8, 0.05, 0, 0}, {8, 0.05, 0, 0}, {8, 0.05, 0, 0}};
        assert_true(fabs(mptcp_lia_alpha(same, 4) - 0.25) < 1e-9);
        /* One path: Reno, 1/w. */
        assert_true(fabs(mptcp_lia_increase(p, 1, 0) - 0.1) < 1e-9);
}

/* RFC 6356 §3: a path's window grows no faster than TCP's would on it; so, under the same
 * sequence of ACKs and losses, LIA's window on each path never exceeds Reno's. */
static void test_lia_bound_on_scripted_acks_and_losses(void **state)
{
        (void)state;
        seed_rng();
        for (int run = 0; run < 200; run++) {
                int n = 2 + (int)uniform(0, 3);
                struct mptcp_cc_path lia[4], reno[4];
                for (int i = 0; i < n; i++) {
                        lia[i] =
                            (struct mptcp_cc_path){.w = uniform(2, 50), .rtt = uniform(0.005, 0.3)};
                        reno[i] = lia[i];
                }
                for (int step = 0; step < 2000; step++) {
                        int r = (int)uniform(0, n);
                        if (uniform(0, 1) < 0.01) { /* a loss: both halve */
                                lia[r].w = fmax(lia[r].w / 2, 1);
                                reno[r].w = fmax(reno[r].w / 2, 1);
                                continue;
                        }
                        double inc = mptcp_lia_increase(lia, n, r);
                        assert_true(inc > 0);
                        assert_true(inc <= 1 / lia[r].w + 1e-12);
                        lia[r].w += inc;
                        reno[r].w += 1 / reno[r].w;
                        assert_true(lia[r].w <= reno[r].w + 1e-9);
                }
        }
}

static void test_olia_sets_and_alphas(void **state)
{
        (void)state;
        /* Path 0 is the best (l/rtt² = 1e5 against 5e4) and path 1 has the largest window:
         * window moves from 1 to 0. */
        struct mptcp_cc_path p[2] = {{.w = 10, .rtt = 0.1, .inter_loss = 1000},
                                     {.w = 20, .rtt = 0.1, .inter_loss = 500}};
        int best[2], max[2];
        mptcp_olia_sets(p, 2, best, max);
        assert_true(best[0] && !best[1] && !max[0] && max[1]);
        assert_true(fabs(mptcp_olia_alpha(p, 2, 0) - 0.5) < 1e-12);
        assert_true(fabs(mptcp_olia_alpha(p, 2, 1) + 0.5) < 1e-12);
        /* The best path has the largest window too: B∖M is empty, every alpha is 0. */
        p[0].w = 30;
        assert_true(mptcp_olia_alpha(p, 2, 0) == 0 && mptcp_olia_alpha(p, 2, 1) == 0);
        /* Whatever the paths, the alphas sum to zero and stay within ±1/n. */
        seed_rng();
        for (int run = 0; run < 1000; run++) {
                int n = 2 + (int)uniform(0, 7);
                struct mptcp_cc_path q[8];
                for (int i = 0; i < n; i++)
                        q[i] = (struct mptcp_cc_path){.w = (double)(int)uniform(1, 6),
                                                      .rtt = 0.01 * (int)uniform(1, 4),
                                                      .inter_loss = 1000 * (int)uniform(0, 4)};
                double sum = 0;
                int bb[8], mm[8], nb = 0, nm = 0;
                mptcp_olia_sets(q, n, bb, mm);
                for (int i = 0; i < n; i++) {
                        double a = mptcp_olia_alpha(q, n, i);
                        assert_true(fabs(a) <= 1.0 / n + 1e-12);
                        if (a > 0)
                                assert_true(bb[i] && !mm[i]); /* only collected paths gain */
                        if (a < 0)
                                assert_true(mm[i]); /* only the largest windows give */
                        sum += a;
                        nb += bb[i];
                        nm += mm[i];
                }
                assert_true(nb >= 1 && nm >= 1);
                assert_true(fabs(sum) < 1e-9);
        }
        /* One path: Reno's 1/w. */
        assert_true(fabs(mptcp_olia_increase(p, 1, 0) - 1 / p[0].w) < 1e-12);
}

static void test_balia_increase_and_decrease(void **state)
{
        (void)state;
        struct mptcp_cc_path p[2] = {{.w = 20, .rtt = 0.02}, {.w = 10, .rtt = 0.1}};
        /* x = 1000 and 100: alpha is 1 for path 0 (a half) and 10 for path 1 (a quarter). */
        assert_true(fabs(mptcp_balia_decrease_factor(p, 2, 0) - 0.5) < 1e-12);
        assert_true(fabs(mptcp_balia_decrease_factor(p, 2, 1) - 0.25) < 1e-12);
        /* The increase of path 0: x/(rtt·(Σx)²)·(1+1)/2·(4+1)/5 = 1000/(0.02·1100²). */
        assert_true(fabs(mptcp_balia_increase(p, 2, 0) - 1000 / (0.02 * 1100 * 1100)) < 1e-12);
        /* One path: Reno, 1/w, and a loss halves. */
        assert_true(fabs(mptcp_balia_increase(p, 1, 0) - 1 / p[0].w) < 1e-12);
        assert_true(fabs(mptcp_balia_decrease_factor(p, 1, 0) - 0.5) < 1e-12);
        seed_rng();
        for (int run = 0; run < 1000; run++) {
                struct mptcp_cc_path q[3];
                for (int i = 0; i < 3; i++)
                        q[i] = (struct mptcp_cc_path){.w = uniform(1, 100),
                                                      .rtt = uniform(0.001, 0.5)};
                for (int i = 0; i < 3; i++) {
                        double f = mptcp_balia_decrease_factor(q, 3, i);
                        assert_true(f >= 0.25 - 1e-12 && f <= 0.5 + 1e-12);
                        assert_true(mptcp_balia_increase(q, 3, i) > 0);
                }
        }
}

static void test_wvegas_shares(void **state)
{
        (void)state;
        /* x = 100 and 300 segments/s: shares 2.5 and 7.5 of the total 10. */
        struct mptcp_cc_path p[2] = {{.w = 10, .rtt = 0.1, .base_rtt = 0.05},
                                     {.w = 15, .rtt = 0.05, .base_rtt = 0.049}};
        assert_true(fabs(mptcp_wvegas_alpha(p, 2, 0) - 2.5) < 1e-12);
        assert_true(fabs(mptcp_wvegas_alpha(p, 2, 1) - 7.5) < 1e-12);
        /* Path 0 has 10·0.05/0.1 = 5 segments queued, above its share: it shrinks; path 1
         * has 0.3, below: it grows. */
        assert_int_equal(mptcp_wvegas_step(p, 2, 0), -1);
        assert_int_equal(mptcp_wvegas_step(p, 2, 1), 1);
        seed_rng();
        for (int run = 0; run < 1000; run++) {
                int n = 1 + (int)uniform(0, 8);
                struct mptcp_cc_path q[8];
                double sum = 0;
                for (int i = 0; i < n; i++) {
                        q[i].w = uniform(1, 100);
                        q[i].base_rtt = uniform(0.001, 0.2);
                        q[i].rtt = q[i].base_rtt * uniform(1, 3);
                }
                for (int i = 0; i < n; i++)
                        sum += mptcp_wvegas_alpha(q, n, i);
                assert_true(fabs(sum - MPTCP_WVEGAS_ALPHA_TOTAL) < 1e-9);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_lia_worked_example),
            cmocka_unit_test(test_lia_bound_on_scripted_acks_and_losses),
            cmocka_unit_test(test_olia_sets_and_alphas),
            cmocka_unit_test(test_balia_increase_and_decrease),
            cmocka_unit_test(test_wvegas_shares),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
