/* Subflows: the ULP that TCP calls on each subflow, and the kind-30 option handler. Here
 * live the handshakes (RFC 8684 §3.1 MP_CAPABLE, §3.2 MP_JOIN), the fallback decisions of
 * §3.7, and the signals that ride on subflow segments (MP_FASTCLOSE, MP_TCPRST, MP_PRIO). */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_crypto.h"
#include "tcp/tcp_api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { RST_NONE = 0xff };

struct mptcp_subflow *mptcp_subflow_new(struct mptcp_sock *msk, struct um_tcp_conn *c)
{
        struct mptcp_subflow *sf = calloc(1, sizeof(*sf));
        if (!sf)
                return NULL;
        sf->tcp = c;
        sf->rst_reason = RST_NONE;
        sf->peer_rst_reason = RST_NONE;
        if (um_tcp_ulp_set(c, &mptcp_subflow_ulp, sf) < 0) {
                free(sf);
                return NULL;
        }
        if (msk)
                mptcp_msk_attach(msk, sf);
        return sf;
}

struct um_addr mptcp_local_addr(const struct um_tcp_conn *c, uint16_t *port)
{
        struct sockaddr_storage l;
        struct um_addr a = {0};
        uint16_t p = 0;
        um_tcp_endpoints(c, &l, NULL);
        um_addr_from_sockaddr((struct sockaddr *)&l, sizeof(l), &a, &p);
        if (port)
                *port = p;
        return a;
}

void mptcp_subflow_reset(struct mptcp_subflow *sf, uint8_t reason)
{
        if (sf->closing && um_tcp_state(sf->tcp) == UM_TCP_CLOSED)
                return;
        sf->rst_reason = reason;
        um_tcp_abort(sf->tcp);
}

/* The options of the segment being processed, or NULL when it carried none. */
static const struct mptcp_opts *opts_of(struct mptcp_subflow *sf, const struct um_tcp_seg_info *s)
{
        return sf->in_pkt == s->pkt && sf->in.present ? &sf->in : NULL;
}

static void opts_done(struct mptcp_subflow *sf)
{
        memset(&sf->in, 0, sizeof(sf->in));
        sf->in_pkt = NULL;
}

/* ---- handshakes ---- */

void mptcp_join_synack_hmac(const struct mptcp_sock *msk, const struct mptcp_subflow *sf,
                            int we_listen, uint8_t out[32])
{
        if (we_listen)
                mptcp_join_hmac(msk->local_key, msk->remote_key, sf->local_nonce, sf->remote_nonce,
                                out);
        else
                mptcp_join_hmac(msk->remote_key, msk->local_key, sf->remote_nonce, sf->local_nonce,
                                out);
}

void mptcp_join_ack_hmac(const struct mptcp_sock *msk, const struct mptcp_subflow *sf,
                         int we_listen, uint8_t out[32])
{
        mptcp_join_synack_hmac(msk, sf, !we_listen, out);
}

/* Data that is not the subflow's first byte: it says nothing about a middlebox, as the
 * segment before it, with the MPTCP option that decides, may be lost or late. */
static int out_of_order_data(const struct mptcp_subflow *sf, const struct um_tcp_seg_info *seg)
{
        return seg->len && seg->seq != um_tcp_irs(sf->tcp) + 1;
}

/* The listener's side of the third ACK (or of the first data, which carries the keys too). */
static void passive_mpc_ack(struct mptcp_subflow *sf, const struct mptcp_opts *o,
                            const struct um_tcp_seg_info *seg)
{
        struct mptcp_sock *msk = sf->msk;
        if (o && mptcp_has(o, MPTCPOPT_MP_CAPABLE) && o->mpc_len >= MPC_LEN_ACK) {
                if (o->mpc_rcvr_key != msk->local_key) {
                        mptcp_subflow_reset(sf, MPTCP_RST_EMPTCP);
                        return;
                }
                msk->st->mptcp->ctr.MPTcpExtMPCapableACKRX++;
                mptcp_set_keys(msk, o->mpc_sndr_key);
                mptcp_data_acked(msk, msk->snd_una, seg->wnd); /* the peer's first window */
                sf->fully_established = 1;
                /* Tell the initiator at once that we have its key: it may then join. */
                um_tcp_send_ack(sf->tcp);
                mptcp_pm_established(msk);
                return;
        }
        if (out_of_order_data(sf, seg))
                return; /* the first data, with the keys, may still come */
        if (!msk->remote_key_known) {
                /* RFC 8684 §3.1: the third ACK, or the first data, without MP_CAPABLE means
                 * fallback, whatever else it carries: a Linux client that put data in its
                 * SYN (TCP Fast Open) sends that data again under a DSS without a mapping,
                 * and falls back itself when our ACK comes without an MPTCP option. */
                msk->st->mptcp->ctr.MPTcpExtMPCapableFallbackACK++;
                mptcp_do_fallback(msk);
        }
}

