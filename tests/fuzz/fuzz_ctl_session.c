/* A stateful fuzzer for the control socket: two stacks in virtual time over two emulated
 * paths with a few MPTCP connections between them (joins made by the built-in manager or,
 * under the userspace one, through the API), each stack serving a control socket; then
 * the input is a sequence of operations by up to four clients, each on either stack's
 * socket: request lines built from templates whose fields the input picks (every command,
 * the tokens of the live connections, the addresses and ports of their subflows, IDs,
 * flags, show's token, after and limit) or raw and mutated bytes; clients that read every
 * reply, read late or never, close in the middle of a reply or half-close; time passing
 * with the connections' transfers going on, connections finishing or closed, a server
 * restarted. What must hold, else abort (libFuzzer reports it): every request line of a
 * client that reads gets exactly one reply, in order, with its id; every line parses as a
 * JSON reply or event; nothing crashes or leaks (ASan/LSan); what arrives on the
 * connections is what was sent, and a transfer that no command could have cut short
 * completes. */
#include "fuzz_ctl.h"
#include "fuzz_bytes.h"
#include "fuzz_session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <umptcp/ctl.h>
#include <umptcp/link.h>
#include <umptcp/mptcp.h>
#include <umptcp/mptcp_pm.h>
#include <umptcp/sim.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include <jansson.h>

enum {
        CONNS = 3,
        CLIENTS = 4,
        OPS_MAX = 160,
        PORT = 5001,
        DATA_MAX = 16 * 1024,
};

/* What a reply's id must be: the template's integer, null, or anything (a line the
 * input's bytes made). */
enum { ID_ANY, ID_NULL, ID_INT };
struct expect {
        int kind;
        long long id;
        int live; /* it named a live connection's token on its stack */
};

struct client {
        int fd, srv; /* fd -1: no client in this slot */
        int mode;    /* 0 reads after every operation, 1 reads when told, 2 never reads */
        int wr_shut, eof, subscribed;
        int server_gone; /* its server restarted: what it was owed is lost */
        long long next_id;
        /* The server's line splitting, mirrored from the bytes actually sent. */
        size_t line_len;
        int skipping, line_template, template_cut;
        struct expect tpl;  /* the template being sent */
        struct expect *exp; /* replies owed: exp[exp_head] to exp[exp_len - 1] */
        size_t exp_head, exp_len, exp_cap;
        char *in; /* a reply line being received */
        size_t in_len, in_cap;
};

struct conn {
        int fd[2];      /* client and server side; -1 once closed */
        uint16_t cport; /* the client's port of its first subflow: how both stacks' views
                         * of it are matched */
        uint64_t target[2], sent[2], got[2]; /* per direction: 0 client->server */
        int shut[2], eof[2], err[2];
        int disturbed; /* a command may have cut it short: its completion is not required */
        int aborted;
        uint32_t token[2]; /* each stack's token for it; 0 unknown or gone */
        int n_sub[2];
        struct um_mptcp_subflow_info sub[2][UM_MPTCP_SHOW_SUBFLOWS];
};

/* What connection k carries in direction dir at offset i: w->tab[(i + k * 37 + dir * 101) %
 * PERIOD], taken a period at a time with memcpy and memcmp (a loop over every byte, under
 * libFuzzer's comparison tracing, was half of the run time). */
enum { PERIOD = 251 };

static size_t pattern_at(int k, int dir, uint64_t i)
{
        return (size_t)((i + (uint64_t)k * 37 + (uint64_t)dir * 101) % PERIOD);
}

struct world {
        struct um_stack *st[2];
        struct um_link *l[2][2]; /* path k: [k][0] the client's end */
        struct um_ctl *ctl[2];
        char path[2][108];
        uint64_t now;
        int lfd, n_conns, sub_handle;
        int dropped[2]; /* a server dropped a client for not reading */
        struct conn c[CONNS];
        struct client cl[CLIENTS];
        uint8_t buf[16384];
        uint8_t tab[2 * PERIOD];
};

static void pattern_fill(const struct world *w, int k, int dir, uint64_t off, uint8_t *p, size_t n)
{
        for (size_t i = 0; i < n;) {
                size_t m = n - i < PERIOD ? n - i : PERIOD;
                memcpy(p + i, w->tab + pattern_at(k, dir, off + i), m);
                i += m;
        }
}

/* The offset of the first byte that differs from the pattern, or n. */
static size_t pattern_check(const struct world *w, int k, int dir, uint64_t off, const uint8_t *p,
                            size_t n)
{
        for (size_t i = 0; i < n; i += PERIOD) {
                size_t m = n - i < PERIOD ? n - i : PERIOD;
                if (memcmp(p + i, w->tab + pattern_at(k, dir, off + i), m))
                        for (size_t j = i;; j++)
                                if (p[j] != w->tab[pattern_at(k, dir, off + j)])
                                        return j;
        }
        return n;
}

