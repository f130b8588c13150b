/* Changes of a connection's state that any of its paths may make: subflows attached and
 * detached, the peer's key, fallback to TCP (RFC 8684 §3.7), MP_FASTCLOSE (§3.5), the
 * data-level close (§3.3.3), and waking the socket. */
#include "mptcp/mptcp.h"
#include "sock/sock.h"
#include "tcp/tcp_api.h"

#include <errno.h>
#include <string.h>

enum { MPTCP_ORPHAN_TIMEOUT_US = 60 * 1000000 }; /* like TCP's FIN_WAIT_2 timeout */

void mptcp_msk_attach(struct mptcp_sock *msk, struct mptcp_subflow *sf)
{
        sf->msk = msk;
        sf->next = msk->subflows;
        msk->subflows = sf;
        msk->n_subflows++;
        if (!msk->first) {
                msk->first = sf;
                struct sockaddr_storage l, r;
                um_tcp_endpoints(sf->tcp, &l, &r);
                um_addr_from_sockaddr((struct sockaddr *)&l, sizeof(l), &msk->laddr, &msk->lport);
                um_addr_from_sockaddr((struct sockaddr *)&r, sizeof(r), &msk->raddr, &msk->rport);
        }
        if (msk->nodelay)
                tcp_api_setopt(sf->tcp, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
        if (msk->cc_name)
                tcp_api_setopt(sf->tcp, IPPROTO_TCP, TCP_CONGESTION, msk->cc_name,
                               strlen(msk->cc_name));
}

void mptcp_msk_detach(struct mptcp_subflow *sf)
{
        struct mptcp_sock *msk = sf->msk;
        for (struct mptcp_subflow **pp = &msk->subflows; *pp; pp = &(*pp)->next)
                if (*pp == sf) {
                        *pp = sf->next;
                        msk->n_subflows--;
                        break;
                }
        if (msk->first == sf)
                msk->first = msk->subflows;
        sf->msk = NULL;
}

void mptcp_msk_wake(struct mptcp_sock *msk)
{
        if (msk->sock)
                sock_wake(msk->sock);
}

void mptcp_set_keys(struct mptcp_sock *msk, uint64_t remote_key)
{
        if (msk->remote_key_known)
                return;
        msk->remote_key = remote_key;
        mptcp_key_token_idsn(msk->ms, remote_key, &msk->remote_token, &msk->remote_idsn);
        msk->remote_key_known = 1;
        /* RFC 8684 §3.3: the first data byte each way is IDSN + 1. */
        msk->rcv_nxt = msk->remote_idsn + 1;
        if (!msk->fallback)
                mptcp_event_conn(msk, UM_MPTCP_EVENT_CREATED);
}

void mptcp_do_fallback(struct mptcp_sock *msk)
{
        if (msk->fallback)
                return;
        msk->fallback = 1;
        msk->n_reinject = 0;
        msk->repairing = 0;
        if (!msk->token_registered) /* no key: IDSN 0 (any value would do, both ends agree) */
                msk->snd_una = msk->snd_nxt = msk->write_seq = msk->wnd_end = msk->local_idsn + 1;
        struct mptcp_subflow *sf = msk->first;
        if (!sf)
                return;
        um_tcp_set_option_reserve(sf->tcp, 0);
        /* Everything was sent on this one subflow in order: subflow byte 1 is data byte
         * IDSN + 1 each way, and stays so. */
        if (!sf->has_fb_tx) {
                sf->fb_tx =
                    (struct mptcp_map){.dsn = msk->local_idsn + 1, .ssn = um_tcp_iss(sf->tcp) + 1};
                sf->has_fb_tx = 1;
        }
        if (!sf->has_fb_rx && um_tcp_state(sf->tcp) >= UM_TCP_ESTABLISHED) {
                if (!msk->remote_key_known)
                        msk->rcv_nxt = msk->remote_idsn + 1;
                sf->fb_rx =
                    (struct mptcp_map){.dsn = msk->remote_idsn + 1, .ssn = um_tcp_irs(sf->tcp) + 1};
                sf->has_fb_rx = 1;
        }
}

void mptcp_fastclose(struct mptcp_sock *msk)
{
        mptcp_msk_over(msk);
        int send = !msk->fastclosed && !msk->error;
        msk->fastclosed = 1;
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next) {
                if (um_tcp_state(sf->tcp) == UM_TCP_CLOSED)
                        continue;
                sf->send_fastclose = send && !msk->fallback;
                mptcp_subflow_reset(sf, MPTCP_RST_NONE);
        }
        mptcp_msk_wake(msk);
}

void mptcp_close_subflows(struct mptcp_sock *msk)
{
        mptcp_msk_over(msk); /* over at the data level */
        msk->subflows_closing = 1;
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                sf->closing = 1;
        mptcp_reap_rearm(msk);
}

/* RFC 8684 §3.3.3: the connection is over at the data level when both DATA_FINs are
 * acknowledged; then the subflows close like TCP connections. */
void mptcp_check_close(struct mptcp_sock *msk)
{
        if (msk->subflows_closing || msk->fallback)
                return;
        int done = msk->data_fin_acked && msk->rcv_shutdown;
        if (done || (msk->orphan && msk->error))
                mptcp_close_subflows(msk);
        else if (msk->orphan && msk->data_fin_acked && msk->deadline[MPTCP_T_ORPHAN] == UINT64_MAX)
                mptcp_timer_set(msk, MPTCP_T_ORPHAN, msk->st->now + MPTCP_ORPHAN_TIMEOUT_US);
}
