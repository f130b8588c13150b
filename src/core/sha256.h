/* SHA-256 and HMAC-SHA256 (RFC 2104) through OpenSSL, with the algorithm fetched once per
 * stack: OpenSSL's one-shot HMAC() looks the algorithm up and builds a MAC context on every
 * call, three times the work of the two digests an HMAC needs. */
#ifndef UM_CORE_SHA256_H
#define UM_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct um_stack;

struct um_sha256 {
        void *md;  /* EVP_MD, fetched once */
        void *ctx; /* EVP_MD_CTX, reused */
};

int um_sha256_init(struct um_sha256 *h);
void um_sha256_free(struct um_sha256 *h);

/* The stack's digests; st may be NULL (tests, tools), which costs a fetch per call. */
void um_sha256(struct um_stack *st, const void *msg, size_t len, uint8_t out[32]);
void um_hmac_sha256(struct um_stack *st, const void *key, size_t key_len, const void *msg,
                    size_t len, uint8_t out[32]);

#endif
