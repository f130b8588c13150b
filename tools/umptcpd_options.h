/* The options umptcpd reads from its flags and from its config file alike (umptcpd_flags.c,
 * umptcpd_ini.c): one table names each option as a flag (--name) and as a [daemon] key, and
 * one function reads its value into the settings, so that a key parses and fails as its flag
 * does. Relay kinds likewise: a section's keys become its flag's argument. Internal to the
 * umptcpd_*.c files; umptcpd.c sees umptcpd_config.h only. */
#ifndef UMPTCPD_OPTIONS_H
#define UMPTCPD_OPTIONS_H

#include <stddef.h>

#include "umptcpd_config.h"

enum umptcpd_option_id {
        O_CONFIG = 256,
        O_CHECK_CONFIG,
        O_HELP,
        O_LINK,
        O_ENDPOINTS,
        O_ADD_ADDR,
        O_PATH_MANAGER,
        O_SCHEDULER,
        O_CC,
        O_CONTROL,
        O_MAX_CONNS,
        O_MAX_REQUESTING,
        O_BUFFER,
        O_SOCKET_BUFFER,
        O_CONNECT_TIMEOUT,
        O_IDLE_TIMEOUT,
        O_GRACE,
        O_SEED,
        O_PCAP,
        O_VERBOSE,
        O_LOG,
        O_SYSLOG,
        O_REQUEST_TIMEOUT,
        O_DNS,
        O_METRICS,
        O_ANNOUNCE,
        O_END,
        O_RELAY = 512, /* O_RELAY + i: the relay kind umptcpd_relay_kind(i) */
};

/* An option's slot in umptcpd_opts.given (and any per-option array). */
#define UMPTCPD_SLOT(id) ((id)-O_CONFIG)

struct umptcpd_option {
        const char *name; /* the flag, --name, and its [daemon] key */
        int id;
        int has_arg;
        int in_file; /* a [daemon] key too */
        int restart; /* a reload does not change it (the stack and the links have it) */
};

/* The i-th option, in the order --check-config prints them; NULL past the last. */
const struct umptcpd_option *umptcpd_option(size_t i);
const struct umptcpd_option *umptcpd_option_by_id(int id);
/* The [daemon] key name, or NULL when it is none. */
const struct umptcpd_option *umptcpd_option_by_key(const char *name);

/* One option with its value (NULL for those without) into o; who prefixes the reason
 * ("umptcpd" for a flag, "FILE:LINE" for a key). Returns 0 or -1 with the reason printed. */
int umptcpd_option_apply(struct umptcpd_opts *o, const struct umptcpd_option *d, const char *arg,
                         const char *who);

/* A key of a relay's section, and the option of its flag's argument it becomes
 * (",KEY" when boolean and yes, ",KEY=VALUE" otherwise). */
struct umptcpd_relay_key {
        const char *name;
        unsigned flag;  /* boolean: the UM_RELAY_* it sets */
        size_t field;   /* a value: offsetof its const char * in um_relay_listener_spec */
        size_t max_len; /* a value: at most this long (and not empty) */
};

enum { UMPTCPD_RELAY_KEYS = 3 };

/* A relay kind: its flag, its section, and the keys of its section besides listen and
 * target. */
struct umptcpd_relay_kind {
        const char *name;
        enum um_relay_kind kind;
        int has_target;
        struct umptcpd_relay_key keys[UMPTCPD_RELAY_KEYS]; /* name NULL: none more */
};

/* The i-th kind, NULL past the last; by its name, or NULL. */
const struct umptcpd_relay_kind *umptcpd_relay_kind(size_t i);
const struct umptcpd_relay_kind *umptcpd_relay_kind_by_name(const char *name);
/* The kind's key name besides listen and target, or NULL. */
const struct umptcpd_relay_key *umptcpd_relay_key(const struct umptcpd_relay_kind *k,
                                                  const char *name);

/* A listen or a target address as the listener will read it (no name resolved): 0, or -1
 * with the reason in why. */
int umptcpd_relay_check_listen(const struct umptcpd_relay_kind *k, const char *listen, char *why,
                               size_t len);
int umptcpd_relay_check_target(const char *target, char *why, size_t len);
/* "LISTEN[=TARGET][,OPTION[=VALUE]]..." as the next relay of o, origin saying where it came
 * from. Returns 0 or -1 with the reason printed after who. */
int umptcpd_relay_add(struct umptcpd_opts *o, const struct umptcpd_relay_kind *k, const char *arg,
                      const char *who, const char *origin);
/* A --link SPEC after o's links. Returns 0 or -1 with the reason printed after who. */
int umptcpd_link_add(struct umptcpd_opts *o, const char *spec, const char *who);

/* "WHO: " then the reason, a line on stderr. */
void umptcpd_say(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
