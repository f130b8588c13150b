/* Core pieces: the timer heap, checksums, byte rings, packet buffers and their extensions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/pkt.h"
#include "core/rand.h"
#include "core/ring.h"
#include "core/sha256.h"
#include "core/siphash.h"

#include <umptcp/stack.h>
#include "core/timer.h"
#include "net/addr.h"
#include "net/checksum.h"

static uint64_t fired[16];
static int n_fired;

static void record(struct um_timer *t, uint64_t now)
{
        (void)now;
        fired[n_fired++] = t->at;
}

static void test_timer_order_and_cancel(void **state)
{
        (void)state;
        struct um_timer_heap h = {0};
        struct um_timer t[8];
        uint64_t at[8] = {50, 10, 40, 30, 20, 70, 60, 80};
        for (int i = 0; i < 8; i++) {
                um_timer_init(&t[i], record);
                assert_int_equal(um_timer_arm(&h, &t[i], at[i]), 0);
        }
        um_timer_cancel(&h, &t[2]);  /* 40 */
        um_timer_arm(&h, &t[5], 15); /* 70 -> 15 */
        um_timer_arm(&h, &t[1], 65); /* 10 -> 65 */
        assert_int_equal(um_timer_next(&h), 15);
        n_fired = 0;
        um_timer_run(&h, 60);
        uint64_t want[] = {15, 20, 30, 50, 60};
        assert_int_equal(n_fired, 5);
        assert_memory_equal(fired, want, sizeof(want));
        assert_false(um_timer_armed(&t[3]));
        assert_true(um_timer_armed(&t[1]));
        um_timer_run(&h, 1000);
        assert_int_equal(n_fired, 7);
        assert_int_equal(um_timer_next(&h), UINT64_MAX);
        um_timer_heap_destroy(&h);
}

static void test_timer_random_against_model(void **state)
{
        (void)state;
        struct um_rng rng;
        um_rng_seed(&rng, 42);
        struct um_timer_heap h = {0};
        struct um_timer t[64];
        for (int i = 0; i < 64; i++)
                um_timer_init(&t[i], record);
        for (int round = 0; round < 2000; round++) {
                int i = (int)(um_rng_u64(&rng) % 64);
                if (um_rng_u64(&rng) % 3 == 0)
                        um_timer_cancel(&h, &t[i]);
                else
                        um_timer_arm(&h, &t[i], um_rng_u64(&rng) % 1000);
                uint64_t min = UINT64_MAX;
                for (int k = 0; k < 64; k++)
                        if (um_timer_armed(&t[k]) && t[k].at < min)
                                min = t[k].at;
                assert_int_equal(um_timer_next(&h), min);
        }
        um_timer_heap_destroy(&h);
}

static void test_checksum_rfc1071_example(void **state)
{
        (void)state;
        /* RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2; the checksum is its complement. */
        const uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
        uint16_t c = um_csum(d, sizeof(d));
        uint8_t be[2];
        memcpy(be, &c, 2);
        assert_int_equal(be[0], 0x22);
        assert_int_equal(be[1], 0x0d);
        /* Odd length pads with a zero byte. */
        const uint8_t odd[] = {0x01};
        uint16_t c2 = um_csum(odd, 1);
        memcpy(be, &c2, 2);
        assert_int_equal(be[0], 0xfe);
        assert_int_equal(be[1], 0xff);
}

/* RFC 1071 §2 done the slow way: 16-bit big-endian words, end-around carry, an odd last
 * byte padded with zero; returned in memory order like um_csum. */
static uint16_t reference_csum(const uint8_t *d, size_t len, uint32_t start)
{
        uint32_t sum = start;
        for (size_t i = 0; i < len; i += 2) {
                sum += (uint32_t)d[i] << 8 | (i + 1 < len ? d[i + 1] : 0);
                sum = (sum & 0xffff) + (sum >> 16);
        }
        uint16_t c = (uint16_t)~sum, out;
        uint8_t be[2] = {(uint8_t)(c >> 8), (uint8_t)c};
        memcpy(&out, be, 2);
        return out;
}

