/* What the coupled modules' files share (mptcp_cc.c); the algorithms' arithmetic is in
 * mptcp_cc.h. */
#ifndef UM_MPTCP_MPTCP_CC_INT_H
#define UM_MPTCP_MPTCP_CC_INT_H

#include "mptcp/mptcp_cc.h"

#include <umptcp/tcp_ext.h>

struct mptcp_cc_ops_tag; /* a module's ops, as the tag its connections carry */

/* Each connection's state under a coupled module, in TCP's private area for its module. */
struct mptcp_cc_priv {
        const struct mptcp_cc_ops_tag *tag; /* the module it was set up by */
        double frac;                        /* growth not yet a whole byte */
        uint64_t since_loss, between;       /* bytes acknowledged since the last loss, and
                                               between the last two (OLIA's l_r) */
        uint64_t round_end_us;              /* wVegas: the end of the current RTT */
};
_Static_assert(sizeof(struct mptcp_cc_priv) <= UM_TCP_CC_PRIV, "fits TCP's private area");

struct mptcp_cc_priv *mptcp_cc_priv(struct um_tcp_conn *c);
/* The connection's established subflows as paths (c's own at *self), or c alone when it is
 * no MPTCP subflow. Returns how many. */
int mptcp_cc_gather(struct um_tcp_conn *c, const struct mptcp_cc_ops_tag *tag,
                    struct mptcp_cc_path *p, int *self);
/* Moves the window by a number of bytes (negative: down), keeping the fraction. */
void mptcp_cc_grow(struct um_tcp_conn *c, double bytes);
/* Counts acknowledged bytes for the loss record and runs slow start below ssthresh;
 * returns the bytes left for congestion avoidance. */
uint32_t mptcp_cc_acked(struct um_tcp_conn *c, uint32_t acked);
/* A loss: the new ssthresh, the window times factor (at least two segments). */
uint32_t mptcp_cc_loss(struct um_tcp_conn *c, double factor);
/* The on_ack of a module whose window grows by increase() per segment acknowledged (after
 * slow start), and the ssthresh of one that halves the window on a loss. */
void mptcp_cc_coupled_ack(struct um_tcp_conn *c, uint32_t acked, void *arg,
                          double (*increase)(const struct mptcp_cc_path *p, int n, int r));
uint32_t mptcp_cc_halve(struct um_tcp_conn *c, void *arg);
void mptcp_cc_init(struct um_tcp_conn *c, void *arg);

extern const struct um_tcp_cc_ops mptcp_cc_lia, mptcp_cc_olia, mptcp_cc_balia, mptcp_cc_wvegas;

#endif
