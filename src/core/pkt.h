/* Packet buffers: one fixed-size struct (asserted), headroom for headers, and an optional
 * extension block through which upper layers attach per-segment metadata. */
#ifndef UM_CORE_PKT_H
#define UM_CORE_PKT_H

#include <stdint.h>
#include <stddef.h>
#include <assert.h>

enum {
        UM_PKT_SIZE = 2048,
        UM_PKT_HEADROOM = 128, /* link + IPv6 + TCP with 40 bytes of options fit before payload */
        UM_PKT_EXT_IDS = 4,
        UM_PKT_EXT_SIZE = 128,
};

struct um_pkt_ext {
        struct um_pkt_ext *next_free;
        uint8_t offset[UM_PKT_EXT_IDS]; /* 0 = absent, else byte offset into data + 1 */
        uint8_t used;
        uint8_t pad[3];
        /* 8-byte aligned: each id's area is a multiple of 8 long. */
        _Alignas(8) uint8_t data[UM_PKT_EXT_SIZE - 16];
};

struct um_pkt {
        struct um_pkt *next;
        struct um_pkt_ext *ext; /* NULL for plain segments: no extension costs nothing */
        uint64_t time_us;
        uint16_t off;    /* start of valid data in buf */
        uint16_t len;    /* bytes of valid data */
        uint16_t l4_off; /* offset of the transport header from off, set by IP input */
        uint8_t ifindex;
        uint8_t flags;
        uint8_t buf[UM_PKT_SIZE - 2 * sizeof(void *) - sizeof(uint64_t) - 8];
};

/* pkt->flags */
enum { UM_PKT_CSUM_VALID = 1 /* the link vouches for the transport checksum */ };

static_assert(sizeof(struct um_pkt) == UM_PKT_SIZE, "struct um_pkt must keep its size");
static_assert(sizeof(struct um_pkt_ext) == UM_PKT_EXT_SIZE, "struct um_pkt_ext size");

struct um_pkt_pool {
        struct um_pkt *free;
        struct um_pkt_ext *free_ext;
        void **chunks;
        size_t n_chunks, cap_chunks;
        size_t allocated, in_use, limit;
        size_t ext_sizes[UM_PKT_EXT_IDS];
        int n_ext_ids;
};

void um_pkt_pool_init(struct um_pkt_pool *p, size_t limit);
void um_pkt_pool_destroy(struct um_pkt_pool *p);
/* Returns a packet with UM_PKT_HEADROOM bytes of headroom and len 0, or NULL. */
struct um_pkt *um_pkt_alloc(struct um_pkt_pool *p);
void um_pkt_free(struct um_pkt_pool *p, struct um_pkt *pkt);

static inline uint8_t *um_pkt_data(struct um_pkt *pkt)
{
        return pkt->buf + pkt->off;
}
static inline uint32_t um_pkt_tailroom(const struct um_pkt *pkt)
{
        return (uint32_t)sizeof(pkt->buf) - pkt->off - pkt->len;
}
/* Grows the packet at the front by n bytes; returns the new start or NULL if no headroom. */
static inline uint8_t *um_pkt_push(struct um_pkt *pkt, uint16_t n)
{
        if (pkt->off < n)
                return NULL;
        pkt->off -= n;
        pkt->len += n;
        return pkt->buf + pkt->off;
}

/* Extensions: an upper layer registers an id once per stack, then attaches its metadata
 * to the segments that need it. Returns the id (>= 0) or -ENOSPC. */
int um_pkt_ext_register(struct um_pkt_pool *p, size_t size);
/* Attaches (zeroed) metadata of type id; returns it, or NULL when out of memory. */
void *um_pkt_ext_add(struct um_pkt_pool *p, struct um_pkt *pkt, int id);
void *um_pkt_ext_get(const struct um_pkt *pkt, int id);

#endif
