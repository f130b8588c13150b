/* umptcp-cat: netcat over umptcp. Copies stdin to the connection (half-closing at EOF)
 * and the connection to stdout; exits 0 when both directions are done. */
#include <umptcp/ctl.h>
#include <umptcp/link.h>
#include <umptcp/mptcp.h>
#include <umptcp/mptcp_pm.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool_links.h"

enum { BUF = 256 * 1024 };

static void usage(FILE *out)
{
        fprintf(out,
                "usage: umptcp-cat [-l] [-d] [--tcp|--mptcp] [--link tun:IFNAME:ADDR/PREFIX]...\n"
                "                  [--pcap FILE] [--stats] [-v] HOST PORT\n"
                "  -l            accept one connection on HOST:PORT instead of connecting\n"
                "  -d            do not read stdin: send nothing, and close once the peer\n"
                "                has (as nc -d; a DATA_FIN at once would stop a Linux peer\n"
                "                from opening more subflows)\n"
                "  --tcp         plain TCP\n"
                "  --mptcp       Multipath TCP (the default): each --link after the first is a\n"
                "                path manager endpoint; a client opens a subflow from it\n"
                "  --endpoints K what the links after the first are: subflow (the default: a\n"
                "                client opens a subflow from each), signal (announced to the\n"
                "                peer with ADD_ADDR) or none\n"
                "  --add-addr-accepted N  take up to N addresses the peer announces (0-8,\n"
                "                default 0, like Linux)\n"
                "  --link SPEC   add an interface: tun:IFNAME:ADDR/PREFIX (IPv4 or IPv6);\n"
                "                the first one is the default route. Impairments on umptcp's\n"
                "                side, both ways, may follow: ,loss=P ,delay=MS ,jitter=MS\n"
                "                ,reorder=P ,duplicate=P ,rate=MBIT (P a probability, MS one way)\n"
                "                and ,offload=0 for one packet per system call (default: TCP\n"
                "                segmentation offload when the kernel gives it)\n"
                "  --seed N      seed of the impairments' random draws (default 1)\n"
                "  --pcap FILE   capture the first link to FILE (further links: FILE.1, ...)\n"
                "  --stats       print the stack's and the TUN links' counters to stderr at exit\n"
                "  --timeout S   give up when nothing happens for S seconds (default 60)\n"
                "  --control PATH  serve the control socket at PATH (umptcp-ctl -s PATH)\n"
                "  --path-manager kernel|userspace  the built-in manager decides (the\n"
                "                default), or one outside through the control socket\n"
                "  --scheduler NAME  MPTCP packet scheduler: default, minrtt, roundrobin,\n"
                "                redundant, handover, blest or ecf\n"
                "  --cc NAME     congestion control: cubic (the default), reno, or MPTCP's\n"
                "                coupled lia, olia, balia, wvegas (with MPTCP, every\n"
                "                subflow's, as TCP_CONGESTION on a Linux MPTCP socket)\n");
}

/* The control socket's file, for the signal handler: its path, and its device and inode as
 * serving left it. */
static char control_path[108];
static dev_t control_dev;
static ino_t control_ino;

/* Killed, it removes its socket file, but only while the path is still that file: another
 * server may have made its own there since ours was removed, or anything else be there
 * (lstat and unlink are async-signal-safe; um_ctl_close checks the same way). */
