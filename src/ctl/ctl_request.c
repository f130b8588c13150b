/* Requests on the control socket: {"id": N, "cmd": "NAME", ...attributes}, answered with
 * exactly one {"id": N, "ok": true, ...results} or {"id": N, "ok": false, "error": "EINVAL",
 * "message": "..."}. Commands and attributes are Linux's mptcp_pm names in lower case; an
 * address is an object {"addr4" or "addr6", "id", "port", "flags"} as Linux's nested
 * address attribute. docs/CONTROL.md lists them. */
#include "ctl/ctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <umptcp/mptcp.h>

/* What went wrong with a request: an errno and a sentence. */
struct req_error {
        int err;
        char msg[160];
};

static int fail(struct req_error *e, int err, const char *msg, const char *detail)
{
        e->err = err;
        int n = snprintf(e->msg, sizeof(e->msg), "%s", msg);
        if (detail && n > 0 && (size_t)n < sizeof(e->msg))
                snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, ": %.100s", detail);
        return -err;
}

/* An integer attribute in [lo, hi]; absent: 1 and *v untouched when optional, else an
 * error. */
static int get_int(json_t *o, const char *key, long long lo, long long hi, int optional,
                   long long *v, struct req_error *e)
{
        json_t *x = json_object_get(o, key);
        if (!x)
                return optional ? 1 : fail(e, EINVAL, "missing attribute", key);
        if (!json_is_integer(x) || json_integer_value(x) < lo || json_integer_value(x) > hi)
                return fail(e, EINVAL, "attribute is not an integer in range", key);
        *v = json_integer_value(x);
        return 0;
}

static const struct {
        const char *name;
        unsigned bit;
} flag_names[] = {{"signal", UM_MPTCP_PM_SIGNAL},
                  {"subflow", UM_MPTCP_PM_SUBFLOW},
                  {"backup", UM_MPTCP_PM_BACKUP},
                  {"fullmesh", UM_MPTCP_PM_FULLMESH}};

/* Endpoint flags: a number, or a list of names ("signal", "subflow", "backup",
 * "fullmesh"). */
static int get_flags(json_t *o, unsigned *flags, struct req_error *e)
{
        json_t *x = json_object_get(o, "flags");
        *flags = 0;
        if (!x)
                return 0;
        if (json_is_integer(x) && json_integer_value(x) >= 0 && json_integer_value(x) <= 0xffff) {
                *flags = (unsigned)json_integer_value(x);
                return 0;
        }
        if (!json_is_array(x))
                return fail(e, EINVAL, "flags: a number or a list of names", NULL);
        size_t i;
        json_t *f;
        json_array_foreach(x, i, f)
        {
                size_t k = 0;
                while (k < 4 &&
                       (!json_is_string(f) || strcmp(json_string_value(f), flag_names[k].name)))
                        k++;
                if (k == 4)
                        return fail(e, EINVAL, "unknown flag",
                                    json_is_string(f) ? json_string_value(f) : "not a string");
                *flags |= flag_names[k].bit;
        }
        return 0;
}

struct addr_attr {
        struct sockaddr_storage ss; /* family 0 when the object had no address */
        long long id, port;
        unsigned flags;
        int has_id;
};

