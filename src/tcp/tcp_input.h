/* Entry points from the IP layer into TCP. */
#ifndef UM_TCP_INPUT_H
#define UM_TCP_INPUT_H

#include "core/pkt.h"
#include "net/addr.h"

struct um_stack;

/* The packet's data starts at the TCP header. Takes the packet. */
void um_tcp_input(struct um_stack *st, int ifindex, const struct um_addr *src,
                  const struct um_addr *dst, struct um_pkt *pkt);
/* An ICMP error quoting a segment we sent from local:lport to remote:rport with `seq`. */
void um_tcp_icmp_error(struct um_stack *st, const struct um_addr *local,
                       const struct um_addr *remote, uint16_t lport, uint16_t rport, uint32_t seq,
                       int err, int hard);

#endif
