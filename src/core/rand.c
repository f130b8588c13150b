/* The stack's random source: a seeded PRNG for repeatable runs, or a CSPRNG. */
#include "core/rand.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *x)
{
        uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

void um_rng_seed(struct um_rng *r, uint64_t seed)
{
        for (int i = 0; i < 4; i++)
                r->s[i] = splitmix64(&seed);
        r->seeded = 1;
}

void um_rng_init_secure(struct um_rng *r)
{
        memset(r, 0, sizeof(*r));
        r->seeded = 0;
}

static uint64_t rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

static uint64_t xoshiro_next(struct um_rng *r)
{
        uint64_t *s = r->s;
        uint64_t result = rotl(s[1] * 5, 7) * 9;
        uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
}

uint64_t um_rng_u64(struct um_rng *r)
{
        if (r->seeded)
                return xoshiro_next(r);
        uint64_t v;
        if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
                abort(); /* no entropy: continuing would make predictable ISNs and keys */
        return v;
}

void um_rng_bytes(struct um_rng *r, void *out, size_t n)
{
        uint8_t *p = out;
        while (n) {
                uint64_t v = um_rng_u64(r);
                size_t k = n < sizeof(v) ? n : sizeof(v);
                memcpy(p, &v, k);
                p += k;
                n -= k;
        }
}

double um_rng_double(struct um_rng *r)
{
        return (double)(um_rng_u64(r) >> 11) * 0x1.0p-53;
}
