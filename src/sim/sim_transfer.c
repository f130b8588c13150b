/* A verified bulk transfer between two stacks over one emulated path, in virtual time.
 * Each direction's bytes come from a seeded generator and are hashed on both ends. */
#include <umptcp/mptcp.h>
#include <umptcp/sim.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include "sim/sim_flow.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct xfer {
        const struct um_sim_transfer_cfg *cfg;
        struct um_stack *cli, *srv;
        int cfd, lfd, sfd;
        struct sim_flow up, down; /* up: client -> server */
        uint8_t *rbuf;
        uint64_t *now;
        int failed;
        uint64_t sec_mark, sec_bytes;
        /* Client ends of every path, for per-path rates in the timeline. */
        struct um_link *path_end[UM_SIM_MAX_PATHS];
        uint64_t path_mark[UM_SIM_MAX_PATHS];
        int marked;
        struct um_sim_transfer_result *res;
};

/* The first failure wins: it names the side and call, and errno at the time. */
static void fail(struct xfer *x, struct um_stack *st, const char *call)
{
        if (!x->failed)
                snprintf(x->res->failure, sizeof(x->res->failure), "%s %s: %s",
                         st == x->cli ? "client" : "server", call, strerror(errno));
        x->failed = 1;
}

/* A socket that reports POLLERR: its pending error, as errno. */
static void fail_pollerr(struct xfer *x, struct um_stack *st, int fd)
{
        int e = 0;
        socklen_t el = sizeof(e);
        um_getsockopt(st, fd, SOL_SOCKET, SO_ERROR, &e, &el);
        errno = e;
        fail(x, st, "poll (POLLERR)");
}

/* The writer is done: a half-close, or (close_when_written, nothing to read) a close with
 * data still queued in the stack. */
static void finish_write(struct xfer *x, struct um_stack *st, int *fd, struct sim_flow *f)
{
        struct sim_flow *in = f == &x->up ? &x->down : &x->up;
        f->wr_closed = 1;
        if (x->cfg->close_when_written && !in->total) {
                if (um_close(st, *fd) < 0)
                        fail(x, st, "close");
                *fd = -2; /* closed: not -1, which means "not accepted yet" */
                in->eof = 1;
                return;
        }
        if (um_shutdown(st, *fd, SHUT_WR) < 0 && errno != ENOTCONN)
                fail(x, st, "shutdown");
}

static void pump_write(struct xfer *x, struct um_stack *st, int *fd, struct sim_flow *f)
{
        int rc = f->wr_closed ? 0 : sim_flow_write(f, st, *fd);
        if (rc < 0)
                fail(x, st, "send");
        else if (rc > 0)
                finish_write(x, st, fd, f);
}

static void pump_read(struct xfer *x, struct um_stack *st, int fd, struct sim_flow *f, int count)
{
        if (*x->now < x->cfg->read_pause_until_us)
                return;
        /* A slow reader (app_read_chunk) takes one chunk per wake-up. */
        long n =
            sim_flow_read(f, st, fd, x->rbuf, x->cfg->app_read_chunk, x->cfg->app_read_chunk != 0);
        if (n < 0)
                fail(x, st, "recv");
        else if (count)
                x->sec_bytes += (uint64_t)n;
}

static void timeline(struct xfer *x)
{
        FILE *out = x->cfg->timeline;
        if (!out)
                return;
        while (*x->now >= x->sec_mark + 1000000) {
                struct tcp_info ti;
                socklen_t len = sizeof(ti);
                memset(&ti, 0, sizeof(ti));
                um_getsockopt(x->cli, x->cfd, IPPROTO_TCP, TCP_INFO, &ti, &len);
                x->sec_mark += 1000000;
                fprintf(out, "t=%4.0fs  goodput %9.3f Mbit/s", (double)x->sec_mark / 1e6,
                        (double)x->sec_bytes * 8 / 1e6);
                if (x->cfg->n_more_paths) {
                        /* Per path: the client->server wire rate, headers included. */
                        fprintf(out, "  paths");
                        for (int k = 0; k <= x->cfg->n_more_paths; k++) {
                                uint64_t b = um_link_emu_stats(x->path_end[k])->delivered_bytes;
                                fprintf(out, " %7.2f", (double)(b - x->path_mark[k]) * 8 / 1e6);
                                x->path_mark[k] = b;
                        }
                        fprintf(out, " Mbit/s\n");
                } else {
                        fprintf(out, "  cwnd %6u seg  srtt %8.3f ms  retrans %u\n",
                                ti.tcpi_snd_cwnd, ti.tcpi_rtt / 1000.0, ti.tcpi_total_retrans);
                }
                x->sec_bytes = 0;
        }
}

