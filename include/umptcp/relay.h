/* The relay behind umptcpd: kernel TCP sockets on one side, MPTCP connections of a umptcp
 * stack on the other, and bytes carried between them with nothing lost and little held
 * (docs/RELAY.md). It runs the stack in real time in its own loop: the stack's links and
 * services (a control socket), the relayed kernel sockets (epoll) and the next deadline.
 *
 * Each relayed connection is a pair: a kernel socket and an umptcp socket. Bytes go one
 * way only while the other side takes them (at most buffer_bytes held each way); a
 * half-close crosses as a half-close (FIN and DATA_FIN), a reset as a reset (a kernel RST
 * aborts the MPTCP connection with MP_FASTCLOSE, an MPTCP reset resets the kernel side). */
#ifndef UMPTCP_RELAY_H
#define UMPTCP_RELAY_H

#include <stddef.h>
#include <stdint.h>

struct um_stack;
struct um_relay;

/* Sizes and limits; a zero field takes its default. */
struct um_relay_config {
        unsigned max_conns;    /* relayed at once (4096); past it, refused and counted */
        unsigned buffer_bytes; /* held at most each way of a connection (65536) */
        /* Each MPTCP socket's send and receive buffer (0: the stack's, 4 MiB each): with
         * buffer_bytes, what bounds a connection's memory (docs/RELAY.md, "Memory"). */
        unsigned socket_buffer_bytes;
        unsigned connect_timeout_ms; /* to reach the far end (10000) */
        unsigned idle_timeout_ms;    /* no byte either way: aborted (3600000) */
        unsigned request_timeout_ms; /* a SOCKS or HTTP request must be whole (10000) */
        /* SOCKS5 and HTTP CONNECT clients whose request is not whole yet, at once
         * (max(8, max_conns / 4)): past it a new one is reset, counted and logged, so that
         * clients that connect and say nothing cannot take every one of max_conns. */
        unsigned max_requesting;
        const char *congestion; /* TCP_CONGESTION of the MPTCP sockets (NULL: the stack's) */
        /* The DNS servers that SOCKS5 and HTTP CONNECT names are resolved with, "ADDR[:PORT]"
         * comma-separated (NULL: /etc/resolv.conf's, and /etc/hosts first). */
        const char *dns_servers;
};

/* What a listener does with what it accepts. */
enum um_relay_kind {
        UM_RELAY_FORWARD, /* kernel TCP listener; MPTCP to the target */
        UM_RELAY_ACCEPT,  /* umptcp MPTCP listener; kernel TCP to the target */
        /* Kernel TCP listeners whose connections go on over MPTCP to a destination each
         * chooses (no target): */
        UM_RELAY_SOCKS,        /* asked for in a SOCKS5 CONNECT (RFC 1928, RFC 1929) */
        UM_RELAY_HTTP_CONNECT, /* asked for in an HTTP CONNECT (RFC 9110 §9.3.6) */
        UM_RELAY_TRANSPARENT,  /* the original destination of a connection nftables
                                  redirected here (REDIRECT or TPROXY) */
};

enum {
        UM_RELAY_PROXY_V2 = 1 << 0, /* accept: the target gets a PROXY v2 header first */
};

struct um_relay_listener_spec {
        enum um_relay_kind kind;
        const char *listen; /* "ADDR:PORT", "[V6ADDR]:PORT"; accept also "PORT" (any) */
        const char *target; /* "HOST:PORT": a name is resolved when the listener opens;
                               NULL for socks, http-connect and transparent */
        unsigned flags;     /* UM_RELAY_* */
        /* socks: the RFC 1929 username and password every client must give (NULL: no
         * authentication). Copied. */
        const char *user, *password;
        /* socks and http-connect: the destinations clients may ask for, "CIDR[;CIDR...]"
         * (IPv4 or IPv6, "/BITS" or a single host; at most 16), NULL for any. Whatever it
         * says, these are refused (also for transparent): unspecified, loopback, multicast,
         * the limited broadcast, each also IPv4-mapped, IPv4-compatible or NAT64
         * (64:ff9b::/96), and every address of this host (the kernel's and the stack's).
         * Link-local (169.254.0.0/16, fe80::/10) is refused too unless a prefix of the
         * allow-list that lies inside that range names it (docs/RELAY.md). */
        const char *allow;
};

/* Returns 0 and *out, or -errno. The relay does not own the stack. */
int um_relay_new(struct um_stack *st, const struct um_relay_config *cfg, struct um_relay **out);
/* Opens a listener. Returns its id (>= 0), or -errno with the reason in err. */
int um_relay_listen(struct um_relay *r, const struct um_relay_listener_spec *spec, char *err,
                    size_t errlen);
/* The address a listener is bound to (its port chosen by the system when it asked for 0).
 * Returns 0 or -ENOENT. */
struct sockaddr_storage;
int um_relay_listener_addr(const struct um_relay *r, int id, struct sockaddr_storage *out);
/* Closes a listener; the connections it accepted go on. Returns 0 or -ENOENT. */
int um_relay_unlisten(struct um_relay *r, int id);
/* One round of the loop: waits at most timeout_ms (-1: as long as nothing is due) for the
 * links, the services, the kernel sockets and the next deadline, then does what came. */
void um_relay_run_once(struct um_relay *r, int timeout_ms);
/* Stops accepting (every listener closed); what is open goes on. */
void um_relay_drain(struct um_relay *r);
/* Relayed connections open now. */
unsigned um_relay_active(const struct um_relay *r);
/* Aborts every relayed connection (both sides reset). */
void um_relay_abort_all(struct um_relay *r);
/* A Prometheus endpoint: an HTTP server on a kernel TCP address (port 0: one the system
 * chooses) that answers GET and HEAD /metrics with the text format 0.0.4: every counter
 * of the stack (the relay's among them), the relay's gauges, and each link's traffic and
 * subflows (docs/RELAY.md, "Metrics"). It runs in the relay's loop (no thread), takes at
 * most 16 connections (4 from one address), each for at most 10 s, and logs each request
 * it refuses. Opening again replaces the endpoint open; when the new one cannot open, the
 * old one stays. Returns 0, or -errno with the reason (and the address) in err. */
int um_relay_metrics_open(struct um_relay *r, const struct sockaddr_storage *addr, char *err,
                          size_t errlen);
/* The address the endpoint is bound to. Returns 0 or -ENOENT (none open). */
int um_relay_metrics_addr(const struct um_relay *r, struct sockaddr_storage *out);
/* Closes the endpoint (nothing when none is open). */
void um_relay_metrics_close(struct um_relay *r);
/* Aborts what is open, closes the listeners, frees the relay (not the stack). */
void um_relay_free(struct um_relay *r);

#endif
