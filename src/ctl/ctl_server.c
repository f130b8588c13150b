/* The control socket's server: a Unix stream socket (mode 0600) whose clients send one
 * JSON request per line and get one reply per request, and subscribers the events as they
 * come. Everything is non-blocking and bounded: a line (UM_CTL_MAX_LINE), the clients
 * (UM_CTL_MAX_CLIENTS), what a client leaves unread (UM_CTL_MAX_QUEUED; one that stops
 * reading replies is dropped and counted, it never stalls the stack), and the events a
 * subscriber leaves unread (UM_CTL_MAX_EVENTS_QUEUED; beyond it they are dropped, counted,
 * and the subscriber told how many when it catches up). A show reply of any size is
 * produced as the client reads it, so that it counts against that bound only by what is
 * unread. */
#include "ctl/ctl.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* A show reply moves on while less than this waits to be written: at most this plus one
 * chunk of connections is ever held for it. */
enum { SHOW_LOW_WATER = 64 * 1024 };

void ctl_client_release(struct ctl_client *c)
{
        free(c->in);
        free(c->out.p);
        free(c->held.p);
        free(c->pend.p);
        json_decref(c->show.id);
        free(c->show.tokens);
        c->in = c->out.p = c->held.p = c->pend.p = NULL;
        c->show = (struct ctl_show){0};
}

static void client_close(struct um_ctl *ctl, struct ctl_client *c)
{
        close(c->fd);
        ctl_client_release(c);
        *c = ctl->clients[--ctl->n_clients];
        ctl_events_update(ctl);
}

static void take_bytes(struct um_ctl *ctl, struct ctl_client *c, const char *buf, size_t n);

void ctl_client_pump(struct um_ctl *ctl, struct ctl_client *c)
{
        for (int guard = 0; guard < 1024 && !c->gone; guard++) {
                ctl_flush_out(c);
                ctl_tell_lost(ctl, c);
                if (c->gone || c->out.len >= SHOW_LOW_WATER)
                        return;
                if (c->show.active) {
                        ctl_show_next(ctl, c, &c->out);
                        if (c->show.active)
                                continue;
                        /* The reply is whole: the events that came meanwhile follow it. */
                        if (c->held.len && ctl_buf_add(&c->out, c->held.p, c->held.len) < 0)
                                c->gone = 1;
                        c->held.len = 0;
                        continue;
                }
                if (!c->pend.len)
                        return;
                /* The requests that came behind the show, in their order. */
                char *p = c->pend.p;
                size_t n = c->pend.len;
                c->pend = (struct ctl_buf){0};
                take_bytes(ctl, c, p, n);
                free(p);
        }
}

/* The file permissions let in whom the mode allows; the peer's credentials, taken when it
 * connected, are checked as well, so that a mode or a directory set too wide does not
 * open the stack to every local user. */
static int peer_allowed(struct um_ctl *ctl, int fd)
{
        struct ucred cr;
        socklen_t len = sizeof(cr);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
                return 0;
        if (cr.uid == 0 || cr.uid == ctl->uid || (ctl->has_group && cr.gid == ctl->group))
                return 1;
        if (ctl->has_group) {
                gid_t groups[256];
                len = sizeof(groups);
                if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
                        for (size_t i = 0; i < len / sizeof(groups[0]); i++)
                                if (groups[i] == ctl->group)
                                        return 1;
        }
        um_log(ctl->st, UM_LOG_INFO, "ctl: %s: refused a client of uid %u gid %u (pid %d)",
               ctl->path, (unsigned)cr.uid, (unsigned)cr.gid, (int)cr.pid);
        return 0;
}

