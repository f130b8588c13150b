/* Exact-segment tests: what the stack sends for what a scripted peer sends it, byte for
 * byte, for exchanges that whole transfers reach only by chance (a Linux client's TCP Fast
 * Open SYN, a reset before accept(), lost handshake segments, injected options). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <umptcp/mptcp.h>
#include <umptcp/socket.h>
#include <umptcp/tcp_ext.h>

#include "seg_peer.h"
#include "simtest.h"

enum { PORT = 5001, PEER_ISN = 1000000 };

static int listen_on(struct seg_peer *p, int proto)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};
        int fd = um_socket(p->st, AF_INET, SOCK_STREAM, proto);
        assert_true(fd >= 0);
        assert_int_equal(um_bind(p->st, fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(um_listen(p->st, fd, 8), 0);
        return fd;
}

static struct seg to_stack(uint32_t seq, uint32_t ack, uint8_t flags)
{
        return (struct seg){.dport = PORT, .seq = seq, .ack = ack, .flags = flags};
}

static void add_mpc(struct seg *s, unsigned len, uint64_t sndr, uint64_t rcvr)
{
        uint8_t o[24];
        seg_add_opt(s, o, mptcp_write_mpc(o, len, MPC_FLAG_H, sndr, rcvr, 0, 0));
}

static void fill(uint8_t *b, size_t n, uint8_t salt)
{
        for (size_t i = 0; i < n; i++)
                b[i] = (uint8_t)(i * 7 + salt);
}

/* Issue 11 item 1: a Linux client with TCP Fast Open (net.ipv4.tcp_fastopen=5) puts data in
 * its MP_CAPABLE SYN, then, its SYN/ACK acknowledging only the SYN, sends the data again
 * with a DSS holding only a DATA_ACK: no MP_CAPABLE, no mapping. Linux's server falls back
 * and the data arrives; umptcp reset the subflow and then freed the child while it waited
 * on the accept queue (a use-after-free in accept()). */
static void test_fast_open_client_falls_back(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        int lfd = listen_on(&p, IPPROTO_MPTCP);
        uint8_t data[1000];
        fill(data, sizeof(data), 3);

        struct seg syn = to_stack(PEER_ISN, 0, UM_TH_SYN);
        add_mpc(&syn, MPC_LEN_SYN, 0, 0);
        syn.payload = data;
        syn.len = sizeof(data);
        seg_peer_send(&p, &syn);
        struct seg synack;
        assert_true(seg_peer_recv(&p, &synack));
        assert_int_equal(synack.flags, UM_TH_SYN | UM_TH_ACK);
        assert_int_equal(synack.ack, PEER_ISN + 1); /* the SYN's data is not taken */
        assert_true(mptcp_has(&synack.mp, MPTCPOPT_MP_CAPABLE));
        assert_int_equal(synack.mp.mpc_len, MPC_LEN_SYNACK);

        struct seg again = to_stack(PEER_ISN + 1, synack.seq + 1, UM_TH_ACK | UM_TH_PSH);
        uint8_t dss[8];
        struct mptcp_dss_out d = {.flags = DSS_A, .data_ack = 12345};
        seg_add_opt(&again, dss, mptcp_write_dss(dss, &d));
        again.payload = data;
        again.len = sizeof(data);
        seg_peer_send(&p, &again);
        struct seg ack;
        assert_true(seg_peer_wait(&p, &ack, 200000));
        assert_false(ack.flags & UM_TH_RST);
        assert_int_equal(ack.ack, PEER_ISN + 1 + sizeof(data));
        assert_int_equal(ack.n_mptcp, 0); /* plain TCP from here: the client falls back too */
        assert_true(um_counter_get(p.st, "MPTcpExtMPCapableFallbackACK") == 1);

        int fd = um_accept(p.st, lfd, NULL, NULL);
        assert_true(fd >= 0);
        uint8_t got[2000];
        assert_int_equal(um_recv(p.st, fd, got, sizeof(got), 0), sizeof(data));
        assert_memory_equal(got, data, sizeof(data));
        struct mptcp_info mi;
        socklen_t l = sizeof(mi);
        assert_int_equal(um_getsockopt(p.st, fd, SOL_MPTCP, MPTCP_INFO, &mi, &l), 0);
        assert_true(mi.mptcpi_flags & MPTCP_INFO_FLAG_FALLBACK);
        um_close(p.st, fd);
        um_close(p.st, lfd);
        seg_peer_close(&p);
}

/* A child reset while it waits for accept() stays queued, as on Linux: accept() returns it
 * with the data that arrived before the reset, then its error. It used to be freed while
 * still on the queue. */
static void test_reset_before_accept(void **state)
{
        (void)state;
        struct seg_peer p;
        assert_int_equal(seg_peer_open(&p, simtest_seed()), 0);
        int lfd = listen_on(&p, IPPROTO_TCP);
        seg_peer_send(&p, &(struct seg){.dport = PORT, .seq = PEER_ISN, .flags = UM_TH_SYN});
        struct seg synack;
        assert_true(seg_peer_recv(&p, &synack));
        uint32_t ack = synack.seq + 1;
        struct seg s = to_stack(PEER_ISN + 1, ack, UM_TH_ACK | UM_TH_PSH);
        s.payload = (const uint8_t *)"hello";
        s.len = 5;
        seg_peer_send(&p, &s);
        seg_peer_send(&p, &(struct seg){.dport = PORT, .seq = PEER_ISN + 6, .flags = UM_TH_RST});
        seg_peer_run(&p, 1000000); /* the stack frees what it freed at the end of polls */
        int fd = um_accept(p.st, lfd, NULL, NULL);
        assert_true(fd >= 0);
        char buf[16];
        assert_int_equal(um_recv(p.st, fd, buf, sizeof(buf), 0), 5);
        assert_memory_equal(buf, "hello", 5);
        assert_int_equal(um_recv(p.st, fd, buf, sizeof(buf), 0), -1);
        assert_int_equal(errno, ECONNRESET);
        um_close(p.st, fd);
        um_close(p.st, lfd);
        seg_peer_close(&p);
}

int main(void)
{
        simtest_seed();
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fast_open_client_falls_back),
            cmocka_unit_test(test_reset_before_accept),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
