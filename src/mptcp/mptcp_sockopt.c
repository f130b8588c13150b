/* Socket options of an MPTCP socket. SOL_MPTCP gives MPTCP_INFO, MPTCP_TCPINFO and
 * MPTCP_SUBFLOW_ADDRS in Linux's layouts, and umptcp's MPTCP_SCHEDULER (set and read); SOL_SOCKET
 * buffers size the msk's queues; TCP-level options apply to every subflow, present and future, as
 * on Linux. */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_pm_kernel.h"
#include "sock/sock.h"
#include "tcp/tcp_api.h"

#include <errno.h>
#include <linux/sock_diag.h>
#include <string.h>

enum { MIN_BUF = 4096, MAX_BUF = 64 << 20 };

static int get_int(const void *val, size_t len, int *v)
{
        if (!val || len < sizeof(int))
                return -EINVAL;
        memcpy(v, val, sizeof(int));
        return 0;
}

static int put_int(void *val, size_t *len, int v)
{
        if (!val || *len < sizeof(int))
                return -EINVAL;
        memcpy(val, &v, sizeof(int));
        *len = sizeof(int);
        return 0;
}

static uint32_t clamp_buf(int v)
{
        if (v < MIN_BUF)
                return MIN_BUF;
        return v > MAX_BUF ? MAX_BUF : (uint32_t)v;
}

int mptcp_setsockopt(struct um_sock *s, int level, int name, const void *val, size_t len)
{
        struct mptcp_sock *msk = s->pcb;
        int v = 0;
        if (level == SOL_SOCKET && (name == SO_SNDBUF || name == SO_RCVBUF)) {
                int rc = get_int(val, len, &v);
                if (rc)
                        return rc;
                /* The queues are sized once, when the connection first needs them. */
                if (name == SO_SNDBUF && !msk->snd.buf)
                        msk->sndbuf = clamp_buf(v);
                if (name == SO_RCVBUF && !msk->rcv.buf)
                        msk->rcvbuf = clamp_buf(v);
                return 0;
        }
        if (level == SOL_SOCKET && name == SO_LINGER) {
                struct linger lg;
                if (!val || len < sizeof(lg))
                        return -EINVAL;
                memcpy(&lg, val, sizeof(lg));
                msk->linger_zero = lg.l_onoff && lg.l_linger == 0;
                return 0;
        }
        if (level == IPPROTO_TCP && name == TCP_NODELAY) {
                int rc = get_int(val, len, &v);
                if (rc)
                        return rc;
                msk->nodelay = v != 0;
        }
        if (level == IPPROTO_TCP && name == TCP_CONGESTION) {
                char cname[16] = {0};
                if (!val || !len)
                        return -EINVAL;
                memcpy(cname, val, len < sizeof(cname) - 1 ? len : sizeof(cname) - 1);
                if (!tcp_api_cc_name(msk->st, cname))
                        return -ENOENT;
                msk->cc_name = tcp_api_cc_name(msk->st, cname);
        }
        if (level == SOL_MPTCP && name == MPTCP_SCHEDULER) {
                char sname[16] = {0};
                if (!val || !len || len >= sizeof(sname))
                        return -EINVAL;
                memcpy(sname, val, len);
                const struct mptcp_sched_ops *ops = mptcp_sched_find(sname);
                if (!ops)
                        return -ENOENT;
                msk->sched = ops;
                msk->sched_priv[0] = msk->sched_priv[1] = 0;
                return 0;
        }
        if (level != SOL_SOCKET && level != IPPROTO_TCP)
                return -ENOPROTOOPT;
        /* Everything else is a subflow's option: the pending or listening connection and
         * every subflow take it. */
        struct um_tcp_conn *c = msk->listener ? msk->listener : msk->pending;
        int rc = 0;
        if (!c && !msk->subflows)
                c = msk->pending = tcp_api_open(msk->st, NULL, NULL);
        if (c)
                rc = tcp_api_setopt(c, level, name, val, len);
        for (struct mptcp_subflow *sf = msk->subflows; sf && !rc; sf = sf->next)
                rc = tcp_api_setopt(sf->tcp, level, name, val, len);
        return rc;
}

static void fill_info(const struct mptcp_sock *msk, struct mptcp_info *i)
{
        const struct mptcp_stack *ms = msk->ms;
        uint64_t now = msk->st->now;
        memset(i, 0, sizeof(*i));
        i->mptcpi_subflows = (uint8_t)(msk->n_subflows ? msk->n_subflows - 1 : 0);
        struct mptcp_pm_kernel_info pk;
        mptcp_pm_kernel_info(ms->pm_kernel, msk->local_token, &pk);
        i->mptcpi_subflows_max = (uint8_t)pk.subflows_max;
        i->mptcpi_add_addr_accepted_max = (uint8_t)pk.add_addr_accepted_max;
        i->mptcpi_add_addr_signal = (uint8_t)msk->pm.n_signalled;
        i->mptcpi_add_addr_accepted = (uint8_t)pk.add_addr_accepted;
        i->mptcpi_add_addr_signal_max = (uint8_t)pk.signal_max;
        i->mptcpi_flags = (msk->fallback ? MPTCP_INFO_FLAG_FALLBACK : 0) |
                          (msk->remote_key_known ? MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED : 0);
        i->mptcpi_token = msk->local_token;
        i->mptcpi_write_seq = msk->write_seq;
        i->mptcpi_snd_una = msk->snd_una;
        i->mptcpi_rcv_nxt = msk->rcv_nxt;
        i->mptcpi_local_addr_used = (uint8_t)msk->n_joins_opened;
        i->mptcpi_local_addr_max = (uint8_t)pk.endpoints;
        i->mptcpi_csum_enabled = msk->csum;
        i->mptcpi_retransmits = msk->retransmits;
        i->mptcpi_bytes_retrans = msk->bytes_retrans;
        i->mptcpi_bytes_sent = msk->bytes_sent;
        i->mptcpi_bytes_received = msk->bytes_received;
        i->mptcpi_bytes_acked = msk->bytes_acked;
        i->mptcpi_subflows_total = (uint8_t)msk->n_subflows;
        i->mptcpi_last_data_sent = (uint32_t)((now - msk->last_data_sent) / 1000);
        i->mptcpi_last_data_recv = (uint32_t)((now - msk->last_data_recv) / 1000);
        i->mptcpi_last_ack_recv = (uint32_t)((now - msk->last_ack_recv) / 1000);
}

/* MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS: a header, then one element per subflow, each
 * min(size_user, size_kernel) bytes at a size_user stride, as many as fit. */
static int subflow_array(const struct mptcp_sock *msk, int name, void *val, size_t *len)
{
        struct mptcp_subflow_data h;
        if (!val || *len < sizeof(h))
                return -EINVAL;
        memcpy(&h, val, sizeof(h));
        if (h.size_subflow_data < sizeof(h) || h.size_subflow_data > *len || h.num_subflows ||
            h.size_kernel)
                return -EINVAL;
        size_t ksize =
            name == MPTCP_TCPINFO ? sizeof(struct tcp_info) : sizeof(struct mptcp_subflow_addrs);
        size_t usize = h.size_user;
        size_t copy = usize < ksize ? usize : ksize;
        h.num_subflows = (uint32_t)msk->n_subflows;
        h.size_kernel = (uint32_t)ksize;
        size_t off = h.size_subflow_data, room = *len;
        for (const struct mptcp_subflow *sf = msk->subflows; sf && usize; sf = sf->next) {
                if (off + usize > room)
                        break;
                union {
                        struct tcp_info ti;
                        struct mptcp_subflow_addrs a;
                } e;
                memset(&e, 0, sizeof(e));
                if (name == MPTCP_TCPINFO) {
                        tcp_api_info(sf->tcp, &e.ti);
                } else {
                        um_tcp_endpoints(sf->tcp, &e.a.ss_local, &e.a.ss_remote);
                }
                memcpy((char *)val + off, &e, copy);
                off += usize;
        }
        memcpy(val, &h, sizeof(h));
        *len = off;
        return 0;
}

int mptcp_getsockopt(struct um_sock *s, int level, int name, void *val, size_t *len)
{
        struct mptcp_sock *msk = s->pcb;
        if (level == SOL_MPTCP) {
                switch (name) {
                case MPTCP_INFO: {
                        struct mptcp_info i;
                        if (!val)
                                return -EINVAL;
                        fill_info(msk, &i);
                        size_t n = *len < sizeof(i) ? *len : sizeof(i);
                        memcpy(val, &i, n);
                        *len = n;
                        return 0;
                }
                case MPTCP_TCPINFO:
                case MPTCP_SUBFLOW_ADDRS:
                        return subflow_array(msk, name, val, len);
                case MPTCP_SCHEDULER: { /* as TCP_CONGESTION: the name, cut to fit */
                        size_t n = strlen(msk->sched->name) + 1;
                        if (!val)
                                return -EINVAL;
                        if (n > *len)
                                n = *len;
                        memcpy(val, msk->sched->name, n);
                        *len = n;
                        return 0;
                }
                }
                return -EOPNOTSUPP;
        }
        if (level == SOL_SOCKET) {
                switch (name) {
                case SO_SNDBUF:
                        return put_int(val, len, (int)(msk->snd.buf ? msk->snd.cap : msk->sndbuf));
                case SO_RCVBUF:
                        return put_int(val, len, (int)(msk->rcv.buf ? msk->rcv.cap : msk->rcvbuf));
                case SO_ERROR: {
                        int e = msk->error;
                        msk->error = 0;
                        return put_int(val, len, e);
                }
                case SO_PROTOCOL:
                        return put_int(val, len, IPPROTO_MPTCP);
                case SO_MEMINFO: { /* the data level's queues */
                        uint32_t m[SK_MEMINFO_VARS] = {0};
                        m[SK_MEMINFO_RMEM_ALLOC] = msk->rcv.len + um_ranges_bytes(&msk->ooo);
                        m[SK_MEMINFO_RCVBUF] = msk->rcv.buf ? msk->rcv.cap : msk->rcvbuf;
                        m[SK_MEMINFO_WMEM_ALLOC] = m[SK_MEMINFO_WMEM_QUEUED] = msk->snd.len;
                        m[SK_MEMINFO_SNDBUF] = msk->snd.buf ? msk->snd.cap : msk->sndbuf;
                        size_t n = *len < sizeof(m) ? *len : sizeof(m);
                        if (!val)
                                return -EINVAL;
                        memcpy(val, m, n);
                        *len = n;
                        return 0;
                }
                }
        }
        struct um_tcp_conn *c = msk->listener ? msk->listener : msk->pending;
        if (!c && msk->first)
                c = msk->first->tcp;
        if (!c && level == IPPROTO_TCP && name == TCP_CONGESTION) {
                /* As Linux: a socket without a subflow yet tells what its subflows will take. */
                const char *cc = msk->cc_name ? msk->cc_name : um_tcp_congestion_control(msk->st);
                size_t n = strlen(cc) + 1 < *len ? strlen(cc) + 1 : *len;
                if (!val)
                        return -EINVAL;
                memcpy(val, cc, n);
                *len = n;
                return 0;
        }
        if (!c)
                return level == SOL_SOCKET || level == IPPROTO_TCP ? -ENOTCONN : -ENOPROTOOPT;
        return tcp_api_getopt(c, level, name, val, len);
}
