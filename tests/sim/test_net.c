/* Network-layer and socket-layer behaviour: ICMP, several interfaces with source-address
 * routing, Nagle and TCP_NODELAY, delayed ACKs, a SYN flood against a bounded queue, and
 * readiness callbacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "core/stack.h"
#include "net/checksum.h"
#include "net/ip.h"
#include "pair.h"
#include "tcp/tcp.h"
#include "simtest.h"

#include <umptcp/sim.h>
#include <umptcp/tcp_ext.h>

/* Counts what crosses a link, by kind. */
struct census {
        uint64_t tcp_data, tcp_pure_ack, icmp_echo_reply, icmp_other, small_data;
};

static int count(void *arg, int dir, uint8_t *pkt, uint32_t *len, uint32_t cap)
{
        struct census *c = &((struct census *)arg)[dir];
        (void)cap;
        if ((pkt[0] >> 4) != 4)
                return 1;
        const uint8_t *t = pkt + (pkt[0] & 0x0f) * 4;
        if (pkt[9] == 1) {
                if (t[0] == 0)
                        c->icmp_echo_reply++;
                else
                        c->icmp_other++;
        } else if (pkt[9] == 6) {
                uint32_t payload = *len - (uint32_t)(t - pkt) - (uint32_t)(t[12] >> 4) * 4;
                if (payload) {
                        c->tcp_data++;
                        if (payload < 100)
                                c->small_data++;
                } else if ((t[13] & 0x17) == 0x10) {
                        c->tcp_pure_ack++;
                }
        }
        return 1;
}

static struct um_pkt *ipv4_packet(struct um_stack *st, const char *src, const char *dst,
                                  uint8_t proto, const uint8_t *l4, size_t n)
{
        struct um_pkt *p = um_pkt_alloc(&st->pool);
        uint8_t *h = um_pkt_data(p);
        memset(h, 0, 20);
        h[0] = 0x45;
        h[2] = (uint8_t)((20 + n) >> 8);
        h[3] = (uint8_t)(20 + n);
        h[8] = 64;
        h[9] = proto;
        inet_pton(AF_INET, src, h + 12);
        inet_pton(AF_INET, dst, h + 16);
        uint16_t c = um_csum(h, 20);
        memcpy(h + 10, &c, 2);
        memcpy(h + 20, l4, n);
        p->len = (uint16_t)(20 + n);
        return p;
}

