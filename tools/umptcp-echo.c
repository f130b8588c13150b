/* umptcp-echo: a multi-connection echo server on TUN links, for load tests against the
 * kernel's clients. Every connection gets back what it sent; when the client half-closes,
 * the server closes its socket as soon as the last bytes are queued (the stack must still
 * deliver them). Exits 0 after --connections N connections ended cleanly, non-zero with a
 * one-line reason otherwise. */
#include <umptcp/mptcp.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_links.h"

enum { MAX_CONNS = 1024, BUF = 64 * 1024 };

struct echo_conn {
        int fd;
        uint8_t buf[BUF];
        size_t len, off; /* bytes read and not yet sent back: buf[off, len) */
        int peer_eof;
        uint64_t bytes;
};

struct echo {
        struct um_stack *st;
        struct echo_conn *conns[MAX_CONNS];
        int n;
        unsigned done, failed, target;
        uint64_t bytes;
};

static void usage(FILE *out)
{
        fprintf(
            out,
            "usage: umptcp-echo [--tcp|--mptcp] --link SPEC... [--connections N]\n"
            "                   [--endpoints K] [--timeout S] [--linger S] [--seed N] [--stats]\n"
            "                   HOST PORT\n"
            "  listens on HOST:PORT (0.0.0.0 or :: for any) and echoes every connection\n"
            "  --mptcp       an MPTCP listener (the default; plain TCP clients fall back)\n"
            "  --tcp         a plain TCP listener\n"
            "  --link SPEC   tun:IFNAME:ADDR/PREFIX[,loss=P,delay=MS,...] as umptcp-cat\n"
            "  --endpoints K links after the first: signal (announced), subflow or none\n"
            "                (the default)\n"
            "  --connections N  exit after N connections ended (default 1)\n"
            "  --timeout S   give up when nothing happens for S seconds (default 60)\n"
            "  --linger S    keep running S seconds after the last connection ended, for\n"
            "                what its close queued (default 5)\n"
            "  --seed N      seed of the impairments (default 1)\n"
            "  --stats       print the stack's counters to stderr at exit\n");
}

static int bad(const char *what, const char *arg)
{
        fprintf(stderr, "umptcp-echo: bad %s '%s'\n", what, arg);
        return 2;
}

/* Reads what fits, sends back what it can. Returns 1 on progress, -1 when it ended. */
static int pump(struct echo *e, struct echo_conn *c)
{
        int progress = 0;
        for (;;) {
                if (c->off < c->len) {
                        ssize_t n = um_send(e->st, c->fd, c->buf + c->off, c->len - c->off, 0);
                        if (n < 0 && errno != EAGAIN)
                                return -1;
                        if (n > 0) {
                                c->off += (size_t)n;
                                progress = 1;
                        }
                        if (c->off < c->len)
                                break;
                }
                c->off = c->len = 0;
                if (c->peer_eof)
                        break;
                ssize_t n = um_recv(e->st, c->fd, c->buf, sizeof(c->buf), 0);
                if (n == 0) {
                        c->peer_eof = 1;
                        progress = 1;
                        break;
                }
                if (n < 0) {
                        if (errno != EAGAIN)
                                return -1;
                        break;
                }
                c->len = (size_t)n;
                c->bytes += (uint64_t)n;
                progress = 1;
        }
        return progress;
}

static void finish(struct echo *e, int i, int ok)
{
        struct echo_conn *c = e->conns[i];
        if (ok)
                e->done++;
        else
                e->failed++;
        e->bytes += c->bytes;
        um_close(e->st, c->fd); /* echoed bytes may still be queued: the stack sends them */
        free(c);
        e->conns[i] = e->conns[--e->n];
}

static int serve(struct echo *e)
{
        int progress = 0;
        for (int i = 0; i < e->n; i++) {
                struct echo_conn *c = e->conns[i];
                int r = pump(e, c);
                if (r < 0) {
                        int err = errno;
                        fprintf(stderr, "umptcp-echo: connection %d failed: %s\n", c->fd,
                                strerror(err));
                        finish(e, i--, 0);
                        progress = 1;
                        continue;
                }
                progress |= r;
                if (c->peer_eof && c->off == c->len) {
                        finish(e, i--, 1);
                        progress = 1;
                }
        }
        return progress;
}

static int accept_all(struct echo *e, int lfd)
{
        int progress = 0;
        for (;;) {
                int fd = um_accept(e->st, lfd, NULL, NULL);
                if (fd < 0)
                        return progress;
                struct echo_conn *c = calloc(1, sizeof(*c));
                if (!c || e->n == MAX_CONNS) {
                        fprintf(stderr, "umptcp-echo: too many connections at once\n");
                        free(c);
                        um_close(e->st, fd);
                        e->failed++;
                        continue;
                }
                c->fd = fd;
                e->conns[e->n++] = c;
                progress = 1;
        }
}

