/* umptcp-ctl: a client of a stack's control socket (docs/CONTROL.md), in the words of
 * Linux's `ip mptcp` and of the kernel selftests' pm_nl_ctl:
 *
 *   umptcp-ctl [-s SOCKET] [-j] endpoint add ADDR [dev IF] [id ID] [port PORT]
 *                                    [signal] [subflow] [backup] [fullmesh]
 *   umptcp-ctl ... endpoint delete id ID [ADDR] | change id ID [backup|nobackup]
 *                                    [fullmesh|nofullmesh] | show [id ID] | flush
 *   umptcp-ctl ... limits set [subflows N] [add_addr_accepted N] | limits show
 *   umptcp-ctl ... monitor
 *   umptcp-ctl ... ann ADDR token T id ID [port P]
 *   umptcp-ctl ... rem token T id ID
 *   umptcp-ctl ... csf lip ADDR lid ID rip ADDR rport P token T
 *   umptcp-ctl ... dsf lip ADDR lport P rip ADDR rport P token T
 *   umptcp-ctl ... set ADDR port P flags backup|nobackup token T rip ADDR rport P
 *   umptcp-ctl ... stat
 *   umptcp-ctl ... show [token T | [after T] [limit N]]
 *
 * Tokens are taken as `ip mptcp monitor` prints them (8 hex digits), in decimal as pm_nl_ctl
 * takes them, or with 0x. Exit status 0, or 1 with a one-line reason on any error. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *progname = "umptcp-ctl";
static int json_out;

static int die(const char *fmt, const char *arg)
{
        fprintf(stderr, "%s: ", progname);
        fprintf(stderr, fmt, arg ? arg : "");
        fputc('\n', stderr);
        return 1;
}

static void usage(FILE *out)
{
        fprintf(
            out,
            "usage: umptcp-ctl [-s SOCKET] [-j] OBJECT COMMAND ...\n"
            "  -s SOCKET  the control socket (default $UMPTCP_CTL, else\n"
            "             $XDG_RUNTIME_DIR/umptcp.sock, else for root /run/umptcp/umptcp.sock)\n"
            "  -j         print JSON\n"
            "  endpoint add ADDR [dev IF] [id ID] [port PORT] [signal] [subflow] [backup]\n"
            "               [fullmesh]\n"
            "  endpoint delete id ID [ADDR] | change id ID [backup|nobackup]\n"
            "               [fullmesh|nofullmesh] | show [id ID] | flush\n"
            "  limits set [subflows N] [add_addr_accepted N] | limits show\n"
            "  monitor\n"
            "  ann ADDR token T id ID [port P]\n"
            "  rem token T id ID\n"
            "  csf lip ADDR lid ID rip ADDR rport P token T\n"
            "  dsf lip ADDR lport P rip ADDR rport P token T\n"
            "  set ADDR port P flags backup|nobackup token T rip ADDR rport P\n"
            "  stat\n"
            "  show [token T | [after T] [limit N]]\n"
            "Tokens as ip mptcp monitor prints them (8 hex digits), in decimal, or 0x...\n");
}

/* ---- Talking to the socket ---- */

static FILE *conn_in;
static int conn_fd = -1;

static int connect_to(const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path))
                return die("socket path too long: %s", path);
        memcpy(sa.sun_path, path, strlen(path));
        conn_fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (conn_fd < 0 || connect(conn_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                fprintf(stderr, "%s: cannot reach the control socket %s: %s\n", progname, path,
                        strerror(errno));
                return 1;
        }
        conn_in = fdopen(dup(conn_fd), "r");
        return conn_in ? 0 : 1;
}

/* The next JSON line from the socket, or NULL at its end. */
static json_t *read_line(void)
{
        char *line = NULL;
        size_t cap = 0;
        if (getline(&line, &cap, conn_in) < 0) {
                free(line);
                return NULL;
        }
        json_t *v = json_loads(line, 0, NULL);
        free(line);
        return v;
}

