/* In-process plain TCP bulk transfer between two stacks over an emulated rack-local link
 * (100 Gbit/s, 5 us each way, the emulator's default queue), on one core, against a
 * same-run baseline: the kernel's TCP over loopback driven the same way (one thread,
 * non-blocking, alternating writer and reader). Prints Gbit/s and the ratio. Every received
 * byte is compared with what was sent.
 *
 * The link has a rate and a delay so that the windows are those of a real fast network:
 * over a link of infinite rate in virtual time every window is too small, receive
 * auto-tuning rightly grows the buffers to their maximum, and the run measures cache
 * misses on 16 MiB rings rather than the stack. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <umptcp/link.h>
#include <umptcp/sim.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

enum { CHUNK = 256 * 1024 };
#define LAN_RATE_BPS 100000000000ull
enum { LAN_DELAY_US = 5, STEP_US = 10 };

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct run {
        uint64_t sent, got;
        double seconds;
        uint64_t retransmitted; /* umptcp: segments, after the link's queue overflowed */
        int rcvbuf;             /* umptcp: the receiver's buffer at the end */
};

static int run_umptcp(uint64_t total, uint32_t mtu, struct run *r)
{
        struct um_link *la, *lb;
        const struct um_emu_dir_config lan = {.rate_bps = LAN_RATE_BPS, .delay_us = LAN_DELAY_US};
        if (um_link_emu_pair(&lan, &lan, mtu, 1, &la, &lb))
                return -1;
        struct um_stack_config ca = {.seed = 1, .name = "A"}, cb = {.seed = 2, .name = "B"};
        struct um_stack *a = um_stack_new(&ca), *b = um_stack_new(&cb);
        um_stack_add_addr(a, um_stack_add_iface(a, la), "10.0.0.1/24");
        um_stack_add_addr(b, um_stack_add_iface(b, lb), "10.0.0.2/24");
        struct sockaddr_in sb = {.sin_family = AF_INET, .sin_port = htons(5001)};
        inet_pton(AF_INET, "10.0.0.2", &sb.sin_addr);
        int lfd = um_socket(b, AF_INET, SOCK_STREAM, 0);
        um_bind(b, lfd, (struct sockaddr *)&sb, sizeof(sb));
        um_listen(b, lfd, 1);
        int cfd = um_socket(a, AF_INET, SOCK_STREAM, 0);
        um_connect(a, cfd, (struct sockaddr *)&sb, sizeof(sb));
        static uint8_t out[CHUNK], in[CHUNK];
        for (size_t i = 0; i < sizeof(out); i++)
                out[i] = (uint8_t)(i * 131 + (i >> 9) + (i >> 17));
        struct um_stack *both[2] = {a, b};
        uint64_t t = 0;
        int sfd = -1;
        memset(r, 0, sizeof(*r));
        double start = now_s();
        while (r->got < total) {
                um_sim_run(both, 2, &t, t + STEP_US, NULL, NULL);
                if (sfd < 0) {
                        sfd = um_accept(b, lfd, NULL, NULL);
                        continue;
                }
                while (r->sent < total) {
                        size_t off = (size_t)(r->sent % CHUNK), want = CHUNK - off;
                        if (want > total - r->sent)
                                want = (size_t)(total - r->sent);
                        ssize_t n = um_send(a, cfd, out + off, want, 0);
                        if (n <= 0)
                                break;
                        r->sent += (uint64_t)n;
                }
                for (;;) {
                        size_t off = (size_t)(r->got % CHUNK);
                        ssize_t n = um_recv(b, sfd, in, CHUNK - off, 0);
                        if (n <= 0)
                                break;
                        /* End-to-end check: the bytes are the sender's pattern, in order. */
                        if (memcmp(in, out + off, (size_t)n) != 0) {
                                fprintf(stderr, "bench_inproc: corrupt data at byte %llu\n",
                                        (unsigned long long)r->got);
                                return -1;
                        }
                        r->got += (uint64_t)n;
                }
        }
        r->seconds = now_s() - start;
        r->retransmitted = um_counter_get(a, "TcpRetransSegs");
        socklen_t len = sizeof(r->rcvbuf);
        um_getsockopt(b, sfd, SOL_SOCKET, SO_RCVBUF, &r->rcvbuf, &len);
        um_stack_free(a);
        um_stack_free(b);
        um_link_destroy(la);
        um_link_destroy(lb);
        return 0;
}

static int run_kernel(uint64_t total, struct run *r)
{
        int l = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(sa);
        if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1) ||
            getsockname(l, (struct sockaddr *)&sa, &len))
                return -1;
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&sa, sizeof(sa)))
                return -1;
        int s = accept(l, NULL, NULL);
        fcntl(c, F_SETFL, O_NONBLOCK);
        fcntl(s, F_SETFL, O_NONBLOCK);
        static uint8_t out[CHUNK], in[CHUNK];
        memset(r, 0, sizeof(*r));
        double start = now_s();
        while (r->got < total) {
                if (r->sent < total) {
                        size_t want =
                            total - r->sent < sizeof(out) ? (size_t)(total - r->sent) : sizeof(out);
                        ssize_t n = send(c, out, want, 0);
                        if (n > 0)
                                r->sent += (uint64_t)n;
                }
                ssize_t n = recv(s, in, sizeof(in), 0);
                if (n > 0)
                        r->got += (uint64_t)n;
        }
        r->seconds = now_s() - start;
        close(c);
        close(s);
        close(l);
        return 0;
}

int main(int argc, char **argv)
{
        uint64_t mb = argc > 1 ? strtoull(argv[1], NULL, 0) : 2048;
        int kernel = argc > 2 ? atoi(argv[2]) : 1;
        uint64_t total = mb * 1024 * 1024;
        struct run u, k;
        if (run_umptcp(total, 1500, &u)) {
                fprintf(stderr, "bench_inproc: umptcp run failed\n");
                return 1;
        }
        double ug = (double)u.got * 8 / u.seconds / 1e9;
        printf(
            "umptcp in-process, MTU 1500, 100 Gbit/s 5 us link: %llu MB in %.3f s = %.2f Gbit/s\n",
            (unsigned long long)mb, u.seconds, ug);
        printf("  %llu segments retransmitted, receive buffer %d bytes at the end\n",
               (unsigned long long)u.retransmitted, u.rcvbuf);
        if (u.got != total) {
                fprintf(stderr, "bench_inproc: %llu bytes arrived, %llu sent\n",
                        (unsigned long long)u.got, (unsigned long long)total);
                return 1;
        }
        if (kernel) {
                if (run_kernel(total, &k)) {
                        fprintf(stderr, "bench_inproc: kernel loopback baseline failed\n");
                        return 1;
                }
                double kg = (double)k.got * 8 / k.seconds / 1e9;
                printf("kernel TCP over loopback (same thread, same run): %.2f Gbit/s\n", kg);
                printf("ratio umptcp / kernel loopback: %.2f\n", ug / kg);
        }
        return 0;
}
