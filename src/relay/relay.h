/* The relay's inside (include/umptcp/relay.h): its loop and timers (relay.c), its listeners
 * (relay_listen.c), and the relayed connections (relay_conn.c). */
#ifndef UM_RELAY_RELAY_H
#define UM_RELAY_RELAY_H

#include <stdint.h>
#include <sys/socket.h>
#include <umptcp/relay.h>

#include "core/counters.h"

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
        X(RelayBytesDown)

struct relay_counters {
        RELAY_COUNTER_LIST(UM_COUNTER_FIELD)
};

enum { RELAY_LISTENERS = 32, RELAY_TICK_US = 100000 };

struct relay_listener {
        int id; /* -1: a free place */
        struct um_relay *relay;
        enum um_relay_kind kind;
        int fd;         /* the kernel listener (forward), or the umptcp one (accept) */
        unsigned flags; /* UM_RELAY_* */
        struct sockaddr_storage target;
        char name[96]; /* "forward 127.0.0.1:8080 -> 10.1.1.1:80", for log lines */
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

enum relay_conn_state { RELAY_CONNECTING, RELAY_OPEN };

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
        uint8_t subflows_max; /* the most subflows MPTCP_INFO showed */
        uint8_t fallback;     /* MPTCP fell back to TCP */
        uint8_t header_bytes; /* a PROXY header the relay sent the backend first */
};

struct um_relay {
        struct um_stack *st;
        struct um_relay_config cfg;
        int epfd;
        struct relay_listener listeners[RELAY_LISTENERS];
        int next_listener_id;
        struct relay_conn *conns; /* every open relayed connection */
        unsigned n_conns;
        uint8_t *scratch;   /* a chunk read from one side before the other takes it */
        uint64_t next_tick; /* when deadlines are next looked at */
        struct relay_counters ctr;
};

/* relay_conn.c */
/* A relayed connection whose accepted side is kfd (forward) or ufd (accept); the other
 * side's connect has begun. NULL when out of memory (the caller closes what it gave). */
struct relay_conn *relay_conn_new(struct um_relay *r, const struct relay_listener *l, int kfd,
                                  int ufd, const struct sockaddr *client);
/* Moves bytes both ways as far as the sockets let them; ends the connection when both
 * ways are done, or aborts it on an error. */
void relay_conn_pump(struct relay_conn *c);
/* The kernel socket showed these epoll events. */
void relay_conn_kernel_events(struct relay_conn *c, uint32_t events);
/* A side reset: SO_LINGER 0 and close (for MPTCP, MP_FASTCLOSE). */
void relay_kernel_reset(int kfd);
void relay_umptcp_reset(struct um_stack *st, int ufd);
/* Deadlines: connect, idle. */
void relay_conn_check_time(struct relay_conn *c, uint64_t now);
/* Both sides reset, the connection freed; why goes in its log line. */
void relay_conn_abort(struct relay_conn *c, const char *why);

/* relay_listen.c */
/* A listener's socket showed it may accept. */
void relay_listener_accept(struct um_relay *r, struct relay_listener *l);
int relay_listener_open(struct um_relay *r, struct relay_listener *l,
                        const struct um_relay_listener_spec *spec, char *err, size_t errlen);
void relay_listener_close(struct um_relay *r, struct relay_listener *l);

/* relay.c: what the kernel sockets' epoll tokens point at */
enum { RELAY_TAG_LISTENER = 1, RELAY_TAG_CONN = 2 };
/* Watches fd for events (EPOLL_CTL_ADD, or MOD when already watched) with a pointer. */
int relay_epoll_set(struct um_relay *r, int fd, uint32_t events, void *ptr, int add);
void relay_epoll_del(struct um_relay *r, int fd);
/* "ADDR:PORT" for log lines. */
const char *relay_addr_str(const struct sockaddr *sa, char *buf, size_t len);

#endif
