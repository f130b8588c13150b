/* SHA-256 and HMAC-SHA256 (RFC 2104) with the algorithm fetched once per stack. */
#include "core/sha256.h"
#include "core/stack.h"

#include <errno.h>
#include <openssl/evp.h>
#include <string.h>

enum { BLOCK = 64, DIGEST = 32 };

int um_sha256_init(struct um_sha256 *h)
{
        h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
        h->ctx = EVP_MD_CTX_new();
        if (!h->md || !h->ctx) {
                um_sha256_free(h);
                return -ENOMEM;
        }
        return 0;
}

void um_sha256_free(struct um_sha256 *h)
{
        EVP_MD_CTX_free(h->ctx);
        EVP_MD_free(h->md);
        h->ctx = h->md = NULL;
}

/* SHA-256 of a ‖ b. */
static void digest2(struct um_sha256 *h, const void *a, size_t an, const void *b, size_t bn,
                    uint8_t out[DIGEST])
{
        unsigned n = DIGEST;
        EVP_DigestInit_ex(h->ctx, h->md, NULL);
        EVP_DigestUpdate(h->ctx, a, an);
        if (bn)
                EVP_DigestUpdate(h->ctx, b, bn);
        EVP_DigestFinal_ex(h->ctx, out, &n);
}

/* The stack's digest state, or a temporary one (released by done()) when there is none. */
static struct um_sha256 *state(struct um_stack *st, struct um_sha256 *tmp)
{
        if (st && st->sha.md)
                return &st->sha;
        return um_sha256_init(tmp) == 0 ? tmp : NULL;
}

static void done(struct um_sha256 *h, struct um_sha256 *tmp)
{
        if (h == tmp)
                um_sha256_free(tmp);
}

void um_sha256(struct um_stack *st, const void *msg, size_t len, uint8_t out[32])
{
        struct um_sha256 tmp, *h = state(st, &tmp);
        if (!h) {
                memset(out, 0, DIGEST);
                return;
        }
        digest2(h, msg, len, NULL, 0, out);
        done(h, &tmp);
}

void um_hmac_sha256(struct um_stack *st, const void *key, size_t key_len, const void *msg,
                    size_t len, uint8_t out[32])
{
        struct um_sha256 tmp, *h = state(st, &tmp);
        if (!h) {
                memset(out, 0, DIGEST);
                return;
        }
        /* RFC 2104 §2: H(K ^ opad ‖ H(K ^ ipad ‖ text)), K padded to the block (or hashed
         * first when longer than it). */
        uint8_t k[BLOCK] = {0}, pad[BLOCK], inner[DIGEST];
        if (key_len > BLOCK)
                digest2(h, key, key_len, NULL, 0, k);
        else
                memcpy(k, key, key_len);
        for (int i = 0; i < BLOCK; i++)
                pad[i] = k[i] ^ 0x36;
        digest2(h, pad, BLOCK, msg, len, inner);
        for (int i = 0; i < BLOCK; i++)
                pad[i] = k[i] ^ 0x5c;
        digest2(h, pad, BLOCK, inner, DIGEST, out);
        done(h, &tmp);
}
