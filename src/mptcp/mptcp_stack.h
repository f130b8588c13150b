/* Creating and destroying a stack's MPTCP state (the stack calls these). */
#ifndef UM_MPTCP_MPTCP_STACK_H
#define UM_MPTCP_MPTCP_STACK_H

#include <stdint.h>

struct um_stack;

int mptcp_stack_init(struct um_stack *st);
void mptcp_stack_destroy(struct um_stack *st);
/* At the stack's end, before TCP frees its connections: the announced ports' listeners are
 * among them, and a connection freed after its listener would close it again. */
void mptcp_stack_forget_listeners(struct um_stack *st);
/* Connections closed by their application with data or the DATA_FIN not yet acknowledged
 * (um_stack_undelivered): counts them and adds their bytes to *bytes, and with abort,
 * fastcloses each. */
unsigned mptcp_stack_undelivered(struct um_stack *st, uint64_t *bytes, int abort);
/* The end of a poll: path-manager events go to their subscribers. */
void mptcp_stack_poll_end(struct um_stack *st);
/* Whether events wait for the next poll's end (then the stack wants a poll now). */
int mptcp_stack_pending(const struct um_stack *st);

#endif
