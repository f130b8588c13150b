/* Fuzz target for the relay's request parsers (src/relay/relay_proto.h). The input's bytes
 * after its first two are fed to the SOCKS5 parser and to the HTTP CONNECT parser twice
 * each: whole (the rest fed again after each reply, as the relay does), and in pieces whose
 * sizes come from the input; both runs must give the same replies, outcome, bytes taken and
 * destination. Every call must keep its bounds (taken <= given, the reply within its
 * buffer, which is exactly the minimum size so AddressSanitizer sees a byte past it), a
 * request's destination must be one a relay can use (a port; a non-empty NUL-terminated
 * host name or an IPv4/IPv6 address), and nothing is fed after a failure. The same bytes
 * are then read as HOST:PORT, whose result must parse again to itself once written back.
 * Input: [flags][chunk seed][bytes...]; flags bit 0 has the SOCKS server require "u"/"pw",
 * bits 1-2 pick the pieces (1 byte, up to 8, up to 64, up to 512), bit 3 allows a port
 * alone, bits 4-6 (and the seed's bit 3) the upstream's outcome for the result writers, and
 * bit 7 has the bytes' last 32 repeated past RELAY_HTTP_MAX, so that the HTTP parser's
 * bounds are reached without inputs libFuzzer would take long to grow. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_relay_proto.h"
#include "relay/relay_proto.h"

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "fuzz_relay_proto: %s:%d: %s\n", __FILE__, __LINE__,       \
                                #cond);                                                            \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

enum { SOCKS, HTTP };

struct run {
        uint8_t replies[512];
        size_t rlen, used;
        int replies_n;
        enum relay_step last;
        struct relay_dest dest;
        const char *why;
};

/* A destination the relay could connect to or resolve. */
static void check_dest(const struct relay_dest *d)
{
        CHECK(d->port != 0);
        if (d->is_name) {
                CHECK(d->is_name == 1);
                CHECK(d->addr.ss_family == AF_UNSPEC);
                size_t n = strnlen(d->name, sizeof(d->name));
                CHECK(n > 0 && n < sizeof(d->name));
                for (size_t i = 0; i < n; i++)
                        CHECK(d->name[i] > ' ' && d->name[i] < 0x7f && d->name[i] != ':');
        } else {
                CHECK(d->name[0] == '\0');
                if (d->addr.ss_family == AF_INET)
                        CHECK(((const struct sockaddr_in *)&d->addr)->sin_port == htons(d->port));
                else if (d->addr.ss_family == AF_INET6)
                        CHECK(((const struct sockaddr_in6 *)&d->addr)->sin6_port == htons(d->port));
                else
                        CHECK(!"a destination without a name or an address family");
        }
}

/* Pieces of 1 byte, or 1 to 8, 64 or 512 from a generator the input seeds. */
static size_t piece(int mode, uint32_t *x)
{
        static const uint32_t most[4] = {1, 8, 64, 512};
        *x = *x * 1103515245u + 12345u;
        return 1 + (*x >> 16) % most[mode];
}

static void feed(int kind, const uint8_t *in, size_t len, int creds, int mode, uint32_t seed,
                 struct run *out)
{
        static struct relay_http h; /* 8 KiB: not on the stack */
        struct relay_socks s;
        if (kind == SOCKS)
                relay_socks_init(&s, creds ? "u" : NULL, creds ? "pw" : NULL);
        else
                relay_http_init(&h);
        memset(out, 0, sizeof(*out));
        size_t off = 0;
        for (;;) {
                size_t n = len - off;
                if (mode >= 0) {
                        size_t p = piece(mode, &seed);
                        n = p < n ? p : n;
                }
                /* Exactly the documented minimum: a byte past it is AddressSanitizer's. */
                uint8_t socks_reply[RELAY_SOCKS_REPLY_MIN], http_reply[RELAY_HTTP_REPLY_MAX];
                uint8_t *reply = kind == SOCKS ? socks_reply : http_reply;
                size_t cap = kind == SOCKS ? sizeof(socks_reply) : sizeof(http_reply);
                size_t used = (size_t)-1, rlen = (size_t)-1;
                const char *why = "unset";
                struct relay_dest d;
                memset(&d, 0xa5, sizeof(d));
                enum relay_step r =
                    kind == SOCKS
                        ? relay_socks_input(&s, in + off, n, &used, reply, cap, &rlen, &d, &why)
                        : relay_http_input(&h, in + off, n, &used, reply, cap, &rlen, &d, &why);
                CHECK(used <= n);
                CHECK(rlen <= cap);
                CHECK(out->rlen + rlen <= sizeof(out->replies));
                memcpy(out->replies + out->rlen, reply, rlen);
                out->rlen += rlen;
                off += used;
                out->last = r;
                CHECK(r == RELAY_FAIL ? why != NULL && why[0] != '\0' : why == NULL);
                switch (r) {
                case RELAY_MORE:
                        CHECK(used == n && rlen == 0);
                        if (off == len) {
                                out->used = off;
                                return;
                        }
                        continue;
                case RELAY_REPLY:
                        CHECK(kind == SOCKS && rlen == 2);
                        CHECK(++out->replies_n <= 2);
                        continue;
                case RELAY_REQUEST:
                        CHECK(rlen == 0);
                        check_dest(&d);
                        out->dest = d;
                        /* The parser is done: more bytes are a failure, and take nothing. */
                        r = kind == SOCKS
                                ? relay_socks_input(&s, in, len, &used, reply, cap, &rlen, &d, &why)
                                : relay_http_input(&h, in, len, &used, reply, cap, &rlen, &d, &why);
                        CHECK(r == RELAY_FAIL && used == 0 && rlen == 0 && why);
                        break;
                case RELAY_FAIL:
                        out->why = why;
                        break;
                default:
                        CHECK(!"a step that is none");
                }
                out->used = off;
                return; /* after a failure or the request nothing more is fed */
        }
}

