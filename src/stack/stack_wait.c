/* Blocking helpers for simple tools: drive the stack in real time with poll(2). */
#include "core/stack.h"
#include "net/net.h"

#include <poll.h>
#include <umptcp/link.h>
#include <umptcp/socket.h>

int um_run_once(struct um_stack *st, int extra_fd, int timeout_ms)
{
        struct pollfd pfd[UM_MAX_IFACES + 1 + UM_SERVICE_FDS];
        struct um_link *polled[UM_MAX_IFACES];
        int n = 0;
        for (int i = 0; i < st->net->n_ifaces; i++) {
                struct um_link *l = st->net->ifaces[i].link;
                int fd = l->ops->fd ? l->ops->fd(l) : -1;
                if (fd >= 0 && l->rx_due_us == 0) {
                        polled[n] = l;
                        pfd[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
                }
        }
        int n_links = n;
        int extra = -1;
        if (extra_fd >= 0) {
                extra = n;
                pfd[n++] = (struct pollfd){.fd = extra_fd, .events = POLLIN};
        }
        int svc_at = n;
        n += um_stack_services_fds(st, pfd + n, UM_SERVICE_FDS);
        uint64_t now = um_clock_now_us();
        uint64_t next = um_stack_next_deadline(st);
        int wait = timeout_ms;
        if (next != UINT64_MAX) {
                uint64_t until = next > now ? (next - now + 999) / 1000 : 0;
                if (wait < 0 || until < (uint64_t)wait)
                        wait = (int)until;
        }
        int rc = poll(pfd, (nfds_t)n, wait);
        now = um_clock_now_us();
        /* A link whose descriptor poll() found idle, and that holds nothing itself, is not
         * read in this round: an idle device costs no system call. */
        for (int i = 0; i < n_links; i++)
                if (!(pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) &&
                    (!polled[i]->ops->next_event ||
                     polled[i]->ops->next_event(polled[i], now) > now))
                        polled[i]->rx_due_us = UINT64_MAX;
        um_stack_poll(st, now);
        for (int i = 0; i < n_links; i++)
                polled[i]->rx_due_us = 0;
        if (n > svc_at)
                um_stack_services_ready(st, pfd + svc_at, n - svc_at);
        return rc > 0 && extra >= 0 && (pfd[extra].revents & (POLLIN | POLLHUP | POLLERR));
}

short um_wait(struct um_stack *st, int fd, short events, int timeout_ms)
{
        uint64_t start = um_clock_now_us();
        for (;;) {
                um_stack_advance(st, um_clock_now_us());
                short ev = um_sock_events(st, fd) & (short)(events | POLLERR | POLLHUP | POLLNVAL);
                if (ev)
                        return ev;
                int left = -1;
                if (timeout_ms >= 0) {
                        uint64_t spent = (um_clock_now_us() - start) / 1000;
                        if (spent >= (uint64_t)timeout_ms)
                                return 0;
                        left = timeout_ms - (int)spent;
                }
                um_run_once(st, -1, left);
        }
}
