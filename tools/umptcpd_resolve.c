/* umptcpd_resolve.h. c-ares rather than getaddrinfo_a for the reason the relay gives
 * (src/relay/relay_request.c): its sockets are polled here, in the one thread, with a
 * deadline, and nothing is left running when the deadline passes. */
#include "umptcpd_resolve.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <umptcp/stack.h>

#include "relay/relay_proto.h"

/* c-ares keeps a socket or two per server; more than this are not polled until one closes. */
enum { MAX_SOCKETS = 16, TRY_MS = 1000, TRIES = 2, PUMP_MS = 10 };

struct lookup {
        struct umptcpd_relay *r;
        const char *prefix;
        uint16_t port;
        char name[RELAY_NAME_MAX + 1];
        int done, ok;
};

struct resolver {
        struct pollfd fds[MAX_SOCKETS];
        int n_fds;
        struct lookup lookups[UMPTCPD_MAX_RELAYS];
        int n_lookups;
};

static void on_socket(void *data, ares_socket_t fd, int readable, int writable)
{
        struct resolver *rs = data;
        int i = 0;
        while (i < rs->n_fds && rs->fds[i].fd != fd)
                i++;
        if (!readable && !writable) {
                if (i < rs->n_fds)
                        rs->fds[i] = rs->fds[--rs->n_fds];
                return;
        }
        if (i == rs->n_fds) {
                if (rs->n_fds == MAX_SOCKETS)
                        return; /* its query times out instead */
                rs->n_fds++;
        }
        rs->fds[i] = (struct pollfd){
            .fd = fd, .events = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0))};
}

static void on_answer(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
        (void)timeouts;
        struct lookup *l = arg;
        l->done = 1;
        char addr[INET6_ADDRSTRLEN];
        struct ares_addrinfo_node *n = status == ARES_SUCCESS && res ? res->nodes : NULL;
        if (n && n->ai_family == AF_INET &&
            inet_ntop(AF_INET, &((struct sockaddr_in *)n->ai_addr)->sin_addr, addr, sizeof(addr)))
                snprintf(l->r->resolved, sizeof(l->r->resolved), "%s:%u", addr, l->port);
        else if (n && n->ai_family == AF_INET6 &&
                 inet_ntop(AF_INET6, &((struct sockaddr_in6 *)n->ai_addr)->sin6_addr, addr,
                           sizeof(addr)))
                snprintf(l->r->resolved, sizeof(l->r->resolved), "[%s]:%u", addr, l->port);
        else
                n = NULL;
        if (n) {
                l->r->spec.target = l->r->resolved;
                l->ok = 1;
        } else if (status == ARES_ECANCELLED) {
                fprintf(stderr, "%s%s: cannot resolve %s: no answer within %d s\n", l->prefix,
                        l->r->origin, l->name, UMPTCPD_RESOLVE_MS / 1000);
        } else {
                fprintf(stderr, "%s%s: cannot resolve %s: %s\n", l->prefix, l->r->origin, l->name,
                        status == ARES_SUCCESS ? "no IPv4 or IPv6 address" : ares_strerror(status));
        }
        if (res)
                ares_freeaddrinfo(res);
}

/* Until every lookup is done or the deadline: the relay's loop (or a plain wait) for at
 * most PUMP_MS, then c-ares' sockets and timers. */
static void run(struct resolver *rs, ares_channel ch, umptcpd_wait_fn *wait, void *arg)
{
        uint64_t deadline = um_clock_now_us() + (uint64_t)UMPTCPD_RESOLVE_MS * 1000;
        for (;;) {
                int pending = 0;
                for (int i = 0; i < rs->n_lookups; i++)
                        pending += !rs->lookups[i].done;
                uint64_t now = um_clock_now_us();
                if (!pending || now >= deadline)
                        break;
                struct timeval left = {.tv_sec = (time_t)((deadline - now) / 1000000),
                                       .tv_usec = (suseconds_t)((deadline - now) % 1000000)},
                               tv;
                struct timeval *t = ares_timeout(ch, &left, &tv);
                int ms = (int)(t->tv_sec * 1000 + (t->tv_usec + 999) / 1000);
                if (wait) {
                        wait(arg, ms < PUMP_MS ? ms : PUMP_MS);
                        ms = 0;
                }
                struct pollfd fds[MAX_SOCKETS];
                int n = rs->n_fds;
                memcpy(fds, rs->fds, sizeof(fds[0]) * (size_t)n);
                int ready = poll(fds, (nfds_t)n, ms);
                for (int i = 0; ready > 0 && i < n; i++)
                        if (fds[i].revents)
                                ares_process_fd(
                                    ch,
                                    fds[i].revents & (POLLIN | POLLERR | POLLHUP) ? fds[i].fd
                                                                                  : ARES_SOCKET_BAD,
                                    fds[i].revents & POLLOUT ? fds[i].fd : ARES_SOCKET_BAD);
                ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* the timers */
        }
        ares_cancel(ch); /* what is left answers ARES_ECANCELLED */
}

int umptcpd_resolve_targets(struct umptcpd_opts *o, const char *dns_servers, umptcpd_wait_fn *wait,
                            void *arg, const char *prefix)
{
        struct resolver rs = {0};
        for (int i = 0; i < o->n_relays; i++) {
                struct umptcpd_relay *r = &o->relays[i];
                struct relay_dest d;
                if (r->id >= 0 || !r->spec.target ||
                    relay_parse_hostport(r->spec.target, 0, &d, NULL, 0) < 0 || !d.is_name)
                        continue;
                struct lookup *l = &rs.lookups[rs.n_lookups++];
                *l = (struct lookup){.r = r, .prefix = prefix, .port = d.port};
                snprintf(l->name, sizeof(l->name), "%s", d.name);
        }
        if (!rs.n_lookups)
                return 0;
        ares_channel ch;
        struct ares_options opt = {.sock_state_cb = on_socket,
                                   .sock_state_cb_data = &rs,
                                   .timeout = TRY_MS,
                                   .tries = TRIES};
        int rc = ares_library_init(ARES_LIB_INIT_ALL);
        if (rc == ARES_SUCCESS) {
                rc = ares_init_options(
                    &ch, &opt, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
                if (rc == ARES_SUCCESS && dns_servers &&
                    (rc = ares_set_servers_ports_csv(ch, dns_servers)) != ARES_SUCCESS)
                        ares_destroy(ch);
                if (rc != ARES_SUCCESS)
                        ares_library_cleanup();
        }
        if (rc != ARES_SUCCESS) {
                fprintf(stderr, "%sresolver: %s%s%s\n", prefix, ares_strerror(rc),
                        dns_servers ? ": " : "", dns_servers ? dns_servers : "");
                return -1;
        }
        struct ares_addrinfo_hints hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
        for (int i = 0; i < rs.n_lookups; i++)
                ares_getaddrinfo(ch, rs.lookups[i].name, NULL, &hints, on_answer, &rs.lookups[i]);
        run(&rs, ch, wait, arg);
        ares_destroy(ch);
        ares_library_cleanup();
        int failed = 0;
        for (int i = 0; i < rs.n_lookups; i++)
                failed |= !rs.lookups[i].ok;
        return failed ? -1 : 0;
}
