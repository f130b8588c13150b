/* A network of hosts and routers over emulated links, with verified flows between hosts,
 * in virtual time (include/umptcp/sim.h). Routers move every packet due on any of their
 * links to the link towards its destination; their routes are computed once, when the run
 * starts, by a breadth-first search from each host address over the routers. */
#include <umptcp/mptcp.h>
#include <umptcp/mptcp_pm.h>
#include <umptcp/sim.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_flow.h"

enum { PORTS = 8, ROUTES = 64, ADDRS = 8, BATCH = 32, FRAME = 2048, BASE_PORT = 5001 };

struct addr {
        uint8_t b[16];
        int family, len;
};

struct node {
        char name[16];
        int router;
        struct um_stack *st;
        int links[PORTS], n_links; /* the links it is an end of */
        struct addr addrs[ADDRS];  /* a host's, with the link each is on */
        int addr_link[ADDRS], n_addrs;
        struct route {
                struct addr dst;
                int link;
        } routes[ROUTES];
        int n_routes;
};

struct net_link {
        int node[2];
        struct um_link *end[2];
};

struct net_flow {
        struct um_sim_flow cfg;
        char name[32], server_addr[64], cc[16], scheduler[16];
        int lfd, cfd, sfd, started, client_done, server_done;
        int checked, verified;              /* the hashes compared (once: that ends them) */
        struct um_sim_flow_result at_close; /* the client's figures as it closed */
        int noted;
        uint64_t rmem, rmem_max, rmem_at; /* the receiver's occupancy, last sampled at */
        double rmem_area;                 /* its integral over time (byte-microseconds) */
        uint64_t start_us, end_us;
        struct sim_flow data;
};

struct um_sim_net {
        uint64_t seed;
        struct node nodes[UM_SIM_NET_NODES];
        int n_nodes;
        struct net_link links[UM_SIM_NET_LINKS];
        int n_links;
        struct net_flow *flows[UM_SIM_NET_FLOWS];
        int n_flows;
        uint64_t now;
        int routed;
        uint8_t frames[BATCH][FRAME];
        uint8_t rbuf[SIM_CHUNK];
};

struct um_sim_net *um_sim_net_new(uint64_t seed)
{
        struct um_sim_net *net = calloc(1, sizeof(*net));
        if (net)
                net->seed = seed ? seed : 1;
        return net;
}

void um_sim_net_free(struct um_sim_net *net)
{
        if (!net)
                return;
        for (int i = 0; i < net->n_flows; i++) {
                struct net_flow *f = net->flows[i];
                struct um_stack *cli = net->nodes[f->cfg.client].st,
                                *srv = net->nodes[f->cfg.server].st;
                if (f->cfd >= 0)
                        um_close(cli, f->cfd);
                if (f->sfd >= 0)
                        um_close(srv, f->sfd);
                if (f->lfd >= 0)
                        um_close(srv, f->lfd);
                if (f->data.tx_hash)
                        sim_flow_finish(&f->data, NULL, NULL);
                free(f->data.delay);
                free(f);
        }
        for (int i = 0; i < net->n_nodes; i++)
                if (net->nodes[i].st)
                        um_stack_free(net->nodes[i].st);
        for (int i = 0; i < net->n_links; i++)
                for (int e = 0; e < 2; e++)
                        um_link_destroy(net->links[i].end[e]);
        free(net);
}

static int add_node(struct um_sim_net *net, const char *name, int router)
{
        if (!name || strlen(name) >= sizeof(net->nodes[0].name))
                return -EINVAL;
        if (um_sim_net_node(net, name) >= 0)
                return -EEXIST;
        if (net->n_nodes == UM_SIM_NET_NODES)
                return -ENOSPC;
        struct node *n = &net->nodes[net->n_nodes];
        memset(n, 0, sizeof(*n));
        strcpy(n->name, name);
        n->router = router;
        if (!router) {
                struct um_stack_config sc = {.seed = net->seed * 131 + (uint64_t)net->n_nodes,
                                             .name = n->name};
                if (!(n->st = um_stack_new(&sc)))
                        return -ENOMEM;
        }
        return net->n_nodes++;
}

