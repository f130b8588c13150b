/* Many connections at once, each moving its own data: 10,000 TCP and 10,000 MPTCP
 * connections with 2 subflows between two stacks (1,000 each in the sanitizer build), every
 * connection's bytes checked against what its client sent, all open at the same time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <umptcp/link.h>
#include <umptcp/mptcp.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include "simtest.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

enum { PORT = 6000, PER_PORT = 16000, BYTES = 3000 };

struct many {
        struct um_stack *st[2];
        struct um_link *links[2][2];
        uint64_t now, salt;
        int n, n_ports, lfd[16];
        int *cfd;
        uint32_t *sent;
        struct server_side {
                int fd, index; /* index: -1 until the first 4 bytes say whose it is */
                uint32_t got;
                uint8_t head[4];
                int ok, eof;
        } * srv;
        int n_srv;
};

/* Connection i's byte k: its index first (4 bytes), then a pattern of the seed and i. */
static uint8_t byte_of(const struct many *m, int i, uint32_t k)
{
        if (k < 4)
                return (uint8_t)((uint32_t)i >> (8 * k));
        return (uint8_t)(k * 131 + (uint32_t)i * 7 + m->salt);
}

static void open_pair(struct many *m, int n_paths, uint64_t seed)
{
        struct um_stack_config cc = {.seed = seed, .name = "client"},
                               sc = {.seed = seed + 1, .name = "server"};
        m->st[0] = um_stack_new(&cc);
        m->st[1] = um_stack_new(&sc);
        assert_non_null(m->st[0]);
        assert_non_null(m->st[1]);
        for (int k = 0; k < n_paths; k++) {
                /* A queue that holds every first flight at once: the test is about many
                 * connections, not about their congestion control on a shared bottleneck. */
                struct um_emu_dir_config d = {
                    .rate_bps = 10000000000ULL, .delay_us = 1000, .queue_bytes = 256u << 20};
                assert_int_equal(um_link_emu_pair(&d, &d, 1500, seed + 7 + (uint64_t)k,
                                                  &m->links[k][0], &m->links[k][1]),
                                 0);
                char a[32], b[32];
                snprintf(a, sizeof(a), "10.0.%d.1/24", k);
                snprintf(b, sizeof(b), "10.0.%d.2/24", k);
                assert_int_equal(
                    um_stack_add_addr(m->st[0], um_stack_add_iface(m->st[0], m->links[k][0]), a),
                    0);
                assert_int_equal(
                    um_stack_add_addr(m->st[1], um_stack_add_iface(m->st[1], m->links[k][1]), b),
                    0);
        }
        if (n_paths > 1) {
                assert_true(um_mptcp_endpoint_add(m->st[0], "10.0.1.1", UM_MPTCP_PM_SUBFLOW, 0) >
                            0);
                assert_int_equal(um_mptcp_limits_set(m->st[0], 1, 0), 0);
                assert_int_equal(um_mptcp_limits_set(m->st[1], 1, 0), 0);
        }
}

static void server_read(struct many *m, struct server_side *s)
{
        uint8_t buf[4096];
        for (;;) {
                ssize_t r = um_recv(m->st[1], s->fd, buf, sizeof(buf), 0);
                if (r == 0) {
                        s->eof = 1;
                        s->ok = s->index >= 0 && s->got == BYTES;
                        return;
                }
                if (r < 0) {
                        assert_int_equal(errno, EAGAIN);
                        return;
                }
                for (ssize_t k = 0; k < r; k++, s->got++) {
                        if (s->got < 4) {
                                s->head[s->got] = buf[k];
                                if (s->got == 3)
                                        s->index =
                                            (int)((uint32_t)s->head[0] | (uint32_t)s->head[1] << 8 |
                                                  (uint32_t)s->head[2] << 16 |
                                                  (uint32_t)s->head[3] << 24);
                                continue;
                        }
                        assert_true(s->index >= 0 && s->index < m->n);
                        assert_int_equal(buf[k], byte_of(m, s->index, s->got));
                }
        }
}

static void accept_all(struct many *m)
{
        for (int k = 0; k < m->n_ports; k++) {
                int fd;
                while ((fd = um_accept(m->st[1], m->lfd[k], NULL, NULL)) >= 0) {
                        assert_true(m->n_srv < m->n);
                        m->srv[m->n_srv++] = (struct server_side){.fd = fd, .index = -1};
                }
        }
}

