/* The receive path: in-order and out-of-order data into the receive ring, duplicates
 * reported with D-SACK (RFC 2883), the FIN, and receive-buffer auto-tuning. */
#include "tcp/tcp_input_int.h"

#include <errno.h>

/* Every growth of the receive buffer, TCP's own and an extension's: up to the maximum,
 * never one the application sized. */
int um_tcp_rcvbuf_reserve(struct um_tcp_conn *c, uint32_t bytes)
{
        if (bytes > c->rcvbuf_max)
                bytes = c->rcvbuf_max;
        if (c->user_rcvbuf || !c->rcvbuf.cap || bytes <= c->rcvbuf.cap)
                return 0;
        int rc = um_ring_grow(&c->rcvbuf, bytes, tcp_rcv_extent(c));
        if (rc == 0)
                c->st->tcp->ctr.TcpExtTCPRcvAutotune++;
        return rc;
}

/* Receive-buffer auto-tuning in the manner of Linux's DRS: measure how many bytes arrive
 * per receiver-side RTT and keep the buffer at four times that. */
static void rcv_autotune(struct um_tcp_conn *c)
{
        uint64_t now = c->st->now;
        /* The peer has half the window in flight while the application keeps up, and that
         * window was all the buffer had room for: the buffer, not the reader, limits it.
         * Grow before it fills (the RTT-based rule below needs a whole window to arrive
         * before its first sample). A window capped by something else (the SYN's unscaled
         * field, an extension's shared window) would not open with a bigger buffer. */
        uint32_t cap = c->rcvbuf.cap, remaining = c->rcv_adv - c->rcv_nxt;
        if (c->rcv_wnd_by_buffer && remaining < cap / 2 && c->rcvbuf.len < cap / 4)
                um_tcp_rcvbuf_reserve(c, cap * 2);
        if (!c->rcv_rtt_time || seq_geq(c->rcv_nxt, c->rcv_rtt_seq)) {
                if (c->rcv_rtt_time) {
                        uint64_t sample = now - c->rcv_rtt_time;
                        if (!c->rcv_rtt_us || sample < c->rcv_rtt_us)
                                c->rcv_rtt_us = sample;
                        else
                                c->rcv_rtt_us = (7 * c->rcv_rtt_us + sample) / 8;
                }
                c->rcv_rtt_seq = c->rcv_nxt + (c->rcv_adv - c->rcv_nxt);
                c->rcv_rtt_time = now;
        }
        uint64_t rtt = c->rcv_rtt_us;
        if (c->srtt_us && (!rtt || c->srtt_us < rtt))
                rtt = c->srtt_us;
        if (!c->rcv_space_time) {
                c->rcv_space_time = now;
                c->rcv_space_seq = c->rcv_nxt;
                return;
        }
        if (!rtt || now - c->rcv_space_time < rtt)
                return;
        uint32_t got = c->rcv_nxt - c->rcv_space_seq;
        if (got > c->rcv_space) {
                c->rcv_space = got;
                um_tcp_rcvbuf_reserve(c, got > UINT32_MAX / 4 ? UINT32_MAX : 4 * got);
        }
        c->rcv_space_seq = c->rcv_nxt;
        c->rcv_space_time = now;
}

static void process_fin(struct um_tcp_conn *c)
{
        struct um_stack *st = c->st;
        c->rcv_fin_pending = 0;
        c->fin_rcvd = 1;
        c->rcv_nxt++;
        c->ack_now = 1;
        switch (c->state) {
        case TCPS_SYN_RECEIVED:
        case TCPS_ESTABLISHED:
                tcp_set_state(c, TCPS_CLOSE_WAIT);
                break;
        case TCPS_FIN_WAIT_1:
                if (c->fin_sent && seq_gt(c->snd_una, c->fin_seq)) {
                        tcp_set_state(c, TCPS_TIME_WAIT);
                        tcp_timer_set(c, TCP_T_LINGER, st->now + 2 * tcp_of(c)->msl_us);
                } else {
                        tcp_set_state(c, TCPS_CLOSING);
                }
                break;
        case TCPS_FIN_WAIT_2:
                tcp_set_state(c, TCPS_TIME_WAIT);
                tcp_timer_set(c, TCP_T_LINGER, st->now + 2 * tcp_of(c)->msl_us);
                break;
        default:
                break;
        }
        tcp_notify(c);
}

/* RFC 2883: a segment we already had is reported as the first SACK block of the next ACK,
 * which lets the sender tell reordering (or a spurious retransmission) from loss. */
void tcp_note_duplicate(struct um_tcp_conn *c, uint32_t start, uint32_t end)
{
        if (!c->sack_ok)
                return;
        c->dsack_pending = 1;
        c->dsack_start = start;
        c->dsack_end = end;
        c->ack_now = 1;
}