int um_sim_net_host(struct um_sim_net *net, const char *name)
{
        return add_node(net, name, 0);
}

int um_sim_net_router(struct um_sim_net *net, const char *name)
{
        return add_node(net, name, 1);
}

int um_sim_net_node(const struct um_sim_net *net, const char *name)
{
        for (int i = 0; name && i < net->n_nodes; i++)
                if (!strcmp(net->nodes[i].name, name))
                        return i;
        return -ENOENT;
}

static int parse_addr(const char *s, struct addr *a)
{
        char buf[64];
        if (!s || strlen(s) >= sizeof(buf))
                return -EINVAL;
        strcpy(buf, s);
        char *slash = strchr(buf, '/');
        if (slash)
                *slash = 0;
        memset(a, 0, sizeof(*a));
        if (inet_pton(AF_INET, buf, a->b) == 1) {
                a->family = AF_INET;
                a->len = 4;
                return 0;
        }
        if (inet_pton(AF_INET6, buf, a->b) == 1) {
                a->family = AF_INET6;
                a->len = 16;
                return 0;
        }
        return -EINVAL;
}

/* A host's end: an interface with its address. */
static int attach(struct um_sim_net *net, int node, const char *addr, struct um_link *end, int link)
{
        struct node *n = &net->nodes[node];
        if (n->n_links == PORTS)
                return -ENOSPC;
        n->links[n->n_links++] = link;
        if (n->router)
                return addr ? -EINVAL : 0;
        struct addr a;
        if (!addr || parse_addr(addr, &a) < 0 || n->n_addrs == ADDRS)
                return -EINVAL;
        int ifindex = um_stack_add_iface(n->st, end);
        if (ifindex < 0)
                return ifindex;
        int rc = um_stack_add_addr(n->st, ifindex, addr);
        if (rc < 0)
                return rc;
        n->addrs[n->n_addrs] = a;
        n->addr_link[n->n_addrs++] = link;
        return 0;
}

int um_sim_net_link(struct um_sim_net *net, int a, const char *a_addr, int b, const char *b_addr,
                    const struct um_emu_dir_config *ab, const struct um_emu_dir_config *ba,
                    uint32_t mtu)
{
        if (a < 0 || b < 0 || a >= net->n_nodes || b >= net->n_nodes || a == b || net->routed)
                return -EINVAL;
        if (net->n_links == UM_SIM_NET_LINKS)
                return -ENOSPC;
        struct net_link *l = &net->links[net->n_links];
        int rc =
            um_link_emu_pair(ab, ba, mtu ? mtu : 1500, net->seed * 7919 + (uint64_t)net->n_links,
                             &l->end[0], &l->end[1]);
        if (rc < 0)
                return rc;
        l->node[0] = a;
        l->node[1] = b;
        int id = net->n_links++;
        if ((rc = attach(net, a, a_addr, l->end[0], id)) < 0 ||
            (rc = attach(net, b, b_addr, l->end[1], id)) < 0)
                return rc;
        return id;
}

struct um_stack *um_sim_net_stack(struct um_sim_net *net, int host)
{
        return host >= 0 && host < net->n_nodes ? net->nodes[host].st : NULL;
}

