/* Exact-segment tests: a scripted peer that writes TCP segments byte by byte to one stack
 * and reads back exactly what the stack answers, on one emulated link without delay.
 * The peer is 10.0.0.1, the stack 10.0.0.2; time moves only when the test says so. */
#ifndef UMPTCP_TEST_SEG_PEER_H
#define UMPTCP_TEST_SEG_PEER_H

#include <stdint.h>
#include <umptcp/link.h>
#include <umptcp/stack.h>

#include "mptcp/mptcp_options.h"

struct seg {
        uint16_t sport, dport;
        uint32_t seq, ack;
        uint8_t flags; /* UM_TH_* */
        uint16_t wnd;
        uint8_t opt[40];
        unsigned optlen;
        const uint8_t *payload;
        uint32_t len;
        /* Hosts of 10.0.0.0/24 at each end (0: the defaults, peer 1 and stack 2); filled
         * for received segments too. */
        uint8_t peer_host, stack_host;
        /* Filled for received segments: the kind-30 options, parsed. */
        struct mptcp_opts mp;
        int n_mptcp;
        uint8_t data[1500];
};

struct seg_peer {
        struct um_stack *st;
        struct um_link *stack_end, *peer_end;
        uint64_t now;
        uint16_t port; /* the peer's port */
        int hold;      /* segments sent wait for the next poll (a burst read in one) */
};

int seg_peer_open(struct seg_peer *p, uint64_t seed);
void seg_peer_close(struct seg_peer *p);
/* Sends one segment to the stack (IP and TCP checksums filled in) and lets it answer, or,
 * while p->hold is set, leaves it for the next poll. */
void seg_peer_send(struct seg_peer *p, const struct seg *s);
/* The next segment the stack sent, 1 if there was one. */
int seg_peer_recv(struct seg_peer *p, struct seg *out);
/* The next segment the stack sends within `us` (timers run meanwhile), 1 if one came. */
int seg_peer_wait(struct seg_peer *p, struct seg *out, uint64_t us);
/* Drops what the stack sent so far; returns how many segments that was. */
int seg_peer_drain(struct seg_peer *p);
/* Moves time forward by `us`, running the stack's timers. */
void seg_peer_run(struct seg_peer *p, uint64_t us);
/* Appends an option to s (kind-30 writers from mptcp_options.h fill `out` of len n). */
void seg_add_opt(struct seg *s, const uint8_t *opt, unsigned n);
/* A NOP-padded timestamp option, as most peers send. */
void seg_add_ts(struct seg *s, uint32_t tsval, uint32_t tsecr);

#endif
