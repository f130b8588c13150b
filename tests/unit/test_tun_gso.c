/* The TUN driver's segmentation offload (src/link/tun_gso.c): runs of segments joined into
 * a super-packet and split again give back the same segments byte for byte; the
 * super-packet's partial checksum completes to a valid one; runs break where the kernel
 * could not cut the same segments back out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "core/bytes.h"
#include "core/csum.h"
#include "link/tun_gso.h"

enum { MSS = 1448, TS_LEN = 12, MAXSEG = 1600 };

struct flow {
        int v6;
        uint16_t sport, dport;
        uint32_t tsval;
};

/* A segment of the flow as the stack sends it: timestamps, valid checksums. */
static size_t make_seg(const struct flow *f, uint8_t *out, uint32_t seq, uint16_t id,
                       const uint8_t *payload, size_t n, uint8_t flags)
{
        size_t l4 = f->v6 ? 40 : 20, th = 20 + TS_LEN, len = l4 + th + n;
        memset(out, 0, l4 + th);
        if (f->v6) {
                out[0] = 0x60;
                um_put_be16(out + 4, (uint16_t)(th + n));
                out[6] = 6;
                out[7] = 64;
                out[23] = 1; /* 2001:db8::1 -> 2001:db8::2, roughly */
                out[8] = 0x20, out[9] = 0x01, out[10] = 0x0d, out[11] = 0xb8;
                out[24] = 0x20, out[25] = 0x01, out[26] = 0x0d, out[27] = 0xb8;
                out[39] = 2;
        } else {
                out[0] = 0x45;
                um_put_be16(out + 2, (uint16_t)len);
                um_put_be16(out + 4, id);
                out[6] = 0x40; /* DF */
                out[8] = 64;
                out[9] = 6;
                uint8_t addrs[8] = {10, 1, 1, 2, 10, 1, 1, 1};
                memcpy(out + 12, addrs, 8);
                uint16_t c = um_csum(out, 20);
                memcpy(out + 10, &c, 2);
        }
        uint8_t *t = out + l4;
        um_put_be16(t, f->sport);
        um_put_be16(t + 2, f->dport);
        um_put_be32(t + 4, seq);
        um_put_be32(t + 8, 777);
        t[12] = (uint8_t)((th / 4) << 4);
        t[13] = flags;
        um_put_be16(t + 14, 500);
        uint8_t ts[TS_LEN] = {1, 1, 8, 10};
        um_put_be32(ts + 4, f->tsval);
        um_put_be32(ts + 8, 4242);
        memcpy(t + 20, ts, TS_LEN);
        memcpy(t + th, payload, n);
        uint8_t tail[8] = {0};
        uint64_t sum;
        if (f->v6) {
                um_put_be32(tail, (uint32_t)(th + n));
                tail[7] = 6;
                sum = um_csum_add(um_csum_add(0, out + 8, 32), tail, 8);
        } else {
                tail[1] = 6;
                um_put_be16(tail + 2, (uint16_t)(th + n));
                sum = um_csum_add(um_csum_add(0, out + 12, 8), tail, 4);
        }
        uint16_t c = um_csum_fold(um_csum_add(sum, t, th + n));
        memcpy(t + 16, &c, 2);
        return len;
}

static uint8_t segs[48][MAXSEG];
static struct iovec iov[48];
static uint8_t payload[48 * MSS];

/* n segments from seq 1000, the last `last` bytes long with PSH. */
static void make_run(const struct flow *f, int n, size_t last)
{
        for (size_t i = 0; i < sizeof(payload); i++)
                payload[i] = (uint8_t)(i * 13 + 5);
        for (int i = 0; i < n; i++) {
                size_t len = i == n - 1 ? last : MSS;
                uint8_t flags = i == n - 1 ? 0x18 : 0x10;
                iov[i].iov_base = segs[i];
                iov[i].iov_len = make_seg(f, segs[i], 1000 + (uint32_t)i * MSS, (uint16_t)(7 + i),
                                          payload + (size_t)i * MSS, len, flags);
        }
}

