/* The control socket (include/umptcp/ctl.h, docs/CONTROL.md): a stack serves it, clients
 * send JSON lines and get one reply each; endpoints and limits through it; bad input of
 * every kind gets an error reply and the connection stays usable; clients beyond the
 * bound are told and closed; a client that stops reading is dropped, not waited for;
 * subscribers get a connection's events as JSON lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <umptcp/ctl.h>
#include <umptcp/link.h>
#include <umptcp/mptcp.h>
#include <umptcp/mptcp_pm.h>
#include <umptcp/sim.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include "simtest.h"

static char sock_path[108];

/* One round of the stack's services, without waiting. */
static void serve(struct um_stack *st)
{
        struct pollfd pfd[UM_SERVICE_FDS];
        int n = um_stack_services_fds(st, pfd, UM_SERVICE_FDS);
        poll(pfd, (nfds_t)n, 0);
        um_stack_services_ready(st, pfd, n);
}

static char *read_lines(struct um_stack *st, int fd, int lines, size_t *len);

static int client(struct um_stack *st)
{
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, sock_path);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        fcntl(fd, F_SETFL, O_NONBLOCK);
        serve(st); /* accepted */
        return fd;
}

/* The next line from fd (serving the stack meanwhile), or "" on EOF. */
static char *next_line(struct um_stack *st, int fd, char *buf, size_t cap)
{
        size_t n = 0;
        for (int round = 0; round < 20000 && n + 1 < cap; round++) {
                serve(st);
                ssize_t r = recv(fd, buf + n, 1, 0);
                if (r == 0)
                        break;
                if (r < 0) {
                        usleep(50);
                        continue;
                }
                if (buf[n] == '\n')
                        break;
                n++;
        }
        buf[n] = 0;
        return buf;
}

