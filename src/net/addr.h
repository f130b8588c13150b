/* Addresses: one type for IPv4 and IPv6, conversions to and from sockaddr. */
#ifndef UM_NET_ADDR_H
#define UM_NET_ADDR_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

struct um_addr {
        uint8_t family; /* AF_INET or AF_INET6; 0 = unspecified */
        uint8_t b[16];  /* IPv4 in b[0..3] */
};

static inline size_t um_addr_len(const struct um_addr *a)
{
        return a->family == AF_INET ? 4 : 16;
}
static inline int um_addr_eq(const struct um_addr *x, const struct um_addr *y)
{
        return x->family == y->family && memcmp(x->b, y->b, um_addr_len(x)) == 0;
}
static inline int um_addr_is_any(const struct um_addr *a)
{
        static const uint8_t zero[16];
        return a->family == 0 || memcmp(a->b, zero, um_addr_len(a)) == 0;
}

int um_addr_parse(const char *s, struct um_addr *a);
/* "ADDR/PREFIX"; without "/PREFIX" the prefix is the full length. */
int um_addr_parse_prefix(const char *s, struct um_addr *a, int *prefix);
const char *um_addr_str(const struct um_addr *a, char *buf, size_t n);
int um_addr_in_prefix(const struct um_addr *a, const struct um_addr *net, int prefix);
/* Whether a could be a remote host's own unicast address: not unspecified, loopback,
 * multicast or broadcast (IPv4's 0/8, 127/8, 224/4 and 240/4; IPv6's ::, ::1, ff00::/8 and
 * their IPv4-mapped forms). */
int um_addr_is_host_unicast(const struct um_addr *a);

int um_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct um_addr *a,
                          uint16_t *port);
socklen_t um_addr_to_sockaddr(const struct um_addr *a, uint16_t port, struct sockaddr *sa,
                              socklen_t len);

#endif
