/* Seeded mutation runs of every fuzz target, short enough for make check (long runs under
 * libFuzzer: docs/ARCHITECTURE.md, "Fuzzing"): the wire parsers with valid IPv4/IPv6 TCP and
 * ICMP packets flipped, truncated and lied about, SYNs with MP_CAPABLE and MP_JOIN for an
 * MPTCP listener, every MPTCP option form mutated straight into the codec, the stateful
 * MPTCP session fuzzer and the socket-API fuzzer from their seed corpora (tests/fuzz/corpus)
 * and mutations of them. Must never crash (the sanitizer build turns any memory error into
 * a failure) and must count or refuse what it drops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include "core/rand.h"
#include "core/stack.h"
#include "fuzz_input.h"
#include "fuzz_session.h"
#include "fuzz_ctl.h"
#include "fuzz_relay_proto.h"
#include "fuzz_tun.h"
#include "link/tun_gso.h"
#include "mptcp/mptcp_options.h"
#include "net/checksum.h"

static const uint8_t syn_v4[] = {0x45, 0,  0,    44,   0,    1,    0x40, 0, 64, 6, 0, 0, 10, 0,   0,
                                 1,    10, 0,    0,    2,    0x30, 0x39, 0, 80, 0, 0, 0, 1,  0,   0,
                                 0,    0,  0x60, 0x02, 0xff, 0xff, 0,    0, 0,  0, 2, 4, 5,  0xb4};
/* SYNs to the MPTCP listener (port 81): MSS and MP_CAPABLE v1 (H), MSS and MP_JOIN. */
static const uint8_t syn_mpc_v4[] = {0x45, 0, 0, 48, 0,  3, 0x40, 0,    64,   6,    0,    0,
                                     10,   0, 0, 1,  10, 0, 0,    2,    0x30, 0x3a, 0,    81,
                                     0,    0, 0, 1,  0,  0, 0,    0,    0x70, 0x02, 0xff, 0xff,
                                     0,    0, 0, 0,  2,  4, 5,    0xb4, 30,   4,    0x01, 0x01};
static const uint8_t syn_join_v4[] = {
    0x45, 0,    0,    56, 0,  4,    0x40, 0,  64,   6, 0, 0, 10, 0,    0,    1,    10,   0, 0,
    2,    0x30, 0x3b, 0,  81, 0,    0,    0,  1,    0, 0, 0, 0,  0x90, 0x02, 0xff, 0xff, 0, 0,
    0,    0,    2,    4,  5,  0xb4, 30,   12, 0x10, 1, 1, 2, 3,  4,    5,    6,    7,    8};
static const uint8_t echo_v4[] = {0x45, 0, 0,  28, 0, 2, 0, 0, 64,   1,    0, 0, 10, 0,
                                  0,    1, 10, 0,  0, 2, 8, 0, 0xf7, 0xfe, 0, 1, 0,  0};

/* UMPTCP_SEED from the environment, else a fixed one; printed for replay. */
static uint64_t smoke_seed(void)
{
        const char *env = getenv("UMPTCP_SEED");
        uint64_t seed = env ? strtoull(env, NULL, 0) : 12345;
        printf("seed %llu (replay with UMPTCP_SEED=%llu)\n", (unsigned long long)seed,
               (unsigned long long)seed);
        return seed;
}

