/* The stack instance (internal view): the core's own state, and one pointer to the state of
 * each layer above it, which that layer creates, owns and frees. */
#ifndef UM_CORE_STACK_H
#define UM_CORE_STACK_H

#include <umptcp/stack.h>

#include "core/counters.h"
#include "core/log.h"
#include "core/pkt.h"
#include "core/rand.h"
#include "core/ring.h"
#include "core/sha256.h"
#include "core/timer.h"

struct um_net;
struct um_tcp_stack;
struct um_sock_table;
struct mptcp_stack;

struct um_stack {
        char name[32];
        int log_level;
        FILE *log_file;
        um_log_fn *log_fn;
        void *log_arg;
        uint64_t now;
        struct um_rng rng;
        struct um_timer_heap timers;
        struct um_pkt_pool pool;
        struct um_ring_pool rings;
        struct um_sha256 sha;
        struct um_core_counters ctr;
        struct um_counter_registry counters;
        const struct um_io_service *services[UM_MAX_SERVICES];
        int n_services;
        int service_nfds[UM_MAX_SERVICES]; /* what each gave at the last um_stack_services_fds */
        struct um_net *net;
        struct um_tcp_stack *tcp;
        struct um_sock_table *socks;
        struct mptcp_stack *mptcp;
};

/* Sets up the core's state in a zeroed stack: names, log, random source, packet pool. */
int um_core_init(struct um_stack *st, const struct um_stack_config *cfg);
void um_core_destroy(struct um_stack *st);

#endif
