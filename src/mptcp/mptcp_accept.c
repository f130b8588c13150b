/* The listener's side of the handshakes (RFC 8684 §3.1, §3.2). A SYN leaves behind only
 * what its SYN/ACK needs: our key for an MP_CAPABLE SYN, the nonces and IDs of a join. The
 * msk is made, and a join attached to its connection (within the subflow limit), when the
 * handshake completes; so a SYN flood costs no more than it does for plain TCP, and spoofed
 * join SYNs hold no join slot. With SYN cookies nothing is kept at all: an MP_CAPABLE ACK
 * carries both keys, and a join's nonces wait in a small fixed table, where no SYN evicts
 * another 4-tuple's live entry and no connection holds more than its share. */
#include "mptcp/mptcp.h"
#include "core/siphash.h"
#include "mptcp/mptcp_crypto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
        /* 1,024 joins may wait for their third ACK under SYN cookies, in sets of four
         * chosen by a keyed hash of the 4-tuple: no peer can aim its SYNs at a set. */
        JOIN_COOKIE_SETS = 256,
        JOIN_COOKIE_WAYS = 4,
        JOIN_COOKIE_PER_TOKEN = 16,    /* joins of one connection waiting at once */
        JOIN_COOKIE_TTL_US = 16000000, /* a join's SYN repeats come within it (1, 3, 7 s) */
};

/* A join answered with a SYN cookie, until its third ACK, its connection's end, or
 * JOIN_COOKIE_TTL_US (cookie_place says who may take its place). */
struct mptcp_join_cookie {
        struct um_addr laddr, raddr;
        uint16_t lport, rport;
        uint32_t token, local_nonce, remote_nonce;
        uint8_t local_id, remote_id, backup, valid;
        uint64_t made_at;
};

/* The connection a join asks for, if it may join it at all (the subflow limit is checked
 * when the join completes). */
static struct mptcp_sock *join_target(struct mptcp_subflow *sf, uint32_t token)
{
        struct mptcp_stack *ms = mptcp_stack_of(um_tcp_stack(sf->tcp));
        struct mptcp_sock *msk = mptcp_token_lookup(ms, token);
        if (!msk) {
                ms->ctr.MPTcpExtMPJoinNoTokenFound++;
                return NULL;
        }
        uint16_t port;
        struct um_addr local = mptcp_local_addr(sf->tcp, &port);
        /* RFC 8684 §3.1: our C flag told the peer not to join our address and port. */
        int initial = um_addr_eq(&local, &msk->laddr) && port == msk->lport;
        if (msk->fallback || !msk->remote_key_known ||
            (initial && !ms->allow_join_initial_addr_port)) {
                ms->ctr.MPTcpExtMPJoinRejected++;
                return NULL;
        }
        /* RFC 8684 §3.4.1: a port other than the connection's is one it announced with this
         * address (Linux checks the same). */
        if (port != msk->lport && !mptcp_signal_announced(msk, &local, port)) {
                ms->ctr.MPTcpExtMismatchPortSynRx++;
                return NULL;
        }
        return msk;
}

static void join_syn(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        struct mptcp_stack *ms = mptcp_stack_of(um_tcp_stack(sf->tcp));
        ms->ctr.MPTcpExtMPJoinSynRx++;
        struct mptcp_sock *msk = join_target(sf, o->join_token);
        if (!msk) {
                mptcp_subflow_reset(sf, MPTCP_RST_EMPTCP);
                return;
        }
        uint16_t port;
        struct um_addr local = mptcp_local_addr(sf->tcp, &port);
        if (port != msk->lport)
                ms->ctr.MPTcpExtMPJoinPortSynRx++;
        sf->is_join = 1;
        sf->join_token = o->join_token;
        sf->remote_nonce = o->join_nonce;
        sf->remote_id = o->join_addr_id;
        sf->peer_backup = o->join_backup;
        um_rng_bytes(&ms->st->rng, &sf->local_nonce, sizeof(sf->local_nonce));
        sf->local_id = mptcp_pm_local_id(msk, &local);
        mptcp_join_synack_hmac(msk, sf, 1, sf->join_hmac);
}

/* A connection's first SYN (or a cookie's ACK) at an announced port's listener: reset,
 * with MP_TCPRST only to a peer that spoke MPTCP. */
static void refuse_no_join(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        mptcp_stack_of(um_tcp_stack(sf->tcp))->ctr.MPTcpExtPortListenerNoJoin++;
        int mptcp = o && mptcp_has(o, MPTCPOPT_MP_CAPABLE);
        mptcp_subflow_reset(sf, mptcp ? MPTCP_RST_EPROHIBIT : MPTCP_RST_NONE);
}

