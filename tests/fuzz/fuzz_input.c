/* Feeds arbitrary bytes to a stack as if they arrived on a link: IPv4/IPv6, ICMP and TCP
 * parsing, including segments for a listening socket and an established connection, and
 * MPTCP's options and handshakes through an MPTCP listener on port 81.
 * Built as a libFuzzer target with clang (-DUMPTCP_FUZZ=ON); the same entry point runs
 * as a seeded mutation test in `make check` (tests/unit/test_fuzz_smoke.c). */
#include "fuzz_input.h"

#include <arpa/inet.h>
#include <string.h>

#include "core/stack.h"
#include "net/ip.h"

#include <umptcp/link.h>
#include <umptcp/mptcp.h>
#include <umptcp/socket.h>

struct fuzz_env {
        struct um_stack *st;
        struct um_link *a, *b;
};

static struct fuzz_env env;

static void fuzz_env_init(void)
{
        if (env.st)
                return;
        um_link_emu_pair(NULL, NULL, 1500, 1, &env.a, &env.b);
        struct um_stack_config c = {.seed = 7, .name = "fuzz"};
        env.st = um_stack_new(&c);
        int i = um_stack_add_iface(env.st, env.a);
        um_stack_add_addr(env.st, i, "10.0.0.2/24");
        um_stack_add_addr(env.st, i, "fd00::2/64");
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(80)};
        int fd = um_socket(env.st, AF_INET, SOCK_STREAM, 0);
        um_bind(env.st, fd, (struct sockaddr *)&sa, sizeof(sa));
        um_listen(env.st, fd, 4);
        sa.sin_port = htons(81);
        fd = um_socket(env.st, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        um_bind(env.st, fd, (struct sockaddr *)&sa, sizeof(sa));
        um_listen(env.st, fd, 64);
}

int fuzz_one_input(const uint8_t *data, size_t size)
{
        fuzz_env_init();
        struct um_stack *st = env.st;
        struct um_pkt *pkt = um_pkt_alloc(&st->pool);
        if (!pkt)
                return 0;
        if (size > sizeof(pkt->buf) - UM_PKT_HEADROOM)
                size = sizeof(pkt->buf) - UM_PKT_HEADROOM;
        memcpy(um_pkt_data(pkt), data, size);
        pkt->len = (uint16_t)size;
        um_ip_input(st, 0, pkt);
        um_stack_poll(st, st->now + 1000);
        return 0;
}

struct um_stack *fuzz_stack(void)
{
        fuzz_env_init();
        return env.st;
}

void fuzz_env_free(void)
{
        if (!env.st)
                return;
        um_stack_free(env.st);
        um_link_destroy(env.a);
        um_link_destroy(env.b);
        memset(&env, 0, sizeof(env));
}

#ifdef UMPTCP_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        return fuzz_one_input(data, size);
}
#endif
