/* Refusal log lines at a bounded rate. Every refusal is counted, but a flood of them (a
 * client opening connections past max_conns in a loop, a scanner asking for one refused
 * destination after another) must not become a flood of log lines: a full disk or a
 * journal that rotates away what mattered is a denial of service of its own. So each kind
 * of refusal logs at most one line a second; the next line it logs says how many it left
 * out, and when no next one comes within the second, a line of their count alone does: the
 * log still tells how many there were, and when. */
#include "relay/relay.h"

#include <stdarg.h>
#include <stdio.h>
#include <umptcp/stack.h>

#include "core/log.h"

void relay_log_refusal(struct um_relay *r, enum relay_refusal kind, const char *fmt, ...)
{
        struct relay_ratelog *rl = &r->refusal_log[kind];
        uint64_t now = um_clock_now_us();
        if (rl->last_us && now - rl->last_us < RELAY_REFUSAL_LOG_US) {
                rl->suppressed++;
                return;
        }
        rl->last_us = now ? now : 1;
        char line[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        if (rl->suppressed)
                um_log(r->st, UM_LOG_ERR,
                       "%s (%llu more like it since the last such line, not logged)", line,
                       (unsigned long long)rl->suppressed);
        else
                um_log(r->st, UM_LOG_ERR, "%s", line);
        rl->suppressed = 0;
}

static const char *const kind_names[RELAY_REFUSALS] = {"past max_conns", "past max_requesting",
                                                       "destinations refused", "loops refused"};

int relay_log_pending(const struct um_relay *r)
{
        for (int k = 0; k < RELAY_REFUSALS; k++)
                if (r->refusal_log[k].suppressed)
                        return 1;
        return 0;
}

void relay_log_flush(struct um_relay *r, uint64_t now, int all)
{
        for (int k = 0; k < RELAY_REFUSALS; k++) {
                struct relay_ratelog *rl = &r->refusal_log[k];
                if (!rl->suppressed || (!all && now - rl->last_us < RELAY_REFUSAL_LOG_US))
                        continue;
                um_log(r->st, UM_LOG_ERR, "relay: %llu more refusals (%s) not logged",
                       (unsigned long long)rl->suppressed, kind_names[k]);
                rl->suppressed = 0;
                rl->last_us = now ? now : 1;
        }
}