static int step(void *arg)
{
        struct xfer *x = arg;
        if (x->sfd == -1) {
                x->sfd = um_accept(x->srv, x->lfd, NULL, NULL);
                if (x->sfd < 0 && errno != EAGAIN)
                        fail(x, x->srv, "accept");
        }
        if (x->cfd >= 0) {
                short cev = um_sock_events(x->cli, x->cfd);
                if (cev & POLLERR)
                        fail_pollerr(x, x->cli, x->cfd);
                if (cev & POLLOUT)
                        pump_write(x, x->cli, &x->cfd, &x->up);
        }
        if (x->cfd >= 0)
                pump_read(x, x->cli, x->cfd, &x->down, 0);
        if (x->sfd >= 0) {
                pump_read(x, x->srv, x->sfd, &x->up, 1);
                if (um_sock_events(x->srv, x->sfd) & POLLOUT)
                        pump_write(x, x->srv, &x->sfd, &x->down);
                if (x->sfd >= 0 && (um_sock_events(x->srv, x->sfd) & POLLERR))
                        fail_pollerr(x, x->srv, x->sfd);
        }
        timeline(x);
        if (x->cfg->mark_at_us && !x->marked && *x->now >= x->cfg->mark_at_us) {
                x->marked = 1;
                for (int k = 0; k <= x->cfg->n_more_paths; k++)
                        x->res->path_bytes_at_mark[k] =
                            um_link_emu_stats(x->path_end[k])->delivered_bytes;
        }
        if (x->cfg->on_step)
                x->cfg->on_step(x->cfg->step_arg, x->cli, x->cfd, x->srv, x->sfd, *x->now);
        return x->failed || (x->up.eof && x->down.eof && x->up.wr_closed && x->down.wr_closed);
}

static int make_stack(struct um_stack **st, const char *name, uint64_t seed, int log_level,
                      struct um_link *link, const char *addr)
{
        struct um_stack_config sc = {.seed = seed, .name = name, .log_level = log_level};
        *st = um_stack_new(&sc);
        if (!*st)
                return -1;
        int ifi = um_stack_add_iface(*st, link);
        return ifi < 0 || um_stack_add_addr(*st, ifi, addr) < 0 ? -1 : 0;
}

static int set_opts(struct um_stack *st, int fd, const struct um_sim_transfer_cfg *cfg)
{
        int rc = 0;
        if (cfg->cc)
                rc |= um_setsockopt(st, fd, IPPROTO_TCP, TCP_CONGESTION, cfg->cc,
                                    (socklen_t)strlen(cfg->cc));
        if (cfg->sndbuf)
                rc |= um_setsockopt(st, fd, SOL_SOCKET, SO_SNDBUF, &cfg->sndbuf, sizeof(int));
        if (cfg->rcvbuf)
                rc |= um_setsockopt(st, fd, SOL_SOCKET, SO_RCVBUF, &cfg->rcvbuf, sizeof(int));
        return rc;
}

/* Paths beyond the first: a link pair each, an address on each side, and for MPTCP the
 * client's address as a `subflow` endpoint (or the server's as a `signal` one). */
