/* Streams of lines (tool_log.h), with glibc's fopencookie. */
#include "tool_log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

struct line_stream {
        tool_line_fn *fn;
        void *arg;
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
        free(ls);
        return 0;
}

FILE *tool_line_stream(tool_line_fn *fn, void *arg)
{
        struct line_stream *ls = calloc(1, sizeof(*ls));
        if (!ls)
                return NULL;
        ls->fn = fn;
        ls->arg = arg;
        FILE *f =
            fopencookie(ls, "w", (cookie_io_functions_t){.write = line_write, .close = line_close});
        if (!f) {
                free(ls);
                return NULL;
        }
        setvbuf(f, NULL, _IOLBF, 0);
        return f;
}

static void to_syslog(void *arg, const char *line)
{
        syslog((int)(intptr_t)arg, "%s", line);
}

FILE *tool_syslog_stream(int priority)
{
        return tool_line_stream(to_syslog, (void *)(intptr_t)priority);
}
