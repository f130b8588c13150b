/* MPTCP internals. An MPTCP connection is an upper-layer socket, the msk, that owns all
 * data-level state (keys, data sequence numbers, the send and receive queues). Each of its
 * subflows is an ordinary TCP connection whose ULP context is a struct mptcp_subflow
 * pointing back at the msk. TCP never sees the msk; the msk drives subflows only through
 * the generic extension points of tcp_ext.h and the TCP socket calls of tcp_api.h. */
#ifndef UM_MPTCP_MPTCP_H
#define UM_MPTCP_MPTCP_H

#include <umptcp/mptcp.h>
#include <umptcp/mptcp_pm.h>
#include <umptcp/tcp_ext.h>

#include <sys/queue.h>

#include "core/ranges.h"
#include "core/recq.h"
#include "core/ring.h"
#include "core/stack.h"
#include "mptcp/mptcp_mib.h"
#include "core/timer.h"
#include "mptcp/mptcp_options.h"
#include "net/addr.h"

struct um_sock;
struct mptcp_sock;

enum {
        MPTCP_MAX_SUBFLOWS = 8, /* per connection, the first included */
        /* Mappings a subflow remembers ahead of its reader. A mapping arrives once, on the
         * segment that starts it, so the table grows rather than forget one. */
        MPTCP_RX_MAPS_MAX = 16384,
        MPTCP_MAP_MAX = 65000,       /* bytes one mapping covers (the field is 16 bits) */
        MPTCP_REINJECT_MAX = 32,     /* data ranges waiting to go out again */
        MPTCP_PM_ADDRS = 8,          /* addresses a connection announces or hears of */
        MPTCP_ADD_ADDR_TRIES = 4,    /* ADD_ADDR sent at most this often without an echo */
        MPTCP_TOKEN_BUCKETS = 64,    /* to start with */
        MPTCP_DEFAULT_BUF = 4 << 20, /* msk send and receive buffers */
        MPTCP_WND_RESERVE_SHARE = 8, /* 1/8 of the peer's window kept free (multipath) */
};

/* A mapping: `len` bytes from data sequence `dsn` ride at subflow sequence `ssn`. Length 0
 * is the infinite mapping of a connection that fell back (RFC 8684 §3.7). */
struct mptcp_map {
        uint64_t dsn;
        uint32_t ssn; /* absolute subflow sequence number */
        uint32_t len;
        uint16_t csum;
        uint8_t frozen; /* a segment of it was sent: it may no longer grow */
        uint8_t fin;    /* DATA_FIN rides at its end */
};

/* The per-segment extension (struct um_pkt's extension block): the mapping a segment
 * carries on the way out, or the DSS it arrived with. */
struct mptcp_ext {
        uint64_t dsn;
        uint32_t ssn; /* relative, as on the wire */
        uint16_t data_len;
        uint16_t csum;
        uint8_t flags; /* DSS_M, DSS_F */
        uint8_t with_csum;
};

/* An address announced with ADD_ADDR (RFC 8684 §3.4.1): port 0 means the connection's. */
struct mptcp_addr_info {
        struct um_addr addr;
        uint16_t port;
        uint8_t id;
};

/* One of our announcements, repeated until the peer echoes it. */
struct mptcp_announce {
        struct mptcp_addr_info a;
        uint8_t tries;         /* times sent */
        uint8_t listening : 1; /* holds a reference on its port's listener */
        uint64_t due;          /* when it goes out (again); UINT64_MAX once echoed or given up */
};

/* The address signals of one connection: what we announce and remove, the echoes we owe,
 * and the peer's addresses we took up. */
struct mptcp_pm_state {
        struct mptcp_announce announced[MPTCP_PM_ADDRS];
        int n_announced;
        struct mptcp_addr_info echo[MPTCP_PM_ADDRS]; /* echoes not yet sent */
        int n_echo;
        uint8_t rm_ids[MPTCP_PM_ADDRS]; /* RM_ADDR not yet sent */
        int n_rm;
        /* The peer's announcements reported to the manager, each once (a repeat only
         * wants its echo again), and the credit for new ones (UM_MPTCP_ANNOUNCE_*). */
        struct mptcp_addr_info heard[MPTCP_PM_ADDRS];
        int n_heard;
        uint8_t announce_credit;
        uint64_t announce_credit_at; /* when the credit last grew */
        int n_signalled;             /* our announcements, for MPTCP_INFO */
        uint64_t written;            /* signals sent, to see whether an ACK carried one */
};