static void active_synack(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        struct mptcp_sock *msk = sf->msk;
        struct um_stack *st = msk->st;
        if (sf->is_join) {
                if (!o || !mptcp_has(o, MPTCPOPT_MP_JOIN) || o->join_len != JOIN_LEN_SYNACK) {
                        sf->rst_reason = MPTCP_RST_EMPTCP;
                        return;
                }
                st->mptcp->ctr.MPTcpExtMPJoinSynAckRx++;
                sf->remote_nonce = o->join_nonce;
                sf->remote_id = o->join_addr_id;
                sf->peer_backup = o->join_backup;
                uint8_t mac[32];
                mptcp_join_synack_hmac(msk, sf, 0, mac);
                if (!mptcp_mac_equal(mac, o->join_hmac, 8)) {
                        st->mptcp->ctr.MPTcpExtMPJoinSynAckHMacFailure++;
                        sf->rst_reason = MPTCP_RST_EPROHIBIT;
                        return;
                }
                mptcp_join_ack_hmac(msk, sf, 0, sf->join_hmac);
                return;
        }
        if (o && mptcp_has(o, MPTCPOPT_MP_CAPABLE) && o->mpc_len == MPC_LEN_SYNACK) {
                st->mptcp->ctr.MPTcpExtMPCapableSYNACKRX++;
                sf->mp_capable = 1;
                msk->csum = msk->ms->checksum_enabled || (o->mpc_flags & MPC_FLAG_A);
                msk->remote_deny_join_id0 = (o->mpc_flags & MPC_FLAG_C) != 0;
                mptcp_set_keys(msk, o->mpc_sndr_key);
                struct um_tcp_path_info pi;
                um_tcp_path_info(sf->tcp, &pi);
                mptcp_data_acked(msk, msk->snd_una, pi.snd_wnd); /* the peer's first window */
                return;
        }
        st->mptcp->ctr.MPTcpExtMPCapableFallbackSYNACK++;
        mptcp_do_fallback(msk);
}

static void ulp_handshake(struct um_tcp_conn *c, enum um_tcp_hs_step step)
{
        struct mptcp_subflow *sf = mptcp_subflow_of(c);
        struct mptcp_sock *msk = sf->msk;
        switch (step) {
        case UM_TCP_HS_SYN_SENT:
                if (msk && !msk->fallback && !sf->is_join)
                        msk->st->mptcp->ctr.MPTcpExtMPCapableSYNTX++;
                break;
        case UM_TCP_HS_SYN_RECEIVED:
                mptcp_accept_syn(sf, sf->in_pkt ? &sf->in : NULL);
                opts_done(sf);
                break;
        case UM_TCP_HS_SYN_COOKIE:
                mptcp_accept_syn_cookie(sf, sf->in_pkt ? &sf->in : NULL);
                opts_done(sf);
                break;
        case UM_TCP_HS_COOKIE_ACK:
                sf->cookie = 1;
                sf->passive = 1;
                break;
        case UM_TCP_HS_SYNACK_RECEIVED:
                if (msk)
                        active_synack(sf, sf->in_pkt ? &sf->in : NULL);
                opts_done(sf);
                break;
        case UM_TCP_HS_ESTABLISHED:
                if (!msk)
                        break;
                if (sf->rst_reason != RST_NONE) {
                        mptcp_subflow_reset(sf, sf->rst_reason);
                        break;
                }
                if (sf->is_join && sf->passive) {
                        /* RFC 8684 §3.2: the fourth ACK, which lets the joiner send. */
                        msk->st->mptcp->ctr.MPTcpExtMPJoinAckRx++;
                        um_tcp_send_ack(c);
                } else if (sf->is_join) {
                        sf->join_ack_at = msk->st->now;
                        mptcp_rtx_arm(msk);
                } else if (!sf->passive) {
                        msk->state = MPTCP_ESTABLISHED;
                        if (msk->fallback)
                                mptcp_pm_established(msk);
                }
                mptcp_msk_wake(msk);
                break;
        }
}

