/* Keys and tokens (RFC 8684 §3.1): a key's token and IDSN, fresh keys, and the per-stack
 * table that finds a connection by its token. */
#include "mptcp/mptcp.h"
#include "mptcp/mptcp_crypto.h"

#include <errno.h>
#include <stdlib.h>

struct mptcp_stack *mptcp_stack_of(struct um_stack *st)
{
        return st->mptcp;
}

static unsigned bucket(const struct mptcp_stack *ms, uint32_t token)
{
        return (token ^ token >> 16) & ms->token_mask;
}

int mptcp_tokens_init(struct mptcp_stack *ms)
{
        ms->tokens = calloc(MPTCP_TOKEN_BUCKETS, sizeof(*ms->tokens));
        ms->token_mask = MPTCP_TOKEN_BUCKETS - 1;
        return ms->tokens ? 0 : -ENOMEM;
}

/* Twice the buckets when there are more tokens than buckets (kept as is without memory). */
static void tokens_grow(struct mptcp_stack *ms)
{
        uint32_t old_n = ms->token_mask + 1;
        struct mptcp_chain *old = ms->tokens, *t = calloc(2 * (size_t)old_n, sizeof(*t));
        if (!t)
                return;
        ms->tokens = t;
        ms->token_mask = 2 * old_n - 1;
        for (uint32_t i = 0; i < old_n; i++)
                while (!LIST_EMPTY(&old[i])) {
                        struct mptcp_sock *m = LIST_FIRST(&old[i]);
                        LIST_REMOVE(m, token_link);
                        LIST_INSERT_HEAD(&t[bucket(ms, m->local_token)], m, token_link);
                }
        free(old);
}

struct mptcp_sock *mptcp_token_lookup(struct mptcp_stack *ms, uint32_t token)
{
        struct mptcp_sock *m;
        LIST_FOREACH(m, &ms->tokens[bucket(ms, token)], token_link)
        if (m->local_token == token)
                return m;
        return NULL;
}

void mptcp_key_token_idsn(const struct mptcp_stack *ms, uint64_t key, uint32_t *token,
                          uint64_t *idsn)
{
        mptcp_key_derive(ms->st, key, token, idsn);
        if (ms->test_idsn_near_wrap)
                *idsn = 0 - (uint64_t)(1 << 20) + (*idsn & 0xffff);
}

int mptcp_token_install(struct mptcp_sock *msk, uint64_t key)
{
        uint32_t token;
        uint64_t idsn;
        mptcp_key_token_idsn(msk->ms, key, &token, &idsn);
        if (!key || mptcp_token_lookup(msk->ms, token))
                return -EADDRINUSE;
        msk->local_key = key;
        msk->local_token = token;
        msk->local_idsn = idsn;
        /* RFC 8684 §3.3: our first data byte is IDSN + 1. */
        msk->snd_una = msk->snd_nxt = msk->write_seq = msk->wnd_end = idsn + 1;
        msk->last_una_move = msk->st->now;
        struct mptcp_stack *ms = msk->ms;
        LIST_INSERT_HEAD(&ms->tokens[bucket(ms, token)], msk, token_link);
        msk->token_registered = 1;
        if (++ms->n_tokens > ms->token_mask + 1)
                tokens_grow(ms);
        return 0;
}

int mptcp_key_fresh(struct mptcp_stack *ms, uint64_t *key)
{
        /* A fresh key until its token is unused here (Linux retries the same way). */
        for (int tries = 0; tries < 16; tries++) {
                uint32_t token;
                uint64_t idsn;
                um_rng_bytes(&ms->st->rng, key, sizeof(*key));
                mptcp_key_token_idsn(ms, *key, &token, &idsn);
                if (*key && !mptcp_token_lookup(ms, token))
                        return 0;
        }
        return -EADDRINUSE;
}

int mptcp_token_new(struct mptcp_sock *msk)
{
        uint64_t key;
        return mptcp_key_fresh(msk->ms, &key) < 0 ? -EADDRINUSE : mptcp_token_install(msk, key);
}

void mptcp_token_remove(struct mptcp_sock *msk)
{
        if (!msk->token_registered)
                return;
        LIST_REMOVE(msk, token_link);
        msk->token_registered = 0;
        msk->ms->n_tokens--;
}