/* One round of each stack's services (the control sockets), without waiting. */
static void serve(struct world *w)
{
        for (int s = 0; s < 2; s++) {
                struct pollfd pfd[UM_SERVICE_FDS];
                int n = um_stack_services_fds(w->st[s], pfd, UM_SERVICE_FDS);
                if (poll(pfd, (nfds_t)n, 0) < 0)
                        continue;
                um_stack_services_ready(w->st[s], pfd, n);
        }
}

static void die(const char *what, const struct client *c, const char *line)
{
        fprintf(stderr, "fuzz_ctl_session: %s (client on stack %d, mode %d): %.300s\n", what,
                c ? c->srv : -1, c ? c->mode : -1, line ? line : "");
        abort();
}

/* ---- The connections' data and the engine's view of them ---- */

struct refresh_arg {
        struct world *w;
        int s;
};

static void refresh_one(const struct um_mptcp_conn_info *ci, void *arg)
{
        struct world *w = ((struct refresh_arg *)arg)->w;
        int s = ((struct refresh_arg *)arg)->s;
        const struct sockaddr_storage *ss = s == 0 ? &ci->local : &ci->remote;
        uint16_t port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
        for (int k = 0; k < w->n_conns; k++) {
                struct conn *c = &w->c[k];
                if (c->cport != port || c->token[s])
                        continue;
                c->token[s] = ci->token;
                c->n_sub[s] = ci->n_subflows;
                memcpy(c->sub[s], ci->subflows, sizeof(ci->subflows));
                return;
        }
}

/* Each stack's token and subflows of every connection, as the engine lists them now. */
static void refresh(struct world *w)
{
        for (int k = 0; k < w->n_conns; k++)
                for (int s = 0; s < 2; s++)
                        w->c[k].token[s] = 0, w->c[k].n_sub[s] = 0;
        for (int s = 0; s < 2; s++) {
                struct refresh_arg arg = {w, s};
                um_mptcp_connections(w->st[s], refresh_one, &arg);
        }
}

/* Writes what each side still has to send, reads what arrived and checks every byte. */
static void pump(struct world *w)
{
        for (int k = 0; k < w->n_conns; k++) {
                struct conn *c = &w->c[k];
                if (c->aborted)
                        continue;
                for (int s = 0; s < 2; s++) {
                        struct um_stack *st = w->st[s];
                        if (c->fd[s] < 0)
                                continue;
                        while (!c->shut[s] && c->sent[s] < c->target[s]) {
                                size_t n = c->target[s] - c->sent[s];
                                n = n < sizeof(w->buf) ? n : sizeof(w->buf);
                                pattern_fill(w, k, s, c->sent[s], w->buf, n);
                                ssize_t r = um_send(st, c->fd[s], w->buf, n, 0);
                                if (r <= 0) {
                                        if (r < 0 && errno != EAGAIN)
                                                c->err[s] = errno;
                                        break;
                                }
                                c->sent[s] += (uint64_t)r;
                        }
                        int d = 1 - s; /* what this side reads: the other's direction */
                        while (!c->eof[d] && !c->err[s]) {
                                ssize_t r = um_recv(st, c->fd[s], w->buf, sizeof(w->buf), 0);
                                if (r == 0) {
                                        c->eof[d] = 1;
                                        break;
                                }
                                if (r < 0) {
                                        if (errno != EAGAIN)
                                                c->err[s] = errno;
                                        break;
                                }
                                size_t bad = pattern_check(w, k, d, c->got[d], w->buf, (size_t)r);
                                if (bad < (size_t)r) {
                                        fprintf(stderr,
                                                "connection %d direction %d: byte %zu of %zd "
                                                "read at %llu\n",
                                                k, d, bad, r, (unsigned long long)c->got[d]);
                                        die("a connection's data arrived wrong", NULL, NULL);
                                }
                                c->got[d] += (uint64_t)r;
                                if (c->got[d] > c->sent[d])
                                        die("a connection received more than was sent", NULL, NULL);
                        }
                }
        }
}

/* Virtual time forward by us, the transfers going on. */
static void run(struct world *w, uint64_t us)
{
        uint64_t until = w->now + us;
        while (w->now < until) {
                uint64_t step = until - w->now < 2000 ? until - w->now : 2000;
                uint64_t to = w->now + step;
                um_sim_run(w->st, 2, &w->now, to, NULL, NULL);
                w->now = to; /* time passes even when nothing happens */
                um_stack_poll(w->st[0], to);
                um_stack_poll(w->st[1], to);
                pump(w);
        }
}

/* ---- Clients ---- */

