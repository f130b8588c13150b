/* What the tools share: HOST PORT parsing, link specifications with impairments, and
 * --endpoints. */
#include "tool_links.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <umptcp/mptcp.h>

int tool_parse_host_port(const char *tool, const char *host, const char *port,
                         struct sockaddr_storage *ss, socklen_t *len)
{
        char *end;
        long p = strtol(port, &end, 10);
        if (*end || end == port || p < 1 || p > 65535) {
                fprintf(stderr, "%s: bad port '%s'\n", tool, port);
                return -1;
        }
        memset(ss, 0, sizeof(*ss));
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
                s4->sin_family = AF_INET;
                s4->sin_port = htons((uint16_t)p);
                *len = sizeof(*s4);
                return 0;
        }
        if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons((uint16_t)p);
                *len = sizeof(*s6);
                return 0;
        }
        fprintf(stderr, "%s: HOST must be a numeric IPv4 or IPv6 address: '%s'\n", tool, host);
        return -1;
}

int tool_parse_endpoints(const char *tool, const char *arg, unsigned *kind)
{
        if (!strcmp(arg, "subflow"))
                *kind = UM_MPTCP_PM_SUBFLOW;
        else if (!strcmp(arg, "signal"))
                *kind = UM_MPTCP_PM_SIGNAL;
        else if (!strcmp(arg, "none"))
                *kind = 0;
        else {
                fprintf(stderr, "%s: bad --endpoints '%s' (want subflow, signal or none)\n", tool,
                        arg);
                return -1;
        }
        return 0;
}

const char *tool_parse_cc(const char *tool, const char *arg)
{
        static const char *const names[] = {"cubic", "reno", "lia", "olia", "balia", "wvegas"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (!strcmp(arg, names[i]))
                        return names[i];
        fprintf(stderr, "%s: bad --cc '%s' (want cubic, reno, lia, olia, balia or wvegas)\n", tool,
                arg);
        return NULL;
}

const char *tool_parse_scheduler(const char *tool, const char *arg)
{
        for (int i = 0; um_mptcp_scheduler_at(i); i++)
                if (!strcmp(arg, um_mptcp_scheduler_at(i)))
                        return um_mptcp_scheduler_at(i);
        fprintf(stderr, "%s: bad --scheduler '%s' (want", tool, arg);
        for (int i = 0; um_mptcp_scheduler_at(i); i++)
                fprintf(stderr, "%s %s", i ? "," : "", um_mptcp_scheduler_at(i));
        fprintf(stderr, ")\n");
        return NULL;
}

int tool_parse_number(const char *s, double lo, double hi, double *out)
{
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        /* Written so that NaN, which compares false with everything, fails. */
        if (errno || end == s || *end || !(v >= lo && v <= hi))
                return -1;
        *out = v;
        return 0;
}

int tool_parse_span(const char *s, double hi, double *a, double *b)
{
        char *end;
        errno = 0;
        double from = strtod(s, &end), to;
        if (errno || end == s || *end != '-' || !(from >= 0 && from <= hi) ||
            tool_parse_number(end + 1, 0, hi, &to) < 0 || !(to > from))
                return -1;
        *a = from;
        *b = to;
        return 0;
}

int tool_parse_size(const char *s, uint64_t max, uint64_t *out)
{
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s)
                return -1;
        double mult = *end == 'K' || *end == 'k'   ? 1024
                      : *end == 'M' || *end == 'm' ? 1024.0 * 1024
                      : *end == 'G' || *end == 'g' ? 1024.0 * 1024 * 1024
                                                   : 1;
        if (mult != 1)
                end++;
        /* Bounded as a double, before the conversion that has no result for NaN, an
         * infinity or anything past UINT64_MAX. */
        if (*end || !(v >= 0 && v * mult <= (double)max))
                return -1;
        *out = (uint64_t)(v * mult);
        return 0;
}

static int key_is(const char *kv, const char *eq, const char *key)
{
        return (size_t)(eq - kv) == strlen(key) && strncmp(kv, key, strlen(key)) == 0;
}

