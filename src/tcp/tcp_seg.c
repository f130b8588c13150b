/* What every step of segment arrival shares (tcp_input.c, tcp_handshake.c,
 * tcp_syncookie.c): a segment's length in sequence space, the reset for a segment that
 * belongs to no connection, challenge ACKs, and the options handed to registered handlers. */
#include "tcp/tcp_input_int.h"

uint32_t tcp_seg_seqlen(const struct tcp_seg *s)
{
        return s->info.len + !!(s->info.flags & UM_TH_SYN) + !!(s->info.flags & UM_TH_FIN);
}

/* RFC 9293 §3.10.7.1: the reply to a segment that belongs to no connection. */
void tcp_reset_for(struct um_stack *st, const struct tcp_seg *s)
{
        if (s->info.flags & UM_TH_RST)
                return;
        if (s->info.flags & UM_TH_ACK)
                tcp_respond_rst(st, s->ifindex, s->dst, s->src, s->dport, s->sport, s->info.ack, 0,
                                0);
        else
                tcp_respond_rst(st, s->ifindex, s->dst, s->src, s->dport, s->sport, 0,
                                s->info.seq + tcp_seg_seqlen(s), UM_TH_ACK);
}

/* RFC 5961 §7: challenge ACKs, limited per stack to 1000 a second. */
void tcp_challenge_ack(struct um_tcp_conn *c)
{
        struct um_tcp_stack *t = tcp_of(c);
        uint64_t now = c->st->now;
        if (now - t->challenge_window_start >= 1000000) {
                t->challenge_window_start = now;
                t->challenge_count = 0;
        }
        if (++t->challenge_count > 1000) {
                c->st->tcp->ctr.TcpExtChallengeACKLimited++;
                return;
        }
        c->st->tcp->ctr.TcpExtChallengeACK++;
        tcp_send_ack(c);
}

int tcp_dispatch_options(struct um_tcp_conn *c, const struct tcp_seg *s)
{
        if (!s->o.has_other || !tcp_of(c)->n_opts)
                return 0;
        if (tcp_options_dispatch(c, &s->info, s->opt, s->optlen) < 0) {
                c->st->tcp->ctr.TcpInErrs++;
                return -1;
        }
        return 0;
}
