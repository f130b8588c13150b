/* Out-of-order bookkeeping: the sequence ranges held beyond the next expected byte. The
 * bytes themselves sit in a receive ring at their final place, so filling a hole copies nothing. */
#ifndef UM_CORE_RANGES_H
#define UM_CORE_RANGES_H

#include <stdint.h>

/* Enough for the holes a burst of drops leaves in a large window. The table takes memory
 * only while it holds ranges: it starts at 8 entries, doubles as holes appear, and is
 * released when the last hole fills. */
enum { UM_RANGES_MAX = 1024 };

struct um_ranges {
        uint32_t *start, *end; /* sorted, disjoint, not adjacent; NULL while empty */
        int n, cap;
        uint32_t recent; /* a sequence number in the most recently changed range (for SACK) */
};

void um_ranges_free(struct um_ranges *r);

/* Records [start, end) (above rcv_nxt). Returns 0, or -ENOSPC when the range would need
 * a new entry and the table is full or cannot grow (the caller drops the segment). */
int um_ranges_add(struct um_ranges *r, uint32_t start, uint32_t end);
/* Whether [start, end) is already held. */
int um_ranges_covers(const struct um_ranges *r, uint32_t start, uint32_t end);
/* Removes every range that starts at or below rcv_nxt and returns the new rcv_nxt. */
uint32_t um_ranges_advance(struct um_ranges *r, uint32_t rcv_nxt);
/* Bytes held out of order. */
uint32_t um_ranges_bytes(const struct um_ranges *r);
/* SACK blocks, most recently changed first (RFC 2018 §4); returns the count (<= max). */
int um_ranges_recent_first(const struct um_ranges *r, uint32_t (*blocks)[2], int max);

#endif
