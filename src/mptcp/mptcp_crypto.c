/* MPTCP's cryptography: SHA-256 and HMAC-SHA256 (core/sha256.c) for tokens, IDSNs and
 * HMACs, the DSS checksum, and a constant-time MAC comparison. */
#include "mptcp/mptcp_crypto.h"
#include "core/bytes.h"
#include "core/sha256.h"
#include "net/checksum.h"

#include <openssl/crypto.h>
#include <string.h>

void mptcp_key_derive(struct um_stack *st, uint64_t key, uint32_t *token, uint64_t *idsn)
{
        uint8_t k[8], d[32];
        um_put_be64(k, key);
        um_sha256(st, k, sizeof(k), d);
        if (token)
                *token = um_get_be32(d);
        if (idsn)
                *idsn = um_get_be64(d + 24);
}

void mptcp_hmac(struct um_stack *st, uint64_t key_a, uint64_t key_b, const uint8_t *msg, size_t len,
                uint8_t out[32])
{
        uint8_t k[16];
        um_put_be64(k, key_a);
        um_put_be64(k + 8, key_b);
        um_hmac_sha256(st, k, sizeof(k), msg, len, out);
}

void mptcp_join_hmac(struct um_stack *st, uint64_t key_a, uint64_t key_b, uint32_t nonce_a,
                     uint32_t nonce_b, uint8_t out[32])
{
        uint8_t m[8];
        um_put_be32(m, nonce_a);
        um_put_be32(m + 4, nonce_b);
        mptcp_hmac(st, key_a, key_b, m, sizeof(m), out);
}

uint64_t mptcp_add_addr_hmac(struct um_stack *st, uint64_t key_sender, uint64_t key_receiver,
                             uint8_t id, const uint8_t *addr, size_t addr_len, uint16_t port)
{
        uint8_t m[1 + 16 + 2], d[32];
        m[0] = id;
        memcpy(m + 1, addr, addr_len);
        um_put_be16(m + 1 + addr_len, port);
        mptcp_hmac(st, key_sender, key_receiver, m, 1 + addr_len + 2, d);
        return um_get_be64(d + 24);
}

int mptcp_mac_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
        return CRYPTO_memcmp(a, b, n) == 0;
}

/* RFC 8684 §3.3.1: the pseudo-header (DSN, subflow sequence, length, checksum field). */
static uint64_t dss_pseudo_sum(uint64_t dsn, uint32_t ssn, uint16_t len, uint16_t csum_field)
{
        uint8_t ph[16];
        um_put_be64(ph, dsn);
        um_put_be32(ph + 8, ssn);
        um_put_be16(ph + 12, len);
        memcpy(ph + 14, &csum_field, 2);
        return um_csum_add(0, ph, sizeof(ph));
}

uint16_t mptcp_dss_csum(uint64_t dsn, uint32_t ssn, uint16_t len, const uint8_t *data,
                        size_t data_len, uint16_t csum_field)
{
        return um_csum_fold(um_csum_add(dss_pseudo_sum(dsn, ssn, len, csum_field), data, data_len));
}

uint16_t mptcp_dss_csum_ring(uint64_t dsn, uint32_t ssn, uint16_t len, const struct um_ring *r,
                             uint32_t off, uint32_t n, uint16_t csum_field)
{
        return um_csum_fold(um_csum_add_ring(dss_pseudo_sum(dsn, ssn, len, csum_field), r, off, n));
}
