/* TCP options: one walk of the option list, the built-in kinds parsed and written (RFC 9293
 * MSS, RFC 7323 window scale and timestamps, RFC 2018 SACK), other kinds handed to the
 * handlers registered for them. */
#include "tcp/tcp_options.h"
#include "core/bytes.h"
#include "tcp/tcp.h"

#include <errno.h>
#include <string.h>

/* The option walk both directions of parsing share: the next option (kind, length, start)
 * after NOPs, 0 at the end of the list, or -EINVAL where the list is malformed (a length
 * of 0 or 1, an option running past the header). */
struct opt_walk {
        const uint8_t *opt;
        unsigned len, i;
};

static inline int next_option(struct opt_walk *w, const uint8_t **start)
{
        while (w->i < w->len && w->opt[w->i] == TCPOPT_NOP)
                w->i++;
        if (w->i >= w->len || w->opt[w->i] == TCPOPT_EOL)
                return 0;
        unsigned i = w->i;
        if (i + 1 >= w->len || w->opt[i + 1] < 2 || i + w->opt[i + 1] > w->len)
                return -EINVAL;
        *start = w->opt + i;
        w->i += w->opt[i + 1];
        return 1;
}

int tcp_options_parse(const uint8_t *opt, unsigned len, struct tcp_opts *o)
{
        memset(o, 0, sizeof(*o));
        struct opt_walk w = {opt, len, 0};
        const uint8_t *p;
        int rc;
        while ((rc = next_option(&w, &p)) > 0) {
                uint8_t kind = p[0], olen = p[1];
                const uint8_t *v = p + 2;
                switch (kind) {
                case TCPOPT_MSS:
                        if (olen == 4) {
                                o->has_mss = 1;
                                o->mss = (uint16_t)(v[0] << 8 | v[1]);
                        }
                        break;
                case TCPOPT_WSCALE:
                        if (olen == 3) {
                                o->has_ws = 1;
                                /* RFC 7323 §2.3: larger shifts are treated as 14. */
                                o->wscale = v[0] > 14 ? 14 : v[0];
                        }
                        break;
                case TCPOPT_SACK_PERM:
                        if (olen == 2)
                                o->sack_perm = 1;
                        break;
                case TCPOPT_TIMESTAMP:
                        if (olen == 10) {
                                o->has_ts = 1;
                                o->tsval = um_get_be32(v);
                                o->tsecr = um_get_be32(v + 4);
                        }
                        break;
                case TCPOPT_SACK:
                        if (olen >= 10 && (olen - 2) % 8 == 0) {
                                int n = (olen - 2) / 8;
                                for (int k = 0; k < n && o->n_sack < 4; k++) {
                                        o->sack[o->n_sack][0] = um_get_be32(v + 8 * k);
                                        o->sack[o->n_sack][1] = um_get_be32(v + 8 * k + 4);
                                        o->n_sack++;
                                }
                        }
                        break;
                default:
                        o->has_other = 1;
                        break;
                }
        }
        if (rc < 0)
                o->malformed = 1;
        return rc;
}

/* The parsed state of one handler on this segment, zeroed on its first option. */
static void *parsed_area(const struct um_tcp_stack *t, const struct tcp_option_entry *e,
                         const struct um_tcp_seg_info *seg)
{
        struct um_tcp_seg_parsed *p = seg->parsed;
        if (!p || !e->ops->parsed_size)
                return NULL;
        uint8_t *area = p->area + t->parsed_off[e->handle];
        if (!(p->present >> e->handle & 1)) {
                memset(area, 0, e->ops->parsed_size);
                p->present |= 1u << e->handle;
        }
        return area;
}

int tcp_options_dispatch(struct um_tcp_conn *c, const struct um_tcp_seg_info *seg,
                         const uint8_t *opt, unsigned len)
{
        struct um_tcp_stack *t = tcp_of(c);
        if (seg->parsed)
                seg->parsed->present = 0; /* a segment is dispatched anew on each connection */
        struct opt_walk w = {opt, len, 0};
        const uint8_t *p;
        while (next_option(&w, &p) > 0) { /* a malformed list: counted by tcp_options_parse */
                for (int h = 0; h < t->n_opts; h++) {
                        const struct tcp_option_entry *e = &t->opts[h];
                        if (e->ops->kind != p[0] || !e->ops->parse)
                                continue;
                        int rc = e->ops->parse(e->arg, c, seg, p, p[1], parsed_area(t, e, seg));
                        if (rc < 0)
                                return rc;
                }
        }
        return 0;
}

