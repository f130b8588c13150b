/* The stack instance: creation, interfaces, and the poll loop that drives everything. */
#include "core/stack.h"
#include "net/ip.h"
#include "sock/sock.h"
#include "mptcp/mptcp_stack.h"
#include "tcp/tcp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <umptcp/link.h>

enum { RX_BATCH = 32, RX_BATCHES_PER_POLL = 64, PKT_POOL_LIMIT = 64 * 1024 };

struct um_stack *um_stack_new(const struct um_stack_config *cfg)
{
        struct um_stack *st = calloc(1, sizeof(*st));
        if (!st)
                return NULL;
        struct um_stack_config def = {0};
        if (!cfg)
                cfg = &def;
        snprintf(st->name, sizeof(st->name), "%s", cfg->name ? cfg->name : "umptcp");
        st->log_level = cfg->log_level;
        st->log_file = cfg->log_file;
        if (cfg->seed)
                um_rng_seed(&st->rng, cfg->seed);
        else
                um_rng_init_secure(&st->rng);
        um_pkt_pool_init(&st->pool, PKT_POOL_LIMIT);
        st->ip_id = (uint16_t)um_rng_u64(&st->rng);
        if (tcp_stack_init(st) < 0 || um_sock_table_init(st) < 0 || mptcp_stack_init(st) < 0) {
                um_stack_free(st);
                return NULL;
        }
        return st;
}

void um_stack_free(struct um_stack *st)
{
        if (!st)
                return;
        um_sock_table_destroy(st);
        tcp_stack_destroy(st);
        mptcp_stack_destroy(st);
        for (int i = 0; i < st->n_ifaces; i++)
                for (int j = 0; j < st->ifaces[i].n_txq; j++)
                        um_pkt_free(&st->pool, st->ifaces[i].txq[j]);
        um_timer_heap_destroy(&st->timers);
        um_pkt_pool_destroy(&st->pool);
        free(st);
}

int um_stack_add_iface(struct um_stack *st, struct um_link *link)
{
        if (!st || !link)
                return -EINVAL;
        if (st->n_ifaces == UM_MAX_IFACES)
                return -ENOSPC;
        if (link->mtu < 576 || link->mtu > UM_PKT_SIZE - UM_PKT_HEADROOM - 64)
                return -EINVAL;
        struct um_iface *ifc = &st->ifaces[st->n_ifaces];
        memset(ifc, 0, sizeof(*ifc));
        ifc->link = link;
        return st->n_ifaces++;
}

int um_stack_add_addr(struct um_stack *st, int ifindex, const char *addr_prefix)
{
        if (!st || ifindex < 0 || ifindex >= st->n_ifaces || !addr_prefix)
                return -EINVAL;
        struct um_iface *ifc = &st->ifaces[ifindex];
        if (ifc->n_addrs == UM_MAX_ADDRS)
                return -ENOSPC;
        struct um_ifaddr ia;
        int rc = um_addr_parse_prefix(addr_prefix, &ia.addr, &ia.prefix);
        if (rc)
                return rc;
        if (um_iface_of_addr(st, &ia.addr) >= 0)
                return -EEXIST;
        ifc->addrs[ifc->n_addrs++] = ia;
        return 0;
}

static void read_link(struct um_stack *st, int ifindex)
{
        struct um_link *link = st->ifaces[ifindex].link;
        for (int batch = 0; batch < RX_BATCHES_PER_POLL; batch++) {
                struct um_pkt *pkts[RX_BATCH];
                struct um_frame frames[RX_BATCH];
                int n = 0;
                for (; n < RX_BATCH; n++) {
                        pkts[n] = um_pkt_alloc(&st->pool);
                        if (!pkts[n]) {
                                st->ctr.PktPoolExhausted++;
                                break;
                        }
                        /* Receive at the start of the buffer: input only strips headers. */
                        pkts[n]->off = 0;
                        frames[n].data = pkts[n]->buf;
                        frames[n].len = 0;
                        frames[n].cap = sizeof(pkts[n]->buf);
                }
                int got = n ? link->ops->recv(link, frames, n, st->now) : 0;
                if (got < 0)
                        got = 0;
                for (int i = got; i < n; i++)
                        um_pkt_free(&st->pool, pkts[i]);
                for (int i = 0; i < got; i++) {
                        pkts[i]->len = (uint16_t)frames[i].len;
                        pkts[i]->time_us = st->now;
                        um_ip_input(st, ifindex, pkts[i]);
                }
                /* Let applications read (and windows reopen) between batches, and let the
                 * ACKs and window updates this batch produced leave now. */
                um_sock_dispatch(st);
                for (int i = 0; i < st->n_ifaces; i++)
                        um_iface_flush(st, i);
                if (got < n || !n)
                        break;
        }
}

void um_stack_poll(struct um_stack *st, uint64_t now_us)
{
        if (now_us > st->now)
                st->now = now_us;
        for (int i = 0; i < st->n_ifaces; i++)
                read_link(st, i);
        um_timer_run(&st->timers, st->now);
        um_sock_dispatch(st);
        for (int i = 0; i < st->n_ifaces; i++)
                um_iface_flush(st, i);
        tcp_reap(st);
}

uint64_t um_stack_next_deadline(const struct um_stack *st)
{
        uint64_t next = um_timer_next(&st->timers);
        for (int i = 0; i < st->n_ifaces; i++) {
                if (st->ifaces[i].n_txq) /* packets queued by socket calls since the poll */
                        return st->now;
                const struct um_link *l = st->ifaces[i].link;
                if (l->ops->next_event) {
                        uint64_t t = l->ops->next_event(l, st->now);
                        if (t < next)
                                next = t;
                }
        }
        return next;
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

uint64_t um_counter_get(const struct um_stack *st, const char *name)
{
#define UM_COUNTER_MATCH(n)                                                                        \
        if (strcmp(name, #n) == 0)                                                                 \
                return st->ctr.n;
        UM_COUNTER_LIST(UM_COUNTER_MATCH)
#undef UM_COUNTER_MATCH
        return 0;
}

void um_counters_print(const struct um_stack *st, FILE *out, int include_zero)
{
#define UM_COUNTER_PRINT(n)                                                                        \
        if (include_zero || st->ctr.n)                                                             \
                fprintf(out, "%-28s %llu\n", #n, (unsigned long long)st->ctr.n);
        UM_COUNTER_LIST(UM_COUNTER_PRINT)
#undef UM_COUNTER_PRINT
}

uint64_t um_clock_now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void um_link_destroy(struct um_link *l)
{
        if (l && l->ops->destroy)
                l->ops->destroy(l);
}
