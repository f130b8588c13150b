/* IP output: the IPv4 or IPv6 header in front of a transport segment, then the interface. */
#include "net/ip.h"
#include "core/stack.h"
#include "net/net.h"
#include "net/checksum.h"

#include <arpa/inet.h>
#include <errno.h>

static int push_ipv4(struct um_stack *st, const struct um_addr *src, const struct um_addr *dst,
                     uint8_t proto, struct um_pkt *pkt)
{
        uint16_t total = (uint16_t)(pkt->len + UM_IPV4_HDR);
        uint8_t *h = um_pkt_push(pkt, UM_IPV4_HDR);
        if (!h)
                return -ENOBUFS;
        uint16_t id = htons(st->net->ip_id++);
        uint16_t tot = htons(total);
        uint16_t frag = htons(0x4000); /* DF: we do no fragmentation */
        h[0] = 0x45;
        h[1] = 0;
        memcpy(h + 2, &tot, 2);
        memcpy(h + 4, &id, 2);
        memcpy(h + 6, &frag, 2);
        h[8] = UM_DEFAULT_TTL;
        h[9] = proto;
        h[10] = h[11] = 0;
        memcpy(h + 12, src->b, 4);
        memcpy(h + 16, dst->b, 4);
        uint16_t c = um_csum(h, UM_IPV4_HDR);
        memcpy(h + 10, &c, 2);
        return 0;
}

static int push_ipv6(const struct um_addr *src, const struct um_addr *dst, uint8_t proto,
                     struct um_pkt *pkt)
{
        uint16_t plen = htons(pkt->len);
        uint8_t *h = um_pkt_push(pkt, UM_IPV6_HDR);
        if (!h)
                return -ENOBUFS;
        h[0] = 0x60;
        h[1] = h[2] = h[3] = 0;
        memcpy(h + 4, &plen, 2);
        h[6] = proto;
        h[7] = UM_DEFAULT_TTL;
        memcpy(h + 8, src->b, 16);
        memcpy(h + 24, dst->b, 16);
        return 0;
}

int um_ip_output(struct um_stack *st, int ifindex, const struct um_addr *src,
                 const struct um_addr *dst, uint8_t proto, struct um_pkt *pkt)
{
        if (ifindex < 0 || ifindex >= st->net->n_ifaces) {
                st->net->ctr.IpOutNoRoutes++;
                um_pkt_free(&st->pool, pkt);
                return -ENETUNREACH;
        }
        int rc = src->family == AF_INET ? push_ipv4(st, src, dst, proto, pkt)
                                        : push_ipv6(src, dst, proto, pkt);
        if (rc) {
                st->net->ctr.IpOutDiscards++;
                um_pkt_free(&st->pool, pkt);
                return rc;
        }
        st->net->ctr.IpOutRequests++;
        um_iface_xmit(st, ifindex, pkt);
        return 0;
}
