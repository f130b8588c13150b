/* Address signals as they are written onto a segment: a REMOVE_ADDR that names more IDs
 * than the room left takes as many as fit, and the rest wait for the next segment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <umptcp/stack.h>

#include "core/stack.h"
#include "mptcp/mptcp.h"

/* Issue 11 item 11: the room test asked for 4 bytes and the writer wrote 3 + n, past the
 * room given (beside an MP_CAPABLE ACK and timestamps only 8 bytes are left). */
static void test_remove_addr_split_to_fit(void **state)
{
        (void)state;
        struct um_stack *st = um_stack_new(&(struct um_stack_config){.seed = 1, .name = "t"});
        assert_non_null(st);
        struct mptcp_sock msk = {.ms = st->mptcp, .st = st};
        struct mptcp_subflow sf = {.msk = &msk};
        static const uint8_t ids[6] = {1, 2, 3, 4, 5, 6};
        memcpy(msk.pm.rm_ids, ids, sizeof(ids));
        msk.pm.n_rm = 6;
        uint8_t out[40];
        unsigned n = mptcp_signal_write(&sf, out, 8);
        assert_int_equal(n, 8);
        struct mptcp_opts o = {0};
        assert_int_equal(mptcp_opt_parse(out, (uint8_t)n, &o), MPTCPOPT_RM_ADDR);
        assert_int_equal(o.rm_n, 5);
        assert_memory_equal(o.rm_ids, ids, 5);
        assert_int_equal(msk.pm.n_rm, 1);
        n = mptcp_signal_write(&sf, out, 8);
        assert_int_equal(n, 4);
        memset(&o, 0, sizeof(o));
        assert_int_equal(mptcp_opt_parse(out, (uint8_t)n, &o), MPTCPOPT_RM_ADDR);
        assert_int_equal(o.rm_n, 1);
        assert_int_equal(o.rm_ids[0], 6);
        assert_int_equal(msk.pm.n_rm, 0);
        assert_int_equal(mptcp_signal_write(&sf, out, 40), 0);
        um_stack_free(st);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_remove_addr_split_to_fit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
