/* The scripted peer of the exact-segment tests (seg_peer.h). */
#include "seg_peer.h"

#include <string.h>
#include <umptcp/tcp_ext.h>

#include "core/bytes.h"
#include "net/addr.h"
#include "net/checksum.h"

int seg_peer_open(struct seg_peer *p, uint64_t seed)
{
        memset(p, 0, sizeof(*p));
        p->port = 40000;
        /* A queue for the bursts some tests send in one poll. */
        struct um_emu_dir_config d = {.queue_bytes = 4 << 20};
        if (um_link_emu_pair(&d, &d, 1500, seed, &p->stack_end, &p->peer_end))
                return -1;
        struct um_stack_config c = {.seed = seed + 1, .name = "stack"};
        p->st = um_stack_new(&c);
        if (!p->st)
                return -1;
        int i = um_stack_add_iface(p->st, p->stack_end);
        return i < 0 || um_stack_add_addr(p->st, i, "10.0.0.2/24") < 0 ? -1 : 0;
}

void seg_peer_close(struct seg_peer *p)
{
        um_stack_free(p->st);
        um_link_destroy(p->stack_end);
        um_link_destroy(p->peer_end);
}

void seg_peer_run(struct seg_peer *p, uint64_t us)
{
        uint64_t until = p->now + us;
        um_stack_poll(p->st, p->now);
        for (;;) {
                uint64_t next = um_stack_next_deadline(p->st);
                if (next > until)
                        break;
                p->now = next > p->now ? next : p->now;
                um_stack_poll(p->st, p->now);
        }
        p->now = until;
        um_stack_poll(p->st, p->now);
}

void seg_add_opt(struct seg *s, const uint8_t *opt, unsigned n)
{
        if (s->optlen + n <= sizeof(s->opt)) {
                memcpy(s->opt + s->optlen, opt, n);
                s->optlen += n;
        }
}

void seg_add_ts(struct seg *s, uint32_t tsval, uint32_t tsecr)
{
        uint8_t o[12] = {1, 1, 8, 10};
        um_put_be32(o + 4, tsval);
        um_put_be32(o + 8, tsecr);
        seg_add_opt(s, o, sizeof(o));
}

void seg_peer_send(struct seg_peer *p, const struct seg *s)
{
        uint8_t pkt[1600];
        unsigned optlen = (s->optlen + 3) & ~3u;
        unsigned tcplen = 20 + optlen + s->len;
        uint8_t *t = pkt + 20;
        memset(pkt, 0, 20 + 20 + optlen);
        pkt[0] = 0x45;
        um_put_be16(pkt + 2, (uint16_t)(20 + tcplen));
        pkt[6] = 0x40; /* DF */
        pkt[8] = 64;
        pkt[9] = 6;
        struct um_addr src, dst;
        um_addr_parse("10.0.0.1", &src);
        um_addr_parse("10.0.0.2", &dst);
        src.b[3] = s->peer_host ? s->peer_host : 1;
        dst.b[3] = s->stack_host ? s->stack_host : 2;
        memcpy(pkt + 12, src.b, 4);
        memcpy(pkt + 16, dst.b, 4);
        uint16_t ipsum = um_csum(pkt, 20);
        memcpy(pkt + 10, &ipsum, 2);
        um_put_be16(t, s->sport ? s->sport : p->port);
        um_put_be16(t + 2, s->dport);
        um_put_be32(t + 4, s->seq);
        um_put_be32(t + 8, s->ack);
        t[12] = (uint8_t)(((20 + optlen) / 4) << 4);
        t[13] = s->flags;
        um_put_be16(t + 14, s->wnd ? s->wnd : 65535);
        memcpy(t + 20, s->opt, s->optlen); /* the rest of the padding is EOL (0) */
        if (s->len)
                memcpy(t + 20 + optlen, s->payload, s->len);
        uint16_t sum = um_csum_fold(um_csum_add(um_csum_pseudo(&src, &dst, 6, tcplen), t, tcplen));
        memcpy(t + 16, &sum, 2);
        struct um_frame f = {.data = pkt, .len = 20 + tcplen};
        p->peer_end->ops->send(p->peer_end, &f, 1, p->now);
        if (!p->hold)
                um_stack_poll(p->st, p->now);
}

static void parse_mptcp(struct seg *s)
{
        memset(&s->mp, 0, sizeof(s->mp));
        s->n_mptcp = 0;
        for (unsigned i = 0; i < s->optlen;) {
                uint8_t kind = s->opt[i];
                if (kind == 0)
                        break;
                if (kind == 1 || i + 1 >= s->optlen || s->opt[i + 1] < 2) {
                        i++;
                        continue;
                }
                if (kind == TCPOPT_MPTCP) {
                        mptcp_opt_parse(s->opt + i, s->opt[i + 1], &s->mp);
                        s->n_mptcp++;
                }
                i += s->opt[i + 1];
        }
}

int seg_peer_recv(struct seg_peer *p, struct seg *out)
{
        um_stack_poll(p->st, p->now);
        uint8_t buf[2048];
        struct um_frame f = {.data = buf, .cap = sizeof(buf)};
        if (p->peer_end->ops->recv(p->peer_end, &f, 1, p->now) != 1)
                return 0;
        memset(out, 0, sizeof(*out));
        const uint8_t *t = buf + (buf[0] & 15) * 4;
        unsigned doff = (unsigned)(t[12] >> 4) * 4;
        out->stack_host = buf[15];
        out->peer_host = buf[19];
        out->sport = um_get_be16(t);
        out->dport = um_get_be16(t + 2);
        out->seq = um_get_be32(t + 4);
        out->ack = um_get_be32(t + 8);
        out->flags = t[13];
        out->wnd = um_get_be16(t + 14);
        out->optlen = doff - 20;
        memcpy(out->opt, t + 20, out->optlen);
        out->len = f.len - (uint32_t)(t - buf) - doff;
        if (out->len > sizeof(out->data))
                out->len = sizeof(out->data);
        memcpy(out->data, t + doff, out->len);
        out->payload = out->data;
        parse_mptcp(out);
        return 1;
}

int seg_peer_wait(struct seg_peer *p, struct seg *out, uint64_t us)
{
        uint64_t until = p->now + us;
        for (;;) {
                if (seg_peer_recv(p, out))
                        return 1;
                uint64_t next = um_stack_next_deadline(p->st);
                if (next > until)
                        return 0;
                p->now = next > p->now ? next : p->now;
        }
}

int seg_peer_drain(struct seg_peer *p)
{
        struct seg s;
        int n = 0;
        while (seg_peer_recv(p, &s))
                n++;
        return n;
}