static void test_icmp_echo_and_unreachable(void **state)
{
        (void)state;
        struct pair p;
        struct um_emu_dir_config d = {.delay_us = 1000};
        assert_int_equal(pair_open(&p, &d, &d, simtest_seed()), 0);
        struct census cs[2] = {0};
        um_link_emu_set_middlebox(p.lc, count, cs);
        /* An echo request to the server's address arrives on its link: it answers. */
        uint8_t echo[16] = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g', 0, 0, 0, 0};
        uint16_t c = um_csum(echo, sizeof(echo));
        memcpy(echo + 2, &c, 2);
        um_ip_input(p.srv, 0, ipv4_packet(p.srv, "10.0.0.1", "10.0.0.2", 1, echo, sizeof(echo)));
        pair_run(&p, 10000);
        assert_int_equal(um_counter_get(p.srv, "IcmpOutEchoReps"), 1);
        assert_int_equal(cs[1].icmp_echo_reply, 1);

        /* A port unreachable quoting our SYN makes connect() fail with ECONNREFUSED. */
        um_link_emu_set_middlebox(p.lc, NULL, NULL);
        struct um_emu_dir_config dead = {.delay_us = 1000, .n_outages = 1};
        dead.outages[0] = (struct um_emu_outage){0, UINT64_MAX / 2};
        um_link_emu_configure(p.lc, &dead); /* the SYN never reaches the server */
        int fd = um_socket(p.cli, AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(4444)};
        inet_pton(AF_INET, "10.0.0.2", &s.sin_addr);
        assert_int_equal(um_connect(p.cli, fd, (struct sockaddr *)&s, sizeof(s)), -1);
        assert_int_equal(errno, EINPROGRESS);
        struct sockaddr_in local;
        socklen_t ll = sizeof(local);
        um_getsockname(p.cli, fd, (struct sockaddr *)&local, &ll);
        struct um_tcp_conn *conn = um_tcp_conn_of(p.cli, fd);
        uint32_t iss = um_tcp_iss(conn);
        uint8_t icmp[8 + 20 + 8] = {3, 3};
        uint8_t *q = icmp + 8;
        q[0] = 0x45;
        q[9] = 6;
        inet_pton(AF_INET, "10.0.0.1", q + 12);
        inet_pton(AF_INET, "10.0.0.2", q + 16);
        memcpy(q + 20, &local.sin_port, 2);
        memcpy(q + 22, &s.sin_port, 2);
        uint32_t niss = htonl(iss + 7); /* a wrong sequence number is ignored (RFC 5927) */
        memcpy(q + 24, &niss, 4);
        c = um_csum(icmp, sizeof(icmp));
        memcpy(icmp + 2, &c, 2);
        um_ip_input(p.cli, 0, ipv4_packet(p.cli, "10.0.0.2", "10.0.0.1", 1, icmp, sizeof(icmp)));
        assert_false(um_sock_events(p.cli, fd) & POLLERR);
        niss = htonl(iss);
        memcpy(q + 24, &niss, 4);
        icmp[2] = icmp[3] = 0;
        c = um_csum(icmp, sizeof(icmp));
        memcpy(icmp + 2, &c, 2);
        um_ip_input(p.cli, 0, ipv4_packet(p.cli, "10.0.0.2", "10.0.0.1", 1, icmp, sizeof(icmp)));
        assert_true(um_sock_events(p.cli, fd) & POLLERR);
        int err = 0;
        socklen_t el = sizeof(err);
        um_getsockopt(p.cli, fd, SOL_SOCKET, SO_ERROR, &err, &el);
        assert_int_equal(err, ECONNREFUSED);
        assert_int_equal(um_counter_get(p.cli, "IcmpInDestUnreachs"), 2);
        /* A bad ICMP checksum is a counted drop. */
        icmp[2] ^= 0xff;
        um_ip_input(p.cli, 0, ipv4_packet(p.cli, "10.0.0.2", "10.0.0.1", 1, icmp, sizeof(icmp)));
        assert_int_equal(um_counter_get(p.cli, "IcmpInErrors"), 1);
        pair_close(&p);
}

struct v6_reply {
        int replies, csum_ok;
};

static int watch_v6(void *arg, int dir, uint8_t *pkt, uint32_t *len, uint32_t cap)
{
        struct v6_reply *r = arg;
        (void)dir;
        (void)cap;
        if ((pkt[0] >> 4) == 6 && pkt[6] == 58 && *len >= 48 && pkt[40] == 129) {
                struct um_addr s6 = {.family = AF_INET6}, d6 = {.family = AF_INET6};
                memcpy(s6.b, pkt + 8, 16);
                memcpy(d6.b, pkt + 24, 16);
                r->replies++;
                r->csum_ok = um_csum_fold(um_csum_add(um_csum_pseudo(&s6, &d6, 58, *len - 40),
                                                      pkt + 40, *len - 40)) == 0;
        }
        return 1;
}

