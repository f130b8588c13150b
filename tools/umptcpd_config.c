/* umptcpd's flags and config file (umptcpd_config.h, docs/man/umptcpd.conf.5.scd). */
#include "umptcpd_config.h"

#include <umptcp/mptcp.h>
#include <umptcp/mptcp_pm.h>

#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay/relay_proto.h"

enum {
        O_CONFIG = 256,
        O_CHECK_CONFIG,
        O_HELP,
        O_LINK,
        O_ENDPOINTS,
        O_ADD_ADDR,
        O_PATH_MANAGER,
        O_SCHEDULER,
        O_CC,
        O_CONTROL,
        O_MAX_CONNS,
        O_BUFFER,
        O_CONNECT_TIMEOUT,
        O_IDLE_TIMEOUT,
        O_GRACE,
        O_SEED,
        O_PCAP,
        O_VERBOSE,
        O_LOG,
        O_SYSLOG,
        O_REQUEST_TIMEOUT,
        O_DNS,
        O_METRICS,
        O_ANNOUNCE,
        O_RELAY, /* O_RELAY + i: relay_kinds[i] */
};

struct option_desc {
        const char *name; /* the flag, --name, and its [daemon] key */
        int id;
        int has_arg;
        int in_file; /* a [daemon] key too */
        int restart; /* a reload does not change it (the stack and the links have it) */
};

