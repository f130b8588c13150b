/* The control socket's server: a Unix stream socket (mode 0600) whose clients send one
 * JSON request per line and get one reply per request, and subscribers the events as they
 * come. Everything is non-blocking and bounded: a line (UM_CTL_MAX_LINE), the clients
 * (UM_CTL_MAX_CLIENTS), and what a client leaves unread (UM_CTL_MAX_QUEUED; a subscriber
 * that stops reading is dropped and counted, it never stalls the stack). */
#include "ctl/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void client_close(struct um_ctl *ctl, struct ctl_client *c)
{
        close(c->fd);
        free(c->in);
        free(c->out);
        *c = ctl->clients[--ctl->n_clients];
        ctl_events_update(ctl);
}

/* Writes what waits, as far as the socket takes it. */
static void flush_out(struct ctl_client *c)
{
        size_t done = 0;
        while (done < c->out_len) {
                ssize_t w = send(c->fd, c->out + done, c->out_len - done, MSG_NOSIGNAL);
                if (w <= 0) {
                        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                                c->gone = 1;
                        break;
                }
                done += (size_t)w;
        }
        memmove(c->out, c->out + done, c->out_len - done);
        c->out_len -= done;
}

void ctl_send(struct um_ctl *ctl, struct ctl_client *c, json_t *v)
{
        char *text = json_dumps(v, JSON_COMPACT);
        json_decref(v);
        if (!text || c->gone) {
                free(text);
                return;
        }
        size_t n = strlen(text);
        if (c->out_len + n + 1 > UM_CTL_MAX_QUEUED) {
                /* It stopped reading: it goes, rather than the stack waiting for it. */
                ctl->ctr.CtlClientsDropped++;
                c->gone = 1;
                free(text);
                return;
        }
        if (c->out_len + n + 1 > c->out_cap) {
                size_t cap = c->out_cap ? c->out_cap : 4096;
                while (cap < c->out_len + n + 1)
                        cap *= 2;
                char *p = realloc(c->out, cap);
                if (!p) {
                        c->gone = 1;
                        free(text);
                        return;
                }
                c->out = p;
                c->out_cap = cap;
        }
        memcpy(c->out + c->out_len, text, n);
        c->out[c->out_len + n] = '\n';
        c->out_len += n + 1;
        free(text);
        flush_out(c);
}

static void on_event(struct um_stack *st, const struct um_mptcp_event *ev, void *arg)
{
        struct um_ctl *ctl = arg;
        (void)st;
        json_t *v = ctl_event_json(ev);
        for (int i = 0; v && i < ctl->n_clients; i++)
                if (ctl->clients[i].subscribed)
                        ctl_send(ctl, &ctl->clients[i], json_incref(v));
        json_decref(v);
}

void ctl_events_update(struct um_ctl *ctl)
{
        int want = 0;
        for (int i = 0; i < ctl->n_clients; i++)
                want |= ctl->clients[i].subscribed;
        if (want && !ctl->events) {
                int h = um_mptcp_pm_subscribe(ctl->st, on_event, ctl);
                ctl->events = h > 0 ? h : 0;
        } else if (!want && ctl->events) {
                um_mptcp_pm_unsubscribe(ctl->st, ctl->events);
                ctl->events = 0;
        }
}

static void accept_clients(struct um_ctl *ctl)
{
        for (;;) {
                int fd = accept4(ctl->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                        return;
                if (ctl->n_clients == UM_CTL_MAX_CLIENTS) {
                        static const char busy[] = "{\"id\":null,\"ok\":false,\"error\":\"EBUSY\","
                                                   "\"message\":\"too many clients\"}\n";
                        ssize_t w = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL);
                        (void)w;
                        close(fd);
                        ctl->ctr.CtlClientsRefused++;
                        continue;
                }
                ctl->clients[ctl->n_clients++] = (struct ctl_client){.fd = fd};
                ctl->ctr.CtlClients++;
        }
}