static void test_icmpv6_echo(void **state)
{
        (void)state;
        struct um_link *a, *b;
        assert_int_equal(um_link_emu_pair(NULL, NULL, 1500, simtest_seed(), &a, &b), 0);
        struct v6_reply r = {0};
        um_link_emu_set_middlebox(a, watch_v6, &r);
        struct um_stack_config c = {.seed = 3, .name = "v6"};
        struct um_stack *st = um_stack_new(&c);
        um_stack_add_addr(st, um_stack_add_iface(st, b), "fd00::2/64");
        struct um_addr src, dst;
        um_addr_parse("fd00::1", &src);
        um_addr_parse("fd00::2", &dst);
        struct um_pkt *p = um_pkt_alloc(&st->pool);
        uint8_t *h = um_pkt_data(p);
        memset(h, 0, 56);
        h[0] = 0x60;
        h[5] = 16; /* payload length */
        h[6] = 58;
        h[7] = 64;
        memcpy(h + 8, src.b, 16);
        memcpy(h + 24, dst.b, 16);
        uint8_t *icmp = h + 40;
        icmp[0] = 128;
        memcpy(icmp + 8, "ping-six", 8);
        uint16_t sum = um_csum_fold(um_csum_add(um_csum_pseudo(&src, &dst, 58, 16), icmp, 16));
        memcpy(icmp + 2, &sum, 2);
        p->len = 56;
        um_ip_input(st, 0, p);
        um_stack_poll(st, 1000);
        assert_int_equal(um_counter_get(st, "IcmpOutEchoReps"), 1);
        assert_int_equal(r.replies, 1);
        assert_true(r.csum_ok);
        um_stack_free(st);
        um_link_destroy(a);
        um_link_destroy(b);
}

/* um_stack_iface_stats: each interface's traffic is what its link carried, the unused
 * path's is zero, and the addresses are those added. */
static void check_iface_stats(struct um_stack *a, struct um_link *a0, struct um_link *a1,
                              struct um_stack *b, struct um_link *b1)
{
        struct um_iface_stats s0, s1, sb1;
        assert_int_equal(um_stack_iface_stats(a, 0, &s0), 0);
        assert_int_equal(um_stack_iface_stats(a, 1, &s1), 0);
        assert_int_equal(um_stack_iface_stats(b, 1, &sb1), 0);
        assert_int_equal(um_stack_iface_stats(a, 2, &s0), -ENOENT);
        assert_int_equal(um_stack_iface_stats(a, -1, &s0), -ENOENT);
        assert_int_equal(um_stack_iface_stats(a, 0, &s0), 0);
        assert_string_equal(s0.link, a0->name);
        assert_string_equal(s1.link, a1->name);
        assert_int_equal(s1.n_addrs, 1);
        assert_int_equal(s1.prefixes[0], 24);
        char txt[32];
        const struct sockaddr_in *in = (const struct sockaddr_in *)&s1.addrs[0];
        assert_int_equal(in->sin_family, AF_INET);
        inet_ntop(AF_INET, &in->sin_addr, txt, sizeof(txt));
        assert_string_equal(txt, "10.0.2.1");
        assert_int_equal(s0.tx_packets, 0);
        assert_int_equal(s0.tx_bytes, 0);
        assert_int_equal(s0.rx_packets, 0);
        /* Every packet was delivered (no loss): what A's link took is what B's gave. */
        const struct um_emu_stats *e = um_link_emu_stats(a1);
        assert_int_equal(s1.tx_packets, e->sent);
        assert_int_equal(s1.tx_bytes, e->delivered_bytes);
        assert_int_equal(sb1.rx_packets, e->delivered);
        assert_int_equal(sb1.rx_bytes, e->delivered_bytes);
        assert_int_equal(s1.rx_packets, sb1.tx_packets);
        assert_int_equal(s1.rx_bytes, sb1.tx_bytes);
        /* SYN, ACK and the data segment: at least 11 bytes of payload and three headers. */
        assert_true(s1.tx_bytes >= 3 * 40 + 11);
}

