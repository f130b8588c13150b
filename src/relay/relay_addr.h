/* Socket addresses as the relay handles them: printed for log lines, their lengths for the
 * socket calls (relay_addr.c). Pure functions: no socket, no relay. */
#ifndef UM_RELAY_RELAY_ADDR_H
#define UM_RELAY_RELAY_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* "ADDR:PORT" (IPv6 in brackets), or "?" for another family. Returns buf. */
const char *relay_addr_str(const struct sockaddr *sa, char *buf, size_t len);
/* The length of the sockaddr_in or sockaddr_in6 that ss holds. */
int relay_sa_len(const struct sockaddr_storage *ss);

#endif
