/* TCP option parsing and writing, including malformed option lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "tcp/tcp.h"
#include "tcp/tcp_options.h"

static void test_parse_syn_options(void **state)
{
        (void)state;
        const uint8_t opt[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
        struct tcp_opts o;
        assert_int_equal(tcp_options_parse(opt, sizeof(opt), &o), 0);
        assert_true(o.has_mss);
        assert_int_equal(o.mss, 1460);
        assert_true(o.sack_perm);
        assert_true(o.has_ts);
        assert_int_equal(o.tsval, 1);
        assert_int_equal(o.tsecr, 0);
        assert_true(o.has_ws);
        assert_int_equal(o.wscale, 7);
        assert_false(o.malformed);
}

static void test_parse_sack_blocks(void **state)
{
        (void)state;
        const uint8_t opt[] = {1, 1,  5,    18,   0,    0,    0, 10, 0, 0,
                               0, 20, 0xff, 0xff, 0xff, 0xf0, 0, 0,  0, 5};
        struct tcp_opts o;
        assert_int_equal(tcp_options_parse(opt, sizeof(opt), &o), 0);
        assert_int_equal(o.n_sack, 2);
        assert_int_equal(o.sack[0][0], 10);
        assert_int_equal(o.sack[0][1], 20);
        assert_int_equal(o.sack[1][0], 0xfffffff0u);
        assert_int_equal(o.sack[1][1], 5);
}

static void test_wscale_clamped_to_14(void **state)
{
        (void)state;
        const uint8_t opt[] = {3, 3, 15, 0};
        struct tcp_opts o;
        assert_int_equal(tcp_options_parse(opt, sizeof(opt), &o), 0);
        assert_int_equal(o.wscale, 14);
}

static void test_malformed_lengths(void **state)
{
        (void)state;
        struct tcp_opts o;
        /* Length 0 and 1 cannot make progress. */
        const uint8_t zero[] = {2, 4, 0x05, 0xb4, 0x55, 0, 1, 1};
        assert_int_equal(tcp_options_parse(zero, sizeof(zero), &o), -EINVAL);
        assert_true(o.malformed);
        assert_true(o.has_mss); /* options before the fault stay valid, as on Linux */
        const uint8_t one[] = {0x55, 1, 0, 0};
        assert_int_equal(tcp_options_parse(one, sizeof(one), &o), -EINVAL);
        /* An option running past the header. */
        const uint8_t past[] = {1, 1, 8, 10, 0, 0};
        assert_int_equal(tcp_options_parse(past, sizeof(past), &o), -EINVAL);
        assert_false(o.has_ts);
        /* A kind with no room for its length byte. */
        const uint8_t lone[] = {1, 1, 1, 2};
        assert_int_equal(tcp_options_parse(lone, sizeof(lone), &o), -EINVAL);
}

