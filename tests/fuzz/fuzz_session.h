/* The session and API fuzz targets' entry points, and how deep their inputs got. */
#ifndef UMPTCP_FUZZ_SESSION_H
#define UMPTCP_FUZZ_SESSION_H

#include <stddef.h>
#include <stdint.h>

/* How deep the inputs got, for the seeded runs to assert on. */
struct fuzz_stats {
        unsigned sessions, established, joined, ops; /* fuzz_session_one */
        unsigned cookies, two_connections, storms, events;
        unsigned api_calls, api_accepted; /* fuzz_api_one */
        /* fuzz_ctl_session_one: connections made and joined, request lines sent, those
         * naming a live connection's token, replies read, of those how many and how many
         * ok, events read, transfers completed and verified */
        unsigned ctl_sessions, ctl_conns, ctl_joined, ctl_lines, ctl_live;
        unsigned ctl_replies, ctl_live_replies, ctl_live_ok, ctl_events, ctl_transfers;
};
extern struct fuzz_stats fuzz_stats;

/* One MPTCP session with a fresh stack, driven by the input (fuzz_session.c). */
int fuzz_session_one(const uint8_t *data, size_t size);
/* Random socket-call sequences on two stacks (fuzz_api.c). */
int fuzz_api_one(const uint8_t *data, size_t size);

#endif
