/* Segment construction and the decision of what to send next: retransmissions first,
 * then new data within the peer's window and the congestion window, then a bare ACK. */
#include "core/bytes.h"
#include "tcp/tcp.h"
#include "tcp/tcp_options.h"
#include "net/checksum.h"
#include "net/ip.h"

#include <errno.h>

uint32_t tcp_rcv_window(const struct um_tcp_conn *c)
{
        if (!c->rcvbuf.cap)
                return c->user_rcvbuf ? c->rcvbuf_max : TCP_DEFAULT_RCVBUF;
        uint32_t free = c->rcvbuf.cap - c->rcvbuf.len;
        if (c->ulp && c->ulp->rcv_space)
                free = c->ulp->rcv_space((struct um_tcp_conn *)c, free);
        return free;
}

uint32_t tcp_promised_window(const struct um_tcp_conn *c)
{
        return seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
}

/* The window to announce: receiver SWS avoidance (RFC 9293 §3.8.6.2.2) keeps a small
 * opening shut until it reaches min(buffer/2, MSS), but never pulls back the right edge. */
/* The window to announce when the receive window (tcp_rcv_window) is `free`. */
static uint32_t adv_window(const struct um_tcp_conn *c, uint32_t free)
{
        uint32_t step = c->rcvbuf.cap / 2 < c->mss ? c->rcvbuf.cap / 2 : c->mss;
        uint32_t promised = tcp_promised_window(c);
        if (c->rcvbuf.cap && free < step)
                free = 0;
        return free > promised ? free : promised;
}

uint32_t tcp_adv_window(const struct um_tcp_conn *c)
{
        return adv_window(c, tcp_rcv_window(c));
}

/* Whether the window announced now, from the receive window `free`, is all the buffer
 * has room for, rather than less because of the SYN's unscaled field, the scaled field's
 * limit or an extension's shared window: only then can a bigger buffer open it further. */
static int window_is_buffer_room(const struct um_tcp_conn *c, uint32_t free, int syn)
{
        if (!c->rcvbuf.cap)
                return 0;
        uint32_t room = c->rcvbuf.cap - c->rcvbuf.len;
        uint64_t field_limit = syn ? 65535 : (uint64_t)65535 << c->rcv_wscale;
        return room <= field_limit && free >= room;
}

uint32_t tcp_seg_size(const struct um_tcp_conn *c)
{
        uint32_t n = c->mss;
        if (c->ts_ok)
                n -= 12;
        n -= c->opt_reserve;
        return n < 64 ? 64 : n;
}

static void fill_header(uint8_t *h, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                        unsigned hdrlen, uint8_t flags, uint16_t wnd)
{
        um_put_be16(h, sport);
        um_put_be16(h + 2, dport);
        um_put_be32(h + 4, seq);
        um_put_be32(h + 8, ack);
        h[12] = (uint8_t)((hdrlen / 4) << 4);
        h[13] = flags;
        um_put_be16(h + 14, wnd);
        h[16] = h[17] = 0;
        h[18] = h[19] = 0;
}

static void finish_checksum(const struct um_addr *src, const struct um_addr *dst, uint8_t *h,
                            uint32_t len)
{
        uint64_t sum = um_csum_pseudo(src, dst, UM_IPPROTO_TCP, len);
        uint16_t c = um_csum_fold(um_csum_add(sum, h, len));
        memcpy(h + 16, &c, 2);
}

