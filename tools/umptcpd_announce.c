/* umptcpd --announce (umptcpd_announce.h). */
#include "umptcpd_announce.h"

#include <umptcp/mptcp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int why_set(char *why, size_t len, const char *reason)
{
        snprintf(why, len, "%s", reason);
        return -1;
}

/* The 16 bytes of a numeric address with its family, or 0 when it is none. */
static int numeric(const char *s, uint8_t out[16])
{
        memset(out, 0, 16);
        if (inet_pton(AF_INET, s, out) == 1)
                return AF_INET;
        if (inet_pton(AF_INET6, s, out) == 1)
                return AF_INET6;
        return 0;
}

int umptcpd_announce_parse(const char *arg, struct umptcpd_announce *out, char *why, size_t len)
{
        memset(out, 0, sizeof(*out));
        if (snprintf(out->text, sizeof(out->text), "%s", arg) >= (int)sizeof(out->text))
                return why_set(why, len, "too long");
        const char *addr = arg, *port = NULL;
        size_t addr_len;
        if (*arg == '[') {
                const char *end = strchr(arg, ']');
                if (!end)
                        return why_set(why, len, "no ']' after the IPv6 address");
                addr = arg + 1;
                addr_len = (size_t)(end - addr);
                if (end[1] == ':')
                        port = end + 2;
                else if (end[1])
                        return why_set(why, len, "want [V6ADDR]:PORT");
        } else {
                const char *colon = strchr(arg, ':');
                /* One colon: IPv4 and a port; more: an IPv6 address alone. */
                if (colon && !strchr(colon + 1, ':'))
                        port = colon + 1;
                addr_len = port ? (size_t)(colon - arg) : strlen(arg);
        }
        if (addr_len >= sizeof(out->addr))
                return why_set(why, len, "address too long");
        memcpy(out->addr, addr, addr_len);
        out->addr[addr_len] = 0;
        uint8_t raw[16];
        int family = numeric(out->addr, raw);
        if (!family)
                return why_set(why, len, "not a numeric IPv4 or IPv6 address");
        if (*arg == '[' && family != AF_INET6)
                return why_set(why, len, "brackets are for an IPv6 address");
        static const uint8_t zero[16];
        if (!memcmp(raw, zero, sizeof(raw)))
                return why_set(why, len, "the unspecified address is no place to join");
        if (port) {
                char *end;
                unsigned long v = strtoul(port, &end, 10);
                if (!*port || *end || *port == '-' || *port == '+' || v < 1 || v > 65535)
                        return why_set(why, len, "port 1 to 65535");
                out->port = (uint16_t)v;
        }
        return 0;
}

int umptcpd_announce_on_link(const struct umptcpd_announce *a, const struct link_spec *links,
                             int n_links)
{
        uint8_t want[16], have[16];
        int family = numeric(a->addr, want);
        for (int i = 0; i < n_links; i++) {
                char addr[sizeof(links[i].addr)];
                snprintf(addr, sizeof(addr), "%s", links[i].addr);
                char *slash = strchr(addr, '/');
                if (slash)
                        *slash = 0;
                if (numeric(addr, have) == family && !memcmp(want, have, sizeof(want)))
                        return 1;
        }
        return 0;
}

/* The index of the endpoint with a's address and no port, or -1. */
static int endpoint_of(struct um_stack *st, const struct umptcpd_announce *a,
                       struct um_mptcp_endpoint *ep)
{
        uint8_t want[16], have[16];
        int family = numeric(a->addr, want);
        for (int i = 0; um_mptcp_endpoint_get(st, i, ep) == 0; i++) {
                char s[INET6_ADDRSTRLEN];
                const void *raw =
                    ep->addr.ss_family == AF_INET
                        ? (const void *)&((struct sockaddr_in *)&ep->addr)->sin_addr
                        : (const void *)&((struct sockaddr_in6 *)&ep->addr)->sin6_addr;
                in_port_t port = ep->addr.ss_family == AF_INET
                                     ? ((struct sockaddr_in *)&ep->addr)->sin_port
                                     : ((struct sockaddr_in6 *)&ep->addr)->sin6_port;
                if (!port && inet_ntop(ep->addr.ss_family, raw, s, sizeof(s)) &&
                    numeric(s, have) == family && !memcmp(want, have, sizeof(want)))
                        return i;
        }
        return -1;
}

int umptcpd_announce_apply(const char *tool, struct um_stack *st, const struct umptcpd_announce *a,
                           int n)
{
        if (!n)
                return 0;
        /* RFC 8684 §3.1: C in our MP_CAPABLE; a join to the address and port a connection
         * arrived at is refused (the balancer may have sent it to another instance). */
        int rc = um_mptcp_sysctl_set(st, "allow_join_initial_addr_port", 0);
        if (rc < 0) {
                fprintf(stderr, "%s: cannot set allow_join_initial_addr_port: %s\n", tool,
                        strerror(-rc));
                return -1;
        }
        for (int i = 0; i < n; i++) {
                struct um_mptcp_endpoint ep;
                if (!a[i].port && endpoint_of(st, &a[i], &ep) >= 0) {
                        /* A link's endpoint: the same ID, now announced too. */
                        rc = um_mptcp_endpoint_del_id(st, ep.id);
                        if (rc == 0)
                                rc = um_mptcp_endpoint_add_port(
                                    st, a[i].addr, 0, ep.flags | UM_MPTCP_PM_SIGNAL, ep.id);
                } else {
                        rc = um_mptcp_endpoint_add_port(st, a[i].addr, a[i].port,
                                                        UM_MPTCP_PM_SIGNAL, 0);
                }
                if (rc < 0) {
                        fprintf(stderr, "%s: announce %s (%s): %s\n", tool, a[i].text, a[i].origin,
                                strerror(-rc));
                        return -1;
                }
                if (a[i].port)
                        fprintf(stderr, "%s: every MPTCP connection announces %s port %u\n", tool,
                                a[i].addr, a[i].port);
                else
                        fprintf(stderr, "%s: every MPTCP connection announces %s\n", tool,
                                a[i].addr);
        }
        return 0;
}
