/* What a scrape of the metrics endpoint reads: the Prometheus text exposition format
 * (version 0.0.4) of the stack's counters, the relay's gauges and each link's traffic
 * (docs/RELAY.md, "Metrics"). Built into one buffer per scrape, bounded, so that a scrape
 * costs memory in proportion to the counters and links and never to the connections. */
#include "relay/relay.h"
#include "relay/relay_metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <umptcp/mptcp_pm.h>
#include <umptcp/stack.h>
#include <umptcp/tcp_ext.h>

/* Far above what the counters and 16 links take (about 40 KB): a bound, not a size. */
enum { TEXT_MAX = 1 << 20, TEXT_FIRST = 16384, MAX_LINKS = 32 };

struct text {
        char *p;
        size_t len, cap;
        int err; /* the first failure; what follows it is not written */
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
        for (;;) {
                if (t->err)
                        return;
                va_list ap;
                va_start(ap, fmt);
                int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
                va_end(ap);
                if (n < 0) {
                        t->err = -EINVAL;
                        return;
                }
                if ((size_t)n < t->cap - t->len) {
                        t->len += (size_t)n;
                        return;
                }
                size_t want = t->cap * 2;
                while (want <= t->len + (size_t)n)
                        want *= 2;
                if (want > TEXT_MAX) {
                        t->err = -EFBIG;
                        return;
                }
                char *q = realloc(t->p, want);
                if (!q) {
                        t->err = -ENOMEM;
                        return;
                }
                t->p = q;
                t->cap = want;
        }
}

/* A label value as the format escapes it: backslash, double quote and newline. */
static void put_label(struct text *t, const char *v)
{
        for (; *v; v++) {
                if (*v == '\\' || *v == '"')
                        put(t, "\\%c", *v);
                else if (*v == '\n')
                        put(t, "\\n");
                else
                        put(t, "%c", *v);
        }
}

static void family(struct text *t, const char *name, const char *type, const char *help)
{
        put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one_counter(const char *name, uint64_t value, void *arg)
{
        struct text *t = arg;
        put(t, "umptcp_mib_total{name=\"");
        put_label(t, name);
        put(t, "\"} %llu\n", (unsigned long long)value);
}

/* Subflows of every MPTCP connection, by the link their local address is on. */
struct by_link {
        struct um_iface_stats *links;
        int n_links;
        uint64_t subflows[MAX_LINKS];
};

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
        if (a->ss_family != b->ss_family)
                return 0;
        if (a->ss_family == AF_INET)
                return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
                       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
        return a->ss_family == AF_INET6 &&
               !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                       &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
}

static void count_subflows(const struct um_mptcp_conn_info *ci, void *arg)
{
        struct by_link *bl = arg;
        int n = ci->n_subflows < UM_MPTCP_SHOW_SUBFLOWS ? ci->n_subflows : UM_MPTCP_SHOW_SUBFLOWS;
        for (int i = 0; i < n; i++) {
                const struct um_mptcp_subflow_info *s = &ci->subflows[i];
                if (s->state == UM_TCP_CLOSED || s->state == UM_TCP_TIME_WAIT)
                        continue;
                for (int l = 0; l < bl->n_links; l++)
                        for (int a = 0; a < bl->links[l].n_addrs; a++)
                                if (same_addr(&s->local, &bl->links[l].addrs[a]))
                                        bl->subflows[l]++;
        }
}

static void link_labels(struct text *t, int i, const struct um_iface_stats *s)
{
        put(t, "{ifindex=\"%d\",link=\"", i);
        put_label(t, s->link);
        put(t, "\"}");
}

