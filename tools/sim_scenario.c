/* umptcp-sim's network scenarios (sim_scenario.h): the lines are kept as read and the
 * network is built when the run starts, once the seed and the defaults are known. */
#include "sim_scenario.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <umptcp/mptcp.h>
#include <umptcp/sim.h>

#include "tool_links.h"

enum { MAX_TRACE = 4096, MAX_SERIES = 100000 };

struct scn_node {
        char name[16];
        int router;
};

struct scn_link {
        char a[16], b[16], a_addr[64], b_addr[64];
        struct um_emu_dir_config cfg;
        struct um_emu_trace_point *trace;
};

struct scn_flow {
        char name[32], client[16], server[16], server_addr[64];
        int protocol;
        uint64_t bytes, start_us, rcvbuf;
        const char *cc, *scheduler; /* names the library keeps */
};

struct sim_scenario {
        struct scn_node nodes[UM_SIM_NET_NODES];
        int n_nodes;
        struct scn_link links[UM_SIM_NET_LINKS];
        int n_links;
        struct scn_flow flows[UM_SIM_NET_FLOWS];
        int n_flows;
        uint64_t duration_us, tick_us;
};

struct sim_scenario *sim_scenario_new(void)
{
        struct sim_scenario *s = calloc(1, sizeof(*s));
        if (s)
                s->tick_us = 100000;
        return s;
}

void sim_scenario_free(struct sim_scenario *s)
{
        if (!s)
                return;
        for (int i = 0; i < s->n_links; i++)
                free(s->links[i].trace);
        free(s);
}

int sim_scenario_has_net(const struct sim_scenario *s)
{
        return s && (s->n_nodes || s->n_flows);
}

/* ---- Parsing ---- */

static int bad(const char *where, const char *what, const char *arg)
{
        fprintf(stderr, "umptcp-sim: %s: %s '%s'\n", where, what, arg ? arg : "");
        return -1;
}

/* Splits rest into at most max words (in buf). */
static int words(const char *rest, char *buf, size_t size, char **w, int max)
{
        snprintf(buf, size, "%s", rest);
        int n = 0;
        for (char *p = strtok(buf, " \t"); p && n < max; p = strtok(NULL, " \t"))
                w[n++] = p;
        return n;
}

/* The bounds of what a scenario's numbers mean: seconds of emulated time, Mbit/s, and
 * milliseconds of delay. */
#define MAX_SECONDS  1e5
#define MAX_MBIT     1e6
#define MAX_DELAY_MS 1e5

static int node_named(const struct sim_scenario *s, const char *name)
{
        for (int i = 0; i < s->n_nodes; i++)
                if (!strcmp(s->nodes[i].name, name))
                        return i;
        return -1;
}

/* "NAME" or "NAME:ADDR/PREFIX" (the first colon ends the name: IPv6 addresses keep theirs). */
static int end_of(const struct sim_scenario *s, const char *w, char *name, char *addr)
{
        const char *colon = strchr(w, ':');
        size_t len = colon ? (size_t)(colon - w) : strlen(w);
        if (!len || len >= 16 || (colon && strlen(colon + 1) >= 64))
                return -1;
        memcpy(name, w, len);
        name[len] = 0;
        strcpy(addr, colon ? colon + 1 : "");
        int id = node_named(s, name);
        if (id < 0 || s->nodes[id].router != !colon)
                return -1; /* a host's end needs its address, a router's has none */
        return 0;
}

/* One trace line, "time_s rate_mbit [delay_ms]", its comment cut off: 1 for a point, 0
 * for a blank line, -1 when bad. */
