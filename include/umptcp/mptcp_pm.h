/* The path-manager interface: the engine executes, a path manager decides. It is Linux's
 * generic-netlink family `mptcp_pm` in C — the same events with the same attributes, the
 * same commands — for a manager in the same process; the control socket (docs/CONTROL.md)
 * carries the same to one in another process. The built-in manager (endpoints and limits,
 * like Linux's in-kernel one) is one user of this interface.
 *
 * Which manager runs is the stack's `path_manager` knob, named like Linux's sysctl:
 * "kernel" (the built-in one, the default) or "userspace", in which the engine announces
 * nothing and opens no subflow on its own. As Linux's userspace manager does, it then
 * accepts a peer's joins (up to MPTCP's limit of subflows per connection, not the
 * configured limits) only while some manager is subscribed to the events, echoes the
 * peer's ADD_ADDRs and reports them, and takes up none. */
#ifndef UMPTCP_MPTCP_PM_H
#define UMPTCP_MPTCP_PM_H

#include <stdint.h>
#include <sys/socket.h>
#include <umptcp/socket.h>

struct um_stack;

/* Event types, with Linux's values (enum mptcp_event_type). */
enum um_mptcp_event_type {
        UM_MPTCP_EVENT_CREATED = 1,
        UM_MPTCP_EVENT_ESTABLISHED = 2,
        UM_MPTCP_EVENT_CLOSED = 3,
        UM_MPTCP_EVENT_ANNOUNCED = 6,
        UM_MPTCP_EVENT_REMOVED = 7,
        UM_MPTCP_EVENT_SUB_ESTABLISHED = 10,
        UM_MPTCP_EVENT_SUB_CLOSED = 11,
        UM_MPTCP_EVENT_SUB_PRIORITY = 13,
        UM_MPTCP_EVENT_LISTENER_CREATED = 15,
        UM_MPTCP_EVENT_LISTENER_CLOSED = 16,
};

/* Which attributes an event carries (Linux's mptcp_event_attr, as bits). */
enum {
        UM_MPTCP_ATTR_TOKEN = 1 << 0,
        UM_MPTCP_ATTR_FAMILY = 1 << 1,
        UM_MPTCP_ATTR_LOC_ID = 1 << 2,
        UM_MPTCP_ATTR_REM_ID = 1 << 3,
        UM_MPTCP_ATTR_SADDR = 1 << 4, /* saddr4 or saddr6, by family */
        UM_MPTCP_ATTR_DADDR = 1 << 5, /* daddr4 or daddr6 */
        UM_MPTCP_ATTR_SPORT = 1 << 6,
        UM_MPTCP_ATTR_DPORT = 1 << 7,
        UM_MPTCP_ATTR_BACKUP = 1 << 8,
        UM_MPTCP_ATTR_ERROR = 1 << 9,
        UM_MPTCP_ATTR_FLAGS = 1 << 10,
        UM_MPTCP_ATTR_TIMEOUT = 1 << 11,
        UM_MPTCP_ATTR_IF_IDX = 1 << 12,
        UM_MPTCP_ATTR_RESET_REASON = 1 << 13,
        UM_MPTCP_ATTR_RESET_FLAGS = 1 << 14,
        UM_MPTCP_ATTR_SERVER_SIDE = 1 << 15,
};

/* The FLAGS attribute of CREATED and ESTABLISHED (Linux's MPTCP_PM_EV_FLAG_*). */
enum {
        UM_MPTCP_EVENT_FLAG_DENY_JOIN_ID0 = 1 << 0,
        UM_MPTCP_EVENT_FLAG_SERVER_SIDE = 1 << 1,
};

struct um_mptcp_event {
        enum um_mptcp_event_type type;
        unsigned attrs; /* UM_MPTCP_ATTR_*: what is set below */
        uint32_t token; /* the connection's own token (of its local key) */
        int family;     /* AF_INET or AF_INET6 */
        uint8_t loc_id, rem_id;
        uint8_t saddr[16], daddr[16]; /* network order; an IPv4 address in the first 4 */
        uint16_t sport, dport;        /* host order */
        uint8_t backup;
        uint8_t error; /* SUB_CLOSED: the subflow's error (an errno), if it had one */
        uint16_t flags;
        uint32_t timeout;
        uint32_t if_idx;
        uint32_t reset_reason, reset_flags; /* SUB_CLOSED after MP_TCPRST (RFC 8684 §3.6) */
        uint8_t server_side;
};

/* The name of an event type in lower case as the control socket writes it ("created",
 * "sub_established", ...), or NULL. */
const char *um_mptcp_event_name(enum um_mptcp_event_type type);

