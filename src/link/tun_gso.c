/* Segmentation offload for the TUN driver: super-packets split and joined (see tun_gso.h).
 * The kernel's GSO (Documentation/networking/segmentation-offloads.rst) splits a TCP
 * super-packet by copying its headers to every segment and fixing length, id, sequence
 * number, flags and checksums; the split here does the same, and the join builds what it
 * expects. */
#include "link/tun_gso.h"
#include "core/bytes.h"
#include "core/csum.h"

#include <string.h>

enum { IPV4_HDR = 20, IPV6_HDR = 40, TCP_HDR = 20, PROTO_TCP = 6 };
enum { TH_FIN = 0x01, TH_PSH = 0x08, TH_ACK = 0x10, TH_CWR = 0x80 };

int tun_tcp_offsets(const uint8_t *pkt, size_t len, size_t *l4_off, size_t *l4_hdr)
{
        if (len < IPV4_HDR)
                return -1;
        size_t off;
        if (pkt[0] >> 4 == 4) {
                /* No IP options, not a fragment. */
                if (pkt[0] != 0x45 || pkt[9] != PROTO_TCP || (um_get_be16(pkt + 6) & 0x3fff))
                        return -1;
                off = IPV4_HDR;
        } else if (pkt[0] >> 4 == 6) {
                if (len < IPV6_HDR || pkt[6] != PROTO_TCP)
                        return -1;
                off = IPV6_HDR;
        } else {
                return -1;
        }
        if (len < off + TCP_HDR)
                return -1;
        size_t doff = (size_t)(pkt[off + 12] >> 4) * 4;
        if (doff < TCP_HDR || off + doff > len)
                return -1;
        *l4_off = off;
        *l4_hdr = doff;
        return 0;
}

int tun_csum_complete(uint8_t *pkt, size_t len, uint16_t csum_start, uint16_t csum_offset)
{
        if ((size_t)csum_start + csum_offset + 2 > len)
                return -1;
        /* The field holds the pseudo-header's sum: summing it with the rest gives the
         * whole, whose complement goes in its place. */
        uint16_t c = um_csum(pkt + csum_start, len - csum_start);
        memcpy(pkt + csum_start + csum_offset, &c, 2);
        return 0;
}

int tun_csum_trusted(const uint8_t *pkt, size_t len, const struct tun_vnet_hdr *vh)
{
        size_t l4, th;
        if (!(vh->flags & (TUN_VNET_NEEDS_CSUM | TUN_VNET_DATA_VALID)) ||
            tun_tcp_offsets(pkt, len, &l4, &th) < 0)
                return 0;
        return !(vh->flags & TUN_VNET_NEEDS_CSUM) ||
               (um_get_le16(&vh->csum_start) == l4 && um_get_le16(&vh->csum_offset) == 16);
}

/* The pseudo-header sum (RFC 9293 §3.1; RFC 8200 §8.1) for a TCP length. */
static uint64_t pseudo_sum(const uint8_t *ip, uint32_t tcp_len)
{
        uint8_t tail[8] = {0};
        if (ip[0] >> 4 == 4) {
                tail[1] = PROTO_TCP;
                um_put_be16(tail + 2, (uint16_t)tcp_len);
                return um_csum_add(um_csum_add(0, ip + 12, 8), tail, 4);
        }
        um_put_be32(tail, tcp_len);
        tail[7] = PROTO_TCP;
        return um_csum_add(um_csum_add(0, ip + 8, 32), tail, 8);
}

/* Whether a TCP packet's checksum field holds the complete checksum of all of it. */
static int tcp_csum_ok(const uint8_t *pkt, size_t len, size_t l4)
{
        uint64_t sum = um_csum_add(pseudo_sum(pkt, (uint32_t)(len - l4)), pkt + l4, len - l4);
        return um_csum_fold(sum) == 0;
}

static int dropped(struct um_tun_stats *stats, uint64_t *reason)
{
        stats->rx_dropped++;
        (*reason)++;
        return -1;
}

