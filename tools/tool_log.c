/* Streams of lines and syslog writers (tool_log.h), with glibc's fopencookie. */
#include "tool_log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <umptcp/stack.h>

struct line_stream {
        tool_line_fn *fn;
        void *arg;
        void *owned; /* freed at fclose */
        size_t len;
        char line[1024];
};

static void emit(struct line_stream *ls)
{
        ls->line[ls->len] = 0;
        ls->fn(ls->arg, ls->line);
        ls->len = 0;
}

static ssize_t line_write(void *cookie, const char *buf, size_t size)
{
        struct line_stream *ls = cookie;
        for (size_t i = 0; i < size; i++) {
                if (buf[i] == '\n') {
                        emit(ls);
                        continue;
                }
                ls->line[ls->len++] = buf[i];
                if (ls->len == sizeof(ls->line) - 1)
                        emit(ls);
        }
        return (ssize_t)size;
}

static int line_close(void *cookie)
{
        struct line_stream *ls = cookie;
        if (ls->len)
                emit(ls);
        free(ls->owned);
        free(ls);
        return 0;
}

static FILE *line_stream(tool_line_fn *fn, void *arg, void *owned)
{
        struct line_stream *ls = calloc(1, sizeof(*ls));
        if (!ls)
                return NULL;
        ls->fn = fn;
        ls->arg = arg;
        ls->owned = owned;
        FILE *f =
            fopencookie(ls, "w", (cookie_io_functions_t){.write = line_write, .close = line_close});
        if (!f) {
                free(ls);
                return NULL;
        }
        setvbuf(f, NULL, _IOLBF, 0);
        return f;
}

FILE *tool_line_stream(tool_line_fn *fn, void *arg)
{
        return line_stream(fn, arg, NULL);
}

static void sink_write(const struct tool_syslog_sink *sink, int priority, const char *line)
{
        if (sink)
                sink->write(sink->arg, priority, line);
        else
                syslog(priority, "%s", line);
}

int tool_syslog_priority(int level)
{
        switch (level) {
        case UM_LOG_ERR:
                return LOG_ERR;
        case UM_LOG_INFO:
                return LOG_INFO;
        default:
                return LOG_DEBUG;
        }
}

void tool_syslog_line(void *arg, int level, const char *line)
{
        sink_write(arg, tool_syslog_priority(level), line);
}

struct stream_sink {
        int priority;
        const struct tool_syslog_sink *sink;
};

static void stream_line(void *arg, const char *line)
{
        const struct stream_sink *s = arg;
        /* A refusal or a failure says what it is in its text only: the warnings at least
         * (a password a local user can read) stand out from the info. */
        sink_write(s->sink, strstr(line, "warning: ") ? LOG_WARNING : s->priority, line);
}

FILE *tool_syslog_stream(int priority, const struct tool_syslog_sink *sink)
{
        struct stream_sink *s = malloc(sizeof(*s));
        if (!s)
                return NULL;
        *s = (struct stream_sink){priority, sink};
        FILE *f = line_stream(stream_line, s, s);
        if (!f)
                free(s);
        return f;
}