static void test_checksum_matches_reference_at_every_length_and_alignment(void **state)
{
        (void)state;
        uint8_t buf[600];
        struct um_rng rng;
        um_rng_seed(&rng, 1071);
        for (int round = 0; round < 4; round++) {
                /* Round 0 is all 0xff: every add carries. */
                for (size_t i = 0; i < sizeof(buf); i++)
                        buf[i] = round ? (uint8_t)um_rng_u64(&rng) : 0xff;
                for (size_t off = 0; off < 8; off++)
                        for (size_t len = 0; len + off <= 520; len++)
                                assert_int_equal(um_csum(buf + off, len),
                                                 reference_csum(buf + off, len, 0));
                /* Pieces at even boundaries chain, and sums add with a plain +. */
                for (size_t cut = 0; cut <= 512; cut += 2) {
                        uint64_t chained =
                            um_csum_add(um_csum_add(0, buf, cut), buf + cut, 512 - cut);
                        uint64_t added =
                            um_csum_add(0, buf, cut) + um_csum_add(0, buf + cut, 512 - cut);
                        assert_int_equal(um_csum_fold(chained), reference_csum(buf, 512, 0));
                        assert_int_equal(um_csum_fold(added), reference_csum(buf, 512, 0));
                }
        }
}

static void test_checksum_ipv4_header_verifies(void **state)
{
        (void)state;
        uint8_t h[20] = {0x45, 0, 0,    0x3c, 0x1c, 0x46, 0x40, 0,    0x40, 0x06,
                         0,    0, 0xac, 0x10, 0x0a, 0x63, 0xac, 0x10, 0x0a, 0x0c};
        uint16_t c = um_csum(h, 20);
        memcpy(h + 10, &c, 2);
        assert_int_equal(h[10], 0xb1);
        assert_int_equal(h[11], 0xe6);
        assert_int_equal(um_csum(h, 20), 0);
}

static void test_pkt_size_headroom_and_ext(void **state)
{
        (void)state;
        assert_int_equal(sizeof(struct um_pkt), UM_PKT_SIZE);
        struct um_pkt_pool pool;
        um_pkt_pool_init(&pool, 128);
        struct um_pkt *p = um_pkt_alloc(&pool);
        assert_non_null(p);
        assert_int_equal(p->off, UM_PKT_HEADROOM);
        assert_null(p->ext);
        assert_non_null(um_pkt_push(p, 60));
        assert_int_equal(p->len, 60);
        int id1 = um_pkt_ext_register(&pool, 32);
        int id2 = um_pkt_ext_register(&pool, 16);
        assert_true(id1 >= 0 && id2 >= 0 && id1 != id2);
        assert_true(um_pkt_ext_register(&pool, 200) < 0); /* does not fit the block */
        assert_null(um_pkt_ext_get(p, id1));
        uint8_t *e1 = um_pkt_ext_add(&pool, p, id1);
        memset(e1, 0xab, 32);
        uint8_t *e2 = um_pkt_ext_add(&pool, p, id2);
        memset(e2, 0xcd, 16);
        assert_ptr_equal(um_pkt_ext_get(p, id1), e1);
        assert_int_equal(((uint8_t *)um_pkt_ext_get(p, id1))[31], 0xab);
        um_pkt_free(&pool, p);
        /* A recycled packet carries no stale extension. */
        struct um_pkt *q = um_pkt_alloc(&pool);
        assert_null(um_pkt_ext_get(q, id1));
        um_pkt_free(&pool, q);
        /* The pool limit is honoured. */
        struct um_pkt *all[200];
        int n = 0;
        while (n < 200 && (all[n] = um_pkt_alloc(&pool)))
                n++;
        assert_int_equal(n, 128);
        while (n)
                um_pkt_free(&pool, all[--n]);
        um_pkt_pool_destroy(&pool);
}

