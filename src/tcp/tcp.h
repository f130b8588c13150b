/* TCP (RFC 9293) internal view: the connection block and the per-stack TCP state.
 * This module is generic: extensions plug in through tcp_ext.h only. */
#ifndef UM_TCP_TCP_H
#define UM_TCP_TCP_H

#include "tcp_ext.h" /* the public extension API */

#include <sys/queue.h>

#include "core/stack.h"
#include "core/timer.h"
#include "net/addr.h"
#include "net/iface.h"
#include "core/ranges.h"
#include "core/recq.h"
#include "core/ring.h"
#include "core/seq.h"
#include "tcp/tcp_cc.h"
#include "tcp/tcp_mib.h"

enum tcp_state {
        TCPS_CLOSED,
        TCPS_LISTEN,
        TCPS_SYN_SENT,
        TCPS_SYN_RECEIVED,
        TCPS_ESTABLISHED,
        TCPS_FIN_WAIT_1,
        TCPS_FIN_WAIT_2,
        TCPS_CLOSE_WAIT,
        TCPS_CLOSING,
        TCPS_LAST_ACK,
        TCPS_TIME_WAIT,
};

enum tcp_timer_kind {
        TCP_T_RTO,       /* retransmission, also SYN and SYN/ACK retransmission */
        TCP_T_DELACK,    /* delayed ACK */
        TCP_T_PERSIST,   /* zero-window probe */
        TCP_T_KEEPALIVE, /* keepalive idle/interval */
        TCP_T_LINGER,    /* TIME_WAIT 2*MSL, orphaned FIN_WAIT_2 timeout */
        TCP_T_REORDER,   /* RACK reordering window (RFC 8985 §6.2) */
        TCP_T_TLP,       /* tail loss probe (RFC 8985 §7) */
        TCP_T_COUNT,
};

enum {
        TCP_MSS_DEFAULT_V4 = 536, /* RFC 9293 §3.7.1 when the peer sends no MSS */
        TCP_MSS_DEFAULT_V6 = 1220,
        TCP_HDR = 20,
        TCP_MAX_OPT = 40,
        TCP_INIT_RTO_US = 1000000,
        TCP_MIN_RTO_US = 200000, /* Linux's floor; RFC 6298 §2.4 allows 1 s */
        TCP_MAX_RTO_US = 60000000,
        TCP_DELACK_US = 40000,
        TCP_MAX_BURST = 64,     /* segments per output call; ACKs clock out the rest */
        TCP_TLP_MIN_US = 10000, /* a probe floor, as Linux keeps, for µs-RTT paths */
        TCP_SYN_RETRIES = 6,
        TCP_DATA_RETRIES = 15,
        TCP_INIT_CWND_SEGS = 10, /* RFC 6928 */
        TCP_DEFAULT_SNDBUF = 256 * 1024,
        TCP_DEFAULT_RCVBUF = 128 * 1024,
        TCP_MAX_BUF = 16 * 1024 * 1024,
        TCP_RCV_WSCALE_MAX = 14,
};

/* Send-side record of one transmitted segment, for SACK, RACK and RTT sampling. */
struct tcp_txseg {
        uint32_t seq;
        uint32_t len; /* sequence space, including a FIN */
        uint64_t xmit_us;
        uint8_t flags;
};
struct tcp_rtx {
        uint32_t seq, end;
        uint64_t xmit_us;
};
enum {
        TXS_SACKED = 1,
        TXS_LOST = 2,    /* marked lost, not yet retransmitted */
        TXS_RETRANS = 4, /* a retransmission is outstanding */
        TXS_EVER_RETRANS = 8,
        TXS_FIN = 16,
};

struct tcp_cc_ops;

struct um_tcp_conn {
        struct um_stack *st;
        enum tcp_state state;
        struct um_addr laddr, raddr;
        uint16_t lport, rport;
        int ifindex;
        LIST_ENTRY(um_tcp_conn) hash_link; /* a hash chain, the listeners, or the graveyard */
        LIST_ENTRY(um_tcp_conn) port_link; /* its local port's chain, once it has one */
        LIST_ENTRY(um_tcp_conn) all_link;  /* in um_tcp_stack.all */
        LIST_ENTRY(um_tcp_conn) tw_link;   /* waiting to become a TIME_WAIT record */

