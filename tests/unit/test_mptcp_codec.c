/* MPTCP wire format: crypto vectors (../shared/INTEROP.md, checked with openssl), every
 * option form written and read back, malformed options, 32->64-bit sequence expansion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/bytes.h"
#include "mptcp/mptcp_crypto.h"
#include "mptcp/mptcp_options.h"

static void hex(const uint8_t *b, size_t n, char *out)
{
        for (size_t i = 0; i < n; i++)
                sprintf(out + 2 * i, "%02x", b[i]);
}

static void test_key_to_token_and_idsn(void **state)
{
        (void)state;
        uint32_t token;
        uint64_t idsn;
        mptcp_key_derive(NULL, 0x0102030405060708ULL, &token, &idsn);
        assert_int_equal(token, 0x66840dda);
        assert_true(idsn == 0xf5a101d3d29d6f72ULL);
}

static void check_hmac(const char *key, const char *msg, const char *want)
{
        uint8_t out[32];
        char got[65];
        mptcp_hmac(NULL, um_get_be64((const uint8_t *)key), um_get_be64((const uint8_t *)key + 8),
                   (const uint8_t *)msg, 8, out);
        hex(out, 32, got);
        assert_string_equal(got, want);
}

static void test_hmac_vectors(void **state)
{
        (void)state;
        check_hmac("0b0b0b0b0b0b0b0b", "48692054",
                   "8385e24fb4235ac37556b6b886db106284a1da671699f46db1f235ec622dcafa");
        check_hmac("aaaaaaaaaaaaaaaa", "dddddddd",
                   "2c5e219164ff1dca1c4a92318d847bb6b9d44492984e1eb71aff9022f71046e9");
        check_hmac("0102030405060708", "cdcdcdcd",
                   "e73b9ba9969969cefb04aa0d6df18ec2fcc075b6f23b4d8c4da736a5dbbc6e7d");
}

static void test_join_hmac_is_keyed_by_order(void **state)
{
        (void)state;
        uint8_t ab[32], ba[32], msg[8];
        mptcp_join_hmac(NULL, 1, 2, 3, 4, ab);
        mptcp_join_hmac(NULL, 2, 1, 4, 3, ba);
        assert_memory_not_equal(ab, ba, 32);
        um_put_be32(msg, 3);
        um_put_be32(msg + 4, 4);
        uint8_t direct[32];
        mptcp_hmac(NULL, 1, 2, msg, 8, direct);
        assert_memory_equal(ab, direct, 32);
}

/* RFC 8684 §3.4.1: the rightmost 64 bits of HMAC(Ksender ‖ Kreceiver, ID ‖ address ‖ port).
 * Vector from openssl: key 0102030405060708 1112131415161718, message 01 0a010201 0000 →
 * 361be0403c2e4fd6 67b574a169ce623e 7de5d84778982b28 b9c22a1e0e36cdcd. */
static void test_add_addr_hmac_vector(void **state)
{
        (void)state;
        const uint8_t addr[4] = {10, 1, 2, 1};
        uint64_t h = mptcp_add_addr_hmac(NULL, 0x0102030405060708ull, 0x1112131415161718ull, 1,
                                         addr, sizeof(addr), 0);
        assert_true(h == 0xb9c22a1e0e36cdcdull);
        assert_true(mptcp_add_addr_hmac(NULL, 0x1112131415161718ull, 0x0102030405060708ull, 1, addr,
                                        sizeof(addr), 0) != h);
}

static void test_dss_checksum_verifies(void **state)
{
        (void)state;
        uint8_t data[1001];
        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (uint8_t)(i * 7 + 3);
        uint16_t c = mptcp_dss_csum(0x1122334455667788ULL, 1, 1001, data, sizeof(data), 0);
        assert_int_equal(mptcp_dss_csum(0x1122334455667788ULL, 1, 1001, data, sizeof(data), c), 0);
        data[500] ^= 0x40;
        assert_int_not_equal(mptcp_dss_csum(0x1122334455667788ULL, 1, 1001, data, sizeof(data), c),
                             0);
        data[500] ^= 0x40;
        /* The pseudo-header counts: another DSN or length fails. */
        assert_int_not_equal(mptcp_dss_csum(0x1122334455667789ULL, 1, 1001, data, 1001, c), 0);
        assert_int_not_equal(mptcp_dss_csum(0x1122334455667788ULL, 2, 1001, data, 1001, c), 0);
}