static int add_paths(struct xfer *x, struct um_link *more[][2])
{
        const struct um_sim_transfer_cfg *cfg = x->cfg;
        for (int k = 1; k <= cfg->n_more_paths; k++) {
                const struct um_sim_path *p = &cfg->more_paths[k - 1];
                char ca[64], sa[64];
                if (um_link_emu_pair(&p->fwd, &p->rev, p->mtu ? p->mtu : 1500,
                                     cfg->seed * 7 + 1 + (uint64_t)k * 1000, &more[k - 1][0],
                                     &more[k - 1][1]))
                        return -1;
                if (cfg->ipv6) {
                        snprintf(ca, sizeof(ca), "fd00:%d::1", k);
                        snprintf(sa, sizeof(sa), "fd00:%d::2/64", k);
                } else {
                        snprintf(ca, sizeof(ca), "10.0.%d.1", k);
                        snprintf(sa, sizeof(sa), "10.0.%d.2/24", k);
                }
                if (cfg->middlebox)
                        um_link_emu_set_middlebox(more[k - 1][0], cfg->middlebox,
                                                  cfg->middlebox_arg);
                int ci = um_stack_add_iface(x->cli, more[k - 1][0]);
                int si = um_stack_add_iface(x->srv, more[k - 1][1]);
                char cp[72];
                snprintf(cp, sizeof(cp), "%s/%d", ca, cfg->ipv6 ? 64 : 24);
                if (ci < 0 || si < 0 || um_stack_add_addr(x->cli, ci, cp) < 0 ||
                    um_stack_add_addr(x->srv, si, sa) < 0)
                        return -1;
                *strchr(sa, '/') = 0;
                int rc = cfg->server_signal
                             ? um_mptcp_endpoint_add(x->srv, sa, UM_MPTCP_PM_SIGNAL, 0)
                             : um_mptcp_endpoint_add(x->cli, ca, UM_MPTCP_PM_SUBFLOW, 0);
                if (rc < 0)
                        return -1;
        }
        unsigned n = (unsigned)cfg->n_more_paths;
        if (um_mptcp_limits_set(x->cli, n, cfg->server_signal ? n : 0) < 0 ||
            um_mptcp_limits_set(x->srv, n, 0) < 0)
                return -1;
        if (cfg->server_mptcp_disabled)
                um_mptcp_sysctl_set(x->srv, "enabled", 0);
        if (cfg->checksum)
                um_mptcp_sysctl_set(x->cli, "checksum_enabled", 1);
        if (cfg->scheduler && (um_mptcp_scheduler_set(x->cli, cfg->scheduler) < 0 ||
                               um_mptcp_scheduler_set(x->srv, cfg->scheduler) < 0))
                return -1;
        return 0;
}

