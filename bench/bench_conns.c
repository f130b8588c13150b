/* What a connection costs, beside the kernel in the same run.
 *
 *   bench_conns memory N   heap per idle established connection, both ends (mallinfo2), for
 *                          N connections of each kind — TCP, MPTCP with 1 and with 2
 *                          subflows — between two stacks in one process; the kernel's slab
 *                          growth (/proc/meminfo) for N TCP and N MPTCP connections over
 *                          loopback is the baseline.
 *   bench_conns setup N    connections per CPU-second: connect, a byte each way, close, N
 *                          times, in process against the kernel over loopback (process CPU
 *                          time, which includes the kernel's work for the loopback sockets).
 *                          The kernel opens a second subflow in a worker thread of its own,
 *                          so its 2-subflow figure counts the whole machine's CPU time (less
 *                          what the same wall time costs idle), in a network namespace of
 *                          its own with a subflow endpoint on 127.0.0.2 (needs root).
 *
 * Under callgrind, `setup N` at several N gives instructions per connection (bench/run.sh). */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <umptcp/link.h>
#include <umptcp/mptcp.h>
#include <umptcp/sim.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

enum { PORT = 5001 };

struct pair {
        struct um_stack *st[2]; /* client, server */
        struct um_link *links[2][2];
        int n_paths;
        uint64_t now;
};

static int pair_open(struct pair *p, int n_paths)
{
        memset(p, 0, sizeof(*p));
        p->n_paths = n_paths;
        struct um_stack_config cc = {.seed = 1, .name = "client"},
                               sc = {.seed = 2, .name = "server"};
        p->st[0] = um_stack_new(&cc);
        p->st[1] = um_stack_new(&sc);
        if (!p->st[0] || !p->st[1])
                return -1;
        for (int k = 0; k < n_paths; k++) {
                if (um_link_emu_pair(NULL, NULL, 1500, 7 + (uint64_t)k, &p->links[k][0],
                                     &p->links[k][1]))
                        return -1;
                char a[32], b[32];
                snprintf(a, sizeof(a), "10.0.%d.1/24", k);
                snprintf(b, sizeof(b), "10.0.%d.2/24", k);
                if (um_stack_add_addr(p->st[0], um_stack_add_iface(p->st[0], p->links[k][0]), a) ||
                    um_stack_add_addr(p->st[1], um_stack_add_iface(p->st[1], p->links[k][1]), b))
                        return -1;
        }
        if (n_paths > 1) {
                if (um_mptcp_endpoint_add(p->st[0], "10.0.1.1", UM_MPTCP_PM_SUBFLOW, 0) < 0 ||
                    um_mptcp_limits_set(p->st[0], 1, 0) < 0 ||
                    um_mptcp_limits_set(p->st[1], 1, 0) < 0)
                        return -1;
        }
        return 0;
}

static void pair_close(struct pair *p)
{
        um_stack_free(p->st[0]);
        um_stack_free(p->st[1]);
        for (int k = 0; k < p->n_paths; k++) {
                um_link_destroy(p->links[k][0]);
                um_link_destroy(p->links[k][1]);
        }
}

static void pair_run(struct pair *p, uint64_t us)
{
        um_sim_run(p->st, 2, &p->now, p->now + us, NULL, NULL);
}

/* One client address reaches one server port from at most 28,232 ephemeral ports (as with
 * Linux): more connections than that spread over several server ports. */
enum { PER_PORT = 16000 };

static struct sockaddr_in server_addr_at(int k)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(PORT + k))};
        inet_pton(AF_INET, "10.0.0.2", &sa.sin_addr);
        return sa;
}

static int um_listener_at(struct pair *p, int proto, int k)
{
        struct sockaddr_in sa = server_addr_at(k);
        int fd = um_socket(p->st[1], AF_INET, SOCK_STREAM, proto);
        if (fd < 0 || um_bind(p->st[1], fd, (struct sockaddr *)&sa, sizeof(sa)) ||
            um_listen(p->st[1], fd, 4096))
                return -1;
        return fd;
}

