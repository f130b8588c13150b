/* The relay's request parsers and writers (src/relay/relay_proto.h): SOCKS5 (RFC 1928,
 * RFC 1929), HTTP CONNECT (RFC 9110 §9.3.6), the PROXY v2 header and HOST:PORT. Every
 * exchange is run three ways, whole, a byte at a time and in 3-byte pieces, and must give
 * the same replies, outcome, bytes taken and destination each way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "relay/relay_dest.h"
#include "relay/relay_proto.h"

/* What a client's bytes got: the replies one after the other, the last step, the bytes
 * taken, the destination and the reason. */
struct transcript {
        uint8_t replies[1024];
        size_t rlen, used;
        int replies_n;
        enum relay_step last;
        struct relay_dest dest;
        const char *why;
};

enum { SOCKS, HTTP };

static const char *creds_user, *creds_pass;

/* Feeds in, chunk bytes at a time (0: all at once), as the relay would: a reply is
 * written and the rest fed again; REQUEST or FAIL ends it. */
static void run(int kind, const void *data, size_t len, size_t chunk, struct transcript *t)
{
        const uint8_t *in = data;
        static struct relay_http h;
        struct relay_socks s;
        if (kind == SOCKS)
                relay_socks_init(&s, creds_user, creds_pass);
        else
                relay_http_init(&h);
        memset(t, 0, sizeof(*t));
        size_t off = 0;
        for (;;) {
                size_t n = len - off, used = 99999, rlen = 99999;
                if (chunk && n > chunk)
                        n = chunk;
                uint8_t reply[RELAY_HTTP_REPLY_MAX];
                const char *why = "unset";
                struct relay_dest d;
                memset(&d, 0xa5, sizeof(d));
                enum relay_step r = kind == SOCKS
                                        ? relay_socks_input(&s, in + off, n, &used, reply,
                                                            sizeof(reply), &rlen, &d, &why)
                                        : relay_http_input(&h, in + off, n, &used, reply,
                                                           sizeof(reply), &rlen, &d, &why);
                assert_true(used <= n);
                assert_true(rlen <= sizeof(reply));
                assert_true(t->rlen + rlen <= sizeof(t->replies));
                memcpy(t->replies + t->rlen, reply, rlen);
                t->rlen += rlen;
                off += used;
                t->last = r;
                if (r == RELAY_FAIL) {
                        assert_non_null(why);
                        t->why = why;
                } else {
                        assert_null(why);
                }
                if (r == RELAY_MORE) {
                        assert_int_equal(used, n);
                        assert_int_equal(rlen, 0);
                        if (off == len)
                                break;
                        continue;
                }
                if (r == RELAY_REPLY) {
                        assert_true(rlen > 0);
                        t->replies_n++;
                        continue;
                }
                if (r == RELAY_REQUEST) {
                        assert_int_equal(rlen, 0);
                        t->dest = d;
                }
                break;
        }
        t->used = off;
}

/* The three ways agree; returns the whole one. */
static struct transcript feed(int kind, const void *in, size_t len)
{
        struct transcript whole, other;
        run(kind, in, len, 0, &whole);
        for (size_t chunk = 1; chunk <= 3; chunk += 2) {
                run(kind, in, len, chunk, &other);
                assert_int_equal(other.last, whole.last);
                assert_int_equal(other.used, whole.used);
                assert_int_equal(other.rlen, whole.rlen);
                assert_memory_equal(other.replies, whole.replies, whole.rlen);
                assert_int_equal(other.replies_n, whole.replies_n);
                if (whole.last == RELAY_REQUEST)
                        assert_memory_equal(&other.dest, &whole.dest, sizeof(whole.dest));
                if (whole.last == RELAY_FAIL)
                        assert_string_equal(other.why, whole.why);
        }
        return whole;
}

#define FEED(kind, ...)                                                                            \
        feed(kind, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static void assert_replies(const struct transcript *t, const uint8_t *want, size_t n)
{
        assert_int_equal(t->rlen, n);
        assert_memory_equal(t->replies, want, n);
}
#define REPLIES(t, ...)                                                                            \
        do {                                                                                       \
                static const uint8_t want_[] = {__VA_ARGS__};                                      \
                assert_replies(t, want_, sizeof(want_));                                           \
        } while (0)

static void assert_v4(const struct relay_dest *d, const char *addr, uint16_t port)
{
        const struct sockaddr_in *sin = (const struct sockaddr_in *)&d->addr;
        char text[INET_ADDRSTRLEN];
        assert_int_equal(d->is_name, 0);
        assert_int_equal(d->name[0], 0);
        assert_int_equal(sin->sin_family, AF_INET);
        assert_non_null(inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text)));
        assert_string_equal(text, addr);
        assert_int_equal(ntohs(sin->sin_port), port);
        assert_int_equal(d->port, port);
}

static void assert_v6(const struct relay_dest *d, const char *addr, uint16_t port)
{
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&d->addr;
        char text[INET6_ADDRSTRLEN];
        assert_int_equal(d->is_name, 0);
        assert_int_equal(sin6->sin6_family, AF_INET6);
        assert_non_null(inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text)));
        assert_string_equal(text, addr);
        assert_int_equal(ntohs(sin6->sin6_port), port);
        assert_int_equal(d->port, port);
}

static void assert_name(const struct relay_dest *d, const char *name, uint16_t port)
{
        assert_int_equal(d->is_name, 1);
        assert_int_equal(d->addr.ss_family, AF_UNSPEC);
        assert_string_equal(d->name, name);
        assert_int_equal(d->port, port);
}

/* ---- SOCKS5 */

#define NOAUTH       5, 1, 0
#define REQ_V4       5, 1, 0, 1, 10, 0, 0, 1, 0, 80
#define REP_FOR(rep) 5, rep, 0, 1, 0, 0, 0, 0, 0, 0

static void test_socks_connect_ipv4(void **state)
{
        (void)state;
        struct transcript t = FEED(SOCKS, NOAUTH, REQ_V4);
        assert_int_equal(t.last, RELAY_REQUEST);
        REPLIES(&t, 5, 0); /* RFC 1928 §3: no authentication required */
        assert_int_equal(t.replies_n, 1);
        assert_int_equal(t.used, 13);
        assert_v4(&t.dest, "10.0.0.1", 80);
        /* Several methods offered, no-auth among them; RSV set is the same request. */
        t = FEED(SOCKS, 5, 3, 0x80, 2, 0, 5, 1, 7, 1, 192, 0, 2, 9, 0xff, 0xff);
        assert_int_equal(t.last, RELAY_REQUEST);
        REPLIES(&t, 5, 0);
        assert_v4(&t.dest, "192.0.2.9", 65535);
}

static void test_socks_connect_ipv6(void **state)
{
        (void)state;
        struct transcript t = FEED(SOCKS, NOAUTH, 5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0,
                                   0, 0, 0, 0, 0, 0, 0x42, 0x1f, 0x90);
        assert_int_equal(t.last, RELAY_REQUEST);
        REPLIES(&t, 5, 0);
        assert_int_equal(t.used, 3 + 22);
        assert_v6(&t.dest, "2001:db8::42", 8080);
}