static struct mptcp_opts parse_ok(const uint8_t *b, int want_sub)
{
        struct mptcp_opts o;
        memset(&o, 0, sizeof(o));
        assert_int_equal(mptcp_opt_parse(b, b[1], &o), want_sub);
        assert_true(mptcp_has(&o, (enum mptcp_subtype)want_sub));
        return o;
}

static void test_mp_capable_forms(void **state)
{
        (void)state;
        uint8_t b[40];
        static const unsigned lens[] = {MPC_LEN_SYN, MPC_LEN_SYNACK, MPC_LEN_ACK, MPC_LEN_DATA,
                                        MPC_LEN_DATA_CSUM};
        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
                uint16_t csum = 0xbeef;
                assert_int_equal(mptcp_write_mpc(b, lens[i], MPC_FLAG_A | MPC_FLAG_H,
                                                 0x1111222233334444ULL, 0x5555666677778888ULL, 1400,
                                                 csum),
                                 lens[i]);
                assert_int_equal(b[2], 0x01); /* subtype 0, version 1 */
                struct mptcp_opts o = parse_ok(b, MPTCPOPT_MP_CAPABLE);
                assert_int_equal(o.mpc_len, lens[i]);
                assert_int_equal(o.mpc_version, 1);
                assert_int_equal(o.mpc_flags, MPC_FLAG_A | MPC_FLAG_H);
                if (lens[i] >= MPC_LEN_SYNACK)
                        assert_true(o.mpc_sndr_key == 0x1111222233334444ULL);
                if (lens[i] >= MPC_LEN_ACK)
                        assert_true(o.mpc_rcvr_key == 0x5555666677778888ULL);
                if (lens[i] >= MPC_LEN_DATA)
                        assert_int_equal(o.mpc_data_len, 1400);
                if (lens[i] == MPC_LEN_DATA_CSUM)
                        assert_int_equal(o.mpc_csum, csum);
        }
        /* A higher version parses (the listener answers with v1); version 0 does not. */
        mptcp_write_mpc(b, MPC_LEN_SYN, MPC_FLAG_H, 0, 0, 0, 0);
        b[2] = 0x02;
        assert_int_equal(parse_ok(b, MPTCPOPT_MP_CAPABLE).mpc_version, 2);
        struct mptcp_opts o = {0};
        b[2] = 0x00;
        assert_int_equal(mptcp_opt_parse(b, b[1], &o), -ENOTSUP);
        assert_false(mptcp_has(&o, MPTCPOPT_MP_CAPABLE));
}

static void test_mp_join_forms(void **state)
{
        (void)state;
        uint8_t b[40], mac[20];
        for (int i = 0; i < 20; i++)
                mac[i] = (uint8_t)(0xa0 + i);
        assert_int_equal(mptcp_write_join_syn(b, 1, 7, 0xdeadbeef, 0x01020304), 12);
        struct mptcp_opts o = parse_ok(b, MPTCPOPT_MP_JOIN);
        assert_int_equal(o.join_backup, 1);
        assert_int_equal(o.join_addr_id, 7);
        assert_int_equal(o.join_token, 0xdeadbeef);
        assert_int_equal(o.join_nonce, 0x01020304);
        assert_int_equal(mptcp_write_join_synack(b, 0, 3, mac, 0x0a0b0c0d), 16);
        o = parse_ok(b, MPTCPOPT_MP_JOIN);
        assert_int_equal(o.join_len, 16);
        assert_int_equal(o.join_backup, 0);
        assert_int_equal(o.join_addr_id, 3);
        assert_memory_equal(o.join_hmac, mac, 8);
        assert_int_equal(o.join_nonce, 0x0a0b0c0d);
        assert_int_equal(mptcp_write_join_ack(b, mac), 24);
        o = parse_ok(b, MPTCPOPT_MP_JOIN);
        assert_int_equal(o.join_len, 24);
        assert_memory_equal(o.join_hmac, mac, 20);
}