struct mptcp_subflow {
        struct mptcp_sock *msk;
        struct um_tcp_conn *tcp;
        struct mptcp_subflow *next;
        uint8_t local_id, remote_id;
        uint8_t is_listener : 1, passive : 1, is_join : 1, mp_capable : 1;
        uint8_t fully_established : 1; /* MPC: the peer showed it has our key */
        uint8_t join_acked : 1;        /* active join: the peer acknowledged our third ACK */
        uint8_t backup : 1, peer_backup : 1;
        uint8_t stale : 1, closing : 1, send_data_fin : 1, send_fastclose : 1;
        uint8_t send_mp_fail : 1, send_infinite : 1, await_infinite : 1, touched : 1;
        uint8_t has_fb_rx : 1, has_fb_tx : 1, released : 1, send_mp_prio : 1;
        uint8_t ev_reported : 1; /* made or established as events said: SUB_CLOSED is owed */
        uint8_t join_only : 1;   /* of (or made by) an announced port's listener */
        /* After fallback: the one mapping that covers everything from here on. */
        struct mptcp_map fb_rx, fb_tx;
        int join_tries;
        uint8_t rst_reason; /* MP_TCPRST on our reset (0xff: none) */
        uint8_t peer_rst_reason;
        uint32_t local_nonce, remote_nonce;
        uint8_t join_hmac[32]; /* active: the third ACK's; passive: the SYN/ACK's */
        uint32_t join_token;   /* passive join: the connection it asked for */
        /* Passive first subflow until its handshake completes: the key our SYN/ACK sent. */
        uint64_t syn_key;
        uint8_t syn_csum : 1, syn_deny_join0 : 1;
        uint8_t cookie : 1; /* made by a SYN cookie's ACK: what it asked for is not known yet */
        uint64_t fail_dsn;
        /* Sending: mappings of what was written into this subflow, oldest first. */
        struct um_recq tx; /* of struct mptcp_map */
        /* Receiving. */
        struct mptcp_map *rx; /* in subflow order */
        int rx_n, rx_cap;
        uint32_t rcv_read; /* subflow sequence of the next byte to read */
        uint8_t seen_dss;
        uint64_t data_ack_sent;              /* the DATA_ACK this subflow last carried */
        uint64_t bytes_sent, bytes_received; /* data level, for introspection */
        uint64_t join_ack_at;                /* active join: when to repeat the third ACK */
        uint64_t penalised_at;               /* its window last halved (mptcp_opportunistic.c) */
};

struct mptcp_sched_ops;
struct mptcp_join_cookie;
struct mptcp_port_listener;

/* Path-manager event subscribers and the events not yet delivered (mptcp_pm_event.c). */
enum { MPTCP_PM_SUBSCRIBERS = 8 };
struct mptcp_pm_subscriber {
        um_mptcp_event_fn fn;
        void *arg;
        int handle;
};
struct mptcp_pm_events {
        struct mptcp_pm_subscriber subs[MPTCP_PM_SUBSCRIBERS];
        int n_subs, last_handle;
        struct um_mptcp_event *queue; /* a ring of cap, doubling when full */
        uint32_t head, n, cap;
        int delivering;
};

