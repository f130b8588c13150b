/* The counter registry: lookup by name and printing across every layer's counters. */
#include "core/counters.h"
#include "core/stack.h"

#include <errno.h>
#include <string.h>

int um_counters_register(struct um_stack *st, const struct um_counter_name *names, size_t n,
                         const void *values)
{
        struct um_counter_registry *r = &st->counters;
        if (r->n == UM_MAX_COUNTER_GROUPS)
                return -ENOSPC;
        r->groups[r->n++] = (struct um_counter_group){names, n, values};
        return 0;
}

static uint64_t value_of(const struct um_counter_group *g, size_t i)
{
        uint64_t v;
        memcpy(&v, (const char *)g->values + g->names[i].offset, sizeof(v));
        return v;
}

uint64_t um_counter_get(const struct um_stack *st, const char *name)
{
        const struct um_counter_registry *r = &st->counters;
        for (int k = 0; k < r->n; k++)
                for (size_t i = 0; i < r->groups[k].n; i++)
                        if (strcmp(name, r->groups[k].names[i].name) == 0)
                                return value_of(&r->groups[k], i);
        return 0;
}

void um_counters_foreach(const struct um_stack *st,
                         void (*fn)(const char *name, uint64_t value, void *arg), void *arg)
{
        const struct um_counter_registry *r = &st->counters;
        for (int k = 0; k < r->n; k++)
                for (size_t i = 0; i < r->groups[k].n; i++)
                        fn(r->groups[k].names[i].name, value_of(&r->groups[k], i), arg);
}

void um_counters_print(const struct um_stack *st, FILE *out, int include_zero)
{
        const struct um_counter_registry *r = &st->counters;
        for (int k = 0; k < r->n; k++)
                for (size_t i = 0; i < r->groups[k].n; i++) {
                        uint64_t v = value_of(&r->groups[k], i);
                        if (include_zero || v)
                                fprintf(out, "%-28s %llu\n", r->groups[k].names[i].name,
                                        (unsigned long long)v);
                }
}

void um_counters_unregister(struct um_stack *st, const void *values)
{
        struct um_counter_registry *r = &st->counters;
        for (int k = 0; k < r->n; k++)
                if (r->groups[k].values == values) {
                        r->groups[k] = r->groups[--r->n];
                        return;
                }
}
