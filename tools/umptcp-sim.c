/* umptcp-sim: two stacks over emulated paths in virtual time; transfers N bytes over TCP
 * or MPTCP, verifies them by SHA-256, prints goodput, retransmissions and a per-second
 * timeline (per path with MPTCP). */
#include <umptcp/mptcp.h>
#include <umptcp/sim.h>

#include "sim_scenario.h"
#include "tool_links.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
        fprintf(out,
                "usage: umptcp-sim [options]\n"
                "  --bytes N          bytes client->server (K/M/G suffixes; default 10M)\n"
                "  --reverse-bytes N  bytes server->client at the same time (default 0)\n"
                "  --rate MBIT        bottleneck rate both ways, Mbit/s (default 100; 0 = none)\n"
                "  --delay MS         one-way delay, ms (default 10)\n"
                "  --jitter MS        extra uniform delay, ms, order kept\n"
                "  --loss P           random loss probability, both ways (0..1)\n"
                "  --burst P,R,L      Gilbert-Elliott: p(good->bad), p(bad->good), loss in bad\n"
                "  --reorder P        probability a packet is held back by a delay/2\n"
                "  --duplicate P      duplication probability\n"
                "  --mtu N            link MTU (576..1500, default 1500)\n"
                "  --outage A-B       the path drops everything from A to B seconds\n"
                "  --cc NAME          congestion control: cubic (default), reno, or MPTCP's\n"
                "                     coupled lia, olia, balia, wvegas\n"
                "  --scheduler NAME   MPTCP packet scheduler: default, minrtt, roundrobin,\n"
                "                     redundant, handover, blest or ecf\n"
                "  --sndbuf N         send buffer bytes (default: auto-tuned)\n"
                "  --rcvbuf N         receive buffer bytes (default: auto-tuned)\n"
                "  --read-pause S     the receiver reads nothing for the first S seconds\n"
                "  --time-limit S     give up after S seconds of virtual time (default 600)\n"
                "  --ipv6             use IPv6 addresses\n"
                "  --mptcp            Multipath TCP (IPPROTO_MPTCP) instead of TCP\n"
                "  --path M,D[,L[,A-B]]  with --mptcp: one more path (up to 7) of M Mbit/s,\n"
                "                     D ms one way, loss L, cut from A to B seconds; the options\n"
                "                     above describe the first path\n"
                "  --seed N           random seed (printed; default 1)\n"
                "  --pcap FILE        capture of the client's link\n"
                "  --scenario FILE    read options from FILE (one 'option value' per line);\n"
                "                     host, router, link and flow lines describe a network\n"
                "                     of several flows instead (docs/EXPERIMENTS.md)\n"
                "  --json FILE        a network scenario's results and time series as JSON\n"
                "  --quiet            no per-second timeline\n"
                "  --demo             a short, telling scenario\n");
}

/* The longest emulated time a value can name (--time-limit's bound), in seconds. */
#define MAX_SECONDS 1e6

static int parse_size(const char *s, uint64_t *out)
{
        return tool_parse_size(s, TOOL_SIZE_MAX, out);
}

/* A copy of s (in buf) cut at its commas into at most max fields: how many, or -1 when
 * there are more or it does not fit. */
static int fields(const char *s, char *buf, size_t size, char **field, int max)
{
        if (strlen(s) >= size)
                return -1;
        strcpy(buf, s);
        int n = 0;
        for (char *p = buf; p; n++) {
                if (n == max)
                        return -1;
                field[n] = p;
                p = strchr(p, ',');
                if (p)
                        *p++ = 0;
        }
        return n;
}

/* --path M,D[,L[,A-B]] */
static int parse_path(struct um_sim_transfer_cfg *c, const char *arg)
{
        double mbit, ms, loss = 0, a = 0, b = 0;
        char buf[128], *f[4];
        int n = fields(arg, buf, sizeof(buf), f, 4);
        if (n < 2 || c->n_more_paths == UM_SIM_MAX_PATHS - 1 ||
            tool_parse_number(f[0], 0, 100000, &mbit) || tool_parse_number(f[1], 0, 10000, &ms) ||
            (n >= 3 && tool_parse_number(f[2], 0, 1, &loss)) ||
            (n == 4 && tool_parse_span(f[3], MAX_SECONDS, &a, &b)))
                return -1;
        struct um_sim_path *p = &c->more_paths[c->n_more_paths++];
        memset(p, 0, sizeof(*p));
        p->fwd.rate_bps = p->rev.rate_bps = (uint64_t)(mbit * 1e6);
        p->fwd.delay_us = p->rev.delay_us = (uint64_t)(ms * 1000);
        p->fwd.loss = p->rev.loss = loss;
        if (n == 4) {
                struct um_emu_outage out = {(uint64_t)(a * 1e6), (uint64_t)(b * 1e6)};
                p->fwd.outages[p->fwd.n_outages++] = out;
                p->rev.outages[p->rev.n_outages++] = out;
        }
        return 0;
}