int tun_rx_take(uint8_t *pkt, size_t len, const struct tun_vnet_hdr *vh, size_t frame_cap,
                struct um_tun_stats *stats, struct tun_rx *rx)
{
        uint8_t type = vh->gso_type & (uint8_t)~TUN_VNET_GSO_ECN;
        int trusted = tun_csum_trusted(pkt, len, vh);
        memset(rx, 0, sizeof(*rx));
        if (type == TUN_VNET_GSO_NONE) {
                if (len > frame_cap)
                        return dropped(stats, &stats->rx_too_big);
                /* Completed here, checked by the stack. */
                if (!trusted && (vh->flags & TUN_VNET_NEEDS_CSUM) &&
                    tun_csum_complete(pkt, len, um_get_le16(&vh->csum_start),
                                      um_get_le16(&vh->csum_offset)) < 0)
                        return dropped(stats, &stats->rx_bad_csum_offsets);
                rx->csum_valid = trusted;
                return 0;
        }
        if (type != TUN_VNET_GSO_TCPV4 && type != TUN_VNET_GSO_TCPV6)
                return dropped(stats, &stats->rx_gso_unknown);
        stats->rx_super++;
        size_t l4, th;
        if (tun_tcp_offsets(pkt, len, &l4, &th) < 0)
                return dropped(stats, &stats->rx_gso_not_tcp);
        uint16_t gso_size = um_get_le16(&vh->gso_size);
        if (!gso_size)
                return dropped(stats, &stats->rx_gso_size_zero);
        size_t payload = len - l4 - th;
        if (l4 + th + (payload < gso_size ? payload : gso_size) > frame_cap)
                return dropped(stats, &stats->rx_too_big);
        if (!trusted) {
                /* The kernel rejects a TCP super-packet whose partial checksum is anywhere
                 * but at the TCP checksum (virtio_net_hdr_to_skb); so do we. */
                if (vh->flags & TUN_VNET_NEEDS_CSUM)
                        return dropped(stats, &stats->rx_bad_csum_offsets);
                /* Neither flag: the field holds the checksum of the whole super-packet, and
                 * only here can it be checked. Cut first, each segment would carry that
                 * checksum, wrong for it, or one computed afresh over whatever its bytes
                 * are, which always verifies: either way the stack could not tell. */
                if (!tcp_csum_ok(pkt, len, l4))
                        return dropped(stats, &stats->rx_bad_csum);
                rx->fill_csum = 1;
        }
        rx->gso_size = gso_size;
        rx->segments = payload ? (unsigned)((payload + gso_size - 1) / gso_size) : 1;
        rx->csum_valid = 1;
        return 0;
}

/* Sets the IP length fields for a packet of len bytes, and the IPv4 header checksum. */
static void set_ip_length(uint8_t *ip, size_t len, uint16_t id)
{
        if (ip[0] >> 4 == 4) {
                um_put_be16(ip + 2, (uint16_t)len);
                um_put_be16(ip + 4, id);
                ip[10] = ip[11] = 0;
                uint16_t c = um_csum(ip, IPV4_HDR);
                memcpy(ip + 10, &c, 2);
        } else {
                um_put_be16(ip + 4, (uint16_t)(len - IPV6_HDR));
        }
}

size_t tun_gso_segment(const uint8_t *pkt, size_t len, uint16_t gso_size, unsigned k, uint8_t *out,
                       size_t cap, int csum)
{
        size_t l4, th;
        if (!gso_size || tun_tcp_offsets(pkt, len, &l4, &th) < 0)
                return 0;
        size_t hdr = l4 + th, payload = len - hdr, start = (size_t)k * gso_size;
        if (start >= payload && !(k == 0 && payload == 0))
                return 0;
        size_t n = payload - start < gso_size ? payload - start : gso_size;
        if (hdr + n > cap)
                return 0;
        memcpy(out, pkt, hdr);
        memcpy(out + hdr, pkt + hdr + start, n);
        uint16_t id = pkt[0] >> 4 == 4 ? (uint16_t)(um_get_be16(pkt + 4) + k) : 0;
        set_ip_length(out, hdr + n, id);
        uint8_t *tcp = out + l4;
        um_put_be32(tcp + 4, um_get_be32(pkt + l4 + 4) + (uint32_t)start);
        int last = start + n == payload;
        if (!last)
                tcp[13] &= (uint8_t) ~(TH_FIN | TH_PSH);
        if (k)
                tcp[13] &= (uint8_t)~TH_CWR;
        if (csum) {
                tcp[16] = tcp[17] = 0;
                uint16_t c =
                    um_csum_fold(um_csum_add(pseudo_sum(out, (uint32_t)(th + n)), tcp, th + n));
                memcpy(tcp + 16, &c, 2);
        }
        return hdr + n;
}

/* Whether b's headers equal a's in everything a super-packet shares: the IP header but
 * for its length, id and checksum; the TCP header but for sequence number, flags and
 * checksum; the options. */
static int same_headers(const uint8_t *a, const uint8_t *b, size_t l4, size_t th)
{
        if (l4 == IPV4_HDR) {
                if (memcmp(a, b, 2) || memcmp(a + 6, b + 6, 4) || memcmp(a + 12, b + 12, 8))
                        return 0;
        } else if (memcmp(a, b, 4) || memcmp(a + 6, b + 6, IPV6_HDR - 6)) {
                return 0;
        }
        const uint8_t *x = a + l4, *y = b + l4;
        return !memcmp(x, y, 4) && !memcmp(x + 8, y + 8, 5) && !memcmp(x + 14, y + 14, 2) &&
               !memcmp(x + 18, y + 18, th - 18);
}

