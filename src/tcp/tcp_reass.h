/* Out-of-order reassembly bookkeeping: the sequence ranges held beyond rcv_nxt. The bytes
 * themselves sit in the receive ring at their final place, so filling a hole copies nothing. */
#ifndef UM_TCP_REASS_H
#define UM_TCP_REASS_H

#include <stdint.h>

/* Enough for the holes a burst of drops leaves in a large window (8 KB a connection). */
enum { TCP_REASS_MAX = 1024 };

struct tcp_reass {
        uint32_t start[TCP_REASS_MAX], end[TCP_REASS_MAX]; /* sorted, disjoint, not adjacent */
        int n;
        uint32_t recent; /* a sequence number in the most recently changed range (for SACK) */
};

/* Records [start, end) (above rcv_nxt). Returns 0, or -ENOSPC when the range would need
 * a new entry and the table is full (the caller drops the segment). */
int tcp_reass_add(struct tcp_reass *r, uint32_t start, uint32_t end);
/* Whether [start, end) is already held. */
int tcp_reass_covers(const struct tcp_reass *r, uint32_t start, uint32_t end);
/* Removes every range that starts at or below rcv_nxt and returns the new rcv_nxt. */
uint32_t tcp_reass_advance(struct tcp_reass *r, uint32_t rcv_nxt);
/* Bytes held out of order. */
uint32_t tcp_reass_bytes(const struct tcp_reass *r);
/* SACK blocks, most recently changed first (RFC 2018 §4); returns the count (<= max). */
int tcp_reass_sack_blocks(const struct tcp_reass *r, uint32_t (*blocks)[2], int max);

#endif
