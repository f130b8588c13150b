/* Socket options of a TCP connection, and TCP_INFO with Linux's layout. */
#include "tcp/tcp_api.h"
#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"

#include <errno.h>
#include <linux/sock_diag.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

static int get_int(const void *val, size_t len, int *out)
{
        if (!val || len < sizeof(int))
                return -EINVAL;
        memcpy(out, val, sizeof(int));
        return 0;
}

static uint32_t clamp_buf(int v)
{
        if (v < 4096)
                return 4096;
        return (uint32_t)v > TCP_MAX_BUF ? TCP_MAX_BUF : (uint32_t)v;
}

const char *tcp_api_cc_name(const struct um_stack *st, const char *name)
{
        const struct tcp_cc_ops *cc = tcp_cc_find(st, name);
        return cc ? cc->name : NULL;
}

int tcp_api_setopt(struct um_tcp_conn *c, int level, int name, const void *val, size_t len)
{
        int v = 0;
        if (level == SOL_SOCKET && name == SO_LINGER) {
                struct linger lg;
                if (!val || len < sizeof(lg))
                        return -EINVAL;
                memcpy(&lg, val, sizeof(lg));
                c->linger_zero = lg.l_onoff && lg.l_linger == 0;
                return 0;
        }
        if (level == IPPROTO_TCP && name == TCP_CONGESTION) {
                char cname[16] = {0};
                if (!val || !len)
                        return -EINVAL;
                memcpy(cname, val, len < sizeof(cname) - 1 ? len : sizeof(cname) - 1);
                const struct tcp_cc_ops *cc = tcp_cc_find(c->st, cname);
                if (!cc)
                        return -ENOENT;
                if (cc != c->cc) {
                        c->cc = cc;
                        if (c->state >= TCPS_ESTABLISHED)
                                cc->init(c);
                }
                return 0;
        }
        int rc = get_int(val, len, &v);
        if (rc)
                return rc;
        if (level == SOL_SOCKET) {
                switch (name) {
                case SO_SNDBUF:
                        c->user_sndbuf = 1;
                        c->sndbuf_max = clamp_buf(v);
                        if (c->sndbuf.cap)
                                return um_ring_grow(&c->sndbuf, c->sndbuf_max, c->sndbuf.len);
                        return 0;
                case SO_RCVBUF:
                        c->user_rcvbuf = 1;
                        c->rcvbuf_max = clamp_buf(v);
                        if (c->rcvbuf.cap)
                                return um_ring_grow(&c->rcvbuf, c->rcvbuf_max, tcp_rcv_extent(c));
                        return 0;
                case SO_KEEPALIVE:
                        c->keepalive = !!v;
                        tcp_arm_keepalive(c);
                        return 0;
                }
                return -ENOPROTOOPT;
        }
        if (level != IPPROTO_TCP)
                return -ENOPROTOOPT;
        switch (name) {
        case TCP_NODELAY:
                c->nodelay = !!v;
                if (v)
                        tcp_output(c);
                return 0;
        case TCP_KEEPIDLE:
        case TCP_KEEPINTVL:
        case TCP_KEEPCNT:
                if (v < 1 || v > 32767)
                        return -EINVAL;
                if (name == TCP_KEEPIDLE)
                        c->keep_idle_s = (uint32_t)v;
                else if (name == TCP_KEEPINTVL)
                        c->keep_intvl_s = (uint32_t)v;
                else
                        c->keep_cnt = (uint32_t)v;
                tcp_arm_keepalive(c);
                return 0;
        }
        return -ENOPROTOOPT;
}

static int put_int(void *val, size_t *len, int v)
{
        if (!val || *len < sizeof(int))
                return -EINVAL;
        memcpy(val, &v, sizeof(int));
        *len = sizeof(int);
        return 0;
}