static void test_socks_connect_name(void **state)
{
        (void)state;
        struct transcript t = FEED(SOCKS, NOAUTH, 5, 1, 0, 3, 11, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
                                   '.', 'c', 'o', 'm', 1, 187);
        assert_int_equal(t.last, RELAY_REQUEST);
        assert_int_equal(t.used, 3 + 7 + 11);
        assert_name(&t.dest, "example.com", 443);
        /* A numeric address sent as a name is taken as the address. */
        t = FEED(SOCKS, NOAUTH, 5, 1, 0, 3, 9, '1', '9', '2', '.', '0', '.', '2', '.', '1', 0, 22);
        assert_int_equal(t.last, RELAY_REQUEST);
        assert_v4(&t.dest, "192.0.2.1", 22);
        t = FEED(SOCKS, NOAUTH, 5, 1, 0, 3, 3, ':', ':', '1', 0, 22);
        assert_int_equal(t.last, RELAY_REQUEST);
        assert_v6(&t.dest, "::1", 22);
}

/* The longest name a SOCKS5 request can hold that is a host name (253 characters). */
static void test_socks_long_names(void **state)
{
        (void)state;
        uint8_t in[3 + 5 + 255 + 2] = {NOAUTH, 5, 1, 0, 3, 253};
        for (int i = 0; i < 253; i++)
                in[8 + i] = (i % 50 == 49) ? '.' : 'a';
        in[8 + 253] = 0, in[8 + 254] = 80;
        struct transcript t = feed(SOCKS, in, 8 + 253 + 2);
        assert_int_equal(t.last, RELAY_REQUEST);
        assert_true(t.dest.is_name);
        assert_int_equal(strlen(t.dest.name), 253);
        /* 255, the most the length byte says: no host name is that long. */
        in[7] = 255;
        in[8 + 253] = 'a', in[8 + 254] = 'a', in[8 + 255] = 0, in[8 + 256] = 80;
        t = feed(SOCKS, in, sizeof(in));
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 0, REP_FOR(1));
        assert_int_equal(t.used, sizeof(in));
}

/* Bytes after the request are the client's early data: not taken. */
static void test_socks_early_data_left(void **state)
{
        (void)state;
        struct transcript t = FEED(SOCKS, NOAUTH, REQ_V4, 'G', 'E', 'T');
        assert_int_equal(t.last, RELAY_REQUEST);
        assert_int_equal(t.used, 13);
        /* The greeting's reply comes before the request is read, so a client may send
         * both at once: the rest is fed again after the reply. */
        t = FEED(SOCKS, 5, 1, 0, 5, 1);
        assert_int_equal(t.last, RELAY_MORE);
        assert_int_equal(t.used, 5);
        REPLIES(&t, 5, 0);
}

static void test_socks_methods_refused(void **state)
{
        (void)state;
        /* RFC 1928 §3: X'FF', no acceptable method: nmethods 0, or only username/password
         * to a server without credentials, or only no-auth to one with. */
        struct transcript t = FEED(SOCKS, 5, 0, REQ_V4);
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 0xff);
        assert_int_equal(t.used, 2);
        t = FEED(SOCKS, 5, 2, 2, 1);
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 0xff);
        creds_user = "alice", creds_pass = "s3cret";
        t = FEED(SOCKS, 5, 1, 0);
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 0xff);
        creds_user = creds_pass = NULL;
}

static void test_socks_wrong_versions(void **state)
{
        (void)state;
        /* A SOCKS4 client: no SOCKS5 reply, and nothing past the first byte read. */
        struct transcript t = FEED(SOCKS, 4, 1, 0, 80, 10, 0, 0, 1, 0);
        assert_int_equal(t.last, RELAY_FAIL);
        assert_int_equal(t.rlen, 0);
        assert_int_equal(t.used, 1);
        assert_string_equal(t.why, "not SOCKS version 5");
        /* The request's version too. */
        t = FEED(SOCKS, NOAUTH, 4, 1, 0, 1, 10, 0, 0, 1, 0, 80);
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 0);
        assert_int_equal(t.used, 4);
        /* Not SOCKS at all. */
        t = feed(SOCKS, "GET / HTTP/1.1\r\n", 16);
        assert_int_equal(t.last, RELAY_FAIL);
        assert_int_equal(t.rlen, 0);
}

static void test_socks_commands_refused(void **state)
{
        (void)state;
        /* RFC 1928 §6: X'07' for BIND, UDP ASSOCIATE and any other command, once the
         * request is read whole. */
        static const uint8_t cmds[] = {2, 3, 0, 4, 0xff};
        for (size_t i = 0; i < sizeof(cmds); i++) {
                uint8_t in[] = {NOAUTH, 5, cmds[i], 0, 1, 10, 0, 0, 1, 0, 80};
                struct transcript t = feed(SOCKS, in, sizeof(in));
                assert_int_equal(t.last, RELAY_FAIL);
                REPLIES(&t, 5, 0, REP_FOR(7));
                assert_int_equal(t.used, sizeof(in));
        }
        uint8_t bind6[3 + 22] = {NOAUTH, 5, 2, 0, 4};
        struct transcript t = feed(SOCKS, bind6, sizeof(bind6));
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 0, REP_FOR(7));
        assert_int_equal(t.used, sizeof(bind6));
}

static void test_socks_address_types_refused(void **state)
{
        (void)state;
        /* RFC 1928 §6: X'08'; its length unknown, the reply goes at the type byte. */
        static const uint8_t types[] = {0, 2, 5, 0xff};
        for (size_t i = 0; i < sizeof(types); i++) {
                uint8_t in[] = {NOAUTH, 5, 1, 0, types[i], 10, 0, 0, 1, 0, 80};
                struct transcript t = feed(SOCKS, in, sizeof(in));
                assert_int_equal(t.last, RELAY_FAIL);
                REPLIES(&t, 5, 0, REP_FOR(8));
                assert_int_equal(t.used, 3 + 4);
        }
}

static void test_socks_bad_destinations(void **state)
{
        (void)state;
        /* Name length 0, a NUL in a name, a space, a numeric last label, port 0: REP 1. */
        struct transcript t = FEED(SOCKS, NOAUTH, 5, 1, 0, 3, 0, 0, 80);
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 0, REP_FOR(1));
        assert_int_equal(t.used, 3 + 7);
        t = FEED(SOCKS, NOAUTH, 5, 1, 0, 3, 5, 'a', 'b', 0, 'c', 'd', 0, 80);
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 0, REP_FOR(1));
        assert_string_equal(t.why, "NUL in host name");
        t = FEED(SOCKS, NOAUTH, 5, 1, 0, 3, 5, 'a', 'b', ' ', 'c', 'd', 0, 80);
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 0, REP_FOR(1));
        t = FEED(SOCKS, NOAUTH, 5, 1, 0, 3, 5, '1', '.', '2', '.', '3', 0, 80);
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 0, REP_FOR(1));
        t = FEED(SOCKS, NOAUTH, 5, 1, 0, 1, 10, 0, 0, 1, 0, 0);
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 0, REP_FOR(1));
        assert_string_equal(t.why, "port 0");
        t = FEED(SOCKS, NOAUTH, 5, 1, 0, 3, 3, 'a', '.', 'b', 0, 0);
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 0, REP_FOR(1));
}

#define GREET_AUTH 5, 1, 2
#define ALICE      'a', 'l', 'i', 'c', 'e'