static int ulp_clone(struct um_tcp_conn *listener, struct um_tcp_conn *child)
{
        (void)listener;
        return mptcp_subflow_new(NULL, child) ? 0 : -ENOMEM;
}

/* An initiator whose MP_CAPABLE handshake is not confirmed yet watches for the listener's
 * first DSS; data or an acknowledgement of data without one means a middlebox ate the
 * option and the connection falls back (RFC 8684 §3.1, §3.7). An ADD_ADDR confirms too,
 * once its HMAC (which needs our key) is checked: an IPv6 one with its HMAC leaves no room
 * for a DSS beside it, so it arrives alone on a pure ACK (Linux counts it the same way). */
static void check_fully_established(struct mptcp_subflow *sf, const struct mptcp_opts *o,
                                    const struct um_tcp_seg_info *seg)
{
        struct mptcp_sock *msk = sf->msk;
        int announced = o && mptcp_has(o, MPTCPOPT_ADD_ADDR) && !o->add_echo &&
                        mptcp_add_addr_authentic(msk, o);
        if (o && (mptcp_has(o, MPTCPOPT_DSS) || announced)) {
                sf->fully_established = 1;
                mptcp_pm_established(msk);
                return;
        }
        /* Anything else at the listener's first sequence number means MPTCP was stripped or
         * refused, whether it acknowledges our data or not: a Linux listener that fell back
         * (our third ACK and first data lost) answers with bare ACKs, and Linux initiators
         * fall back on them. (A umptcp listener withholds such ACKs until it has our key.)
         * Segments further on decide nothing: the one that decides may be lost or late. */
        if (seg->seq != um_tcp_irs(sf->tcp) + 1)
                return;
        msk->st->mptcp->ctr.MPTcpExtMPCapableFallbackACK++;
        mptcp_do_fallback(msk);
}

static void handle_signals(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        struct mptcp_sock *msk = sf->msk;
        struct um_stack *st = msk->st;
        if (mptcp_has(o, MPTCPOPT_MP_PRIO)) {
                st->mptcp->ctr.MPTcpExtMPPrioRx++;
                sf->peer_backup = o->prio_backup;
        }
        if (mptcp_has(o, MPTCPOPT_ADD_ADDR) || mptcp_has(o, MPTCPOPT_RM_ADDR))
                mptcp_signal_received(sf, o);
}

static int fastclose_for_us(const struct mptcp_sock *msk, const struct mptcp_opts *o)
{
        return o && mptcp_has(o, MPTCPOPT_MP_FASTCLOSE) && msk->token_registered &&
               o->fastclose_key == msk->local_key;
}

