/* Middlebox helpers for simulation tests: a view of an IPv4 TCP segment, its options and
 * payload, for boxes that rewrite them (and then fix the checksum). IPv4 and IPv6 (without
 * extension headers, which the stack never sends). */
#ifndef UMPTCP_TEST_TCP_VIEW_H
#define UMPTCP_TEST_TCP_VIEW_H

#include <stdint.h>

struct tcp_view {
        uint8_t *ip, *tcp, *opt, *payload;
        unsigned iphl, optlen, plen, total;
        uint8_t flags;
};

/* Fills v for a TCP packet; -1 for anything else. */
int view(uint8_t *pkt, uint32_t len, struct tcp_view *v);
void fix_tcp_checksum(struct tcp_view *v);
/* The next kind-30 option at or after *at (its offset), or -1. */
int next_mptcp_option(const struct tcp_view *v, unsigned *at);

#endif
