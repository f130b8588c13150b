/* Impairment around any link: the emulated link's models (rate, delay, jitter, loss, burst
 * loss, reordering, duplication, outages) applied to a real link such as TUN, both ways.
 * Packets the stack sends cross an emulated pair before they reach the real link; packets
 * the real link brings cross it the other way before the stack sees them. The kernel here
 * has no netem: this is how tests against Linux run under loss and delay. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <umptcp/link.h>

enum { BATCH = 32, FRAME_CAP = 2048 };

struct impair {
        struct um_link link;
        struct um_link *inner;
        /* near: the stack's side of the emulated pair; far: the real link's side. */
        struct um_link *near, *far;
        uint8_t buf[BATCH][FRAME_CAP];
};

/* Moves what is due from `from` to `to` (one side of the emulated pair to the real link,
 * or the real link into the emulated pair). */
static void carry(struct impair *im, struct um_link *from, struct um_link *to, uint64_t now)
{
        struct um_frame f[BATCH];
        for (;;) {
                for (int i = 0; i < BATCH; i++)
                        f[i] = (struct um_frame){.data = im->buf[i], .cap = FRAME_CAP};
                int n = from->ops->recv(from, f, BATCH, now);
                if (n <= 0)
                        return;
                to->ops->send(to, f, n, now);
                if (n < BATCH)
                        return;
        }
}

static int impair_send(struct um_link *l, const struct um_frame *frames, int n, uint64_t now)
{
        struct impair *im = (struct impair *)l;
        im->near->ops->send(im->near, frames, n, now);
        carry(im, im->far, im->inner, now); /* what an unimpaired direction lets through now */
        return n;
}

static int impair_recv(struct um_link *l, struct um_frame *frames, int n, uint64_t now)
{
        struct impair *im = (struct impair *)l;
        carry(im, im->far, im->inner, now);
        carry(im, im->inner, im->far, now);
        return im->near->ops->recv(im->near, frames, n, now);
}

static uint64_t impair_next_event(const struct um_link *l, uint64_t now)
{
        const struct impair *im = (const struct impair *)l;
        uint64_t in = im->near->ops->next_event(im->near, now);
        uint64_t out = im->far->ops->next_event(im->far, now);
        uint64_t t = in < out ? in : out;
        if (im->inner->ops->next_event) {
                uint64_t r = im->inner->ops->next_event(im->inner, now);
                if (r < t)
                        t = r;
        }
        return t;
}

static int impair_fd(const struct um_link *l)
{
        const struct impair *im = (const struct impair *)l;
        return im->inner->ops->fd ? im->inner->ops->fd(im->inner) : -1;
}

static void impair_destroy(struct um_link *l)
{
        struct impair *im = (struct impair *)l;
        um_link_destroy(im->near);
        um_link_destroy(im->far);
        free(im);
}

static const struct um_link_ops impair_ops = {
    .send = impair_send,
    .recv = impair_recv,
    .next_event = impair_next_event,
    .fd = impair_fd,
    .destroy = impair_destroy,
};

int um_link_impair_wrap(struct um_link *inner, const struct um_emu_dir_config *out,
                        const struct um_emu_dir_config *in, uint64_t seed, struct um_link **wrapped)
{
        if (!inner || !wrapped)
                return -EINVAL;
        struct impair *im = calloc(1, sizeof(*im));
        if (!im)
                return -ENOMEM;
        int rc = um_link_emu_pair(out, in, inner->mtu, seed, &im->near, &im->far);
        if (rc < 0) {
                free(im);
                return rc;
        }
        im->inner = inner;
        im->link.ops = &impair_ops;
        im->link.mtu = inner->mtu;
        snprintf(im->link.name, sizeof(im->link.name), "%.16s+imp", inner->name);
        *wrapped = &im->link;
        return 0;
}