/* Joins iov[0..n) as the driver writes it, then cuts it as the kernel would. */
static void round_trip(int n)
{
        static uint8_t super[TUN_GSO_MAX + 100], out[MAXSEG];
        struct tun_vnet_hdr vh;
        size_t h = tun_gso_header(iov, n, super, &vh);
        size_t len = h;
        for (int i = 0; i < n; i++) {
                memcpy(super + len, (uint8_t *)iov[i].iov_base + h, iov[i].iov_len - h);
                len += iov[i].iov_len - h;
        }
        assert_int_equal(vh.flags, TUN_VNET_NEEDS_CSUM);
        assert_int_equal(um_get_le16(&vh.gso_size), iov[0].iov_len - h);
        assert_int_equal(um_get_le16(&vh.hdr_len), h);
        for (int k = 0; k < n; k++) {
                size_t m = tun_gso_segment(super, len, um_get_le16(&vh.gso_size), (unsigned)k, out,
                                           sizeof(out), 1);
                assert_int_equal(m, iov[k].iov_len);
                assert_memory_equal(out, iov[k].iov_base, m);
        }
        assert_int_equal(tun_gso_segment(super, len, um_get_le16(&vh.gso_size), (unsigned)n, out,
                                         sizeof(out), 1),
                         0);
        /* The partial checksum completes to one that is valid over the whole. */
        size_t l4 = um_get_le16(&vh.csum_start);
        assert_int_equal(tun_csum_complete(super, len, (uint16_t)l4, 16), 0);
        uint8_t tail[8] = {0};
        uint64_t sum;
        if (super[0] >> 4 == 6) {
                um_put_be32(tail, (uint32_t)(len - l4));
                tail[7] = 6;
                sum = um_csum_add(um_csum_add(0, super + 8, 32), tail, 8);
        } else {
                tail[1] = 6;
                um_put_be16(tail + 2, (uint16_t)(len - l4));
                sum = um_csum_add(um_csum_add(0, super + 12, 8), tail, 4);
                assert_int_equal(um_csum(super, 20), 0);
                assert_int_equal(um_get_be16(super + 2), len);
        }
        assert_int_equal(um_csum_fold(um_csum_add(sum, super + l4, len - l4)), 0);
}

static void test_join_then_split_gives_the_segments_back(void **state)
{
        (void)state;
        struct flow f = {.sport = 40000, .dport = 5001, .tsval = 99};
        make_run(&f, 6, 500);
        assert_int_equal(tun_gso_run(iov, 6), 6);
        round_trip(6);
        f.v6 = 1;
        make_run(&f, 4, MSS);
        assert_int_equal(tun_gso_run(iov, 4), 4);
        round_trip(4);
}

static void test_runs_stop_where_segments_differ(void **state)
{
        (void)state;
        struct flow f = {.sport = 40000, .dport = 5001, .tsval = 99};
        /* At most 65,535 bytes: 45 full segments and their headers. */
        make_run(&f, 48, MSS);
        int run = tun_gso_run(iov, 48);
        assert_true(run >= 2 && 52 + (size_t)run * MSS <= TUN_GSO_MAX &&
                    52 + (size_t)(run + 1) * MSS > TUN_GSO_MAX);
        round_trip(run);
        /* A gap in sequence numbers. */
        make_run(&f, 4, MSS);
        um_put_be32(segs[2] + 24, 1000 + 3 * MSS);
        assert_int_equal(tun_gso_run(iov, 4), 2);
        /* Different options (a newer timestamp). */
        make_run(&f, 4, MSS);
        struct flow g = f;
        g.tsval = 100;
        iov[2].iov_len = make_seg(&g, segs[2], 1000 + 2 * MSS, 9, payload, MSS, 0x10);
        assert_int_equal(tun_gso_run(iov, 4), 2);
        /* Another flow. */
        make_run(&f, 4, MSS);
        g = f;
        g.sport = 40001;
        iov[1].iov_len = make_seg(&g, segs[1], 1000 + MSS, 8, payload, MSS, 0x10);
        assert_int_equal(tun_gso_run(iov, 4), 1);
        /* A short segment ends a run; a FIN or a pushed first segment goes alone. */
        make_run(&f, 4, MSS);
        iov[1].iov_len = make_seg(&f, segs[1], 1000 + MSS, 8, payload, 100, 0x10);
        assert_int_equal(tun_gso_run(iov, 4), 2);
        make_run(&f, 4, MSS);
        iov[0].iov_len = make_seg(&f, segs[0], 1000, 7, payload, MSS, 0x11);
        assert_int_equal(tun_gso_run(iov, 4), 1);
        make_run(&f, 4, MSS);
        iov[0].iov_len = make_seg(&f, segs[0], 1000, 7, payload, MSS, 0x18);
        assert_int_equal(tun_gso_run(iov, 4), 1);
        /* A bare ACK has nothing to join. */
        iov[0].iov_len = make_seg(&f, segs[0], 1000, 7, payload, 0, 0x10);
        assert_int_equal(tun_gso_run(iov, 4), 1);
}