/* Builds and sends one segment of `len` payload bytes taken from the send buffer at seq. */
static int tcp_xmit(struct um_tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags)
{
        struct um_stack *st = c->st;
        struct um_pkt *pkt = um_pkt_alloc(&st->pool);
        if (!pkt) {
                st->ctr.PktPoolExhausted++;
                return -ENOBUFS;
        }
        if (c->state != TCPS_SYN_SENT || (flags & UM_TH_ACK))
                flags |= UM_TH_ACK;
        struct um_tcp_seg_info seg = {
            .flags = flags, .seq = seq, .ack = c->rcv_nxt, .len = len, .pkt = pkt};
        if (c->ulp && c->ulp->segment_out)
                c->ulp->segment_out(c, &seg);
        if (seg.withhold && !len && !(flags & (UM_TH_SYN | UM_TH_FIN | UM_TH_RST))) {
                st->tcp->ctr.TcpExtAckWithheld++;
                um_pkt_free(&st->pool, pkt);
                c->ack_now = 0;
                c->rcv_unacked_segs = 0;
                tcp_timer_clear(c, TCP_T_DELACK);
                return 0;
        }
        uint32_t ip_hdr = c->laddr.family == AF_INET ? UM_IPV4_HDR : UM_IPV6_HDR;
        uint32_t mtu = um_iface_mtu(st, c->ifindex);
        uint32_t room = mtu > ip_hdr + TCP_HDR + len ? mtu - ip_hdr - TCP_HDR - len : 0;
        uint8_t opts[TCP_MAX_OPT];
        unsigned optlen = tcp_options_write(c, &seg, opts, room);
        unsigned hdrlen = TCP_HDR + optlen;
        if (hdrlen + len > um_pkt_tailroom(pkt)) {
                um_pkt_free(&st->pool, pkt);
                return -EMSGSIZE;
        }
        uint8_t *h = um_pkt_data(pkt);
        uint32_t free = tcp_rcv_window(c), wnd = adv_window(c, free);
        uint16_t wfield;
        if (flags & UM_TH_SYN) {
                wfield = wnd > 65535 ? 65535 : (uint16_t)wnd; /* RFC 7323 §2.2: never scaled */
        } else {
                uint32_t scaled = wnd >> c->rcv_wscale;
                wfield = scaled > 65535 ? 65535 : (uint16_t)scaled;
        }
        uint32_t edge =
            c->rcv_nxt + ((uint32_t)wfield << ((flags & UM_TH_SYN) ? 0 : c->rcv_wscale));
        if (seq_gt(edge, c->rcv_adv) || !(c->state >= TCPS_ESTABLISHED))
                c->rcv_adv = edge;
        c->rcv_wnd_by_buffer = window_is_buffer_room(c, free, flags & UM_TH_SYN);
        fill_header(h, c->lport, c->rport, seq, (flags & UM_TH_ACK) ? c->rcv_nxt : 0, hdrlen, flags,
                    wfield);
        memcpy(h + TCP_HDR, opts, optlen);
        if (len)
                um_ring_copy_out(&c->sndbuf, seq - c->snd_una, h + hdrlen, len);
        pkt->len = (uint16_t)(hdrlen + len);
        finish_checksum(&c->laddr, &c->raddr, h, pkt->len);

        c->segs_out++;
        st->tcp->ctr.TcpOutSegs++;
        if (len)
                c->data_segs_out++;
        if (flags & UM_TH_RST)
                st->tcp->ctr.TcpOutRsts++;
        if (flags & UM_TH_ACK) {
                c->ack_now = 0;
                c->rcv_unacked_segs = 0;
                tcp_timer_clear(c, TCP_T_DELACK);
        }
        c->last_send_us = st->now;
        return um_ip_output(st, c->ifindex, &c->laddr, &c->raddr, UM_IPPROTO_TCP, pkt);
}

void tcp_respond(struct um_stack *st, int ifindex, const struct um_addr *local,
                 const struct um_addr *remote, uint16_t lport, uint16_t rport, uint32_t seq,
                 uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t *opt, unsigned optlen)
{
        struct um_pkt *pkt = um_pkt_alloc(&st->pool);
        if (!pkt) {
                st->ctr.PktPoolExhausted++;
                return;
        }
        uint8_t *h = um_pkt_data(pkt);
        unsigned hdrlen = TCP_HDR + optlen;
        fill_header(h, lport, rport, seq, ack, hdrlen, flags, wnd);
        if (optlen)
                memcpy(h + TCP_HDR, opt, optlen);
        pkt->len = (uint16_t)hdrlen;
        finish_checksum(local, remote, h, hdrlen);
        st->tcp->ctr.TcpOutSegs++;
        if (flags & UM_TH_RST)
                st->tcp->ctr.TcpOutRsts++;
        struct um_addr src = *local;
        int out = um_route(st, &src, remote);
        um_ip_output(st, out >= 0 ? out : ifindex, &src, remote, UM_IPPROTO_TCP, pkt);
}

void tcp_respond_rst(struct um_stack *st, int ifindex, const struct um_addr *local,
                     const struct um_addr *remote, uint16_t lport, uint16_t rport, uint32_t seq,
                     uint32_t ack, uint8_t flags)
{
        tcp_respond(st, ifindex, local, remote, lport, rport, seq, ack, flags | UM_TH_RST, 0, NULL,
                    0);
}

int tcp_send_syn(struct um_tcp_conn *c)
{
        uint8_t flags = UM_TH_SYN | (c->state == TCPS_SYN_RECEIVED ? UM_TH_ACK : 0);
        return tcp_xmit(c, c->iss, 0, flags);
}

void tcp_send_ack(struct um_tcp_conn *c)
{
        if (c->state == TCPS_CLOSED || c->state == TCPS_LISTEN || c->state == TCPS_SYN_SENT)
                return;
        tcp_xmit(c, c->snd_nxt, 0, UM_TH_ACK);
}