/* Bytes in use: the heap's chunks and the large blocks malloc maps on its own. */
static size_t heap_now(void)
{
        struct mallinfo2 m = mallinfo2();
        return m.uordblks + m.hblkhd;
}

/* Closes every connection gracefully after a byte each way, the client first, and lets
 * the closes complete (TIME_WAIT lasts 60 s: what is left is what it holds). Batches of 64,
 * as the connections were opened, so that the packet pools keep the high-water mark of a
 * batch rather than of everything at once. */
static void close_all(struct pair *p, int *cfd, int *sfd, int n)
{
        char b = 'x';
        for (int lo = 0; lo < n; lo += 64) {
                int hi = lo + 64 < n ? lo + 64 : n;
                for (int i = lo; i < hi; i++)
                        um_send(p->st[0], cfd[i], &b, 1, 0);
                pair_run(p, 100000);
                for (int i = lo; i < hi; i++) {
                        um_recv(p->st[1], sfd[i], &b, 1, 0);
                        um_send(p->st[1], sfd[i], &b, 1, 0);
                }
                pair_run(p, 100000);
                for (int i = lo; i < hi; i++) {
                        um_recv(p->st[0], cfd[i], &b, 1, 0);
                        um_close(p->st[0], cfd[i]);
                }
                pair_run(p, 100000);
                for (int i = lo; i < hi; i++)
                        um_close(p->st[1], sfd[i]);
                pair_run(p, 100000);
        }
        pair_run(p, 5000000);
}

/* 16 KiB each way on every connection, in batches of 64, all read and acknowledged, then
 * 2 s of quiet: the connections are idle again with nothing queued, and their rings have
 * been used. Returns 0 when every byte arrived as sent. */
static int exchange_all(struct pair *p, int *cfd, int *sfd, int n)
{
        enum { BYTES = 16384 };
        static uint8_t out[BYTES], in[BYTES];
        for (int i = 0; i < BYTES; i++)
                out[i] = (uint8_t)(i * 7 + 3);
        int bad = 0;
        for (int lo = 0; lo < n; lo += 64) {
                int hi = lo + 64 < n ? lo + 64 : n;
                for (int i = lo; i < hi; i++)
                        bad |= um_send(p->st[0], cfd[i], out, BYTES, 0) != BYTES;
                pair_run(p, 100000);
                for (int i = lo; i < hi; i++) {
                        bad |= um_recv(p->st[1], sfd[i], in, BYTES, 0) != BYTES ||
                               memcmp(in, out, BYTES) != 0;
                        bad |= um_send(p->st[1], sfd[i], out, BYTES, 0) != BYTES;
                }
                pair_run(p, 100000);
                for (int i = lo; i < hi; i++)
                        bad |= um_recv(p->st[0], cfd[i], in, BYTES, 0) != BYTES ||
                               memcmp(in, out, BYTES) != 0;
                pair_run(p, 100000);
        }
        pair_run(p, 2000000); /* the stacks keep drained buffers for reuse up to 1 s */
        return bad ? -1 : 0;
}

enum phase { IDLE, USED, CLOSED };

/* Heap per idle connection, both ends: n connections opened in batches, all accepted, and
 * the joins of the 2-subflow kind completed; with USED, once they moved data and were
 * read to the end; with CLOSED, what is left of them once closed gracefully (TIME_WAIT). */
