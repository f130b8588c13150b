/* MPTCP options sent, one function per suboption (RFC 8684 §3): the kind-30 handler's
 * write, which TCP calls for every segment with the room left. Each writer returns what it
 * wrote, 0 when its option is not due on this segment or does not fit. */
#include "mptcp/mptcp.h"

/* RFC 8684 §3.5 and §3.6: MP_FASTCLOSE and MP_TCPRST ride on our resets. */
static unsigned out_rst(struct mptcp_stack *ms, struct mptcp_subflow *sf, uint8_t *out,
                        unsigned room)
{
        struct mptcp_sock *msk = sf->msk;
        unsigned n = 0;
        /* Only with room for MP_TCPRST beside it. */
        if (msk && sf->send_fastclose && msk->remote_key_known &&
            room >= MP_FASTCLOSE_LEN + MP_TCPRST_LEN) {
                n += mptcp_write_fastclose(out, msk->remote_key);
                ms->ctr.MPTcpExtMPFastcloseTx++;
        }
        if (sf->rst_reason != MPTCP_RST_NONE && room - n >= MP_TCPRST_LEN) {
                n += mptcp_write_tcprst(out + n, 0, sf->rst_reason);
                ms->ctr.MPTcpExtMPRstTx++; /* with or without an msk */
        }
        return n;
}

/* RFC 8684 §3.1 and §3.2: the SYN's and SYN/ACK's MP_CAPABLE or MP_JOIN. A listener's child
 * has no msk yet: what its SYN asked for is kept on the subflow (mptcp_accept.c). */
static unsigned out_syn(struct mptcp_stack *ms, struct mptcp_subflow *sf,
                        const struct um_tcp_seg_info *seg, uint8_t *out, unsigned room)
{
        struct mptcp_sock *msk = sf->msk;
        if (!(seg->flags & UM_TH_ACK)) {
                if (!msk || msk->fallback)
                        return 0;
                if (sf->is_join)
                        return room < JOIN_LEN_SYN
                                   ? 0
                                   : mptcp_write_join_syn(out, sf->backup, sf->local_id,
                                                          msk->remote_token, sf->local_nonce);
                if (room < MPC_LEN_SYN)
                        return 0;
                uint8_t flags = MPC_FLAG_H | (ms->checksum_enabled ? MPC_FLAG_A : 0);
                return mptcp_write_mpc(out, MPC_LEN_SYN, flags, msk->local_key, 0, 0, 0);
        }
        if (sf->is_join)
                return room < JOIN_LEN_SYNACK
                           ? 0
                           : mptcp_write_join_synack(out, sf->backup, sf->local_id, sf->join_hmac,
                                                     sf->local_nonce);
        if (!sf->mp_capable || room < MPC_LEN_SYNACK)
                return 0;
        uint8_t flags = MPC_FLAG_H | (sf->syn_csum ? MPC_FLAG_A : 0);
        /* RFC 8684 §3.1: C tells the peer not to join our address and port (the listener's,
         * like Linux with allow_join_initial_addr_port = 0). */
        if (!ms->allow_join_initial_addr_port)
                flags |= MPC_FLAG_C;
        return mptcp_write_mpc(out, MPC_LEN_SYNACK, flags, sf->syn_key, 0, 0, 0);
}

/* After MP_FAIL: one infinite mapping, then plain TCP (RFC 8684 §3.7). It goes again with
 * its segment's retransmissions until that is acknowledged (mptcp_subflow_acked), as the
 * peer discards everything until it comes. Our MP_FAIL rides on a pure ACK. */
static unsigned out_fallen_back(struct mptcp_stack *ms, struct mptcp_subflow *sf,
                                const struct um_tcp_seg_info *seg, const struct mptcp_ext *ext,
                                uint8_t *out, unsigned room)
{
        struct mptcp_sock *msk = sf->msk;
        if (ext && sf->send_infinite) {
                struct mptcp_dss_out d = {.flags = DSS_M | DSS_m,
                                          .dsn = ext->dsn,
                                          .ssn = ext->ssn,
                                          .with_csum = msk->csum};
                if (mptcp_dss_len(&d) > room)
                        return 0;
                ms->ctr.MPTcpExtInfiniteMapTx++;
                return mptcp_write_dss(out, &d);
        }
        if (sf->send_mp_fail && !seg->len && room >= MP_FAIL_LEN) {
                ms->ctr.MPTcpExtMPFailTx++;
                return mptcp_write_mp_fail(out, sf->fail_dsn);
        }
        return 0;
}

/* RFC 8684 §3.1: the initiator's MP_CAPABLE after the SYN/ACK carries both keys: on the
 * first data, with its mapping, and on pure ACKs until the listener's DSS shows it has them
 * (an echo owed already, as Linux announces at once, fits beside it). */
static int first_data(const struct um_tcp_seg_info *seg, const struct mptcp_ext *ext)
{
        return ext && (ext->flags & DSS_M) && ext->ssn == 1 && seg->len;
}