/* The nested address attribute `key` (required unless optional). */
static int get_addr(json_t *req, const char *key, int optional, struct addr_attr *a,
                    struct req_error *e)
{
        memset(a, 0, sizeof(*a));
        json_t *o = json_object_get(req, key);
        if (!o)
                return optional ? 1 : fail(e, EINVAL, "missing attribute", key);
        if (!json_is_object(o))
                return fail(e, EINVAL, "an address is an object", key);
        json_t *v4 = json_object_get(o, "addr4"), *v6 = json_object_get(o, "addr6");
        if (v4 && v6)
                return fail(e, EINVAL, "addr4 or addr6, not both", key);
        if (v4 || v6) {
                json_t *s = v4 ? v4 : v6;
                int fam = v4 ? AF_INET : AF_INET6;
                void *dst = v4 ? (void *)&((struct sockaddr_in *)&a->ss)->sin_addr
                               : (void *)&((struct sockaddr_in6 *)&a->ss)->sin6_addr;
                if (!json_is_string(s) || inet_pton(fam, json_string_value(s), dst) != 1)
                        return fail(e, EINVAL, "not an address", v4 ? "addr4" : "addr6");
                a->ss.ss_family = (sa_family_t)fam;
        }
        int rc = get_int(o, "port", 0, 65535, 1, &a->port, e);
        if (rc < 0)
                return rc;
        if (a->ss.ss_family == AF_INET)
                ((struct sockaddr_in *)&a->ss)->sin_port = htons((uint16_t)a->port);
        else if (a->ss.ss_family == AF_INET6)
                ((struct sockaddr_in6 *)&a->ss)->sin6_port = htons((uint16_t)a->port);
        rc = get_int(o, "id", 0, 255, 1, &a->id, e);
        if (rc < 0)
                return rc;
        a->has_id = rc == 0;
        return get_flags(o, &a->flags, e);
}

static int need_family(const struct addr_attr *a, const char *key, struct req_error *e)
{
        return a->ss.ss_family ? 0 : fail(e, EINVAL, "the address needs addr4 or addr6", key);
}

static json_t *endpoint_json(const struct um_mptcp_endpoint *ep)
{
        char buf[INET6_ADDRSTRLEN];
        int v4 = ep->addr.ss_family == AF_INET;
        const void *src = v4 ? (const void *)&((const struct sockaddr_in *)&ep->addr)->sin_addr
                             : (const void *)&((const struct sockaddr_in6 *)&ep->addr)->sin6_addr;
        inet_ntop(ep->addr.ss_family, src, buf, sizeof(buf));
        json_t *flags = json_array();
        for (size_t k = 0; k < 4; k++)
                if (ep->flags & flag_names[k].bit)
                        json_array_append_new(flags, json_string(flag_names[k].name));
        json_t *o =
            json_pack("{s:s,s:i,s:o}", v4 ? "addr4" : "addr6", buf, "id", ep->id, "flags", flags);
        uint16_t port = ntohs(((const struct sockaddr_in *)&ep->addr)->sin_port); /* v6 alike */
        if (port)
                json_object_set_new(o, "port", json_integer(port));
        return o;
}

/* A handler's return when its reply is written later, as the client reads (show). */
enum { CTL_STREAMED = 1 };

typedef int (*handler)(struct um_ctl *ctl, struct ctl_client *c, json_t *req, json_t *reply,
                       struct req_error *e);

static int cmd_subscribe(struct um_ctl *ctl, struct ctl_client *c, json_t *req, json_t *reply,
                         struct req_error *e)
{
        c->subscribed = 1;
        ctl_events_update(ctl);
        return 0;
}

static void add_counter(const char *name, uint64_t value, void *arg)
{
        json_object_set_new(arg, name, json_integer((json_int_t)value));
}

static int cmd_stat(struct um_ctl *ctl, struct ctl_client *c, json_t *req, json_t *reply,
                    struct req_error *e)
{
        json_t *counters = json_object();
        um_counters_foreach(ctl->st, add_counter, counters);
        json_object_set_new(reply, "counters", counters);
        return 0;
}

static int cmd_add_addr(struct um_ctl *ctl, struct ctl_client *c, json_t *req, json_t *reply,
                        struct req_error *e)
{
        struct addr_attr a;
        int rc = get_addr(req, "addr", 0, &a, e);
        if (rc < 0 || (rc = need_family(&a, "addr", e)) < 0)
                return rc;
        char buf[INET6_ADDRSTRLEN];
        const void *src = a.ss.ss_family == AF_INET
                              ? (const void *)&((struct sockaddr_in *)&a.ss)->sin_addr
                              : (const void *)&((struct sockaddr_in6 *)&a.ss)->sin6_addr;
        inet_ntop(a.ss.ss_family, src, buf, sizeof(buf));
        int id = um_mptcp_endpoint_add_port(ctl->st, buf, (uint16_t)a.port, a.flags, (int)a.id);
        if (id < 0)
                return fail(e, -id, "endpoint not added", NULL);
        json_object_set_new(reply, "addr", json_pack("{s:i}", "id", id));
        return 0;
}

