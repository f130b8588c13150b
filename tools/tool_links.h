/* The --link option of the tools: a TUN device, umptcp's address on it, and impairments
 * applied on umptcp's side (the kernel here has no netem):
 *   tun:IFNAME:ADDR/PREFIX[,loss=P][,delay=MS][,jitter=MS][,reorder=P][,duplicate=P][,rate=MBIT]
 * Probabilities, milliseconds one way, Mbit/s, as umptcp-sim takes them; each applies to
 * both directions. IPv6 works the same (the address ends at the first comma). */
#ifndef UMPTCP_TOOL_LINKS_H
#define UMPTCP_TOOL_LINKS_H

#include <stdint.h>
#include <umptcp/link.h>
#include <umptcp/stack.h>

enum { TOOL_MAX_LINKS = 8 };

struct link_spec {
        char ifname[32];
        char addr[64]; /* ADDR/PREFIX */
        struct um_emu_dir_config impair;
        int impaired;
};

/* Parses one spec; prints why it is bad (prefixed with `tool`) and returns -1 if it is. */
int tool_link_parse(const char *tool, const char *spec, struct link_spec *out);

struct tool_links {
        struct um_link *opened[TOOL_MAX_LINKS * 3]; /* destroyed last-opened first */
        int n_opened;
};

/* Attaches every link to the stack (TUN, then a capture to pcap, pcap.1, ... when pcap is
 * set, then the impairment seeded from seed), with its address. Prints why it failed and
 * returns -1. */
int tool_links_open(const char *tool, struct um_stack *st, const struct link_spec *links, int n,
                    const char *pcap, uint64_t seed, struct tool_links *out);
void tool_links_close(struct tool_links *tl);
/* The built-in path manager: every link's address beyond the first becomes an endpoint of
 * `kind` (UM_MPTCP_PM_*; 0: none), and the limits allow them all. */
int tool_add_endpoints(const char *tool, struct um_stack *st, const struct link_spec *links, int n,
                       unsigned kind, unsigned add_addr_accepted);

#endif