static void accept_clients(struct um_ctl *ctl)
{
        for (;;) {
                int fd = accept4(ctl->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                        return;
                if (!peer_allowed(ctl, fd)) {
                        static const char denied[] =
                            "{\"id\":null,\"ok\":false,\"error\":\"EACCES\","
                            "\"message\":\"permission denied: not the server's user, root or "
                            "its group\"}\n";
                        ssize_t w = send(fd, denied, sizeof(denied) - 1, MSG_NOSIGNAL);
                        (void)w;
                        close(fd);
                        ctl->ctr.CtlClientsDenied++;
                        continue;
                }
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

/* Takes received bytes; each complete line is a request. A request whose reply streams
 * (show) holds back the rest until that reply is whole, so that replies keep their order. */
static void take_bytes(struct um_ctl *ctl, struct ctl_client *c, const char *buf, size_t n)
{
        for (size_t i = 0; i < n && !c->gone; i++) {
                if (c->show.active) {
                        if (ctl_buf_add(&c->pend, buf + i, n - i) < 0)
                                c->gone = 1;
                        return;
                }
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
                                 json_pack("{s:n,s:b,s:s,s:s}", "id", "ok", 0, "error", "E2BIG",
                                           "message", "request line too long"));
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

static void read_client(struct um_ctl *ctl, struct ctl_client *c)
{
        char buf[4096];
        /* Nothing more is read while a show reply streams: the bytes behind it wait in
         * pend (at most one read's worth). */
        while (!c->gone && !c->eof && !c->show.active && !c->pend.len) {
                ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
                /* The end of its requests is not the end of its replies (a client that
                 * half-closes, as socat and nc -N do, then reads): it goes once they are
                 * written. An unfinished last line is no request. */
                if (r == 0) {
                        c->eof = 1;
                        return;
                }
                if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                        c->gone = 1;
                        return;
                }
                if (r < 0)
                        return;
                take_bytes(ctl, c, buf, (size_t)r);
                ctl_client_pump(ctl, c);
        }
}

static int svc_fds(void *arg, struct pollfd *out, int max)
{
        struct um_ctl *ctl = arg;
        int n = 0;
        if (n < max)
                out[n++] = (struct pollfd){.fd = ctl->lfd, .events = POLLIN};
        for (int i = 0; i < ctl->n_clients && n < max; i++) {
                const struct ctl_client *c = &ctl->clients[i];
                /* While a show reply streams, only its writing: no more requests are read
                 * (a hang-up is still reported). */
                short ev = c->show.active || c->eof ? POLLOUT
                                                    : (short)(POLLIN | (c->out.len ? POLLOUT : 0));
                out[n++] = (struct pollfd){.fd = c->fd, .events = ev};
        }
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
                        /* A hang-up while a reply streams shows as a failed write. */
                        if (fds[k].revents & (POLLOUT | POLLHUP | POLLERR))
                                ctl_client_pump(ctl, c);
                        if (fds[k].revents & (POLLIN | POLLHUP | POLLERR))
                                read_client(ctl, c);
                        break;
                }
        }
        for (int i = 0; i < ctl->n_clients;) {
                const struct ctl_client *c = &ctl->clients[i];
                if (c->gone || (c->eof && !c->out.len && !c->show.active && !c->pend.len))
                        client_close(ctl, &ctl->clients[i]);
                else
                        i++;
        }
}

static void svc_close(void *arg)
{
        um_ctl_close(arg);
}

int um_ctl_default_path(char *buf, size_t len, int create)
{
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        int n;
        /* Not /tmp: any local user could put a socket there first and pose as the server. */
        if (xdg && xdg[0] == '/') {
                n = snprintf(buf, len, "%s/umptcp.sock", xdg);
        } else if (geteuid() == 0) {
                static const char dir[] = "/run/umptcp";
                if (create && mkdir(dir, 0755) < 0 && errno != EEXIST)
                        return -errno;
                struct stat sb;
                /* Whoever may write there may replace the socket: root's alone. */
                if (create && (lstat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != 0 ||
                               (sb.st_mode & 022)))
                        return -ENOTDIR;
                n = snprintf(buf, len, "%s/umptcp.sock", dir);
        } else {
                return -ENOENT;
        }
        if (n < 0 || (size_t)n >= len || (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path))
                return -ENAMETOOLONG;
        return 0;
}

/* The path's socket file, where bind found one: a server that answers keeps it
 * (-EADDRINUSE); a stale one (nobody listens: ECONNREFUSED) is removed, if it is still the
 * file that was tried; anything else is not ours to remove (-EEXIST). */
static int clear_stale(const struct sockaddr_un *sa)
{
        struct stat sb, again;
        if (lstat(sa->sun_path, &sb) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISSOCK(sb.st_mode))
                return -EEXIST;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        int err = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ? 0 : errno;
        close(fd);
        if (!err || err == EAGAIN || err == EINPROGRESS)
                return -EADDRINUSE; /* it answers, or its backlog is full */
        if (err != ECONNREFUSED)
                return -err;
        if (lstat(sa->sun_path, &again) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (again.st_dev != sb.st_dev || again.st_ino != sb.st_ino)
                return -EADDRINUSE; /* replaced meanwhile: someone else's now */
        return unlink(sa->sun_path) < 0 && errno != ENOENT ? -errno : 0;
}

/* Whether the path is still the socket file this service made. */
static int path_is_ours(const struct um_ctl *ctl)
{
        struct stat sb;
        return ctl->ino && lstat(ctl->path, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
               sb.st_dev == ctl->dev && sb.st_ino == ctl->ino;
}

/* Takes PATH.lock (made if missing, never removed: removing a lock file lets two take
 * it) for a server's start. A server between its bind and its listen refuses connect() as
 * a dead one would, so a second server starting at that moment would take its socket for
 * stale and replace it. Returns the locked descriptor, or -EADDRINUSE when another server
 * is starting. */
static int start_lock(const char *path)
{
        char lock[sizeof(((struct um_ctl *)0)->path) + 8];
        snprintf(lock, sizeof(lock), "%s.lock", path);
        int fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                int err = errno == EWOULDBLOCK ? EADDRINUSE : errno;
                close(fd);
                return -err;
        }
        return fd;
}

/* Binds lfd at the path with the mode, taking no umask into account and following no
 * symlink: bind creates the file with the socket's own mode less the umask (set with
 * fchmod before, so the file is never wider than asked), and bits the umask took are put
 * back through a descriptor of the file itself, checked to be the one bind made. */
static int bind_path(struct um_ctl *ctl, const struct sockaddr_un *sa, mode_t mode)
{
        if (fchmod(ctl->lfd, mode) < 0)
                return -errno;
        int rc = 0;
        for (int attempt = 0;; attempt++) {
                if (bind(ctl->lfd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
                        break;
                if (errno != EADDRINUSE || attempt)
                        return -errno;
                if ((rc = clear_stale(sa)) < 0)
                        return rc;
        }
        struct stat sb;
        /* The file as bind left it; in a sticky directory such as /tmp nobody else may
         * remove or rename it meanwhile. */
        if (lstat(sa->sun_path, &sb) < 0)
                return -errno;
        if (!S_ISSOCK(sb.st_mode) || sb.st_uid != geteuid())
                return -EADDRINUSE;
        ctl->dev = sb.st_dev;
        ctl->ino = sb.st_ino;
        int regroup = ctl->has_group && sb.st_gid != ctl->group;
        if ((sb.st_mode & 07777) == mode && !regroup)
                return 0;
        int fd = open(sa->sun_path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        char proc[64];
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        if (fstat(fd, &sb) < 0)
                rc = -errno;
        else if (!S_ISSOCK(sb.st_mode) || sb.st_dev != ctl->dev || sb.st_ino != ctl->ino)
                rc = -EADDRINUSE;
        /* The group's members connect through the file's group bits: its group first
         * (a chown may clear mode bits), then the mode. Both act on the descriptor's
         * file itself, not on whatever the path names by then. */
        else if (regroup && fchownat(fd, "", (uid_t)-1, ctl->group, AT_EMPTY_PATH) < 0)
                rc = -errno;
        else if (chmod(proc, mode) < 0)
                rc = -errno;
        close(fd);
        return rc;
}

int um_ctl_serve(struct um_stack *st, const char *path, struct um_ctl **out)
{
        return um_ctl_serve_opts(st, path, NULL, out);
}

int um_ctl_serve_opts(struct um_stack *st, const char *path, const struct um_ctl_opts *opts,
                      struct um_ctl **out)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        const struct um_ctl_opts none = {0};
        if (!opts)
                opts = &none;
        if (!st || !out || (path && (!*path || strlen(path) >= sizeof(sa.sun_path))) ||
            (opts->mode & ~0777u))
                return -EINVAL;
        int rc = path ? 0 : um_ctl_default_path(sa.sun_path, sizeof(sa.sun_path), 1);
        if (rc < 0)
                return rc;
        if (path)
                memcpy(sa.sun_path, path, strlen(path));
        struct um_ctl *ctl = calloc(1, sizeof(*ctl));
        if (!ctl)
                return -ENOMEM;
        ctl->st = st;
        snprintf(ctl->path, sizeof(ctl->path), "%s", sa.sun_path);
        ctl->uid = geteuid();
        ctl->has_group = opts->group_set;
        ctl->group = opts->group;
        mode_t mode = opts->mode ? opts->mode : opts->group_set ? 0660 : 0600;
        ctl->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int lock = ctl->lfd < 0 ? -errno : start_lock(ctl->path);
        rc = lock < 0 ? lock : bind_path(ctl, &sa, mode);
        if (!rc && listen(ctl->lfd, UM_CTL_MAX_CLIENTS) < 0)
                rc = -errno;
        if (lock >= 0)
                close(lock); /* listening now (or failed): a connect() tells from here on */
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
                if (path_is_ours(ctl))
                        unlink(ctl->path);
                if (ctl->lfd >= 0)
                        close(ctl->lfd);
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
        /* Another server may have the path now (ours was removed and theirs made): its file
         * is not ours to remove. */
        if (path_is_ours(ctl))
                unlink(ctl->path);
        close(ctl->lfd);
        free(ctl);
}
