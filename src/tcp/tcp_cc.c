/* Congestion-control modules by name (TCP_CONGESTION): CUBIC, the default, and Reno. */
#include "tcp/tcp_cc.h"
#include "tcp/tcp.h"

#include <string.h>

static const struct tcp_cc_ops *const modules[] = {&tcp_cc_cubic, &tcp_cc_reno};

const struct tcp_cc_ops *tcp_cc_find(const char *name)
{
        for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++)
                if (strcmp(modules[i]->name, name) == 0)
                        return modules[i];
        return NULL;
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
