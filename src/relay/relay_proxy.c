/* The PROXY protocol v2 header an --accept relay may open its backend connection with, so
 * that a server behind it (HAProxy, nginx, ...) learns the MPTCP client's address. The
 * layout is haproxy's doc/proxy-protocol.txt, §2.2. */
#include "relay/relay_proto.h"

#include <netinet/in.h>
#include <string.h>

#include "core/bytes.h"

/* §2.2: the 12 bytes no v1 header or other protocol's first line can begin with. */
static const uint8_t signature[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                      0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

/* An address as IPv4 (4 bytes) or IPv6 (16); an IPv4-mapped IPv6 address may be taken as
 * IPv4 (as_v4), for a pair whose other side is IPv4. Returns its family, or 0. */
static int addr_of(const struct sockaddr *sa, int as_v4, uint8_t *addr, uint16_t *port)
{
        if (!sa)
                return 0;
        if (sa->sa_family == AF_INET) {
                const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
                memcpy(addr, &sin->sin_addr, 4);
                *port = ntohs(sin->sin_port);
                return AF_INET;
        }
        if (sa->sa_family == AF_INET6) {
                const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
                *port = ntohs(sin6->sin6_port);
                if (as_v4 && IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
                        memcpy(addr, sin6->sin6_addr.s6_addr + 12, 4);
                        return AF_INET;
                }
                memcpy(addr, &sin6->sin6_addr, 16);
                return AF_INET6;
        }
        return 0;
}

size_t relay_proxy_v2(uint8_t *out, size_t cap, const struct sockaddr *src,
                      const struct sockaddr *dst)
{
        uint8_t s[16], d[16];
        uint16_t sport, dport;
        int as_v4 = (src && src->sa_family == AF_INET) || (dst && dst->sa_family == AF_INET);
        int fs = addr_of(src, as_v4, s, &sport), fd = addr_of(dst, as_v4, d, &dport);
        if (!fs || fs != fd)
                return 0;
        size_t alen = fs == AF_INET ? 4 : 16, len = 16 + 2 * alen + 4;
        if (cap < len)
                return 0;
        memcpy(out, signature, sizeof(signature));
        out[12] = 0x21; /* §2.2: version 2 in the high nibble, command PROXY (1) */
        /* §2.2: address family in the high nibble (1 AF_INET, 2 AF_INET6), transport in
         * the low (1 STREAM) */
        out[13] = fs == AF_INET ? 0x11 : 0x21;
        um_put_be16(out + 14, (uint16_t)(len - 16)); /* the bytes after these 16 */
        /* §2.2: src_addr, dst_addr, src_port, dst_port, network byte order */
        memcpy(out + 16, s, alen);
        memcpy(out + 16 + alen, d, alen);
        um_put_be16(out + 16 + 2 * alen, sport);
        um_put_be16(out + 18 + 2 * alen, dport);
        return len;
}
