/* A fuzzer for the socket API: two stacks joined by an emulated link, and the input read
 * as a sequence of BSD calls on a small table of descriptors (socket, bind, listen,
 * connect, accept, send, recv, shutdown, close, setsockopt, getsockopt, poll) with
 * arguments from it, time passing in between. Every call must return, and refuse misuse
 * with -1 and errno; nothing may crash or leak. */
#include "fuzz_bytes.h"
#include "fuzz_session.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <string.h>
#include <umptcp/link.h>
#include <umptcp/mptcp.h>
#include <umptcp/sim.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

enum { FDS = 8, OPS_MAX = 128 };

static const int levels[] = {SOL_SOCKET, IPPROTO_TCP, SOL_MPTCP, 12345};
static const int names[] = {
    SO_ERROR,    SO_KEEPALIVE,   SO_RCVBUF,  SO_SNDBUF,     SO_LINGER,           SO_REUSEADDR,
    SO_PROTOCOL, TCP_NODELAY,    TCP_MAXSEG, TCP_KEEPIDLE,  TCP_KEEPCNT,         TCP_KEEPINTVL,
    TCP_INFO,    TCP_CONGESTION, MPTCP_INFO, MPTCP_TCPINFO, MPTCP_SUBFLOW_ADDRS, 999};

static void addr_of(struct input *in, struct sockaddr_storage *ss, socklen_t *len)
{
        uint8_t b = next(in);
        static const char *const hosts[] = {"10.0.0.1", "10.0.0.2", "0.0.0.0", "10.0.0.9",
                                            "fd00::1",  "fd00::2",  "::",      "127.0.0.1"};
        uint16_t port = (b & 8) ? (uint16_t)(5000 + (next(in) & 3)) : (uint16_t)(next(in) << 8);
        memset(ss, 0, sizeof(*ss));
        const char *h = hosts[b & 7];
        if (strchr(h, ':')) {
                struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons(port);
                inet_pton(AF_INET6, h, &s6->sin6_addr);
                *len = sizeof(*s6);
        } else {
                struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
                s4->sin_family = AF_INET;
                s4->sin_port = htons(port);
                inet_pton(AF_INET, h, &s4->sin_addr);
                *len = sizeof(*s4);
        }
        if (b & 16)
                *len = (socklen_t)(next(in) % (sizeof(*ss) + 1)); /* a lying length */
        if (b & 32)
                ss->ss_family = next(in);
}

static void call(struct um_stack *st, int *fds, struct input *in)
{
        uint8_t op = next(in), b = next(in);
        int *slot = &fds[b % FDS];
        int fd = (b & 0x80) ? (int)(int8_t)next(in) : *slot; /* sometimes any number at all */
        struct sockaddr_storage ss;
        socklen_t sl;
        uint8_t buf[2048];
        switch (op % 12) {
        case 0: {
                static const int protos[] = {0, IPPROTO_TCP, IPPROTO_MPTCP, 17};
                int n = um_socket(st, (b & 8) ? AF_INET6 : ((b & 16) ? AF_INET : next(in)),
                                  (b & 32) ? SOCK_DGRAM : SOCK_STREAM, protos[next(in) & 3]);
                if (n >= 0) {
                        if (*slot >= 0)
                                um_close(st, *slot);
                        *slot = n;
                }
                break;
        }
        case 1:
                addr_of(in, &ss, &sl);
                um_bind(st, fd, (struct sockaddr *)&ss, sl);
                break;
        case 2:
                um_listen(st, fd, (int)(int8_t)next(in));
                break;
        case 3:
                addr_of(in, &ss, &sl);
                um_connect(st, fd, (struct sockaddr *)&ss, sl);
                break;
        case 4: {
                sl = sizeof(ss);
                int n = um_accept(st, fd, (b & 1) ? (struct sockaddr *)&ss : NULL,
                                  (b & 1) ? &sl : NULL);
                if (n >= 0) {
                        fuzz_stats.api_accepted++;
                        int *free_slot = &fds[(b + 1) % FDS];
                        if (*free_slot >= 0)
                                um_close(st, *free_slot);
                        *free_slot = n;
                }
                break;
        }
        case 5:
                memset(buf, b, sizeof(buf));
                um_send(st, fd, buf, (size_t)next(in) * 8, 0);
                break;
        case 6:
                um_recv(st, fd, buf, (size_t)next(in) * 8, (b & 1) ? MSG_PEEK : 0);
                break;
        case 7:
                um_shutdown(st, fd, (int)(next(in) % 4));
                break;
        case 8:
                if (um_close(st, fd) == 0 && fd == *slot)
                        *slot = -1;
                break;
        case 9:
        case 10: {
                int level = levels[next(in) % 4];
                int name = names[next(in) % (sizeof(names) / sizeof(names[0]))];
                socklen_t len = (socklen_t)(next(in) % 200);
                for (socklen_t i = 0; i < len; i++)
                        buf[i] = next(in);
                if (op % 12 == 9)
                        um_setsockopt(st, fd, level, name, buf, len);
                else
                        um_getsockopt(st, fd, level, name, buf, &len);
                break;
        }
        default: {
                struct pollfd p[2] = {{.fd = fd, .events = POLLIN | POLLOUT},
                                      {.fd = fds[(b + 3) % FDS], .events = POLLIN}};
                um_poll(st, p, 2);
                break;
        }
        }
}

int fuzz_api_one(const uint8_t *data, size_t size)
{
        struct um_link *la, *lb;
        struct um_emu_dir_config d = {.delay_us = 1000};
        if (um_link_emu_pair(&d, &d, 1500, 1, &la, &lb) < 0)
                return 0;
        struct um_stack *st[2] = {um_stack_new(&(struct um_stack_config){.seed = 1, .name = "a"}),
                                  um_stack_new(&(struct um_stack_config){.seed = 2, .name = "b"})};
        if (st[0] && st[1]) {
                int i0 = um_stack_add_iface(st[0], la), i1 = um_stack_add_iface(st[1], lb);
                um_stack_add_addr(st[0], i0, "10.0.0.1/24");
                um_stack_add_addr(st[0], i0, "fd00::1/64");
                um_stack_add_addr(st[1], i1, "10.0.0.2/24");
                um_stack_add_addr(st[1], i1, "fd00::2/64");
                int fds[2][FDS];
                memset(fds, 0xff, sizeof(fds));
                struct input in = {.p = data, .n = size};
                uint64_t now = 0;
                for (int i = 0; i < OPS_MAX && in.at < in.n; i++) {
                        uint8_t who = next(&in);
                        if (who & 0x80) {
                                um_sim_run(st, 2, &now, now + (uint64_t)(who & 0x7f) * 5000, NULL,
                                           NULL);
                                continue;
                        }
                        fuzz_stats.api_calls++;
                        call(st[who & 1], fds[who & 1], &in);
                }
                um_sim_run(st, 2, &now, now + 5000000, NULL, NULL);
        }
        for (int k = 0; k < 2; k++)
                um_stack_free(st[k]);
        um_link_destroy(la);
        um_link_destroy(lb);
        return 0;
}

#ifdef UMPTCP_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        return fuzz_api_one(data, size);
}
#endif
