/* Feeds arbitrary bytes to a stack as if they arrived on a link: IPv4/IPv6, ICMP and TCP
 * parsing, including segments for a listening socket and an established connection, and
 * MPTCP's options and handshakes through an MPTCP listener on port 81. One variant takes
 * the bytes as they are (the header checks), one repairs the checksums first (so that
 * mutations reach TCP and MPTCP).
 * Built as a libFuzzer target with clang (-DUMPTCP_FUZZ=ON); the same entry point runs
 * as a seeded mutation test in `make check` (tests/unit/test_fuzz_smoke.c). */
#include "fuzz_input.h"

#include <arpa/inet.h>
#include <string.h>

#include "core/stack.h"
#include "net/checksum.h"
#include "net/ip.h"

#include <umptcp/link.h>
#include <umptcp/mptcp.h>
#include <umptcp/socket.h>

struct fuzz_env {
        struct um_stack *st;
        struct um_link *a, *b;
        int lfd[2]; /* TCP on port 80, MPTCP on port 81 */
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
        env.lfd[0] = um_socket(env.st, AF_INET, SOCK_STREAM, 0);
        um_bind(env.st, env.lfd[0], (struct sockaddr *)&sa, sizeof(sa));
        um_listen(env.st, env.lfd[0], 4);
        sa.sin_port = htons(81);
        env.lfd[1] = um_socket(env.st, AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        um_bind(env.st, env.lfd[1], (struct sockaddr *)&sa, sizeof(sa));
        um_listen(env.st, env.lfd[1], 64);
}

/* The stack's answers pile up on the link's far end: drop them, and take (then close) what
 * completed, so that memory stays flat over millions of inputs. */
static void drain(void)
{
        uint8_t bufs[8][2048];
        struct um_frame f[8];
        for (;;) {
                for (int i = 0; i < 8; i++)
                        f[i] = (struct um_frame){.data = bufs[i], .cap = sizeof(bufs[i])};
                if (env.b->ops->recv(env.b, f, 8, UINT64_MAX) < 8)
                        break;
        }
        for (int k = 0; k < 2; k++) {
                int fd;
                while ((fd = um_accept(env.st, env.lfd[k], NULL, NULL)) >= 0)
                        um_close(env.st, fd);
        }
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
        drain();
        return 0;
}

/* The checksum at `at` of an IPv4 or IPv6 packet's transport segment, made right. */
static void fix_transport(uint8_t *p, size_t n, size_t ihl, int v6)
{
        uint8_t proto = v6 ? p[6] : p[9];
        size_t at = proto == 6 ? 16 : (proto == 1 || proto == 58) ? 2 : 0;
        if (!at || n < ihl + at + 2)
                return;
        uint8_t *t = p + ihl;
        size_t tl = n - ihl;
        t[at] = t[at + 1] = 0;
        uint64_t sum = 0;
        if (proto != 1) { /* ICMPv4 has no pseudo-header */
                struct um_addr s = {.family = v6 ? AF_INET6 : AF_INET}, d = {.family = s.family};
                memcpy(s.b, p + (v6 ? 8 : 12), v6 ? 16 : 4);
                memcpy(d.b, p + (v6 ? 24 : 16), v6 ? 16 : 4);
                sum = um_csum_pseudo(&s, &d, proto, (uint32_t)tl);
        }
        uint16_t c = um_csum_fold(um_csum_add(sum, t, tl));
        memcpy(t + at, &c, 2);
}

void fuzz_fix_checksums(uint8_t *p, size_t n)
{
        if (n >= 20 && (p[0] >> 4) == 4) {
                size_t ihl = (size_t)(p[0] & 15) * 4;
                if (ihl < 20 || ihl > n)
                        return;
                p[10] = p[11] = 0;
                uint16_t c = um_csum(p, ihl);
                memcpy(p + 10, &c, 2);
                fix_transport(p, n, ihl, 0);
        } else if (n >= 40 && (p[0] >> 4) == 6) {
                fix_transport(p, n, 40, 1);
        }
}

int fuzz_one_input_fixed(const uint8_t *data, size_t size)
{
        uint8_t buf[2048];
        if (size > sizeof(buf))
                size = sizeof(buf);
        memcpy(buf, data, size);
        fuzz_fix_checksums(buf, size);
        return fuzz_one_input(buf, size);
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
/* Two targets from this file: checksums repaired after mutation (most mutations then reach
 * TCP and MPTCP), or left as the fuzzer made them (-DUMPTCP_FUZZ_RAW: the header checks). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#ifdef UMPTCP_FUZZ_RAW
        return fuzz_one_input(data, size);
#else
        return fuzz_one_input_fixed(data, size);
#endif
}
#endif
