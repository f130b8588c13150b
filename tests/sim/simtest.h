/* Helpers for simulation tests: a printed, replayable seed and a verified transfer. */
#ifndef UMPTCP_SIMTEST_H
#define UMPTCP_SIMTEST_H

#include <stdint.h>
#include <umptcp/sim.h>

/* The run's seed: UMPTCP_SEED from the environment, else fresh; printed for replay. */
uint64_t simtest_seed(void);
/* Runs the transfer, prints a one-line summary, returns 1 when it completed and verified. */
int simtest_transfer(const char *name, struct um_sim_transfer_cfg *cfg,
                     struct um_sim_transfer_result *res);
/* A path of rate Mbit/s and one-way delay ms, the same both ways. */
struct um_sim_path simtest_path(double mbit, double delay_ms);

#endif