        /* Listener and its children. */
        struct um_tcp_conn *parent;         /* listener that made this child, until accepted */
        STAILQ_ENTRY(um_tcp_conn) aq_link;  /* in its listener's accept queue */
        STAILQ_HEAD(, um_tcp_conn) acceptq; /* a listener's: children whose handshake is done */
        int backlog, n_embryonic, n_acceptq;

        /* Send sequence space (RFC 9293 §3.3.1). */
        uint32_t iss, snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
        uint8_t snd_wscale, rcv_wscale;
        uint16_t mss;          /* effective send MSS (payload bytes) */
        uint16_t adv_mss;      /* the MSS we announced */
        uint16_t opt_reserve;  /* option bytes an extension needs on data segments */
        struct um_ring sndbuf; /* bytes from snd_una */
        uint32_t sndbuf_max;
        struct um_recq txq; /* of struct tcp_txseg */

        /* Receive sequence space. */
        uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge we announced */
        struct um_ring rcvbuf;          /* in-order unread bytes, then out-of-order room */
        uint32_t rcvbuf_max;
        struct um_ranges reass;
        uint32_t rcv_unacked_segs; /* full segments received since our last ACK */
        uint32_t rcv_space;        /* bytes per RTT seen by autotuning */
        uint32_t rcv_space_seq;
        uint64_t rcv_space_time;
        uint64_t rcv_rtt_us;
        uint32_t rcv_rtt_seq;
        uint64_t rcv_rtt_time;

        /* FIN handling. */
        uint8_t fin_queued : 1; /* the application shut down its sending side */
        uint8_t fin_rcvd : 1;
        uint8_t rd_shut : 1;
        uint8_t orphan : 1; /* no socket holds it any more */
        uint8_t dead : 1;   /* waiting to be freed at the end of the poll */
        uint8_t ack_now : 1;
        uint8_t nodelay : 1;
        uint8_t fin_sent : 1;
        uint8_t force_send : 1;        /* the persist timer overrides SWS avoidance */
        uint8_t in_input : 1;          /* a segment is being processed */
        uint8_t output_pending : 1;    /* an extension asked for output during input */
        uint8_t rcv_wnd_by_buffer : 1; /* the window last announced was the buffer's room */
        uint32_t fin_seq;              /* sequence number our FIN occupies, valid once sent */
        uint8_t rcv_fin_pending;       /* a FIN arrived beyond a hole */
        uint32_t rcv_fin_seq;
        uint64_t syn_xmit_us; /* first SYN (or SYN/ACK) transmission, for an RTT sample */
        int soft_error;       /* last ICMP soft error, reported if the connection times out */

        /* Negotiated options. */
        uint8_t ws_ok : 1, sack_ok : 1, ts_ok : 1, syn_ts : 1, syn_sack : 1, syn_ws : 1;
        uint8_t peer_wscale;
        uint32_t ts_recent, ts_offset;
        uint64_t ts_recent_time;

        /* RTT and RTO (RFC 6298). */
        uint64_t srtt_us, rttvar_us, rto_us, min_rtt_us, latest_rtt_us;
        uint32_t backoff; /* consecutive RTOs */
        uint32_t retries; /* retransmissions of the same data without progress */

        /* Congestion control and loss recovery. */
        const struct tcp_cc_ops *cc;
        uint64_t cc_priv[8];
        uint32_t cwnd, ssthresh;
        uint32_t sacked_out, lost_out, retrans_out; /* bytes */
        uint32_t lost_from; /* while lost_out: no segment before it waits to be sent again */
        /* RFC 8985 §6.2 walks the segments in the order they were sent. Originals went out
         * in sequence order, and none in the first rack_settled bytes from snd_una needs a
         * look again (each is SACKed, marked lost or retransmitted); retransmissions are
         * listed in rtxq as they go out, each entry valid while its record still shows that
         * transmission. */
        uint32_t rack_settled;
        struct um_recq rtxq; /* of struct tcp_rtx */
        uint8_t in_recovery : 1, rto_recovery : 1;
        uint32_t recovery_point;
        uint32_t prr_delivered, prr_out, recover_fs;
        uint32_t dupacks;
        uint64_t rack_xmit_us; /* RFC 8985: most recently sent segment delivered */
        uint32_t rack_end_seq;
        uint64_t rack_rtt_us;
        uint32_t tlp_end_seq;
        uint8_t reo_wnd_mult; /* RFC 8985 §6.2: grows when D-SACKs show reordering */
        uint8_t reo_wnd_persist;
        uint8_t rexmit_hist_next;
        uint32_t rexmit_hist[16][2]; /* recently retransmitted ranges, to read D-SACKs */
        uint8_t dsack_pending;       /* RFC 2883: report a duplicate in the next ACK */
        uint32_t dsack_start, dsack_end;
        uint8_t tlp_outstanding;
        uint64_t last_send_us, last_recv_us;
        uint64_t ack_rtt_us; /* the RTT sample the ACK being processed gave, or 0 */

