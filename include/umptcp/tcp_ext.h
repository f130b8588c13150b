/* Generic TCP extension points: an option registry and an upper-layer-protocol (ULP) hook.
 * Any TCP extension can use them; nothing here is specific to one protocol. */
#ifndef UMPTCP_TCP_EXT_H
#define UMPTCP_TCP_EXT_H

#include <stdint.h>
#include <stddef.h>
#include <sys/socket.h>

struct um_stack;
struct um_tcp_conn;
struct um_pkt;
struct um_ring;

enum {
        UM_TH_FIN = 0x01,
        UM_TH_SYN = 0x02,
        UM_TH_RST = 0x04,
        UM_TH_PSH = 0x08,
        UM_TH_ACK = 0x10,
        UM_TH_URG = 0x20,
};

/* A segment being parsed or built, as option handlers and ULPs see it. */
struct um_tcp_seg_info {
        uint8_t flags;
        uint32_t seq, ack;
        uint32_t len; /* payload bytes */
        uint32_t wnd; /* received segments: the window field, scaled once established */
        const uint8_t *payload;
        struct um_pkt *pkt; /* attach or read per-segment metadata via um_tcp_pkt_ext_* */
        /* Set by a ULP's segment_out on a bare ACK (no data, SYN, FIN or RST) that it cannot
         * yet give the options its peer requires: TCP does not send it, and the ULP sends
         * an ACK itself (um_tcp_send_ack) once it can. Counted in TcpExtAckWithheld. */
        uint8_t withhold;
        /* Received segments: what the option handlers parsed (um_tcp_seg_parsed). */
        struct um_tcp_seg_parsed *parsed;
};

/* ---- Option registry ----
 * Built-in options (MSS, window scale, SACK-permitted, timestamps) are written first; then
 * registered handlers in decreasing priority, each told the room left of the 40 bytes;
 * SACK blocks fill whatever room remains last. */
enum { UM_TCP_PARSED_MAX = 256 }; /* bytes of parsed state per segment, all handlers together */

struct um_tcp_option_ops {
        uint8_t kind;
        int priority;
        /* Bytes of per-segment state that parse fills: it travels with the segment to the
         * ULP's hooks (um_tcp_seg_parsed), and is gone when the segment is. */
        size_t parsed_size;
        /* Input: one option of this kind (opt[0] = kind, opt[1] = len, len >= 2 and fits).
         * Called with the connection the segment belongs to (for a SYN to a listener: the new
         * child), and this handler's state for the segment, zeroed before its first option of
         * this kind. Return 0 to accept, negative to drop the segment (counted). */
        int (*parse)(void *arg, struct um_tcp_conn *c, const struct um_tcp_seg_info *seg,
                     const uint8_t *opt, uint8_t len, void *parsed);
        /* Output: writes this segment's option into out, at most `room` bytes; returns the
         * bytes written (0: none on this segment, or none that fits). */
        unsigned (*write)(void *arg, struct um_tcp_conn *c, const struct um_tcp_seg_info *seg,
                          uint8_t *out, unsigned room);
};

/* Registers a handler for ops->kind (not one of the built-in kinds 0-5, 8). The ops and arg
 * must outlive the stack. Returns a handle (>= 0) for um_tcp_seg_parsed, or -EEXIST,
 * -EINVAL (a built-in kind, or more parsed state than UM_TCP_PARSED_MAX) or -ENOSPC. */
int um_tcp_option_register(struct um_stack *st, const struct um_tcp_option_ops *ops, void *arg);
/* What the handler `handle` parsed from a received segment; NULL when the segment carried
 * no option of its kind (and for segments being built). */
const void *um_tcp_seg_parsed(const struct um_tcp_seg_info *seg, int handle);

