/* Linux TUN: attaches to an existing device (ip tuntap add dev NAME mode tun) with
 * IFF_TUN | IFF_NO_PI, and by default IFF_VNET_HDR with checksum and TCP segmentation
 * offloads (TUNSETOFFLOAD): each packet then carries a virtio-net header, runs of TCP
 * segments are written as one super-packet the kernel cuts up (GSO), and the kernel's own
 * super-packets are read whole and cut up here (tun_gso.c). Without offloads (an old
 * kernel, UM_TUN_PLAIN) each read or write is one packet. Reads are batched until the
 * device is empty or the batch is full. */
#include "link/tun_gso.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <umptcp/link.h>

_Static_assert(sizeof(struct tun_vnet_hdr) == 10, "the virtio-net header TUN expects");

enum { TX_RUN_MAX = 64, RX_SUPER_CAP = TUN_GSO_MAX + 256 };

struct tun_link {
        struct um_link link;
        int fd;
        struct um_tun_stats stats;
        /* Offload mode: the super-packet being cut into segments for the stack. */
        uint8_t *rx;
        size_t rx_len;
        struct tun_rx rx_cut;
        unsigned rx_next; /* the segment to cut next; rx_cut.segments when done */
};

static int send_plain(struct tun_link *t, const struct um_frame *frames, int n)
{
        int sent = 0;
        for (int i = 0; i < n; i++) {
                ssize_t w = write(t->fd, frames[i].data, frames[i].len);
                if (w == (ssize_t)frames[i].len) {
                        sent++;
                        t->stats.writes++;
                        t->stats.tx_packets++;
                } else {
                        t->stats.tx_errors++;
                }
        }
        return sent;
}

/* One write: segs[0] alone behind an empty virtio-net header, or the run segs[0..run) as
 * a super-packet. Returns how many segments it carried. */
static int send_run(struct tun_link *t, const struct iovec *segs, int run)
{
        struct tun_vnet_hdr vh = {0};
        uint8_t hdr[128];
        struct iovec v[TX_RUN_MAX + 2];
        int nv = 0;
        v[nv++] = (struct iovec){&vh, sizeof(vh)};
        size_t total = sizeof(vh);
        if (run == 1) {
                v[nv++] = segs[0];
                total += segs[0].iov_len;
        } else {
                size_t h = tun_gso_header(segs, run, hdr, &vh);
                v[nv++] = (struct iovec){hdr, h};
                total += h;
                for (int i = 0; i < run; i++) {
                        v[nv].iov_base = (uint8_t *)segs[i].iov_base + h;
                        v[nv].iov_len = segs[i].iov_len - h;
                        total += v[nv++].iov_len;
                }
        }
        ssize_t w = writev(t->fd, v, nv);
        if (w != (ssize_t)total) {
                t->stats.tx_errors += (uint64_t)run;
                return 0;
        }
        t->stats.writes++;
        t->stats.tx_packets += (uint64_t)run;
        if (run > 1)
                t->stats.tx_super++;
        return run;
}

/* Whether frame i is a pure ACK that the next segment of its flow in the batch, a pure ACK
 * too, makes redundant (tun_ack_superseded): it is not written. */
static int superseded_later(const struct um_frame *frames, int i, int n)
{
        struct iovec a = {frames[i].data, frames[i].len};
        if (!tun_plain_ack(&a)) /* data segments, the most of a batch, look no further */
                return 0;
        for (int j = i + 1; j < n; j++) {
                struct iovec b = {frames[j].data, frames[j].len};
                if (tun_same_flow(&a, &b))
                        return tun_ack_superseded(&a, &b);
        }
        return 0;
}

