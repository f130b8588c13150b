/* Connection lifetime: allocation, the 4-tuple table, state changes, ISNs, ports. */
#include "core/bytes.h"
#include "core/siphash.h"
#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct um_tcp_conn *tcp_conn_new(struct um_stack *st)
{
        struct um_tcp_conn *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        struct um_tcp_stack *t = st->tcp;
        c->st = st;
        c->state = TCPS_CLOSED;
        c->ifindex = -1;
        c->rto_us = TCP_INIT_RTO_US;
        c->sndbuf_max = TCP_DEFAULT_SNDBUF;
        c->rcvbuf_max = TCP_MAX_BUF;
        c->keep_idle_s = 7200;
        c->keep_intvl_s = 75;
        c->keep_cnt = 9;
        c->cc = t->default_cc;
        c->ssthresh = UINT32_MAX;
        c->start_us = st->now;
        tcp_timer_init(c);
        c->txq.size = sizeof(struct tcp_txseg);
        c->rtxq.size = sizeof(struct tcp_rtx);
        STAILQ_INIT(&c->acceptq);
        LIST_INSERT_HEAD(&t->all, c, all_link);
        return c;
}

/* The rings get their sizes now and their memory with their first bytes. */
int tcp_conn_alloc_buffers(struct um_tcp_conn *c)
{
        if (!c->sndbuf.cap)
                um_ring_init_lazy(&c->sndbuf, c->sndbuf_max);
        if (!c->rcvbuf.cap)
                um_ring_init_lazy(&c->rcvbuf, c->user_rcvbuf ? c->rcvbuf_max : TCP_DEFAULT_RCVBUF);
        return 0;
}

static uint32_t tuple_hash(const struct um_tcp_stack *t, const struct um_addr *laddr,
                           uint16_t lport, const struct um_addr *raddr, uint16_t rport)
{
        return tcp_tuple_hash(t, laddr, lport, raddr, rport) & t->hash_mask;
}

/* Twice the buckets, every connection filed again: lookups stay O(1) as connections grow.
 * Without memory for it the table stays as it is (longer chains, nothing lost). */
static void hash_grow(struct um_tcp_stack *t)
{
        uint32_t old_n = t->hash_mask + 1;
        struct tcp_chain *old = t->hash, *h = calloc(2 * (size_t)old_n, sizeof(*h));
        if (!h)
                return;
        t->hash = h;
        t->hash_mask = 2 * old_n - 1;
        for (uint32_t i = 0; i < old_n; i++)
                while (!LIST_EMPTY(&old[i])) {
                        struct um_tcp_conn *c = LIST_FIRST(&old[i]);
                        LIST_REMOVE(c, hash_link);
                        LIST_INSERT_HEAD(
                            &h[tuple_hash(t, &c->laddr, c->lport, &c->raddr, c->rport)], c,
                            hash_link);
                }
        free(old);
}

void tcp_hash_insert(struct um_tcp_conn *c)
{
        struct um_tcp_stack *t = tcp_of(c);
        uint32_t b = tuple_hash(t, &c->laddr, c->lport, &c->raddr, c->rport);
        LIST_INSERT_HEAD(&t->hash[b], c, hash_link);
        if (++t->n_hashed > t->hash_mask + 1)
                hash_grow(t);
}

/* Out of its hash chain or the listeners, if it was in one. */
void tcp_hash_remove(struct um_tcp_conn *c)
{
        if (!c->hash_link.le_prev)
                return;
        LIST_REMOVE(c, hash_link);
        c->hash_link.le_prev = NULL;
        if (tcp_of(c)->last_found == c)
                tcp_of(c)->last_found = NULL;
        if (c->state != TCPS_LISTEN) /* a listener was in the listeners, not the table */
                tcp_of(c)->n_hashed--;
}

static int has_tuple(const struct um_tcp_conn *c, const struct um_addr *laddr, uint16_t lport,
                     const struct um_addr *raddr, uint16_t rport)
{
        return c->lport == lport && c->rport == rport && um_addr_eq(&c->laddr, laddr) &&
               um_addr_eq(&c->raddr, raddr);
}

struct um_tcp_conn *tcp_lookup(struct um_stack *st, const struct um_addr *laddr, uint16_t lport,
                               const struct um_addr *raddr, uint16_t rport)
{
        struct um_tcp_stack *t = st->tcp;
        /* A burst's segments are mostly one connection's: the keyed hash is skipped for it. */
        if (t->last_found && has_tuple(t->last_found, laddr, lport, raddr, rport))
                return t->last_found;
        struct um_tcp_conn *c;
        LIST_FOREACH(c, &t->hash[tuple_hash(t, laddr, lport, raddr, rport)], hash_link)
        if (has_tuple(c, laddr, lport, raddr, rport))
                return t->last_found = c;
        return NULL;
}

struct um_tcp_conn *tcp_lookup_listener(struct um_stack *st, const struct um_addr *laddr,
                                        uint16_t lport)
{
        struct um_tcp_conn *wild = NULL;
        struct um_tcp_conn *c;
        LIST_FOREACH(c, &st->tcp->listeners, hash_link)
        {
                if (c->lport != lport)
                        continue;
                if (um_addr_eq(&c->laddr, laddr))
                        return c;
                /* A wildcard listener of the family, or an AF_INET6 wildcard for both. */
                if (um_addr_is_any(&c->laddr) &&
                    (c->laddr.family == laddr->family || c->laddr.family == AF_INET6 ||
                     c->laddr.family == 0))
                        wild = c;
        }
        return wild;
}

