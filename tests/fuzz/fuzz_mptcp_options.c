/* libFuzzer target for the MPTCP option codec alone (-DUMPTCP_FUZZ=ON with clang): the input
 * is one kind-30 option; its length byte is made to match what the caller hands over, as
 * TCP's option walker guarantees. Packets carrying MPTCP options to an MPTCP listener are
 * covered by fuzz_input; the seeded run in make check is tests/unit/test_fuzz_smoke.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mptcp/mptcp_options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 2 || size > 40)
                return 0;
        uint8_t *opt = malloc(size);
        if (!opt)
                return 0;
        memcpy(opt, data, size);
        opt[0] = 30;
        opt[1] = (uint8_t)size;
        struct mptcp_opts o;
        memset(&o, 0, sizeof(o));
        mptcp_opt_parse(opt, (uint8_t)size, &o);
        free(opt);
        return 0;
}
