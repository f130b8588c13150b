/* The relay's inside (include/umptcp/relay.h): its state, and what its files call of each
 * other (in the order below the types). */
#ifndef UM_RELAY_RELAY_H
#define UM_RELAY_RELAY_H

#include <stdint.h>
#include <sys/socket.h>
#include <umptcp/relay.h>
#include <umptcp/socket.h>

#include "core/counters.h"
#include "relay/relay_addr.h"
#include "relay/relay_dest.h"
#include "relay/relay_proto.h"

#define RELAY_COUNTER_LIST(X)                                                                      \
        X(RelayAccepted)                                                                           \
        X(RelayRefusedFull)                                                                        \
        X(RelayConnectFailed)                                                                      \
        X(RelayConnectTimeouts)                                                                    \
        X(RelayIdleTimeouts)                                                                       \
        X(RelayResetsFromKernel)                                                                   \
        X(RelayResetsFromMptcp)                                                                    \
        X(RelayAborted)                                                                            \
        X(RelayClosed)                                                                             \
        X(RelayFallbacks)                                                                          \
        X(RelayBytesUp)                                                                            \
        X(RelayBytesDown)                                                                          \
        X(RelayRequests)                                                                           \
        X(RelayRequestBad)                                                                         \
        X(RelayRequestTimeouts)                                                                    \
        X(RelayRequestAbandoned)                                                                   \
        X(RelayAuthFailed)                                                                         \
        X(RelayResolveFailed)                                                                      \
        X(RelayNoOriginalDst)                                                                      \
        X(RelayLoopRefused)                                                                        \
        X(RelayAcceptErrors)                                                                       \
        X(RelayDestRefused)                                                                        \
        X(RelaySetupFailed)                                                                        \
        X(RelayRefusedRequesting)

struct relay_counters {
        RELAY_COUNTER_LIST(UM_COUNTER_FIELD)
};

/* RELAY_BACKLOG: each listener's listen() backlog (the stack's MPTCP listener queues at
 * most that many clients). */
enum {
        RELAY_LISTENERS = 32,
        RELAY_TICK_US = 100000,
        RELAY_ACCEPT_PAUSE_US = 100000,
        RELAY_BACKLOG = 511
};

struct relay_listener {
        int id; /* -1: a free place */
        struct um_relay *relay;
        enum um_relay_kind kind;
        int fd;         /* the kernel listener (forward), or the umptcp one (accept) */
        unsigned flags; /* UM_RELAY_* */
        struct sockaddr_storage target; /* forward and accept */
        struct sockaddr_storage bound;  /* transparent: its own address, to refuse loops */
        char *user, *password;          /* socks: RFC 1929 credentials, or NULL */
        struct relay_allow allow;       /* socks, http-connect: the destinations allowed */
        char name[96];                  /* "forward 127.0.0.1:8080 -> 10.1.1.1:80", for log lines */
        uint64_t paused_until;          /* accepting waits until then (0: not; relay_listen.c) */
        unsigned conns_at_pause;        /* r->n_conns then: one fewer frees a descriptor */
};

/* Bytes of one direction that the receiving side has not taken yet. */
struct relay_held {
        uint8_t *buf; /* made when bytes wait, freed when they are gone */
        uint32_t off, len;
};

/* One direction of a relayed connection: from one side's socket to the other's. */
struct relay_dir {
        struct relay_held held;
        uint64_t bytes;
        uint8_t eof;  /* its source said it sends no more */
        uint8_t shut; /* and its sink was told so (shutdown SHUT_WR) */
};

/* A SOCKS5 or HTTP CONNECT connection reads its request (RELAY_REQUESTING), resolves a name
 * (RELAY_RESOLVING), then connects as the others do. */
enum relay_conn_state { RELAY_REQUESTING, RELAY_RESOLVING, RELAY_CONNECTING, RELAY_OPEN };

/* A name being resolved; c is NULL once its connection went before the answer came. */
struct relay_query {
        struct relay_conn *c;
};

/* What a connection needs only until its request is whole (freed then: an open
 * connection does not carry a request parser's buffer). */
struct relay_request {
        union {
                struct relay_socks socks;
                struct relay_http http;
        } p;
        char user[256], password[256]; /* the parser points at these */
        struct relay_query *query;     /* a name being resolved, or NULL */
        uint16_t port;                 /* the port asked for with a name */
        struct relay_allow allow;      /* the listener's, copied (it may close first) */
        uint8_t reading;               /* counted in r->n_requesting: not whole yet */
};

