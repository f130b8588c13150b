/* A SOCKS5 server's side of one client (RFC 1928), with RFC 1929's username/password.
 * Each message is gathered in s->buf until its own bytes say it is whole, so a client may
 * send a byte at a time; a message is judged as early as its bytes allow (a wrong version
 * at its first byte), and otherwise only once whole, so that what the client sent is read
 * before the relay closes (a close with unread bytes resets the connection, and the reset
 * may overtake the reply). */
#include "relay/relay_proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "core/bytes.h"

enum { S_GREETING, S_AUTH, S_REQUEST, S_DONE, S_FAILED };

/* RFC 1928 §3 method numbers, §6 reply codes. */
enum { M_NONE = 0x00, M_USERPASS = 0x02, M_UNACCEPTABLE = 0xff };
enum {
        REP_OK = 0,
        REP_FAILURE = 1,
        REP_NOT_ALLOWED = 2,
        REP_NET_UNREACH = 3,
        REP_HOST_UNREACH = 4,
        REP_REFUSED = 5,
        REP_TTL_EXPIRED = 6,
        REP_COMMAND = 7,
        REP_ATYP = 8,
};
enum { ATYP_V4 = 1, ATYP_NAME = 3, ATYP_V6 = 4 };

void relay_socks_init(struct relay_socks *s, const char *user, const char *password)
{
        memset(s, 0, sizeof(*s));
        s->user = user;
        s->password = user ? (password ? password : "") : NULL;
        s->user_len = user ? strlen(user) : 0;
        s->password_len = s->password ? strlen(s->password) : 0;
}

/* Zero when got equals want; its time depends on neither the bytes nor want's length, only
 * on got's, which the client knows: RFC 1929 §5 warns the exchange is in the clear, and a
 * comparison stopping at the first wrong byte would also tell an attacker how much of a
 * guess was right. Bytes past want's length are read as want[0] and masked off, so no
 * branch or index depends on it. */
static size_t differs(const char *want, size_t want_len, const uint8_t *got, size_t got_len)
{
        size_t diff = want_len ^ got_len;
        for (size_t i = 0; i < RELAY_NAME_MAX; i++) {
                size_t in = (size_t)0 - (size_t)(i < want_len);
                uint8_t w = (uint8_t)((uint8_t)want[i & in] & (uint8_t)in);
                uint8_t g = i < got_len ? got[i] : 0;
                diff |= (size_t)(w ^ g);
        }
        return diff;
}

/* RFC 1928 §6: VER REP RSV ATYP BND.ADDR BND.PORT. A failure's address fields carry
 * nothing, so they are IPv4's zeros. */
static size_t reply(uint8_t *out, uint8_t rep, const struct sockaddr *bound)
{
        out[0] = 5;
        out[1] = rep;
        out[2] = 0;
        if (bound && bound->sa_family == AF_INET6) {
                const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)bound;
                out[3] = ATYP_V6;
                memcpy(out + 4, &sin6->sin6_addr, 16);
                memcpy(out + 20, &sin6->sin6_port, 2);
                return 22;
        }
        out[3] = ATYP_V4;
        memset(out + 4, 0, 6);
        if (bound && bound->sa_family == AF_INET) {
                const struct sockaddr_in *sin = (const struct sockaddr_in *)bound;
                memcpy(out + 4, &sin->sin_addr, 4);
                memcpy(out + 8, &sin->sin_port, 2);
        }
        return 10;
}

size_t relay_socks_result(uint8_t *out, int err, const struct sockaddr *bound)
{
        if (err == 0)
                return reply(out, REP_OK, bound);
        uint8_t rep;
        switch (err < 0 ? -err : err) {
        case ENETUNREACH:
                rep = REP_NET_UNREACH;
                break;
        case EHOSTUNREACH:
                rep = REP_HOST_UNREACH;
                break;
        case ECONNREFUSED:
                rep = REP_REFUSED;
                break;
        case ETIMEDOUT: /* "TTL expired" is what clients show for a connect that timed out */
                rep = REP_TTL_EXPIRED;
                break;
        case EAFNOSUPPORT:
                rep = REP_ATYP;
                break;
        case EACCES:
        case EPERM:
                rep = REP_NOT_ALLOWED;
                break;
        default:
                rep = REP_FAILURE;
                break;
        }
        return reply(out, rep, NULL);
}