static int tun_send(struct um_link *l, const struct um_frame *frames, int n, uint64_t now)
{
        struct tun_link *t = (struct tun_link *)l;
        (void)now;
        if (!t->stats.offload)
                return send_plain(t, frames, n);
        int sent = 0, m = 0;
        struct iovec segs[TX_RUN_MAX];
        for (int i = 0; i < n; i++) {
                struct iovec f = {frames[i].data, frames[i].len};
                if (superseded_later(frames, i, n)) {
                        t->stats.acks_thinned++;
                        sent++;
                        continue;
                }
                segs[m++] = f;
                if (m < TX_RUN_MAX && i + 1 < n)
                        continue;
                for (int k = 0; k < m;) {
                        int run = tun_gso_run(segs + k, m - k);
                        sent += send_run(t, segs + k, run);
                        k += run;
                }
                m = 0;
        }
        return sent;
}

static int recv_plain(struct tun_link *t, struct um_frame *frames, int n)
{
        int got = 0;
        while (got < n) {
                ssize_t r = read(t->fd, frames[got].data, frames[got].cap);
                if (r <= 0) {
                        t->stats.empty_reads++;
                        break;
                }
                frames[got].len = (uint32_t)r;
                got++;
                t->stats.reads++;
                t->stats.rx_packets++;
        }
        return got;
}

/* The next segment of the super-packet being cut, into f; 0 when it has no more. */
static int next_cut(struct tun_link *t, struct um_frame *f)
{
        if (t->rx_next == t->rx_cut.segments)
                return 0;
        size_t m = tun_gso_segment(t->rx, t->rx_len, t->rx_cut.gso_size, t->rx_next, f->data,
                                   f->cap, t->rx_cut.fill_csum);
        if (!m) {
                /* The segments were measured against a frame when read: only a smaller
                 * frame than that one gets here. */
                t->stats.rx_dropped++;
                t->stats.rx_too_big++;
                t->rx_next = t->rx_cut.segments;
                return 0;
        }
        t->rx_next++;
        f->len = (uint32_t)m;
        f->flags = t->rx_cut.csum_valid ? UM_FRAME_CSUM_VALID : 0;
        t->stats.rx_packets++;
        return 1;
}

static int recv_offload(struct tun_link *t, struct um_frame *frames, int n)
{
        int got = 0;
        while (got < n) {
                if (next_cut(t, &frames[got])) {
                        got++;
                        continue;
                }
                struct tun_vnet_hdr vh;
                struct iovec v[2] = {{&vh, sizeof(vh)}, {t->rx, RX_SUPER_CAP}};
                ssize_t r = readv(t->fd, v, 2);
                if (r < (ssize_t)sizeof(vh)) {
                        t->stats.empty_reads++;
                        break;
                }
                t->stats.reads++;
                size_t len = (size_t)r - sizeof(vh);
                struct tun_rx how;
                if (tun_rx_take(t->rx, len, &vh, frames[got].cap, &t->stats, &how) < 0)
                        continue;
                if (how.gso_size) {
                        /* Cut as the stack takes the segments. */
                        t->rx_len = len;
                        t->rx_cut = how;
                        t->rx_next = 0;
                        continue;
                }
                memcpy(frames[got].data, t->rx, len);
                frames[got].len = (uint32_t)len;
                frames[got].flags = how.csum_valid ? UM_FRAME_CSUM_VALID : 0;
                got++;
                t->stats.rx_packets++;
        }
        return got;
}

static int tun_recv(struct um_link *l, struct um_frame *frames, int n, uint64_t now)
{
        struct tun_link *t = (struct tun_link *)l;
        (void)now;
        return t->stats.offload ? recv_offload(t, frames, n) : recv_plain(t, frames, n);
}

static uint64_t tun_next_event(const struct um_link *l, uint64_t now)
{
        const struct tun_link *t = (const struct tun_link *)l;
        /* Segments of a super-packet wait here, not in the device. */
        return t->rx_next < t->rx_cut.segments ? now : UINT64_MAX;
}

static int tun_fd(const struct um_link *l)
{
        return ((const struct tun_link *)l)->fd;
}