static void test_what_is_not_plain_tcp_is_refused(void **state)
{
        (void)state;
        struct flow f = {.sport = 1, .dport = 2};
        uint8_t p[MAXSEG], out[MAXSEG];
        size_t len = make_seg(&f, p, 1, 1, payload, 100, 0x10), l4, th;
        assert_int_equal(tun_tcp_offsets(p, len, &l4, &th), 0);
        assert_int_equal(l4, 20);
        assert_int_equal(th, 32);
        for (size_t cut = 0; cut < 52; cut++)
                assert_int_equal(tun_tcp_offsets(p, cut, &l4, &th), -1);
        p[0] = 0x46; /* IP options */
        assert_int_equal(tun_tcp_offsets(p, len, &l4, &th), -1);
        p[0] = 0x45;
        p[6] = 0x20; /* more fragments */
        assert_int_equal(tun_tcp_offsets(p, len, &l4, &th), -1);
        p[6] = 0x40;
        p[9] = 17; /* UDP */
        assert_int_equal(tun_tcp_offsets(p, len, &l4, &th), -1);
        assert_int_equal(tun_gso_segment(p, len, 50, 0, out, sizeof(out), 1), 0);
        p[9] = 6;
        p[32] = 0xf0; /* data offset past the end */
        assert_int_equal(tun_tcp_offsets(p, 60, &l4, &th), -1);
        p[32] = 0x80;
        assert_int_equal(tun_gso_segment(p, len, 0, 0, out, sizeof(out), 1), 0);
        assert_int_equal(tun_gso_segment(p, len, 50, 0, out, 60, 1), 0);
        assert_int_equal(tun_gso_segment(p, len, 50, 1, out, sizeof(out), 1), 102);
        assert_int_equal(tun_gso_segment(p, len, 50, 2, out, sizeof(out), 1), 0);
        assert_int_equal(tun_csum_complete(p, len, (uint16_t)len, 16), -1);
}

/* Which packets from the kernel need no checksum check: TCP whose checksum was left to
 * offload at the TCP checksum field, or that the kernel marked checked; not a packet
 * without either flag, not offsets elsewhere, not another protocol. Segments cut without
 * a checksum keep the field as it was and differ from the checksummed ones only there. */
static void test_which_checksums_are_trusted(void **state)
{
        (void)state;
        struct flow f = {.sport = 1, .dport = 2};
        uint8_t p[MAXSEG], a[MAXSEG], b[MAXSEG];
        size_t len = make_seg(&f, p, 1, 1, payload, 100, 0x10);
        struct tun_vnet_hdr vh = {.flags = TUN_VNET_NEEDS_CSUM};
        um_put_le16(&vh.csum_start, 20);
        um_put_le16(&vh.csum_offset, 16);
        assert_true(tun_csum_trusted(p, len, &vh));
        um_put_le16(&vh.csum_offset, 6);
        assert_false(tun_csum_trusted(p, len, &vh));
        um_put_le16(&vh.csum_offset, 16);
        um_put_le16(&vh.csum_start, 24);
        assert_false(tun_csum_trusted(p, len, &vh));
        vh.flags = TUN_VNET_DATA_VALID;
        assert_true(tun_csum_trusted(p, len, &vh));
        vh.flags = 0;
        assert_false(tun_csum_trusted(p, len, &vh));
        vh.flags = TUN_VNET_DATA_VALID;
        p[9] = 17; /* UDP */
        assert_false(tun_csum_trusted(p, len, &vh));
        p[9] = 6;
        p[20 + 16] ^= 0x5a; /* a checksum nobody filled in */
        size_t m = tun_gso_segment(p, len, 50, 1, a, sizeof(a), 0);
        assert_int_equal(tun_gso_segment(p, len, 50, 1, b, sizeof(b), 1), m);
        assert_int_equal(a[20 + 16], p[20 + 16]);
        a[20 + 16] = b[20 + 16], a[20 + 17] = b[20 + 17];
        assert_memory_equal(a, b, m);
}