static void test_addr_parsing(void **state)
{
        (void)state;
        struct um_addr a, n;
        int p;
        assert_int_equal(um_addr_parse_prefix("10.1.2.3/24", &a, &p), 0);
        assert_int_equal(p, 24);
        assert_int_equal(um_addr_parse_prefix("fd00:1::2/64", &a, &p), 0);
        assert_int_equal(a.family, AF_INET6);
        assert_int_equal(um_addr_parse_prefix("10.1.2.3", &a, &p), 0);
        assert_int_equal(p, 32);
        assert_int_equal(um_addr_parse_prefix("10.1.2.3/33", &a, &p), -EINVAL);
        assert_int_equal(um_addr_parse_prefix("10.1.2.3/", &a, &p), -EINVAL);
        assert_int_equal(um_addr_parse_prefix("banana/8", &a, &p), -EINVAL);
        um_addr_parse("10.1.2.0", &n);
        um_addr_parse("10.1.2.200", &a);
        assert_true(um_addr_in_prefix(&a, &n, 24));
        um_addr_parse("10.1.3.1", &a);
        assert_false(um_addr_in_prefix(&a, &n, 24));
        assert_true(um_addr_in_prefix(&a, &n, 22));
}

/* A ring-to-ring copy and a checksum over a ring give what the same bytes give laid out
 * flat, wherever the rings wrap (odd splits included). */
static void test_ring_copy_and_checksum_across_the_wrap(void **state)
{
        (void)state;
        uint8_t flat[61];
        for (unsigned i = 0; i < sizeof(flat); i++)
                flat[i] = (uint8_t)(i * 37 + 11);
        uint16_t want = um_csum(flat, sizeof(flat));
        for (uint32_t head = 0; head < 64; head++) {
                struct um_ring src, dst;
                assert_int_equal(um_ring_init(&src, 64), 0);
                assert_int_equal(um_ring_init(&dst, 50 + head % 23), 0);
                src.head = head;
                assert_int_equal(um_ring_append(&src, flat, sizeof(flat)), sizeof(flat));
                assert_int_equal(um_csum_fold(um_csum_add_ring(0, &src, 0, sizeof(flat))), want);
                /* 40 bytes from offset 7 of src land at offset 3 of dst, dst's head moved too. */
                dst.head = (head * 7) % dst.cap;
                um_ring_copy_ring(&dst, 3, &src, 7, 40);
                uint8_t out[40];
                um_ring_copy_out(&dst, 3, out, sizeof(out));
                assert_memory_equal(out, flat + 7, sizeof(out));
                assert_int_equal(dst.len, 0);
                assert_int_equal(um_csum_fold(um_csum_add_ring(0, &dst, 3, 40)),
                                 um_csum(flat + 7, 40));
                um_ring_free(&src, NULL);
                um_ring_free(&dst, NULL);
        }
}

static void hex(const char *h, uint8_t *out)
{
        for (size_t i = 0; h[2 * i]; i++)
                sscanf(h + 2 * i, "%2hhx", &out[i]);
}

/* RFC 4231 test cases 2 (a short key) and 6 (a key longer than the block, hashed first),
 * through a stack's digest state and without one. */
/* The SipHash paper's vectors (appendix A and the reference vectors): key 00..0f, message
 * 00..0e gives a129ca6149be45e5; the empty message 726fdb47dd0e0e31; and every length up
 * to 64 gives a distinct value that changes with the key. */
static void test_siphash_vectors(void **state)
{
        (void)state;
        uint8_t key[16], msg[64];
        for (int i = 0; i < 16; i++)
                key[i] = (uint8_t)i;
        for (int i = 0; i < 64; i++)
                msg[i] = (uint8_t)i;
        assert_true(um_siphash(key, msg, 15) == 0xa129ca6149be45e5ull);
        assert_true(um_siphash(key, msg, 0) == 0x726fdb47dd0e0e31ull);
        assert_true(um_siphash(key, msg, 8) == 0x93f5f5799a932462ull);
        uint64_t seen[65];
        for (int n = 0; n <= 64; n++) {
                seen[n] = um_siphash(key, msg, (size_t)n);
                for (int m = 0; m < n; m++)
                        assert_true(seen[m] != seen[n]);
        }
        key[15] ^= 1;
        assert_true(um_siphash(key, msg, 15) != 0xa129ca6149be45e5ull);
}

