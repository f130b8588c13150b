/* Two stacks over one emulated link, with a connection between them (pair.h). */
#include "pair.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <umptcp/mptcp.h>
#include <umptcp/sim.h>

static struct um_stack *make(const char *name, uint64_t seed, struct um_link *l, const char *a)
{
        struct um_stack_config c = {.seed = seed, .name = name};
        struct um_stack *st = um_stack_new(&c);
        if (st) {
                int i = um_stack_add_iface(st, l);
                um_stack_add_addr(st, i, a);
        }
        return st;
}

void pair_run(struct pair *p, uint64_t us)
{
        struct um_stack *s[2] = {p->cli, p->srv};
        uint64_t until = p->now + us;
        um_sim_run(s, 2, &p->now, until, NULL, NULL);
        /* Time passes even when nothing is left to happen (the loop stops early then). */
        p->now = until;
        um_stack_poll(p->cli, until);
        um_stack_poll(p->srv, until);
}

int pair_open(struct pair *p, const struct um_emu_dir_config *fwd,
              const struct um_emu_dir_config *rev, uint64_t seed)
{
        return pair_open_proto(p, fwd, rev, seed, IPPROTO_TCP);
}

int pair_open_proto(struct pair *p, const struct um_emu_dir_config *fwd,
                    const struct um_emu_dir_config *rev, uint64_t seed, int proto)
{
        memset(p, 0, sizeof(*p));
        p->lfd = p->cfd = p->sfd = -1;
        if (um_link_emu_pair(fwd, rev, 1500, seed, &p->lc, &p->ls))
                return -1;
        p->cli = make("client", seed + 1, p->lc, "10.0.0.1/24");
        p->srv = make("server", seed + 2, p->ls, "10.0.0.2/24");
        if (!p->cli || !p->srv)
                return -1;
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(5001)};
        inet_pton(AF_INET, "10.0.0.2", &sa.sin_addr);
        p->lfd = um_socket(p->srv, AF_INET, SOCK_STREAM, proto);
        if (um_bind(p->srv, p->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
            um_listen(p->srv, p->lfd, 8))
                return -1;
        p->cfd = um_socket(p->cli, AF_INET, SOCK_STREAM, proto);
        if (um_connect(p->cli, p->cfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
            errno != EINPROGRESS)
                return -1;
        for (int i = 0; i < 100 && p->sfd < 0; i++) {
                pair_run(p, 10000);
                p->sfd = um_accept(p->srv, p->lfd, NULL, NULL);
        }
        return p->sfd >= 0 && (um_sock_events(p->cli, p->cfd) & POLLOUT) ? 0 : -1;
}

int pair_two_paths(struct um_stack **relay, struct um_stack **far, struct um_link *links[4],
                   uint64_t seed, FILE *log)
{
        *relay =
            um_stack_new(&(struct um_stack_config){.seed = seed, .name = "relay", .log_file = log});
        *far = um_stack_new(&(struct um_stack_config){.seed = seed + 1, .name = "far"});
        if (!*relay || !*far)
                return -1;
        struct um_emu_dir_config d = {.rate_bps = 1000000000, .delay_us = 1000};
        for (int p = 0; p < 2; p++) {
                if (um_link_emu_pair(&d, &d, 1500, seed + (uint64_t)p, &links[2 * p],
                                     &links[2 * p + 1]))
                        return -1;
                char a[32];
                int i = um_stack_add_iface(*relay, links[2 * p]);
                snprintf(a, sizeof(a), "10.0.%d.1/24", p + 1);
                if (i < 0 || um_stack_add_addr(*relay, i, a))
                        return -1;
                i = um_stack_add_iface(*far, links[2 * p + 1]);
                snprintf(a, sizeof(a), "10.0.%d.2/24", p + 1);
                if (i < 0 || um_stack_add_addr(*far, i, a))
                        return -1;
        }
        return um_mptcp_endpoint_add(*relay, "10.0.2.1", UM_MPTCP_PM_SUBFLOW, 0) > 0 ? 0 : -1;
}

void pair_close(struct pair *p)
{
        um_stack_free(p->cli);
        um_stack_free(p->srv);
        um_link_destroy(p->lc);
        um_link_destroy(p->ls);
}
