#include "fuzz_session.h"

struct fuzz_stats fuzz_stats;