/* ---- Upper-layer protocol hook ---- */
enum um_tcp_hs_step {
        UM_TCP_HS_SYN_SENT,     /* active open sent its SYN */
        UM_TCP_HS_SYN_RECEIVED, /* a listener's child got the SYN, before the SYN/ACK */
        UM_TCP_HS_SYNACK_RECEIVED,
        UM_TCP_HS_ESTABLISHED,
        /* SYN cookies (the listener's SYN queue is full): a child that lives only while the
         * SYN/ACK is built, after its SYN's options were parsed; nothing of it is kept, so
         * what it answers must be recomputable from the returning ACK. */
        UM_TCP_HS_SYN_COOKIE,
        /* A cookie came back: the child is in SYN_RECEIVED without its SYN ever seen; the
         * ACK that proves the cookie is processed on it next (options, segment_in). */
        UM_TCP_HS_COOKIE_ACK,
};

struct um_tcp_ulp_ops {
        const char *name;
        /* A listener with this ULP made a child: set the child's context (um_tcp_ulp_set). */
        int (*clone)(struct um_tcp_conn *listener, struct um_tcp_conn *child);
        /* seg: the segment that made the step, its options parsed (SYN_RECEIVED,
         * SYN_COOKIE, SYNACK_RECEIVED); NULL for the others. */
        void (*handshake)(struct um_tcp_conn *c, enum um_tcp_hs_step step,
                          const struct um_tcp_seg_info *seg);
        /* Every accepted segment, after its options were parsed, before its data is queued. */
        void (*segment_in)(struct um_tcp_conn *c, const struct um_tcp_seg_info *seg);
        /* In-order bytes [seq, seq+len) are now readable with um_tcp_read(). */
        void (*data_ready)(struct um_tcp_conn *c, uint32_t seq, uint32_t len);
        /* snd_una advanced by `bytes` to snd_una. */
        void (*acked)(struct um_tcp_conn *c, uint32_t snd_una, uint32_t bytes);
        void (*state_change)(struct um_tcp_conn *c, int old_state, int new_state);
        /* An acceptable reset arrived, its options parsed; the connection closes next. */
        void (*rst_received)(struct um_tcp_conn *c, const struct um_tcp_seg_info *seg);
        void (*write_space)(struct um_tcp_conn *c);
        /* May cap how many bytes a segment starting at seq carries (return len unchanged
         * for no cap, never 0). */
        uint32_t (*tx_limit)(struct um_tcp_conn *c, uint32_t seq, uint32_t len);
        /* May shrink the receive window TCP would announce (free bytes in its buffer), for
         * an upper layer whose own buffer is the real limit. */
        uint32_t (*rcv_space)(struct um_tcp_conn *c, uint32_t free);
        /* A segment is being built: attach metadata before options are written. */
        void (*segment_out)(struct um_tcp_conn *c, struct um_tcp_seg_info *seg);
        /* The connection is being freed. */
        void (*release)(struct um_tcp_conn *c);
};

int um_tcp_ulp_set(struct um_tcp_conn *c, const struct um_tcp_ulp_ops *ops, void *ctx);
void *um_tcp_ulp_ctx(const struct um_tcp_conn *c);

/* The TCP connection behind a plain TCP socket (NULL for other sockets). */
struct um_tcp_conn *um_tcp_conn_of(struct um_stack *st, int fd);

/* ---- What extensions may ask of a connection ---- */
/* RFC 9293 states, as um_tcp_state() reports them. */
enum um_tcp_state {
        UM_TCP_CLOSED,
        UM_TCP_LISTEN,
        UM_TCP_SYN_SENT,
        UM_TCP_SYN_RECEIVED,
        UM_TCP_ESTABLISHED,
        UM_TCP_FIN_WAIT_1,
        UM_TCP_FIN_WAIT_2,
        UM_TCP_CLOSE_WAIT,
        UM_TCP_CLOSING,
        UM_TCP_LAST_ACK,
        UM_TCP_TIME_WAIT,
};
struct um_stack *um_tcp_stack(const struct um_tcp_conn *c);
int um_tcp_state(const struct um_tcp_conn *c);
/* Whether the connection carries this ULP. */
int um_tcp_ulp_is(const struct um_tcp_conn *c, const struct um_tcp_ulp_ops *ops);
uint32_t um_tcp_snd_una(const struct um_tcp_conn *c);
uint32_t um_tcp_snd_nxt(const struct um_tcp_conn *c);
uint32_t um_tcp_rcv_nxt(const struct um_tcp_conn *c);
uint32_t um_tcp_iss(const struct um_tcp_conn *c);
uint32_t um_tcp_irs(const struct um_tcp_conn *c);
/* The connection's addresses and ports (sockaddr_in or sockaddr_in6 in each). */
void um_tcp_endpoints(const struct um_tcp_conn *c, struct sockaddr_storage *local,
                      struct sockaddr_storage *remote);
