/* The stateful fuzz targets' input, read a byte at a time (zeros once it runs out), so that
 * every input, however short, is a whole session. */
#ifndef UMPTCP_FUZZ_BYTES_H
#define UMPTCP_FUZZ_BYTES_H

#include <stddef.h>
#include <stdint.h>

struct input {
        const uint8_t *p;
        size_t n, at;
};

static inline uint8_t next(struct input *in)
{
        return in->at < in->n ? in->p[in->at++] : 0;
}

static inline uint32_t next32(struct input *in)
{
        uint32_t v = 0;
        for (int i = 0; i < 4; i++)
                v = v << 8 | next(in);
        return v;
}

#endif