static void check_socks_replies(const struct run *r)
{
        /* Method selection (05 XX), RFC 1929's status (01 XX), a request's failure. */
        size_t at = 0;
        if (r->rlen >= 2) {
                CHECK(r->replies[0] == 5);
                at = 2;
        }
        if (r->rlen >= 4 && r->replies[at] == 1) {
                CHECK(r->replies[at + 1] <= 1);
                at += 2;
        }
        if (r->last == RELAY_FAIL && r->rlen > at) {
                CHECK(r->rlen - at == 10);
                CHECK(r->replies[at] == 5 && r->replies[at + 1] >= 1 && r->replies[at + 1] <= 8);
                at += 10;
        }
        CHECK(at == r->rlen);
}

static void check_http(const struct run *r, const uint8_t *in)
{
        if (r->last == RELAY_REQUEST) {
                CHECK(r->used >= 2 && in[r->used - 1] == '\n');
                CHECK(in[r->used - 2] == '\n' ||
                      (r->used >= 3 && in[r->used - 2] == '\r' && in[r->used - 3] == '\n'));
        }
        if (r->rlen) {
                CHECK(r->last == RELAY_FAIL);
                CHECK(r->rlen > 13 && (memcmp(r->replies, "HTTP/1.1 4", 10) == 0 ||
                                       memcmp(r->replies, "HTTP/1.1 505 ", 13) == 0));
                CHECK(memcmp(r->replies + r->rlen - 4, "\r\n\r\n", 4) == 0);
        }
}

static int same(const struct run *a, const struct run *b)
{
        if (a->last != b->last || a->used != b->used || a->rlen != b->rlen ||
            a->replies_n != b->replies_n || memcmp(a->replies, b->replies, a->rlen) != 0)
                return 0;
        if (a->last == RELAY_REQUEST && memcmp(&a->dest, &b->dest, sizeof(a->dest)) != 0)
                return 0;
        return a->last != RELAY_FAIL || strcmp(a->why, b->why) == 0;
}

static void check_results(const struct relay_dest *d, int outcome)
{
        static const int errs[16] = {
            0,       0,      -ENETUNREACH, -EHOSTUNREACH, -ECONNREFUSED, -ETIMEDOUT, -EAFNOSUPPORT,
            -EACCES, -EPERM, -ENOMEM,      -ECONNRESET,   -EINVAL,       -EPIPE,     1,
            -1,      -1000};
        int err = errs[outcome & 15];
        uint8_t out[64];
        const struct sockaddr *bound = d->is_name ? NULL : (const struct sockaddr *)&d->addr;
        memset(out, 0xee, sizeof(out));
        size_t n = relay_socks_result(out, err, bound);
        CHECK(n == 10 || n == 22);
        CHECK(out[0] == 5 && out[2] == 0 && out[n] == 0xee);
        CHECK((err == 0) == (out[1] == 0));
        CHECK(n == 22 ? out[3] == 4 : out[3] == 1);
        uint8_t http[RELAY_HTTP_REPLY_MAX];
        n = relay_http_result(http, sizeof(http), err);
        CHECK(n > 0 && n <= sizeof(http));
        /* Either sign: relay_http_result takes the errno's magnitude. */
        int forbidden = err == -EACCES || err == -EPERM || err == EACCES || err == EPERM;
        CHECK(memcmp(http,
                     forbidden ? "HTTP/1.1 403"
                     : err     ? "HTTP/1.1 50"
                               : "HTTP/1.1 200",
                     forbidden || !err ? 12 : 11) == 0);
        CHECK(relay_http_result(http, n - 1, err) == 0);
        if (!d->is_name) {
                /* The destination as both ends of a PROXY v2 header. */
                uint8_t pp[64];
                n = relay_proxy_v2(pp, sizeof(pp), bound, bound);
                CHECK(n == (d->addr.ss_family == AF_INET ? 28u : 52u));
                CHECK(memcmp(pp, "\r\n\r\n\0\r\nQUIT\n", 12) == 0 && pp[12] == 0x21);
                CHECK(pp[13] == (n == 28 ? 0x11 : 0x21));
                CHECK(pp[14] == 0 && pp[15] == n - 16);
                CHECK(relay_proxy_v2(pp, n - 1, bound, bound) == 0);
        }
}