/* RFC 8684 §3.3.3: the pure ACK that carries our DATA_FIN (mptcp_send_data_fin). */
static int data_fin_ack(const struct um_tcp_seg_info *seg, const struct mptcp_ext *ext)
{
        return ext && (ext->flags & (DSS_M | DSS_F)) == (DSS_M | DSS_F) && !seg->len;
}

static unsigned out_mpc_data(struct mptcp_subflow *sf, const struct mptcp_ext *ext, uint8_t *out,
                             unsigned room)
{
        struct mptcp_sock *msk = sf->msk;
        unsigned len = msk->csum ? MPC_LEN_DATA_CSUM : MPC_LEN_DATA;
        if (len > room)
                return 0;
        uint8_t flags = MPC_FLAG_H | (msk->csum ? MPC_FLAG_A : 0);
        return mptcp_write_mpc(out, len, flags, msk->local_key, msk->remote_key, ext->data_len,
                               ext->csum);
}

static unsigned out_mpc_ack(struct mptcp_subflow *sf, uint8_t *out, unsigned room)
{
        struct mptcp_sock *msk = sf->msk;
        if (room < MPC_LEN_ACK)
                return 0;
        uint8_t flags = MPC_FLAG_H | (msk->csum ? MPC_FLAG_A : 0);
        unsigned n =
            mptcp_write_mpc(out, MPC_LEN_ACK, flags, msk->local_key, msk->remote_key, 0, 0);
        return n + mptcp_signal_write(sf, out + n, room - n);
}

/* RFC 8684 §3.3: the DATA_ACK, and the mapping of the data this segment carries. */
static unsigned out_dss(struct mptcp_subflow *sf, const struct mptcp_ext *ext, uint8_t *out,
                        unsigned room)
{
        struct mptcp_sock *msk = sf->msk;
        int maps = ext && (ext->flags & DSS_M);
        struct mptcp_dss_out d = {0};
        if (msk->remote_key_known) {
                /* RFC 8684 §3.3: a DATA_ACK may be sent in 4 bytes. Without a mapping beside
                 * it, that leaves room for two SACK blocks instead of one (40 bytes less
                 * the timestamps and an 8-byte DATA_ACK fit just one), so a subflow that
                 * lost a burst learns of two holes per ACK. */
                d.flags |= maps ? DSS_A | DSS_a : DSS_A;
                d.data_ack = maps ? mptcp_data_ack(msk) : (uint32_t)mptcp_data_ack(msk);
        }
        if (maps) {
                d.flags |= DSS_M | DSS_m | (ext->flags & DSS_F);
                d.dsn = ext->dsn;
                d.ssn = ext->ssn;
                d.data_len = ext->data_len;
                d.csum = ext->csum;
                d.with_csum = msk->csum;
        }
        if (!d.flags || mptcp_dss_len(&d) > room)
                return 0;
        if (d.flags & DSS_A)
                sf->data_ack_sent = mptcp_data_ack(msk);
        return mptcp_write_dss(out, &d);
}

unsigned mptcp_options_write(void *arg, struct um_tcp_conn *c, const struct um_tcp_seg_info *seg,
                             uint8_t *out, unsigned room)
{
        struct mptcp_stack *ms = arg;
        if (!um_tcp_ulp_is(c, &mptcp_subflow_ulp))
                return 0;
        struct mptcp_subflow *sf = mptcp_subflow_of(c);
        struct mptcp_sock *msk = sf->msk;
        if (sf->is_listener)
                return 0;
        if (seg->flags & UM_TH_RST)
                return out_rst(ms, sf, out, room);
        if (seg->flags & UM_TH_SYN)
                return out_syn(ms, sf, seg, out, room);
        if (!msk)
                return 0;
        const struct mptcp_ext *ext = um_tcp_pkt_ext_get(seg->pkt, ms->ext_id);
        if (msk->fallback)
                return out_fallen_back(ms, sf, seg, ext, out, room);
        /* RFC 8684 §3.2: the active join's third ACK, with its HMAC, until acknowledged. */
        if (sf->is_join && !sf->passive && !sf->join_acked)
                return room >= JOIN_LEN_ACK ? mptcp_write_join_ack(out, sf->join_hmac) : 0;
        if (sf->mp_capable && !sf->passive && !sf->fully_established) {
                if (first_data(seg, ext))
                        return out_mpc_data(sf, ext, out, room);
                /* The DATA_FIN goes in its DSS even so: MP_CAPABLE has no room for it,
                 * and a listener with nothing to send (a server waiting for a request)
                 * never confirms, so a DATA_FIN kept for after its DSS never leaves and
                 * the connection stays half-open (Linux too lets it take precedence). The
                 * third ACK repeated just before it keeps our key on the way (§3.1). */
                if (!seg->len && !data_fin_ack(seg, ext))
                        return out_mpc_ack(sf, out, room);
        }
        /* Address signals and MP_PRIO ride on pure ACKs, ahead of the DATA_ACK (which the
         * next segment repeats if this one has no room left for it). */
        unsigned n = 0;
        if (!seg->len && !(ext && (ext->flags & DSS_M)) && msk->remote_key_known)
                n = mptcp_signal_write(sf, out, room);
        return n + out_dss(sf, ext, out + n, room - n);
}
