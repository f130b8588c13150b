/* Per-stack TCP state, the option registry and the ULP hook's public entry points. */
#include "tcp/tcp.h"
#include "tcp/tcp_stack.h"
#include "tcp/tcp_cc.h"
#include "tcp/tcp_options.h"
#include "net/net.h"

#include <errno.h>
#include <stdlib.h>

enum { HASH_BUCKETS = 256 }; /* to start with: the table doubles as connections come */

int tcp_stack_init(struct um_stack *st)
{
        struct um_tcp_stack *t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->hash = calloc(HASH_BUCKETS, sizeof(*t->hash));
        if (!t->hash) {
                free(t);
                return -ENOMEM;
        }
        t->hash_mask = HASH_BUCKETS - 1;
        um_rng_bytes(&st->rng, t->secret, sizeof(t->secret));
        t->next_port = (uint16_t)(32768 + um_rng_u64(&st->rng) % (60999 - 32768 + 1));
        t->msl_us = 30ULL * 1000000; /* TIME_WAIT lasts 2*MSL = 60 s, as on Linux */
        t->fin_timeout_us = 60ULL * 1000000;
        t->default_cc = &tcp_cc_cubic;
        t->conn_timer_fn = tcp_timeouts_fire;
        st->tcp = t;
        tcp_tw_init(st);
        static const struct um_counter_name names[] = {
#define TCP_COUNTER_NAME(n) UM_COUNTER_NAME(struct um_tcp_counters, n)
            UM_TCP_COUNTER_LIST(TCP_COUNTER_NAME)
#undef TCP_COUNTER_NAME
        };
        int rc = um_counters_register(st, names, sizeof(names) / sizeof(names[0]), &t->ctr);
        return rc < 0 ? rc : um_net_register_transport(st, &tcp_transport);
}

unsigned tcp_stack_undelivered(struct um_stack *st, uint64_t *bytes, int abort)
{
        if (!st->tcp)
                return 0;
        unsigned n = 0;
        struct um_tcp_conn *c = LIST_FIRST(&st->tcp->all), *next;
        for (; c; c = next) {
                next = LIST_NEXT(c, all_link);
                int fin_owed = c->state == TCPS_FIN_WAIT_1 || c->state == TCPS_CLOSING ||
                               c->state == TCPS_LAST_ACK;
                if (!c->orphan || c->ulp || c->state == TCPS_CLOSED ||
                    (!c->sndbuf.len && !fin_owed))
                        continue;
                n++;
                *bytes += c->sndbuf.len;
                if (abort)
                        um_tcp_abort(c);
        }
        return n;
}

void tcp_stack_destroy(struct um_stack *st)
{
        if (!st->tcp)
                return;
        tcp_free_all(st);
        tcp_tw_free_all(st);
        free(st->tcp->hash);
        free(st->tcp);
        st->tcp = NULL;
}

int um_tcp_option_register(struct um_stack *st, const struct um_tcp_option_ops *ops, void *arg)
{
        struct um_tcp_stack *t = st->tcp;
        switch (ops->kind) {
        case TCPOPT_EOL:
        case TCPOPT_NOP:
        case TCPOPT_MSS:
        case TCPOPT_WSCALE:
        case TCPOPT_SACK_PERM:
        case TCPOPT_SACK:
        case TCPOPT_TIMESTAMP:
                return -EINVAL;
        }
        if (t->n_opts == TCP_MAX_OPTION_HANDLERS)
                return -ENOSPC;
        for (int i = 0; i < t->n_opts; i++)
                if (t->opts[i].ops == ops ||
                    (t->opts[i].ops->kind == ops->kind && t->opts[i].arg == arg))
                        return -EEXIST;
        size_t size = (ops->parsed_size + 7) & ~(size_t)7;
        if (size > (size_t)UM_TCP_PARSED_MAX - t->parsed_used)
                return -EINVAL;
        int handle = t->n_opts;
        t->parsed_off[handle] = t->parsed_used;
        t->parsed_used = (uint16_t)(t->parsed_used + size);
        int pos = t->n_opts;
        while (pos > 0 && t->opts[pos - 1].ops->priority < ops->priority) {
                t->opts[pos] = t->opts[pos - 1];
                pos--;
        }
        t->opts[pos] = (struct tcp_option_entry){.ops = ops, .arg = arg, .handle = handle};
        t->n_opts++;
        return handle;
}

