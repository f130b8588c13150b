/* The relay's loop: the stack in real time (its links, its services, its deadline) with the
 * relayed kernel sockets on one epoll descriptor that the stack's wait watches as well, and
 * the connections' deadlines looked at every RELAY_TICK_US. */
#include "relay/relay.h"
#include "relay/relay_metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

static const struct um_relay_config defaults = {
    .max_conns = 4096,
    .buffer_bytes = 65536,
    .connect_timeout_ms = 10000,
    .idle_timeout_ms = 3600000,
    .request_timeout_ms = 10000,
};

static unsigned or_default(unsigned v, unsigned d)
{
        return v ? v : d;
}

int um_relay_new(struct um_stack *st, const struct um_relay_config *cfg, struct um_relay **out)
{
        if (!st || !out)
                return -EINVAL;
        const struct um_relay_config none = {0};
        if (!cfg)
                cfg = &none;
        struct um_relay *r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->st = st;
        r->cfg = (struct um_relay_config){
            .max_conns = or_default(cfg->max_conns, defaults.max_conns),
            .buffer_bytes = or_default(cfg->buffer_bytes, defaults.buffer_bytes),
            .connect_timeout_ms = or_default(cfg->connect_timeout_ms, defaults.connect_timeout_ms),
            .idle_timeout_ms = or_default(cfg->idle_timeout_ms, defaults.idle_timeout_ms),
            .request_timeout_ms = or_default(cfg->request_timeout_ms, defaults.request_timeout_ms),
            .socket_buffer_bytes = cfg->socket_buffer_bytes,
            .max_requesting = cfg->max_requesting,
            .congestion = cfg->congestion,
        };
        /* A quarter of the slots for clients still saying what they want, but never so few
         * that a handful of slow clients lock out the rest. */
        if (!r->cfg.max_requesting)
                r->cfg.max_requesting = r->cfg.max_conns / 4 > 8 ? r->cfg.max_conns / 4 : 8;
        /* Kept: the resolver is made when a listener first needs it, maybe long after. */
        if (cfg->dns_servers && !(r->dns_servers = strdup(cfg->dns_servers))) {
                free(r);
                return -ENOMEM;
        }
        r->cfg.dns_servers = r->dns_servers;
        for (int i = 0; i < RELAY_LISTENERS; i++)
                r->listeners[i].id = -1;
        static const struct um_counter_name names[] = {
#define RELAY_COUNTER_NAME(n) UM_COUNTER_NAME(struct relay_counters, n)
            RELAY_COUNTER_LIST(RELAY_COUNTER_NAME)
#undef RELAY_COUNTER_NAME
        };
        int rc = -ENOMEM;
        r->scratch = malloc(r->cfg.buffer_bytes);
        r->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (r->epfd < 0)
                rc = -errno;
        else if (r->scratch)
                rc = um_counters_register(st, names, sizeof(names) / sizeof(names[0]), &r->ctr);
        if (rc < 0) {
                if (r->epfd >= 0)
                        close(r->epfd);
                free(r->scratch);
                free(r->dns_servers);
                free(r);
                return rc;
        }
        *out = r;
        return 0;
}

/* A connection still reading its request is the request's; any other, the relayed pair's. */
static void conn_events(struct relay_conn *c, uint32_t events)
{
        if (c->state == RELAY_REQUESTING)
                relay_request_events(c, events);
        else
                relay_conn_kernel_events(c, events);
}

static void kernel_events(struct um_relay *r)
{
        struct epoll_event evs[64];
        int n = epoll_wait(r->epfd, evs, 64, 0);
        for (int i = 0; i < n; i++) {
                uintptr_t token = (uintptr_t)evs[i].data.ptr;
                if (token == RELAY_TAG_METRICS)
                        relay_metrics_run(r, 1);
                else if (token & RELAY_TAG_LISTENER)
                        relay_listener_accept(r, (struct relay_listener *)(token & ~(uintptr_t)1));
                else if (!(token & RELAY_TAG_RESOLVER))
                        conn_events((struct relay_conn *)token, evs[i].events);
        }
        /* The resolver's answers last: one may end a connection whose event is in evs. */
        for (int i = 0; i < n; i++) {
                uintptr_t token = (uintptr_t)evs[i].data.ptr;
                if ((token & RELAY_TAG_MASK) == RELAY_TAG_RESOLVER)
                        relay_resolver_events(r, (int)(token >> 2), evs[i].events);
        }
}