static void ulp_segment_in(struct um_tcp_conn *c, const struct um_tcp_seg_info *seg)
{
        struct mptcp_subflow *sf = mptcp_subflow_of(c);
        const struct mptcp_opts *o = opts_of(sf, seg);
        if (!sf->msk && sf->passive && um_tcp_state(c) == UM_TCP_SYN_RECEIVED &&
            mptcp_accept_complete(sf, o) < 0) {
                opts_done(sf);
                return;
        }
        struct mptcp_sock *msk = sf->msk;
        if (!msk) {
                opts_done(sf);
                return;
        }
        struct mptcp_subflow *outer = msk->cur;
        msk->cur = sf;
        if (fastclose_for_us(msk, o)) {
                /* RFC 8684 §3.5: the peer abandoned the connection. */
                msk->st->mptcp->ctr.MPTcpExtMPFastcloseRx++;
                msk->error = ECONNRESET;
                mptcp_fastclose(msk);
                goto out;
        }
        if (sf->passive && !sf->is_join && !sf->fully_established && !msk->fallback) {
                passive_mpc_ack(sf, o, seg);
                if (um_tcp_state(c) == UM_TCP_CLOSED || msk->fallback)
                        goto out;
        }
        if (sf->is_join && !sf->passive && !sf->join_acked) {
                sf->join_acked = 1;
                sf->fully_established = 1;
        }
        if (!sf->passive && sf->mp_capable && !sf->fully_established && !msk->fallback)
                check_fully_established(sf, o, seg);
        if (o && !msk->fallback) {
                handle_signals(sf, o);
                if (mptcp_has(o, MPTCPOPT_MP_CAPABLE) && o->mpc_len >= MPC_LEN_DATA && seg->len &&
                    msk->remote_key_known) {
                        /* RFC 8684 §3.1: the first data carries its mapping implicitly. */
                        struct mptcp_ext m = {.dsn = msk->remote_idsn + 1,
                                              .ssn = 1,
                                              .data_len = o->mpc_data_len,
                                              .csum = o->mpc_csum,
                                              .flags = DSS_M,
                                              .with_csum = o->mpc_len == MPC_LEN_DATA_CSUM};
                        msk->dss_seen = 1;
                        sf->seen_dss = 1;
                        if (mptcp_map_add(sf, &m) < 0)
                                goto out;
                }
                if (mptcp_has(o, MPTCPOPT_MP_FAIL)) {
                        msk->st->mptcp->ctr.MPTcpExtMPFailRx++;
                        sf->fail_dsn = o->fail_dsn;
                        mptcp_fail_received(sf);
                }
                if (mptcp_has(o, MPTCPOPT_DSS)) {
                        msk->dss_seen = 1;
                        sf->seen_dss = 1;
                        if ((o->dss_flags & DSS_A) && msk->remote_key_known) {
                                uint64_t ack =
                                    (o->dss_flags & DSS_a)
                                        ? o->data_ack
                                        : mptcp_expand_seq(msk->snd_una, (uint32_t)o->data_ack);
                                mptcp_data_acked(msk, ack, seg->wnd);
                        }
                        if (o->dss_flags & DSS_M) {
                                struct mptcp_ext m = {
                                    .dsn = (o->dss_flags & DSS_m)
                                               ? o->dsn
                                               : mptcp_expand_seq(msk->rcv_nxt, (uint32_t)o->dsn),
                                    .ssn = o->ssn,
                                    .data_len = o->data_len,
                                    .csum = o->dss_csum,
                                    .flags = (uint8_t)(o->dss_flags & (DSS_M | DSS_F)),
                                    .with_csum = o->dss_has_csum};
                                if (mptcp_map_add(sf, &m) < 0)
                                        goto out;
                        }
                }
        } else if (o && msk->fallback && mptcp_has(o, MPTCPOPT_DSS) && (o->dss_flags & DSS_M) &&
                   !o->data_len) {
                /* The infinite mapping that answers our MP_FAIL (RFC 8684 §3.7). */
                mptcp_infinite_received(sf, o);
        }
        if (!msk->fallback && um_tcp_state(c) != UM_TCP_CLOSED)
                mptcp_push(msk);
out:
        msk->cur = outer;
        opts_done(sf);
}

static void ulp_data_ready(struct um_tcp_conn *c, uint32_t seq, uint32_t len)
{
        (void)seq;
        (void)len;
        struct mptcp_subflow *sf = mptcp_subflow_of(c);
        if (!sf->msk)
                return;
        struct mptcp_subflow *outer = sf->msk->cur;
        sf->msk->cur = sf;
        mptcp_subflow_data_ready(sf);
        sf->msk->cur = outer;
}

static void ulp_acked(struct um_tcp_conn *c, uint32_t snd_una, uint32_t bytes)
{
        (void)snd_una;
        (void)bytes;
        struct mptcp_subflow *sf = mptcp_subflow_of(c);
        if (!sf->msk)
                return;
        struct mptcp_subflow *outer = sf->msk->cur;
        sf->msk->cur = sf;
        mptcp_subflow_acked(sf);
        sf->msk->cur = outer;
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
        if (new_state == UM_TCP_CLOSED) {
                const struct mptcp_opts *o = sf->in_pkt ? &sf->in : NULL;
                if (o && mptcp_has(o, MPTCPOPT_MP_TCPRST)) {
                        msk->st->mptcp->ctr.MPTcpExtMPRstRx++;
                        sf->peer_rst_reason = o->rst_reason;
                }
                if (fastclose_for_us(msk, o)) {
                        msk->st->mptcp->ctr.MPTcpExtMPFastcloseRx++;
                        msk->error = ECONNRESET;
                        msk->fastclosed = 1;
                }
                opts_done(sf);
                mptcp_subflow_closed(sf);
        } else if (um_tcp_fin_received(c)) {
                mptcp_rcv_pull_all(msk); /* a FIN without data: the end of a fallback stream */
        }
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
                seg->withhold = 1; /* passive_mpc_ack acknowledges once the key comes */
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
        free(sf->tx);
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
    .write_space = ulp_write_space,
    .tx_limit = ulp_tx_limit,
    .rcv_space = ulp_rcv_space,
    .segment_out = ulp_segment_out,
    .release = ulp_release,
};

