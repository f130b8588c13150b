/* The poll loop that drives a stack: read every link in batches, run the timers, let the
 * sockets act, send what is ready, and reap closed connections. */
#include "core/stack.h"
#include "mptcp/mptcp_stack.h"
#include "net/ip.h"
#include "net/net.h"
#include "sock/sock.h"
#include "tcp/tcp_stack.h"

#include <umptcp/link.h>

enum { RX_BATCHES_PER_POLL = 64 };

/* Tops the interface's spare packets up to a whole batch; returns how many there are.
 * Spare i is described to the link by frame i. */
static int spares(struct um_stack *st, struct um_iface *ifc)
{
        while (ifc->n_rx_spare < UM_RX_BATCH) {
                struct um_pkt *p = um_pkt_alloc(&st->pool);
                if (!p) {
                        st->ctr.PktPoolExhausted++;
                        break;
                }
                ifc->rx_frames[ifc->n_rx_spare] =
                    (struct um_frame){.data = p->buf, .cap = sizeof(p->buf)};
                ifc->rx_spare[ifc->n_rx_spare++] = p;
        }
        return ifc->n_rx_spare;
}

/* Reads one batch from the interface and processes it; returns 1 when the batch was full,
 * so that the link may hold more. */
static int read_batch(struct um_stack *st, int ifindex)
{
        struct um_iface *ifc = &st->net->ifaces[ifindex];
        struct um_link *link = ifc->link;
        int n = spares(st, ifc);
        int got = n ? link->ops->recv(link, ifc->rx_frames, n, st->now) : 0;
        if (got <= 0)
                return 0; /* an idle link costs its recv call and nothing more */
        struct um_pkt *in[UM_RX_BATCH];
        for (int i = 0; i < got; i++) {
                struct um_pkt *p = ifc->rx_spare[i];
                p->off = 0; /* received at the start of the buffer */
                p->len = (uint16_t)ifc->rx_frames[i].len;
                p->time_us = st->now;
                p->flags = ifc->rx_frames[i].flags & UM_FRAME_CSUM_VALID ? UM_PKT_CSUM_VALID : 0;
                ifc->rx_frames[i].flags = 0;
                ifc->rx_bytes += p->len;
                in[i] = p;
        }
        ifc->rx_packets += (uint64_t)got;
        /* The last spares fill the places of the used ones: work in proportion to what
         * arrived, not to the batch. */
        for (int i = 0; i < got && n - 1 - i >= got; i++) {
                ifc->rx_spare[i] = ifc->rx_spare[n - 1 - i];
                ifc->rx_frames[i] = ifc->rx_frames[n - 1 - i];
        }
        ifc->n_rx_spare = n - got;
        for (int i = 0; i < got; i++)
                um_ip_input(st, ifindex, in[i]);
        /* Let applications read (and windows reopen) between batches, and let the ACKs and
         * window updates this batch produced leave now. */
        sock_dispatch(st);
        um_net_flush(st);
        return got == n;
}

/* The links in turns of one batch each, up to RX_BATCHES_PER_POLL turns, leaving out a link
 * once it gives less than a full batch: a link whose queue never empties delays another's
 * packets (a join's SYN/ACK, say) by one batch, not by all the batches it may give in a
 * poll. */
static void read_links(struct um_stack *st)
{
        uint32_t busy = 0;
        _Static_assert(UM_MAX_IFACES <= 32, "a bit per interface");
        for (int i = 0; i < st->net->n_ifaces; i++)
                if (st->net->ifaces[i].link->rx_due_us <= st->now) /* else nothing can have come */
                        busy |= 1u << i;
        for (int turn = 0; turn < RX_BATCHES_PER_POLL && busy; turn++)
                for (int i = 0; i < st->net->n_ifaces; i++)
                        if ((busy & 1u << i) && !read_batch(st, i))
                                busy &= ~(1u << i);
}

void um_stack_poll(struct um_stack *st, uint64_t now_us)
{
        if (now_us > st->now)
                st->now = now_us;
        read_links(st);
        um_timer_run(&st->timers, st->now);
        sock_dispatch(st);
        mptcp_stack_poll_end(st);
        um_net_flush(st);
        tcp_reap(st);
        um_ring_pool_trim(&st->rings);
}

uint64_t um_stack_next_deadline(const struct um_stack *st)
{
        uint64_t next = um_timer_next(&st->timers);
        uint64_t trim = um_ring_pool_next_trim(&st->rings);
        if (trim < next)
                next = trim;
        if (st->net->tx_pending || mptcp_stack_pending(st)) /* from socket calls since the poll */
                return st->now;
        for (int i = 0; i < st->net->n_ifaces; i++) {
                const struct um_link *l = st->net->ifaces[i].link;
                if (l->ops->next_event) {
                        uint64_t t = l->ops->next_event(l, st->now);
                        if (t < next)
                                next = t;
                }
        }
        return next;
}