static int cmd_del_addr(struct um_ctl *ctl, struct ctl_client *c, json_t *req, json_t *reply,
                        struct req_error *e)
{
        struct addr_attr a;
        int rc = get_addr(req, "addr", 0, &a, e);
        if (rc < 0)
                return rc;
        if (!a.has_id)
                return fail(e, EINVAL, "the address needs its id", "addr");
        rc = um_mptcp_endpoint_del_id(ctl->st, (int)a.id);
        return rc < 0 ? fail(e, -rc, "no endpoint with this id", NULL) : 0;
}

static int cmd_get_addr(struct um_ctl *ctl, struct ctl_client *c, json_t *req, json_t *reply,
                        struct req_error *e)
{
        struct addr_attr a;
        int rc = get_addr(req, "addr", 1, &a, e);
        if (rc < 0)
                return rc;
        json_t *list = json_array();
        struct um_mptcp_endpoint ep;
        for (int i = 0; um_mptcp_endpoint_get(ctl->st, i, &ep) == 0; i++)
                if (!a.has_id || ep.id == a.id)
                        json_array_append_new(list, endpoint_json(&ep));
        if (a.has_id && !json_array_size(list)) {
                json_decref(list);
                return fail(e, ENOENT, "no endpoint with this id", NULL);
        }
        json_object_set_new(reply, "endpoints", list);
        return 0;
}

static int cmd_flush_addrs(struct um_ctl *ctl, struct ctl_client *c, json_t *req, json_t *reply,
                           struct req_error *e)
{
        struct um_mptcp_endpoint ep;
        while (um_mptcp_endpoint_get(ctl->st, 0, &ep) == 0)
                um_mptcp_endpoint_del_id(ctl->st, ep.id);
        return 0;
}

static int cmd_set_limits(struct um_ctl *ctl, struct ctl_client *c, json_t *req, json_t *reply,
                          struct req_error *e)
{
        unsigned subflows, accepted;
        um_mptcp_limits_get(ctl->st, &subflows, &accepted);
        long long s = subflows, a = accepted, r = accepted;
        int rc;
        if ((rc = get_int(req, "subflows", 0, 8, 1, &s, e)) < 0 ||
            (rc = get_int(req, "add_addr_accepted", 0, 8, 1, &a, e)) < 0 ||
            (rc = get_int(req, "rcv_add_addrs", 0, 8, 1, &r, e)) < 0)
                return rc;
        if (json_object_get(req, "rcv_add_addrs"))
                a = r; /* Linux's name for it */
        rc = um_mptcp_limits_set(ctl->st, (unsigned)s, (unsigned)a);
        return rc < 0 ? fail(e, -rc, "limits not set", NULL) : 0;
}

static int cmd_get_limits(struct um_ctl *ctl, struct ctl_client *c, json_t *req, json_t *reply,
                          struct req_error *e)
{
        unsigned subflows, accepted;
        um_mptcp_limits_get(ctl->st, &subflows, &accepted);
        json_object_set_new(reply, "subflows", json_integer(subflows));
        json_object_set_new(reply, "add_addr_accepted", json_integer(accepted));
        return 0;
}

static int get_token(json_t *req, uint32_t *token, struct req_error *e)
{
        long long t;
        int rc = get_int(req, "token", 0, UINT32_MAX, 0, &t, e);
        *token = (uint32_t)t;
        return rc;
}

/* What names one subflow: the token, its local address and the remote one, both with an
 * address (and, for an existing subflow, their ports). */