/* Sends the request (taking it) and returns the reply, or NULL with the reason printed. */
static json_t *call(json_t *req)
{
        static int next_id = 1;
        json_object_set_new(req, "id", json_integer(next_id));
        char *text = json_dumps(req, JSON_COMPACT);
        json_decref(req);
        size_t n = strlen(text);
        text[n] = '\n'; /* json_dumps leaves room for its NUL, which we replace */
        int ok = send(conn_fd, text, n + 1, MSG_NOSIGNAL) == (ssize_t)(n + 1);
        free(text);
        if (!ok) {
                die("the control socket went away", NULL);
                return NULL;
        }
        for (json_t *r; (r = read_line());) {
                json_t *id = json_object_get(r, "id");
                if (json_is_integer(id) && json_integer_value(id) == next_id) {
                        next_id++;
                        if (json_is_true(json_object_get(r, "ok")))
                                return r;
                        fprintf(stderr, "%s: %s (%s)\n", progname,
                                json_string_value(json_object_get(r, "message")),
                                json_string_value(json_object_get(r, "error")));
                        json_decref(r);
                        return NULL;
                }
                json_decref(r); /* an event or an older reply */
        }
        die("the control socket closed without a reply", NULL);
        return NULL;
}

/* ---- Arguments ---- */

static int parse_u(const char *s, unsigned long max, unsigned long *v, int hex_token)
{
        char *end;
        errno = 0;
        /* A token as ip mptcp monitor prints it: 8 hex digits. */
        int base = hex_token && strlen(s) == 8 && strspn(s, "0123456789abcdefABCDEF") == 8 ? 16 : 0;
        if (!*s || *s == '-')
                return -1;
        *v = strtoul(s, &end, base);
        return *end || errno || *v > max ? -1 : 0;
}

/* An address object {"addr4"|"addr6": ADDR}, or NULL. */
static json_t *addr_obj(const char *s)
{
        struct in6_addr a6;
        struct in_addr a4;
        if (inet_pton(AF_INET, s, &a4) == 1)
                return json_pack("{s:s}", "addr4", s);
        if (inet_pton(AF_INET6, s, &a6) == 1)
                return json_pack("{s:s}", "addr6", s);
        return NULL;
}

/* Keyword arguments: `key value` pairs and bare words, checked against what a command
 * takes. */
struct kv {
        const char *key;
        const char *val;
};

static int kw_get(int argc, char **argv, const char *const *valued, const char *const *bare,
                  struct kv *out, int max, int *n)
{
        *n = 0;
        for (int i = 0; i < argc; i++) {
                int known = 0;
                for (const char *const *k = valued; *k && !known; k++)
                        if (!strcmp(argv[i], *k)) {
                                if (i + 1 >= argc) {
                                        die("%s needs a value", argv[i]);
                                        return -1;
                                }
                                if (*n == max)
                                        return -1;
                                out[(*n)++] = (struct kv){argv[i], argv[i + 1]};
                                i++;
                                known = 1;
                        }
                for (const char *const *k = bare; *k && !known; k++)
                        if (!strcmp(argv[i], *k)) {
                                if (*n == max)
                                        return -1;
                                out[(*n)++] = (struct kv){argv[i], NULL};
                                known = 1;
                        }
                if (!known) {
                        die("unexpected argument '%s'", argv[i]);
                        return -1;
                }
        }
        return 0;
}

static const char *kw(const struct kv *a, int n, const char *key)
{
        for (int i = 0; i < n; i++)
                if (!strcmp(a[i].key, key))
                        return a[i].val ? a[i].val : "";
        return NULL;
}

/* A numeric keyword into obj[name]; required or not. Returns -1 with the reason printed. */
static int put_num(json_t *obj, const char *name, const struct kv *a, int n, const char *key,
                   unsigned long max, int required, int token)
{
        const char *v = kw(a, n, key);
        unsigned long x;
        if (!v)
                return required ? (die("%s is required", key), -1) : 0;
        if (parse_u(v, max, &x, token) < 0) {
                fprintf(stderr, "%s: bad %s '%s'\n", progname, key, v);
                return -1;
        }
        json_object_set_new(obj, name, json_integer((json_int_t)x));
        return 0;
}

