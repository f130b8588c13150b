/* The ULP: TCP's hooks on every subflow, MPTCP's entry points for what happens on one.
 * Each hands the segment (with the options parsed into it) or the event down: to the
 * options' functions, the handshakes, the data level. What a hook asks of the subflow it
 * was called on goes out when TCP has finished with it (output during input is deferred). */
#include "mptcp/mptcp.h"

#include <errno.h>
#include <stdlib.h>

/* The subflow's TCP handshake completed. */
static void established(struct mptcp_subflow *sf)
{
        struct mptcp_sock *msk = sf->msk;
        if (sf->rst_reason != MPTCP_RST_NONE) {
                mptcp_subflow_reset(sf, sf->rst_reason);
                return;
        }
        if (sf->is_join && sf->passive) {
                /* RFC 8684 §3.2: the fourth ACK, which lets the joiner send. */
                msk->ms->ctr.MPTcpExtMPJoinAckRx++;
                um_tcp_send_ack(sf->tcp);
        } else if (sf->is_join) {
                sf->join_ack_at = msk->st->now;
                mptcp_join_ack_rearm(msk);
                mptcp_event_sub(sf, UM_MPTCP_EVENT_SUB_ESTABLISHED, 0);
        } else if (!sf->passive) {
                msk->state = MPTCP_ESTABLISHED;
                if (msk->fallback)
                        mptcp_pm_established(msk);
        }
        mptcp_msk_wake(msk);
}

static void ulp_handshake(struct um_tcp_conn *c, enum um_tcp_hs_step step,
                          const struct um_tcp_seg_info *seg)
{
        struct mptcp_subflow *sf = mptcp_subflow_of(c);
        struct mptcp_sock *msk = sf->msk;
        const struct mptcp_opts *o = mptcp_seg_opts(mptcp_stack_of(um_tcp_stack(c)), seg);
        switch (step) {
        case UM_TCP_HS_SYN_SENT:
                if (msk && !msk->fallback && !sf->is_join)
                        msk->ms->ctr.MPTcpExtMPCapableSYNTX++;
                break;
        case UM_TCP_HS_SYN_RECEIVED:
                mptcp_accept_syn(sf, o);
                break;
        case UM_TCP_HS_SYN_COOKIE:
                mptcp_accept_syn_cookie(sf, o);
                break;
        case UM_TCP_HS_COOKIE_ACK:
                sf->cookie = 1;
                sf->passive = 1;
                break;
        case UM_TCP_HS_SYNACK_RECEIVED:
                if (msk)
                        mptcp_synack_in(sf, o);
                break;
        case UM_TCP_HS_ESTABLISHED:
                if (msk)
                        established(sf);
                break;
        }
}

static int ulp_clone(struct um_tcp_conn *listener, struct um_tcp_conn *child)
{
        struct mptcp_subflow *sf = mptcp_subflow_new(child);
        if (!sf)
                return -ENOMEM;
        sf->join_only = mptcp_subflow_of(listener)->join_only;
        return 0;
}

static void ulp_segment_in(struct um_tcp_conn *c, const struct um_tcp_seg_info *seg)
{
        struct mptcp_subflow *sf = mptcp_subflow_of(c);
        const struct mptcp_opts *o = mptcp_seg_opts(mptcp_stack_of(um_tcp_stack(c)), seg);
        if (!sf->msk && sf->passive && um_tcp_state(c) == UM_TCP_SYN_RECEIVED &&
            mptcp_accept_complete(sf, o) < 0)
                return;
        struct mptcp_sock *msk = sf->msk;
        if (msk && mptcp_options_in(sf, o, seg) && !msk->fallback &&
            um_tcp_state(c) != UM_TCP_CLOSED)
                mptcp_push(msk);
}

static void ulp_rst_received(struct um_tcp_conn *c, const struct um_tcp_seg_info *seg)
{
        struct mptcp_subflow *sf = mptcp_subflow_of(c);
        if (sf->msk)
                mptcp_rst_in(sf, mptcp_seg_opts(mptcp_stack_of(um_tcp_stack(c)), seg));
}

