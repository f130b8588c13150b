/* The control socket's fuzz targets: bytes as lines of requests from one client, and
 * sessions of several clients against stacks with connections. */
#ifndef UMPTCP_FUZZ_CTL_H
#define UMPTCP_FUZZ_CTL_H

#include <stddef.h>
#include <stdint.h>

/* Returns how many replies came back (one per line). */
int fuzz_ctl_one(const uint8_t *data, size_t size);
/* Clients' command sequences against two stacks with live connections
 * (fuzz_ctl_session.c); counts in fuzz_stats. */
int fuzz_ctl_session_one(const uint8_t *data, size_t size);

#endif