static void test_socks_auth(void **state)
{
        (void)state;
        creds_user = "alice", creds_pass = "s3cret";
        /* RFC 1929 §2: method X'02', then VER 1 ULEN UNAME PLEN PASSWD, STATUS 0. */
        struct transcript t =
            FEED(SOCKS, 5, 2, 0, 2, 1, 5, ALICE, 6, 's', '3', 'c', 'r', 'e', 't', REQ_V4);
        assert_int_equal(t.last, RELAY_REQUEST);
        REPLIES(&t, 5, 2, 1, 0);
        assert_int_equal(t.replies_n, 2);
        assert_int_equal(t.used, 4 + 3 + 5 + 6 + 10);
        assert_v4(&t.dest, "10.0.0.1", 80);
        creds_user = creds_pass = NULL;
}

static void test_socks_auth_refused(void **state)
{
        (void)state;
        creds_user = "alice", creds_pass = "s3cret";
        /* A wrong password, a prefix of it, a longer one, a wrong user, an empty user:
         * STATUS 1 and a close, the request not read. */
        struct transcript t =
            FEED(SOCKS, GREET_AUTH, 1, 5, ALICE, 6, 's', '3', 'c', 'r', 'e', 'T', REQ_V4);
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 2, 1, 1);
        assert_int_equal(t.used, 3 + 3 + 5 + 6);
        assert_string_equal(t.why, "bad SOCKS5 username or password");
        t = FEED(SOCKS, GREET_AUTH, 1, 5, ALICE, 5, 's', '3', 'c', 'r', 'e');
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 2, 1, 1);
        t = FEED(SOCKS, GREET_AUTH, 1, 5, ALICE, 7, 's', '3', 'c', 'r', 'e', 't', 0);
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 2, 1, 1);
        t = FEED(SOCKS, GREET_AUTH, 1, 5, 'a', 'l', 'i', 'c', 'E', 6, 's', '3', 'c', 'r', 'e', 't');
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 2, 1, 1);
        t = FEED(SOCKS, GREET_AUTH, 1, 0, 6, 's', '3', 'c', 'r', 'e', 't');
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 2, 1, 1);
        /* A user without a password (PLEN 0). */
        t = FEED(SOCKS, GREET_AUTH, 1, 5, ALICE, 0, REQ_V4);
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 2, 1, 1);
        assert_int_equal(t.used, 3 + 3 + 5);
        /* Not RFC 1929's version: no status. */
        t = FEED(SOCKS, GREET_AUTH, 5, 5, ALICE, 6, 's', '3', 'c', 'r', 'e', 't');
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 2);
        assert_int_equal(t.used, 4);
        /* A server given a user and no password lets nobody in. */
        creds_pass = NULL;
        t = FEED(SOCKS, GREET_AUTH, 1, 5, ALICE, 0);
        assert_int_equal(t.last, RELAY_FAIL);
        REPLIES(&t, 5, 2, 1, 1);
        t = FEED(SOCKS, GREET_AUTH, 1, 5, ALICE, 1, 0);
        assert_int_equal(t.last, RELAY_FAIL);
        creds_user = NULL;
}

/* Every prefix of a whole exchange wants more and takes all it is given, refusing
 * nothing: a client that stops is the relay's deadline's to end. */
static void test_socks_truncated(void **state)
{
        (void)state;
        static const uint8_t name[] = {NOAUTH, 5, 1, 0, 3, 3, 'a', '.', 'b', 0, 80};
        static const uint8_t v6[] = {NOAUTH, 5, 1,  0,  4,  1,  2,  3,  4,  5, 6, 7,
                                     8,      9, 10, 11, 12, 13, 14, 15, 16, 0, 80};
        static const uint8_t auth[] = {GREET_AUTH, 1, 1, 'u', 1, 'p', REQ_V4};
        const struct {
                const uint8_t *p;
                size_t n;
                int creds;
        } cases[] = {{name, sizeof(name), 0}, {v6, sizeof(v6), 0}, {auth, sizeof(auth), 1}};
        for (size_t c = 0; c < 3; c++) {
                creds_user = cases[c].creds ? "u" : NULL, creds_pass = cases[c].creds ? "p" : NULL;
                for (size_t n = 0; n < cases[c].n; n++) {
                        struct transcript t = feed(SOCKS, cases[c].p, n);
                        assert_int_equal(t.last, RELAY_MORE);
                        assert_int_equal(t.used, n);
                }
                struct transcript t = feed(SOCKS, cases[c].p, cases[c].n);
                assert_int_equal(t.last, RELAY_REQUEST);
        }
        creds_user = creds_pass = NULL;
}

static void test_socks_misuse(void **state)
{
        (void)state;
        struct relay_socks s;
        uint8_t reply[64];
        size_t used, rlen;
        struct relay_dest d;
        const char *why;
        static const uint8_t in[] = {NOAUTH, REQ_V4, 1};
        /* A reply buffer below the minimum. */
        relay_socks_init(&s, NULL, NULL);
        assert_int_equal(relay_socks_input(&s, in, sizeof(in), &used, reply, 15, &rlen, &d, &why),
                         RELAY_FAIL);
        assert_int_equal(used, 0);
        /* Input after the request, and after a failure. */
        relay_socks_init(&s, NULL, NULL);
        assert_int_equal(relay_socks_input(&s, in, 3, &used, reply, sizeof(reply), &rlen, &d, &why),
                         RELAY_REPLY);
        assert_int_equal(
            relay_socks_input(&s, in + 3, 11, &used, reply, sizeof(reply), &rlen, &d, &why),
            RELAY_REQUEST);
        assert_int_equal(used, 10);
        assert_int_equal(
            relay_socks_input(&s, in + 13, 1, &used, reply, sizeof(reply), &rlen, &d, &why),
            RELAY_FAIL);
        assert_int_equal(used, 0);
        assert_int_equal(rlen, 0);
        assert_int_equal(
            relay_socks_input(&s, in + 13, 1, &used, reply, sizeof(reply), &rlen, &d, &why),
            RELAY_FAIL);
}

static void test_socks_result(void **state)
{
        (void)state;
        uint8_t out[32];
        struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(4321)};
        inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
        assert_int_equal(relay_socks_result(out, 0, (struct sockaddr *)&sin), 10);
        static const uint8_t ok4[] = {5, 0, 0, 1, 192, 0, 2, 7, 0x10, 0xe1};
        assert_memory_equal(out, ok4, 10);
        struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
        inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
        assert_int_equal(relay_socks_result(out, 0, (struct sockaddr *)&sin6), 22);
        static const uint8_t ok6[] = {5, 0, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0,
                                      0, 0, 0, 0, 0,    0,    0,    0,    1, 1, 0xbb};
        assert_memory_equal(out, ok6, 22);
        static const uint8_t ok0[] = {REP_FOR(0)};
        assert_int_equal(relay_socks_result(out, 0, NULL), 10);
        assert_memory_equal(out, ok0, 10);
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        assert_int_equal(relay_socks_result(out, 0, (struct sockaddr *)&sun), 10);
        assert_memory_equal(out, ok0, 10);
        /* RFC 1928 §6's REP codes; a failure carries no address. */
        const struct {
                int err;
                uint8_t rep;
        } map[] = {{-ENETUNREACH, 3},  {-EHOSTUNREACH, 4}, {-ECONNREFUSED, 5}, {-ETIMEDOUT, 6},
                   {-EAFNOSUPPORT, 8}, {-EACCES, 2},       {-EPERM, 2},        {-ECONNRESET, 1},
                   {-ENOMEM, 1},       {-EINVAL, 1},       {-EMFILE, 1}};
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
                uint8_t want[] = {REP_FOR(map[i].rep)};
                assert_int_equal(relay_socks_result(out, map[i].err, (struct sockaddr *)&sin6), 10);
                assert_memory_equal(out, want, 10);
        }
}

