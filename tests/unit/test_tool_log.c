/* The line stream of umptcpd --syslog (tools/tool_log.c): what is written to it, by the
 * stack's um_log or by anyone with fprintf, reaches its function a whole line at a time;
 * the syslog writers give each line its priority. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <umptcp/stack.h>

#include "core/log.h"
#include "tool_log.h"

struct lines {
        int n;
        char line[8][1100];
};

static void keep(void *arg, const char *line)
{
        struct lines *l = arg;
        assert_true(l->n < 8);
        snprintf(l->line[l->n++], sizeof(l->line[0]), "%s", line);
}

static void test_lines_split_and_joined(void **state)
{
        (void)state;
        struct lines l = {0};
        FILE *f = tool_line_stream(keep, &l);
        assert_non_null(f);
        /* Two lines in one write, then one line in three writes flushed apart. */
        fputs("first\nsecond\n", f);
        fflush(f);
        assert_int_equal(l.n, 2);
        assert_string_equal(l.line[0], "first");
        assert_string_equal(l.line[1], "second");
        fputs("thi", f);
        fflush(f);
        fprintf(f, "rd %d", 3);
        fflush(f);
        assert_int_equal(l.n, 2); /* no newline yet: nothing sent */
        fputs(" line\n", f);
        fflush(f);
        assert_int_equal(l.n, 3);
        assert_string_equal(l.line[2], "third 3 line");
        /* An empty line is a line; what has no newline at the end goes at fclose. */
        fputs("\nunfinished", f);
        fclose(f);
        assert_int_equal(l.n, 5);
        assert_string_equal(l.line[3], "");
        assert_string_equal(l.line[4], "unfinished");
}

static void test_long_line_cut(void **state)
{
        (void)state;
        struct lines l = {0};
        FILE *f = tool_line_stream(keep, &l);
        assert_non_null(f);
        char big[1501];
        memset(big, 'x', 1500);
        big[1500] = 0;
        fprintf(f, "%s\n", big);
        fclose(f);
        assert_int_equal(l.n, 2);
        assert_int_equal(strlen(l.line[0]), 1023);
        assert_int_equal(strlen(l.line[1]), 1500 - 1023);
}

/* um_log writes its tag, the message and the newline in three calls: one line comes. */
static void test_stack_log_lines(void **state)
{
        (void)state;
        struct lines l = {0};
        FILE *f = tool_line_stream(keep, &l);
        assert_non_null(f);
        struct um_stack *st = um_stack_new(
            &(struct um_stack_config){.name = "logtest", .log_level = UM_LOG_INFO, .log_file = f});
        assert_non_null(st);
        um_log(st, UM_LOG_INFO, "relay: %s closed", "forward 127.0.0.1:8080");
        um_log(st, UM_LOG_DEBUG, "not at this level");
        assert_int_equal(l.n, 1);
        assert_non_null(strstr(l.line[0], " logtest] relay: forward 127.0.0.1:8080 closed"));
        assert_null(strchr(l.line[0], '\n'));
        um_stack_free(st);
        fclose(f);
        assert_int_equal(l.n, 1);
}

struct sunk {
        int n;
        int priority[8];
        char line[8][1100];
};

static void sink_keep(void *arg, int priority, const char *line)
{
        struct sunk *s = arg;
        assert_true(s->n < 8);
        s->priority[s->n] = priority;
        snprintf(s->line[s->n++], sizeof(s->line[0]), "%s", line);
}

/* umptcpd --syslog: the stack's lines reach syslog at their level's priority (an error
 * is no info), each whole; umptcpd's own messages at the stream's, a warning as one. */
static void test_syslog_priorities(void **state)
{
        (void)state;
        assert_int_equal(tool_syslog_priority(UM_LOG_ERR), LOG_ERR);
        assert_int_equal(tool_syslog_priority(UM_LOG_INFO), LOG_INFO);
        assert_int_equal(tool_syslog_priority(UM_LOG_DEBUG), LOG_DEBUG);
        struct sunk s = {0};
        struct tool_syslog_sink sink = {sink_keep, &s};
        struct um_stack *st = um_stack_new(&(struct um_stack_config){.name = "logtest",
                                                                     .log_level = UM_LOG_DEBUG,
                                                                     .log_fn = tool_syslog_line,
                                                                     .log_arg = &sink});
        assert_non_null(st);
        um_log(st, UM_LOG_ERR, "relay: %s: refused", "socks 127.0.0.1:1080");
        um_log(st, UM_LOG_INFO, "relay: opened");
        um_log(st, UM_LOG_DEBUG, "relay: detail %d", 7);
        um_stack_free(st);
        assert_int_equal(s.n, 3);
        assert_int_equal(s.priority[0], LOG_ERR);
        assert_non_null(strstr(s.line[0], " logtest] relay: socks 127.0.0.1:1080: refused"));
        assert_int_equal(s.priority[1], LOG_INFO);
        assert_non_null(strstr(s.line[1], " logtest] relay: opened"));
        assert_int_equal(s.priority[2], LOG_DEBUG);
        assert_non_null(strstr(s.line[2], "relay: detail 7"));
        for (int i = 0; i < 3; i++)
                assert_null(strchr(s.line[i], '\n'));

        s.n = 0;
        FILE *f = tool_syslog_stream(LOG_INFO, &sink);
        assert_non_null(f);
        fprintf(f, "umptcpd: relaying (%d listeners)\n", 2);
        fprintf(f, "umptcpd: warning: --socks has a password\n");
        fclose(f);
        assert_int_equal(s.n, 2);
        assert_int_equal(s.priority[0], LOG_INFO);
        assert_string_equal(s.line[0], "umptcpd: relaying (2 listeners)");
        assert_int_equal(s.priority[1], LOG_WARNING);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_lines_split_and_joined),
            cmocka_unit_test(test_long_line_cut),
            cmocka_unit_test(test_stack_log_lines),
            cmocka_unit_test(test_syslog_priorities),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
