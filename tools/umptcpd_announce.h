/* umptcpd --announce ADDR[:PORT]: each instance of a daemon behind an L4 load balancer
 * names an address (and port) of its own that every MPTCP connection announces, and sets
 * the C flag so that no join goes to the shared address the balancer may send elsewhere
 * (RFC 8684 §3.1, §3.4.1; docs/DEPLOY.md). It is the built-in path manager's `signal`
 * endpoint, with the port when one is given, and allow_join_initial_addr_port = 0. */
#ifndef UMPTCPD_ANNOUNCE_H
#define UMPTCPD_ANNOUNCE_H

#include <stddef.h>
#include <stdint.h>

#include <umptcp/stack.h>

#include "tool_links.h"

enum { UMPTCPD_MAX_ANNOUNCE = 8 }; /* the path manager's endpoints */

struct umptcpd_announce {
        char text[80];    /* as given */
        char addr[64];    /* numeric, without brackets */
        uint16_t port;    /* 0: the connection's own */
        char origin[300]; /* "--announce" or "FILE:LINE" */
};

/* "ADDR", "ADDR:PORT", "V6ADDR", "[V6ADDR]" or "[V6ADDR]:PORT", ADDR numeric, PORT 1-65535.
 * Returns 0, or -1 with the reason in why. */
int umptcpd_announce_parse(const char *arg, struct umptcpd_announce *out, char *why, size_t len);

/* Whether the address is one of the links' (ADDR/PREFIX each): the joins it draws must
 * arrive on this daemon's own links. */
int umptcpd_announce_on_link(const struct umptcpd_announce *a, const struct link_spec *links,
                             int n_links);

/* Sets C (allow_join_initial_addr_port = 0) and makes each a `signal` endpoint (a link's
 * endpoint of the same address and no port gains the flag, keeping its ID). Prints why it
 * failed (prefixed with tool) and returns -1. */
int umptcpd_announce_apply(const char *tool, struct um_stack *st, const struct umptcpd_announce *a,
                           int n);

#endif