/* A super-packet of n segments (make_run's) as the kernel hands one over without either
 * flag: its TCP checksum complete over all of it. */
static size_t make_super(const struct flow *f, int n, size_t last, uint8_t *super,
                         struct tun_vnet_hdr *vh)
{
        make_run(f, n, last);
        size_t h = tun_gso_header(iov, n, super, vh), len = h;
        for (int i = 0; i < n; i++) {
                memcpy(super + len, (uint8_t *)iov[i].iov_base + h, iov[i].iov_len - h);
                len += iov[i].iov_len - h;
        }
        assert_int_equal(tun_csum_complete(super, len, um_get_le16(&vh->csum_start), 16), 0);
        vh->flags = 0;
        return len;
}

/* Whether a TCP segment's checksum verifies, as the stack checks one not marked valid. */
static int tcp_csum_verifies(const uint8_t *p, size_t len)
{
        size_t l4 = p[0] >> 4 == 6 ? 40 : 20;
        uint8_t tail[8] = {0};
        uint64_t sum;
        if (l4 == 40) {
                um_put_be32(tail, (uint32_t)(len - l4));
                tail[7] = 6;
                sum = um_csum_add(um_csum_add(0, p + 8, 32), tail, 8);
        } else {
                tail[1] = 6;
                um_put_be16(tail + 2, (uint16_t)(len - l4));
                sum = um_csum_add(um_csum_add(0, p + 12, 8), tail, 4);
        }
        return um_csum_fold(um_csum_add(sum, p + l4, len - l4)) == 0;
}

/* How many segments of what tun_rx_take accepted the stack would take as good: marked
 * valid, or with a checksum that verifies. */
static int taken_as_good(const uint8_t *super, size_t len, const struct tun_rx *rx)
{
        uint8_t out[MAXSEG];
        int good = 0;
        for (unsigned k = 0; k < rx->segments; k++) {
                size_t m =
                    tun_gso_segment(super, len, rx->gso_size, k, out, sizeof(out), rx->fill_csum);
                assert_true(m > 0);
                good += rx->csum_valid || tcp_csum_verifies(out, m);
        }
        return good;
}

/* A super-packet without NEEDS_CSUM or DATA_VALID: nothing vouches for its bytes, and its
 * checksum covers all of them. Intact, it is cut into the segments it was made of; with a
 * byte changed, it is dropped and counted, not cut into segments with fresh checksums
 * that would verify (issue 22, item 8). */
static void test_super_packet_checksum_is_verified_when_not_vouched_for(void **state)
{
        (void)state;
        static uint8_t super[TUN_GSO_MAX + 100];
        struct flow f = {.sport = 40000, .dport = 5001, .tsval = 99};
        for (int v6 = 0; v6 <= 1; v6++) {
                f.v6 = v6;
                struct tun_vnet_hdr vh;
                size_t len = make_super(&f, 5, 700, super, &vh);
                struct um_tun_stats st = {0};
                struct tun_rx rx;
                assert_int_equal(tun_rx_take(super, len, &vh, MAXSEG, &st, &rx), 0);
                assert_int_equal(rx.gso_size, MSS);
                assert_int_equal(rx.segments, 5);
                assert_int_equal(st.rx_super, 1);
                assert_int_equal(st.rx_dropped, 0);
                uint8_t out[MAXSEG];
                for (unsigned k = 0; k < rx.segments; k++) {
                        size_t m = tun_gso_segment(super, len, rx.gso_size, k, out, sizeof(out),
                                                   rx.fill_csum);
                        assert_int_equal(m, iov[k].iov_len);
                        assert_memory_equal(out, iov[k].iov_base, m);
                }
                super[len - 300] ^= 0x40; /* in the last segment's payload */
                int took = tun_rx_take(super, len, &vh, MAXSEG, &st, &rx);
                if (took == 0)
                        assert_int_equal(taken_as_good(super, len, &rx), 0);
                assert_int_equal(took, -1);
                assert_int_equal(st.rx_bad_csum, 1);
                assert_int_equal(st.rx_dropped, 1);
                /* The kernel's word is taken: DATA_VALID, or NEEDS_CSUM at the TCP
                 * checksum (whose field then holds the pseudo-header's sum only). */
                vh.flags = TUN_VNET_DATA_VALID;
                assert_int_equal(tun_rx_take(super, len, &vh, MAXSEG, &st, &rx), 0);
                assert_true(rx.csum_valid);
                assert_false(rx.fill_csum);
        }
}

