/* How deep the fuzz inputs got (struct fuzz_stats), shared by the targets. */
#include "fuzz_session.h"

struct fuzz_stats fuzz_stats;
