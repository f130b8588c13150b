/* umptcpd's settings, from its flags and its config file (-c FILE, INI; umptcpd.conf(5)):
 * the one interface umptcpd.c uses (umptcpd_options.c the values, umptcpd_flags.c the flags,
 * umptcpd_ini.c the file, umptcpd_check.c the checks and the print-out).
 * Flags and [daemon] keys share one table of options, so that a key is named as its flag
 * and parses the same way, and a relay section becomes the same argument as its flag
 * (the same parser checks both). Flags win: the file is read first, the flags then replace
 * its values; relay flags add to its relays, and --link flags replace its links (the first
 * link is the default route, so the two lists are not merged). */
#ifndef UMPTCPD_CONFIG_H
#define UMPTCPD_CONFIG_H

#include <stdint.h>
#include <sys/socket.h>
#include <umptcp/relay.h>

#include "tool_links.h"
#include "umptcpd_announce.h"

enum { UMPTCPD_MAX_RELAYS = 32 };

struct umptcpd_relay {
        struct um_relay_listener_spec spec; /* points into text */
        char text[1024];                    /* the flag's argument, LISTEN=TARGET[,...] */
        char key[1056];                     /* kind and argument: a reload keeps an equal one */
        char origin[512];                   /* "FILE:LINE [forward web]" or "--forward" */
        char resolved[64]; /* a named target's address, "ADDR:PORT" (umptcpd_resolve.h) */
        int id;            /* the open listener's, -1 when none */
};

/* An option's value as given, so that a reload can tell what changed. */
enum { UMPTCPD_OPTIONS = 32 };

struct umptcpd_opts {
        struct link_spec links[TOOL_MAX_LINKS];
        char link_text[TOOL_MAX_LINKS][256]; /* each link as --link takes it */
        int n_links;
        int links_from_flags; /* --link given: the file's links are dropped */
        struct umptcpd_announce announce[UMPTCPD_MAX_ANNOUNCE];
        int n_announce;
        int announce_from_flags; /* --announce given: the file's are dropped */
        struct umptcpd_relay relays[UMPTCPD_MAX_RELAYS];
        int n_relays;
        unsigned ep_kind, add_addr_accepted, grace_ms;
        const char *path_manager, *scheduler, *control, *pcap, *config;
        const char *metrics;                  /* --metrics as given, or NULL */
        struct sockaddr_storage metrics_addr; /* and as the relay takes it */
        struct um_relay_config cfg;
        uint64_t seed;
        int verbose; /* 0 errors, 1 info, 2 debug */
        int syslog;  /* log lines go to syslog(3), not stderr */
        int check_config;
        char *given[UMPTCPD_OPTIONS]; /* each option's last value (owned) */
};

/* Defaults; umptcpd_opts_free releases what parsing keeps. */
struct umptcpd_opts *umptcpd_opts_new(void);
void umptcpd_opts_free(struct umptcpd_opts *o);

/* Reads the flags into o. With config_only, only -c, --check-config and --help (the file
 * is read between the two passes, so that the flags replace its values). Returns 0, 1
 * after --help, or -1 with the reason printed. */
int umptcpd_parse_flags(struct umptcpd_opts *o, int argc, char **argv, int config_only);
/* Reads o->config (INI). Every error is printed as "FILE:LINE: reason"; returns how many. */
int umptcpd_read_config(struct umptcpd_opts *o);
/* What a daemon must have (a link, a relay). Returns 0 or -1 with the reason printed. */
int umptcpd_check_complete(const struct umptcpd_opts *o);
/* Prints "umptcpd: reload: ..." for each setting of b that differs from a's and that only
 * a restart applies (links, the stack's, the relay's sizes); returns how many. */
int umptcpd_report_fixed(const struct umptcpd_opts *a, const struct umptcpd_opts *b);
/* The settings in force, a line each: "KEY = VALUE" for those given, then the links and
 * the relays with where each came from (--check-config shows them). */
void umptcpd_print(const struct umptcpd_opts *o, FILE *out);
/* The relay's key as log lines show it: a password is not shown. Returns buf. */
const char *umptcpd_relay_shown(const struct umptcpd_relay *r, char *buf, size_t len);
/* A relay's argument as messages show it: each password=VALUE as password=***. */
const char *umptcpd_arg_shown(const char *arg, char *buf, size_t len);
/* Warns (stderr) of each password given on the command line, which every local user can
 * read in /proc/PID/cmdline. A config file's is warned of as it is read. */
void umptcpd_warn_secrets(const struct umptcpd_opts *o);
/* Prints the usage. */
void umptcpd_usage(FILE *out);

#endif
