/* What umptcpd checks and shows of its settings once they are read: that a daemon has what
 * it needs, what --check-config prints, and what a reload cannot change. */
#include "umptcpd_options.h"

#include <stdio.h>
#include <string.h>

int umptcpd_check_complete(const struct umptcpd_opts *o)
{
        if (!o->n_links) {
                fprintf(stderr, "umptcpd: need at least one --link tun:IFNAME:ADDR/PREFIX "
                                "(or a [link NAME] section)\n");
                return -1;
        }
        if (!o->n_relays) {
                fprintf(stderr, "umptcpd: nothing to relay: give --forward, --accept, --socks, "
                                "--http-connect or --transparent (or their sections)\n");
                return -1;
        }
        int bad_announce = 0;
        for (int i = 0; i < o->n_announce; i++) {
                const struct umptcpd_announce *a = &o->announce[i];
                /* The joins it draws must arrive on one of our links; an address that only a
                 * NAT in front makes ours is not supported (docs/DEPLOY.md). */
                if (!umptcpd_announce_on_link(a, o->links, o->n_links)) {
                        fprintf(stderr,
                                "%s: bad --announce '%s': %s is not the address of any link "
                                "(joins to it would not reach this daemon)\n",
                                strcmp(a->origin, "--announce") ? a->origin : "umptcpd", a->text,
                                a->addr);
                        bad_announce = 1;
                }
        }
        /* The userspace manager announces nothing on its own (mptcp_pm.h). */
        if (o->n_announce && o->path_manager && !strcmp(o->path_manager, "userspace")) {
                fprintf(stderr, "umptcpd: announce needs the built-in path manager "
                                "(--path-manager kernel)\n");
                bad_announce = 1;
        }
        return bad_announce ? -1 : 0;
}

int umptcpd_report_fixed(const struct umptcpd_opts *a, const struct umptcpd_opts *b)
{
        int n = 0;
        int links_differ = a->n_links != b->n_links;
        for (int i = 0; i < a->n_links && !links_differ; i++)
                links_differ = strcmp(a->link_text[i], b->link_text[i]) != 0;
        if (links_differ) {
                fprintf(stderr, "umptcpd: reload: the links differ; they change only when "
                                "umptcpd restarts\n");
                n++;
        }
        const struct umptcpd_option *d;
        for (size_t i = 0; (d = umptcpd_option(i)); i++) {
                int slot = UMPTCPD_SLOT(d->id);
                const char *x = a->given[slot], *y = b->given[slot];
                if (d->id == O_LINK || !d->restart || (!x && !y) || (x && y && !strcmp(x, y)))
                        continue;
                fprintf(stderr,
                        "umptcpd: reload: %s differs (%s, was %s); it changes only when "
                        "umptcpd restarts\n",
                        d->name, y ? y : "unset", x ? x : "unset");
                n++;
        }
        return n;
}

const char *umptcpd_relay_shown(const struct umptcpd_relay *r, char *buf, size_t len)
{
        return umptcpd_arg_shown(r->key, buf, len);
}

void umptcpd_warn_secrets(const struct umptcpd_opts *o)
{
        for (int i = 0; i < o->n_relays; i++) {
                const struct umptcpd_relay *r = &o->relays[i];
                if (!r->spec.password || r->origin[0] != '-')
                        continue;
                char shown[sizeof(r->key)];
                umptcpd_relay_shown(r, shown, sizeof(shown));
                fprintf(stderr,
                        "umptcpd: warning: --%s: its password is visible to local users (in "
                        "/proc/PID/cmdline); give it in the config file (-c, mode 0600) instead\n",
                        shown);
        }
}

void umptcpd_print(const struct umptcpd_opts *o, FILE *out)
{
        const struct umptcpd_option *d;
        for (size_t i = 0; (d = umptcpd_option(i)); i++) {
                const char *v = o->given[UMPTCPD_SLOT(d->id)];
                if (d->in_file && v)
                        fprintf(out, "%s = %s\n", d->name, v);
        }
        for (int i = 0; i < o->n_links; i++)
                fprintf(out, "link %s\n", o->link_text[i]);
        for (int i = 0; i < o->n_relays; i++) {
                char shown[sizeof(o->relays[i].key)];
                fprintf(out, "%s (%s)\n", umptcpd_relay_shown(&o->relays[i], shown, sizeof(shown)),
                        o->relays[i].origin);
        }
}
