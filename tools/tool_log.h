/* umptcpd --syslog: a stream whose lines go somewhere else one by one, given as stderr so
 * that every line reaches syslog(3) whole, and the stack's log lines each at the priority
 * of its level. */
#ifndef UMPTCP_TOOL_LOG_H
#define UMPTCP_TOOL_LOG_H

#include <stdio.h>

typedef void tool_line_fn(void *arg, const char *line);

/* A line-buffered stream that calls fn with each line written to it, without its newline
 * (a line past 1023 bytes is cut into pieces; what is left at fclose is a last line).
 * NULL when out of memory. */
FILE *tool_line_stream(tool_line_fn *fn, void *arg);
/* Where the syslog writers below send a line: syslog(3) when NULL (openlog is the
 * caller's), elsewhere for a test. */
struct tool_syslog_sink {
        void (*write)(void *arg, int priority, const char *line);
        void *arg;
};

/* The syslog(3) priority of a stack's log level (UM_LOG_ERR, ...): LOG_ERR, LOG_INFO,
 * LOG_DEBUG. */
int tool_syslog_priority(int level);
/* A um_stack_config.log_fn (arg: a const struct tool_syslog_sink *, or NULL): each of the
 * stack's lines at its level's priority. */
void tool_syslog_line(void *arg, int level, const char *line);
/* A line stream (above) to the sink, each line with priority, or LOG_WARNING when it says
 * "warning: " (umptcpd's own messages come this way, as stderr). */
FILE *tool_syslog_stream(int priority, const struct tool_syslog_sink *sink);

#endif
