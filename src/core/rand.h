/* Randomness: a seeded PRNG for repeatable simulation, a CSPRNG otherwise. */
#ifndef UM_CORE_RAND_H
#define UM_CORE_RAND_H

#include <stdint.h>
#include <stddef.h>

struct um_rng {
        uint64_t s[4];
        int seeded; /* 1: xoshiro256** from a seed; 0: OpenSSL RAND_bytes */
};

void um_rng_seed(struct um_rng *r, uint64_t seed);
void um_rng_init_secure(struct um_rng *r);
uint64_t um_rng_u64(struct um_rng *r);
void um_rng_bytes(struct um_rng *r, void *out, size_t n);
/* Uniform double in [0, 1). */
double um_rng_double(struct um_rng *r);

#endif
