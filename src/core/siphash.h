/* SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012): a keyed
 * hash for short inputs, the keyed function F of TCP's initial sequence numbers and SYN
 * cookies, as in Linux. An HMAC-SHA256 of the same 36 bytes costs four SHA-256 blocks. */
#ifndef UM_CORE_SIPHASH_H
#define UM_CORE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t um_siphash(const uint8_t key[16], const void *msg, size_t len);

#endif