void tcp_send_probe(struct um_tcp_conn *c)
{
        /* A segment one below snd_una is old news to the peer, which must ACK it. */
        tcp_xmit(c, c->snd_una - 1, 0, UM_TH_ACK);
}

void tcp_send_rst(struct um_tcp_conn *c)
{
        if (c->state == TCPS_CLOSED || c->state == TCPS_LISTEN || c->state == TCPS_SYN_SENT ||
            c->ifindex < 0)
                return;
        tcp_xmit(c, c->snd_nxt, 0, UM_TH_RST | UM_TH_ACK);
}

int tcp_retransmit_seg(struct um_tcp_conn *c, struct tcp_txseg *s)
{
        uint32_t payload = s->len - ((s->flags & TXS_FIN) ? 1 : 0);
        uint8_t flags = UM_TH_ACK | ((s->flags & TXS_FIN) ? UM_TH_FIN : 0);
        if (payload)
                flags |= UM_TH_PSH;
        int rc = tcp_xmit(c, s->seq, payload, flags);
        if (rc < 0 && rc != -ENETUNREACH)
                return rc;
        s->xmit_us = c->st->now;
        uint32_t *h = c->rexmit_hist[c->rexmit_hist_next++ % 16];
        h[0] = s->seq;
        h[1] = s->seq + s->len;
        if (!(s->flags & TXS_RETRANS))
                c->retrans_out += s->len;
        /* RACK runs only with SACK; without it nothing would take the entries out. Without
         * memory for the entry, the retransmission timer finds this one lost instead. */
        if (c->sack_ok) {
                struct tcp_rtx r = {.seq = s->seq, .end = s->seq + s->len, .xmit_us = s->xmit_us};
                (void)um_recq_push(&c->rtxq, &r);
        }
        s->flags |= TXS_RETRANS | TXS_EVER_RETRANS;
        c->total_retrans++;
        c->bytes_retrans += payload;
        c->st->tcp->ctr.TcpRetransSegs++;
        return 0;
}

static int can_send_data(const struct um_tcp_conn *c)
{
        switch (c->state) {
        case TCPS_ESTABLISHED:
        case TCPS_CLOSE_WAIT:
        case TCPS_FIN_WAIT_1:
        case TCPS_CLOSING:
        case TCPS_LAST_ACK:
                return 1;
        default:
                return 0;
        }
}

/* The index of the first segment record at or after sequence number seq (records are in
 * sequence order). */
