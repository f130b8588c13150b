/* Link drivers: how IP packets enter and leave a stack. */
#ifndef UMPTCP_LINK_H
#define UMPTCP_LINK_H

#include <stdint.h>
#include <stddef.h>

struct um_frame {
        uint8_t *data; /* an IP packet (v4 or v6), no link header */
        uint32_t len;
        uint32_t cap;   /* room at data, for receive */
        uint32_t flags; /* on receive: UM_FRAME_* a driver sets (the stack clears them) */
};

/* The transport checksum needs no check: the packet came from the local kernel, which
 * left it for offload (Linux's CHECKSUM_PARTIAL or CHECKSUM_UNNECESSARY); the checksum
 * field may not be filled in. */
enum { UM_FRAME_CSUM_VALID = 1 };

struct um_link;

struct um_link_ops {
        /* Sends up to n packets; returns how many were taken (the rest are dropped by the
         * caller and counted). */
        int (*send)(struct um_link *l, const struct um_frame *frames, int n, uint64_t now);
        /* Fills up to n frames with packets due by `now`; returns the count (0 if none). */
        int (*recv)(struct um_link *l, struct um_frame *frames, int n, uint64_t now);
        /* When a packet will next be ready without outside input (UINT64_MAX: never/unknown). */
        uint64_t (*next_event)(const struct um_link *l, uint64_t now);
        /* A file descriptor that becomes readable when recv has work, or -1. */
        int (*fd)(const struct um_link *l);
        void (*destroy)(struct um_link *l);
};

struct um_link {
        const struct um_link_ops *ops;
        uint32_t mtu;
        char name[24];
        /* A driver that knows when its next frame can arrive keeps that time here, also as
         * its peer sends, and the stack does not call recv before it (UINT64_MAX: nothing
         * on the way); 0, the default, has recv called at every poll. */
        uint64_t rx_due_us;
};

void um_link_destroy(struct um_link *l);

/* ---- Emulated link: a pair of endpoints joined by two impaired directions. ---- */

struct um_emu_outage {
        uint64_t start_us, end_us; /* the direction drops everything in [start, end) */
};

enum { UM_EMU_MAX_OUTAGES = 8 };

/* A point of a rate trace: from at_us on, the direction sends at rate_bps (0: unlimited) and,
 * when delay_us is not UINT64_MAX, with that one-way delay. Points in time order. */
struct um_emu_trace_point {
        uint64_t at_us, rate_bps, delay_us;
};

struct um_emu_dir_config {
        uint64_t rate_bps;  /* 0: unlimited */
        uint64_t delay_us;  /* one-way propagation delay */
        uint64_t jitter_us; /* uniform extra delay in [0, jitter); keeps order */
        double loss;        /* random loss probability */
        /* Gilbert-Elliott burst loss: p(good->bad), p(bad->good), loss in each state. */
        double ge_p, ge_r, ge_loss_good, ge_loss_bad;
        double reorder; /* probability a packet is held back by reorder_delay_us */
        uint64_t reorder_delay_us;
        double duplicate;       /* probability a packet is delivered twice */
        uint32_t queue_bytes;   /* drop-tail queue limit; 0: 1 BDP + 64 KB (or none, with
                                   queue_packets) */
        uint32_t queue_packets; /* drop-tail queue limit in packets waiting to be sent; 0: none */
        /* A time-varying rate (and delay): the points, which must outlive the link. */
        const struct um_emu_trace_point *trace;
        int n_trace;
        struct um_emu_outage outages[UM_EMU_MAX_OUTAGES];
        int n_outages;
};

/* A middlebox sees every packet of one direction and may rewrite it in place (len may
 * change, up to cap) or drop it by returning 0. dir is 0 for A->B, 1 for B->A. */
typedef int (*um_emu_middlebox_fn)(void *arg, int dir, uint8_t *pkt, uint32_t *len, uint32_t cap);

struct um_emu_stats {
        uint64_t sent, delivered, lost_random, lost_burst, lost_outage, lost_queue, lost_mtu,
            dropped_middlebox, reordered, duplicated;
        uint64_t delivered_bytes; /* IP bytes handed to the far end */
};

/* Creates two linked endpoints. ab configures A->B, ba B->A. mtu applies to both. */
int um_link_emu_pair(const struct um_emu_dir_config *ab, const struct um_emu_dir_config *ba,
                     uint32_t mtu, uint64_t seed, struct um_link **a, struct um_link **b);
void um_link_emu_set_middlebox(struct um_link *any_end, um_emu_middlebox_fn fn, void *arg);
/* Stats of the direction that leaves this endpoint. */
const struct um_emu_stats *um_link_emu_stats(const struct um_link *end);
/* Changes a direction's configuration mid-run (the one leaving this endpoint). */
void um_link_emu_configure(struct um_link *end, const struct um_emu_dir_config *cfg);

/* ---- Linux TUN: attach to an existing device made with `ip tuntap add dev NAME mode tun`.
 * By default the device is opened with IFF_VNET_HDR and TUNSETOFFLOAD (checksum, TSO4,
 * TSO6): runs of TCP segments go to the kernel as one super-packet each, and the kernel's
 * super-packets are cut into segments here, so that one system call carries up to 64 KB.
 * Where the kernel refuses either, or with UM_TUN_PLAIN, one packet per system call.
 * Opening waits (at most 2 s) until the kernel runs the device it has just given a carrier:
 * before that it drops what it sends there, a SYN/ACK to a SYN sent at once among them. */
enum { UM_TUN_PLAIN = 1 };
int um_link_tun_open(const char *ifname, struct um_link **out);
int um_link_tun_open_flags(const char *ifname, int flags, struct um_link **out);

struct um_tun_stats {
        int offload;                     /* 1: IFF_VNET_HDR with offloads; 0: plain */
        uint64_t reads, writes;          /* system calls that moved a packet */
        uint64_t empty_reads;            /* read calls that found nothing */
        uint64_t rx_packets, tx_packets; /* segments handed to and taken from the stack */
        uint64_t rx_super, tx_super;     /* super-packets read and written */
        uint64_t rx_dropped, tx_errors;
        uint64_t acks_thinned; /* pure ACKs a later one in the same batch made redundant */
        /* rx_dropped by reason: */
        uint64_t rx_too_big;          /* a packet, or a super-packet's segment, past a frame */
        uint64_t rx_bad_csum_offsets; /* NEEDS_CSUM where no checksum is (on a super-packet:
                                       * anywhere but at the TCP checksum) */
        uint64_t rx_bad_csum;         /* a super-packet's TCP checksum, not vouched for, wrong */
        uint64_t rx_gso_unknown;      /* a super-packet of another kind than TCP's */
        uint64_t rx_gso_not_tcp;      /* a TCP super-packet the split cannot read (IP options,
                                       * extension headers, cut short) */
        uint64_t rx_gso_size_zero;    /* a TCP super-packet without a segment size */
};
/* The counters of a TUN link (NULL for another kind of link). */
const struct um_tun_stats *um_link_tun_stats(const struct um_link *l);

/* ---- Impairment: the emulated link's models applied to any link (a TUN device, say), out
 * for what the stack sends, in for what it receives. `inner` is destroyed by its owner, after
 * the wrapper (as with the pcap wrapper). */
int um_link_impair_wrap(struct um_link *inner, const struct um_emu_dir_config *out,
                        const struct um_emu_dir_config *in, uint64_t seed,
                        struct um_link **wrapped);

/* ---- pcap: wraps any link and writes every packet both ways to a capture file. */
int um_link_pcap_wrap(struct um_link *inner, const char *path, struct um_link **out);

#endif
