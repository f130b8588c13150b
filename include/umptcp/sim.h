/* Simulation: stacks over emulated links in virtual time, and a verified bulk transfer. */
#ifndef UMPTCP_SIM_H
#define UMPTCP_SIM_H

#include <stdint.h>
#include <stdio.h>

#include <umptcp/link.h>

struct um_stack;

/* Advances virtual time from *now, polling every stack at each event, until `done(arg)`
 * returns non-zero or time reaches `until`. Returns 1 if done, 0 on time limit, -1 when
 * nothing is left to happen (deadlock). */
int um_sim_run(struct um_stack **stacks, int n, uint64_t *now, uint64_t until,
               int (*done)(void *arg), void *arg);

/* Paths between the two stacks of a transfer: the first and up to 7 more (MPTCP's 8
 * subflows, Linux's limit). */
enum { UM_SIM_MAX_PATHS = 8 };

struct um_sim_path {
        struct um_emu_dir_config fwd, rev; /* client->server, server->client */
        uint32_t mtu;                      /* 0: 1500 */
};

struct um_sim_transfer_cfg {
        uint64_t seed;
        uint64_t bytes;         /* client -> server */
        uint64_t reverse_bytes; /* server -> client, at the same time */
        int ipv6;
        int protocol; /* IPPROTO_TCP (default) or IPPROTO_MPTCP */
        struct um_sim_path path;
        /* More paths between the two stacks (path k: 10.0.k.1 - 10.0.k.2, fd00:k::1 -
         * fd00:k::2). With MPTCP the client's extra addresses are `subflow` endpoints, and
         * both sides allow that many joins. */
        struct um_sim_path more_paths[UM_SIM_MAX_PATHS - 1];
        int n_more_paths;
        int server_signal; /* the server announces its extra addresses (`signal` endpoints) and
                              the client takes them up, instead of `subflow` endpoints */
        int server_mptcp_disabled;    /* the server's net.mptcp.enabled = 0 */
        int checksum;                 /* the client asks for DSS checksums */
        const char *cc;               /* NULL: the default (cubic) */
        const char *scheduler;        /* both stacks' (um_mptcp_scheduler_set); NULL: default */
        uint32_t sndbuf, rcvbuf;      /* 0: auto-tuned */
        uint32_t app_read_chunk;      /* receiver reads at most this much per wake-up (0: 64 KB) */
        uint64_t read_pause_until_us; /* receiver reads nothing before this virtual time */
        uint64_t time_limit_us;       /* 0: 600 s of virtual time */
        /* A writer with nothing to read closes its socket (close(), not shutdown()) as soon
         * as the last byte is queued: the stack must still deliver all of it. */
        int close_when_written;
        um_emu_middlebox_fn middlebox; /* on every path */
        void *middlebox_arg;
        FILE *timeline; /* per-second lines, or NULL */
        /* Called after every step with both stacks and sockets (sfd is -1 until accepted). */
        void (*on_step)(void *arg, struct um_stack *cli, int cfd, struct um_stack *srv, int sfd,
                        uint64_t now);
        void *step_arg;
        /* Called once both stacks exist, before any socket: knobs a test needs set. */
        void (*on_setup)(void *arg, struct um_stack *cli, struct um_stack *srv);
        uint64_t mark_at_us; /* when to note path_bytes_at_mark (0: never) */
        const char *pcap;    /* capture of the client's link, or NULL */
        int log_level;
};

struct um_sim_transfer_result {
        int completed; /* both directions delivered and closed */
        int verified;  /* SHA-256 of what was sent equals what arrived, both ways */
        uint64_t received, reverse_received;
        double seconds;     /* virtual time from connect to completion */
        double goodput_bps; /* client -> server payload rate */
        uint64_t retrans_segs, timeouts;
        uint64_t link_drops; /* packets the emulated path dropped, both directions */
        uint64_t path_packets[UM_SIM_MAX_PATHS][2]; /* per path: packets sent client->server,
                                                       server->client */
        uint64_t path_bytes[UM_SIM_MAX_PATHS];      /* per path: bytes delivered client->server */
        uint64_t path_bytes_at_mark[UM_SIM_MAX_PATHS]; /* the same at mark_at_us */
        int client_error, server_error;
        char failure[96]; /* the first call that failed ("server recv: ..."), or "" */
        char digest_sent[65], digest_received[65];
};

/* Runs one transfer between two fresh stacks (client 10.0.0.1 / fd00::1, server 10.0.0.2 /
 * fd00::2) and fills res. Returns 0 if it completed and verified, -1 otherwise. */
int um_sim_transfer(const struct um_sim_transfer_cfg *cfg, struct um_sim_transfer_result *res);