/* Per-stack MPTCP state. */
struct mptcp_stack {
        struct um_stack *st;
        int ext_id;
        LIST_HEAD(mptcp_chain, mptcp_sock) * tokens; /* by token; doubles as tokens come */
        uint32_t token_mask, n_tokens;
        LIST_HEAD(, mptcp_sock) all; /* every connection, newest first */
        int enabled, checksum_enabled, allow_join_initial_addr_port;
        struct mptcp_pm_kernel *pm_kernel; /* the built-in manager (mptcp_pm_kernel.c) */
        int add_addr_timeout;              /* seconds between ADD_ADDR repeats (Linux's sysctl) */
        /* Tests only, never on the wire to another implementation: every IDSN is moved to
         * 1 MiB below 2^64 (keeping 16 bits of its hash), so that data sequence numbers wrap
         * early in a connection. Both ends must set it. */
        int test_idsn_near_wrap;
        struct mptcp_join_cookie *join_cookies; /* joins answered with SYN cookies */
        uint8_t join_cookie_key[16];            /* the keyed hash choosing their places */
        const struct mptcp_sched_ops *sched;
        int pm_userspace;  /* path_manager = userspace */
        int rr_segments;   /* roundrobin's turn, in segments */
        int opportunistic; /* opportunistic_retrans: Raiciu et al.'s OR and penalisation */
        struct mptcp_pm_events events;
        struct mptcp_port_listener *port_listeners; /* mptcp_pm_listener.c */
        int n_port_listeners;
        struct mptcp_counters ctr;
        int opt_handle; /* the kind-30 handler's, for um_tcp_seg_parsed */
};

/* The msk timer's kinds (mptcp_timer.c); each deadline is UINT64_MAX when not set. */
enum mptcp_timer_kind {
        MPTCP_T_ORPHAN,   /* an orphan's wait for the peer's DATA_FIN (mptcp_msk.c) */
        MPTCP_T_JOIN_ACK, /* repeating an active join's third ACK (mptcp_subflow.c) */
        MPTCP_T_RTX,      /* data-level retransmission (mptcp_send.c) */
        MPTCP_T_SIGNAL,   /* repeating ADD_ADDR (mptcp_addr_signal.c) */
        MPTCP_T_REAP,     /* releasing closed subflows, outside TCP's processing */
        MPTCP_T_COUNT,
};

enum mptcp_state {
        MPTCP_CLOSED,
        MPTCP_LISTEN,
        MPTCP_SYN_SENT,
        MPTCP_ESTABLISHED,
};

struct mptcp_sock {
        struct mptcp_stack *ms;
        struct um_stack *st;
        struct um_sock *sock;              /* NULL before accept() and after close() */
        LIST_ENTRY(mptcp_sock) all_link;   /* in mptcp_stack.all */
        LIST_ENTRY(mptcp_sock) token_link; /* in its token's bucket, while registered */
        enum mptcp_state state;
        int domain;
        struct um_addr bind_addr;
        uint16_t bind_port;
        struct um_tcp_conn *listener;
        struct mptcp_subflow *subflows, *first;
        int n_subflows, n_joins_opened;
        int join_cookies; /* its joins waiting in the SYN cookie table (mptcp_accept.c) */
        int error;
        uint8_t fallback : 1, csum : 1, remote_key_known : 1, token_registered : 1;
        uint8_t orphan : 1, snd_shutdown : 1, rcv_shutdown : 1, data_fin_acked : 1;
        uint8_t fastclosed : 1, subflows_closing : 1, nodelay : 1;
        uint8_t linger_zero : 1, dss_seen : 1, data_fin_sent : 1, rd_shut : 1;
        uint8_t pm_done : 1, wr_fin_done : 1;
        uint8_t remote_deny_join_id0 : 1; /* the peer's MP_CAPABLE carried C (RFC 8684 §3.1) */
        uint8_t ev_created : 1;           /* CREATED reported: CLOSED is owed */
        struct um_tcp_conn *pending;      /* bound, not yet connected or listening */
        struct um_addr laddr, raddr;
        uint16_t lport, rport;
        const char *cc_name;
        const struct mptcp_sched_ops *sched; /* the stack's default, or SOL_MPTCP's choice */
        /* The scheduler's own state: roundrobin whose turn and the bytes left in it, ecf
         * whether it is waiting for the fast subflow, blest its lambda in thousandths. */
        uint32_t sched_priv[2];
        struct mptcp_pm_state pm;
        uint64_t local_key, remote_key;
        uint32_t local_token, remote_token;
        uint64_t local_idsn, remote_idsn;
        /* Send side: bytes [snd_una, write_seq) in snd; [snd_una, snd_nxt) handed to
         * subflows; the DATA_FIN, once queued, is at write_seq. */
        struct um_ring snd;
        uint64_t snd_una, snd_nxt, write_seq, wnd_end;
        uint32_t max_wnd; /* the largest window the peer offered */
        uint64_t reinject[MPTCP_REINJECT_MAX][2];
        uint64_t or_dsn;     /* the data last sent again opportunistically, plus one (0: none) */
        uint64_t repair_end; /* while repairing: the end of the data sent again (mptcp_push) */
        uint8_t repairing : 1;
        int n_reinject;
        /* Receive side: rcv holds the unread in-order bytes, out-of-order data beyond. */
        struct um_ring rcv;
        uint64_t rcv_nxt, rcv_fin_seq;
        uint8_t rcv_fin_known;
        uint8_t rcv_data_fin; /* the peer's DATA_FIN was reached: it takes one number */
        struct um_ranges ooo;
        /* One timer for all kinds of deadline (mptcp_timer.c). */
        struct um_timer timer;
        uint64_t deadline[MPTCP_T_COUNT];
        /* Data-level retransmission (RFC 8684 §3.3.6). */
        uint64_t rtx_backoff, last_una_move;
        /* Counters for MPTCP_INFO. */
        uint64_t bytes_sent, bytes_retrans, bytes_received, bytes_acked;
        uint32_t retransmits;
        uint64_t last_data_sent, last_data_recv, last_ack_recv;
        uint32_t sndbuf, rcvbuf;
};