static void free_conn(struct um_tcp_conn *c)
{
        if (c->ulp && c->ulp->release)
                c->ulp->release(c);
        LIST_REMOVE(c, all_link);
        tcp_tw_unschedule(c);
        if (c->port_link.le_prev)
                LIST_REMOVE(c, port_link);
        um_ring_free(&c->sndbuf, &c->st->rings);
        um_ring_free(&c->rcvbuf, &c->st->rings);
        um_ranges_free(&c->reass);
        um_recq_free(&c->txq);
        um_recq_free(&c->rtxq);
        free(c);
}

/* A child freed before accept() leaves its listener's queue first: accept() must never
 * hand out freed memory. (One that merely closed stays queued, as on Linux: accept()
 * returns it with the data it received and its error.) */
static void accept_queue_unlink(struct um_tcp_conn *l, struct um_tcp_conn *c)
{
        struct um_tcp_conn *x;
        STAILQ_FOREACH(x, &l->acceptq, aq_link)
        if (x == c) {
                STAILQ_REMOVE(&l->acceptq, c, um_tcp_conn, aq_link);
                l->n_acceptq--;
                return;
        }
}

/* Moves a connection to CLOSED. Its memory goes when no socket holds it, at the end of
 * the poll (so that code up the call stack may still look at it). */
void tcp_done(struct um_tcp_conn *c, int err)
{
        if (c->dead)
                return;
        if (err && !c->error)
                c->error = err;
        if (c->state != TCPS_CLOSED) {
                tcp_hash_remove(c);
                if (c->state == TCPS_LISTEN) {
                        /* Children not yet accepted go with their listener. */
                        while (!STAILQ_EMPTY(&c->acceptq)) {
                                struct um_tcp_conn *child = STAILQ_FIRST(&c->acceptq);
                                STAILQ_REMOVE_HEAD(&c->acceptq, aq_link);
                                child->parent = NULL;
                                child->orphan = 1;
                                tcp_send_rst(child);
                                tcp_done(child, ECONNABORTED);
                        }
                        struct um_tcp_conn *x;
                        LIST_FOREACH(x, &tcp_of(c)->all, all_link)
                        if (x->parent == c) {
                                x->parent = NULL;
                                x->orphan = 1;
                                tcp_done(x, ECONNABORTED);
                        }
                }
                if (c->parent && c->state == TCPS_SYN_RECEIVED) {
                        c->parent->n_embryonic--;
                        c->parent = NULL;
                        c->orphan = 1;
                }
                tcp_set_state(c, TCPS_CLOSED);
        }
        for (int k = 0; k < TCP_T_COUNT; k++)
                c->deadline[k] = 0;
        um_timer_cancel(&c->st->timers, &c->timer);
        if (c->orphan) {
                if (c->parent) {
                        accept_queue_unlink(c->parent, c);
                        c->parent = NULL;
                }
                c->dead = 1;
                tcp_hash_remove(c); /* the graveyard reuses the link */
                LIST_INSERT_HEAD(&tcp_of(c)->graveyard, c, hash_link);
        }
        tcp_notify(c);
}

void tcp_free_dead(struct um_stack *st)
{
        struct um_tcp_stack *t = st->tcp;
        while (!LIST_EMPTY(&t->graveyard)) {
                struct um_tcp_conn *c = LIST_FIRST(&t->graveyard);
                LIST_REMOVE(c, hash_link);
                free_conn(c);
        }
}

void tcp_free_all(struct um_stack *st)
{
        struct um_tcp_stack *t = st->tcp;
        tcp_free_dead(st);
        while (!LIST_EMPTY(&t->all)) {
                struct um_tcp_conn *c = LIST_FIRST(&t->all);
                um_timer_cancel(&st->timers, &c->timer);
                free_conn(c);
        }
}

/* RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), with M a
 * 4-microsecond clock and F a keyed hash (SipHash-2-4 with the stack's secret, as Linux). */
uint32_t tcp_isn(struct um_tcp_conn *c)
{
        uint8_t msg[36];
        size_t n = tcp_tuple_bytes(msg, &c->laddr, c->lport, &c->raddr, c->rport);
        return (uint32_t)(c->st->now / 4) + (uint32_t)um_siphash(tcp_of(c)->secret, msg, n);
}

void tcp_set_lport(struct um_tcp_conn *c, uint16_t port)
{
        if (c->port_link.le_prev)
                LIST_REMOVE(c, port_link);
        c->lport = port;
        LIST_INSERT_HEAD(&tcp_of(c)->ports[port % TCP_PORT_BUCKETS], c, port_link);
}

int tcp_pick_port(struct um_stack *st, struct um_tcp_conn *c)
{
        struct um_tcp_stack *t = st->tcp;
        /* The ephemeral range Linux uses (32768-60999), walked from a random start. */
        enum { LO = 32768, HI = 60999 };
        for (int tries = 0; tries < HI - LO + 1; tries++) {
                uint16_t p = t->next_port;
                t->next_port = (uint16_t)(p >= HI ? LO : p + 1);
                if (!tcp_lookup(st, &c->laddr, p, &c->raddr, c->rport) &&
                    !tcp_tw_lookup(st, &c->laddr, p, &c->raddr, c->rport) &&
                    !tcp_lookup_listener(st, &c->laddr, p)) {
                        tcp_set_lport(c, p);
                        return 0;
                }
        }
        return -EADDRNOTAVAIL;
}
