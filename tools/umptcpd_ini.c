/* umptcpd's config file (-c FILE, umptcpd.conf(5)), INI read with libinih: [daemon] takes
 * the options' keys (umptcpd_options.c), [link NAME] a link's, and [KIND NAME] a relay's,
 * whose keys become its flag's argument. Every error names the file and the line and is
 * reported, not only the first. */
#include "umptcpd_options.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MAX_SECTION_KEYS = 16, MAX_SECTIONS = 64 };

static const char *const link_keys[] = {"spec",   "tun",     "address",   "loss", "delay",
                                        "jitter", "reorder", "duplicate", "rate", "offload"};
#define N_LINK_KEYS (sizeof(link_keys) / sizeof(link_keys[0]))

struct reader {
        FILE *f;
        const char *path;
        struct umptcpd_opts *o;
        int line;
        int errors;
        /* The section being read. */
        enum { SEC_NONE, SEC_BAD, SEC_DAEMON, SEC_LINK, SEC_RELAY } sec;
        char sec_name[128];
        int sec_line;
        const struct umptcpd_relay_kind *kind;
        int n_keys;
        char keys[MAX_SECTION_KEYS][32];
        char *values[MAX_SECTION_KEYS];
        int key_lines[MAX_SECTION_KEYS];
        /* Every section seen, to refuse one given twice. */
        char seen[MAX_SECTIONS][128];
        int seen_line[MAX_SECTIONS];
        int n_seen;
        int seen_daemon_key[UMPTCPD_OPTIONS]; /* each [daemon] key's line, by its slot */
};

static void error_at(struct reader *rd, int line, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "%s:%d: ", rd->path, line);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        rd->errors++;
}

static const char *section_value(const struct reader *rd, const char *key, int *line)
{
        for (int i = 0; i < rd->n_keys; i++)
                if (!strcmp(rd->keys[i], key)) {
                        if (line)
                                *line = rd->key_lines[i];
                        return rd->values[i];
                }
        return NULL;
}

static int yes_no(const char *v)
{
        if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
                return 1;
        if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
                return 0;
        return -1;
}

/* Appends ",KEY=VALUE" (or ",KEY") to buf; -1 when it does not fit. */
static int append(char *buf, size_t len, const char *sep, const char *key, const char *value)
{
        size_t used = strlen(buf);
        int n = snprintf(buf + used, len - used, "%s%s%s%s", sep, key, value ? "=" : "",
                         value ? value : "");
        return n < 0 || (size_t)n >= len - used ? -1 : 0;
}

/* who, at the line of the section's key (its header's when it has none). */
static const char *key_who(const struct reader *rd, const char *key, char *buf, size_t len)
{
        int line = rd->sec_line;
        section_value(rd, key, &line);
        snprintf(buf, len, "%s:%d", rd->path, line);
        return buf;
}

static void end_link(struct reader *rd, const char *who)
{
        char at[300];
        char spec[512] = "";
        const char *full = section_value(rd, "spec", NULL);
        if (full) {
                if (rd->n_keys > 1) {
                        error_at(rd, rd->sec_line, "[link %s]: spec replaces the other keys",
                                 rd->sec_name);
                        return;
                }
                snprintf(spec, sizeof(spec), "%s", full);
        } else {
                const char *tun = section_value(rd, "tun", NULL);
                const char *addr = section_value(rd, "address", NULL);
                if (!addr) {
                        error_at(rd, rd->sec_line, "[link %s]: missing address (ADDR/PREFIX)",
                                 rd->sec_name);
                        return;
                }
                /* Checked a key at a time, so that a refusal names its line. */
                struct link_spec scratch;
                snprintf(spec, sizeof(spec), "tun:%s:%s", tun ? tun : rd->sec_name, addr);
                if (tool_link_parse(key_who(rd, "address", at, sizeof(at)), spec, &scratch) < 0) {
                        rd->errors++;
                        return;
                }
                char base[512];
                snprintf(base, sizeof(base), "%s", spec);
                for (size_t k = 3; k < N_LINK_KEYS; k++) {
                        const char *v = section_value(rd, link_keys[k], NULL);
                        if (!v)
                                continue;
                        char one[1024];
                        snprintf(one, sizeof(one), "%s,%s=%s", base, link_keys[k], v);
                        if (tool_link_parse(key_who(rd, link_keys[k], at, sizeof(at)), one,
                                            &scratch) < 0) {
                                rd->errors++;
                                return;
                        }
                        if (append(spec, sizeof(spec), ",", link_keys[k], v) < 0) {
                                error_at(rd, rd->sec_line, "[link %s]: too long", rd->sec_name);
                                return;
                        }
                }
        }
        if (full)
                who = key_who(rd, "spec", at, sizeof(at));
        if (umptcpd_link_add(rd->o, spec, who) < 0)
                rd->errors++;
}

