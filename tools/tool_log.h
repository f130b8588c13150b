/* A stream whose lines go somewhere else one by one: umptcpd --syslog gives it to the
 * stack as its log_file (um_log writes a line in several calls) and as stderr, so that
 * every line reaches syslog(3) whole. */
#ifndef UMPTCP_TOOL_LOG_H
#define UMPTCP_TOOL_LOG_H

#include <stdio.h>

typedef void tool_line_fn(void *arg, const char *line);

/* A line-buffered stream that calls fn with each line written to it, without its newline
 * (a line past 1023 bytes is cut into pieces; what is left at fclose is a last line).
 * NULL when out of memory. */
FILE *tool_line_stream(tool_line_fn *fn, void *arg);
/* The same, each line to syslog(3) with priority; openlog is the caller's. */
FILE *tool_syslog_stream(int priority);

#endif
