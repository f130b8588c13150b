/* The socket table: small integer handles over protocol control blocks. A protocol
 * (TCP now, MPTCP later) provides its operations through struct um_sock_ops. */
#ifndef UM_SOCK_SOCK_H
#define UM_SOCK_SOCK_H

#include <umptcp/socket.h>

#include "net/addr.h"

struct um_sock;

struct um_sock_ops {
        int protocol;
        int (*create)(struct um_stack *st, struct um_sock *s);
        int (*bind)(struct um_sock *s, const struct um_addr *a, uint16_t port);
        int (*listen)(struct um_sock *s, int backlog);
        /* Returns a new pcb (and fills its handle's ops) or NULL with *err set. */
        int (*accept)(struct um_sock *s, struct um_sock *child);
        int (*connect)(struct um_sock *s, const struct um_addr *a, uint16_t port);
        long (*send)(struct um_sock *s, const void *buf, size_t len);
        long (*recv)(struct um_sock *s, void *buf, size_t len, int peek);
        int (*shutdown)(struct um_sock *s, int how);
        void (*close)(struct um_sock *s);
        short (*events)(const struct um_sock *s);
        int (*setopt)(struct um_sock *s, int level, int name, const void *val, size_t len);
        int (*getopt)(struct um_sock *s, int level, int name, void *val, size_t *len);
        int (*names)(const struct um_sock *s, struct um_addr *la, uint16_t *lp, struct um_addr *ra,
                     uint16_t *rp);
};

struct um_sock {
        int fd;
        int used;
        int domain;
        int reuseaddr;
        struct um_stack *st;
        const struct um_sock_ops *ops;
        void *pcb;
        um_sock_cb cb;
        void *cb_arg;
        int wake_pending;
        struct um_sock *wake_next;
        char *description; /* UM_SO_DESCRIPTION, or NULL: made when set, freed at close */
};

struct um_sock_table {
        struct um_sock **socks;
        int n, cap;    /* descriptors handed out so far, and room for */
        int *free_fds; /* closed descriptors, taken again last closed first */
        int n_free;
        const struct um_sock_ops *protos[4];
        int n_protos;
        struct um_sock *wake_head;
};

int sock_table_init(struct um_stack *st);
void sock_table_destroy(struct um_stack *st);
/* Lets a protocol module serve socket(..., protocol). */
int sock_register_proto(struct um_stack *st, const struct um_sock_ops *ops);
/* Notes that readiness may have changed; the callback runs at the next dispatch. */
void sock_wake(struct um_sock *s);
/* Runs pending callbacks. The stack calls it between receive batches and at the end of a
 * poll, outside protocol processing, so a callback may call any socket function. */
void sock_dispatch(struct um_stack *st);

/* sock_desc.c: UM_SO_DESCRIPTION's value checked and kept (-EINVAL, -ENOMEM), given
 * back (-EINVAL, -ERANGE), and freed with the socket. */
int sock_desc_set(struct um_sock *s, const void *val, size_t len);
int sock_desc_get(const struct um_sock *s, void *val, size_t *len);
void sock_desc_free(struct um_sock *s);

extern const struct um_sock_ops um_sock_tcp_ops;

#endif
