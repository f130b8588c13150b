/* The ring of transmitted-segment records, oldest (lowest sequence) first. */
#include "tcp/tcp.h"

#include <errno.h>
#include <stdlib.h>

struct tcp_txseg *tcp_txq_at(struct tcp_txq *q, uint32_t i)
{
        uint32_t pos = q->head + i;
        if (pos >= q->cap)
                pos -= q->cap;
        return &q->segs[pos];
}

int tcp_txq_push(struct tcp_txq *q, const struct tcp_txseg *s)
{
        if (q->n == q->cap) {
                uint32_t cap = q->cap ? q->cap * 2 : 64;
                struct tcp_txseg *segs = malloc(cap * sizeof(*segs));
                if (!segs)
                        return -ENOMEM;
                for (uint32_t i = 0; i < q->n; i++)
                        segs[i] = *tcp_txq_at(q, i);
                free(q->segs);
                q->segs = segs;
                q->cap = cap;
                q->head = 0;
        }
        *tcp_txq_at(q, q->n) = *s;
        q->n++;
        return 0;
}

void tcp_txq_pop(struct tcp_txq *q)
{
        q->head = q->head + 1 == q->cap ? 0 : q->head + 1;
        q->n--;
}

void tcp_txq_free(struct tcp_txq *q)
{
        free(q->segs);
        q->segs = NULL;
        q->cap = q->head = q->n = 0;
}