static int get_subflow(json_t *req, uint32_t *token, struct addr_attr *a, struct addr_attr *r,
                       struct req_error *e)
{
        int rc;
        if ((rc = get_token(req, token, e)) < 0 || (rc = get_addr(req, "addr", 0, a, e)) < 0 ||
            (rc = get_addr(req, "addr_remote", 0, r, e)) < 0 ||
            (rc = need_family(a, "addr", e)) < 0 || (rc = need_family(r, "addr_remote", e)) < 0)
                return rc;
        return 0;
}

static int cmd_set_flags(struct um_ctl *ctl, struct ctl_client *c, json_t *req, json_t *reply,
                         struct req_error *e)
{
        struct addr_attr a, r;
        int rc = get_addr(req, "addr", 0, &a, e);
        if (rc < 0)
                return rc;
        const unsigned changeable = UM_MPTCP_PM_BACKUP | UM_MPTCP_PM_FULLMESH;
        if (!json_object_get(req, "token")) { /* an endpoint */
                if (!a.has_id)
                        return fail(e, EINVAL, "the address needs its id", "addr");
                rc = um_mptcp_endpoint_change(ctl->st, (int)a.id, a.flags & changeable,
                                              ~a.flags & changeable);
                return rc < 0 ? fail(e, -rc, "endpoint not changed", NULL) : 0;
        }
        uint32_t token;
        if ((rc = get_subflow(req, &token, &a, &r, e)) < 0)
                return rc;
        rc = um_mptcp_pm_set_backup(ctl->st, token, (struct sockaddr *)&a.ss,
                                    (struct sockaddr *)&r.ss, (a.flags & UM_MPTCP_PM_BACKUP) != 0);
        return rc < 0 ? fail(e, -rc, "subflow priority not set", NULL) : 0;
}

static int cmd_announce(struct um_ctl *ctl, struct ctl_client *c, json_t *req, json_t *reply,
                        struct req_error *e)
{
        uint32_t token;
        struct addr_attr a;
        int rc;
        if ((rc = get_token(req, &token, e)) < 0 || (rc = get_addr(req, "addr", 0, &a, e)) < 0 ||
            (rc = need_family(&a, "addr", e)) < 0)
                return rc;
        if (!a.has_id)
                return fail(e, EINVAL, "the address needs its id", "addr");
        struct um_mptcp_pm_addr pa = {.addr = a.ss, .id = (uint8_t)a.id};
        rc = um_mptcp_pm_announce(ctl->st, token, &pa);
        return rc < 0 ? fail(e, -rc, "not announced", NULL) : 0;
}

static int cmd_remove(struct um_ctl *ctl, struct ctl_client *c, json_t *req, json_t *reply,
                      struct req_error *e)
{
        uint32_t token;
        long long id;
        int rc;
        if ((rc = get_token(req, &token, e)) < 0 ||
            (rc = get_int(req, "loc_id", 0, 255, 0, &id, e)) < 0)
                return rc;
        rc = um_mptcp_pm_remove(ctl->st, token, (uint8_t)id);
        return rc < 0 ? fail(e, -rc, "not removed", NULL) : 0;
}

static int cmd_subflow_create(struct um_ctl *ctl, struct ctl_client *c, json_t *req, json_t *reply,
                              struct req_error *e)
{
        uint32_t token;
        struct addr_attr a, r;
        int rc = get_subflow(req, &token, &a, &r, e);
        if (rc < 0)
                return rc;
        struct um_mptcp_pm_addr pa = {.addr = a.ss, .id = (uint8_t)a.id};
        rc = um_mptcp_pm_subflow_create(ctl->st, token, &pa, (struct sockaddr *)&r.ss,
                                        (a.flags & UM_MPTCP_PM_BACKUP) != 0);
        return rc < 0 ? fail(e, -rc, "subflow not created", NULL) : 0;
}

static int cmd_subflow_destroy(struct um_ctl *ctl, struct ctl_client *c, json_t *req, json_t *reply,
                               struct req_error *e)
{
        uint32_t token;
        struct addr_attr a, r;
        int rc = get_subflow(req, &token, &a, &r, e);
        if (rc < 0)
                return rc;
        rc = um_mptcp_pm_subflow_destroy(ctl->st, token, (struct sockaddr *)&a.ss,
                                         (struct sockaddr *)&r.ss);
        return rc < 0 ? fail(e, -rc, "no such subflow", NULL) : 0;
}