static void check_deadlines(struct um_relay *r, uint64_t now)
{
        if (now < r->next_tick)
                return;
        r->next_tick = now + RELAY_TICK_US;
        relay_resolver_tick(r); /* its retransmissions and timeouts */
        relay_log_flush(r, now, 0);
        for (struct relay_conn *c = r->conns, *next; c; c = next) {
                next = c->next;
                /* Until its request is answered, the client is owed a reply on a timeout. */
                if (c->req)
                        relay_request_check_time(c, now);
                else
                        relay_conn_check_time(c, now);
        }
}

void um_relay_run_once(struct um_relay *r, int timeout_ms)
{
        /* Connections' deadlines, paused listeners and refusals not logged yet need a look
         * every tick, nothing else of the relay's does. */
        if ((r->conns || r->n_paused || relay_log_pending(r)) &&
            (timeout_ms < 0 || timeout_ms > RELAY_TICK_US / 1000))
                timeout_ms = RELAY_TICK_US / 1000;
        int metrics_ms = relay_metrics_timeout_ms(r);
        if (metrics_ms >= 0 && (timeout_ms < 0 || metrics_ms < timeout_ms))
                timeout_ms = metrics_ms;
        int kernel = um_run_once(r->st, r->epfd, timeout_ms);
        uint64_t now = um_clock_now_us();
        /* What the kernel side brings is sent with the time it is sent at. */
        um_stack_advance(r->st, now);
        if (kernel)
                kernel_events(r);
        relay_metrics_run(r, 0); /* its connections' timeouts, and work it left */
        /* Read again: the events just handled stamped their connections' activity after
         * `now`, and an idle check against the older time would wrap around. */
        check_deadlines(r, um_clock_now_us());
        relay_listeners_resume(r, um_clock_now_us());
}

/* ---- what the daemon asks ---- */

int um_relay_listen(struct um_relay *r, const struct um_relay_listener_spec *spec, char *err,
                    size_t errlen)
{
        if (!r || !spec) {
                snprintf(err, errlen, "no relay or no listener");
                return -EINVAL;
        }
        for (int i = 0; i < RELAY_LISTENERS; i++) {
                struct relay_listener *l = &r->listeners[i];
                if (l->id >= 0)
                        continue;
                int rc = relay_listener_open(r, l, spec, err, errlen);
                if (rc < 0)
                        return rc;
                l->id = r->next_listener_id++;
                return l->id;
        }
        snprintf(err, errlen, "at most %d listeners", RELAY_LISTENERS);
        return -ENOSPC;
}

int um_relay_unlisten(struct um_relay *r, int id)
{
        for (int i = 0; r && id >= 0 && i < RELAY_LISTENERS; i++)
                if (r->listeners[i].id == id) {
                        relay_listener_close(r, &r->listeners[i]);
                        return 0;
                }
        return -ENOENT;
}

int um_relay_listener_addr(const struct um_relay *r, int id, struct sockaddr_storage *out)
{
        for (int i = 0; r && id >= 0 && i < RELAY_LISTENERS; i++) {
                const struct relay_listener *l = &r->listeners[i];
                if (l->id != id)
                        continue;
                socklen_t len = sizeof(*out);
                int rc = l->kind == UM_RELAY_ACCEPT
                             ? um_getsockname(r->st, l->fd, (struct sockaddr *)out, &len)
                             : getsockname(l->fd, (struct sockaddr *)out, &len);
                return rc < 0 ? -errno : 0;
        }
        return -ENOENT;
}

void um_relay_drain(struct um_relay *r)
{
        for (int i = 0; i < RELAY_LISTENERS; i++)
                if (r->listeners[i].id >= 0)
                        relay_listener_close(r, &r->listeners[i]);
}

unsigned um_relay_active(const struct um_relay *r)
{
        return r ? r->n_conns : 0;
}

void um_relay_abort_all(struct um_relay *r)
{
        while (r->conns)
                relay_conn_abort(r->conns, "stopped");
}

void um_relay_free(struct um_relay *r)
{
        if (!r)
                return;
        um_relay_drain(r);
        um_relay_abort_all(r);
        um_relay_metrics_close(r);
        relay_resolver_free(r);
        relay_host_free(r);
        relay_log_flush(r, um_clock_now_us(), 1); /* the refusals of its last second too */
        um_counters_unregister(r->st, &r->ctr);
        close(r->epfd);
        free(r->scratch);
        free(r->dns_servers);
        free(r);
}