void mptcp_accept_syn(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        struct mptcp_stack *ms = mptcp_stack_of(um_tcp_stack(sf->tcp));
        sf->passive = 1;
        if (o && mptcp_has(o, MPTCPOPT_MP_JOIN) && o->join_len == JOIN_LEN_SYN) {
                join_syn(sf, o);
                return;
        }
        if (sf->join_only) { /* an announced port takes joins only */
                refuse_no_join(sf, o);
                return;
        }
        if (!ms->enabled || !o || !mptcp_has(o, MPTCPOPT_MP_CAPABLE) || o->mpc_len != MPC_LEN_SYN ||
            mptcp_key_fresh(ms, &sf->syn_key) < 0)
                return; /* plain TCP: an msk in fallback when the handshake completes */
        ms->ctr.MPTcpExtMPCapableSYNRX++;
        sf->mp_capable = 1;
        /* RFC 8684 §3.1: checksums are used when either side asks. */
        sf->syn_csum = ms->checksum_enabled || (o->mpc_flags & MPC_FLAG_A);
        sf->syn_deny_join0 = (o->mpc_flags & MPC_FLAG_C) != 0;
}

/* The connection's addresses and ports. */
static void tuple(const struct um_tcp_conn *c, struct um_addr *la, uint16_t *lp, struct um_addr *ra,
                  uint16_t *rp)
{
        struct sockaddr_storage r;
        *la = mptcp_local_addr(c, lp);
        um_tcp_endpoints(c, NULL, &r);
        um_addr_from_sockaddr((struct sockaddr *)&r, sizeof(r), ra, rp);
}

/* The set of four entries a 4-tuple's join may use; NULL before the first (made then). */
static struct mptcp_join_cookie *cookie_set(struct mptcp_stack *ms, const struct um_addr *la,
                                            uint16_t lp, const struct um_addr *ra, uint16_t rp,
                                            int create)
{
        if (!ms->join_cookies) {
                if (!create)
                        return NULL;
                ms->join_cookies =
                    calloc(JOIN_COOKIE_SETS * JOIN_COOKIE_WAYS, sizeof(*ms->join_cookies));
                if (!ms->join_cookies)
                        return NULL;
                um_rng_bytes(&ms->st->rng, ms->join_cookie_key, sizeof(ms->join_cookie_key));
        }
        uint8_t msg[37] = {la->family};
        memcpy(msg + 1, la->b, 16);
        memcpy(msg + 17, ra->b, 16);
        msg[33] = (uint8_t)(lp >> 8);
        msg[34] = (uint8_t)lp;
        msg[35] = (uint8_t)(rp >> 8);
        msg[36] = (uint8_t)rp;
        uint64_t h = um_siphash(ms->join_cookie_key, msg, sizeof(msg));
        return &ms->join_cookies[(h % JOIN_COOKIE_SETS) * JOIN_COOKIE_WAYS];
}

static int cookie_matches(const struct mptcp_join_cookie *jc, const struct um_addr *la, uint16_t lp,
                          const struct um_addr *ra, uint16_t rp)
{
        return jc->valid && jc->lport == lp && jc->rport == rp && um_addr_eq(&jc->laddr, la) &&
               um_addr_eq(&jc->raddr, ra);
}

/* An entry's place given back, and its connection's share of the table. */
static void cookie_forget(struct mptcp_stack *ms, struct mptcp_join_cookie *jc)
{
        if (!jc->valid)
                return;
        jc->valid = 0;
        struct mptcp_sock *msk = mptcp_token_lookup(ms, jc->token);
        if (msk && msk->join_cookies)
                msk->join_cookies--;
}

static int cookie_expired(const struct mptcp_stack *ms, const struct mptcp_join_cookie *jc)
{
        return ms->st->now - jc->made_at >= JOIN_COOKIE_TTL_US;
}

/* The connection an entry waits for; NULL when it is gone (the entry is then worth nothing:
 * its third ACK would find no token). */
static struct mptcp_sock *cookie_owner(struct mptcp_stack *ms, const struct mptcp_join_cookie *jc)
{
        return jc->valid ? mptcp_token_lookup(ms, jc->token) : NULL;
}

/* A connection at its share gives back the places of its entries that expired (a full walk,
 * but only then: its joins' third ACKs never came). */
static void forget_expired(struct mptcp_stack *ms, const struct mptcp_sock *msk)
{
        for (int i = 0; i < JOIN_COOKIE_SETS * JOIN_COOKIE_WAYS; i++) {
                struct mptcp_join_cookie *jc = &ms->join_cookies[i];
                if (jc->valid && jc->token == msk->local_token && cookie_expired(ms, jc))
                        cookie_forget(ms, jc);
        }
}

