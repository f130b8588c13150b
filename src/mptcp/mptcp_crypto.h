/* MPTCP's cryptography (RFC 8684 §3.1, §3.2, §3.3.1): keys to tokens and initial data
 * sequence numbers, the HMACs that authenticate joins and address announcements, and the
 * DSS checksum. */
#ifndef UM_MPTCP_CRYPTO_H
#define UM_MPTCP_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* The stack whose digest state the hashes use; NULL works too, at a fetch per call. */
struct um_stack;

/* SHA-256 of the key in network byte order: the token is the first 32 bits of the digest,
 * the IDSN the last 64 (RFC 8684 §3.1). */
void mptcp_key_derive(struct um_stack *st, uint64_t key, uint32_t *token, uint64_t *idsn);
/* HMAC-SHA256 with a 16-byte key (key_a ‖ key_b, each big-endian) over msg. */
void mptcp_hmac(struct um_stack *st, uint64_t key_a, uint64_t key_b, const uint8_t *msg, size_t len,
                uint8_t out[32]);
/* RFC 8684 §3.2: the MP_JOIN HMAC over (nonce_a ‖ nonce_b) keyed by (key_a ‖ key_b). */
void mptcp_join_hmac(struct um_stack *st, uint64_t key_a, uint64_t key_b, uint32_t nonce_a,
                     uint32_t nonce_b, uint8_t out[32]);
/* RFC 8684 §3.4.1: the ADD_ADDR HMAC, the rightmost 64 bits of HMAC(key_sender ‖
 * key_receiver, ID ‖ address ‖ port), port 0 when the option carries none. */
uint64_t mptcp_add_addr_hmac(struct um_stack *st, uint64_t key_sender, uint64_t key_receiver,
                             uint8_t id, const uint8_t *addr, size_t addr_len, uint16_t port);
/* Whether two MACs are equal, in a time that does not depend on where they differ (a
 * forger must not learn a MAC byte by byte from response times). */
int mptcp_mac_equal(const uint8_t *a, const uint8_t *b, size_t n);

/* RFC 8684 §3.3.1: the DSS checksum over the pseudo-header (64-bit DSN, 32-bit relative
 * subflow sequence, 16-bit length, 16 zero bits) and the mapped payload. Checksums are in
 * wire byte order as stored in memory (like um_csum): pass csum_field 0 to compute the value
 * to send, or the received field to verify (the result is then 0). */
uint16_t mptcp_dss_csum(uint64_t dsn, uint32_t ssn, uint16_t len, const uint8_t *data,
                        size_t data_len, uint16_t csum_field);
/* The same over n bytes of a ring, from `off` after its head. */
struct um_ring;
uint16_t mptcp_dss_csum_ring(uint64_t dsn, uint32_t ssn, uint16_t len, const struct um_ring *r,
                             uint32_t off, uint32_t n, uint16_t csum_field);

#endif