static void end_relay(struct reader *rd, const char *who)
{
        const struct umptcpd_relay_kind *k = rd->kind;
        const char *listen = section_value(rd, "listen", NULL);
        const char *target = section_value(rd, "target", NULL);
        if (!listen || (k->has_target && !target)) {
                error_at(rd, rd->sec_line, "[%s %s]: missing %s", k->name, rd->sec_name,
                         listen ? "target (HOST:PORT)" : "listen (ADDR:PORT)");
                return;
        }
        /* The addresses alone first, so that a refusal names their line. */
        char why[128];
        int line = rd->sec_line;
        section_value(rd, "listen", &line);
        if (umptcpd_relay_check_listen(k, listen, why, sizeof(why)) < 0) {
                error_at(rd, line, "bad listen '%s': %s", listen, why);
                return;
        }
        section_value(rd, "target", &line);
        if (target && umptcpd_relay_check_target(target, why, sizeof(why)) < 0) {
                error_at(rd, line, "bad target '%s': %s", target, why);
                return;
        }
        char arg[512] = "";
        int too_long = append(arg, sizeof(arg), "", listen, NULL) < 0 ||
                       (target && append(arg, sizeof(arg), "=", target, NULL) < 0);
        for (int i = 0; i < rd->n_keys && !too_long; i++) {
                const char *key = rd->keys[i], *v = rd->values[i];
                if (!strcmp(key, "listen") || !strcmp(key, "target"))
                        continue;
                if (umptcpd_relay_key(k, key)->flag) {
                        int on = yes_no(v);
                        if (on < 0) {
                                error_at(rd, rd->key_lines[i], "bad %s '%s' (yes or no)", key, v);
                                return;
                        }
                        if (on)
                                too_long = append(arg, sizeof(arg), ",", key, NULL) < 0;
                } else if (strchr(v, ',')) {
                        /* The section becomes a flag's argument, where ',' separates. */
                        error_at(rd, rd->key_lines[i], "%s may not contain ','", key);
                        return;
                } else {
                        too_long = append(arg, sizeof(arg), ",", key, v) < 0;
                }
        }
        if (too_long) {
                error_at(rd, rd->sec_line, "[%s %s]: too long", k->name, rd->sec_name);
                return;
        }
        char origin[512];
        snprintf(origin, sizeof(origin), "%s [%s %s]", who, k->name, rd->sec_name);
        if (umptcpd_relay_add(rd->o, k, arg, who, origin) < 0)
                rd->errors++;
}

/* The section read so far is whole: checks it and adds what it says. */
static void end_section(struct reader *rd)
{
        char who[300];
        snprintf(who, sizeof(who), "%s:%d", rd->path, rd->sec_line);
        if (rd->sec == SEC_LINK)
                end_link(rd, who);
        else if (rd->sec == SEC_RELAY)
                end_relay(rd, who);
        for (int i = 0; i < rd->n_keys; i++)
                free(rd->values[i]);
        rd->n_keys = 0;
        rd->sec = SEC_NONE;
}

