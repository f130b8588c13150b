/* The network layer's state: interfaces, the IPv4 identification counter, the transports
 * that registered for input, and the IP and ICMP counters. */
#ifndef UM_NET_NET_H
#define UM_NET_NET_H

#include "core/counters.h"
#include "net/iface.h"

#define UM_NET_COUNTER_LIST(X)                                                                     \
        X(IpInReceives)                                                                            \
        X(IpInHdrErrors)                                                                           \
        X(IpInAddrErrors)                                                                          \
        X(IpInUnknownProtos)                                                                       \
        X(IpInFragDropped)                                                                         \
        X(IpInDelivers)                                                                            \
        X(IpOutRequests)                                                                           \
        X(IpOutNoRoutes)                                                                           \
        X(IpOutDiscards)                                                                           \
        X(IcmpInMsgs)                                                                              \
        X(IcmpInErrors)                                                                            \
        X(IcmpInEchos)                                                                             \
        X(IcmpInDestUnreachs)                                                                      \
        X(IcmpOutEchoReps)                                                                         \
        X(LinkOutDrops)

struct um_net_counters {
        UM_NET_COUNTER_LIST(UM_COUNTER_FIELD)
};

/* A transport protocol above IP (TCP), registered by that layer when it starts. */
struct um_net_transport {
        uint8_t proto;
        /* The packet's data starts at the transport header. Takes the packet. */
        void (*input)(struct um_stack *st, int ifindex, const struct um_addr *src,
                      const struct um_addr *dst, struct um_pkt *pkt);
        /* An ICMP error quoting a datagram we sent from `local` to `remote`; `l4` holds
         * the first bytes of its transport header (at least 8). */
        void (*icmp_error)(struct um_stack *st, const struct um_addr *local,
                           const struct um_addr *remote, const uint8_t *l4, uint32_t l4len, int err,
                           int hard);
};

enum { UM_MAX_TRANSPORTS = 4 };

struct um_net {
        struct um_iface ifaces[UM_MAX_IFACES];
        int n_ifaces;
        uint32_t tx_pending; /* bit i: interface i has packets queued */
        uint16_t ip_id;
        const struct um_net_transport *transports[UM_MAX_TRANSPORTS];
        int n_transports;
        struct um_net_counters ctr;
};

int um_net_init(struct um_stack *st);
void um_net_destroy(struct um_stack *st);
/* Returns 0, or -ENOSPC / -EEXIST. */
int um_net_register_transport(struct um_stack *st, const struct um_net_transport *t);
static inline const struct um_net_transport *um_net_transport_of(const struct um_net *n,
                                                                 uint8_t proto)
{
        for (int i = 0; i < n->n_transports; i++)
                if (n->transports[i]->proto == proto)
                        return n->transports[i];
        return NULL;
}

#endif
