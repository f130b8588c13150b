/* The virtual-time loop: jump to the earliest deadline of any stack, poll them all. */
#include <umptcp/sim.h>
#include <umptcp/stack.h>

int um_sim_run(struct um_stack **stacks, int n, uint64_t *now, uint64_t until,
               int (*done)(void *arg), void *arg)
{
        for (;;) {
                if (done && done(arg))
                        return 1;
                uint64_t next = UINT64_MAX;
                for (int i = 0; i < n; i++) {
                        uint64_t t = um_stack_next_deadline(stacks[i]);
                        if (t < next)
                                next = t;
                }
                if (next == UINT64_MAX)
                        return -1;
                if (next > until) {
                        *now = until;
                        for (int i = 0; i < n; i++)
                                um_stack_poll(stacks[i], *now);
                        return done && done(arg) ? 1 : 0;
                }
                if (next > *now)
                        *now = next;
                for (int i = 0; i < n; i++)
                        um_stack_poll(stacks[i], *now);
        }
}