static void expect_push(struct client *c, struct expect e)
{
        if (c->mode == 2)
                return; /* it never reads: nothing to check */
        if (c->exp_len == c->exp_cap) {
                size_t cap = c->exp_cap ? 2 * c->exp_cap : 64;
                struct expect *p = realloc(c->exp, cap * sizeof(*p));
                if (!p)
                        abort();
                c->exp = p, c->exp_cap = cap;
        }
        c->exp[c->exp_len++] = e;
}

/* The bytes sent, through the server's line splitting (take_bytes in ctl_server.c): each
 * newline ends a request owed one reply; a line reaching UM_CTL_MAX_LINE is owed one
 * (E2BIG) there and the rest of it none. */
static void model_feed(struct client *c, const uint8_t *p, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (p[i] == '\n') {
                        if (!c->skipping)
                                expect_push(c, c->line_template && !c->template_cut
                                                   ? c->tpl
                                                   : (struct expect){.kind = ID_ANY});
                        c->skipping = c->line_template = c->template_cut = 0;
                        c->line_len = 0;
                        continue;
                }
                if (c->skipping)
                        continue;
                if (c->line_len == UM_CTL_MAX_LINE) {
                        expect_push(c, (struct expect){.kind = ID_NULL});
                        c->skipping = 1;
                        c->line_template = 0;
                        continue;
                }
                c->line_len++;
        }
}

/* Sends bytes, as far as the socket takes them, and tells the model what went. */
static void client_send(struct client *c, const void *p, size_t n)
{
        if (c->fd < 0 || c->wr_shut)
                return;
        ssize_t r = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        size_t sent = r > 0 ? (size_t)r : 0;
        if (sent < n)
                c->template_cut = 1; /* the line goes on with whatever comes next */
        model_feed(c, p, sent);
}

static void client_free(struct client *c)
{
        if (c->fd >= 0)
                close(c->fd);
        free(c->exp);
        free(c->in);
        *c = (struct client){.fd = -1};
}

static void client_open(struct world *w, struct client *c, int srv, int mode)
{
        client_free(c);
        if (!w->ctl[srv])
                return;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", w->path[srv]);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        *c = (struct client){.fd = fd, .srv = srv, .mode = mode, .next_id = 1};
        serve(w); /* accepted */
}

/* One line the server wrote: an event, or the reply owed first. */
static void take_line(struct world *w, struct client *c, const char *line, size_t len)
{
        json_error_t err;
        json_t *v = json_loadb(line, len, 0, &err);
        if (!v || !json_is_object(v))
                die("a line from the server is not a JSON object", c, line);
        json_t *ev = json_object_get(v, "event");
        if (ev) {
                if (!json_is_string(ev) || json_object_get(v, "ok"))
                        die("a malformed event", c, line);
                fuzz_stats.ctl_events++;
                json_decref(v);
                return;
        }
        json_t *ok = json_object_get(v, "ok"), *id = json_object_get(v, "id");
        if (!json_is_boolean(ok) || !id)
                die("a reply without ok or id", c, line);
        if (!json_is_true(ok) && (!json_is_string(json_object_get(v, "error")) ||
                                  !json_is_string(json_object_get(v, "message"))))
                die("an error reply without its error and message", c, line);
        if (c->mode == 2) {
                json_decref(v);
                return;
        }
        if (c->exp_head == c->exp_len)
                die("a reply to no request", c, line);
        struct expect e = c->exp[c->exp_head++];
        if (c->exp_head == c->exp_len)
                c->exp_head = c->exp_len = 0;
        if ((e.kind == ID_NULL && !json_is_null(id)) ||
            (e.kind == ID_INT && (!json_is_integer(id) || json_integer_value(id) != e.id)) ||
            (e.kind == ID_ANY && !json_is_null(id) && !json_is_integer(id)))
                die("a reply out of order or with another id", c, line);
        fuzz_stats.ctl_replies++;
        if (e.live) {
                fuzz_stats.ctl_live_replies++;
                if (json_is_true(ok))
                        fuzz_stats.ctl_live_ok++;
        }
        (void)w;
        json_decref(v);
}

/* Reads what waits for the client, serving the stacks meanwhile. */
static void client_read(struct world *w, struct client *c)
{
        if (c->fd < 0 || c->eof)
                return;
        for (int idle = 0; idle < 3;) {
                serve(w);
                if (c->in_cap - c->in_len < 65536) {
                        size_t cap = c->in_cap ? 2 * c->in_cap : 1 << 17;
                        char *p = realloc(c->in, cap);
                        if (!p)
                                abort();
                        c->in = p, c->in_cap = cap;
                }
                ssize_t r = recv(c->fd, c->in + c->in_len, 65536, MSG_DONTWAIT);
                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
                        c->eof = 1;
                        return;
                }
                if (r < 0) {
                        idle++;
                        continue;
                }
                idle = 0;
                size_t start = 0, end = c->in_len + (size_t)r;
                for (size_t i = c->in_len; i < end; i++)
                        if (c->in[i] == '\n') {
                                take_line(w, c, c->in + start, i - start);
                                start = i + 1;
                        }
                memmove(c->in, c->in + start, end - start);
                c->in_len = end - start;
        }
}

