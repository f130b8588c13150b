/* The 4-tuple as the keyed hashes take it, and its keyed hash: below the connection table,
 * the TIME_WAIT records and the SYN cookies, which all file or sign connections by it. */
#include "core/siphash.h"
#include "tcp/tcp.h"

#include <string.h>

size_t tcp_tuple_bytes(uint8_t msg[36], const struct um_addr *laddr, uint16_t lport,
                       const struct um_addr *raddr, uint16_t rport)
{
        size_t n = um_addr_len(laddr);
        memcpy(msg, laddr->b, n);
        memcpy(msg + n, raddr->b, n);
        n *= 2;
        msg[n++] = (uint8_t)(lport >> 8);
        msg[n++] = (uint8_t)lport;
        msg[n++] = (uint8_t)(rport >> 8);
        msg[n++] = (uint8_t)rport;
        return n;
}

uint32_t tcp_tuple_hash(const struct um_tcp_stack *t, const struct um_addr *laddr, uint16_t lport,
                        const struct um_addr *raddr, uint16_t rport)
{
        /* Keyed over the whole tuple (SipHash, as the ISNs): an unkeyed or merely seeded hash
         * whose buckets are its low bits put every port congruent modulo the table's size in
         * one bucket, so that one peer could make a chain as long as it liked. */
        uint8_t msg[36];
        return (uint32_t)um_siphash(t->secret + 32, msg,
                                    tcp_tuple_bytes(msg, laddr, lport, raddr, rport));
}
