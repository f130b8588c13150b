/* Coupled congestion control (RFC 6356's LIA, OLIA, BALIA, wVegas): TCP congestion-control
 * modules that MPTCP registers with the stack (um_tcp_cc_register) and that read the other
 * subflows of the connection through the subflow's ULP context. TCP learns nothing of
 * MPTCP: to it they are modules like cubic and reno. On a connection that is no MPTCP
 * subflow, or a subflow alone, each behaves as Reno, to which they all reduce on one path.
 *
 * The arithmetic is in pure functions over an array of paths, so that unit tests can check
 * each algorithm's invariants on scripted windows, RTTs and losses. */
#ifndef UM_MPTCP_MPTCP_CC_H
#define UM_MPTCP_MPTCP_CC_H

#include <stdint.h>

struct um_stack;
struct um_tcp_conn;

/* One subflow as the coupled algorithms see it: window in segments, smoothed and lowest
 * RTT in seconds, OLIA's bytes between losses. */
struct mptcp_cc_path {
        double w, rtt, base_rtt;
        double inter_loss; /* OLIA's l_r: max(bytes between the last two losses, since the last) */
};

/* LIA (RFC 6356 §3): the window increase of path `r` per segment acknowledged, in segments:
 * min(alpha / w_total, 1 / w_r), alpha = w_total · max(w_i/rtt_i²) / (Σ w_i/rtt_i)². */
double mptcp_lia_alpha(const struct mptcp_cc_path *p, int n);
double mptcp_lia_increase(const struct mptcp_cc_path *p, int n, int r);

/* OLIA (Khalili et al., IEEE/ACM ToN 2013): the best paths B (largest l_r/rtt_r²), the paths
 * with the largest window M, and alpha_r: 1/(n·|B∖M|) for r in B∖M, −1/(n·|M|) for r in M
 * when B∖M is not empty, 0 otherwise. The increase per segment acknowledged:
 * (w_r/rtt_r²)/(Σ w_p/rtt_p)² + alpha_r/w_r. best[] and max[] (n each) say who is in B, M. */
void mptcp_olia_sets(const struct mptcp_cc_path *p, int n, int *best, int *max);
double mptcp_olia_alpha(const struct mptcp_cc_path *p, int n, int r);
double mptcp_olia_increase(const struct mptcp_cc_path *p, int n, int r);

/* BALIA (Peng, Walid, Hwang, Low, IEEE/ACM ToN 2016): with x_k = w_k/rtt_k and
 * alpha_r = max x_k / x_r, the increase per segment acknowledged is
 * x_r / (rtt_r · (Σ x_k)²) · (1 + alpha_r)/2 · (4 + alpha_r)/5, and a loss takes the
 * window to w_r · (1 − min(alpha_r, 1.5)/2), between a half and a quarter of it. */
double mptcp_balia_increase(const struct mptcp_cc_path *p, int n, int r);
double mptcp_balia_decrease_factor(const struct mptcp_cc_path *p, int n, int r);

/* wVegas (Cao, Xu, Fu, "Delay-based congestion control for multipath TCP", ICNP 2012):
 * once per RTT, path r's backlog diff_r = w_r · (rtt_r − base_rtt_r)/rtt_r (segments queued
 * in the network) is held at its share of the connection's total, alpha_r = weight_r ·
 * ALPHA_TOTAL with weight_r = x_r / Σ x_k: the window grows by one segment when diff_r <
 * alpha_r and shrinks by one when diff_r > alpha_r. Returns −1, 0 or +1. */
enum { MPTCP_WVEGAS_ALPHA_TOTAL = 10 };
double mptcp_wvegas_alpha(const struct mptcp_cc_path *p, int n, int r);
int mptcp_wvegas_step(const struct mptcp_cc_path *p, int n, int r);

/* Registers the four with the stack's TCP (mptcp_stack_init). */
int mptcp_cc_register(struct um_stack *st);

#endif