static json_t *need_addr(const char *s)
{
        json_t *a = s ? addr_obj(s) : NULL;
        if (!a)
                fprintf(stderr, "%s: bad address '%s'\n", progname, s ? s : "");
        return a;
}

/* ---- Output ---- */

static void print_json(json_t *v)
{
        json_dumpf(v, stdout, JSON_COMPACT);
        putchar('\n');
}

static void print_endpoint(json_t *ep)
{
        json_t *a = json_object_get(ep, "addr4"), *port = json_object_get(ep, "port");
        printf("%s", json_string_value(a ? a : json_object_get(ep, "addr6")));
        if (port) /* where ip mptcp endpoint show puts it */
                printf(" port %lld", (long long)json_integer_value(port));
        printf(" id %lld", (long long)json_integer_value(json_object_get(ep, "id")));
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(ep, "flags"), i, f) printf(" %s", json_string_value(f));
        printf(" \n");
}

/* One event as `ip mptcp monitor` prints it. */
static void print_event(json_t *ev)
{
        static const char *const names[][2] = {{"created", "CREATED"},
                                               {"established", "ESTABLISHED"},
                                               {"closed", "CLOSED"},
                                               {"announced", "ANNOUNCED"},
                                               {"removed", "REMOVED"},
                                               {"sub_established", "SF_ESTABLISHED"},
                                               {"sub_closed", "SF_CLOSED"},
                                               {"sub_priority", "SF_PRIO"},
                                               {"listener_created", "LISTENER_CREATED"},
                                               {"listener_closed", "LISTENER_CLOSED"},
                                               {"lost", "LOST"}};
        const char *name = json_string_value(json_object_get(ev, "event"));
        const char *shown = name;
        for (size_t k = 0; name && k < sizeof(names) / sizeof(names[0]); k++)
                if (!strcmp(name, names[k][0]))
                        shown = names[k][1];
        printf("[%14s]", shown ? shown : "?");
        json_t *v;
        if ((v = json_object_get(ev, "token")))
                printf(" token=%08llx", (unsigned long long)json_integer_value(v));
        static const char *const order[][2] = {{"rem_id", "remid"},
                                               {"loc_id", "locid"},
                                               {"saddr4", "saddr4"},
                                               {"daddr4", "daddr4"},
                                               {"saddr6", "saddr6"},
                                               {"daddr6", "daddr6"},
                                               {"sport", "sport"},
                                               {"dport", "dport"},
                                               {"backup", "backup"},
                                               {"error", "error"},
                                               {"flags", "flags"},
                                               {"timeout", "timeout"},
                                               {"if_idx", "ifindex"},
                                               {"reset_reason", "reset_reason"},
                                               {"reset_flags", "reset_flags"},
                                               {"count", "count"}};
        for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
                if (!(v = json_object_get(ev, order[k][0])))
                        continue;
                if (json_is_string(v))
                        printf(" %s=%s", order[k][1], json_string_value(v));
                else if (!strcmp(order[k][0], "flags") || !strcmp(order[k][0], "reset_flags"))
                        printf(" %s=%llx", order[k][1], (unsigned long long)json_integer_value(v));
                else
                        printf(" %s=%lld", order[k][1], (long long)json_integer_value(v));
        }
        printf("\n");
        fflush(stdout);
}

/* ---- Commands ---- */

static json_t *req(const char *cmd)
{
        return json_pack("{s:s}", "cmd", cmd);
}

static int done(json_t *reply)
{
        if (!reply)
                return 1;
        if (json_out)
                print_json(reply);
        json_decref(reply);
        return 0;
}