int um_sim_transfer(const struct um_sim_transfer_cfg *cfg, struct um_sim_transfer_result *res)
{
        memset(res, 0, sizeof(*res));
        uint32_t mtu = cfg->path.mtu ? cfg->path.mtu : 1500;
        struct um_link *la = NULL, *lb = NULL, *lcli = NULL;
        struct um_link *more[UM_SIM_MAX_PATHS - 1][2] = {{NULL}};
        if (cfg->n_more_paths < 0 || cfg->n_more_paths > UM_SIM_MAX_PATHS - 1)
                return -1;
        if (um_link_emu_pair(&cfg->path.fwd, &cfg->path.rev, mtu, cfg->seed * 7 + 1, &la, &lb))
                return -1;
        if (cfg->middlebox)
                um_link_emu_set_middlebox(la, cfg->middlebox, cfg->middlebox_arg);
        lcli = la;
        if (cfg->pcap && um_link_pcap_wrap(la, cfg->pcap, &lcli) < 0)
                lcli = la;
        struct xfer x = {.cfg = cfg, .res = res, .cfd = -1, .lfd = -1, .sfd = -1};
        uint64_t now = 0;
        x.now = &now;
        x.rbuf = malloc(SIM_CHUNK);
        int ok = x.rbuf &&
                 !make_stack(&x.cli, "client", cfg->seed * 2 + 1, cfg->log_level, lcli,
                             cfg->ipv6 ? "fd00::1/64" : "10.0.0.1/24") &&
                 !make_stack(&x.srv, "server", cfg->seed * 2 + 2, cfg->log_level, lb,
                             cfg->ipv6 ? "fd00::2/64" : "10.0.0.2/24") &&
                 !add_paths(&x, more);
        if (ok && cfg->on_setup)
                cfg->on_setup(cfg->step_arg, x.cli, x.srv);
        x.path_end[0] = la;
        for (int k = 0; k < cfg->n_more_paths; k++)
                x.path_end[k + 1] = more[k][0];
        int proto = cfg->protocol ? cfg->protocol : IPPROTO_TCP;
        int family = cfg->ipv6 ? AF_INET6 : AF_INET;
        struct sockaddr_storage ss;
        socklen_t sl;
        memset(&ss, 0, sizeof(ss));
        if (cfg->ipv6) {
                struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons(5001);
                inet_pton(AF_INET6, "fd00::2", &s6->sin6_addr);
                sl = sizeof(*s6);
        } else {
                struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
                s4->sin_family = AF_INET;
                s4->sin_port = htons(5001);
                inet_pton(AF_INET, "10.0.0.2", &s4->sin_addr);
                sl = sizeof(*s4);
        }
        if (ok) {
                /* The listener takes any local address, as servers usually do: joins to
                 * the server's other addresses find it too. */
                struct sockaddr_storage any = {.ss_family = (sa_family_t)family};
                ((struct sockaddr_in *)&any)->sin_port = htons(5001);
                x.lfd = um_socket(x.srv, family, SOCK_STREAM, proto);
                ok = x.lfd >= 0 && !set_opts(x.srv, x.lfd, cfg) &&
                     !um_bind(x.srv, x.lfd, (struct sockaddr *)&any, sl) &&
                     !um_listen(x.srv, x.lfd, 16);
        }
        if (ok) {
                x.cfd = um_socket(x.cli, family, SOCK_STREAM, proto);
                ok = x.cfd >= 0 && !set_opts(x.cli, x.cfd, cfg) &&
                     um_connect(x.cli, x.cfd, (struct sockaddr *)&ss, sl) < 0 &&
                     errno == EINPROGRESS;
        }
        sim_flow_init(&x.up, cfg->bytes, cfg->seed ^ 0x5555);
        sim_flow_init(&x.down, cfg->reverse_bytes, cfg->seed ^ 0xaaaa);
        int rc = -1;
        if (ok) {
                struct um_stack *stacks[2] = {x.cli, x.srv};
                uint64_t limit = cfg->time_limit_us ? cfg->time_limit_us : 600ULL * 1000000;
                int r = 0;
                if (cfg->read_pause_until_us && cfg->read_pause_until_us < limit) {
                        r = um_sim_run(stacks, 2, &now, cfg->read_pause_until_us, step, &x);
                        if (now < cfg->read_pause_until_us)
                                now = cfg->read_pause_until_us; /* idle until the reader wakes */
                }
                if (r != 1 && !x.failed)
                        r = um_sim_run(stacks, 2, &now, limit, step, &x);
                res->completed = r == 1 && !x.failed;
                res->seconds = (double)now / 1e6;
                res->received = x.up.received;
                res->reverse_received = x.down.received;
                res->retrans_segs = um_counter_get(x.cli, "TcpRetransSegs") +
                                    um_counter_get(x.srv, "TcpRetransSegs");
                res->timeouts = um_counter_get(x.cli, "TcpExtTCPTimeouts") +
                                um_counter_get(x.srv, "TcpExtTCPTimeouts");
                for (int k = 0; k <= cfg->n_more_paths; k++)
                        for (int d = 0; d < 2; d++) {
                                struct um_link *end = k ? more[k - 1][d] : (d ? lb : la);
                                const struct um_emu_stats *es = um_link_emu_stats(end);
                                res->link_drops += es->lost_random + es->lost_burst +
                                                   es->lost_outage + es->lost_queue + es->lost_mtu +
                                                   es->dropped_middlebox;
                                res->path_packets[k][d] = es->sent;
                                if (!d)
                                        res->path_bytes[k] = es->delivered_bytes;
                        }
                int e = 0;
                socklen_t el = sizeof(e);
                if (x.cfd >= 0)
                        um_getsockopt(x.cli, x.cfd, SOL_SOCKET, SO_ERROR, &e, &el);
                res->client_error = e;
                if (x.sfd >= 0) {
                        el = sizeof(e);
                        e = 0;
                        um_getsockopt(x.srv, x.sfd, SOL_SOCKET, SO_ERROR, &e, &el);
                        res->server_error = e;
                }
        }
        int same_up = sim_flow_finish(&x.up, res->digest_sent, res->digest_received);
        int same_down = sim_flow_finish(&x.down, NULL, NULL);
        res->verified = res->completed && same_up && same_down && x.up.received == cfg->bytes &&
                        x.down.received == cfg->reverse_bytes;
        if (res->seconds > 0)
                res->goodput_bps = (double)res->received * 8 / res->seconds;
        if (res->verified)
                rc = 0;
        if (getenv("UMPTCP_SIM_COUNTERS") && x.cli && x.srv) {
                fprintf(stderr, "--- client\n");
                um_counters_print(x.cli, stderr, 0);
                fprintf(stderr, "--- server\n");
                um_counters_print(x.srv, stderr, 0);
        }
        if (x.cli) {
                if (x.cfd >= 0)
                        um_close(x.cli, x.cfd);
                um_stack_free(x.cli);
        }
        if (x.srv) {
                if (x.sfd >= 0)
                        um_close(x.srv, x.sfd);
                if (x.lfd >= 0)
                        um_close(x.srv, x.lfd);
                um_stack_free(x.srv);
        }
        if (lcli != la)
                um_link_destroy(lcli);
        um_link_destroy(la);
        um_link_destroy(lb);
        for (int k = 0; k < UM_SIM_MAX_PATHS - 1; k++)
                for (int d = 0; d < 2; d++)
                        if (more[k][d])
                                um_link_destroy(more[k][d]);
        free(x.rbuf);
        return rc;
}
