/* The control socket (include/umptcp/ctl.h, docs/CONTROL.md): a stack serves it, clients
 * send JSON lines and get one reply each; endpoints and limits through it; bad input of
 * every kind gets an error reply and the connection stays usable; clients beyond the
 * bound are told and closed; a client that stops reading is dropped, not waited for;
 * subscribers get a connection's events as JSON lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <umptcp/ctl.h>
#include <umptcp/mptcp.h>
#include <umptcp/sim.h>
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

int main(void)
{
        simtest_seed();
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_endpoints_and_limits),
            cmocka_unit_test(test_bad_input_answered),
            cmocka_unit_test(test_clients_bounded),
            cmocka_unit_test(test_events_to_subscriber),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