struct relay_conn {
        struct um_relay *r;
        struct relay_conn *prev, *next;
        enum um_relay_kind kind;
        enum relay_conn_state state;
        int kfd, ufd;          /* the kernel socket and the umptcp socket */
        struct relay_dir up;   /* from the kernel side to MPTCP */
        struct relay_dir down; /* from MPTCP to the kernel side */
        uint32_t epoll_events; /* what the kernel socket is watched for now */
        uint64_t started_us, active_us, connect_by_us;
        struct sockaddr_storage client, target; /* for its log line */
        const char *listener; /* its listener's name (the listener may close first) */
        char listener_name[96];
        uint8_t subflows_max;      /* the most subflows MPTCP_INFO showed */
        uint8_t fallback;          /* MPTCP fell back to TCP */
        uint8_t header_bytes;      /* a PROXY header the relay sent the backend first */
        struct relay_request *req; /* socks and http-connect, until the request is answered */
        uint64_t request_by_us;
};

/* The kinds of refusal whose log lines are rate-limited (relay_log.c), each on its own. */
enum relay_refusal {
        RELAY_REFUSAL_FULL,       /* past max_conns */
        RELAY_REFUSAL_REQUESTING, /* past max_requesting */
        RELAY_REFUSAL_DEST,       /* a destination the policy refuses */
        RELAY_REFUSAL_LOOP,       /* transparent: its destination is the listener */
        RELAY_REFUSALS
};
enum { RELAY_REFUSAL_LOG_US = 1000000 }; /* at most a line each this often, per kind */

struct relay_ratelog {
        uint64_t last_us;    /* when the kind last logged (0: never) */
        uint64_t suppressed; /* refusals not logged since */
};

struct um_relay {
        struct um_stack *st;
        struct um_relay_config cfg;
        int epfd;
        struct relay_listener listeners[RELAY_LISTENERS];
        int next_listener_id;
        struct relay_conn *conns; /* every open relayed connection */
        unsigned n_conns;
        unsigned n_paused;  /* listeners paused (relay_listeners_resume) */
        uint8_t *scratch;   /* a chunk read from one side before the other takes it */
        uint64_t next_tick; /* when deadlines are next looked at */
        struct relay_counters ctr;
        struct relay_resolver *resolver; /* made with the first listener that needs it */
        char *dns_servers;               /* cfg.dns_servers, owned */
        struct relay_metrics *metrics;   /* the metrics endpoint, or NULL (relay_metrics.h) */
        unsigned n_requesting;           /* connections whose request is not whole yet */
        struct relay_addrset host;       /* this host's addresses (relay_host.c) */
        uint64_t host_read_us;           /* when they were read (0: not yet) */
        struct relay_ratelog refusal_log[RELAY_REFUSALS];
};

/* The files below each call only files further down this list, never one above (the
 * order scripts/check-relay-calls.sh checks):
 *   relay.c             the loop: um_relay_*, and each event to its owner
 *   relay_listen.c      listeners; each accepted connection to a request or a relayed pair
 *   relay_request.c     SOCKS5, HTTP CONNECT and transparent connections until they open,
 *                       and the resolver of their names
 *   relay_conn.c        the relayed pair: connect, bytes both ways, the end
 *   relay_metrics*.c    the metrics endpoint (relay_metrics.h), beside the others
 *   relay_host.c        this host's addresses, which no destination may be
 *   relay_log.c         refusal log lines at a bounded rate
 *   relay_epoll.c, relay_sock.c, relay_addr.c, relay_dest.c, and the parsers of
 *   relay_proto.h */

/* relay_listen.c */
/* A listener's socket showed it may accept. */
void relay_listener_accept(struct um_relay *r, struct relay_listener *l);
int relay_listener_open(struct um_relay *r, struct relay_listener *l,
                        const struct um_relay_listener_spec *spec, char *err, size_t errlen);
void relay_listener_close(struct um_relay *r, struct relay_listener *l);
/* Paused listeners back on epoll once their pause is over or a connection closed. */
void relay_listeners_resume(struct um_relay *r, uint64_t now);

/* relay_request.c */
/* A SOCKS5 or HTTP CONNECT client's socket was accepted: its request is read first. */
void relay_request_start(struct um_relay *r, const struct relay_listener *l, int kfd,
                         const struct sockaddr *client);
/* A transparent listener's connection: MPTCP to its original destination. */
void relay_transparent_start(struct um_relay *r, const struct relay_listener *l, int kfd,
                             const struct sockaddr *client);
/* The kernel socket of a connection in RELAY_REQUESTING showed events. */
void relay_request_events(struct relay_conn *c, uint32_t events);
/* Deadlines of a connection with a request (c->req): the request's, the connect's (the
 * client is told), then those of relay_conn_check_time. */
void relay_request_check_time(struct relay_conn *c, uint64_t now);
/* The resolver made (once, for the first listener whose clients name hosts). */
int relay_resolver_need(struct um_relay *r, char *err, size_t errlen);
/* The resolver: its sockets' events, its timeouts each tick, and its end. */
void relay_resolver_events(struct um_relay *r, int fd, uint32_t events);
void relay_resolver_tick(struct um_relay *r);
void relay_resolver_free(struct um_relay *r);

