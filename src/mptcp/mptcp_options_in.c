/* Received MPTCP options, one function per suboption (RFC 8684 §3): the kind-30 handler
 * parses them into the segment's parsed state, and the ULP's hooks hand them here with the
 * segment. The handshake's side of MP_CAPABLE and MP_JOIN on the initiator is here too;
 * the listener's is in mptcp_accept.c. */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_crypto.h"

#include <arpa/inet.h>
#include <errno.h>

int mptcp_options_parse(void *arg, struct um_tcp_conn *c, const struct um_tcp_seg_info *seg,
                        const uint8_t *opt, uint8_t len, void *parsed)
{
        (void)seg;
        struct mptcp_stack *ms = arg;
        if (!um_tcp_ulp_is(c, &mptcp_subflow_ulp) || mptcp_subflow_of(c)->is_listener)
                return 0; /* plain TCP ignores kind 30 */
        if (mptcp_opt_parse(opt, len, parsed) < 0)
                ms->ctr.MPTcpExtBadOption++;
        return 0;
}

const struct mptcp_opts *mptcp_seg_opts(const struct mptcp_stack *ms,
                                        const struct um_tcp_seg_info *seg)
{
        const struct mptcp_opts *o = seg ? um_tcp_seg_parsed(seg, ms->opt_handle) : NULL;
        return o && o->present ? o : NULL;
}

/* ---- the initiator's handshake ---- */

static void synack_mp_join(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        struct mptcp_sock *msk = sf->msk;
        if (!o || !mptcp_has(o, MPTCPOPT_MP_JOIN) || o->join_len != JOIN_LEN_SYNACK) {
                sf->rst_reason = MPTCP_RST_EMPTCP;
                return;
        }
        msk->ms->ctr.MPTcpExtMPJoinSynAckRx++;
        struct sockaddr_storage r;
        um_tcp_endpoints(sf->tcp, NULL, &r);
        uint16_t rport = ntohs(((struct sockaddr_in *)&r)->sin_port); /* same place in v6 */
        if (rport != msk->rport) /* a join to a port the peer announced */
                msk->ms->ctr.MPTcpExtMPJoinPortSynAckRx++;
        sf->remote_nonce = o->join_nonce;
        sf->remote_id = o->join_addr_id;
        sf->peer_backup = o->join_backup;
        uint8_t mac[32];
        mptcp_join_synack_hmac(msk, sf, 0, mac);
        if (!mptcp_mac_equal(mac, o->join_hmac, 8)) {
                msk->ms->ctr.MPTcpExtMPJoinSynAckHMacFailure++;
                sf->rst_reason = MPTCP_RST_EPROHIBIT;
                return;
        }
        mptcp_join_ack_hmac(msk, sf, 0, sf->join_hmac);
}

static void synack_mp_capable(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        struct mptcp_sock *msk = sf->msk;
        if (!o || !mptcp_has(o, MPTCPOPT_MP_CAPABLE) || o->mpc_len != MPC_LEN_SYNACK) {
                msk->ms->ctr.MPTcpExtMPCapableFallbackSYNACK++;
                mptcp_do_fallback(msk);
                return;
        }
        msk->ms->ctr.MPTcpExtMPCapableSYNACKRX++;
        sf->mp_capable = 1;
        msk->csum = msk->ms->checksum_enabled || (o->mpc_flags & MPC_FLAG_A);
        msk->remote_deny_join_id0 = (o->mpc_flags & MPC_FLAG_C) != 0;
        mptcp_set_keys(msk, o->mpc_sndr_key);
        struct um_tcp_path_info pi;
        um_tcp_path_info(sf->tcp, &pi);
        mptcp_data_acked(msk, msk->snd_una, pi.snd_wnd); /* the peer's first window */
}

void mptcp_synack_in(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        if (sf->is_join)
                synack_mp_join(sf, o);
        else
                synack_mp_capable(sf, o);
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
        msk->ms->ctr.MPTcpExtMPCapableFallbackACK++;
        mptcp_do_fallback(msk);
}

/* ---- one function per suboption ---- */

/* RFC 8684 §3.5: the peer abandoned the connection. Returns 1 when it did. */
static int in_fastclose(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        struct mptcp_sock *msk = sf->msk;
        if (!o || !mptcp_has(o, MPTCPOPT_MP_FASTCLOSE) || !msk->token_registered ||
            o->fastclose_key != msk->local_key)
                return 0;
        msk->ms->ctr.MPTcpExtMPFastcloseRx++;
        msk->error = ECONNRESET;
        return 1;
}

/* RFC 8684 §3.3.8: the peer's priority for the subflow that carries it. */
static void in_mp_prio(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        if (!mptcp_has(o, MPTCPOPT_MP_PRIO))
                return;
        sf->msk->ms->ctr.MPTcpExtMPPrioRx++;
        mptcp_pm_prio_received(sf, o->prio_backup);
}

/* RFC 8684 §3.4.1: an echo ends our repeats; an announcement with a valid HMAC goes to the
 * path manager; one without is ignored. */