static void tun_destroy(struct um_link *l)
{
        struct tun_link *t = (struct tun_link *)l;
        /* The device outlives us: leave it for readers without virtio-net headers. */
        if (t->stats.offload)
                ioctl(t->fd, TUNSETOFFLOAD, 0);
        close(t->fd);
        free(t->rx);
        free(t);
}

static const struct um_link_ops tun_ops = {
    .send = tun_send,
    .recv = tun_recv,
    .next_event = tun_next_event,
    .fd = tun_fd,
    .destroy = tun_destroy,
};

static uint32_t device_mtu(const char *ifname)
{
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        if (s < 0)
                return 1500;
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
        uint32_t mtu = ioctl(s, SIOCGIFMTU, &ifr) == 0 ? (uint32_t)ifr.ifr_mtu : 1500;
        close(s);
        return mtu;
}

/* Attaching turns the device's carrier on, but the kernel starts its transmit queue later,
 * from its linkwatch work (a work queue item that takes the RTNL lock: milliseconds late on
 * a busy machine): until then the kernel drops what it sends to the device, counted in its
 * tx_dropped. A SYN sent at once then had its SYN/ACK dropped: a connection waited 1 s for
 * the retransmission, and a join of a short transfer never completed. So wait, at most 2 s,
 * for the device to run: IFF_RUNNING follows the operational state, which that work sets
 * just before it starts the queue, under the lock; an ethtool request takes the lock, so it
 * returns once the queue has started. A device that is administratively down is left as
 * it is: nothing arrives there anyway. */
static void wait_running(const char *ifname)
{
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return;
        for (int i = 0; i < 2000; i++) {
                if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0 || !(ifr.ifr_flags & IFF_UP))
                        break;
                if (ifr.ifr_flags & IFF_RUNNING) {
                        struct ethtool_value ev = {.cmd = ETHTOOL_GLINK};
                        ifr.ifr_data = (char *)&ev;
                        (void)ioctl(s, SIOCETHTOOL, &ifr);
                        break;
                }
                nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
        }
        close(s);
}

/* An fd attached to the device, with virtio-net headers and offloads when `offload`;
 * -errno when the kernel refuses. */
static int attach(const char *ifname, int offload)
{
        int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        ifr.ifr_flags = (short)(IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0));
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
        int hdr = sizeof(struct tun_vnet_hdr);
        if (ioctl(fd, TUNSETIFF, &ifr) < 0 ||
            (offload && (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
                         ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) < 0))) {
                int e = errno;
                close(fd);
                return -e;
        }
        return fd;
}

int um_link_tun_open_flags(const char *ifname, int flags, struct um_link **out)
{
        if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ || !out)
                return -EINVAL;
        /* TUNSETIFF would create a missing device; we only attach to one the user made. */
        if (!if_nametoindex(ifname))
                return -ENODEV;
        int offload = !(flags & UM_TUN_PLAIN);
        int fd = offload ? attach(ifname, 1) : -1;
        if (fd < 0) {
                offload = 0;
                fd = attach(ifname, 0);
                if (fd < 0)
                        return fd;
        }
        wait_running(ifname);
        struct tun_link *t = calloc(1, sizeof(*t));
        uint8_t *rx = offload ? malloc(RX_SUPER_CAP) : NULL;
        if (!t || (offload && !rx)) {
                free(t);
                free(rx);
                close(fd);
                return -ENOMEM;
        }
        t->fd = fd;
        t->rx = rx;
        t->stats.offload = offload;
        t->link.ops = &tun_ops;
        uint32_t mtu = device_mtu(ifname);
        t->link.mtu = mtu > 1500 ? 1500 : mtu;
        snprintf(t->link.name, sizeof(t->link.name), "%s", ifname);
        *out = &t->link;
        return 0;
}

int um_link_tun_open(const char *ifname, struct um_link **out)
{
        return um_link_tun_open_flags(ifname, 0, out);
}

const struct um_tun_stats *um_link_tun_stats(const struct um_link *l)
{
        return l && l->ops == &tun_ops ? &((const struct tun_link *)l)->stats : NULL;
}