/* ---- the option handler ---- */

static struct mptcp_subflow *subflow_or_null(const struct um_tcp_conn *c)
{
        return um_tcp_ulp_is(c, &mptcp_subflow_ulp) ? mptcp_subflow_of(c) : NULL;
}

static int opt_parse(void *arg, struct um_tcp_conn *c, const struct um_tcp_seg_info *seg,
                     const uint8_t *opt, uint8_t len)
{
        struct mptcp_stack *ms = arg;
        struct mptcp_subflow *sf = subflow_or_null(c);
        if (!sf || sf->is_listener)
                return 0; /* plain TCP ignores kind 30 */
        if (sf->in_pkt != seg->pkt) {
                memset(&sf->in, 0, sizeof(sf->in));
                sf->in_pkt = seg->pkt;
        }
        if (mptcp_opt_parse(opt, len, &sf->in) < 0)
                ms->ctr.MPTcpExtBadOption++;
        return 0;
}

/* The SYN's or SYN/ACK's option. A listener's child has no msk yet: what its SYN asked
 * for is kept on the subflow (mptcp_accept.c). */
static unsigned build_syn(struct mptcp_stack *ms, struct mptcp_subflow *sf,
                          const struct um_tcp_seg_info *seg, uint8_t *out)
{
        struct mptcp_sock *msk = sf->msk;
        if (!(seg->flags & UM_TH_ACK)) {
                if (!msk || msk->fallback)
                        return 0;
                if (sf->is_join)
                        return mptcp_write_join_syn(out, sf->backup, sf->local_id,
                                                    msk->remote_token, sf->local_nonce);
                uint8_t flags = MPC_FLAG_H | (ms->checksum_enabled ? MPC_FLAG_A : 0);
                return mptcp_write_mpc(out, MPC_LEN_SYN, flags, msk->local_key, 0, 0, 0);
        }
        if (sf->is_join)
                return mptcp_write_join_synack(out, sf->backup, sf->local_id, sf->join_hmac,
                                               sf->local_nonce);
        if (!sf->mp_capable)
                return 0;
        uint8_t flags = MPC_FLAG_H | (sf->syn_csum ? MPC_FLAG_A : 0);
        /* RFC 8684 §3.1: C tells the peer not to join our address and port (the listener's,
         * like Linux with allow_join_initial_addr_port = 0). */
        if (!ms->allow_join_initial_addr_port)
                flags |= MPC_FLAG_C;
        return mptcp_write_mpc(out, MPC_LEN_SYNACK, flags, sf->syn_key, 0, 0, 0);
}