static const struct option_desc options[] = {
    {"config", O_CONFIG, required_argument, 0, 0},
    {"check-config", O_CHECK_CONFIG, no_argument, 0, 0},
    {"help", O_HELP, no_argument, 0, 0},
    {"link", O_LINK, required_argument, 0, 1},
    {"endpoints", O_ENDPOINTS, required_argument, 1, 1},
    {"add-addr-accepted", O_ADD_ADDR, required_argument, 1, 1},
    {"path-manager", O_PATH_MANAGER, required_argument, 1, 1},
    {"scheduler", O_SCHEDULER, required_argument, 1, 1},
    {"cc", O_CC, required_argument, 1, 1},
    {"control", O_CONTROL, required_argument, 1, 1},
    {"max-conns", O_MAX_CONNS, required_argument, 1, 1},
    {"buffer", O_BUFFER, required_argument, 1, 1},
    {"connect-timeout", O_CONNECT_TIMEOUT, required_argument, 1, 1},
    {"idle-timeout", O_IDLE_TIMEOUT, required_argument, 1, 1},
    {"grace", O_GRACE, required_argument, 1, 0},
    {"seed", O_SEED, required_argument, 1, 1},
    {"pcap", O_PCAP, required_argument, 1, 1},
    {"verbose", O_VERBOSE, required_argument, 1, 1},
    {"log", O_LOG, required_argument, 1, 1},
    {"syslog", O_SYSLOG, no_argument, 0, 1},
    {"request-timeout", O_REQUEST_TIMEOUT, required_argument, 1, 1},
    {"dns", O_DNS, required_argument, 1, 1},
    {"metrics", O_METRICS, required_argument, 1, 0},
    {"announce", O_ANNOUNCE, required_argument, 1, 1},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

/* A relay kind: its flag, its section, and the keys of its section. A section's keys
 * become its flag's argument: listen, "=" target, then ",KEY" for each boolean key that is
 * yes and ",KEY=VALUE" for each other key, so that one parser (relay_arg) checks both. */
struct relay_kind_desc {
        const char *name;
        enum um_relay_kind kind;
        int has_target;
        const char *bool_keys;  /* space-separated */
        const char *value_keys; /* space-separated */
};

static const struct relay_kind_desc relay_kinds[] = {
    {"forward", UM_RELAY_FORWARD, 1, "", ""},
    {"accept", UM_RELAY_ACCEPT, 1, "proxy-protocol", ""},
    {"socks", UM_RELAY_SOCKS, 0, "", "user password"},
    {"http-connect", UM_RELAY_HTTP_CONNECT, 0, "", ""},
    {"transparent", UM_RELAY_TRANSPARENT, 0, "", ""},
};
#define N_RELAY_KINDS (sizeof(relay_kinds) / sizeof(relay_kinds[0]))

/* An option of a relay's argument (after LISTEN[=TARGET]) into its spec. */
static int relay_option(const struct relay_kind_desc *k, struct um_relay_listener_spec *spec,
                        const char *name, const char *value)
{
        if (!strcmp(name, "proxy-protocol") && !value && k->kind == UM_RELAY_ACCEPT) {
                spec->flags |= UM_RELAY_PROXY_V2;
                return 0;
        }
        /* RFC 1929: each 1 to 255 octets; the listener checks that both are given. */
        if (k->kind == UM_RELAY_SOCKS && value && *value && strlen(value) <= 255) {
                if (!strcmp(name, "user") && !spec->user) {
                        spec->user = value;
                        return 0;
                }
                if (!strcmp(name, "password") && !spec->password) {
                        spec->password = value;
                        return 0;
                }
        }
        return -1;
}

static int word_in(const char *list, const char *w, size_t n)
{
        for (const char *p = list; *p;) {
                size_t len = strcspn(p, " ");
                if (len == n && !strncmp(p, w, n))
                        return 1;
                p += len;
                p += *p == ' ';
        }
        return 0;
}

static void say(const char *who, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "%s: ", who);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

/* "LISTEN[=TARGET][,OPTION[=VALUE]]..." into the next relay; the addresses are checked as
 * the listener will read them (no name resolved, nothing opened). */
static int relay_arg(struct umptcpd_opts *o, const struct relay_kind_desc *k, const char *arg,
                     const char *who, const char *origin)
{
        if (o->n_relays == UMPTCPD_MAX_RELAYS) {
                say(who, "too many relays (at most %d)", UMPTCPD_MAX_RELAYS);
                return -1;
        }
        struct umptcpd_relay *r = &o->relays[o->n_relays];
        memset(r, 0, sizeof(*r));
        if (snprintf(r->text, sizeof(r->text), "%s", arg) >= (int)sizeof(r->text)) {
                say(who, "bad --%s '%s' (too long)", k->name, arg);
                return -1;
        }
        r->spec.kind = k->kind;
        char *opt = strchr(r->text, ',');
        if (opt)
                *opt++ = 0;
        r->spec.listen = r->text;
        if (k->has_target) {
                char *eq = strchr(r->text, '=');
                if (!eq || eq == r->text || !eq[1]) {
                        say(who, "bad --%s '%s' (want LISTEN=HOST:PORT)", k->name, arg);
                        return -1;
                }
                *eq = 0;
                r->spec.target = eq + 1;
        }
        for (char *next; opt; opt = next) {
                if ((next = strchr(opt, ',')))
                        *next++ = 0;
                char *val = strchr(opt, '=');
                if (val)
                        *val++ = 0;
                if (relay_option(k, &r->spec, opt, val) < 0) {
                        say(who, "bad --%s '%s' (unknown option '%s')", k->name, arg, opt);
                        return -1;
                }
        }
        struct relay_dest d;
        char why[128];
        if (relay_parse_hostport(r->spec.listen, k->kind == UM_RELAY_ACCEPT, &d, why, sizeof(why)) <
            0) {
                say(who, "bad --%s '%s': %s", k->name, arg, why);
                return -1;
        }
        if (d.is_name) {
                say(who, "bad --%s '%s': listen on an address, not a name", k->name, arg);
                return -1;
        }
        if (r->spec.target && relay_parse_hostport(r->spec.target, 0, &d, why, sizeof(why)) < 0) {
                say(who, "bad --%s '%s': %s", k->name, arg, why);
                return -1;
        }
        snprintf(r->key, sizeof(r->key), "%s %s", k->name, arg);
        snprintf(r->origin, sizeof(r->origin), "%s", origin);
        r->id = -1;
        o->n_relays++;
        return 0;
}

static int seconds_ms(const char *arg, unsigned *out)
{
        double v;
        if (tool_parse_number(arg, 0.001, 86400 * 365, &v) < 0)
                return -1;
        *out = (unsigned)(v * 1000);
        return 0;
}

static int bad(const char *who, const char *name, const char *arg, const char *want)
{
        say(who, "bad --%s '%s'%s%s%s", name, arg, *want ? " (" : "", want, *want ? ")" : "");
        return -1;
}

static int add_link(struct umptcpd_opts *o, const char *spec, const char *who)
{
        if (o->n_links == TOOL_MAX_LINKS) {
                say(who, "too many links (at most %d)", TOOL_MAX_LINKS);
                return -1;
        }
        if (strlen(spec) >= sizeof(o->link_text[0]))
                return bad(who, "link", spec, "too long");
        if (tool_link_parse(who, spec, &o->links[o->n_links]) < 0)
                return -1;
        snprintf(o->link_text[o->n_links++], sizeof(o->link_text[0]), "%s", spec);
        return 0;
}

/* Each of the space-separated ADDR[:PORT] in arg (a flag gives one, the file's key a list)
 * after those given before. Their text, joined, is the option's value as given. */
static int add_announce(struct umptcpd_opts *o, const char *arg, const char *who)
{
        char copy[512];
        if (snprintf(copy, sizeof(copy), "%s", arg) >= (int)sizeof(copy))
                return bad(who, "announce", arg, "too long");
        for (char *save = NULL, *one = strtok_r(copy, " \t", &save); one;
             one = strtok_r(NULL, " \t", &save)) {
                if (o->n_announce == UMPTCPD_MAX_ANNOUNCE) {
                        say(who, "too many --announce (at most %d)", UMPTCPD_MAX_ANNOUNCE);
                        return -1;
                }
                struct umptcpd_announce *a = &o->announce[o->n_announce];
                char why[128];
                if (umptcpd_announce_parse(one, a, why, sizeof(why)) < 0)
                        return bad(who, "announce", one, why);
                snprintf(a->origin, sizeof(a->origin), "%s",
                         strcmp(who, "umptcpd") ? who : "--announce");
                o->n_announce++;
        }
        char *joined = NULL;
        const char *old = o->given[O_ANNOUNCE - O_CONFIG];
        if (asprintf(&joined, "%s%s%s", old ? old : "", old ? " " : "", arg) < 0)
                return bad(who, "announce", arg, "out of memory");
        free(o->given[O_ANNOUNCE - O_CONFIG]);
        o->given[O_ANNOUNCE - O_CONFIG] = joined;
        return 0;
}

/* One option with its value (NULL for those without): who prefixes the reason. */
static int apply(struct umptcpd_opts *o, const struct option_desc *d, const char *arg,
                 const char *who)
{
        double v;
        uint64_t size;
        if (d->id == O_ANNOUNCE) /* repeatable: its value as given is the list */
                return add_announce(o, arg, who);
        char *keep = arg ? strdup(arg) : NULL;
        if (arg && !keep)
                return bad(who, d->name, arg, "out of memory");
        int slot = d->id - O_CONFIG;
        free(o->given[slot]);
        o->given[slot] = keep;
        switch (d->id) {
        case O_CONFIG:
                o->config = keep;
                return 0;
        case O_CHECK_CONFIG:
                o->check_config = 1;
                return 0;
        case O_LINK:
                return add_link(o, arg, who);
        case O_ENDPOINTS:
                return tool_parse_endpoints(who, arg, &o->ep_kind);
        case O_ADD_ADDR:
                if (tool_parse_number(arg, 0, 8, &v) < 0 || v != (unsigned)v)
                        return bad(who, d->name, arg, "0-8");
                o->add_addr_accepted = (unsigned)v;
                return 0;
        case O_PATH_MANAGER:
                if (strcmp(arg, "kernel") && strcmp(arg, "userspace"))
                        return bad(who, d->name, arg, "kernel or userspace");
                o->path_manager = keep;
                return 0;
        case O_SCHEDULER:
                return (o->scheduler = tool_parse_scheduler(who, arg)) ? 0 : -1;
        case O_CC:
                return (o->cfg.congestion = tool_parse_cc(who, arg)) ? 0 : -1;
        case O_CONTROL:
                o->control = keep;
                return 0;
        case O_MAX_CONNS:
                if (tool_parse_number(arg, 1, 1 << 20, &v) < 0 || v != (unsigned)v)
                        return bad(who, d->name, arg, "1 to 1048576");
                o->cfg.max_conns = (unsigned)v;
                return 0;
        case O_BUFFER:
                if (tool_parse_size(arg, 64 << 20, &size) < 0 || size < 1024)
                        return bad(who, d->name, arg, "1K to 64M");
                o->cfg.buffer_bytes = (unsigned)size;
                return 0;
        case O_CONNECT_TIMEOUT:
                return seconds_ms(arg, &o->cfg.connect_timeout_ms) < 0
                           ? bad(who, d->name, arg, "seconds")
                           : 0;
        case O_IDLE_TIMEOUT:
                return seconds_ms(arg, &o->cfg.idle_timeout_ms) < 0
                           ? bad(who, d->name, arg, "seconds")
                           : 0;
        case O_REQUEST_TIMEOUT:
                return seconds_ms(arg, &o->cfg.request_timeout_ms) < 0
                           ? bad(who, d->name, arg, "seconds")
                           : 0;
        case O_METRICS: {
                struct relay_dest at;
                char why[128];
                if (relay_parse_hostport(arg, 0, &at, why, sizeof(why)) < 0)
                        return bad(who, d->name, arg, why);
                if (at.is_name)
                        return bad(who, d->name, arg, "an address, not a name");
                o->metrics = keep;
                o->metrics_addr = at.addr;
                return 0;
        }
        case O_DNS: /* checked by c-ares when the relay makes its resolver */
                o->cfg.dns_servers = keep;
                return 0;
        case O_GRACE:
                return seconds_ms(arg, &o->grace_ms) < 0 ? bad(who, d->name, arg, "seconds") : 0;
        case O_SEED:
                if (tool_parse_number(arg, 0, 9007199254740992.0, &v) < 0 || v != (uint64_t)v)
                        return bad(who, d->name, arg, "");
                o->seed = (uint64_t)v;
                return 0;
        case O_PCAP:
                o->pcap = keep;
                return 0;
        case O_VERBOSE:
                if (strlen(arg) != 1 || arg[0] < '0' || arg[0] > '2')
                        return bad(who, d->name, arg, "0, 1 or 2");
                o->verbose = arg[0] - '0';
                return 0;
        case O_LOG:
                if (strcmp(arg, "stderr") && strcmp(arg, "syslog"))
                        return bad(who, d->name, arg, "stderr or syslog");
                o->syslog = !strcmp(arg, "syslog");
                return 0;
        case O_SYSLOG: /* log = syslog */
                o->syslog = 1;
                free(o->given[O_LOG - O_CONFIG]);
                o->given[O_LOG - O_CONFIG] = strdup("syslog");
                return 0;
        }
        return -1;
}

static const struct option_desc *option_by_id(int id)
{
        for (size_t i = 0; i < N_OPTIONS; i++)
                if (options[i].id == id)
                        return &options[i];
        return NULL;
}

struct umptcpd_opts *umptcpd_opts_new(void)
{
        struct umptcpd_opts *o = calloc(1, sizeof(*o));
        if (o) {
                o->ep_kind = UM_MPTCP_PM_SUBFLOW;
                o->grace_ms = 30000;
                o->seed = 1;
                o->verbose = 1;
        }
        return o;
}

void umptcpd_opts_free(struct umptcpd_opts *o)
{
        if (!o)
                return;
        for (int i = 0; i < UMPTCPD_OPTIONS; i++)
                free(o->given[i]);
        free(o);
}

void umptcpd_usage(FILE *out)
{
        fprintf(out,
                "usage: umptcpd [-c FILE] --link SPEC... [relays] [options]\n"
                "relays (each may be given several times):\n"
                "  --forward LISTEN=HOST:PORT   a kernel TCP listener; each connection goes on\n"
                "                over MPTCP to HOST:PORT (TCP where the far end has no MPTCP)\n"
                "  --accept [ADDR:]PORT=HOST:PORT[,proxy-protocol]   an MPTCP listener of\n"
                "                umptcp's; each connection goes on over kernel TCP to HOST:PORT,\n"
                "                with a PROXY v2 header first when asked\n"
                "  --socks LISTEN[,user=U,password=P]   a SOCKS5 server (RFC 1928 CONNECT;\n"
                "                RFC 1929 credentials when given); MPTCP to what it is asked\n"
                "  --http-connect LISTEN   an HTTP CONNECT proxy; MPTCP to what it is asked\n"
                "  --transparent LISTEN    connections nftables redirected here (REDIRECT or\n"
                "                TPROXY) go on over MPTCP to their original destination\n"
                "  LISTEN is ADDR:PORT or [V6ADDR]:PORT\n"
                "options:\n"
                "  -c, --config FILE  read FILE (INI, umptcpd.conf(5)) first; flags win over it;\n"
                "                SIGHUP reads it again and applies what changed in the relays\n"
                "  --check-config  check the file and the flags (nothing opened), exit 0 or 2\n"
                "  --link SPEC   tun:IFNAME:ADDR/PREFIX[,impairments] as umptcp-cat; the first\n"
                "                is the default route, the others path-manager endpoints\n"
                "  --endpoints K links after the first: subflow (the default), signal or none\n"
                "  --add-addr-accepted N  peer addresses a connection takes up (0-8, default 0)\n"
                "  --path-manager kernel|userspace   --scheduler NAME   --cc NAME\n"
                "  --control PATH  serve the control socket at PATH (umptcp-ctl -s PATH)\n"
                "  --announce ADDR[:PORT]   every MPTCP connection announces ADDR (a link's),\n"
                "                with PORT when given, and C is set: no joins to the address\n"
                "                a connection arrived at (behind a load balancer; repeatable;\n"
                "                [V6ADDR]:PORT)\n"
                "  --max-conns N   relayed connections at once (default 4096)\n"
                "  --buffer BYTES  held at most each way of a connection (default 64K)\n"
                "  --connect-timeout S   --idle-timeout S   (defaults 10 and 3600)\n"
                "  --request-timeout S   a SOCKS5 or HTTP CONNECT request whole within S (10)\n"
                "  --dns ADDR[:PORT],...  DNS servers for SOCKS5 and HTTP CONNECT names\n"
                "                (default: /etc/resolv.conf's, /etc/hosts first)\n"
                "  --metrics ADDR:PORT  serve Prometheus metrics at http://ADDR:PORT/metrics\n"
                "                ([V6ADDR]:PORT for IPv6); SIGHUP reopens it when it changed\n"
                "  --grace S     after SIGTERM, how long open connections may finish (30)\n"
                "  --seed N      seed of the impairments' draws   --pcap FILE\n"
                "  --log stderr|syslog   --syslog  log lines to syslog(3) (LOG_DAEMON)\n"
                "  -q            errors only   -v  more (debug)   --verbose 0|1|2\n"
                "  -h, --help    this\n");
}

int umptcpd_parse_flags(struct umptcpd_opts *o, int argc, char **argv, int config_only)
{
        struct option longopts[N_OPTIONS + N_RELAY_KINDS + 1];
        size_t n = 0;
        for (size_t i = 0; i < N_OPTIONS; i++)
                longopts[n++] =
                    (struct option){options[i].name, options[i].has_arg, NULL, options[i].id};
        for (size_t i = 0; i < N_RELAY_KINDS; i++)
                longopts[n++] =
                    (struct option){relay_kinds[i].name, required_argument, NULL, O_RELAY + (int)i};
        longopts[n] = (struct option){NULL, 0, NULL, 0};
        /* Both passes read every flag (the first to find -c, the second, after the file,
         * to apply the others); a reload reads them again. */
        optind = 0;
        opterr = config_only;
        int c;
        while ((c = getopt_long(argc, argv, "c:qvh", longopts, NULL)) != -1) {
                const struct option_desc *d = option_by_id(c == 'c' ? O_CONFIG : c);
                if (c == 'h' || c == O_HELP) {
                        umptcpd_usage(stdout);
                        return 1;
                }
                if (c == '?' || c == ':') {
                        umptcpd_usage(stderr);
                        return -1;
                }
                int config_flag = c == 'c' || c == O_CONFIG || c == O_CHECK_CONFIG;
                if (config_only != config_flag)
                        continue;
                if (c == 'q' || c == 'v') {
                        o->verbose = c == 'v' ? 2 : 0;
                        free(o->given[O_VERBOSE - O_CONFIG]);
                        o->given[O_VERBOSE - O_CONFIG] = strdup(c == 'v' ? "2" : "0");
                        continue;
                }
                if (c >= O_RELAY) {
                        const struct relay_kind_desc *k = &relay_kinds[c - O_RELAY];
                        char origin[32];
                        snprintf(origin, sizeof(origin), "--%s", k->name);
                        if (relay_arg(o, k, optarg, "umptcpd", origin) < 0)
                                return -1;
                        continue;
                }
                if (c == O_LINK && !o->links_from_flags) {
                        o->links_from_flags = 1;
                        o->n_links = 0;
                }
                if (c == O_ANNOUNCE && !o->announce_from_flags) {
                        /* As --link: the flags' list replaces the file's. */
                        o->announce_from_flags = 1;
                        o->n_announce = 0;
                        free(o->given[O_ANNOUNCE - O_CONFIG]);
                        o->given[O_ANNOUNCE - O_CONFIG] = NULL;
                }
                if (apply(o, d, d->has_arg ? optarg : NULL, "umptcpd") < 0)
                        return -1;
        }
        if (optind != argc) {
                fprintf(stderr, "umptcpd: unexpected argument '%s'\n", argv[optind]);
                return -1;
        }
        return 0;
}

int umptcpd_check_complete(const struct umptcpd_opts *o)
{
        if (!o->n_links) {
                fprintf(stderr, "umptcpd: need at least one --link tun:IFNAME:ADDR/PREFIX "
                                "(or a [link NAME] section)\n");
                return -1;
        }
        if (!o->n_relays) {
                fprintf(stderr, "umptcpd: nothing to relay: give --forward, --accept, --socks, "
                                "--http-connect or --transparent (or their sections)\n");
                return -1;
        }
        int bad_announce = 0;
        for (int i = 0; i < o->n_announce; i++) {
                const struct umptcpd_announce *a = &o->announce[i];
                /* The joins it draws must arrive on one of our links; an address that only a
                 * NAT in front makes ours is not supported (docs/DEPLOY.md). */
                if (!umptcpd_announce_on_link(a, o->links, o->n_links)) {
                        fprintf(stderr,
                                "%s: bad --announce '%s': %s is not the address of any link "
                                "(joins to it would not reach this daemon)\n",
                                strcmp(a->origin, "--announce") ? a->origin : "umptcpd", a->text,
                                a->addr);
                        bad_announce = 1;
                }
        }
        /* The userspace manager announces nothing on its own (mptcp_pm.h). */
        if (o->n_announce && o->path_manager && !strcmp(o->path_manager, "userspace")) {
                fprintf(stderr, "umptcpd: announce needs the built-in path manager "
                                "(--path-manager kernel)\n");
                bad_announce = 1;
        }
        return bad_announce ? -1 : 0;
}

/* The config file. Sections: [daemon], [link NAME], and one per relay, [KIND NAME]. */

enum { MAX_SECTION_KEYS = 16, MAX_SECTIONS = 64 };

static const char *const link_keys[] = {"spec",   "tun",     "address",   "loss", "delay",
                                        "jitter", "reorder", "duplicate", "rate", "offload"};
#define N_LINK_KEYS (sizeof(link_keys) / sizeof(link_keys[0]))

struct reader {
        FILE *f;
        const char *path;
        struct umptcpd_opts *o;
        int line;
        int errors;
        /* The section being read. */
        enum { SEC_NONE, SEC_BAD, SEC_DAEMON, SEC_LINK, SEC_RELAY } sec;
        char sec_name[128];
        int sec_line;
        const struct relay_kind_desc *kind;
        int n_keys;
        char keys[MAX_SECTION_KEYS][32];
        char *values[MAX_SECTION_KEYS];
        int key_lines[MAX_SECTION_KEYS];
        /* Every section seen, to refuse one given twice. */
        char seen[MAX_SECTIONS][128];
        int seen_line[MAX_SECTIONS];
        int n_seen;
        int seen_daemon_key[N_OPTIONS];
};

static void error_at(struct reader *rd, int line, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "%s:%d: ", rd->path, line);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        rd->errors++;
}

