/* The byte ring: a fixed buffer used from its head, wrapping at its end. */
#include "core/ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int um_ring_init(struct um_ring *r, uint32_t cap)
{
        r->buf = malloc(cap);
        if (!r->buf)
                return -ENOMEM;
        r->cap = cap;
        r->head = r->len = 0;
        return 0;
}

void um_ring_init_lazy(struct um_ring *r, uint32_t cap)
{
        r->buf = NULL;
        r->cap = cap;
        r->head = r->len = 0;
}

void um_ring_pool_init(struct um_ring_pool *p, size_t limit, uint64_t grace_us, const uint64_t *now)
{
        memset(p, 0, sizeof(*p));
        p->limit = limit;
        p->grace_us = grace_us;
        p->now = now;
}

void um_ring_pool_destroy(struct um_ring_pool *p)
{
        for (int i = 0; i < p->n; i++)
                free(p->spare[i].buf);
        p->n = 0;
        p->bytes = 0;
}

static void pool_remove(struct um_ring_pool *p, int i)
{
        p->bytes -= p->spare[i].cap;
        memmove(&p->spare[i], &p->spare[i + 1], (size_t)(p->n - i - 1) * sizeof(p->spare[0]));
        p->n--;
}

/* The most recently given spare of exactly cap bytes (the likeliest still in cache), or a
 * new buffer. */
static uint8_t *pool_take(struct um_ring_pool *p, uint32_t cap)
{
        for (int i = p->n - 1; i >= 0; i--)
                if (p->spare[i].cap == cap) {
                        uint8_t *buf = p->spare[i].buf;
                        pool_remove(p, i);
                        return buf;
                }
        return malloc(cap);
}

static void pool_drop_oldest(struct um_ring_pool *p)
{
        free(p->spare[0].buf);
        pool_remove(p, 0);
}

void um_ring_pool_trim(struct um_ring_pool *p)
{
        while (p->n && *p->now - p->spare[0].given_at >= p->grace_us)
                pool_drop_oldest(p);
}

/* Kept newest last; the oldest spares make room for a new one. */
static void pool_give(struct um_ring_pool *p, uint8_t *buf, uint32_t cap)
{
        if (!buf)
                return;
        if (!p || cap > p->limit) {
                free(buf);
                return;
        }
        while (p->n == UM_RING_POOL_SLOTS || p->bytes + cap > p->limit)
                pool_drop_oldest(p);
        p->spare[p->n].buf = buf;
        p->spare[p->n].cap = cap;
        p->spare[p->n].given_at = *p->now;
        p->n++;
        p->bytes += cap;
        um_ring_pool_trim(p);
}

int um_ring_back(struct um_ring *r, struct um_ring_pool *pool)
{
        if (r->buf || !r->cap)
                return 0;
        r->buf = pool ? pool_take(pool, r->cap) : malloc(r->cap);
        return r->buf ? 0 : -ENOMEM;
}

void um_ring_release(struct um_ring *r, struct um_ring_pool *pool)
{
        if (r->len)
                return;
        pool_give(pool, r->buf, r->cap);
        r->buf = NULL;
        r->head = 0;
}

void um_ring_free(struct um_ring *r, struct um_ring_pool *pool)
{
        pool_give(pool, r->buf, r->cap);
        r->buf = NULL;
        r->cap = r->head = r->len = 0;
}

int um_ring_grow(struct um_ring *r, uint32_t cap, uint32_t keep)
{
        if (cap <= r->cap)
                return 0;
        if (!r->buf) {
                r->cap = cap;
                return 0;
        }
        uint8_t *nb = malloc(cap);
        if (!nb)
                return -ENOMEM;
        um_ring_copy_out(r, 0, nb, keep < r->cap ? keep : r->cap);
        free(r->buf);
        r->buf = nb;
        r->cap = cap;
        r->head = 0;
        return 0;
}

uint32_t um_ring_append(struct um_ring *r, const void *src, uint32_t n)
{
        uint32_t room = r->cap - r->len;
        if (n > room)
                n = room;
        um_ring_copy_in(r, r->len, src, n);
        r->len += n;
        return n;
}

static uint32_t pos_of(const struct um_ring *r, uint32_t off)
{
        uint32_t pos = r->head + off;
        return pos >= r->cap ? pos - r->cap : pos;
}

void um_ring_copy_out(const struct um_ring *r, uint32_t off, void *dst, uint32_t n)
{
        if (!n)
                return; /* a ring without memory yet may be asked for nothing */
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

void um_ring_copy_in(struct um_ring *r, uint32_t off, const void *src, uint32_t n)
{
        if (!n)
                return; /* a ring without memory yet may be asked for nothing */
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

void um_ring_consume(struct um_ring *r, uint32_t n)
{
        r->head += n;
        if (r->head >= r->cap)
                r->head -= r->cap;
        r->len -= n;
}

void um_ring_copy_ring(struct um_ring *dst, uint32_t dst_off, const struct um_ring *src,
                       uint32_t src_off, uint32_t n)
{
        while (n) {
                uint32_t sp = pos_of(src, src_off), dp = pos_of(dst, dst_off);
                uint32_t k = src->cap - sp < dst->cap - dp ? src->cap - sp : dst->cap - dp;
                if (k > n)
                        k = n;
                memcpy(dst->buf + dp, src->buf + sp, k);
                n -= k;
                src_off += k;
                dst_off += k;
        }
}

uint32_t um_ring_read(struct um_ring *r, void *buf, size_t len, int peek)
{
        uint32_t n = len < r->len ? (uint32_t)len : r->len;
        um_ring_copy_out(r, 0, buf, n);
        if (!peek)
                um_ring_consume(r, n);
        return n;
}
