/* A control socket: a stack serves path-manager commands and events, and its counters, to
 * other processes over a Unix stream socket, one JSON object per line (docs/CONTROL.md).
 * umptcp-ctl is its client; any program that writes JSON lines can be one. */
#ifndef UMPTCP_CTL_H
#define UMPTCP_CTL_H

#include <stddef.h>

struct um_stack;
struct um_ctl;

enum {
        UM_CTL_MAX_LINE = 16384,               /* a request longer than this gets an error */
        UM_CTL_MAX_CLIENTS = 16,               /* one more is told so and closed */
        UM_CTL_MAX_QUEUED = 1024 * 1024,       /* bytes a client may leave unread before it is
                                                  dropped (requests sent, replies not read) */
        UM_CTL_MAX_EVENTS_QUEUED = 256 * 1024, /* beyond this unread, a subscriber's events
                                                  are dropped and counted; below half of it
                                                  it is sent {"event":"lost","count":N} */
};

/* Starts serving a control socket at path: a Unix stream socket created with mode 0600
 * (an existing socket file there is replaced; any other file is an error). The stack's
 * um_run_once() serves it (it registers as a service, include/umptcp/stack.h). Returns 0
 * and *out, or -errno. */
int um_ctl_serve(struct um_stack *st, const char *path, struct um_ctl **out);
/* Stops serving: every client is closed and the path unlinked. */
void um_ctl_close(struct um_ctl *ctl);

#endif