/* One "key=value" of the impairment list (the value ends at a comma or the end). */
static int parse_impairment(const char *kv, struct um_emu_dir_config *c)
{
        const char *eq = strchr(kv, '=');
        char *end;
        double v = eq ? strtod(eq + 1, &end) : -1;
        if (!eq || end == eq + 1 || (*end && *end != ',') || !(v >= 0))
                return -1;
        if (key_is(kv, eq, "loss") && v <= 1)
                c->loss = v;
        else if (key_is(kv, eq, "reorder") && v <= 1)
                c->reorder = v;
        else if (key_is(kv, eq, "duplicate") && v <= 1)
                c->duplicate = v;
        else if (key_is(kv, eq, "delay") && v <= 60000)
                c->delay_us = (uint64_t)(v * 1000);
        else if (key_is(kv, eq, "jitter") && v <= 60000)
                c->jitter_us = (uint64_t)(v * 1000);
        else if (key_is(kv, eq, "rate") && v <= 100000)
                c->rate_bps = (uint64_t)(v * 1e6);
        else
                return -1;
        return 0;
}

/* "tun:IFNAME:ADDR/PREFIX[,k=v...]": split at the first two colons (IPv6 addresses keep
 * theirs) and at the first comma. */
int tool_link_parse(const char *tool, const char *spec, struct link_spec *out)
{
        memset(out, 0, sizeof(*out));
        const char *c1 = strchr(spec, ':');
        const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        const char *comma = c2 ? strchr(c2 + 1, ',') : NULL;
        size_t addr_len = c2 ? (comma ? (size_t)(comma - c2 - 1) : strlen(c2 + 1)) : 0;
        if (!c1 || (size_t)(c1 - spec) != 3 || strncmp(spec, "tun", 3) != 0 || !c2 ||
            c2 == c1 + 1 || (size_t)(c2 - c1 - 1) >= sizeof(out->ifname) || !addr_len ||
            addr_len >= sizeof(out->addr)) {
                fprintf(stderr, "%s: bad --link '%s' (want tun:IFNAME:ADDR/PREFIX)\n", tool, spec);
                return -1;
        }
        memcpy(out->ifname, c1 + 1, (size_t)(c2 - c1 - 1));
        memcpy(out->addr, c2 + 1, addr_len);
        if (!strchr(out->addr, '/')) {
                fprintf(stderr, "%s: bad --link '%s' (the address needs its /PREFIX)\n", tool,
                        spec);
                return -1;
        }
        for (const char *kv = comma; kv; kv = strchr(kv + 1, ',')) {
                if (!strncmp(kv + 1, "offload=", 8) && (kv[9] == '0' || kv[9] == '1') &&
                    (kv[10] == ',' || !kv[10])) {
                        out->plain = kv[9] == '0';
                        continue;
                }
                if (parse_impairment(kv + 1, &out->impair) < 0) {
                        fprintf(stderr,
                                "%s: bad option in --link '%s' (want loss=P, delay=MS, "
                                "jitter=MS, reorder=P, duplicate=P, rate=MBIT or "
                                "offload=0|1; P in 0-1)\n",
                                tool, spec);
                        return -1;
                }
                out->impaired = 1;
        }
        return 0;
}

static int keep(struct tool_links *tl, struct um_link *l)
{
        tl->opened[tl->n_opened++] = l;
        return 0;
}