static int endpoint(int argc, char **argv)
{
        if (argc < 1)
                return die("endpoint: add, delete, change, show or flush", NULL);
        const char *sub = argv[0];
        struct kv a[16];
        int n;
        if (!strcmp(sub, "add")) {
                static const char *const valued[] = {"dev", "id", "port", NULL};
                static const char *const bare[] = {"signal", "subflow", "backup", "fullmesh", NULL};
                if (argc < 2 || kw_get(argc - 2, argv + 2, valued, bare, a, 16, &n) < 0)
                        return argc < 2 ? die("endpoint add: ADDR is required", NULL) : 1;
                json_t *addr = need_addr(argv[1]);
                if (!addr)
                        return 1;
                json_t *flags = json_array();
                for (int i = 0; i < n; i++)
                        if (!a[i].val)
                                json_array_append_new(flags, json_string(a[i].key));
                json_object_set_new(addr, "flags", flags);
                if (put_num(addr, "id", a, n, "id", 255, 0, 0) < 0 ||
                    put_num(addr, "port", a, n, "port", 65535, 0, 0) < 0) {
                        json_decref(addr);
                        return 1;
                }
                json_t *r = req("add_addr");
                json_object_set_new(r, "addr", addr);
                return done(call(r));
        }
        if (!strcmp(sub, "delete") || !strcmp(sub, "change") || !strcmp(sub, "show")) {
                static const char *const valued[] = {"id", NULL};
                static const char *const bare_change[] = {"backup", "nobackup", "fullmesh",
                                                          "nofullmesh", NULL};
                static const char *const none[] = {NULL};
                int first = 1;
                json_t *trailing = !strcmp(sub, "delete") && argc >= 4 ? addr_obj(argv[3]) : NULL;
                if (trailing) { /* the optional ADDR after the id: the id names it */
                        json_decref(trailing);
                        argc--;
                }
                if (kw_get(argc - first, argv + first, valued,
                           !strcmp(sub, "change") ? bare_change : none, a, 16, &n) < 0)
                        return 1;
                json_t *addr = json_object();
                if (put_num(addr, "id", a, n, "id", 255, strcmp(sub, "show") != 0, 0) < 0) {
                        json_decref(addr);
                        return 1;
                }
                if (!strcmp(sub, "delete")) {
                        json_t *r = req("del_addr");
                        json_object_set_new(r, "addr", addr);
                        return done(call(r));
                }
                json_t *r = req("get_addr");
                if (json_object_size(addr))
                        json_object_set_new(r, "addr", json_incref(addr));
                json_t *reply = call(r);
                if (!reply) {
                        json_decref(addr);
                        return 1;
                }
                if (!strcmp(sub, "show")) {
                        json_decref(addr);
                        if (json_out)
                                return done(reply);
                        size_t i;
                        json_t *ep;
                        json_array_foreach(json_object_get(reply, "endpoints"), i, ep)
                            print_endpoint(ep);
                        json_decref(reply);
                        return 0;
                }
                /* change: the endpoint's flags, with those named set or cleared */
                json_t *cur = json_array_get(json_object_get(reply, "endpoints"), 0);
                json_t *flags = json_array();
                const char *names[] = {"backup", "fullmesh"};
                for (int k = 0; k < 2; k++) {
                        char no[16];
                        snprintf(no, sizeof(no), "no%s", names[k]);
                        int has = 0;
                        size_t i;
                        json_t *f;
                        json_array_foreach(json_object_get(cur, "flags"), i, f) has |=
                            !strcmp(json_string_value(f), names[k]);
                        if (kw(a, n, names[k]))
                                has = 1;
                        if (kw(a, n, no))
                                has = 0;
                        if (has)
                                json_array_append_new(flags, json_string(names[k]));
                }
                json_decref(reply);
                json_object_set_new(addr, "flags", flags);
                json_t *r2 = req("set_flags");
                json_object_set_new(r2, "addr", addr);
                return done(call(r2));
        }
        if (!strcmp(sub, "flush"))
                return argc > 1 ? die("endpoint flush takes no argument", NULL)
                                : done(call(req("flush_addrs")));
        return die("endpoint: unknown command '%s'", sub);
}