/* ---- Request lines from templates ---- */

struct line {
        char s[1024];
        size_t n;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct line *l, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(l->s + l->n, sizeof(l->s) - l->n, fmt, ap);
        va_end(ap);
        if (n > 0)
                l->n = l->n + (size_t)n < sizeof(l->s) ? l->n + (size_t)n : sizeof(l->s) - 1;
}

static const char *const fixed_addrs[] = {
    "10.0.0.1",  "10.0.1.1",  "10.0.0.2",        "10.0.1.2", "0.0.0.0", "10.9.9.9",
    "127.0.0.1", "224.0.0.1", "255.255.255.255", "fd00::1",  "::",      "::ffff:10.0.1.1"};

/* An address attribute: one of a live subflow's (its local or remote side, with its port)
 * or a fixed one; with an id, a port and flags as the input says. */
static void add_addr_attr(struct world *w, struct line *l, struct input *in, const char *key, int s,
                          int k, int remote)
{
        uint8_t b = next(in), f = next(in);
        char host[INET6_ADDRSTRLEN] = "10.0.1.1";
        unsigned port = 0;
        const struct conn *c = &w->c[k];
        if ((b & 3) != 3 && c->n_sub[s]) {
                const struct um_mptcp_subflow_info *sf = &c->sub[s][(b >> 2) % c->n_sub[s]];
                const struct sockaddr_storage *ss = remote ? &sf->remote : &sf->local;
                const void *a = ss->ss_family == AF_INET
                                    ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
                                    : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
                inet_ntop(ss->ss_family, a, host, sizeof(host));
                port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
        } else {
                snprintf(host, sizeof(host), "%s",
                         fixed_addrs[(b >> 2) % (sizeof(fixed_addrs) / sizeof(fixed_addrs[0]))]);
        }
        add(l, ",\"%s\":{", key);
        if (!(f & 0x80))
                add(l, "\"%s\":\"%s\"", strchr(host, ':') ? "addr6" : "addr4", host);
        else
                add(l, "\"addr4\":\"%u.%u\"", next(in), next(in)); /* no address, or a bad one */
        switch (f & 3) {
        case 0:
                break;
        case 1:
                add(l, ",\"port\":%u", port);
                break;
        case 2:
                add(l, ",\"port\":%u", (unsigned)next(in) << 8 | next(in));
                break;
        default:
                add(l, ",\"port\":%d", (f & 4) ? -1 : PORT);
        }
        if (f & 8)
                add(l, ",\"id\":%u", (f & 16) ? next(in) : next(in) % 4);
        if (f & 32) {
                static const char *const flags[] = {"[\"signal\"]",
                                                    "[\"subflow\"]",
                                                    "[\"backup\"]",
                                                    "[\"fullmesh\"]",
                                                    "[\"subflow\",\"backup\"]",
                                                    "[\"signal\",\"fullmesh\"]",
                                                    "[]",
                                                    "[\"x\"]"};
                if (f & 64)
                        add(l, ",\"flags\":%u", next(in) & 15);
                else
                        add(l, ",\"flags\":%s", flags[next(in) & 7]);
        }
        add(l, "}");
}

/* A token attribute: a live connection's on this client's stack (mostly), the other
 * stack's, 0, any, or one of the wrong type. Returns TOKEN_LIVE when it is connection k's
 * on this stack, TOKEN_ANY when it may be any connection's. */
enum { TOKEN_LIVE = 1, TOKEN_ANY = 2 };
static int add_token(struct world *w, struct line *l, struct input *in, int s, int k,
                     const char *key)
{
        uint8_t b = next(in);
        const struct conn *c = &w->c[k];
        uint32_t t;
        switch (b & 7) {
        case 5:
                t = c->token[1 - s];
                break;
        case 6:
                t = next32(in);
                break;
        case 7:
                if (b & 8)
                        return 0; /* none */
                add(l, ",\"%s\":\"%u\"", key, c->token[s]);
                return 0;
        default:
                t = c->token[s];
        }
        add(l, ",\"%s\":%u", key, t);
        return (t && t == c->token[s] ? TOKEN_LIVE : 0) | ((b & 7) == 6 ? TOKEN_ANY : 0);
}

/* A command that may close subflows, on connection k or, with TOKEN_ANY, any. */
static void disturbs(struct world *w, int k, int token)
{
        for (int j = 0; j < w->n_conns; j++)
                if (j == k || (token & TOKEN_ANY))
                        w->c[j].disturbed = 1;
}