uint32_t tcp_ts_now(const struct um_tcp_conn *c)
{
        return (uint32_t)(c->st->now / 1000) + c->ts_offset;
}

static unsigned write_syn_options(struct um_tcp_conn *c, uint8_t *out)
{
        unsigned n = 0;
        out[n++] = TCPOPT_MSS;
        out[n++] = 4;
        out[n++] = (uint8_t)(c->adv_mss >> 8);
        out[n++] = (uint8_t)c->adv_mss;
        /* A SYN/ACK offers only what the SYN offered (RFC 7323 §1.3, RFC 2018 §2). */
        int passive = c->state == TCPS_SYN_RECEIVED;
        int sack = passive ? c->sack_ok : c->syn_sack;
        int ts = passive ? c->ts_ok : c->syn_ts;
        int ws = passive ? c->ws_ok : c->syn_ws;
        if (sack && ts) {
                out[n++] = TCPOPT_SACK_PERM;
                out[n++] = 2;
        } else if (ts) {
                out[n++] = TCPOPT_NOP;
                out[n++] = TCPOPT_NOP;
        } else if (sack) {
                out[n++] = TCPOPT_NOP;
                out[n++] = TCPOPT_NOP;
                out[n++] = TCPOPT_SACK_PERM;
                out[n++] = 2;
        }
        if (ts) {
                out[n++] = TCPOPT_TIMESTAMP;
                out[n++] = 10;
                um_put_be32(out + n, tcp_ts_now(c));
                um_put_be32(out + n + 4, passive ? c->ts_recent : 0);
                n += 8;
        }
        if (ws) {
                out[n++] = TCPOPT_NOP;
                out[n++] = TCPOPT_WSCALE;
                out[n++] = 3;
                out[n++] = c->rcv_wscale;
        }
        return n;
}

unsigned tcp_options_write(struct um_tcp_conn *c, const struct um_tcp_seg_info *seg, uint8_t *out,
                           unsigned room)
{
        unsigned limit = room < TCP_MAX_OPT ? room & ~3u : TCP_MAX_OPT;
        unsigned n;
        if (seg->flags & UM_TH_SYN) {
                n = write_syn_options(c, out);
        } else {
                n = 0;
                if (c->ts_ok && !(seg->flags & UM_TH_RST)) {
                        out[n++] = TCPOPT_NOP;
                        out[n++] = TCPOPT_NOP;
                        out[n++] = TCPOPT_TIMESTAMP;
                        out[n++] = 10;
                        um_put_be32(out + n, tcp_ts_now(c));
                        um_put_be32(out + n + 4, c->ts_recent);
                        n += 8;
                }
        }
        /* Registered handlers, by priority, within the room left. */
        struct um_tcp_stack *t = tcp_of(c);
        for (int h = 0; h < t->n_opts; h++) {
                const struct um_tcp_option_ops *ops = t->opts[h].ops;
                unsigned left = limit > n ? limit - n : 0;
                if (ops->write && left)
                        n += ops->write(t->opts[h].arg, c, seg, out + n, left);
        }
        /* SACK blocks take what is left (RFC 2018 §3). */
        if (c->sack_ok && (c->reass.n || c->dsack_pending) &&
            !(seg->flags & (UM_TH_SYN | UM_TH_RST))) {
                unsigned pad = (4 - n % 4) % 4;
                if (n + pad + 4 + 8 <= limit) {
                        while (pad--)
                                out[n++] = TCPOPT_NOP;
                        /* NOP NOP SACK keeps the blocks 4-byte aligned. */
                        int max = (int)((limit - n - 4) / 8);
                        uint32_t blocks[4][2];
                        int k = 0;
                        if (max > 4)
                                max = 4;
                        if (c->dsack_pending && max > 0) {
                                blocks[0][0] = c->dsack_start;
                                blocks[0][1] = c->dsack_end;
                                c->dsack_pending = 0;
                                k = 1;
                        }
                        k += um_ranges_recent_first(&c->reass, blocks + k, max - k);
                        if (k > 0) {
                                out[n++] = TCPOPT_NOP;
                                out[n++] = TCPOPT_NOP;
                                out[n++] = TCPOPT_SACK;
                                out[n++] = (uint8_t)(2 + 8 * k);
                                for (int b = 0; b < k; b++) {
                                        um_put_be32(out + n, blocks[b][0]);
                                        um_put_be32(out + n + 4, blocks[b][1]);
                                        n += 8;
                                }
                        }
                }
        }
        while (n % 4)
                out[n++] = TCPOPT_NOP;
        return n;
}