int um_sim_net_flow(struct um_sim_net *net, const struct um_sim_flow *flow)
{
        if (!flow || flow->client < 0 || flow->server < 0 || flow->client >= net->n_nodes ||
            flow->server >= net->n_nodes || net->nodes[flow->client].router ||
            net->nodes[flow->server].router || flow->client == flow->server || !flow->server_addr ||
            strlen(flow->server_addr) >= 64)
                return -EINVAL;
        if (net->n_flows == UM_SIM_NET_FLOWS)
                return -ENOSPC;
        struct net_flow *f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->cfg = *flow;
        snprintf(f->name, sizeof(f->name), "%s", flow->name ? flow->name : "flow");
        snprintf(f->server_addr, sizeof(f->server_addr), "%s", flow->server_addr);
        snprintf(f->cc, sizeof(f->cc), "%s", flow->cc ? flow->cc : "");
        snprintf(f->scheduler, sizeof(f->scheduler), "%s", flow->scheduler ? flow->scheduler : "");
        f->cfg.name = f->name;
        f->cfg.server_addr = f->server_addr;
        f->cfg.cc = flow->cc ? f->cc : NULL;
        f->cfg.scheduler = flow->scheduler ? f->scheduler : NULL;
        f->lfd = f->cfd = f->sfd = -1;
        sim_flow_init(&f->data, flow->bytes,
                      net->seed ^ (0x9e37ULL * (uint64_t)(net->n_flows + 1)));
        if (sim_flow_track_delay(&f->data, &net->now) < 0) {
                sim_flow_finish(&f->data, NULL, NULL);
                free(f);
                return -ENOMEM;
        }
        net->flows[net->n_flows] = f;
        return net->n_flows++;
}

/* ---- Routes ---- */

static int addr_eq(const struct addr *a, const struct addr *b)
{
        return a->family == b->family && !memcmp(a->b, b->b, (size_t)a->len);
}

static int other_end(const struct net_link *l, int node)
{
        return l->node[0] == node ? l->node[1] : l->node[0];
}

static void add_route(struct node *r, const struct addr *dst, int link)
{
        if (r->n_routes < ROUTES)
                r->routes[r->n_routes++] = (struct route){*dst, link};
}

/* From each host address, over the routers only: every router learns the link of its
 * first hop towards the address along the fewest hops. */
static void compute_routes(struct um_sim_net *net)
{
        for (int h = 0; h < net->n_nodes; h++) {
                const struct node *host = &net->nodes[h];
                for (int k = 0; k < host->n_addrs; k++) {
                        int seen[UM_SIM_NET_NODES] = {0}, queue[UM_SIM_NET_NODES], head = 0,
                            tail = 0;
                        int first = other_end(&net->links[host->addr_link[k]], h);
                        if (!net->nodes[first].router)
                                continue; /* host to host: no router to teach */
                        add_route(&net->nodes[first], &host->addrs[k], host->addr_link[k]);
                        seen[first] = 1;
                        queue[tail++] = first;
                        while (head < tail) {
                                int r = queue[head++];
                                for (int p = 0; p < net->nodes[r].n_links; p++) {
                                        int l = net->nodes[r].links[p];
                                        int o = other_end(&net->links[l], r);
                                        if (seen[o] || !net->nodes[o].router)
                                                continue;
                                        seen[o] = 1;
                                        add_route(&net->nodes[o], &host->addrs[k], l);
                                        queue[tail++] = o;
                                }
                        }
                }
        }
        net->routed = 1;
}

static struct um_link *end_at(struct um_sim_net *net, int link, int node)
{
        struct net_link *l = &net->links[link];
        return l->node[0] == node ? l->end[0] : l->end[1];
}

static void forward(struct um_sim_net *net, struct node *r, int node, const struct um_frame *fr)
{
        struct addr dst = {0};
        if (fr->len >= 20 && fr->data[0] >> 4 == 4) {
                memcpy(dst.b, fr->data + 16, 4);
                dst.family = AF_INET;
                dst.len = 4;
        } else if (fr->len >= 40 && fr->data[0] >> 4 == 6) {
                memcpy(dst.b, fr->data + 24, 16);
                dst.family = AF_INET6;
                dst.len = 16;
        } else {
                return;
        }
        for (int i = 0; i < r->n_routes; i++)
                if (addr_eq(&r->routes[i].dst, &dst)) {
                        struct um_link *out = end_at(net, r->routes[i].link, node);
                        out->ops->send(out, fr, 1, net->now);
                        return;
                }
}

static void router_poll(struct um_sim_net *net, int node)
{
        struct node *r = &net->nodes[node];
        struct um_frame fr[BATCH];
        for (int p = 0; p < r->n_links; p++) {
                struct um_link *in = end_at(net, r->links[p], node);
                int n;
                do {
                        for (int i = 0; i < BATCH; i++)
                                fr[i] = (struct um_frame){.data = net->frames[i], .cap = FRAME};
                        n = in->ops->recv(in, fr, BATCH, net->now);
                        for (int i = 0; i < n; i++)
                                forward(net, r, node, &fr[i]);
                } while (n == BATCH);
        }
}