/* The place for a join's entry: its own 4-tuple's (a repeated SYN), else a free one (never
 * used, expired, or its connection gone), else the live entry of the connection in the set
 * that holds the most, if it holds more than this one: a connection with fewer joins waiting
 * always finds room, however many connections an attacker holds its places with. NULL
 * beyond the connection's share. */
static struct mptcp_join_cookie *cookie_place(struct mptcp_stack *ms, struct mptcp_sock *msk,
                                              struct mptcp_join_cookie *set,
                                              const struct um_addr *la, uint16_t lp,
                                              const struct um_addr *ra, uint16_t rp)
{
        if (msk->join_cookies >= JOIN_COOKIE_PER_TOKEN)
                forget_expired(ms, msk);
        struct mptcp_join_cookie *free_place = NULL, *richest = NULL;
        int richest_holds = msk->join_cookies;
        for (int w = 0; w < JOIN_COOKIE_WAYS; w++) {
                struct mptcp_join_cookie *jc = &set[w];
                if (cookie_matches(jc, la, lp, ra, rp))
                        return jc;
                struct mptcp_sock *owner = cookie_owner(ms, jc);
                if (!owner || cookie_expired(ms, jc)) {
                        if (!free_place)
                                free_place = jc;
                } else if (owner->join_cookies > richest_holds) {
                        richest = jc;
                        richest_holds = owner->join_cookies;
                }
        }
        if (msk->join_cookies >= JOIN_COOKIE_PER_TOKEN)
                return NULL;
        if (!free_place && richest)
                ms->ctr.MPTcpExtMPJoinCookieEvicted++;
        return free_place ? free_place : richest;
}

void mptcp_accept_syn_cookie(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        mptcp_accept_syn(sf, o);
        if (!sf->is_join || um_tcp_state(sf->tcp) == UM_TCP_CLOSED)
                return;
        struct mptcp_stack *ms = mptcp_stack_of(um_tcp_stack(sf->tcp));
        struct mptcp_sock *msk = mptcp_token_lookup(ms, sf->join_token);
        struct um_addr la, ra;
        uint16_t lp, rp;
        tuple(sf->tcp, &la, &lp, &ra, &rp);
        struct mptcp_join_cookie *set = cookie_set(ms, &la, lp, &ra, rp, 1);
        struct mptcp_join_cookie *jc =
            set && msk ? cookie_place(ms, msk, set, &la, lp, &ra, rp) : NULL;
        if (!jc) {
                /* Refused now rather than at its third ACK: the peer may try another path. */
                ms->ctr.MPTcpExtMPJoinCookieFull++;
                mptcp_subflow_reset(sf, MPTCP_RST_ERESOURCE);
                return;
        }
        /* A repeated SYN keeps its entry's age: repeating cannot hold a place forever. */
        uint64_t made_at = cookie_matches(jc, &la, lp, &ra, rp) ? jc->made_at : ms->st->now;
        cookie_forget(ms, jc);
        *jc = (struct mptcp_join_cookie){.laddr = la,
                                         .raddr = ra,
                                         .lport = lp,
                                         .rport = rp,
                                         .token = sf->join_token,
                                         .local_nonce = sf->local_nonce,
                                         .remote_nonce = sf->remote_nonce,
                                         .local_id = sf->local_id,
                                         .remote_id = sf->remote_id,
                                         .backup = sf->peer_backup,
                                         .valid = 1,
                                         .made_at = made_at};
        msk->join_cookies++;
}

/* A cookie child learns what its SYN asked for from the ACK: an MP_CAPABLE ACK carries our
 * key back (Linux takes it the same way), a join's state waits in the cookie table. */
static void cookie_ack(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        struct mptcp_stack *ms = mptcp_stack_of(um_tcp_stack(sf->tcp));
        sf->cookie = 0;
        if (o && mptcp_has(o, MPTCPOPT_MP_JOIN) && o->join_len == JOIN_LEN_ACK) {
                struct um_addr la, ra;
                uint16_t lp, rp;
                tuple(sf->tcp, &la, &lp, &ra, &rp);
                struct mptcp_join_cookie *set = cookie_set(ms, &la, lp, &ra, rp, 0), *jc = NULL;
                for (int w = 0; set && w < JOIN_COOKIE_WAYS && !jc; w++)
                        if (cookie_matches(&set[w], &la, lp, &ra, rp))
                                jc = &set[w];
                sf->is_join = 1;
                if (!jc)
                        return; /* nothing to check the HMAC against: refused below */
                cookie_forget(ms, jc);
                sf->join_token = jc->token;
                sf->local_nonce = jc->local_nonce;
                sf->remote_nonce = jc->remote_nonce;
                sf->local_id = jc->local_id;
                sf->remote_id = jc->remote_id;
                sf->peer_backup = jc->backup;
                return;
        }
        /* A key of ours that is taken by now falls back in msk_complete, as any other. */
        if (!ms->enabled || !o || !mptcp_has(o, MPTCPOPT_MP_CAPABLE) || o->mpc_len < MPC_LEN_ACK ||
            !o->mpc_rcvr_key)
                return;
        sf->mp_capable = 1;
        sf->syn_key = o->mpc_rcvr_key;
        sf->syn_csum = ms->checksum_enabled || (o->mpc_flags & MPC_FLAG_A);
}

