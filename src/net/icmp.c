/* Minimal ICMP and ICMPv6: echo replies, and destination-unreachable errors reported to
 * the transport connection they concern (RFC 1122 §4.2.3.9, RFC 5927 §4.1 validation by seq). */
#include "core/bytes.h"
#include "core/stack.h"
#include "net/checksum.h"
#include "net/ip.h"
#include "net/net.h"

#include <errno.h>

enum {
        ICMP_ECHO_REPLY = 0,
        ICMP_DEST_UNREACH = 3,
        ICMP_ECHO = 8,
        ICMP6_DEST_UNREACH = 1,
        ICMP6_ECHO = 128,
        ICMP6_ECHO_REPLY = 129,
};

static void echo_reply(struct um_stack *st, int ifindex, const struct um_addr *src,
                       const struct um_addr *dst, struct um_pkt *pkt, uint8_t type, uint8_t proto)
{
        uint8_t *h = um_pkt_data(pkt);
        h[0] = type;
        h[2] = h[3] = 0;
        uint64_t sum = um_csum_add(0, h, pkt->len);
        if (proto == UM_IPPROTO_ICMPV6)
                sum += um_csum_pseudo(dst, src, proto, pkt->len);
        uint16_t c = um_csum_fold(sum);
        memcpy(h + 2, &c, 2);
        st->net->ctr.IcmpOutEchoReps++;
        /* Reply from the address that was asked, on the interface that owns it. */
        struct um_addr from = *dst;
        int out = um_route(st, &from, src);
        um_ip_output(st, out >= 0 ? out : ifindex, &from, src, proto, pkt);
}

/* The quoted datagram is one we sent, so its source is ours. */
static void report_to_transport(struct um_stack *st, uint8_t proto,
                                const struct um_addr *quoted_src, const struct um_addr *quoted_dst,
                                const uint8_t *l4, uint32_t l4len, int err, int hard)
{
        const struct um_net_transport *t = um_net_transport_of(st->net, proto);
        if (t && t->icmp_error)
                t->icmp_error(st, quoted_src, quoted_dst, l4, l4len, err, hard);
}

void um_icmp_input(struct um_stack *st, int ifindex, const struct um_addr *src,
                   const struct um_addr *dst, struct um_pkt *pkt)
{
        st->net->ctr.IcmpInMsgs++;
        const uint8_t *h = um_pkt_data(pkt);
        if (pkt->len < 8 || um_csum(h, pkt->len) != 0) {
                st->net->ctr.IcmpInErrors++;
                um_pkt_free(&st->pool, pkt);
                return;
        }
        if (h[0] == ICMP_ECHO) {
                st->net->ctr.IcmpInEchos++;
                echo_reply(st, ifindex, src, dst, pkt, ICMP_ECHO_REPLY, UM_IPPROTO_ICMP);
                return;
        }
        if (h[0] == ICMP_DEST_UNREACH && pkt->len >= 8 + UM_IPV4_HDR + 8) {
                st->net->ctr.IcmpInDestUnreachs++;
                const uint8_t *in = h + 8;
                uint32_t ihl = (uint32_t)(in[0] & 0x0f) * 4;
                if ((in[0] >> 4) == 4 && ihl >= UM_IPV4_HDR && 8 + ihl + 8 <= pkt->len) {
                        struct um_addr qs = {.family = AF_INET}, qd = {.family = AF_INET};
                        memcpy(qs.b, in + 12, 4);
                        memcpy(qd.b, in + 16, 4);
                        /* Codes 2 (protocol) and 3 (port) are hard errors (RFC 1122). */
                        int hard = h[1] == 2 || h[1] == 3;
                        report_to_transport(st, in[9], &qs, &qd, in + ihl, pkt->len - 8 - ihl,
                                            hard ? ECONNREFUSED : EHOSTUNREACH, hard);
                }
        }
        um_pkt_free(&st->pool, pkt);
}

void um_icmp6_input(struct um_stack *st, int ifindex, const struct um_addr *src,
                    const struct um_addr *dst, struct um_pkt *pkt)
{
        st->net->ctr.IcmpInMsgs++;
        const uint8_t *h = um_pkt_data(pkt);
        if (pkt->len < 8 ||
            um_csum_fold(um_csum_add(um_csum_pseudo(src, dst, UM_IPPROTO_ICMPV6, pkt->len), h,
                                     pkt->len)) != 0) {
                st->net->ctr.IcmpInErrors++;
                um_pkt_free(&st->pool, pkt);
                return;
        }
        if (h[0] == ICMP6_ECHO) {
                st->net->ctr.IcmpInEchos++;
                echo_reply(st, ifindex, src, dst, pkt, ICMP6_ECHO_REPLY, UM_IPPROTO_ICMPV6);
                return;
        }
        if (h[0] == ICMP6_DEST_UNREACH && pkt->len >= 8 + UM_IPV6_HDR + 8) {
                st->net->ctr.IcmpInDestUnreachs++;
                const uint8_t *in = h + 8;
                if ((in[0] >> 4) == 6) {
                        struct um_addr qs = {.family = AF_INET6}, qd = {.family = AF_INET6};
                        memcpy(qs.b, in + 8, 16);
                        memcpy(qd.b, in + 24, 16);
                        /* Code 4 (port unreachable) is hard; the rest are soft. */
                        int hard = h[1] == 4;
                        report_to_transport(st, in[6], &qs, &qd, in + UM_IPV6_HDR,
                                            pkt->len - 8 - UM_IPV6_HDR,
                                            hard ? ECONNREFUSED : EHOSTUNREACH, hard);
                }
        }
        um_pkt_free(&st->pool, pkt);
}
