/* Creating and destroying a stack's MPTCP state (the stack calls these). */
#ifndef UM_MPTCP_MPTCP_STACK_H
#define UM_MPTCP_MPTCP_STACK_H

struct um_stack;

int mptcp_stack_init(struct um_stack *st);
void mptcp_stack_destroy(struct um_stack *st);

#endif
