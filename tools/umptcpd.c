/* umptcpd: Multipath TCP for applications that know nothing of it. It owns TUN links, runs
 * one umptcp stack and relays between kernel TCP sockets and MPTCP connections
 * (include/umptcp/relay.h, docs/RELAY.md). This file only reads the flags and the config
 * file (umptcpd_config.h) and starts the relay; on SIGTERM or SIGINT it stops accepting,
 * lets what is open finish for --grace seconds, then aborts the rest and exits 0; on SIGHUP
 * it reads the config file again and opens, closes or reopens the relays' listeners that
 * changed, leaving the relayed connections alone. On SIGUSR1 it logs its heap in use
 * (mallinfo2) and the relayed connections open; when the last relayed connection ends it
 * gives the heap's free memory back to the system (malloc_trim). */
#include <umptcp/ctl.h>
#include <umptcp/mptcp.h>
#include <umptcp/mptcp_pm.h>
#include <umptcp/relay.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "tool_links.h"
#include "tool_log.h"
#include "umptcpd_config.h"
#include "umptcpd_resolve.h"

/* Set by the handlers, looked at by the loop after each round (at most a second apart). */
static volatile sig_atomic_t stop_requested, reload_requested, memory_requested;

static void on_signal(int sig)
{
        if (sig == SIGHUP)
                reload_requested = 1;
        else if (sig == SIGUSR1)
                memory_requested = 1;
        else
                stop_requested = 1;
}

/* Reads the flags, then the file, then the flags again over it. Returns 0, 1 after --help,
 * or -1 (the reasons printed). */
static int read_settings(struct umptcpd_opts *o, int argc, char **argv)
{
        int rc = umptcpd_parse_flags(o, argc, argv, 1);
        if (rc)
                return rc;
        if (o->config && umptcpd_read_config(o))
                return -1;
        if ((rc = umptcpd_parse_flags(o, argc, argv, 0)))
                return rc;
        return umptcpd_check_complete(o);
}

static int open_relay(struct um_relay *relay, struct umptcpd_relay *r)
{
        char err[256];
        int id = um_relay_listen(relay, &r->spec, err, sizeof(err));
        if (id < 0) {
                fprintf(stderr, "umptcpd: %s: %s\n", r->origin, err);
                return -1;
        }
        r->id = id;
        return 0;
}

static int same_text(const char *a, const char *b)
{
        return (!a && !b) || (a && b && !strcmp(a, b));
}

/* A reload's metrics address: opened anew when it changed (the old one serves until the
 * new one is open, and stays when it cannot open), closed when it went. */
static void reload_metrics(const struct umptcpd_opts *cur, const struct umptcpd_opts *n,
                           struct um_relay *relay)
{
        if (same_text(cur->metrics, n->metrics))
                return;
        if (!n->metrics) {
                um_relay_metrics_close(relay);
                fprintf(stderr, "umptcpd: reload: metrics closed (was %s)\n", cur->metrics);
                return;
        }
        char err[256];
        if (um_relay_metrics_open(relay, &n->metrics_addr, err, sizeof(err)) == 0)
                fprintf(stderr, "umptcpd: reload: metrics now on %s (was %s)\n", n->metrics,
                        cur->metrics ? cur->metrics : "off");
        else
                fprintf(stderr, "umptcpd: reload: %s; metrics stay %s%s\n", err,
                        cur->metrics ? "on " : "off", cur->metrics ? cur->metrics : "");
}

/* While a reload resolves its new targets' names, the relayed connections go on. */
static void serve_a_while(void *relay, int timeout_ms)
{
        um_relay_run_once(relay, timeout_ms);
}

/* SIGHUP: the file again, over which the flags. A listener whose relay is the same in the
 * new settings stays open (its target as resolved when it opened); the others close (their
 * connections go on) and the new ones open. A file with an error, or a new relay whose
 * target's name does not resolve within UMPTCPD_RESOLVE_MS, changes nothing. Returns the
 * settings now in force. */