static int limits(int argc, char **argv)
{
        if (argc >= 1 && !strcmp(argv[0], "show") && argc == 1) {
                json_t *r = call(req("get_limits"));
                if (!r)
                        return 1;
                if (!json_out)
                        printf(
                            "add_addr_accepted %lld subflows %lld \n",
                            (long long)json_integer_value(json_object_get(r, "add_addr_accepted")),
                            (long long)json_integer_value(json_object_get(r, "subflows")));
                return done(r);
        }
        if (argc < 1 || strcmp(argv[0], "set"))
                return die("limits: set or show", NULL);
        static const char *const valued[] = {"subflows", "add_addr_accepted", NULL};
        static const char *const none[] = {NULL};
        struct kv a[4];
        int n;
        if (kw_get(argc - 1, argv + 1, valued, none, a, 4, &n) < 0)
                return 1;
        json_t *r = req("set_limits");
        if (put_num(r, "subflows", a, n, "subflows", 8, 0, 0) < 0 ||
            put_num(r, "add_addr_accepted", a, n, "add_addr_accepted", 8, 0, 0) < 0) {
                json_decref(r);
                return 1;
        }
        return done(call(r));
}

static int monitor(void)
{
        json_t *r = call(req("subscribe"));
        if (!r)
                return 1;
        json_decref(r);
        for (json_t *ev; (ev = read_line());) {
                if (json_object_get(ev, "event")) {
                        if (json_out) {
                                print_json(ev);
                                fflush(stdout);
                        } else {
                                print_event(ev);
                        }
                }
                json_decref(ev);
        }
        return 0;
}

/* pm_nl_ctl's userspace commands. */
static int userspace(const char *cmd, int argc, char **argv)
{
        struct kv a[16];
        int n;
        static const char *const none[] = {NULL};
        if (!strcmp(cmd, "ann")) {
                static const char *const valued[] = {"token", "id", "port", NULL};
                if (argc < 1 || kw_get(argc - 1, argv + 1, valued, none, a, 16, &n) < 0)
                        return argc < 1 ? die("ann: ADDR is required", NULL) : 1;
                json_t *addr = need_addr(argv[0]), *r = req("announce");
                if (!addr || put_num(addr, "id", a, n, "id", 255, 1, 0) < 0 ||
                    put_num(addr, "port", a, n, "port", 65535, 0, 0) < 0 ||
                    put_num(r, "token", a, n, "token", UINT32_MAX, 1, 1) < 0) {
                        json_decref(addr);
                        json_decref(r);
                        return 1;
                }
                json_object_set_new(r, "addr", addr);
                return done(call(r));
        }
        if (!strcmp(cmd, "rem")) {
                static const char *const valued[] = {"token", "id", NULL};
                if (kw_get(argc, argv, valued, none, a, 16, &n) < 0)
                        return 1;
                json_t *r = req("remove");
                if (put_num(r, "token", a, n, "token", UINT32_MAX, 1, 1) < 0 ||
                    put_num(r, "loc_id", a, n, "id", 255, 1, 0) < 0) {
                        json_decref(r);
                        return 1;
                }
                return done(call(r));
        }
        int csf = !strcmp(cmd, "csf"), dsf = !strcmp(cmd, "dsf"), set = !strcmp(cmd, "set");
        if (!csf && !dsf && !set)
                return die("unknown object or command '%s'", cmd);
        static const char *const valued_csf[] = {"lip", "lid", "rip", "rport", "token", NULL};
        static const char *const valued_dsf[] = {"lip", "lport", "rip", "rport", "token", NULL};
        static const char *const valued_set[] = {"port", "flags", "token", "rip", "rport", NULL};
        int skip = set ? 1 : 0;
        if (set && argc < 1)
                return die("set: ADDR is required", NULL);
        if (kw_get(argc - skip, argv + skip,
                   csf   ? valued_csf
                   : dsf ? valued_dsf
                         : valued_set,
                   none, a, 16, &n) < 0)
                return 1;
        json_t *local = need_addr(set ? argv[0] : kw(a, n, "lip"));
        json_t *remote = need_addr(kw(a, n, "rip"));
        json_t *r = req(csf ? "subflow_create" : dsf ? "subflow_destroy" : "set_flags");
        int bad = !local || !remote || put_num(r, "token", a, n, "token", UINT32_MAX, 1, 1) < 0 ||
                  put_num(remote, "port", a, n, "rport", 65535, !csf, 0) < 0;
        if (!bad && csf)
                bad = put_num(local, "id", a, n, "lid", 255, 1, 0) < 0;
        if (!bad && dsf)
                bad = put_num(local, "port", a, n, "lport", 65535, 1, 0) < 0;
        if (!bad && set) {
                const char *f = kw(a, n, "flags");
                bad = put_num(local, "port", a, n, "port", 65535, 1, 0) < 0 || !f ||
                      (strcmp(f, "backup") && strcmp(f, "nobackup"));
                if (!bad)
                        json_object_set_new(local, "flags",
                                            !strcmp(f, "backup") ? json_pack("[s]", "backup")
                                                                 : json_array());
                else if (!f || (strcmp(f, "backup") && strcmp(f, "nobackup")))
                        die("set: flags backup or nobackup", NULL);
        }
        if (bad) {
                json_decref(local);
                json_decref(remote);
                json_decref(r);
                return 1;
        }
        json_object_set_new(r, "addr", local);
        json_object_set_new(r, "addr_remote", remote);
        return done(call(r));
}

