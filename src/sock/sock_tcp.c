/* Plain TCP sockets (IPPROTO_TCP): the socket operations mapped onto tcp_api. */
#include "sock/sock.h"
#include "core/stack.h"
#include "tcp/tcp_api.h"

#include <umptcp/tcp_ext.h>

#include <errno.h>

static void tcp_sock_notify(struct um_tcp_conn *c, void *arg)
{
        (void)c;
        sock_wake(arg);
}

static int tcp_sock_create(struct um_stack *st, struct um_sock *s)
{
        s->pcb = tcp_api_open(st, tcp_sock_notify, s);
        return s->pcb ? 0 : -ENOMEM;
}

static int tcp_sock_bind(struct um_sock *s, const struct um_addr *a, uint16_t port)
{
        return tcp_api_bind(s->pcb, a, port, s->reuseaddr);
}

static int tcp_sock_listen(struct um_sock *s, int backlog)
{
        return tcp_api_listen(s->pcb, backlog);
}

static int tcp_sock_accept(struct um_sock *s, struct um_sock *child)
{
        struct um_tcp_conn *c = tcp_api_accept(s->pcb);
        if (!c)
                return -EAGAIN;
        child->pcb = c;
        tcp_api_set_notify(c, tcp_sock_notify, child);
        return 0;
}

static int tcp_sock_connect(struct um_sock *s, const struct um_addr *a, uint16_t port)
{
        return tcp_api_connect(s->pcb, a, port);
}

static long tcp_sock_send(struct um_sock *s, const void *buf, size_t len)
{
        return tcp_api_send(s->pcb, buf, len);
}

static long tcp_sock_recv(struct um_sock *s, void *buf, size_t len, int peek)
{
        return tcp_api_recv(s->pcb, buf, len, peek);
}

static int tcp_sock_shutdown(struct um_sock *s, int how)
{
        return tcp_api_shutdown(s->pcb, how);
}

static void tcp_sock_close(struct um_sock *s)
{
        tcp_api_close(s->pcb);
        s->pcb = NULL;
}

static short tcp_sock_events(const struct um_sock *s)
{
        return tcp_api_events(s->pcb);
}

static int tcp_sock_setopt(struct um_sock *s, int level, int name, const void *val, size_t len)
{
        return tcp_api_setopt(s->pcb, level, name, val, len);
}

static int tcp_sock_getopt(struct um_sock *s, int level, int name, void *val, size_t *len)
{
        return tcp_api_getopt(s->pcb, level, name, val, len);
}

static int tcp_sock_names(const struct um_sock *s, struct um_addr *la, uint16_t *lp,
                          struct um_addr *ra, uint16_t *rp)
{
        tcp_api_names(s->pcb, la, lp, ra, rp);
        return tcp_api_connected(s->pcb);
}

const struct um_sock_ops um_sock_tcp_ops = {
    .protocol = IPPROTO_TCP,
    .create = tcp_sock_create,
    .bind = tcp_sock_bind,
    .listen = tcp_sock_listen,
    .accept = tcp_sock_accept,
    .connect = tcp_sock_connect,
    .send = tcp_sock_send,
    .recv = tcp_sock_recv,
    .shutdown = tcp_sock_shutdown,
    .close = tcp_sock_close,
    .events = tcp_sock_events,
    .setopt = tcp_sock_setopt,
    .getopt = tcp_sock_getopt,
    .names = tcp_sock_names,
};

struct um_tcp_conn *um_tcp_conn_of(struct um_stack *st, int fd)
{
        struct um_sock_table *t = st ? st->socks : NULL;
        if (!t || fd < 0 || fd >= t->n || !t->socks[fd] || !t->socks[fd]->used ||
            t->socks[fd]->ops != &um_sock_tcp_ops)
                return NULL;
        return t->socks[fd]->pcb;
}