/* Option bytes an extension needs on every data segment: the payload size allows for them,
 * so its options always fit beside a full-size segment (at most 40 - 12 with timestamps). */
int um_tcp_set_option_reserve(struct um_tcp_conn *c, unsigned bytes);
/* Grows the receive buffer to `bytes` (at most the connection's maximum, and not when the
 * application set SO_RCVBUF), for an upper layer whose one window spans several
 * connections and so sees the need before any of them does. Returns 0 or -ENOMEM. */
int um_tcp_rcvbuf_reserve(struct um_tcp_conn *c, uint32_t bytes);
/* The receive buffer's size now (0 before it exists). */
uint32_t um_tcp_rcvbuf_size(const struct um_tcp_conn *c);
/* Reads (and consumes) in-order data, like recv(), without announcing the window it opens
 * (inside a hook the next ACK does; elsewhere call um_tcp_window_update()). */
long um_tcp_read(struct um_tcp_conn *c, void *buf, size_t len);
/* In-order bytes waiting to be read. */
uint32_t um_tcp_readable(const struct um_tcp_conn *c);
/* Whether the peer's FIN arrived (nothing follows the readable bytes). */
int um_tcp_fin_received(const struct um_tcp_conn *c);
/* Announces a window that reading opened, when it opened enough to matter. Returns 1 when
 * an ACK went out for it, else 0. */
int um_tcp_window_update(struct um_tcp_conn *c);
/* Queues data to send, like send(), but sends nothing yet: inside a hook, TCP sends when it
 * finishes the segment; elsewhere call um_tcp_output(). Returns bytes taken or -errno. */
long um_tcp_write(struct um_tcp_conn *c, const void *buf, size_t len);
/* The same two moves for an upper layer that keeps its bytes in a ring of its own, so that
 * payload is copied once, ring to ring: um_tcp_write_ring queues len bytes found `off`
 * bytes after src's head; um_tcp_read_ring moves up to len in-order bytes into dst, `off`
 * bytes after its head (dst's length unchanged), and consumes them (dst NULL: only
 * consumes). um_tcp_rcv_ring shows the in-order bytes in place, from its head, to inspect
 * (a checksum) before reading them. */
long um_tcp_write_ring(struct um_tcp_conn *c, const struct um_ring *src, uint32_t off, size_t len);
long um_tcp_read_ring(struct um_tcp_conn *c, struct um_ring *dst, uint32_t off, size_t len);
const struct um_ring *um_tcp_rcv_ring(const struct um_tcp_conn *c);
/* Sends what the windows allow now; asked while a segment of the connection is being
 * processed, once that is done. */
void um_tcp_output(struct um_tcp_conn *c);
/* A ULP takes a listener's child (in its clone or SYN_RECEIVED step) for itself: the child
 * is not queued for accept() nor counted against the backlog, and the ULP releases it with
 * the socket-level close like any connection it opened. */
void um_tcp_adopt(struct um_tcp_conn *c);

/* What a scheduler needs to know of a path. */
struct um_tcp_path_info {
        uint32_t mss;     /* payload bytes a full segment carries */
        uint32_t cwnd;    /* bytes */
        uint64_t srtt_us; /* 0 before the first sample */
        uint64_t rttvar_us;
        uint64_t min_rtt_us; /* the lowest RTT seen (0 before the first sample) */
        uint64_t rto_us;
        uint32_t snd_wnd;     /* the peer's window */
        uint32_t in_flight;   /* sent, not acknowledged */
        uint32_t queued;      /* in the send buffer: in flight plus not yet sent */
        uint32_t sndbuf_free; /* room in the send buffer */
        uint32_t backoff;     /* consecutive retransmission timeouts */
        uint32_t retrans_out;
};
void um_tcp_path_info(const struct um_tcp_conn *c, struct um_tcp_path_info *pi);
/* The path info's backoff alone, and when a segment last arrived: for checks made on every
 * path at every send. */