/* ---- HTTP CONNECT */

static struct transcript feed_str(int kind, const char *s)
{
        return feed(kind, s, strlen(s));
}

#define STATUS_REPLY(code, text)                                                                   \
        "HTTP/1.1 " code " " text "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
static const char bad_request[] = STATUS_REPLY("400", "Bad Request");
static const char not_allowed[] = "HTTP/1.1 405 Method Not Allowed\r\nAllow: CONNECT\r\n"
                                  "Content-Length: 0\r\nConnection: close\r\n\r\n";

static void assert_reply_str(const struct transcript *t, const char *want)
{
        assert_int_equal(t->rlen, strlen(want));
        assert_memory_equal(t->replies, want, t->rlen);
}

static void assert_http_refused(const char *req, const char *reply, size_t used)
{
        struct transcript t = feed_str(HTTP, req);
        assert_int_equal(t.last, RELAY_FAIL);
        assert_reply_str(&t, reply);
        assert_int_equal(t.used, used ? used : strlen(req));
}

static void test_http_connect(void **state)
{
        (void)state;
        struct transcript t = feed_str(HTTP, "CONNECT example.com:443 HTTP/1.1\r\n"
                                             "Host: example.com:443\r\n"
                                             "User-Agent: curl/8.5.0\r\n\r\n");
        assert_int_equal(t.last, RELAY_REQUEST);
        assert_int_equal(t.rlen, 0);
        assert_int_equal(t.used, 34 + 23 + 24 + 2);
        assert_name(&t.dest, "example.com", 443);
        t = feed_str(HTTP, "CONNECT [::1]:8080 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
        assert_int_equal(t.last, RELAY_REQUEST);
        assert_v6(&t.dest, "::1", 8080);
        /* HTTP/1.0, bare LFs, no header, empty lines before the request line (RFC 9112
         * §2.2), an empty header value and obs-text in one. */
        t = feed_str(HTTP, "\r\n\nCONNECT 192.0.2.1:22 HTTP/1.0\nX-A:\nX-B: caf\xc3\xa9\t\n\n");
        assert_int_equal(t.last, RELAY_REQUEST);
        assert_v4(&t.dest, "192.0.2.1", 22);
        t = feed_str(HTTP, "CONNECT h:1 HTTP/1.1\r\n\r\n");
        assert_int_equal(t.last, RELAY_REQUEST);
        assert_name(&t.dest, "h", 1);
}

/* The client's bytes after the empty line are its tunnel's, left for the relay. */
static void test_http_early_data_left(void **state)
{
        (void)state;
        static const char req[] = "CONNECT example.com:443 HTTP/1.1\r\n\r\n\x16\x03\x01\x02";
        struct transcript t = feed(HTTP, req, sizeof(req) - 1);
        assert_int_equal(t.last, RELAY_REQUEST);
        assert_int_equal(t.used, sizeof(req) - 1 - 4);
        /* "\n\r\n" ends it too, the CR of an empty line counted. */
        t = feed_str(HTTP, "CONNECT a.b:1 HTTP/1.1\nHost: a.b\n\r\nXY");
        assert_int_equal(t.last, RELAY_REQUEST);
        assert_int_equal(t.used, strlen("CONNECT a.b:1 HTTP/1.1\nHost: a.b\n\r\n"));
}

static void test_http_methods_refused(void **state)
{
        (void)state;
        /* RFC 9110 §9.1: methods are case-sensitive; §15.5.6: 405 lists Allow. The reply
         * comes once the header is read. */
        assert_http_refused("connect example.com:443 HTTP/1.1\r\n\r\n", not_allowed, 0);
        assert_http_refused("Connect example.com:443 HTTP/1.1\r\n\r\n", not_allowed, 0);
        assert_http_refused("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
                            not_allowed, 0);
        assert_http_refused("PRI * HTTP/2.0\r\n\r\n", not_allowed, 0);
        assert_http_refused("CONNECTX a:1 HTTP/1.1\r\n\r\n", not_allowed, 0);
        /* The header is read first: nothing until its empty line. */
        struct transcript t = feed_str(HTTP, "GET / HTTP/1.1\r\nHost: x\r\n");
        assert_int_equal(t.last, RELAY_MORE);
        /* RFC 9110 §15.6.6 */
        assert_http_refused("CONNECT a.b:1 HTTP/2.0\r\n\r\n",
                            STATUS_REPLY("505", "HTTP Version Not Supported"), 0);
}

static void test_http_bad_targets(void **state)
{
        (void)state;
        /* RFC 9112 §3.2.3: host ":" port, the port required, 1 to 65535. */
        static const char *const targets[] = {
            "example.com",
            "example.com:",
            "example.com:0",
            "example.com:65536",
            ":443",
            "[::1]",
            "[::1:443",
            "::1:443",
            "u@example.com:443",
            "example.com:443/",
            "http://a.b:1",
            "a.b:1:2",
            "[::1]x:1",
            "exa%6dple.com:443",
            "a..b:1",
            "-a.b:1",
            "[v1.x]:1",
            "[1.2.3.4]:1",
            "1.2.3:1",
            "a.b:+1",
            "a.b:0x10",
            "*",
            "/",
        };
        for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
                char req[128];
                snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: x\r\n\r\n", targets[i]);
                assert_http_refused(req, bad_request, 0);
        }
        struct transcript t = feed_str(HTTP, "CONNECT a.b:65535 HTTP/1.1\r\n\r\n");
        assert_int_equal(t.last, RELAY_REQUEST);
        assert_name(&t.dest, "a.b", 65535);
}

