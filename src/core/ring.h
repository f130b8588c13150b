/* A byte ring, used as a send buffer (from the oldest unacknowledged byte) and as a
 * receive buffer (from the first unread byte, out-of-order data written in place). */
#ifndef UM_CORE_RING_H
#define UM_CORE_RING_H

#include <stddef.h>
#include <stdint.h>

struct um_ring {
        uint8_t *buf;
        uint32_t cap;
        uint32_t head; /* index of the first byte */
        uint32_t len;  /* bytes held from head */
};

/* Spare ring memory, one per stack: rings give theirs back here when they are drained or
 * freed, and take it again with their next bytes, so that a connection holds memory only
 * while it holds bytes, and the memory it takes is the hot memory another just gave back.
 * A spare is freed once it has waited `grace_us` unused (a connection that drains its
 * ring between bursts takes its buffer back before then), and the oldest go first when
 * more than UM_RING_POOL_SLOTS buffers or `limit` bytes wait. */
enum { UM_RING_POOL_SLOTS = 32 };
struct um_ring_pool {
        struct {
                uint8_t *buf;
                uint32_t cap;
                uint64_t given_at;
        } spare[UM_RING_POOL_SLOTS]; /* oldest first */
        int n;
        size_t bytes, limit;
        uint64_t grace_us;
        const uint64_t *now; /* the stack's clock */
};
void um_ring_pool_init(struct um_ring_pool *p, size_t limit, uint64_t grace_us,
                       const uint64_t *now);
/* Frees the spares that waited their grace. */
void um_ring_pool_trim(struct um_ring_pool *p);
/* When the oldest spare's grace ends (the stack polls then); UINT64_MAX if none waits. */
static inline uint64_t um_ring_pool_next_trim(const struct um_ring_pool *p)
{
        return p->n ? p->spare[0].given_at + p->grace_us : UINT64_MAX;
}
void um_ring_pool_destroy(struct um_ring_pool *p);

int um_ring_init(struct um_ring *r, uint32_t cap);
/* A ring of capacity cap whose memory comes with its first bytes (um_ring_back): an idle
 * connection's rings cost nothing. Everything else treats it as a ring of that capacity. */
void um_ring_init_lazy(struct um_ring *r, uint32_t cap);
/* Gives a lazily made ring its memory (from the pool when it has a buffer of that size)
 * before bytes are written into it; 0 or -ENOMEM. */
int um_ring_back(struct um_ring *r, struct um_ring_pool *pool);
/* An empty ring gives its memory to the pool and keeps its size (lazy again). */
void um_ring_release(struct um_ring *r, struct um_ring_pool *pool);
/* Gives the memory to the pool; the ring has no size any more. */
void um_ring_free(struct um_ring *r, struct um_ring_pool *pool);
/* Grows capacity (never shrinks), keeping the first `keep` bytes from the head: the live
 * ones, which for a receive ring include out-of-order bytes past len (a ring without memory
 * yet only takes the new capacity). Returns 0 or -ENOMEM. */
int um_ring_grow(struct um_ring *r, uint32_t cap, uint32_t keep);
static inline uint32_t um_ring_free_space(const struct um_ring *r)
{
        return r->cap - r->len;
}
/* Appends up to n bytes; returns how many. */
uint32_t um_ring_append(struct um_ring *r, const void *src, uint32_t n);
/* Copies n bytes starting `off` bytes after head (off + n <= cap). */
void um_ring_copy_out(const struct um_ring *r, uint32_t off, void *dst, uint32_t n);
/* Writes n bytes at `off` bytes after head without changing len (off + n <= cap). */
void um_ring_copy_in(struct um_ring *r, uint32_t off, const void *src, uint32_t n);
void um_ring_consume(struct um_ring *r, uint32_t n);
/* recv() from the head: copies up to len bytes and, unless peek, consumes them. Returns the
 * count. */
uint32_t um_ring_read(struct um_ring *r, void *buf, size_t len, int peek);
/* Copies n bytes from src (src_off after its head) into dst (dst_off after its head),
 * without changing either's len: one copy from ring to ring. */
void um_ring_copy_ring(struct um_ring *dst, uint32_t dst_off, const struct um_ring *src,
                       uint32_t src_off, uint32_t n);

#endif
