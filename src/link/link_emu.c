/* Emulated link: two endpoints joined by two independent impaired directions, driven by
 * the same injected clock as the stacks. Deterministic for a seed. */
#include "core/rand.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <umptcp/link.h>

enum { EMU_PKT_CAP = 2048, EMU_FREE_KEPT = 256 };

struct emu_pkt {
        struct emu_pkt *next, *prev;
        uint64_t deliver_at;
        uint32_t len;
        uint32_t flags; /* the frame's, carried across (an impaired TUN's UM_FRAME_CSUM_VALID) */
        uint8_t data[EMU_PKT_CAP];
};

struct emu_dir {
        struct um_emu_dir_config cfg;
        int trace_at; /* the trace's points applied so far */
        /* With queue_packets: when each queued packet's serialization ends, a ring. */
        uint64_t *done_at;
        uint32_t done_head, done_n;
        struct um_emu_stats stats;
        uint64_t tx_free_at;   /* when the serializer is next idle */
        uint64_t last_deliver; /* keeps jittered packets in order */
        int ge_bad;
        struct emu_pkt *head, *tail; /* sorted by deliver_at */
        struct um_link *reader;      /* the end that receives this direction */
};

struct emu_shared {
        struct emu_dir dir[2];
        struct um_rng rng;
        struct emu_pkt *free;
        int n_free;
        um_emu_middlebox_fn middlebox;
        void *middlebox_arg;
        int refs;
};

struct emu_end {
        struct um_link link;
        struct emu_shared *sh;
        int side; /* sends on dir[side], receives from dir[1 - side] */
};

static struct emu_pkt *pkt_get(struct emu_shared *sh)
{
        struct emu_pkt *p = sh->free;
        if (p) {
                sh->free = p->next;
                sh->n_free--;
                return p;
        }
        return malloc(sizeof(*p));
}

/* Packets in flight are the emulated network's memory; the free ones kept for reuse are
 * bounded, so that a burst does not leave its high-water mark behind. */
static void pkt_put(struct emu_shared *sh, struct emu_pkt *p)
{
        if (sh->n_free >= EMU_FREE_KEPT) {
                free(p);
                return;
        }
        p->next = sh->free;
        sh->free = p;
        sh->n_free++;
}

/* Tells the reading end when its next packet is due (see um_link.rx_due_us). */
static void note_due(struct emu_dir *d)
{
        if (d->reader)
                d->reader->rx_due_us = d->head ? d->head->deliver_at : UINT64_MAX;
}

static void insert_sorted(struct emu_dir *d, struct emu_pkt *p)
{
        struct emu_pkt *after = d->tail;
        while (after && after->deliver_at > p->deliver_at)
                after = after->prev;
        p->prev = after;
        p->next = after ? after->next : d->head;
        if (p->next)
                p->next->prev = p;
        else
                d->tail = p;
        if (after)
                after->next = p;
        else
                d->head = p;
        note_due(d);
}

static int in_outage(const struct um_emu_dir_config *cfg, uint64_t now)
{
        for (int i = 0; i < cfg->n_outages && i < UM_EMU_MAX_OUTAGES; i++)
                if (now >= cfg->outages[i].start_us && now < cfg->outages[i].end_us)
                        return 1;
        return 0;
}

/* Gilbert-Elliott: one state step per packet, then a loss draw in the current state. */
static int burst_lost(struct emu_shared *sh, struct emu_dir *d)
{
        const struct um_emu_dir_config *c = &d->cfg;
        if (c->ge_p <= 0 && !d->ge_bad)
                return 0;
        double u = um_rng_double(&sh->rng);
        if (d->ge_bad ? u < c->ge_r : u < c->ge_p)
                d->ge_bad = !d->ge_bad;
        double loss = d->ge_bad ? c->ge_loss_bad : c->ge_loss_good;
        return loss > 0 && um_rng_double(&sh->rng) < loss;
}

static uint64_t queue_limit(const struct um_emu_dir_config *c)
{
        if (c->queue_bytes)
                return c->queue_bytes;
        if (c->queue_packets)
                return UINT64_MAX; /* the packet limit alone */
        return c->rate_bps * c->delay_us / 8000000 + 65536;
}

/* The trace's points due by now change the direction's rate and delay. */
static void apply_trace(struct emu_dir *d, uint64_t now)
{
        struct um_emu_dir_config *c = &d->cfg;
        while (d->trace_at < c->n_trace && c->trace[d->trace_at].at_us <= now) {
                const struct um_emu_trace_point *t = &c->trace[d->trace_at++];
                c->rate_bps = t->rate_bps;
                if (t->delay_us != UINT64_MAX)
                        c->delay_us = t->delay_us;
        }
}