static void test_source_address_routing(void **state)
{
        (void)state;
        uint64_t seed = simtest_seed();
        /* Two paths between the same two stacks: A0-B0 (10.0.1.0/24), A1-B1 (10.0.2.0/24). */
        struct um_link *a0, *b0, *a1, *b1;
        struct um_emu_dir_config d = {.delay_us = 2000};
        assert_int_equal(um_link_emu_pair(&d, &d, 1500, seed, &a0, &b0), 0);
        assert_int_equal(um_link_emu_pair(&d, &d, 1500, seed + 1, &a1, &b1), 0);
        struct um_stack_config ca = {.seed = seed, .name = "A"},
                               cb = {.seed = seed + 9, .name = "B"};
        struct um_stack *a = um_stack_new(&ca), *b = um_stack_new(&cb);
        um_stack_add_addr(a, um_stack_add_iface(a, a0), "10.0.1.1/24");
        um_stack_add_addr(a, um_stack_add_iface(a, a1), "10.0.2.1/24");
        um_stack_add_addr(b, um_stack_add_iface(b, b0), "10.0.1.2/24");
        um_stack_add_addr(b, um_stack_add_iface(b, b1), "10.0.2.2/24");
        assert_int_equal(um_stack_add_addr(b, 0, "10.0.2.2/24"), -EEXIST);
        assert_int_equal(um_stack_add_addr(b, 7, "10.0.9.2/24"), -EINVAL);
        struct sockaddr_in l = {.sin_family = AF_INET, .sin_port = htons(80)};
        int lfd = um_socket(b, AF_INET, SOCK_STREAM, 0);
        assert_int_equal(um_bind(b, lfd, (struct sockaddr *)&l, sizeof(l)), 0); /* any address */
        assert_int_equal(um_listen(b, lfd, 8), 0);
        /* Bound to A's second address, towards B's FIRST address: the connection must leave
         * through A's second interface, and B accepts a packet for 10.0.1.2 on its second
         * interface (any local address on any interface). */
        int cfd = um_socket(a, AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in src = {.sin_family = AF_INET};
        inet_pton(AF_INET, "10.0.2.1", &src.sin_addr);
        assert_int_equal(um_bind(a, cfd, (struct sockaddr *)&src, sizeof(src)), 0);
        struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(80)};
        inet_pton(AF_INET, "10.0.1.2", &dst.sin_addr);
        assert_int_equal(um_connect(a, cfd, (struct sockaddr *)&dst, sizeof(dst)), -1);
        struct um_stack *both[2] = {a, b};
        uint64_t now = 0;
        um_sim_run(both, 2, &now, 100000, NULL, NULL);
        int sfd = um_accept(b, lfd, NULL, NULL);
        assert_true(sfd >= 0);
        assert_int_equal(um_send(a, cfd, "over path 2", 11, 0), 11);
        um_sim_run(both, 2, &now, now + 100000, NULL, NULL);
        char buf[16];
        assert_int_equal(um_recv(b, sfd, buf, sizeof(buf), 0), 11);
        assert_int_equal(um_link_emu_stats(a0)->sent, 0);
        assert_true(um_link_emu_stats(a1)->sent >= 3);
        /* B answers from the address that was asked, back through the interface the SYN
         * came in on, so the connection stays on one path both ways. */
        assert_int_equal(um_link_emu_stats(b0)->sent, 0);
        assert_true(um_link_emu_stats(b1)->sent >= 2);
        struct sockaddr_in peer;
        socklen_t pl = sizeof(peer);
        um_getpeername(b, sfd, (struct sockaddr *)&peer, &pl);
        char txt[32];
        inet_ntop(AF_INET, &peer.sin_addr, txt, sizeof(txt));
        assert_string_equal(txt, "10.0.2.1");
        check_iface_stats(a, a0, a1, b, b1);
        um_stack_free(a);
        um_stack_free(b);
        um_link_destroy(a0);
        um_link_destroy(b0);
        um_link_destroy(a1);
        um_link_destroy(b1);
}