struct opts {
        struct um_sim_transfer_cfg cfg;
        double rate, delay, jitter;
        int quiet;
        char pcap[4096]; /* cfg.pcap's own copy: a scenario's line buffer is reused */
        char json[4096]; /* --json: a network scenario's results */
        struct sim_scenario *scn;
};

enum {
        O_BYTES = 1,
        O_REV,
        O_RATE,
        O_DELAY,
        O_JITTER,
        O_LOSS,
        O_BURST,
        O_REORDER,
        O_DUP,
        O_MTU,
        O_OUTAGE,
        O_CC,
        O_SCHEDULER,
        O_IPV6,
        O_SEED,
        O_PCAP,
        O_SCENARIO,
        O_QUIET,
        O_DEMO,
        O_HELP,
        O_VERBOSE,
        O_SNDBUF,
        O_RCVBUF,
        O_PAUSE,
        O_MPTCP,
        O_PATH,
        O_LIMIT,
        O_JSON,
};

static const struct option longopts[] = {
    {"bytes", required_argument, 0, O_BYTES},
    {"reverse-bytes", required_argument, 0, O_REV},
    {"rate", required_argument, 0, O_RATE},
    {"delay", required_argument, 0, O_DELAY},
    {"jitter", required_argument, 0, O_JITTER},
    {"loss", required_argument, 0, O_LOSS},
    {"burst", required_argument, 0, O_BURST},
    {"reorder", required_argument, 0, O_REORDER},
    {"duplicate", required_argument, 0, O_DUP},
    {"mtu", required_argument, 0, O_MTU},
    {"outage", required_argument, 0, O_OUTAGE},
    {"cc", required_argument, 0, O_CC},
    {"scheduler", required_argument, 0, O_SCHEDULER},
    {"sndbuf", required_argument, 0, O_SNDBUF},
    {"rcvbuf", required_argument, 0, O_RCVBUF},
    {"read-pause", required_argument, 0, O_PAUSE},
    {"time-limit", required_argument, 0, O_LIMIT},
    {"ipv6", no_argument, 0, O_IPV6},
    {"mptcp", no_argument, 0, O_MPTCP},
    {"path", required_argument, 0, O_PATH},
    {"seed", required_argument, 0, O_SEED},
    {"pcap", required_argument, 0, O_PCAP},
    {"scenario", required_argument, 0, O_SCENARIO},
    {"json", required_argument, 0, O_JSON},
    {"quiet", no_argument, 0, O_QUIET},
    {"demo", no_argument, 0, O_DEMO},
    {"help", no_argument, 0, O_HELP},
    {"verbose", no_argument, 0, O_VERBOSE},
    {0, 0, 0, 0},
};

static int apply(struct opts *o, int id, const char *arg);

static int load_scenario(struct opts *o, const char *path)
{
        FILE *f = fopen(path, "r");
        if (!f) {
                fprintf(stderr, "umptcp-sim: cannot open scenario %s: %s\n", path, strerror(errno));
                return -1;
        }
        char line[1024];
        int lineno = 0, rc = 0;
        while (!rc && fgets(line, sizeof(line), f)) {
                lineno++;
                char *p = line + strspn(line, " \t");
                if (*p == '#' || *p == '\n' || !*p)
                        continue;
                p[strcspn(p, "\r\n")] = '\0';
                char *val = p + strcspn(p, " \t");
                if (*val)
                        *val++ = '\0';
                val += strspn(val, " \t");
                char where[300];
                snprintf(where, sizeof(where), "%s:%d", path, lineno);
                int net = sim_scenario_line(o->scn, p, val, where);
                if (net) {
                        rc = net < 0 ? -1 : 0;
                        continue;
                }
                int id = 0;
                for (const struct option *lo = longopts; lo->name; lo++)
                        if (!strcmp(lo->name, p))
                                id = lo->val;
                if (!id || id == O_SCENARIO || id == O_DEMO) {
                        fprintf(stderr, "umptcp-sim: %s:%d: unknown option '%s'\n", path, lineno,
                                p);
                        rc = -1;
                } else if (apply(o, id, val) < 0) {
                        fprintf(stderr, "umptcp-sim: %s:%d: bad value for %s\n", path, lineno, p);
                        rc = -1;
                }
        }
        fclose(f);
        return rc;
}