static const char *section_value(const struct reader *rd, const char *key, int *line)
{
        for (int i = 0; i < rd->n_keys; i++)
                if (!strcmp(rd->keys[i], key)) {
                        if (line)
                                *line = rd->key_lines[i];
                        return rd->values[i];
                }
        return NULL;
}

static int yes_no(const char *v)
{
        if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
                return 1;
        if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
                return 0;
        return -1;
}

/* Appends ",KEY=VALUE" (or ",KEY") to buf; -1 when it does not fit. */
static int append(char *buf, size_t len, const char *sep, const char *key, const char *value)
{
        size_t used = strlen(buf);
        int n = snprintf(buf + used, len - used, "%s%s%s%s", sep, key, value ? "=" : "",
                         value ? value : "");
        return n < 0 || (size_t)n >= len - used ? -1 : 0;
}

/* who, at the line of the section's key (its header's when it has none). */
static const char *key_who(const struct reader *rd, const char *key, char *buf, size_t len)
{
        int line = rd->sec_line;
        section_value(rd, key, &line);
        snprintf(buf, len, "%s:%d", rd->path, line);
        return buf;
}

static void end_link(struct reader *rd, const char *who)
{
        char at[300];
        char spec[512] = "";
        const char *full = section_value(rd, "spec", NULL);
        if (full) {
                if (rd->n_keys > 1) {
                        error_at(rd, rd->sec_line, "[link %s]: spec replaces the other keys",
                                 rd->sec_name);
                        return;
                }
                snprintf(spec, sizeof(spec), "%s", full);
        } else {
                const char *tun = section_value(rd, "tun", NULL);
                const char *addr = section_value(rd, "address", NULL);
                if (!addr) {
                        error_at(rd, rd->sec_line, "[link %s]: missing address (ADDR/PREFIX)",
                                 rd->sec_name);
                        return;
                }
                /* Checked a key at a time, so that a refusal names its line. */
                struct link_spec scratch;
                snprintf(spec, sizeof(spec), "tun:%s:%s", tun ? tun : rd->sec_name, addr);
                if (tool_link_parse(key_who(rd, "address", at, sizeof(at)), spec, &scratch) < 0) {
                        rd->errors++;
                        return;
                }
                char base[512];
                snprintf(base, sizeof(base), "%s", spec);
                for (size_t k = 3; k < N_LINK_KEYS; k++) {
                        const char *v = section_value(rd, link_keys[k], NULL);
                        if (!v)
                                continue;
                        char one[1024];
                        snprintf(one, sizeof(one), "%s,%s=%s", base, link_keys[k], v);
                        if (tool_link_parse(key_who(rd, link_keys[k], at, sizeof(at)), one,
                                            &scratch) < 0) {
                                rd->errors++;
                                return;
                        }
                        if (append(spec, sizeof(spec), ",", link_keys[k], v) < 0) {
                                error_at(rd, rd->sec_line, "[link %s]: too long", rd->sec_name);
                                return;
                        }
                }
        }
        if (full)
                who = key_who(rd, "spec", at, sizeof(at));
        if (add_link(rd->o, spec, who) < 0)
                rd->errors++;
}

