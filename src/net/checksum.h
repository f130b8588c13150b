/* Internet checksum (RFC 1071), with incremental pieces for pseudo-headers. */
#ifndef UM_NET_CHECKSUM_H
#define UM_NET_CHECKSUM_H

#include <stdint.h>
#include <stddef.h>

struct um_addr;

/* Adds data to a running one's-complement sum (unfolded; what it returns fits in 33 bits,
 * so two sums add with a plain +). */
uint64_t um_csum_add(uint64_t sum, const void *data, size_t len);
uint16_t um_csum_fold(uint64_t sum);
struct um_ring;
/* Adds n bytes of a byte ring, from `off` after its head, as if they were contiguous. */
uint64_t um_csum_add_ring(uint64_t sum, const struct um_ring *r, uint32_t off, uint32_t n);
/* The pseudo-header sum for TCP/UDP/ICMPv6 over IPv4 or IPv6. */
uint64_t um_csum_pseudo(const struct um_addr *src, const struct um_addr *dst, uint8_t proto,
                        uint32_t len);
/* Checksum of a complete buffer (header with checksum field included verifies to 0). */
static inline uint16_t um_csum(const void *data, size_t len)
{
        return um_csum_fold(um_csum_add(0, data, len));
}

#endif