static int trace_point(char *line, struct um_emu_trace_point *p)
{
        line[strcspn(line, "#\r\n")] = 0;
        char buf[128], *w[4];
        int k = words(line, buf, sizeof(buf), w, 4);
        double t, mbit, ms;
        if (!k)
                return 0;
        if (k > 3 || tool_parse_number(w[0], 0, MAX_SECONDS, &t) ||
            tool_parse_number(w[1], 0, MAX_MBIT, &mbit) ||
            (k == 3 && tool_parse_number(w[2], 0, MAX_DELAY_MS, &ms)))
                return -1;
        *p = (struct um_emu_trace_point){(uint64_t)(t * 1e6), (uint64_t)(mbit * 1e6),
                                         k == 3 ? (uint64_t)(ms * 1000) : UINT64_MAX};
        return 1;
}

static int load_trace(struct scn_link *l, const char *path, const char *where)
{
        FILE *f = fopen(path, "r");
        if (!f)
                return bad(where, "cannot open the trace", path);
        l->trace = calloc(MAX_TRACE, sizeof(*l->trace));
        int n = 0, rc = 0, lineno = 0;
        char line[128];
        while (l->trace && fgets(line, sizeof(line), f)) {
                lineno++;
                struct um_emu_trace_point p;
                int got = trace_point(line, &p);
                if (got < 0 ||
                    (got && (n == MAX_TRACE || (n && p.at_us < l->trace[n - 1].at_us)))) {
                        char at[300];
                        snprintf(at, sizeof(at), "%s: %s:%d", where, path, lineno);
                        rc =
                            bad(at, "bad trace line (time_s rate_mbit [delay_ms], in order)", line);
                        break;
                }
                if (got)
                        l->trace[n++] = p;
        }
        fclose(f);
        if (!l->trace)
                return bad(where, "no memory for the trace", path);
        l->cfg.trace = l->trace;
        l->cfg.n_trace = n;
        return rc;
}

/* A link's "KEY VALUE" words. */
static int link_options(struct scn_link *l, char **w, int n, const char *where)
{
        for (int i = 0; i < n; i += 2) {
                double v;
                if (i + 1 >= n)
                        return bad(where, "no value for", w[i]);
                const char *k = w[i], *val = w[i + 1];
                struct um_emu_dir_config *c = &l->cfg;
                if (!strcmp(k, "rate") && !tool_parse_number(val, 0, MAX_MBIT, &v)) {
                        c->rate_bps = (uint64_t)(v * 1e6);
                } else if (!strcmp(k, "delay") && !tool_parse_number(val, 0, MAX_DELAY_MS, &v)) {
                        c->delay_us = (uint64_t)(v * 1000);
                } else if (!strcmp(k, "loss") && !tool_parse_number(val, 0, 1, &v)) {
                        c->loss = v;
                } else if (!strcmp(k, "jitter") && !tool_parse_number(val, 0, 1e4, &v)) {
                        c->jitter_us = (uint64_t)(v * 1000);
                } else if (!strcmp(k, "reorder") && !tool_parse_number(val, 0, 1, &v)) {
                        c->reorder = v;
                } else if (!strcmp(k, "duplicate") && !tool_parse_number(val, 0, 1, &v)) {
                        c->duplicate = v;
                } else if (!strcmp(k, "queue")) {
                        uint64_t q;
                        size_t len = strlen(val);
                        if (len > 1 && val[len - 1] == 'p') {
                                char num[32];
                                snprintf(num, sizeof(num), "%.*s", (int)(len - 1), val);
                                if (tool_parse_number(num, 1, 1e6, &v))
                                        return bad(where, "bad queue", val);
                                c->queue_packets = (uint32_t)v;
                        } else if (!tool_parse_size(val, UINT32_MAX - 1, &q) && q >= 1500) {
                                c->queue_bytes = (uint32_t)q;
                        } else {
                                return bad(where, "bad queue (bytes, or packets with p)", val);
                        }
                } else if (!strcmp(k, "outage")) {
                        double a, b;
                        if (tool_parse_span(val, MAX_SECONDS, &a, &b) < 0 ||
                            c->n_outages == UM_EMU_MAX_OUTAGES)
                                return bad(where, "bad outage (A-B seconds)", val);
                        c->outages[c->n_outages++] =
                            (struct um_emu_outage){(uint64_t)(a * 1e6), (uint64_t)(b * 1e6)};
                } else if (!strcmp(k, "trace")) {
                        if (l->trace)
                                return bad(where, "a second trace", val);
                        if (load_trace(l, val, where) < 0)
                                return -1;
                } else {
                        return bad(where, "bad link option or value", k);
                }
        }
        return 0;
}

