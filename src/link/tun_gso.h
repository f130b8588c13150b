/* Segmentation offload for the TUN driver, as pure functions over packet bytes: the
 * kernel's TCP super-packets (GSO, with the virtio-net header) split into segments the
 * stack takes, and runs of the stack's segments joined into one super-packet for the
 * kernel to split. */
#ifndef UM_LINK_TUN_GSO_H
#define UM_LINK_TUN_GSO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <umptcp/link.h>

/* The virtio-net header that precedes each packet on a TUN device with IFF_VNET_HDR
 * (linux/virtio_net.h; little-endian fields). */
struct tun_vnet_hdr {
        uint8_t flags; /* TUN_VNET_NEEDS_CSUM, TUN_VNET_DATA_VALID */
        uint8_t gso_type;
        uint16_t hdr_len;
        uint16_t gso_size;
        uint16_t csum_start;
        uint16_t csum_offset;
};
enum {
        TUN_VNET_NEEDS_CSUM = 1,
        TUN_VNET_DATA_VALID = 2,
        TUN_VNET_GSO_NONE = 0,
        TUN_VNET_GSO_TCPV4 = 1,
        TUN_VNET_GSO_TCPV6 = 4,
        TUN_VNET_GSO_ECN = 0x80,
        TUN_GSO_MAX = 65535, /* an IPv4 packet's total length */
};

/* Where the TCP header of an IPv4 or IPv6 packet starts, and its length with options;
 * -1 when the packet is not TCP without IP options or extension headers, or is short. */
int tun_tcp_offsets(const uint8_t *pkt, size_t len, size_t *l4_off, size_t *l4_hdr);

/* Completes a checksum the kernel left partial (TUN_VNET_NEEDS_CSUM): the field at
 * csum_start + csum_offset holds the pseudo-header sum; the sum from csum_start on goes
 * there. Returns -1 when the offsets do not fit the packet. */
int tun_csum_complete(uint8_t *pkt, size_t len, uint16_t csum_start, uint16_t csum_offset);

/* Whether the kernel vouches for a TCP packet's checksum, as Linux's own receive path
 * takes a packet whose checksum was left to offload (CHECKSUM_PARTIAL: NEEDS_CSUM at the
 * TCP checksum) or was checked (CHECKSUM_UNNECESSARY: DATA_VALID): it never crossed a
 * wire. Other protocols, and TCP with the offsets elsewhere, complete or check theirs. */
int tun_csum_trusted(const uint8_t *pkt, size_t len, const struct tun_vnet_hdr *vh);

/* How the driver hands over what it read: one packet, or the segments of a super-packet. */
struct tun_rx {
        uint16_t gso_size; /* 0: one packet; else a super-packet cut into segments this long */
        unsigned segments; /* how many (the last may be shorter) */
        int fill_csum;     /* each segment gets its complete TCP checksum */
        int csum_valid;    /* what goes to the stack is marked UM_FRAME_CSUM_VALID */
};

/* Decides how a packet read from the device (len bytes after its virtio-net header vh) goes
 * to the stack, in frames of frame_cap bytes: 0 with *rx filled (a partial checksum
 * tun_csum_trusted does not take is completed in pkt), or -1 when it is dropped. Counts in
 * stats: rx_super for a TCP super-packet, and rx_dropped with the reason's counter for a
 * drop. A super-packet's checksum that the kernel did not vouch for is verified whole
 * before it is cut. */
int tun_rx_take(uint8_t *pkt, size_t len, const struct tun_vnet_hdr *vh, size_t frame_cap,
                struct um_tun_stats *stats, struct tun_rx *rx);

/* Writes the k-th segment of gso_size payload bytes of a TCP super-packet into out (cap
 * bytes) with its own IP length, IPv4 id and header checksum, sequence number, flags (FIN
 * and PSH on the last only, CWR on the first only) and, when csum, a complete TCP checksum
 * (without, the field is left as it was). Returns its length, or 0 when the super-packet
 * has no k-th segment or out is too small. */
size_t tun_gso_segment(const uint8_t *pkt, size_t len, uint16_t gso_size, unsigned k, uint8_t *out,
                       size_t cap, int csum);

/* How many of the n segments from segs[0] can travel as one super-packet: the same TCP
 * flow, consecutive sequence numbers, headers equal except in length, id, sequence number
 * and checksums, only ACK and (on the last) PSH set, every payload but the last of the
 * first one's size, and at most TUN_GSO_MAX bytes in all. 1 when segs[0] goes alone. */
int tun_gso_run(const struct iovec *segs, int n);

/* Whether a is a pure ACK (no payload, only the ACK flag) with no option but timestamps
 * and an MPTCP DATA_ACK: one a later ACK of its flow can make redundant. */
int tun_plain_ack(const struct iovec *a);

/* Whether a and b are TCP segments of the same flow: version, addresses and ports. */
int tun_same_flow(const struct iovec *a, const struct iovec *b);

/* Whether the pure ACK a says nothing that the later pure ACK b of the same flow does not:
 * b acknowledges more from the same sequence number, and a carries no option but
 * timestamps and an MPTCP DATA_ACK (no SACK blocks, D-SACK, mapping, DATA_FIN or signal
 * would be lost, and a duplicate ACK is never superseded). A receiver that coalesces its input
 * (GRO) sends as few ACKs. */
int tun_ack_superseded(const struct iovec *a, const struct iovec *b);

/* Makes the header of a super-packet of the run segs[0..n) (n >= 2) in hdr (room for the
 * first segment's headers): total length, and the TCP checksum field set to the
 * pseudo-header sum as TUN_VNET_NEEDS_CSUM asks; fills vh. Returns the header's length.
 * The payloads follow it on the wire, each from its own segment. */
size_t tun_gso_header(const struct iovec *segs, int n, uint8_t *hdr, struct tun_vnet_hdr *vh);

#endif
