/* What the tools take to reach the network: HOST PORT, the --endpoints kind, and the --link
 * option: a TUN device, umptcp's address on it, and impairments
 * applied on umptcp's side (the kernel here has no netem):
 *   tun:IFNAME:ADDR/PREFIX[,loss=P][,delay=MS][,jitter=MS][,reorder=P][,duplicate=P][,rate=MBIT]
 * Probabilities, milliseconds one way, Mbit/s, as umptcp-sim takes them; each applies to
 * both directions. IPv6 works the same (the address ends at the first comma). */
#ifndef UMPTCP_TOOL_LINKS_H
#define UMPTCP_TOOL_LINKS_H

#include <stdint.h>
#include <sys/socket.h>
#include <stdio.h>
#include <umptcp/link.h>
#include <umptcp/stack.h>

enum { TOOL_MAX_LINKS = 8 };

struct link_spec {
        char ifname[32];
        char addr[64]; /* ADDR/PREFIX */
        struct um_emu_dir_config impair;
        int impaired;
        int plain; /* ,offload=0: one packet per system call */
};

/* HOST (a numeric IPv4 or IPv6 address) and PORT; prints why they are bad (prefixed with
 * `tool`) and returns -1 if they are. */
int tool_parse_host_port(const char *tool, const char *host, const char *port,
                         struct sockaddr_storage *ss, socklen_t *len);
/* "subflow", "signal" or "none" as a UM_MPTCP_PM_* kind (0 for none); -1 with a message. */
int tool_parse_endpoints(const char *tool, const char *arg, unsigned *kind);
/* A congestion control's name (the built-in ones and MPTCP's coupled ones), or NULL with a
 * message. */
const char *tool_parse_cc(const char *tool, const char *arg);
/* A packet scheduler's name as the stack keeps it (um_mptcp_scheduler_at lists them), or
 * NULL with a message. */
const char *tool_parse_scheduler(const char *tool, const char *arg);

/* Every number the tools read from their users (flags, scenario and trace files) that
 * becomes a quantity: all of s, a decimal number within [lo, hi]. NaN and the infinities
 * are never within, so whatever is later converted to an integer has one. -1 if not. */
int tool_parse_number(const char *s, double lo, double hi, double *out);
/* "A-B" seconds, 0 <= A < B <= hi; -1 if not. */
int tool_parse_span(const char *s, double hi, double *a, double *b);
/* Bytes, with an optional K, M or G (binary multiples), at most max (below 2^53, where a
 * double still counts every byte); -1 if not. */
int tool_parse_size(const char *s, uint64_t max, uint64_t *out);
/* The sizes a transfer can have: 1 PiB, days of the emulator's time at any rate. */
#define TOOL_SIZE_MAX ((uint64_t)1 << 50)

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
/* One line per TUN link: its mode and system calls, for --stats. */
void tool_links_print_stats(const struct tool_links *tl, FILE *out);
/* The built-in path manager: every link's address beyond the first becomes an endpoint of
 * `kind` (UM_MPTCP_PM_*; 0: none), and the limits allow them all. */
int tool_add_endpoints(const char *tool, struct um_stack *st, const struct link_spec *links, int n,
                       unsigned kind, unsigned add_addr_accepted);

#endif
