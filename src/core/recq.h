/* A ring of fixed-size records, oldest first, that doubles when full: TCP's transmitted
 * segments and MPTCP's mappings of what it wrote into a subflow. */
#ifndef UM_CORE_RECQ_H
#define UM_CORE_RECQ_H

#include <stddef.h>
#include <stdint.h>

struct um_recq {
        uint8_t *recs;
        uint32_t size; /* bytes per record, set before the first push */
        uint32_t cap, head, n;
};

/* The i-th record from the oldest (i < n). */
static inline void *um_recq_at(const struct um_recq *q, uint32_t i)
{
        uint32_t pos = q->head + i;
        if (pos >= q->cap)
                pos -= q->cap;
        return q->recs + (size_t)pos * q->size;
}

/* Appends a copy of the record. Returns 0 or -ENOMEM. */
int um_recq_push(struct um_recq *q, const void *rec);
/* Drops the oldest record (n > 0), or the newest. */
/* Drops the oldest record; a queue that empties gives its memory back. */
void um_recq_pop(struct um_recq *q);
void um_recq_drop_last(struct um_recq *q);
void um_recq_free(struct um_recq *q);

#endif
