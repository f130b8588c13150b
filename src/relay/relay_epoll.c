/* The relay's epoll descriptor: every kernel socket it watches (listeners, relayed
 * connections' kernel sides, the resolver's and the metrics server's) sits on it with a
 * token that says what it is (relay.h); the loop in relay.c reads the events. */
#include "relay/relay.h"

#include <errno.h>
#include <sys/epoll.h>

int relay_epoll_set(struct um_relay *r, int fd, uint32_t events, void *ptr, int add)
{
        struct epoll_event ev = {.events = events, .data.ptr = ptr};
        return epoll_ctl(r->epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void relay_epoll_del(struct um_relay *r, int fd)
{
        epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL);
}