        /* HyStart++ (RFC 9406). */
        uint32_t hs_window_end;
        uint64_t hs_last_round_min, hs_round_min, hs_css_baseline;
        uint32_t hs_samples;
        uint8_t hs_css_rounds, hs_in_css;

        /* Timers. */
        struct um_timer timer;
        uint64_t deadline[TCP_T_COUNT];
        uint32_t probes; /* persist or keepalive probes without answer */

        /* Socket options. */
        uint8_t keepalive : 1, user_sndbuf : 1, user_rcvbuf : 1;
        uint32_t keep_idle_s, keep_intvl_s, keep_cnt;
        int linger_zero;
        int error; /* pending SO_ERROR (positive errno) */

        /* Extension hook. */
        const struct um_tcp_ulp_ops *ulp;
        void *ulp_ctx;

        /* Socket glue: told when readiness may have changed. */
        void (*notify)(struct um_tcp_conn *c, void *arg);
        void *notify_arg;

        /* Statistics for TCP_INFO. */
        uint64_t bytes_acked, bytes_received, bytes_sent, bytes_retrans;
        uint32_t segs_out, segs_in, data_segs_out, data_segs_in, total_retrans;
        uint64_t start_us;
};

enum { TCP_MAX_OPTION_HANDLERS = 16, TCP_PORT_BUCKETS = 1024 };

struct tcp_option_entry {
        const struct um_tcp_option_ops *ops;
        void *arg;
        int handle; /* the handler's index in parsed_off and in a segment's present bits */
};

/* What option handlers parsed from one received segment. It lives on the stack of the
 * segment's processing, so only `present` is cleared per segment, and each handler's
 * area when its first option arrives. */
struct um_tcp_seg_parsed {
        const struct um_tcp_stack *tcp;
        uint32_t present;
        _Alignas(8) uint8_t area[UM_TCP_PARSED_MAX];
};

LIST_HEAD(tcp_chain, um_tcp_conn);

/* TIME_WAIT records (tcp_timewait.c): by 4-tuple, by local port, and by expiry. */
struct tcp_tw;
LIST_HEAD(tcp_tw_chain, tcp_tw);
struct tcp_tw_table {
        struct tcp_tw_chain *hash;
        uint32_t hash_mask; /* buckets - 1; doubles when it holds more than buckets */
        uint32_t n;
        struct tcp_tw_chain ports[TCP_PORT_BUCKETS];
        TAILQ_HEAD(tcp_tw_expiry, tcp_tw) expiry; /* earliest first */
        struct tcp_chain pending; /* orphans in TIME_WAIT, made records at the poll's end */
        struct um_timer timer;    /* at the earliest expiry */
        struct um_stack *st;
};

struct um_tcp_stack {
        struct tcp_chain *hash;
        uint32_t hash_mask; /* buckets - 1; the table doubles when it holds more than buckets */
        uint32_t n_hashed;
        struct um_tcp_conn *last_found; /* the last connection tcp_lookup found, while hashed */
        struct tcp_chain listeners;
        LIST_HEAD(, um_tcp_conn) all;             /* every connection, newest first */
        struct tcp_chain graveyard;               /* closed, freed at the end of the poll */
        struct tcp_chain ports[TCP_PORT_BUCKETS]; /* connections by local port */
        struct tcp_tw_table tw;
        uint8_t secret[48]; /* SipHash keys: ISNs, SYN cookies, the tables' buckets */
        uint16_t next_port;
        struct tcp_option_entry opts[TCP_MAX_OPTION_HANDLERS]; /* by decreasing priority */
        int n_opts;
        uint16_t parsed_off[TCP_MAX_OPTION_HANDLERS]; /* by handle */
        uint16_t parsed_used;
        uint64_t challenge_window_start;
        uint32_t challenge_count;
        uint64_t msl_us;
        uint64_t fin_timeout_us;
        const struct tcp_cc_ops *default_cc;
        struct tcp_cc_module cc_modules[UM_TCP_CC_MODULES]; /* registered (tcp_cc.c) */
        int n_cc_modules;
        um_timer_fn conn_timer_fn; /* what a connection's timer runs (tcp_timeouts.c) */
        struct um_tcp_counters ctr;
};

