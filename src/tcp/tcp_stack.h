/* TCP's per-stack state as the stack layer drives it: made with the stack, connections
 * freed at the end of each poll, everything freed with the stack. */
#ifndef UM_TCP_TCP_STACK_H
#define UM_TCP_TCP_STACK_H

struct um_stack;

int tcp_stack_init(struct um_stack *st);
void tcp_stack_destroy(struct um_stack *st);
void tcp_reap(struct um_stack *st);

#endif
