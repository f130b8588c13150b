/* What the listeners, the requests and the relayed connections do alike to the sockets
 * they hold: reset one (a refusal or an abort must look like one to the peer, not like an
 * orderly end), and give an MPTCP socket the relay's congestion control and buffers. */
#include "relay/relay.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>
#include <umptcp/socket.h>

void relay_kernel_reset(int kfd)
{
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(kfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        close(kfd);
}

void relay_umptcp_reset(struct um_stack *st, int ufd)
{
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        um_setsockopt(st, ufd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        um_close(st, ufd);
}

void relay_sock_options(struct um_relay *r, int ufd)
{
        if (ufd < 0)
                return;
        if (r->cfg.congestion)
                um_setsockopt(r->st, ufd, IPPROTO_TCP, TCP_CONGESTION, r->cfg.congestion,
                              (socklen_t)strlen(r->cfg.congestion));
        if (r->cfg.socket_buffer_bytes) {
                int b = (int)r->cfg.socket_buffer_bytes;
                um_setsockopt(r->st, ufd, SOL_SOCKET, SO_SNDBUF, &b, sizeof(b));
                um_setsockopt(r->st, ufd, SOL_SOCKET, SO_RCVBUF, &b, sizeof(b));
        }
}
