/* pcap wrapper: forwards to any link and records every packet both ways (LINKTYPE_RAW,
 * timestamps from the stack's clock), readable by tshark and Wireshark. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <umptcp/link.h>

struct pcap_link {
        struct um_link link;
        struct um_link *inner;
        pcap_t *dead;
        pcap_dumper_t *dumper;
};

static void record(struct pcap_link *p, const uint8_t *data, uint32_t len, uint64_t now)
{
        struct pcap_pkthdr h = {
            .ts = {.tv_sec = (time_t)(now / 1000000), .tv_usec = (suseconds_t)(now % 1000000)},
            .caplen = len,
            .len = len,
        };
        pcap_dump((u_char *)p->dumper, &h, data);
}

static int pcap_send(struct um_link *l, const struct um_frame *frames, int n, uint64_t now)
{
        struct pcap_link *p = (struct pcap_link *)l;
        for (int i = 0; i < n; i++)
                record(p, frames[i].data, frames[i].len, now);
        return p->inner->ops->send(p->inner, frames, n, now);
}

static int pcap_recv(struct um_link *l, struct um_frame *frames, int n, uint64_t now)
{
        struct pcap_link *p = (struct pcap_link *)l;
        int got = p->inner->ops->recv(p->inner, frames, n, now);
        for (int i = 0; i < got; i++)
                record(p, frames[i].data, frames[i].len, now);
        return got;
}

static uint64_t pcap_next_event(const struct um_link *l, uint64_t now)
{
        const struct pcap_link *p = (const struct pcap_link *)l;
        return p->inner->ops->next_event ? p->inner->ops->next_event(p->inner, now) : UINT64_MAX;
}

static int pcap_fd(const struct um_link *l)
{
        const struct pcap_link *p = (const struct pcap_link *)l;
        return p->inner->ops->fd ? p->inner->ops->fd(p->inner) : -1;
}

/* Closes the capture; the wrapped link stays with its owner. */
static void pcap_destroy(struct um_link *l)
{
        struct pcap_link *p = (struct pcap_link *)l;
        pcap_dump_close(p->dumper);
        pcap_close(p->dead);
        free(p);
}

static const struct um_link_ops pcap_ops = {
    .send = pcap_send,
    .recv = pcap_recv,
    .next_event = pcap_next_event,
    .fd = pcap_fd,
    .destroy = pcap_destroy,
};

int um_link_pcap_wrap(struct um_link *inner, const char *path, struct um_link **out)
{
        if (!inner || !path || !out)
                return -EINVAL;
        struct pcap_link *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->dead = pcap_open_dead(DLT_RAW, 65535);
        p->dumper = p->dead ? pcap_dump_open(p->dead, path) : NULL;
        if (!p->dumper) {
                if (p->dead)
                        pcap_close(p->dead);
                free(p);
                return -EIO;
        }
        p->inner = inner;
        p->link.ops = &pcap_ops;
        p->link.mtu = inner->mtu;
        snprintf(p->link.name, sizeof(p->link.name), "%s", inner->name);
        *out = &p->link;
        return 0;
}
