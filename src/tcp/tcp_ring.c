#include "tcp/tcp_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int tcp_ring_init(struct tcp_ring *r, uint32_t cap)
{
        r->buf = malloc(cap);
        if (!r->buf)
                return -ENOMEM;
        r->cap = cap;
        r->head = r->len = 0;
        return 0;
}

void tcp_ring_free(struct tcp_ring *r)
{
        free(r->buf);
        r->buf = NULL;
        r->cap = r->head = r->len = 0;
}

int tcp_ring_grow(struct tcp_ring *r, uint32_t cap)
{
        if (cap <= r->cap)
                return 0;
        uint8_t *nb = malloc(cap);
        if (!nb)
                return -ENOMEM;
        /* Out-of-order bytes may lie past len: keep the whole old ring, in order. */
        tcp_ring_copy_out(r, 0, nb, r->cap);
        free(r->buf);
        r->buf = nb;
        r->cap = cap;
        r->head = 0;
        return 0;
}

uint32_t tcp_ring_append(struct tcp_ring *r, const void *src, uint32_t n)
{
        uint32_t room = r->cap - r->len;
        if (n > room)
                n = room;
        tcp_ring_copy_in(r, r->len, src, n);
        r->len += n;
        return n;
}

void tcp_ring_copy_out(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t n)
{
        uint32_t pos = r->head + off;
        if (pos >= r->cap)
                pos -= r->cap;
        uint32_t first = r->cap - pos;
        if (first > n)
                first = n;
        memcpy(dst, r->buf + pos, first);
        if (n > first)
                memcpy((uint8_t *)dst + first, r->buf, n - first);
}

void tcp_ring_copy_in(struct tcp_ring *r, uint32_t off, const void *src, uint32_t n)
{
        uint32_t pos = r->head + off;
        if (pos >= r->cap)
                pos -= r->cap;
        uint32_t first = r->cap - pos;
        if (first > n)
                first = n;
        memcpy(r->buf + pos, src, first);
        if (n > first)
                memcpy(r->buf, (const uint8_t *)src + first, n - first);
}

void tcp_ring_consume(struct tcp_ring *r, uint32_t n)
{
        r->head += n;
        if (r->head >= r->cap)
                r->head -= r->cap;
        r->len -= n;
}
