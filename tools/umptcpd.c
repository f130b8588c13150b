/* umptcpd: Multipath TCP for applications that know nothing of it. It owns TUN links, runs
 * one umptcp stack and relays between kernel TCP sockets and MPTCP connections
 * (include/umptcp/relay.h, docs/RELAY.md). This file only reads the flags and starts the
 * relay; on SIGTERM or SIGINT it stops accepting, lets what is open finish for --grace
 * seconds, then aborts the rest and exits 0. */
#include <umptcp/ctl.h>
#include <umptcp/mptcp.h>
#include <umptcp/mptcp_pm.h>
#include <umptcp/relay.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_links.h"

enum { MAX_LISTENERS = 32 };

static void usage(FILE *out)
{
        fprintf(out,
                "usage: umptcpd --link SPEC... [relays] [options]\n"
                "relays (each may be given several times):\n"
                "  --forward LISTEN=HOST:PORT   a kernel TCP listener; each connection goes on\n"
                "                over MPTCP to HOST:PORT (TCP where the far end has no MPTCP)\n"
                "  --accept [ADDR:]PORT=HOST:PORT[,proxy-protocol]   an MPTCP listener of\n"
                "                umptcp's; each connection goes on over kernel TCP to HOST:PORT,\n"
                "                with a PROXY v2 header first when asked\n"
                "  LISTEN is ADDR:PORT or [V6ADDR]:PORT\n"
                "options:\n"
                "  --link SPEC   tun:IFNAME:ADDR/PREFIX[,impairments] as umptcp-cat; the first\n"
                "                is the default route, the others path-manager endpoints\n"
                "  --endpoints K links after the first: subflow (the default), signal or none\n"
                "  --add-addr-accepted N  peer addresses a connection takes up (0-8, default 0)\n"
                "  --path-manager kernel|userspace   --scheduler NAME   --cc NAME\n"
                "  --control PATH  serve the control socket at PATH (umptcp-ctl -s PATH)\n"
                "  --max-conns N   relayed connections at once (default 4096)\n"
                "  --buffer BYTES  held at most each way of a connection (default 64K)\n"
                "  --connect-timeout S   --idle-timeout S   (defaults 10 and 3600)\n"
                "  --grace S     after SIGTERM, how long open connections may finish (30)\n"
                "  --seed N      seed of the impairments' draws   --pcap FILE\n"
                "  -q            errors only   -v  more (debug)\n");
}

static int bad(const char *what, const char *arg)
{
        fprintf(stderr, "umptcpd: bad %s '%s'\n", what, arg);
        return 2;
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
        (void)sig;
        stop_requested = 1;
}

/* "LISTEN=TARGET[,proxy-protocol]" into a listener spec (pointing into buf). */
static int relay_spec(const char *arg, enum um_relay_kind kind, char *buf, size_t len,
                      struct um_relay_listener_spec *out)
{
        snprintf(buf, len, "%s", arg);
        char *eq = strchr(buf, '=');
        if (!eq || eq == buf || !eq[1])
                return -1;
        *eq = 0;
        *out = (struct um_relay_listener_spec){.kind = kind, .listen = buf, .target = eq + 1};
        char *opt = strchr(eq + 1, ',');
        if (opt) {
                *opt++ = 0;
                if (kind != UM_RELAY_ACCEPT || strcmp(opt, "proxy-protocol"))
                        return -1;
                out->flags |= UM_RELAY_PROXY_V2;
        }
        return 0;
}

static int seconds_ms(const char *arg, unsigned *out)
{
        double v;
        if (tool_parse_number(arg, 0.001, 86400 * 365, &v) < 0)
                return -1;
        *out = (unsigned)(v * 1000);
        return 0;
}

