/* The timer heap: a binary min-heap of deadlines; firing runs each due timer once. */
#include "core/timer.h"

#include <errno.h>
#include <stdlib.h>

void um_timer_init(struct um_timer *t, um_timer_fn fn)
{
        t->at = 0;
        t->heap_idx = SIZE_MAX;
        t->fn = fn;
}

void um_timer_heap_destroy(struct um_timer_heap *h)
{
        free(h->items);
        h->items = NULL;
        h->n = h->cap = 0;
}

static void place(struct um_timer_heap *h, size_t i, struct um_timer *t)
{
        h->items[i] = t;
        t->heap_idx = i;
}

static void sift_up(struct um_timer_heap *h, size_t i)
{
        struct um_timer *t = h->items[i];
        while (i > 0) {
                size_t parent = (i - 1) / 2;
                if (h->items[parent]->at <= t->at)
                        break;
                place(h, i, h->items[parent]);
                i = parent;
        }
        place(h, i, t);
}

static void sift_down(struct um_timer_heap *h, size_t i)
{
        struct um_timer *t = h->items[i];
        for (;;) {
                size_t child = 2 * i + 1;
                if (child >= h->n)
                        break;
                if (child + 1 < h->n && h->items[child + 1]->at < h->items[child]->at)
                        child++;
                if (t->at <= h->items[child]->at)
                        break;
                place(h, i, h->items[child]);
                i = child;
        }
        place(h, i, t);
}

int um_timer_arm(struct um_timer_heap *h, struct um_timer *t, uint64_t at)
{
        if (um_timer_armed(t)) {
                uint64_t old = t->at;
                t->at = at;
                if (at < old)
                        sift_up(h, t->heap_idx);
                else
                        sift_down(h, t->heap_idx);
                return 0;
        }
        if (h->n == h->cap) {
                size_t cap = h->cap ? h->cap * 2 : 64;
                struct um_timer **items = realloc(h->items, cap * sizeof(*items));
                if (!items)
                        return -ENOMEM;
                h->items = items;
                h->cap = cap;
        }
        t->at = at;
        place(h, h->n++, t);
        sift_up(h, t->heap_idx);
        return 0;
}

void um_timer_cancel(struct um_timer_heap *h, struct um_timer *t)
{
        if (!um_timer_armed(t))
                return;
        size_t i = t->heap_idx;
        t->heap_idx = SIZE_MAX;
        struct um_timer *last = h->items[--h->n];
        if (i == h->n)
                return;
        place(h, i, last);
        sift_down(h, i);
        sift_up(h, last->heap_idx);
}

uint64_t um_timer_next(const struct um_timer_heap *h)
{
        return h->n ? h->items[0]->at : UINT64_MAX;
}

void um_timer_run(struct um_timer_heap *h, uint64_t now)
{
        while (h->n && h->items[0]->at <= now) {
                struct um_timer *t = h->items[0];
                um_timer_cancel(h, t);
                t->fn(t, now);
        }
}