static void test_dss_every_combination(void **state)
{
        (void)state;
        for (unsigned f = 0; f < 32; f++) {
                if ((f & DSS_F) && !(f & DSS_M))
                        continue;
                for (int csum = 0; csum <= ((f & DSS_M) ? 1 : 0); csum++) {
                        struct mptcp_dss_out d = {.flags = (uint8_t)f,
                                                  .data_ack = 0x0102030405060708ULL,
                                                  .dsn = 0x1112131415161718ULL,
                                                  .ssn = 0x21222324,
                                                  .data_len = 0x3132,
                                                  .csum = 0x4142,
                                                  .with_csum = (uint8_t)csum};
                        uint8_t b[40];
                        unsigned n = mptcp_write_dss(b, &d);
                        assert_true(n <= DSS_LEN_MAX);
                        struct mptcp_opts o = parse_ok(b, MPTCPOPT_DSS);
                        assert_int_equal(o.dss_flags, f);
                        if (f & DSS_A)
                                assert_true(o.data_ack ==
                                            ((f & DSS_a) ? d.data_ack : (uint32_t)d.data_ack));
                        if (f & DSS_M) {
                                assert_true(o.dsn == ((f & DSS_m) ? d.dsn : (uint32_t)d.dsn));
                                assert_int_equal(o.ssn, d.ssn);
                                assert_int_equal(o.data_len, d.data_len);
                                assert_int_equal(o.dss_has_csum, csum);
                                if (csum)
                                        assert_int_equal(o.dss_csum, d.csum);
                        }
                }
        }
}

static void test_other_forms(void **state)
{
        (void)state;
        uint8_t b[40];
        struct um_addr v4 = {.family = AF_INET, .b = {10, 1, 2, 3}};
        struct um_addr v6 = {.family = AF_INET6, .b = {0xfd, 0, 0, 1, [15] = 9}};
        for (int port = 0; port <= 1; port++)
                for (int mac = 0; mac <= 1; mac++)
                        for (int fam = 0; fam <= 1; fam++) {
                                const struct um_addr *a = fam ? &v6 : &v4;
                                unsigned n = mptcp_write_add_addr(b, !mac, 5, a, port ? 8080 : 0,
                                                                  mac, 0x0102030405060708ULL);
                                assert_int_equal(n, mptcp_add_addr_len(a->family, port, mac));
                                struct mptcp_opts o = parse_ok(b, MPTCPOPT_ADD_ADDR);
                                assert_int_equal(o.add_echo, !mac);
                                assert_int_equal(o.add_addr_id, 5);
                                assert_true(um_addr_eq(&o.add_addr, a));
                                assert_int_equal(o.add_port, port ? 8080 : 0);
                                assert_int_equal(o.add_has_hmac, mac);
                                if (mac)
                                        assert_true(o.add_hmac == 0x0102030405060708ULL);
                        }
        uint8_t ids[3] = {1, 4, 9};
        struct mptcp_opts o;
        assert_int_equal(mptcp_write_rm_addr(b, ids, 3), 6);
        o = parse_ok(b, MPTCPOPT_RM_ADDR);
        assert_int_equal(o.rm_n, 3);
        assert_memory_equal(o.rm_ids, ids, 3);
        assert_int_equal(mptcp_write_mp_prio(b, 1), 3);
        assert_int_equal(parse_ok(b, MPTCPOPT_MP_PRIO).prio_backup, 1);
        assert_int_equal(mptcp_write_mp_fail(b, 0xabcdef0123456789ULL), 12);
        assert_true(parse_ok(b, MPTCPOPT_MP_FAIL).fail_dsn == 0xabcdef0123456789ULL);
        assert_int_equal(mptcp_write_fastclose(b, 0x0102030405060708ULL), 12);
        assert_true(parse_ok(b, MPTCPOPT_MP_FASTCLOSE).fastclose_key == 0x0102030405060708ULL);
        assert_int_equal(mptcp_write_tcprst(b, 1, MPTCP_RST_EMIDDLEBOX), 4);
        o = parse_ok(b, MPTCPOPT_MP_TCPRST);
        assert_int_equal(o.rst_flags, 1);
        assert_int_equal(o.rst_reason, MPTCP_RST_EMIDDLEBOX);
}

