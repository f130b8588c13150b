/* umptcpd's command line: getopt_long over the option table (umptcpd_options.c), and the
 * usage it prints. */
#include "umptcpd_options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void umptcpd_usage(FILE *out)
{
        fprintf(out,
                "usage: umptcpd [-c FILE] --link SPEC... [relays] [options]\n"
                "relays (each may be given several times):\n"
                "  --forward LISTEN=HOST:PORT   a kernel TCP listener; each connection goes on\n"
                "                over MPTCP to HOST:PORT (TCP where the far end has no MPTCP)\n"
                "  --accept [ADDR:]PORT=HOST:PORT[,proxy-protocol]   an MPTCP listener of\n"
                "                umptcp's; each connection goes on over kernel TCP to HOST:PORT,\n"
                "                with a PROXY v2 header first when asked\n"
                "  --socks LISTEN[,user=U,password=P]   a SOCKS5 server (RFC 1928 CONNECT;\n"
                "                RFC 1929 credentials when given); MPTCP to what it is asked\n"
                "  --http-connect LISTEN   an HTTP CONNECT proxy; MPTCP to what it is asked\n"
                "  --transparent LISTEN    connections nftables redirected here (REDIRECT or\n"
                "                TPROXY) go on over MPTCP to their original destination\n"
                "  LISTEN is ADDR:PORT or [V6ADDR]:PORT\n"
                "options:\n"
                "  -c, --config FILE  read FILE (INI, umptcpd.conf(5)) first; flags win over it;\n"
                "                SIGHUP reads it again and applies what changed in the relays\n"
                "  --check-config  check the file and the flags (nothing opened), exit 0 or 2\n"
                "  --link SPEC   tun:IFNAME:ADDR/PREFIX[,impairments] as umptcp-cat; the first\n"
                "                is the default route, the others path-manager endpoints\n"
                "  --endpoints K links after the first: subflow (the default), signal or none\n"
                "  --add-addr-accepted N  peer addresses a connection takes up (0-8, default 0)\n"
                "  --path-manager kernel|userspace   --scheduler NAME   --cc NAME\n"
                "  --control PATH  serve the control socket at PATH (umptcp-ctl -s PATH)\n"
                "  --announce ADDR[:PORT]   every MPTCP connection announces ADDR (a link's),\n"
                "                with PORT when given, and C is set: no joins to the address\n"
                "                a connection arrived at (behind a load balancer; repeatable;\n"
                "                [V6ADDR]:PORT)\n"
                "  --max-conns N   relayed connections at once (default 4096)\n"
                "  --max-requesting N  of them still sending a SOCKS/HTTP request (max-conns/4)\n"
                "  --buffer BYTES  held at most each way of a connection (default 64K)\n"
                "  --socket-buffer BYTES  each MPTCP socket's send and receive buffer (4M)\n"
                "  --connect-timeout S   --idle-timeout S   (defaults 10 and 3600)\n"
                "  --request-timeout S   a SOCKS5 or HTTP CONNECT request whole within S (10)\n"
                "  --dns ADDR[:PORT],...  DNS servers for SOCKS5 and HTTP CONNECT names\n"
                "                (default: /etc/resolv.conf's, /etc/hosts first)\n"
                "  --metrics ADDR:PORT  serve Prometheus metrics at http://ADDR:PORT/metrics\n"
                "                ([V6ADDR]:PORT for IPv6); SIGHUP reopens it when it changed\n"
                "  --grace S     after SIGTERM, how long open connections may finish (30)\n"
                "  --seed N      seed of the impairments' draws   --pcap FILE\n"
                "  --log stderr|syslog   --syslog  log lines to syslog(3) (LOG_DAEMON)\n"
                "  -q            errors only   -v  more (debug)   --verbose 0|1|2\n"
                "  -h, --help    this\n");
}

int umptcpd_parse_flags(struct umptcpd_opts *o, int argc, char **argv, int config_only)
{
        struct option longopts[UMPTCPD_OPTIONS + 16];
        size_t n = 0;
        for (const struct umptcpd_option *d; (d = umptcpd_option(n));)
                longopts[n++] = (struct option){d->name, d->has_arg, NULL, d->id};
        for (size_t i = 0; umptcpd_relay_kind(i); i++)
                longopts[n++] = (struct option){umptcpd_relay_kind(i)->name, required_argument,
                                                NULL, O_RELAY + (int)i};
        longopts[n] = (struct option){NULL, 0, NULL, 0};
        /* Both passes read every flag (the first to find -c, the second, after the file,
         * to apply the others); a reload reads them again. */
        optind = 0;
        opterr = config_only;
        int c;
        while ((c = getopt_long(argc, argv, "c:qvh", longopts, NULL)) != -1) {
                if (c == 'h' || c == O_HELP) {
                        umptcpd_usage(stdout);
                        return 1;
                }
                if (c == '?' || c == ':') {
                        umptcpd_usage(stderr);
                        return -1;
                }
                int config_flag = c == 'c' || c == O_CONFIG || c == O_CHECK_CONFIG;
                if (config_only != config_flag)
                        continue;
                if (c >= O_RELAY) {
                        const struct umptcpd_relay_kind *k = umptcpd_relay_kind(c - O_RELAY);
                        char origin[32];
                        snprintf(origin, sizeof(origin), "--%s", k->name);
                        if (umptcpd_relay_add(o, k, optarg, "umptcpd", origin) < 0)
                                return -1;
                        continue;
                }
                const char *arg = optarg;
                if (c == 'q' || c == 'v') { /* --verbose 0 and --verbose 2 */
                        arg = c == 'v' ? "2" : "0";
                        c = O_VERBOSE;
                }
                const struct umptcpd_option *d = umptcpd_option_by_id(c == 'c' ? O_CONFIG : c);
                if (c == O_LINK && !o->links_from_flags) {
                        o->links_from_flags = 1;
                        o->n_links = 0;
                }
                if (c == O_ANNOUNCE && !o->announce_from_flags) {
                        /* As --link: the flags' list replaces the file's. */
                        o->announce_from_flags = 1;
                        o->n_announce = 0;
                        free(o->given[UMPTCPD_SLOT(O_ANNOUNCE)]);
                        o->given[UMPTCPD_SLOT(O_ANNOUNCE)] = NULL;
                }
                if (umptcpd_option_apply(o, d, d->has_arg ? arg : NULL, "umptcpd") < 0)
                        return -1;
        }
        if (optind != argc) {
                fprintf(stderr, "umptcpd: unexpected argument '%s'\n", argv[optind]);
                return -1;
        }
        return 0;
}
