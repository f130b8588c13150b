/* The life of an MPTCP connection (msk): creation, subflows joining and leaving, keys,
 * fallback to TCP (RFC 8684 §3.7), MP_FASTCLOSE (§3.5), the data-level close (§3.3.3) and
 * the one timer that retransmits, repeats join ACKs and ADD_ADDRs, and reaps closed
 * subflows. */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_crypto.h"
#include "sock/sock.h"
#include "tcp/tcp_api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
        MPTCP_SCRATCH = 65536,
        MPTCP_ORPHAN_TIMEOUT_US = 60 * 1000000, /* like TCP's FIN_WAIT_2 timeout */
};

static void msk_timer_fire(struct um_timer *t, uint64_t now);

struct mptcp_sock *mptcp_msk_new(struct mptcp_stack *ms, int domain)
{
        struct mptcp_sock *msk = calloc(1, sizeof(*msk));
        if (!msk)
                return NULL;
        msk->scratch = malloc(MPTCP_SCRATCH);
        if (!msk->scratch) {
                free(msk);
                return NULL;
        }
        msk->ms = ms;
        msk->st = ms->st;
        msk->domain = domain;
        msk->sndbuf = MPTCP_DEFAULT_BUF;
        msk->rcvbuf = MPTCP_DEFAULT_BUF;
        um_timer_init(&msk->timer, msk_timer_fire);
        msk->all_next = ms->all;
        if (ms->all)
                ms->all->all_prev = msk;
        ms->all = msk;
        return msk;
}

static void msk_free(struct mptcp_sock *msk)
{
        struct mptcp_stack *ms = msk->ms;
        mptcp_token_remove(msk);
        um_timer_cancel(&msk->st->timers, &msk->timer);
        if (msk->all_prev)
                msk->all_prev->all_next = msk->all_next;
        else
                ms->all = msk->all_next;
        if (msk->all_next)
                msk->all_next->all_prev = msk->all_prev;
        um_ring_free(&msk->snd);
        um_ring_free(&msk->rcv);
        free(msk->scratch);
        free(msk);
}

void mptcp_msk_maybe_free(struct mptcp_sock *msk)
{
        if (msk->orphan && !msk->sock && !msk->subflows && !msk->listener && !msk->pending)
                msk_free(msk);
}

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
        if (msk->cur == sf)
                msk->cur = NULL;
        sf->msk = NULL;
}

void mptcp_msk_wake(struct mptcp_sock *msk)
{
        if (msk->sock)
                um_sock_wake(msk->sock);
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
}

void mptcp_do_fallback(struct mptcp_sock *msk)
{
        if (msk->fallback)
                return;
        msk->fallback = 1;
        msk->n_reinject = 0;
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
        int send = !msk->fastclosed && !msk->error;
        msk->fastclosed = 1;
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next) {
                if (um_tcp_state(sf->tcp) == UM_TCP_CLOSED)
                        continue;
                sf->send_fastclose = send && !msk->fallback;
                mptcp_subflow_reset(sf, 0xff);
        }
        mptcp_msk_wake(msk);
}

void mptcp_close_subflows(struct mptcp_sock *msk)
{
        msk->subflows_closing = 1;
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                sf->closing = 1;
        mptcp_rtx_arm(msk);
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
        else if (msk->orphan && msk->data_fin_acked && !msk->orphan_deadline) {
                msk->orphan_deadline = msk->st->now + MPTCP_ORPHAN_TIMEOUT_US;
                mptcp_rtx_arm(msk);
        }
}

void mptcp_subflow_closed(struct mptcp_subflow *sf)
{
        struct mptcp_sock *msk = sf->msk;
        if (!msk->fallback)
                mptcp_reinject_subflow(sf);
        int usable = 0;
        for (struct mptcp_subflow *o = msk->subflows; o; o = o->next)
                if (o != sf && um_tcp_state(o->tcp) >= UM_TCP_ESTABLISHED &&
                    um_tcp_state(o->tcp) != UM_TCP_CLOSED)
                        usable = 1;
        if (!usable && !msk->subflows_closing && !msk->error &&
            !(msk->data_fin_acked && msk->rcv_shutdown) && sf == msk->first) {
                int err = tcp_api_take_error(sf->tcp);
                if (msk->fallback && !err) {
                        /* A plain TCP close: the end of the data, once the msk has taken
                         * what the subflow still holds (mptcp_rcv_pull_all). */
                        if (!um_tcp_readable(sf->tcp))
                                msk->rcv_shutdown = 1;
                } else {
                        msk->error = err ? err : ECONNRESET;
                }
        }
        sf->closing = 1;
        mptcp_rtx_arm(msk);
        if (!msk->cur || msk->cur == sf)
                mptcp_push(msk);
}