static void test_http_malformed(void **state)
{
        (void)state;
        /* Framing errors are a 400 at the byte that shows them. */
        static const struct {
                const char *req;
                size_t used;
        } cases[] = {
            {"CONNECT  a.b:1 HTTP/1.1\r\n\r\n", 25},               /* two spaces */
            {"CONNECT a.b:1 HTTP/1.1 \r\n\r\n", 25},               /* a trailing one */
            {"CONNECT a.b:1\r\n\r\n", 15},                         /* no version */
            {"CONNECT a.b:1 HTTP/1.1x\r\n", 25},                   /* version */
            {"CONNECT a.b:1 http/1.1\r\n", 24},                    /* version, lower case */
            {"CONNECT a.b:1 HTTP/11\r\n", 23},                     /* version */
            {" CONNECT a.b:1 HTTP/1.1\r\n", 25},                   /* no method */
            {"CONN(ECT a.b:1 HTTP/1.1\r\n", 25},                   /* not a token */
            {"CONNECT\ta.b:1 HTTP/1.1\r\n", 8},                    /* a tab */
            {"CONNECT a.b:1 HTTP/1.1\rX", 24},                     /* a bare CR */
            {"CONNECT a.b:1 HTTP/1.1\r\nHost: a\rb\r\n", 33},      /* in a header */
            {"CONNECT a\x01.b:1 HTTP/1.1\r\n", 10},                /* a control */
            {"CONNECT a\x80.b:1 HTTP/1.1\r\n", 10},                /* non-ASCII in the line */
            {"CONNECT a.b:1 HTTP/1.1\r\nHosta.b\r\n", 33},         /* no colon */
            {"CONNECT a.b:1 HTTP/1.1\r\nHost : a.b\r\n", 29},      /* space before colon */
            {"CONNECT a.b:1 HTTP/1.1\r\n: a.b\r\n", 25},           /* no name */
            {"CONNECT a.b:1 HTTP/1.1\r\nA: 1\r\n folded\r\n", 31}, /* obs-fold */
            {"CONNECT a.b:1 HTTP/1.1\r\nA: 1\x7f\r\n", 29},        /* DEL in a value */
            {"CONNECT a.b:1 HTTP/1.1\r\nH\xc3: 1\r\n", 26},        /* a name not a token */
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                assert_http_refused(cases[i].req, bad_request, cases[i].used);
        /* A NUL in a header value. */
        static const char nul[] = "CONNECT a.b:1 HTTP/1.1\r\nA: x\0y\r\n\r\n";
        struct transcript t = feed(HTTP, nul, sizeof(nul) - 1);
        assert_int_equal(t.last, RELAY_FAIL);
        assert_reply_str(&t, bad_request);
        assert_int_equal(t.used, 29);
        /* Truncated: every prefix of a good request wants more. */
        static const char good[] = "\r\nCONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: h\r\n\r\n";
        for (size_t n = 0; n < sizeof(good) - 1; n++) {
                t = feed(HTTP, good, n);
                assert_int_equal(t.last, RELAY_MORE);
                assert_int_equal(t.used, n);
        }
        t = feed(HTTP, good, sizeof(good) - 1);
        assert_int_equal(t.last, RELAY_REQUEST);
        assert_v6(&t.dest, "2001:db8::1", 443);
}

/* RELAY_HTTP_MAX bytes in all are taken; one more is a 431 in the header, a 414 in the
 * request line, a 400 in empty lines. */
static void test_http_bounds(void **state)
{
        (void)state;
        static char req[RELAY_HTTP_MAX + 16];
        const char *line = "CONNECT a.b:1 HTTP/1.1\r\nX: ";
        size_t head = strlen(line);
        memcpy(req, line, head);
        memset(req + head, 'v', RELAY_HTTP_MAX - head - 4);
        memcpy(req + RELAY_HTTP_MAX - 4, "\r\n\r\nZ", 5);
        struct transcript t = feed(HTTP, req, RELAY_HTTP_MAX + 1);
        assert_int_equal(t.last, RELAY_REQUEST);
        assert_int_equal(t.used, RELAY_HTTP_MAX);
        /* One byte more in the header line. */
        memset(req + head, 'v', RELAY_HTTP_MAX - head - 3);
        memcpy(req + RELAY_HTTP_MAX - 3, "\r\n\r\n", 4);
        t = feed(HTTP, req, RELAY_HTTP_MAX + 1);
        assert_int_equal(t.last, RELAY_FAIL);
        assert_reply_str(&t, STATUS_REPLY("431", "Request Header Fields Too Large"));
        assert_int_equal(t.used, RELAY_HTTP_MAX);
        /* A header line alone over the bound, many short lines over it. */
        memset(req + head, 'v', sizeof(req) - head);
        t = feed(HTTP, req, sizeof(req));
        assert_int_equal(t.last, RELAY_FAIL);
        assert_reply_str(&t, STATUS_REPLY("431", "Request Header Fields Too Large"));
        for (size_t i = head; i + 6 <= sizeof(req); i += 6)
                memcpy(req + i, "A: b\r\n", 6);
        t = feed(HTTP, req, sizeof(req));
        assert_int_equal(t.last, RELAY_FAIL);
        assert_reply_str(&t, STATUS_REPLY("431", "Request Header Fields Too Large"));
        assert_int_equal(t.used, RELAY_HTTP_MAX);
        /* The request line. */
        memcpy(req, "CONNECT ", 8);
        memset(req + 8, 'a', sizeof(req) - 8);
        t = feed(HTTP, req, sizeof(req));
        assert_int_equal(t.last, RELAY_FAIL);
        assert_reply_str(&t, STATUS_REPLY("414", "URI Too Long"));
        assert_int_equal(t.used, RELAY_HTTP_MAX);
        /* Empty lines. */
        for (size_t i = 0; i < sizeof(req); i++)
                req[i] = i % 2 ? '\n' : '\r';
        t = feed(HTTP, req, sizeof(req));
        assert_int_equal(t.last, RELAY_FAIL);
        assert_reply_str(&t, bad_request);
}

static void test_http_misuse(void **state)
{
        (void)state;
        static struct relay_http h;
        uint8_t reply[RELAY_HTTP_REPLY_MAX];
        size_t used, rlen;
        struct relay_dest d;
        const char *why;
        static const char req[] = "CONNECT a.b:1 HTTP/1.1\r\n\r\nX";
        relay_http_init(&h);
        assert_int_equal(relay_http_input(&h, (const uint8_t *)req, sizeof(req) - 1, &used, reply,
                                          RELAY_HTTP_REPLY_MAX - 1, &rlen, &d, &why),
                         RELAY_FAIL);
        assert_int_equal(used, 0);
        relay_http_init(&h);
        assert_int_equal(relay_http_input(&h, (const uint8_t *)req, sizeof(req) - 1, &used, reply,
                                          sizeof(reply), &rlen, &d, &why),
                         RELAY_REQUEST);
        assert_int_equal(used, sizeof(req) - 2);
        assert_int_equal(relay_http_input(&h, (const uint8_t *)"X", 1, &used, reply, sizeof(reply),
                                          &rlen, &d, &why),
                         RELAY_FAIL);
        assert_int_equal(used, 0);
        assert_int_equal(rlen, 0);
}

static void test_http_result(void **state)
{
        (void)state;
        uint8_t out[RELAY_HTTP_REPLY_MAX];
        static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
        assert_int_equal(relay_http_result(out, sizeof(out), 0), strlen(ok));
        assert_memory_equal(out, ok, strlen(ok));
        static const char gw[] = STATUS_REPLY("502", "Bad Gateway");
        static const char to[] = STATUS_REPLY("504", "Gateway Timeout");
        static const int errs[] = {-ECONNREFUSED, -EHOSTUNREACH, -ENETUNREACH, -ENOMEM};
        for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
                assert_int_equal(relay_http_result(out, sizeof(out), errs[i]), strlen(gw));
                assert_memory_equal(out, gw, strlen(gw));
        }
        assert_int_equal(relay_http_result(out, sizeof(out), -ETIMEDOUT), strlen(to));
        assert_memory_equal(out, to, strlen(to));
        /* A destination the relay refuses (SOCKS5's REP 2). */
        static const char forbidden[] = STATUS_REPLY("403", "Forbidden");
        assert_int_equal(relay_http_result(out, sizeof(out), -EACCES), strlen(forbidden));
        assert_memory_equal(out, forbidden, strlen(forbidden));
        assert_int_equal(relay_http_result(out, sizeof(out), -EPERM), strlen(forbidden));
        /* Too small a buffer: nothing. */
        assert_int_equal(relay_http_result(out, strlen(ok) - 1, 0), 0);
        assert_int_equal(relay_http_result(out, strlen(ok), 0), strlen(ok));
        assert_int_equal(relay_http_result(out, strlen(gw), -ECONNREFUSED), 0);
        assert_int_equal(relay_http_result(out, strlen(gw) + 1, -ECONNREFUSED), strlen(gw));
}

