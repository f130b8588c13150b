/* Multipath TCP (RFC 8684) for applications: socket options and info structures laid out
 * like Linux's <linux/mptcp.h>, and the knobs of the built-in path manager (endpoints and
 * limits, like `ip mptcp endpoint` / `ip mptcp limits`). A socket is MPTCP when created
 * with um_socket(st, AF_INET[6], SOCK_STREAM, IPPROTO_MPTCP). */
#ifndef UMPTCP_MPTCP_H
#define UMPTCP_MPTCP_H

#include <stdint.h>
#include <sys/socket.h>

#include <umptcp/socket.h>

struct um_stack;

#ifndef SOL_MPTCP
#define SOL_MPTCP 284
#endif

/* umptcp's own SOL_MPTCP option: the socket's packet scheduler by name (a string, as
 * TCP_CONGESTION takes one). Linux's SOL_MPTCP options are numbered from 1 (MPTCP_INFO) up;
 * this one sits far above them so that it never collides with one Linux adds. */
#define MPTCP_SCHEDULER 0x7501

#if !defined(_UAPI_MPTCP_H) && !defined(_MPTCP_H)
#define MPTCP_INFO          1
#define MPTCP_TCPINFO       2
#define MPTCP_SUBFLOW_ADDRS 3

#define MPTCP_INFO_FLAG_FALLBACK            (1u << 0)
#define MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED (1u << 1)

struct mptcp_info {
        uint8_t mptcpi_subflows;
        uint8_t mptcpi_add_addr_signal;
        uint8_t mptcpi_add_addr_accepted;
        uint8_t mptcpi_subflows_max;
        uint8_t mptcpi_add_addr_signal_max;
        uint8_t mptcpi_add_addr_accepted_max;
        uint32_t mptcpi_flags;
        uint32_t mptcpi_token;
        uint64_t mptcpi_write_seq;
        uint64_t mptcpi_snd_una;
        uint64_t mptcpi_rcv_nxt;
        uint8_t mptcpi_local_addr_used;
        uint8_t mptcpi_local_addr_max;
        uint8_t mptcpi_csum_enabled;
        uint32_t mptcpi_retransmits;
        uint64_t mptcpi_bytes_retrans;
        uint64_t mptcpi_bytes_sent;
        uint64_t mptcpi_bytes_received;
        uint64_t mptcpi_bytes_acked;
        uint8_t mptcpi_subflows_total;
        uint8_t reserved[3];
        uint32_t mptcpi_last_data_sent;
        uint32_t mptcpi_last_data_recv;
        uint32_t mptcpi_last_ack_recv;
};

/* Header of MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS: the caller sets size_subflow_data and
 * size_user; the stack fills num_subflows and size_kernel, then as many elements as fit. */
struct mptcp_subflow_data {
        uint32_t size_subflow_data;
        uint32_t num_subflows;
        uint32_t size_kernel;
        uint32_t size_user;
} __attribute__((aligned(8)));

struct mptcp_subflow_addrs {
        union {
                sa_family_t sa_family;
                struct sockaddr sa_local;
                struct sockaddr_in sin_local;
                struct sockaddr_in6 sin6_local;
                struct sockaddr_storage ss_local;
        };
        union {
                struct sockaddr sa_remote;
                struct sockaddr_in sin_remote;
                struct sockaddr_in6 sin6_remote;
                struct sockaddr_storage ss_remote;
        };
};
#endif

/* Endpoint flags, as Linux's MPTCP_PM_ADDR_FLAG_*. */
enum {
        UM_MPTCP_PM_SIGNAL = 1 << 0,
        UM_MPTCP_PM_SUBFLOW = 1 << 1,
        UM_MPTCP_PM_BACKUP = 1 << 2,
        UM_MPTCP_PM_FULLMESH = 1 << 3,
};

/* Adds a local address as an endpoint of the built-in path manager. With
 * UM_MPTCP_PM_SUBFLOW, a client opens a subflow from it to the server of every connection
 * (within the subflow limit). id 0 picks the next free ID. Returns the ID or -errno. */