/* RFC 9293 §3.10.7.4 "seventh, process the segment text" and "eighth, check the FIN". */
void tcp_process_data(struct um_tcp_conn *c, const struct tcp_seg *s, int trim_all)
{
        struct um_stack *st = c->st;
        uint32_t seq = s->info.seq;
        const uint8_t *data = s->info.payload;
        uint32_t len = trim_all ? 0 : s->info.len;
        int fin = !trim_all && (s->info.flags & UM_TH_FIN);
        int can_receive = c->state == TCPS_ESTABLISHED || c->state == TCPS_FIN_WAIT_1 ||
                          c->state == TCPS_FIN_WAIT_2;
        if (!can_receive) {
                if (c->state == TCPS_TIME_WAIT && fin) {
                        /* A retransmitted FIN: ACK it and restart 2*MSL (RFC 9293). */
                        c->ack_now = 1;
                        tcp_timer_set(c, TCP_T_LINGER, st->now + 2 * tcp_of(c)->msl_us);
                } else if (len || fin) {
                        c->ack_now = 1;
                }
                return;
        }
        if (len && c->orphan && c->rd_shut) {
                /* Nobody will ever read this: abort as Linux does (RFC 9293 §3.10.7.4). */
                st->tcp->ctr.TcpExtTCPAbortOnData++;
                tcp_send_rst(c);
                tcp_done(c, 0);
                return;
        }
        if (len && seq_lt(seq, c->rcv_nxt))
                tcp_note_duplicate(c, seq, seq_min(seq + len, c->rcv_nxt));
        if (seq_lt(seq, c->rcv_nxt)) {
                uint32_t cut = c->rcv_nxt - seq;
                if (cut >= len) {
                        if (len)
                                st->tcp->ctr.TcpExtTCPDupData++;
                        c->ack_now = c->ack_now || len || (fin && seq + len + 1 != c->rcv_nxt + 1);
                        if (fin && seq + len == c->rcv_nxt && !c->fin_rcvd)
                                process_fin(c);
                        return;
                }
                data += cut;
                len -= cut;
                seq = c->rcv_nxt;
        }
        uint32_t room = tcp_rcv_window(c);
        uint32_t promised = tcp_promised_window(c);
        if (promised > room && c->rcvbuf.cap) {
                /* RFC 9293 §3.8.6.2.1: the window announced is honoured while the buffer
                 * has the room, even if an upper layer has asked for less since. */
                uint32_t space = c->rcvbuf.cap - c->rcvbuf.len;
                room = promised < space ? promised : space;
        }
        uint32_t off = seq - c->rcv_nxt;
        if (len && off >= room) {
                st->tcp->ctr.TcpExtTCPRcvQDrop++;
                c->ack_now = 1;
                return;
        }
        if (off + len > room) {
                /* Past the window: keep what fits. A segment without data (a FIN, or an
                 * ACK beyond a hole) may start past a window that shrank since. */
                len = off < room ? room - off : 0;
                fin = 0;
        }
        if (fin) {
                c->rcv_fin_pending = 1;
                c->rcv_fin_seq = seq + len;
        }
        if (len && um_ring_back(&c->rcvbuf, &c->st->rings) < 0) {
                st->tcp->ctr.TcpExtTCPRcvQDrop++; /* no memory now: it comes again */
                return;
        }
        if (len) {
                um_ring_copy_in(&c->rcvbuf, c->rcvbuf.len + off, data, len);
                c->bytes_received += len;
                c->data_segs_in++;
                if (off == 0) {
                        uint32_t old = c->rcv_nxt;
                        int had_holes = c->reass.n;
                        c->rcv_nxt = um_ranges_advance(&c->reass, old + len);
                        c->rcvbuf.len += c->rcv_nxt - old;
                        if (had_holes)
                                c->ack_now = 1; /* RFC 5681 §4.2: ACK a filled hole at once */
                        if (len + 64u >= c->mss || c->reass.n)
                                c->rcv_unacked_segs++;
                        else
                                c->rcv_unacked_segs += 2; /* small segment: no reason to wait */
                        rcv_autotune(c);
                        if (c->ulp && c->ulp->data_ready)
                                c->ulp->data_ready(c, old, c->rcv_nxt - old);
                        tcp_notify(c);
                } else {
                        if (um_ranges_covers(&c->reass, seq, seq + len))
                                tcp_note_duplicate(c, seq, seq + len);
                        if (um_ranges_add(&c->reass, seq, seq + len) < 0) {
                                st->tcp->ctr.TcpExtTCPOFODrop++;
                        } else {
                                st->tcp->ctr.TcpExtTCPOFOQueue++;
                        }
                        c->ack_now = 1; /* duplicate ACK carrying SACK (RFC 5681 §4.2) */
                }
        }
        if (c->rcv_fin_pending && c->rcv_fin_seq == c->rcv_nxt)
                process_fin(c);
}