/* RFC 8684 §3.2: the third ACK of a join proves the peer knows both keys; only then does
 * the join take a slot of its connection. */
static int join_complete(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        struct mptcp_stack *ms = mptcp_stack_of(um_tcp_stack(sf->tcp));
        struct mptcp_sock *msk = sf->join_token ? join_target(sf, sf->join_token) : NULL;
        if (!msk) {
                mptcp_subflow_reset(sf, MPTCP_RST_EMPTCP);
                return -1;
        }
        uint8_t mac[32];
        mptcp_join_ack_hmac(msk, sf, 1, mac);
        if (!o || !mptcp_has(o, MPTCPOPT_MP_JOIN) || o->join_len != JOIN_LEN_ACK ||
            !mptcp_mac_equal(mac, o->join_hmac, 20)) {
                ms->ctr.MPTcpExtMPJoinAckHMacFailure++;
                mptcp_subflow_reset(sf, MPTCP_RST_EPROHIBIT);
                return -1;
        }
        if (!mptcp_pm_accept_join(msk)) {
                ms->ctr.MPTcpExtMPJoinRejected++;
                mptcp_subflow_reset(sf, MPTCP_RST_ERESOURCE);
                return -1;
        }
        sf->fully_established = 1;
        mptcp_msk_attach(msk, sf);
        um_tcp_adopt(sf->tcp);
        mptcp_event_sub(sf, UM_MPTCP_EVENT_SUB_ESTABLISHED, 0);
        return 0;
}

/* The msk of a connection whose first subflow completed its handshake: MPTCP with the key
 * the SYN/ACK carried, or fallen back. */
static int msk_complete(struct mptcp_subflow *sf)
{
        struct mptcp_stack *ms = mptcp_stack_of(um_tcp_stack(sf->tcp));
        struct sockaddr_storage la;
        um_tcp_endpoints(sf->tcp, &la, NULL);
        struct mptcp_sock *msk = mptcp_msk_new(ms, la.ss_family);
        if (!msk) {
                mptcp_subflow_reset(sf, MPTCP_RST_ERESOURCE);
                return -1;
        }
        msk->state = MPTCP_ESTABLISHED;
        msk->orphan = 1; /* until accept() gives it a socket */
        mptcp_msk_attach(msk, sf);
        if (!sf->mp_capable || mptcp_token_install(msk, sf->syn_key) < 0) {
                if (sf->mp_capable)
                        ms->ctr.MPTcpExtTokenFallbackInit++;
                sf->mp_capable = 0;
                mptcp_do_fallback(msk);
                return 0;
        }
        msk->csum = sf->syn_csum;
        msk->remote_deny_join_id0 = sf->syn_deny_join0;
        return 0;
}

int mptcp_accept_complete(struct mptcp_subflow *sf, const struct mptcp_opts *o)
{
        if (sf->cookie)
                cookie_ack(sf, o);
        if (sf->is_join)
                return join_complete(sf, o);
        if (sf->join_only) { /* a cookie's ACK, not a join's, at an announced port */
                refuse_no_join(sf, o);
                return -1;
        }
        return msk_complete(sf);
}

/* Data that is not the subflow's first byte: it says nothing about a middlebox, as the
 * segment before it, with the MPTCP option that decides, may be lost or late. */
static int out_of_order_data(const struct mptcp_subflow *sf, const struct um_tcp_seg_info *seg)
{
        return seg->len && seg->seq != um_tcp_irs(sf->tcp) + 1;
}

void mptcp_accept_mpc_ack(struct mptcp_subflow *sf, const struct mptcp_opts *o,
                          const struct um_tcp_seg_info *seg)
{
        struct mptcp_sock *msk = sf->msk;
        if (o && mptcp_has(o, MPTCPOPT_MP_CAPABLE) && o->mpc_len >= MPC_LEN_ACK) {
                if (o->mpc_rcvr_key != msk->local_key) {
                        mptcp_subflow_reset(sf, MPTCP_RST_EMPTCP);
                        return;
                }
                msk->ms->ctr.MPTcpExtMPCapableACKRX++;
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
                msk->ms->ctr.MPTcpExtMPCapableFallbackACK++;
                mptcp_do_fallback(msk);
        }
}
