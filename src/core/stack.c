/* The core's part of a stack instance: name and log, the random source, the packet pool,
 * its counters, and the injected clock. The layers are assembled in src/stack/. */
#include "core/stack.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

enum { PKT_POOL_LIMIT = 64 * 1024, RING_POOL_LIMIT = 32 * 1024 * 1024 };
#define RING_POOL_GRACE_US 1000000ull /* 1 s */

int um_core_init(struct um_stack *st, const struct um_stack_config *cfg)
{
        snprintf(st->name, sizeof(st->name), "%s", cfg->name ? cfg->name : "umptcp");
        st->log_level = cfg->log_level;
        st->log_file = cfg->log_file;
        st->log_fn = cfg->log_fn;
        st->log_arg = cfg->log_arg;
        if (cfg->seed)
                um_rng_seed(&st->rng, cfg->seed);
        else
                um_rng_init_secure(&st->rng);
        um_pkt_pool_init(&st->pool, PKT_POOL_LIMIT);
        um_ring_pool_init(&st->rings, RING_POOL_LIMIT, RING_POOL_GRACE_US, &st->now);
        if (um_sha256_init(&st->sha) < 0)
                return -ENOMEM;
        static const struct um_counter_name names[] = {
#define CORE_COUNTER_NAME(n) UM_COUNTER_NAME(struct um_core_counters, n)
            UM_CORE_COUNTER_LIST(CORE_COUNTER_NAME)
#undef CORE_COUNTER_NAME
        };
        return um_counters_register(st, names, sizeof(names) / sizeof(names[0]), &st->ctr);
}

void um_core_destroy(struct um_stack *st)
{
        um_timer_heap_destroy(&st->timers);
        um_pkt_pool_destroy(&st->pool);
        um_ring_pool_destroy(&st->rings);
        um_sha256_free(&st->sha);
}

void um_stack_advance(struct um_stack *st, uint64_t now_us)
{
        if (now_us > st->now)
                st->now = now_us;
}

uint64_t um_stack_now(const struct um_stack *st)
{
        return st->now;
}

uint64_t um_clock_now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int um_stack_service_add(struct um_stack *st, const struct um_io_service *svc)
{
        if (!st || !svc || !svc->fds || !svc->ready)
                return -EINVAL;
        if (st->n_services == UM_MAX_SERVICES)
                return -ENOSPC;
        st->service_nfds[st->n_services] = 0;
        st->services[st->n_services++] = svc;
        return 0;
}

void um_stack_service_remove(struct um_stack *st, const struct um_io_service *svc)
{
        for (int i = 0; st && i < st->n_services; i++)
                if (st->services[i] == svc) {
                        for (int k = i; k + 1 < st->n_services; k++) {
                                st->services[k] = st->services[k + 1];
                                st->service_nfds[k] = st->service_nfds[k + 1];
                        }
                        st->n_services--;
                        return;
                }
}

int um_stack_services_fds(struct um_stack *st, struct pollfd *out, int max)
{
        int n = 0;
        for (int i = 0; i < st->n_services; i++) {
                const struct um_io_service *s = st->services[i];
                int got = s->fds(s->arg, out + n, max - n);
                st->service_nfds[i] = got > 0 ? got : 0;
                n += st->service_nfds[i];
        }
        return n;
}

void um_stack_services_ready(struct um_stack *st, const struct pollfd *fds, int n)
{
        /* A service may remove itself while served: take the list as it was. */
        const struct um_io_service *svc[UM_MAX_SERVICES];
        int nfds[UM_MAX_SERVICES], count = st->n_services;
        for (int i = 0; i < count; i++) {
                svc[i] = st->services[i];
                nfds[i] = st->service_nfds[i];
        }
        int at = 0;
        for (int i = 0; i < count && at + nfds[i] <= n; i++) {
                svc[i]->ready(svc[i]->arg, fds + at, nfds[i]);
                at += nfds[i];
        }
}
