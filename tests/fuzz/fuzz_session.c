/* A stateful fuzzer: a scripted peer opens an MPTCP connection to a fresh stack the right
 * way (MP_CAPABLE with both keys, then an MP_JOIN on a second port with valid HMACs), and
 * the input then says what follows, one operation at a time: segments on either subflow
 * with sequence and ACK numbers near the real ones and MPTCP options built from templates
 * with mutated fields (DSS mappings and DATA_ACKs, DATA_FIN, ADD_ADDR with a right or wrong
 * HMAC, RM_ADDR, MP_PRIO, MP_FAIL, MP_FASTCLOSE, MP_TCPRST, SACK blocks, raw bytes), and
 * what the application does (reads, writes, shutdown, close) and time passing. Nothing may
 * crash, leak or hang; the sanitizer build turns any memory error into a failure. */
#include "fuzz_session.h"

#include <arpa/inet.h>
#include <string.h>
#include <umptcp/mptcp.h>
#include <umptcp/socket.h>
#include <umptcp/tcp_ext.h>

#include "core/bytes.h"
#include "mptcp/mptcp_crypto.h"
#include "mptcp/mptcp_options.h"
#include "net/addr.h"
#include "seg_peer.h"

enum { PORT = 5001, ISN_A = 1000, OPS_MAX = 96 };

/* The input, read a byte at a time (zeros once it runs out). */
struct input {
        const uint8_t *p;
        size_t n, at;
};

static uint8_t next(struct input *in)
{
        return in->at < in->n ? in->p[in->at++] : 0;
}

static uint32_t next32(struct input *in)
{
        uint32_t v = 0;
        for (int i = 0; i < 4; i++)
                v = v << 8 | next(in);
        return v;
}

struct subflow {
        uint16_t port;
        uint32_t seq; /* the peer's next sequence number */
        uint32_t ack; /* the stack's next sequence number, as last seen */
};

struct session {
        struct seg_peer p;
        int lfd, fd;
        uint64_t key_a, key_b, idsn_a, idsn_b, dsn;
        struct subflow sf[2];
        uint8_t app[4096];
};

/* Reads what the stack sent, to keep the peer's ACKs near the stack's sequence numbers. */
static void watch(struct session *s)
{
        struct seg out;
        while (seg_peer_recv(&s->p, &out))
                for (int k = 0; k < 2; k++)
                        if (out.dport == s->sf[k].port) {
                                uint32_t end =
                                    out.seq + out.len + !!(out.flags & (UM_TH_SYN | UM_TH_FIN));
                                if ((int32_t)(end - s->sf[k].ack) > 0)
                                        s->sf[k].ack = end;
                        }
}

static void send_seg(struct session *s, struct seg *g)
{
        seg_peer_send(&s->p, g);
        watch(s);
}

static int open_mpc(struct session *s)
{
        uint32_t token;
        s->key_a = 0x0102030405060708ULL;
        mptcp_key_derive(NULL, s->key_a, &token, &s->idsn_a);
        s->dsn = s->idsn_a + 1;
        s->sf[0] = (struct subflow){.port = 40000, .seq = ISN_A};
        struct seg syn = {.sport = 40000, .dport = PORT, .seq = ISN_A, .flags = UM_TH_SYN};
        uint8_t o[40];
        seg_add_opt(&syn, o, mptcp_write_mpc(o, MPC_LEN_SYN, MPC_FLAG_H, 0, 0, 0, 0));
        seg_peer_send(&s->p, &syn);
        struct seg synack;
        if (!seg_peer_recv(&s->p, &synack) || !mptcp_has(&synack.mp, MPTCPOPT_MP_CAPABLE))
                return -1;
        s->key_b = synack.mp.mpc_sndr_key;
        mptcp_key_derive(NULL, s->key_b, &token, &s->idsn_b);
        s->sf[0].seq = ISN_A + 1;
        s->sf[0].ack = synack.seq + 1;
        struct seg ack = {.sport = 40000,
                          .dport = PORT,
                          .seq = ISN_A + 1,
                          .ack = synack.seq + 1,
                          .flags = UM_TH_ACK};
        seg_add_opt(&ack, o, mptcp_write_mpc(o, MPC_LEN_ACK, MPC_FLAG_H, s->key_a, s->key_b, 0, 0));
        send_seg(s, &ack);
        s->fd = um_accept(s->p.st, s->lfd, NULL, NULL);
        return s->fd >= 0 ? 0 : -1;
}