/* 200 writes of 10 bytes, 1 ms apart, on a 20 ms RTT path. */
static struct census small_writes(int nodelay)
{
        struct pair p;
        struct um_emu_dir_config d = {.delay_us = 10000};
        assert_int_equal(pair_open(&p, &d, &d, simtest_seed()), 0);
        struct census cs[2] = {0};
        um_link_emu_set_middlebox(p.lc, count, cs);
        assert_int_equal(
            um_setsockopt(p.cli, p.cfd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof(nodelay)), 0);
        char buf[4096];
        size_t got = 0;
        for (int i = 0; i < 200; i++) {
                assert_int_equal(um_send(p.cli, p.cfd, "0123456789", 10, 0), 10);
                pair_run(&p, 1000);
                ssize_t n = um_recv(p.srv, p.sfd, buf, sizeof(buf), 0);
                if (n > 0)
                        got += (size_t)n;
        }
        pair_run(&p, 500000);
        ssize_t n;
        while ((n = um_recv(p.srv, p.sfd, buf, sizeof(buf), 0)) > 0)
                got += (size_t)n;
        assert_int_equal(got, 2000);
        pair_close(&p);
        return cs[0];
}

static void test_nagle_and_nodelay(void **state)
{
        (void)state;
        struct census nagle = small_writes(0), nodelay = small_writes(1);
        printf("data segments for 200 small writes: Nagle %llu, TCP_NODELAY %llu\n",
               (unsigned long long)nagle.tcp_data, (unsigned long long)nodelay.tcp_data);
        assert_int_equal(nodelay.tcp_data, 200);
        /* Nagle holds small writes while one is unacknowledged: about one per RTT. */
        assert_true(nagle.tcp_data < 30);
}

static void test_delayed_acks(void **state)
{
        (void)state;
        struct census cs[2] = {0};
        struct um_sim_transfer_cfg c = {.bytes = 4 * 1024 * 1024, .path = simtest_path(50, 5)};
        c.middlebox = count;
        c.middlebox_arg = cs;
        assert_true(simtest_transfer("delayed-ACK census", &c, NULL));
        double ratio = (double)cs[1].tcp_pure_ack / (double)cs[0].tcp_data;
        printf("pure ACKs per data segment: %.2f\n", ratio);
        /* One ACK for every second full-sized segment (RFC 9293 §3.8.6.3), more around
         * losses and window updates. */
        assert_true(ratio > 0.4 && ratio < 0.75);
}

static int count_conns(struct um_stack *st)
{
        int n = 0;
        struct um_tcp_conn *c;
        LIST_FOREACH(c, &st->tcp->all, all_link)
        n++;
        return n;
}

