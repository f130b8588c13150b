/* A stack instance is assembled here, from the ground up: core, network, TCP, sockets,
 * MPTCP. Each layer creates its own state behind its pointer in struct um_stack and frees
 * it again. */
#include "core/stack.h"
#include "mptcp/mptcp_stack.h"
#include "net/net.h"
#include "sock/sock.h"
#include "tcp/tcp_stack.h"

#include <stdlib.h>

struct um_stack *um_stack_new(const struct um_stack_config *cfg)
{
        struct um_stack *st = calloc(1, sizeof(*st));
        if (!st)
                return NULL;
        struct um_stack_config def = {0};
        if (um_core_init(st, cfg ? cfg : &def) < 0 || um_net_init(st) < 0 ||
            tcp_stack_init(st) < 0 || sock_table_init(st) < 0 || mptcp_stack_init(st) < 0) {
                um_stack_free(st);
                return NULL;
        }
        return st;
}

unsigned um_stack_undelivered(struct um_stack *st, uint64_t *bytes)
{
        uint64_t b = 0;
        unsigned n = mptcp_stack_undelivered(st, &b, 0) + tcp_stack_undelivered(st, &b, 0);
        if (bytes)
                *bytes += b;
        return n;
}

unsigned um_stack_abort_undelivered(struct um_stack *st)
{
        uint64_t b = 0;
        return mptcp_stack_undelivered(st, &b, 1) + tcp_stack_undelivered(st, &b, 1);
}

void um_stack_free(struct um_stack *st)
{
        if (!st)
                return;
        while (st->n_services) { /* a service may not outlive its stack */
                const struct um_io_service *s = st->services[0];
                um_stack_service_remove(st, s);
                if (s->close)
                        s->close(s->arg);
        }
        sock_table_destroy(st);
        mptcp_stack_forget_listeners(st);
        tcp_stack_destroy(st);
        mptcp_stack_destroy(st);
        um_net_destroy(st);
        um_core_destroy(st);
        free(st);
}