static void begin_section(struct reader *rd, const char *head, size_t len)
{
        end_section(rd);
        rd->sec = SEC_BAD;
        rd->sec_line = rd->line;
        char name[128];
        if (len >= sizeof(name)) {
                error_at(rd, rd->line, "section name too long");
                return;
        }
        memcpy(name, head, len);
        name[len] = 0;
        for (int i = 0; i < rd->n_seen; i++)
                if (!strcmp(rd->seen[i], name)) {
                        error_at(rd, rd->line, "[%s] given twice (first on line %d)", name,
                                 rd->seen_line[i]);
                        return;
                }
        if (rd->n_seen == MAX_SECTIONS) {
                error_at(rd, rd->line, "too many sections (at most %d)", MAX_SECTIONS);
                return;
        }
        snprintf(rd->seen[rd->n_seen], sizeof(rd->seen[0]), "%s", name);
        rd->seen_line[rd->n_seen++] = rd->line;
        if (!strcmp(name, "daemon")) {
                rd->sec = SEC_DAEMON;
                return;
        }
        char *space = strchr(name, ' ');
        const char *rest = space ? space + 1 + strspn(space + 1, " ") : "";
        if (space)
                *space = 0;
        if (!*rest || strchr(rest, ' ')) {
                error_at(rd, rd->line, "[%s%s%s]: want [daemon], [link NAME] or [KIND NAME]", name,
                         space ? " " : "", rest);
                return;
        }
        snprintf(rd->sec_name, sizeof(rd->sec_name), "%s", rest);
        if (!strcmp(name, "link")) {
                rd->sec = SEC_LINK;
                return;
        }
        if ((rd->kind = umptcpd_relay_kind_by_name(name))) {
                rd->sec = SEC_RELAY;
                return;
        }
        error_at(rd, rd->line,
                 "unknown section [%s %s] (want daemon, link, forward, accept, socks, "
                 "http-connect or transparent)",
                 name, rest);
}

/* inih reads the file through this, so that the line each handler call is about is known
 * (Debian's inih passes no line number), and so that section headers are seen even for a
 * section without keys. */
static char *read_line(char *buf, int size, void *stream)
{
        struct reader *rd = stream;
        if (!fgets(buf, size, rd->f))
                return NULL;
        rd->line++;
        size_t len = strlen(buf);
        if (len && buf[len - 1] != '\n' && !feof(rd->f)) {
                error_at(rd, rd->line, "line too long (at most %d characters)", size - 3);
                int ch;
                while ((ch = fgetc(rd->f)) != EOF && ch != '\n')
                        ;
                snprintf(buf, (size_t)size, "\n");
                return buf;
        }
        const char *p = buf + strspn(buf, " \t");
        if (*p == '[') {
                const char *end = strchr(p, ']');
                if (!end) {
                        error_at(rd, rd->line, "section header without ']'");
                        rd->sec = SEC_BAD;
                        snprintf(buf, (size_t)size, "\n");
                } else {
                        begin_section(rd, p + 1, (size_t)(end - p - 1));
                }
        } else if (*p && *p != '\n' && *p != '\r' && *p != ';' && *p != '#' && !strpbrk(p, "=:")) {
                error_at(rd, rd->line, "want KEY = VALUE, not '%.*s'", (int)strcspn(p, "\r\n"), p);
                snprintf(buf, (size_t)size, "\n");
        }
        return buf;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
        struct reader *rd = user;
        (void)section;
        int line = rd->line;
        switch (rd->sec) {
        case SEC_BAD:
                return 1; /* its header was refused */
        case SEC_NONE:
                error_at(rd, line, "%s outside a section", key);
                return 1;
        case SEC_DAEMON: {
                const struct umptcpd_option *d = umptcpd_option_by_key(key);
                if (!d) {
                        error_at(rd, line, "unknown key '%s' in [daemon]", key);
                        return 1;
                }
                int *seen = &rd->seen_daemon_key[UMPTCPD_SLOT(d->id)];
                if (*seen) {
                        error_at(rd, line, "%s given twice (first on line %d)", key, *seen);
                        return 1;
                }
                *seen = line;
                char who[300];
                snprintf(who, sizeof(who), "%s:%d", rd->path, line);
                if (umptcpd_option_apply(rd->o, d, value, who) < 0)
                        rd->errors++;
                return 1;
        }
        case SEC_LINK:
        case SEC_RELAY: {
                int known = 0;
                if (rd->sec == SEC_LINK) {
                        for (size_t i = 0; i < N_LINK_KEYS; i++)
                                known |= !strcmp(key, link_keys[i]);
                } else {
                        known = !strcmp(key, "listen") ||
                                (rd->kind->has_target && !strcmp(key, "target")) ||
                                umptcpd_relay_key(rd->kind, key);
                }
                const char *kind = rd->sec == SEC_LINK ? "link" : rd->kind->name;
                int first;
                if (!known) {
                        error_at(rd, line, "unknown key '%s' in [%s %s]", key, kind, rd->sec_name);
                } else if (section_value(rd, key, &first)) {
                        error_at(rd, line, "%s given twice (first on line %d)", key, first);
                } else if (!*value) {
                        error_at(rd, line, "%s has no value", key);
                } else if (rd->n_keys < MAX_SECTION_KEYS && strlen(key) < sizeof(rd->keys[0])) {
                        snprintf(rd->keys[rd->n_keys], sizeof(rd->keys[0]), "%s", key);
                        rd->values[rd->n_keys] = strdup(value);
                        rd->key_lines[rd->n_keys++] = line;
                }
                return 1;
        }
        }
        return 1;
}

