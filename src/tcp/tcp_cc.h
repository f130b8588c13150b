/* Pluggable congestion control. Window values are in bytes. The framework handles slow
 * start after RTO and PRR during recovery; a module decides growth and the loss response. */
#ifndef UM_TCP_CC_H
#define UM_TCP_CC_H

#include <stdint.h>
#include "tcp_ext.h"

struct um_tcp_conn;

struct tcp_cc_ops {
        const char *name;
        void (*init)(struct um_tcp_conn *c);
        /* `acked` bytes newly delivered outside recovery; grows c->cwnd. */
        void (*on_ack)(struct um_tcp_conn *c, uint32_t acked);
        /* A loss was detected: returns the new ssthresh. */
        uint32_t (*ssthresh)(struct um_tcp_conn *c);
        /* Recovery ended (cwnd was set to ssthresh). */
        void (*on_recovery_exit)(struct um_tcp_conn *c);
};

extern const struct tcp_cc_ops tcp_cc_reno;
extern const struct tcp_cc_ops tcp_cc_cubic;

/* A module an extension registered (um_tcp_cc_register): its ops behind TCP's own, which
 * call them with its argument. */
struct tcp_cc_module {
        struct tcp_cc_ops ops;
        const struct um_tcp_cc_ops *ext;
        void *arg;
};

/* Looks a module up by name, built in ("reno", "cubic") or registered with the stack; NULL
 * if unknown. */
const struct tcp_cc_ops *tcp_cc_find(const struct um_stack *st, const char *name);
/* RFC 5681 slow start: grow by what was acked (no more than 2 MSS per ACK of a stretch
 * ACK beyond ssthresh). Returns the bytes not used (to carry into avoidance). */
uint32_t tcp_cc_slow_start(struct um_tcp_conn *c, uint32_t acked);

#endif