static void links(struct um_relay *r, struct text *t)
{
        struct um_iface_stats s[MAX_LINKS];
        int n = 0;
        while (n < MAX_LINKS && um_stack_iface_stats(r->st, n, &s[n]) == 0)
                n++;
        struct by_link bl = {.links = s, .n_links = n};
        int conns = um_mptcp_connections(r->st, count_subflows, &bl);
        family(t, "umptcp_mptcp_connections", "gauge",
               "MPTCP connections of the stack (those that negotiated MPTCP).");
        put(t, "umptcp_mptcp_connections %d\n", conns);
        static const struct {
                const char *name, *help;
                size_t off;
        } traffic[] = {
            {"umptcp_link_receive_bytes_total", "IP bytes the link gave the stack.",
             offsetof(struct um_iface_stats, rx_bytes)},
            {"umptcp_link_transmit_bytes_total", "IP bytes the link took from the stack.",
             offsetof(struct um_iface_stats, tx_bytes)},
            {"umptcp_link_receive_packets_total", "IP packets the link gave the stack.",
             offsetof(struct um_iface_stats, rx_packets)},
            {"umptcp_link_transmit_packets_total", "IP packets the link took from the stack.",
             offsetof(struct um_iface_stats, tx_packets)},
        };
        for (size_t k = 0; k < sizeof(traffic) / sizeof(traffic[0]); k++) {
                family(t, traffic[k].name, "counter", traffic[k].help);
                for (int i = 0; i < n; i++) {
                        uint64_t v;
                        memcpy(&v, (const char *)&s[i] + traffic[k].off, sizeof(v));
                        put(t, "%s", traffic[k].name);
                        link_labels(t, i, &s[i]);
                        put(t, " %llu\n", (unsigned long long)v);
                }
        }
        family(t, "umptcp_link_subflows", "gauge",
               "MPTCP subflows open from an address of the link.");
        for (int i = 0; i < n; i++) {
                put(t, "umptcp_link_subflows");
                link_labels(t, i, &s[i]);
                put(t, " %llu\n", (unsigned long long)bl.subflows[i]);
        }
        family(t, "umptcp_link_address_info", "gauge", "An address of the link (always 1).");
        for (int i = 0; i < n; i++)
                for (int a = 0; a < s[i].n_addrs; a++) {
                        char buf[INET6_ADDRSTRLEN] = "?";
                        const struct sockaddr_storage *ss = &s[i].addrs[a];
                        const void *ip =
                            ss->ss_family == AF_INET
                                ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
                                : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
                        inet_ntop(ss->ss_family, ip, buf, sizeof(buf));
                        put(t, "umptcp_link_address_info{ifindex=\"%d\",link=\"", i);
                        put_label(t, s[i].link);
                        put(t, "\",address=\"%s/%d\"} 1\n", buf, s[i].prefixes[a]);
                }
}

int relay_metrics_text(struct um_relay *r, char **out, size_t *len)
{
        struct text t = {.p = malloc(TEXT_FIRST), .cap = TEXT_FIRST};
        if (!t.p)
                return -ENOMEM;
        family(&t, "umptcp_mib_total", "counter",
               "A counter of the stack, the relay's among them, named as umptcp-ctl stat "
               "names it.");
        um_counters_foreach(r->st, one_counter, &t);
        uint64_t held = 0;
        for (const struct relay_conn *c = r->conns; c; c = c->next)
                held += (uint64_t)(c->up.held.len - c->up.held.off) +
                        (c->down.held.len - c->down.held.off);
        int listeners = 0;
        for (int i = 0; i < RELAY_LISTENERS; i++)
                listeners += r->listeners[i].id >= 0;
        family(&t, "umptcp_relay_connections", "gauge", "Relayed connections open.");
        put(&t, "umptcp_relay_connections %u\n", r->n_conns);
        family(&t, "umptcp_relay_held_bytes", "gauge",
               "Bytes read from one side of a relayed connection that the other has not "
               "taken yet.");
        put(&t, "umptcp_relay_held_bytes %llu\n", (unsigned long long)held);
        family(&t, "umptcp_relay_listeners", "gauge", "The relay's listeners open.");
        put(&t, "umptcp_relay_listeners %d\n", listeners);
        links(r, &t);
        if (t.err) {
                free(t.p);
                return t.err;
        }
        *out = t.p;
        *len = t.len;
        return 0;
}
