/* What the relay reads and writes on its kernel side besides the relayed bytes: the
 * destination a client asks for (SOCKS5, RFC 1928 and RFC 1929; HTTP CONNECT, RFC 9110
 * §9.3.6), the PROXY protocol v2 header a backend reads the client's address from, and the
 * HOST:PORT strings of flags and config files. Pure functions over bytes: no socket, no
 * clock, no allocation, so that they are tested and fuzzed on their own. */
#ifndef UM_RELAY_RELAY_PROTO_H
#define UM_RELAY_RELAY_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum { RELAY_NAME_MAX = 255 }; /* a domain name, as SOCKS5 carries it (one length byte) */

/* Where a client wants to go: an address, or a name the daemon resolves. */
struct relay_dest {
        int is_name;                  /* 1: name, resolve it; 0: addr */
        struct sockaddr_storage addr; /* sockaddr_in or sockaddr_in6, port included */
        char name[RELAY_NAME_MAX + 1];
        uint16_t port; /* host order, also for a name */
};

/* "ADDR:PORT", "[V6ADDR]:PORT", "NAME:PORT", or with port_only also "PORT" alone (0.0.0.0:
 * the stack has no dual-stack sockets; "[::]:PORT" for IPv6). Numeric addresses fill addr
 * (IPv4 only in inet_pton's dotted-quad form; IPv6 only in brackets, no zone ID); anything
 * else that is a valid host name (RFC 1123 labels, '_' tolerated, a last label not all
 * digits) fills name. The port is 1 to 65535. Returns 0, or -EINVAL with a reason in err
 * (err may be NULL) and *out zeroed. */
int relay_parse_hostport(const char *s, int port_only, struct relay_dest *out, char *err,
                         size_t errlen);
/* The destination for host (len bytes, not NUL-terminated) and port: a numeric IPv4 or IPv6
 * address (unbracketed) fills addr, a valid host name fills name. Returns 0, or -EINVAL with
 * a static reason in *why (empty, NUL or a character a host name has not, port 0). Shared by
 * the parsers of flags, SOCKS5 names and HTTP authorities. */
int relay_dest_from_host(const char *host, size_t len, uint16_t port, struct relay_dest *out,
                         const char **why);

/* The outcome of feeding a request's bytes. */
enum relay_step {
        RELAY_MORE,    /* everything taken; more bytes are needed */
        RELAY_REPLY,   /* write the reply bytes, then feed the rest again */
        RELAY_REQUEST, /* the request is whole: *dest is set; the reply comes once the
                          upstream connection succeeded or failed (relay_*_result) */
        RELAY_FAIL,    /* write the reply bytes (maybe none), then close; *why says why */
};

/* A SOCKS5 server's side of one client: method negotiation (no-auth, or RFC 1929
 * username/password when user is set), then one CONNECT request. */
struct relay_socks {
        const char *user, *password; /* required credentials, or NULL for no-auth */
        size_t user_len, password_len;
        int state;                      /* the parser's own */
        uint8_t buf[2 + 255 + 255 + 8]; /* a message being gathered (the longest is RFC 1929's) */
        size_t have;
};
enum { RELAY_SOCKS_REPLY_MIN = 16 }; /* reply_cap at least this (a reply is 2 or 10 bytes) */
/* user and password are kept, not copied: they must outlive s. A user with a NULL password
 * takes none: no client can log in (RFC 1929 passwords are 1 to 255 octets). */
void relay_socks_init(struct relay_socks *s, const char *user, const char *password);
/* Takes bytes from in (at most len; *used says how many were taken); reply gets what to
 * write back (reply_cap >= RELAY_SOCKS_REPLY_MIN; *reply_len bytes), dest the request once
 * whole; *why a static string when RELAY_FAIL, else NULL. *used stops right after each
 * message, so after RELAY_REQUEST the rest of in is early data for the upstream. Replies
 * the parser makes itself: method selection (X'FF' on none acceptable, then FAIL),
 * RFC 1929's status, and a request's failure: REP 7 for BIND, UDP ASSOCIATE or another
 * command, 8 for an unknown address type, 1 for an empty or invalid name or port 0. A
 * version other than 5 (1 for RFC 1929) is a FAIL without a reply. Feeding after
 * RELAY_REQUEST or RELAY_FAIL is a FAIL. */