/* link A[:ADDR] B[:ADDR] rate MBIT delay MS [queue N|Np] [loss P] [jitter MS] [reorder P]
 *      [duplicate P] [outage A-B] [trace FILE] */
static int parse_link(struct sim_scenario *s, const char *rest, const char *where)
{
        char buf[512], *w[32];
        int n = words(rest, buf, sizeof(buf), w, 32);
        if (s->n_links == UM_SIM_NET_LINKS)
                return bad(where, "too many links", rest);
        struct scn_link *l = &s->links[s->n_links];
        memset(l, 0, sizeof(*l));
        if (n < 2 || end_of(s, w[0], l->a, l->a_addr) < 0 || end_of(s, w[1], l->b, l->b_addr) < 0)
                return bad(where, "link wants two known nodes (a host's with :ADDR/PREFIX)", rest);
        if (link_options(l, w + 2, n - 2, where) < 0) {
                /* A link refused is not counted, so sim_scenario_free would not see its
                 * trace. */
                free(l->trace);
                l->trace = NULL;
                return -1;
        }
        s->n_links++;
        return 1;
}

/* flow NAME CLIENT SERVER:ADDR tcp|mptcp [bytes N] [start S] [cc NAME] [scheduler NAME]
 *      [rcvbuf N] */
static int parse_flow(struct sim_scenario *s, const char *rest, const char *where)
{
        char buf[512], *w[32], addr[64], sname[16];
        int n = words(rest, buf, sizeof(buf), w, 32);
        if (s->n_flows == UM_SIM_NET_FLOWS)
                return bad(where, "too many flows", rest);
        struct scn_flow *f = &s->flows[s->n_flows];
        memset(f, 0, sizeof(*f));
        if (n < 4 || strlen(w[0]) >= sizeof(f->name) || strlen(w[1]) >= sizeof(f->client))
                return bad(where, "flow wants NAME CLIENT SERVER:ADDR tcp|mptcp", rest);
        int c = node_named(s, w[1]);
        const char *colon = strchr(w[2], ':');
        size_t len = colon ? (size_t)(colon - w[2]) : 0;
        if (c < 0 || s->nodes[c].router || !colon || !len || len >= sizeof(sname) ||
            strlen(colon + 1) >= sizeof(addr))
                return bad(where, "flow wants a client host and SERVER:ADDR", rest);
        memcpy(sname, w[2], len);
        sname[len] = 0;
        int sv = node_named(s, sname);
        if (sv < 0 || s->nodes[sv].router || sv == c)
                return bad(where, "no such server host", sname);
        strcpy(f->name, w[0]);
        strcpy(f->client, w[1]);
        strcpy(f->server, sname);
        strcpy(f->server_addr, colon + 1);
        if (!strcmp(w[3], "tcp"))
                f->protocol = IPPROTO_TCP;
        else if (!strcmp(w[3], "mptcp"))
                f->protocol = IPPROTO_MPTCP;
        else
                return bad(where, "tcp or mptcp, not", w[3]);
        f->bytes = 10 * 1024 * 1024;
        for (int i = 4; i < n; i += 2) {
                double v;
                if (i + 1 >= n)
                        return bad(where, "no value for", w[i]);
                const char *k = w[i], *val = w[i + 1];
                if (!strcmp(k, "bytes") && !tool_parse_size(val, TOOL_SIZE_MAX, &f->bytes) &&
                    f->bytes) {
                } else if (!strcmp(k, "rcvbuf") && !tool_parse_size(val, 64 << 20, &f->rcvbuf) &&
                           f->rcvbuf >= 4096) {
                } else if (!strcmp(k, "start") && !tool_parse_number(val, 0, MAX_SECONDS, &v)) {
                        f->start_us = (uint64_t)(v * 1e6);
                } else if (!strcmp(k, "cc")) {
                        if (!(f->cc = tool_parse_cc("umptcp-sim", val)))
                                return -1;
                } else if (!strcmp(k, "scheduler")) {
                        if (!(f->scheduler = tool_parse_scheduler("umptcp-sim", val)))
                                return -1;
                } else {
                        return bad(where, "bad flow option or value", k);
                }
        }
        s->n_flows++;
        return 1;
}