/* tcp_input.c: what TCP registers with the network layer */
extern const struct um_net_transport tcp_transport;

/* tcp_conn.c: lifetime, tables, ISNs and ports */
/* Frees the connections closed since the last call (the graveyard), then all of them. */
void tcp_free_dead(struct um_stack *st);
void tcp_free_all(struct um_stack *st);
struct um_tcp_conn *tcp_conn_new(struct um_stack *st);
int tcp_conn_alloc_buffers(struct um_tcp_conn *c);
void tcp_hash_insert(struct um_tcp_conn *c);
void tcp_hash_remove(struct um_tcp_conn *c);
/* The keyed hash of a 4-tuple, before any table's mask (the connection and TIME_WAIT
 * tables share it). */
/* The 4-tuple as the keyed hashes take it: both addresses, then both ports (at most 36
 * bytes). */
size_t tcp_tuple_bytes(uint8_t msg[36], const struct um_addr *laddr, uint16_t lport,
                       const struct um_addr *raddr, uint16_t rport);
uint32_t tcp_tuple_hash(const struct um_tcp_stack *t, const struct um_addr *laddr, uint16_t lport,
                        const struct um_addr *raddr, uint16_t rport);
struct um_tcp_conn *tcp_lookup(struct um_stack *st, const struct um_addr *laddr, uint16_t lport,
                               const struct um_addr *raddr, uint16_t rport);
struct um_tcp_conn *tcp_lookup_listener(struct um_stack *st, const struct um_addr *laddr,
                                        uint16_t lport);
/* Ends the connection: reports err (0 for a normal close) and frees it once orphaned. */
void tcp_done(struct um_tcp_conn *c, int err);
uint32_t tcp_isn(struct um_tcp_conn *c);
/* Gives the connection its local port and files it under it (port_in_use looks there). */
void tcp_set_lport(struct um_tcp_conn *c, uint16_t port);
int tcp_pick_port(struct um_stack *st, struct um_tcp_conn *c);

/* tcp_timewait.c: TIME_WAIT records */
struct tcp_seg;
void tcp_tw_init(struct um_stack *st);
void tcp_tw_free_all(struct um_stack *st);
/* An orphan in TIME_WAIT becomes a record at the end of the poll: filed for it and taken
 * off (tcp_state.c), made one (0, or -ENOMEM and c stays as it is). */
void tcp_tw_schedule(struct um_tcp_conn *c);
void tcp_tw_unschedule(struct um_tcp_conn *c);
int tcp_tw_from_conn(struct um_tcp_conn *c);
struct tcp_tw *tcp_tw_lookup(struct um_stack *st, const struct um_addr *laddr, uint16_t lport,
                             const struct um_addr *raddr, uint16_t rport);
/* Whether a record holds the local port (bind without SO_REUSEADDR fails then). */
int tcp_tw_port_in_use(struct um_stack *st, const struct um_addr *a, uint16_t port);
/* A segment for a record. Returns 1 when it opens a new connection, which the caller
 * hands to the listener (the record is gone then), 0 when it was answered or dropped. */
int tcp_tw_input(struct um_stack *st, struct tcp_tw *w, const struct tcp_seg *s);

/* tcp_state.c: state changes, and the socket notified */
void tcp_set_state(struct um_tcp_conn *c, enum tcp_state s);
void tcp_notify(struct um_tcp_conn *c);

