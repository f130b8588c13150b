/* The record ring: growth by doubling, records kept oldest first. */
#include "core/recq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { RECQ_FIRST_CAP = 64 };

int um_recq_push(struct um_recq *q, const void *rec)
{
        if (q->n == q->cap) {
                uint32_t cap = q->cap ? q->cap * 2 : RECQ_FIRST_CAP;
                uint8_t *recs = malloc((size_t)cap * q->size);
                if (!recs)
                        return -ENOMEM;
                for (uint32_t i = 0; i < q->n; i++)
                        memcpy(recs + (size_t)i * q->size, um_recq_at(q, i), q->size);
                free(q->recs);
                q->recs = recs;
                q->cap = cap;
                q->head = 0;
        }
        memcpy(um_recq_at(q, q->n), rec, q->size);
        q->n++;
        return 0;
}

/* A queue that empties gives its memory back: an idle connection keeps no records. */
void um_recq_pop(struct um_recq *q)
{
        q->head = q->head + 1 == q->cap ? 0 : q->head + 1;
        if (--q->n == 0)
                um_recq_free(q);
}

void um_recq_drop_last(struct um_recq *q)
{
        q->n--;
}

void um_recq_free(struct um_recq *q)
{
        free(q->recs);
        q->recs = NULL;
        q->cap = q->head = q->n = 0;
}
