/* Sets of sequence ranges: out-of-order data (TCP's reassembly, MPTCP's data level) and
 * the SACK blocks reported from them. */
#include "core/ranges.h"
#include "core/seq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { FIRST_CAP = 8 };

void um_ranges_free(struct um_ranges *r)
{
        free(r->start);
        free(r->end);
        r->start = r->end = NULL;
        r->n = r->cap = 0;
}

static int grow(struct um_ranges *r)
{
        if (r->cap == UM_RANGES_MAX)
                return -ENOSPC;
        int cap = r->cap ? 2 * r->cap : FIRST_CAP;
        uint32_t *s = realloc(r->start, (size_t)cap * sizeof(*s));
        if (!s)
                return -ENOSPC;
        r->start = s;
        uint32_t *e = realloc(r->end, (size_t)cap * sizeof(*e));
        if (!e)
                return -ENOSPC;
        r->end = e;
        r->cap = cap;
        return 0;
}

static void remove_at(struct um_ranges *r, int i, int count)
{
        memmove(&r->start[i], &r->start[i + count], (size_t)(r->n - i - count) * sizeof(uint32_t));
        memmove(&r->end[i], &r->end[i + count], (size_t)(r->n - i - count) * sizeof(uint32_t));
        r->n -= count;
}

int um_ranges_add(struct um_ranges *r, uint32_t start, uint32_t end)
{
        if (!seq_lt(start, end))
                return 0;
        /* First range that ends at or after start: everything before it stays. */
        int i = 0;
        while (i < r->n && seq_lt(r->end[i], start))
                i++;
        /* Ranges from i that begin at or before end overlap or touch: merge them. */
        int j = i;
        while (j < r->n && seq_leq(r->start[j], end))
                j++;
        if (j > i) {
                uint32_t s = seq_min(start, r->start[i]);
                uint32_t e = seq_max(end, r->end[j - 1]);
                r->start[i] = s;
                r->end[i] = e;
                remove_at(r, i + 1, j - i - 1);
        } else {
                if (r->n == r->cap && grow(r) < 0)
                        return -ENOSPC;
                memmove(&r->start[i + 1], &r->start[i], (size_t)(r->n - i) * sizeof(uint32_t));
                memmove(&r->end[i + 1], &r->end[i], (size_t)(r->n - i) * sizeof(uint32_t));
                r->start[i] = start;
                r->end[i] = end;
                r->n++;
        }
        r->recent = start;
        return 0;
}

uint32_t um_ranges_advance(struct um_ranges *r, uint32_t rcv_nxt)
{
        int k = 0;
        while (k < r->n && seq_leq(r->start[k], rcv_nxt)) {
                rcv_nxt = seq_max(rcv_nxt, r->end[k]);
                k++;
        }
        if (k)
                remove_at(r, 0, k);
        if (!r->n && r->cap)
                um_ranges_free(r); /* every hole filled: the table goes */
        return rcv_nxt;
}

uint32_t um_ranges_bytes(const struct um_ranges *r)
{
        uint32_t total = 0;
        for (int i = 0; i < r->n; i++)
                total += r->end[i] - r->start[i];
        return total;
}

int um_ranges_recent_first(const struct um_ranges *r, uint32_t (*blocks)[2], int max)
{
        int count = 0, first = -1;
        for (int i = 0; i < r->n; i++)
                if (seq_in(r->recent, r->start[i], r->end[i]))
                        first = i;
        if (first >= 0 && count < max) {
                blocks[count][0] = r->start[first];
                blocks[count][1] = r->end[first];
                count++;
        }
        /* Then the highest ranges: they carry the most information for the sender. */
        for (int i = r->n - 1; i >= 0 && count < max; i--) {
                if (i == first)
                        continue;
                blocks[count][0] = r->start[i];
                blocks[count][1] = r->end[i];
                count++;
        }
        return count;
}

int um_ranges_covers(const struct um_ranges *r, uint32_t start, uint32_t end)
{
        for (int i = 0; i < r->n; i++)
                if (seq_geq(start, r->start[i]) && seq_leq(end, r->end[i]))
                        return 1;
        return 0;
}