int tool_links_open(const char *tool, struct um_stack *st, const struct link_spec *links, int n,
                    const char *pcap, uint64_t seed, struct tool_links *tl)
{
        memset(tl, 0, sizeof(*tl));
        for (int i = 0; i < n && i < TOOL_MAX_LINKS; i++) {
                struct um_link *l;
                int e =
                    um_link_tun_open_flags(links[i].ifname, links[i].plain ? UM_TUN_PLAIN : 0, &l);
                if (e < 0) {
                        fprintf(stderr, "%s: cannot attach to TUN device %s: %s\n", tool,
                                links[i].ifname, strerror(-e));
                        return -1;
                }
                keep(tl, l);
                if (pcap) {
                        char path[512];
                        if (i == 0)
                                snprintf(path, sizeof(path), "%s", pcap);
                        else
                                snprintf(path, sizeof(path), "%s.%d", pcap, i);
                        if (um_link_pcap_wrap(l, path, &l) < 0) {
                                fprintf(stderr, "%s: cannot write capture %s\n", tool, path);
                                return -1;
                        }
                        keep(tl, l);
                }
                if (links[i].impaired) {
                        /* Outside the capture: it records what crosses the real link. */
                        if (um_link_impair_wrap(l, &links[i].impair, &links[i].impair,
                                                seed + (uint64_t)i, &l) < 0) {
                                fprintf(stderr, "%s: cannot impair %s\n", tool, links[i].ifname);
                                return -1;
                        }
                        keep(tl, l);
                }
                int ifi = um_stack_add_iface(st, l);
                int e2 = ifi < 0 ? ifi : um_stack_add_addr(st, ifi, links[i].addr);
                if (e2 < 0) {
                        fprintf(stderr, "%s: bad address %s on %s: %s\n", tool, links[i].addr,
                                links[i].ifname, strerror(-e2));
                        return -1;
                }
        }
        return 0;
}

void tool_links_print_stats(const struct tool_links *tl, FILE *out)
{
        for (int i = 0; i < tl->n_opened; i++) {
                const struct um_tun_stats *s = um_link_tun_stats(tl->opened[i]);
                if (!s)
                        continue;
                fprintf(out,
                        "tun %s: %s, %llu reads for %llu packets (%llu super-packets) and "
                        "%llu that found nothing, %llu "
                        "writes for %llu packets (%llu super-packets, %llu ACKs thinned), %llu "
                        "dropped, %llu write errors\n",
                        tl->opened[i]->name, s->offload ? "offloads" : "plain",
                        (unsigned long long)s->reads, (unsigned long long)s->rx_packets,
                        (unsigned long long)s->rx_super, (unsigned long long)s->empty_reads,
                        (unsigned long long)s->writes, (unsigned long long)s->tx_packets,
                        (unsigned long long)s->tx_super, (unsigned long long)s->acks_thinned,
                        (unsigned long long)s->rx_dropped, (unsigned long long)s->tx_errors);
                if (s->rx_dropped)
                        fprintf(out,
                                "tun %s: dropped %llu too big, %llu with checksum offsets "
                                "elsewhere, %llu with a bad checksum, %llu super-packets not "
                                "TCP's, %llu TCP's unreadable, %llu without a segment size\n",
                                tl->opened[i]->name, (unsigned long long)s->rx_too_big,
                                (unsigned long long)s->rx_bad_csum_offsets,
                                (unsigned long long)s->rx_bad_csum,
                                (unsigned long long)s->rx_gso_unknown,
                                (unsigned long long)s->rx_gso_not_tcp,
                                (unsigned long long)s->rx_gso_size_zero);
        }
}

void tool_links_close(struct tool_links *tl)
{
        for (int i = tl->n_opened - 1; i >= 0; i--)
                um_link_destroy(tl->opened[i]);
        tl->n_opened = 0;
}

int tool_add_endpoints(const char *tool, struct um_stack *st, const struct link_spec *links, int n,
                       unsigned kind, unsigned add_addr_accepted)
{
        for (int i = 1; i < n && kind; i++) {
                char addr[sizeof(links[i].addr)];
                snprintf(addr, sizeof(addr), "%s", links[i].addr);
                char *slash = strchr(addr, '/');
                if (slash)
                        *slash = '\0';
                int rc = um_mptcp_endpoint_add(st, addr, kind, 0);
                if (rc < 0) {
                        fprintf(stderr, "%s: endpoint %s: %s\n", tool, addr, strerror(-rc));
                        return -1;
                }
        }
        unsigned extra = n > 1 ? (unsigned)(n - 1) : 0;
        return um_mptcp_limits_set(st, extra > 2 ? extra : 2, add_addr_accepted) < 0 ? -1 : 0;
}