const void *um_tcp_seg_parsed(const struct um_tcp_seg_info *seg, int handle)
{
        const struct um_tcp_seg_parsed *p = seg->parsed;
        if (!p || handle < 0 || handle >= TCP_MAX_OPTION_HANDLERS || !(p->present >> handle & 1))
                return NULL;
        return p->area + p->tcp->parsed_off[handle];
}

int um_tcp_ulp_set(struct um_tcp_conn *c, const struct um_tcp_ulp_ops *ops, void *ctx)
{
        if (c->ulp && ops && c->ulp != ops)
                return -EBUSY;
        c->ulp = ops;
        c->ulp_ctx = ctx;
        return 0;
}

void *um_tcp_ulp_ctx(const struct um_tcp_conn *c)
{
        return c->ulp_ctx;
}

int um_tcp_ulp_is(const struct um_tcp_conn *c, const struct um_tcp_ulp_ops *ops)
{
        return c->ulp == ops;
}

_Static_assert(UM_TCP_CLOSED == (int)TCPS_CLOSED && UM_TCP_ESTABLISHED == (int)TCPS_ESTABLISHED &&
                   UM_TCP_TIME_WAIT == (int)TCPS_TIME_WAIT,
               "the public state numbers are TCP's own");

struct um_stack *um_tcp_stack(const struct um_tcp_conn *c)
{
        return c->st;
}

int um_tcp_state(const struct um_tcp_conn *c)
{
        return (int)c->state;
}

uint32_t um_tcp_snd_una(const struct um_tcp_conn *c)
{
        return c->snd_una;
}

uint32_t um_tcp_snd_nxt(const struct um_tcp_conn *c)
{
        return c->snd_nxt;
}

uint32_t um_tcp_rcv_nxt(const struct um_tcp_conn *c)
{
        return c->rcv_nxt;
}

uint32_t um_tcp_iss(const struct um_tcp_conn *c)
{
        return c->iss;
}

uint32_t um_tcp_irs(const struct um_tcp_conn *c)
{
        return c->irs;
}

void um_tcp_send_ack(struct um_tcp_conn *c)
{
        c->ack_now = 1;
        if (!c->in_input)
                tcp_output(c);
}

void um_tcp_send_pure_ack(struct um_tcp_conn *c)
{
        tcp_send_ack(c);
}

int um_tcp_pkt_ext_register(struct um_stack *st, size_t size)
{
        return um_pkt_ext_register(&st->pool, size);
}

void *um_tcp_pkt_ext_add(struct um_stack *st, struct um_pkt *pkt, int id)
{
        return um_pkt_ext_add(&st->pool, pkt, id);
}

void *um_tcp_pkt_ext_get(const struct um_pkt *pkt, int id)
{
        return um_pkt_ext_get(pkt, id);
}

void um_tcp_endpoints(const struct um_tcp_conn *c, struct sockaddr_storage *local,
                      struct sockaddr_storage *remote)
{
        if (local)
                um_addr_to_sockaddr(&c->laddr, c->lport, (struct sockaddr *)local, sizeof(*local));
        if (remote)
                um_addr_to_sockaddr(&c->raddr, c->rport, (struct sockaddr *)remote,
                                    sizeof(*remote));
}

int um_tcp_set_option_reserve(struct um_tcp_conn *c, unsigned bytes)
{
        if (bytes > TCP_MAX_OPT - 12)
                return -EINVAL;
        c->opt_reserve = (uint16_t)bytes;
        return 0;
}

uint32_t um_tcp_rcvbuf_size(const struct um_tcp_conn *c)
{
        return c->rcvbuf.cap ? c->rcvbuf.cap : 0;
}

/* The orphans that entered TIME_WAIT in this poll become records (tcp_timewait.c), now
 * that the ACK of the peer's FIN has left. */
static void tw_convert_pending(struct um_stack *st)
{
        struct tcp_tw_table *tw = &st->tcp->tw;
        while (!LIST_EMPTY(&tw->pending)) {
                struct um_tcp_conn *c = LIST_FIRST(&tw->pending);
                tcp_tw_unschedule(c);
                if (c->state != TCPS_TIME_WAIT || c->dead || !c->orphan)
                        continue;
                /* Without memory for a record the connection waits as it is. */
                if (tcp_tw_from_conn(c) == 0)
                        tcp_done(c, 0);
        }
}

void tcp_reap(struct um_stack *st)
{
        tw_convert_pending(st);
        tcp_free_dead(st);
}
