/* Interfaces: which owns an address, source-address routing, and the per-poll transmit
 * batch of each. */
#include "net/iface.h"
#include "core/stack.h"
#include "net/net.h"

#include <errno.h>
#include <umptcp/link.h>

int um_iface_of_addr(const struct um_stack *st, const struct um_addr *a)
{
        for (int i = 0; i < st->net->n_ifaces; i++)
                for (int j = 0; j < st->net->ifaces[i].n_addrs; j++)
                        if (um_addr_eq(&st->net->ifaces[i].addrs[j].addr, a))
                                return i;
        return -1;
}

static const struct um_addr *first_addr_of_family(const struct um_iface *ifc, int family)
{
        for (int j = 0; j < ifc->n_addrs; j++)
                if (ifc->addrs[j].addr.family == family)
                        return &ifc->addrs[j].addr;
        return NULL;
}

int um_route(const struct um_stack *st, struct um_addr *src, const struct um_addr *dst)
{
        if (!um_addr_is_any(src)) {
                if (src->family != dst->family)
                        return -EAFNOSUPPORT;
                int i = um_iface_of_addr(st, src);
                return i >= 0 ? i : -EADDRNOTAVAIL;
        }
        int chosen = -1;
        for (int i = 0; i < st->net->n_ifaces && chosen < 0; i++)
                for (int j = 0; j < st->net->ifaces[i].n_addrs; j++) {
                        const struct um_ifaddr *ia = &st->net->ifaces[i].addrs[j];
                        if (um_addr_in_prefix(dst, &ia->addr, ia->prefix)) {
                                chosen = i;
                                *src = ia->addr;
                                break;
                        }
                }
        for (int i = 0; i < st->net->n_ifaces && chosen < 0; i++) {
                const struct um_addr *a = first_addr_of_family(&st->net->ifaces[i], dst->family);
                if (a) {
                        chosen = i;
                        *src = *a;
                }
        }
        return chosen >= 0 ? chosen : -ENETUNREACH;
}

void um_iface_flush(struct um_stack *st, int ifindex)
{
        struct um_iface *ifc = &st->net->ifaces[ifindex];
        if (!ifc->n_txq)
                return;
        struct um_frame frames[UM_TX_BATCH];
        for (int i = 0; i < ifc->n_txq; i++) {
                frames[i].data = um_pkt_data(ifc->txq[i]);
                frames[i].len = ifc->txq[i]->len;
                frames[i].cap = ifc->txq[i]->len;
                frames[i].flags = 0;
        }
        int sent = ifc->link->ops->send(ifc->link, frames, ifc->n_txq, st->now);
        if (sent < 0)
                sent = 0;
        st->net->ctr.LinkOutDrops += (uint64_t)(ifc->n_txq - sent);
        ifc->tx_packets += (uint64_t)sent;
        for (int i = 0; i < sent; i++)
                ifc->tx_bytes += frames[i].len;
        for (int i = 0; i < ifc->n_txq; i++)
                um_pkt_free(&st->pool, ifc->txq[i]);
        ifc->n_txq = 0;
        st->net->tx_pending &= ~(1u << ifindex);
}

_Static_assert(UM_MAX_IFACES <= 32, "tx_pending has a bit per interface");

void um_net_flush(struct um_stack *st)
{
        while (st->net->tx_pending)
                um_iface_flush(st, __builtin_ctz(st->net->tx_pending));
}

void um_iface_xmit(struct um_stack *st, int ifindex, struct um_pkt *pkt)
{
        struct um_iface *ifc = &st->net->ifaces[ifindex];
        if (pkt->len > ifc->link->mtu) {
                st->net->ctr.IpOutDiscards++;
                um_pkt_free(&st->pool, pkt);
                return;
        }
        if (ifc->n_txq == UM_TX_BATCH)
                um_iface_flush(st, ifindex);
        ifc->txq[ifc->n_txq++] = pkt;
        st->net->tx_pending |= 1u << ifindex;
}

uint32_t um_iface_mtu(const struct um_stack *st, int ifindex)
{
        return st->net->ifaces[ifindex].link->mtu;
}