static void open_join(struct session *s)
{
        uint32_t token, r_a = 0x55667788;
        uint64_t idsn;
        mptcp_key_derive(NULL, s->key_b, &token, &idsn);
        s->sf[1] = (struct subflow){.port = 40001, .seq = ISN_A};
        struct seg syn = {.sport = 40001, .dport = PORT, .seq = ISN_A, .flags = UM_TH_SYN};
        uint8_t o[40];
        seg_add_opt(&syn, o, mptcp_write_join_syn(o, 0, 2, token, r_a));
        seg_peer_send(&s->p, &syn);
        struct seg synack;
        if (!seg_peer_recv(&s->p, &synack) || !mptcp_has(&synack.mp, MPTCPOPT_MP_JOIN))
                return;
        uint8_t mac[32];
        mptcp_join_hmac(NULL, s->key_a, s->key_b, r_a, synack.mp.join_nonce, mac);
        s->sf[1].seq = ISN_A + 1;
        s->sf[1].ack = synack.seq + 1;
        struct seg ack = {.sport = 40001,
                          .dport = PORT,
                          .seq = ISN_A + 1,
                          .ack = synack.seq + 1,
                          .flags = UM_TH_ACK};
        seg_add_opt(&ack, o, mptcp_write_join_ack(o, mac));
        send_seg(s, &ack);
}

/* One MPTCP (or SACK, or raw) option, from a template chosen and mutated by the input. */
static void add_option(struct session *s, struct input *in, struct seg *g, const struct subflow *f,
                       uint32_t len)
{
        uint8_t o[40];
        unsigned n = 0;
        uint8_t t = next(in);
        switch (t % 11) {
        case 0:
        case 1: { /* DSS: mapping and DATA_ACK near the real ones */
                struct mptcp_dss_out d = {.flags = (uint8_t)(next(in) & 0x1f)};
                d.data_ack = s->idsn_b + 1 + (int8_t)next(in) * 64;
                d.dsn = s->dsn + (int8_t)next(in) * 16;
                d.ssn = g->seq - ISN_A + (uint32_t)(int8_t)next(in);
                d.data_len = (uint16_t)(len + (int8_t)next(in) % 4);
                d.with_csum = t & 0x80;
                d.csum = (uint16_t)next32(in);
                n = mptcp_write_dss(o, &d);
                break;
        }
        case 2: { /* ADD_ADDR, its HMAC right (t odd) or made up */
                struct um_addr a = {.family = (t & 2) ? AF_INET6 : AF_INET};
                for (size_t i = 0; i < um_addr_len(&a); i++)
                        a.b[i] = next(in);
                uint8_t id = next(in);
                uint16_t port = (t & 4) ? (uint16_t)next32(in) : 0;
                uint64_t hmac = (t & 8) ? mptcp_add_addr_hmac(NULL, s->key_a, s->key_b, id, a.b,
                                                              um_addr_len(&a), port)
                                        : ((uint64_t)next32(in) << 32 | next32(in));
                n = mptcp_write_add_addr(o, (t & 16) != 0, id, &a, port, !(t & 16), hmac);
                break;
        }
        case 3: {
                uint8_t ids[8] = {0};
                unsigned k = 1 + next(in) % 8;
                for (unsigned i = 0; i < sizeof(ids) && i < k; i++)
                        ids[i] = next(in) % 4;
                n = mptcp_write_rm_addr(o, ids, k);
                break;
        }
        case 4:
                n = mptcp_write_mp_prio(o, next(in) & 1);
                break;
        case 5:
                n = mptcp_write_mp_fail(o, s->dsn + (int8_t)next(in));
                break;
        case 6:
                n = mptcp_write_fastclose(o, (t & 16) ? s->key_b : next32(in));
                break;
        case 7:
                n = mptcp_write_tcprst(o, next(in), next(in));
                break;
        case 8: { /* SACK blocks around what the stack sent */
                o[0] = 5;
                unsigned k = 1 + next(in) % 3;
                o[1] = (uint8_t)(2 + 8 * k);
                for (unsigned i = 0; i < k; i++) {
                        uint32_t a = f->ack - (uint32_t)(next(in) * 100);
                        um_put_be32(o + 2 + 8 * i, a);
                        um_put_be32(o + 6 + 8 * i, a + (uint32_t)(next(in) * 10));
                }
                n = o[1];
                break;
        }
        case 9:
                n = mptcp_write_mpc(o, MPC_LEN_DATA, MPC_FLAG_H, s->key_a, s->key_b, (uint16_t)len,
                                    0);
                break;
        default: /* raw bytes */
                n = 2 + next(in) % 20;
                o[0] = (t & 16) ? 30 : next(in);
                o[1] = (t & 32) ? next(in) : (uint8_t)n;
                for (unsigned i = 2; i < n; i++)
                        o[i] = next(in);
                break;
        }
        seg_add_opt(g, o, n);
}

