/* Logging: per-stack level and destination (um_stack_config), printf-style lines. */
#ifndef UM_CORE_LOG_H
#define UM_CORE_LOG_H

#include <umptcp/stack.h> /* UM_LOG_ERR, UM_LOG_INFO, UM_LOG_DEBUG */

void um_log(const struct um_stack *st, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define um_dbg(st, ...)                                                                            \
        do {                                                                                       \
                if ((st)->log_level >= UM_LOG_DEBUG)                                               \
                        um_log((st), UM_LOG_DEBUG, __VA_ARGS__);                                   \
        } while (0)

#endif
