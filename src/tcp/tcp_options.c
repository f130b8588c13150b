#include "tcp/tcp_options.h"
#include "core/bytes.h"
#include "tcp/tcp.h"

#include <errno.h>
#include <string.h>

int tcp_options_parse(const uint8_t *opt, unsigned len, struct tcp_opts *o)
{
        memset(o, 0, sizeof(*o));
        unsigned i = 0;
        while (i < len) {
                uint8_t kind = opt[i];
                if (kind == TCPOPT_EOL)
                        break;
                if (kind == TCPOPT_NOP) {
                        i++;
                        continue;
                }
                if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len) {
                        o->malformed = 1;
                        return -EINVAL;
                }
                uint8_t olen = opt[i + 1];
                const uint8_t *v = opt + i + 2;
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
                i += olen;
        }
        return 0;
}

int tcp_options_dispatch(struct um_tcp_conn *c, const struct um_tcp_seg_info *seg,
                         const uint8_t *opt, unsigned len)
{
        struct um_tcp_stack *t = tcp_of(c);
        unsigned i = 0;
        while (i < len) {
                uint8_t kind = opt[i];
                if (kind == TCPOPT_EOL)
                        break;
                if (kind == TCPOPT_NOP) {
                        i++;
                        continue;
                }
                if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len)
                        break; /* already counted by tcp_options_parse */
                uint8_t olen = opt[i + 1];
                for (int h = 0; h < t->n_opts; h++) {
                        const struct um_tcp_option_ops *ops = t->opts[h].ops;
                        if (ops->kind == kind && ops->parse) {
                                int rc = ops->parse(t->opts[h].arg, c, seg, opt + i, olen);
                                if (rc < 0)
                                        return rc;
                        }
                }
                i += olen;
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
                if (!ops->size || !ops->write)
                        continue;
                unsigned left = limit > n ? limit - n : 0;
                unsigned need = ops->size(t->opts[h].arg, c, seg, left);
                if (!need || need > left)
                        continue;
                ops->write(t->opts[h].arg, c, seg, out + n, need);
                n += need;
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