static double um_memory(int n, int proto, int n_paths, enum phase phase)
{
        struct pair p;
        if (pair_open(&p, n_paths))
                return -1;
        int n_ports = 1 + n / PER_PORT, lfd[16];
        for (int k = 0; k < n_ports; k++)
                lfd[k] = um_listener_at(&p, proto, k);
        pair_run(&p, 1000);
        int *cfd = calloc((size_t)n, sizeof(int)), *sfd = calloc((size_t)n, sizeof(int));
        size_t before = heap_now();
        int accepted = 0;
        for (int i = 0; i < n; i++) {
                struct sockaddr_in sa = server_addr_at(i % n_ports);
                cfd[i] = um_socket(p.st[0], AF_INET, SOCK_STREAM, proto);
                um_connect(p.st[0], cfd[i], (struct sockaddr *)&sa, sizeof(sa));
                if (i % 64 == 63 || i == n - 1) {
                        pair_run(&p, 50000);
                        for (int k = 0; k < n_ports; k++) {
                                int fd;
                                while ((fd = um_accept(p.st[1], lfd[k], NULL, NULL)) >= 0)
                                        sfd[accepted++] = fd;
                        }
                }
        }
        pair_run(&p, 500000); /* joins, and the last ACKs */
        for (int k = 0; k < n_ports; k++) {
                int fd;
                while ((fd = um_accept(p.st[1], lfd[k], NULL, NULL)) >= 0)
                        sfd[accepted++] = fd;
        }
        double per = accepted == n ? (double)(heap_now() - before) / n : -1;
        if (n_paths > 1) { /* all joined? */
                struct mptcp_info mi;
                socklen_t l = sizeof(mi);
                if (um_getsockopt(p.st[0], cfd[n - 1], SOL_MPTCP, MPTCP_INFO, &mi, &l) ||
                    mi.mptcpi_subflows < 1)
                        per = -1;
        }
        if (phase == USED && per >= 0)
                per = exchange_all(&p, cfd, sfd, n) ? -1 : (double)(heap_now() - before) / n;
        if (phase == CLOSED && per >= 0) {
                close_all(&p, cfd, sfd, n);
                per = (double)(heap_now() - before) / n;
        } else {
                for (int i = 0; i < accepted; i++)
                        um_close(p.st[1], sfd[i]);
                for (int i = 0; i < n; i++)
                        um_close(p.st[0], cfd[i]);
        }
        pair_close(&p);
        free(cfd);
        free(sfd);
        return per;
}

static long slab_kb(void)
{
        FILE *f = fopen("/proc/meminfo", "r");
        char line[256];
        long kb = -1;
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "Slab: %ld kB", &kb) == 1)
                        break;
        if (f)
                fclose(f);
        return kb;
}

/* A kernel listener on a free loopback port (its address in *sa), or -1. */
static int kernel_listener(int proto, struct sockaddr_in *sa)
{
        int l = socket(AF_INET, SOCK_STREAM, proto);
        *sa =
            (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(*sa);
        if (l >= 0 && !bind(l, (struct sockaddr *)sa, sizeof(*sa)) && !listen(l, 4096) &&
            !getsockname(l, (struct sockaddr *)sa, &len))
                return l;
        if (l >= 0)
                close(l);
        return -1;
}

/* The kernel's slab growth per connection (both ends) over loopback; -1 if unavailable. */
static double kernel_memory(int n, int proto)
{
        struct sockaddr_in sa;
        int l = kernel_listener(proto, &sa);
        if (l < 0)
                return -1;
        int *fds = calloc(2 * (size_t)n, sizeof(int));
        long before = slab_kb();
        int made = 0;
        for (int i = 0; i < n; i++) {
                int c = socket(AF_INET, SOCK_STREAM, proto);
                if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa)))
                        break;
                int s = accept(l, NULL, NULL);
                if (s < 0)
                        break;
                fds[made++] = c;
                fds[made++] = s;
        }
        usleep(200000);
        long after = slab_kb();
        for (int i = 0; i < made; i++)
                close(fds[i]);
        close(l);
        free(fds);
        return made == 2 * n && before >= 0 ? (double)(after - before) * 1024 / n : -1;
}