static inline struct mptcp_subflow *mptcp_subflow_of(const struct um_tcp_conn *c)
{
        return (struct mptcp_subflow *)um_tcp_ulp_ctx(c);
}

/* Data sequence numbers are 64 bits and wrap: an IDSN is a hash of a random key, so a
 * connection may start anywhere, right below 2^64 too. They compare as TCP's 32-bit ones do
 * (RFC 1982 serial number arithmetic). */
static inline int dsn_lt(uint64_t a, uint64_t b)
{
        return (int64_t)(a - b) < 0;
}
static inline int dsn_leq(uint64_t a, uint64_t b)
{
        return (int64_t)(a - b) <= 0;
}
static inline int dsn_gt(uint64_t a, uint64_t b)
{
        return dsn_lt(b, a);
}

/* RFC 8684 §3.3.3: the DATA_ACK we send, one past the peer's DATA_FIN once reached. */
static inline uint64_t mptcp_data_ack(const struct mptcp_sock *msk)
{
        return msk->rcv_nxt + msk->rcv_data_fin;
}

/* The end of the window for new data. With more than one subflow, the last eighth of the
 * peer's window is kept free: data a fast subflow sends past a hole waits out of order at
 * the receiver, and a Linux receiver whose out-of-order data fills its buffer takes nothing
 * more from its subflows, not even the bytes that fill the hole, so the connection stops
 * for good (docs/INTEROP.md, "A path cut"). Linux sizes its window from its buffer with an
 * estimate of payload per byte of memory; the reserve covers that estimate's error. */
static inline uint64_t mptcp_send_wnd_end(const struct mptcp_sock *msk)
{
        if (msk->n_subflows < 2 || !dsn_gt(msk->wnd_end, msk->snd_una))
                return msk->wnd_end;
        return msk->wnd_end - (msk->wnd_end - msk->snd_una) / MPTCP_WND_RESERVE_SHARE;
}

/* Data sent and not yet DATA_ACKed (our DATA_FIN included). */
static inline int mptcp_data_outstanding(const struct mptcp_sock *msk)
{
        return dsn_lt(msk->snd_una, msk->snd_nxt) || (msk->data_fin_sent && !msk->data_fin_acked);
}

/* The functions below are listed from the entry points down, in the order calls run
 * inside src/mptcp: socket → msk → send/recv/pm → subflow → options codec/crypto. */

/* mptcp_sock.c, mptcp_sockopt.c */
int mptcp_sock_init(struct um_stack *st);
int mptcp_setsockopt(struct um_sock *s, int level, int name, const void *val, size_t len);
int mptcp_getsockopt(struct um_sock *s, int level, int name, void *val, size_t *len);

/* mptcp_ulp.c: TCP's hooks on subflows (entry points) */
extern const struct um_tcp_ulp_ops mptcp_subflow_ulp;

