/* Counters: each layer keeps its own (named like the Linux MIB entries they follow, nstat
 * names) in a struct of uint64_t fields, and registers the names with the stack so that
 * um_counter_get and um_counters_print find them, as MPTCP registers its TCP option. */
#ifndef UM_CORE_COUNTERS_H
#define UM_CORE_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

struct um_stack;

/* For a layer's X-macro list: X(UM_COUNTER_FIELD) declares the struct's fields. */
#define UM_COUNTER_FIELD(name) uint64_t name;

struct um_counter_name {
        const char *name;
        size_t offset; /* of the uint64_t field in the layer's counter struct */
};

/* Table entry for one counter of the struct type `type`. */
#define UM_COUNTER_NAME(type, field) {#field, offsetof(type, field)},

enum { UM_MAX_COUNTER_GROUPS = 8 };

struct um_counter_group {
        const struct um_counter_name *names;
        size_t n;
        const void *values; /* the layer's counter struct */
};

struct um_counter_registry {
        struct um_counter_group groups[UM_MAX_COUNTER_GROUPS];
        int n;
};

/* Makes a layer's counters visible by name; `values` must live as long as the stack.
 * Returns 0 or -ENOSPC. */
int um_counters_register(struct um_stack *st, const struct um_counter_name *names, size_t n,
                         const void *values);
/* Takes a group off again, before its `values` go (a service that stops). */
void um_counters_unregister(struct um_stack *st, const void *values);

/* The core's own counters. */
#define UM_CORE_COUNTER_LIST(X) X(PktPoolExhausted)

struct um_core_counters {
        UM_CORE_COUNTER_LIST(UM_COUNTER_FIELD)
};

#endif
