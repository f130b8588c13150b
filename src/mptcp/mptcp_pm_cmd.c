/* Path-manager commands (include/umptcp/mptcp_pm.h): what a manager asks of one connection,
 * found by its token — announce or remove an address, open, close or reprioritise a
 * subflow — and the engine's own opening of a join, which they and the built-in manager
 * share. The engine checks each request against the protocol; the decision is the
 * manager's. */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_pm_kernel.h"
#include "net/iface.h"
#include "tcp/tcp_api.h"

#include <errno.h>
#include <string.h>

int mptcp_join_open(struct mptcp_sock *msk, const struct um_addr *local, uint16_t lport,
                    uint8_t loc_id, int backup, const struct um_addr *remote, uint16_t rport)
{
        struct um_stack *st = msk->st;
        if (msk->n_subflows >= MPTCP_MAX_SUBFLOWS)
                return -ENOSPC;
        struct um_addr src = local ? *local : (struct um_addr){0};
        int rc = um_route(st, &src, remote);
        if (rc < 0)
                return rc;
        if (!local)
                loc_id = mptcp_pm_local_id(msk, &src);
        struct um_tcp_conn *c = tcp_api_open(st, NULL, NULL);
        if (!c)
                return -ENOMEM;
        rc = lport ? tcp_api_bind(c, &src, lport, 0) : tcp_api_bind_address(c, &src);
        if (rc < 0) {
                tcp_api_close(c);
                return rc;
        }
        struct mptcp_subflow *sf = mptcp_subflow_new(c);
        if (!sf) {
                tcp_api_close(c);
                return -ENOMEM;
        }
        mptcp_msk_attach(msk, sf);
        sf->is_join = 1;
        sf->local_id = loc_id;
        sf->remote_id = mptcp_pm_remote_id(msk, remote, rport); /* as Linux: events carry it */
        sf->backup = backup != 0;
        um_rng_bytes(&st->rng, &sf->local_nonce, sizeof(sf->local_nonce));
        rc = tcp_api_connect(c, remote, rport);
        if (rc < 0 && rc != -EINPROGRESS) {
                /* No SYN left: nothing of it remains, and no event tells of it. */
                mptcp_msk_detach(sf);
                tcp_api_close(c);
                return rc;
        }
        sf->ev_reported = msk->ev_created; /* its SUB_CLOSED is owed, however it ends */
        msk->n_joins_opened++;
        st->mptcp->ctr.MPTcpExtMPJoinSynTx++;
        return 0;
}

void mptcp_subflow_remove(struct mptcp_subflow *sf)
{
        if (sf->closing)
                return;
        sf->msk->st->mptcp->ctr.MPTcpExtRmSubflow++;
        mptcp_subflow_reset(sf, MPTCP_RST_EUNSPEC);
}

/* The connection a command names, when it can take commands now. */
static struct mptcp_sock *cmd_msk(struct um_stack *st, uint32_t token, int *err)
{
        struct mptcp_sock *msk = st ? mptcp_token_lookup(st->mptcp, token) : NULL;
        *err = 0;
        if (!msk) {
                *err = -ENOENT;
                return NULL;
        }
        if (msk->state != MPTCP_ESTABLISHED || !msk->remote_key_known || msk->fallback ||
            msk->fastclosed || msk->error || msk->subflows_closing) {
                *err = -EBUSY;
                return NULL;
        }
        return msk;
}

static int addr_of(const struct sockaddr *sa, struct um_addr *a, uint16_t *port)
{
        if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
                return -EINVAL;
        socklen_t len =
            sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
        return um_addr_from_sockaddr(sa, len, a, port) < 0 ? -EINVAL : 0;
}

/* The subflow between these two addresses and ports, or NULL. */
static struct mptcp_subflow *find_subflow(struct mptcp_sock *msk, const struct sockaddr *local,
                                          const struct sockaddr *remote)
{
        struct um_addr la, ra;
        uint16_t lp, rp;
        if (addr_of(local, &la, &lp) < 0 || addr_of(remote, &ra, &rp) < 0)
                return NULL;
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next) {
                if (sf->closing || sf->is_listener)
                        continue;
                struct sockaddr_storage l, r;
                struct um_addr sl, sr;
                uint16_t slp, srp;
                um_tcp_endpoints(sf->tcp, &l, &r);
                um_addr_from_sockaddr((struct sockaddr *)&l, sizeof(l), &sl, &slp);
                um_addr_from_sockaddr((struct sockaddr *)&r, sizeof(r), &sr, &srp);
                if (um_addr_eq(&sl, &la) && um_addr_eq(&sr, &ra) && slp == lp && srp == rp)
                        return sf;
        }
        return NULL;
}