static int apply(struct opts *o, int id, const char *arg)
{
        struct um_sim_transfer_cfg *c = &o->cfg;
        double v;
        uint64_t n;
        switch (id) {
        case O_BYTES:
                return parse_size(arg, &c->bytes);
        case O_REV:
                return parse_size(arg, &c->reverse_bytes);
        case O_RATE:
                return tool_parse_number(arg, 0, 100000, &o->rate);
        case O_DELAY:
                return tool_parse_number(arg, 0, 10000, &o->delay);
        case O_JITTER:
                return tool_parse_number(arg, 0, 10000, &o->jitter);
        case O_LOSS:
                if (tool_parse_number(arg, 0, 1, &v))
                        return -1;
                c->path.fwd.loss = c->path.rev.loss = v;
                return 0;
        case O_BURST: {
                double p, r, l;
                char buf[128], *f[3];
                if (fields(arg, buf, sizeof(buf), f, 3) != 3 || tool_parse_number(f[0], 0, 1, &p) ||
                    tool_parse_number(f[1], 0, 1, &r) || tool_parse_number(f[2], 0, 1, &l))
                        return -1;
                c->path.fwd.ge_p = c->path.rev.ge_p = p;
                c->path.fwd.ge_r = c->path.rev.ge_r = r;
                c->path.fwd.ge_loss_bad = c->path.rev.ge_loss_bad = l;
                return 0;
        }
        case O_REORDER:
                if (tool_parse_number(arg, 0, 1, &v))
                        return -1;
                c->path.fwd.reorder = c->path.rev.reorder = v;
                return 0;
        case O_DUP:
                if (tool_parse_number(arg, 0, 1, &v))
                        return -1;
                c->path.fwd.duplicate = c->path.rev.duplicate = v;
                return 0;
        case O_MTU:
                if (tool_parse_number(arg, 576, 1500, &v))
                        return -1;
                c->path.mtu = (uint32_t)v;
                return 0;
        case O_OUTAGE: {
                double a, b;
                if (tool_parse_span(arg, MAX_SECONDS, &a, &b) < 0 ||
                    c->path.fwd.n_outages == UM_EMU_MAX_OUTAGES)
                        return -1;
                struct um_emu_outage out = {(uint64_t)(a * 1e6), (uint64_t)(b * 1e6)};
                c->path.fwd.outages[c->path.fwd.n_outages++] = out;
                c->path.rev.outages[c->path.rev.n_outages++] = out;
                return 0;
        }
        case O_CC:
                c->cc = tool_parse_cc("umptcp-sim", arg);
                return c->cc ? 0 : -1;
        case O_SCHEDULER:
                /* Names the stack keeps, never the argument: a scenario's line buffer is
                 * reused for the next line. */
                c->scheduler = tool_parse_scheduler("umptcp-sim", arg);
                return c->scheduler ? 0 : -1;
        case O_IPV6:
                c->ipv6 = 1;
                return 0;
        case O_MPTCP:
                c->protocol = IPPROTO_MPTCP;
                return 0;
        case O_PATH:
                return parse_path(c, arg);
        case O_SNDBUF:
        case O_RCVBUF:
                if (parse_size(arg, &n) || n < 1024 || n > (1u << 30))
                        return -1;
                if (id == O_SNDBUF)
                        c->sndbuf = (uint32_t)n;
                else
                        c->rcvbuf = (uint32_t)n;
                return 0;
        case O_LIMIT:
                if (tool_parse_number(arg, 1, MAX_SECONDS, &v))
                        return -1;
                c->time_limit_us = (uint64_t)(v * 1e6);
                return 0;
        case O_PAUSE:
                if (tool_parse_number(arg, 0, 3600, &v))
                        return -1;
                c->read_pause_until_us = (uint64_t)(v * 1e6);
                return 0;
        case O_SEED: {
                /* An integer as written: through a double, a seed past 2^53 would be
                 * another. */
                char *end;
                errno = 0;
                n = strtoull(arg, &end, 10);
                if (errno || end == arg || *end || *arg < '0' || *arg > '9' || !n)
                        return -1;
                c->seed = n;
                return 0;
        }
        case O_JSON:
                if (strlen(arg) >= sizeof(o->json))
                        return -1;
                strcpy(o->json, arg);
                return 0;
        case O_PCAP:
                if (strlen(arg) >= sizeof(o->pcap))
                        return -1;
                c->pcap = strcpy(o->pcap, arg);
                return 0;
        case O_QUIET:
                o->quiet = 1;
                return 0;
        case O_VERBOSE:
                c->log_level++;
                return 0;
        }
        return -1;
}

