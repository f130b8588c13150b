/* Socket addresses for log lines and socket calls (relay_addr.h). */
#include "relay/relay_addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>

const char *relay_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
        char a[64] = "?";
        unsigned port = 0;
        if (sa->sa_family == AF_INET) {
                const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
                inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
                port = ntohs(in->sin_port);
                snprintf(buf, len, "%s:%u", a, port);
        } else if (sa->sa_family == AF_INET6) {
                const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
                inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
                port = ntohs(in6->sin6_port);
                snprintf(buf, len, "[%s]:%u", a, port);
        } else {
                snprintf(buf, len, "?");
        }
        return buf;
}

int relay_sa_len(const struct sockaddr_storage *ss)
{
        return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}