/* NEEDS_CSUM on a super-packet counts only at the TCP checksum, as tun_csum_trusted
 * requires of a single packet: elsewhere, its segments are neither trusted nor cut. */
static void test_super_packet_checksum_offsets_are_checked(void **state)
{
        (void)state;
        static uint8_t super[TUN_GSO_MAX + 100];
        struct flow f = {.sport = 40000, .dport = 5001, .tsval = 99};
        struct tun_vnet_hdr vh;
        size_t len = make_super(&f, 3, MSS, super, &vh);
        struct um_tun_stats st = {0};
        struct tun_rx rx;
        vh.flags = TUN_VNET_NEEDS_CSUM;
        assert_int_equal(tun_rx_take(super, len, &vh, MAXSEG, &st, &rx), 0);
        assert_true(rx.csum_valid);
        assert_false(rx.fill_csum);
        const uint16_t bad[][2] = {{20, 6}, {24, 16}, {0, 16}, {20, 17}};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                um_put_le16(&vh.csum_start, bad[i][0]);
                um_put_le16(&vh.csum_offset, bad[i][1]);
                int took = tun_rx_take(super, len, &vh, MAXSEG, &st, &rx);
                if (took == 0)
                        assert_false(rx.csum_valid);
                assert_int_equal(took, -1);
                assert_int_equal(st.rx_bad_csum_offsets, i + 1);
        }
        assert_int_equal(st.rx_dropped, 4);
        /* A single packet with offsets elsewhere has that checksum completed, and the
         * stack checks its own; offsets outside it drop it, counted. */
        uint8_t p[MAXSEG];
        size_t plen = make_seg(&f, p, 1, 1, payload, 100, 0x10);
        struct tun_vnet_hdr one = {.flags = TUN_VNET_NEEDS_CSUM};
        um_put_le16(&one.csum_start, 24);
        um_put_le16(&one.csum_offset, 16);
        assert_int_equal(tun_rx_take(p, plen, &one, MAXSEG, &st, &rx), 0);
        assert_int_equal(rx.gso_size, 0);
        assert_false(rx.csum_valid);
        um_put_le16(&one.csum_start, (uint16_t)plen);
        assert_int_equal(tun_rx_take(p, plen, &one, MAXSEG, &st, &rx), -1);
        assert_int_equal(st.rx_bad_csum_offsets, 5);
        assert_int_equal(st.rx_dropped, 5);
}

/* Every drop has its counter: no segment size, segments or packets past a frame, a
 * super-packet the split cannot read, one of another protocol. */
static void test_every_drop_is_counted(void **state)
{
        (void)state;
        static uint8_t super[TUN_GSO_MAX + 100];
        struct flow f = {.sport = 40000, .dport = 5001, .tsval = 99};
        struct tun_vnet_hdr vh;
        size_t len = make_super(&f, 3, MSS, super, &vh);
        struct um_tun_stats st = {0};
        struct tun_rx rx;
        vh.flags = TUN_VNET_DATA_VALID;
        um_put_le16(&vh.gso_size, 0);
        assert_int_equal(tun_rx_take(super, len, &vh, MAXSEG, &st, &rx), -1);
        assert_int_equal(st.rx_gso_size_zero, 1);
        um_put_le16(&vh.gso_size, MSS);
        /* 52 bytes of headers and 1448 of payload do not fit 1400. */
        assert_int_equal(tun_rx_take(super, len, &vh, 1400, &st, &rx), -1);
        assert_int_equal(st.rx_too_big, 1);
        assert_int_equal(tun_rx_take(super, len, &vh, 52 + MSS, &st, &rx), 0);
        assert_int_equal(rx.segments, 3);
        /* A single packet past a frame. */
        struct tun_vnet_hdr one = {.flags = TUN_VNET_DATA_VALID};
        assert_int_equal(tun_rx_take(super, 1401, &one, 1400, &st, &rx), -1);
        assert_int_equal(st.rx_too_big, 2);
        /* UDP's segmentation, and a TCP one with IP options. */
        vh.gso_type = 3;
        assert_int_equal(tun_rx_take(super, len, &vh, MAXSEG, &st, &rx), -1);
        assert_int_equal(st.rx_gso_unknown, 1);
        vh.gso_type = TUN_VNET_GSO_TCPV4 | TUN_VNET_GSO_ECN;
        super[0] = 0x46;
        assert_int_equal(tun_rx_take(super, len, &vh, MAXSEG, &st, &rx), -1);
        assert_int_equal(st.rx_gso_not_tcp, 1);
        assert_int_equal(st.rx_dropped, 5);
        assert_int_equal(st.rx_super, 4); /* read: all but UDP's */
}