static struct umptcpd_opts *reload(struct umptcpd_opts *base, struct umptcpd_opts *cur, int argc,
                                   char **argv, struct um_relay *relay)
{
        if (!base->config) {
                fprintf(stderr, "umptcpd: reload: no config file (-c) to read again\n");
                return cur;
        }
        fprintf(stderr, "umptcpd: reload: reading %s\n", base->config);
        struct umptcpd_opts *n = umptcpd_opts_new();
        if (!n || read_settings(n, argc, argv) != 0) {
                fprintf(stderr, "umptcpd: reload: %s has errors (above): nothing changed\n",
                        base->config);
                umptcpd_opts_free(n);
                return cur;
        }
        /* The listeners that stay, first: only the others' names are resolved. */
        int stays[UMPTCPD_MAX_RELAYS];
        for (int i = 0; i < cur->n_relays; i++) {
                const struct umptcpd_relay *old = &cur->relays[i];
                stays[i] = 0;
                for (int j = 0; j < n->n_relays && old->id >= 0 && !stays[i]; j++)
                        if (n->relays[j].id < 0 && !strcmp(old->key, n->relays[j].key)) {
                                n->relays[j].id = old->id;
                                stays[i] = 1;
                        }
        }
        /* The relay's resolver (--dns) is the running one's: it changes only on restart. */
        if (umptcpd_resolve_targets(n, cur->cfg.dns_servers, serve_a_while, relay,
                                    "umptcpd: reload: ") < 0) {
                fprintf(stderr, "umptcpd: reload: a target did not resolve: nothing changed\n");
                umptcpd_opts_free(n);
                return cur;
        }
        umptcpd_report_fixed(base, n);
        reload_metrics(cur, n, relay);
        int kept = 0, closed = 0, opened = 0;
        char shown[sizeof(n->relays[0].key)];
        for (int i = 0; i < cur->n_relays; i++) {
                struct umptcpd_relay *old = &cur->relays[i];
                if (stays[i]) {
                        old->id = -1;
                        kept++;
                } else if (old->id >= 0) {
                        um_relay_unlisten(relay, old->id);
                        fprintf(stderr, "umptcpd: reload: closed %s (%s)\n",
                                umptcpd_relay_shown(old, shown, sizeof(shown)), old->origin);
                        old->id = -1;
                        closed++;
                }
        }
        for (int j = 0; j < n->n_relays; j++)
                if (n->relays[j].id < 0 && open_relay(relay, &n->relays[j]) == 0) {
                        fprintf(stderr, "umptcpd: reload: opened %s (%s)\n",
                                umptcpd_relay_shown(&n->relays[j], shown, sizeof(shown)),
                                n->relays[j].origin);
                        opened++;
                }
        fprintf(stderr, "umptcpd: reload: %d listener%s kept, %d closed, %d opened\n", kept,
                kept == 1 ? "" : "s", closed, opened);
        if (cur != base)
                umptcpd_opts_free(cur);
        return n;
}

