/* The control socket's inside: its clients, the lines they send and are sent, and the
 * requests and events those lines carry (include/umptcp/ctl.h, docs/CONTROL.md). */
#ifndef UM_CTL_CTL_H
#define UM_CTL_CTL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <umptcp/ctl.h>
#include <umptcp/mptcp_pm.h>
#include <umptcp/stack.h>

#include "core/counters.h"

#define CTL_COUNTER_LIST(X)                                                                        \
        X(CtlClients)                                                                              \
        X(CtlClientsRefused)                                                                       \
        X(CtlRequests)                                                                             \
        X(CtlRequestErrors)                                                                        \
        X(CtlLinesTooLong)                                                                         \
        X(CtlClientsDropped)

struct ctl_counters {
        CTL_COUNTER_LIST(UM_COUNTER_FIELD)
};

struct ctl_client {
        int fd;
        char *in; /* the line being received (at most UM_CTL_MAX_LINE) */
        size_t in_len;
        int skipping; /* the rest of a line too long, until its newline */
        char *out;    /* what waits to be written */
        size_t out_len, out_cap;
        int subscribed, gone;
};

struct um_ctl {
        struct um_stack *st;
        int lfd;
        char path[108];
        struct ctl_client clients[UM_CTL_MAX_CLIENTS];
        int n_clients;
        struct um_io_service svc;
        int events; /* handle of the path-manager subscription while a client subscribes */
        struct ctl_counters ctr;
};

/* ctl_server.c: a JSON value as one line to a client (the value is released). */
void ctl_send(struct um_ctl *ctl, struct ctl_client *c, json_t *v);
/* Starts or stops the event subscription as clients subscribe and go. */
void ctl_events_update(struct um_ctl *ctl);

/* ctl_request.c: one request line, answered with exactly one reply. */
void ctl_request(struct um_ctl *ctl, struct ctl_client *c, const char *line, size_t len);

/* ctl_event.c: an event as the control socket writes it. */
json_t *ctl_event_json(const struct um_mptcp_event *ev);
/* An errno's name ("EINVAL"), for replies. */
const char *ctl_errno_name(int err);

#endif