/* mptcp_options_in.c: received suboptions, one function each */
/* The kind-30 handler's parse: into the segment's parsed state. */
int mptcp_options_parse(void *arg, struct um_tcp_conn *c, const struct um_tcp_seg_info *seg,
                        const uint8_t *opt, uint8_t len, void *parsed);
/* The MPTCP options a received segment carried; NULL when none (or seg is NULL). */
const struct mptcp_opts *mptcp_seg_opts(const struct mptcp_stack *ms,
                                        const struct um_tcp_seg_info *seg);
/* The initiator's SYN/ACK: MP_CAPABLE's key, or MP_JOIN's nonce and HMAC. */
void mptcp_synack_in(struct mptcp_subflow *sf, const struct mptcp_opts *o);
/* An accepted segment's options. Returns 0 when the data level must not send now (the
 * connection was closed, fell back or was refused a mapping), 1 otherwise. */
int mptcp_options_in(struct mptcp_subflow *sf, const struct mptcp_opts *o,
                     const struct um_tcp_seg_info *seg);
/* The options of a reset: MP_TCPRST's reason, MP_FASTCLOSE. */
void mptcp_rst_in(struct mptcp_subflow *sf, const struct mptcp_opts *o);

/* mptcp_options_out.c: sent suboptions, one function each; the kind-30 handler's write */
unsigned mptcp_options_write(void *arg, struct um_tcp_conn *c, const struct um_tcp_seg_info *seg,
                             uint8_t *out, unsigned room);

/* mptcp_accept.c: the listener's side of the handshakes */
/* What a SYN asks for (an MP_CAPABLE key, a join), kept on the child until completion. */
void mptcp_accept_syn(struct mptcp_subflow *sf, const struct mptcp_opts *o);
/* The same for a SYN answered with a cookie: a join's nonces go to the cookie table. */
void mptcp_accept_syn_cookie(struct mptcp_subflow *sf, const struct mptcp_opts *o);
/* The handshake completes with the segment that carried o: the msk is made (MPTCP or
 * fallen back), or the join checked and attached. -1 when the subflow was reset. */
int mptcp_accept_complete(struct mptcp_subflow *sf, const struct mptcp_opts *o);
/* RFC 8684 §3.1: the initiator's key, on the third ACK or the first data; fallback when
 * they come without MP_CAPABLE. */
void mptcp_accept_mpc_ack(struct mptcp_subflow *sf, const struct mptcp_opts *o,
                          const struct um_tcp_seg_info *seg);

/* mptcp_msk.c: a connection made and freed; its subflows closing; its timer firing */
struct mptcp_sock *mptcp_msk_new(struct mptcp_stack *ms, int domain);
void mptcp_msk_maybe_free(struct mptcp_sock *msk);
/* The connection is over at the data level (or aborted): CLOSED is reported and the
 * listeners of the ports it announced are given back. */
void mptcp_msk_over(struct mptcp_sock *msk);
/* The subflow's TCP connection reached CLOSED. */
void mptcp_subflow_closed(struct mptcp_subflow *sf);

/* mptcp_send.c: data level, sending */
void mptcp_push(struct mptcp_sock *msk);
/* Copies data [dsn, dsn + len) from the send queue into the subflow, with its mapping.
 * Returns bytes taken. */
uint32_t mptcp_push_range(struct mptcp_sock *msk, struct mptcp_subflow *sf, uint64_t dsn,
                          uint32_t len);
void mptcp_data_acked(struct mptcp_sock *msk, uint64_t data_ack, uint32_t wnd);
uint32_t mptcp_tx_limit(struct mptcp_subflow *sf, uint32_t seq, uint32_t len);
void mptcp_segment_out(struct mptcp_subflow *sf, struct um_tcp_seg_info *seg);
void mptcp_subflow_acked(struct mptcp_subflow *sf);
void mptcp_reinject_subflow(struct mptcp_subflow *sf);
void mptcp_send_data_fin(struct mptcp_sock *msk);
/* RFC 8684 §3.7: the peer's MP_FAIL. */
void mptcp_fail_received(struct mptcp_subflow *sf);
/* RFC 8684 §3.3.6: the data-level retransmission deadline, and its expiry. */
void mptcp_rtx_rearm(struct mptcp_sock *msk);
void mptcp_rtx_timer(struct mptcp_sock *msk, uint64_t now);

