/* MPTCP between two umptcp stacks over emulated paths: one to four subflows, path failure
 * and return, loss on one path, fallback (a peer without MPTCP, options stripped by a
 * middlebox) and no fallback where none is due (first data lost, an IPv6 ADD_ADDR alone),
 * DSS checksums against a payload-rewriting middlebox, MP_FASTCLOSE, and a join
 * with a bad HMAC. Every transfer is verified end to end by SHA-256; the seed is printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <umptcp/mptcp.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include "core/stack.h"
#include "mptcp/mptcp.h"
#include "net/addr.h"
#include "net/checksum.h"
#include "pair.h"
#include "simtest.h"
#include "tcp_view.h"

#define MB (1024 * 1024)

/* What the client's socket said along the way. */
struct watch {
        uint32_t flags_seen, srv_flags_seen;
        int max_subflows;
        uint64_t cli_ctr_fastclose_tx, srv_ctr_fastclose_rx;
        uint64_t srv_rcvq_drops; /* TcpExtTCPRcvQDrop: data refused inside the window */
        int close_at_us;         /* the client aborts at this virtual time (0: never) */
        int closed;
        int srv_err;
};

static void on_step(void *arg, struct um_stack *cli, int cfd, struct um_stack *srv, int sfd,
                    uint64_t now)
{
        struct watch *w = arg;
        w->cli_ctr_fastclose_tx = um_counter_get(cli, "MPTcpExtMPFastcloseTx");
        w->srv_ctr_fastclose_rx = um_counter_get(srv, "MPTcpExtMPFastcloseRx");
        w->srv_rcvq_drops = um_counter_get(srv, "TcpExtTCPRcvQDrop");
        if (w->closed)
                return;
        struct mptcp_info mi;
        socklen_t l = sizeof(mi);
        if (um_getsockopt(cli, cfd, SOL_MPTCP, MPTCP_INFO, &mi, &l) == 0) {
                w->flags_seen |= mi.mptcpi_flags;
                if (mi.mptcpi_subflows_total > w->max_subflows)
                        w->max_subflows = mi.mptcpi_subflows_total;
        }
        l = sizeof(mi);
        if (sfd >= 0 && um_getsockopt(srv, sfd, SOL_MPTCP, MPTCP_INFO, &mi, &l) == 0)
                w->srv_flags_seen |= mi.mptcpi_flags;
        if (w->close_at_us && now >= (uint64_t)w->close_at_us && sfd >= 0) {
                struct linger lg = {.l_onoff = 1, .l_linger = 0};
                um_setsockopt(cli, cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
                um_shutdown(cli, cfd, SHUT_RD); /* keep the harness from reading an error */
                w->closed = 1;
                um_close(cli, cfd);
        }
}

static void print_paths(const struct um_sim_transfer_cfg *c, const struct um_sim_transfer_result *r)
{
        for (int k = 0; k <= c->n_more_paths; k++)
                printf("    path %d: %llu packets up, %llu down\n", k,
                       (unsigned long long)r->path_packets[k][0],
                       (unsigned long long)r->path_packets[k][1]);
}

static void run_ok(const char *name, struct um_sim_transfer_cfg *c,
                   struct um_sim_transfer_result *r)
{
        int ok = simtest_transfer(name, c, r);
        if (c->n_more_paths)
                print_paths(c, r);
        assert_true(ok);
        assert_int_equal(r->client_error, 0);
        assert_int_equal(r->server_error, 0);
}

static void test_one_subflow_both_ways(void **state)
{
        (void)state;
        struct watch w = {0};
        struct um_sim_transfer_cfg c = {.bytes = 8 * MB,
                                        .reverse_bytes = 4 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .path = simtest_path(100, 10),
                                        .on_step = on_step,
                                        .step_arg = &w};
        struct um_sim_transfer_result r;
        run_ok("mptcp 1 subflow, both ways", &c, &r);
        assert_true(w.flags_seen & MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED);
        assert_false(w.flags_seen & MPTCP_INFO_FLAG_FALLBACK);
}

static void test_two_equal_paths(void **state)
{
        (void)state;
        struct watch w = {0};
        struct um_sim_transfer_cfg c = {.bytes = 50 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .path = simtest_path(100, 10),
                                        .n_more_paths = 1,
                                        .on_step = on_step,
                                        .step_arg = &w};
        c.more_paths[0] = simtest_path(100, 10);
        struct um_sim_transfer_result r;
        run_ok("mptcp 2x100M/10ms, 50 MB", &c, &r);
        assert_int_equal(w.max_subflows, 2);
        /* Both paths carried a real share of the data. */
        assert_true(r.path_packets[0][0] > 50 * MB / 1500 / 4);
        assert_true(r.path_packets[1][0] > 50 * MB / 1500 / 4);
        printf("    aggregate goodput %.1f Mbit/s of 200\n", r.goodput_bps / 1e6);
}

static void test_four_different_paths(void **state)
{
        (void)state;
        struct watch w = {0};
        struct um_sim_transfer_cfg c = {.bytes = 50 * MB,
                                        .reverse_bytes = 2 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .path = simtest_path(40, 5),
                                        .n_more_paths = 3,
                                        .on_step = on_step,
                                        .step_arg = &w};
        c.more_paths[0] = simtest_path(20, 30);
        c.more_paths[1] = simtest_path(10, 50);
        c.more_paths[2] = simtest_path(30, 15);
        struct um_sim_transfer_result r;
        run_ok("mptcp 4 paths 40/20/10/30M", &c, &r);
        assert_int_equal(w.max_subflows, 4);
        for (int k = 0; k < 4; k++)
                assert_true(r.path_packets[k][0] > 1000);
}

static void test_path_down_and_back(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {.bytes = 40 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .path = simtest_path(50, 10),
                                        .n_more_paths = 1};
        c.more_paths[0] = simtest_path(50, 20);
        /* The first path dies for 2 s in both directions, then returns. */
        struct um_emu_outage o = {.start_us = 1000000, .end_us = 3000000};
        c.path.fwd.outages[0] = c.path.rev.outages[0] = o;
        c.path.fwd.n_outages = c.path.rev.n_outages = 1;
        struct um_sim_transfer_result r;
        run_ok("mptcp path 0 down 1-3 s", &c, &r);
        /* The data kept flowing on the other path: 40 MB at 50 Mbit/s alone takes 6.7 s. */
        assert_true(r.seconds < 12.0);
}

static void test_loss_on_one_path(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {.bytes = 20 * MB,
                                        .reverse_bytes = 1 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .path = simtest_path(50, 10),
                                        .n_more_paths = 1};
        c.more_paths[0] = simtest_path(50, 10);
        c.more_paths[0].fwd.loss = c.more_paths[0].rev.loss = 0.02;
        struct um_sim_transfer_result r;
        run_ok("mptcp 2% loss on path 1", &c, &r);
        assert_true(r.link_drops > 0);
}

static void test_peer_without_mptcp(void **state)
{
        (void)state;
        struct watch w = {0};
        struct um_sim_transfer_cfg c = {.bytes = 4 * MB,
                                        .reverse_bytes = 1 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .server_mptcp_disabled = 1,
                                        .path = simtest_path(100, 10),
                                        .on_step = on_step,
                                        .step_arg = &w};
        struct um_sim_transfer_result r;
        run_ok("mptcp -> server without", &c, &r);
        assert_true(w.flags_seen & MPTCP_INFO_FLAG_FALLBACK);
}

/* Issue 11 item 2: an application that closes with data still queued loses none of it, on
 * either side, whether the connection fell back to TCP or stayed MPTCP. A fallen-back
 * connection stopped pushing into its subflow once close() marked it closing: 262,144 of
 * 3 MB arrived (one subflow send buffer), then neither a FIN nor a reset. */
static void test_close_with_data_queued(void **state)
{
        (void)state;
        static const struct {
                const char *name;
                int fallback, reverse;
        } cases[] = {
            {"fallback, client closes", 1, 0},
            {"fallback, server closes", 1, 1},
            {"mptcp, client closes", 0, 0},
            {"mptcp, server closes", 0, 1},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct watch w = {0};
                struct um_sim_transfer_cfg c = {.protocol = IPPROTO_MPTCP,
                                                .server_mptcp_disabled = cases[i].fallback,
                                                .close_when_written = 1,
                                                .path = simtest_path(100, 10),
                                                .on_step = on_step,
                                                .step_arg = &w};
                if (cases[i].reverse)
                        c.reverse_bytes = 3 * MB;
                else
                        c.bytes = 3 * MB;
                struct um_sim_transfer_result r;
                run_ok(cases[i].name, &c, &r);
                /* The side that closes may do so in its first step: ask the other. */
                uint32_t flags = cases[i].reverse ? w.flags_seen : w.srv_flags_seen;
                assert_int_equal(!!(flags & MPTCP_INFO_FLAG_FALLBACK), cases[i].fallback);
        }
}

/* Found by the chaos run once it drew fallen-back connections: the peer's data and FIN all
 * arrived while the reader was away and the msk's 64 KiB buffer was full; the subflow then
 * closed (its own FIN acknowledged) and was released with the rest of the data still in its
 * TCP buffer: EOF came after 65,160 of 142,336 bytes. */
static void test_fallback_closed_with_unread_data(void **state)
{
        (void)state;
        struct um_sim_transfer_cfg c = {.bytes = 142336,
                                        .reverse_bytes = 262144,
                                        .protocol = IPPROTO_MPTCP,
                                        .server_mptcp_disabled = 1,
                                        .rcvbuf = 65536,
                                        .read_pause_until_us = 1000000,
                                        .path = simtest_path(50, 10)};
        struct um_sim_transfer_result r;
        run_ok("fallback, reader away at close", &c, &r);
}

/* Issue 11 item 12: data sequence numbers start 1 MiB below 2^64 on both ends and wrap
 * during the transfer. With plain unsigned comparisons nothing was delivered. */
static void near_wrap(void *arg, struct um_stack *cli, struct um_stack *srv)
{
        (void)arg;
        cli->mptcp->test_idsn_near_wrap = 1;
        srv->mptcp->test_idsn_near_wrap = 1;
}

struct wrap_watch {
        uint64_t first_una, last_una, last_rcv_nxt;
};

static void wrap_step(void *arg, struct um_stack *cli, int cfd, struct um_stack *srv, int sfd,
                      uint64_t now)
{
        (void)srv, (void)sfd, (void)now;
        struct wrap_watch *w = arg;
        struct mptcp_info mi;
        socklen_t l = sizeof(mi);
        if (um_getsockopt(cli, cfd, SOL_MPTCP, MPTCP_INFO, &mi, &l) < 0 || !mi.mptcpi_snd_una)
                return;
        if (!w->first_una)
                w->first_una = mi.mptcpi_snd_una;
        w->last_una = mi.mptcpi_snd_una;
        w->last_rcv_nxt = mi.mptcpi_rcv_nxt;
}

static void test_data_sequence_wraps(void **state)
{
        (void)state;
        for (int csum = 0; csum < 2; csum++) {
                struct wrap_watch w = {0};
                struct um_sim_transfer_cfg c = {.bytes = 6 * MB,
                                                .reverse_bytes = 3 * MB,
                                                .protocol = IPPROTO_MPTCP,
                                                .checksum = csum,
                                                .path = simtest_path(50, 10),
                                                .n_more_paths = 1,
                                                .on_setup = near_wrap,
                                                .on_step = wrap_step,
                                                .step_arg = &w};
                c.more_paths[0] = simtest_path(50, 20);
                struct um_sim_transfer_result r;
                run_ok(csum ? "DSN wraps, checksums" : "DSN wraps", &c, &r);
                printf("    client snd_una %#llx -> %#llx, rcv_nxt %#llx\n",
                       (unsigned long long)w.first_una, (unsigned long long)w.last_una,
                       (unsigned long long)w.last_rcv_nxt);
                assert_true(w.first_una > UINT64_MAX - (2u << 20)); /* started below 2^64 */
                assert_true(w.last_una < (16u << 20));              /* and went past it */
                assert_true(w.last_rcv_nxt < (16u << 20));
                assert_true(r.path_packets[1][0] > 100); /* both subflows carried data */
        }
}

/* Issue 11 item 5: small writes after idle times. The data-level retransmission timer ran
 * from the last DATA_ACK, not from when data went out again (RFC 6298 §5.1), so a write
 * after a pause longer than the timeout went out twice at once: 8-14 duplicates per run
 * against Linux (MPTcpExtDuplicateData). */
static void test_small_writes_after_idle(void **state)
{
        (void)state;
        struct pair p;
        struct um_emu_dir_config d = {.rate_bps = 10000000, .delay_us = 10000};
        assert_int_equal(pair_open_proto(&p, &d, &d, simtest_seed(), IPPROTO_MPTCP), 0);
        uint8_t out[1024], in[4096];
        uint64_t sent = 0, got = 0, sum_out = 0, sum_in = 0;
        for (int round = 0; round < 20; round++) {
                for (size_t i = 0; i < sizeof(out); i++)
                        out[i] = (uint8_t)(round * 31 + i);
                um_stack_advance(p.cli, p.now); /* an application waking up after the pause */
                assert_int_equal(um_send(p.cli, p.cfd, out, sizeof(out), 0), sizeof(out));
                sent += sizeof(out);
                for (size_t i = 0; i < sizeof(out); i++)
                        sum_out += out[i] * (i + 1);
                pair_run(&p, 300000); /* longer than the data-level timeout */
                ssize_t n;
                while ((n = um_recv(p.srv, p.sfd, in, sizeof(in), 0)) > 0) {
                        for (ssize_t i = 0; i < n; i++)
                                sum_in += in[i] * (uint64_t)((got + (uint64_t)i) % 1024 + 1);
                        got += (uint64_t)n;
                }
        }
        printf("    %llu bytes sent, %llu received; data-level retransmissions %llu, duplicates "
               "%llu\n",
               (unsigned long long)sent, (unsigned long long)got,
               (unsigned long long)um_counter_get(p.cli, "MPTcpExtMPTCPRetrans"),
               (unsigned long long)um_counter_get(p.srv, "MPTcpExtDuplicateData"));
        assert_int_equal(got, sent);
        assert_int_equal(sum_in, sum_out);
        assert_int_equal(um_counter_get(p.cli, "MPTcpExtMPTCPRetrans"), 0);
        assert_int_equal(um_counter_get(p.srv, "MPTcpExtDuplicateData"), 0);
        pair_close(&p);
}

/* A small receive buffer and a reader that starts late and reads in small pieces: the
 * shared window shuts and reopens on both subflows. A subflow must take everything inside
 * the window it announced, even when the data level has less room by then, and the sender
 * must not fill each sliver of window that opens with a tiny segment. */
struct seg_sizes {
        int data, tiny;
};

/* Counts client->server data segments, and those under 200 bytes. */
static int seg_size_box(void *arg, int dir, uint8_t *pkt, uint32_t *len, uint32_t cap)
{
        (void)cap;
        struct seg_sizes *z = arg;
        struct tcp_view v;
        if (dir == 0 && view(pkt, *len, &v) == 0 && v.plen) {
                z->data++;
                z->tiny += v.plen < 200;
        }
        return 1;
}

static void test_small_buffer_slow_reader(void **state)
{
        (void)state;
        struct seg_sizes z = {0, 0};
        struct watch w = {0};
        struct um_sim_transfer_cfg c = {.bytes = 8 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .path = simtest_path(50, 10),
                                        .n_more_paths = 1,
                                        .rcvbuf = 65536,
                                        .app_read_chunk = 4096,
                                        .read_pause_until_us = 500000,
                                        .middlebox = seg_size_box,
                                        .middlebox_arg = &z,
                                        .on_step = on_step,
                                        .step_arg = &w};
        c.more_paths[0] = simtest_path(50, 30);
        struct um_sim_transfer_result r;
        run_ok("small buffer, slow reader", &c, &r);
        printf("    data refused inside the window: %llu segments\n",
               (unsigned long long)w.srv_rcvq_drops);
        assert_int_equal(w.srv_rcvq_drops, 0);
        /* Silly window avoidance: slivers of window wait to grow into segments. */
        printf("    data segments: %d, under 200 bytes: %d\n", z.data, z.tiny);
        assert_true(z.tiny * 100 < z.data);
}

/* RFC 8684 §3.3.4: one receive window for the connection. Data sent on a slow path holds up
 * the data level while a fast path fills the window with out-of-order data, which no
 * single subflow's own buffer tuning sees. The window must keep both paths busy while a
 * segment on the slow path is lost and sent again: two of its round trips with its queue
 * full, at the rate of both paths. */
struct window_seen {
        unsigned wscale;
        uint64_t max_window; /* bytes, the largest any server subflow announced */
        int conn_rcvbuf;     /* the server connection's SO_RCVBUF */
        uint64_t srv_rcvq_drops;
};

static int window_box(void *arg, int dir, uint8_t *pkt, uint32_t *len, uint32_t cap)
{
        (void)cap;
        struct window_seen *ws = arg;
        struct tcp_view v;
        if (dir != 1 || view(pkt, *len, &v) < 0)
                return 1;
        if (v.flags & 0x02) { /* SYN/ACK: its window scale (RFC 7323 §2.2) */
                for (unsigned i = 0; i + 1 < v.optlen && v.opt[i] != 0;)
                        if (v.opt[i] == 1) {
                                i++;
                        } else {
                                if (v.opt[i] == 3 && i + 2 < v.optlen)
                                        ws->wscale = v.opt[i + 2];
                                i += v.opt[i + 1] ? v.opt[i + 1] : 1;
                        }
                return 1;
        }
        uint64_t wnd = (uint64_t)((v.tcp[14] << 8) | v.tcp[15]) << ws->wscale;
        if (wnd > ws->max_window)
                ws->max_window = wnd;
        return 1;
}

static void window_step(void *arg, struct um_stack *cli, int cfd, struct um_stack *srv, int sfd,
                        uint64_t now)
{
        (void)cli, (void)cfd, (void)now;
        struct window_seen *ws = arg;
        socklen_t l = sizeof(ws->conn_rcvbuf);
        if (sfd >= 0)
                um_getsockopt(srv, sfd, SOL_SOCKET, SO_RCVBUF, &ws->conn_rcvbuf, &l);
        ws->srv_rcvq_drops = um_counter_get(srv, "TcpExtTCPRcvQDrop");
}

static void test_one_window_for_all_subflows(void **state)
{
        (void)state;
        struct window_seen ws = {0};
        struct um_sim_transfer_cfg c = {.bytes = 16 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .path = simtest_path(10, 1),
                                        .n_more_paths = 1,
                                        .middlebox = window_box,
                                        .middlebox_arg = &ws,
                                        .on_step = window_step,
                                        .step_arg = &ws};
        c.more_paths[0] = simtest_path(3, 25);
        struct um_sim_transfer_result r;
        run_ok("one window, 10M/1ms + 3M/25ms", &c, &r);
        /* The emulated queue holds rate x delay + 64 KiB (link_emu.c). */
        double slow_rtt = 2 * 0.025 + (3e6 * 0.025 / 8 + 65536) * 8 / 3e6;
        uint64_t needed = (uint64_t)(13e6 / 8 * 2 * slow_rtt);
        printf("    largest window announced %llu (needed %llu) of the connection's %d bytes; "
               "%llu segments refused inside it\n",
               (unsigned long long)ws.max_window, (unsigned long long)needed, ws.conn_rcvbuf,
               (unsigned long long)ws.srv_rcvq_drops);
        fflush(stdout);
        assert_true(ws.max_window >= needed);
        assert_true(ws.max_window <= (uint64_t)ws.conn_rcvbuf);
        assert_int_equal(ws.srv_rcvq_drops, 0);
}

/* Issue 13: a subflow's buffer grows only when the buffer limited the window it announced.
 * Under a connection with SO_RCVBUF 64 KiB, the shared window caps every subflow's window
 * below its own buffer; the buffers used to double on every burst up to 16 MiB, and a
 * small echo then waited behind megabytes of ring. */
static void largest_subflow_buffer(void *arg, struct um_stack *cli, int cfd, struct um_stack *srv,
                                   int sfd, uint64_t now)
{
        (void)cli, (void)cfd, (void)now;
        uint32_t *largest = arg;
        struct mptcp_info mi;
        socklen_t l = sizeof(mi);
        if (sfd < 0 || um_getsockopt(srv, sfd, SOL_MPTCP, MPTCP_INFO, &mi, &l))
                return;
        struct mptcp_sock *msk = mptcp_token_lookup(srv->mptcp, mi.mptcpi_token);
        for (struct mptcp_subflow *sf = msk ? msk->subflows : NULL; sf; sf = sf->next)
                if (sf->tcp && um_tcp_rcvbuf_size(sf->tcp) > *largest)
                        *largest = um_tcp_rcvbuf_size(sf->tcp);
}

static void test_subflow_buffers_stay_under_a_small_connection_buffer(void **state)
{
        (void)state;
        uint32_t largest = 0;
        struct um_sim_transfer_cfg c = {.bytes = 4 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .rcvbuf = 65536,
                                        .path = simtest_path(50, 5),
                                        .n_more_paths = 1,
                                        .on_step = largest_subflow_buffer,
                                        .step_arg = &largest};
        c.more_paths[0] = simtest_path(50, 10);
        struct um_sim_transfer_result r;
        run_ok("SO_RCVBUF 64 KiB, 2 paths", &c, &r);
        printf("    largest subflow receive buffer %u bytes\n", largest);
        fflush(stdout);
        assert_true(largest > 0);
        assert_true(largest <= 4 * 65536);
}

/* The window shuts while the reader sleeps; the window updates it sends on waking are lost.
 * The sender, with nothing in flight at the data level, must still find the window open:
 * the subflow's TCP sees the same shut window and probes it (RFC 9293 §3.8.6.1). */
struct lost_update {
        uint64_t now;
        int dropped;
};

static void lost_update_step(void *arg, struct um_stack *cli, int cfd, struct um_stack *srv,
                             int sfd, uint64_t now)
{
        (void)cli, (void)cfd, (void)srv, (void)sfd;
        ((struct lost_update *)arg)->now = now;
}

static int lost_update_box(void *arg, int dir, uint8_t *pkt, uint32_t *len, uint32_t cap)
{
        (void)cap;
        struct lost_update *u = arg;
        struct tcp_view v;
        if (dir != 1 || u->now < 1000000 || u->now >= 1500000 || view(pkt, *len, &v) < 0 || v.plen)
                return 1;
        u->dropped++;
        return 0;
}

static void test_window_update_lost(void **state)
{
        (void)state;
        struct lost_update u = {0, 0};
        struct um_sim_transfer_cfg c = {.bytes = 2 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .path = simtest_path(50, 10),
                                        .rcvbuf = 65536,
                                        .read_pause_until_us = 1000000,
                                        .middlebox = lost_update_box,
                                        .middlebox_arg = &u,
                                        .on_step = lost_update_step,
                                        .step_arg = &u,
                                        .time_limit_us = 60000000};
        struct um_sim_transfer_result r;
        run_ok("window update lost", &c, &r);
        printf("    acknowledgements lost after the reader woke: %d\n", u.dropped);
        assert_true(u.dropped >= 1);
}

/* ---- middleboxes ---- */

/* Overwrites every kind-30 option with NOPs. Returns how many were removed. */
static int strip_mptcp(struct tcp_view *v)
{
        int n = 0, i;
        unsigned at = 0;
        while ((i = next_mptcp_option(v, &at)) >= 0) {
                memset(v->opt + i, 1, v->opt[i + 1]);
                n++;
        }
        if (n)
                fix_tcp_checksum(v);
        return n;
}

struct strip_cfg {
        int dir;      /* direction to act on */
        int syn_only; /* only SYN segments (the SYN/ACK) */
        int skip_syn; /* everything but SYN segments (third ACK and data) */
        int stripped;
};

static int strip_box(void *arg, int dir, uint8_t *pkt, uint32_t *len, uint32_t cap)
{
        (void)cap;
        struct strip_cfg *s = arg;
        struct tcp_view v;
        if (dir != s->dir || view(pkt, *len, &v) < 0)
                return 1;
        int syn = v.flags & 0x02;
        if ((s->syn_only && !syn) || (s->skip_syn && syn))
                return 1;
        s->stripped += strip_mptcp(&v);
        return 1;
}

/* A transfer through a middlebox that strips MP_CAPABLE: it must fall back and verify. */
static void run_stripped(const char *name, struct strip_cfg s)
{
        struct watch w = {0};
        struct um_sim_transfer_cfg c = {.bytes = 4 * MB,
                                        .reverse_bytes = 1 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .path = simtest_path(100, 10),
                                        .middlebox = strip_box,
                                        .middlebox_arg = &s,
                                        .on_step = on_step,
                                        .step_arg = &w};
        struct um_sim_transfer_result r;
        run_ok(name, &c, &r);
        assert_true(s.stripped >= 1);
        assert_true(w.flags_seen & MPTCP_INFO_FLAG_FALLBACK);
}

static void test_mp_capable_stripped_from_synack(void **state)
{
        (void)state;
        run_stripped("MP_CAPABLE stripped: SYN/ACK", (struct strip_cfg){.dir = 1, .syn_only = 1});
}

static void test_mp_capable_stripped_from_third_ack_and_data(void **state)
{
        (void)state;
        run_stripped("MP_CAPABLE stripped: ACK+data", (struct strip_cfg){.dir = 0, .skip_syn = 1});
}

/* Makes each side's first sight of the other's data a segment from the middle of the first
 * mapping, which carries no DSS: client->server loses the third ACK and the first data
 * segment; server->client loses the first data segment and the pure ACKs before the next
 * one. Out-of-order data is no sign of a middlebox, so neither side may fall back. */
struct first_data_cfg {
        int dropped_data[2], dropped_ack[2], later_data_seen[2];
};

static int drop_first_data_box(void *arg, int dir, uint8_t *pkt, uint32_t *len, uint32_t cap)
{
        (void)cap;
        struct first_data_cfg *f = arg;
        struct tcp_view v;
        if (view(pkt, *len, &v) < 0 || (v.flags & 0x02) || f->later_data_seen[dir])
                return 1;
        if (v.plen) {
                if (f->dropped_data[dir]) {
                        f->later_data_seen[dir] = 1;
                        return 1;
                }
                f->dropped_data[dir] = 1;
                return 0;
        }
        if (dir == 1 || !f->dropped_ack[0]) {
                f->dropped_ack[dir]++;
                return 0;
        }
        return 1;
}

static void test_first_data_lost_no_fallback(void **state)
{
        (void)state;
        struct first_data_cfg f;
        memset(&f, 0, sizeof(f));
        struct watch w = {0};
        struct um_sim_transfer_cfg c = {.bytes = 4 * MB,
                                        .reverse_bytes = 1 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .path = simtest_path(100, 10),
                                        .middlebox = drop_first_data_box,
                                        .middlebox_arg = &f,
                                        .on_step = on_step,
                                        .step_arg = &w};
        struct um_sim_transfer_result r;
        run_ok("first data lost both ways", &c, &r);
        assert_true(f.dropped_data[0] && f.dropped_data[1] && f.dropped_ack[0]);
        assert_true(f.later_data_seen[0] && f.later_data_seen[1]);
        assert_false(w.flags_seen & MPTCP_INFO_FLAG_FALLBACK);
}

static int carries_dss(const struct tcp_view *v)
{
        unsigned at = 0;
        int i;
        while ((i = next_mptcp_option(v, &at)) >= 0)
                if (v->opt[i + 2] >> 4 == 2)
                        return 1;
        return 0;
}

/* Drops the client's third ACK (its first segment after the SYNs) and the server's first
 * segment with a DSS (its acknowledgement of the first data). */
static int drop_third_ack_box(void *arg, int dir, uint8_t *pkt, uint32_t *len, uint32_t cap)
{
        (void)cap;
        int *dropped = arg;
        struct tcp_view v;
        if ((*dropped & (1 << dir)) || view(pkt, *len, &v) < 0 || (v.flags & 0x02) ||
            (dir == 1 && !carries_dss(&v)))
                return 1;
        *dropped |= 1 << dir;
        return 0;
}

/* An IPv6 ADD_ADDR with its HMAC fills the option space: it travels alone on a pure ACK.
 * With the third ACK lost, the server learns the keys from the first data and announces at
 * once; with its first acknowledgement lost too, the client's first acknowledgement of data
 * is the ADD_ADDR, without a DSS. It must confirm the handshake rather than look like a
 * stripped one. */
static void test_ipv6_announcement_first(void **state)
{
        (void)state;
        int dropped = 0;
        struct watch w = {0};
        struct um_sim_transfer_cfg c = {.bytes = 4 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .ipv6 = 1,
                                        .server_signal = 1,
                                        .path = simtest_path(100, 10),
                                        .n_more_paths = 1,
                                        .middlebox = drop_third_ack_box,
                                        .middlebox_arg = &dropped,
                                        .on_step = on_step,
                                        .step_arg = &w};
        c.more_paths[0] = simtest_path(100, 10);
        struct um_sim_transfer_result r;
        run_ok("IPv6 ADD_ADDR before any DSS", &c, &r);
        assert_int_equal(dropped, 3);
        assert_false(w.flags_seen & MPTCP_INFO_FLAG_FALLBACK);
        assert_int_equal(w.max_subflows, 2);
        assert_true(r.path_packets[1][0] > 100);
}

/* Flips one payload byte of the n-th data segment client->server, fixing the TCP checksum
 * as a rewriting middlebox would: only the DSS checksum can notice. Then loses the first
 * segment that carries the sender's infinite mapping. */
struct rewrite_cfg {
        int countdown, done;
        int infinite_dropped; /* the first segment with the infinite mapping was lost */
};

/* Whether the segment carries a DSS mapping of data-level length 0 (an infinite one). */
static int has_infinite_mapping(const struct tcp_view *v)
{
        int i;
        unsigned at = 0;
        while ((i = next_mptcp_option(v, &at)) >= 0) {
                const uint8_t *o = v->opt + i;
                if ((o[2] >> 4) != 2 || !(o[3] & 0x04))
                        continue;
                unsigned off = 4 + ((o[3] & 0x01) ? ((o[3] & 0x02) ? 8 : 4) : 0);
                off += ((o[3] & 0x08) ? 8 : 4) + 4;
                if (off + 2 <= o[1] && o[off] == 0 && o[off + 1] == 0)
                        return 1;
        }
        return 0;
}

static int rewrite_box(void *arg, int dir, uint8_t *pkt, uint32_t *len, uint32_t cap)
{
        (void)cap;
        struct rewrite_cfg *rw = arg;
        struct tcp_view v;
        if (dir != 0 || view(pkt, *len, &v) < 0)
                return 1;
        if (rw->done && !rw->infinite_dropped && has_infinite_mapping(&v)) {
                rw->infinite_dropped = 1;
                return 0;
        }
        if (rw->done || v.plen < 100)
                return 1;
        if (--rw->countdown > 0)
                return 1;
        v.payload[50] ^= 0x5a;
        fix_tcp_checksum(&v);
        rw->done = 1;
        return 1;
}

static void test_payload_rewritten_with_checksums(void **state)
{
        (void)state;
        struct rewrite_cfg rw = {.countdown = 300};
        struct watch w = {0};
        struct um_sim_transfer_cfg c = {.bytes = 4 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .checksum = 1,
                                        .path = simtest_path(50, 10),
                                        .middlebox = rewrite_box,
                                        .middlebox_arg = &rw,
                                        .on_step = on_step,
                                        .step_arg = &w};
        struct um_sim_transfer_result r;
        /* One subflow: MP_FAIL, the infinite mapping, and plain TCP from there on. */
        run_ok("payload rewritten, checksums", &c, &r);
        assert_true(rw.done);
        assert_true(rw.infinite_dropped); /* and its retransmission carried it again */
        assert_true(w.flags_seen & MPTCP_INFO_FLAG_FALLBACK);
}

/* Corrupts the HMAC of every MP_JOIN third ACK (the 24-byte form). */
static int bad_join_hmac_box(void *arg, int dir, uint8_t *pkt, uint32_t *len, uint32_t cap)
{
        (void)cap;
        int *hits = arg;
        struct tcp_view v;
        if (dir != 0 || view(pkt, *len, &v) < 0)
                return 1;
        int i;
        unsigned at = 0;
        while ((i = next_mptcp_option(&v, &at)) >= 0)
                if (v.opt[i + 1] == 24 && (v.opt[i + 2] >> 4) == 1) {
                        v.opt[i + 10] ^= 0xff;
                        fix_tcp_checksum(&v);
                        (*hits)++;
                }
        return 1;
}

static void test_join_with_bad_hmac_refused(void **state)
{
        (void)state;
        int hits = 0;
        struct watch w = {0};
        struct um_sim_transfer_cfg c = {.bytes = 4 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .path = simtest_path(50, 10),
                                        .n_more_paths = 1,
                                        .middlebox = bad_join_hmac_box,
                                        .middlebox_arg = &hits,
                                        .on_step = on_step,
                                        .step_arg = &w};
        c.more_paths[0] = simtest_path(50, 10);
        struct um_sim_transfer_result r;
        run_ok("join with a bad HMAC", &c, &r);
        assert_true(hits >= 1);
        /* The join was refused by a reset; the data all went over the first path. */
        assert_true(r.path_packets[1][0] < 20);
        assert_true(r.path_packets[0][0] > 4 * MB / 1500);
}

static void test_fastclose(void **state)
{
        (void)state;
        struct watch w = {.close_at_us = 500000};
        struct um_sim_transfer_cfg c = {.bytes = 20 * MB,
                                        .protocol = IPPROTO_MPTCP,
                                        .path = simtest_path(50, 10),
                                        .on_step = on_step,
                                        .step_arg = &w,
                                        .time_limit_us = 5000000};
        struct um_sim_transfer_result r;
        simtest_transfer("client aborts (fastclose)", &c, &r);
        assert_true(w.closed);
        /* The server learnt of the abort at once, from MP_FASTCLOSE. */
        printf("    fastclose: %llu sent, %llu received\n",
               (unsigned long long)w.cli_ctr_fastclose_tx,
               (unsigned long long)w.srv_ctr_fastclose_rx);
        assert_true(w.cli_ctr_fastclose_tx >= 1);
        assert_true(w.srv_ctr_fastclose_rx >= 1);
        assert_false(r.completed);
        assert_true(r.seconds < 1.0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_one_subflow_both_ways),
            cmocka_unit_test(test_two_equal_paths),
            cmocka_unit_test(test_four_different_paths),
            cmocka_unit_test(test_path_down_and_back),
            cmocka_unit_test(test_loss_on_one_path),
            cmocka_unit_test(test_peer_without_mptcp),
            cmocka_unit_test(test_close_with_data_queued),
            cmocka_unit_test(test_small_writes_after_idle),
            cmocka_unit_test(test_data_sequence_wraps),
            cmocka_unit_test(test_fallback_closed_with_unread_data),
            cmocka_unit_test(test_small_buffer_slow_reader),
            cmocka_unit_test(test_one_window_for_all_subflows),
            cmocka_unit_test(test_subflow_buffers_stay_under_a_small_connection_buffer),
            cmocka_unit_test(test_window_update_lost),
            cmocka_unit_test(test_mp_capable_stripped_from_synack),
            cmocka_unit_test(test_mp_capable_stripped_from_third_ack_and_data),
            cmocka_unit_test(test_first_data_lost_no_fallback),
            cmocka_unit_test(test_ipv6_announcement_first),
            cmocka_unit_test(test_payload_rewritten_with_checksums),
            cmocka_unit_test(test_join_with_bad_hmac_refused),
            cmocka_unit_test(test_fastclose),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
