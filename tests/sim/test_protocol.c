/* Connection-level protocol behaviour: simultaneous open and close, TIME_WAIT, the RFC 5961
 * defences against injected RST/SYN/data, and peers that send garbage options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "core/stack.h"
#include "net/net.h"
#include "net/checksum.h"
#include "net/ip.h"
#include "pair.h"
#include "simtest.h"
#include "tcp/tcp.h"

#include <umptcp/tcp_ext.h>

static struct um_tcp_conn *conn(struct um_stack *st, int fd)
{
        struct um_tcp_conn *c = um_tcp_conn_of(st, fd);
        assert_non_null(c);
        return c;
}

/* ---- simultaneous open and close (RFC 9293 §3.5 figures 8 and 13) ---- */

static void test_simultaneous_open_and_close(void **state)
{
        (void)state;
        struct um_link *la, *lb;
        struct um_emu_dir_config d = {.delay_us = 20000};
        assert_int_equal(um_link_emu_pair(&d, &d, 1500, simtest_seed(), &la, &lb), 0);
        struct um_stack_config ca = {.seed = simtest_seed() + 1, .name = "A"};
        struct um_stack_config cb = {.seed = simtest_seed() + 2, .name = "B"};
        struct um_stack *a = um_stack_new(&ca), *b = um_stack_new(&cb);
        um_stack_add_addr(a, um_stack_add_iface(a, la), "10.0.0.1/24");
        um_stack_add_addr(b, um_stack_add_iface(b, lb), "10.0.0.2/24");
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(1111)};
        struct sockaddr_in sb = {.sin_family = AF_INET, .sin_port = htons(2222)};
        inet_pton(AF_INET, "10.0.0.1", &sa.sin_addr);
        inet_pton(AF_INET, "10.0.0.2", &sb.sin_addr);
        int fa = um_socket(a, AF_INET, SOCK_STREAM, 0), fb = um_socket(b, AF_INET, SOCK_STREAM, 0);
        assert_int_equal(um_bind(a, fa, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(um_bind(b, fb, (struct sockaddr *)&sb, sizeof(sb)), 0);
        /* Both SYNs leave before either arrives. */
        assert_int_equal(um_connect(a, fa, (struct sockaddr *)&sb, sizeof(sb)), -1);
        assert_int_equal(errno, EINPROGRESS);
        assert_int_equal(um_connect(b, fb, (struct sockaddr *)&sa, sizeof(sa)), -1);
        assert_int_equal(errno, EINPROGRESS);
        struct um_stack *both[2] = {a, b};
        uint64_t now = 0;
        um_sim_run(both, 2, &now, 200000, NULL, NULL);
        assert_int_equal(um_tcp_state(conn(a, fa)), TCPS_ESTABLISHED);
        assert_int_equal(um_tcp_state(conn(b, fb)), TCPS_ESTABLISHED);
        assert_true(um_counter_get(a, "TcpActiveOpens") == 1 &&
                    um_counter_get(b, "TcpActiveOpens") == 1);

        /* Data both ways over the simultaneously opened connection. */
        assert_int_equal(um_send(a, fa, "from-A", 6, 0), 6);
        assert_int_equal(um_send(b, fb, "from-B", 6, 0), 6);
        um_sim_run(both, 2, &now, now + 200000, NULL, NULL);
        char buf[16] = {0};
        assert_int_equal(um_recv(b, fb, buf, sizeof(buf), 0), 6);
        assert_memory_equal(buf, "from-A", 6);
        assert_int_equal(um_recv(a, fa, buf, sizeof(buf), 0), 6);
        assert_memory_equal(buf, "from-B", 6);

        /* Simultaneous close: FIN_WAIT_1 -> CLOSING -> TIME_WAIT on both sides. */
        assert_int_equal(um_shutdown(a, fa, SHUT_WR), 0);
        assert_int_equal(um_shutdown(b, fb, SHUT_WR), 0);
        assert_int_equal(um_tcp_state(conn(a, fa)), TCPS_FIN_WAIT_1);
        um_sim_run(both, 2, &now, now + 200000, NULL, NULL);
        assert_int_equal(um_tcp_state(conn(a, fa)), TCPS_TIME_WAIT);
        assert_int_equal(um_tcp_state(conn(b, fb)), TCPS_TIME_WAIT);
        assert_int_equal(um_recv(a, fa, buf, sizeof(buf), 0), 0); /* EOF */
        /* TIME_WAIT lasts 2*MSL (60 s) and then the connection is closed. */
        um_sim_run(both, 2, &now, now + 59ULL * 1000000, NULL, NULL);
        assert_int_equal(um_tcp_state(conn(a, fa)), TCPS_TIME_WAIT);
        um_sim_run(both, 2, &now, now + 2ULL * 1000000, NULL, NULL);
        assert_int_equal(um_tcp_state(conn(a, fa)), TCPS_CLOSED);
        assert_int_equal(um_close(a, fa), 0);
        assert_int_equal(um_close(b, fb), 0);
        um_stack_free(a);
        um_stack_free(b);
        um_link_destroy(la);
        um_link_destroy(lb);
}

/* ---- RFC 5961: segments injected by an off-path attacker who guesses the 4-tuple ---- */

/* Builds an IPv4/TCP segment from the client's address to the server and feeds it straight
 * into the server's IP input, as if it had arrived on the wire. */
static void inject(struct pair *p, uint32_t seq, uint32_t ack, uint8_t flags, const char *data)
{
        struct um_tcp_conn *c = conn(p->cli, p->cfd);
        struct um_pkt *pkt = um_pkt_alloc(&p->srv->pool);
        assert_non_null(pkt);
        size_t dlen = data ? strlen(data) : 0;
        uint8_t *h = um_pkt_data(pkt);
        memset(h, 0, 20);
        h[0] = (uint8_t)(c->lport >> 8);
        h[1] = (uint8_t)c->lport;
        h[2] = (uint8_t)(c->rport >> 8);
        h[3] = (uint8_t)c->rport;
        uint32_t nseq = htonl(seq), nack = htonl(ack);
        memcpy(h + 4, &nseq, 4);
        memcpy(h + 8, &nack, 4);
        h[12] = 5 << 4;
        h[13] = flags;
        h[14] = 0xff;
        h[15] = 0xff;
        memcpy(h + 20, data ? data : "", dlen);
        pkt->len = (uint16_t)(20 + dlen);
        uint16_t sum = um_csum_fold(um_csum_add(
            um_csum_pseudo(&c->laddr, &c->raddr, UM_IPPROTO_TCP, pkt->len), h, pkt->len));
        memcpy(h + 16, &sum, 2);
        um_ip_output(p->srv, 0, &c->laddr, &c->raddr, UM_IPPROTO_TCP, pkt);
        /* um_ip_output queued it for transmission: take it back and deliver it inbound. */
        struct um_iface *ifc = &p->srv->net->ifaces[0];
        struct um_pkt *q = ifc->txq[--ifc->n_txq];
        um_ip_input(p->srv, 0, q);
}

static void test_rfc5961_injection(void **state)
{
        (void)state;
        struct pair p;
        struct um_emu_dir_config d = {.delay_us = 1000};
        assert_int_equal(pair_open(&p, &d, &d, simtest_seed()), 0);
        struct um_tcp_conn *s = conn(p.srv, p.sfd);
        uint32_t rcv_nxt = um_tcp_rcv_nxt(s), snd_nxt = um_tcp_snd_nxt(s);
        char buf[64];

        /* §3: a RST inside the window but not at rcv_nxt only earns a challenge ACK. */
        uint64_t ca = um_counter_get(p.srv, "TcpExtChallengeACK");
        inject(&p, rcv_nxt + 1000, 0, UM_TH_RST, NULL);
        assert_int_equal(um_counter_get(p.srv, "TcpExtChallengeACK"), ca + 1);
        assert_int_equal(um_tcp_state(s), TCPS_ESTABLISHED);

        /* A RST outside the window is dropped silently. */
        inject(&p, rcv_nxt + 100000000, 0, UM_TH_RST, NULL);
        assert_int_equal(um_counter_get(p.srv, "TcpExtChallengeACK"), ca + 1);
        assert_int_equal(um_tcp_state(s), TCPS_ESTABLISHED);

        /* §4: a SYN on an established connection, whatever its sequence number. */
        uint64_t syn = um_counter_get(p.srv, "TcpExtSYNChallenge");
        inject(&p, rcv_nxt + 5, 0, UM_TH_SYN, NULL);
        assert_int_equal(um_counter_get(p.srv, "TcpExtSYNChallenge"), syn + 1);
        assert_int_equal(um_tcp_state(s), TCPS_ESTABLISHED);

        /* §5: data whose ACK acknowledges what was never sent is dropped, not delivered. */
        uint64_t too_new = um_counter_get(p.srv, "TcpExtAckTooNew");
        inject(&p, rcv_nxt, snd_nxt + 100000, UM_TH_ACK | UM_TH_PSH, "evil");
        assert_int_equal(um_counter_get(p.srv, "TcpExtAckTooNew"), too_new + 1);
        assert_int_equal(um_recv(p.srv, p.sfd, buf, sizeof(buf), 0), -1);
        assert_int_equal(errno, EAGAIN);

        /* ... and so is data acknowledging something older than the window allows. */
        uint64_t too_old = um_counter_get(p.srv, "TcpExtAckTooOld");
        inject(&p, rcv_nxt, snd_nxt - 0x40000000u, UM_TH_ACK | UM_TH_PSH, "evil");
        assert_int_equal(um_counter_get(p.srv, "TcpExtAckTooOld"), too_old + 1);
        assert_int_equal(um_recv(p.srv, p.sfd, buf, sizeof(buf), 0), -1);

        /* Data outside the receive window is dropped (and answered with an ACK). */
        uint64_t oow = um_counter_get(p.srv, "TcpExtOutOfWindow");
        inject(&p, rcv_nxt + 50000000, snd_nxt, UM_TH_ACK, "far");
        assert_int_equal(um_counter_get(p.srv, "TcpExtOutOfWindow"), oow + 1);
        assert_int_equal(um_recv(p.srv, p.sfd, buf, sizeof(buf), 0), -1);

        /* The real connection carries on. */
        assert_int_equal(um_send(p.cli, p.cfd, "real", 4, 0), 4);
        pair_run(&p, 50000);
        assert_int_equal(um_recv(p.srv, p.sfd, buf, sizeof(buf), 0), 4);
        assert_memory_equal(buf, "real", 4);

        /* A RST exactly at rcv_nxt does reset. */
        rcv_nxt = um_tcp_rcv_nxt(s);
        inject(&p, rcv_nxt, 0, UM_TH_RST, NULL);
        assert_int_equal(um_recv(p.srv, p.sfd, buf, sizeof(buf), 0), -1);
        assert_int_equal(errno, ECONNRESET);
        pair_close(&p);
}

/* ---- a peer (or middlebox) that sends garbage options ---- */

struct mangler {
        uint64_t seen, mangled;
};

static void fix_tcp_checksum(uint8_t *pkt, uint32_t len)
{
        uint32_t ihl = (uint32_t)(pkt[0] & 0x0f) * 4;
        uint8_t *t = pkt + ihl;
        uint32_t tlen = len - ihl;
        struct um_addr s = {.family = AF_INET}, d = {.family = AF_INET};
        memcpy(s.b, pkt + 12, 4);
        memcpy(d.b, pkt + 16, 4);
        t[16] = t[17] = 0;
        uint16_t sum =
            um_csum_fold(um_csum_add(um_csum_pseudo(&s, &d, UM_IPPROTO_TCP, tlen), t, tlen));
        memcpy(t + 16, &sum, 2);
}

/* Client-to-server segments carrying timestamps (NOP NOP TS) get those two NOPs replaced,
 * in turn, by: an unknown kind, a zero-length option, a length-1 option, and an option whose
 * length runs past the header. */
static int mangle_options(void *arg, int dir, uint8_t *pkt, uint32_t *len, uint32_t cap)
{
        struct mangler *m = arg;
        (void)cap;
        if (dir != 0 || (pkt[0] >> 4) != 4 || pkt[9] != UM_IPPROTO_TCP)
                return 1;
        uint8_t *t = pkt + (pkt[0] & 0x0f) * 4;
        unsigned doff = (unsigned)(t[12] >> 4) * 4;
        if (doff < 32 || t[20] != 1 || t[21] != 1 || t[22] != 8)
                return 1;
        m->seen++;
        switch (m->seen % 5) {
        case 1:
                t[20] = 0x4c;
                t[21] = 2;
                break; /* unknown kind, well formed */
        case 2:
                t[20] = 0x4d;
                t[21] = 0;
                break; /* length 0 */
        case 3:
                t[20] = 0x4e;
                t[21] = 1;
                break; /* length 1 */
        case 4:
                t[20] = 0x4f;
                t[21] = (uint8_t)(doff + 8);
                break; /* past the header */
        default:
                return 1;
        }
        m->mangled++;
        fix_tcp_checksum(pkt, *len);
        return 1;
}

static void test_garbage_options(void **state)
{
        (void)state;
        struct mangler m = {0};
        struct um_sim_transfer_cfg c = {.bytes = 4 * 1024 * 1024, .path = simtest_path(100, 5)};
        c.middlebox = mangle_options;
        c.middlebox_arg = &m;
        assert_true(simtest_transfer("garbage options", &c, NULL));
        printf("options mangled on %llu of %llu segments\n", (unsigned long long)m.mangled,
               (unsigned long long)m.seen);
        assert_true(m.mangled > 1000);
}

int main(void)
{
        simtest_seed();
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_simultaneous_open_and_close),
            cmocka_unit_test(test_rfc5961_injection),
            cmocka_unit_test(test_garbage_options),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