/* Builds this segment's MPTCP options into out[] (at most `room` bytes). */
static unsigned build(struct mptcp_stack *ms, struct mptcp_subflow *sf,
                      const struct um_tcp_seg_info *seg, unsigned room, uint8_t *out)
{
        struct mptcp_sock *msk = sf->msk;
        unsigned n = 0;
        if (seg->flags & UM_TH_RST) {
                if (msk && sf->send_fastclose && msk->remote_key_known && room >= 16) {
                        n += mptcp_write_fastclose(out, msk->remote_key);
                        ms->ctr.MPTcpExtMPFastcloseTx++;
                }
                if (sf->rst_reason != RST_NONE && room - n >= MP_TCPRST_LEN) {
                        n += mptcp_write_tcprst(out + n, 0, sf->rst_reason);
                        ms->ctr.MPTcpExtMPRstTx++; /* with or without an msk */
                }
                return n;
        }
        if (seg->flags & UM_TH_SYN)
                return build_syn(ms, sf, seg, out);
        if (!msk)
                return 0;
        const struct mptcp_ext *ext = um_tcp_pkt_ext_get(seg->pkt, ms->ext_id);
        if (msk->fallback) {
                /* After MP_FAIL: one infinite mapping, then plain TCP (RFC 8684 §3.7). It
                 * goes again with its segment's retransmissions until that is acknowledged
                 * (mptcp_subflow_acked), as the peer discards everything until it comes. */
                if (ext && sf->send_infinite) {
                        struct mptcp_dss_out d = {.flags = DSS_M | DSS_m,
                                                  .dsn = ext->dsn,
                                                  .ssn = ext->ssn,
                                                  .with_csum = msk->csum};
                        ms->ctr.MPTcpExtInfiniteMapTx++;
                        return mptcp_write_dss(out, &d);
                }
                if (sf->send_mp_fail && !seg->len && room >= MP_FAIL_LEN) {
                        ms->ctr.MPTcpExtMPFailTx++;
                        return mptcp_write_mp_fail(out, sf->fail_dsn);
                }
                return 0;
        }
        if (sf->is_join && !sf->passive && !sf->join_acked)
                return mptcp_write_join_ack(out, sf->join_hmac);
        if (sf->mp_capable && !sf->passive && !sf->fully_established) {
                uint8_t flags = MPC_FLAG_H | (msk->csum ? MPC_FLAG_A : 0);
                if (ext && (ext->flags & DSS_M) && ext->ssn == 1 && seg->len)
                        return mptcp_write_mpc(out, msk->csum ? MPC_LEN_DATA_CSUM : MPC_LEN_DATA,
                                               flags, msk->local_key, msk->remote_key,
                                               ext->data_len, ext->csum);
                if (!seg->len) {
                        /* An echo owed already (Linux announces at once) fits beside it. */
                        n = mptcp_write_mpc(out, MPC_LEN_ACK, flags, msk->local_key,
                                            msk->remote_key, 0, 0);
                        return n + mptcp_signal_write(sf, out + n, room > n ? room - n : 0);
                }
        }
        /* Address signals and MP_PRIO ride on pure ACKs, ahead of the DATA_ACK (which the
         * next segment repeats if this one has no room left for it). */
        int maps = ext && (ext->flags & DSS_M);
        if (!seg->len && !maps && msk->remote_key_known)
                n = mptcp_signal_write(sf, out, room);
        struct mptcp_dss_out d = {0};
        if (msk->remote_key_known) {
                /* RFC 8684 §3.3: a DATA_ACK may be sent in 4 bytes. Without a mapping beside
                 * it, that leaves room for two SACK blocks instead of one (40 bytes less
                 * the timestamps and an 8-byte DATA_ACK fit just one), so a subflow that
                 * lost a burst learns of two holes per ACK. */
                d.flags |= maps ? DSS_A | DSS_a : DSS_A;
                d.data_ack = maps ? msk->rcv_nxt : (uint32_t)msk->rcv_nxt;
        }
        if (maps) {
                d.flags |= DSS_M | DSS_m | (ext->flags & DSS_F);
                d.dsn = ext->dsn;
                d.ssn = ext->ssn;
                d.data_len = ext->data_len;
                d.csum = ext->csum;
                d.with_csum = msk->csum;
        }
        if (d.flags && n + mptcp_dss_len(&d) <= room) {
                n += mptcp_write_dss(out + n, &d);
                if (d.flags & DSS_A)
                        sf->data_ack_sent = msk->rcv_nxt;
        }
        return n;
}

static unsigned opt_size(void *arg, struct um_tcp_conn *c, const struct um_tcp_seg_info *seg,
                         unsigned room)
{
        struct mptcp_stack *ms = arg;
        struct mptcp_subflow *sf = subflow_or_null(c);
        if (!sf || sf->is_listener)
                return 0;
        ms->out_len = build(ms, sf, seg, room, ms->out);
        return ms->out_len;
}

static void opt_write(void *arg, struct um_tcp_conn *c, const struct um_tcp_seg_info *seg,
                      uint8_t *out, unsigned n)
{
        (void)c;
        (void)seg;
        struct mptcp_stack *ms = arg;
        memcpy(out, ms->out, n);
}

const struct um_tcp_option_ops mptcp_option_ops = {
    .kind = TCPOPT_MPTCP,
    .priority = 10,
    .parse = opt_parse,
    .size = opt_size,
    .write = opt_write,
};