int sim_scenario_line(struct sim_scenario *s, const char *key, const char *rest, const char *where)
{
        double v;
        if (!strcmp(key, "host") || !strcmp(key, "router")) {
                if (!*rest || strlen(rest) >= 16 || strpbrk(rest, ": \t") ||
                    node_named(s, rest) >= 0)
                        return bad(where, "a new node name (15 characters, no colon)", rest);
                if (s->n_nodes == UM_SIM_NET_NODES)
                        return bad(where, "too many nodes", rest);
                strcpy(s->nodes[s->n_nodes].name, rest);
                s->nodes[s->n_nodes++].router = key[0] == 'r';
                return 1;
        }
        if (!strcmp(key, "link"))
                return parse_link(s, rest, where);
        if (!strcmp(key, "flow"))
                return parse_flow(s, rest, where);
        if (!strcmp(key, "duration") || !strcmp(key, "tick")) {
                if (tool_parse_number(rest, key[0] == 'd' ? 0.001 : 1,
                                      key[0] == 'd' ? MAX_SECONDS : 1e6, &v))
                        return bad(where, "bad value for", key);
                if (key[0] == 'd')
                        s->duration_us = (uint64_t)(v * 1e6);
                else
                        s->tick_us = (uint64_t)(v * 1000);
                return 1;
        }
        return 0;
}

/* ---- Running ---- */

struct series {
        const struct sim_scenario *s;
        json_t *t, *flows, *links;
        json_t *subflows; /* per flow: local address -> {mbps: [...], cwnd_kb: [...]} */
        uint64_t *flow_prev, *link_prev;
        int samples;
        uint64_t second_mark;
        uint64_t *flow_sec;
        int quiet;
};

/* Each subflow's rate and window at this tick, under its local address; a subflow that
 * appears late has nulls before (the series stay aligned with t). */
static void subflow_samples(struct series *se, struct um_sim_net *net, int flow, double dt)
{
        struct um_sim_subflow_now now[UM_SIM_FLOW_SUBFLOWS];
        int n = um_sim_net_flow_subflows(net, flow, now, UM_SIM_FLOW_SUBFLOWS);
        json_t *per = json_array_get(se->subflows, (size_t)flow);
        for (int k = 0; k < n; k++) {
                json_t *sf = json_object_get(per, now[k].local);
                if (!sf) {
                        sf = json_pack("{s:[],s:[],s:I}", "mbps", "cwnd_kb", "prev", (json_int_t)0);
                        for (int j = 0; j + 1 < se->samples; j++) {
                                json_array_append_new(json_object_get(sf, "mbps"), json_null());
                                json_array_append_new(json_object_get(sf, "cwnd_kb"), json_null());
                        }
                        json_object_set_new(per, now[k].local, sf);
                }
                uint64_t prev = (uint64_t)json_integer_value(json_object_get(sf, "prev"));
                json_array_append_new(json_object_get(sf, "mbps"),
                                      json_real((double)(now[k].bytes_sent - prev) * 8 / dt / 1e6));
                json_array_append_new(json_object_get(sf, "cwnd_kb"),
                                      json_real((double)now[k].cwnd / 1024));
                json_object_set_new(sf, "prev", json_integer((json_int_t)now[k].bytes_sent));
        }
        /* Those gone (closed): a null, to keep the length. */
        const char *key;
        json_t *sf;
        json_object_foreach(per, key, sf)
        {
                json_t *m = json_object_get(sf, "mbps");
                if (json_array_size(m) < (size_t)se->samples) {
                        json_array_append_new(m, json_null());
                        json_array_append_new(json_object_get(sf, "cwnd_kb"), json_null());
                }
        }
}

