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
        X(CtlClientsDropped)                                                                       \
        X(CtlEventsDropped)                                                                        \
        X(CtlClientsDenied)

struct ctl_counters {
        CTL_COUNTER_LIST(UM_COUNTER_FIELD)
};

/* A growing byte buffer. */
struct ctl_buf {
        char *p;
        size_t len, cap;
};

/* A show reply that is written as the client reads it, a few connections at a time, in
 * the order of their tokens: how far it got and what is left. The tokens above the cursor
 * are taken once, sorted, and each chunk finds its connections by token (one walk of the
 * connections for the whole reply, not one per chunk); when they run out, the walk is
 * made again for connections opened meanwhile above the cursor. */
struct ctl_show {
        int active, started; /* started: its head is written */
        json_t *id;          /* the request's id, for the reply's head */
        int64_t cursor;      /* the last token written; -1 before the first */
        long long left;      /* connections still to write; -1 without a limit */
        int paged;           /* a limit was given: the reply says whether more remain */
        int n;               /* connections written so far */
        uint32_t *tokens;    /* the tokens taken, increasing; tokens[at] is the next */
        size_t n_tokens, at;
};

struct ctl_client {
        int fd;
        char *in; /* the line being received (at most UM_CTL_MAX_LINE) */
        size_t in_len;
        int skipping;        /* the rest of a line too long, until its newline */
        struct ctl_buf out;  /* what waits to be written */
        struct ctl_buf held; /* events that came while a show reply is being written */
        struct ctl_buf pend; /* bytes received after a line that started a show reply */
        struct ctl_show show;
        uint64_t lost; /* events dropped since it last got one, told as {"event":"lost"} */
        int subscribed, gone;
        int eof; /* it sends no more (half-closed): it goes once what it is owed is written */
};

struct um_ctl {
        struct um_stack *st;
        int lfd;
        char path[108];
        dev_t dev; /* the socket file this service made: removed only while it is there */
        ino_t ino;
        uid_t uid; /* who may use it: this uid, root, and with has_group that group */
        int has_group;
        gid_t group;
        struct ctl_client clients[UM_CTL_MAX_CLIENTS];
        int n_clients;
        struct um_io_service svc;
        int events; /* handle of the path-manager subscription while a client subscribes */
        struct ctl_counters ctr;
};

/* ctl_server.c: writes what the client can take and moves a show reply on; then takes the
 * lines that waited behind it. */
void ctl_client_pump(struct um_ctl *ctl, struct ctl_client *c);
/* Frees what a client holds (not its descriptor). */
void ctl_client_release(struct ctl_client *c);

/* ctl_request.c: one request line, answered with exactly one reply (a show reply may
 * start streaming: c->show). */
void ctl_request(struct um_ctl *ctl, struct ctl_client *c, const char *line, size_t len);
/* The next part of c's show reply into out: the head first, then up to a chunk's
 * connections, then the tail, which ends it (c->show.active becomes 0). */
void ctl_show_next(struct um_ctl *ctl, struct ctl_client *c, struct ctl_buf *out);

/* ctl_out.c, below both: appends n bytes; 0, or -ENOMEM. */
int ctl_buf_add(struct ctl_buf *b, const char *p, size_t n);
/* Writes what waits for the client, as far as its socket takes it. */
void ctl_flush_out(struct ctl_client *c);
/* A JSON value as one line to a client (the value is released). */
void ctl_send(struct um_ctl *ctl, struct ctl_client *c, json_t *v);
/* A subscriber whose events were dropped learns how many, once it has read enough to take
 * events again, and before any newer one: it must read the state again (show). */
void ctl_tell_lost(struct um_ctl *ctl, struct ctl_client *c);
/* Starts or stops the event subscription as clients subscribe and go. */
void ctl_events_update(struct um_ctl *ctl);

/* ctl_event.c: an event as the control socket writes it. */
json_t *ctl_event_json(const struct um_mptcp_event *ev);
/* An errno's name ("EINVAL"), for replies. */
const char *ctl_errno_name(int err);

#endif
