/* The TUN offload fuzz target's entry point: a virtio-net header and a packet. */
#ifndef UMPTCP_FUZZ_TUN_H
#define UMPTCP_FUZZ_TUN_H

#include <stddef.h>
#include <stdint.h>

int fuzz_tun_one(const uint8_t *data, size_t size);

#endif
