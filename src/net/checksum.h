/* The Internet checksum's network pieces: pseudo-headers, and sums over byte rings. */
#ifndef UM_NET_CHECKSUM_H
#define UM_NET_CHECKSUM_H

#include <stdint.h>
#include <stddef.h>

#include "core/csum.h"

struct um_addr;
struct um_ring;

/* Adds n bytes of a byte ring, from `off` after its head, as if they were contiguous. */
uint64_t um_csum_add_ring(uint64_t sum, const struct um_ring *r, uint32_t off, uint32_t n);
/* The pseudo-header sum for TCP/UDP/ICMPv6 over IPv4 or IPv6. */
uint64_t um_csum_pseudo(const struct um_addr *src, const struct um_addr *dst, uint8_t proto,
                        uint32_t len);

#endif
