/* IP input: header checks for IPv4 and IPv6 (extension headers skipped, fragments
 * dropped), then delivery to the registered transport or ICMP. */
#include "net/ip.h"
#include "core/stack.h"
#include "net/checksum.h"
#include "net/net.h"

#include <arpa/inet.h>

static void drop(struct um_stack *st, struct um_pkt *pkt, uint64_t *counter)
{
        (*counter)++;
        um_pkt_free(&st->pool, pkt);
}

void um_ip_input(struct um_stack *st, int ifindex, struct um_pkt *pkt)
{
        st->net->ctr.IpInReceives++;
        if (pkt->len < 1)
                return drop(st, pkt, &st->net->ctr.IpInHdrErrors);
        switch (um_pkt_data(pkt)[0] >> 4) {
        case 4:
                return um_ipv4_input(st, ifindex, pkt);
        case 6:
                return um_ipv6_input(st, ifindex, pkt);
        default:
                return drop(st, pkt, &st->net->ctr.IpInHdrErrors);
        }
}

/* Moves the packet's start to the transport header and hands it to the protocol. */
static void deliver(struct um_stack *st, int ifindex, const struct um_addr *src,
                    const struct um_addr *dst, uint8_t proto, struct um_pkt *pkt, uint16_t hlen,
                    uint16_t plen)
{
        if (um_iface_of_addr(st, dst) < 0)
                return drop(st, pkt, &st->net->ctr.IpInAddrErrors);
        pkt->off += hlen;
        pkt->len = plen;
        pkt->l4_off = 0;
        pkt->ifindex = (uint8_t)ifindex;
        st->net->ctr.IpInDelivers++;
        const struct um_net_transport *t = um_net_transport_of(st->net, proto);
        if (t)
                return t->input(st, ifindex, src, dst, pkt);
        switch (proto) {
        case UM_IPPROTO_ICMP:
                if (src->family == AF_INET)
                        return um_icmp_input(st, ifindex, src, dst, pkt);
                break;
        case UM_IPPROTO_ICMPV6:
                if (src->family == AF_INET6)
                        return um_icmp6_input(st, ifindex, src, dst, pkt);
                break;
        }
        drop(st, pkt, &st->net->ctr.IpInUnknownProtos);
}

void um_ipv4_input(struct um_stack *st, int ifindex, struct um_pkt *pkt)
{
        const uint8_t *h = um_pkt_data(pkt);
        if (pkt->len < UM_IPV4_HDR)
                return drop(st, pkt, &st->net->ctr.IpInHdrErrors);
        uint16_t hlen = (uint16_t)((h[0] & 0x0f) * 4);
        uint16_t total = (uint16_t)(h[2] << 8 | h[3]);
        if (hlen < UM_IPV4_HDR || total < hlen || total > pkt->len)
                return drop(st, pkt, &st->net->ctr.IpInHdrErrors);
        if (um_csum(h, hlen) != 0)
                return drop(st, pkt, &st->net->ctr.IpInHdrErrors);
        uint16_t frag = (uint16_t)(h[6] << 8 | h[7]);
        if (frag & 0x3fff) /* MF set or non-zero offset: we do not reassemble */
                return drop(st, pkt, &st->net->ctr.IpInFragDropped);
        struct um_addr src = {.family = AF_INET}, dst = {.family = AF_INET};
        memcpy(src.b, h + 12, 4);
        memcpy(dst.b, h + 16, 4);
        deliver(st, ifindex, &src, &dst, h[9], pkt, hlen, (uint16_t)(total - hlen));
}

void um_ipv6_input(struct um_stack *st, int ifindex, struct um_pkt *pkt)
{
        const uint8_t *h = um_pkt_data(pkt);
        if (pkt->len < UM_IPV6_HDR)
                return drop(st, pkt, &st->net->ctr.IpInHdrErrors);
        uint32_t plen = (uint32_t)(h[4] << 8 | h[5]);
        if (plen + UM_IPV6_HDR > pkt->len)
                return drop(st, pkt, &st->net->ctr.IpInHdrErrors);
        struct um_addr src = {.family = AF_INET6}, dst = {.family = AF_INET6};
        memcpy(src.b, h + 8, 16);
        memcpy(dst.b, h + 24, 16);
        uint8_t next = h[6];
        uint32_t off = UM_IPV6_HDR, end = UM_IPV6_HDR + plen;
        /* Skip hop-by-hop, routing and destination options headers (RFC 8200 §4). */
        while (next == 0 || next == 43 || next == 60) {
                if (off + 8 > end)
                        return drop(st, pkt, &st->net->ctr.IpInHdrErrors);
                uint32_t elen = (uint32_t)(h[off + 1] + 1) * 8;
                next = h[off];
                off += elen;
                if (off > end)
                        return drop(st, pkt, &st->net->ctr.IpInHdrErrors);
        }
        if (next == 44)
                return drop(st, pkt, &st->net->ctr.IpInFragDropped);
        deliver(st, ifindex, &src, &dst, next, pkt, (uint16_t)off, (uint16_t)(end - off));
}
