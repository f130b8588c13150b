/* Two stacks joined by one emulated path with an established connection, for tests
 * that act on a connection step by step (inject segments, pause, cut the link). */
#ifndef UMPTCP_TEST_PAIR_H
#define UMPTCP_TEST_PAIR_H

#include <stdint.h>
#include <stdio.h>
#include <umptcp/link.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

struct pair {
        struct um_stack *cli, *srv;
        struct um_link *lc, *ls;
        int lfd, cfd, sfd;
        uint64_t now;
};

/* Builds the pair (client 10.0.0.1, server 10.0.0.2:5001) and connects; returns 0. */
int pair_open(struct pair *p, const struct um_emu_dir_config *fwd,
              const struct um_emu_dir_config *rev, uint64_t seed);
/* Runs virtual time forward by `us`. */
/* The same with IPPROTO_MPTCP (or any protocol) sockets. */
int pair_open_proto(struct pair *p, const struct um_emu_dir_config *fwd,
                    const struct um_emu_dir_config *rev, uint64_t seed, int proto);
void pair_run(struct pair *p, uint64_t us);
void pair_close(struct pair *p);

/* Two hosts joined by two emulated paths (1 Gbit/s, 1 ms): "relay" with 10.0.1.1 and
 * 10.0.2.1 (links[0], links[2]), "far" with 10.0.1.2 and 10.0.2.2 (links[1], links[3]); the
 * relay opens its second path's subflow from 10.0.2.1. The relay's stack logs to log (NULL:
 * stderr). Returns 0, or -1 when a piece could not be made. */
int pair_two_paths(struct um_stack **relay, struct um_stack **far, struct um_link *links[4],
                   uint64_t seed, FILE *log);

#endif
