/* umptcp-ctl's peer in the CLI tests: a stack with no links that serves a control socket
 * at argv[1] until SIGTERM or SIGINT (then it frees the stack, which removes the socket). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <umptcp/ctl.h>
#include <umptcp/socket.h>
#include <umptcp/stack.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
        (void)sig;
        stop = 1;
}

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: ctl_peer SOCKET\n");
                return 2;
        }
        struct um_stack *st = um_stack_new(&(struct um_stack_config){.seed = 1});
        struct um_ctl *ctl;
        int rc = st ? um_ctl_serve(st, argv[1], &ctl) : -1;
        if (rc < 0) {
                fprintf(stderr, "ctl_peer: cannot serve %s: %s\n", argv[1], strerror(-rc));
                return 1;
        }
        struct sigaction sa = {.sa_handler = on_signal};
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        while (!stop)
                um_run_once(st, -1, 100);
        um_stack_free(st);
        return 0;
}