/* mptcp_opportunistic.c: a connection held by the peer's receive window sends its oldest
 * data again on a subflow with room and halves the window of the subflow that holds it. */
void mptcp_opportunistic(struct mptcp_sock *msk);

/* mptcp_recv.c: data level, receiving */
int mptcp_map_add(struct mptcp_subflow *sf, const struct mptcp_ext *m);
void mptcp_subflow_data_ready(struct mptcp_subflow *sf);
void mptcp_rcv_pull_all(struct mptcp_sock *msk);
uint32_t mptcp_rcv_space(const struct mptcp_sock *msk);
void mptcp_window_update(struct mptcp_sock *msk);
/* RFC 8684 §3.7: the infinite mapping that answers our MP_FAIL. */
void mptcp_infinite_received(struct mptcp_subflow *sf, const struct mptcp_opts *o);

/* mptcp_sched*.c: the packet schedulers, one file each, found by name (mptcp_sched.c) */
struct mptcp_sched_ops {
        const char *name;
        /* The subflows that carry the next *len new bytes (the scheduler may lower *len):
         * out[0] carries them, each further one a copy of them (redundant). Returns how
         * many (0: wait for an ACK). */
        int (*get_send)(struct mptcp_sock *msk, uint32_t *len, struct mptcp_subflow **out);
        /* Where bytes sent before go again (reinjection, the DATA_FIN); NULL: wait. Left
         * NULL, the default's choice. */
        struct mptcp_subflow *(*get_retrans)(struct mptcp_sock *msk, uint32_t len);
        /* `bytes` new bytes went out on out[0] (optional). */
        void (*pushed)(struct mptcp_sock *msk, struct mptcp_subflow *sf, uint32_t bytes);
        /* Opportunistic retransmission and penalisation apply (the stack's knob on). */
        int opportunistic;
};
extern const struct mptcp_sched_ops mptcp_sched_default, mptcp_sched_minrtt, mptcp_sched_roundrobin,
    mptcp_sched_redundant, mptcp_sched_handover, mptcp_sched_blest, mptcp_sched_ecf;
/* The scheduler registered under `name`, or NULL; the index-th one, or NULL past the last. */
const struct mptcp_sched_ops *mptcp_sched_find(const char *name);
const struct mptcp_sched_ops *mptcp_sched_at(int index);
/* Where reinjected bytes (and the DATA_FIN) go under the connection's scheduler. */
struct mptcp_subflow *mptcp_sched_retrans(struct mptcp_sock *msk, uint32_t len);
/* What the schedulers share. A subflow is active when it may carry data now (usable, not
 * stale); backups carry data only when no regular subflow is active (RFC 8684 §3.3.8). */
int mptcp_sched_active(const struct mptcp_subflow *sf);
int mptcp_sched_is_backup(const struct mptcp_subflow *sf);
int mptcp_sched_regular_active(const struct mptcp_sock *msk);
/* Whether a subflow has room for a chunk of len (0: any) now. */
int mptcp_sched_room(const struct um_tcp_path_info *pi, uint32_t len);
/* The active subflow of the class in use with room and the lowest cost: the default's
 * estimated time to deliver ((queued + len) × srtt ÷ cwnd) or, by_rtt, the srtt alone. */
struct mptcp_subflow *mptcp_sched_lowest(struct mptcp_sock *msk, uint32_t len, int by_rtt);
/* The active subflow of the class in use with the lowest srtt, room or not (NULL: none). */
struct mptcp_subflow *mptcp_sched_fastest(struct mptcp_sock *msk);

/* mptcp_pm.c: the built-in path manager's decisions */
void mptcp_pm_established(struct mptcp_sock *msk);
int mptcp_pm_accept_join(const struct mptcp_sock *msk);
/* The address ID of a local address for a connection (0: its first address). */
uint8_t mptcp_pm_local_id(const struct mptcp_sock *msk, const struct um_addr *a);
/* mptcp_pm_cmd.c: opening a join (loc_id its address ID; lport 0: any free port), and
 * closing a subflow a manager removes (a reset; its data goes on the others). */