/* ---- PROXY v2 */

#define PP2_SIG 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a

static void test_proxy_v2(void **state)
{
        (void)state;
        uint8_t out[64];
        struct sockaddr_in src = {.sin_family = AF_INET, .sin_port = htons(56324)};
        struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(443)};
        inet_pton(AF_INET, "192.0.2.1", &src.sin_addr);
        inet_pton(AF_INET, "198.51.100.2", &dst.sin_addr);
        /* proxy-protocol.txt §2.2: signature, 0x21 (v2, PROXY), 0x11 (TCP over IPv4),
         * length 12, then src, dst, src port, dst port. */
        static const uint8_t v4[] = {PP2_SIG, 0x21, 0x11, 0, 12,   192,  0,    2,   1,
                                     198,     51,   100,  2, 0xdc, 0x04, 0x01, 0xbb};
        assert_int_equal(
            relay_proxy_v2(out, sizeof(out), (struct sockaddr *)&src, (struct sockaddr *)&dst), 28);
        assert_memory_equal(out, v4, 28);
        struct sockaddr_in6 src6 = {.sin6_family = AF_INET6, .sin6_port = htons(1)};
        struct sockaddr_in6 dst6 = {.sin6_family = AF_INET6, .sin6_port = htons(65535)};
        inet_pton(AF_INET6, "2001:db8::1", &src6.sin6_addr);
        inet_pton(AF_INET6, "fd00::2:3", &dst6.sin6_addr);
        static const uint8_t v6[] = {PP2_SIG, 0x21, 0x21, 0, 36, 0x20, 0x01, 0x0d, 0xb8, 0, 0,
                                     0,       0,    0,    0, 0,  0,    0,    0,    0,    1, 0xfd,
                                     0,       0,    0,    0, 0,  0,    0,    0,    0,    0, 0,
                                     0,       2,    0,    3, 0,  1,    0xff, 0xff};
        assert_int_equal(sizeof(v6), 52);
        assert_int_equal(
            relay_proxy_v2(out, sizeof(out), (struct sockaddr *)&src6, (struct sockaddr *)&dst6),
            52);
        assert_memory_equal(out, v6, 52);
        /* A cap one short, families that differ, one missing or of another family. */
        assert_int_equal(relay_proxy_v2(out, 27, (struct sockaddr *)&src, (struct sockaddr *)&dst),
                         0);
        assert_int_equal(
            relay_proxy_v2(out, 51, (struct sockaddr *)&src6, (struct sockaddr *)&dst6), 0);
        assert_int_equal(
            relay_proxy_v2(out, sizeof(out), (struct sockaddr *)&src, (struct sockaddr *)&dst6), 0);
        assert_int_equal(relay_proxy_v2(out, sizeof(out), NULL, (struct sockaddr *)&dst), 0);
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        assert_int_equal(
            relay_proxy_v2(out, sizeof(out), (struct sockaddr *)&sun, (struct sockaddr *)&sun), 0);
        /* An IPv4-mapped client beside an IPv4 relay address is IPv4. */
        inet_pton(AF_INET6, "::ffff:192.0.2.1", &src6.sin6_addr);
        src6.sin6_port = htons(56324);
        assert_int_equal(
            relay_proxy_v2(out, sizeof(out), (struct sockaddr *)&src6, (struct sockaddr *)&dst),
            28);
        assert_memory_equal(out, v4, 28);
        /* Two mapped addresses stay IPv6, as they came. */
        dst6.sin6_addr = src6.sin6_addr;
        assert_int_equal(
            relay_proxy_v2(out, sizeof(out), (struct sockaddr *)&src6, (struct sockaddr *)&dst6),
            52);
        assert_int_equal(out[13], 0x21);
}

/* ---- HOST:PORT */

static void test_hostport_forms(void **state)
{
        (void)state;
        struct relay_dest d;
        char err[128] = "x";
        assert_int_equal(relay_parse_hostport("10.0.0.1:80", 0, &d, err, sizeof(err)), 0);
        assert_string_equal(err, "");
        assert_v4(&d, "10.0.0.1", 80);
        assert_int_equal(relay_parse_hostport("[::1]:1080", 0, &d, err, sizeof(err)), 0);
        assert_v6(&d, "::1", 1080);
        assert_int_equal(relay_parse_hostport("[::ffff:1.2.3.4]:1", 1, &d, err, sizeof(err)), 0);
        assert_v6(&d, "::ffff:1.2.3.4", 1);
        assert_int_equal(relay_parse_hostport("example.com:443", 0, &d, err, sizeof(err)), 0);
        assert_name(&d, "example.com", 443);
        assert_int_equal(relay_parse_hostport("Example.COM.:65535", 0, &d, NULL, 0), 0);
        assert_name(&d, "Example.COM.", 65535);
        assert_int_equal(relay_parse_hostport("localhost:00022", 0, &d, NULL, 0), 0);
        assert_name(&d, "localhost", 22);
        assert_int_equal(relay_parse_hostport("my_host-1.lan:8080", 0, &d, NULL, 0), 0);
        assert_name(&d, "my_host-1.lan", 8080);
        assert_int_equal(relay_parse_hostport("1a.2b:9", 0, &d, NULL, 0), 0);
        assert_name(&d, "1a.2b", 9);
        /* A port alone, where allowed: IPv4's wildcard. */
        assert_int_equal(relay_parse_hostport("8080", 1, &d, err, sizeof(err)), 0);
        assert_v4(&d, "0.0.0.0", 8080);
        assert_int_equal(relay_parse_hostport("0.0.0.0:1", 1, &d, err, sizeof(err)), 0);
        assert_v4(&d, "0.0.0.0", 1);
        assert_int_equal(relay_parse_hostport("[::]:1", 1, &d, err, sizeof(err)), 0);
        assert_v6(&d, "::", 1);
        /* 63-character labels, 253 characters. */
        char name[300];
        memset(name, 'a', 253);
        for (int i = 63; i < 253; i += 64)
                name[i] = '.';
        strcpy(name + 253, ":1");
        assert_int_equal(relay_parse_hostport(name, 0, &d, err, sizeof(err)), 0);
        assert_int_equal(strlen(d.name), 253);
}