/* An address and port as event attributes name them: saddr4/daddr4 (or 6), sport/dport. */
static void put_endpoint(json_t *o, const char *side, const struct sockaddr_storage *ss)
{
        char buf[INET6_ADDRSTRLEN], key[16];
        int v4 = ss->ss_family == AF_INET;
        const void *a = v4 ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
                           : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
        uint16_t port = v4 ? ((const struct sockaddr_in *)ss)->sin_port
                           : ((const struct sockaddr_in6 *)ss)->sin6_port;
        if (!inet_ntop(ss->ss_family, a, buf, sizeof(buf)))
                return;
        snprintf(key, sizeof(key), "%caddr%c", side[0], v4 ? '4' : '6');
        json_object_set_new(o, key, json_string(buf));
        snprintf(key, sizeof(key), "%cport", side[0]);
        json_object_set_new(o, key, json_integer(ntohs(port)));
}

static const char *const tcp_states[] = {"CLOSED",  "LISTEN",    "SYN_SENT",  "SYN_RECV",
                                         "ESTAB",   "FIN_WAIT1", "FIN_WAIT2", "CLOSE_WAIT",
                                         "CLOSING", "LAST_ACK",  "TIME_WAIT"};

static json_t *conn_json(const struct um_mptcp_conn_info *ci)
{
        json_t *c = json_pack("{s:I,s:b,s:b}", "token", (json_int_t)ci->token, "server_side",
                              ci->server_side, "fallback", ci->fallback);
        put_endpoint(c, "s", &ci->local);
        put_endpoint(c, "d", &ci->remote);
        json_object_set_new(c, "bytes_sent", json_integer((json_int_t)ci->bytes_sent));
        json_object_set_new(c, "bytes_received", json_integer((json_int_t)ci->bytes_received));
        json_object_set_new(c, "bytes_retrans", json_integer((json_int_t)ci->bytes_retrans));
        json_t *subs = json_array();
        for (int i = 0; i < ci->n_subflows; i++) {
                const struct um_mptcp_subflow_info *s = &ci->subflows[i];
                json_t *o = json_pack("{s:i,s:i}", "loc_id", s->loc_id, "rem_id", s->rem_id);
                put_endpoint(o, "s", &s->local);
                put_endpoint(o, "d", &s->remote);
                json_object_set_new(o, "backup", json_integer(s->backup));
                json_object_set_new(o, "peer_backup", json_integer(s->peer_backup));
                json_object_set_new(
                    o, "state",
                    json_string(s->state >= 0 && s->state <= 10 ? tcp_states[s->state] : "?"));
                json_object_set_new(o, "rtt_us", json_integer((json_int_t)s->srtt_us));
                json_object_set_new(o, "cwnd", json_integer(s->cwnd));
                json_object_set_new(o, "bytes_sent", json_integer((json_int_t)s->bytes_sent));
                json_object_set_new(o, "bytes_received",
                                    json_integer((json_int_t)s->bytes_received));
                json_array_append_new(subs, o);
        }
        json_object_set_new(c, "subflows", subs);
        /* Printable ASCII only (the socket layer checks), so a JSON string as it is. */
        if (ci->description[0])
                json_object_set_new(c, "description", json_string(ci->description));
        return c;
}

/* A show reply is written this many connections at a time (about 400 bytes each with one
 * subflow, 2 KB with eight): what it holds is bounded whatever the number of connections. */
enum { SHOW_CHUNK = 128 };

/* The tokens above a cursor, gathered in one walk of the connections. */
struct show_tokens {
        int64_t cursor;
        uint32_t *t;
        size_t n, cap;
        int failed;
};

