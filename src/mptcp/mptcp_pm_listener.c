/* Listeners for announced ports. RFC 8684 §3.4.1: an ADD_ADDR may name a port other than
 * the connection's, and the announcer then takes joins there. Whoever announces such a port
 * (the built-in manager for an endpoint with a port, an outside one with `announce`) gets
 * a listener on that address and port with the announcement, shared by every connection
 * that announces it and closed when the last such announcement is withdrawn or its
 * connection freed. It takes MP_JOIN SYNs only (mptcp_accept.c); anything else is reset
 * and counted (MPTcpExtPortListenerNoJoin). Linux's in-kernel manager opens its listener
 * when the endpoint is added instead, and its userspace manager leaves it to the daemon. */
#include "mptcp/mptcp.h"
#include "tcp/tcp_api.h"

#include <errno.h>
#include <stdlib.h>

enum {
        PORT_LISTENERS_MAX = 64,
        PORT_LISTENER_BACKLOG = 128, /* SYN cookies beyond, as for any listener */
};

struct mptcp_port_listener {
        struct um_addr addr;
        uint16_t port;
        uint32_t refs;
        struct um_tcp_conn *tcp;
};

static struct mptcp_port_listener *find(struct mptcp_stack *ms, const struct um_addr *a,
                                        uint16_t port)
{
        for (int i = 0; i < ms->n_port_listeners; i++)
                if (ms->port_listeners[i].port == port &&
                    um_addr_eq(&ms->port_listeners[i].addr, a))
                        return &ms->port_listeners[i];
        return NULL;
}

static int listen_on(struct mptcp_stack *ms, const struct um_addr *a, uint16_t port,
                     struct um_tcp_conn **out)
{
        struct um_tcp_conn *c = tcp_api_open(ms->st, NULL, NULL);
        if (!c)
                return -ENOMEM;
        struct mptcp_subflow *sf = mptcp_subflow_new(c);
        int rc = sf ? tcp_api_bind(c, a, port, 0) : -ENOMEM;
        if (rc == 0) {
                sf->is_listener = 1;
                sf->join_only = 1;
                rc = tcp_api_listen(c, PORT_LISTENER_BACKLOG);
        }
        if (rc < 0) {
                tcp_api_close(c);
                return rc;
        }
        *out = c;
        return 0;
}

int mptcp_port_listener_get(struct mptcp_stack *ms, const struct um_addr *a, uint16_t port)
{
        struct mptcp_port_listener *l = find(ms, a, port);
        if (l) {
                l->refs++;
                return 0;
        }
        if (ms->n_port_listeners == PORT_LISTENERS_MAX)
                return -ENOSPC;
        if (!ms->port_listeners) {
                ms->port_listeners = calloc(PORT_LISTENERS_MAX, sizeof(*ms->port_listeners));
                if (!ms->port_listeners)
                        return -ENOMEM;
        }
        struct um_tcp_conn *c;
        int rc = listen_on(ms, a, port, &c);
        if (rc < 0)
                return rc;
        ms->port_listeners[ms->n_port_listeners++] =
            (struct mptcp_port_listener){.addr = *a, .port = port, .refs = 1, .tcp = c};
        mptcp_event_listener(ms, UM_MPTCP_EVENT_LISTENER_CREATED, c, a->family);
        return 0;
}

void mptcp_port_listener_put(struct mptcp_stack *ms, const struct um_addr *a, uint16_t port)
{
        struct mptcp_port_listener *l = find(ms, a, port);
        if (!l || --l->refs)
                return;
        mptcp_event_listener(ms, UM_MPTCP_EVENT_LISTENER_CLOSED, l->tcp, l->addr.family);
        tcp_api_close(l->tcp);
        *l = ms->port_listeners[--ms->n_port_listeners];
}

void mptcp_port_listeners_release(struct mptcp_sock *msk)
{
        for (int i = 0; i < msk->pm.n_announced; i++) {
                struct mptcp_announce *an = &msk->pm.announced[i];
                if (an->listening) {
                        an->listening = 0;
                        mptcp_port_listener_put(msk->ms, &an->a.addr, an->a.port);
                }
        }
}

void mptcp_port_listeners_free(struct mptcp_stack *ms)
{
        free(ms->port_listeners);
        ms->port_listeners = NULL;
        ms->n_port_listeners = 0;
}