static void segment(struct session *s, struct input *in)
{
        uint8_t b = next(in);
        struct subflow *f = &s->sf[b & 1 && s->sf[1].port ? 1 : 0];
        static uint8_t payload[1400];
        uint32_t len = (b & 2) ? (uint32_t)(next(in) * 5) % sizeof(payload) : 0;
        for (uint32_t i = 0; i < len; i++)
                payload[i] = (uint8_t)(i * 31 + b);
        struct seg g = {.sport = f->port,
                        .dport = PORT,
                        .seq = f->seq + (uint32_t)((b & 4) ? (int8_t)next(in) * 100 : 0),
                        .ack = f->ack - (uint32_t)((b & 8) ? (int8_t)next(in) * 100 : 0),
                        .flags = (uint8_t)(UM_TH_ACK | ((b & 16) ? next(in) & 0x3f : 0)),
                        .wnd = (b & 32) ? (uint16_t)next32(in) : 0,
                        .payload = payload,
                        .len = len};
        for (unsigned k = next(in) % 4; k > 0; k--)
                add_option(s, in, &g, f, len);
        if (g.seq == f->seq)
                f->seq += len + !!(g.flags & UM_TH_FIN);
        if (len && g.seq == f->seq - len)
                s->dsn += len;
        send_seg(s, &g);
}

static void app(struct session *s, uint8_t op, struct input *in)
{
        struct um_stack *st = s->p.st;
        switch (op) {
        case 0:
                while (um_recv(st, s->fd, s->app, sizeof(s->app), 0) > 0)
                        ;
                break;
        case 1:
                um_send(st, s->fd, s->app, (size_t)next(in) * 16, 0);
                break;
        case 2:
                um_shutdown(st, s->fd, next(in) % 3);
                break;
        case 3:
                if (s->fd >= 0)
                        um_close(st, s->fd);
                s->fd = -1;
                break;
        default:
                seg_peer_run(&s->p, (uint64_t)next(in) * 20000);
                watch(s);
                break;
        }
}

int fuzz_session_one(const uint8_t *data, size_t size)
{
        struct session s;
        memset(&s, 0, sizeof(s));
        if (seg_peer_open(&s.p, 1) < 0)
                return 0;
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};
        s.lfd = um_socket(s.p.st, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        um_bind(s.p.st, s.lfd, (struct sockaddr *)&sa, sizeof(sa));
        um_listen(s.p.st, s.lfd, 8);
        um_mptcp_limits_set(s.p.st, 2, 2);
        struct input in = {.p = data, .n = size};
        fuzz_stats.sessions++;
        if (open_mpc(&s) == 0) {
                fuzz_stats.established++;
                if (next(&in) & 1)
                        open_join(&s);
                fuzz_stats.joined += s.sf[1].port != 0 && s.sf[1].ack != 0;
                for (int i = 0; i < OPS_MAX && in.at < in.n; i++) {
                        fuzz_stats.ops++;
                        uint8_t op = next(&in);
                        if (op < 160)
                                segment(&s, &in);
                        else
                                app(&s, (uint8_t)(op % 5), &in);
                }
                seg_peer_run(&s.p, 2000000);
        }
        if (s.fd >= 0)
                um_close(s.p.st, s.fd);
        um_close(s.p.st, s.lfd);
        seg_peer_close(&s.p);
        return 0;
}

#ifdef UMPTCP_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        return fuzz_session_one(data, size);
}
#endif