int main(int argc, char **argv)
{
        enum {
                O_LINK = 256,
                O_FORWARD,
                O_ACCEPT,
                O_ENDPOINTS,
                O_ADD_ADDR,
                O_PATH_MANAGER,
                O_SCHEDULER,
                O_CC,
                O_CONTROL,
                O_MAX_CONNS,
                O_BUFFER,
                O_CONNECT_TIMEOUT,
                O_IDLE_TIMEOUT,
                O_GRACE,
                O_SEED,
                O_PCAP,
                O_HELP,
        };
        static const struct option opts[] = {
            {"link", required_argument, NULL, O_LINK},
            {"forward", required_argument, NULL, O_FORWARD},
            {"accept", required_argument, NULL, O_ACCEPT},
            {"endpoints", required_argument, NULL, O_ENDPOINTS},
            {"add-addr-accepted", required_argument, NULL, O_ADD_ADDR},
            {"path-manager", required_argument, NULL, O_PATH_MANAGER},
            {"scheduler", required_argument, NULL, O_SCHEDULER},
            {"cc", required_argument, NULL, O_CC},
            {"control", required_argument, NULL, O_CONTROL},
            {"max-conns", required_argument, NULL, O_MAX_CONNS},
            {"buffer", required_argument, NULL, O_BUFFER},
            {"connect-timeout", required_argument, NULL, O_CONNECT_TIMEOUT},
            {"idle-timeout", required_argument, NULL, O_IDLE_TIMEOUT},
            {"grace", required_argument, NULL, O_GRACE},
            {"seed", required_argument, NULL, O_SEED},
            {"pcap", required_argument, NULL, O_PCAP},
            {"help", no_argument, NULL, O_HELP},
            {NULL, 0, NULL, 0},
        };
        struct link_spec links[TOOL_MAX_LINKS];
        int n_links = 0, n_specs = 0, verbose = 1;
        char spec_text[MAX_LISTENERS][256];
        struct um_relay_listener_spec specs[MAX_LISTENERS];
        unsigned ep_kind = UM_MPTCP_PM_SUBFLOW, add_addr_accepted = 0, grace_ms = 30000;
        const char *path_manager = NULL, *scheduler = NULL, *control = NULL, *pcap = NULL;
        struct um_relay_config cfg = {0};
        uint64_t seed = 1;
        int c;
        while ((c = getopt_long(argc, argv, "qvh", opts, NULL)) != -1) {
                double v;
                uint64_t size;
                switch (c) {
                case O_LINK:
                        if (n_links == TOOL_MAX_LINKS)
                                return bad("--link (too many)", optarg);
                        if (tool_link_parse("umptcpd", optarg, &links[n_links]) < 0)
                                return 2;
                        n_links++;
                        break;
                case O_FORWARD:
                case O_ACCEPT:
                        if (n_specs == MAX_LISTENERS)
                                return bad("relay (too many)", optarg);
                        if (relay_spec(optarg, c == O_FORWARD ? UM_RELAY_FORWARD : UM_RELAY_ACCEPT,
                                       spec_text[n_specs], sizeof(spec_text[0]),
                                       &specs[n_specs]) < 0)
                                return bad(c == O_FORWARD ? "--forward" : "--accept", optarg);
                        n_specs++;
                        break;
                case O_ENDPOINTS:
                        if (tool_parse_endpoints("umptcpd", optarg, &ep_kind) < 0)
                                return 2;
                        break;
                case O_ADD_ADDR:
                        if (tool_parse_number(optarg, 0, 8, &v) < 0 || v != (unsigned)v)
                                return bad("--add-addr-accepted (0-8)", optarg);
                        add_addr_accepted = (unsigned)v;
                        break;
                case O_PATH_MANAGER:
                        if (strcmp(optarg, "kernel") && strcmp(optarg, "userspace"))
                                return bad("--path-manager (kernel or userspace)", optarg);
                        path_manager = optarg;
                        break;
                case O_SCHEDULER:
                        if (!(scheduler = tool_parse_scheduler("umptcpd", optarg)))
                                return 2;
                        break;
                case O_CC:
                        if (!(cfg.congestion = tool_parse_cc("umptcpd", optarg)))
                                return 2;
                        break;
                case O_CONTROL:
                        control = optarg;
                        break;
                case O_MAX_CONNS:
                        if (tool_parse_number(optarg, 1, 1 << 20, &v) < 0 || v != (unsigned)v)
                                return bad("--max-conns", optarg);
                        cfg.max_conns = (unsigned)v;
                        break;
                case O_BUFFER:
                        if (tool_parse_size(optarg, 64 << 20, &size) < 0 || size < 1024)
                                return bad("--buffer (1K to 64M)", optarg);
                        cfg.buffer_bytes = (unsigned)size;
                        break;
                case O_CONNECT_TIMEOUT:
                        if (seconds_ms(optarg, &cfg.connect_timeout_ms) < 0)
                                return bad("--connect-timeout", optarg);
                        break;
                case O_IDLE_TIMEOUT:
                        if (seconds_ms(optarg, &cfg.idle_timeout_ms) < 0)
                                return bad("--idle-timeout", optarg);
                        break;
                case O_GRACE:
                        if (seconds_ms(optarg, &grace_ms) < 0)
                                return bad("--grace", optarg);
                        break;
                case O_SEED:
                        if (tool_parse_number(optarg, 0, 9007199254740992.0, &v) < 0 ||
                            v != (uint64_t)v)
                                return bad("--seed", optarg);
                        seed = (uint64_t)v;
                        break;
                case O_PCAP:
                        pcap = optarg;
                        break;
                case 'q':
                        verbose = 0;
                        break;
                case 'v':
                        verbose = 2;
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
        if (optind != argc) {
                usage(stderr);
                return 2;
        }
        if (!n_links) {
                fprintf(stderr, "umptcpd: need at least one --link tun:IFNAME:ADDR/PREFIX\n");
                return 2;
        }
        if (!n_specs) {
                fprintf(stderr, "umptcpd: nothing to relay: give --forward or --accept\n");
                return 2;
        }
        signal(SIGPIPE, SIG_IGN);
        struct um_stack *st =
            um_stack_new(&(struct um_stack_config){.name = "umptcpd", .log_level = verbose});
        if (!st) {
                fprintf(stderr, "umptcpd: cannot create the stack: %s\n", strerror(ENOMEM));
                return 1;
        }
        struct tool_links tl = {0};
        struct um_relay *relay = NULL;
        int rc = 1;
        if (tool_links_open("umptcpd", st, links, n_links, pcap, seed, &tl) < 0 ||
            tool_add_endpoints("umptcpd", st, links, n_links, ep_kind, add_addr_accepted) < 0)
                goto out;
        if (path_manager)
                um_mptcp_path_manager_set(st, path_manager);
        if (scheduler)
                um_mptcp_scheduler_set(st, scheduler);
        if (control) {
                struct um_ctl *ctl;
                int e = um_ctl_serve(st, control, &ctl);
                if (e < 0) {
                        fprintf(stderr, "umptcpd: cannot serve the control socket %s: %s\n",
                                control, strerror(-e));
                        goto out;
                }
        }
        int e = um_relay_new(st, &cfg, &relay);
        if (e < 0) {
                fprintf(stderr, "umptcpd: cannot make the relay: %s\n", strerror(-e));
                goto out;
        }
        for (int i = 0; i < n_specs; i++) {
                char err[256];
                if (um_relay_listen(relay, &specs[i], err, sizeof(err)) < 0) {
                        fprintf(stderr, "umptcpd: %s\n", err);
                        goto out;
                }
        }
        struct sigaction sa = {.sa_handler = on_stop};
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        fprintf(stderr, "umptcpd: relaying (%d listener%s)\n", n_specs, n_specs == 1 ? "" : "s");
        uint64_t stop_by = 0;
        for (;;) {
                /* A bounded wait: a signal that came just before it is seen within a second. */
                um_relay_run_once(relay, 1000);
                uint64_t now = um_clock_now_us();
                if (stop_requested && !stop_by) {
                        um_relay_drain(relay);
                        stop_by = now + (uint64_t)grace_ms * 1000;
                        fprintf(stderr, "umptcpd: stopping: %u connections may finish\n",
                                um_relay_active(relay));
                }
                if (stop_by && !um_relay_active(relay))
                        break;
                if (stop_by && now >= stop_by) {
                        fprintf(stderr, "umptcpd: grace period over: %u connections aborted\n",
                                um_relay_active(relay));
                        um_relay_abort_all(relay);
                        break;
                }
        }
        /* What the closes and resets queued leaves before the stack goes. */
        for (uint64_t until = um_clock_now_us() + 200000; um_clock_now_us() < until;)
                um_relay_run_once(relay, 50);
        rc = 0;
out:
        um_relay_free(relay);
        um_stack_free(st);
        tool_links_close(&tl);
        return rc;
}
