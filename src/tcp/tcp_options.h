/* TCP options: the built-in kinds (RFC 9293 MSS, RFC 7323 window scale and timestamps,
 * RFC 2018 SACK) and dispatch to handlers registered for other kinds. */
#ifndef UM_TCP_OPTIONS_H
#define UM_TCP_OPTIONS_H

#include <stdint.h>

struct um_tcp_conn;
struct um_tcp_seg_info;
struct um_tcp_stack;

enum {
        TCPOPT_EOL = 0,
        TCPOPT_NOP = 1,
        TCPOPT_MSS = 2,
        TCPOPT_WSCALE = 3,
        TCPOPT_SACK_PERM = 4,
        TCPOPT_SACK = 5,
        TCPOPT_TIMESTAMP = 8,
};

struct tcp_opts {
        uint16_t mss;
        uint8_t wscale;
        uint8_t has_mss : 1, has_ws : 1, sack_perm : 1, has_ts : 1, malformed : 1, has_other : 1;
        uint32_t tsval, tsecr;
        int n_sack;
        uint32_t sack[4][2];
};

/* Parses the option area. Malformed lists (length 0 or 1, an option running past the
 * header) stop the parse with o->malformed set; options before the fault stay valid, like
 * Linux. A known kind with the wrong length is ignored. Returns 0, or -EINVAL if malformed. */
int tcp_options_parse(const uint8_t *opt, unsigned len, struct tcp_opts *o);

/* Hands every option of a registered kind to its handler. Returns 0 or the first
 * negative value a handler returned (the caller drops the segment). */
int tcp_options_dispatch(struct um_tcp_conn *c, const struct um_tcp_seg_info *seg,
                         const uint8_t *opt, unsigned len);

/* Writes the options of an outgoing segment into out (room for 40 bytes); returns the
 * length, a multiple of 4. */
unsigned tcp_options_write(struct um_tcp_conn *c, const struct um_tcp_seg_info *seg, uint8_t *out,
                           unsigned room);

/* Our timestamp clock: 1 ms per tick (RFC 7323 §5.4), offset per connection. */
uint32_t tcp_ts_now(const struct um_tcp_conn *c);

#endif
