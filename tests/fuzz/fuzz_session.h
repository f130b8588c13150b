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
};
extern struct fuzz_stats fuzz_stats;

/* One MPTCP session with a fresh stack, driven by the input (fuzz_session.c). */
int fuzz_session_one(const uint8_t *data, size_t size);
/* Random socket-call sequences on two stacks (fuzz_api.c). */
int fuzz_api_one(const uint8_t *data, size_t size);

#endif