static void take_token(const struct um_mptcp_conn_info *ci, void *arg)
{
        struct show_tokens *st = arg;
        if ((int64_t)ci->token <= st->cursor || st->failed)
                return;
        if (st->n == st->cap) {
                size_t cap = st->cap ? 2 * st->cap : 256;
                uint32_t *t = realloc(st->t, cap * sizeof(*t));
                if (!t) {
                        st->failed = 1;
                        return;
                }
                st->t = t, st->cap = cap;
        }
        st->t[st->n++] = ci->token;
}

static int by_token(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
        return (x > y) - (x < y);
}

/* The tokens still to write, in order (4 bytes a connection); -ENOMEM. */
static int show_take_tokens(struct um_ctl *ctl, struct ctl_show *sh)
{
        struct show_tokens st = {.cursor = sh->cursor};
        um_mptcp_connections(ctl->st, take_token, &st);
        if (st.failed) {
                free(st.t);
                return -ENOMEM;
        }
        if (st.n) /* none: no array at all, which qsort may not be given */
                qsort(st.t, st.n, sizeof(st.t[0]), by_token);
        free(sh->tokens);
        sh->tokens = st.t;
        sh->n_tokens = st.n;
        sh->at = 0;
        return 0;
}

/* Whether a connection remains above the cursor. */
static void any_above(const struct um_mptcp_conn_info *ci, void *arg)
{
        struct show_tokens *st = arg;
        st->n += (int64_t)ci->token > st->cursor;
}

static void add_text(struct ctl_client *c, struct ctl_buf *out, const char *text)
{
        if (!text || ctl_buf_add(out, text, strlen(text)) < 0)
                c->gone = 1;
}

struct show_write {
        struct ctl_client *c;
        struct ctl_buf *out;
};

static void write_conn(const struct um_mptcp_conn_info *ci, void *arg)
{
        struct show_write *sw = arg;
        json_t *o = conn_json(ci);
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (sw->c->show.n++)
                add_text(sw->c, sw->out, ",");
        add_text(sw->c, sw->out, text);
        free(text);
}

static void show_end(struct ctl_client *c, struct ctl_buf *out, int more)
{
        struct ctl_show *sh = &c->show;
        add_text(c, out, "]");
        if (sh->paged)
                add_text(c, out, more ? ",\"more\":true" : ",\"more\":false");
        add_text(c, out, ",\"ok\":true}\n");
        json_decref(sh->id);
        free(sh->tokens);
        *sh = (struct ctl_show){0};
}

void ctl_show_next(struct um_ctl *ctl, struct ctl_client *c, struct ctl_buf *out)
{
        struct ctl_show *sh = &c->show;
        if (!sh->active || c->gone)
                return;
        if (!sh->started) {
                char *id = json_dumps(sh->id, JSON_ENCODE_ANY);
                add_text(c, out, "{\"id\":");
                add_text(c, out, id);
                add_text(c, out, ",\"connections\":[");
                free(id);
                sh->started = 1;
                return;
        }
        /* The tokens taken ran out: those above the cursor now, which are the ones opened
         * meanwhile (none is written twice); none left ends the reply. */
        if (sh->at == sh->n_tokens) {
                if (show_take_tokens(ctl, sh) < 0) {
                        c->gone = 1;
                        return;
                }
                if (!sh->n_tokens) {
                        show_end(c, out, 0);
                        return;
                }
        }
        long long cap = sh->left >= 0 && sh->left < SHOW_CHUNK ? sh->left : SHOW_CHUNK;
        struct show_write sw = {c, out};
        /* Connections that went before their turn are not in it. */
        for (long long k = 0; k < cap && sh->at < sh->n_tokens;) {
                uint32_t token = sh->tokens[sh->at++];
                if (um_mptcp_connection(ctl->st, token, write_conn, &sw) < 0)
                        continue;
                sh->cursor = token;
                k++;
                if (sh->left > 0)
                        sh->left--;
        }
        if (sh->left == 0) {
                struct show_tokens above = {.cursor = sh->cursor};
                um_mptcp_connections(ctl->st, any_above, &above);
                show_end(c, out, above.n > 0);
        }
}

static void one_conn(const struct um_mptcp_conn_info *ci, void *arg)
{
        *(json_t **)arg = conn_json(ci);
}