/* tcp_timer.c: the deadlines */
void tcp_timer_set(struct um_tcp_conn *c, enum tcp_timer_kind k, uint64_t at);
void tcp_timer_clear(struct um_tcp_conn *c, enum tcp_timer_kind k);
void tcp_timer_init(struct um_tcp_conn *c);
/* Arms the connection's one stack timer at its earliest deadline. */
void tcp_timer_rearm(struct um_tcp_conn *c);
void tcp_rearm_rto(struct um_tcp_conn *c);
void tcp_arm_keepalive(struct um_tcp_conn *c);
void tcp_arm_tlp(struct um_tcp_conn *c);

/* tcp_timeouts.c: what expiry does (the stack timer's function; tcp_stack_init hands it to
 * every connection through um_tcp_stack.conn_timer_fn) */
void tcp_timeouts_fire(struct um_timer *t, uint64_t now);

/* tcp_rtt.c */
void tcp_rtt_sample(struct um_tcp_conn *c, uint64_t rtt_us);

/* tcp_hystart.c */
void tcp_hystart_reset(struct um_tcp_conn *c);
void tcp_hystart_on_ack(struct um_tcp_conn *c, uint64_t rtt_us);

/* tcp_output.c */
void tcp_output(struct um_tcp_conn *c);
int tcp_send_syn(struct um_tcp_conn *c);
void tcp_send_ack(struct um_tcp_conn *c);
void tcp_send_probe(struct um_tcp_conn *c);
void tcp_send_rst(struct um_tcp_conn *c);
int tcp_retransmit_seg(struct um_tcp_conn *c, struct tcp_txseg *s);
uint32_t tcp_rcv_window(const struct um_tcp_conn *c);
uint32_t tcp_seg_size(const struct um_tcp_conn *c);
uint32_t tcp_adv_window(const struct um_tcp_conn *c);
/* What is left of the window last announced (the right edge never moves back). */
uint32_t tcp_promised_window(const struct um_tcp_conn *c);
/* A segment that belongs to no connection's control block: a reset, or the ACK of a
 * TIME_WAIT record, with options opt. */
void tcp_respond(struct um_stack *st, int ifindex, const struct um_addr *local,
                 const struct um_addr *remote, uint16_t lport, uint16_t rport, uint32_t seq,
                 uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t *opt, unsigned optlen);
void tcp_respond_rst(struct um_stack *st, int ifindex, const struct um_addr *local,
                     const struct um_addr *remote, uint16_t lport, uint16_t rport, uint32_t seq,
                     uint32_t ack, uint8_t flags);
int tcp_maybe_window_update(struct um_tcp_conn *c); /* 1: an ACK went out */

/* The record of transmitted segments, oldest first. */
static inline struct tcp_txseg *tcp_txq_at(const struct um_recq *q, uint32_t i)
{
        return um_recq_at(q, i);
}

/* tcp_recovery.c: SACK scoreboard, RACK-TLP, PRR */
/* Processes an ACK's cumulative part and SACK blocks; returns bytes newly delivered. */
uint32_t tcp_ack_update(struct um_tcp_conn *c, uint32_t ack, const uint32_t (*sack)[2], int n_sack);
void tcp_recovery_on_ack(struct um_tcp_conn *c, uint32_t delivered, int dupack);
void tcp_rack_detect(struct um_tcp_conn *c);
void tcp_on_rto(struct um_tcp_conn *c);
void tcp_on_tlp(struct um_tcp_conn *c);

static inline uint32_t tcp_flight_size(const struct um_tcp_conn *c)
{
        return c->snd_nxt - c->snd_una;
}

/* Bytes of the receive ring in use from its head: unread ones, and out-of-order ones
 * beyond them up to the last range held. */
static inline uint32_t tcp_rcv_extent(const struct um_tcp_conn *c)
{
        return c->reass.n ? c->rcvbuf.len + (c->reass.end[c->reass.n - 1] - c->rcv_nxt)
                          : c->rcvbuf.len;
}

/* RFC 6675 pipe: bytes believed in the network. */
static inline uint32_t tcp_pipe(const struct um_tcp_conn *c)
{
        int64_t p = (int64_t)tcp_flight_size(c) - c->sacked_out - c->lost_out + c->retrans_out;
        return p > 0 ? (uint32_t)p : 0;
}

static inline struct um_tcp_stack *tcp_of(const struct um_tcp_conn *c)
{
        return c->st->tcp;
}

#endif
