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

#endif
