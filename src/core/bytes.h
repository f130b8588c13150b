/* Network byte order loads and stores on unaligned buffers. */
#ifndef UM_CORE_BYTES_H
#define UM_CORE_BYTES_H

#include <stdint.h>

static inline uint32_t um_get_be32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t um_get_be16(const uint8_t *p)
{
        return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void um_put_be32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

static inline void um_put_be16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
}

/* Little-endian, for the few wire formats that use it (the virtio-net header). */
static inline void um_put_le16(void *p, uint16_t v)
{
        uint8_t *b = p;
        b[0] = (uint8_t)v;
        b[1] = (uint8_t)(v >> 8);
}

static inline uint16_t um_get_le16(const void *p)
{
        const uint8_t *b = p;
        return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint64_t um_get_be64(const uint8_t *p)
{
        return (uint64_t)um_get_be32(p) << 32 | um_get_be32(p + 4);
}

static inline void um_put_be64(uint8_t *p, uint64_t v)
{
        um_put_be32(p, (uint32_t)(v >> 32));
        um_put_be32(p + 4, (uint32_t)v);
}

#endif