static uint64_t data_rto(const struct mptcp_sock *msk)
{
        uint64_t rto = 200000;
        for (const struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next) {
                struct um_tcp_path_info pi;
                um_tcp_path_info(sf->tcp, &pi);
                if (pi.rto_us > rto && !pi.backoff)
                        rto = pi.rto_us;
        }
        uint64_t r = rto << (msk->rtx_backoff < 6 ? msk->rtx_backoff : 6);
        return r < 60000000 ? r : 60000000;
}

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

/* RFC 8684 §3.2: when an active join repeats its third ACK, not yet acknowledged
 * (UINT64_MAX: it does not). The timer and its arming share this one test. */
static uint64_t join_ack_due(const struct mptcp_subflow *sf)
{
        if (!sf->is_join || sf->passive || sf->join_acked || !sf->join_ack_at || sf->closing)
                return UINT64_MAX;
        struct um_tcp_path_info pi;
        um_tcp_path_info(sf->tcp, &pi);
        return sf->join_ack_at + pi.rto_us;
}

void mptcp_rtx_arm(struct mptcp_sock *msk)
{
        uint64_t now = msk->st->now, at = UINT64_MAX;
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next) {
                if ((sf->closing || msk->subflows_closing) && !sf->released &&
                    !waits_for_data(msk, sf))
                        at = now;
                uint64_t t = join_ack_due(sf);
                if (t < at)
                        at = t;
        }
        if (!msk->fallback && mptcp_data_outstanding(msk)) {
                uint64_t t = msk->last_una_move + data_rto(msk);
                if (t < at)
                        at = t;
        }
        if (msk->orphan_deadline && msk->orphan_deadline < at)
                at = msk->orphan_deadline;
        uint64_t signal_at = mptcp_signal_next(msk);
        if (signal_at < at)
                at = signal_at;
        if (at == UINT64_MAX)
                um_timer_cancel(&msk->st->timers, &msk->timer);
        else if (!um_timer_armed(&msk->timer) || msk->timer.at != at)
                um_timer_arm(&msk->st->timers, &msk->timer, at < now ? now : at);
}

/* Closed subflows are released outside TCP's processing, from the timer. */
static void reap_subflows(struct mptcp_sock *msk)
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
}

static void msk_timer_fire(struct um_timer *t, uint64_t now)
{
        struct mptcp_sock *msk =
            (struct mptcp_sock *)((char *)t - offsetof(struct mptcp_sock, timer));
        if (msk->orphan_deadline && now >= msk->orphan_deadline) {
                msk->orphan_deadline = 0;
                msk->error = ETIMEDOUT;
                mptcp_fastclose(msk);
                mptcp_close_subflows(msk);
        }
        if (msk->subflows_closing)
                for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                        sf->closing = 1;
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next) {
                if (now < join_ack_due(sf))
                        continue;
                /* RFC 8684 §3.2: the third ACK is repeated until acknowledged. */
                if (++sf->join_tries > 5) {
                        mptcp_subflow_reset(sf, MPTCP_RST_EMPTCP);
                        continue;
                }
                sf->join_ack_at = now;
                um_tcp_send_ack(sf->tcp);
        }
        if (!msk->fallback && mptcp_data_outstanding(msk) &&
            now >= msk->last_una_move + data_rto(msk)) {
                /* RFC 8684 §3.3.6: data not DATA_ACKed in time goes out again, on the best
                 * subflow the scheduler finds. Not before the peer has shown it speaks MPTCP:
                 * a peer that fell back reads a second copy as new bytes (subflow TCP
                 * retransmits what was lost meanwhile). */
                msk->rtx_backoff++;
                msk->last_una_move = now;
                uint64_t end = dsn_lt(msk->snd_nxt, msk->snd_una + MPTCP_MAP_MAX)
                                   ? msk->snd_nxt
                                   : msk->snd_una + MPTCP_MAP_MAX;
                int confirmed = !msk->first || msk->first->fully_established;
                if (confirmed && dsn_gt(end, msk->snd_una) &&
                    msk->n_reinject < MPTCP_REINJECT_MAX) {
                        msk->reinject[msk->n_reinject][0] = msk->snd_una;
                        msk->reinject[msk->n_reinject][1] = end;
                        msk->n_reinject++;
                }
                if (msk->data_fin_sent && !msk->data_fin_acked)
                        mptcp_send_data_fin(msk);
        }
        mptcp_signal_timer(msk, now);
        if (!msk->cur)
                mptcp_push(msk);
        /* Released subflows are freed at the end of the poll, so msk outlives this. */
        reap_subflows(msk);
        mptcp_rtx_arm(msk);
}