static uint64_t router_next(const struct um_sim_net *net, int node)
{
        const struct node *r = &net->nodes[node];
        uint64_t next = UINT64_MAX;
        for (int p = 0; p < r->n_links; p++) {
                const struct net_link *l = &net->links[r->links[p]];
                const struct um_link *in = l->node[0] == node ? l->end[0] : l->end[1];
                uint64_t t = in->ops->next_event(in, net->now);
                if (t < next)
                        next = t;
        }
        return next;
}

/* ---- Flows ---- */

static int sockaddr_of(const char *addr, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
        struct addr a;
        if (parse_addr(addr, &a) < 0)
                return -EINVAL;
        memset(ss, 0, sizeof(*ss));
        if (a.family == AF_INET) {
                struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
                s4->sin_family = AF_INET;
                s4->sin_port = htons(port);
                memcpy(&s4->sin_addr, a.b, 4);
                *len = sizeof(*s4);
        } else {
                struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons(port);
                memcpy(&s6->sin6_addr, a.b, 16);
                *len = sizeof(*s6);
        }
        return a.family;
}

/* An MPTCP client's other addresses are its subflow endpoints. */
static void client_endpoints(struct um_sim_net *net, struct node *c)
{
        for (int k = 1; k < c->n_addrs; k++) {
                char buf[INET6_ADDRSTRLEN];
                inet_ntop(c->addrs[k].family, c->addrs[k].b, buf, sizeof(buf));
                um_mptcp_endpoint_add(c->st, buf, UM_MPTCP_PM_SUBFLOW, 0); /* EEXIST: fine */
        }
        unsigned subflows, accepted;
        um_mptcp_limits_get(c->st, &subflows, &accepted);
        if (subflows < (unsigned)c->n_addrs - 1)
                um_mptcp_limits_set(c->st, (unsigned)c->n_addrs - 1, accepted);
        (void)net;
}