/* With a packet limit: records when this packet's serialization ends, or returns -1 when
 * `queue_packets` wait already besides the one on the wire (0 without a limit). */
static int packet_queue_admit(struct emu_dir *d, uint64_t now, uint64_t done)
{
        if (!d->cfg.queue_packets)
                return 0;
        uint32_t cap = d->cfg.queue_packets + 1; /* the one on the wire too */
        if (!d->done_at && !(d->done_at = calloc(cap + 1, sizeof(*d->done_at))))
                return -1;
        while (d->done_n && d->done_at[d->done_head] <= now) {
                d->done_head = (d->done_head + 1) % (cap + 1);
                d->done_n--;
        }
        if (d->done_n >= cap)
                return -1;
        d->done_at[(d->done_head + d->done_n++) % (cap + 1)] = done;
        return 0;
}

static void enqueue(struct emu_shared *sh, struct emu_dir *d, const struct um_frame *f,
                    uint64_t now, uint32_t mtu)
{
        const uint8_t *data = f->data;
        uint32_t len = f->len;
        const struct um_emu_dir_config *c = &d->cfg;
        d->stats.sent++;
        if (len > mtu || len > EMU_PKT_CAP) {
                d->stats.lost_mtu++;
                return;
        }
        if (in_outage(c, now)) {
                d->stats.lost_outage++;
                return;
        }
        struct emu_pkt *p = pkt_get(sh);
        if (!p) {
                d->stats.lost_queue++;
                return;
        }
        memcpy(p->data, data, len);
        p->len = len;
        p->flags = f->flags;
        if (sh->middlebox &&
            !sh->middlebox(sh->middlebox_arg, (int)(d - sh->dir), p->data, &p->len, EMU_PKT_CAP)) {
                d->stats.dropped_middlebox++;
                pkt_put(sh, p);
                return;
        }
        if (c->loss > 0 && um_rng_double(&sh->rng) < c->loss) {
                d->stats.lost_random++;
                pkt_put(sh, p);
                return;
        }
        if (burst_lost(sh, d)) {
                d->stats.lost_burst++;
                pkt_put(sh, p);
                return;
        }
        apply_trace(d, now);
        uint64_t start = d->tx_free_at > now ? d->tx_free_at : now;
        if (c->rate_bps) {
                uint64_t backlog = (start - now) * c->rate_bps / 8000000;
                uint64_t done =
                    start + ((uint64_t)p->len * 8 * 1000000 + c->rate_bps - 1) / c->rate_bps;
                if (backlog + p->len > queue_limit(c) || packet_queue_admit(d, now, done) < 0) {
                        d->stats.lost_queue++;
                        pkt_put(sh, p);
                        return;
                }
                d->tx_free_at = done;
        } else {
                d->tx_free_at = start;
        }
        uint64_t at = d->tx_free_at + c->delay_us;
        if (c->jitter_us)
                at += um_rng_u64(&sh->rng) % c->jitter_us;
        if (at < d->last_deliver)
                at = d->last_deliver;
        d->last_deliver = at;
        if (c->reorder > 0 && um_rng_double(&sh->rng) < c->reorder) {
                at += c->reorder_delay_us ? c->reorder_delay_us : c->delay_us / 2 + 1000;
                d->stats.reordered++;
        }
        p->deliver_at = at;
        insert_sorted(d, p);
        if (c->duplicate > 0 && um_rng_double(&sh->rng) < c->duplicate) {
                struct emu_pkt *dup = pkt_get(sh);
                if (dup) {
                        memcpy(dup->data, p->data, p->len);
                        dup->len = p->len;
                        dup->flags = p->flags;
                        dup->deliver_at = at + 1;
                        insert_sorted(d, dup);
                        d->stats.duplicated++;
                }
        }
}

static int emu_send(struct um_link *l, const struct um_frame *frames, int n, uint64_t now)
{
        struct emu_end *e = (struct emu_end *)l;
        for (int i = 0; i < n; i++)
                enqueue(e->sh, &e->sh->dir[e->side], &frames[i], now, l->mtu);
        return n;
}