/* relay_conn.c */
/* A relayed connection whose accepted side is kfd (forward) or ufd (accept); the other
 * side's connect has begun. NULL when it cannot be set up (out of memory, epoll full, no
 * PROXY header): counted (RelaySetupFailed) and logged with the client and why; the caller
 * resets what it gave. relay_conn_new_request fails the same way. */
struct relay_conn *relay_conn_new(struct um_relay *r, const struct relay_listener *l, int kfd,
                                  int ufd, const struct sockaddr *client);
/* A connection whose kernel side is accepted and whose umptcp side is not made yet
 * (RELAY_REQUESTING; transparent: RELAY_RESOLVING until it connects). */
struct relay_conn *relay_conn_new_request(struct um_relay *r, const struct relay_listener *l,
                                          int kfd, const struct sockaddr *client);
/* Its MPTCP connect to c->target begins (RELAY_CONNECTING); -errno when it cannot. ready
 * gets the umptcp socket's events until relay_conn_open; NULL: the connection's own, which
 * opens it once connected and resets it when the connect fails. */
int relay_conn_connect(struct relay_conn *c, um_sock_cb ready);
/* The MPTCP connect succeeded: bytes move both ways from now on (RELAY_OPEN). */
void relay_conn_open(struct relay_conn *c);
/* Why the MPTCP side failed (its SO_ERROR, ECONNRESET when it has none). */
int relay_conn_umptcp_error(const struct relay_conn *c);
/* Moves bytes both ways as far as the sockets let them; ends the connection when both
 * ways are done, or aborts it on an error. */
void relay_conn_pump(struct relay_conn *c);
/* The kernel socket showed these epoll events (any state but RELAY_REQUESTING). */
void relay_conn_kernel_events(struct relay_conn *c, uint32_t events);
/* Deadlines: connect, idle. */
void relay_conn_check_time(struct relay_conn *c, uint64_t now);
/* Both sides reset, the connection freed; why goes in its log line. Counted as aborted. */
void relay_conn_abort(struct relay_conn *c, const char *why);
/* The kernel side failed with err: counted, and both sides reset. */
void relay_conn_kernel_failed(struct relay_conn *c, int err);
/* Ends a connection whose request failed or was refused: the kernel side closed (not
 * reset: the client reads the reply it was written), the umptcp side reset if made. */
void relay_conn_refuse(struct relay_conn *c, const char *why);
/* Both sides reset (a refusal that is not the client's fault, nor the relay's: no reply). */
void relay_conn_reset(struct relay_conn *c, const char *why);
/* The kernel socket watched for what the connection's state needs now. */
void relay_conn_watch(struct relay_conn *c);
/* Bytes the client sent after its request, held for the far side. */
int relay_conn_hold_up(struct relay_conn *c, const uint8_t *p, size_t n);
/* The request's state freed, its password wiped; a name still being resolved forgets the
 * connection. Also done when the connection is freed. */
void relay_conn_drop_request(struct relay_conn *c);

/* relay_sock.c */
/* A side reset: SO_LINGER 0 and close (for MPTCP, MP_FASTCLOSE). */
void relay_kernel_reset(int kfd);
void relay_umptcp_reset(struct um_stack *st, int ufd);
/* The relay's TCP_CONGESTION and socket buffers on an MPTCP socket (what is set; nothing
 * when ufd < 0). */
void relay_sock_options(struct um_relay *r, int ufd);

/* relay_host.c */
/* Whether sa is one of this host's addresses: the kernel's (any interface) or the stack's
 * own. The set is read again when older than a second. */
int relay_host_has(struct um_relay *r, const struct sockaddr *sa);
void relay_host_free(struct um_relay *r);

/* relay_log.c */
/* A refusal's log line (printf), unless its kind logged one less than
 * RELAY_REFUSAL_LOG_US ago: then only counted, and the next line says how many were not
 * logged. */
void relay_log_refusal(struct um_relay *r, enum relay_refusal kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Whether refusals wait to be told of (the loop then ticks), and their count's line for
 * each kind whose second is over (all: every kind, as the relay ends). */
int relay_log_pending(const struct um_relay *r);
void relay_log_flush(struct um_relay *r, uint64_t now, int all);

/* relay_epoll.c: what the kernel sockets' epoll tokens point at: a connection's pointer, a
 * listener's with bit 0 set, a resolver socket's descriptor shifted left by 2 with bit 1;
 * the metrics server's descriptor is the token 3 alone (both bits, no pointer). */
enum { RELAY_TAG_LISTENER = 1, RELAY_TAG_RESOLVER = 2, RELAY_TAG_MASK = 3, RELAY_TAG_METRICS = 3 };
/* Watches fd for events (EPOLL_CTL_ADD, or MOD when already watched) with a pointer. */
int relay_epoll_set(struct um_relay *r, int fd, uint32_t events, void *ptr, int add);
void relay_epoll_del(struct um_relay *r, int fd);

#endif
