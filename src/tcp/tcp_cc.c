/* Congestion-control modules by name (TCP_CONGESTION): CUBIC, the default, and Reno, built
 * in; those an extension registers with a stack (um_tcp_cc_register), behind TCP's own ops
 * that call theirs with their argument; the accessors such a module uses. */
#include "tcp/tcp_cc.h"
#include "tcp/tcp.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

_Static_assert(sizeof(((struct um_tcp_conn *)0)->cc_priv) >= UM_TCP_CC_PRIV,
               "a module's private area");

static const struct tcp_cc_ops *const modules[] = {&tcp_cc_cubic, &tcp_cc_reno};

const struct tcp_cc_ops *tcp_cc_find(const struct um_stack *st, const char *name)
{
        for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++)
                if (strcmp(modules[i]->name, name) == 0)
                        return modules[i];
        const struct um_tcp_stack *t = st->tcp;
        for (int i = 0; i < t->n_cc_modules; i++)
                if (strcmp(t->cc_modules[i].ops.name, name) == 0)
                        return &t->cc_modules[i].ops;
        return NULL;
}

static const struct tcp_cc_module *module_of(const struct um_tcp_conn *c)
{
        return (const struct tcp_cc_module *)((const char *)c->cc -
                                              offsetof(struct tcp_cc_module, ops));
}

static void ext_init(struct um_tcp_conn *c)
{
        memset(c->cc_priv, 0, sizeof(c->cc_priv));
        module_of(c)->ext->init(c, module_of(c)->arg);
}

static void ext_on_ack(struct um_tcp_conn *c, uint32_t acked)
{
        module_of(c)->ext->on_ack(c, acked, module_of(c)->arg);
}

static uint32_t ext_ssthresh(struct um_tcp_conn *c)
{
        return module_of(c)->ext->ssthresh(c, module_of(c)->arg);
}

static void ext_recovery_exit(struct um_tcp_conn *c)
{
        if (module_of(c)->ext->on_recovery_exit)
                module_of(c)->ext->on_recovery_exit(c, module_of(c)->arg);
}

int um_tcp_cc_register(struct um_stack *st, const struct um_tcp_cc_ops *ops, void *arg)
{
        if (!st || !ops || !ops->name || strlen(ops->name) > 15 || !ops->init || !ops->on_ack ||
            !ops->ssthresh)
                return -EINVAL;
        struct um_tcp_stack *t = st->tcp;
        if (tcp_cc_find(st, ops->name))
                return -EEXIST;
        if (t->n_cc_modules == UM_TCP_CC_MODULES)
                return -ENOSPC;
        t->cc_modules[t->n_cc_modules++] =
            (struct tcp_cc_module){.ops = {.name = ops->name,
                                           .init = ext_init,
                                           .on_ack = ext_on_ack,
                                           .ssthresh = ext_ssthresh,
                                           .on_recovery_exit = ext_recovery_exit},
                                   .ext = ops,
                                   .arg = arg};
        return 0;
}

int um_tcp_congestion_control_set(struct um_stack *st, const char *name)
{
        const struct tcp_cc_ops *cc = st && name ? tcp_cc_find(st, name) : NULL;
        if (!cc)
                return -ENOENT;
        st->tcp->default_cc = cc;
        return 0;
}

const char *um_tcp_congestion_control(const struct um_stack *st)
{
        return st->tcp->default_cc->name;
}

uint32_t um_tcp_cwnd(const struct um_tcp_conn *c)
{
        return c->cwnd;
}

void um_tcp_set_cwnd(struct um_tcp_conn *c, uint32_t cwnd)
{
        uint32_t floor = tcp_seg_size(c);
        c->cwnd = cwnd < floor ? floor : cwnd > UINT32_MAX / 2 ? UINT32_MAX / 2 : cwnd;
}

uint32_t um_tcp_ssthresh(const struct um_tcp_conn *c)
{
        return c->ssthresh;
}

void um_tcp_set_ssthresh(struct um_tcp_conn *c, uint32_t ssthresh)
{
        uint32_t floor = 2 * tcp_seg_size(c);
        c->ssthresh = ssthresh < floor ? floor : ssthresh;
}

void *um_tcp_cc_priv(struct um_tcp_conn *c)
{
        return c->cc_priv;
}

uint32_t um_tcp_slow_start(struct um_tcp_conn *c, uint32_t acked)
{
        return tcp_cc_slow_start(c, acked);
}

uint32_t tcp_cc_slow_start(struct um_tcp_conn *c, uint32_t acked)
{
        /* RFC 9406 §4.2: Conservative Slow Start grows a quarter as fast. */
        uint64_t cwnd = (uint64_t)c->cwnd + (c->hs_in_css ? acked / 4 : acked);
        uint32_t rest = 0;
        if (cwnd > c->ssthresh) {
                rest = (uint32_t)(cwnd - c->ssthresh);
                cwnd = c->ssthresh;
        }
        c->cwnd = cwnd > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)cwnd;
        return rest;
}
