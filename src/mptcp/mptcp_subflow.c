/* A subflow as the data level sees it: creation, its addresses, its reset, whether it can
 * carry data, the HMACs of its join, the repeats of a join's third ACK, and its release
 * once closed. */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_crypto.h"
#include "tcp/tcp_api.h"

#include <stdlib.h>

enum { JOIN_ACK_TRIES = 5 };

struct mptcp_subflow *mptcp_subflow_new(struct um_tcp_conn *c)
{
        struct mptcp_subflow *sf = calloc(1, sizeof(*sf));
        if (!sf)
                return NULL;
        sf->tcp = c;
        sf->tx.size = sizeof(struct mptcp_map);
        sf->rst_reason = MPTCP_RST_NONE;
        sf->peer_rst_reason = MPTCP_RST_NONE;
        if (um_tcp_ulp_set(c, &mptcp_subflow_ulp, sf) < 0) {
                free(sf);
                return NULL;
        }
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

int mptcp_subflow_usable(const struct mptcp_subflow *sf)
{
        int state = um_tcp_state(sf->tcp);
        if (sf->closing || (state != UM_TCP_ESTABLISHED && state != UM_TCP_CLOSE_WAIT))
                return 0;
        if (sf->is_join && !sf->fully_established)
                return 0; /* RFC 8684 §3.2: data waits for the fourth ACK */
        return 1;
}

uint32_t mptcp_subflow_room(const struct um_tcp_path_info *pi)
{
        /* Keep about a congestion window of data not yet sent: enough that every ACK finds
         * data to send (also in loss recovery, when the hole holds the window's bytes
         * unacknowledged), little enough that the choice of subflow stays fresh. Refill
         * only once half of it has gone, so that data goes in large mappings (few DSS
         * options, full-size segments) rather than a sliver per ACK. */
        uint32_t unsent = pi->queued - pi->in_flight;
        uint32_t want = pi->cwnd + 2 * pi->mss;
        uint32_t room = unsent < want / 2 ? want - unsent : 0;
        return room < pi->sndbuf_free ? room : pi->sndbuf_free;
}

/* ---- MP_JOIN (RFC 8684 §3.2) ---- */

void mptcp_join_synack_hmac(const struct mptcp_sock *msk, const struct mptcp_subflow *sf,
                            int we_listen, uint8_t out[32])
{
        if (we_listen)
                mptcp_join_hmac(msk->st, msk->local_key, msk->remote_key, sf->local_nonce,
                                sf->remote_nonce, out);
        else
                mptcp_join_hmac(msk->st, msk->remote_key, msk->local_key, sf->remote_nonce,
                                sf->local_nonce, out);
}

void mptcp_join_ack_hmac(const struct mptcp_sock *msk, const struct mptcp_subflow *sf,
                         int we_listen, uint8_t out[32])
{
        mptcp_join_synack_hmac(msk, sf, !we_listen, out);
}

/* When an active join repeats its third ACK, not yet acknowledged (UINT64_MAX: it does
 * not). The timer and its arming share this one test. */
static uint64_t join_ack_due(const struct mptcp_subflow *sf)
{
        if (!sf->is_join || sf->passive || sf->join_acked || !sf->join_ack_at || sf->closing)
                return UINT64_MAX;
        struct um_tcp_path_info pi;
        um_tcp_path_info(sf->tcp, &pi);
        return sf->join_ack_at + pi.rto_us;
}

void mptcp_join_ack_rearm(struct mptcp_sock *msk)
{
        uint64_t at = UINT64_MAX;
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next) {
                uint64_t t = join_ack_due(sf);
                if (t < at)
                        at = t;
        }
        mptcp_timer_set(msk, MPTCP_T_JOIN_ACK, at);
}

/* RFC 8684 §3.2: the third ACK is repeated until acknowledged. */
void mptcp_join_ack_timer(struct mptcp_sock *msk, uint64_t now)
{
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next) {
                if (now < join_ack_due(sf))
                        continue;
                if (++sf->join_tries > JOIN_ACK_TRIES) {
                        mptcp_subflow_reset(sf, MPTCP_RST_EMPTCP);
                        continue;
                }
                sf->join_ack_at = now;
                um_tcp_send_ack(sf->tcp);
        }
        mptcp_join_ack_rearm(msk);
}

/* ---- release ---- */

/* A closing subflow is released only when nothing is lost by it: a fallen-back connection
 * first hands TCP all its data, and bytes TCP received (and acknowledged) are first taken
 * up by the msk, which may wait for its reader to make room. */
static int waits_for_data(const struct mptcp_sock *msk, const struct mptcp_subflow *sf)
{
        if (msk->error)
                return 0;
        if (!msk->orphan && um_tcp_readable(sf->tcp))
                return 1;
        return msk->fallback && !msk->wr_fin_done && um_tcp_state(sf->tcp) != UM_TCP_CLOSED &&
               dsn_lt(msk->snd_nxt, msk->write_seq);
}

void mptcp_reap_rearm(struct mptcp_sock *msk)
{
        uint64_t at = UINT64_MAX;
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                if ((sf->closing || msk->subflows_closing) && !sf->released &&
                    !waits_for_data(msk, sf))
                        at = msk->st->now;
        mptcp_timer_set(msk, MPTCP_T_REAP, at);
}

/* Closed subflows are released outside TCP's processing, from the timer. */
void mptcp_reap_subflows(struct mptcp_sock *msk)
{
        struct mptcp_subflow *sf = msk->subflows;
        while (sf) {
                struct mptcp_subflow *next = sf->next;
                if (sf->closing && !sf->released && !waits_for_data(msk, sf)) {
                        sf->released = 1;
                        tcp_api_close(sf->tcp); /* freed at the end of the poll */
                }
                sf = next;
        }
        mptcp_reap_rearm(msk);
}
