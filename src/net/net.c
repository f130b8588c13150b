/* The network layer's lifetime, its transport registry, and the public calls that add
 * interfaces and addresses. */
#include "net/net.h"
#include "core/stack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <umptcp/link.h>

int um_net_init(struct um_stack *st)
{
        struct um_net *n = calloc(1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        n->ip_id = (uint16_t)um_rng_u64(&st->rng);
        st->net = n;
        static const struct um_counter_name names[] = {
#define NET_COUNTER_NAME(c) UM_COUNTER_NAME(struct um_net_counters, c)
            UM_NET_COUNTER_LIST(NET_COUNTER_NAME)
#undef NET_COUNTER_NAME
        };
        return um_counters_register(st, names, sizeof(names) / sizeof(names[0]), &n->ctr);
}

void um_net_destroy(struct um_stack *st)
{
        struct um_net *n = st->net;
        if (!n)
                return;
        for (int i = 0; i < n->n_ifaces; i++) {
                for (int j = 0; j < n->ifaces[i].n_txq; j++)
                        um_pkt_free(&st->pool, n->ifaces[i].txq[j]);
                for (int j = 0; j < n->ifaces[i].n_rx_spare; j++)
                        um_pkt_free(&st->pool, n->ifaces[i].rx_spare[j]);
        }
        free(n);
        st->net = NULL;
}

int um_net_register_transport(struct um_stack *st, const struct um_net_transport *t)
{
        struct um_net *n = st->net;
        if (um_net_transport_of(n, t->proto))
                return -EEXIST;
        if (n->n_transports == UM_MAX_TRANSPORTS)
                return -ENOSPC;
        n->transports[n->n_transports++] = t;
        return 0;
}

int um_stack_add_iface(struct um_stack *st, struct um_link *link)
{
        if (!st || !link)
                return -EINVAL;
        struct um_net *n = st->net;
        if (n->n_ifaces == UM_MAX_IFACES)
                return -ENOSPC;
        if (link->mtu < 576 || link->mtu > UM_PKT_SIZE - UM_PKT_HEADROOM - 64)
                return -EINVAL;
        struct um_iface *ifc = &n->ifaces[n->n_ifaces];
        memset(ifc, 0, sizeof(*ifc));
        ifc->link = link;
        return n->n_ifaces++;
}

_Static_assert((int)UM_IFACE_ADDRS == (int)UM_MAX_ADDRS, "um_iface_stats holds every address");

int um_stack_iface_stats(const struct um_stack *st, int ifindex, struct um_iface_stats *out)
{
        if (!st || !out || ifindex < 0 || ifindex >= st->net->n_ifaces)
                return -ENOENT;
        const struct um_iface *ifc = &st->net->ifaces[ifindex];
        memset(out, 0, sizeof(*out));
        snprintf(out->link, sizeof(out->link), "%s", ifc->link->name);
        out->n_addrs = ifc->n_addrs;
        for (int i = 0; i < ifc->n_addrs; i++) {
                um_addr_to_sockaddr(&ifc->addrs[i].addr, 0, (struct sockaddr *)&out->addrs[i],
                                    sizeof(out->addrs[i]));
                out->prefixes[i] = ifc->addrs[i].prefix;
        }
        out->rx_packets = ifc->rx_packets;
        out->rx_bytes = ifc->rx_bytes;
        out->tx_packets = ifc->tx_packets;
        out->tx_bytes = ifc->tx_bytes;
        return 0;
}

int um_stack_add_addr(struct um_stack *st, int ifindex, const char *addr_prefix)
{
        if (!st || ifindex < 0 || ifindex >= st->net->n_ifaces || !addr_prefix)
                return -EINVAL;
        struct um_iface *ifc = &st->net->ifaces[ifindex];
        if (ifc->n_addrs == UM_MAX_ADDRS)
                return -ENOSPC;
        struct um_ifaddr ia;
        int rc = um_addr_parse_prefix(addr_prefix, &ia.addr, &ia.prefix);
        if (rc)
                return rc;
        if (um_iface_of_addr(st, &ia.addr) >= 0)
                return -EEXIST;
        ifc->addrs[ifc->n_addrs++] = ia;
        return 0;
}