static void on_signal(int sig)
{
        struct stat sb;
        if (control_ino && lstat(control_path, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
            sb.st_dev == control_dev && sb.st_ino == control_ino)
                unlink(control_path);
        signal(sig, SIG_DFL);
        raise(sig);
}

static int die(const char *what, const char *detail)
{
        fprintf(stderr, "umptcp-cat: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
        return 1;
}

/* The two copies, run from the main loop and from the socket's readiness callback. */
struct copier {
        struct um_stack *st;
        int fd;
        uint8_t inbuf[BUF], outbuf[BUF];
        size_t in_len, in_off;
        int stdin_eof, shut, peer_eof, failed, progress;
        int no_stdin; /* -d: our side ends when the peer's does */
};

static int pump(struct copier *cp)
{
        int progress = 0;
        for (;;) {
                ssize_t n = um_recv(cp->st, cp->fd, cp->outbuf, sizeof(cp->outbuf), 0);
                if (n > 0) {
                        if (fwrite(cp->outbuf, 1, (size_t)n, stdout) != (size_t)n) {
                                die("write to stdout failed", strerror(errno));
                                cp->failed = 1;
                                return progress;
                        }
                        progress = 1;
                        continue;
                }
                if (n == 0) {
                        if (!cp->peer_eof)
                                fflush(stdout);
                        cp->peer_eof = 1;
                        if (cp->no_stdin)
                                cp->stdin_eof = 1;
                } else if (errno != EAGAIN) {
                        die("connection failed", strerror(errno));
                        cp->failed = 1;
                        return progress;
                }
                break;
        }
        while (cp->in_off < cp->in_len) {
                ssize_t n =
                    um_send(cp->st, cp->fd, cp->inbuf + cp->in_off, cp->in_len - cp->in_off, 0);
                if (n < 0) {
                        if (errno == EAGAIN)
                                break;
                        die("send failed", strerror(errno));
                        cp->failed = 1;
                        return progress;
                }
                cp->in_off += (size_t)n;
                progress = 1;
        }
        if (cp->in_off == cp->in_len && cp->stdin_eof && !cp->shut) {
                um_shutdown(cp->st, cp->fd, SHUT_WR);
                cp->shut = 1;
        }
        return progress;
}

static void on_ready(struct um_stack *st, int fd, short revents, void *arg)
{
        struct copier *cp = arg;
        (void)st;
        (void)fd;
        (void)revents;
        if (!cp->failed && pump(cp))
                cp->progress = 1;
}

/* One line per connection-level fact and per subflow, for --stats. */
static void print_mptcp(struct um_stack *st, int fd)
{
        struct mptcp_info mi;
        socklen_t l = sizeof(mi);
        if (um_getsockopt(st, fd, SOL_MPTCP, MPTCP_INFO, &mi, &l) < 0)
                return;
        fprintf(stderr,
                "mptcp: %s, %u subflows, checksums %s, %llu bytes sent, %llu received, "
                "%llu retransmitted at the data level\n",
                (mi.mptcpi_flags & MPTCP_INFO_FLAG_FALLBACK) ? "fell back to TCP" : "multipath",
                mi.mptcpi_subflows_total, mi.mptcpi_csum_enabled ? "on" : "off",
                (unsigned long long)mi.mptcpi_bytes_sent,
                (unsigned long long)mi.mptcpi_bytes_received,
                (unsigned long long)mi.mptcpi_bytes_retrans);
}

int main(int argc, char **argv)
{
        int listen_mode = 0, no_stdin = 0, stats = 0, verbose = 0, mptcp = 1;
        const char *control = NULL, *path_manager = NULL;
        double idle_timeout = 60;
        const char *pcap = NULL;
        struct link_spec links[TOOL_MAX_LINKS];
        uint64_t seed = 0;
        int n_links = 0;
        unsigned ep_kind = UM_MPTCP_PM_SUBFLOW, add_addr_accepted = 0;
        const char *scheduler = NULL, *cc = NULL;
        enum {
                O_TCP = 256,
                O_MPTCP,
                O_LINK,
                O_PCAP,
                O_STATS,
                O_TIMEOUT,
                O_ENDPOINTS,
                O_ACCEPT,
                O_SEED,
                O_CONTROL,
                O_PATH_MANAGER,
                O_SCHEDULER,
                O_CC,
                O_HELP
        };
        static const struct option lo[] = {
            {"tcp", no_argument, 0, O_TCP},
            {"mptcp", no_argument, 0, O_MPTCP},
            {"link", required_argument, 0, O_LINK},
            {"pcap", required_argument, 0, O_PCAP},
            {"stats", no_argument, 0, O_STATS},
            {"timeout", required_argument, 0, O_TIMEOUT},
            {"endpoints", required_argument, 0, O_ENDPOINTS},
            {"add-addr-accepted", required_argument, 0, O_ACCEPT},
            {"seed", required_argument, 0, O_SEED},
            {"control", required_argument, 0, O_CONTROL},
            {"path-manager", required_argument, 0, O_PATH_MANAGER},
            {"scheduler", required_argument, 0, O_SCHEDULER},
            {"cc", required_argument, 0, O_CC},
            {"help", no_argument, 0, O_HELP},
            {0, 0, 0, 0},
        };
        int o;
        while ((o = getopt_long(argc, argv, "ldvh", lo, NULL)) != -1) {
                switch (o) {
                case 'l':
                        listen_mode = 1;
                        break;
                case 'd':
                        no_stdin = 1;
                        break;
                case 'v':
                        verbose++;
                        break;
                case O_TCP:
                        mptcp = 0;
                        break;
                case O_MPTCP:
                        mptcp = 1;
                        break;
                case O_LINK:
                        if (n_links == TOOL_MAX_LINKS)
                                return die("too many --link options", NULL);
                        if (tool_link_parse("umptcp-cat", optarg, &links[n_links]) < 0)
                                return 2;
                        n_links++;
                        break;
                case O_PCAP:
                        pcap = optarg;
                        break;
                case O_STATS:
                        stats = 1;
                        break;
                case O_TIMEOUT: {
                        char *end;
                        idle_timeout = strtod(optarg, &end);
                        if (*end || idle_timeout <= 0) {
                                fprintf(stderr, "umptcp-cat: bad --timeout '%s'\n", optarg);
                                return 2;
                        }
                        break;
                }
                case O_ENDPOINTS:
                        if (tool_parse_endpoints("umptcp-cat", optarg, &ep_kind) < 0)
                                return 2;
                        break;
                case O_ACCEPT: {
                        char *end;
                        long v = strtol(optarg, &end, 10);
                        if (*end || end == optarg || v < 0 || v > 8) {
                                fprintf(stderr, "umptcp-cat: bad --add-addr-accepted '%s' (0-8)\n",
                                        optarg);
                                return 2;
                        }
                        add_addr_accepted = (unsigned)v;
                        break;
                }
                case O_SEED: {
                        char *end;
                        seed = strtoull(optarg, &end, 0);
                        if (*end || end == optarg) {
                                fprintf(stderr, "umptcp-cat: bad --seed '%s'\n", optarg);
                                return 2;
                        }
                        break;
                }
                case O_CONTROL:
                        control = optarg;
                        break;
                case O_PATH_MANAGER:
                        if (strcmp(optarg, "kernel") && strcmp(optarg, "userspace")) {
                                fprintf(
                                    stderr,
                                    "umptcp-cat: bad --path-manager '%s' (kernel or userspace)\n",
                                    optarg);
                                return 2;
                        }
                        path_manager = optarg;
                        break;
                case O_SCHEDULER:
                        if (!(scheduler = tool_parse_scheduler("umptcp-cat", optarg)))
                                return 2;
                        break;
                case O_CC:
                        if (!(cc = tool_parse_cc("umptcp-cat", optarg)))
                                return 2;
                        break;
                case 'h':
                case O_HELP:
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (argc - optind != 2) {
                usage(stderr);
                return 2;
        }
        if (!n_links) {
                fprintf(stderr, "umptcp-cat: need at least one --link tun:IFNAME:ADDR/PREFIX\n");
                return 2;
        }
        struct sockaddr_storage ss;
        socklen_t sl;
        if (tool_parse_host_port("umptcp-cat", argv[optind], argv[optind + 1], &ss, &sl) < 0)
                return 2;
        signal(SIGPIPE, SIG_IGN);

        struct um_stack_config sc = {.name = listen_mode ? "cat-l" : "cat", .log_level = verbose};
        struct um_stack *st = um_stack_new(&sc);
        if (!st)
                return die("cannot create the stack", strerror(ENOMEM));
        struct tool_links tl = {0};
        int rc = 1;
        if (tool_links_open("umptcp-cat", st, links, n_links, pcap, seed, &tl) < 0)
                goto out;
        if (mptcp &&
            tool_add_endpoints("umptcp-cat", st, links, n_links, ep_kind, add_addr_accepted) < 0)
                goto out;
        if (path_manager)
                um_mptcp_path_manager_set(st, path_manager);
        if (scheduler)
                um_mptcp_scheduler_set(st, scheduler);
        if (control) {
                struct um_ctl *ctl;
                int e = um_ctl_serve(st, control, &ctl);
                if (e < 0) {
                        fprintf(stderr, "umptcp-cat: cannot serve the control socket %s: %s\n",
                                control, strerror(-e));
                        goto out;
                }
                /* Killed, it leaves no socket file behind (a normal exit frees the stack,
                 * which closes it). */
                snprintf(control_path, sizeof(control_path), "%s", control);
                /* The file um_ctl_serve has just made (it records the same itself, after
                 * its bind). */
                struct stat sb;
                if (lstat(control, &sb) == 0 && S_ISSOCK(sb.st_mode)) {
                        control_dev = sb.st_dev;
                        control_ino = sb.st_ino;
                }
                signal(SIGINT, on_signal);
                signal(SIGTERM, on_signal);
        }
        um_stack_poll(st, um_clock_now_us());

        int lfd = -1;
        int fd = um_socket(st, ss.ss_family, SOCK_STREAM, mptcp ? IPPROTO_MPTCP : IPPROTO_TCP);
        if (fd < 0) {
                die("socket", strerror(errno));
                goto out;
        }
        if (cc && um_setsockopt(st, fd, IPPROTO_TCP, TCP_CONGESTION, cc, strlen(cc)) < 0) {
                die("TCP_CONGESTION", strerror(errno));
                goto out;
        }
        if (listen_mode) {
                int one = 1;
                um_setsockopt(st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                if (um_bind(st, fd, (struct sockaddr *)&ss, sl) < 0 || um_listen(st, fd, 8) < 0) {
                        fprintf(stderr, "umptcp-cat: cannot listen on %s port %s: %s\n",
                                argv[optind], argv[optind + 1], strerror(errno));
                        goto out;
                }
                if (!(um_wait(st, fd, POLLIN, -1) & POLLIN)) {
                        die("listen failed", NULL);
                        goto out;
                }
                int c = um_accept(st, fd, NULL, NULL);
                if (c < 0) {
                        die("accept", strerror(errno));
                        goto out;
                }
                /* MPTCP joins arrive at the listener: it stays open while the connection
                 * lives (as on Linux). */
                if (mptcp)
                        lfd = fd;
                else
                        um_close(st, fd);
                fd = c;
        } else {
                if (um_connect(st, fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
                        fprintf(stderr, "umptcp-cat: connect to %s port %s: %s\n", argv[optind],
                                argv[optind + 1], strerror(errno));
                        goto out;
                }
                short ev = um_wait(st, fd, POLLOUT, (int)(idle_timeout * 1000));
                if (!(ev & POLLOUT) || (ev & POLLERR)) {
                        int e = 0;
                        socklen_t el = sizeof(e);
                        um_getsockopt(st, fd, SOL_SOCKET, SO_ERROR, &e, &el);
                        fprintf(stderr, "umptcp-cat: connect to %s port %s: %s\n", argv[optind],
                                argv[optind + 1], strerror(e ? e : ETIMEDOUT));
                        goto out;
                }
        }

        struct copier cp = {.st = st, .fd = fd, .no_stdin = no_stdin};
        um_sock_set_callback(st, fd, on_ready, &cp);
        uint64_t last_progress = um_clock_now_us();
        for (;;) {
                um_stack_advance(st, um_clock_now_us());
                int progress = pump(&cp);
                if (cp.failed)
                        goto out;
                short ev = um_sock_events(st, fd);
                /* An error first: an abort (MP_FASTCLOSE, a reset) after the peer's FIN also
                 * hangs the connection up, with our data not all delivered. */
                if (ev & POLLERR) {
                        int e = 0;
                        socklen_t el = sizeof(e);
                        um_getsockopt(st, fd, SOL_SOCKET, SO_ERROR, &e, &el);
                        die("connection failed", strerror(e ? e : EIO));
                        goto out;
                }
                if (cp.shut && cp.peer_eof && (ev & POLLHUP))
                        break;
                int want_stdin = !cp.no_stdin && !cp.stdin_eof && cp.in_off == cp.in_len;
                if (progress || cp.progress) {
                        cp.progress = 0;
                        last_progress = um_clock_now_us();
                } else if (um_clock_now_us() - last_progress > (uint64_t)(idle_timeout * 1e6)) {
                        die("timed out", cp.shut && cp.peer_eof
                                             ? "waiting for the peer to acknowledge our FIN"
                                             : NULL);
                        goto out;
                }
                if (um_run_once(st, want_stdin ? STDIN_FILENO : -1, 100) && want_stdin) {
                        ssize_t n = read(STDIN_FILENO, cp.inbuf, sizeof(cp.inbuf));
                        if (n > 0) {
                                cp.in_len = (size_t)n;
                                cp.in_off = 0;
                        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                                cp.stdin_eof = 1;
                                cp.in_len = cp.in_off = 0;
                        }
                        last_progress = um_clock_now_us();
                }
        }
        fflush(stdout);
        if (stats && mptcp)
                print_mptcp(st, fd);
        um_close(st, fd);
        if (lfd >= 0)
                um_close(st, lfd);
        um_stack_poll(st, um_clock_now_us()); /* send anything the close queued */
        rc = 0;
out:
        if (stats) {
                um_counters_print(st, stderr, 0);
                tool_links_print_stats(&tl, stderr);
        }
        um_stack_free(st);
        tool_links_close(&tl);
        return rc;
}