/* A password in a file others may read, or change (to a password of theirs, or a relay
 * of theirs), is theirs too. A warning, not a refusal: the secret is out by the time it is
 * read, refusing would not take it back, and a reload would stop applying the file at all;
 * the warning says what to do. Checked on the descriptor read, not on the path again. */
static void check_secrets(const struct reader *rd, int first_relay)
{
        const struct umptcpd_relay *with = NULL;
        for (int i = first_relay; i < rd->o->n_relays && !with; i++)
                if (rd->o->relays[i].spec.password)
                        with = &rd->o->relays[i];
        struct stat sb;
        if (!with || fstat(fileno(rd->f), &sb) < 0)
                return;
        if (sb.st_mode & (S_IWGRP | S_IXGRP | S_IRWXO))
                fprintf(stderr,
                        "umptcpd: warning: %s holds a password (%s) and its mode %04o lets others "
                        "read it or write it: chmod 0600 it (0640 for a group that reads it)\n",
                        rd->path, with->origin, (unsigned)(sb.st_mode & 07777));
        if (sb.st_uid != geteuid())
                fprintf(stderr,
                        "umptcpd: warning: %s holds a password (%s) and is owned by uid %u, not "
                        "by uid %u that runs umptcpd: its owner can change it\n",
                        rd->path, with->origin, (unsigned)sb.st_uid, (unsigned)geteuid());
}

int umptcpd_read_config(struct umptcpd_opts *o)
{
        struct reader *rd = calloc(1, sizeof(*rd));
        if (!rd) {
                fprintf(stderr, "umptcpd: %s: out of memory\n", o->config);
                return 1;
        }
        rd->path = o->config;
        rd->o = o;
        if (!(rd->f = fopen(o->config, "r"))) {
                fprintf(stderr, "umptcpd: cannot read %s: %s\n", o->config, strerror(errno));
                free(rd);
                return 1;
        }
        int first_relay = o->n_relays;
        int first_bad = ini_parse_stream(read_line, rd, on_key, rd);
        if (first_bad == 0 || first_bad > 0)
                end_section(rd);
        check_secrets(rd, first_relay);
        if (first_bad < 0 || ferror(rd->f))
                error_at(rd, rd->line, "cannot read: %s",
                         first_bad == -2 ? "out of memory" : "I/O error");
        else if (first_bad > 0 && !rd->errors)
                error_at(rd, first_bad, "cannot parse this line");
        fclose(rd->f);
        int errors = rd->errors;
        free(rd);
        return errors;
}