/* Events are delivered after the poll that produced them, never inside the protocol's
 * processing: a callback may give any command. None is dropped (the queue grows; only a
 * failed allocation loses one, counted in MPTcpExtPmEventDrops); a peer's repeated
 * announcements are reported once, and at most UM_MPTCP_ANNOUNCE_BURST new ones per
 * connection at once, then one per UM_MPTCP_ANNOUNCE_INTERVAL_MS (the rest are not echoed,
 * so the peer repeats them). Returns a handle > 0 or -errno. */
enum { UM_MPTCP_ANNOUNCE_BURST = 8, UM_MPTCP_ANNOUNCE_INTERVAL_MS = 1000 };
typedef void (*um_mptcp_event_fn)(struct um_stack *st, const struct um_mptcp_event *ev, void *arg);
int um_mptcp_pm_subscribe(struct um_stack *st, um_mptcp_event_fn fn, void *arg);
void um_mptcp_pm_unsubscribe(struct um_stack *st, int handle);

/* "kernel" or "userspace" (Linux's net.mptcp.path_manager). Returns 0 or -EINVAL. A change
 * applies to connections created afterwards. */
int um_mptcp_path_manager_set(struct um_stack *st, const char *name);
const char *um_mptcp_path_manager(const struct um_stack *st);

/* ---- Commands: the userspace manager's (Linux's ANNOUNCE, REMOVE, SUBFLOW_CREATE,
 * SUBFLOW_DESTROY, SET_FLAGS with a token). Each takes the connection's token as events
 * report it and returns 0 or -errno: -ENOENT for an unknown token or subflow, -EINVAL for
 * an impossible request, -EBUSY when the connection cannot take it now (not yet
 * established, fallen back to TCP, closing), -ENOSPC beyond MPTCP's limits. ---- */

/* An address to announce or join from or to. Port 0: the connection's port (announce) or
 * any free port (a subflow's local side). */
struct um_mptcp_pm_addr {
        struct sockaddr_storage addr; /* sockaddr_in or sockaddr_in6; its port is used */
        uint8_t id;                   /* address ID (RFC 8684 §3.4.1) */
};

/* ADD_ADDR of a local address with its ID (1-255), repeated until echoed. */
int um_mptcp_pm_announce(struct um_stack *st, uint32_t token, const struct um_mptcp_pm_addr *local);
/* RM_ADDR of an ID announced or used; this side's subflows from it close. */
int um_mptcp_pm_remove(struct um_stack *st, uint32_t token, uint8_t loc_id);
/* A new subflow (MP_JOIN) from local to remote (whose port 0 means the connection's). */
int um_mptcp_pm_subflow_create(struct um_stack *st, uint32_t token,
                               const struct um_mptcp_pm_addr *local, const struct sockaddr *remote,
                               int backup);
/* Closes the subflow with these addresses and ports. */
int um_mptcp_pm_subflow_destroy(struct um_stack *st, uint32_t token, const struct sockaddr *local,
                                const struct sockaddr *remote);
/* MP_PRIO on the subflow with these addresses and ports (RFC 8684 §3.3.8). */
int um_mptcp_pm_set_backup(struct um_stack *st, uint32_t token, const struct sockaddr *local,
                           const struct sockaddr *remote, int backup);

/* ---- What a manager may read: the connections and their subflows (like ss -Mti) ---- */

struct um_mptcp_subflow_info {
        uint8_t loc_id, rem_id;
        uint8_t backup, peer_backup; /* ours (we sent MP_PRIO or joined so), the peer's */
        struct sockaddr_storage local, remote;
        int state; /* enum um_tcp_state (include/umptcp/tcp_ext.h) */
        uint64_t srtt_us;
        uint32_t cwnd;                       /* bytes */
        uint64_t bytes_sent, bytes_received; /* data-level bytes it carried */
};

enum { UM_MPTCP_SHOW_SUBFLOWS = 8 };
struct um_mptcp_conn_info {
        uint32_t token;
        int server_side, fallback;
        struct sockaddr_storage local, remote; /* the first subflow's */
        uint64_t bytes_sent, bytes_received, bytes_retrans;
        int n_subflows;
        struct um_mptcp_subflow_info subflows[UM_MPTCP_SHOW_SUBFLOWS];
        /* Its socket's UM_SO_DESCRIPTION; "" without one, and once the socket is closed. */
        char description[UM_SO_DESCRIPTION_MAX + 1];
};

/* Calls fn for each connection that has a token (MPTCP negotiated), newest first; returns
 * how many. */
int um_mptcp_connections(struct um_stack *st,
                         void (*fn)(const struct um_mptcp_conn_info *ci, void *arg), void *arg);
/* Calls fn for the connection with that token, found through the token table (not a walk
 * of every connection); returns 0, or -ENOENT when none has it. */
int um_mptcp_connection(struct um_stack *st, uint32_t token,
                        void (*fn)(const struct um_mptcp_conn_info *ci, void *arg), void *arg);

#endif
