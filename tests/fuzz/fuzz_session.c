/* A stateful fuzzer: a scripted peer opens an MPTCP connection to a fresh stack the right
 * way (MP_CAPABLE with both keys, then an MP_JOIN on a second port with valid HMACs), and
 * the input then says what follows, one operation at a time: segments on either subflow
 * with sequence and ACK numbers near the real ones and MPTCP options built from templates
 * with mutated fields (DSS mappings and DATA_ACKs, DATA_FIN, ADD_ADDR with a right or wrong
 * HMAC, RM_ADDR, MP_PRIO, MP_FAIL, MP_FASTCLOSE, MP_TCPRST, SACK blocks, raw bytes), and
 * what the application does (reads, writes, shutdown, close) and time passing. Nothing may
 * crash, leak or hang; the sanitizer build turns any memory error into a failure.
 *
 * The path manager's surface too: the stack runs the built-in manager with endpoints (so
 * announcements lead to joins it opens, which the peer may refuse) and an event subscriber;
 * the input may open a second connection, make every handshake go through SYN cookies
 * (the listener's SYN queue full), open further joins (also for the other connection's
 * token), and send storms of ADD_ADDR and RM_ADDR across both connections read in one
 * poll, with addresses of every class (unspecified, loopback, multicast, broadcast, the
 * stack's own, the peer's, others). */
#include "fuzz_bytes.h"
#include "fuzz_session.h"

#include <arpa/inet.h>
#include <string.h>
#include <umptcp/mptcp.h>
#include <umptcp/mptcp_pm.h>
#include <umptcp/socket.h>
#include <umptcp/tcp_ext.h>

#include "core/bytes.h"
#include "mptcp/mptcp_crypto.h"
#include "mptcp/mptcp_options.h"
#include "net/addr.h"
#include "seg_peer.h"

enum { PORT = 5001, ISN_A = 1000, OPS_MAX = 96 };

struct subflow {
        uint16_t port;
        uint32_t seq; /* the peer's next sequence number */
        uint32_t ack; /* the stack's next sequence number, as last seen */
        int conn;     /* which connection it belongs to */
};

/* A connection the peer opened: A is the peer, B the stack. */
struct conn {
        uint64_t key_a, key_b, idsn_a, idsn_b, dsn;
        int fd;
};

enum { CONNS = 2, SUBFLOWS = 4 }; /* subflows 0, 1, 3: connection 0's; 2: connection 1's */

struct session {
        struct seg_peer p;
        int lfd;
        struct conn c[CONNS];
        struct subflow sf[SUBFLOWS];
        uint8_t app[4096];
};

/* Reads what the stack sent, to keep the peer's ACKs near the stack's sequence numbers, and
 * refuses some of the joins the stack's manager opens (the rest stay unanswered). */
static void watch(struct session *s)
{
        struct seg out;
        while (seg_peer_recv(&s->p, &out)) {
                if (out.flags == UM_TH_SYN && (out.sport & 1)) {
                        struct seg rst = {.sport = out.dport,
                                          .dport = out.sport,
                                          .ack = out.seq + 1,
                                          .flags = UM_TH_RST | UM_TH_ACK,
                                          .peer_host = out.peer_host,
                                          .stack_host = out.stack_host};
                        seg_peer_send(&s->p, &rst);
                        continue;
                }
                for (int k = 0; k < SUBFLOWS; k++)
                        if (s->sf[k].port && out.dport == s->sf[k].port) {
                                uint32_t end =
                                    out.seq + out.len + !!(out.flags & (UM_TH_SYN | UM_TH_FIN));
                                if ((int32_t)(end - s->sf[k].ack) > 0)
                                        s->sf[k].ack = end;
                        }
        }
}

static void send_seg(struct session *s, struct seg *g)
{
        seg_peer_send(&s->p, g);
        if (!s->p.hold)
                watch(s);
}

