/* A view of the TCP header inside an IPv4 or IPv6 packet, for link middleboxes in tests. */
#include "tcp_view.h"

#include <string.h>

#include "net/addr.h"
#include "net/checksum.h"

int view(uint8_t *pkt, uint32_t len, struct tcp_view *v)
{
        int v4 = len >= 40 && (pkt[0] >> 4) == 4 && pkt[9] == 6;
        int v6 = len >= 60 && (pkt[0] >> 4) == 6 && pkt[6] == 6;
        if (!v4 && !v6)
                return -1;
        v->ip = pkt;
        v->iphl = v4 ? (pkt[0] & 15u) * 4 : 40;
        v->tcp = pkt + v->iphl;
        unsigned doff = (v->tcp[12] >> 4) * 4u;
        v->opt = v->tcp + 20;
        v->optlen = doff - 20;
        v->payload = v->tcp + doff;
        v->total = len;
        v->plen = len - v->iphl - doff;
        v->flags = v->tcp[13];
        return 0;
}

void fix_tcp_checksum(struct tcp_view *v)
{
        int v6 = (v->ip[0] >> 4) == 6;
        struct um_addr s = {.family = v6 ? AF_INET6 : AF_INET}, d = {.family = s.family};
        memcpy(s.b, v->ip + (v6 ? 8 : 12), v6 ? 16 : 4);
        memcpy(d.b, v->ip + (v6 ? 24 : 16), v6 ? 16 : 4);
        uint32_t tl = v->total - v->iphl;
        v->tcp[16] = v->tcp[17] = 0;
        uint16_t c = um_csum_fold(um_csum_add(um_csum_pseudo(&s, &d, 6, tl), v->tcp, tl));
        memcpy(v->tcp + 16, &c, 2);
}

int next_mptcp_option(const struct tcp_view *v, unsigned *at)
{
        for (unsigned i = *at; i < v->optlen;) {
                uint8_t k = v->opt[i];
                if (k == 0)
                        break;
                if (k == 1) {
                        i++;
                        continue;
                }
                if (i + 1 >= v->optlen || v->opt[i + 1] < 2)
                        break;
                *at = i + v->opt[i + 1];
                if (k == 30)
                        return (int)i;
                i = *at;
        }
        return -1;
}
