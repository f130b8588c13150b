/* TCP's per-stack state as the stack layer drives it: made with the stack, connections
 * freed at the end of each poll, everything freed with the stack. */
#ifndef UM_TCP_TCP_STACK_H
#define UM_TCP_TCP_STACK_H

#include <stdint.h>

struct um_stack;

int tcp_stack_init(struct um_stack *st);
void tcp_stack_destroy(struct um_stack *st);
void tcp_reap(struct um_stack *st);
/* Plain TCP connections (no upper layer) closed by their application with data or the
 * FIN not yet acknowledged (um_stack_undelivered): counts them and adds their bytes to
 * *bytes, and with abort, resets each. */
unsigned tcp_stack_undelivered(struct um_stack *st, uint64_t *bytes, int abort);

#endif