static const char *const commands[] = {
    "add_addr",        "del_addr",  "get_addr", "flush_addrs", "set_limits",
    "get_limits",      "set_flags", "announce", "remove",      "subflow_create",
    "subflow_destroy", "subscribe", "show",     "stat",        "unknown"};
enum { N_COMMANDS = sizeof(commands) / sizeof(commands[0]) };

/* A request line from a template; *live when it names a live connection's token. Marks
 * the connections a destructive command may cut short. */
static void build_request(struct world *w, struct client *cl, struct input *in, struct line *l,
                          int *live)
{
        uint8_t op = next(in), b = next(in);
        int k = b % w->n_conns, s = cl->srv, t = 0;
        const char *cmd = commands[op % N_COMMANDS];
        l->n = 0;
        *live = 0;
        cl->tpl = (struct expect){.kind = ID_INT, .id = cl->next_id++};
        if ((b & 0xc0) == 0xc0) { /* an id of another kind */
                switch (next(in) & 3) {
                case 0:
                        add(l, "{\"cmd\":\"%s\"", cmd);
                        cl->tpl.kind = ID_NULL;
                        break;
                case 1:
                        add(l, "{\"id\":\"%lld\",\"cmd\":\"%s\"", cl->tpl.id, cmd);
                        cl->tpl.kind = ID_NULL;
                        break;
                case 2:
                        cl->tpl.id = -(long long)next32(in);
                        add(l, "{\"id\":%lld,\"cmd\":\"%s\"", cl->tpl.id, cmd);
                        break;
                default:
                        cl->tpl.id = 9223372036854775807LL;
                        add(l, "{\"id\":%lld,\"cmd\":\"%s\"", cl->tpl.id, cmd);
                }
        } else {
                add(l, "{\"id\":%lld,\"cmd\":\"%s\"", cl->tpl.id, cmd);
        }
        switch (op % N_COMMANDS) {
        case 0: /* add_addr */
                add_addr_attr(w, l, in, "addr", s, k, 0);
                break;
        case 1: /* del_addr: closes the subflows from the endpoint */
                add_addr_attr(w, l, in, "addr", s, k, 0);
                for (int j = 0; j < w->n_conns; j++)
                        w->c[j].disturbed = 1;
                break;
        case 2: /* get_addr */
                if (b & 32)
                        add_addr_attr(w, l, in, "addr", s, k, 0);
                break;
        case 3: /* flush_addrs */
                for (int j = 0; j < w->n_conns; j++)
                        w->c[j].disturbed = 1;
                break;
        case 4: /* set_limits */
                if (b & 8)
                        add(l, ",\"subflows\":%d", (int)(next(in) % 11) - 1);
                if (b & 16)
                        add(l, ",\"%s\":%d", (b & 32) ? "rcv_add_addrs" : "add_addr_accepted",
                            (int)(next(in) % 11) - 1);
                break;
        case 6: /* set_flags: an endpoint's, or a subflow's */
                if (b & 8) {
                        t = add_token(w, l, in, s, k, "token");
                        add_addr_attr(w, l, in, "addr_remote", s, k, 1);
                }
                add_addr_attr(w, l, in, "addr", s, k, 0);
                break;
        case 7: /* announce */
                t = add_token(w, l, in, s, k, "token");
                add_addr_attr(w, l, in, "addr", s, k, 0);
                break;
        case 8: /* remove: RM_ADDR, this side's subflows from the id close */
                t = add_token(w, l, in, s, k, "token");
                add(l, ",\"loc_id\":%d", (b & 32) ? (int)next(in) - 1 : next(in) % 4);
                disturbs(w, k, t);
                break;
        case 9: /* subflow_create */
                t = add_token(w, l, in, s, k, "token");
                add_addr_attr(w, l, in, "addr", s, k, 0);
                add_addr_attr(w, l, in, "addr_remote", s, k, 1);
                break;
        case 10: /* subflow_destroy */
                t = add_token(w, l, in, s, k, "token");
                add_addr_attr(w, l, in, "addr", s, k, 0);
                add_addr_attr(w, l, in, "addr_remote", s, k, 1);
                disturbs(w, k, t);
                break;
        case 11: /* subscribe */
                cl->subscribed = 1;
                break;
        case 12: /* show: every one, one token, or a page */
                if ((b & 0x18) == 0x08)
                        t = add_token(w, l, in, s, k, "token");
                if (b & 0x10) {
                        if (b & 0x20)
                                add_token(w, l, in, s, k, "after");
                        add(l, ",\"limit\":%d", (int)(next(in) % 5) - 1);
                }
                break;
        default:
                break;
        }
        *live = t & TOKEN_LIVE;
        add(l, "}\n");
}

/* Bytes that may spell a destructive command: every connection may be cut short. */
static void raw_disturbs(struct world *w, const uint8_t *p, size_t n)
{
        static const char *const words[] = {"destroy", "remove", "del_addr", "flush"};
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
                if (memmem(p, n, words[i], strlen(words[i])))
                        for (int j = 0; j < w->n_conns; j++)
                                w->c[j].disturbed = 1;
}