static void test_syn_flood_cookies(void **state)
{
        (void)state;
        struct pair p;
        struct um_emu_dir_config d = {.delay_us = 1000};
        assert_int_equal(pair_open(&p, &d, &d, simtest_seed()), 0);
        /* 2000 SYNs from spoofed sources that never answer. */
        for (int i = 0; i < 2000; i++) {
                uint8_t syn[20] = {0};
                syn[0] = (uint8_t)((1024 + i) >> 8);
                syn[1] = (uint8_t)(1024 + i);
                syn[2] = 5001 >> 8;
                syn[3] = 5001 & 0xff;
                syn[7] = 1;
                syn[12] = 5 << 4;
                syn[13] = 0x02;
                syn[14] = 0xff;
                char src[32];
                snprintf(src, sizeof(src), "10.0.%d.%d", 100 + i / 250, 1 + i % 250);
                struct um_addr s, dst;
                um_addr_parse(src, &s);
                um_addr_parse("10.0.0.2", &dst);
                uint16_t c = um_csum_fold(um_csum_add(um_csum_pseudo(&s, &dst, 6, 20), syn, 20));
                memcpy(syn + 16, &c, 2);
                um_ip_input(p.srv, 0, ipv4_packet(p.srv, src, "10.0.0.2", 6, syn, 20));
        }
        um_stack_poll(p.srv, p.now); /* frees the blocks that only built the cookie SYN/ACKs */
        uint64_t cookies = um_counter_get(p.srv, "TcpExtSyncookiesSent");
        printf("SYN flood: %llu answered with cookies, %d connection blocks held\n",
               (unsigned long long)cookies, count_conns(p.srv));
        /* The SYN queue (backlog 8) is full; everything beyond it kept no state. */
        assert_true(cookies >= 2000 - 8);
        assert_true(count_conns(p.srv) <= 8 + 2);

        /* A real client connects during the flood: through a cookie. */
        int fd = um_socket(p.cli, AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(5001)};
        inet_pton(AF_INET, "10.0.0.2", &s.sin_addr);
        um_connect(p.cli, fd, (struct sockaddr *)&s, sizeof(s));
        pair_run(&p, 50000);
        int sfd = um_accept(p.srv, p.lfd, NULL, NULL);
        assert_true(sfd >= 0);
        assert_int_equal(um_counter_get(p.srv, "TcpExtSyncookiesRecv"), 1);
        /* The cookie kept window scaling, SACK and timestamps. */
        struct tcp_info ti;
        socklen_t tl = sizeof(ti);
        assert_int_equal(um_getsockopt(p.srv, sfd, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
        assert_int_equal(ti.tcpi_options & 7, 7);
        /* And carries data both ways, byte for byte. */
        static char out[300000], in[300000];
        for (size_t k = 0; k < sizeof(out); k++)
                out[k] = (char)(k * 7 + (k >> 11));
        size_t sent = 0, got = 0;
        while (got < sizeof(out) && p.now < 30000000) {
                if (sent < sizeof(out)) {
                        ssize_t n = um_send(p.cli, fd, out + sent, sizeof(out) - sent, 0);
                        if (n > 0)
                                sent += (size_t)n;
                }
                pair_run(&p, 1000);
                ssize_t n = um_recv(p.srv, sfd, in + got, sizeof(in) - got, 0);
                if (n > 0)
                        got += (size_t)n;
        }
        assert_int_equal(got, sizeof(out));
        assert_memory_equal(in, out, sizeof(out));
        assert_int_equal(um_send(p.srv, sfd, "pong", 4, 0), 4);
        pair_run(&p, 20000);
        char buf[8];
        assert_int_equal(um_recv(p.cli, fd, buf, sizeof(buf), 0), 4);

        /* An ACK with a forged cookie is refused with a reset. */
        uint8_t ack[20] = {0};
        ack[0] = 0x12;
        ack[1] = 0x34;
        ack[2] = 5001 >> 8;
        ack[3] = 5001 & 0xff;
        ack[7] = 9;
        ack[11] = 77;
        ack[12] = 5 << 4;
        ack[13] = 0x10;
        struct um_addr as, ad;
        um_addr_parse("10.0.9.9", &as);
        um_addr_parse("10.0.0.2", &ad);
        uint16_t c = um_csum_fold(um_csum_add(um_csum_pseudo(&as, &ad, 6, 20), ack, 20));
        memcpy(ack + 16, &c, 2);
        uint64_t rsts = um_counter_get(p.srv, "TcpOutRsts");
        um_ip_input(p.srv, 0, ipv4_packet(p.srv, "10.0.9.9", "10.0.0.2", 6, ack, 20));
        assert_int_equal(um_counter_get(p.srv, "TcpExtSyncookiesFailed"), 1);
        assert_int_equal(um_counter_get(p.srv, "TcpOutRsts"), rsts + 1);
        pair_close(&p);
}

struct cb_log {
        int calls;
        short last;
        size_t drained;
};

static void on_ready(struct um_stack *st, int fd, short revents, void *arg)
{
        struct cb_log *l = arg;
        l->calls++;
        l->last = revents;
        char buf[256];
        ssize_t n;
        while ((n = um_recv(st, fd, buf, sizeof(buf), 0)) > 0) /* callbacks may call anything */
                l->drained += (size_t)n;
}

static void test_readiness_callbacks(void **state)
{
        (void)state;
        struct pair p;
        struct um_emu_dir_config d = {.delay_us = 1000};
        assert_int_equal(pair_open(&p, &d, &d, simtest_seed()), 0);
        struct cb_log log = {0};
        assert_int_equal(um_sock_set_callback(p.srv, p.sfd, on_ready, &log), 0);
        assert_int_equal(um_send(p.cli, p.cfd, "hello callbacks", 15, 0), 15);
        pair_run(&p, 10000);
        assert_true(log.calls >= 1);
        assert_true(log.last & POLLIN);
        assert_int_equal(log.drained, 15);
        struct pollfd pf = {.fd = p.sfd, .events = POLLIN | POLLOUT};
        assert_int_equal(um_poll(p.srv, &pf, 1), 1);
        assert_true(pf.revents & POLLOUT);
        assert_false(pf.revents & POLLIN);
        um_shutdown(p.cli, p.cfd, SHUT_WR);
        pair_run(&p, 10000);
        assert_true(log.last & POLLRDHUP);
        assert_int_equal(um_sock_set_callback(p.srv, 77, on_ready, &log), -1);
        pair_close(&p);
}

/* The emulated link tells the stack when its next packet is due, so that a poll does not
 * ask idle links; the hint must never be later than a packet's arrival. */
static void test_emu_link_due_time(void **state)
{
        (void)state;
        struct um_link *a, *b;
        struct um_emu_dir_config d = {.delay_us = 1000, .reorder = 0.5, .reorder_delay_us = 300};
        assert_int_equal(um_link_emu_pair(&d, &d, 1500, simtest_seed(), &a, &b), 0);
        assert_true(b->rx_due_us == UINT64_MAX);
        uint8_t pkt[64] = {0x45}, in[1500];
        struct um_frame f = {.data = pkt, .len = sizeof(pkt), .cap = sizeof(pkt)};
        struct um_frame r = {.data = in, .cap = sizeof(in)};
        int sent = 0, got = 0;
        for (uint64_t t = 0; t < 20; t++)
                sent += a->ops->send(a, &f, 1, t * 100);
        assert_int_equal(sent, 20);
        assert_true(b->rx_due_us >= 1000 && b->rx_due_us <= 1300);
        for (uint64_t now = 0; now < 5000; now++) {
                uint64_t due = b->rx_due_us;
                int n = b->ops->recv(b, &r, 1, now);
                if (due > now) /* skipping the link until then misses nothing */
                        assert_int_equal(n, 0);
                if (n == 0) /* and the hint is never left in the past */
                        assert_true(b->rx_due_us > now);
                got += n;
        }
        assert_int_equal(got, sent);
        assert_true(b->rx_due_us == UINT64_MAX);
        /* A frame's flags cross with it (an impaired TUN link's packets keep their word
         * that the checksum needs no check), and only its own. */
        struct um_frame two[2] = {f, f};
        two[0].flags = UM_FRAME_CSUM_VALID;
        assert_int_equal(a->ops->send(a, two, 2, 5000), 2);
        struct um_frame in2[2] = {r, r};
        in2[1].data = in + 100;
        assert_int_equal(b->ops->recv(b, in2, 2, 7000), 2);
        assert_int_equal(in2[0].flags ^ in2[1].flags, UM_FRAME_CSUM_VALID); /* maybe reordered */
        assert_true(a->rx_due_us == UINT64_MAX); /* nothing went the other way */
        um_link_destroy(b);
        assert_int_equal(a->ops->send(a, &f, 1, 8000), 1); /* no reader left to tell */
        um_link_destroy(a);
}

/* A queue limit in packets: of a burst sent at once into a 1 Mbit/s direction, the one
 * being sent and `queue_packets` waiting get through, the rest is dropped; once the queue
 * drains it takes packets again. A rate trace: the same packet takes 12 ms to send at
 * 1 Mbit/s, and 1.2 ms from the trace's 10 Mbit/s on (with the trace's delay). */
static void test_emu_packet_queue_and_trace(void **state)
{
        (void)state;
        struct um_link *a, *b;
        struct um_emu_trace_point trace[1] = {
            {.at_us = 1000000, .rate_bps = 10000000, .delay_us = 500}};
        struct um_emu_dir_config d = {
            .rate_bps = 1000000, .queue_packets = 4, .trace = trace, .n_trace = 1};
        assert_int_equal(um_link_emu_pair(&d, &d, 1500, simtest_seed(), &a, &b), 0);
        uint8_t pkt[1500] = {0x45}, in[1500];
        struct um_frame f = {.data = pkt, .len = sizeof(pkt), .cap = sizeof(pkt)};
        struct um_frame r = {.data = in, .cap = sizeof(in)};
        for (int i = 0; i < 10; i++)
                a->ops->send(a, &f, 1, 0);
        const struct um_emu_stats *st = um_link_emu_stats(a);
        assert_int_equal(st->lost_queue, 5); /* 1 on the wire + 4 waiting */
        int got = 0;
        for (uint64_t now = 0; now <= 100000; now += 100)
                got += b->ops->recv(b, &r, 1, now);
        assert_int_equal(got, 5);
        assert_int_equal(a->ops->send(a, &f, 1, 200000), 1);
        assert_true(b->rx_due_us == 200000 + 12000); /* 1500 bytes at 1 Mbit/s */
        assert_int_equal(b->ops->recv(b, &r, 1, 212000), 1);
        assert_int_equal(st->lost_queue, 5);
        assert_int_equal(a->ops->send(a, &f, 1, 1000000), 1);
        assert_true(b->rx_due_us == 1000000 + 1200 + 500); /* the trace's rate and delay */
        um_link_destroy(a);
        um_link_destroy(b);
}

/* The connection table's buckets were FNV-1a's low bits, with the secret only its start:
 * a product's low bits depend only on its factors' low bits, so every source port
 * congruent modulo the table's size fell in one bucket, whatever the secret (64 of a
 * peer's connections in one chain of a 1,024-bucket table). The hash is keyed over the
 * whole tuple now: they spread as random ones would. */
static void test_tuple_table_spreads_congruent_ports(void **state)
{
        (void)state;
        struct um_stack_config cfg = {.seed = simtest_seed()};
        struct um_stack *st = um_stack_new(&cfg);
        assert_non_null(st);
        struct um_addr local, remote;
        um_addr_parse("10.0.0.2", &local);
        um_addr_parse("10.0.0.1", &remote);
        enum { BUCKETS = 1024, PORTS = 64 };
        uint8_t used[BUCKETS] = {0};
        int distinct = 0;
        for (int i = 0; i < PORTS; i++) {
                uint16_t rport = (uint16_t)(1000 + i * BUCKETS);
                uint32_t b = tcp_tuple_hash(st->tcp, &local, 80, &remote, rport) % BUCKETS;
                distinct += !used[b];
                used[b] = 1;
        }
        printf("    %d source ports 1,024 apart: %d buckets of 1,024\n", PORTS, distinct);
        assert_true(distinct >= PORTS - 8); /* random placement: about 62 */
        um_stack_free(st);
}

int main(void)
{
        simtest_seed();
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_icmp_echo_and_unreachable),
            cmocka_unit_test(test_icmpv6_echo),
            cmocka_unit_test(test_source_address_routing),
            cmocka_unit_test(test_nagle_and_nodelay),
            cmocka_unit_test(test_delayed_acks),
            cmocka_unit_test(test_syn_flood_cookies),
            cmocka_unit_test(test_tuple_table_spreads_congruent_ports),
            cmocka_unit_test(test_readiness_callbacks),
            cmocka_unit_test(test_emu_link_due_time),
            cmocka_unit_test(test_emu_packet_queue_and_trace),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