static double cpu_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Connections per CPU-second: connect, a byte each way, close; n times, one at a time. */
static double um_setup(int n, int proto, int n_paths)
{
        struct pair p;
        if (pair_open(&p, n_paths))
                return -1;
        int lfd = um_listener_at(&p, proto, 0);
        struct sockaddr_in sa = server_addr_at(0);
        double start = cpu_s();
        int done = 0;
        for (int i = 0; i < n; i++) {
                int c = um_socket(p.st[0], AF_INET, SOCK_STREAM, proto), s = -1;
                um_connect(p.st[0], c, (struct sockaddr *)&sa, sizeof(sa));
                char b = 'x';
                for (int k = 0; k < 100 && s < 0; k++) {
                        pair_run(&p, 100);
                        s = um_accept(p.st[1], lfd, NULL, NULL);
                }
                if (s < 0 || um_send(p.st[0], c, &b, 1, 0) != 1)
                        break;
                pair_run(&p, 100);
                if (um_recv(p.st[1], s, &b, 1, 0) != 1 || um_send(p.st[1], s, &b, 1, 0) != 1)
                        break;
                pair_run(&p, 100);
                if (um_recv(p.st[0], c, &b, 1, 0) != 1)
                        break;
                um_close(p.st[0], c);
                um_close(p.st[1], s);
                pair_run(&p, 1000);
                done++;
        }
        double cpu = cpu_s() - start;
        /* Every connection had its subflows: the joins are part of the cost. */
        uint64_t joins = um_counter_get(p.st[1], "MPTcpExtMPJoinAckRx");
        pair_close(&p);
        if (proto == IPPROTO_MPTCP && joins != (uint64_t)n * (uint64_t)(n_paths - 1)) {
                fprintf(stderr, "bench_conns: %llu joins for %d connections over %d paths\n",
                        (unsigned long long)joins, n, n_paths);
                return -1;
        }
        return done == n ? n / cpu : -1;
}

/* n kernel connections to the listener l, one after another: connect, a byte each way, (with
 * join: until MPTCP_INFO counts the second subflow), close. Returns how many completed. */
static int kernel_connections(int l, const struct sockaddr_in *sa, int proto, int n, int join)
{
        int done = 0;
        for (; done < n; done++) {
                int c = socket(AF_INET, SOCK_STREAM, proto);
                if (c < 0 || connect(c, (const struct sockaddr *)sa, sizeof(*sa)))
                        break;
                int s = accept(l, NULL, NULL);
                char b = 'x';
                if (s < 0 || write(c, &b, 1) != 1 || read(s, &b, 1) != 1 || write(s, &b, 1) != 1 ||
                    read(c, &b, 1) != 1)
                        break;
                /* The client joins once fully established, which the server's data made it */
                uint8_t info[96] = {0}; /* struct mptcp_info: mptcpi_subflows first */
                for (int k = 0; join && k < 20000 && !info[0]; k++) {
                        if (k)
                                usleep(20);
                        socklen_t len = sizeof(info);
                        if (getsockopt(c, SOL_MPTCP, MPTCP_INFO, info, &len))
                                break;
                }
                if (join && !info[0])
                        break;
                close(c);
                close(s);
        }
        return done;
}

static double kernel_setup(int n, int proto)
{
        struct sockaddr_in sa;
        int l = kernel_listener(proto, &sa);
        if (l < 0)
                return -1;
        double start = cpu_s();
        int done = kernel_connections(l, &sa, proto, n, 0);
        double cpu = cpu_s() - start;
        close(l);
        return done == n ? n / cpu : -1;
}

/* CPU seconds the whole machine spent busy so far (/proc/stat), or -1. */
static double machine_busy_s(void)
{
        FILE *f = fopen("/proc/stat", "r");
        unsigned long long v[8] = {0};
        int got = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                             &v[3], &v[4], &v[5], &v[6], &v[7])
                    : 0;
        if (f)
                fclose(f);
        if (got != 8)
                return -1;
        /* user, nice, system, irq, softirq, steal; not idle (3) or iowait (4) */
        unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
        return (double)busy / (double)sysconf(_SC_CLK_TCK);
}

