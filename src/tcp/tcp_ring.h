/* A byte ring: the send buffer (from snd_una) and the receive buffer (from the first
 * unread byte, with out-of-order data written in place beyond the in-order part). */
#ifndef UM_TCP_RING_H
#define UM_TCP_RING_H

#include <stdint.h>

struct tcp_ring {
        uint8_t *buf;
        uint32_t cap;
        uint32_t head; /* index of the first byte */
        uint32_t len;  /* bytes held from head */
};

int tcp_ring_init(struct tcp_ring *r, uint32_t cap);
void tcp_ring_free(struct tcp_ring *r);
/* Grows capacity (never shrinks); keeps the content. Returns 0 or -ENOMEM. */
int tcp_ring_grow(struct tcp_ring *r, uint32_t cap);
static inline uint32_t tcp_ring_free_space(const struct tcp_ring *r)
{
        return r->cap - r->len;
}
/* Appends up to n bytes; returns how many. */
uint32_t tcp_ring_append(struct tcp_ring *r, const void *src, uint32_t n);
/* Copies n bytes starting `off` bytes after head (off + n <= cap). */
void tcp_ring_copy_out(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t n);
/* Writes n bytes at `off` bytes after head without changing len (off + n <= cap). */
void tcp_ring_copy_in(struct tcp_ring *r, uint32_t off, const void *src, uint32_t n);
void tcp_ring_consume(struct tcp_ring *r, uint32_t n);

#endif