int main(int argc, char **argv)
{
        struct umptcpd_opts *base = umptcpd_opts_new();
        if (!base) {
                fprintf(stderr, "umptcpd: %s\n", strerror(ENOMEM));
                return 1;
        }
        int rc = read_settings(base, argc, argv);
        if (rc) {
                umptcpd_opts_free(base);
                return rc > 0 ? 0 : 2;
        }
        umptcpd_warn_secrets(base);
        /* Before anything runs, so that no loop waits on DNS; --check-config too, so that
         * it says whether the daemon would start (and a reload take the file). */
        if (umptcpd_resolve_targets(base, base->cfg.dns_servers, NULL, NULL, "umptcpd: ") < 0) {
                rc = base->check_config ? 2 : 1;
                umptcpd_opts_free(base);
                return rc;
        }
        if (base->check_config) {
                printf("umptcpd: %s good: %d link%s, %d relay%s\n",
                       base->config ? base->config : "the flags", base->n_links,
                       base->n_links == 1 ? "" : "s", base->n_relays,
                       base->n_relays == 1 ? "" : "s");
                umptcpd_print(base, stdout);
                umptcpd_opts_free(base);
                return 0;
        }
        FILE *log = NULL, *saved_stderr = stderr;
        if (base->syslog) {
                openlog("umptcpd", LOG_PID, LOG_DAEMON);
                if (!(log = tool_syslog_stream(LOG_INFO, NULL))) {
                        fprintf(stderr, "umptcpd: cannot log to syslog: %s\n", strerror(ENOMEM));
                        umptcpd_opts_free(base);
                        return 1;
                }
                /* glibc's stderr is a variable: every message, the tools' helpers' too,
                 * goes to syslog from here on. */
                stderr = log;
        }
        signal(SIGPIPE, SIG_IGN);
        struct um_stack *st = um_stack_new(&(struct um_stack_config){
            .name = "umptcpd",
            .log_level = base->verbose,
            .log_fn = log ? tool_syslog_line : NULL}); /* each line at its level's priority */
        if (!st) {
                fprintf(stderr, "umptcpd: cannot create the stack: %s\n", strerror(ENOMEM));
                umptcpd_opts_free(base);
                return 1;
        }
        struct umptcpd_opts *cur = base;
        struct tool_links tl = {0};
        struct um_relay *relay = NULL;
        rc = 1;
        if (tool_links_open("umptcpd", st, base->links, base->n_links, base->pcap, base->seed,
                            &tl) < 0 ||
            tool_add_endpoints("umptcpd", st, base->links, base->n_links, base->ep_kind,
                               base->add_addr_accepted) < 0 ||
            umptcpd_announce_apply("umptcpd", st, base->announce, base->n_announce) < 0)
                goto out;
        if (base->path_manager)
                um_mptcp_path_manager_set(st, base->path_manager);
        if (base->scheduler)
                um_mptcp_scheduler_set(st, base->scheduler);
        if (base->control) {
                struct um_ctl *ctl;
                int e = um_ctl_serve(st, base->control, &ctl);
                if (e < 0) {
                        fprintf(stderr, "umptcpd: cannot serve the control socket %s: %s\n",
                                base->control, strerror(-e));
                        goto out;
                }
        }
        int e = um_relay_new(st, &base->cfg, &relay);
        if (e < 0) {
                fprintf(stderr, "umptcpd: cannot make the relay: %s\n", strerror(-e));
                goto out;
        }
        for (int i = 0; i < base->n_relays; i++)
                if (open_relay(relay, &base->relays[i]) < 0)
                        goto out;
        if (base->metrics) {
                char err[256];
                if (um_relay_metrics_open(relay, &base->metrics_addr, err, sizeof(err)) < 0) {
                        fprintf(stderr, "umptcpd: cannot serve the metrics: %s\n", err);
                        goto out;
                }
        }
        struct sigaction sa = {.sa_handler = on_signal};
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        sigaction(SIGUSR1, &sa, NULL);
        fprintf(stderr, "umptcpd: relaying (%d listener%s)\n", base->n_relays,
                base->n_relays == 1 ? "" : "s");
        uint64_t stop_by = 0;
        unsigned was_active = 0;
        for (;;) {
                /* A bounded wait: a signal that came just before it is seen within a second. */
                um_relay_run_once(relay, 1000);
                uint64_t now = um_clock_now_us();
                unsigned active = um_relay_active(relay);
                if (was_active && !active)
                        malloc_trim(0); /* idle again: the freed heap goes back */
                was_active = active;
                if (memory_requested) {
                        memory_requested = 0;
                        struct mallinfo2 mi = mallinfo2();
                        fprintf(stderr,
                                "umptcpd: memory: heap in use %zu bytes, heap free %zu bytes, "
                                "mmapped %zu bytes, %u relayed connections\n",
                                mi.uordblks, mi.fordblks, mi.hblkhd, active);
                }
                if (reload_requested && !stop_by) {
                        reload_requested = 0;
                        cur = reload(base, cur, argc, argv, relay);
                }
                if (stop_requested && !stop_by) {
                        um_relay_drain(relay);
                        stop_by = now + (uint64_t)cur->grace_ms * 1000;
                        fprintf(stderr, "umptcpd: stopping: %u connections may finish\n",
                                um_relay_active(relay));
                }
                /* A relayed connection that ended handed its last bytes to the stack; they
                 * are delivered only while the stack runs, so those wait for the grace too. */
                if (stop_by && !um_relay_active(relay) && !um_stack_undelivered(st, NULL))
                        break;
                if (stop_by && now >= stop_by) {
                        fprintf(stderr, "umptcpd: grace period over: %u connections aborted\n",
                                um_relay_active(relay));
                        um_relay_abort_all(relay);
                        uint64_t bytes = 0;
                        unsigned owing = um_stack_undelivered(st, &bytes);
                        if (owing) {
                                fprintf(stderr,
                                        "umptcpd: grace period over: %u closed connections reset "
                                        "with %llu bytes not delivered\n",
                                        owing, (unsigned long long)bytes);
                                um_stack_abort_undelivered(st);
                        }
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
        if (cur != base)
                umptcpd_opts_free(cur);
        umptcpd_opts_free(base);
        if (log) {
                stderr = saved_stderr;
                fclose(log);
                closelog();
        }
        return rc;
}
