/* A stack's MPTCP state: registration with TCP and the socket layer, the token table
 * (RFC 8684 §3.1: a token names a connection locally, so it must be unique), the knobs. */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_cc.h"
#include "mptcp/mptcp_pm_kernel.h"
#include "mptcp/mptcp_crypto.h"
#include "mptcp/mptcp_stack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int mptcp_stack_init(struct um_stack *st)
{
        struct mptcp_stack *ms = calloc(1, sizeof(*ms));
        if (!ms)
                return -ENOMEM;
        ms->st = st;
        if (mptcp_tokens_init(ms) < 0) {
                free(ms);
                return -ENOMEM;
        }
        ms->enabled = 1;
        ms->allow_join_initial_addr_port = 1;
        ms->pm_kernel = mptcp_pm_kernel_new(st);
        if (!ms->pm_kernel) {
                free(ms->tokens);
                free(ms);
                return -ENOMEM;
        }
        ms->add_addr_timeout = 120;
        ms->sched = &mptcp_sched_default;
        ms->rr_segments = 1;
        st->mptcp = ms;
        static const struct um_counter_name names[] = {
#define MPTCP_COUNTER_NAME(n) UM_COUNTER_NAME(struct mptcp_counters, n)
            MPTCP_COUNTER_LIST(MPTCP_COUNTER_NAME)
#undef MPTCP_COUNTER_NAME
        };
        int rc = um_counters_register(st, names, sizeof(names) / sizeof(names[0]), &ms->ctr);
        if (rc < 0)
                return rc;
        ms->ext_id = um_tcp_pkt_ext_register(st, sizeof(struct mptcp_ext));
        if (ms->ext_id < 0)
                return ms->ext_id;
        static const struct um_tcp_option_ops option_ops = {
            .kind = TCPOPT_MPTCP,
            .priority = 10,
            .parsed_size = sizeof(struct mptcp_opts),
            .parse = mptcp_options_parse,
            .write = mptcp_options_write,
        };
        ms->opt_handle = um_tcp_option_register(st, &option_ops, ms);
        if (ms->opt_handle < 0)
                return ms->opt_handle;
        rc = mptcp_cc_register(st);
        return rc < 0 ? rc : mptcp_sock_init(st);
}

void mptcp_stack_forget_listeners(struct um_stack *st)
{
        if (st->mptcp)
                mptcp_port_listeners_free(st->mptcp); /* TCP frees their connections */
}

void mptcp_stack_destroy(struct um_stack *st)
{
        struct mptcp_stack *ms = st->mptcp;
        if (!ms)
                return;
        mptcp_port_listeners_free(ms); /* forgotten already (mptcp_stack_forget_listeners) */
        while (!LIST_EMPTY(&ms->all)) {
                struct mptcp_sock *msk = LIST_FIRST(&ms->all);
                while (msk->subflows)
                        mptcp_msk_detach(msk->subflows);
                msk->orphan = 1;
                msk->sock = NULL;
                /* Listening or bound but never used: the TCP layer frees its own conns. */
                msk->listener = NULL;
                msk->pending = NULL;
                mptcp_msk_maybe_free(msk);
        }
        mptcp_pm_events_free(ms);
        mptcp_pm_kernel_free(ms->pm_kernel);
        free(ms->join_cookies);
        free(ms->tokens);
        free(ms);
        st->mptcp = NULL;
}

/* What msk, closed by its application, still owes its peer: bytes not yet acknowledged,
 * or only its DATA_FIN (1), or nothing (0). A connection that fell back owes what its TCP
 * subflow does. */
static uint64_t owed(const struct mptcp_sock *msk, int *owes)
{
        *owes = 0;
        if (!msk->orphan || msk->sock || msk->listener || msk->error || msk->fastclosed)
                return 0;
        if (msk->fallback) {
                if (!msk->first || !msk->first->tcp)
                        return 0;
                struct um_tcp_path_info pi;
                um_tcp_path_info(msk->first->tcp, &pi);
                enum um_tcp_state s = um_tcp_state(msk->first->tcp);
                *owes = pi.queued || s == UM_TCP_FIN_WAIT_1 || s == UM_TCP_CLOSING ||
                        s == UM_TCP_LAST_ACK;
                return pi.queued;
        }
        uint64_t bytes = dsn_lt(msk->snd_una, msk->write_seq) ? msk->write_seq - msk->snd_una : 0;
        *owes = bytes || (msk->snd_shutdown && !msk->data_fin_acked);
        return bytes;
}

unsigned mptcp_stack_undelivered(struct um_stack *st, uint64_t *bytes, int abort)
{
        if (!st->mptcp)
                return 0;
        unsigned n = 0;
        struct mptcp_sock *msk = LIST_FIRST(&st->mptcp->all), *next;
        for (; msk; msk = next) {
                next = LIST_NEXT(msk, all_link);
                int owes;
                uint64_t b = owed(msk, &owes);
                if (!owes)
                        continue;
                n++;
                *bytes += b;
                if (abort)
                        mptcp_fastclose(msk);
        }
        return n;
}

static int *knob(struct mptcp_stack *ms, const char *name, int *boolean)
{
        *boolean = 1;
        if (!strcmp(name, "enabled"))
                return &ms->enabled;
        if (!strcmp(name, "checksum_enabled"))
                return &ms->checksum_enabled;
        if (!strcmp(name, "allow_join_initial_addr_port"))
                return &ms->allow_join_initial_addr_port;
        if (!strcmp(name, "opportunistic_retrans"))
                return &ms->opportunistic;
        *boolean = 0;
        if (!strcmp(name, "add_addr_timeout"))
                return &ms->add_addr_timeout;
        if (!strcmp(name, "roundrobin_segments"))
                return &ms->rr_segments;
        return NULL;
}

int um_mptcp_sysctl_set(struct um_stack *st, const char *name, int value)
{
        int boolean;
        int *k = st && name ? knob(st->mptcp, name, &boolean) : NULL;
        if (!k)
                return -ENOENT;
        int max = k == &st->mptcp->rr_segments ? 64 : 86400;
        if (!boolean && (value < 1 || value > max))
                return -EINVAL;
        *k = boolean ? value != 0 : value;
        return 0;
}

int um_mptcp_sysctl_get(const struct um_stack *st, const char *name, int *value)
{
        int boolean;
        int *k = st && name ? knob(st->mptcp, name, &boolean) : NULL;
        if (!k || !value)
                return -ENOENT;
        *value = *k;
        return 0;
}

struct mptcp_pm_kernel *mptcp_pm_kernel_of(struct um_stack *st)
{
        return st->mptcp->pm_kernel;
}

void mptcp_stack_poll_end(struct um_stack *st)
{
        mptcp_pm_deliver(st->mptcp);
}

int mptcp_stack_pending(const struct um_stack *st)
{
        return mptcp_pm_events_pending(st->mptcp);
}

int um_mptcp_scheduler_set(struct um_stack *st, const char *name)
{
        const struct mptcp_sched_ops *ops = st ? mptcp_sched_find(name) : NULL;
        if (!ops)
                return -ENOENT;
        st->mptcp->sched = ops;
        return 0;
}

const char *um_mptcp_scheduler(const struct um_stack *st)
{
        return st->mptcp->sched->name;
}

const char *um_mptcp_scheduler_at(int index)
{
        const struct mptcp_sched_ops *ops = mptcp_sched_at(index);
        return ops ? ops->name : NULL;
}
