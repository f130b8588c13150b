#include "core/siphash.h"

#include <string.h>

/* A hash per packet (the connection tables' buckets): the loads and rounds are inlined. */
static inline uint64_t load_le64(const uint8_t *p)
{
        uint64_t v;
        memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        v = __builtin_bswap64(v);
#endif
        return v;
}

static inline uint64_t rotl(uint64_t x, int b)
{
        return x << b | x >> (64 - b);
}

static inline void sip_round(uint64_t v[4])
{
        v[0] += v[1];
        v[1] = rotl(v[1], 13) ^ v[0];
        v[0] = rotl(v[0], 32);
        v[2] += v[3];
        v[3] = rotl(v[3], 16) ^ v[2];
        v[0] += v[3];
        v[3] = rotl(v[3], 21) ^ v[0];
        v[2] += v[1];
        v[1] = rotl(v[1], 17) ^ v[2];
        v[2] = rotl(v[2], 32);
}

static inline void absorb(uint64_t v[4], uint64_t m)
{
        v[3] ^= m;
        sip_round(v);
        sip_round(v);
        v[0] ^= m;
}

uint64_t um_siphash(const uint8_t key[16], const void *msg, size_t len)
{
        uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
        /* "somepseudorandomlygeneratedbytes" */
        uint64_t v[4] = {k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
                         k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull};
        const uint8_t *p = msg;
        size_t whole = len & ~(size_t)7;
        for (size_t i = 0; i < whole; i += 8)
                absorb(v, load_le64(p + i));
        /* The last block: the remaining bytes, and the length's low byte on top. */
        uint64_t last = (uint64_t)(len & 0xff) << 56;
        for (size_t i = whole; i < len; i++)
                last |= (uint64_t)p[i] << (8 * (i - whole));
        absorb(v, last);
        v[2] ^= 0xff;
        for (int i = 0; i < 4; i++)
                sip_round(v);
        return v[0] ^ v[1] ^ v[2] ^ v[3];
}