int um_mptcp_pm_announce(struct um_stack *st, uint32_t token, const struct um_mptcp_pm_addr *local)
{
        int err;
        struct mptcp_sock *msk = cmd_msk(st, token, &err);
        if (!msk)
                return err;
        struct mptcp_addr_info a = {.id = local ? local->id : 0};
        /* RFC 8684 §3.4.1: ID 0 is the initial subflow's address, never announced. */
        if (!local || !a.id ||
            addr_of((const struct sockaddr *)&local->addr, &a.addr, &a.port) < 0 ||
            a.addr.family != msk->laddr.family)
                return -EINVAL;
        if (msk->pm.n_announced == MPTCP_PM_ADDRS)
                return -ENOSPC;
        for (int i = 0; i < msk->pm.n_announced; i++)
                if (msk->pm.announced[i].a.id == a.id)
                        return -EEXIST;
        /* RFC 8684 §3.4.1: a port of our own is one we take joins on. */
        int listen = a.port && a.port != msk->lport;
        if (listen) {
                int rc = mptcp_port_listener_get(msk->ms, &a.addr, a.port);
                if (rc < 0)
                        return rc;
        }
        mptcp_signal_announce(msk, &a);
        msk->pm.announced[msk->pm.n_announced - 1].listening = listen;
        msk->pm.n_signalled++;
        return 0;
}

int um_mptcp_pm_remove(struct um_stack *st, uint32_t token, uint8_t loc_id)
{
        int err;
        struct mptcp_sock *msk = cmd_msk(st, token, &err);
        if (!msk)
                return err;
        int known = 0;
        for (int i = 0; i < msk->pm.n_announced; i++)
                known |= msk->pm.announced[i].a.id == loc_id;
        for (struct mptcp_subflow *sf = msk->subflows, *next; sf; sf = next) {
                next = sf->next;
                if (!sf->is_listener && !sf->closing && sf->local_id == loc_id) {
                        known = 1;
                        mptcp_subflow_remove(sf);
                }
        }
        if (!known)
                return -ENOENT;
        /* RFC 8684 §3.4.2: the peer closes what it has to that address too. */
        mptcp_signal_remove(msk, loc_id);
        mptcp_reap_rearm(msk);
        return 0;
}

int um_mptcp_pm_subflow_create(struct um_stack *st, uint32_t token,
                               const struct um_mptcp_pm_addr *local, const struct sockaddr *remote,
                               int backup)
{
        int err;
        struct mptcp_sock *msk = cmd_msk(st, token, &err);
        if (!msk)
                return err;
        struct um_addr la, ra;
        uint16_t lport, rport;
        if (!local || addr_of((const struct sockaddr *)&local->addr, &la, &lport) < 0 ||
            addr_of(remote, &ra, &rport) < 0 || la.family != ra.family ||
            ra.family != msk->raddr.family || !um_addr_is_host_unicast(&ra))
                return -EINVAL;
        if (!rport)
                rport = msk->rport;
        /* RFC 8684 §3.1: the peer's C flag forbids joins to its address and port. */
        if (msk->remote_deny_join_id0 && um_addr_eq(&ra, &msk->raddr) && rport == msk->rport)
                return -EPERM;
        /* An unspecified local address: the routed source, with the ID it has. */
        static const uint8_t zero[16];
        int any = !memcmp(la.b, zero, um_addr_len(&la));
        if (!any && um_iface_of_addr(st, &la) < 0)
                return -EADDRNOTAVAIL;
        return mptcp_join_open(msk, any ? NULL : &la, lport, local->id, backup, &ra, rport);
}

/* The subflow a command names by token and addresses, or NULL with *err set. */
static struct mptcp_subflow *cmd_subflow(struct um_stack *st, uint32_t token,
                                         const struct sockaddr *local,
                                         const struct sockaddr *remote, int *err)
{
        struct mptcp_sock *msk = cmd_msk(st, token, err);
        struct mptcp_subflow *sf = msk ? find_subflow(msk, local, remote) : NULL;
        if (msk && !sf)
                *err = -ENOENT;
        return sf;
}

int um_mptcp_pm_subflow_destroy(struct um_stack *st, uint32_t token, const struct sockaddr *local,
                                const struct sockaddr *remote)
{
        int err;
        struct mptcp_subflow *sf = cmd_subflow(st, token, local, remote, &err);
        if (!sf)
                return err;
        struct mptcp_sock *msk = sf->msk;
        mptcp_subflow_remove(sf);
        mptcp_reap_rearm(msk);
        return 0;
}

int um_mptcp_pm_set_backup(struct um_stack *st, uint32_t token, const struct sockaddr *local,
                           const struct sockaddr *remote, int backup)
{
        int err;
        struct mptcp_subflow *sf = cmd_subflow(st, token, local, remote, &err);
        if (!sf)
                return err;
        mptcp_signal_prio(sf, backup);
        mptcp_push(sf->msk);
        return 0;
}

int mptcp_pm_backup_by_id(struct um_stack *st, uint32_t token, uint8_t loc_id, int backup)
{
        int err;
        struct mptcp_sock *msk = cmd_msk(st, token, &err);
        if (!msk)
                return err;
        for (struct mptcp_subflow *sf = msk->subflows; sf; sf = sf->next)
                if (!sf->is_listener && !sf->closing && sf->local_id == loc_id)
                        mptcp_signal_prio(sf, backup);
        mptcp_push(msk);
        return 0;
}

int um_mptcp_path_manager_set(struct um_stack *st, const char *name)
{
        if (!st || !name)
                return -EINVAL;
        if (!strcmp(name, "kernel"))
                st->mptcp->pm_userspace = 0;
        else if (!strcmp(name, "userspace"))
                st->mptcp->pm_userspace = 1;
        else
                return -EINVAL;
        return 0;
}

const char *um_mptcp_path_manager(const struct um_stack *st)
{
        return st->mptcp->pm_userspace ? "userspace" : "kernel";
}
