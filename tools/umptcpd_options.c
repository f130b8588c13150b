/* The options of umptcpd's flags and [daemon] keys, the relay kinds of its relay flags and
 * sections, and how each value reads into the settings (umptcpd_options.h). */
#include "umptcpd_options.h"

#include <umptcp/mptcp.h>
#include <umptcp/mptcp_pm.h>

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay/relay_dest.h"
#include "relay/relay_proto.h"

static const struct umptcpd_option options[] = {
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
    {"max-requesting", O_MAX_REQUESTING, required_argument, 1, 1},
    {"buffer", O_BUFFER, required_argument, 1, 1},
    {"socket-buffer", O_SOCKET_BUFFER, required_argument, 1, 1},
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
_Static_assert(UMPTCPD_SLOT(O_END) <= UMPTCPD_OPTIONS, "umptcpd_opts.given is too small");

#define SPEC_FIELD(f) offsetof(struct um_relay_listener_spec, f)
/* An allow-list, "CIDR[;CIDR...]": 16 IPv6 prefixes at their longest, with separators. */
enum { ALLOW_MAX = 16 * 44 };

static const struct umptcpd_relay_kind relay_kinds[] = {
    {.name = "forward", .kind = UM_RELAY_FORWARD, .has_target = 1},
    {"accept", UM_RELAY_ACCEPT, 1, {{"proxy-protocol", UM_RELAY_PROXY_V2, 0, 0}}},
    /* RFC 1929: each 1 to 255 octets; the listener checks that both are given. */
    {"socks",
     UM_RELAY_SOCKS,
     0,
     {{"user", 0, SPEC_FIELD(user), 255},
      {"password", 0, SPEC_FIELD(password), 255},
      {"allow", 0, SPEC_FIELD(allow), ALLOW_MAX}}},
    {"http-connect", UM_RELAY_HTTP_CONNECT, 0, {{"allow", 0, SPEC_FIELD(allow), ALLOW_MAX}}},
    {.name = "transparent", .kind = UM_RELAY_TRANSPARENT},
};
#define N_RELAY_KINDS (sizeof(relay_kinds) / sizeof(relay_kinds[0]))

const struct umptcpd_option *umptcpd_option(size_t i)
{
        return i < N_OPTIONS ? &options[i] : NULL;
}

const struct umptcpd_option *umptcpd_option_by_id(int id)
{
        for (size_t i = 0; i < N_OPTIONS; i++)
                if (options[i].id == id)
                        return &options[i];
        return NULL;
}

const struct umptcpd_option *umptcpd_option_by_key(const char *name)
{
        for (size_t i = 0; i < N_OPTIONS; i++)
                if (options[i].in_file && !strcmp(options[i].name, name))
                        return &options[i];
        return NULL;
}

const struct umptcpd_relay_kind *umptcpd_relay_kind(size_t i)
{
        return i < N_RELAY_KINDS ? &relay_kinds[i] : NULL;
}

const struct umptcpd_relay_kind *umptcpd_relay_kind_by_name(const char *name)
{
        for (size_t i = 0; i < N_RELAY_KINDS; i++)
                if (!strcmp(relay_kinds[i].name, name))
                        return &relay_kinds[i];
        return NULL;
}

const struct umptcpd_relay_key *umptcpd_relay_key(const struct umptcpd_relay_kind *k,
                                                  const char *name)
{
        for (size_t i = 0; i < UMPTCPD_RELAY_KEYS && k->keys[i].name; i++)
                if (!strcmp(k->keys[i].name, name))
                        return &k->keys[i];
        return NULL;
}

void umptcpd_say(const char *who, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "%s: ", who);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

/* An option of a relay's argument (after LISTEN[=TARGET]) into its spec: a boolean key
 * without a value, any other with one, each at most once. */
static int relay_option(const struct umptcpd_relay_kind *k, struct um_relay_listener_spec *spec,
                        const char *name, const char *value)
{
        const struct umptcpd_relay_key *key = umptcpd_relay_key(k, name);
        if (!key)
                return -1;
        if (key->flag) {
                if (value)
                        return -1;
                spec->flags |= key->flag;
                return 0;
        }
        const char **field = (const char **)((char *)spec + key->field);
        if (!value || !*value || strlen(value) > key->max_len || *field)
                return -1;
        *field = value;
        return 0;
}

int umptcpd_relay_check_listen(const struct umptcpd_relay_kind *k, const char *listen, char *why,
                               size_t len)
{
        struct relay_dest d;
        if (relay_parse_hostport(listen, k->kind == UM_RELAY_ACCEPT, &d, why, len) < 0)
                return -1;
        if (d.is_name) {
                snprintf(why, len, "listen on an address, not a name");
                return -1;
        }
        return 0;
}

int umptcpd_relay_check_target(const char *target, char *why, size_t len)
{
        struct relay_dest d;
        return relay_parse_hostport(target, 0, &d, why, len) < 0 ? -1 : 0;
}

const char *umptcpd_arg_shown(const char *arg, char *buf, size_t len)
{
        static const char pw[] = "password=";
        size_t o = 0;
        if (!len)
                return buf;
        for (const char *p = arg; *p && o + 1 < len;) {
                if (p > arg && p[-1] == ',' && !strncmp(p, pw, sizeof(pw) - 1)) {
                        int n = snprintf(buf + o, len - o, "%s***", pw);
                        o = n < 0 || (size_t)n >= len - o ? len - 1 : o + (size_t)n;
                        p += strcspn(p, ",");
                        continue;
                }
                buf[o++] = *p++;
        }
        buf[o] = 0;
        return buf;
}

int umptcpd_relay_add(struct umptcpd_opts *o, const struct umptcpd_relay_kind *k, const char *arg,
                      const char *who, const char *origin)
{
        if (o->n_relays == UMPTCPD_MAX_RELAYS) {
                umptcpd_say(who, "too many relays (at most %d)", UMPTCPD_MAX_RELAYS);
                return -1;
        }
        struct umptcpd_relay *r = &o->relays[o->n_relays];
        memset(r, 0, sizeof(*r));
        /* What it says of arg hides a password: messages reach logs others read. */
        char shown[sizeof(r->key)];
        umptcpd_arg_shown(arg, shown, sizeof(shown));
        if (snprintf(r->text, sizeof(r->text), "%s", arg) >= (int)sizeof(r->text)) {
                umptcpd_say(who, "bad --%s '%s' (too long)", k->name, shown);
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
                        umptcpd_say(who, "bad --%s '%s' (want LISTEN=HOST:PORT)", k->name, shown);
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
                        umptcpd_say(who, "bad --%s '%s' (unknown option '%s')", k->name, shown,
                                    opt);
                        return -1;
                }
        }
        char why[128];
        struct relay_allow allow;
        if (umptcpd_relay_check_listen(k, r->spec.listen, why, sizeof(why)) < 0 ||
            (r->spec.target && umptcpd_relay_check_target(r->spec.target, why, sizeof(why)) < 0) ||
            (r->spec.allow && relay_allow_parse(r->spec.allow, &allow, why, sizeof(why)) < 0)) {
                umptcpd_say(who, "bad --%s '%s': %s", k->name, shown, why);
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
        umptcpd_say(who, "bad --%s '%s'%s%s%s", name, arg, *want ? " (" : "", want,
                    *want ? ")" : "");
        return -1;
}

int umptcpd_link_add(struct umptcpd_opts *o, const char *spec, const char *who)
{
        if (o->n_links == TOOL_MAX_LINKS) {
                umptcpd_say(who, "too many links (at most %d)", TOOL_MAX_LINKS);
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
                        umptcpd_say(who, "too many --announce (at most %d)", UMPTCPD_MAX_ANNOUNCE);
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
        char **given = &o->given[UMPTCPD_SLOT(O_ANNOUNCE)];
        if (asprintf(&joined, "%s%s%s", *given ? *given : "", *given ? " " : "", arg) < 0)
                return bad(who, "announce", arg, "out of memory");
        free(*given);
        *given = joined;
        return 0;
}

int umptcpd_option_apply(struct umptcpd_opts *o, const struct umptcpd_option *d, const char *arg,
                         const char *who)
{
        double v;
        uint64_t size;
        if (d->id == O_ANNOUNCE) /* repeatable: its value as given is the list */
                return add_announce(o, arg, who);
        char *keep = arg ? strdup(arg) : NULL;
        if (arg && !keep)
                return bad(who, d->name, arg, "out of memory");
        int slot = UMPTCPD_SLOT(d->id);
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
                return umptcpd_link_add(o, arg, who);
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
        case O_MAX_REQUESTING:
                if (tool_parse_number(arg, 1, 1 << 20, &v) < 0 || v != (unsigned)v)
                        return bad(who, d->name, arg, "1 to 1048576");
                o->cfg.max_requesting = (unsigned)v;
                return 0;
        case O_BUFFER:
                if (tool_parse_size(arg, 64 << 20, &size) < 0 || size < 1024)
                        return bad(who, d->name, arg, "1K to 64M");
                o->cfg.buffer_bytes = (unsigned)size;
                return 0;
        case O_SOCKET_BUFFER:
                if (tool_parse_size(arg, 64 << 20, &size) < 0 || size < 4096)
                        return bad(who, d->name, arg, "4K to 64M");
                o->cfg.socket_buffer_bytes = (unsigned)size;
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
                return umptcpd_option_apply(o, umptcpd_option_by_id(O_LOG), "syslog", who);
        }
        return -1;
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
