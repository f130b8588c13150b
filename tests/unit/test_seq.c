/* Sequence-number arithmetic across the 2^32 wrap (RFC 9293 §3.4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/seq.h"

static void test_compare_without_wrap(void **state)
{
        (void)state;
        assert_true(seq_lt(1, 2));
        assert_false(seq_lt(2, 1));
        assert_true(seq_leq(5, 5));
        assert_true(seq_geq(5, 5));
        assert_false(seq_gt(5, 5));
}

static void test_compare_across_wrap(void **state)
{
        (void)state;
        assert_true(seq_lt(0xfffffff0u, 0x10u));
        assert_true(seq_gt(0x10u, 0xfffffff0u));
        assert_int_equal(seq_max(0xfffffff0u, 0x10u), 0x10u);
        assert_int_equal(seq_min(0xfffffff0u, 0x10u), 0xfffffff0u);
        assert_true(seq_in(0xffffffffu, 0xfffffff0u, 0x10u));
        assert_true(seq_in(0x0u, 0xfffffff0u, 0x10u));
        assert_false(seq_in(0x10u, 0xfffffff0u, 0x10u));
        assert_false(seq_in(0xffffffefu, 0xfffffff0u, 0x10u));
}

static void test_half_space_boundary(void **state)
{
        (void)state;
        /* Numbers 2^31 - 1 apart still order; that is the usable half of the space. */
        assert_true(seq_lt(0, 0x7fffffffu));
        assert_true(seq_gt(0x80000001u, 0x00000002u));
        /* Exactly 2^31 apart is ambiguous: each looks below the other. */
        assert_true(seq_lt(0x80000002u, 2u) && seq_lt(2u, 0x80000002u));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_compare_without_wrap),
            cmocka_unit_test(test_compare_across_wrap),
            cmocka_unit_test(test_half_space_boundary),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