/* Connection k from port 40000 + 2k, its first subflow subflow 0 or 2. */
static int open_mpc(struct session *s, int k)
{
        struct conn *c = &s->c[k];
        struct subflow *f = &s->sf[2 * k];
        uint16_t port = (uint16_t)(40000 + 2 * k);
        uint32_t token;
        c->key_a = 0x0102030405060708ULL + (uint64_t)k;
        mptcp_key_derive(NULL, c->key_a, &token, &c->idsn_a);
        c->dsn = c->idsn_a + 1;
        c->fd = -1;
        struct seg syn = {.sport = port, .dport = PORT, .seq = ISN_A, .flags = UM_TH_SYN};
        uint8_t o[40];
        seg_add_opt(&syn, o, mptcp_write_mpc(o, MPC_LEN_SYN, MPC_FLAG_H, 0, 0, 0, 0));
        seg_peer_send(&s->p, &syn);
        struct seg synack;
        do
                if (!seg_peer_recv(&s->p, &synack))
                        return -1;
        while (synack.dport != port);
        if (!mptcp_has(&synack.mp, MPTCPOPT_MP_CAPABLE))
                return -1;
        c->key_b = synack.mp.mpc_sndr_key;
        mptcp_key_derive(NULL, c->key_b, &token, &c->idsn_b);
        *f = (struct subflow){.port = port, .seq = ISN_A + 1, .ack = synack.seq + 1, .conn = k};
        struct seg ack = {.sport = port,
                          .dport = PORT,
                          .seq = ISN_A + 1,
                          .ack = synack.seq + 1,
                          .flags = UM_TH_ACK};
        seg_add_opt(&ack, o, mptcp_write_mpc(o, MPC_LEN_ACK, MPC_FLAG_H, c->key_a, c->key_b, 0, 0));
        send_seg(s, &ack);
        c->fd = um_accept(s->p.st, s->lfd, NULL, NULL);
        return c->fd >= 0 ? 0 : -1;
}

/* A join as subflow i from port port, asking for connection `token_of`'s token (the HMACs
 * are the ones of connection `conn`: when the two differ, the stack must refuse it). */
static void open_join(struct session *s, int i, uint16_t port, int conn, int token_of)
{
        const struct conn *c = &s->c[conn];
        uint32_t token, r_a = 0x55667788 + port;
        uint64_t idsn;
        mptcp_key_derive(NULL, s->c[token_of].key_b, &token, &idsn);
        struct seg syn = {.sport = port, .dport = PORT, .seq = ISN_A, .flags = UM_TH_SYN};
        uint8_t o[40];
        seg_add_opt(&syn, o, mptcp_write_join_syn(o, 0, 2, token, r_a));
        seg_peer_send(&s->p, &syn);
        struct seg synack;
        do
                if (!seg_peer_recv(&s->p, &synack))
                        return;
        while (synack.dport != port);
        if (!mptcp_has(&synack.mp, MPTCPOPT_MP_JOIN))
                return;
        uint8_t mac[32];
        mptcp_join_hmac(NULL, c->key_a, c->key_b, r_a, synack.mp.join_nonce, mac);
        s->sf[i] =
            (struct subflow){.port = port, .seq = ISN_A + 1, .ack = synack.seq + 1, .conn = conn};
        struct seg ack = {.sport = port,
                          .dport = PORT,
                          .seq = ISN_A + 1,
                          .ack = synack.seq + 1,
                          .flags = UM_TH_ACK};
        seg_add_opt(&ack, o, mptcp_write_join_ack(o, mac));
        send_seg(s, &ack);
}

/* An address of a class the input picks: unspecified, loopback, multicast, broadcast, the
 * stack's own, the peer's, another host of the link, or any bytes at all. */
static struct um_addr pick_addr(struct input *in, uint8_t t)
{
        struct um_addr a = {.family = (t & 2) ? AF_INET6 : AF_INET};
        size_t len = um_addr_len(&a);
        uint8_t cls = next(in) % 8;
        if (cls == 7) {
                for (size_t i = 0; i < len; i++)
                        a.b[i] = next(in);
                return a;
        }
        static const uint8_t v4[7][4] = {{0, 0, 0, 0},         {127, 0, 0, 1}, {224, 0, 0, 1},
                                         {255, 255, 255, 255}, {10, 0, 0, 2},  {10, 0, 0, 1},
                                         {10, 0, 0, 9}};
        if (a.family == AF_INET) {
                memcpy(a.b, v4[cls], 4);
                if (cls == 6)
                        a.b[3] = (uint8_t)(3 + next(in) % 250);
        } else if (cls == 1) {
                a.b[15] = 1;
        } else if (cls == 2 || cls == 3) {
                a.b[0] = 0xff;
                a.b[1] = 2;
                a.b[15] = 1;
        } else if (cls) { /* an IPv4-mapped address of the same class */
                a.b[10] = a.b[11] = 0xff;
                memcpy(a.b + 12, v4[cls], 4);
        }
        return a;
}