/* show: every connection (the reply streams, see ctl_show_next), the one with `token`,
 * or a page: those above `after`, at most `limit`, with `more`. */
static int cmd_show(struct um_ctl *ctl, struct ctl_client *c, json_t *req, json_t *reply,
                    struct req_error *e)
{
        long long token = -1, after = -1, limit = -1;
        int rc;
        if ((rc = get_int(req, "token", 0, UINT32_MAX, 1, &token, e)) < 0 ||
            (rc = get_int(req, "after", 0, UINT32_MAX, 1, &after, e)) < 0 ||
            (rc = get_int(req, "limit", 1, INT32_MAX, 1, &limit, e)) < 0)
                return rc;
        if (token >= 0) {
                if (after >= 0 || limit >= 0)
                        return fail(e, EINVAL, "token names one connection: no after or limit",
                                    NULL);
                json_t *one = NULL;
                if (um_mptcp_connection(ctl->st, (uint32_t)token, one_conn, &one) < 0)
                        return fail(e, ENOENT, "no connection with this token", NULL);
                json_object_set_new(reply, "connections", json_pack("[o]", one));
                return 0;
        }
        c->show = (struct ctl_show){.active = 1,
                                    .id = json_incref(json_object_get(req, "id")),
                                    .cursor = after,
                                    .left = limit,
                                    .paged = limit >= 0};
        return CTL_STREAMED;
}

static const struct {
        const char *name;
        handler fn;
} commands[] = {
    {"show", cmd_show},
    {"subscribe", cmd_subscribe},
    {"stat", cmd_stat},
    {"add_addr", cmd_add_addr},
    {"del_addr", cmd_del_addr},
    {"get_addr", cmd_get_addr},
    {"flush_addrs", cmd_flush_addrs},
    {"set_limits", cmd_set_limits},
    {"get_limits", cmd_get_limits},
    {"set_flags", cmd_set_flags},
    {"announce", cmd_announce},
    {"remove", cmd_remove},
    {"subflow_create", cmd_subflow_create},
    {"subflow_destroy", cmd_subflow_destroy},
};

void ctl_request(struct um_ctl *ctl, struct ctl_client *c, const char *line, size_t len)
{
        ctl->ctr.CtlRequests++;
        struct req_error e = {0};
        json_error_t jerr;
        json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
        json_t *id = req && json_is_object(req) ? json_object_get(req, "id") : NULL;
        json_t *reply = json_pack("{s:O}", "id", id && json_is_integer(id) ? id : json_null());
        const char *cmd = NULL;
        if (!req)
                fail(&e, EINVAL, "malformed JSON", jerr.text);
        else if (!json_is_object(req))
                fail(&e, EINVAL, "a request is a JSON object", NULL);
        else if (!id || !json_is_integer(id))
                fail(&e, EINVAL, "missing or non-integer attribute", "id");
        else if (!json_is_string(json_object_get(req, "cmd")))
                fail(&e, EINVAL, "missing or non-string attribute", "cmd");
        else
                cmd = json_string_value(json_object_get(req, "cmd"));
        size_t k = 0;
        while (cmd && k < sizeof(commands) / sizeof(commands[0]) && strcmp(cmd, commands[k].name))
                k++;
        if (cmd && k == sizeof(commands) / sizeof(commands[0]))
                fail(&e, EINVAL, "unknown command", cmd);
        else if (cmd && commands[k].fn(ctl, c, req, reply, &e) == CTL_STREAMED) {
                json_decref(reply);
                json_decref(req);
                return;
        }
        if (e.err) {
                ctl->ctr.CtlRequestErrors++;
                json_object_set_new(reply, "ok", json_false());
                json_object_set_new(reply, "error", json_string(ctl_errno_name(e.err)));
                json_object_set_new(reply, "message", json_string(e.msg));
        } else {
                json_object_set_new(reply, "ok", json_true());
        }
        json_decref(req);
        ctl_send(ctl, c, reply);
}
