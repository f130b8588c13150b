/* BSD-style sockets over a stack instance. Calls never block inside the stack: they
 * return -1 with errno set (EAGAIN, EINPROGRESS, ...) like non-blocking POSIX sockets. */
#ifndef UMPTCP_SOCKET_H
#define UMPTCP_SOCKET_H

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct um_stack;

int um_socket(struct um_stack *st, int domain, int type, int protocol);
int um_bind(struct um_stack *st, int fd, const struct sockaddr *addr, socklen_t len);
int um_listen(struct um_stack *st, int fd, int backlog);
int um_accept(struct um_stack *st, int fd, struct sockaddr *addr, socklen_t *len);
int um_connect(struct um_stack *st, int fd, const struct sockaddr *addr, socklen_t len);
ssize_t um_send(struct um_stack *st, int fd, const void *buf, size_t len, int flags);
ssize_t um_recv(struct um_stack *st, int fd, void *buf, size_t len, int flags);
int um_shutdown(struct um_stack *st, int fd, int how);
int um_close(struct um_stack *st, int fd);
int um_setsockopt(struct um_stack *st, int fd, int level, int name, const void *val, socklen_t len);
int um_getsockopt(struct um_stack *st, int fd, int level, int name, void *val, socklen_t *len);
int um_getsockname(struct um_stack *st, int fd, struct sockaddr *addr, socklen_t *len);
int um_getpeername(struct um_stack *st, int fd, struct sockaddr *addr, socklen_t *len);

/* Readiness, as poll(2) revents: POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP. */
short um_sock_events(struct um_stack *st, int fd);
/* Fills revents for each entry; returns how many are ready. Never blocks. */
int um_poll(struct um_stack *st, struct pollfd *fds, int n);
/* Called from within um_stack_poll() when the socket's readiness may have changed: between
 * receive batches and at the end of the poll, never inside protocol processing, so the
 * callback may call any socket function (reading there keeps windows open). */
typedef void (*um_sock_cb)(struct um_stack *st, int fd, short revents, void *arg);
int um_sock_set_callback(struct um_stack *st, int fd, um_sock_cb cb, void *arg);

/* ---- Blocking helpers for simple tools: run the stack in real time. ---- */
/* Runs the stack (reading links, firing timers) until `fd` has any of `events` or
 * timeout_ms passes (-1: forever). Returns the revents, 0 on timeout. */
short um_wait(struct um_stack *st, int fd, short events, int timeout_ms);
/* Runs the stack in real time for up to timeout_ms, also waking when extra_fd is readable.
 * Returns 1 if extra_fd became readable, 0 otherwise. */
int um_run_once(struct um_stack *st, int extra_fd, int timeout_ms);

/* umptcp's own SOL_SOCKET option: what the socket is for, in the application's words, for
 * whoever watches the stack (umptcp-ctl show prints an MPTCP connection's on its line; a
 * relay says which kernel-side peer it carries). At most UM_SO_DESCRIPTION_MAX bytes of
 * printable ASCII (0x20 to 0x7e), with or without a closing NUL: anything else, a newline
 * above all, is EINVAL and leaves the old one, so that no application can forge lines or
 * escapes in what the watcher prints. Length 0 removes it. It is the socket's: set on a
 * listener it is not inherited, and it is gone with close(). getsockopt gives it back
 * NUL-terminated ("" when none; ERANGE when the buffer is too small). Numbered far above
 * Linux's SO_* options so that it never collides with one Linux adds. */
#define UM_SO_DESCRIPTION 0x7510
enum { UM_SO_DESCRIPTION_MAX = 127 };

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/* getsockopt(SOL_SOCKET, SO_MEMINFO), as Linux's (ss -m): uint32_t[UM_SK_MEMINFO_VARS] in
 * Linux's order; umptcp fills the bytes held for receiving (unread, and out of order: for an
 * MPTCP socket, at the data level), the receive buffer, the bytes held for sending (also as
 * queued) and the send buffer; the others are 0. */
#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif
enum {
        UM_SK_MEMINFO_RMEM_ALLOC,
        UM_SK_MEMINFO_RCVBUF,
        UM_SK_MEMINFO_WMEM_ALLOC,
        UM_SK_MEMINFO_SNDBUF,
        UM_SK_MEMINFO_FWD_ALLOC,
        UM_SK_MEMINFO_WMEM_QUEUED,
        UM_SK_MEMINFO_OPTMEM,
        UM_SK_MEMINFO_BACKLOG,
        UM_SK_MEMINFO_DROPS,
        UM_SK_MEMINFO_VARS,
};

#endif