int mptcp_join_open(struct mptcp_sock *msk, const struct um_addr *local, uint16_t lport,
                    uint8_t loc_id, int backup, const struct um_addr *remote, uint16_t rport);
void mptcp_subflow_remove(struct mptcp_subflow *sf);
/* What the peer signalled: an address (its HMAC checked), removed address IDs, and its
 * priority for a subflow (MP_PRIO). */
void mptcp_pm_add_addr_received(struct mptcp_sock *msk, const struct mptcp_addr_info *a);
/* The ID the peer announced an address and port with (0: none, the initial one's). */
uint8_t mptcp_pm_remote_id(struct mptcp_sock *msk, const struct um_addr *a, uint16_t port);
void mptcp_pm_rm_addr_received(struct mptcp_sock *msk, const uint8_t *ids, int n);
void mptcp_pm_prio_received(struct mptcp_subflow *sf, int backup);

/* mptcp_pm_event.c: path-manager events, queued and delivered after the poll */
void mptcp_event_conn(struct mptcp_sock *msk, enum um_mptcp_event_type type);
void mptcp_event_sub(struct mptcp_subflow *sf, enum um_mptcp_event_type type, int error);
void mptcp_event_announced(struct mptcp_sock *msk, const struct mptcp_addr_info *a);
void mptcp_event_removed(struct mptcp_sock *msk, uint8_t id);
/* LISTENER_CREATED, LISTENER_CLOSED: an MPTCP listener's address (of `family`, the
 * wildcard when it is bound to none) and port. */
void mptcp_event_listener(struct mptcp_stack *ms, enum um_mptcp_event_type type,
                          const struct um_tcp_conn *listener, int family);
int mptcp_pm_subscribed(const struct mptcp_stack *ms);
int mptcp_pm_events_pending(const struct mptcp_stack *ms);
void mptcp_pm_deliver(struct mptcp_stack *ms);
void mptcp_pm_events_free(struct mptcp_stack *ms);
/* Whether the built-in manager (mptcp_pm_kernel.c) is the one that decides. */
int mptcp_pm_kernel_active(const struct mptcp_stack *ms);

/* mptcp_pm_listener.c: listeners for the ports connections announce, shared by reference
 * (-EADDRINUSE and the like when one cannot be made, -ENOSPC past the stack's bound) */
int mptcp_port_listener_get(struct mptcp_stack *ms, const struct um_addr *a, uint16_t port);
void mptcp_port_listener_put(struct mptcp_stack *ms, const struct um_addr *a, uint16_t port);
/* A connection's references, given back when it is freed. */
void mptcp_port_listeners_release(struct mptcp_sock *msk);
/* At the stack's end, after TCP freed every connection: forgets them all. */
void mptcp_port_listeners_free(struct mptcp_stack *ms);

/* mptcp_addr_signal.c: ADD_ADDR, its echo and RM_ADDR on the wire (RFC 8684 §3.4) */
void mptcp_signal_announce(struct mptcp_sock *msk, const struct mptcp_addr_info *a);
void mptcp_signal_remove(struct mptcp_sock *msk, uint8_t id);
/* Queues the echo of an announcement the peer made. */
void mptcp_signal_echo(struct mptcp_sock *msk, const struct mptcp_addr_info *a);
/* The peer echoed one of our announcements: it is not repeated. */
void mptcp_signal_echo_received(struct mptcp_sock *msk, const struct mptcp_addr_info *a);
/* Whether we announced this address with this port (a join to it may come in). */
int mptcp_signal_announced(const struct mptcp_sock *msk, const struct um_addr *a, uint16_t port);
/* Whether a received (non-echo) ADD_ADDR carries the HMAC only the peer can make. */
int mptcp_add_addr_authentic(const struct mptcp_sock *msk, const struct mptcp_opts *o);
/* Writes the signal this pure ACK should carry (0: none fits or none waits). */
unsigned mptcp_signal_write(struct mptcp_subflow *sf, uint8_t *out, unsigned room);
/* Repeats the announcements that are due. */
void mptcp_signal_timer(struct mptcp_sock *msk, uint64_t now);
/* Sends pure ACKs on a usable subflow while signals wait. */
void mptcp_signal_kick(struct mptcp_sock *msk);
/* Sets our backup flag of a subflow and tells the peer with MP_PRIO (RFC 8684 §3.3.8). */
void mptcp_signal_prio(struct mptcp_subflow *sf, int backup);