/* "ADDR:PORT" (IPv6 in brackets) from an object's saddr4/saddr6 and sport, or d... */
static void print_endpoint_of(json_t *o, char side)
{
        char k4[8], k6[8], kp[8];
        snprintf(k4, sizeof(k4), "%caddr4", side);
        snprintf(k6, sizeof(k6), "%caddr6", side);
        snprintf(kp, sizeof(kp), "%cport", side);
        json_t *a = json_object_get(o, k4);
        const char *fmt = "%s:%lld";
        if (!a) {
                a = json_object_get(o, k6);
                fmt = "[%s]:%lld";
        }
        printf(fmt, json_string_value(a) ? json_string_value(a) : "?",
               (long long)json_integer_value(json_object_get(o, kp)));
}

static long long num(json_t *o, const char *key)
{
        return (long long)json_integer_value(json_object_get(o, key));
}

/* A socket's description, last on its connection's line (the rest of the line is the
 * description). The stack takes printable ASCII only; a server that sent anything else
 * still gets no escape onto the terminal. */
static void print_description(const char *d)
{
        if (!d || !*d)
                return;
        printf(" desc ");
        for (; *d; d++)
                putchar(*d >= 0x20 && *d <= 0x7e ? *d : '?');
}

/* The connections and their subflows, like ss -Mti: all, one by its token, or a page of
 * those after a token. */
static int show_cmd(int argc, char **argv)
{
        static const char *const valued[] = {"token", "after", "limit", NULL};
        static const char *const none[] = {NULL};
        struct kv a[3];
        int n;
        if (kw_get(argc, argv, valued, none, a, 3, &n) < 0)
                return 1;
        json_t *q = req("show");
        if (put_num(q, "token", a, n, "token", UINT32_MAX, 0, 1) < 0 ||
            put_num(q, "after", a, n, "after", UINT32_MAX, 0, 1) < 0 ||
            put_num(q, "limit", a, n, "limit", INT32_MAX, 0, 0) < 0) {
                json_decref(q);
                return 1;
        }
        json_t *r = call(q);
        if (!r)
                return 1;
        if (json_out)
                return done(r);
        size_t i, k;
        json_t *c, *s;
        json_array_foreach(json_object_get(r, "connections"), i, c)
        {
                printf("token %08llx %s%s ", (unsigned long long)num(c, "token"),
                       json_is_true(json_object_get(c, "server_side")) ? "server" : "client",
                       json_is_true(json_object_get(c, "fallback")) ? " (fell back to TCP)" : "");
                print_endpoint_of(c, 's');
                printf(" -> ");
                print_endpoint_of(c, 'd');
                printf(" sent %lld received %lld retrans %lld", num(c, "bytes_sent"),
                       num(c, "bytes_received"), num(c, "bytes_retrans"));
                print_description(json_string_value(json_object_get(c, "description")));
                putchar('\n');
                json_array_foreach(json_object_get(c, "subflows"), k, s)
                {
                        printf("\tsubflow locid %lld remid %lld ", num(s, "loc_id"),
                               num(s, "rem_id"));
                        print_endpoint_of(s, 's');
                        printf(" -> ");
                        print_endpoint_of(s, 'd');
                        printf(" %s rtt %.3fms cwnd %lld sent %lld received %lld%s%s\n",
                               json_string_value(json_object_get(s, "state")),
                               (double)num(s, "rtt_us") / 1000.0, num(s, "cwnd"),
                               num(s, "bytes_sent"), num(s, "bytes_received"),
                               num(s, "backup") ? " backup" : "",
                               num(s, "peer_backup") ? " peer_backup" : "");
                }
        }
        json_t *list = json_object_get(r, "connections");
        if (json_is_true(json_object_get(r, "more")) && json_array_size(list))
                printf("more after %08llx\n",
                       (unsigned long long)num(json_array_get(list, json_array_size(list) - 1),
                                               "token"));
        json_decref(r);
        return 0;
}