int tun_gso_run(const struct iovec *segs, int n)
{
        size_t l4, th;
        const uint8_t *first = segs[0].iov_base;
        if (n < 2 || tun_tcp_offsets(first, segs[0].iov_len, &l4, &th) < 0 ||
            first[l4 + 13] != TH_ACK)
                return 1;
        size_t hdr = l4 + th, mss = segs[0].iov_len - hdr, total = segs[0].iov_len;
        if (!mss)
                return 1;
        uint32_t next_seq = um_get_be32(first + l4 + 4) + (uint32_t)mss;
        int run = 1;
        for (int i = 1; i < n; i++) {
                const uint8_t *p = segs[i].iov_base;
                size_t len = segs[i].iov_len, l4b, thb;
                if (tun_tcp_offsets(p, len, &l4b, &thb) < 0 || l4b != l4 || thb != th ||
                    len <= hdr || len - hdr > mss || total + (len - hdr) > TUN_GSO_MAX ||
                    um_get_be32(p + l4 + 4) != next_seq || !same_headers(first, p, l4, th))
                        break;
                uint8_t flags = p[l4 + 13];
                if (flags != TH_ACK && flags != (TH_ACK | TH_PSH))
                        break;
                run++;
                total += len - hdr;
                next_seq += (uint32_t)(len - hdr);
                /* Only the last may be short or pushed. */
                if (len - hdr < mss || flags & TH_PSH)
                        break;
        }
        return run;
}

/* A pure ACK (no payload, only the ACK flag) whose options are all ones a later ACK
 * repeats with newer values: timestamps, MPTCP's DATA_ACK. */
static int plain_ack(const uint8_t *p, size_t len, size_t *l4)
{
        size_t th;
        if (tun_tcp_offsets(p, len, l4, &th) < 0 || len != *l4 + th || p[*l4 + 13] != TH_ACK)
                return 0;
        const uint8_t *o = p + *l4 + TCP_HDR;
        for (size_t i = 0, n = th - TCP_HDR; i < n;) {
                if (o[i] == 0)
                        break;
                if (o[i] == 1) {
                        i++;
                        continue;
                }
                if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
                        return 0;
                /* RFC 8684 §3.3: a DSS with a DATA_ACK only (no mapping, no DATA_FIN). */
                int ok = o[i] == 8 || (o[i] == 30 && o[i + 1] >= 4 && o[i + 2] >> 4 == 2 &&
                                       !(o[i + 3] & (0x04 | 0x10)));
                if (!ok)
                        return 0;
                i += o[i + 1];
        }
        return 1;
}

int tun_plain_ack(const struct iovec *a)
{
        size_t l4;
        return plain_ack(a->iov_base, a->iov_len, &l4);
}

int tun_same_flow(const struct iovec *a, const struct iovec *b)
{
        const uint8_t *x = a->iov_base, *y = b->iov_base;
        size_t lx, ly, tx, ty;
        if (tun_tcp_offsets(x, a->iov_len, &lx, &tx) < 0 ||
            tun_tcp_offsets(y, b->iov_len, &ly, &ty) < 0 || lx != ly)
                return 0;
        size_t addr = lx == IPV4_HDR ? 12 : 8, alen = lx == IPV4_HDR ? 8 : 32;
        return !memcmp(x + addr, y + addr, alen) && !memcmp(x + lx, y + lx, 4);
}

int tun_ack_superseded(const struct iovec *a, const struct iovec *b)
{
        const uint8_t *x = a->iov_base, *y = b->iov_base;
        size_t l4;
        if (!tun_plain_ack(a) || !plain_ack(y, b->iov_len, &l4) || !tun_same_flow(a, b))
                return 0;
        return um_get_be32(x + l4 + 4) == um_get_be32(y + l4 + 4) &&
               (int32_t)(um_get_be32(y + l4 + 8) - um_get_be32(x + l4 + 8)) > 0;
}

size_t tun_gso_header(const struct iovec *segs, int n, uint8_t *hdr, struct tun_vnet_hdr *vh)
{
        size_t l4, th;
        const uint8_t *first = segs[0].iov_base;
        tun_tcp_offsets(first, segs[0].iov_len, &l4, &th);
        size_t h = l4 + th, payload = 0;
        for (int i = 0; i < n; i++)
                payload += segs[i].iov_len - h;
        memcpy(hdr, first, h);
        set_ip_length(hdr, h + payload, l4 == IPV4_HDR ? um_get_be16(first + 4) : 0);
        const uint8_t *last = segs[n - 1].iov_base;
        hdr[l4 + 13] |= last[l4 + 13] & TH_PSH;
        /* TUN_VNET_NEEDS_CSUM: the field holds the pseudo-header's sum over the whole TCP
         * length, which the kernel adjusts for each segment it cuts. */
        uint16_t c = (uint16_t)~um_csum_fold(pseudo_sum(hdr, (uint32_t)(th + payload)));
        memcpy(hdr + l4 + 16, &c, 2);
        memset(vh, 0, sizeof(*vh));
        vh->flags = TUN_VNET_NEEDS_CSUM;
        vh->gso_type = l4 == IPV4_HDR ? TUN_VNET_GSO_TCPV4 : TUN_VNET_GSO_TCPV6;
        um_put_le16(&vh->hdr_len, (uint16_t)h);
        um_put_le16(&vh->gso_size, (uint16_t)(segs[0].iov_len - h));
        um_put_le16(&vh->csum_start, (uint16_t)l4);
        um_put_le16(&vh->csum_offset, 16);
        return h;
}