/* One MPTCP (or SACK, or raw) option, from a template chosen and mutated by the input. */
static void add_option(struct session *s, struct input *in, struct seg *g, const struct subflow *f,
                       uint32_t len)
{
        struct conn *c = &s->c[f->conn];
        uint8_t o[40];
        unsigned n = 0;
        uint8_t t = next(in);
        switch (t % 11) {
        case 0:
        case 1: { /* DSS: mapping and DATA_ACK near the real ones */
                struct mptcp_dss_out d = {.flags = (uint8_t)(next(in) & 0x1f)};
                d.data_ack = c->idsn_b + 1 + (int8_t)next(in) * 64;
                d.dsn = c->dsn + (int8_t)next(in) * 16;
                d.ssn = g->seq - ISN_A + (uint32_t)(int8_t)next(in);
                d.data_len = (uint16_t)(len + (int8_t)next(in) % 4);
                d.with_csum = t & 0x80;
                d.csum = (uint16_t)next32(in);
                n = mptcp_write_dss(o, &d);
                break;
        }
        case 2: { /* ADD_ADDR, its HMAC right (t & 8) or made up */
                struct um_addr a = pick_addr(in, t);
                uint8_t id = next(in);
                uint16_t port = (t & 4) ? (uint16_t)next32(in) : 0;
                uint64_t hmac = (t & 8) ? mptcp_add_addr_hmac(NULL, c->key_a, c->key_b, id, a.b,
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
                n = mptcp_write_mp_fail(o, c->dsn + (int8_t)next(in));
                break;
        case 6:
                n = mptcp_write_fastclose(o, (t & 16) ? c->key_b : next32(in));
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
                n = mptcp_write_mpc(o, MPC_LEN_DATA, MPC_FLAG_H, c->key_a, c->key_b, (uint16_t)len,
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

/* The subflow a segment goes on: bit 0 subflow 1, bit 6 the second connection's, bit 7 the
 * join opened later (each when it exists; else subflow 0). */
static struct subflow *pick_subflow(struct session *s, uint8_t b)
{
        if ((b & 128) && s->sf[3].port)
                return &s->sf[3];
        if ((b & 64) && s->sf[2].port)
                return &s->sf[2];
        return &s->sf[(b & 1) && s->sf[1].port ? 1 : 0];
}

/* Up to 64 ADD_ADDRs (HMACs right) and RM_ADDRs across the subflows, read in one poll. */
static void storm(struct session *s, struct input *in)
{
        unsigned n = 1 + next(in) % 64;
        fuzz_stats.storms++;
        s->p.hold = 1;
        for (unsigned i = 0; i < n; i++) {
                uint8_t b = next(in);
                struct subflow *f = pick_subflow(s, b);
                const struct conn *c = &s->c[f->conn];
                struct seg g = {.sport = f->port,
                                .dport = PORT,
                                .seq = f->seq,
                                .ack = f->ack,
                                .flags = UM_TH_ACK};
                uint8_t o[40];
                if (b & 2) {
                        uint8_t ids[1] = {next(in)};
                        seg_add_opt(&g, o, mptcp_write_rm_addr(o, ids, 1));
                } else {
                        struct um_addr a = pick_addr(in, b);
                        uint8_t id = next(in);
                        uint64_t hmac = mptcp_add_addr_hmac(NULL, c->key_a, c->key_b, id, a.b,
                                                            um_addr_len(&a), 0);
                        seg_add_opt(&g, o, mptcp_write_add_addr(o, 0, id, &a, 0, 1, hmac));
                }
                seg_peer_send(&s->p, &g);
        }
        s->p.hold = 0;
        seg_peer_run(&s->p, 0);
        watch(s);
}

static void segment(struct session *s, struct input *in)
{
        uint8_t b = next(in);
        struct subflow *f = pick_subflow(s, b);
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
                s->c[f->conn].dsn += len;
        send_seg(s, &g);
}

static void app(struct session *s, uint8_t op, struct input *in)
{
        struct um_stack *st = s->p.st;
        int *fd = &s->c[(op & 8) && s->c[1].fd >= 0 ? 1 : 0].fd;
        switch (op % 5) {
        case 0:
                while (um_recv(st, *fd, s->app, sizeof(s->app), 0) > 0)
                        ;
                break;
        case 1:
                um_send(st, *fd, s->app, (size_t)next(in) * 16, 0);
                break;
        case 2:
                um_shutdown(st, *fd, next(in) % 3);
                break;
        case 3:
                if (*fd >= 0)
                        um_close(st, *fd);
                *fd = -1;
                break;
        default:
                seg_peer_run(&s->p, (uint64_t)next(in) * 20000);
                watch(s);
                break;
        }
}

static void count_event(struct um_stack *st, const struct um_mptcp_event *ev, void *arg)
{
        (void)st;
        (void)ev;
        (void)arg;
        fuzz_stats.events++;
}

/* The listener, with the built-in manager's endpoints and limits; under SYN cookies when
 * `cookies` (one half-open connection fills its SYN queue of one). */
static void listen_for(struct session *s, int cookies)
{
        struct um_stack *st = s->p.st;
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};
        s->lfd = um_socket(st, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        um_bind(st, s->lfd, (struct sockaddr *)&sa, sizeof(sa));
        um_listen(st, s->lfd, cookies ? 1 : 8);
        um_mptcp_limits_set(st, 4, 4);
        um_stack_add_addr(st, 0, "10.0.0.3/24");
        um_mptcp_endpoint_add(st, "10.0.0.3", UM_MPTCP_PM_SIGNAL | UM_MPTCP_PM_SUBFLOW, 0);
        um_mptcp_pm_subscribe(st, count_event, NULL);
        if (cookies) {
                struct seg half = {.sport = 33333, .dport = PORT, .seq = 5, .flags = UM_TH_SYN};
                uint8_t o[4];
                seg_add_opt(&half, o, mptcp_write_mpc(o, MPC_LEN_SYN, MPC_FLAG_H, 0, 0, 0, 0));
                seg_peer_send(&s->p, &half);
                seg_peer_drain(&s->p);
        }
}

/* The first byte: bit 0 a join on connection 0, bit 1 SYN cookies, bit 2 a second
 * connection. Then operations: a segment (< 160), an application call or time (< 250), a
 * storm of signals (250-252), a join opened now (253-255: for either connection's token,
 * with connection 0's keys). */
int fuzz_session_one(const uint8_t *data, size_t size)
{
        struct session s;
        memset(&s, 0, sizeof(s));
        s.c[0].fd = s.c[1].fd = -1;
        if (seg_peer_open(&s.p, 1) < 0)
                return 0;
        struct input in = {.p = data, .n = size};
        uint8_t setup = next(&in);
        listen_for(&s, setup & 2);
        fuzz_stats.sessions++;
        fuzz_stats.cookies += (setup & 2) != 0;
        if (open_mpc(&s, 0) == 0) {
                fuzz_stats.established++;
                if (setup & 1)
                        open_join(&s, 1, 40001, 0, 0);
                fuzz_stats.joined += s.sf[1].port != 0;
                if ((setup & 4) && open_mpc(&s, 1) == 0)
                        fuzz_stats.two_connections++;
                for (int i = 0; i < OPS_MAX && in.at < in.n; i++) {
                        fuzz_stats.ops++;
                        uint8_t op = next(&in);
                        if (op < 160)
                                segment(&s, &in);
                        else if (op < 250)
                                app(&s, op, &in);
                        else if (op < 253)
                                storm(&s, &in);
                        else if (!s.sf[3].port)
                                open_join(&s, 3, (uint16_t)(40010 + op), 0, op & 1);
                }
                seg_peer_run(&s.p, 2000000);
        }
        for (int k = 0; k < CONNS; k++)
                if (s.c[k].fd >= 0)
                        um_close(s.p.st, s.c[k].fd);
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
