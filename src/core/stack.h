/* The stack instance (internal view). Everything a stack owns hangs off this struct. */
#ifndef UM_CORE_STACK_H
#define UM_CORE_STACK_H

#include <umptcp/stack.h>

#include "core/counters.h"
#include "core/log.h"
#include "core/pkt.h"
#include "core/rand.h"
#include "core/timer.h"
#include "net/iface.h"

struct um_tcp_stack;
struct um_sock_table;
struct mptcp_stack;

struct um_stack {
        char name[32];
        int log_level;
        FILE *log_file;
        uint64_t now;
        struct um_rng rng;
        struct um_timer_heap timers;
        struct um_pkt_pool pool;
        struct um_iface ifaces[UM_MAX_IFACES];
        int n_ifaces;
        struct um_counters ctr;
        uint16_t ip_id;
        struct um_tcp_stack *tcp;
        struct um_sock_table *socks;
        struct mptcp_stack *mptcp;
};

#endif
