/* What a control socket's clients are sent: replies and events, each a line queued within
 * the client's bound and written as its socket takes it. Below the requests and the
 * server, which both send through it. */
#include "ctl/ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int ctl_buf_add(struct ctl_buf *b, const char *p, size_t n)
{
        if (b->len + n > b->cap) {
                size_t cap = b->cap ? b->cap : 4096;
                while (cap < b->len + n)
                        cap *= 2;
                char *q = realloc(b->p, cap);
                if (!q)
                        return -ENOMEM;
                b->p = q;
                b->cap = cap;
        }
        memcpy(b->p + b->len, p, n);
        b->len += n;
        return 0;
}

void ctl_flush_out(struct ctl_client *c)
{
        size_t done = 0;
        if (!c->out.len)
                return;
        while (done < c->out.len) {
                ssize_t w = send(c->fd, c->out.p + done, c->out.len - done, MSG_NOSIGNAL);
                if (w <= 0) {
                        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                                c->gone = 1;
                        break;
                }
                done += (size_t)w;
        }
        memmove(c->out.p, c->out.p + done, c->out.len - done);
        c->out.len -= done;
}

/* A line into what waits for the client, unless that would leave more than the bound
 * unread: then it goes, rather than the stack waiting for it. */
static void queue_line(struct um_ctl *ctl, struct ctl_client *c, struct ctl_buf *b,
                       const char *text, size_t n)
{
        if (c->out.len + c->held.len + n + 1 > UM_CTL_MAX_QUEUED) {
                ctl->ctr.CtlClientsDropped++;
                c->gone = 1;
                return;
        }
        if (ctl_buf_add(b, text, n) < 0 || ctl_buf_add(b, "\n", 1) < 0)
                c->gone = 1;
}

void ctl_send(struct um_ctl *ctl, struct ctl_client *c, json_t *v)
{
        char *text = json_dumps(v, JSON_COMPACT);
        json_decref(v);
        if (text && !c->gone) {
                queue_line(ctl, c, &c->out, text, strlen(text));
                ctl_flush_out(c);
        }
        free(text);
}

/* Where a client's events go: after the show reply being written, if one is. */
static struct ctl_buf *event_buf(struct ctl_client *c)
{
        return c->show.active ? &c->held : &c->out;
}

void ctl_tell_lost(struct um_ctl *ctl, struct ctl_client *c)
{
        if (!c->lost || c->gone || c->out.len + c->held.len > UM_CTL_MAX_EVENTS_QUEUED / 2)
                return;
        char line[64];
        int n = snprintf(line, sizeof(line), "{\"event\":\"lost\",\"count\":%llu}",
                         (unsigned long long)c->lost);
        c->lost = 0;
        queue_line(ctl, c, event_buf(c), line, (size_t)n);
}

static void on_event(struct um_stack *st, const struct um_mptcp_event *ev, void *arg)
{
        struct um_ctl *ctl = arg;
        (void)st;
        json_t *v = ctl_event_json(ev);
        char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
        json_decref(v);
        size_t n = text ? strlen(text) : 0;
        for (int i = 0; text && i < ctl->n_clients; i++) {
                struct ctl_client *c = &ctl->clients[i];
                if (!c->subscribed || c->gone)
                        continue;
                ctl_tell_lost(ctl, c);
                /* A subscriber that falls behind loses events, counted, rather than its
                 * connection: it stays, and learns of the loss when it catches up. */
                if (c->lost || c->out.len + c->held.len + n + 1 > UM_CTL_MAX_EVENTS_QUEUED) {
                        c->lost++;
                        ctl->ctr.CtlEventsDropped++;
                        continue;
                }
                queue_line(ctl, c, event_buf(c), text, n);
                ctl_flush_out(c);
        }
        free(text);
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
