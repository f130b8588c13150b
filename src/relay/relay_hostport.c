/* HOST:PORT as flags, config files and HTTP CONNECT's authority-form spell it, and the host
 * checks the SOCKS parser shares. */
#include "relay/relay_proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* RFC 1123 §2.1 labels (letters, digits, hyphens; neither end a hyphen; 63 at most), and
 * underscores too: DNS itself takes any octet (RFC 2181 §11) and real hosts and resolvers'
 * files use them, while anything that could confuse a resolver or a log line (spaces, NUL,
 * '%', '/') stays out. A last label all of digits is refused because no top-level domain is
 * numeric (RFC 3696 §2): "1.2.3" or "256.0.0.1" are mistyped addresses, not names. */
static int name_ok(const char *s, size_t len, const char **why)
{
        if (len && s[len - 1] == '.')
                len--; /* a fully qualified name's root */
        if (len == 0) {
                *why = "empty host name";
                return 0;
        }
        if (len > 253) { /* RFC 1035 §2.3.4: 255 octets on the wire */
                *why = "host name longer than 253 characters";
                return 0;
        }
        size_t label = 0;
        int digits_only = 1;
        for (size_t i = 0; i <= len; i++) {
                char c = i < len ? s[i] : '.';
                if (c == '.') {
                        if (label == 0 || s[i - 1] == '-' || s[i - label] == '-') {
                                *why = label ? "host name label begins or ends with '-'"
                                             : "empty label in host name";
                                return 0;
                        }
                        if (i < len)
                                digits_only = 1;
                        label = 0;
                        continue;
                }
                int digit = c >= '0' && c <= '9';
                if (!digit && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && c != '-' &&
                    c != '_') {
                        *why = "character not allowed in a host name";
                        return 0;
                }
                digits_only &= digit;
                if (++label > 63) {
                        *why = "host name label longer than 63 characters";
                        return 0;
                }
        }
        if (digits_only) {
                *why = "not an IPv4 address, nor a host name (its last label is numeric)";
                return 0;
        }
        return 1;
}

static void fill_v4(struct relay_dest *out, const struct in_addr *a, uint16_t port)
{
        struct sockaddr_in *sin = (struct sockaddr_in *)&out->addr;
        sin->sin_family = AF_INET;
        sin->sin_addr = *a;
        sin->sin_port = htons(port);
}

static void fill_v6(struct relay_dest *out, const struct in6_addr *a, uint16_t port)
{
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->addr;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr = *a;
        sin6->sin6_port = htons(port);
}

int relay_dest_from_host(const char *host, size_t len, uint16_t port, struct relay_dest *out,
                         const char **why)
{
        memset(out, 0, sizeof(*out));
        out->port = port;
        if (port == 0) {
                *why = "port 0";
                return -EINVAL;
        }
        if (len == 0 || len > RELAY_NAME_MAX) {
                *why = len ? "host name too long" : "empty host";
                return -EINVAL;
        }
        if (memchr(host, '\0', len)) {
                *why = "NUL in host name";
                return -EINVAL;
        }
        char text[RELAY_NAME_MAX + 1];
        memcpy(text, host, len);
        text[len] = '\0';
        struct in_addr a4;
        struct in6_addr a6;
        /* inet_pton takes only the four-part dotted decimal form, not inet_aton's "10.1" or
         * "0x7f.1", which resolvers would read differently from what a user meant. */
        if (inet_pton(AF_INET, text, &a4) == 1) {
                fill_v4(out, &a4, port);
                return 0;
        }
        if (memchr(text, ':', len)) {
                if (inet_pton(AF_INET6, text, &a6) == 1) {
                        fill_v6(out, &a6, port);
                        return 0;
                }
                *why = memchr(text, '%', len) ? "IPv6 zone IDs are not supported"
                                              : "not an IPv6 address";
                return -EINVAL;
        }
        if (!name_ok(text, len, why))
                return -EINVAL;
        out->is_name = 1;
        memcpy(out->name, text, len + 1);
        return 0;
}

/* Decimal digits only, 1 to 65535: no sign, no spaces, no hex; leading zeros are harmless. */
static int parse_port(const char *s, uint16_t *port, const char **why)
{
        if (*s == '\0') {
                *why = "missing port";
                return -EINVAL;
        }
        unsigned long v = 0;
        for (; *s; s++) {
                if (*s < '0' || *s > '9') {
                        *why = "port is not a decimal number";
                        return -EINVAL;
                }
                v = v * 10 + (unsigned long)(*s - '0');
                if (v > 65535) {
                        *why = "port above 65535";
                        return -EINVAL;
                }
        }
        if (v == 0) {
                *why = "port 0";
                return -EINVAL;
        }
        *port = (uint16_t)v;
        return 0;
}

static int parse(const char *s, int port_only, struct relay_dest *out, const char **why)
{
        memset(out, 0, sizeof(*out));
        uint16_t port;
        const char *colon;
        if (s[0] == '[') {
                /* RFC 3986 §3.2.2: an IPv6 literal is bracketed so its colons are not taken
                 * for the port's. Only IPv6 goes there: IPvFuture ("[v1.x]") is refused. */
                const char *end = strchr(s, ']');
                if (!end) {
                        *why = "unterminated '[' in address";
                        return -EINVAL;
                }
                if (end[1] != ':') {
                        *why = end[1] ? "garbage after ']'" : "missing port";
                        return -EINVAL;
                }
                if (parse_port(end + 2, &port, why) < 0)
                        return -EINVAL;
                size_t len = (size_t)(end - s - 1);
                char text[INET6_ADDRSTRLEN + 1];
                struct in6_addr a6;
                if (len == 0 || len >= sizeof(text)) {
                        *why = len ? "not an IPv6 address" : "empty address in brackets";
                        return -EINVAL;
                }
                memcpy(text, s + 1, len);
                text[len] = '\0';
                if (inet_pton(AF_INET6, text, &a6) != 1) {
                        *why = memchr(text, '%', len) ? "IPv6 zone IDs are not supported"
                                                      : "not an IPv6 address";
                        return -EINVAL;
                }
                out->port = port;
                fill_v6(out, &a6, port);
                return 0;
        }
        colon = strrchr(s, ':');
        if (!colon) {
                if (!port_only) {
                        *why = "missing port";
                        return -EINVAL;
                }
                if (parse_port(s, &port, why) < 0)
                        return -EINVAL;
                /* The wildcard is IPv4's: the stack's sockets are of one family each (no
                 * dual-stack IPv6 socket); "[::]:PORT" listens on IPv6. */
                struct in_addr any = {.s_addr = htonl(INADDR_ANY)};
                out->port = port;
                fill_v4(out, &any, port);
                return 0;
        }
        if (memchr(s, ':', (size_t)(colon - s))) {
                *why = "IPv6 address without brackets (write [ADDR]:PORT)";
                return -EINVAL;
        }
        if (strchr(s, ']')) {
                *why = "']' without '['";
                return -EINVAL;
        }
        if (parse_port(colon + 1, &port, why) < 0)
                return -EINVAL;
        return relay_dest_from_host(s, (size_t)(colon - s), port, out, why);
}

int relay_parse_hostport(const char *s, int port_only, struct relay_dest *out, char *err,
                         size_t errlen)
{
        const char *why = "";
        int r = parse(s, port_only, out, &why);
        if (r < 0)
                memset(out, 0, sizeof(*out));
        if (err && errlen)
                snprintf(err, errlen, "%s", r < 0 ? why : "");
        return r;
}