enum relay_step relay_socks_input(struct relay_socks *s, const uint8_t *in, size_t len,
                                  size_t *used, uint8_t *reply, size_t reply_cap, size_t *reply_len,
                                  struct relay_dest *dest, const char **why);
/* The reply to the CONNECT: err 0 and the address the relay connected from (bound may be
 * NULL or of another family: 0.0.0.0:0), or a negative errno mapped to RFC 1928's REP
 * codes: -ENETUNREACH 3, -EHOSTUNREACH 4 (the one for a name that does not resolve),
 * -ECONNREFUSED 5, -ETIMEDOUT 6, -EAFNOSUPPORT 8, -EACCES and -EPERM 2, any other 1.
 * Returns its length (10, or 22 for an IPv6 bound address). */
size_t relay_socks_result(uint8_t *out, int err, const struct sockaddr *bound);

/* An HTTP/1.1 CONNECT request (RFC 9110 §9.3.6): "CONNECT host:port HTTP/1.1", header
 * lines, an empty line; bounded to RELAY_HTTP_MAX bytes. Bytes after the empty line (a
 * client that sends early) stay unconsumed for the relay to forward. Lines end in CRLF or a
 * bare LF; a bare CR, a NUL or another control character, a header line without a colon
 * or with space before it, and a folded line are a 400 at once, as is a request line that
 * is not METHOD SP TARGET SP HTTP/D.D. A well-formed request that is refused gets its reply
 * once the header is read: 405 with "Allow: CONNECT" for another method (methods are
 * case-sensitive, RFC 9110 §9.1: "connect" too), 505 for a major version other than 1, 400
 * for a target that is not host:port (port 1 to 65535, IPv6 in brackets). Past the bound:
 * 414 in the request line, 431 in the header lines. Headers are checked, not kept. */
enum { RELAY_HTTP_MAX = 8192 };
enum { RELAY_HTTP_REPLY_MAX = 128 }; /* reply_cap at least this */
struct relay_http {
        int state;
        int status;               /* the refusal owed once the header is read, or 0 */
        char buf[RELAY_HTTP_MAX]; /* the request line */
        size_t have;              /* bytes of the request taken */
        size_t line;              /* of the current line, its CR not counted */
        size_t target;            /* the request-target's offset in buf, NUL-terminated */
        uint8_t cr, colon;        /* the current line's last byte was CR; its colon came */
};
void relay_http_init(struct relay_http *h);
/* As relay_socks_input, reply_cap >= RELAY_HTTP_REPLY_MAX; never RELAY_REPLY: a refusal
 * is a FAIL with its reply, the request a RELAY_REQUEST with *used right after its empty
 * line. */
enum relay_step relay_http_input(struct relay_http *h, const uint8_t *in, size_t len, size_t *used,
                                 uint8_t *reply, size_t reply_cap, size_t *reply_len,
                                 struct relay_dest *dest, const char **why);
/* "HTTP/1.1 200 Connection established" and the empty line for err 0 (RFC 9110 §9.3.6: no
 * Content-Length in a 2xx to CONNECT), else 504 Gateway Timeout for -ETIMEDOUT, 403
 * Forbidden for -EACCES and -EPERM (a destination the relay refuses), 502 Bad Gateway for
 * any other, each with Content-Length: 0 and Connection: close. Returns its
 * length (at most RELAY_HTTP_REPLY_MAX), or 0 when cap is too small. */
size_t relay_http_result(uint8_t *out, size_t cap, int err);

/* A PROXY protocol v2 header (haproxy's proxy-protocol.txt, §2.2): PROXY command, TCP over
 * IPv4 or IPv6, the client's (src) and the relay's (dst) addresses. Returns its length (28
 * for IPv4, 52 for IPv6), or 0 when the families differ (an IPv4-mapped IPv6 address
 * counts as IPv4 beside an IPv4 one), one is neither IPv4 nor IPv6, or cap is too small. */
size_t relay_proxy_v2(uint8_t *out, size_t cap, const struct sockaddr *src,
                      const struct sockaddr *dst);

#endif