static double wall_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The kernel with 2 subflows per connection: in a fresh namespace whose loopback carries a
 * subflow endpoint, each connection waits for its join (MPTCP_INFO's subflow count) before
 * it closes. Connections per CPU-second of the whole machine, less its idle
 * rate measured for as long just before; -1 when it cannot run (no root, no MPTCP). */
static double kernel_setup_2_subflows_here(int n)
{
        if (unshare(CLONE_NEWNET) ||
            system("ip link set lo up && ip mptcp limits set subflows 2 add_addr_accepted 2 && "
                   "ip mptcp endpoint add 127.0.0.2 dev lo subflow"))
                return -1;
        struct sockaddr_in sa;
        int l = kernel_listener(IPPROTO_MPTCP, &sa);
        if (l < 0)
                return -1;
        double w0 = wall_s(), b0 = machine_busy_s();
        int done = kernel_connections(l, &sa, IPPROTO_MPTCP, n, 1);
        double w1 = wall_s(), b1 = machine_busy_s();
        close(l);
        usleep((useconds_t)((w1 - w0) * 1e6));
        double idle = machine_busy_s() - b1;
        double cpu = (b1 - b0) - idle;
        return done == n && b0 >= 0 && cpu > 0 ? n / cpu : -1;
}

/* The same in a child process, so that the namespace goes when it ends. */
static double kernel_setup_2_subflows(int n)
{
        int fd[2];
        if (pipe(fd))
                return -1;
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
                close(fd[0]);
                double r = kernel_setup_2_subflows_here(n);
                _exit(write(fd[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
        }
        close(fd[1]);
        double r = -1;
        if (pid < 0 || read(fd[0], &r, sizeof(r)) != sizeof(r))
                r = -1;
        close(fd[0]);
        if (pid > 0)
                waitpid(pid, NULL, 0);
        return r;
}

static void raise_fd_limit(void)
{
        struct rlimit r;
        if (getrlimit(RLIMIT_NOFILE, &r) == 0) {
                r.rlim_cur = r.rlim_max;
                setrlimit(RLIMIT_NOFILE, &r);
        }
}

static void row(const char *what, double um, double kernel, const char *unit, int lower_better)
{
        printf("%-22s umptcp %10.0f %s", what, um, unit);
        if (kernel > 0)
                printf("   kernel %10.0f %s   ratio %.2f%s", kernel, unit, um / kernel,
                       lower_better ? " (lower is better)" : "");
        else
                printf("   kernel: not measured here");
        printf("\n");
}

int main(int argc, char **argv)
{
        const char *mode = argc > 1 ? argv[1] : "memory";
        int n = argc > 2 ? atoi(argv[2]) : 1000;
        if (n < 1 || n > 15 * PER_PORT || (strcmp(mode, "memory") && strcmp(mode, "setup"))) {
                fprintf(stderr, "usage: bench_conns memory|setup [N (1-240000)]\n");
                return 2;
        }
        raise_fd_limit();
        if (!strcmp(mode, "memory")) {
                printf("heap per idle established connection, both ends, %d connections\n", n);
                row("TCP", um_memory(n, IPPROTO_TCP, 1, IDLE), kernel_memory(n, IPPROTO_TCP),
                    "bytes", 1);
                row("MPTCP, 1 subflow", um_memory(n, IPPROTO_MPTCP, 1, IDLE),
                    kernel_memory(n, IPPROTO_MPTCP), "bytes", 1);
                row("MPTCP, 2 subflows", um_memory(n, IPPROTO_MPTCP, 2, IDLE), -1, "bytes", 1);
                printf("heap per idle connection after 16 KiB each way, all read, %d "
                       "connections\n",
                       n);
                row("TCP", um_memory(n, IPPROTO_TCP, 1, USED), -1, "bytes", 1);
                row("MPTCP, 2 subflows", um_memory(n, IPPROTO_MPTCP, 2, USED), -1, "bytes", 1);
                printf("heap per connection closed gracefully, both ends (TIME_WAIT), %d "
                       "connections\n",
                       n);
                row("TCP", um_memory(n, IPPROTO_TCP, 1, CLOSED), -1, "bytes", 1);
                row("MPTCP, 2 subflows", um_memory(n, IPPROTO_MPTCP, 2, CLOSED), -1, "bytes", 1);
        } else {
                printf("connections per CPU-second (connect, a byte each way, close), %d each\n",
                       n);
                row("TCP", um_setup(n, IPPROTO_TCP, 1), kernel_setup(n, IPPROTO_TCP), "conn/s", 0);
                row("MPTCP, 1 subflow", um_setup(n, IPPROTO_MPTCP, 1),
                    kernel_setup(n, IPPROTO_MPTCP), "conn/s", 0);
                row("MPTCP, 2 subflows", um_setup(n, IPPROTO_MPTCP, 2), kernel_setup_2_subflows(n),
                    "conn/s", 0);
        }
        return 0;
}