static void end_relay(struct reader *rd, const char *who)
{
        const struct relay_kind_desc *k = rd->kind;
        const char *listen = section_value(rd, "listen", NULL);
        const char *target = section_value(rd, "target", NULL);
        if (!listen || (k->has_target && !target)) {
                error_at(rd, rd->sec_line, "[%s %s]: missing %s", k->name, rd->sec_name,
                         listen ? "target (HOST:PORT)" : "listen (ADDR:PORT)");
                return;
        }
        /* The addresses alone first, so that a refusal names their line. */
        struct relay_dest d;
        char why[128];
        int line = rd->sec_line;
        section_value(rd, "listen", &line);
        if (relay_parse_hostport(listen, k->kind == UM_RELAY_ACCEPT, &d, why, sizeof(why)) < 0 ||
            (d.is_name && snprintf(why, sizeof(why), "listen on an address, not a name") > 0)) {
                error_at(rd, line, "bad listen '%s': %s", listen, why);
                return;
        }
        section_value(rd, "target", &line);
        if (target && relay_parse_hostport(target, 0, &d, why, sizeof(why)) < 0) {
                error_at(rd, line, "bad target '%s': %s", target, why);
                return;
        }
        char arg[512] = "";
        int too_long = append(arg, sizeof(arg), "", listen, NULL) < 0 ||
                       (target && append(arg, sizeof(arg), "=", target, NULL) < 0);
        for (int i = 0; i < rd->n_keys && !too_long; i++) {
                const char *key = rd->keys[i], *v = rd->values[i];
                if (!strcmp(key, "listen") || !strcmp(key, "target"))
                        continue;
                if (word_in(k->bool_keys, key, strlen(key))) {
                        int on = yes_no(v);
                        if (on < 0) {
                                error_at(rd, rd->key_lines[i], "bad %s '%s' (yes or no)", key, v);
                                return;
                        }
                        if (on)
                                too_long = append(arg, sizeof(arg), ",", key, NULL) < 0;
                } else if (strchr(v, ',')) {
                        /* The section becomes a flag's argument, where ',' separates. */
                        error_at(rd, rd->key_lines[i], "%s may not contain ','", key);
                        return;
                } else {
                        too_long = append(arg, sizeof(arg), ",", key, v) < 0;
                }
        }
        if (too_long) {
                error_at(rd, rd->sec_line, "[%s %s]: too long", k->name, rd->sec_name);
                return;
        }
        char origin[512];
        snprintf(origin, sizeof(origin), "%s [%s %s]", who, k->name, rd->sec_name);
        if (relay_arg(rd->o, k, arg, who, origin) < 0)
                rd->errors++;
}

