#ifndef UMPTCP_FUZZ_INPUT_H
#define UMPTCP_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

int fuzz_one_input(const uint8_t *data, size_t size);
void fuzz_env_free(void);
struct um_stack *fuzz_stack(void);

#endif
