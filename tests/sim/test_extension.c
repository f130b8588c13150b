/* The generic TCP extension points, used for something other than MPTCP: a "segment tag"
 * extension. A ULP attaches a per-segment tag through the packet extension; an option
 * handler for the RFC 6994 experimental kind 253 writes it on the wire and parses it on the
 * other side. The test also checks that plain TCP sends neither kind 253 nor kind 30. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "simtest.h"

#include <umptcp/socket.h>
#include <umptcp/stack.h>
#include <umptcp/tcp_ext.h>

enum { KIND_EXP = 253, EXID_HI = 0x55, EXID_LO = 0x4d, TAG_OPT_LEN = 8, SEG_CAP = 1000 };

struct tagger_ctx {
        uint32_t tagged_out, tags_in, max_tag_in;
        uint64_t bytes_ready, bytes_acked;
        int steps[8], n_steps;
        int state_changes, write_space, released, max_seg_seen;
};

struct tagger {
        int ext_id;
        struct tagger_ctx ctxs[4];
        int n;
};

struct tag_ext {
        uint32_t tag;
};

static struct tagger_ctx *ctx(struct um_tcp_conn *c)
{
        return um_tcp_ulp_ctx(c);
}

static void on_handshake(struct um_tcp_conn *c, enum um_tcp_hs_step step,
                         const struct um_tcp_seg_info *seg)
{
        (void)seg;
        struct tagger_ctx *x = ctx(c);
        if (x->n_steps < 8)
                x->steps[x->n_steps++] = (int)step;
}

static void on_data(struct um_tcp_conn *c, uint32_t seq, uint32_t len)
{
        (void)seq;
        ctx(c)->bytes_ready += len;
}

static void on_acked(struct um_tcp_conn *c, uint32_t una, uint32_t bytes)
{
        (void)una;
        ctx(c)->bytes_acked += bytes;
}

static void on_state(struct um_tcp_conn *c, int from, int to)
{
        (void)from;
        (void)to;
        ctx(c)->state_changes++;
}

static void on_write_space(struct um_tcp_conn *c)
{
        ctx(c)->write_space++;
}

static uint32_t cap_segments(struct um_tcp_conn *c, uint32_t seq, uint32_t len)
{
        (void)c;
        (void)seq;
        return len > SEG_CAP ? SEG_CAP : len;
}

static struct tagger *tagger_of(struct um_tcp_conn *c);

static void on_segment_out(struct um_tcp_conn *c, struct um_tcp_seg_info *seg)
{
        if (!seg->len)
                return;
        struct tag_ext *e = um_tcp_pkt_ext_add(um_tcp_stack(c), seg->pkt, tagger_of(c)->ext_id);
        assert_non_null(e);
        e->tag = ++ctx(c)->tagged_out;
        if ((int)seg->len > ctx(c)->max_seg_seen)
                ctx(c)->max_seg_seen = (int)seg->len;
}

static void on_release(struct um_tcp_conn *c)
{
        ctx(c)->released++;
}

static int on_clone(struct um_tcp_conn *listener, struct um_tcp_conn *child);

static const struct um_tcp_ulp_ops tagger_ulp = {
    .name = "tagger",
    .clone = on_clone,
    .handshake = on_handshake,
    .data_ready = on_data,
    .acked = on_acked,
    .state_change = on_state,
    .write_space = on_write_space,
    .tx_limit = cap_segments,
    .segment_out = on_segment_out,
    .release = on_release,
};

/* Each stack's tagger lives in its ctxs[0]'s owner: find it through a small registry. */
static struct tagger *registry[2];

static struct tagger *tagger_of(struct um_tcp_conn *c)
{
        for (int i = 0; i < 2; i++)
                for (int k = 0; registry[i] && k < registry[i]->n; k++)
                        if (&registry[i]->ctxs[k] == um_tcp_ulp_ctx(c))
                                return registry[i];
        fail_msg("connection without a tagger");
        return NULL;
}