static void run(int proto, int n_paths, int n)
{
        uint64_t seed = simtest_seed();
        struct many m = {.n = n, .salt = seed * 977, .n_ports = 1 + n / PER_PORT};
        open_pair(&m, n_paths, seed);
        for (int k = 0; k < m.n_ports; k++) {
                struct sockaddr_in sa = {.sin_family = AF_INET,
                                         .sin_port = htons((uint16_t)(PORT + k))};
                inet_pton(AF_INET, "10.0.0.2", &sa.sin_addr);
                m.lfd[k] = um_socket(m.st[1], AF_INET, SOCK_STREAM, proto);
                assert_int_equal(um_bind(m.st[1], m.lfd[k], (struct sockaddr *)&sa, sizeof(sa)), 0);
                assert_int_equal(um_listen(m.st[1], m.lfd[k], 4096), 0);
        }
        m.cfd = calloc((size_t)n, sizeof(int));
        m.sent = calloc((size_t)n, sizeof(uint32_t));
        m.srv = calloc((size_t)n, sizeof(*m.srv));
        for (int i = 0; i < n; i++) {
                struct sockaddr_in sa = {.sin_family = AF_INET,
                                         .sin_port = htons((uint16_t)(PORT + i % m.n_ports))};
                inet_pton(AF_INET, "10.0.0.2", &sa.sin_addr);
                m.cfd[i] = um_socket(m.st[0], AF_INET, SOCK_STREAM, proto);
                assert_true(m.cfd[i] >= 0);
                um_connect(m.st[0], m.cfd[i], (struct sockaddr *)&sa, sizeof(sa));
                if (i % 256 == 255) {
                        um_sim_run(m.st, 2, &m.now, m.now + 5000, NULL, NULL);
                        accept_all(&m);
                }
        }
        int verified = 0;
        for (int round = 0; round < 20000 && verified < n; round++) {
                um_sim_run(m.st, 2, &m.now, m.now + 2000, NULL, NULL);
                accept_all(&m);
                for (int i = 0; i < n; i++) {
                        while (m.sent[i] < BYTES) { /* all open at once: nobody closes yet */
                                uint8_t chunk[512];
                                uint32_t len = BYTES - m.sent[i] < sizeof(chunk) ? BYTES - m.sent[i]
                                                                                 : sizeof(chunk);
                                for (uint32_t k = 0; k < len; k++)
                                        chunk[k] = byte_of(&m, i, m.sent[i] + k);
                                ssize_t w = um_send(m.st[0], m.cfd[i], chunk, len, 0);
                                if (w <= 0)
                                        break;
                                m.sent[i] += (uint32_t)w;
                                if (m.sent[i] == BYTES)
                                        um_shutdown(m.st[0], m.cfd[i], SHUT_WR);
                        }
                }
                verified = 0;
                for (int j = 0; j < m.n_srv; j++) {
                        if (!m.srv[j].eof)
                                server_read(&m, &m.srv[j]);
                        verified += m.srv[j].ok;
                }
        }
        printf("    %d %s connections over %d path(s), %u bytes each, all open at once: %d "
               "verified (%.3f s virtual)\n",
               n, proto == IPPROTO_MPTCP ? "MPTCP" : "TCP", n_paths, BYTES, verified,
               (double)m.now / 1e6);
        if (verified != n) {
                int eofs = 0, sent_all = 0;
                for (int j = 0; j < m.n_srv; j++)
                        eofs += m.srv[j].eof;
                for (int i = 0; i < n; i++)
                        sent_all += m.sent[i] == BYTES;
                printf("    accepted %d, at EOF %d, clients that wrote all %d\n", m.n_srv, eofs,
                       sent_all);
                um_counters_print(m.st[0], stdout, 0);
                um_counters_print(m.st[1], stdout, 0);
        }
        assert_int_equal(verified, n);
        for (int j = 0; j < m.n_srv; j++)
                um_close(m.st[1], m.srv[j].fd);
        for (int i = 0; i < n; i++)
                um_close(m.st[0], m.cfd[i]);
        um_stack_free(m.st[0]);
        um_stack_free(m.st[1]);
        for (int k = 0; k < n_paths; k++) {
                um_link_destroy(m.links[k][0]);
                um_link_destroy(m.links[k][1]);
        }
        free(m.cfd);
        free(m.sent);
        free(m.srv);
}

static int count(void)
{
        return SANITIZED ? 1000 : 10000;
}

static void test_many_tcp(void **state)
{
        (void)state;
        run(IPPROTO_TCP, 1, count());
}

static void test_many_mptcp_two_subflows(void **state)
{
        (void)state;
        run(IPPROTO_MPTCP, 2, count());
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_many_tcp),
            cmocka_unit_test(test_many_mptcp_two_subflows),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
