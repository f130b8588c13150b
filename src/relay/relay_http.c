/* The request of an HTTP CONNECT proxy's client (RFC 9110 §9.3.6, its syntax RFC 9112),
 * read a byte at a time so that a client may send it in any pieces and the bytes after
 * its empty line are not taken. Only the request line is kept; header lines are checked
 * as they pass (the relay uses none of them) and counted against the bound. */
#include "relay/relay_proto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { H_LINE, H_HEADERS, H_DONE, H_FAILED };

/* RFC 9110 §5.6.2: tchar, what a method and a field name are made of. */
static int tchar(uint8_t c)
{
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
                return 1;
        return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static const char *reason(int status)
{
        switch (status) {
        case 200:
                return "Connection established";
        case 400:
                return "Bad Request";
        case 403:
                return "Forbidden";
        case 405:
                return "Method Not Allowed";
        case 414:
                return "URI Too Long";
        case 431:
                return "Request Header Fields Too Large";
        case 502:
                return "Bad Gateway";
        case 504:
                return "Gateway Timeout";
        case 505:
                return "HTTP Version Not Supported";
        default:
                return "Error";
        }
}

/* A refusal ends the connection, so it says so (RFC 9112 §9.6) and that no body follows. */
static size_t refusal(uint8_t *out, size_t cap, int status)
{
        /* RFC 9110 §15.5.6: a 405 MUST list the methods the target takes. */
        int n = snprintf((char *)out, cap,
                         "HTTP/1.1 %d %s\r\n%sContent-Length: 0\r\nConnection: close\r\n\r\n",
                         status, reason(status), status == 405 ? "Allow: CONNECT\r\n" : "");
        return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t relay_http_result(uint8_t *out, size_t cap, int err)
{
        if (err == 0) {
                /* RFC 9110 §9.3.6: no Content-Length or Transfer-Encoding in a 2xx to
                 * CONNECT; the tunnel starts after the empty line. */
                static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
                if (cap < sizeof(ok) - 1)
                        return 0;
                memcpy(out, ok, sizeof(ok) - 1);
                return sizeof(ok) - 1;
        }
        int e = err < 0 ? -err : err;
        /* As SOCKS5's REP 2: the relay's own policy said no, not the far end. */
        if (e == EACCES || e == EPERM)
                return refusal(out, cap, 403);
        return refusal(out, cap, e == ETIMEDOUT ? 504 : 502);
}

void relay_http_init(struct relay_http *h)
{
        /* Only the fields: the request line is written before it is read. */
        h->state = H_LINE;
        h->status = 0;
        h->have = h->line = h->target = 0;
        h->cr = h->colon = 0;
}

struct out {
        uint8_t *reply;
        size_t cap, *reply_len;
        const char **why;
};

static enum relay_step fail(struct relay_http *h, struct out *o, int status, const char *why)
{
        h->state = H_FAILED;
        if (status)
                *o->reply_len = refusal(o->reply, o->cap, status);
        *o->why = why;
        return RELAY_FAIL;
}

/* RFC 9112 §3: request-line = method SP request-target SP HTTP-version, one SP each (a
 * recipient MAY split on any whitespace; this one need not). Framing errors are a 400 at
 * once; a request that is well formed but refused is answered once its header is read. */
static enum relay_step request_line(struct relay_http *h, struct out *o)
{
        char *line = h->buf, *sp1, *sp2;
        line[h->line] = '\0';
        sp1 = strchr(line, ' ');
        sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
        if (!sp1 || !sp2 || strchr(sp2 + 1, ' '))
                return fail(h, o, 400, "HTTP request line is not METHOD TARGET VERSION");
        if (sp1 == line)
                return fail(h, o, 400, "HTTP request line without a method");
        for (const char *p = line; p < sp1; p++)
                if (!tchar((uint8_t)*p))
                        return fail(h, o, 400, "HTTP method is not a token");
        /* RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT; any 1.x is read as 1.1. */
        const char *v = sp2 + 1;
        if (strlen(v) != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' ||
            v[6] != '.' || v[7] < '0' || v[7] > '9')
                return fail(h, o, 400, "HTTP request line without a valid version");
        *sp2 = '\0';
        h->target = (size_t)(sp1 + 1 - line);
        /* RFC 9110 §9.1: the method is case-sensitive, so "connect" is not CONNECT. */
        if ((size_t)(sp1 - line) != 7 || memcmp(line, "CONNECT", 7) != 0)
                h->status = 405;
        else if (v[5] != '1')
                h->status = 505; /* RFC 9110 §15.6.6 */
        h->state = H_HEADERS;
        return RELAY_MORE;
}

/* The empty line: the request is whole. */
static enum relay_step header_end(struct relay_http *h, struct out *o, struct relay_dest *dest)
{
        if (h->status)
                return fail(h, o, h->status,
                            h->status == 405 ? "HTTP method other than CONNECT"
                                             : "HTTP version not supported");
        /* RFC 9112 §3.2.3: CONNECT's target is the authority-form, uri-host ":" port, the
         * port required; no userinfo, no path. relay_parse_hostport refuses '@', '/', '%'
         * and an empty host as characters no host name has. */
        char err[96];
        if (relay_parse_hostport(h->buf + h->target, 0, dest, err, sizeof(err)) < 0)
                return fail(h, o, 400, "HTTP CONNECT target is not host:port");
        h->state = H_DONE;
        return RELAY_REQUEST;
}

enum relay_step relay_http_input(struct relay_http *h, const uint8_t *in, size_t len, size_t *used,
                                 uint8_t *reply, size_t reply_cap, size_t *reply_len,
                                 struct relay_dest *dest, const char **why)
{
        struct out o = {reply, reply_cap, reply_len, why};
        *used = 0;
        *reply_len = 0;
        *why = NULL;
        if (h->state == H_DONE)
                return fail(h, &o, 0, "HTTP input after the request");
        if (h->state == H_FAILED)
                return fail(h, &o, 0, "HTTP input after a failure");
        if (reply_cap < RELAY_HTTP_REPLY_MAX)
                return fail(h, &o, 0, "reply buffer too small");
        for (size_t off = 0; off < len;) {
                if (h->have == RELAY_HTTP_MAX) {
                        *used = off;
                        if (h->state == H_HEADERS) /* RFC 6585 §5 */
                                return fail(h, &o, 431, "HTTP request header too long");
                        if (h->line) /* RFC 9112 §3 */
                                return fail(h, &o, 414, "HTTP request line too long");
                        return fail(h, &o, 400, "HTTP request is empty lines only");
                }
                uint8_t c = in[off++];
                h->have++;
                *used = off;
                if (h->cr && c != '\n') /* RFC 9112 §2.2: a bare CR is invalid */
                        return fail(h, &o, 400, "HTTP bare CR");
                if (c == '\r') {
                        h->cr = 1;
                        continue;
                }
                if (c == '\n') {
                        /* RFC 9112 §2.2: a bare LF MAY end a line as CRLF does. */
                        size_t n = h->line;
                        int colon = h->colon;
                        h->cr = h->colon = 0;
                        h->line = 0;
                        if (h->state == H_LINE) {
                                if (n == 0) /* RFC 9112 §2.2: empty lines before it are
                                             * ignored */
                                        continue;
                                h->line = n;
                                enum relay_step r = request_line(h, &o);
                                h->line = 0;
                                if (r != RELAY_MORE)
                                        return r;
                                continue;
                        }
                        if (n == 0)
                                return header_end(h, &o, dest);
                        if (!colon)
                                return fail(h, &o, 400, "HTTP header line without a colon");
                        continue;
                }
                if (h->state == H_LINE) {
                        if (c < 0x21 && c != ' ')
                                return fail(h, &o, 400, "control character in HTTP request");
                        if (c >= 0x7f)
                                return fail(h, &o, 400, "non-ASCII byte in HTTP request line");
                        h->buf[h->line++] = (char)c;
                        continue;
                }
                if (!h->colon) {
                        /* RFC 9112 §5.1: no whitespace between a field name and its colon
                         * (a 400); §5.2: a line folded onto the previous one (starting with
                         * whitespace) may be refused with a 400, and is. */
                        if (c == ':') {
                                if (h->line == 0)
                                        return fail(h, &o, 400, "HTTP header with no name");
                                h->colon = 1;
                        } else if (!tchar(c)) {
                                return fail(h, &o, 400,
                                            c == ' ' || c == '\t'
                                                ? "whitespace in or before an HTTP header name"
                                                : "HTTP header name is not a token");
                        }
                } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
                        /* RFC 9110 §5.5: NUL and other controls in a field value are
                         * invalid */
                        return fail(h, &o, 400, "control character in an HTTP header value");
                }
                h->line++;
        }
        return RELAY_MORE;
}
