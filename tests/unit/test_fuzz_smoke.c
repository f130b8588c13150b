/* A seeded mutation run over the wire parsers: valid IPv4/IPv6 TCP and ICMP packets with
 * random bit flips, truncations, option garbage and header lies. Must never crash (the
 * sanitizer build turns any memory error into a failure) and must count what it drops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rand.h"
#include "core/stack.h"
#include "fuzz_input.h"
#include "net/checksum.h"

static const uint8_t syn_v4[] = {0x45, 0,  0,    44,   0,    1,    0x40, 0, 64, 6, 0, 0, 10, 0,   0,
                                 1,    10, 0,    0,    2,    0x30, 0x39, 0, 80, 0, 0, 0, 1,  0,   0,
                                 0,    0,  0x60, 0x02, 0xff, 0xff, 0,    0, 0,  0, 2, 4, 5,  0xb4};
static const uint8_t echo_v4[] = {0x45, 0, 0,  28, 0, 2, 0, 0, 64,   1,    0, 0, 10, 0,
                                  0,    1, 10, 0,  0, 2, 8, 0, 0xf7, 0xfe, 0, 1, 0,  0};

static void fix_v4(uint8_t *p, size_t n)
{
        if (n < 20)
                return;
        p[10] = p[11] = 0;
        uint16_t c = um_csum(p, 20);
        memcpy(p + 10, &c, 2);
        if (p[9] == 6 && n >= 40) {
                struct um_addr s = {.family = AF_INET}, d = {.family = AF_INET};
                memcpy(s.b, p + 12, 4);
                memcpy(d.b, p + 16, 4);
                p[36] = p[37] = 0;
                uint16_t t = um_csum_fold(
                    um_csum_add(um_csum_pseudo(&s, &d, 6, (uint32_t)(n - 20)), p + 20, n - 20));
                memcpy(p + 36, &t, 2);
        }
}

static void test_mutations(void **state)
{
        (void)state;
        const char *env = getenv("UMPTCP_SEED");
        uint64_t seed = env ? strtoull(env, NULL, 0) : 12345;
        printf("seed %llu (replay with UMPTCP_SEED=%llu)\n", (unsigned long long)seed,
               (unsigned long long)seed);
        struct um_rng rng;
        um_rng_seed(&rng, seed);
        uint8_t buf[256];
        for (int i = 0; i < 200000; i++) {
                const uint8_t *base = (i & 1) ? syn_v4 : echo_v4;
                size_t n = (i & 1) ? sizeof(syn_v4) : sizeof(echo_v4);
                memcpy(buf, base, n);
                uint64_t r = um_rng_u64(&rng);
                /* Grow with random option/payload bytes sometimes. */
                if (r & 1) {
                        size_t extra = (size_t)(um_rng_u64(&rng) % 64);
                        um_rng_bytes(&rng, buf + n, extra);
                        n += extra;
                        if (buf[9] == 6 && (r & 2))
                                buf[32] = (uint8_t)((((n - 20) / 4 > 15 ? 15 : (n - 20) / 4)) << 4);
                        buf[2] = (uint8_t)(n >> 8);
                        buf[3] = (uint8_t)n;
                }
                int flips = (int)(um_rng_u64(&rng) % 6);
                for (int f = 0; f < flips; f++)
                        buf[um_rng_u64(&rng) % n] ^= (uint8_t)(1u << (um_rng_u64(&rng) % 8));
                if (r & 4)
                        fix_v4(buf, n); /* keep checksums valid so parsing goes deep */
                if ((r & 0x18) == 0x18)
                        n = (size_t)(um_rng_u64(&rng) % (n + 1)); /* truncate */
                fuzz_one_input(buf, n);
        }
        struct um_stack *st = fuzz_stack();
        uint64_t dropped = um_counter_get(st, "IpInHdrErrors") + um_counter_get(st, "TcpInErrs") +
                           um_counter_get(st, "TcpInCsumErrors") +
                           um_counter_get(st, "IcmpInErrors");
        printf("counted drops: %llu; bad options %llu; echo replies %llu\n",
               (unsigned long long)dropped,
               (unsigned long long)um_counter_get(st, "TcpExtBadOptions"),
               (unsigned long long)um_counter_get(st, "IcmpOutEchoReps"));
        assert_true(dropped > 10000);
        assert_true(um_counter_get(st, "IcmpOutEchoReps") > 1000);
        fuzz_env_free();
}

int main(void)
{
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_mutations)};
        return cmocka_run_group_tests(tests, NULL, NULL);
}