/* ---- A network: hosts (each a stack) and routers joined by emulated links ----
 * Shared bottlenecks, competing flows, per-link queues in bytes or packets, rate and delay
 * traces, loss and outages: whatever um_emu_dir_config gives a link. Routers forward by
 * destination address along the fewest hops (routes computed when the run starts); hosts
 * route by source address, so a multihomed MPTCP host's subflows take their own links.
 * Flows are verified bulk transfers (SHA-256) from a client host to a server host, TCP or
 * MPTCP (the client's other addresses are its subflow endpoints), each with its start time,
 * size, congestion control and scheduler. Everything runs in virtual time: a seed gives
 * the same run. */
struct um_sim_net;
enum { UM_SIM_NET_NODES = 32, UM_SIM_NET_LINKS = 64, UM_SIM_NET_FLOWS = 64 };

struct um_sim_net *um_sim_net_new(uint64_t seed);
void um_sim_net_free(struct um_sim_net *net);
/* A host (a stack of its own) or a router, by name (at most 15 characters, unique).
 * Returns its id (>= 0) or -errno. */
int um_sim_net_host(struct um_sim_net *net, const char *name);
int um_sim_net_router(struct um_sim_net *net, const char *name);
/* The node of that name, or -ENOENT. */
int um_sim_net_node(const struct um_sim_net *net, const char *name);
/* Joins nodes a and b: ab configures a->b, ba b->a. A host's end gets an interface with
 * the address given ("10.1.0.1/24"); a router's end takes NULL. Returns the link's id or
 * -errno. */
int um_sim_net_link(struct um_sim_net *net, int a, const char *a_addr, int b, const char *b_addr,
                    const struct um_emu_dir_config *ab, const struct um_emu_dir_config *ba,
                    uint32_t mtu);
struct um_stack *um_sim_net_stack(struct um_sim_net *net, int host);

struct um_sim_flow {
        const char *name;
        int client, server;      /* hosts */
        const char *server_addr; /* one of the server's addresses */
        int protocol;            /* IPPROTO_TCP or IPPROTO_MPTCP */
        uint64_t bytes;
        uint64_t start_us;
        const char *cc, *scheduler; /* NULL: the stack's default */
        uint32_t rcvbuf;            /* the receiver's SO_RCVBUF (0: auto-tuned) */
};
/* Adds a flow (its strings are copied). Returns its id or -errno. */
int um_sim_net_flow(struct um_sim_net *net, const struct um_sim_flow *flow);

/* Runs until every flow is over (returns 1), until `until_us` (0) or until nothing is left
 * to happen (-1). tick, when given, is called every tick_us of virtual time. */
int um_sim_net_run(struct um_sim_net *net, uint64_t until_us, uint64_t tick_us,
                   void (*tick)(void *arg, struct um_sim_net *net, uint64_t now), void *arg);

enum { UM_SIM_FLOW_SUBFLOWS = 8 };
struct um_sim_flow_result {
        int completed, verified;
        uint64_t received;
        uint64_t start_us, end_us; /* the connect, the last byte read */
        double goodput_bps;        /* received over (end - start) */
        /* The application-level delay of each byte, from the write that took it to the read
         * that gave it in order: mean and quantiles, microseconds. */
        double delay_mean_us, delay_p50_us, delay_p95_us, delay_p99_us;
        uint64_t retrans_segs; /* the client's, all subflows */
        /* Data the server's stack received twice and dropped (MPTcpExtDuplicateData; the
         * stack's, shared by the flows it serves). */
        uint64_t server_duplicates;
        /* The receiver's buffer occupancy (SO_MEMINFO: unread and out-of-order bytes, at
         * the data level for MPTCP): its peak, and its mean over the flow's life. */
        uint64_t rcv_mem_max;
        double rcv_mem_mean;
        /* As the client closed: each subflow's local address and data-level bytes sent. */
        int n_subflows;
        struct {
                char local[48]; /* "10.1.0.1" */
                uint64_t bytes_sent;
        } subflows[UM_SIM_FLOW_SUBFLOWS];
};
int um_sim_net_flow_result(const struct um_sim_net *net, int flow, struct um_sim_flow_result *out);
/* A flow's subflows now (one for TCP), while its client's socket is open: their local
 * address, data-level bytes sent, congestion window (bytes) and smoothed RTT. Returns how
 * many (0 before the connection or after the close). */
struct um_sim_subflow_now {
        char local[48];
        uint64_t bytes_sent;
        uint32_t cwnd;
        uint64_t srtt_us;
};
int um_sim_net_flow_subflows(const struct um_sim_net *net, int flow, struct um_sim_subflow_now *out,
                             int max);
/* Bytes a flow's server has read so far (for throughput over time, from a tick). */
uint64_t um_sim_net_flow_received(const struct um_sim_net *net, int flow);
/* A link's counters, direction a->b (dir 0) or b->a (1); NULL for no such link. */
const struct um_emu_stats *um_sim_net_link_stats(const struct um_sim_net *net, int link, int dir);

#endif