/* The section read so far is whole: checks it and adds what it says. */
static void end_section(struct reader *rd)
{
        char who[300];
        snprintf(who, sizeof(who), "%s:%d", rd->path, rd->sec_line);
        if (rd->sec == SEC_LINK)
                end_link(rd, who);
        else if (rd->sec == SEC_RELAY)
                end_relay(rd, who);
        for (int i = 0; i < rd->n_keys; i++)
                free(rd->values[i]);
        rd->n_keys = 0;
        rd->sec = SEC_NONE;
}

static void begin_section(struct reader *rd, const char *head, size_t len)
{
        end_section(rd);
        rd->sec = SEC_BAD;
        rd->sec_line = rd->line;
        char name[128];
        if (len >= sizeof(name)) {
                error_at(rd, rd->line, "section name too long");
                return;
        }
        memcpy(name, head, len);
        name[len] = 0;
        for (int i = 0; i < rd->n_seen; i++)
                if (!strcmp(rd->seen[i], name)) {
                        error_at(rd, rd->line, "[%s] given twice (first on line %d)", name,
                                 rd->seen_line[i]);
                        return;
                }
        if (rd->n_seen == MAX_SECTIONS) {
                error_at(rd, rd->line, "too many sections (at most %d)", MAX_SECTIONS);
                return;
        }
        snprintf(rd->seen[rd->n_seen], sizeof(rd->seen[0]), "%s", name);
        rd->seen_line[rd->n_seen++] = rd->line;
        if (!strcmp(name, "daemon")) {
                rd->sec = SEC_DAEMON;
                return;
        }
        char *space = strchr(name, ' ');
        const char *rest = space ? space + 1 + strspn(space + 1, " ") : "";
        if (space)
                *space = 0;
        if (!*rest || strchr(rest, ' ')) {
                error_at(rd, rd->line, "[%s%s%s]: want [daemon], [link NAME] or [KIND NAME]", name,
                         space ? " " : "", rest);
                return;
        }
        snprintf(rd->sec_name, sizeof(rd->sec_name), "%s", rest);
        if (!strcmp(name, "link")) {
                rd->sec = SEC_LINK;
                return;
        }
        for (size_t i = 0; i < N_RELAY_KINDS; i++)
                if (!strcmp(name, relay_kinds[i].name)) {
                        rd->sec = SEC_RELAY;
                        rd->kind = &relay_kinds[i];
                        return;
                }
        error_at(rd, rd->line,
                 "unknown section [%s %s] (want daemon, link, forward, accept, socks, "
                 "http-connect or transparent)",
                 name, rest);
}

