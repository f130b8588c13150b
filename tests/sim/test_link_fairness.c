/* A busy link must not starve another (issue 22, item 9): links whose receive queue never
 * empties, beside one that carries a handshake. Test links with no clock of their own: a
 * flood link whose every recv fills the whole batch with segments the stack discards, and a
 * link holding one SYN to a listener; both count, in batches the flood links gave, when
 * they were read and when the SYN/ACK left. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <umptcp/link.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

enum { MAX_FLOOD = 3 };

struct test_link {
        struct um_link link;
        uint64_t *batches; /* the flood links' batches so far, shared */
        int flood;         /* every recv fills every frame */
        uint8_t pkt[64];   /* what recv hands over */
        uint32_t pkt_len;
        int pending;              /* a non-flood link: its packet is still to be read */
        uint64_t read_after;      /* flood batches before this link's packet was read */
        uint64_t synack_after;    /* flood batches before a SYN/ACK left here */
        int synacks, flood_recvs; /* SYN/ACKs sent here; recv calls of a flood link */
};

static uint16_t csum16(const uint8_t *p, size_t n, uint32_t sum)
{
        for (size_t i = 0; i + 1 < n; i += 2)
                sum += (uint32_t)(p[i] << 8 | p[i + 1]);
        if (n & 1)
                sum += (uint32_t)p[n - 1] << 8;
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return (uint16_t)~sum;
}

/* An IPv4 TCP segment without options from src:sport to dst:dport, checksums filled. */
static uint32_t make_tcp(uint8_t *b, const char *src, uint16_t sport, const char *dst,
                         uint16_t dport, uint8_t flags, uint32_t seq)
{
        memset(b, 0, 40);
        b[0] = 0x45;
        b[3] = 40;
        b[8] = 64;
        b[9] = IPPROTO_TCP;
        inet_pton(AF_INET, src, b + 12);
        inet_pton(AF_INET, dst, b + 16);
        uint16_t c = csum16(b, 20, 0);
        b[10] = (uint8_t)(c >> 8);
        b[11] = (uint8_t)c;
        uint8_t *t = b + 20;
        t[0] = (uint8_t)(sport >> 8);
        t[1] = (uint8_t)sport;
        t[2] = (uint8_t)(dport >> 8);
        t[3] = (uint8_t)dport;
        t[4] = (uint8_t)(seq >> 24);
        t[5] = (uint8_t)(seq >> 16);
        t[6] = (uint8_t)(seq >> 8);
        t[7] = (uint8_t)seq;
        t[12] = 5 << 4;
        t[13] = flags;
        t[14] = 0xff;
        t[15] = 0xff;
        uint8_t pseudo[12];
        memcpy(pseudo, b + 12, 8);
        pseudo[8] = 0;
        pseudo[9] = IPPROTO_TCP;
        pseudo[10] = 0;
        pseudo[11] = 20;
        uint32_t sum = 0;
        for (int i = 0; i < 12; i += 2)
                sum += (uint32_t)(pseudo[i] << 8 | pseudo[i + 1]);
        c = csum16(t, 20, sum);
        t[16] = (uint8_t)(c >> 8);
        t[17] = (uint8_t)c;
        return 40;
}

static int tl_recv(struct um_link *l, struct um_frame *frames, int n, uint64_t now)
{
        struct test_link *t = (struct test_link *)l;
        (void)now;
        int got = 0;
        if (t->flood) {
                t->flood_recvs++;
                for (; got < n; got++) {
                        memcpy(frames[got].data, t->pkt, t->pkt_len);
                        frames[got].len = t->pkt_len;
                }
                ++*t->batches;
        } else if (t->pending) {
                t->pending = 0;
                t->read_after = *t->batches;
                memcpy(frames[0].data, t->pkt, t->pkt_len);
                frames[0].len = t->pkt_len;
                got = 1;
        }
        return got;
}

static int tl_send(struct um_link *l, const struct um_frame *frames, int n, uint64_t now)
{
        struct test_link *t = (struct test_link *)l;
        (void)now;
        for (int i = 0; i < n; i++) {
                const uint8_t *b = frames[i].data;
                if (frames[i].len >= 40 && b[9] == IPPROTO_TCP && (b[33] & 0x12) == 0x12) {
                        if (!t->synacks++)
                                t->synack_after = *t->batches;
                }
        }
        return n;
}

static const struct um_link_ops tl_ops = {.send = tl_send, .recv = tl_recv};

static void tl_init(struct test_link *t, uint64_t *batches, const char *name)
{
        memset(t, 0, sizeof(*t));
        t->link.ops = &tl_ops;
        t->link.mtu = 1500;
        snprintf(t->link.name, sizeof(t->link.name), "%s", name);
        t->batches = batches;
}

/* n_flood saturated links (10.0.K.0/24; each hands over RSTs to a closed port, which the
 * stack drops without an answer), then a link (10.0.9.0/24) holding a SYN to the listener
 * on port 80. One poll: the SYN is read, and answered, after at most one batch of each
 * saturated link, and the saturated links are still read beyond that. */
static void run(int n_flood)
{
        struct um_stack_config cfg = {.seed = 7, .name = "fair"};
        struct um_stack *st = um_stack_new(&cfg);
        assert_non_null(st);
        uint64_t batches = 0;
        struct test_link flood[MAX_FLOOD], hs;
        for (int k = 0; k < n_flood; k++) {
                char name[8], src[16], dst[16], addr[20];
                snprintf(name, sizeof(name), "flood%d", k);
                snprintf(src, sizeof(src), "10.0.%d.1", k);
                snprintf(dst, sizeof(dst), "10.0.%d.2", k);
                snprintf(addr, sizeof(addr), "10.0.%d.2/24", k);
                tl_init(&flood[k], &batches, name);
                flood[k].flood = 1;
                flood[k].pkt_len = make_tcp(flood[k].pkt, src, 4000, dst, 9, 0x04 /* RST */, 1);
                int i = um_stack_add_iface(st, &flood[k].link);
                assert_true(i >= 0);
                assert_int_equal(um_stack_add_addr(st, i, addr), 0);
        }
        tl_init(&hs, &batches, "hs");
        hs.pending = 1;
        hs.pkt_len = make_tcp(hs.pkt, "10.0.9.1", 1234, "10.0.9.2", 80, 0x02 /* SYN */, 1000);
        int i = um_stack_add_iface(st, &hs.link);
        assert_true(i >= 0);
        assert_int_equal(um_stack_add_addr(st, i, "10.0.9.2/24"), 0);

        int fd = um_socket(st, AF_INET, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(80)};
        assert_int_equal(um_bind(st, fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(um_listen(st, fd, 8), 0);

        um_stack_poll(st, 1000);
        assert_int_equal(hs.pending, 0);
        assert_int_equal(hs.synacks, 1);
        /* Before the handshake's link was read, each saturated link gave at most one batch. */
        assert_true(hs.read_after <= (uint64_t)n_flood);
        assert_true(hs.synack_after <= (uint64_t)n_flood);
        /* Fairness did not stop the saturated links' reading: each gave more batches. */
        for (int k = 0; k < n_flood; k++)
                assert_true(flood[k].flood_recvs > 1);
        um_close(st, fd);
        um_stack_free(st);
}

static void test_busy_link_does_not_delay_a_handshake_on_another(void **state)
{
        (void)state;
        run(1);
}

static void test_busy_links_do_not_delay_a_handshake_on_another(void **state)
{
        (void)state;
        run(MAX_FLOOD);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_busy_link_does_not_delay_a_handshake_on_another),
            cmocka_unit_test(test_busy_links_do_not_delay_a_handshake_on_another),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