static void tick(void *arg, struct um_sim_net *net, uint64_t now)
{
        struct series *se = arg;
        if (se->samples++ >= MAX_SERIES)
                return;
        double dt = (double)se->s->tick_us / 1e6;
        json_array_append_new(se->t, json_real((double)now / 1e6));
        for (int i = 0; i < se->s->n_flows; i++) {
                uint64_t b = um_sim_net_flow_received(net, i);
                json_array_append_new(json_array_get(se->flows, (size_t)i),
                                      json_real((double)(b - se->flow_prev[i]) * 8 / dt / 1e6));
                se->flow_prev[i] = b;
        }
        for (int i = 0; i < se->s->n_flows; i++)
                subflow_samples(se, net, i, dt);
        for (int i = 0; i < se->s->n_links; i++) {
                uint64_t b = um_sim_net_link_stats(net, i, 0)->delivered_bytes;
                json_array_append_new(json_array_get(se->links, (size_t)i),
                                      json_real((double)(b - se->link_prev[i]) * 8 / dt / 1e6));
                se->link_prev[i] = b;
        }
        if (!se->quiet && now >= se->second_mark + 1000000) {
                se->second_mark += 1000000;
                printf("t=%4.0fs ", (double)se->second_mark / 1e6);
                for (int i = 0; i < se->s->n_flows; i++) {
                        uint64_t b = um_sim_net_flow_received(net, i);
                        printf(" %s %.2f", se->s->flows[i].name,
                               (double)(b - se->flow_sec[i]) * 8 / 1e6);
                        se->flow_sec[i] = b;
                }
                printf(" Mbit/s\n");
        }
}

static int build(const struct sim_scenario *s, const struct sim_scenario_opts *o,
                 struct um_sim_net *net)
{
        for (int i = 0; i < s->n_nodes; i++) {
                int id = s->nodes[i].router ? um_sim_net_router(net, s->nodes[i].name)
                                            : um_sim_net_host(net, s->nodes[i].name);
                if (id != i)
                        return -1;
        }
        for (int i = 0; i < s->n_links; i++) {
                const struct scn_link *l = &s->links[i];
                int a = um_sim_net_node(net, l->a), b = um_sim_net_node(net, l->b);
                if (um_sim_net_link(net, a, *l->a_addr ? l->a_addr : NULL, b,
                                    *l->b_addr ? l->b_addr : NULL, &l->cfg, &l->cfg, 0) < 0) {
                        fprintf(stderr, "umptcp-sim: link %s-%s cannot be made (its addresses?)\n",
                                l->a, l->b);
                        return -1;
                }
        }
        for (int i = 0; i < s->n_flows; i++) {
                const struct scn_flow *f = &s->flows[i];
                int mp = f->protocol == IPPROTO_MPTCP;
                struct um_sim_flow fl = {.name = f->name,
                                         .client = um_sim_net_node(net, f->client),
                                         .server = um_sim_net_node(net, f->server),
                                         .server_addr = f->server_addr,
                                         .protocol = f->protocol,
                                         .bytes = f->bytes,
                                         .start_us = f->start_us,
                                         .cc = f->cc ? f->cc : (mp ? o->cc : NULL),
                                         .scheduler = f->scheduler ? f->scheduler
                                                                   : (mp ? o->scheduler : NULL),
                                         .rcvbuf = (uint32_t)f->rcvbuf};
                if (um_sim_net_flow(net, &fl) != i)
                        return -1;
        }
        return 0;
}

static double jain(const double *x, int n)
{
        double sum = 0, sq = 0;
        for (int i = 0; i < n; i++) {
                sum += x[i];
                sq += x[i] * x[i];
        }
        return sq > 0 ? sum * sum / (n * sq) : 0;
}