static void test_hostport_bad(void **state)
{
        (void)state;
        static const struct {
                const char *s;
                int port_only;
        } bad[] = {
            {"8080", 0},
            {"host:0", 0},
            {"host:65536", 0},
            {"host:99999999999", 0},
            {":80", 0},
            {":80", 1},
            {"", 0},
            {"", 1},
            {"0", 1},
            {"[::1:80", 0},
            {"[::1]", 0},
            {"[::1]:", 0},
            {"[::1]80", 0},
            {"[::1]x:80", 0},
            {"[]:80", 0},
            {"::1:80", 0},
            {"::1", 1},
            {"host:80x", 0},
            {"host:-1", 0},
            {"host:+80", 0},
            {"host: 80", 0},
            {"host :80", 0},
            {"ho st:80", 0},
            {"host", 0},
            {"1.2.3:80", 0},
            {"256.1.1.1:80", 0},
            {"1.2.3.4.:80", 0},
            {"a..b:80", 0},
            {".a:80", 0},
            {"-a.com:80", 0},
            {"a-.com:80", 0},
            {"[v1.x]:80", 0},
            {"[1.2.3.4]:80", 0},
            {"[fe80::1%eth0]:80", 0},
            {"a]:80", 0},
            {"u@h:80", 0},
            {"h/p:80", 0},
            {"10.0.0.1:80:81", 0},
            {"0x7f.1:80", 0},
            {"127.1:80", 0},
            {"[::1]:80]", 0},
            {"[[::1]]:80", 0},
            {"h:0x50", 0},
            {"h.:", 0},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct relay_dest d;
                char err[128] = "";
                memset(&d, 0x5a, sizeof(d));
                if (relay_parse_hostport(bad[i].s, bad[i].port_only, &d, err, sizeof(err)) !=
                    -EINVAL)
                        fail_msg("\"%s\" (port_only %d) was taken", bad[i].s, bad[i].port_only);
                assert_true(err[0] != '\0');
                assert_int_equal(d.port, 0);
                assert_int_equal(d.is_name, 0);
                assert_int_equal(d.addr.ss_family, 0);
        }
        /* A label of 64, a name of 254. */
        char name[300];
        memset(name, 'a', 64);
        strcpy(name + 64, ".b:1");
        assert_int_equal(relay_parse_hostport(name, 0, &(struct relay_dest){0}, NULL, 0), -EINVAL);
        memset(name, 'a', 254);
        for (int i = 63; i < 254; i += 64)
                name[i] = '.';
        strcpy(name + 254, ":1");
        assert_int_equal(relay_parse_hostport(name, 0, &(struct relay_dest){0}, NULL, 0), -EINVAL);
        /* The reason fits what it is given. */
        char small[6];
        assert_int_equal(relay_parse_hostport("h:0", 0, &(struct relay_dest){0}, small, 6),
                         -EINVAL);
        assert_string_equal(small, "port ");
}

/* ---- destinations refused */

static struct sockaddr_storage sa_of(const char *addr)
{
        struct sockaddr_storage ss = {0};
        if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
                ss.ss_family = AF_INET;
        } else {
                assert_int_equal(
                    inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
                ss.ss_family = AF_INET6;
        }
        return ss;
}

static const char *never(const char *addr)
{
        struct sockaddr_storage ss = sa_of(addr);
        return relay_dest_never((struct sockaddr *)&ss);
}

/* Each class that cannot be reached over the MPTCP links, at its edges, and the unicast
 * addresses beside them that can. */
static void test_dest_never(void **state)
{
        (void)state;
        static const struct {
                const char *addr, *why;
        } cases[] = {
            {"0.0.0.0", "unspecified"},
            {"0.255.255.255", "unspecified"},
            {"::", "unspecified"},
            {"127.0.0.1", "loopback"},
            {"127.255.255.254", "loopback"},
            {"::1", "loopback"},
            {"224.0.0.1", "multicast"},
            {"239.255.255.255", "multicast"},
            {"ff02::1", "multicast"},
            {"ff0e::1", "multicast"},
            {"255.255.255.255", "broadcast"},
            {"::ffff:127.0.0.1", "IPv4-mapped loopback"},
            {"::ffff:0.0.0.0", "IPv4-mapped unspecified"},
            {"::ffff:224.1.2.3", "IPv4-mapped multicast"},
            {"::ffff:255.255.255.255", "IPv4-mapped broadcast"},
            {"::2", "IPv4-compatible unspecified"},
            {"::127.0.0.1", "IPv4-compatible loopback"},
            {"64:ff9b::127.0.0.1", "NAT64 loopback"},
            {"64:ff9b::7f00:1", "NAT64 loopback"},
            {"64:ff9b::e000:1", "NAT64 multicast"},
            {"64:ff9b::", "NAT64 unspecified"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const char *why = never(cases[i].addr);
                if (!why || strcmp(why, cases[i].why))
                        fail_msg("%s: %s, want %s", cases[i].addr, why ? why : "allowed",
                                 cases[i].why);
        }
        static const char *const ok[] = {"1.0.0.0",
                                         "10.0.1.2",
                                         "126.255.255.255",
                                         "128.0.0.1",
                                         "223.255.255.255",
                                         "240.0.0.1",
                                         "255.255.255.254",
                                         "192.168.1.255",
                                         "2001:db8::1",
                                         "::10.0.1.2",
                                         "fe80::1",
                                         "64:ff9b::10.0.1.2",
                                         "64:ff9b:1::127.0.0.1",
                                         "169.254.169.254",
                                         "::ffff:10.0.1.2",
                                         "feff::1"};
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
                if (never(ok[i]))
                        fail_msg("%s refused: %s", ok[i], never(ok[i]));
        struct sockaddr_un un = {.sun_family = AF_UNIX};
        assert_string_equal(relay_dest_never((struct sockaddr *)&un), "not IP");
}

/* Link-local, in every form, apart from the classes never allowed; an allow-list
 * re-allows it only with a prefix inside the link-local range. */
static void test_dest_link_local(void **state)
{
        (void)state;
        struct sockaddr_storage ss;
        static const struct {
                const char *addr, *why;
        } cases[] = {{"169.254.169.254", "link-local"},
                     {"169.254.0.0", "link-local"},
                     {"fe80::1", "link-local"},
                     {"febf::1", "link-local"},
                     {"::ffff:169.254.1.1", "IPv4-mapped link-local"},
                     {"::169.254.1.1", "IPv4-compatible link-local"},
                     {"64:ff9b::169.254.169.254", "NAT64 link-local"},
                     {"169.253.255.255", NULL},
                     {"169.255.0.1", NULL},
                     {"fec0::1", NULL},
                     {"127.0.0.1", NULL}};
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                ss = sa_of(cases[i].addr);
                const char *why = relay_dest_link_local((struct sockaddr *)&ss);
                if (cases[i].why ? !why || strcmp(why, cases[i].why) : why != NULL)
                        fail_msg("%s: %s, want %s", cases[i].addr, why ? why : "not link-local",
                                 cases[i].why ? cases[i].why : "not link-local");
        }
        struct relay_allow a;
        char err[128];
        assert_int_equal(relay_allow_parse("0.0.0.0/0;::/0;169.0.0.0/8", &a, err, sizeof(err)), 0);
        ss = sa_of("169.254.169.254");
        assert_false(relay_allow_link_local(&a, (struct sockaddr *)&ss));
        assert_int_equal(relay_allow_parse("169.254.169.254; fe80::/64", &a, err, sizeof(err)), 0);
        assert_true(relay_allow_link_local(&a, (struct sockaddr *)&ss));
        ss = sa_of("::ffff:169.254.169.254");
        assert_true(relay_allow_link_local(&a, (struct sockaddr *)&ss));
        ss = sa_of("169.254.169.253");
        assert_false(relay_allow_link_local(&a, (struct sockaddr *)&ss));
        ss = sa_of("fe80::5");
        assert_true(relay_allow_link_local(&a, (struct sockaddr *)&ss));
        ss = sa_of("fe80:1::5");
        assert_false(relay_allow_link_local(&a, (struct sockaddr *)&ss));
}