/* What the state's message needs: RELAY_MORE with *want > s->have, the total its bytes so
 * far show it has; or the outcome once they say enough. */
struct out {
        uint8_t *reply;
        size_t *reply_len;
        struct relay_dest *dest;
        const char **why;
};

static enum relay_step fail(struct relay_socks *s, struct out *o, const char *why)
{
        s->state = S_FAILED;
        *o->why = why;
        return RELAY_FAIL;
}

static enum relay_step fail_rep(struct relay_socks *s, struct out *o, uint8_t rep, const char *why)
{
        *o->reply_len = reply(o->reply, rep, NULL);
        return fail(s, o, why);
}

static enum relay_step greeting(struct relay_socks *s, size_t *want, struct out *o)
{
        const uint8_t *b = s->buf;
        if (s->have < 1)
                return *want = 1, RELAY_MORE;
        /* RFC 1928 §3: VER NMETHODS METHODS. Another version (a SOCKS4 client, a stray
         * protocol) is not ours to answer in ours. */
        if (b[0] != 5)
                return fail(s, o, "not SOCKS version 5");
        if (s->have < 2 || s->have < 2u + b[1])
                return *want = 2u + (s->have < 2 ? 0 : b[1]), RELAY_MORE;
        uint8_t need = s->user ? M_USERPASS : M_NONE, method = M_UNACCEPTABLE;
        for (size_t i = 0; i < b[1]; i++)
                if (b[2 + i] == need)
                        method = need;
        s->have = 0;
        o->reply[0] = 5;
        o->reply[1] = method;
        *o->reply_len = 2;
        /* RFC 1928 §3: X'FF' says none of the client's methods is acceptable; the client
         * closes. With credentials required, no-auth alone is not accepted. */
        if (method == M_UNACCEPTABLE)
                return fail(s, o, "no acceptable authentication method offered");
        s->state = method == M_USERPASS ? S_AUTH : S_REQUEST;
        return RELAY_REPLY;
}

static enum relay_step auth(struct relay_socks *s, size_t *want, struct out *o)
{
        const uint8_t *b = s->buf;
        /* RFC 1929 §2: VER ULEN UNAME PLEN PASSWD, VER 1. */
        if (s->have < 1)
                return *want = 1, RELAY_MORE;
        if (b[0] != 1)
                return fail(s, o, "not RFC 1929 username/password version 1");
        if (s->have < 2)
                return *want = 2, RELAY_MORE;
        size_t ulen = b[1];
        if (s->have < 3 + ulen)
                return *want = 3 + ulen, RELAY_MORE;
        size_t plen = b[2 + ulen];
        if (s->have < 3 + ulen + plen)
                return *want = 3 + ulen + plen, RELAY_MORE;
        /* Both compared whatever the first gave, so the time tells nothing of which was
         * wrong. RFC 1929 §2 gives both 1 to 255 octets: an empty one never matches. */
        size_t diff = differs(s->user, s->user_len, b + 2, ulen) |
                      differs(s->password, s->password_len, b + 3 + ulen, plen);
        int ok = diff == 0 && ulen > 0 && plen > 0;
        memset(s->buf, 0, s->have); /* the password stays no longer than needed */
        s->have = 0;
        /* RFC 1929 §2: STATUS X'00' is success; on any other the server MUST close. */
        o->reply[0] = 1;
        o->reply[1] = ok ? 0 : 1;
        *o->reply_len = 2;
        if (!ok)
                return fail(s, o, "bad SOCKS5 username or password");
        s->state = S_REQUEST;
        return RELAY_REPLY;
}

