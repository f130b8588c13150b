/* The socket API under misuse: every wrong call gets a clear errno, never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "pair.h"
#include "simtest.h"

static struct sockaddr_in v4(const char *a, uint16_t port)
{
        struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(port)};
        inet_pton(AF_INET, a, &s.sin_addr);
        return s;
}

#define EXPECT_ERR(call, err)                                                                      \
        do {                                                                                       \
                errno = 0;                                                                         \
                assert_int_equal((call), -1);                                                      \
                assert_int_equal(errno, (err));                                                    \
        } while (0)

static void test_misuse(void **state)
{
        (void)state;
        struct pair p;
        struct um_emu_dir_config d = {.delay_us = 1000};
        assert_int_equal(pair_open(&p, &d, &d, simtest_seed()), 0);
        struct um_stack *st = p.cli;
        char buf[8];
        struct sockaddr_in here = v4("10.0.0.1", 9000), nowhere = v4("192.0.2.1", 9000);

        /* Bad handles. */
        EXPECT_ERR(um_send(st, 999, "x", 1, 0), EBADF);
        EXPECT_ERR(um_recv(st, -1, buf, 1, 0), EBADF);
        EXPECT_ERR(um_close(st, 12345), EBADF);
        EXPECT_ERR(um_listen(NULL, 0, 1), EBADF);
        assert_int_equal(um_sock_events(st, 999), POLLNVAL);

        /* Bad socket() arguments. */
        EXPECT_ERR(um_socket(st, AF_UNIX, SOCK_STREAM, 0), EAFNOSUPPORT);
        EXPECT_ERR(um_socket(st, AF_INET, SOCK_DGRAM, 0), EPROTONOSUPPORT);
        EXPECT_ERR(um_socket(st, AF_INET, SOCK_STREAM, 17), EPROTONOSUPPORT);
        EXPECT_ERR(um_socket(NULL, AF_INET, SOCK_STREAM, 0), EINVAL);

        int fd = um_socket(st, AF_INET, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        /* Using an unconnected socket. */
        EXPECT_ERR(um_send(st, fd, "x", 1, 0), ENOTCONN);
        EXPECT_ERR(um_recv(st, fd, buf, 1, 0), ENOTCONN);
        EXPECT_ERR(um_shutdown(st, fd, SHUT_WR), ENOTCONN);
        EXPECT_ERR(um_shutdown(st, fd, 42), EINVAL);
        struct sockaddr_in peer;
        socklen_t plen = sizeof(peer);
        EXPECT_ERR(um_getpeername(st, fd, (struct sockaddr *)&peer, &plen), ENOTCONN);
        EXPECT_ERR(um_accept(st, fd, NULL, NULL), EAGAIN);
        /* Bad addresses. */
        EXPECT_ERR(um_bind(st, fd, NULL, 0), EFAULT);
        EXPECT_ERR(um_bind(st, fd, (struct sockaddr *)&here, 4), EINVAL);
        EXPECT_ERR(um_bind(st, fd, (struct sockaddr *)&nowhere, sizeof(nowhere)), EADDRNOTAVAIL);
        struct sockaddr_in zero_port = v4("10.0.0.2", 0);
        EXPECT_ERR(um_connect(st, fd, (struct sockaddr *)&zero_port, sizeof(zero_port)), EINVAL);
        struct sockaddr_in6 six = {.sin6_family = AF_INET6, .sin6_port = htons(1)};
        EXPECT_ERR(um_connect(st, fd, (struct sockaddr *)&six, sizeof(six)), EAFNOSUPPORT);
        /* Bind twice, and to a port in use. */
        assert_int_equal(um_bind(st, fd, (struct sockaddr *)&here, sizeof(here)), 0);
        EXPECT_ERR(um_bind(st, fd, (struct sockaddr *)&here, sizeof(here)), EINVAL);
        int fd2 = um_socket(st, AF_INET, SOCK_STREAM, 0);
        assert_int_equal(um_listen(st, fd, 4), 0);
        EXPECT_ERR(um_bind(st, fd2, (struct sockaddr *)&here, sizeof(here)), EADDRINUSE);
        /* A listener cannot connect, send or receive. */
        struct sockaddr_in srv = v4("10.0.0.2", 5001);
        EXPECT_ERR(um_connect(st, fd, (struct sockaddr *)&srv, sizeof(srv)), EOPNOTSUPP);
        EXPECT_ERR(um_send(st, fd, "x", 1, 0), ENOTCONN);
        EXPECT_ERR(um_recv(st, fd, buf, 1, 0), ENOTCONN);
        /* A connected socket cannot connect again. */
        EXPECT_ERR(um_connect(st, p.cfd, (struct sockaddr *)&srv, sizeof(srv)), EISCONN);
        /* Socket options. */
        int v = 1;
        EXPECT_ERR(um_setsockopt(st, p.cfd, IPPROTO_TCP, 9999, &v, sizeof(v)), ENOPROTOOPT);
        EXPECT_ERR(um_setsockopt(st, p.cfd, IPPROTO_TCP, TCP_NODELAY, &v, 1), EINVAL);
        EXPECT_ERR(um_setsockopt(st, p.cfd, IPPROTO_TCP, TCP_CONGESTION, "vegas", 5), ENOENT);
        EXPECT_ERR(um_getsockopt(st, p.cfd, IPPROTO_TCP, TCP_NODELAY, &v, NULL), EFAULT);
        socklen_t small = 1;
        EXPECT_ERR(um_getsockopt(st, p.cfd, IPPROTO_TCP, TCP_NODELAY, &v, &small), EINVAL);
        EXPECT_ERR(um_send(st, p.cfd, NULL, 10, 0), EFAULT);
        EXPECT_ERR(um_send(st, p.cfd, "x", 1, MSG_OOB), EOPNOTSUPP);

        /* The working options work. */
        assert_int_equal(um_setsockopt(st, p.cfd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)), 0);
        assert_int_equal(um_setsockopt(st, p.cfd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0);
        char cc[16] = {0};
        socklen_t cclen = sizeof(cc);
        assert_int_equal(um_getsockopt(st, p.cfd, IPPROTO_TCP, TCP_CONGESTION, cc, &cclen), 0);
        assert_string_equal(cc, "reno");
        int sz = 65536;
        assert_int_equal(um_setsockopt(st, p.cfd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
        socklen_t szl = sizeof(sz);
        assert_int_equal(um_getsockopt(st, p.cfd, SOL_SOCKET, SO_SNDBUF, &sz, &szl), 0);
        assert_true(sz >= 65536);
        struct tcp_info ti;
        socklen_t til = sizeof(ti);
        assert_int_equal(um_getsockopt(st, p.cfd, IPPROTO_TCP, TCP_INFO, &ti, &til), 0);
        assert_int_equal(ti.tcpi_state, 1); /* Linux TCP_ESTABLISHED */
        assert_true(ti.tcpi_options & 1);   /* timestamps */
        assert_true(ti.tcpi_snd_mss > 1000);
        struct sockaddr_in name;
        socklen_t nl = sizeof(name);
        assert_int_equal(um_getpeername(st, p.cfd, (struct sockaddr *)&name, &nl), 0);
        assert_int_equal(ntohs(name.sin_port), 5001);

        /* Data after shutdown(SHUT_WR) is refused. */
        assert_int_equal(um_shutdown(st, p.cfd, SHUT_WR), 0);
        EXPECT_ERR(um_send(st, p.cfd, "x", 1, 0), EPIPE);
        /* Closed handles are gone. */
        assert_int_equal(um_close(st, fd2), 0);
        EXPECT_ERR(um_close(st, fd2), EBADF);
        pair_close(&p);
}

static void test_connection_refused_and_unreachable(void **state)
{
        (void)state;
        struct pair p;
        struct um_emu_dir_config d = {.delay_us = 1000};
        assert_int_equal(pair_open(&p, &d, &d, simtest_seed()), 0);
        /* Nobody listens on port 6000: the server answers with a RST. */
        int fd = um_socket(p.cli, AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in s = v4("10.0.0.2", 6000);
        EXPECT_ERR(um_connect(p.cli, fd, (struct sockaddr *)&s, sizeof(s)), EINPROGRESS);
        pair_run(&p, 100000);
        assert_true(um_sock_events(p.cli, fd) & POLLERR);
        int err = 0;
        socklen_t el = sizeof(err);
        um_getsockopt(p.cli, fd, SOL_SOCKET, SO_ERROR, &err, &el);
        assert_int_equal(err, ECONNREFUSED);
        EXPECT_ERR(um_connect(p.cli, fd, (struct sockaddr *)&s, sizeof(s)), EINVAL);
        /* No route for IPv6 on a stack with only IPv4 addresses. */
        int fd6 = um_socket(p.cli, AF_INET6, SOCK_STREAM, 0);
        struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(80)};
        inet_pton(AF_INET6, "fd00::9", &s6.sin6_addr);
        EXPECT_ERR(um_connect(p.cli, fd6, (struct sockaddr *)&s6, sizeof(s6)), ENETUNREACH);
        /* Closing with unread data resets the peer (RFC 9293 §3.10.4). */
        assert_int_equal(um_send(p.srv, p.sfd, "unread", 6, 0), 6);
        pair_run(&p, 100000);
        assert_int_equal(um_close(p.cli, p.cfd), 0);
        pair_run(&p, 100000);
        char buf[8];
        EXPECT_ERR(um_recv(p.srv, p.sfd, buf, sizeof(buf), 0), ECONNRESET);
        assert_true(um_counter_get(p.cli, "TcpExtTCPAbortOnClose") == 1);
        pair_close(&p);
}

/* getpeername on MPTCP sockets: ENOTCONN before the connection, then the peer's address
 * and port on both sides, as TCP's (it said ENOTCONN on every MPTCP socket). */
static void test_mptcp_names(void **state)
{
        (void)state;
        struct pair p;
        struct um_emu_dir_config d = {.rate_bps = 100000000, .delay_us = 1000};
        assert_int_equal(pair_open_proto(&p, &d, &d, simtest_seed(), IPPROTO_MPTCP), 0);
        struct sockaddr_in name, peer;
        socklen_t nl = sizeof(name), pl = sizeof(peer);
        int fd = um_socket(p.cli, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        EXPECT_ERR(um_getpeername(p.cli, fd, (struct sockaddr *)&peer, &pl), ENOTCONN);
        EXPECT_ERR(um_getpeername(p.srv, p.lfd, (struct sockaddr *)&peer, &pl), ENOTCONN);
        assert_int_equal(um_getsockname(p.cli, p.cfd, (struct sockaddr *)&name, &nl), 0);
        assert_int_equal(um_getpeername(p.srv, p.sfd, (struct sockaddr *)&peer, &pl), 0);
        assert_int_equal(pl, sizeof(peer));
        assert_int_equal(peer.sin_family, AF_INET);
        assert_int_equal(peer.sin_addr.s_addr, name.sin_addr.s_addr);
        assert_int_equal(peer.sin_port, name.sin_port);
        pl = sizeof(peer);
        assert_int_equal(um_getpeername(p.cli, p.cfd, (struct sockaddr *)&peer, &pl), 0);
        assert_int_equal(ntohs(peer.sin_port), 5001);
        assert_int_equal(um_close(p.cli, fd), 0);
        pair_close(&p);
}

/* A closed connection's bytes still on their way: um_stack_undelivered counts them until the
 * peer has taken them, and um_stack_abort_undelivered resets them so the peer learns the
 * rest will not come (a daemon that exited freed them undelivered, silently). */
static void undelivered(int proto, int abort)
{
        struct pair p;
        struct um_emu_dir_config path = {.rate_bps = 100000000, .delay_us = 5000};
        assert_int_equal(pair_open_proto(&p, &path, &path, simtest_seed(), proto), 0);
        static uint8_t out[600000], in[sizeof(out)];
        for (size_t i = 0; i < sizeof(out); i++)
                out[i] = (uint8_t)(i * 7 + 3);
        size_t sent = 0;
        for (int i = 0; i < 200 && sent < sizeof(out); i++) {
                long n = um_send(p.cli, p.cfd, out + sent, sizeof(out) - sent, 0);
                if (n > 0)
                        sent += (size_t)n;
                pair_run(&p, 1000);
        }
        assert_true(sent > 100000);
        assert_int_equal(um_close(p.cli, p.cfd), 0);
        pair_run(&p, 20000); /* the server reads nothing: its window shuts */
        uint64_t bytes = 0;
        assert_int_equal(um_stack_undelivered(p.cli, &bytes), 1);
        assert_true(bytes > 0 && bytes <= sent);
        print_message("    %s: closed with %llu of %zu bytes not yet acknowledged\n",
                      proto == IPPROTO_MPTCP ? "MPTCP" : "TCP", (unsigned long long)bytes, sent);
        if (abort) {
                assert_int_equal(um_stack_abort_undelivered(p.cli), 1);
                assert_int_equal(um_stack_undelivered(p.cli, NULL), 0);
        }
        size_t got = 0;
        long n = 0;
        for (int i = 0; i < 3000; i++) {
                while ((n = um_recv(p.srv, p.sfd, in + got, sizeof(in) - got, 0)) > 0)
                        got += (size_t)n;
                if (n == 0 || (n < 0 && errno != EAGAIN))
                        break;
                pair_run(&p, 1000);
        }
        if (abort) {
                assert_int_equal(n, -1); /* a reset, not an end of stream */
                assert_true(got < sent);
        } else {
                assert_int_equal(n, 0);
                assert_int_equal(got, sent);
                assert_memory_equal(in, out, sent);
                pair_run(&p, 100000);
                assert_int_equal(um_stack_undelivered(p.cli, NULL), 0);
        }
        pair_close(&p);
}

static void test_undelivered_after_close(void **state)
{
        (void)state;
        undelivered(IPPROTO_TCP, 0);
        undelivered(IPPROTO_MPTCP, 0);
        undelivered(IPPROTO_TCP, 1);
        undelivered(IPPROTO_MPTCP, 1);
}

int main(void)
{
        simtest_seed();
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_misuse),
            cmocka_unit_test(test_connection_refused_and_unreachable),
            cmocka_unit_test(test_mptcp_names),
            cmocka_unit_test(test_undelivered_after_close),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