static void in_add_addr(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        struct mptcp_sock *msk = sf->msk;
        if (!mptcp_has(o, MPTCPOPT_ADD_ADDR))
                return;
        struct mptcp_addr_info a = {.addr = o->add_addr, .port = o->add_port, .id = o->add_addr_id};
        if (o->add_echo) {
                mptcp_signal_echo_received(msk, &a);
                return;
        }
        if (!mptcp_add_addr_authentic(msk, o)) {
                msk->ms->ctr.MPTcpExtAddAddrDrop++;
                return;
        }
        msk->ms->ctr.MPTcpExtAddAddr++;
        mptcp_pm_add_addr_received(msk, &a);
}

/* RFC 8684 §3.4.2. */
static void in_rm_addr(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        if (!mptcp_has(o, MPTCPOPT_RM_ADDR))
                return;
        sf->msk->ms->ctr.MPTcpExtRmAddr++;
        mptcp_pm_rm_addr_received(sf->msk, o->rm_ids, o->rm_n);
}

/* RFC 8684 §3.1: the first data carries its mapping implicitly in MP_CAPABLE. */
static int in_mp_capable_data(struct mptcp_subflow *sf, const struct mptcp_opts *o,
                              const struct um_tcp_seg_info *seg)
{
        struct mptcp_sock *msk = sf->msk;
        if (!mptcp_has(o, MPTCPOPT_MP_CAPABLE) || o->mpc_len < MPC_LEN_DATA || !seg->len ||
            !msk->remote_key_known)
                return 0;
        struct mptcp_ext m = {.dsn = msk->remote_idsn + 1,
                              .ssn = 1,
                              .data_len = o->mpc_data_len,
                              .csum = o->mpc_csum,
                              .flags = DSS_M,
                              .with_csum = o->mpc_len == MPC_LEN_DATA_CSUM};
        msk->dss_seen = 1;
        sf->seen_dss = 1;
        return mptcp_map_add(sf, &m);
}

/* RFC 8684 §3.7. */
static void in_mp_fail(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        if (!mptcp_has(o, MPTCPOPT_MP_FAIL))
                return;
        sf->msk->ms->ctr.MPTcpExtMPFailRx++;
        sf->fail_dsn = o->fail_dsn;
        mptcp_fail_received(sf);
}

/* RFC 8684 §3.3: the DATA_ACK, and the mapping of the data that rides with it. */
static int in_dss(struct mptcp_subflow *sf, const struct mptcp_opts *o,
                  const struct um_tcp_seg_info *seg)
{
        struct mptcp_sock *msk = sf->msk;
        if (!mptcp_has(o, MPTCPOPT_DSS))
                return 0;
        msk->dss_seen = 1;
        sf->seen_dss = 1;
        if ((o->dss_flags & DSS_A) && msk->remote_key_known) {
                uint64_t ack = (o->dss_flags & DSS_a)
                                   ? o->data_ack
                                   : mptcp_expand_seq(msk->snd_una, (uint32_t)o->data_ack);
                mptcp_data_acked(msk, ack, seg->wnd);
        }
        if (!(o->dss_flags & DSS_M))
                return 0;
        struct mptcp_ext m = {.dsn = (o->dss_flags & DSS_m)
                                         ? o->dsn
                                         : mptcp_expand_seq(msk->rcv_nxt, (uint32_t)o->dsn),
                              .ssn = o->ssn,
                              .data_len = o->data_len,
                              .csum = o->dss_csum,
                              .flags = (uint8_t)(o->dss_flags & (DSS_M | DSS_F)),
                              .with_csum = o->dss_has_csum};
        return mptcp_map_add(sf, &m);
}

/* After fallback: the infinite mapping that answers our MP_FAIL (RFC 8684 §3.7). */
static void in_infinite_mapping(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        if (mptcp_has(o, MPTCPOPT_DSS) && (o->dss_flags & DSS_M) && !o->data_len)
                mptcp_infinite_received(sf, o);
}

int mptcp_options_in(struct mptcp_subflow *sf, const struct mptcp_opts *o,
                     const struct um_tcp_seg_info *seg)
{
        struct mptcp_sock *msk = sf->msk;
        if (in_fastclose(sf, o)) {
                mptcp_fastclose(msk);
                return 0;
        }
        if (sf->passive && !sf->is_join && !sf->fully_established && !msk->fallback) {
                mptcp_accept_mpc_ack(sf, o, seg);
                if (um_tcp_state(sf->tcp) == UM_TCP_CLOSED || msk->fallback)
                        return 0;
        }
        if (sf->is_join && !sf->passive && !sf->join_acked) {
                sf->join_acked = 1;
                sf->fully_established = 1;
        }
        if (!sf->passive && sf->mp_capable && !sf->fully_established && !msk->fallback)
                check_fully_established(sf, o, seg);
        if (!o)
                return 1;
        if (msk->fallback) {
                in_infinite_mapping(sf, o);
                return 1;
        }
        in_mp_prio(sf, o);
        in_add_addr(sf, o);
        in_rm_addr(sf, o);
        if (in_mp_capable_data(sf, o, seg) < 0)
                return 0;
        in_mp_fail(sf, o);
        return in_dss(sf, o, seg) < 0 ? 0 : 1;
}

void mptcp_rst_in(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        struct mptcp_sock *msk = sf->msk;
        if (o && mptcp_has(o, MPTCPOPT_MP_TCPRST)) {
                msk->ms->ctr.MPTcpExtMPRstRx++;
                sf->peer_rst_reason = o->rst_reason;
        }
        if (in_fastclose(sf, o))
                msk->fastclosed = 1;
}
