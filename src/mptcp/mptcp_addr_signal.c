/* Address signals on the wire (RFC 8684 §3.4): ADD_ADDR with its HMAC, repeated until the
 * peer echoes it; the echoes we owe; RM_ADDR. They ride on pure ACKs, as Linux sends them:
 * an ADD_ADDR does not fit beside a mapping, and waiting for a segment with room could
 * take forever on a subflow that only sends data. What to announce, and what to do with
 * the peer's announcements, is the path manager's business (mptcp_pm.c): this file only
 * turns its decisions into options and the peer's options into what the manager reads. */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_crypto.h"

#include <string.h>

static uint64_t add_addr_hmac(struct um_stack *st, uint64_t k_sender, uint64_t k_receiver,
                              const struct mptcp_addr_info *a)
{
        return mptcp_add_addr_hmac(st, k_sender, k_receiver, a->id, a->addr.b,
                                   um_addr_len(&a->addr), a->port);
}

/* When an announcement is next due (UINT64_MAX: never). */
static uint64_t signal_next(const struct mptcp_sock *msk)
{
        uint64_t at = UINT64_MAX;
        for (int i = 0; i < msk->pm.n_announced; i++)
                if (msk->pm.announced[i].due < at)
                        at = msk->pm.announced[i].due;
        return at;
}

static void signal_rearm(struct mptcp_sock *msk)
{
        mptcp_timer_set(msk, MPTCP_T_SIGNAL, signal_next(msk));
}

static int signal_waiting(const struct mptcp_sock *msk)
{
        const struct mptcp_pm_state *pm = &msk->pm;
        if (pm->n_echo || pm->n_rm)
                return 1;
        for (int i = 0; i < pm->n_announced; i++)
                if (pm->announced[i].due <= msk->st->now)
                        return 1;
        return 0;
}

void mptcp_signal_kick(struct mptcp_sock *msk)
{
        struct mptcp_subflow *pick = NULL;
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                if (mptcp_subflow_usable(sf) && !sf->stale && (!pick || sf == msk->first))
                        pick = sf;
        /* One signal per ACK; stop when one does not go out (nothing would change). */
        for (int i = 0; pick && i < 2 * MPTCP_PM_ADDRS && signal_waiting(msk); i++) {
                uint64_t before = msk->pm.written;
                um_tcp_send_pure_ack(pick->tcp);
                if (msk->pm.written == before)
                        break;
        }
}

void mptcp_signal_prio(struct mptcp_subflow *sf, int backup)
{
        if (sf->backup == !!backup)
                return;
        sf->backup = !!backup;
        sf->send_mp_prio = 1;
        if (mptcp_subflow_usable(sf))
                um_tcp_send_pure_ack(sf->tcp);
}

void mptcp_signal_announce(struct mptcp_sock *msk, const struct mptcp_addr_info *a)
{
        struct mptcp_pm_state *pm = &msk->pm;
        if (pm->n_announced == MPTCP_PM_ADDRS) {
                msk->st->mptcp->ctr.MPTcpExtAddAddrTxDrop++;
                return;
        }
        pm->announced[pm->n_announced++] = (struct mptcp_announce){.a = *a, .due = msk->st->now};
        mptcp_signal_kick(msk);
        signal_rearm(msk); /* for the repeat */
}

void mptcp_signal_remove(struct mptcp_sock *msk, uint8_t id)
{
        struct mptcp_pm_state *pm = &msk->pm;
        for (int i = 0; i < pm->n_announced; i++)
                if (pm->announced[i].a.id == id) {
                        if (pm->announced[i].listening)
                                mptcp_port_listener_put(msk->ms, &pm->announced[i].a.addr,
                                                        pm->announced[i].a.port);
                        pm->announced[i] = pm->announced[--pm->n_announced];
                        signal_rearm(msk);
                        break;
                }
        if (pm->n_rm == MPTCP_PM_ADDRS) {
                msk->st->mptcp->ctr.MPTcpExtRmAddrTxDrop++;
                return;
        }
        pm->rm_ids[pm->n_rm++] = id;
        mptcp_signal_kick(msk);
}

void mptcp_signal_echo_received(struct mptcp_sock *msk, const struct mptcp_addr_info *a)
{
        struct mptcp_pm_state *pm = &msk->pm;
        msk->ms->ctr.MPTcpExtEchoAdd++;
        for (int i = 0; i < pm->n_announced; i++) {
                struct mptcp_announce *an = &pm->announced[i];
                if (an->a.id == a->id && um_addr_eq(&an->a.addr, &a->addr))
                        an->due = UINT64_MAX;
        }
        signal_rearm(msk);
}