/* Takes what arrived; each complete line is a request. */
static void read_client(struct um_ctl *ctl, struct ctl_client *c)
{
        char buf[4096];
        for (;;) {
                ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
                if (r == 0 ||
                    (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                        c->gone = 1;
                        return;
                }
                if (r < 0)
                        return;
                for (ssize_t i = 0; i < r && !c->gone; i++) {
                        if (buf[i] == '\n') {
                                if (!c->skipping)
                                        ctl_request(ctl, c, c->in ? c->in : "", c->in_len);
                                c->skipping = 0;
                                c->in_len = 0;
                                continue;
                        }
                        if (c->skipping)
                                continue;
                        if (c->in_len == UM_CTL_MAX_LINE) {
                                ctl->ctr.CtlLinesTooLong++;
                                ctl_send(ctl, c,
                                         json_pack("{s:n,s:b,s:s,s:s}", "id", "ok", 0, "error",
                                                   "E2BIG", "message", "request line too long"));
                                c->skipping = 1;
                                c->in_len = 0;
                                continue;
                        }
                        if (!c->in && !(c->in = malloc(UM_CTL_MAX_LINE + 1))) {
                                c->gone = 1;
                                return;
                        }
                        c->in[c->in_len++] = buf[i];
                }
        }
}

static int svc_fds(void *arg, struct pollfd *out, int max)
{
        struct um_ctl *ctl = arg;
        int n = 0;
        if (n < max)
                out[n++] = (struct pollfd){.fd = ctl->lfd, .events = POLLIN};
        for (int i = 0; i < ctl->n_clients && n < max; i++)
                out[n++] = (struct pollfd){
                    .fd = ctl->clients[i].fd,
                    .events = (short)(POLLIN | (ctl->clients[i].out_len ? POLLOUT : 0))};
        return n;
}

static void svc_ready(void *arg, const struct pollfd *fds, int n)
{
        struct um_ctl *ctl = arg;
        for (int k = 0; k < n; k++) {
                if (!fds[k].revents)
                        continue;
                if (fds[k].fd == ctl->lfd) {
                        accept_clients(ctl);
                        continue;
                }
                for (int i = 0; i < ctl->n_clients; i++) {
                        struct ctl_client *c = &ctl->clients[i];
                        if (c->fd != fds[k].fd)
                                continue;
                        if (fds[k].revents & POLLOUT)
                                flush_out(c);
                        if (fds[k].revents & (POLLIN | POLLHUP | POLLERR))
                                read_client(ctl, c);
                        break;
                }
        }
        for (int i = 0; i < ctl->n_clients;)
                if (ctl->clients[i].gone)
                        client_close(ctl, &ctl->clients[i]);
                else
                        i++;
}

static void svc_close(void *arg)
{
        um_ctl_close(arg);
}

int um_ctl_serve(struct um_stack *st, const char *path, struct um_ctl **out)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (!st || !path || !out || !*path || strlen(path) >= sizeof(sa.sun_path))
                return -EINVAL;
        struct stat sb;
        if (lstat(path, &sb) == 0) {
                if (!S_ISSOCK(sb.st_mode))
                        return -EEXIST; /* not ours to replace */
                unlink(path);
        }
        struct um_ctl *ctl = calloc(1, sizeof(*ctl));
        if (!ctl)
                return -ENOMEM;
        ctl->st = st;
        snprintf(ctl->path, sizeof(ctl->path), "%s", path);
        memcpy(sa.sun_path, path, strlen(path));
        ctl->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        /* Created 0600: the umask covers the moment between bind and chmod. */
        mode_t old = umask(0177);
        int rc =
            ctl->lfd < 0 || bind(ctl->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
        umask(old);
        if (!rc && (chmod(path, 0600) < 0 || listen(ctl->lfd, UM_CTL_MAX_CLIENTS) < 0))
                rc = -errno;
        static const struct um_counter_name names[] = {
#define CTL_COUNTER_NAME(n) UM_COUNTER_NAME(struct ctl_counters, n)
            CTL_COUNTER_LIST(CTL_COUNTER_NAME)
#undef CTL_COUNTER_NAME
        };
        if (!rc)
                rc = um_counters_register(st, names, sizeof(names) / sizeof(names[0]), &ctl->ctr);
        ctl->svc = (struct um_io_service){
            .fds = svc_fds, .ready = svc_ready, .close = svc_close, .arg = ctl};
        if (!rc && (rc = um_stack_service_add(st, &ctl->svc)) < 0)
                um_counters_unregister(st, &ctl->ctr);
        if (rc < 0) {
                if (ctl->lfd >= 0) {
                        close(ctl->lfd);
                        unlink(path);
                }
                free(ctl);
                return rc;
        }
        *out = ctl;
        return 0;
}

void um_ctl_close(struct um_ctl *ctl)
{
        if (!ctl)
                return;
        while (ctl->n_clients)
                client_close(ctl, &ctl->clients[0]);
        um_stack_service_remove(ctl->st, &ctl->svc);
        um_counters_unregister(ctl->st, &ctl->ctr);
        close(ctl->lfd);
        unlink(ctl->path);
        free(ctl);
}