/* inih reads the file through this, so that the line each handler call is about is known
 * (Debian's inih passes no line number), and so that section headers are seen even for a
 * section without keys. */
static char *read_line(char *buf, int size, void *stream)
{
        struct reader *rd = stream;
        if (!fgets(buf, size, rd->f))
                return NULL;
        rd->line++;
        size_t len = strlen(buf);
        if (len && buf[len - 1] != '\n' && !feof(rd->f)) {
                error_at(rd, rd->line, "line too long (at most %d characters)", size - 3);
                int ch;
                while ((ch = fgetc(rd->f)) != EOF && ch != '\n')
                        ;
                snprintf(buf, (size_t)size, "\n");
                return buf;
        }
        const char *p = buf + strspn(buf, " \t");
        if (*p == '[') {
                const char *end = strchr(p, ']');
                if (!end) {
                        error_at(rd, rd->line, "section header without ']'");
                        rd->sec = SEC_BAD;
                        snprintf(buf, (size_t)size, "\n");
                } else {
                        begin_section(rd, p + 1, (size_t)(end - p - 1));
                }
        } else if (*p && *p != '\n' && *p != '\r' && *p != ';' && *p != '#' && !strpbrk(p, "=:")) {
                error_at(rd, rd->line, "want KEY = VALUE, not '%.*s'", (int)strcspn(p, "\r\n"), p);
                snprintf(buf, (size_t)size, "\n");
        }
        return buf;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
        struct reader *rd = user;
        (void)section;
        int line = rd->line;
        switch (rd->sec) {
        case SEC_BAD:
                return 1; /* its header was refused */
        case SEC_NONE:
                error_at(rd, line, "%s outside a section", key);
                return 1;
        case SEC_DAEMON:
                for (size_t i = 0; i < N_OPTIONS; i++) {
                        const struct option_desc *d = &options[i];
                        if (!d->in_file || strcmp(d->name, key))
                                continue;
                        if (rd->seen_daemon_key[i]) {
                                error_at(rd, line, "%s given twice (first on line %d)", key,
                                         rd->seen_daemon_key[i]);
                                return 1;
                        }
                        rd->seen_daemon_key[i] = line;
                        char who[300];
                        snprintf(who, sizeof(who), "%s:%d", rd->path, line);
                        if (apply(rd->o, d, value, who) < 0)
                                rd->errors++;
                        return 1;
                }
                error_at(rd, line, "unknown key '%s' in [daemon]", key);
                return 1;
        case SEC_LINK:
        case SEC_RELAY: {
                int known = 0;
                if (rd->sec == SEC_LINK) {
                        for (size_t i = 0; i < N_LINK_KEYS; i++)
                                known |= !strcmp(key, link_keys[i]);
                } else {
                        known = !strcmp(key, "listen") ||
                                (rd->kind->has_target && !strcmp(key, "target")) ||
                                word_in(rd->kind->bool_keys, key, strlen(key)) ||
                                word_in(rd->kind->value_keys, key, strlen(key));
                }
                const char *kind = rd->sec == SEC_LINK ? "link" : rd->kind->name;
                int first;
                if (!known) {
                        error_at(rd, line, "unknown key '%s' in [%s %s]", key, kind, rd->sec_name);
                } else if (section_value(rd, key, &first)) {
                        error_at(rd, line, "%s given twice (first on line %d)", key, first);
                } else if (!*value) {
                        error_at(rd, line, "%s has no value", key);
                } else if (rd->n_keys < MAX_SECTION_KEYS && strlen(key) < sizeof(rd->keys[0])) {
                        snprintf(rd->keys[rd->n_keys], sizeof(rd->keys[0]), "%s", key);
                        rd->values[rd->n_keys] = strdup(value);
                        rd->key_lines[rd->n_keys++] = line;
                }
                return 1;
        }
        }
        return 1;
}