static void ulp_data_ready(struct um_tcp_conn *c, uint32_t seq, uint32_t len)
{
        (void)seq;
        (void)len;
        struct mptcp_subflow *sf = mptcp_subflow_of(c);
        if (sf->msk)
                mptcp_subflow_data_ready(sf);
}

static void ulp_acked(struct um_tcp_conn *c, uint32_t snd_una, uint32_t bytes)
{
        (void)snd_una;
        (void)bytes;
        struct mptcp_subflow *sf = mptcp_subflow_of(c);
        if (sf->msk)
                mptcp_subflow_acked(sf);
}

static void ulp_write_space(struct um_tcp_conn *c)
{
        struct mptcp_subflow *sf = mptcp_subflow_of(c);
        if (sf->msk && !sf->msk->fallback)
                mptcp_push(sf->msk);
}

static void ulp_state_change(struct um_tcp_conn *c, int old_state, int new_state)
{
        (void)old_state;
        struct mptcp_subflow *sf = mptcp_subflow_of(c);
        struct mptcp_sock *msk = sf->msk;
        if (!msk)
                return;
        if (new_state == UM_TCP_CLOSED)
                mptcp_subflow_closed(sf);
        else if (um_tcp_fin_received(c))
                mptcp_rcv_pull_all(msk); /* a FIN without data: the end of a fallback stream */
        mptcp_msk_wake(msk);
}

static uint32_t ulp_tx_limit(struct um_tcp_conn *c, uint32_t seq, uint32_t len)
{
        struct mptcp_subflow *sf = mptcp_subflow_of(c);
        return sf->msk ? mptcp_tx_limit(sf, seq, len) : len;
}

/* A listener's subflow whose initiator's key has not arrived yet (the third ACK and first
 * data lost, later data here): an ACK from it could carry no MPTCP option, which a Linux
 * initiator takes for a middlebox and falls back, while we would not. */
static int key_pending(const struct mptcp_subflow *sf)
{
        const struct mptcp_sock *msk = sf->msk;
        return sf->passive && sf->mp_capable && !sf->is_join && !msk->fallback &&
               !msk->remote_key_known;
}

static void ulp_segment_out(struct um_tcp_conn *c, struct um_tcp_seg_info *seg)
{
        struct mptcp_subflow *sf = mptcp_subflow_of(c);
        if (!sf->msk || (seg->flags & (UM_TH_SYN | UM_TH_RST)))
                return;
        if (key_pending(sf)) {
                seg->withhold = 1; /* mptcp_accept_mpc_ack acknowledges once the key comes */
                return;
        }
        mptcp_segment_out(sf, seg);
}

static uint32_t ulp_rcv_space(struct um_tcp_conn *c, uint32_t free)
{
        struct mptcp_subflow *sf = mptcp_subflow_of(c);
        if (!sf->msk || sf->msk->fallback)
                return free;
        uint32_t room = mptcp_rcv_space(sf->msk);
        return room < free ? room : free;
}

static void ulp_release(struct um_tcp_conn *c)
{
        struct mptcp_subflow *sf = mptcp_subflow_of(c);
        struct mptcp_sock *msk = sf->msk;
        if (msk) {
                mptcp_msk_detach(sf);
                mptcp_msk_maybe_free(msk);
        }
        um_recq_free(&sf->tx);
        free(sf->rx);
        free(sf);
}

const struct um_tcp_ulp_ops mptcp_subflow_ulp = {
    .name = "mptcp",
    .clone = ulp_clone,
    .handshake = ulp_handshake,
    .segment_in = ulp_segment_in,
    .data_ready = ulp_data_ready,
    .acked = ulp_acked,
    .state_change = ulp_state_change,
    .rst_received = ulp_rst_received,
    .write_space = ulp_write_space,
    .tx_limit = ulp_tx_limit,
    .rcv_space = ulp_rcv_space,
    .segment_out = ulp_segment_out,
    .release = ulp_release,
};
