/* IPv4 and IPv6 addresses: parsing, prefixes, and conversion to and from sockaddr. */
#include "net/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>

int um_addr_parse(const char *s, struct um_addr *a)
{
        memset(a, 0, sizeof(*a));
        if (inet_pton(AF_INET, s, a->b) == 1) {
                a->family = AF_INET;
                return 0;
        }
        if (inet_pton(AF_INET6, s, a->b) == 1) {
                a->family = AF_INET6;
                return 0;
        }
        return -EINVAL;
}

int um_addr_parse_prefix(const char *s, struct um_addr *a, int *prefix)
{
        char buf[INET6_ADDRSTRLEN + 8];
        if (strlen(s) >= sizeof(buf))
                return -EINVAL;
        strcpy(buf, s);
        char *slash = strchr(buf, '/');
        if (slash)
                *slash = '\0';
        int rc = um_addr_parse(buf, a);
        if (rc)
                return rc;
        int max = a->family == AF_INET ? 32 : 128;
        if (!slash) {
                *prefix = max;
                return 0;
        }
        char *end;
        long p = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1 || p < 0 || p > max)
                return -EINVAL;
        *prefix = (int)p;
        return 0;
}

const char *um_addr_str(const struct um_addr *a, char *buf, size_t n)
{
        if (!a->family || !inet_ntop(a->family, a->b, buf, (socklen_t)n))
                snprintf(buf, n, "?");
        return buf;
}

int um_addr_in_prefix(const struct um_addr *a, const struct um_addr *net, int prefix)
{
        if (a->family != net->family)
                return 0;
        int full = prefix / 8, rest = prefix % 8;
        if (memcmp(a->b, net->b, (size_t)full) != 0)
                return 0;
        if (!rest)
                return 1;
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        return (a->b[full] & mask) == (net->b[full] & mask);
}

static int ipv4_host_unicast(const uint8_t *b)
{
        return b[0] != 0 && b[0] != 127 && b[0] < 224;
}

int um_addr_is_host_unicast(const struct um_addr *a)
{
        static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
        if (a->family == AF_INET)
                return ipv4_host_unicast(a->b);
        if (a->family != AF_INET6 || um_addr_is_any(a) || a->b[0] == 0xff)
                return 0;
        if (!memcmp(a->b, mapped, sizeof(mapped)))
                return ipv4_host_unicast(a->b + 12);
        static const uint8_t loopback[16] = {[15] = 1};
        return memcmp(a->b, loopback, 16) != 0;
}

int um_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct um_addr *a,
                          uint16_t *port)
{
        memset(a, 0, sizeof(*a));
        if (!sa)
                return -EFAULT;
        if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
                const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
                a->family = AF_INET;
                memcpy(a->b, &in->sin_addr, 4);
                *port = ntohs(in->sin_port);
                return 0;
        }
        if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
                const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
                a->family = AF_INET6;
                memcpy(a->b, &in6->sin6_addr, 16);
                *port = ntohs(in6->sin6_port);
                return 0;
        }
        return sa->sa_family == AF_INET || sa->sa_family == AF_INET6 ? -EINVAL : -EAFNOSUPPORT;
}

socklen_t um_addr_to_sockaddr(const struct um_addr *a, uint16_t port, struct sockaddr *sa,
                              socklen_t len)
{
        if (a->family == AF_INET6) {
                struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
                memcpy(&in6.sin6_addr, a->b, 16);
                memcpy(sa, &in6, len < sizeof(in6) ? len : sizeof(in6));
                return sizeof(in6);
        }
        struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(port)};
        memcpy(&in.sin_addr, a->b, 4);
        memcpy(sa, &in, len < sizeof(in) ? len : sizeof(in));
        return sizeof(in);
}