int umptcpd_read_config(struct umptcpd_opts *o)
{
        struct reader *rd = calloc(1, sizeof(*rd));
        if (!rd) {
                fprintf(stderr, "umptcpd: %s: out of memory\n", o->config);
                return 1;
        }
        rd->path = o->config;
        rd->o = o;
        if (!(rd->f = fopen(o->config, "r"))) {
                fprintf(stderr, "umptcpd: cannot read %s: %s\n", o->config, strerror(errno));
                free(rd);
                return 1;
        }
        int first_bad = ini_parse_stream(read_line, rd, on_key, rd);
        if (first_bad == 0 || first_bad > 0)
                end_section(rd);
        if (first_bad < 0 || ferror(rd->f))
                error_at(rd, rd->line, "cannot read: %s",
                         first_bad == -2 ? "out of memory" : "I/O error");
        else if (first_bad > 0 && !rd->errors)
                error_at(rd, first_bad, "cannot parse this line");
        fclose(rd->f);
        int errors = rd->errors;
        free(rd);
        return errors;
}

int umptcpd_report_fixed(const struct umptcpd_opts *a, const struct umptcpd_opts *b)
{
        int n = 0;
        int links_differ = a->n_links != b->n_links;
        for (int i = 0; i < a->n_links && !links_differ; i++)
                links_differ = strcmp(a->link_text[i], b->link_text[i]) != 0;
        if (links_differ) {
                fprintf(stderr, "umptcpd: reload: the links differ; they change only when "
                                "umptcpd restarts\n");
                n++;
        }
        for (size_t i = 0; i < N_OPTIONS; i++) {
                const struct option_desc *d = &options[i];
                int slot = d->id - O_CONFIG;
                const char *x = a->given[slot], *y = b->given[slot];
                if (d->id == O_LINK || !d->restart || (!x && !y) || (x && y && !strcmp(x, y)))
                        continue;
                fprintf(stderr,
                        "umptcpd: reload: %s differs (%s, was %s); it changes only when "
                        "umptcpd restarts\n",
                        d->name, y ? y : "unset", x ? x : "unset");
                n++;
        }
        return n;
}