/* HOST:PORT: taken ones are valid and parse to themselves once written back. */
static int hostport(const uint8_t *in, size_t len, int port_only)
{
        char s[320], err[128];
        if (len >= sizeof(s))
                len = sizeof(s) - 1;
        memcpy(s, in, len);
        s[len] = '\0';
        struct relay_dest d, again;
        memset(&d, 0x5a, sizeof(d));
        memset(err, 0x5a, sizeof(err));
        int r = relay_parse_hostport(s, port_only, &d, err, sizeof(err));
        CHECK(r == 0 || r == -EINVAL);
        CHECK(memchr(err, '\0', sizeof(err)) != NULL);
        if (r < 0) {
                static const struct relay_dest zero;
                CHECK(err[0] != '\0');
                CHECK(memcmp(&d, &zero, sizeof(d)) == 0);
                return 0;
        }
        CHECK(err[0] == '\0');
        check_dest(&d);
        char text[RELAY_NAME_MAX + 16], addr[INET6_ADDRSTRLEN];
        if (d.is_name) {
                snprintf(text, sizeof(text), "%s:%u", d.name, d.port);
        } else if (d.addr.ss_family == AF_INET) {
                inet_ntop(AF_INET, &((struct sockaddr_in *)&d.addr)->sin_addr, addr, sizeof(addr));
                snprintf(text, sizeof(text), "%s:%u", addr, d.port);
        } else {
                inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&d.addr)->sin6_addr, addr,
                          sizeof(addr));
                snprintf(text, sizeof(text), "[%s]:%u", addr, d.port);
        }
        CHECK(relay_parse_hostport(text, 0, &again, NULL, 0) == 0);
        CHECK(memcmp(&d, &again, sizeof(d)) == 0);
        return FUZZ_RELAY_HOSTPORT;
}

int fuzz_relay_proto_one(const uint8_t *data, size_t size)
{
        if (size < 2)
                return 0;
        int flags = data[0], creds = flags & 1, mode = (flags >> 1) & 3;
        int outcome = (flags >> 4 & 7) | (data[1] & 8);
        uint32_t seed = data[1];
        const uint8_t *in = data + 2;
        size_t len = size - 2;
        static uint8_t long_input[RELAY_HTTP_MAX + 256];
        if ((flags & 0x80) && len > 0 && len < sizeof(long_input)) {
                size_t tail = len < 32 ? len : 32;
                memcpy(long_input, in, len);
                for (; len + tail <= sizeof(long_input); len += tail)
                        memcpy(long_input + len, in + (size - 2) - tail, tail);
                in = long_input;
        }
        int reached = 0;
        struct run whole, pieces;

        feed(SOCKS, in, len, creds, -1, 0, &whole);
        feed(SOCKS, in, len, creds, mode, seed, &pieces);
        CHECK(same(&whole, &pieces));
        check_socks_replies(&whole);
        if (whole.last == RELAY_REQUEST) {
                reached |= FUZZ_RELAY_SOCKS_REQUEST;
                check_results(&whole.dest, outcome);
        }
        if (creds && whole.replies_n == 2)
                reached |= FUZZ_RELAY_SOCKS_AUTH;

        feed(HTTP, in, len, 0, -1, 0, &whole);
        feed(HTTP, in, len, 0, mode, seed, &pieces);
        CHECK(same(&whole, &pieces));
        check_http(&whole, in);
        if (whole.last == RELAY_REQUEST) {
                reached |= FUZZ_RELAY_HTTP_REQUEST;
                check_results(&whole.dest, outcome);
        }
        if (whole.last == RELAY_FAIL && whole.rlen)
                reached |= FUZZ_RELAY_HTTP_REFUSED;

        return reached | hostport(in, len, (flags >> 3) & 1);
}

#ifdef UMPTCP_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        fuzz_relay_proto_one(data, size);
        return 0;
}
#endif