static int sim_main(int argc, char **argv, struct opts *o)
{
        o->cfg.bytes = 10 * 1024 * 1024;
        o->cfg.seed = 1;
        int id;
        while ((id = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                if (id == O_HELP) {
                        usage(stdout);
                        return 0;
                }
                if (id == '?') {
                        usage(stderr);
                        return 2;
                }
                if (id == O_SCENARIO) {
                        if (load_scenario(o, optarg))
                                return 2;
                        continue;
                }
                if (id == O_DEMO) {
                        printf(
                            "demo: MPTCP, 60 MB over two paths: 50 Mbit/s 10 ms one way, and\n"
                            "      20 Mbit/s 30 ms with 0.1%% loss. The first path is cut from\n"
                            "      t=3 s to t=5 s: its data goes again on the second, which\n"
                            "      carries everything until a retransmission probe finds the\n"
                            "      first path back; then both share again. Every byte verified\n");
                        apply(o, O_MPTCP, NULL);
                        apply(o, O_BYTES, "60M");
                        apply(o, O_RATE, "50");
                        apply(o, O_DELAY, "10");
                        apply(o, O_OUTAGE, "3-5");
                        apply(o, O_PATH, "20,30,0.001");
                        continue;
                }
                if (apply(o, id, optarg) < 0) {
                        const char *name = "?";
                        for (const struct option *lp = longopts; lp->name; lp++)
                                if (lp->val == id)
                                        name = lp->name;
                        fprintf(stderr, "umptcp-sim: bad value for --%s: '%s'\n", name,
                                optarg ? optarg : "");
                        return 2;
                }
        }
        if (o->cfg.n_more_paths && o->cfg.protocol != IPPROTO_MPTCP) {
                fprintf(stderr, "umptcp-sim: --path needs --mptcp\n");
                return 2;
        }
        if (optind < argc) {
                fprintf(stderr, "umptcp-sim: unexpected argument '%s'\n", argv[optind]);
                usage(stderr);
                return 2;
        }
        if (sim_scenario_has_net(o->scn)) {
                struct sim_scenario_opts so = {.seed = o->cfg.seed,
                                               .cc = o->cfg.cc,
                                               .scheduler = o->cfg.scheduler,
                                               .json = *o->json ? o->json : NULL,
                                               .quiet = o->quiet};
                return sim_scenario_run(o->scn, &so);
        }
        struct um_sim_transfer_cfg *c = &o->cfg;
        c->path.fwd.rate_bps = c->path.rev.rate_bps = (uint64_t)(o->rate * 1e6);
        c->path.fwd.delay_us = c->path.rev.delay_us = (uint64_t)(o->delay * 1000);
        c->path.fwd.jitter_us = c->path.rev.jitter_us = (uint64_t)(o->jitter * 1000);
        c->timeline = o->quiet ? NULL : stdout;
        printf("seed %llu: %llu bytes%s over %.1f Mbit/s, %.1f ms one way, loss %.3f, %s\n",
               (unsigned long long)c->seed, (unsigned long long)c->bytes,
               c->reverse_bytes ? " (and reverse)" : "", o->rate, o->delay, c->path.fwd.loss,
               c->cc ? c->cc : "cubic");
        if (c->protocol == IPPROTO_MPTCP) {
                printf("MPTCP; path 0 as above");
                for (int k = 0; k < c->n_more_paths; k++) {
                        const struct um_emu_dir_config *d = &c->more_paths[k].fwd;
                        printf("; path %d: %.1f Mbit/s, %.1f ms, loss %.3f", k + 1,
                               (double)d->rate_bps / 1e6, (double)d->delay_us / 1000, d->loss);
                        if (d->n_outages)
                                printf(", cut %.1f-%.1f s", (double)d->outages[0].start_us / 1e6,
                                       (double)d->outages[0].end_us / 1e6);
                }
                printf("\n");
        }
        struct um_sim_transfer_result r;
        int rc = um_sim_transfer(c, &r);
        printf("%s: %llu bytes in %.3f s of virtual time, goodput %.3f Mbit/s, "
               "%llu retransmitted segments, %llu timeouts, %llu packets dropped by the path\n",
               r.verified ? "verified" : "FAILED", (unsigned long long)r.received, r.seconds,
               r.goodput_bps / 1e6, (unsigned long long)r.retrans_segs,
               (unsigned long long)r.timeouts, (unsigned long long)r.link_drops);
        printf("sha256 sent     %s\nsha256 received %s\n", r.digest_sent, r.digest_received);
        if (rc) {
                fprintf(stderr, "umptcp-sim: transfer %s (client error %d, server error %d)\n",
                        r.completed ? "did not verify" : "did not complete", r.client_error,
                        r.server_error);
                return 1;
        }
        return 0;
}

int main(int argc, char **argv)
{
        struct opts *o = calloc(1, sizeof(*o)); /* 8 KB of paths: not on the stack */
        if (!o || !(o->scn = sim_scenario_new())) {
                free(o);
                return 1;
        }
        o->rate = 100;
        o->delay = 10;
        int rc = sim_main(argc, argv, o);
        sim_scenario_free(o->scn);
        free(o);
        return rc;
}
