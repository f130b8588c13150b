/* Scripts for exact-segment tests: the segments a peer sends to open, join, feed and
 * acknowledge TCP and MPTCP connections of the stack under test (seg_peer.h), shared by
 * the test_segments*.c files. The peer's port is PORT; its ISN PEER_ISN. */
#ifndef UMPTCP_TEST_SEG_SCRIPT_H
#define UMPTCP_TEST_SEG_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "seg_peer.h"

enum { PORT = 5001, PEER_ISN = 1000000 };

/* An MPTCP connection the scripted peer opened to the stack's listener: the peer is the
 * initiator A, the stack B. Sequence numbers are what each side sends next. */
struct mpc_conn {
        int lfd, fd;
        uint64_t key_a, key_b, idsn_a, idsn_b;
        uint32_t seq_a, seq_b; /* next subflow sequence numbers */
        uint64_t dsn_a;        /* next data sequence number from A */
};

/* A listening socket of protocol proto (IPPROTO_TCP, IPPROTO_MPTCP) on PORT. */
int listen_backlog(struct seg_peer *p, int proto, int backlog);

int listen_on(struct seg_peer *p, int proto); /* backlog 8 */

/* Whether the MPTCP socket fd says its connection fell back to TCP. */
int fell_back(struct um_stack *st, int fd);

/* A segment from the peer's port to the stack's PORT. */
struct seg to_stack(uint32_t seq, uint32_t ack, uint8_t flags);

/* A segment from the peer's listening port to the stack's connection that sent syn. */
struct seg to_initiator(const struct seg *syn, uint32_t seq, uint32_t ack, uint8_t flags);

/* Appends MP_CAPABLE of length len (MPC_LEN_*) with flag H and the keys given. */
void add_mpc(struct seg *s, unsigned len, uint64_t sndr, uint64_t rcvr);

/* A test pattern. */
void fill(uint8_t *b, size_t n, uint8_t salt);

/* The two halves of an MPTCP handshake the peer initiates on the listener lfd: its SYN
 * (the stack's SYN/ACK read, the keys learnt), then its third ACK, offering window wnd (0:
 * the largest). */
void mpc_handshake_start(struct seg_peer *p, struct mpc_conn *m, int lfd);
void mpc_handshake_finish(struct seg_peer *p, const struct mpc_conn *m, uint16_t wnd);

/* Both, on a listener already there (lfd), and the connection accepted. */
void mpc_open_on(struct seg_peer *p, struct mpc_conn *m, int lfd, uint16_t wnd);

/* The same on a new MPTCP listener. */
void mpc_open(struct seg_peer *p, struct mpc_conn *m);
/* Closes the connection and its listener, then the peer. */
void mpc_close(struct seg_peer *p, struct mpc_conn *m);

/* A join SYN from port sport for the stack's connection (never completed). */
struct seg join_syn_seg(const struct mpc_conn *m, uint16_t sport, uint32_t nonce);

/* The next segment the stack sends to the peer's port `port` within `us` (others skipped). */
int wait_to(struct seg_peer *p, struct seg *out, uint16_t port, uint64_t us);

/* A whole join from port sport (RFC 8684 §3.2), its HMACs checked both ways. Returns 1 when
 * the stack answered the third ACK with the fourth, 0 when it reset the join. */
int join_open(struct seg_peer *p, const struct mpc_conn *m, uint16_t sport);
/* The same in two halves: the SYN and the stack's SYN/ACK (its HMAC checked), then the
 * third ACK and the stack's answer. */
struct join_half {
        uint16_t sport;
        uint32_t r_a, r_b, synack_seq;
};
void join_begin(struct seg_peer *p, const struct mpc_conn *m, uint16_t sport, struct join_half *j);
int join_end(struct seg_peer *p, const struct mpc_conn *m, const struct join_half *j);

/* Data from A under a DSS mapping (with a DATA_ACK of all of B's data), or B's DATA_FIN
 * when fin is set and len is 0. */
void mpc_send(struct seg_peer *p, struct mpc_conn *m, const char *data, int fin);

/* The stack connects out over MPTCP to the peer, which answers as a listener with an
 * MP_CAPABLE SYN/ACK. Returns the socket; syn is the stack's SYN. */
int mpc_connect_out(struct seg_peer *p, struct seg *syn);

/* A pure ACK from the peer acknowledging data and window, carrying a DATA_ACK. */
void mpc_ack(struct seg_peer *p, const struct mpc_conn *m, uint32_t acked, uint16_t wnd);

#endif