static enum relay_step request(struct relay_socks *s, size_t *want, struct out *o)
{
        const uint8_t *b = s->buf;
        /* RFC 1928 §4: VER CMD RSV ATYP DST.ADDR DST.PORT. RSV is not checked: it carries
         * nothing, and a client that sets it means the same request. */
        if (s->have < 1)
                return *want = 1, RELAY_MORE;
        if (b[0] != 5)
                return fail(s, o, "not SOCKS version 5");
        if (s->have < 4)
                return *want = 4, RELAY_MORE;
        uint8_t cmd = b[1], atyp = b[3];
        size_t total;
        if (atyp == ATYP_V4) {
                total = 4 + 4 + 2;
        } else if (atyp == ATYP_V6) {
                total = 4 + 16 + 2;
        } else if (atyp == ATYP_NAME) {
                if (s->have < 5)
                        return *want = 5, RELAY_MORE;
                total = 5 + (size_t)b[4] + 2;
        } else {
                /* RFC 1928 §6: X'08' Address type not supported. Its length unknown, the
                 * request cannot be read to its end, so the reply goes now. */
                if (cmd != 1)
                        return fail_rep(s, o, REP_COMMAND, "SOCKS5 command not supported");
                return fail_rep(s, o, REP_ATYP, "SOCKS5 address type not supported");
        }
        if (s->have < total)
                return *want = total, RELAY_MORE;
        s->have = 0;
        /* RFC 1928 §4: BIND (2) and UDP ASSOCIATE (3) are the relay's to refuse: §6 X'07'
         * Command not supported, as for any other command. */
        if (cmd != 1)
                return fail_rep(s, o, REP_COMMAND,
                                cmd == 2 || cmd == 3 ? "SOCKS5 BIND or UDP ASSOCIATE refused"
                                                     : "SOCKS5 command not supported");
        uint16_t port = um_get_be16(b + total - 2);
        struct relay_dest *d = o->dest;
        memset(d, 0, sizeof(*d));
        d->port = port;
        if (atyp == ATYP_NAME) {
                /* RFC 1928 §5: the name's first octet is its length, no NUL follows. A
                 * numeric address sent as a name (some clients do) needs no resolver. */
                const char *why;
                if (relay_dest_from_host((const char *)b + 5, b[4], port, d, &why) < 0) {
                        memset(d, 0, sizeof(*d));
                        return fail_rep(s, o, REP_FAILURE, why);
                }
        } else {
                if (port == 0) {
                        memset(d, 0, sizeof(*d));
                        return fail_rep(s, o, REP_FAILURE, "port 0");
                }
                if (atyp == ATYP_V4) {
                        struct sockaddr_in *sin = (struct sockaddr_in *)&d->addr;
                        sin->sin_family = AF_INET;
                        memcpy(&sin->sin_addr, b + 4, 4);
                        sin->sin_port = htons(port);
                } else {
                        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&d->addr;
                        sin6->sin6_family = AF_INET6;
                        memcpy(&sin6->sin6_addr, b + 4, 16);
                        sin6->sin6_port = htons(port);
                }
        }
        s->state = S_DONE;
        return RELAY_REQUEST;
}

enum relay_step relay_socks_input(struct relay_socks *s, const uint8_t *in, size_t len,
                                  size_t *used, uint8_t *reply_buf, size_t reply_cap,
                                  size_t *reply_len, struct relay_dest *dest, const char **why)
{
        struct out o = {reply_buf, reply_len, dest, why};
        *used = 0;
        *reply_len = 0;
        *why = NULL;
        if (s->state == S_DONE)
                return fail(s, &o, "SOCKS5 input after the request");
        if (s->state == S_FAILED)
                return fail(s, &o, "SOCKS5 input after a failure");
        if (reply_cap < RELAY_SOCKS_REPLY_MIN)
                return fail(s, &o, "reply buffer too small");
        size_t off = 0;
        for (;;) {
                size_t want = 0;
                enum relay_step r = s->state == S_GREETING ? greeting(s, &want, &o)
                                    : s->state == S_AUTH   ? auth(s, &want, &o)
                                                           : request(s, &want, &o);
                if (r != RELAY_MORE) {
                        *used = off;
                        return r;
                }
                size_t take = want - s->have;
                if (take > len - off)
                        take = len - off;
                if (take == 0) {
                        *used = off;
                        return RELAY_MORE;
                }
                memcpy(s->buf + s->have, in + off, take);
                s->have += take;
                off += take;
        }
}