static char *request(struct um_stack *st, int fd, const char *line, char *buf, size_t cap)
{
        assert_int_equal(send(fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
        return next_line(st, fd, buf, cap);
}

static void expect(struct um_stack *st, int fd, const char *req, const char *want)
{
        char buf[8192];
        char *got = request(st, fd, req, buf, sizeof(buf));
        printf("    %s-> %s\n", req, got);
        if (!strstr(got, want))
                fail_msg("reply to %s lacks %s", req, want);
}

static struct um_stack *new_stack(struct um_ctl **ctl)
{
        struct um_stack *st = um_stack_new(&(struct um_stack_config){.seed = simtest_seed()});
        snprintf(sock_path, sizeof(sock_path), "/tmp/umptcp-ctl-test-%d.sock", (int)getpid());
        assert_int_equal(um_ctl_serve(st, sock_path, ctl), 0);
        return st;
}

static void test_endpoints_and_limits(void **state)
{
        (void)state;
        struct um_ctl *ctl;
        struct um_stack *st = new_stack(&ctl);
        struct stat sb;
        assert_int_equal(stat(sock_path, &sb), 0);
        assert_true(S_ISSOCK(sb.st_mode));
        assert_int_equal(sb.st_mode & 0777, 0600);
        int fd = client(st);
        expect(st, fd, "{\"id\":1,\"cmd\":\"get_limits\"}\n",
               "{\"id\":1,\"subflows\":2,\"add_addr_accepted\":0,\"ok\":true}");
        expect(st, fd, "{\"id\":2,\"cmd\":\"set_limits\",\"subflows\":4,\"add_addr_accepted\":1}\n",
               "\"ok\":true");
        expect(st, fd, "{\"id\":3,\"cmd\":\"get_limits\"}\n",
               "\"subflows\":4,\"add_addr_accepted\":1");
        expect(st, fd,
               "{\"id\":4,\"cmd\":\"add_addr\",\"addr\":{\"addr4\":\"10.0.1.1\",\"flags\":["
               "\"subflow\","
               "\"backup\"]}}\n",
               "{\"id\":4,\"addr\":{\"id\":1},\"ok\":true}");
        expect(st, fd,
               "{\"id\":5,\"cmd\":\"add_addr\",\"addr\":{\"addr6\":\"fd00:1::1\",\"id\":9,"
               "\"flags\":1}}\n",
               "\"addr\":{\"id\":9}");
        expect(
            st, fd, "{\"id\":6,\"cmd\":\"get_addr\"}\n",
            "\"endpoints\":[{\"addr4\":\"10.0.1.1\",\"id\":1,\"flags\":[\"subflow\",\"backup\"]},"
            "{\"addr6\":\"fd00:1::1\",\"id\":9,\"flags\":[\"signal\"]}]");
        expect(st, fd,
               "{\"id\":7,\"cmd\":\"set_flags\",\"addr\":{\"id\":1,\"flags\":[\"fullmesh\"]}}\n",
               "\"ok\":true");
        expect(st, fd, "{\"id\":8,\"cmd\":\"get_addr\",\"addr\":{\"id\":1}}\n",
               "\"flags\":[\"subflow\",\"fullmesh\"]");
        expect(st, fd,
               "{\"id\":9,\"cmd\":\"set_flags\",\"addr\":{\"id\":9,\"flags\":[\"fullmesh\"]}}\n",
               "\"error\":\"EINVAL\""); /* signal and fullmesh, as Linux refuses */
        expect(st, fd, "{\"id\":10,\"cmd\":\"del_addr\",\"addr\":{\"id\":1}}\n", "\"ok\":true");
        expect(st, fd, "{\"id\":11,\"cmd\":\"del_addr\",\"addr\":{\"id\":1}}\n",
               "\"error\":\"ENOENT\"");
        expect(st, fd, "{\"id\":12,\"cmd\":\"flush_addrs\"}\n", "\"ok\":true");
        expect(st, fd, "{\"id\":13,\"cmd\":\"get_addr\"}\n", "\"endpoints\":[]");
        expect(st, fd, "{\"id\":14,\"cmd\":\"stat\"}\n", "\"CtlRequests\":14");
        close(fd);
        um_ctl_close(ctl);
        assert_int_equal(stat(sock_path, &sb), -1); /* unlinked */
        um_stack_free(st);
}

/* A client that sends its requests and half-closes (as `socat` or `nc -N` does at the end
 * of their input) before it reads gets every reply, in order, then the end: the server
 * closed it at the end of its input, losing the replies the socket had not yet taken
 * (49 of 200 stat replies came). */
static void test_half_close_gets_every_reply(void **state)
{
        (void)state;
        enum { N = 200 };
        struct um_ctl *ctl;
        struct um_stack *st = new_stack(&ctl);
        int fd = client(st);
        for (int i = 1; i <= N; i++) {
                char line[64];
                int n = snprintf(line, sizeof(line), "{\"id\":%d,\"cmd\":\"stat\"}\n", i);
                assert_int_equal(send(fd, line, (size_t)n, MSG_NOSIGNAL), n);
        }
        /* A last line without its newline is no request. */
        assert_int_equal(send(fd, "{\"id\":0", 7, MSG_NOSIGNAL), 7);
        assert_int_equal(shutdown(fd, SHUT_WR), 0);
        for (int i = 0; i < 20; i++)
                serve(st); /* the server reads to the end before the client reads */
        size_t len;
        char *buf = read_lines(st, fd, N, &len), end;
        assert_non_null(buf);
        int replies = 0;
        for (char *p = buf; p;) {
                char want[32];
                snprintf(want, sizeof(want), "{\"id\":%d,", ++replies);
                assert_true(!strncmp(p, want, strlen(want)));
                char *nl = memchr(p, '\n', len - (size_t)(p - buf));
                p = nl ? nl + 1 : NULL;
        }
        printf("    %d replies of %d after the half-close, %zu bytes\n", replies, N, len);
        assert_int_equal(replies, N);
        free(buf);
        for (int i = 0; i < 100 && recv(fd, &end, 1, 0) < 0; i++)
                serve(st);
        assert_int_equal(recv(fd, &end, 1, 0), 0); /* and then the end */
        close(fd);
        serve(st);
        assert_int_equal(um_counter_get(st, "CtlClientsDropped"), 0);
        um_ctl_close(ctl);
        um_stack_free(st);
}

static void test_bad_input_answered(void **state)
{
        (void)state;
        struct um_ctl *ctl;
        struct um_stack *st = new_stack(&ctl);
        int fd = client(st);
        expect(st, fd, "not json\n",
               "{\"id\":null,\"ok\":false,\"error\":\"EINVAL\",\"message\":\"malformed JSON");
        expect(st, fd, "[1,2]\n", "\"message\":\"a request is a JSON object\"");
        expect(st, fd, "{\"cmd\":\"stat\"}\n", "\"id\":null,\"ok\":false");
        expect(st, fd, "{\"id\":\"x\",\"cmd\":\"stat\"}\n", "non-integer attribute: id");
        expect(st, fd, "{\"id\":1}\n", "attribute: cmd");
        expect(st, fd, "{\"id\":2,\"cmd\":\"nope\"}\n", "unknown command: nope");
        expect(st, fd,
               "{\"id\":3,\"cmd\":\"announce\",\"token\":\"abc\",\"addr\":{\"addr4\":\"10.0.0.1\","
               "\"id\":1}}\n",
               "\"error\":\"EINVAL\"");
        expect(st, fd,
               "{\"id\":4,\"cmd\":\"announce\",\"token\":5,\"addr\":{\"addr4\":\"10.0.0.1\",\"id\":"
               "1}}\n",
               "\"error\":\"ENOENT\"");
        expect(st, fd, "{\"id\":5,\"cmd\":\"remove\",\"token\":5}\n", "missing attribute: loc_id");
        expect(st, fd, "{\"id\":6,\"cmd\":\"add_addr\",\"addr\":{\"addr4\":\"999.1.1.1\"}}\n",
               "not an address: addr4");
        expect(st, fd,
               "{\"id\":7,\"cmd\":\"add_addr\",\"addr\":{\"addr4\":\"10.0.0.1\",\"flags\":[\"wat\"]"
               "}}\n",
               "unknown flag: wat");
        expect(st, fd, "{\"id\":8,\"cmd\":\"set_limits\",\"subflows\":9}\n",
               "not an integer in range: subflows");
        expect(st, fd, "{\"id\":9,\"cmd\":\"stat\",\"id\":10}\n",
               "malformed JSON"); /* duplicate key */
        /* A line over the bound: one E2BIG reply, the rest of it ignored, then business as
         * usual. */
        size_t big = UM_CTL_MAX_LINE + 5000;
        char *line = malloc(big + 2);
        memset(line, 'x', big);
        line[big] = '\n';
        line[big + 1] = 0;
        for (size_t off = 0; off < big + 1;) {
                ssize_t w = send(fd, line + off, big + 1 - off, MSG_NOSIGNAL);
                if (w > 0)
                        off += (size_t)w;
                serve(st);
        }
        free(line);
        char buf[512];
        assert_non_null(strstr(next_line(st, fd, buf, sizeof(buf)), "\"error\":\"E2BIG\""));
        expect(st, fd, "{\"id\":11,\"cmd\":\"get_limits\"}\n", "{\"id\":11,\"subflows\":2");
        assert_int_equal(um_counter_get(st, "CtlLinesTooLong"), 1);
        assert_int_equal(um_counter_get(st, "CtlRequestErrors"), 13);
        close(fd);
        um_ctl_close(ctl);
        um_stack_free(st);
}

static void test_clients_bounded(void **state)
{
        (void)state;
        struct um_ctl *ctl;
        struct um_stack *st = new_stack(&ctl);
        int fds[UM_CTL_MAX_CLIENTS];
        for (int i = 0; i < UM_CTL_MAX_CLIENTS; i++)
                fds[i] = client(st);
        int extra = client(st);
        char buf[256];
        assert_non_null(strstr(next_line(st, extra, buf, sizeof(buf)), "\"error\":\"EBUSY\""));
        assert_string_equal(next_line(st, extra, buf, sizeof(buf)), ""); /* closed */
        close(extra);
        assert_int_equal(um_counter_get(st, "CtlClientsRefused"), 1);
        /* The others are served; one that leaves makes room. */
        expect(st, fds[3], "{\"id\":1,\"cmd\":\"get_limits\"}\n", "\"ok\":true");
        close(fds[0]);
        serve(st);
        int again = client(st);
        expect(st, again, "{\"id\":2,\"cmd\":\"get_limits\"}\n", "\"ok\":true");
        close(again);
        for (int i = 1; i < UM_CTL_MAX_CLIENTS; i++)
                close(fds[i]);
        serve(st); /* the server sees them go */
        /* A client that asks and never reads: past the bound it is dropped, and the stack
         * went on serving the whole time. */
        int greedy = client(st);
        static const char stat[] = "{\"id\":1,\"cmd\":\"stat\"}\n";
        int sent = 0;
        for (int i = 0; i < 5000 && !um_counter_get(st, "CtlClientsDropped"); i++) {
                if (send(greedy, stat, sizeof(stat) - 1, MSG_NOSIGNAL) < 0 && errno != EAGAIN)
                        break;
                sent++;
                serve(st);
        }
        printf("    a client that never reads: dropped after %d requests\n", sent);
        assert_int_equal(um_counter_get(st, "CtlClientsDropped"), 1);
        close(greedy);
        um_ctl_close(ctl);
        um_stack_free(st);
}

/* ---- Events to a subscriber, from a live 2-subflow connection ---- */

struct ev_watch {
        struct um_ctl *ctl;
        int fd;
        char log[16384];
        size_t len;
};

static void ctl_on_setup(void *arg, struct um_stack *cli, struct um_stack *srv)
{
        struct ev_watch *w = arg;
        (void)srv;
        assert_int_equal(um_ctl_serve(cli, sock_path, &w->ctl), 0);
        w->fd = client(cli);
        char buf[128];
        assert_non_null(
            strstr(request(cli, w->fd, "{\"id\":1,\"cmd\":\"subscribe\"}\n", buf, sizeof(buf)),
                   "\"ok\":true"));
}

static void ctl_on_step(void *arg, struct um_stack *cli, int cfd, struct um_stack *srv, int sfd,
                        uint64_t now)
{
        struct ev_watch *w = arg;
        serve(cli);
        ssize_t r;
        while (w->len + 1 < sizeof(w->log) &&
               (r = recv(w->fd, w->log + w->len, sizeof(w->log) - 1 - w->len, 0)) > 0)
                w->len += (size_t)r;
        w->log[w->len] = 0;
}

static void test_events_to_subscriber(void **state)
{
        (void)state;
        snprintf(sock_path, sizeof(sock_path), "/tmp/umptcp-ctl-test-%d.sock", (int)getpid());
        struct ev_watch w = {.fd = -1};
        struct um_sim_transfer_cfg c = {.bytes = 2 << 20,
                                        .protocol = IPPROTO_MPTCP,
                                        .path = simtest_path(50, 10),
                                        .n_more_paths = 1,
                                        .on_setup = ctl_on_setup,
                                        .on_step = ctl_on_step,
                                        .step_arg = &w};
        c.more_paths[0] = simtest_path(50, 10);
        struct um_sim_transfer_result r;
        int ok = simtest_transfer("a subscriber watches a 2-subflow connection", &c, &r);
        printf("%s", w.log);
        assert_true(ok);
        const char *created = strstr(w.log, "{\"event\":\"created\",\"token\":");
        const char *est = strstr(w.log, "{\"event\":\"established\"");
        const char *sub = strstr(w.log, "{\"event\":\"sub_established\"");
        assert_non_null(created);
        assert_true(est > created && sub > est);
        assert_non_null(strstr(created, "\"saddr4\":\"10.0.0.1\",\"daddr4\":\"10.0.0.2\""));
        assert_non_null(strstr(sub, "\"loc_id\":1"));
        assert_non_null(strstr(sub, "\"saddr4\":\"10.0.1.1\""));
        close(w.fd);
        struct stat sb;
        assert_int_equal(stat(sock_path, &sb), -1); /* freeing the stack ended the service */
}

/* ---- show with thousands of connections ---- */

/* A client stack with n MPTCP connections to a server stack over one emulated path. */
struct crowd {
        struct um_stack *st[2];
        struct um_link *l[2];
        int lfd, n, n_acc;
        int *cfd, *sfd;
        uint64_t now;
        void (*on_run)(void *arg); /* optional: after each stretch of virtual time */
        void *arg;
};

static void crowd_run(struct crowd *cw, uint64_t us)
{
        um_sim_run(cw->st, 2, &cw->now, cw->now + us, NULL, NULL);
        int fd;
        while (cw->n_acc < cw->n && (fd = um_accept(cw->st[1], cw->lfd, NULL, NULL)) >= 0)
                cw->sfd[cw->n_acc++] = fd;
        if (cw->on_run)
                cw->on_run(cw->arg);
}

/* cw's stacks, link and listener; before: a hook on the client stack before any
 * connection. */
static void crowd_open_with(struct crowd *cw, int n, void (*before)(struct crowd *, void *),
                            void *arg)
{
        uint64_t seed = simtest_seed();
        *cw = (struct crowd){.n = n};
        cw->st[0] = um_stack_new(&(struct um_stack_config){.seed = seed, .name = "client"});
        cw->st[1] = um_stack_new(&(struct um_stack_config){.seed = seed + 1, .name = "server"});
        struct um_emu_dir_config d = {
            .rate_bps = 10000000000ULL, .delay_us = 1000, .queue_bytes = 256u << 20};
        assert_int_equal(um_link_emu_pair(&d, &d, 1500, seed + 7, &cw->l[0], &cw->l[1]), 0);
        assert_int_equal(
            um_stack_add_addr(cw->st[0], um_stack_add_iface(cw->st[0], cw->l[0]), "10.0.0.1/24"),
            0);
        assert_int_equal(
            um_stack_add_addr(cw->st[1], um_stack_add_iface(cw->st[1], cw->l[1]), "10.0.0.2/24"),
            0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(5001)};
        inet_pton(AF_INET, "10.0.0.2", &sa.sin_addr);
        cw->lfd = um_socket(cw->st[1], AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        assert_int_equal(um_bind(cw->st[1], cw->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(um_listen(cw->st[1], cw->lfd, 4096), 0);
        cw->cfd = calloc((size_t)n, sizeof(int));
        cw->sfd = calloc((size_t)n, sizeof(int));
        if (before)
                before(cw, arg);
        for (int i = 0; i < n; i++) {
                cw->cfd[i] = um_socket(cw->st[0], AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
                assert_true(cw->cfd[i] >= 0);
                um_connect(cw->st[0], cw->cfd[i], (struct sockaddr *)&sa, sizeof(sa));
                if (i % 256 == 255)
                        crowd_run(cw, 5000);
        }
        for (int round = 0; round < 200 && cw->n_acc < n; round++)
                crowd_run(cw, 5000);
        assert_int_equal(cw->n_acc, n);
}

static void crowd_open(struct crowd *cw, int n)
{
        crowd_open_with(cw, n, NULL, NULL);
}

static void crowd_close(struct crowd *cw)
{
        um_stack_free(cw->st[0]);
        um_stack_free(cw->st[1]);
        um_link_destroy(cw->l[0]);
        um_link_destroy(cw->l[1]);
        free(cw->cfd);
        free(cw->sfd);
}

static void count_conn(const struct um_mptcp_conn_info *ci, void *arg)
{
        (void)ci;
        ++*(int *)arg;
}

/* `lines` whole lines of any length from fd, serving the stack meanwhile (the caller
 * frees them; *len excludes the last newline); NULL when the socket closed first. */
static char *read_lines(struct um_stack *st, int fd, int lines, size_t *len)
{
        size_t n = 0, cap = 1 << 16;
        char *buf = malloc(cap);
        for (int idle = 0; idle < 200000;) {
                serve(st);
                if (n + 65536 > cap)
                        buf = realloc(buf, cap *= 2);
                ssize_t r = recv(fd, buf + n, 65536, 0);
                if (r == 0)
                        break;
                if (r < 0) {
                        idle++;
                        usleep(20);
                        continue;
                }
                for (ssize_t i = 0; i < r; i++)
                        lines -= buf[n + (size_t)i] == '\n';
                n += (size_t)r;
                if (lines <= 0) {
                        /* One request at a time: nothing may come after the last line. */
                        assert_int_equal(lines, 0);
                        assert_int_equal(buf[n - 1], '\n');
                        buf[n - 1] = 0;
                        *len = n - 1;
                        return buf;
                }
        }
        free(buf);
        return NULL;
}

static char *read_reply(struct um_stack *st, int fd, size_t *len)
{
        return read_lines(st, fd, 1, len);
}

static json_t *call(struct um_stack *st, int fd, const char *line, size_t *len)
{
        assert_int_equal(send(fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
        char *text = read_reply(st, fd, len);
        assert_non_null(text); /* not dropped */
        json_error_t err;
        json_t *v = json_loads(text, 0, &err);
        if (!v)
                fail_msg("reply to %s is not JSON: %s", line, err.text);
        free(text);
        return v;
}

/* The tokens of a show reply's connections, checked in increasing order. */
static size_t tokens_of(json_t *reply, uint32_t *out, size_t max)
{
        assert_true(json_is_true(json_object_get(reply, "ok")));
        json_t *list = json_object_get(reply, "connections"), *c;
        size_t i;
        json_array_foreach(list, i, c)
        {
                assert_true(i < max);
                out[i] = (uint32_t)json_integer_value(json_object_get(c, "token"));
                assert_true(i == 0 || out[i] > out[i - 1]);
                assert_int_equal(json_array_size(json_object_get(c, "subflows")), 1);
        }
        return json_array_size(list);
}

/* More connections than fit in UM_CTL_MAX_QUEUED bytes of show reply: the reply comes
 * whole to a client that reads (it was dropped without a reply), then the same by token
 * and by pages. */
static void test_show_thousands(void **state)
{
        (void)state;
        enum { N = 3000 };
        struct crowd cw;
        crowd_open(&cw, N);
        int n = 0;
        um_mptcp_connections(cw.st[0], count_conn, &n);
        assert_int_equal(n, N);
        struct um_ctl *ctl;
        snprintf(sock_path, sizeof(sock_path), "/tmp/umptcp-ctl-test-%d.sock", (int)getpid());
        assert_int_equal(um_ctl_serve(cw.st[0], sock_path, &ctl), 0);
        int fd = client(cw.st[0]);
        size_t len;
        json_t *all = call(cw.st[0], fd, "{\"id\":1,\"cmd\":\"show\"}\n", &len);
        printf("    show of %d connections: %zu bytes in one reply\n", N, len);
        assert_true(len > UM_CTL_MAX_QUEUED);
        assert_int_equal(json_integer_value(json_object_get(all, "id")), 1);
        uint32_t *tok = calloc(N, sizeof(uint32_t)), *page = calloc(N, sizeof(uint32_t));
        assert_int_equal(tokens_of(all, tok, N), N);
        assert_null(json_object_get(all, "more"));
        json_decref(all);
        assert_int_equal(um_counter_get(cw.st[0], "CtlClientsDropped"), 0);

        /* One connection by its token; an unknown token; token with a page. */
        char line[160];
        snprintf(line, sizeof(line), "{\"id\":2,\"cmd\":\"show\",\"token\":%u}\n", tok[1234]);
        json_t *one = call(cw.st[0], fd, line, &len);
        assert_int_equal(tokens_of(one, page, N), 1);
        assert_int_equal(page[0], tok[1234]);
        json_decref(one);
        expect(cw.st[0], fd, "{\"id\":3,\"cmd\":\"show\",\"token\":0}\n", "\"error\":\"ENOENT\"");
        expect(cw.st[0], fd, "{\"id\":4,\"cmd\":\"show\",\"token\":7,\"limit\":2}\n",
               "\"error\":\"EINVAL\"");
        expect(cw.st[0], fd, "{\"id\":5,\"cmd\":\"show\",\"limit\":0}\n", "\"error\":\"EINVAL\"");

        /* Pages of 1000 after a cursor: every connection once, in order, `more` until the
         * last. */
        size_t got = 0;
        long long after = -1;
        for (int p = 0; p < 4; p++) {
                if (after < 0)
                        snprintf(line, sizeof(line),
                                 "{\"id\":%d,\"cmd\":\"show\",\"limit\":1000}\n", 10 + p);
                else
                        snprintf(line, sizeof(line),
                                 "{\"id\":%d,\"cmd\":\"show\",\"after\":%lld,\"limit\":1000}\n",
                                 10 + p, after);
                json_t *r = call(cw.st[0], fd, line, &len);
                size_t k = tokens_of(r, page, N);
                assert_true(json_is_boolean(json_object_get(r, "more")));
                assert_int_equal(json_is_true(json_object_get(r, "more")), got + k < N);
                for (size_t i = 0; i < k; i++)
                        assert_int_equal(page[i], tok[got + i]);
                got += k;
                after = k ? page[k - 1] : after;
                json_decref(r);
                if (got == N)
                        break;
        }
        assert_int_equal(got, N);

        /* Requests behind a streaming show wait for it: replies keep their order. */
        static const char two[] =
            "{\"id\":20,\"cmd\":\"show\"}\n{\"id\":21,\"cmd\":\"get_limits\"}\n";
        assert_int_equal(send(fd, two, sizeof(two) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(two) - 1);
        char *text = read_lines(cw.st[0], fd, 2, &len);
        assert_non_null(text);
        char *second = strchr(text, '\n');
        assert_non_null(second);
        assert_true((size_t)(second - text) > UM_CTL_MAX_QUEUED);
        static const char head[] = "{\"id\":20,\"connections\":[{", next[] = "{\"id\":21,";
        assert_true(!strncmp(text, head, strlen(head)));
        assert_true(!strncmp(second + 1, next, strlen(next)));
        free(text);
        free(tok);
        free(page);
        close(fd);
        um_ctl_close(ctl);
        crowd_close(&cw);
}

/* ---- Descriptions: what an application says of its sockets, in show ---- */

/* The description show gives the connection with this token: NULL without one; the
 * connection must be listed. */
static const char *description_of(json_t *reply, uint32_t token)
{
        json_t *list = json_object_get(reply, "connections"), *c;
        size_t i;
        json_array_foreach(list, i, c)
        {
                if ((uint32_t)json_integer_value(json_object_get(c, "token")) != token)
                        continue;
                json_t *d = json_object_get(c, "description");
                if (d)
                        assert_true(json_is_string(d));
                return json_string_value(d);
        }
        fail_msg("no connection with token %08x in show", token);
        return NULL;
}

static uint32_t token_of(struct um_stack *st, int fd)
{
        struct mptcp_info mi;
        socklen_t len = sizeof(mi);
        assert_int_equal(um_getsockopt(st, fd, SOL_MPTCP, MPTCP_INFO, &mi, &len), 0);
        return mi.mptcpi_token;
}

static void refused(struct um_stack *st, int fd, const void *val, socklen_t len)
{
        errno = 0;
        assert_int_equal(um_setsockopt(st, fd, SOL_SOCKET, UM_SO_DESCRIPTION, val, len), -1);
        assert_int_equal(errno, EINVAL);
}

/* A socket's UM_SO_DESCRIPTION appears on its connection in show, and nowhere else; one
 * too long or not printable ASCII is refused (EINVAL) and appears nowhere; a closed
 * socket's is gone, from show and from the descriptor taken again. */
static void test_show_description(void **state)
{
        (void)state;
        struct crowd cw;
        crowd_open(&cw, 3);
        struct um_stack *st = cw.st[0];
        struct um_ctl *ctl;
        snprintf(sock_path, sizeof(sock_path), "/tmp/umptcp-ctl-test-%d.sock", (int)getpid());
        assert_int_equal(um_ctl_serve(st, sock_path, &ctl), 0);
        int fd = client(st);
        uint32_t t0 = token_of(st, cw.cfd[0]), t1 = token_of(st, cw.cfd[1]),
                 t2 = token_of(st, cw.cfd[2]);

        static const char said[] = "relay forward 127.0.0.1:45132 -> 127.0.0.1:8080";
        assert_int_equal(
            um_setsockopt(st, cw.cfd[0], SOL_SOCKET, UM_SO_DESCRIPTION, said, strlen(said)), 0);
        char got[UM_SO_DESCRIPTION_MAX + 1];
        socklen_t len = sizeof(got);
        assert_int_equal(um_getsockopt(st, cw.cfd[0], SOL_SOCKET, UM_SO_DESCRIPTION, got, &len), 0);
        assert_string_equal(got, said);
        assert_int_equal(len, strlen(said) + 1);
        len = 4;
        errno = 0;
        assert_int_equal(um_getsockopt(st, cw.cfd[0], SOL_SOCKET, UM_SO_DESCRIPTION, got, &len),
                         -1);
        assert_int_equal(errno, ERANGE);

        /* The longest taken, with its NUL as sizeof counts it; one byte more is too long. */
        char longest[UM_SO_DESCRIPTION_MAX + 2];
        memset(longest, 'x', sizeof(longest));
        longest[UM_SO_DESCRIPTION_MAX] = 0;
        assert_int_equal(um_setsockopt(st, cw.cfd[1], SOL_SOCKET, UM_SO_DESCRIPTION, longest,
                                       UM_SO_DESCRIPTION_MAX + 1),
                         0);
        assert_int_equal(um_setsockopt(st, cw.cfd[1], SOL_SOCKET, UM_SO_DESCRIPTION, "", 0), 0);
        refused(st, cw.cfd[1], longest, UM_SO_DESCRIPTION_MAX + 2);
        longest[UM_SO_DESCRIPTION_MAX] = 'x';
        refused(st, cw.cfd[1], longest, UM_SO_DESCRIPTION_MAX + 1);
        /* Nothing that could end a line of the protocol or reach a terminal as an escape. */
        static const char *const bad[] = {"two\nlines",  "cr\r",    "\x1b[31mred", "tab\there",
                                          "nul\0inside", "del\x7f", "latin1 \xe9"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                refused(st, cw.cfd[2], bad[i], (socklen_t)strlen(bad[i]) + (i == 4 ? 7 : 0));
        refused(st, cw.cfd[2], NULL, 5);
        /* A refused one leaves the one before. */
        assert_int_equal(
            um_setsockopt(st, cw.cfd[2], SOL_SOCKET, UM_SO_DESCRIPTION, "kept", sizeof("kept")), 0);
        refused(st, cw.cfd[2], "not\nkept", 8);

        size_t n;
        json_t *r = call(st, fd, "{\"id\":1,\"cmd\":\"show\"}\n", &n);
        assert_true(json_is_true(json_object_get(r, "ok")));
        assert_string_equal(description_of(r, t0), said);
        assert_null(description_of(r, t1)); /* emptied: no attribute at all */
        assert_string_equal(description_of(r, t2), "kept");
        json_decref(r);
        char line[96];
        snprintf(line, sizeof(line), "{\"id\":2,\"cmd\":\"show\",\"token\":%u}\n", t0);
        r = call(st, fd, line, &n);
        assert_string_equal(description_of(r, t0), said);
        json_decref(r);

        /* Closed: the connection may linger while it ends, its description does not; the
         * descriptor's next socket starts without one. */
        assert_int_equal(um_close(st, cw.cfd[0]), 0);
        r = call(st, fd, "{\"id\":3,\"cmd\":\"show\"}\n", &n);
        char *text = json_dumps(r, JSON_COMPACT);
        printf("    after close: %s\n", text);
        assert_null(strstr(text, "relay forward"));
        assert_non_null(strstr(text, "\"description\":\"kept\""));
        free(text);
        json_decref(r);
        int again = um_socket(st, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        assert_int_equal(again, cw.cfd[0]);
        len = sizeof(got);
        assert_int_equal(um_getsockopt(st, again, SOL_SOCKET, UM_SO_DESCRIPTION, got, &len), 0);
        assert_string_equal(got, "");
        assert_int_equal(len, 1);
        um_close(st, again);

        close(fd);
        um_ctl_close(ctl);
        crowd_close(&cw);
}

/* ---- A subscriber that falls behind ---- */

struct laggard {
        struct um_stack *st;
        struct um_ctl *ctl;
        int slow, fast; /* two subscribers: one reads only at the end, one all along */
        char *log;      /* what fast read */
        size_t len, cap;
};

static void drain(struct um_stack *st, int fd, char **log, size_t *len, size_t *cap)
{
        for (int idle = 0; idle < 50;) {
                serve(st);
                if (*len + 65536 > *cap)
                        *log = realloc(*log, *cap = 2 * (*len + 65536));
                ssize_t r = recv(fd, *log + *len, 65536, 0);
                if (r > 0) {
                        *len += (size_t)r;
                        idle = 0;
                } else {
                        idle++;
                        usleep(200);
                }
        }
        (*log)[*len] = 0;
}

static void laggard_step(void *arg)
{
        struct laggard *lg = arg;
        /* Only the fast one reads; the slow one's share piles up. */
        serve(lg->st);
        for (ssize_t r = 1; r > 0;) {
                if (lg->len + 65536 > lg->cap)
                        lg->log = realloc(lg->log, lg->cap = 2 * (lg->len + 65536));
                r = recv(lg->fast, lg->log + lg->len, 65536, 0);
                if (r > 0)
                        lg->len += (size_t)r;
        }
}

static void laggard_subscribe(struct crowd *cw, void *arg)
{
        struct laggard *lg = arg;
        snprintf(sock_path, sizeof(sock_path), "/tmp/umptcp-ctl-test-%d.sock", (int)getpid());
        assert_int_equal(um_ctl_serve(cw->st[0], sock_path, &lg->ctl), 0);
        lg->st = cw->st[0];
        lg->slow = client(cw->st[0]);
        lg->fast = client(cw->st[0]);
        expect(cw->st[0], lg->slow, "{\"id\":1,\"cmd\":\"subscribe\"}\n", "\"ok\":true");
        expect(cw->st[0], lg->fast, "{\"id\":1,\"cmd\":\"subscribe\"}\n", "\"ok\":true");
        cw->on_run = laggard_step;
        cw->arg = lg;
}

static size_t count_str(const char *s, const char *what)
{
        size_t n = 0;
        for (const char *p = s; (p = strstr(p, what)); p++)
                n++;
        return n;
}

/* A subscriber that does not read while thousands of events happen: its events beyond
 * the bound are dropped and counted, it stays connected, and once it has read it gets
 * {"event":"lost","count":N} with the right N before the events that came later. */
static void test_subscriber_falls_behind(void **state)
{
        (void)state;
        enum { N = 6000 };
        struct laggard lg = {0};
        struct crowd cw;
        crowd_open_with(&cw, N, laggard_subscribe, &lg);
        struct um_stack *st = cw.st[0];
        uint64_t dropped = um_counter_get(st, "CtlEventsDropped");
        printf("    %d connections; events dropped for the slow subscriber: %llu, clients "
               "dropped: %llu\n",
               N, (unsigned long long)dropped,
               (unsigned long long)um_counter_get(st, "CtlClientsDropped"));
        assert_int_equal(um_counter_get(st, "CtlClientsDropped"), 0);
        assert_true(dropped > 0);
        drain(st, lg.fast, &lg.log, &lg.len, &lg.cap);
        size_t fast_events = count_str(lg.log, "{\"event\":");
        assert_int_equal(count_str(lg.log, "{\"event\":\"lost\""), 0);

        /* The slow one reads everything: the events it got, then the loss. */
        char *slog = NULL;
        size_t slen = 0, scap = 0;
        drain(st, lg.slow, &slog, &slen, &scap);
        char want[64];
        snprintf(want, sizeof(want), "{\"event\":\"lost\",\"count\":%llu}\n",
                 (unsigned long long)dropped);
        char *lost = strstr(slog, "{\"event\":\"lost\"");
        assert_non_null(lost);
        if (strncmp(lost, want, strlen(want)))
                fail_msg("expected %s, got %.60s", want, lost);
        assert_int_equal(count_str(slog, "{\"event\":\"lost\""), 1);
        assert_string_equal(lost + strlen(want), ""); /* nothing after it yet */
        *lost = 0;
        size_t before = count_str(slog, "{\"event\":");
        /* What it got and what it lost is what the fast one got. */
        assert_int_equal(before + dropped, fast_events);
        assert_true(!strncmp(slog, lg.log, strlen(slog))); /* the same events, in order */

        /* Later events reach it again, and it still takes requests. */
        slen = 0;
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(5001)};
        inet_pton(AF_INET, "10.0.0.2", &sa.sin_addr);
        int extra = um_socket(st, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        um_connect(st, extra, (struct sockaddr *)&sa, sizeof(sa));
        crowd_run(&cw, 50000);
        drain(st, lg.slow, &slog, &slen, &scap);
        printf("    after the loss: %s", slog);
        assert_true(slen > 0);
        assert_non_null(strstr(slog, "{\"event\":\"created\""));
        assert_non_null(strstr(slog, "{\"event\":\"established\""));
        assert_int_equal(count_str(slog, "{\"event\":\"lost\""), 0);
        expect(st, lg.slow, "{\"id\":2,\"cmd\":\"get_limits\"}\n", "\"ok\":true");
        assert_int_equal(um_counter_get(st, "CtlEventsDropped"), dropped);
        assert_int_equal(um_counter_get(st, "CtlClientsDropped"), 0);
        free(slog);
        free(lg.log);
        close(lg.slow);
        close(lg.fast);
        um_ctl_close(lg.ctl);
        crowd_close(&cw);
}

/* ---- The socket's path and who may use it ---- */

static struct um_stack *bare_stack(void)
{
        struct um_stack *st = um_stack_new(&(struct um_stack_config){.seed = simtest_seed()});
        assert_non_null(st);
        snprintf(sock_path, sizeof(sock_path), "/tmp/umptcp-ctl-test-%d.sock", (int)getpid());
        return st;
}

/* A second server on a live server's path is refused, the first keeps serving, and its
 * close leaves alone a file at the path that is not its own. */
static void test_two_servers_one_path(void **state)
{
        (void)state;
        struct um_stack *a = bare_stack(), *b = bare_stack();
        struct um_ctl *ca, *cb = NULL;
        assert_int_equal(um_ctl_serve(a, sock_path, &ca), 0);
        assert_int_equal(um_ctl_serve(b, sock_path, &cb), -EADDRINUSE);
        assert_null(cb);
        int fd = client(a);
        expect(a, fd, "{\"id\":1,\"cmd\":\"get_limits\"}\n", "\"ok\":true");
        close(fd);
        /* Someone removes a's file and another server binds there: a's close must not
         * take theirs away. */
        assert_int_equal(unlink(sock_path), 0);
        assert_int_equal(um_ctl_serve(b, sock_path, &cb), 0);
        struct stat before, after;
        assert_int_equal(lstat(sock_path, &before), 0);
        um_ctl_close(ca);
        assert_int_equal(lstat(sock_path, &after), 0);
        assert_int_equal(after.st_ino, before.st_ino);
        fd = client(b);
        expect(b, fd, "{\"id\":1,\"cmd\":\"get_limits\"}\n", "\"ok\":true");
        close(fd);
        um_ctl_close(cb);
        assert_int_equal(lstat(sock_path, &after), -1); /* its own, it removes */
        um_stack_free(a);
        um_stack_free(b);
}

/* A server between its bind and its listen refuses connect() as a dead one would, so a
 * second server starting at that moment took its socket for stale and replaced it (the
 * first then listened on a name nobody could reach). Servers now start under PATH.lock. */
static void test_starting_server_keeps_its_path(void **state)
{
        (void)state;
        struct um_stack *st = bare_stack();
        char lock[sizeof(sock_path) + 8];
        snprintf(lock, sizeof(lock), "%s.lock", sock_path);
        int held = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        assert_true(held >= 0);
        assert_int_equal(flock(held, LOCK_EX | LOCK_NB), 0);
        int first = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, sock_path);
        assert_int_equal(bind(first, (struct sockaddr *)&sa, sizeof(sa)), 0);
        struct stat before, after;
        assert_int_equal(lstat(sock_path, &before), 0);
        struct um_ctl *ctl = NULL;
        assert_int_equal(um_ctl_serve(st, sock_path, &ctl), -EADDRINUSE);
        assert_null(ctl);
        assert_int_equal(lstat(sock_path, &after), 0);
        assert_int_equal(after.st_ino, before.st_ino);
        assert_int_equal(listen(first, 1), 0); /* the first goes on to serve there */
        close(first);
        assert_int_equal(unlink(sock_path), 0);
        close(held);
        /* The first's start over (its lock given back), the path is served again. */
        assert_int_equal(um_ctl_serve(st, sock_path, &ctl), 0);
        um_ctl_close(ctl);
        assert_int_equal(um_ctl_serve(st, sock_path, &ctl), 0);
        um_ctl_close(ctl);
        unlink(lock);
        um_stack_free(st);
}

/* A socket file nobody listens on is replaced; a regular file is not. */
static void test_stale_socket_replaced(void **state)
{
        (void)state;
        struct um_stack *st = bare_stack();
        int old = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, sock_path);
        assert_int_equal(bind(old, (struct sockaddr *)&sa, sizeof(sa)), 0);
        close(old); /* its file stays: a server that died */
        struct um_ctl *ctl;
        assert_int_equal(um_ctl_serve(st, sock_path, &ctl), 0);
        int fd = client(st);
        expect(st, fd, "{\"id\":1,\"cmd\":\"get_limits\"}\n", "\"ok\":true");
        close(fd);
        um_ctl_close(ctl);
        FILE *f = fopen(sock_path, "w");
        assert_non_null(f);
        fclose(f);
        assert_int_equal(um_ctl_serve(st, sock_path, &ctl), -EEXIST);
        struct stat sb;
        assert_int_equal(lstat(sock_path, &sb), 0);
        assert_true(S_ISREG(sb.st_mode));
        unlink(sock_path);
        um_stack_free(st);
}

/* A symlink at the path is neither followed nor replaced, and the process's umask is left
 * alone; a group mode the umask would narrow is set whole. */
static void test_symlink_and_mode(void **state)
{
        (void)state;
        struct um_stack *st = bare_stack();
        char target[128];
        snprintf(target, sizeof(target), "%s.target", sock_path);
        int tfd = open(target, O_CREAT | O_WRONLY | O_TRUNC, 0644);
        assert_true(tfd >= 0);
        close(tfd);
        chmod(target, 0644);
        assert_int_equal(symlink(target, sock_path), 0);
        struct um_ctl *ctl = NULL;
        assert_int_equal(um_ctl_serve(st, sock_path, &ctl), -EEXIST);
        struct stat sb;
        assert_int_equal(stat(target, &sb), 0);
        assert_true(S_ISREG(sb.st_mode));
        assert_int_equal(sb.st_mode & 0777, 0644); /* no chmod through the link */
        assert_int_equal(lstat(sock_path, &sb), 0);
        assert_true(S_ISLNK(sb.st_mode));
        /* A dangling link: nothing is made where it points. */
        unlink(sock_path);
        unlink(target);
        assert_int_equal(symlink(target, sock_path), 0);
        assert_int_equal(um_ctl_serve(st, sock_path, &ctl), -EEXIST);
        assert_int_equal(lstat(target, &sb), -1);
        unlink(sock_path);

        mode_t old = umask(027);
        assert_int_equal(um_ctl_serve_opts(st, sock_path,
                                           &(struct um_ctl_opts){.group_set = 1, .group = 65534},
                                           &ctl),
                         0);
        assert_int_equal(umask(old), 027); /* untouched */
        assert_int_equal(lstat(sock_path, &sb), 0);
        assert_true(S_ISSOCK(sb.st_mode));
        assert_int_equal(sb.st_mode & 0777, 0660);
        assert_int_equal(sb.st_gid, 65534); /* the group's, for its members to connect */
        um_ctl_close(ctl);
        old = umask(0);
        assert_int_equal(um_ctl_serve(st, sock_path, &ctl), 0);
        umask(old);
        assert_int_equal(lstat(sock_path, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0600); /* not wider with no umask */
        um_ctl_close(ctl);
        um_stack_free(st);
}

/* In a child: become uid 65534 (nobody; with as_group also gid 65534), connect, send a
 * request and exit 0 if the first line answers as `want` says, 1 otherwise. */
static pid_t child_as_nobody(int as_group, const char *want)
{
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid)
                return pid;
        gid_t g = 65534;
        /* Without the group, its own group is one the socket's mode does not admit. */
        if (setgroups(1, &g) < 0 || setgid(as_group ? 65534 : 12345) < 0 || setuid(65534) < 0)
                _exit(2);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, sock_path);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                _exit(3);
        struct timeval tv = {.tv_sec = 5};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        static const char req[] = "{\"id\":1,\"cmd\":\"get_limits\"}\n";
        ssize_t w = send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL);
        (void)w;
        char buf[512];
        size_t n = 0;
        while (n + 1 < sizeof(buf)) {
                ssize_t r = recv(fd, buf + n, 1, 0);
                if (r <= 0 || buf[n] == '\n')
                        break;
                n++;
        }
        buf[n] = 0;
        _exit(strstr(buf, want) ? 0 : 1);
}

static int serve_until_exit(struct um_stack *st, pid_t pid)
{
        int status = 0;
        for (int i = 0; i < 100000; i++) {
                serve(st);
                if (waitpid(pid, &status, WNOHANG) == pid)
                        return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
                usleep(100);
        }
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return 98;
}

/* SO_PEERCRED: with a mode that lets anyone connect, a client of another uid is still
 * refused (EACCES, counted); with the group option, that group's member is let in. */
static void test_other_uid_refused(void **state)
{
        (void)state;
        if (geteuid() != 0) {
                printf("    needs root (to become another user): skipped\n");
                skip();
        }
        struct um_stack *st = bare_stack();
        struct um_ctl *ctl;
        assert_int_equal(
            um_ctl_serve_opts(st, sock_path, &(struct um_ctl_opts){.mode = 0666}, &ctl), 0);
        struct stat sb;
        assert_int_equal(lstat(sock_path, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0666);
        pid_t pid = child_as_nobody(0, "\"error\":\"EACCES\"");
        assert_int_equal(serve_until_exit(st, pid), 0);
        assert_int_equal(um_counter_get(st, "CtlClientsDenied"), 1);
        assert_int_equal(um_counter_get(st, "CtlClients"), 0);
        /* Its owner (root here) is served as ever. */
        int fd = client(st);
        expect(st, fd, "{\"id\":1,\"cmd\":\"get_limits\"}\n", "\"ok\":true");
        close(fd);
        um_ctl_close(ctl);
        assert_int_equal(um_ctl_serve_opts(st, sock_path,
                                           &(struct um_ctl_opts){.group_set = 1, .group = 65534},
                                           &ctl),
                         0);
        pid = child_as_nobody(1, "\"ok\":true");
        assert_int_equal(serve_until_exit(st, pid), 0);
        assert_int_equal(um_counter_get(st, "CtlClientsDenied"), 0);
        um_ctl_close(ctl);
        um_stack_free(st);
}

/* $XDG_RUNTIME_DIR/umptcp.sock, else /run/umptcp/umptcp.sock for root, else none; a
 * server given no path serves there. */
static void test_default_path(void **state)
{
        (void)state;
        char buf[108], dir[64];
        const char *saved = getenv("XDG_RUNTIME_DIR");
        char *keep = saved ? strdup(saved) : NULL;
        snprintf(dir, sizeof(dir), "/tmp/umptcp-ctl-xdg-%d", (int)getpid());
        mkdir(dir, 0700);
        setenv("XDG_RUNTIME_DIR", dir, 1);
        assert_int_equal(um_ctl_default_path(buf, sizeof(buf), 0), 0);
        char want[128];
        snprintf(want, sizeof(want), "%s/umptcp.sock", dir);
        assert_string_equal(buf, want);
        struct um_stack *st = bare_stack();
        struct um_ctl *ctl;
        assert_int_equal(um_ctl_serve_opts(st, NULL, NULL, &ctl), 0);
        struct stat sb;
        assert_int_equal(lstat(want, &sb), 0);
        assert_true(S_ISSOCK(sb.st_mode));
        um_ctl_close(ctl);
        assert_int_equal(lstat(want, &sb), -1);
        assert_int_equal(um_ctl_default_path(buf, 10, 0), -ENAMETOOLONG);
        setenv("XDG_RUNTIME_DIR", "relative/dir", 1); /* not absolute: ignored */
        int rc = um_ctl_default_path(buf, sizeof(buf), 0);
        if (geteuid() == 0) {
                assert_int_equal(rc, 0);
                assert_string_equal(buf, "/run/umptcp/umptcp.sock");
        } else {
                assert_int_equal(rc, -ENOENT);
        }
        unsetenv("XDG_RUNTIME_DIR");
        if (geteuid() == 0) {
                assert_int_equal(um_ctl_default_path(buf, sizeof(buf), 0), 0);
                assert_string_equal(buf, "/run/umptcp/umptcp.sock");
                pid_t pid = fork(); /* another user without XDG_RUNTIME_DIR has none */
                assert_true(pid >= 0);
                if (!pid)
                        _exit(setuid(65534) == 0 &&
                                      um_ctl_default_path(buf, sizeof(buf), 0) == -ENOENT
                                  ? 0
                                  : 1);
                int status;
                waitpid(pid, &status, 0);
                assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        if (keep)
                setenv("XDG_RUNTIME_DIR", keep, 1);
        free(keep);
        rmdir(dir);
        um_stack_free(st);
}

int main(void)
{
        simtest_seed();
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_endpoints_and_limits),
            cmocka_unit_test(test_bad_input_answered),
            cmocka_unit_test(test_half_close_gets_every_reply),
            cmocka_unit_test(test_clients_bounded),
            cmocka_unit_test(test_events_to_subscriber),
            cmocka_unit_test(test_show_thousands),
            cmocka_unit_test(test_show_description),
            cmocka_unit_test(test_subscriber_falls_behind),
            cmocka_unit_test(test_two_servers_one_path),
            cmocka_unit_test(test_starting_server_keeps_its_path),
            cmocka_unit_test(test_stale_socket_replaced),
            cmocka_unit_test(test_symlink_and_mode),
            cmocka_unit_test(test_other_uid_refused),
            cmocka_unit_test(test_default_path),
        };
        int failed = cmocka_run_group_tests(tests, NULL, NULL);
        char lock[sizeof(sock_path) + 8]; /* the servers' lock file, left by design */
        snprintf(lock, sizeof(lock), "/tmp/umptcp-ctl-test-%d.sock.lock", (int)getpid());
        unlink(lock);
        return failed;
}
