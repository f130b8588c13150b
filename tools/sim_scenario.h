/* umptcp-sim's network scenarios: topology and flows read from a scenario file (beside the
 * two-stack options it already takes), run on the network emulator (um_sim_net), results
 * printed and written as JSON. The format is in docs/EXPERIMENTS.md. */
#ifndef UMPTCP_TOOLS_SIM_SCENARIO_H
#define UMPTCP_TOOLS_SIM_SCENARIO_H

#include <stdint.h>

struct sim_scenario;

struct sim_scenario *sim_scenario_new(void);
void sim_scenario_free(struct sim_scenario *s);
/* One line of a scenario file, its keyword and the rest: 1 when it was a network line
 * (host, router, link, flow, duration, tick), 0 when not, -1 when bad (a message says why,
 * naming `where`). */
int sim_scenario_line(struct sim_scenario *s, const char *key, const char *rest, const char *where);
int sim_scenario_has_net(const struct sim_scenario *s);

struct sim_scenario_opts {
        uint64_t seed;
        const char *cc, *scheduler; /* for the MPTCP flows that name none */
        const char *json;           /* a file for the results, or NULL */
        int quiet;                  /* no per-second lines */
};
/* Builds the network, runs it and reports. Returns 0 when every flow completed and
 * verified (or, with a duration, was still moving at its end), 1 otherwise, 2 when the
 * scenario cannot be built (a message says why). */
int sim_scenario_run(struct sim_scenario *s, const struct sim_scenario_opts *o);

#endif