/* The pseudo-header sums (RFC 9293 §3.1, RFC 8200 §8.1) agree with the sum over the
 * pseudo-header written out byte by byte, for addresses and lengths that carry. */
static void test_pseudo_header_sum(void **state)
{
        (void)state;
        struct um_rng rng;
        um_rng_seed(&rng, 7);
        for (int i = 0; i < 2000; i++) {
                int v6 = i & 1;
                struct um_addr a = {.family = v6 ? AF_INET6 : AF_INET}, b = a;
                um_rng_bytes(&rng, a.b, sizeof(a.b));
                um_rng_bytes(&rng, b.b, sizeof(b.b));
                if (i % 7 == 0)
                        memset(a.b, 0xff, sizeof(a.b)); /* the most carries */
                uint32_t len = (uint32_t)um_rng_u64(&rng) & (v6 ? 0xfffff : 0xffff);
                uint8_t proto = (uint8_t)um_rng_u64(&rng);
                uint8_t ph[40] = {0};
                size_t al = v6 ? 16 : 4, n = 2 * al;
                memcpy(ph, a.b, al);
                memcpy(ph + al, b.b, al);
                if (v6) {
                        ph[n] = (uint8_t)(len >> 24), ph[n + 1] = (uint8_t)(len >> 16);
                        ph[n + 2] = (uint8_t)(len >> 8), ph[n + 3] = (uint8_t)len;
                        ph[n + 7] = proto;
                        n += 8;
                } else {
                        ph[n + 1] = proto;
                        ph[n + 2] = (uint8_t)(len >> 8), ph[n + 3] = (uint8_t)len;
                        n += 4;
                }
                uint8_t payload[3] = {0xff, 0xfe, 0xfd};
                uint64_t got = um_csum_pseudo(&a, &b, proto, len);
                assert_true(got < (1ull << 33));
                assert_int_equal(um_csum_fold(um_csum_add(got, payload, 3)),
                                 um_csum_fold(um_csum_add(um_csum_add(0, ph, n), payload, 3)));
        }
}

static void test_hmac_sha256_rfc4231(void **state)
{
        (void)state;
        struct um_stack_config cfg = {.seed = 1};
        struct um_stack *st = um_stack_new(&cfg);
        assert_non_null(st);
        uint8_t want2[32], want6[32], got[32], key6[131];
        hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want2);
        hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", want6);
        memset(key6, 0xaa, sizeof(key6));
        static const char msg2[] = "what do ya want for nothing?";
        static const char msg6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
        struct um_stack *which[2] = {st, NULL};
        for (int k = 0; k < 2; k++) {
                um_hmac_sha256(which[k], "Jefe", 4, msg2, sizeof(msg2) - 1, got);
                assert_memory_equal(got, want2, 32);
                um_hmac_sha256(which[k], key6, sizeof(key6), msg6, sizeof(msg6) - 1, got);
                assert_memory_equal(got, want6, 32);
        }
        um_stack_free(st);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_timer_order_and_cancel),
            cmocka_unit_test(test_timer_random_against_model),
            cmocka_unit_test(test_checksum_rfc1071_example),
            cmocka_unit_test(test_checksum_matches_reference_at_every_length_and_alignment),
            cmocka_unit_test(test_checksum_ipv4_header_verifies),
            cmocka_unit_test(test_ring_copy_and_checksum_across_the_wrap),
            cmocka_unit_test(test_hmac_sha256_rfc4231),
            cmocka_unit_test(test_siphash_vectors),
            cmocka_unit_test(test_pseudo_header_sum),
            cmocka_unit_test(test_pkt_size_headroom_and_ext),
            cmocka_unit_test(test_addr_parsing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
