/* The packet pool: fixed-size buffers and their extension blocks, allocated in chunks and
 * recycled, within a limit. */
#include "core/pkt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { PKTS_PER_CHUNK = 64 };

void um_pkt_pool_init(struct um_pkt_pool *p, size_t limit)
{
        memset(p, 0, sizeof(*p));
        p->limit = limit;
}

void um_pkt_pool_destroy(struct um_pkt_pool *p)
{
        for (size_t i = 0; i < p->n_chunks; i++)
                free(p->chunks[i]);
        free(p->chunks);
        memset(p, 0, sizeof(*p));
}

static void *pool_chunk(struct um_pkt_pool *p, size_t size)
{
        if (p->n_chunks == p->cap_chunks) {
                size_t cap = p->cap_chunks ? p->cap_chunks * 2 : 16;
                void **c = realloc(p->chunks, cap * sizeof(*c));
                if (!c)
                        return NULL;
                p->chunks = c;
                p->cap_chunks = cap;
        }
        void *mem = malloc(size);
        if (mem)
                p->chunks[p->n_chunks++] = mem;
        return mem;
}

static int pool_grow(struct um_pkt_pool *p)
{
        if (p->limit && p->allocated + PKTS_PER_CHUNK > p->limit)
                return -ENOBUFS;
        struct um_pkt *pkts = pool_chunk(p, PKTS_PER_CHUNK * sizeof(*pkts));
        if (!pkts)
                return -ENOMEM;
        for (int i = 0; i < PKTS_PER_CHUNK; i++) {
                pkts[i].next = p->free;
                p->free = &pkts[i];
        }
        p->allocated += PKTS_PER_CHUNK;
        return 0;
}

struct um_pkt *um_pkt_alloc(struct um_pkt_pool *p)
{
        if (!p->free && pool_grow(p) < 0)
                return NULL;
        struct um_pkt *pkt = p->free;
        p->free = pkt->next;
        pkt->next = NULL;
        pkt->ext = NULL;
        pkt->time_us = 0;
        pkt->off = UM_PKT_HEADROOM;
        pkt->len = 0;
        pkt->l4_off = 0;
        pkt->ifindex = 0;
        pkt->flags = 0;
        p->in_use++;
        return pkt;
}

void um_pkt_free(struct um_pkt_pool *p, struct um_pkt *pkt)
{
        if (!pkt)
                return;
        if (pkt->ext) {
                pkt->ext->next_free = p->free_ext;
                p->free_ext = pkt->ext;
                pkt->ext = NULL;
        }
        pkt->next = p->free;
        p->free = pkt;
        p->in_use--;
}

int um_pkt_ext_register(struct um_pkt_pool *p, size_t size)
{
        size = (size + 7) & ~(size_t)7;
        size_t total = size;
        for (int i = 0; i < p->n_ext_ids; i++)
                total += p->ext_sizes[i];
        if (p->n_ext_ids == UM_PKT_EXT_IDS || total > sizeof(((struct um_pkt_ext *)0)->data))
                return -ENOSPC;
        p->ext_sizes[p->n_ext_ids] = size;
        return p->n_ext_ids++;
}

void *um_pkt_ext_add(struct um_pkt_pool *p, struct um_pkt *pkt, int id)
{
        if (id < 0 || id >= p->n_ext_ids)
                return NULL;
        struct um_pkt_ext *e = pkt->ext;
        if (!e) {
                if (!p->free_ext) {
                        enum { EXTS_PER_CHUNK = 64 };
                        struct um_pkt_ext *c = pool_chunk(p, EXTS_PER_CHUNK * sizeof(*c));
                        if (!c)
                                return NULL;
                        for (int i = 0; i < EXTS_PER_CHUNK; i++) {
                                c[i].next_free = p->free_ext;
                                p->free_ext = &c[i];
                        }
                }
                e = p->free_ext;
                p->free_ext = e->next_free;
                memset(e->offset, 0, sizeof(e->offset));
                e->used = 0;
                pkt->ext = e;
        }
        if (!e->offset[id]) {
                /* Offsets are stored +1 so that 0 means absent. */
                e->offset[id] = (uint8_t)(e->used + 1);
                e->used = (uint8_t)(e->used + p->ext_sizes[id]);
        }
        void *d = e->data + e->offset[id] - 1;
        memset(d, 0, p->ext_sizes[id]);
        return d;
}

void *um_pkt_ext_get(const struct um_pkt *pkt, int id)
{
        if (!pkt->ext || id < 0 || id >= UM_PKT_EXT_IDS || !pkt->ext->offset[id])
                return NULL;
        return pkt->ext->data + pkt->ext->offset[id] - 1;
}