/* ---- The world: two stacks, two paths, connections, control sockets ---- */

static int serve_ctl(struct world *w, int s)
{
        return um_ctl_serve(w->st[s], w->path[s], &w->ctl[s]);
}

static void no_event(struct um_stack *st, const struct um_mptcp_event *ev, void *arg)
{
        (void)st, (void)ev, (void)arg;
}

static int world_open(struct world *w, struct input *in)
{
        uint8_t b = next(in), seed = next(in);
        for (int k = 0; k < CONNS; k++)
                w->c[k].fd[0] = w->c[k].fd[1] = -1;
        for (int i = 0; i < CLIENTS; i++)
                w->cl[i].fd = -1;
        w->lfd = -1;
        static const char *const names[2] = {"client", "server"};
        for (int s = 0; s < 2; s++) {
                w->st[s] = um_stack_new(&(struct um_stack_config){
                    .seed = 1000u + seed * 2u + (unsigned)s, .name = names[s]});
                if (!w->st[s])
                        return -1;
                snprintf(w->path[s], sizeof(w->path[s]), "/tmp/umptcp-fuzz-ctls-%d-%d.sock",
                         (int)getpid(), s);
        }
        for (int k = 0; k < 2; k++) {
                struct um_emu_dir_config d = {.rate_bps = (k ? 20 : 50) * 1000000ULL,
                                              .delay_us = k ? 6000 : 2000};
                if (um_link_emu_pair(&d, &d, 1500, 77u + (unsigned)k, &w->l[k][0], &w->l[k][1]))
                        return -1;
                for (int s = 0; s < 2; s++) {
                        char a[32];
                        snprintf(a, sizeof(a), "10.0.%d.%d/24", k, s + 1);
                        int i = um_stack_add_iface(w->st[s], w->l[k][s]);
                        if (i < 0 || um_stack_add_addr(w->st[s], i, a) < 0)
                                return -1;
                }
        }
        /* The managers: built-in (the client joins from its second address, the server
         * may announce its own) or userspace, as the input says. */
        int user_cli = b & 1, user_srv = (b >> 1) & 1;
        if ((user_cli && um_mptcp_path_manager_set(w->st[0], "userspace") < 0) ||
            (user_srv && um_mptcp_path_manager_set(w->st[1], "userspace") < 0))
                return -1;
        um_mptcp_limits_set(w->st[0], 4, 2);
        um_mptcp_limits_set(w->st[1], 4, 2);
        if (!user_cli && !(b & 4))
                um_mptcp_endpoint_add(w->st[0], "10.0.1.1", UM_MPTCP_PM_SUBFLOW, 0);
        if (!user_srv && (b & 8))
                um_mptcp_endpoint_add(w->st[1], "10.0.1.2", UM_MPTCP_PM_SIGNAL, 0);
        if (user_srv && !(b & 16)) /* a manager listens: the server takes joins */
                w->sub_handle = um_mptcp_pm_subscribe(w->st[1], no_event, NULL);
        for (int s = 0; s < 2; s++)
                if (serve_ctl(w, s) < 0)
                        return -1;
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT)};
        inet_pton(AF_INET, "10.0.0.2", &sa.sin_addr);
        w->lfd = um_socket(w->st[1], AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        if (um_bind(w->st[1], w->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
            um_listen(w->st[1], w->lfd, 8))
                return -1;
        w->n_conns = 1 + (b >> 5) % CONNS;
        uint64_t size = (uint64_t)(next(in) % 4) * DATA_MAX / 3;
        for (int k = 0; k < w->n_conns; k++) {
                struct conn *c = &w->c[k];
                c->fd[0] = um_socket(w->st[0], AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
                if (c->fd[0] < 0)
                        return -1;
                um_connect(w->st[0], c->fd[0], (struct sockaddr *)&sa, sizeof(sa));
                struct sockaddr_in me;
                socklen_t len = sizeof(me);
                if (um_getsockname(w->st[0], c->fd[0], (struct sockaddr *)&me, &len) < 0)
                        return -1;
                c->cport = ntohs(me.sin_port);
                c->target[0] = c->target[1] = size;
        }
        for (int round = 0; round < 50; round++) {
                run(w, 5000);
                int fd, accepted = 0;
                while ((fd = um_accept(w->st[1], w->lfd, NULL, NULL)) >= 0) {
                        struct sockaddr_in peer;
                        socklen_t len = sizeof(peer);
                        um_getpeername(w->st[1], fd, (struct sockaddr *)&peer, &len);
                        for (int k = 0; k < w->n_conns; k++)
                                if (w->c[k].cport == ntohs(peer.sin_port) && w->c[k].fd[1] < 0)
                                        w->c[k].fd[1] = fd, fd = -1;
                        if (fd >= 0)
                                um_close(w->st[1], fd);
                }
                for (int k = 0; k < w->n_conns; k++)
                        accepted += w->c[k].fd[1] >= 0;
                if (accepted == w->n_conns)
                        break;
        }
        refresh(w);
        /* Under the userspace manager, joins the API opens for some connections. */
        for (int k = 0; user_cli && k < w->n_conns; k++) {
                if (!(next(in) & 1) || !w->c[k].token[0])
                        continue;
                struct um_mptcp_pm_addr local = {.id = 1};
                struct sockaddr_in *l4 = (struct sockaddr_in *)&local.addr;
                l4->sin_family = AF_INET;
                inet_pton(AF_INET, "10.0.1.1", &l4->sin_addr);
                struct sockaddr_in remote = sa;
                um_mptcp_pm_subflow_create(w->st[0], w->c[k].token[0], &local,
                                           (struct sockaddr *)&remote, 0);
        }
        run(w, 30000);
        refresh(w);
        for (int k = 0; k < w->n_conns; k++) {
                fuzz_stats.ctl_conns += w->c[k].token[0] != 0;
                fuzz_stats.ctl_joined += w->c[k].n_sub[0] > 1;
        }
        return 0;
}

static void world_close(struct world *w)
{
        for (int i = 0; i < CLIENTS; i++)
                client_free(&w->cl[i]);
        for (int s = 0; s < 2; s++)
                um_stack_free(w->st[s]); /* ends the control sockets, removing their files */
        for (int k = 0; k < 2; k++)
                for (int s = 0; s < 2; s++)
                        um_link_destroy(w->l[k][s]);
}

/* ---- The end: every client that reads has every reply, every transfer completes ---- */

static void finish(struct world *w)
{
        for (int k = 0; k < w->n_conns; k++)
                for (int s = 0; s < 2; s++)
                        w->c[k].target[s] = w->c[k].target[s] > w->c[k].sent[s] ? w->c[k].target[s]
                                                                                : w->c[k].sent[s];
        for (int round = 0; round < 300; round++) {
                int busy = 0;
                for (int k = 0; k < w->n_conns; k++) {
                        struct conn *c = &w->c[k];
                        if (c->aborted)
                                continue;
                        for (int s = 0; s < 2; s++) {
                                if (c->fd[s] < 0 || c->err[s])
                                        continue;
                                if (!c->shut[s] && c->sent[s] == c->target[s]) {
                                        um_shutdown(w->st[s], c->fd[s], SHUT_WR);
                                        c->shut[s] = 1;
                                }
                                /* Only a transfer that must complete is waited for. */
                                busy |= !c->disturbed && (!c->shut[s] || !c->eof[1 - s]);
                        }
                }
                if (!busy)
                        break;
                run(w, 100000);
        }
        for (int i = 0; i < CLIENTS; i++)
                client_read(w, &w->cl[i]);
        for (int s = 0; s < 2; s++)
                w->dropped[s] |= um_counter_get(w->st[s], "CtlClientsDropped") > 0;
        for (int i = 0; i < CLIENTS; i++) {
                struct client *c = &w->cl[i];
                if (c->fd < 0)
                        continue;
                if (c->mode == 2 || c->server_gone)
                        continue; /* it never reads, or its server went */
                /* One that reads late may have been dropped for it (more than
                 * UM_CTL_MAX_QUEUED unread); one that reads all along never is. */
                if (c->eof && !c->wr_shut && (c->mode == 0 || !w->dropped[c->srv]))
                        die("a client that reads was dropped", c, NULL);
                if (c->exp_head != c->exp_len && !(c->mode == 1 && w->dropped[c->srv]))
                        die("a request without its reply", c, NULL);
        }
        for (int k = 0; k < w->n_conns; k++) {
                struct conn *c = &w->c[k];
                if (c->aborted || c->disturbed || c->fd[1] < 0)
                        continue;
                for (int d = 0; d < 2; d++)
                        if (c->err[0] || c->err[1] || !c->eof[d] || c->got[d] != c->target[d]) {
                                fprintf(stderr,
                                        "connection %d direction %d: %llu of %llu, eof %d, "
                                        "errors %d %d\n",
                                        k, d, (unsigned long long)c->got[d],
                                        (unsigned long long)c->target[d], c->eof[d], c->err[0],
                                        c->err[1]);
                                die("a transfer no command disturbed did not complete", NULL, NULL);
                        }
                fuzz_stats.ctl_transfers++;
        }
}

int fuzz_ctl_session_one(const uint8_t *data, size_t size)
{
        struct input in = {data, size, 0};
        struct world *w = calloc(1, sizeof(*w));
        if (!w)
                return 0;
        fuzz_stats.ctl_sessions++;
        for (size_t i = 0; i < sizeof(w->tab); i++)
                w->tab[i] = (uint8_t)((i % PERIOD) * 131 + 7);
        if (world_open(w, &in) < 0)
                abort();
        /* Two clients to begin with: one that reads on each stack. */
        client_open(w, &w->cl[0], 0, 0);
        client_open(w, &w->cl[1], 1, 0);
        for (int ops = 0; ops < OPS_MAX && in.at < in.n; ops++) {
                uint8_t op = next(&in), who = next(&in);
                struct client *c = &w->cl[who % CLIENTS];
                refresh(w);
                switch (op % 16) {
                default: { /* 0-6: a request from a template */
                        if (c->fd < 0)
                                break;
                        struct line l;
                        int live;
                        if (!c->line_len && !c->skipping)
                                c->line_template = 1;
                        build_request(w, c, &in, &l, &live);
                        c->tpl.live = live && c->line_template;
                        fuzz_stats.ctl_lines++;
                        fuzz_stats.ctl_live += live;
                        client_send(c, l.s, l.n);
                        break;
                }
                case 7: { /* raw bytes */
                        size_t n = next(&in) % 96;
                        n = n < in.n - in.at ? n : in.n - in.at;
                        raw_disturbs(w, in.p + in.at, n);
                        client_send(c, in.p + in.at, n);
                        in.at += n;
                        break;
                }
                case 8: { /* a template with a byte changed or the line cut */
                        if (c->fd < 0)
                                break;
                        struct line l;
                        int live;
                        c->line_template = 0;
                        build_request(w, c, &in, &l, &live);
                        uint8_t m = next(&in), at = next(&in);
                        if (m & 1)
                                l.s[at % l.n] = (char)next(&in);
                        else
                                l.n = at % l.n; /* cut: the next line continues it */
                        raw_disturbs(w, (const uint8_t *)l.s, l.n);
                        client_send(c, l.s, l.n);
                        break;
                }
                case 9: /* time passes */
                        run(w, 1000ULL * (1 + next(&in)));
                        break;
                case 10: /* a client reads what waits */
                        client_read(w, c);
                        break;
                case 11: /* a client (re)connects to either stack */
                        client_open(w, c, who >> 7, (who >> 4) % 3);
                        break;
                case 12: /* a client goes, maybe with a reply on its way */
                        if (c->fd >= 0 && (who & 0x10)) {
                                static const char show[] = "{\"id\":0,\"cmd\":\"show\"}\n"
                                                           "{\"id\":1,\"cmd\":\"stat\"}\n";
                                ssize_t r = send(c->fd, show, sizeof(show) - 1,
                                                 MSG_NOSIGNAL | MSG_DONTWAIT);
                                (void)r;
                                serve(w);
                        }
                        client_free(c);
                        serve(w);
                        break;
                case 13: /* a client half-closes: it sends no more, and reads what is owed */
                        if (c->fd >= 0 && !c->wr_shut) {
                                shutdown(c->fd, SHUT_WR);
                                c->wr_shut = 1;
                        }
                        break;
                case 14: { /* a connection ends: one side finishes writing, or both close */
                        struct conn *cn = &w->c[who % w->n_conns];
                        if (who & 0x40) {
                                for (int s = 0; s < 2; s++)
                                        if (cn->fd[s] >= 0)
                                                um_close(w->st[s], cn->fd[s]), cn->fd[s] = -1;
                                cn->aborted = 1;
                        } else {
                                int s = (who >> 5) & 1;
                                if (cn->fd[s] >= 0 && !cn->shut[s]) {
                                        cn->target[s] = cn->sent[s];
                                        um_shutdown(w->st[s], cn->fd[s], SHUT_WR);
                                        cn->shut[s] = 1;
                                }
                        }
                        break;
                }
                case 15: { /* a server restarts: its clients see their socket close */
                        int s = who & 1;
                        w->dropped[s] |= um_counter_get(w->st[s], "CtlClientsDropped") > 0;
                        for (int i = 0; i < CLIENTS; i++)
                                if (w->cl[i].fd >= 0 && w->cl[i].srv == s)
                                        w->cl[i].server_gone = 1;
                        um_ctl_close(w->ctl[s]);
                        w->ctl[s] = NULL;
                        if (serve_ctl(w, s) < 0)
                                die("the control socket did not start again", NULL, NULL);
                        break;
                }
                }
                serve(w);
                for (int i = 0; i < CLIENTS; i++)
                        if (w->cl[i].fd >= 0 && w->cl[i].mode == 0)
                                client_read(w, &w->cl[i]);
                run(w, 500);
        }
        finish(w);
        world_close(w);
        free(w);
        return 0;
}

#ifdef UMPTCP_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        fuzz_ctl_session_one(data, size);
        return 0;
}
#endif