int mptcp_signal_announced(const struct mptcp_sock *msk, const struct um_addr *a, uint16_t port)
{
        for (int i = 0; i < msk->pm.n_announced; i++)
                if (msk->pm.announced[i].a.port == port &&
                    um_addr_eq(&msk->pm.announced[i].a.addr, a))
                        return 1;
        return 0;
}

int mptcp_add_addr_authentic(const struct mptcp_sock *msk, const struct mptcp_opts *o)
{
        struct mptcp_addr_info a = {.addr = o->add_addr, .port = o->add_port, .id = o->add_addr_id};
        return o->add_has_hmac && msk->remote_key_known &&
               add_addr_hmac(msk->st, msk->remote_key, msk->local_key, &a) == o->add_hmac;
}

void mptcp_signal_echo(struct mptcp_sock *msk, const struct mptcp_addr_info *a)
{
        struct mptcp_pm_state *pm = &msk->pm;
        /* A repeat (our echo was lost) is echoed again without a second echo queued. */
        for (int i = 0; i < pm->n_echo; i++)
                if (pm->echo[i].id == a->id && um_addr_eq(&pm->echo[i].addr, &a->addr))
                        return;
        if (pm->n_echo < MPTCP_PM_ADDRS)
                pm->echo[pm->n_echo++] = *a;
        else
                msk->ms->ctr.MPTcpExtEchoAddTxDrop++;
}

static unsigned write_add_addr(struct mptcp_sock *msk, const struct mptcp_addr_info *a, int echo,
                               uint8_t *out, unsigned room)
{
        if (mptcp_add_addr_len(a->addr.family, a->port != 0, !echo) > room)
                return 0;
        uint64_t hmac = echo ? 0 : add_addr_hmac(msk->st, msk->local_key, msk->remote_key, a);
        return mptcp_write_add_addr(out, echo, a->id, &a->addr, a->port, !echo, hmac);
}

unsigned mptcp_signal_write(struct mptcp_subflow *sf, uint8_t *out, unsigned room)
{
        struct mptcp_sock *msk = sf->msk;
        struct mptcp_pm_state *pm = &msk->pm;
        struct um_stack *st = msk->st;
        if (sf->send_mp_prio && room >= MP_PRIO_LEN) {
                /* RFC 8684 §3.3.8: MP_PRIO applies to the subflow that carries it. */
                sf->send_mp_prio = 0;
                pm->written++;
                st->mptcp->ctr.MPTcpExtMPPrioTx++;
                return mptcp_write_mp_prio(out, sf->backup);
        }
        if (pm->n_echo) {
                unsigned n = write_add_addr(msk, &pm->echo[0], 1, out, room);
                if (n) {
                        pm->echo[0] = pm->echo[--pm->n_echo];
                        pm->written++;
                        st->mptcp->ctr.MPTcpExtEchoAddTx++;
                }
                return n;
        }
        for (int i = 0; i < pm->n_announced; i++) {
                struct mptcp_announce *an = &pm->announced[i];
                if (an->due > st->now)
                        continue;
                unsigned n = write_add_addr(msk, &an->a, 0, out, room);
                if (n) {
                        st->mptcp->ctr.MPTcpExtAddAddrTx++;
                        pm->written++;
                        an->tries++;
                        an->due = an->tries < MPTCP_ADD_ADDR_TRIES
                                      ? st->now + (uint64_t)msk->ms->add_addr_timeout * 1000000
                                      : UINT64_MAX;
                        signal_rearm(msk);
                }
                return n;
        }
        if (pm->n_rm && room >= 4) {
                /* RFC 8684 §3.4.2: 3 bytes and one per ID; those that do not fit wait. */
                unsigned ids = room - 3 < (unsigned)pm->n_rm ? room - 3 : (unsigned)pm->n_rm;
                unsigned n = mptcp_write_rm_addr(out, pm->rm_ids, ids);
                st->mptcp->ctr.MPTcpExtRmAddrTx++;
                pm->n_rm -= (int)ids;
                memmove(pm->rm_ids, pm->rm_ids + ids, (size_t)pm->n_rm);
                pm->written++;
                return n;
        }
        return 0;
}

void mptcp_signal_timer(struct mptcp_sock *msk, uint64_t now)
{
        if (signal_next(msk) > now)
                return;
        mptcp_signal_kick(msk);
        /* Still due: no subflow could carry it now; try again in a second. */
        for (int i = 0; i < msk->pm.n_announced; i++)
                if (msk->pm.announced[i].due <= now)
                        msk->pm.announced[i].due = now + 1000000;
        signal_rearm(msk);
}