int um_mptcp_endpoint_add(struct um_stack *st, const char *addr, unsigned flags, int id);
/* The same with a port, like `ip mptcp endpoint add ADDR port PORT signal`: connections
 * announce the address with that port (RFC 8684 §3.4.1) and take joins there, on a
 * listener that exists while some connection's announcement of it stands. A port needs
 * UM_MPTCP_PM_SIGNAL (-EINVAL otherwise, as Linux). With a port, the address may be the one
 * a connection arrived at: it is announced with that port, as Linux does (a server behind a
 * NAT load balancer, docs/DEPLOY.md). */
int um_mptcp_endpoint_add_port(struct um_stack *st, const char *addr, uint16_t port, unsigned flags,
                               int id);
/* Removes an endpoint, like `ip mptcp endpoint delete`: every connection closes its
 * subflows from that address and tells the peer with RM_ADDR. Returns 0 or -ENOENT. */
int um_mptcp_endpoint_del(struct um_stack *st, const char *addr);
/* Sets or clears an endpoint's backup flag, like `ip mptcp endpoint change ADDR backup`:
 * subflows from it tell the peer with MP_PRIO, and the scheduler uses them only when no
 * other subflow is usable. Returns 0 or -ENOENT. */
int um_mptcp_endpoint_set_backup(struct um_stack *st, const char *addr, int backup);
/* The same by ID, like `ip mptcp endpoint delete id ID`. Returns 0 or -ENOENT. */
int um_mptcp_endpoint_del_id(struct um_stack *st, int id);
/* Sets and clears flags of endpoint ID, like `ip mptcp endpoint change id ID backup|nobackup
 * fullmesh|nofullmesh` (only those two may change). Returns 0, -ENOENT or -EINVAL. */
int um_mptcp_endpoint_change(struct um_stack *st, int id, unsigned set, unsigned clear);
/* The index-th endpoint (0, 1, ...), like `ip mptcp endpoint show`: 0, or -ENOENT past the
 * last. */
struct um_mptcp_endpoint {
        struct sockaddr_storage addr; /* its port is the endpoint's (0: none) */
        int id;
        unsigned flags;
};
int um_mptcp_endpoint_get(const struct um_stack *st, int index, struct um_mptcp_endpoint *out);
/* Subflows beyond the first that a connection may have (Linux default 2, at most 8), and
 * ADD_ADDRs a connection accepts. Returns 0 or -EINVAL. */
int um_mptcp_limits_set(struct um_stack *st, unsigned subflows, unsigned add_addr_accepted);
void um_mptcp_limits_get(const struct um_stack *st, unsigned *subflows,
                         unsigned *add_addr_accepted);
/* Knobs named like the net.mptcp sysctls: "enabled", "checksum_enabled",
 * "allow_join_initial_addr_port" (booleans) and "add_addr_timeout" (seconds between
 * repeats of an ADD_ADDR not echoed, default 120). Returns 0, -ENOENT or -EINVAL. */
int um_mptcp_sysctl_set(struct um_stack *st, const char *name, int value);
/* The packet scheduler of new connections, like Linux's net.mptcp.scheduler: "default"
 * (Linux's), "minrtt", "roundrobin" (turns of `roundrobin_segments` segments, a knob of
 * um_mptcp_sysctl_set, 1-64, default 1), "redundant", "handover", "blest", "ecf"
 * (docs/ARCHITECTURE.md, "Schedulers"). Returns 0 or -ENOENT.
 * A socket chooses its own with setsockopt(SOL_MPTCP, MPTCP_SCHEDULER, name, strlen). */
int um_mptcp_scheduler_set(struct um_stack *st, const char *name);
const char *um_mptcp_scheduler(const struct um_stack *st);
/* The index-th scheduler's name (0, 1, ...; NULL past the last), like
 * net.mptcp.available_schedulers. */
const char *um_mptcp_scheduler_at(int index);
int um_mptcp_sysctl_get(const struct um_stack *st, const char *name, int *value);

#endif