static void test_wrong_length_for_known_kind_ignored(void **state)
{
        (void)state;
        /* MSS of length 3, timestamps of length 6, SACK with a partial block: ignored. */
        const uint8_t opt[] = {2, 3, 5, 8, 6, 0, 0, 0, 0, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        struct tcp_opts o;
        assert_int_equal(tcp_options_parse(opt, sizeof(opt), &o), 0);
        assert_false(o.has_mss);
        assert_false(o.has_ts);
        assert_int_equal(o.n_sack, 0);
}

static void test_unknown_kinds_and_eol(void **state)
{
        (void)state;
        const uint8_t opt[] = {99, 4, 0xaa, 0xbb, 0, 2, 4, 5, 0xb4};
        struct tcp_opts o;
        assert_int_equal(tcp_options_parse(opt, sizeof(opt), &o), 0);
        assert_true(o.has_other);
        assert_false(o.has_mss); /* after EOL nothing is read */
}

static void test_empty_option_area(void **state)
{
        (void)state;
        struct tcp_opts o;
        assert_int_equal(tcp_options_parse(NULL, 0, &o), 0);
        assert_false(o.has_mss || o.has_ts || o.sack_perm || o.has_ws);
}

/* Writing needs a connection: build one on a bare stack. */
static struct um_tcp_conn *bare_conn(struct um_stack **st)
{
        struct um_stack_config cfg = {.seed = 1};
        *st = um_stack_new(&cfg);
        struct um_tcp_conn *c = tcp_conn_new(*st);
        c->adv_mss = 1460;
        c->rcv_wscale = 7;
        return c;
}

static void test_write_syn_options(void **state)
{
        (void)state;
        struct um_stack *st;
        struct um_tcp_conn *c = bare_conn(&st);
        c->state = TCPS_SYN_SENT;
        c->syn_ws = c->syn_sack = c->syn_ts = 1;
        struct um_tcp_seg_info seg = {.flags = UM_TH_SYN};
        uint8_t out[40];
        unsigned n = tcp_options_write(c, &seg, out, 40);
        assert_int_equal(n, 20);
        struct tcp_opts o;
        assert_int_equal(tcp_options_parse(out, n, &o), 0);
        assert_int_equal(o.mss, 1460);
        assert_true(o.sack_perm && o.has_ts && o.has_ws);
        assert_int_equal(o.wscale, 7);
        um_stack_free(st);
}

static void test_write_sack_within_room(void **state)
{
        (void)state;
        struct um_stack *st;
        struct um_tcp_conn *c = bare_conn(&st);
        c->state = TCPS_ESTABLISHED;
        c->sack_ok = c->ts_ok = 1;
        for (uint32_t i = 0; i < 6; i++)
                um_ranges_add(&c->reass, 1000 + i * 100, 1050 + i * 100);
        struct um_tcp_seg_info seg = {.flags = UM_TH_ACK};
        uint8_t out[40];
        struct tcp_opts o;
        /* Timestamps (12) leave room for three blocks (4 + 24). */
        unsigned n = tcp_options_write(c, &seg, out, 40);
        assert_int_equal(n, 40);
        assert_int_equal(tcp_options_parse(out, n, &o), 0);
        assert_int_equal(o.n_sack, 3);
        /* The most recent block comes first (RFC 2018 §4). */
        assert_int_equal(o.sack[0][0], 1500);
        /* With only 24 bytes of room (a full-size payload), one block fits. */
        n = tcp_options_write(c, &seg, out, 24);
        assert_true(n <= 24);
        assert_int_equal(tcp_options_parse(out, n, &o), 0);
        assert_int_equal(o.n_sack, 1);
        assert_true(o.has_ts);
        um_stack_free(st);
}

static void test_dsack_block_first(void **state)
{
        (void)state;
        struct um_stack *st;
        struct um_tcp_conn *c = bare_conn(&st);
        c->state = TCPS_ESTABLISHED;
        c->sack_ok = 1;
        um_ranges_add(&c->reass, 5000, 6000);
        c->dsack_pending = 1;
        c->dsack_start = 1000;
        c->dsack_end = 1448;
        struct um_tcp_seg_info seg = {.flags = UM_TH_ACK};
        uint8_t out[40];
        struct tcp_opts o;
        unsigned n = tcp_options_write(c, &seg, out, 40);
        assert_int_equal(tcp_options_parse(out, n, &o), 0);
        assert_int_equal(o.n_sack, 2);
        assert_int_equal(o.sack[0][0], 1000); /* RFC 2883 §4: the duplicate comes first */
        assert_int_equal(o.sack[0][1], 1448);
        assert_int_equal(o.sack[1][0], 5000);
        assert_false(c->dsack_pending); /* reported once */
        n = tcp_options_write(c, &seg, out, 40);
        assert_int_equal(tcp_options_parse(out, n, &o), 0);
        assert_int_equal(o.n_sack, 1);
        um_stack_free(st);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_syn_options),
            cmocka_unit_test(test_parse_sack_blocks),
            cmocka_unit_test(test_wscale_clamped_to_14),
            cmocka_unit_test(test_malformed_lengths),
            cmocka_unit_test(test_wrong_length_for_known_kind_ignored),
            cmocka_unit_test(test_unknown_kinds_and_eol),
            cmocka_unit_test(test_empty_option_area),
            cmocka_unit_test(test_write_syn_options),
            cmocka_unit_test(test_write_sack_within_room),
            cmocka_unit_test(test_dsack_block_first),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
