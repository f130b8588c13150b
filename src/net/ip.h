/* IPv4 and IPv6: input demultiplexing and output with header construction. */
#ifndef UM_NET_IP_H
#define UM_NET_IP_H

#include "core/pkt.h"
#include "net/addr.h"

struct um_stack;

enum { UM_IPPROTO_ICMP = 1, UM_IPPROTO_TCP = 6, UM_IPPROTO_ICMPV6 = 58 };
enum { UM_IPV4_HDR = 20, UM_IPV6_HDR = 40, UM_DEFAULT_TTL = 64 };

/* Takes the packet. The packet's data is one IP datagram. */
void um_ip_input(struct um_stack *st, int ifindex, struct um_pkt *pkt);
void um_ipv4_input(struct um_stack *st, int ifindex, struct um_pkt *pkt);
void um_ipv6_input(struct um_stack *st, int ifindex, struct um_pkt *pkt);

/* Prepends the IP header to a packet holding a transport segment and queues it on
 * the interface. Takes the packet; returns 0 or a negative errno. */
int um_ip_output(struct um_stack *st, int ifindex, const struct um_addr *src,
                 const struct um_addr *dst, uint8_t proto, struct um_pkt *pkt);

/* Transport demultiplexing targets. The packet data starts at the transport header. */
void um_icmp_input(struct um_stack *st, int ifindex, const struct um_addr *src,
                   const struct um_addr *dst, struct um_pkt *pkt);
void um_icmp6_input(struct um_stack *st, int ifindex, const struct um_addr *src,
                    const struct um_addr *dst, struct um_pkt *pkt);

#endif