static int on_clone(struct um_tcp_conn *listener, struct um_tcp_conn *child)
{
        struct tagger *t = tagger_of(listener);
        assert_true(t->n < 4);
        return um_tcp_ulp_set(child, &tagger_ulp, &t->ctxs[t->n++]);
}

static unsigned opt_write(void *arg, struct um_tcp_conn *c, const struct um_tcp_seg_info *seg,
                          uint8_t *out, unsigned room)
{
        struct tagger *t = arg;
        (void)c;
        const struct tag_ext *e = um_tcp_pkt_ext_get(seg->pkt, t->ext_id);
        if (!e || room < TAG_OPT_LEN)
                return 0;
        uint32_t tag = htonl(e->tag);
        out[0] = KIND_EXP;
        out[1] = TAG_OPT_LEN;
        out[2] = EXID_HI;
        out[3] = EXID_LO;
        memcpy(out + 4, &tag, 4);
        return TAG_OPT_LEN;
}

static int opt_parse(void *arg, struct um_tcp_conn *c, const struct um_tcp_seg_info *seg,
                     const uint8_t *opt, uint8_t len, void *parsed)
{
        (void)arg;
        (void)seg;
        (void)parsed;
        if (len != TAG_OPT_LEN || opt[2] != EXID_HI || opt[3] != EXID_LO)
                return 0; /* another experiment's option: not ours */
        struct tagger_ctx *x = ctx(c);
        if (!x)
                return 0;
        uint32_t tag;
        memcpy(&tag, opt + 4, 4);
        tag = ntohl(tag);
        x->tags_in++;
        if (tag > x->max_tag_in)
                x->max_tag_in = tag;
        return 0;
}

static const struct um_tcp_option_ops tag_option = {
    .kind = KIND_EXP,
    .priority = 10,
    .parse = opt_parse,
    .write = opt_write,
};

/* A middlebox that counts option kinds on the wire. */
struct kinds {
        uint64_t kind30, kind253, data_segs, oversize;
};

static int count_kinds(void *arg, int dir, uint8_t *pkt, uint32_t *len, uint32_t cap)
{
        struct kinds *k = arg;
        (void)dir;
        (void)cap;
        if ((pkt[0] >> 4) != 4 || pkt[9] != 6)
                return 1;
        const uint8_t *t = pkt + (pkt[0] & 0x0f) * 4;
        unsigned doff = (unsigned)(t[12] >> 4) * 4;
        uint32_t payload = *len - (uint32_t)(t - pkt) - doff;
        if (payload) {
                k->data_segs++;
                if (payload > SEG_CAP)
                        k->oversize++;
        }
        for (unsigned i = 20; i < doff;) {
                if (t[i] == 0)
                        break;
                if (t[i] == 1) {
                        i++;
                        continue;
                }
                if (i + 1 >= doff || t[i + 1] < 2)
                        break;
                if (t[i] == 30)
                        k->kind30++;
                if (t[i] == KIND_EXP)
                        k->kind253++;
                i += t[i + 1];
        }
        return 1;
}

static void sha(const uint8_t *d, size_t n, uint8_t out[32])
{
        unsigned len;
        EVP_Digest(d, n, out, &len, EVP_sha256(), NULL);
}

