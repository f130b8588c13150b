/* The control socket's fuzz target: bytes as lines of requests from one client. */
#ifndef UMPTCP_FUZZ_CTL_H
#define UMPTCP_FUZZ_CTL_H

#include <stddef.h>
#include <stdint.h>

/* Returns how many replies came back (one per line). */
int fuzz_ctl_one(const uint8_t *data, size_t size);

#endif