static int flow_options(struct um_stack *st, int fd, const struct net_flow *f)
{
        int rc = 0;
        int rcvbuf = (int)f->cfg.rcvbuf;
        if (rcvbuf)
                rc |= um_setsockopt(st, fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        if (f->cfg.cc)
                rc |= um_setsockopt(st, fd, IPPROTO_TCP, TCP_CONGESTION, f->cfg.cc,
                                    (socklen_t)strlen(f->cfg.cc));
        if (f->cfg.scheduler && f->cfg.protocol == IPPROTO_MPTCP)
                rc |= um_setsockopt(st, fd, SOL_MPTCP, MPTCP_SCHEDULER, f->cfg.scheduler,
                                    (socklen_t)strlen(f->cfg.scheduler));
        return rc;
}

/* The server listens from the start; the client connects at its start time. */
static int flow_listen(struct um_sim_net *net, int i)
{
        struct net_flow *f = net->flows[i];
        struct um_stack *srv = net->nodes[f->cfg.server].st;
        struct sockaddr_storage any;
        socklen_t len;
        int family = sockaddr_of(f->cfg.server_addr, (uint16_t)(BASE_PORT + i), &any, &len);
        if (family < 0)
                return -1;
        memset(any.ss_family == AF_INET ? (void *)&((struct sockaddr_in *)&any)->sin_addr
                                        : (void *)&((struct sockaddr_in6 *)&any)->sin6_addr,
               0, any.ss_family == AF_INET ? 4 : 16);
        int proto = f->cfg.protocol ? f->cfg.protocol : IPPROTO_TCP;
        f->lfd = um_socket(srv, family, SOCK_STREAM, proto);
        if (f->lfd < 0 || flow_options(srv, f->lfd, f) ||
            um_bind(srv, f->lfd, (struct sockaddr *)&any, len) < 0 || um_listen(srv, f->lfd, 4) < 0)
                return -1;
        return 0;
}

static int flow_connect(struct um_sim_net *net, int i)
{
        struct net_flow *f = net->flows[i];
        struct node *c = &net->nodes[f->cfg.client];
        int proto = f->cfg.protocol ? f->cfg.protocol : IPPROTO_TCP;
        if (proto == IPPROTO_MPTCP)
                client_endpoints(net, c);
        struct sockaddr_storage ss;
        socklen_t len;
        int family = sockaddr_of(f->cfg.server_addr, (uint16_t)(BASE_PORT + i), &ss, &len);
        f->cfd = um_socket(c->st, family, SOCK_STREAM, proto);
        f->started = 1;
        f->start_us = net->now;
        return f->cfd >= 0 && !flow_options(c->st, f->cfd, f) &&
                       um_connect(c->st, f->cfd, (struct sockaddr *)&ss, len) < 0 &&
                       errno == EINPROGRESS
                   ? 0
                   : -1;
}

struct conn_match {
        struct sockaddr_storage local;
        struct um_sim_subflow_now *out;
        int max, n;
};

static void match_conn(const struct um_mptcp_conn_info *ci, void *arg)
{
        struct conn_match *m = arg;
        if (memcmp(&ci->local, &m->local, sizeof(struct sockaddr_in6)))
                return;
        for (int k = 0; k < ci->n_subflows && m->n < m->max; k++) {
                const struct um_mptcp_subflow_info *sf = &ci->subflows[k];
                struct um_sim_subflow_now *o = &m->out[m->n++];
                const void *a =
                    sf->local.ss_family == AF_INET
                        ? (const void *)&((const struct sockaddr_in *)&sf->local)->sin_addr
                        : (const void *)&((const struct sockaddr_in6 *)&sf->local)->sin6_addr;
                inet_ntop(sf->local.ss_family, a, o->local, sizeof(o->local));
                o->bytes_sent = sf->bytes_sent;
                o->cwnd = sf->cwnd;
                o->srtt_us = sf->srtt_us;
        }
}

int um_sim_net_flow_subflows(const struct um_sim_net *net, int flow, struct um_sim_subflow_now *out,
                             int max)
{
        if (flow < 0 || flow >= net->n_flows || max <= 0)
                return 0;
        const struct net_flow *f = net->flows[flow];
        struct um_stack *cli = net->nodes[f->cfg.client].st;
        if (f->cfd < 0)
                return 0;
        struct conn_match m = {.out = out, .max = max};
        socklen_t sl = sizeof(m.local);
        memset(&m.local, 0, sizeof(m.local));
        if (um_getsockname(cli, f->cfd, (struct sockaddr *)&m.local, &sl) < 0)
                return 0;
        if (f->cfg.protocol == IPPROTO_MPTCP) {
                um_mptcp_connections(cli, match_conn, &m);
                return m.n;
        }
        struct tcp_info ti;
        socklen_t len = sizeof(ti);
        if (um_getsockopt(cli, f->cfd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
                return 0;
        const void *a = m.local.ss_family == AF_INET
                            ? (const void *)&((const struct sockaddr_in *)&m.local)->sin_addr
                            : (const void *)&((const struct sockaddr_in6 *)&m.local)->sin6_addr;
        inet_ntop(m.local.ss_family, a, out[0].local, sizeof(out[0].local));
        out[0].bytes_sent = f->data.written; /* what the socket took, near enough */
        out[0].cwnd = ti.tcpi_snd_cwnd * ti.tcpi_snd_mss;
        out[0].srtt_us = ti.tcpi_rtt;
        return 1;
}

/* What the client's socket can tell before it closes (or when the run ends with it open):
 * its retransmissions, and for MPTCP each subflow's address and the bytes it carried. */
static void note_client(const struct um_sim_net *net, struct net_flow *f, int flow)
{
        struct um_sim_flow_result *out = &f->at_close;
        if (f->noted)
                return;
        f->noted = 1;
        struct um_stack *cli = net->nodes[f->cfg.client].st;
        if (f->cfg.protocol == IPPROTO_MPTCP) {
                struct {
                        struct mptcp_subflow_data h;
                        struct tcp_info ti[UM_SIM_FLOW_SUBFLOWS];
                } d = {.h = {.size_subflow_data = sizeof(d.h), .size_user = sizeof(d.ti[0])}};
                socklen_t len = sizeof(d);
                if (um_getsockopt(cli, f->cfd, SOL_MPTCP, MPTCP_TCPINFO, &d, &len) == 0)
                        for (uint32_t k = 0; k < d.h.num_subflows && k < UM_SIM_FLOW_SUBFLOWS; k++)
                                out->retrans_segs += d.ti[k].tcpi_total_retrans;
        } else {
                struct tcp_info ti;
                socklen_t len = sizeof(ti);
                if (um_getsockopt(cli, f->cfd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0)
                        out->retrans_segs = ti.tcpi_total_retrans;
        }
        if (f->cfg.protocol != IPPROTO_MPTCP)
                return;
        struct um_sim_subflow_now now[UM_SIM_FLOW_SUBFLOWS];
        out->n_subflows = um_sim_net_flow_subflows(net, flow, now, UM_SIM_FLOW_SUBFLOWS);
        for (int k = 0; k < out->n_subflows; k++) {
                memcpy(out->subflows[k].local, now[k].local, sizeof(out->subflows[k].local));
                out->subflows[k].bytes_sent = now[k].bytes_sent;
        }
}

/* The receiver's buffer occupancy, integrated over time. */
static void sample_rmem(const struct um_sim_net *net, struct net_flow *f, struct um_stack *srv)
{
        uint32_t m[UM_SK_MEMINFO_VARS] = {0};
        socklen_t len = sizeof(m);
        if (um_getsockopt(srv, f->sfd, SOL_SOCKET, SO_MEMINFO, m, &len) < 0)
                return;
        if (f->rmem_at)
                f->rmem_area += (double)f->rmem * (double)(net->now - f->rmem_at);
        f->rmem = m[UM_SK_MEMINFO_RMEM_ALLOC];
        f->rmem_at = net->now;
        if (f->rmem > f->rmem_max)
                f->rmem_max = f->rmem;
}

/* Moves a flow along: the client writes and then shuts down, the server reads to the end
 * and closes, the client sees the close and closes. Returns -1 on a failure. */
static int flow_step(struct um_sim_net *net, int i)
{
        struct net_flow *f = net->flows[i];
        struct um_stack *cli = net->nodes[f->cfg.client].st, *srv = net->nodes[f->cfg.server].st;
        if (f->sfd < 0 && f->lfd >= 0) {
                f->sfd = um_accept(srv, f->lfd, NULL, NULL);
                if (f->sfd < 0 && errno != EAGAIN)
                        return -1;
        }
        if (!f->client_done && f->cfd >= 0) {
                short ev = um_sock_events(cli, f->cfd);
                if (ev & POLLERR)
                        return -1;
                if ((ev & POLLOUT) && !f->data.wr_closed) {
                        int rc = sim_flow_write(&f->data, cli, f->cfd);
                        if (rc < 0)
                                return -1;
                        if (rc > 0) {
                                f->data.wr_closed = 1;
                                um_shutdown(cli, f->cfd, SHUT_WR);
                        }
                }
                char b;
                if (f->server_done && um_recv(cli, f->cfd, &b, 1, 0) == 0) {
                        note_client(net, f, i);
                        um_close(cli, f->cfd);
                        f->cfd = -1;
                        f->client_done = 1;
                }
        }
        if (!f->server_done && f->sfd >= 0) {
                sample_rmem(net, f, srv);
                uint64_t before = f->data.received;
                if (sim_flow_read(&f->data, srv, f->sfd, net->rbuf, 0, 0) < 0)
                        return -1;
                if (f->data.received != before)
                        f->end_us = net->now;
                if (f->data.eof) {
                        um_close(srv, f->sfd);
                        f->sfd = -1;
                        f->server_done = 1;
                }
        }
        return 0;
}

static int flows_step(struct um_sim_net *net, uint64_t *next_start, int *failed)
{
        int all_done = 1;
        *next_start = UINT64_MAX;
        for (int i = 0; i < net->n_flows; i++) {
                struct net_flow *f = net->flows[i];
                if (!f->started) {
                        if (f->cfg.start_us > net->now) {
                                if (f->cfg.start_us < *next_start)
                                        *next_start = f->cfg.start_us;
                                all_done = 0;
                                continue;
                        }
                        if (flow_connect(net, i) < 0)
                                *failed = 1;
                }
                if (flow_step(net, i) < 0)
                        *failed = 1;
                all_done &= f->client_done && f->server_done;
        }
        return all_done;
}

int um_sim_net_run(struct um_sim_net *net, uint64_t until_us, uint64_t tick_us,
                   void (*tick)(void *arg, struct um_sim_net *net, uint64_t now), void *arg)
{
        if (!net->routed) {
                compute_routes(net);
                for (int i = 0; i < net->n_flows; i++)
                        if (flow_listen(net, i) < 0)
                                return -1;
        }
        uint64_t next_tick = tick ? net->now + tick_us : UINT64_MAX;
        for (;;) {
                uint64_t next_start;
                int failed = 0;
                if (flows_step(net, &next_start, &failed))
                        return 1;
                if (failed)
                        return -1;
                uint64_t next = next_start < next_tick ? next_start : next_tick;
                for (int i = 0; i < net->n_nodes; i++) {
                        uint64_t t = net->nodes[i].router
                                         ? router_next(net, i)
                                         : um_stack_next_deadline(net->nodes[i].st);
                        if (t < next)
                                next = t;
                }
                if (next == UINT64_MAX)
                        return -1;
                if (next > until_us)
                        return 0;
                if (next > net->now)
                        net->now = next;
                for (int i = 0; i < net->n_nodes; i++)
                        if (net->nodes[i].router)
                                router_poll(net, i);
                        else
                                um_stack_poll(net->nodes[i].st, net->now);
                if (tick && net->now >= next_tick) {
                        tick(arg, net, net->now);
                        next_tick += tick_us;
                }
        }
}

int um_sim_net_flow_result(const struct um_sim_net *net, int flow, struct um_sim_flow_result *out)
{
        if (flow < 0 || flow >= net->n_flows || !out)
                return -EINVAL;
        struct net_flow *f = net->flows[flow];
        if (f->cfd >= 0) /* still open (a run with a time limit): its figures now */
                note_client(net, f, flow);
        *out = f->at_close;
        out->completed = f->client_done && f->server_done;
        out->delay_mean_us = sim_flow_delay_mean(&f->data);
        out->delay_p50_us = sim_flow_delay_quantile(&f->data, 0.5);
        out->delay_p95_us = sim_flow_delay_quantile(&f->data, 0.95);
        out->delay_p99_us = sim_flow_delay_quantile(&f->data, 0.99);
        out->rcv_mem_max = f->rmem_max;
        out->server_duplicates =
            um_counter_get(net->nodes[f->cfg.server].st, "MPTcpExtDuplicateData");
        uint64_t life = (f->end_us ? f->end_us : net->now) - f->start_us;
        out->rcv_mem_mean = life ? f->rmem_area / (double)life : 0;
        out->received = f->data.received;
        out->start_us = f->start_us;
        out->end_us = f->end_us;
        if (f->end_us > f->start_us)
                out->goodput_bps =
                    (double)f->data.received * 8 * 1e6 / (double)(f->end_us - f->start_us);
        if (out->completed && !f->checked) {
                f->checked = 1;
                f->verified =
                    sim_flow_finish(&f->data, NULL, NULL) && f->data.received == f->cfg.bytes;
        }
        out->verified = f->verified;
        return 0;
}

uint64_t um_sim_net_flow_received(const struct um_sim_net *net, int flow)
{
        return flow >= 0 && flow < net->n_flows ? net->flows[flow]->data.received : 0;
}

const struct um_emu_stats *um_sim_net_link_stats(const struct um_sim_net *net, int link, int dir)
{
        if (link < 0 || link >= net->n_links || dir < 0 || dir > 1)
                return NULL;
        return um_link_emu_stats(net->links[link].end[dir]);
}
