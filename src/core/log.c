/* Log lines, tagged with the stack's name and filtered by its level. */
#include "core/log.h"
#include "core/stack.h"

#include <stdarg.h>
#include <stdio.h>

void um_log(const struct um_stack *st, int level, const char *fmt, ...)
{
        if (level > st->log_level)
                return;
        if (st->log_fn) {
                char line[1024];
                int n =
                    snprintf(line, sizeof(line), "[%10.6f %s] ", (double)st->now / 1e6, st->name);
                va_list ap;
                va_start(ap, fmt);
                if (n >= 0 && (size_t)n < sizeof(line))
                        vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
                va_end(ap);
                st->log_fn(st->log_arg, level, line);
                return;
        }
        FILE *out = st->log_file ? st->log_file : stderr;
        fprintf(out, "[%10.6f %s] ", (double)st->now / 1e6, st->name);
        va_list ap;
        va_start(ap, fmt);
        vfprintf(out, fmt, ap);
        va_end(ap);
        fputc('\n', out);
}
