/* Linux TUN: attaches to an existing device (ip tuntap add dev NAME mode tun) with
 * IFF_TUN | IFF_NO_PI. Reads are batched until the device is empty or the batch is full;
 * each write is one packet (the TUN interface takes no more per call). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <umptcp/link.h>

struct tun_link {
        struct um_link link;
        int fd;
        uint64_t tx_errors;
};

static int tun_send(struct um_link *l, const struct um_frame *frames, int n, uint64_t now)
{
        struct tun_link *t = (struct tun_link *)l;
        (void)now;
        int sent = 0;
        for (int i = 0; i < n; i++) {
                ssize_t w = write(t->fd, frames[i].data, frames[i].len);
                if (w == (ssize_t)frames[i].len)
                        sent++;
                else
                        t->tx_errors++;
        }
        return sent;
}

static int tun_recv(struct um_link *l, struct um_frame *frames, int n, uint64_t now)
{
        struct tun_link *t = (struct tun_link *)l;
        (void)now;
        int got = 0;
        while (got < n) {
                ssize_t r = read(t->fd, frames[got].data, frames[got].cap);
                if (r <= 0)
                        break;
                frames[got].len = (uint32_t)r;
                got++;
        }
        return got;
}

static int tun_fd(const struct um_link *l)
{
        return ((const struct tun_link *)l)->fd;
}

static void tun_destroy(struct um_link *l)
{
        struct tun_link *t = (struct tun_link *)l;
        close(t->fd);
        free(t);
}

static const struct um_link_ops tun_ops = {
    .send = tun_send,
    .recv = tun_recv,
    .next_event = NULL,
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

int um_link_tun_open(const char *ifname, struct um_link **out)
{
        if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ || !out)
                return -EINVAL;
        /* TUNSETIFF would create a missing device; we only attach to one the user made. */
        if (!if_nametoindex(ifname))
                return -ENODEV;
        int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
        if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
                int e = errno;
                close(fd);
                return -e;
        }
        struct tun_link *t = calloc(1, sizeof(*t));
        if (!t) {
                close(fd);
                return -ENOMEM;
        }
        t->fd = fd;
        t->link.ops = &tun_ops;
        uint32_t mtu = device_mtu(ifname);
        t->link.mtu = mtu > 1500 ? 1500 : mtu;
        snprintf(t->link.name, sizeof(t->link.name), "%s", ifname);
        *out = &t->link;
        return 0;
}