/* An address set matches an IPv4 address in each of its IPv6 forms, and nothing else. */
static void test_addrset(void **state)
{
        (void)state;
        struct relay_addrset s = {0};
        struct sockaddr_storage ss;
        static const char *const in[] = {"10.1.1.1", "192.0.2.2", "fd00::2", "10.1.1.1"};
        for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
                ss = sa_of(in[i]);
                assert_int_equal(relay_addrset_add(&s, (struct sockaddr *)&ss), 0);
        }
        assert_int_equal(s.n, 3); /* once each */
        static const char *const has[] = {"10.1.1.1",          "::ffff:10.1.1.1", "::10.1.1.1",
                                          "64:ff9b::10.1.1.1", "192.0.2.2",       "fd00::2"};
        static const char *const not [] = {"10.1.1.2", "fd00::1", "64:ff9b:1::10.1.1.1",
                                           "2001:db8::10.1.1.1"};
        for (size_t i = 0; i < sizeof(has) / sizeof(has[0]); i++) {
                ss = sa_of(has[i]);
                if (!relay_addrset_has(&s, (struct sockaddr *)&ss))
                        fail_msg("%s not found", has[i]);
        }
        for (size_t i = 0; i < sizeof(not ) / sizeof(not [0]); i++) {
                ss = sa_of(not [i]);
                if (relay_addrset_has(&s, (struct sockaddr *)&ss))
                        fail_msg("%s found", not [i]);
        }
        relay_addrset_free(&s);
        assert_int_equal(s.n, 0);
}

static int allowed(const struct relay_allow *a, const char *addr)
{
        struct sockaddr_storage ss = sa_of(addr);
        return relay_allow_match(a, (struct sockaddr *)&ss);
}

/* allow=CIDR[;CIDR...]: parsed, matched at the prefixes' edges, an IPv4-mapped address as
 * IPv4, and the malformed refused with a reason. */
static void test_allow_list(void **state)
{
        (void)state;
        struct relay_allow a;
        char err[128];
        assert_int_equal(relay_allow_parse(NULL, &a, err, sizeof(err)), 0);
        assert_int_equal(a.n, 0);
        assert_true(allowed(&a, "192.0.2.1")); /* none: every destination */
        assert_int_equal(relay_allow_parse("", &a, err, sizeof(err)), 0);
        assert_int_equal(a.n, 0);
        assert_int_equal(
            relay_allow_parse("10.0.0.0/8; 192.168.1.0/25 ;2001:db8::/32;198.51.100.7;0.0.0.0/0",
                              &a, err, sizeof(err)),
            0);
        assert_int_equal(a.n, 5);
        assert_int_equal(relay_allow_parse("10.0.0.0/8;192.168.1.0/25;2001:db8::/32;198.51.100.7",
                                           &a, err, sizeof(err)),
                         0);
        assert_int_equal(a.n, 4);
        assert_true(allowed(&a, "10.0.0.0"));
        assert_true(allowed(&a, "10.255.255.255"));
        assert_false(allowed(&a, "11.0.0.0"));
        assert_false(allowed(&a, "9.255.255.255"));
        assert_true(allowed(&a, "192.168.1.127"));
        assert_false(allowed(&a, "192.168.1.128"));
        assert_true(allowed(&a, "198.51.100.7"));
        assert_false(allowed(&a, "198.51.100.8"));
        assert_true(allowed(&a, "2001:db8:ffff::1"));
        assert_false(allowed(&a, "2001:db9::1"));
        assert_true(allowed(&a, "::ffff:10.1.2.3")); /* as IPv4 */
        assert_false(allowed(&a, "::ffff:11.1.2.3"));
        /* IPv4-compatible and NAT64 forms end up at their IPv4 address: judged as it. */
        assert_true(allowed(&a, "::a00:1"));
        assert_true(allowed(&a, "64:ff9b::c633:6407"));
        assert_false(allowed(&a, "64:ff9b::808:808"));
        assert_int_equal(relay_allow_parse("0.0.0.0/0;::/0", &a, err, sizeof(err)), 0);
        assert_true(allowed(&a, "203.0.113.9"));
        assert_true(allowed(&a, "2001:db8::9"));
        /* "::/0" alone opens IPv6, not IPv4 through a NAT64 (found by review). */
        assert_int_equal(relay_allow_parse("::/0", &a, err, sizeof(err)), 0);
        assert_true(allowed(&a, "2001:db8::9"));
        assert_false(allowed(&a, "64:ff9b::808:808"));
        assert_false(allowed(&a, "::808:808"));
        static const char *const bad[] = {
            "10.0.0.0/33", "2001:db8::/129", "10.1.2.3/8",  "2001:db8::1/32", "10.0.0.0/",
            "10.0.0.0/x",  "10.0.0.0/+8",    "10.0.0.0/8;", ";10.0.0.0/8",    "10.0.0.0/8;;1.2.3.4",
            "host.test",   "10.0.0",         "[::1]",       "fe80::1%eth0",   "10.0.0.0 /8"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err[0] = 0;
                if (relay_allow_parse(bad[i], &a, err, sizeof(err)) != -EINVAL)
                        fail_msg("%s: accepted", bad[i]);
                assert_int_equal(a.n, 0);
                assert_true(strncmp(err, "allow: ", 7) == 0);
        }
        char many[512] = "";
        for (int i = 0; i <= RELAY_ALLOW_MAX; i++)
                snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s10.%d.0.0/16",
                         i ? ";" : "", i);
        assert_int_equal(relay_allow_parse(many, &a, err, sizeof(err)), -EINVAL);
        *strrchr(many, ';') = 0;
        assert_int_equal(relay_allow_parse(many, &a, err, sizeof(err)), 0);
        assert_int_equal(a.n, RELAY_ALLOW_MAX);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_socks_connect_ipv4),
            cmocka_unit_test(test_socks_connect_ipv6),
            cmocka_unit_test(test_socks_connect_name),
            cmocka_unit_test(test_socks_long_names),
            cmocka_unit_test(test_socks_early_data_left),
            cmocka_unit_test(test_socks_methods_refused),
            cmocka_unit_test(test_socks_wrong_versions),
            cmocka_unit_test(test_socks_commands_refused),
            cmocka_unit_test(test_socks_address_types_refused),
            cmocka_unit_test(test_socks_bad_destinations),
            cmocka_unit_test(test_socks_auth),
            cmocka_unit_test(test_socks_auth_refused),
            cmocka_unit_test(test_socks_truncated),
            cmocka_unit_test(test_socks_misuse),
            cmocka_unit_test(test_socks_result),
            cmocka_unit_test(test_http_connect),
            cmocka_unit_test(test_http_early_data_left),
            cmocka_unit_test(test_http_methods_refused),
            cmocka_unit_test(test_http_bad_targets),
            cmocka_unit_test(test_http_malformed),
            cmocka_unit_test(test_http_bounds),
            cmocka_unit_test(test_http_misuse),
            cmocka_unit_test(test_http_result),
            cmocka_unit_test(test_dest_never),
            cmocka_unit_test(test_dest_link_local),
            cmocka_unit_test(test_addrset),
            cmocka_unit_test(test_allow_list),
            cmocka_unit_test(test_proxy_v2),
            cmocka_unit_test(test_hostport_forms),
            cmocka_unit_test(test_hostport_bad),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
