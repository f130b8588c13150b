/* The pieces of segment arrival shared by tcp_input.c (demultiplexing, checks, ACKs),
 * tcp_handshake.c (opening), tcp_child.c (a listener's children), tcp_syncookie.c,
 * tcp_seg.c (what they all use) and tcp_rcv.c (data and FIN). */
#ifndef UM_TCP_INPUT_INT_H
#define UM_TCP_INPUT_INT_H

#include "core/bytes.h"
#include "tcp/tcp.h"
#include "tcp/tcp_options.h"

/* A parsed arriving segment. */
struct tcp_seg {
        struct um_tcp_seg_info info;
        uint16_t sport, dport, wnd;
        struct tcp_opts o;
        const uint8_t *opt;
        unsigned optlen;
        int ifindex;
        const struct um_addr *src, *dst;
};

/* tcp_seg.c */
uint32_t tcp_seg_seqlen(const struct tcp_seg *s);
/* RFC 9293 §3.10.7.1: the reply to a segment that belongs to no connection. */
void tcp_reset_for(struct um_stack *st, const struct tcp_seg *s);
void tcp_challenge_ack(struct um_tcp_conn *c);
int tcp_dispatch_options(struct um_tcp_conn *c, const struct tcp_seg *s);

/* tcp_handshake.c */
/* A segment for a listener. Returns a connection that a SYN-cookie ACK just created, which
 * the caller processes the segment on, or NULL. */
struct um_tcp_conn *tcp_listen_input(struct um_tcp_conn *l, const struct tcp_seg *s);
/* Our SYN was acknowledged by s, which offers window wnd. */
void tcp_syn_acked(struct um_tcp_conn *c, const struct tcp_seg *s, uint32_t wnd);

/* Our SYN's answer (SYN/ACK, reset, or a simultaneous open's SYN). */
void tcp_synsent_input(struct um_tcp_conn *c, const struct tcp_seg *s);
void tcp_become_established(struct um_tcp_conn *c);
/* A child's handshake completed: it waits on the listener's accept queue. */
void tcp_accept_child(struct um_tcp_conn *c);

/* tcp_child.c */
/* Puts a new child in SYN_RECEIVED: SYN-queue accounting, the 4-tuple table, the
 * listener's ULP clone, the SYN's registered options (when given), the handshake step.
 * Returns -1 (child gone) if an extension refused it. */
int tcp_child_register(struct um_tcp_conn *l, struct um_tcp_conn *c, const struct tcp_seg *syn);
/* A child of a listener for the segment's 4-tuple, with the listener's settings. */
struct um_tcp_conn *tcp_child_new(struct um_tcp_conn *l, const struct tcp_seg *s);
/* Applies the options of a SYN or SYN/ACK: MSS, window scale, SACK, timestamps. */
void tcp_negotiate(struct um_tcp_conn *c, const struct tcp_seg *s, int passive);

/* tcp_syncookie.c */
void tcp_syncookie_send(struct um_tcp_conn *l, const struct tcp_seg *s);
struct um_tcp_conn *tcp_syncookie_ack(struct um_tcp_conn *l, const struct tcp_seg *s);

/* tcp_rcv.c */
void tcp_process_data(struct um_tcp_conn *c, const struct tcp_seg *s, int trim_all);
void tcp_note_duplicate(struct um_tcp_conn *c, uint32_t start, uint32_t end);

#endif