static uint32_t txq_find(const struct um_tcp_conn *c, uint32_t seq)
{
        uint32_t lo = 0, hi = c->txq.n;
        while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                const struct tcp_txseg *s = tcp_txq_at(&c->txq, mid);
                if (seq_lt(s->seq + s->len, seq + 1))
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

/* Sends lost segments again, oldest first, from the first one that may wait (lost_from):
 * in a long recovery the records before it are all acknowledged by SACK or already sent
 * again, and walking them on every ACK made recovery cost grow with the window. */
static int retransmit_lost(struct um_tcp_conn *c)
{
        int sent = 0;
        uint32_t i = c->lost_out ? txq_find(c, c->lost_from) : c->txq.n;
        for (; i < c->txq.n && c->lost_out > 0; i++) {
                struct tcp_txseg *s = tcp_txq_at(&c->txq, i);
                if ((s->flags & (TXS_LOST | TXS_RETRANS | TXS_SACKED)) != TXS_LOST)
                        continue;
                c->lost_from = s->seq;
                if (tcp_pipe(c) + s->len > c->cwnd)
                        return sent;
                if (tcp_retransmit_seg(c, s) < 0)
                        return sent;
                if (c->in_recovery)
                        c->prr_out += s->len;
                sent = 1;
        }
        c->lost_from = i < c->txq.n ? tcp_txq_at(&c->txq, i)->seq : c->snd_nxt;
        return sent;
}

/* Decides the length of the next new-data segment, 0 when nothing should go now. */
static uint32_t next_data_len(struct um_tcp_conn *c, uint32_t avail, int *fin)
{
        uint32_t smss = tcp_seg_size(c);
        uint32_t edge = c->snd_una + c->snd_wnd;
        uint32_t usable = seq_gt(edge, c->snd_nxt) ? edge - c->snd_nxt : 0;
        uint32_t pipe = tcp_pipe(c);
        uint32_t cwnd_room = c->cwnd > pipe ? c->cwnd - pipe : 0;
        uint32_t len = avail;
        if (len > smss)
                len = smss;
        if (len > usable)
                len = usable;
        if (len > cwnd_room)
                len = cwnd_room;
        if (len && c->ulp && c->ulp->tx_limit) {
                uint32_t wanted = len;
                len = c->ulp->tx_limit(c, c->snd_nxt, len);
                if (len < wanted) {
                        *fin = 0;
                        return len; /* a boundary the upper layer needs, not a small write */
                }
        }
        *fin = c->fin_queued && len == avail;
        if (*fin && !cwnd_room && tcp_flight_size(c))
                *fin = 0;
        if (len == smss || (*fin && len == avail))
                return len;
        if (!len)
                return 0;
        if (c->force_send)
                return len;
        if (len < avail) {
                /* Sender SWS avoidance (RFC 9293 §3.8.6.2.1): a partial segment only for a
                 * window that is at least half the largest the peer offered. */
                if (len < usable || len < c->max_snd_wnd / 2)
                        return 0;
                return len;
        }
        /* All that is queued fits in a small segment: Nagle (RFC 9293 §3.7.4). */
        if (!c->nodelay && tcp_flight_size(c))
                return 0;
        return len;
}

void tcp_output(struct um_tcp_conn *c)
{
        c->output_pending = 0;
        if (c->dead || c->state == TCPS_CLOSED)
                return;
        if (!can_send_data(c)) {
                if (c->ack_now)
                        tcp_send_ack(c);
                return;
        }
        struct um_stack *st = c->st;
        int sent = 0;
        /* RFC 5681 §4.1: restart from the initial window after an idle period. */
        if (!tcp_flight_size(c) && c->last_send_us && st->now - c->last_send_us > c->rto_us) {
                uint32_t iw = TCP_INIT_CWND_SEGS * (uint32_t)c->mss;
                if (c->cwnd > iw)
                        c->cwnd = iw;
        }
        if (c->lost_out)
                sent |= retransmit_lost(c);

        int budget = TCP_MAX_BURST;
        while (!c->fin_sent && budget-- > 0) {
                uint32_t avail = c->sndbuf.len - (c->snd_nxt - c->snd_una);
                int fin;
                uint32_t len = next_data_len(c, avail, &fin);
                if (!len && !fin)
                        break;
                uint8_t flags = UM_TH_ACK | (fin ? UM_TH_FIN : 0);
                if (len == avail && len)
                        flags |= UM_TH_PSH;
                struct tcp_txseg rec = {.seq = c->snd_nxt,
                                        .len = len + (fin ? 1 : 0),
                                        .xmit_us = st->now,
                                        .flags = fin ? TXS_FIN : 0};
                if (um_recq_push(&c->txq, &rec) < 0)
                        break;
                int rc = tcp_xmit(c, c->snd_nxt, len, flags);
                if (rc == -ENOBUFS || rc == -EMSGSIZE) {
                        um_recq_drop_last(&c->txq);
                        break;
                }
                c->snd_nxt += rec.len;
                c->bytes_sent += len;
                if (c->in_recovery)
                        c->prr_out += rec.len;
                sent = 1;
                if (fin) {
                        c->fin_sent = 1;
                        c->fin_seq = c->snd_nxt - 1;
                        if (c->state == TCPS_ESTABLISHED)
                                tcp_set_state(c, TCPS_FIN_WAIT_1);
                        else if (c->state == TCPS_CLOSE_WAIT)
                                tcp_set_state(c, TCPS_LAST_ACK);
                }
        }
        if (!sent && c->ack_now)
                tcp_send_ack(c);

        if (tcp_flight_size(c)) {
                if (!c->deadline[TCP_T_RTO])
                        tcp_rearm_rto(c);
                if (sent)
                        tcp_arm_tlp(c);
                tcp_timer_clear(c, TCP_T_PERSIST);
        } else if (c->sndbuf.len > tcp_flight_size(c) && !c->deadline[TCP_T_PERSIST]) {
                /* Data waits with nothing in flight: a zero window, or a window too small
                 * to use (sender SWS avoidance). The persist timer probes or overrides. */
                c->probes = 0;
                tcp_timer_set(c, TCP_T_PERSIST, st->now + c->rto_us);
        }
}

int tcp_maybe_window_update(struct um_tcp_conn *c)
{
        if (c->state < TCPS_ESTABLISHED || c->fin_rcvd)
                return 0;
        uint32_t wnd = tcp_adv_window(c);
        uint32_t announced = c->rcv_adv - c->rcv_nxt;
        /* Worth a segment of its own only when the window at least doubles from what the
         * peer sees (as Linux does) and by at least an MSS: ACKs of arriving data carry the
         * smaller updates, and SWS avoidance (RFC 9293 §3.8.6.2.2) holds below that. */
        if (wnd >= 2 * announced && wnd - announced >= c->mss) {
                c->ack_now = 1;
                tcp_output(c);
                return 1;
        }
        return 0;
}