/* Pure ACKs of one flow in one batch: an earlier one goes only when a later one says all
 * it said. */
static void test_ack_superseded_only_when_nothing_is_lost(void **state)
{
        (void)state;
        struct flow f = {.sport = 5001, .dport = 40000, .tsval = 7};
        uint8_t a[MAXSEG], b[MAXSEG];
        struct iovec ia = {a, make_seg(&f, a, 500, 1, payload, 0, 0x10)};
        struct iovec ib = {b, make_seg(&f, b, 500, 2, payload, 0, 0x10)};
        uint8_t *ack_b = b + 20 + 8;
        um_put_be32(ack_b, 777 + 2 * MSS);
        assert_int_equal(tun_ack_superseded(&ia, &ib), 1);
        assert_int_equal(tun_ack_superseded(&ib, &ia), 0); /* acknowledges less */
        um_put_be32(ack_b, 777);
        assert_int_equal(tun_ack_superseded(&ia, &ib), 0); /* a duplicate ACK stays */
        um_put_be32(ack_b, 777 + 2 * MSS);
        um_put_be32(a + 20 + 4, 499); /* another sequence number */
        assert_int_equal(tun_ack_superseded(&ia, &ib), 0);
        um_put_be32(a + 20 + 4, 500);
        a[20 + 20 + 2] = 5; /* a SACK block where the timestamps were */
        assert_int_equal(tun_ack_superseded(&ia, &ib), 0);
        a[20 + 20 + 2] = 8;
        /* An MPTCP DATA_ACK may go; a mapping or a DATA_FIN may not. */
        uint8_t dss[12] = {1, 1, 1, 1, 30, 8, 0x20, 0x01, 0, 0, 0, 9};
        memcpy(a + 40, dss, sizeof(dss));
        assert_int_equal(tun_ack_superseded(&ia, &ib), 1);
        a[40 + 7] = 0x05;
        assert_int_equal(tun_ack_superseded(&ia, &ib), 0);
        a[40 + 7] = 0x11;
        assert_int_equal(tun_ack_superseded(&ia, &ib), 0);
        a[40 + 7] = 0x01;
        a[40 + 5] = 40; /* an option longer than the header */
        assert_int_equal(tun_ack_superseded(&ia, &ib), 0);
        a[40 + 5] = 8;
        /* Another flow, or data. */
        struct flow g = f;
        g.sport = 5002;
        uint8_t c[MAXSEG];
        struct iovec ic = {c, make_seg(&g, c, 500, 3, payload, 0, 0x10)};
        um_put_be32(c + 20 + 8, 777 + 4 * MSS);
        assert_int_equal(tun_ack_superseded(&ia, &ic), 0);
        ia.iov_len = make_seg(&f, a, 500, 1, payload, 10, 0x10);
        assert_int_equal(tun_ack_superseded(&ia, &ib), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_join_then_split_gives_the_segments_back),
            cmocka_unit_test(test_runs_stop_where_segments_differ),
            cmocka_unit_test(test_what_is_not_plain_tcp_is_refused),
            cmocka_unit_test(test_which_checksums_are_trusted),
            cmocka_unit_test(test_ack_superseded_only_when_nothing_is_lost),
            cmocka_unit_test(test_super_packet_checksum_is_verified_when_not_vouched_for),
            cmocka_unit_test(test_super_packet_checksum_offsets_are_checked),
            cmocka_unit_test(test_every_drop_is_counted),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