static int stat_cmd(void)
{
        json_t *r = call(req("stat"));
        if (!r)
                return 1;
        if (json_out)
                return done(r);
        const char *key;
        json_t *v;
        json_object_foreach(json_object_get(r, "counters"), key, v) if (json_integer_value(v))
            printf("%-28s %lld\n", key, (long long)json_integer_value(v));
        json_decref(r);
        return 0;
}

/* The default socket, as um_ctl_default_path() finds it (this client has no stack to ask):
 * $UMPTCP_CTL, $XDG_RUNTIME_DIR/umptcp.sock, or root's /run/umptcp/umptcp.sock. Never a
 * directory every user may write to, where anyone could pose as the server. */
static const char *default_path(char *buf, size_t len)
{
        const char *env = getenv("UMPTCP_CTL"), *xdg = getenv("XDG_RUNTIME_DIR");
        if (env && *env)
                return env;
        if (xdg && xdg[0] == '/') {
                int n = snprintf(buf, len, "%s/umptcp.sock", xdg);
                return n > 0 && (size_t)n < len ? buf : NULL;
        }
        return geteuid() == 0 ? "/run/umptcp/umptcp.sock" : NULL;
}

int main(int argc, char **argv)
{
        char buf[sizeof(((struct sockaddr_un *)0)->sun_path)];
        const char *path = default_path(buf, sizeof(buf));
        int o;
        while ((o = getopt(argc, argv, "+s:jh")) != -1) {
                switch (o) {
                case 's':
                        path = optarg;
                        break;
                case 'j':
                        json_out = 1;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 1;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return 1;
        }
        const char *object = argv[optind];
        int rest = argc - optind - 1;
        char **args = argv + optind + 1;
        static const char *const objects[] = {"endpoint", "limits", "monitor", "ann",  "rem", "csf",
                                              "dsf",      "set",    "stat",    "show", NULL};
        int known = 0;
        for (const char *const *k = objects; *k; k++)
                known |= !strcmp(object, *k);
        if (!known)
                return die("unknown object or command '%s'", object);
        if (!path)
                return die("no control socket: give -s SOCKET, or set UMPTCP_CTL or "
                           "XDG_RUNTIME_DIR",
                           NULL);
        if (connect_to(path))
                return 1;
        if (!strcmp(object, "endpoint"))
                return endpoint(rest, args);
        if (!strcmp(object, "limits"))
                return limits(rest, args);
        if (!strcmp(object, "monitor"))
                return rest ? die("monitor takes no argument", NULL) : monitor();
        if (!strcmp(object, "stat"))
                return rest ? die("stat takes no argument", NULL) : stat_cmd();
        if (!strcmp(object, "show"))
                return show_cmd(rest, args);
        return userspace(object, rest, args);
}
