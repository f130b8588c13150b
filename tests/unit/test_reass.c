/* Out-of-order range bookkeeping and the byte ring that holds the data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "core/ranges.h"
#include "core/ring.h"

static void test_merge_and_advance(void **state)
{
        (void)state;
        struct um_ranges r = {0};
        assert_int_equal(um_ranges_add(&r, 300, 400), 0);
        assert_int_equal(um_ranges_add(&r, 100, 200), 0);
        assert_int_equal(r.n, 2);
        assert_int_equal(um_ranges_add(&r, 200, 300), 0); /* bridges both */
        assert_int_equal(r.n, 1);
        assert_int_equal(r.start[0], 100);
        assert_int_equal(r.end[0], 400);
        assert_int_equal(um_ranges_bytes(&r), 300);
        assert_int_equal(um_ranges_advance(&r, 50), 50); /* hole at 50..100 remains */
        assert_int_equal(um_ranges_advance(&r, 100), 400);
        assert_int_equal(r.n, 0);
        um_ranges_free(&r);
}

static void test_overlaps_and_duplicates(void **state)
{
        (void)state;
        struct um_ranges r = {0};
        um_ranges_add(&r, 100, 200);
        um_ranges_add(&r, 150, 250);
        um_ranges_add(&r, 120, 130);
        um_ranges_add(&r, 50, 60);
        assert_int_equal(r.n, 2);
        assert_int_equal(r.start[1], 100);
        assert_int_equal(r.end[1], 250);
        assert_int_equal(um_ranges_add(&r, 10, 10), 0); /* empty */
        assert_int_equal(r.n, 2);
        um_ranges_free(&r);
}

static void test_across_sequence_wrap(void **state)
{
        (void)state;
        struct um_ranges r = {0};
        um_ranges_add(&r, 0x10, 0x20);
        um_ranges_add(&r, 0xfffffff0u, 0x8);
        assert_int_equal(r.n, 2);
        assert_int_equal(r.start[0], 0xfffffff0u);
        um_ranges_add(&r, 0x8, 0x10);
        assert_int_equal(r.n, 1);
        assert_int_equal(um_ranges_advance(&r, 0xfffffff0u), 0x20);
        um_ranges_free(&r);
}

static void test_table_full(void **state)
{
        (void)state;
        struct um_ranges r = {0};
        for (uint32_t i = 0; i < UM_RANGES_MAX; i++)
                assert_int_equal(um_ranges_add(&r, 1000 + 20 * i, 1010 + 20 * i), 0);
        uint32_t beyond = 1000 + 20 * UM_RANGES_MAX + 100;
        assert_int_equal(um_ranges_add(&r, beyond, beyond + 10), -ENOSPC);
        /* Growing an existing range still works when full. */
        assert_int_equal(um_ranges_add(&r, 1010, 1015), 0);
        um_ranges_free(&r);
}

static void test_sack_blocks_recent_first(void **state)
{
        (void)state;
        struct um_ranges r = {0};
        um_ranges_add(&r, 100, 200);
        um_ranges_add(&r, 300, 400);
        um_ranges_add(&r, 500, 600);
        um_ranges_add(&r, 150, 250); /* most recent: extends the first */
        uint32_t b[4][2];
        int n = um_ranges_recent_first(&r, b, 4);
        assert_int_equal(n, 3);
        assert_int_equal(b[0][0], 100);
        assert_int_equal(b[0][1], 250);
        assert_int_equal(b[1][0], 500);
        assert_int_equal(um_ranges_recent_first(&r, b, 1), 1);
        um_ranges_free(&r);
}

static void test_ring_out_of_order_placement(void **state)
{
        (void)state;
        struct um_ring ring;
        assert_int_equal(um_ring_init(&ring, 16), 0);
        assert_int_equal(um_ring_append(&ring, "abcdefghij", 10), 10);
        char buf[16] = {0};
        um_ring_copy_out(&ring, 0, buf, 6);
        um_ring_consume(&ring, 6); /* head now at 6, "ghij" left */
        /* Place bytes beyond the in-order part, wrapping around the end. */
        um_ring_copy_in(&ring, ring.len + 4, "WXYZ", 4);
        assert_int_equal(um_ring_append(&ring, "klmn", 4), 4); /* fills the hole */
        ring.len += 4;                                         /* the hole filled WXYZ in */
        um_ring_copy_out(&ring, 0, buf, 12);
        assert_memory_equal(buf, "ghijklmnWXYZ", 12);
        /* Out-of-order bytes past len survive growth when the live extent covers them. */
        um_ring_copy_in(&ring, ring.len + 2, "PQ", 2);
        assert_int_equal(um_ring_grow(&ring, 64, ring.len + 4), 0);
        um_ring_copy_out(&ring, 0, buf, 12);
        assert_memory_equal(buf, "ghijklmnWXYZ", 12);
        um_ring_copy_out(&ring, ring.len + 2, buf, 2);
        assert_memory_equal(buf, "PQ", 2);
        assert_int_equal(um_ring_free_space(&ring), 64 - 12);
        um_ring_free(&ring, NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_merge_and_advance),
            cmocka_unit_test(test_overlaps_and_duplicates),
            cmocka_unit_test(test_across_sequence_wrap),
            cmocka_unit_test(test_table_full),
            cmocka_unit_test(test_sack_blocks_recent_first),
            cmocka_unit_test(test_ring_out_of_order_placement),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