int tcp_api_getopt(struct um_tcp_conn *c, int level, int name, void *val, size_t *len)
{
        if (level == SOL_SOCKET) {
                switch (name) {
                case SO_SNDBUF:
                        return put_int(val, len,
                                       (int)(c->sndbuf.cap ? c->sndbuf.cap : c->sndbuf_max));
                case SO_RCVBUF:
                        return put_int(val, len,
                                       (int)(c->rcvbuf.cap ? c->rcvbuf.cap : tcp_rcv_window(c)));
                case SO_KEEPALIVE:
                        return put_int(val, len, c->keepalive);
                case SO_ERROR:
                        return put_int(val, len, tcp_api_take_error(c));
                case SO_MEMINFO: {
                        uint32_t m[SK_MEMINFO_VARS] = {0};
                        m[SK_MEMINFO_RMEM_ALLOC] = tcp_rcv_extent(c);
                        m[SK_MEMINFO_RCVBUF] = c->rcvbuf.cap;
                        m[SK_MEMINFO_WMEM_ALLOC] = m[SK_MEMINFO_WMEM_QUEUED] = c->sndbuf.len;
                        m[SK_MEMINFO_SNDBUF] = c->sndbuf.cap ? c->sndbuf.cap : c->sndbuf_max;
                        size_t n = *len < sizeof(m) ? *len : sizeof(m);
                        if (!val)
                                return -EINVAL;
                        memcpy(val, m, n);
                        *len = n;
                        return 0;
                }
                case SO_LINGER: {
                        struct linger lg = {.l_onoff = c->linger_zero, .l_linger = 0};
                        if (!val || *len < sizeof(lg))
                                return -EINVAL;
                        memcpy(val, &lg, sizeof(lg));
                        *len = sizeof(lg);
                        return 0;
                }
                }
                return -ENOPROTOOPT;
        }
        if (level != IPPROTO_TCP)
                return -ENOPROTOOPT;
        switch (name) {
        case TCP_NODELAY:
                return put_int(val, len, c->nodelay);
        case TCP_MAXSEG:
                return put_int(val, len, c->mss ? (int)tcp_seg_size(c) : 536);
        case TCP_KEEPIDLE:
                return put_int(val, len, (int)c->keep_idle_s);
        case TCP_KEEPINTVL:
                return put_int(val, len, (int)c->keep_intvl_s);
        case TCP_KEEPCNT:
                return put_int(val, len, (int)c->keep_cnt);
        case TCP_CONGESTION: {
                if (!val || !*len)
                        return -EINVAL;
                size_t n = strlen(c->cc->name) + 1;
                if (n > *len)
                        n = *len;
                memcpy(val, c->cc->name, n);
                ((char *)val)[n - 1] = '\0';
                *len = n;
                return 0;
        }
        case TCP_INFO: {
                struct tcp_info info;
                tcp_api_info(c, &info);
                size_t n = *len < sizeof(info) ? *len : sizeof(info);
                if (!val)
                        return -EINVAL;
                memcpy(val, &info, n);
                *len = n;
                return 0;
        }
        }
        return -ENOPROTOOPT;
}

/* Linux's TCPS_ESTABLISHED=1 ... numbering of tcpi_state. */
static uint8_t linux_state(enum tcp_state s)
{
        static const uint8_t map[] = {
            [TCPS_CLOSED] = 7,       [TCPS_LISTEN] = 10,     [TCPS_SYN_SENT] = 2,
            [TCPS_SYN_RECEIVED] = 3, [TCPS_ESTABLISHED] = 1, [TCPS_FIN_WAIT_1] = 4,
            [TCPS_FIN_WAIT_2] = 5,   [TCPS_CLOSE_WAIT] = 8,  [TCPS_CLOSING] = 11,
            [TCPS_LAST_ACK] = 9,     [TCPS_TIME_WAIT] = 6,
        };
        return map[s];
}

void tcp_api_info(const struct um_tcp_conn *c, struct tcp_info *i)
{
        memset(i, 0, sizeof(*i));
        uint32_t mss = c->mss ? c->mss : 536;
        i->tcpi_state = linux_state(c->state);
        i->tcpi_ca_state = c->in_recovery ? 3 : (c->rto_recovery ? 4 : 0);
        i->tcpi_retransmits = (uint8_t)(c->retries > 255 ? 255 : c->retries);
        i->tcpi_probes = (uint8_t)c->probes;
        i->tcpi_backoff = (uint8_t)c->backoff;
        i->tcpi_options = (uint8_t)((c->ts_ok ? 1 : 0) | (c->sack_ok ? 2 : 0) | (c->ws_ok ? 4 : 0));
        i->tcpi_snd_wscale = c->snd_wscale;
        i->tcpi_rcv_wscale = c->rcv_wscale;
        i->tcpi_rto = (uint32_t)c->rto_us;
        i->tcpi_snd_mss = c->mss ? tcp_seg_size(c) : 536;
        i->tcpi_rcv_mss = c->adv_mss;
        i->tcpi_unacked = tcp_flight_size(c) / mss;
        i->tcpi_sacked = c->sacked_out / mss;
        i->tcpi_lost = c->lost_out / mss;
        i->tcpi_retrans = c->retrans_out / mss;
        i->tcpi_last_data_sent = (uint32_t)((c->st->now - c->last_send_us) / 1000);
        i->tcpi_last_data_recv = (uint32_t)((c->st->now - c->last_recv_us) / 1000);
        i->tcpi_pmtu = c->ifindex >= 0 ? um_iface_mtu(c->st, c->ifindex) : 0;
        i->tcpi_rcv_ssthresh = tcp_rcv_window(c);
        i->tcpi_rtt = (uint32_t)c->srtt_us;
        i->tcpi_rttvar = (uint32_t)c->rttvar_us;
        i->tcpi_snd_ssthresh = c->ssthresh == UINT32_MAX ? 0x7fffffff : c->ssthresh / mss;
        i->tcpi_snd_cwnd = c->cwnd / mss;
        i->tcpi_advmss = c->adv_mss;
        i->tcpi_reordering = 3;
        i->tcpi_rcv_rtt = (uint32_t)c->rcv_rtt_us;
        i->tcpi_rcv_space = c->rcv_space;
        i->tcpi_total_retrans = c->total_retrans;
}
