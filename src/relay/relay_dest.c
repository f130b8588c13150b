/* The destinations a SOCKS5 or HTTP CONNECT client may ask for (relay_dest.h). A relay on
 * the relay host's loopback would hand a client its services (a local admin port, the
 * control socket's HTTP neighbours) as though it were on that host, and the others reach
 * nothing over a unicast MPTCP link, so they are refused before any connect is tried. */
#include "relay/relay_dest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The address's bytes and their count (4 or 16), an IPv4-mapped IPv6 address as IPv4. */
static size_t addr_bytes(const struct sockaddr *sa, const uint8_t **out)
{
        if (sa->sa_family == AF_INET) {
                *out = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
                return 4;
        }
        if (sa->sa_family != AF_INET6)
                return 0;
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) {
                *out = a->s6_addr + 12;
                return 4;
        }
        *out = a->s6_addr;
        return 16;
}

const char *relay_dest_never(const struct sockaddr *sa)
{
        const uint8_t *b;
        size_t n = addr_bytes(sa, &b);
        int mapped = n == 4 && sa->sa_family == AF_INET6;
        if (n == 4) {
                if (b[0] == 0)
                        return mapped ? "IPv4-mapped unspecified" : "unspecified";
                if (b[0] == 127)
                        return mapped ? "IPv4-mapped loopback" : "loopback";
                if (b[0] >= 224 && b[0] <= 239)
                        return mapped ? "IPv4-mapped multicast" : "multicast";
                if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
                        return mapped ? "IPv4-mapped broadcast" : "broadcast";
                return NULL;
        }
        if (n != 16)
                return "not IP";
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_UNSPECIFIED(a))
                return "unspecified";
        if (IN6_IS_ADDR_LOOPBACK(a))
                return "loopback";
        if (IN6_IS_ADDR_MULTICAST(a))
                return "multicast";
        return NULL;
}

static int prefix_match(const uint8_t *a, const uint8_t *net, unsigned bits)
{
        unsigned whole = bits / 8, rest = bits % 8;
        if (memcmp(a, net, whole))
                return 0;
        if (!rest)
                return 1;
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        return (a[whole] & mask) == (net[whole] & mask);
}

/* One CIDR of len bytes at s (spaces trimmed already). */
static int parse_cidr(const char *s, size_t len, struct relay_cidr *out, char *err, size_t errlen)
{
        char buf[64];
        if (len == 0 || len >= sizeof(buf)) {
                snprintf(err, errlen, "allow: %s prefix", len ? "too long a" : "an empty");
                return -EINVAL;
        }
        memcpy(buf, s, len);
        buf[len] = 0;
        char *slash = strchr(buf, '/');
        if (slash)
                *slash = 0;
        memset(out, 0, sizeof(*out));
        if (inet_pton(AF_INET, buf, out->addr) == 1) {
                out->family = AF_INET;
        } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
                out->family = AF_INET6;
        } else {
                snprintf(err, errlen, "allow: not an IPv4 or IPv6 address: %s", buf);
                return -EINVAL;
        }
        unsigned max = out->family == AF_INET ? 32 : 128, bits = max;
        if (slash) {
                char *end;
                unsigned long v = strtoul(slash + 1, &end, 10);
                if (!slash[1] || *end || slash[1] < '0' || slash[1] > '9' || v > max) {
                        snprintf(err, errlen, "allow: %s/%s: a prefix length is 0 to %u", buf,
                                 slash + 1, max);
                        return -EINVAL;
                }
                bits = (unsigned)v;
        }
        out->bits = (uint8_t)bits;
        for (unsigned i = bits; i < max; i++)
                if (out->addr[i / 8] & (0x80 >> (i % 8))) {
                        snprintf(err, errlen, "allow: %s/%u has bits set past its prefix", buf,
                                 bits);
                        return -EINVAL;
                }
        return 0;
}

int relay_allow_parse(const char *s, struct relay_allow *out, char *err, size_t errlen)
{
        memset(out, 0, sizeof(*out));
        if (!s)
                return 0;
        for (const char *p = s;;) {
                const char *end = strchr(p, ';');
                if (!end)
                        end = p + strlen(p);
                const char *a = p, *b = end;
                while (a < b && (*a == ' ' || *a == '\t'))
                        a++;
                while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
                        b--;
                if (a == b && !*end && p == s) /* "" is none */
                        return 0;
                if (out->n == RELAY_ALLOW_MAX) {
                        snprintf(err, errlen, "allow: at most %d prefixes", RELAY_ALLOW_MAX);
                        memset(out, 0, sizeof(*out));
                        return -EINVAL;
                }
                if (parse_cidr(a, (size_t)(b - a), &out->nets[out->n], err, errlen) < 0) {
                        memset(out, 0, sizeof(*out));
                        return -EINVAL;
                }
                out->n++;
                if (!*end)
                        return 0;
                p = end + 1;
        }
}

int relay_allow_match(const struct relay_allow *a, const struct sockaddr *sa)
{
        if (!a->n)
                return 1;
        const uint8_t *b;
        size_t n = addr_bytes(sa, &b);
        sa_family_t family = n == 4 ? AF_INET : AF_INET6;
        for (unsigned i = 0; n && i < a->n; i++)
                if (a->nets[i].family == family &&
                    prefix_match(b, a->nets[i].addr, a->nets[i].bits))
                        return 1;
        return 0;
}