const char *umptcpd_relay_shown(const struct umptcpd_relay *r, char *buf, size_t len)
{
        snprintf(buf, len, "%s", r->key);
        char *pw = strstr(buf, ",password=");
        if (pw) {
                pw += strlen(",password=");
                const char *rest = r->key + (pw - buf) + strcspn(r->key + (pw - buf), ",");
                char tail[sizeof(r->key)];
                snprintf(tail, sizeof(tail), "%s", rest);
                snprintf(pw, len - (size_t)(pw - buf), "***%s", tail);
        }
        return buf;
}

void umptcpd_print(const struct umptcpd_opts *o, FILE *out)
{
        for (size_t i = 0; i < N_OPTIONS; i++) {
                const struct option_desc *d = &options[i];
                const char *v = o->given[d->id - O_CONFIG];
                if (d->in_file && v)
                        fprintf(out, "%s = %s\n", d->name, v);
        }
        for (int i = 0; i < o->n_links; i++)
                fprintf(out, "link %s\n", o->link_text[i]);
        for (int i = 0; i < o->n_relays; i++) {
                char shown[sizeof(o->relays[i].key)];
                fprintf(out, "%s (%s)\n", umptcpd_relay_shown(&o->relays[i], shown, sizeof(shown)),
                        o->relays[i].origin);
        }
}