static int emu_recv(struct um_link *l, struct um_frame *frames, int n, uint64_t now)
{
        struct emu_end *e = (struct emu_end *)l;
        struct emu_dir *d = &e->sh->dir[1 - e->side];
        int got = 0;
        while (got < n && d->head && d->head->deliver_at <= now) {
                struct emu_pkt *p = d->head;
                d->head = p->next;
                if (d->head)
                        d->head->prev = NULL;
                else
                        d->tail = NULL;
                if (p->len <= frames[got].cap) {
                        memcpy(frames[got].data, p->data, p->len);
                        frames[got].len = p->len;
                        frames[got].flags = p->flags;
                        got++;
                        d->stats.delivered++;
                        d->stats.delivered_bytes += p->len;
                } else {
                        d->stats.lost_mtu++;
                }
                pkt_put(e->sh, p);
        }
        note_due(d);
        return got;
}

static uint64_t emu_next_event(const struct um_link *l, uint64_t now)
{
        const struct emu_end *e = (const struct emu_end *)l;
        const struct emu_dir *d = &e->sh->dir[1 - e->side];
        (void)now;
        return d->head ? d->head->deliver_at : UINT64_MAX;
}

static int emu_fd(const struct um_link *l)
{
        (void)l;
        return -1;
}

static void free_list(struct emu_pkt *p)
{
        while (p) {
                struct emu_pkt *next = p->next;
                free(p);
                p = next;
        }
}

static void emu_destroy(struct um_link *l)
{
        struct emu_end *e = (struct emu_end *)l;
        struct emu_shared *sh = e->sh;
        sh->dir[1 - e->side].reader = NULL;
        free(e);
        if (--sh->refs)
                return;
        free_list(sh->dir[0].head);
        free_list(sh->dir[1].head);
        free(sh->dir[0].done_at);
        free(sh->dir[1].done_at);
        free_list(sh->free);
        free(sh);
}

static const struct um_link_ops emu_ops = {
    .send = emu_send,
    .recv = emu_recv,
    .next_event = emu_next_event,
    .fd = emu_fd,
    .destroy = emu_destroy,
};

int um_link_emu_pair(const struct um_emu_dir_config *ab, const struct um_emu_dir_config *ba,
                     uint32_t mtu, uint64_t seed, struct um_link **a, struct um_link **b)
{
        static const struct um_emu_dir_config none;
        if (!a || !b || mtu < 576 || mtu > EMU_PKT_CAP)
                return -EINVAL;
        struct emu_shared *sh = calloc(1, sizeof(*sh));
        struct emu_end *ea = calloc(1, sizeof(*ea)), *eb = calloc(1, sizeof(*eb));
        if (!sh || !ea || !eb) {
                free(sh);
                free(ea);
                free(eb);
                return -ENOMEM;
        }
        sh->dir[0].cfg = ab ? *ab : none;
        sh->dir[1].cfg = ba ? *ba : none;
        um_rng_seed(&sh->rng, seed ? seed : 1);
        sh->refs = 2;
        struct emu_end *ends[2] = {ea, eb};
        for (int i = 0; i < 2; i++) {
                ends[i]->link.ops = &emu_ops;
                ends[i]->link.mtu = mtu;
                snprintf(ends[i]->link.name, sizeof(ends[i]->link.name), "emu%c", 'A' + i);
                ends[i]->sh = sh;
                ends[i]->side = i;
                ends[i]->link.rx_due_us = UINT64_MAX;
                sh->dir[1 - i].reader = &ends[i]->link;
        }
        *a = &ea->link;
        *b = &eb->link;
        return 0;
}

static struct emu_end *as_emu(const struct um_link *l)
{
        return l && l->ops == &emu_ops ? (struct emu_end *)l : NULL;
}

void um_link_emu_set_middlebox(struct um_link *any_end, um_emu_middlebox_fn fn, void *arg)
{
        struct emu_end *e = as_emu(any_end);
        if (!e)
                return;
        e->sh->middlebox = fn;
        e->sh->middlebox_arg = arg;
}

const struct um_emu_stats *um_link_emu_stats(const struct um_link *end)
{
        const struct emu_end *e = as_emu(end);
        return e ? &e->sh->dir[e->side].stats : NULL;
}

void um_link_emu_configure(struct um_link *end, const struct um_emu_dir_config *cfg)
{
        struct emu_end *e = as_emu(end);
        if (!e || !cfg)
                return;
        struct emu_dir *d = &e->sh->dir[e->side];
        if (cfg->queue_packets != d->cfg.queue_packets) { /* a new ring at the next packet */
                free(d->done_at);
                d->done_at = NULL;
                d->done_head = d->done_n = 0;
        }
        d->cfg = *cfg;
        d->trace_at = 0;
}