/* mptcp_msk_state.c: state changes any path may make */
void mptcp_msk_attach(struct mptcp_sock *msk, struct mptcp_subflow *sf);
void mptcp_msk_detach(struct mptcp_subflow *sf);
void mptcp_msk_wake(struct mptcp_sock *msk);
void mptcp_set_keys(struct mptcp_sock *msk, uint64_t remote_key);
void mptcp_do_fallback(struct mptcp_sock *msk);
void mptcp_fastclose(struct mptcp_sock *msk);
void mptcp_close_subflows(struct mptcp_sock *msk);
void mptcp_check_close(struct mptcp_sock *msk);

/* mptcp_subflow.c: one subflow */
/* A subflow context on a TCP connection (the ULP set); the caller attaches it to an msk. */
struct mptcp_subflow *mptcp_subflow_new(struct um_tcp_conn *c);
/* The local address (and port, when asked) of a subflow's TCP connection. */
struct um_addr mptcp_local_addr(const struct um_tcp_conn *c, uint16_t *port);
/* Resets one subflow, with MP_TCPRST carrying `reason`. */
void mptcp_subflow_reset(struct mptcp_subflow *sf, uint8_t reason);
int mptcp_subflow_usable(const struct mptcp_subflow *sf);
/* Bytes the scheduler may give a subflow now, from its path info. */
uint32_t mptcp_subflow_room(const struct um_tcp_path_info *pi);
/* RFC 8684 §3.2: the SYN/ACK's HMAC (KeyB‖KeyA over R_B‖R_A, B listening) and the third
 * ACK's (KeyA‖KeyB over R_A‖R_B). */
void mptcp_join_synack_hmac(const struct mptcp_sock *msk, const struct mptcp_subflow *sf,
                            int we_listen, uint8_t out[32]);
void mptcp_join_ack_hmac(const struct mptcp_sock *msk, const struct mptcp_subflow *sf,
                         int we_listen, uint8_t out[32]);
/* The repeats of an active join's third ACK: their deadline, and their expiry. */
void mptcp_join_ack_rearm(struct mptcp_sock *msk);
void mptcp_join_ack_timer(struct mptcp_sock *msk, uint64_t now);
/* Closing subflows are released from the timer, once nothing is lost by it. */
void mptcp_reap_rearm(struct mptcp_sock *msk);
void mptcp_reap_subflows(struct mptcp_sock *msk);

/* mptcp_token.c: keys and tokens */
int mptcp_tokens_init(struct mptcp_stack *ms);
struct mptcp_stack *mptcp_stack_of(struct um_stack *st);
int mptcp_token_new(struct mptcp_sock *msk);
/* A random key whose token no connection of this stack holds (RFC 8684 §3.1). */
int mptcp_key_fresh(struct mptcp_stack *ms, uint64_t *key);
/* Makes `key` the connection's own and registers its token; -EADDRINUSE if taken. */
int mptcp_token_install(struct mptcp_sock *msk, uint64_t key);
struct mptcp_sock *mptcp_token_lookup(struct mptcp_stack *ms, uint32_t token);
/* RFC 8684 §3.1: a key's token and IDSN (test_idsn_near_wrap applied). */
void mptcp_key_token_idsn(const struct mptcp_stack *ms, uint64_t key, uint32_t *token,
                          uint64_t *idsn);
void mptcp_token_remove(struct mptcp_sock *msk);

/* mptcp_timer.c: the msk's deadlines (UINT64_MAX: not set) */
void mptcp_timer_set(struct mptcp_sock *msk, enum mptcp_timer_kind k, uint64_t at);
/* Arms the one stack timer at the earliest deadline (after it fired, whatever changed). */
void mptcp_timer_rearm(struct mptcp_sock *msk);
int mptcp_timer_due(const struct mptcp_sock *msk, enum mptcp_timer_kind k, uint64_t now);

#endif
