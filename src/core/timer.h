/* Timers: a binary min-heap of deadlines, driven by the injected clock. */
#ifndef UM_CORE_TIMER_H
#define UM_CORE_TIMER_H

#include <stdint.h>
#include <stddef.h>

struct um_timer;
typedef void (*um_timer_fn)(struct um_timer *t, uint64_t now);

struct um_timer {
        uint64_t at;
        size_t heap_idx; /* SIZE_MAX when not armed */
        um_timer_fn fn;
};

struct um_timer_heap {
        struct um_timer **items;
        size_t n, cap;
};

void um_timer_init(struct um_timer *t, um_timer_fn fn);
void um_timer_heap_destroy(struct um_timer_heap *h);
/* Arms (or re-arms) t to fire at `at`. Returns 0 or -ENOMEM. */
int um_timer_arm(struct um_timer_heap *h, struct um_timer *t, uint64_t at);
void um_timer_cancel(struct um_timer_heap *h, struct um_timer *t);
static inline int um_timer_armed(const struct um_timer *t)
{
        return t->heap_idx != SIZE_MAX;
}
/* Earliest deadline, UINT64_MAX if none. */
uint64_t um_timer_next(const struct um_timer_heap *h);
/* Fires every timer due at `now`, earliest first. A callback may re-arm timers. */
void um_timer_run(struct um_timer_heap *h, uint64_t now);

#endif
