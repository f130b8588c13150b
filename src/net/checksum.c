/* The Internet checksum over rings and pseudo-headers (the sum itself is core/csum.c). */
#include "net/checksum.h"
#include "core/ring.h"
#include "net/addr.h"

#include <string.h>

uint64_t um_csum_add_ring(uint64_t sum, const struct um_ring *r, uint32_t off, uint32_t n)
{
        uint32_t pos = r->head + off;
        if (pos >= r->cap)
                pos -= r->cap;
        uint32_t first = r->cap - pos < n ? r->cap - pos : n;
        const uint8_t *a = r->buf + pos, *b = r->buf;
        uint32_t rest = n - first;
        /* Pieces must start at even offsets of the whole: the byte that straddles the wrap
         * after an odd first piece is summed with its neighbour. */
        sum = um_csum_add(sum, a, first & ~1u);
        if ((first & 1) && rest) {
                uint8_t pair[2] = {a[first - 1], b[0]};
                sum = um_csum_add(sum, pair, 2);
                b++;
                rest--;
        } else if (first & 1) {
                sum = um_csum_add(sum, a + first - 1, 1);
        }
        return um_csum_add(sum, b, rest);
}

uint64_t um_csum_pseudo(const struct um_addr *src, const struct um_addr *dst, uint8_t proto,
                        uint32_t len)
{
        uint8_t tail[8] = {0};
        if (src->family == AF_INET) {
                /* Three words in memory order, summed at once (every packet needs this). */
                tail[1] = proto;
                tail[2] = (uint8_t)(len >> 8);
                tail[3] = (uint8_t)len;
                uint32_t w[3];
                memcpy(&w[0], src->b, 4);
                memcpy(&w[1], dst->b, 4);
                memcpy(&w[2], tail, 4);
                uint64_t sum = (uint64_t)w[0] + w[1] + w[2];
                return (sum & 0xffffffffu) + (sum >> 32); /* 33 bits, as um_csum_add's */
        }
        uint64_t sum = um_csum_add(0, src->b, um_addr_len(src));
        sum = um_csum_add(sum, dst->b, um_addr_len(dst));
        tail[0] = (uint8_t)(len >> 24);
        tail[1] = (uint8_t)(len >> 16);
        tail[2] = (uint8_t)(len >> 8);
        tail[3] = (uint8_t)len;
        tail[7] = proto;
        return um_csum_add(sum, tail, 8);
}
