/* Which destinations a SOCKS5 or HTTP CONNECT client may ask for (relay_dest.c): never one
 * that cannot be reached over the MPTCP links, and, when its listener has an allow-list,
 * only one inside it. Pure functions over addresses: no socket, no relay. */
#ifndef UM_RELAY_RELAY_DEST_H
#define UM_RELAY_RELAY_DEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Why sa can never be a destination over the MPTCP links, or NULL when it may be: the
 * unspecified addresses (0.0.0.0/8, ::), loopback (127.0.0.0/8, ::1), multicast
 * (224.0.0.0/4, ff00::/8) and the limited broadcast (255.255.255.255). An IPv6 address that
 * carries an IPv4 one is judged as it: IPv4-mapped (::ffff:0:0/96), IPv4-compatible
 * (::/96 but :: and ::1) and NAT64's well-known prefix (64:ff9b::/96). Each would reach the
 * relay's own host or nobody, never the far end of a link. A family other than IPv4 and
 * IPv6: "not IP". */
const char *relay_dest_never(const struct sockaddr *sa);
/* "link-local" (or its IPv4-mapped, -compatible, NAT64 form) when sa is in 169.254.0.0/16
 * or fe80::/10, else NULL. The MPTCP links' far end is never on-link with the relay's own
 * kernel, so such a destination reaches the relay host's neighbours (a cloud's metadata
 * service at 169.254.169.254): refused unless an allow-list names it (below). */
const char *relay_dest_link_local(const struct sockaddr *sa);

enum { RELAY_ALLOW_MAX = 16 };

struct relay_cidr {
        sa_family_t family; /* AF_INET or AF_INET6 */
        uint8_t bits;       /* the prefix length */
        uint8_t addr[16];   /* network order; 4 bytes for IPv4 */
};

/* A listener's allow-list; none (n 0) lets every destination through. */
struct relay_allow {
        unsigned n;
        struct relay_cidr nets[RELAY_ALLOW_MAX];
};

/* "CIDR[;CIDR...]": each an IPv4 or IPv6 address (no brackets, no zone), with "/BITS" or
 * without (a single host); spaces around each are ignored; at most RELAY_ALLOW_MAX. A
 * prefix with bits set past its length is refused ("10.1.2.3/8": a typo for a host or a
 * network, which the relay will not guess). NULL or "" is none. Returns 0, or -EINVAL with
 * the reason in err and *out emptied. */
int relay_allow_parse(const char *s, struct relay_allow *out, char *err, size_t errlen);
/* Whether sa is inside one of a's prefixes (an IPv4-mapped address as its IPv4 one), or a
 * has none. */
int relay_allow_match(const struct relay_allow *a, const struct sockaddr *sa);
/* Whether sa is inside one of a's prefixes that lies wholly inside 169.254.0.0/16 or
 * fe80::/10: the one way to re-allow a link-local destination, so that a wide prefix
 * (0.0.0.0/0, ::/0) never opens a metadata service as a side effect. */
int relay_allow_link_local(const struct relay_allow *a, const struct sockaddr *sa);

/* A set of addresses (this host's, relay_host.c), compared as relay_dest_never judges
 * them: an IPv4 address also matches its IPv4-mapped, -compatible and NAT64 forms. */
struct relay_setaddr {
        uint8_t len; /* 4 or 16 */
        uint8_t b[16];
};
struct relay_addrset {
        unsigned n, cap;
        struct relay_setaddr *a;
};
/* Adds sa (once). Returns 0, or -ENOMEM. */
int relay_addrset_add(struct relay_addrset *s, const struct sockaddr *sa);
int relay_addrset_has(const struct relay_addrset *s, const struct sockaddr *sa);
void relay_addrset_free(struct relay_addrset *s);

#endif