int main(int argc, char **argv)
{
        int mptcp = 1, stats = 0;
        unsigned target = 1, ep_kind = 0;
        double idle_timeout = 60, linger = 5;
        uint64_t seed = 0;
        struct link_spec links[TOOL_MAX_LINKS];
        int n_links = 0;
        enum {
                O_TCP = 256,
                O_MPTCP,
                O_LINK,
                O_CONNS,
                O_ENDPOINTS,
                O_TIMEOUT,
                O_LINGER,
                O_SEED,
                O_STATS
        };
        static const struct option lo[] = {
            {"tcp", no_argument, 0, O_TCP},
            {"mptcp", no_argument, 0, O_MPTCP},
            {"link", required_argument, 0, O_LINK},
            {"connections", required_argument, 0, O_CONNS},
            {"endpoints", required_argument, 0, O_ENDPOINTS},
            {"timeout", required_argument, 0, O_TIMEOUT},
            {"linger", required_argument, 0, O_LINGER},
            {"seed", required_argument, 0, O_SEED},
            {"stats", no_argument, 0, O_STATS},
            {"help", no_argument, 0, 'h'},
            {0, 0, 0, 0},
        };
        int o;
        char *end;
        while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
                switch (o) {
                case O_TCP:
                case O_MPTCP:
                        mptcp = o == O_MPTCP;
                        break;
                case O_LINK:
                        if (n_links == TOOL_MAX_LINKS)
                                return bad("--link (too many)", optarg);
                        if (tool_link_parse("umptcp-echo", optarg, &links[n_links]) < 0)
                                return 2;
                        n_links++;
                        break;
                case O_CONNS: {
                        long v = strtol(optarg, &end, 10);
                        if (*end || end == optarg || v < 1 || v > 1000000)
                                return bad("--connections", optarg);
                        target = (unsigned)v;
                        break;
                }
                case O_ENDPOINTS:
                        if (tool_parse_endpoints("umptcp-echo", optarg, &ep_kind) < 0)
                                return 2;
                        break;
                case O_TIMEOUT:
                        idle_timeout = strtod(optarg, &end);
                        if (*end || end == optarg || !(idle_timeout > 0))
                                return bad("--timeout", optarg);
                        break;
                case O_LINGER:
                        linger = strtod(optarg, &end);
                        if (*end || end == optarg || !(linger >= 0))
                                return bad("--linger", optarg);
                        break;
                case O_SEED:
                        seed = strtoull(optarg, &end, 0);
                        if (*end || end == optarg)
                                return bad("--seed", optarg);
                        break;
                case O_STATS:
                        stats = 1;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (argc - optind != 2 || !n_links) {
                usage(stderr);
                return 2;
        }
        struct sockaddr_storage ss;
        socklen_t sl;
        if (tool_parse_host_port("umptcp-echo", argv[optind], argv[optind + 1], &ss, &sl) < 0)
                return 2;
        signal(SIGPIPE, SIG_IGN);

        struct echo e = {.target = target};
        e.st = um_stack_new(&(struct um_stack_config){.name = "echo"});
        if (!e.st) {
                fprintf(stderr, "umptcp-echo: cannot create the stack\n");
                return 1;
        }
        struct tool_links tl = {0};
        int rc = 1, lfd = -1;
        if (tool_links_open("umptcp-echo", e.st, links, n_links, NULL, seed, &tl) < 0 ||
            (mptcp && tool_add_endpoints("umptcp-echo", e.st, links, n_links, ep_kind, 0) < 0))
                goto out;
        lfd = um_socket(e.st, ss.ss_family, SOCK_STREAM, mptcp ? IPPROTO_MPTCP : IPPROTO_TCP);
        if (lfd < 0 || um_bind(e.st, lfd, (struct sockaddr *)&ss, sl) < 0 ||
            um_listen(e.st, lfd, 4096) < 0) {
                fprintf(stderr, "umptcp-echo: cannot listen on %s port %s: %s\n", argv[optind],
                        argv[optind + 1], strerror(errno));
                goto out;
        }
        uint64_t last = um_clock_now_us();
        while (e.done + e.failed < e.target) {
                um_run_once(e.st, -1, 100);
                int progress = accept_all(&e, lfd);
                progress |= serve(&e);
                uint64_t now = um_clock_now_us();
                if (progress)
                        last = now;
                else if (now - last > (uint64_t)(idle_timeout * 1e6)) {
                        fprintf(stderr, "umptcp-echo: timed out with %d connections open\n", e.n);
                        goto out;
                }
        }
        /* What the last closes queued still has to leave. */
        uint64_t until = um_clock_now_us() + (uint64_t)(linger * 1e6);
        while (um_clock_now_us() < until)
                um_run_once(e.st, -1, 100);
        rc = e.failed ? 1 : 0;
out:
        fprintf(stderr, "echo: %u connections ended cleanly, %u failed, %llu bytes echoed\n",
                e.done, e.failed, (unsigned long long)e.bytes);
        if (stats)
                um_counters_print(e.st, stderr, 0);
        for (int i = 0; i < e.n; i++)
                free(e.conns[i]);
        um_stack_free(e.st);
        tool_links_close(&tl);
        return rc;
}
