/* The packet fuzz target's entry points: one IP packet into a stack with a listener and a
 * connection, as it came or with its checksums made right. */
#ifndef UMPTCP_FUZZ_INPUT_H
#define UMPTCP_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

/* One packet as it came. */
int fuzz_one_input(const uint8_t *data, size_t size);
/* The same with its IPv4 header checksum and its TCP/ICMP/ICMPv6 checksum made right. */
int fuzz_one_input_fixed(const uint8_t *data, size_t size);
void fuzz_fix_checksums(uint8_t *p, size_t n);
void fuzz_env_free(void);
struct um_stack *fuzz_stack(void);

#endif