static void test_segment_tags_through_extension_points(void **state)
{
        (void)state;
        uint64_t seed = simtest_seed();
        struct um_link *la, *lb;
        struct um_emu_dir_config d = {.rate_bps = 100000000, .delay_us = 5000};
        assert_int_equal(um_link_emu_pair(&d, &d, 1500, seed, &la, &lb), 0);
        struct kinds k = {0};
        um_link_emu_set_middlebox(la, count_kinds, &k);
        struct um_stack_config ca = {.seed = seed + 1, .name = "A"},
                               cb = {.seed = seed + 2, .name = "B"};
        struct um_stack *a = um_stack_new(&ca), *b = um_stack_new(&cb);
        um_stack_add_addr(a, um_stack_add_iface(a, la), "10.0.0.1/24");
        um_stack_add_addr(b, um_stack_add_iface(b, lb), "10.0.0.2/24");
        struct tagger ta = {0}, tb = {0};
        registry[0] = &ta;
        registry[1] = &tb;
        ta.ext_id = um_tcp_pkt_ext_register(a, sizeof(struct tag_ext));
        tb.ext_id = um_tcp_pkt_ext_register(b, sizeof(struct tag_ext));
        assert_true(ta.ext_id >= 0 && tb.ext_id >= 0);
        assert_true(um_tcp_option_register(a, &tag_option, &ta) >= 0);
        assert_true(um_tcp_option_register(b, &tag_option, &tb) >= 0);
        assert_int_equal(um_tcp_option_register(a, &tag_option, &ta), -EEXIST);
        static const struct um_tcp_option_ops builtin = {.kind = 8};
        assert_int_equal(um_tcp_option_register(a, &builtin, NULL), -EINVAL);

        struct sockaddr_in sb = {.sin_family = AF_INET, .sin_port = htons(7000)};
        inet_pton(AF_INET, "10.0.0.2", &sb.sin_addr);
        int lfd = um_socket(b, AF_INET, SOCK_STREAM, IPPROTO_TCP);
        assert_int_equal(um_bind(b, lfd, (struct sockaddr *)&sb, sizeof(sb)), 0);
        assert_int_equal(um_tcp_ulp_set(um_tcp_conn_of(b, lfd), &tagger_ulp, &tb.ctxs[tb.n++]), 0);
        assert_int_equal(um_listen(b, lfd, 4), 0);
        int cfd = um_socket(a, AF_INET, SOCK_STREAM, IPPROTO_TCP);
        assert_int_equal(um_tcp_ulp_set(um_tcp_conn_of(a, cfd), &tagger_ulp, &ta.ctxs[ta.n++]), 0);
        assert_int_equal(um_tcp_set_option_reserve(um_tcp_conn_of(a, cfd), TAG_OPT_LEN), 0);
        assert_int_equal(um_tcp_set_option_reserve(um_tcp_conn_of(a, cfd), 39), -EINVAL);
        struct sockaddr_storage ls, rs;
        um_tcp_endpoints(um_tcp_conn_of(a, cfd), &ls, &rs);
        assert_int_equal(ls.ss_family, AF_INET);
        assert_int_equal(um_connect(a, cfd, (struct sockaddr *)&sb, sizeof(sb)), -1);
        assert_int_equal(errno, EINPROGRESS);

        enum { N = 2 * 1024 * 1024 };
        uint8_t *out = malloc(N), *in = malloc(N);
        for (size_t i = 0; i < N; i++)
                out[i] = (uint8_t)((seed >> (i % 56)) ^ (i * 2654435761u >> 13));
        size_t sent = 0, got = 0;
        int sfd = -1;
        struct um_stack *both[2] = {a, b};
        uint64_t now = 0;
        while (got < N && now < 60000000) {
                um_sim_run(both, 2, &now, now + 1000, NULL, NULL);
                if (sfd < 0)
                        sfd = um_accept(b, lfd, NULL, NULL);
                if (sent < N) {
                        ssize_t n = um_send(a, cfd, out + sent, N - sent, 0);
                        if (n > 0)
                                sent += (size_t)n;
                }
                if (sfd >= 0) {
                        ssize_t n = um_recv(b, sfd, in + got, N - got, 0);
                        if (n > 0)
                                got += (size_t)n;
                }
        }
        um_sim_run(both, 2, &now, now + 500000, NULL, NULL);
        uint8_t h1[32], h2[32];
        sha(out, N, h1);
        sha(in, got, h2);
        assert_int_equal(got, N);
        assert_memory_equal(h1, h2, 32);

        struct tagger_ctx *cli = &ta.ctxs[0], *srv = &tb.ctxs[1];
        printf("tags: %u sent, %u received (max %u); %llu kind-253 options on the wire, "
               "%llu data segments, largest %d bytes\n",
               cli->tagged_out, srv->tags_in, srv->max_tag_in, (unsigned long long)k.kind253,
               (unsigned long long)k.data_segs, cli->max_seg_seen);
        /* Every data segment carried its tag, and the peer's handler read each one that the
         * path did not drop (slow start overruns the link's queue). */
        const struct um_emu_stats *es = um_link_emu_stats(la);
        uint64_t lost = es->lost_random + es->lost_burst + es->lost_queue + es->lost_outage;
        assert_true(cli->tagged_out >= N / SEG_CAP);
        assert_int_equal(k.kind253, cli->tagged_out);
        assert_int_equal(srv->tags_in + lost, cli->tagged_out);
        assert_true(srv->max_tag_in <= cli->tagged_out);
        /* tx_limit capped every segment. */
        assert_int_equal(k.oversize, 0);
        assert_true(cli->max_seg_seen <= SEG_CAP);
        /* The ULP saw the handshake, in order, the data and the acknowledgements. */
        assert_int_equal(cli->n_steps, 3);
        assert_int_equal(cli->steps[0], UM_TCP_HS_SYN_SENT);
        assert_int_equal(cli->steps[1], UM_TCP_HS_SYNACK_RECEIVED);
        assert_int_equal(cli->steps[2], UM_TCP_HS_ESTABLISHED);
        assert_int_equal(srv->n_steps, 2);
        assert_int_equal(srv->steps[0], UM_TCP_HS_SYN_RECEIVED);
        assert_int_equal(srv->steps[1], UM_TCP_HS_ESTABLISHED);
        assert_int_equal(srv->bytes_ready, N);
        assert_int_equal(cli->bytes_acked, N);
        assert_true(cli->write_space > 0);
        assert_true(cli->state_changes >= 1 && srv->state_changes >= 1);
        /* Nobody asked for MPTCP. */
        assert_int_equal(k.kind30, 0);

        /* An extension may grow a receive buffer (never shrink it), up to the maximum, and
         * not one the application sized itself. */
        struct um_tcp_conn *rc = um_tcp_conn_of(b, sfd);
        uint32_t size = um_tcp_rcvbuf_size(rc);
        assert_true(size > 0);
        assert_int_equal(um_tcp_rcvbuf_reserve(rc, size + 65536), 0);
        assert_int_equal(um_tcp_rcvbuf_size(rc), size + 65536);
        assert_int_equal(um_tcp_rcvbuf_reserve(rc, size), 0);
        assert_int_equal(um_tcp_rcvbuf_size(rc), size + 65536);
        assert_int_equal(um_tcp_rcvbuf_reserve(rc, UINT32_MAX), 0);
        assert_int_equal(um_tcp_rcvbuf_size(rc), 16u << 20);
        int user = 256 * 1024;
        assert_int_equal(um_setsockopt(a, cfd, SOL_SOCKET, SO_RCVBUF, &user, sizeof(user)), 0);
        size = um_tcp_rcvbuf_size(um_tcp_conn_of(a, cfd));
        assert_int_equal(um_tcp_rcvbuf_reserve(um_tcp_conn_of(a, cfd), size * 2), 0);
        assert_int_equal(um_tcp_rcvbuf_size(um_tcp_conn_of(a, cfd)), size);

        um_close(a, cfd);
        um_close(b, sfd);
        um_close(b, lfd);
        um_sim_run(both, 2, &now, now + 1000000, NULL, NULL);
        um_stack_free(a);
        um_stack_free(b);
        assert_int_equal(cli->released, 1);
        assert_int_equal(srv->released, 1);
        um_link_destroy(la);
        um_link_destroy(lb);
        free(out);
        free(in);
}

static void test_plain_tcp_sends_no_extension_options(void **state)
{
        (void)state;
        struct kinds k = {0};
        struct um_sim_transfer_cfg c = {.bytes = 1024 * 1024, .path = simtest_path(100, 5)};
        c.middlebox = count_kinds;
        c.middlebox_arg = &k;
        assert_true(simtest_transfer("plain TCP, option census", &c, NULL));
        assert_true(k.data_segs > 500);
        assert_int_equal(k.kind30, 0);
        assert_int_equal(k.kind253, 0);
}

int main(void)
{
        simtest_seed();
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_segment_tags_through_extension_points),
            cmocka_unit_test(test_plain_tcp_sends_no_extension_options),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
