/* The stack instance: all state lives here. Time is injected by the caller. */
#ifndef UMPTCP_STACK_H
#define UMPTCP_STACK_H

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

struct um_stack;
struct um_link;

/* Log levels: a line's, and the most verbose a stack writes (um_stack_config.log_level). */
enum { UM_LOG_ERR = 0, UM_LOG_INFO = 1, UM_LOG_DEBUG = 2 };

/* Takes each log line whole (no newline) with its level; see um_stack_config.log_fn. */
typedef void um_log_fn(void *arg, int level, const char *line);

struct um_stack_config {
        /* Non-zero: every random number comes from a PRNG seeded with this value, so a
         * simulated run is exactly repeatable. Zero: a CSPRNG (OpenSSL RAND_bytes). */
        uint64_t seed;
        /* Name used in log lines ("A", "client", ...). */
        const char *name;
        /* Log verbosity: 0 errors only, 1 info, 2 debug. */
        int log_level;
        FILE *log_file; /* NULL: stderr */
        /* When set, lines go here instead, each with its level (a daemon's syslog writer
         * gives each its priority; a FILE has no place for it). */
        um_log_fn *log_fn;
        void *log_arg;
};

struct um_stack *um_stack_new(const struct um_stack_config *cfg);
void um_stack_free(struct um_stack *st);

/* Connections the application closed while their bytes, or their FIN (DATA_FIN), were
 * still on the way to the peer: the stack goes on delivering them while it runs, and
 * um_stack_free() drops them undelivered. Returns how many there are and adds the bytes
 * not yet acknowledged to *bytes (when not NULL). A process that exits waits for them
 * first, as the kernel keeps a closed socket's data. */
unsigned um_stack_undelivered(struct um_stack *st, uint64_t *bytes);
/* Resets every such connection (MP_FASTCLOSE, or RST for plain TCP), so that its peer
 * learns the rest will not come. Returns how many it reset. */
unsigned um_stack_abort_undelivered(struct um_stack *st);

/* Adds an interface driven by `link` (the stack does not own the link). Returns the
 * interface index (>= 0) or a negative errno. The first interface is the default route. */
int um_stack_add_iface(struct um_stack *st, struct um_link *link);
/* Adds "ADDR/PREFIX" (IPv4 or IPv6) to an interface. Returns 0 or a negative errno. */
int um_stack_add_addr(struct um_stack *st, int ifindex, const char *addr_prefix);

/* An interface as a monitor sees it: its link, its addresses, and the IP packets and bytes
 * its link gave the stack and took from it since it was added (what the link dropped on
 * sending is not in tx: LinkOutDrops counts it). */
enum { UM_IFACE_ADDRS = 8 };
struct um_iface_stats {
        char link[24]; /* the link's name */
        int n_addrs;
        struct sockaddr_storage addrs[UM_IFACE_ADDRS]; /* port 0 */
        int prefixes[UM_IFACE_ADDRS];
        uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
};
/* Interfaces are numbered from 0 as um_stack_add_iface returned them. Returns 0, or -ENOENT
 * past the last. */
int um_stack_iface_stats(const struct um_stack *st, int ifindex, struct um_iface_stats *out);

/* Runs everything due at `now_us` (microseconds, any epoch, never decreasing):
 * reads the links, processes timers, sends what is ready. */
void um_stack_poll(struct um_stack *st, uint64_t now_us);
/* Moves the clock to now_us without doing any work. Real-time applications call it before
 * socket calls made some time after the last poll, so that what those calls send carries
 * the right time (timestamps, RTT and loss-detection clocks). */
void um_stack_advance(struct um_stack *st, uint64_t now_us);
/* When the stack next needs um_stack_poll() without new input; UINT64_MAX if never. */
uint64_t um_stack_next_deadline(const struct um_stack *st);
/* The time of the last poll. */
uint64_t um_stack_now(const struct um_stack *st);

/* Counters: named like the MIB they follow. um_counter_get returns 0 for unknown names. */
uint64_t um_counter_get(const struct um_stack *st, const char *name);
void um_counters_print(const struct um_stack *st, FILE *out, int include_zero);
/* Every counter, in the order um_counters_print prints them. */
void um_counters_foreach(const struct um_stack *st,
                         void (*fn)(const char *name, uint64_t value, void *arg), void *arg);

/* A service beside the links that the stack's loop also waits on, such as a control
 * socket: it gives the descriptors it waits on (at most max) and is told, after each wait,
 * what they showed. um_run_once() serves them; an application with its own loop calls
 * um_stack_services_fds() and um_stack_services_ready() around its poll(). */
struct pollfd;
struct um_io_service {
        int (*fds)(void *arg, struct pollfd *out, int max);
        void (*ready)(void *arg, const struct pollfd *fds, int n);
        void (*close)(void *arg); /* optional: um_stack_free() ends the service with it */
        void *arg;
};
enum { UM_MAX_SERVICES = 4, UM_SERVICE_FDS = 64 };
/* Returns 0, -EINVAL or -ENOSPC. The stack keeps the pointer. */
int um_stack_service_add(struct um_stack *st, const struct um_io_service *svc);
void um_stack_service_remove(struct um_stack *st, const struct um_io_service *svc);
/* All services' descriptors into out (at most max); returns how many. */
int um_stack_services_fds(struct um_stack *st, struct pollfd *out, int max);
/* Hands each service its part of what um_stack_services_fds() gave, after the wait. */
void um_stack_services_ready(struct um_stack *st, const struct pollfd *fds, int n);

/* Monotonic wall clock in microseconds, for event loops that run in real time. */
uint64_t um_clock_now_us(void);

#endif
