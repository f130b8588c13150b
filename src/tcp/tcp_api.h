/* The socket calls the layers above TCP inside the library (the socket layer and the
 * upper-layer protocols) make on one TCP connection. Errors are negative errno. */
#ifndef UM_TCP_API_H
#define UM_TCP_API_H

#include <netinet/tcp.h>
#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"

struct um_stack;
struct um_tcp_conn;

struct um_tcp_conn *tcp_api_open(struct um_stack *st,
                                 void (*notify)(struct um_tcp_conn *c, void *arg), void *arg);
void tcp_api_set_notify(struct um_tcp_conn *c, void (*notify)(struct um_tcp_conn *c, void *arg),
                        void *arg);
/* The source address only, the port chosen at connect among those free for the 4-tuple
 * (Linux's IP_BIND_ADDRESS_NO_PORT): what an upper layer opening many connections from one
 * address needs, as the ports a bind may take are shared by all of them. */
int tcp_api_bind_address(struct um_tcp_conn *c, const struct um_addr *a);
int tcp_api_bind(struct um_tcp_conn *c, const struct um_addr *a, uint16_t port, int reuse);
int tcp_api_listen(struct um_tcp_conn *c, int backlog);
int tcp_api_connect(struct um_tcp_conn *c, const struct um_addr *a, uint16_t port);
struct um_tcp_conn *tcp_api_accept(struct um_tcp_conn *listener);
long tcp_api_send(struct um_tcp_conn *c, const void *buf, size_t len);
long tcp_api_recv(struct um_tcp_conn *c, void *buf, size_t len, int peek);
int tcp_api_shutdown(struct um_tcp_conn *c, int how);
void tcp_api_close(struct um_tcp_conn *c);
short tcp_api_events(const struct um_tcp_conn *c);
int tcp_api_connected(const struct um_tcp_conn *c);
void tcp_api_names(const struct um_tcp_conn *c, struct um_addr *la, uint16_t *lp,
                   struct um_addr *ra, uint16_t *rp);
int tcp_api_take_error(struct um_tcp_conn *c);

/* Socket options (SOL_SOCKET and IPPROTO_TCP levels). */
int tcp_api_setopt(struct um_tcp_conn *c, int level, int name, const void *val, size_t len);
int tcp_api_getopt(struct um_tcp_conn *c, int level, int name, void *val, size_t *len);
void tcp_api_info(const struct um_tcp_conn *c, struct tcp_info *info);
/* The congestion control's own name for `name`, NULL when there is none such. */
const char *tcp_api_cc_name(const struct um_stack *st, const char *name);

#endif