static void test_mutations(void **state)
{
        (void)state;
        uint64_t seed = smoke_seed();
        struct um_rng rng;
        um_rng_seed(&rng, seed);
        uint8_t buf[256];
        for (int i = 0; i < 200000; i++) {
                static const struct {
                        const uint8_t *p;
                        size_t n;
                } bases[] = {{syn_v4, sizeof(syn_v4)},
                             {echo_v4, sizeof(echo_v4)},
                             {syn_mpc_v4, sizeof(syn_mpc_v4)},
                             {syn_join_v4, sizeof(syn_join_v4)}};
                const uint8_t *base = bases[i % 4].p;
                size_t n = bases[i % 4].n;
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
                if (i % 4 >= 2) { /* MPTCP: a fresh source port, so not only the first
                                   * SYN of a 4-tuple reaches the listener */
                        buf[20] = (uint8_t)(um_rng_u64(&rng) | 0x80);
                        buf[21] = (uint8_t)um_rng_u64(&rng);
                }
                int flips = (int)(um_rng_u64(&rng) % 6);
                for (int f = 0; f < flips; f++)
                        buf[um_rng_u64(&rng) % n] ^= (uint8_t)(1u << (um_rng_u64(&rng) % 8));
                if ((r & 0x18) == 0x18)
                        n = (size_t)(um_rng_u64(&rng) % (n + 1)); /* truncate */
                if (r & 4) /* checksums made right, so parsing goes deep */
                        fuzz_one_input_fixed(buf, n);
                else
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
        /* The MPTCP listener saw valid handshakes and refused joins for unknown tokens. */
        printf("MP_CAPABLE SYNs %llu, joins without a token %llu, bad MPTCP options %llu\n",
               (unsigned long long)um_counter_get(st, "MPTcpExtMPCapableSYNRX"),
               (unsigned long long)um_counter_get(st, "MPTcpExtMPJoinNoTokenFound"),
               (unsigned long long)um_counter_get(st, "MPTcpExtBadOption"));
        assert_true(um_counter_get(st, "MPTcpExtMPCapableSYNRX") > 50);
        assert_true(um_counter_get(st, "MPTcpExtMPJoinNoTokenFound") > 50);
        fuzz_env_free();
}

/* Every option form, valid, then mutated: flipped bits, a lying length byte, truncation,
 * random tails. The parser must accept or refuse each without reading past the length. */
static void test_mptcp_option_mutations(void **state)
{
        (void)state;
        uint64_t seed = smoke_seed();
        uint8_t forms[16][40];
        unsigned lens[16], nf = 0;
        static const uint8_t hmac[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        struct um_addr a4 = {.family = AF_INET, .b = {10, 0, 0, 1}};
        struct um_addr a6 = {.family = AF_INET6, .b = {0xfd, 0, [15] = 1}};
        lens[nf] = mptcp_write_mpc(forms[nf], MPC_LEN_SYN, MPC_FLAG_H, 0, 0, 0, 0), nf++;
        lens[nf] = mptcp_write_mpc(forms[nf], MPC_LEN_SYNACK, MPC_FLAG_H, 7, 0, 0, 0), nf++;
        lens[nf] = mptcp_write_mpc(forms[nf], MPC_LEN_ACK, MPC_FLAG_H, 7, 9, 0, 0), nf++;
        lens[nf] = mptcp_write_mpc(forms[nf], MPC_LEN_DATA_CSUM, MPC_FLAG_A | MPC_FLAG_H, 7, 9, 100,
                                   0xbeef),
        nf++;
        lens[nf] = mptcp_write_join_syn(forms[nf], 1, 3, 0x01020304, 99), nf++;
        lens[nf] = mptcp_write_join_synack(forms[nf], 0, 3, hmac, 99), nf++;
        lens[nf] = mptcp_write_join_ack(forms[nf], hmac), nf++;
        struct mptcp_dss_out d = {.flags = DSS_A | DSS_a | DSS_M | DSS_m | DSS_F,
                                  .data_ack = 1ULL << 40,
                                  .dsn = 3ULL << 33,
                                  .ssn = 1,
                                  .data_len = 1400,
                                  .with_csum = 1};
        lens[nf] = mptcp_write_dss(forms[nf], &d), nf++;
        d = (struct mptcp_dss_out){.flags = DSS_A | DSS_M, .data_ack = 5, .dsn = 6, .data_len = 1};
        lens[nf] = mptcp_write_dss(forms[nf], &d), nf++;
        lens[nf] = mptcp_write_add_addr(forms[nf], 0, 2, &a4, 8080, 1, 42), nf++;
        lens[nf] = mptcp_write_add_addr(forms[nf], 1, 2, &a6, 0, 0, 0), nf++;
        static const uint8_t ids[3] = {1, 2, 3};
        lens[nf] = mptcp_write_rm_addr(forms[nf], ids, 3), nf++;
        lens[nf] = mptcp_write_mp_prio(forms[nf], 1), nf++;
        lens[nf] = mptcp_write_mp_fail(forms[nf], 77), nf++;
        lens[nf] = mptcp_write_fastclose(forms[nf], 0x1122334455667788ULL), nf++;
        lens[nf] = mptcp_write_tcprst(forms[nf], 0, MPTCP_RST_EMIDDLEBOX), nf++;
        struct mptcp_opts o;
        for (unsigned f = 0; f < nf; f++)
                assert_true(mptcp_opt_parse(forms[f], (uint8_t)lens[f], &o) >= 0);
        struct um_rng rng;
        um_rng_seed(&rng, seed);
        unsigned accepted = 0, refused = 0;
        for (int i = 0; i < 300000; i++) {
                unsigned f = (unsigned)(um_rng_u64(&rng) % nf), n = lens[f];
                uint8_t buf[40];
                memcpy(buf, forms[f], n);
                uint64_t r = um_rng_u64(&rng);
                if (r & 1) { /* a random tail */
                        unsigned extra = (unsigned)(um_rng_u64(&rng) % (sizeof(buf) - n + 1));
                        um_rng_bytes(&rng, buf + n, extra);
                        n += extra;
                }
                if (r & 2) /* the length byte lies or follows */
                        buf[1] = (r & 4) ? (uint8_t)um_rng_u64(&rng) : (uint8_t)n;
                for (int k = (int)(um_rng_u64(&rng) % 4); k > 0; k--)
                        buf[um_rng_u64(&rng) % n] ^= (uint8_t)(1u << (um_rng_u64(&rng) % 8));
                if (r & 8)
                        n = 2 + (unsigned)(um_rng_u64(&rng) % (n - 1)); /* truncated */
                buf[0] = 30;
                /* The caller guarantees opt[1] == len bytes are present: hand over exactly
                 * that many, in a heap copy so that ASan sees any read beyond them. */
                uint8_t len = buf[1] < n ? buf[1] : (uint8_t)n;
                if (len < 2)
                        continue;
                uint8_t *heap = malloc(len);
                assert_non_null(heap);
                memcpy(heap, buf, len);
                heap[1] = len;
                memset(&o, 0, sizeof(o));
                if (mptcp_opt_parse(heap, len, &o) >= 0)
                        accepted++;
                else
                        refused++;
                free(heap);
        }
        printf("mutated MPTCP options: %u accepted, %u refused\n", accepted, refused);
        assert_true(accepted > 10000);
        assert_true(refused > 10000);
}

/* Runs every file of corpus/<kind> through fn as it is, then `mutants` mutations of it
 * (bytes flipped, replaced, inserted, a tail cut or added). Returns the files found. */
static int run_corpus(const char *kind, int (*fn)(const uint8_t *, size_t), struct um_rng *rng,
                      int mutants)
{
        char dir[512];
        snprintf(dir, sizeof(dir), "%s/%s", UMPTCP_CORPUS_DIR, kind);
        DIR *d = opendir(dir);
        assert_non_null(d);
        int files = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                char path[1024];
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                FILE *f = fopen(path, "rb");
                assert_non_null(f);
                uint8_t seed[512], buf[600];
                size_t n = fread(seed, 1, sizeof(seed), f);
                fclose(f);
                files++;
                fn(seed, n);
                for (int m = 0; m < mutants; m++) {
                        size_t len = n;
                        memcpy(buf, seed, n);
                        uint64_t r = um_rng_u64(rng);
                        for (int k = (int)(r % 4); k >= 0 && len; k--) {
                                size_t at = um_rng_u64(rng) % len;
                                if (r & 16)
                                        buf[at] = (uint8_t)um_rng_u64(rng);
                                else
                                        buf[at] ^= (uint8_t)(1u << (um_rng_u64(rng) % 8));
                        }
                        if ((r & 32) && len < sizeof(buf) - 8) { /* insert */
                                size_t at = um_rng_u64(rng) % (len + 1), k = 1 + r % 8;
                                memmove(buf + at + k, buf + at, len - at);
                                um_rng_bytes(rng, buf + at, k);
                                len += k;
                        }
                        if (r & 64)
                                len = um_rng_u64(rng) % (len + 1);
                        if ((r & 128) && len < sizeof(buf) - 64) {
                                size_t k = um_rng_u64(rng) % 64;
                                um_rng_bytes(rng, buf + len, k);
                                len += k;
                        }
                        fn(buf, len);
                }
        }
        closedir(d);
        return files;
}

/* The TUN driver's offload parsing: a TCP super-packet behind a virtio-net header, its
 * header fields, lengths and bytes mutated. */
static void test_tun_offload_mutations(void **state)
{
        (void)state;
        uint64_t seed = smoke_seed();
        struct um_rng rng;
        um_rng_seed(&rng, seed);
        static uint8_t base[10 + 20 + 32 + 4000], buf[sizeof(base)];
        memset(base, 0, sizeof(base));
        uint8_t *p = base + 10;
        p[0] = 0x45, p[2] = (uint8_t)((sizeof(base) - 10) >> 8),
        p[3] = (uint8_t)(sizeof(base) - 10);
        p[6] = 0x40, p[8] = 64, p[9] = 6;
        p[20 + 12] = 0x80, p[20 + 13] = 0x10;
        base[1] = TUN_VNET_GSO_TCPV4;
        base[4] = 0xa8, base[5] = 0x05; /* gso_size 1448, little-endian */
        base[6] = 20;                   /* csum_start */
        base[8] = 16;                   /* csum_offset */
        for (int i = 0; i < 20000; i++) {
                memcpy(buf, base, sizeof(buf));
                size_t n = sizeof(buf) - um_rng_u64(&rng) % 4000;
                for (int k = (int)(um_rng_u64(&rng) % 8); k >= 0; k--)
                        buf[um_rng_u64(&rng) % 80] ^= (uint8_t)(1u << (um_rng_u64(&rng) % 8));
                if (i % 7 == 0)
                        n = um_rng_u64(&rng) % 80;
                assert_int_equal(fuzz_tun_one(buf, n), 0);
        }
}

/* The control socket's requests: valid ones, then the same with bytes flipped, cut or
 * spliced; every line gets its one reply (the target aborts otherwise). */
static void test_ctl_request_mutations(void **state)
{
        (void)state;
        static const char *const valid[] = {
            "{\"id\":1,\"cmd\":\"get_limits\"}",
            "{\"id\":2,\"cmd\":\"set_limits\",\"subflows\":3,\"add_addr_accepted\":1}",
            "{\"id\":3,\"cmd\":\"add_addr\",\"addr\":{\"addr4\":\"10.0.1.1\",\"id\":4,"
            "\"flags\":[\"subflow\",\"backup\"]}}",
            "{\"id\":4,\"cmd\":\"set_flags\",\"addr\":{\"id\":4,\"flags\":6}}",
            "{\"id\":5,\"cmd\":\"get_addr\",\"addr\":{\"id\":4}}",
            "{\"id\":6,\"cmd\":\"del_addr\",\"addr\":{\"id\":4}}",
            "{\"id\":7,\"cmd\":\"announce\",\"token\":5,\"addr\":{\"addr6\":\"fd00::1\",\"id\":2,"
            "\"port\":80}}",
            "{\"id\":8,\"cmd\":\"subflow_create\",\"token\":5,\"addr\":{\"addr4\":\"0.0.0.0\"},"
            "\"addr_remote\":{\"addr4\":\"10.0.0.2\",\"port\":1}}",
            "{\"id\":9,\"cmd\":\"set_flags\",\"token\":5,\"addr\":{\"addr4\":\"10.0.1.1\","
            "\"port\":9,\"flags\":[\"backup\"]},\"addr_remote\":{\"addr4\":\"10.0.0.2\",\"port\":1}"
            "}",
            "{\"id\":10,\"cmd\":\"subscribe\"}",
            "{\"id\":11,\"cmd\":\"stat\"}",
            "{\"id\":12,\"cmd\":\"show\"}",
            "{\"id\":13,\"cmd\":\"remove\",\"token\":4294967295,\"loc_id\":255}",
            "{\"id\":14,\"cmd\":\"flush_addrs\"}",
        };
        enum { N = sizeof(valid) / sizeof(valid[0]) };
        struct um_rng rng;
        um_rng_seed(&rng, smoke_seed());
        char all[4096];
        size_t len = 0;
        for (int k = 0; k < N; k++)
                len += (size_t)snprintf(all + len, sizeof(all) - len, "%s\n", valid[k]);
        assert_int_equal(fuzz_ctl_one((const uint8_t *)all, len), N);
        static char buf[4096];
        for (int i = 0; i < 3000; i++) {
                size_t n = len;
                memcpy(buf, all, n);
                for (int k = (int)(um_rng_u64(&rng) % 6); k >= 0; k--)
                        buf[um_rng_u64(&rng) % n] ^= (char)(1u << (um_rng_u64(&rng) % 8));
                if (i % 5 == 0) /* a splice of two requests' halves */
                        memcpy(buf + um_rng_u64(&rng) % (n / 2), all + um_rng_u64(&rng) % (n / 2),
                               n / 4);
                if (i % 3 == 0)
                        n = um_rng_u64(&rng) % n;
                fuzz_ctl_one((const uint8_t *)buf, n);
        }
}

static void test_session_fuzzer(void **state)
{
        (void)state;
        struct um_rng rng;
        um_rng_seed(&rng, smoke_seed());
        memset(&fuzz_stats, 0, sizeof(fuzz_stats));
        int files = run_corpus("session", fuzz_session_one, &rng, 150);
        printf("session fuzzer: %d seeds, %u sessions, %u established, %u with a join, %u "
               "operations; %u under SYN cookies, %u with two connections, %u storms of "
               "signals, %u path-manager events\n",
               files, fuzz_stats.sessions, fuzz_stats.established, fuzz_stats.joined,
               fuzz_stats.ops, fuzz_stats.cookies, fuzz_stats.two_connections, fuzz_stats.storms,
               fuzz_stats.events);
        assert_true(files >= 5);
        assert_int_equal(fuzz_stats.established, fuzz_stats.sessions);
        assert_true(fuzz_stats.joined > fuzz_stats.sessions / 4);
        assert_true(fuzz_stats.ops > 2 * fuzz_stats.sessions);
        /* The path manager's surface is reached, not only the data path. */
        assert_true(fuzz_stats.cookies > fuzz_stats.sessions / 20);
        assert_true(fuzz_stats.two_connections > fuzz_stats.sessions / 20);
        assert_true(fuzz_stats.storms > fuzz_stats.sessions / 20);
        assert_true(fuzz_stats.events > fuzz_stats.sessions);
}

static void test_api_fuzzer(void **state)
{
        (void)state;
        struct um_rng rng;
        um_rng_seed(&rng, smoke_seed() + 1);
        memset(&fuzz_stats, 0, sizeof(fuzz_stats));
        int files = run_corpus("api", fuzz_api_one, &rng, 250);
        printf("API fuzzer: %d seeds, %u calls, %u connections accepted\n", files,
               fuzz_stats.api_calls, fuzz_stats.api_accepted);
        assert_true(files >= 2);
        assert_true(fuzz_stats.api_accepted > 50);
}

/* The control socket with live connections: sessions of several clients from the seed
 * corpus and mutations of it. The target aborts on a request without its one reply, a
 * reply out of order or not JSON, or a transfer no command disturbed that did not
 * complete; here the commands must also reach the connections and succeed on them. */
static void test_ctl_session_fuzzer(void **state)
{
        (void)state;
        struct um_rng rng;
        um_rng_seed(&rng, smoke_seed() + 3);
        memset(&fuzz_stats, 0, sizeof(fuzz_stats));
        int files = run_corpus("ctl_session", fuzz_ctl_session_one, &rng, 40);
        printf("control-socket session fuzzer: %d seeds, %u sessions, %u connections (%u joined), "
               "%u request lines, %u naming a live token, %u replies (%u to those, %u ok), %u "
               "events, %u transfers verified\n",
               files, fuzz_stats.ctl_sessions, fuzz_stats.ctl_conns, fuzz_stats.ctl_joined,
               fuzz_stats.ctl_lines, fuzz_stats.ctl_live, fuzz_stats.ctl_replies,
               fuzz_stats.ctl_live_replies, fuzz_stats.ctl_live_ok, fuzz_stats.ctl_events,
               fuzz_stats.ctl_transfers);
        assert_true(files >= 3);
        assert_true(fuzz_stats.ctl_conns >= fuzz_stats.ctl_sessions);
        assert_true(fuzz_stats.ctl_joined > fuzz_stats.ctl_sessions / 2);
        assert_true(fuzz_stats.ctl_live > fuzz_stats.ctl_sessions * 2);
        /* Commands on live connections worked, not only failed their parsing. */
        assert_true(fuzz_stats.ctl_live_ok > fuzz_stats.ctl_sessions);
        assert_true(fuzz_stats.ctl_events > fuzz_stats.ctl_sessions * 5);
        assert_true(fuzz_stats.ctl_transfers > fuzz_stats.ctl_sessions / 2);
}

/* What the relay parsers' runs reached, by FUZZ_RELAY_* bit. */
static unsigned relay_reached[5];

static int relay_proto_counted(const uint8_t *data, size_t size)
{
        int r = fuzz_relay_proto_one(data, size);
        for (int b = 0; b < 5; b++)
                relay_reached[b] += (unsigned)(r >> b & 1);
        return r;
}

/* The relay's request parsers (SOCKS5, HTTP CONNECT, HOST:PORT) from their seed corpus and
 * mutations of it, then random bytes: whole and in pieces alike, bounds kept, requests
 * usable (the target aborts otherwise); and the mutations still reach requests. */
static void test_relay_proto_fuzzer(void **state)
{
        (void)state;
        struct um_rng rng;
        um_rng_seed(&rng, smoke_seed() + 4);
        memset(relay_reached, 0, sizeof(relay_reached));
        int files = run_corpus("relay_proto", relay_proto_counted, &rng, 3000);
        uint8_t buf[300];
        for (int i = 0; i < 20000; i++) {
                size_t n = (size_t)(um_rng_u64(&rng) % sizeof(buf));
                um_rng_bytes(&rng, buf, n);
                if (n > 2 && i % 2) /* a SOCKS5 greeting's first byte or a CONNECT */
                        buf[2] = i % 4 == 1 ? 5 : 'C';
                relay_proto_counted(buf, n);
        }
        printf("relay parsers: %d seeds; SOCKS5 requests %u (%u after RFC 1929), HTTP CONNECT "
               "requests %u, HTTP refusals %u, HOST:PORT taken %u\n",
               files, relay_reached[0], relay_reached[1], relay_reached[2], relay_reached[3],
               relay_reached[4]);
        assert_true(files >= 8);
        assert_true(relay_reached[0] > 800);
        assert_true(relay_reached[1] > 400);
        assert_true(relay_reached[2] > 150);
        assert_true(relay_reached[3] > 20000);
        assert_true(relay_reached[4] > 150);
}

static void test_input_corpus(void **state)
{
        (void)state;
        struct um_rng rng;
        um_rng_seed(&rng, smoke_seed() + 2);
        int files = run_corpus("input", fuzz_one_input_fixed, &rng, 5000);
        files += run_corpus("input", fuzz_one_input, &rng, 1000);
        assert_true(files >= 10);
        fuzz_env_free();
}

int main(void)
{
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_mutations),
                                           cmocka_unit_test(test_mptcp_option_mutations),
                                           cmocka_unit_test(test_input_corpus),
                                           cmocka_unit_test(test_session_fuzzer),
                                           cmocka_unit_test(test_api_fuzzer),
                                           cmocka_unit_test(test_tun_offload_mutations),
                                           cmocka_unit_test(test_ctl_request_mutations),
                                           cmocka_unit_test(test_ctl_session_fuzzer),
                                           cmocka_unit_test(test_relay_proto_fuzzer)};
        return cmocka_run_group_tests(tests, NULL, NULL);
}
