/* The Internet checksum (RFC 1071): a running one's-complement sum over buffers. */
#ifndef UM_CORE_CSUM_H
#define UM_CORE_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Adds data to a running one's-complement sum (unfolded; what it returns fits in 33 bits,
 * so two sums add with a plain +). */
uint64_t um_csum_add(uint64_t sum, const void *data, size_t len);
uint16_t um_csum_fold(uint64_t sum);
/* Checksum of a complete buffer (header with checksum field included verifies to 0). */
static inline uint16_t um_csum(const void *data, size_t len)
{
        return um_csum_fold(um_csum_add(0, data, len));
}

#endif
