/* Fuzz target for the control socket's requests (src/ctl/ctl_request.c): the input, cut
 * at its newlines, is what one client sends; every line must get exactly one reply, and
 * nothing may crash or leak, whatever the JSON, the command or its attributes. The stack
 * behind it has no links: commands on connections find none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "fuzz_ctl.h"

static struct um_stack *st;
static struct um_ctl *ctl;

static void stop(void)
{
        um_stack_free(st); /* ends the control socket, which removes its file */
}

int fuzz_ctl_one(const uint8_t *data, size_t size)
{
        if (!st) {
                char path[64];
                snprintf(path, sizeof(path), "/tmp/umptcp-fuzz-ctl-%d.sock", (int)getpid());
                st = um_stack_new(&(struct um_stack_config){.seed = 1});
                if (!st || um_ctl_serve(st, path, &ctl) < 0)
                        abort();
                atexit(stop);
        }
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
                return 0;
        struct ctl_client c = {.fd = sv[0]};
        int lines = 0, replies = 0;
        char buf[65536];
        for (size_t start = 0; start < size;) {
                const uint8_t *nl = memchr(data + start, '\n', size - start);
                size_t len = nl ? (size_t)(nl - (data + start)) : size - start;
                if (len <= UM_CTL_MAX_LINE) {
                        ctl_request(ctl, &c, (const char *)data + start, len);
                        ctl_client_pump(ctl, &c); /* a show reply streams */
                        lines++;
                }
                start += len + 1;
                /* Take the replies as they come, counting lines. */
                for (ssize_t r; (r = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT)) > 0;)
                        for (ssize_t i = 0; i < r; i++)
                                replies += buf[i] == '\n';
        }
        if (c.subscribed) {
                c.subscribed = 0;
                ctl_events_update(ctl);
        }
        close(sv[0]);
        close(sv[1]);
        ctl_client_release(&c);
        if (replies != lines && !c.gone)
                abort(); /* a request without its one reply */
        return replies;
}

#ifdef UMPTCP_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        fuzz_ctl_one(data, size);
        return 0;
}
#endif