static int parse_len(uint8_t sub_byte, uint8_t flags, uint8_t len)
{
        uint8_t b[64] = {TCPOPT_MPTCP, len, sub_byte, flags};
        struct mptcp_opts o;
        memset(&o, 0, sizeof(o));
        int rc = mptcp_opt_parse(b, len, &o);
        if (rc < 0)
                assert_int_equal(o.present, 0);
        return rc;
}

static void test_malformed(void **state)
{
        (void)state;
        /* Every length that is not one of its subtype's forms is refused. */
        for (unsigned len = 3; len <= 40; len++) {
                int mpc_ok = len == 4 || len == 12 || len == 20 || len == 22 || len == 24;
                assert_int_equal(parse_len(0x01, MPC_FLAG_H, (uint8_t)len) >= 0, mpc_ok);
                int join_ok = len == 12 || len == 16 || len == 24;
                assert_int_equal(parse_len(0x10, 0, (uint8_t)len) >= 0, join_ok);
                /* DSS with A and M, 4-byte fields: 4 + 4 + 10 = 18, or 20 with a checksum. */
                assert_int_equal(parse_len(0x20, DSS_A | DSS_M, (uint8_t)len) >= 0,
                                 len == 18 || len == 20);
                assert_int_equal(parse_len(0x20, DSS_A | DSS_a, (uint8_t)len) >= 0, len == 12);
                int add_ok = len == 8 || len == 10 || len == 16 || len == 18 || len == 20 ||
                             len == 22 || len == 28 || len == 30;
                assert_int_equal(parse_len(0x30, 1, (uint8_t)len) >= 0, add_ok);
                assert_int_equal(parse_len(0x60, 0, (uint8_t)len) >= 0, len == 12);
                assert_int_equal(parse_len(0x70, 0, (uint8_t)len) >= 0, len == 12);
                assert_int_equal(parse_len(0x80, 0, (uint8_t)len) >= 0, len == 4);
        }
        /* DATA_FIN without a mapping, unknown subtypes, a length byte that disagrees. */
        assert_int_equal(parse_len(0x20, DSS_F | DSS_A, 8), -EINVAL);
        for (uint8_t sub = 9; sub <= 15; sub++)
                assert_int_equal(parse_len((uint8_t)(sub << 4), 0, 12), -ENOTSUP);
        uint8_t b[12] = {TCPOPT_MPTCP, 12, 0x01, 0};
        struct mptcp_opts o = {0};
        assert_int_equal(mptcp_opt_parse(b, 4, &o), -EINVAL);
        assert_int_equal(mptcp_opt_parse(b, 2, &o), -EINVAL);
}

static void test_expand_seq(void **state)
{
        (void)state;
        assert_true(mptcp_expand_seq(0x100000010ULL, 0x20) == 0x100000020ULL);
        assert_true(mptcp_expand_seq(0x100000010ULL, 0x05) == 0x100000005ULL);
        /* Across the 2^32 boundary, both ways. */
        assert_true(mptcp_expand_seq(0x1fffffff0ULL, 0x10) == 0x200000010ULL);
        assert_true(mptcp_expand_seq(0x200000010ULL, 0xfffffff0u) == 0x1fffffff0ULL);
        /* Across the 2^64 wrap, both ways (issue 11 item 12: a value just below the wrap
         * read near zero was taken 4 GiB ahead instead of 32 bytes behind). */
        assert_true(mptcp_expand_seq(0x10, 0xfffffff0u) == 0xfffffffffffffff0ULL);
        assert_true(mptcp_expand_seq(0xffffffffffffff00ULL, 0x10) == 0x10ULL);
        assert_true(mptcp_expand_seq(0xfffffffffffffff0ULL, 0xfffffff8u) == 0xfffffffffffffff8ULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_key_to_token_and_idsn),
            cmocka_unit_test(test_hmac_vectors),
            cmocka_unit_test(test_join_hmac_is_keyed_by_order),
            cmocka_unit_test(test_add_addr_hmac_vector),
            cmocka_unit_test(test_dss_checksum_verifies),
            cmocka_unit_test(test_mp_capable_forms),
            cmocka_unit_test(test_mp_join_forms),
            cmocka_unit_test(test_dss_every_combination),
            cmocka_unit_test(test_other_forms),
            cmocka_unit_test(test_malformed),
            cmocka_unit_test(test_expand_seq),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