uint32_t um_tcp_backoff(const struct um_tcp_conn *c);
uint64_t um_tcp_last_recv_us(const struct um_tcp_conn *c);
/* ---- Congestion-control modules ----
 * A module decides how the congestion window grows and what a loss does to it; TCP runs
 * slow start after a timeout and PRR during recovery around it. Windows are in bytes.
 * Built in: cubic (the default) and reno. An extension registers more, per stack, by name:
 * they are then TCP_CONGESTION values like the built-in ones, and may be the stack's
 * default. */
struct um_tcp_cc_ops {
        const char *name; /* at most 15 characters */
        void (*init)(struct um_tcp_conn *c, void *arg);
        /* `acked` bytes newly delivered outside recovery: grow the window. */
        void (*on_ack)(struct um_tcp_conn *c, uint32_t acked, void *arg);
        /* A loss was detected: the new ssthresh (recovery brings the window to it). */
        uint32_t (*ssthresh)(struct um_tcp_conn *c, void *arg);
        /* Recovery ended, the window at ssthresh (optional). */
        void (*on_recovery_exit)(struct um_tcp_conn *c, void *arg);
};
enum { UM_TCP_CC_MODULES = 8, UM_TCP_CC_PRIV = 64 };
/* Returns 0, -EEXIST (the name is taken), -EINVAL or -ENOSPC. ops and arg must outlive the
 * stack. */
int um_tcp_cc_register(struct um_stack *st, const struct um_tcp_cc_ops *ops, void *arg);
/* The stack's default for new connections, like net.ipv4.tcp_congestion_control. Returns
 * 0 or -ENOENT. */
int um_tcp_congestion_control_set(struct um_stack *st, const char *name);
const char *um_tcp_congestion_control(const struct um_stack *st);
/* What a module reads and sets: the window and ssthresh (bytes), UM_TCP_CC_PRIV bytes of
 * its own per connection (zeroed before init), and the slow start TCP uses itself (grows
 * the window by what was acknowledged up to ssthresh; returns the bytes not used). */
uint32_t um_tcp_cwnd(const struct um_tcp_conn *c);
void um_tcp_set_cwnd(struct um_tcp_conn *c, uint32_t cwnd);
uint32_t um_tcp_ssthresh(const struct um_tcp_conn *c);
void um_tcp_set_ssthresh(struct um_tcp_conn *c, uint32_t ssthresh);
void *um_tcp_cc_priv(struct um_tcp_conn *c);
uint32_t um_tcp_slow_start(struct um_tcp_conn *c, uint32_t acked);

/* A congestion signal from outside TCP (an upper layer's judgement, as an ECN echo is the
 * network's): halves the congestion window, at least two segments, and sets ssthresh to it.
 * Nothing during loss recovery, which has cut the window already. */
void um_tcp_reduce_cwnd(struct um_tcp_conn *c);
/* Sends a reset and frees the connection's protocol state. */
void um_tcp_abort(struct um_tcp_conn *c);
/* Asks for an ACK to be sent now (for example to carry an option); data that is waiting
 * may carry it. Asked while a segment of the connection is being processed, it goes out
 * when that is done, acknowledging the segment too. */
void um_tcp_send_ack(struct um_tcp_conn *c);
/* Sends a segment without data now, for an option too large to ride beside data. */
void um_tcp_send_pure_ack(struct um_tcp_conn *c);

/* Per-segment metadata: register an id per stack once, then attach/read. */
int um_tcp_pkt_ext_register(struct um_stack *st, size_t size);
void *um_tcp_pkt_ext_add(struct um_stack *st, struct um_pkt *pkt, int id);
void *um_tcp_pkt_ext_get(const struct um_pkt *pkt, int id);

#endif
