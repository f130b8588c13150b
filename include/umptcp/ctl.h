/* A control socket: a stack serves path-manager commands and events, and its counters, to
 * other processes over a Unix stream socket, one JSON object per line (docs/CONTROL.md).
 * umptcp-ctl is its client; any program that writes JSON lines can be one. */
#ifndef UMPTCP_CTL_H
#define UMPTCP_CTL_H

#include <stddef.h>
#include <sys/types.h>

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

/* Who may use a control socket, besides its owner (the server's effective uid) and root. */
struct um_ctl_opts {
        unsigned mode; /* the socket file's permissions: 0 means 0600, or 0660 with a group */
        int group_set; /* members of `group` may use it too (primary or supplementary) */
        gid_t group;
};

/* Starts serving a control socket at path (NULL: um_ctl_default_path's, its directory
 * created if needed), a Unix stream socket with opts' mode (opts may be NULL), set
 * without the process's umask and without following a symlink at the path. A socket file
 * there that no server answers is replaced; one where a server answers is not
 * (-EADDRINUSE); any other file is an error (-EEXIST). A client that is not the server's
 * uid, root or (with group_set) of its group gets an EACCES line and is closed
 * (CtlClientsDenied). The stack's um_run_once() serves it (it registers as a service,
 * include/umptcp/stack.h). Returns 0 and *out, or -errno. */
int um_ctl_serve_opts(struct um_stack *st, const char *path, const struct um_ctl_opts *opts,
                      struct um_ctl **out);
/* um_ctl_serve_opts with mode 0600: its owner and root only. */
int um_ctl_serve(struct um_stack *st, const char *path, struct um_ctl **out);
/* The default path into buf: $XDG_RUNTIME_DIR/umptcp.sock (an absolute one), else for root
 * /run/umptcp/umptcp.sock (with create, /run/umptcp made 0755 if missing). Returns 0,
 * -ENOENT when there is none (another user without XDG_RUNTIME_DIR), -ENAMETOOLONG, or
 * -ENOTDIR when /run/umptcp is not root's directory that only root may write. */
int um_ctl_default_path(char *buf, size_t len, int create);
/* Stops serving: every client is closed and the path unlinked if it is still the socket
 * this service created. */
void um_ctl_close(struct um_ctl *ctl);

#endif