int sim_scenario_run(struct sim_scenario *s, const struct sim_scenario_opts *o)
{
        if (!s->n_flows) {
                fprintf(stderr, "umptcp-sim: the scenario has no flow\n");
                return 2;
        }
        struct um_sim_net *net = um_sim_net_new(o->seed);
        if (!net || build(s, o, net) < 0) {
                um_sim_net_free(net);
                return 2;
        }
        struct series se = {.s = s, .quiet = o->quiet};
        se.t = json_array();
        se.flows = json_array();
        se.links = json_array();
        se.flow_prev = calloc((size_t)s->n_flows, sizeof(uint64_t));
        se.flow_sec = calloc((size_t)s->n_flows, sizeof(uint64_t));
        se.link_prev = calloc((size_t)s->n_links + 1, sizeof(uint64_t));
        se.subflows = json_array();
        for (int i = 0; i < s->n_flows; i++) {
                json_array_append_new(se.flows, json_array());
                json_array_append_new(se.subflows, json_object());
        }
        for (int i = 0; i < s->n_links; i++)
                json_array_append_new(se.links, json_array());
        printf("seed %llu: %d nodes, %d links, %d flows%s%s%s%s\n", (unsigned long long)o->seed,
               s->n_nodes, s->n_links, s->n_flows, o->cc ? ", MPTCP cc " : "", o->cc ? o->cc : "",
               o->scheduler ? ", scheduler " : "", o->scheduler ? o->scheduler : "");
        uint64_t until = s->duration_us ? s->duration_us : 600ULL * 1000000;
        int r = um_sim_net_run(net, until, s->tick_us, tick, &se);
        int bad_run = r < 0 || (!s->duration_us && r != 1);
        json_t *flows = json_array();
        double goodput[UM_SIM_NET_FLOWS];
        for (int i = 0; i < s->n_flows; i++) {
                const struct scn_flow *f = &s->flows[i];
                struct um_sim_flow_result fr;
                um_sim_net_flow_result(net, i, &fr);
                uint64_t end = fr.completed ? fr.end_us : until;
                double secs = end > fr.start_us ? (double)(end - fr.start_us) / 1e6 : 0;
                goodput[i] = secs > 0 ? (double)fr.received * 8 / secs / 1e6 : 0;
                int ok = fr.completed ? fr.verified : (s->duration_us && fr.received > 0);
                bad_run |= !ok;
                printf("flow %s (%s): %s, %llu bytes, %.3f-%.3f s, %.2f Mbit/s, delay p50 %.1f ms "
                       "p99 %.1f ms, receive buffer peak %.0f KB mean %.0f KB, %llu retransmitted",
                       f->name, f->protocol == IPPROTO_MPTCP ? "mptcp" : "tcp",
                       fr.completed ? (fr.verified ? "verified" : "FAILED")
                                    : (ok ? "running at the end" : "FAILED"),
                       (unsigned long long)fr.received, (double)fr.start_us / 1e6,
                       (double)end / 1e6, goodput[i], fr.delay_p50_us / 1e3, fr.delay_p99_us / 1e3,
                       (double)fr.rcv_mem_max / 1024, fr.rcv_mem_mean / 1024,
                       (unsigned long long)fr.retrans_segs);
                json_t *subs = json_array();
                for (int k = 0; k < fr.n_subflows && k < UM_SIM_FLOW_SUBFLOWS; k++) {
                        printf("%s %s %.1f MB", k ? "," : "; subflows", fr.subflows[k].local,
                               (double)fr.subflows[k].bytes_sent / 1e6);
                        json_array_append_new(
                            subs, json_pack("{s:s,s:I}", "local", fr.subflows[k].local,
                                            "bytes_sent", (json_int_t)fr.subflows[k].bytes_sent));
                }
                printf("\n");
                json_array_append_new(
                    flows,
                    json_pack("{s:s,s:s,s:s?,s:s?,s:I,s:I,s:f,s:f,s:b,s:b,s:f,s:{s:f,s:f,s:f,s:f},"
                              "s:I,s:I,s:o,s:{s:f,s:f}}",
                              "name", f->name, "protocol",
                              f->protocol == IPPROTO_MPTCP ? "mptcp" : "tcp", "cc",
                              f->cc ? f->cc : (f->protocol == IPPROTO_MPTCP ? o->cc : NULL),
                              "scheduler",
                              f->scheduler ? f->scheduler
                                           : (f->protocol == IPPROTO_MPTCP ? o->scheduler : NULL),
                              "bytes", (json_int_t)f->bytes, "received", (json_int_t)fr.received,
                              "start_s", (double)fr.start_us / 1e6, "end_s", (double)end / 1e6,
                              "completed", fr.completed, "verified", fr.verified, "goodput_mbps",
                              goodput[i], "delay_ms", "mean", fr.delay_mean_us / 1e3, "p50",
                              fr.delay_p50_us / 1e3, "p95", fr.delay_p95_us / 1e3, "p99",
                              fr.delay_p99_us / 1e3, "retrans_segs", (json_int_t)fr.retrans_segs,
                              "server_duplicates", (json_int_t)fr.server_duplicates, "subflows",
                              subs, "rcv_mem_kb", "max", (double)fr.rcv_mem_max / 1024, "mean",
                              fr.rcv_mem_mean / 1024));
        }
        double fairness = jain(goodput, s->n_flows);
        printf("Jain's fairness index over the flows' goodputs: %.3f\n", fairness);
        json_t *links = json_array();
        for (int i = 0; i < s->n_links; i++) {
                const struct um_emu_stats *ab = um_sim_net_link_stats(net, i, 0),
                                          *ba = um_sim_net_link_stats(net, i, 1);
                char name[40];
                snprintf(name, sizeof(name), "%s-%s", s->links[i].a, s->links[i].b);
                json_array_append_new(links,
                                      json_pack("{s:s,s:I,s:I,s:I,s:I}", "name", name, "bytes_ab",
                                                (json_int_t)ab->delivered_bytes, "bytes_ba",
                                                (json_int_t)ba->delivered_bytes, "dropped_ab",
                                                (json_int_t)(ab->lost_queue + ab->lost_random +
                                                             ab->lost_burst + ab->lost_outage),
                                                "dropped_ba",
                                                (json_int_t)(ba->lost_queue + ba->lost_random +
                                                             ba->lost_burst + ba->lost_outage)));
        }
        if (o->json) {
                for (size_t i = 0; i < json_array_size(se.subflows); i++) {
                        const char *key;
                        json_t *sf;
                        json_object_foreach(json_array_get(se.subflows, i), key, sf)
                            json_object_del(sf, "prev"); /* the bookkeeping, not a result */
                }
                json_t *doc =
                    json_pack("{s:I,s:s?,s:s?,s:f,s:o,s:o,s:f,s:{s:o,s:o,s:o,s:o}}", "seed",
                              (json_int_t)o->seed, "cc", o->cc, "scheduler", o->scheduler,
                              "duration_s", s->duration_us ? (double)s->duration_us / 1e6 : -1.0,
                              "flows", flows, "links", links, "jain", fairness, "series", "t", se.t,
                              "flows", se.flows, "links", se.links, "subflows", se.subflows);
                if (!doc || json_dump_file(doc, o->json, JSON_COMPACT) < 0) {
                        fprintf(stderr, "umptcp-sim: cannot write %s\n", o->json);
                        bad_run = 1;
                }
                json_decref(doc);
        } else {
                json_decref(flows);
                json_decref(links);
                json_decref(se.t);
                json_decref(se.flows);
                json_decref(se.links);
                json_decref(se.subflows);
        }
        free(se.flow_prev);
        free(se.flow_sec);
        free(se.link_prev);
        um_sim_net_free(net);
        return bad_run ? 1 : 0;
}
