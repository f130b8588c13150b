/* Interfaces, their addresses, and source-address routing. */
#ifndef UM_NET_IFACE_H
#define UM_NET_IFACE_H

#include "core/pkt.h"
#include "net/addr.h"

#include <umptcp/link.h>

struct um_link;
struct um_stack;

enum { UM_MAX_IFACES = 16, UM_MAX_ADDRS = 8, UM_TX_BATCH = 64, UM_RX_BATCH = 32 };

struct um_ifaddr {
        struct um_addr addr;
        int prefix;
};

struct um_iface {
        struct um_link *link;
        struct um_ifaddr addrs[UM_MAX_ADDRS];
        int n_addrs;
        struct um_pkt *txq[UM_TX_BATCH]; /* flushed in one batch at the end of a poll */
        int n_txq;
        /* Empty packets a receive batch did not use, kept for the next one with the frame
         * that describes each to the link: an idle link costs no allocation and no setup
         * per poll. */
        struct um_pkt *rx_spare[UM_RX_BATCH];
        struct um_frame rx_frames[UM_RX_BATCH];
        int n_rx_spare;
        /* What the link gave and took (um_stack_iface_stats): a path's share of the
         * traffic, which no counter of a protocol above tells. */
        uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
};

/* Index of the interface owning `a`, or -1 when `a` is not a local address. */
int um_iface_of_addr(const struct um_stack *st, const struct um_addr *a);
/* Chooses the egress interface and, when *src is unspecified, the source address.
 * A bound source address leaves through its own interface (source-address routing);
 * otherwise an on-link prefix wins, then the first interface with that family.
 * Returns the interface index or -ENETUNREACH. */
int um_route(const struct um_stack *st, struct um_addr *src, const struct um_addr *dst);
/* Queues an IP packet for transmission on an interface (takes the packet). */
void um_iface_xmit(struct um_stack *st, int ifindex, struct um_pkt *pkt);
void um_iface_flush(struct um_stack *st, int ifindex);
/* Flushes every interface with packets queued (the others cost nothing). */
void um_net_flush(struct um_stack *st);
uint32_t um_iface_mtu(const struct um_stack *st, int ifindex);

#endif
