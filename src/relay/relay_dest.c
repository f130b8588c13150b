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

/* The IPv6 forms that carry an IPv4 address in their last 4 bytes and may end up at it:
 * IPv4-mapped (::ffff:0:0/96, the host's own IPv4 stack), IPv4-compatible (::/96, RFC 4291
 * §2.5.5.1, deprecated but still routed by some tunnels), and NAT64's well-known prefix
 * (64:ff9b::/96, RFC 6052), which a NAT64 on or beside this host turns into the IPv4
 * address. Each is judged as its IPv4 address, so none is a way around the policy. */
enum form { PLAIN, MAPPED, COMPAT, NAT64, FORMS };

static const uint8_t nat64_prefix[12] = {0, 0x64, 0xff, 0x9b};

/* The address's bytes as the policy judges them: 4 for IPv4 and the forms above, 16 for
 * other IPv6 addresses, 0 for any other family. */
static size_t dest_bytes(const struct sockaddr *sa, const uint8_t **out, enum form *form)
{
        *form = PLAIN;
        size_t n = addr_bytes(sa, out);
        if (n == 4 && sa->sa_family == AF_INET6)
                *form = MAPPED;
        if (n != 16)
                return n;
        const uint8_t *b = *out;
        static const uint8_t zero[12];
        /* :: and ::1 are IPv6's own unspecified and loopback, not IPv4-compatible. */
        int compat = !memcmp(b, zero, 12) && (b[12] | b[13] | b[14] || b[15] > 1);
        if (compat || !memcmp(b, nat64_prefix, 12)) {
                *form = compat ? COMPAT : NAT64;
                *out = b + 12;
                return 4;
        }
        return 16;
}

enum kind { UNSPECIFIED, LOOPBACK, MULTICAST, BROADCAST, LINK_LOCAL, NONE };

static const char *const reasons[FORMS][NONE] = {
    {"unspecified", "loopback", "multicast", "broadcast", "link-local"},
    {"IPv4-mapped unspecified", "IPv4-mapped loopback", "IPv4-mapped multicast",
     "IPv4-mapped broadcast", "IPv4-mapped link-local"},
    {"IPv4-compatible unspecified", "IPv4-compatible loopback", "IPv4-compatible multicast",
     "IPv4-compatible broadcast", "IPv4-compatible link-local"},
    {"NAT64 unspecified", "NAT64 loopback", "NAT64 multicast", "NAT64 broadcast",
     "NAT64 link-local"},
};

static enum kind kind_of(const struct sockaddr *sa, enum form *form, int *not_ip)
{
        const uint8_t *b;
        size_t n = dest_bytes(sa, &b, form);
        *not_ip = 0;
        if (n == 4) {
                if (b[0] == 0)
                        return UNSPECIFIED;
                if (b[0] == 127)
                        return LOOPBACK;
                if (b[0] >= 224 && b[0] <= 239)
                        return MULTICAST;
                if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
                        return BROADCAST;
                if (b[0] == 169 && b[1] == 254)
                        return LINK_LOCAL;
                return NONE;
        }
        if (n != 16) {
                *not_ip = 1;
                return NONE;
        }
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_UNSPECIFIED(a))
                return UNSPECIFIED;
        if (IN6_IS_ADDR_LOOPBACK(a))
                return LOOPBACK;
        if (IN6_IS_ADDR_MULTICAST(a))
                return MULTICAST;
        if (IN6_IS_ADDR_LINKLOCAL(a))
                return LINK_LOCAL;
        return NONE;
}

const char *relay_dest_never(const struct sockaddr *sa)
{
        enum form form;
        int not_ip;
        enum kind k = kind_of(sa, &form, &not_ip);
        if (not_ip)
                return "not IP";
        return k == NONE || k == LINK_LOCAL ? NULL : reasons[form][k];
}

const char *relay_dest_link_local(const struct sockaddr *sa)
{
        enum form form;
        int not_ip;
        return kind_of(sa, &form, &not_ip) == LINK_LOCAL ? reasons[form][LINK_LOCAL] : NULL;
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
        /* An embedded IPv4 address (NAT64, IPv4-compatible) ends up at that address: only an
         * IPv4 prefix may allow it, or "::/0" would open all of IPv4 through a NAT64. */
        const uint8_t *b;
        enum form form;
        size_t n = dest_bytes(sa, &b, &form);
        sa_family_t family = n == 4 ? AF_INET : AF_INET6;
        for (unsigned i = 0; n && i < a->n; i++)
                if (a->nets[i].family == family &&
                    prefix_match(b, a->nets[i].addr, a->nets[i].bits))
                        return 1;
        return 0;
}

int relay_allow_link_local(const struct relay_allow *a, const struct sockaddr *sa)
{
        static const uint8_t ll4[4] = {169, 254}, ll6[16] = {0xfe, 0x80};
        const uint8_t *b;
        size_t n = addr_bytes(sa, &b);
        sa_family_t family = n == 4 ? AF_INET : AF_INET6;
        for (unsigned i = 0; n && i < a->n; i++) {
                const struct relay_cidr *c = &a->nets[i];
                /* Only a prefix that lies wholly inside the link-local range names it. */
                int inside = c->family == AF_INET ? c->bits >= 16 && prefix_match(c->addr, ll4, 16)
                                                  : c->bits >= 10 && prefix_match(c->addr, ll6, 10);
                if (c->family == family && inside && prefix_match(b, c->addr, c->bits))
                        return 1;
        }
        return 0;
}

/* One address as the set keeps it: 4 bytes for IPv4 and the forms above, else 16. */
static size_t set_key(const struct sockaddr *sa, uint8_t key[16])
{
        const uint8_t *b;
        enum form form;
        size_t n = dest_bytes(sa, &b, &form);
        memset(key, 0, 16);
        if (n)
                memcpy(key, b, n);
        return n;
}

int relay_addrset_add(struct relay_addrset *s, const struct sockaddr *sa)
{
        uint8_t key[16];
        size_t n = set_key(sa, key);
        if (!n || relay_addrset_has(s, sa))
                return 0;
        if (s->n == s->cap) {
                unsigned cap = s->cap ? s->cap * 2 : 16;
                struct relay_setaddr *a = realloc(s->a, cap * sizeof(*a));
                if (!a)
                        return -ENOMEM;
                s->a = a;
                s->cap = cap;
        }
        s->a[s->n].len = (uint8_t)n;
        memcpy(s->a[s->n].b, key, 16);
        s->n++;
        return 0;
}

int relay_addrset_has(const struct relay_addrset *s, const struct sockaddr *sa)
{
        uint8_t key[16];
        size_t n = set_key(sa, key);
        for (unsigned i = 0; n && i < s->n; i++)
                if (s->a[i].len == n && !memcmp(s->a[i].b, key, n))
                        return 1;
        return 0;
}

void relay_addrset_free(struct relay_addrset *s)
{
        free(s->a);
        *s = (struct relay_addrset){0};
}
