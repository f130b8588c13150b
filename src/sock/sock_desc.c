/* A socket's description (UM_SO_DESCRIPTION, include/umptcp/socket.h): the application's
 * words, which a watcher such as umptcp-ctl prints as they are. Only printable ASCII is
 * taken, so that what one application sets can neither end a line of the control
 * socket's protocol nor put escapes on an operator's terminal. */
#include "sock/sock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int sock_desc_set(struct um_sock *s, const void *val, size_t len)
{
        const unsigned char *p = val;
        if (len && !p)
                return -EINVAL;
        /* A C string's closing NUL is not part of it (sizeof or strlen + 1 alike). */
        if (len && p[len - 1] == '\0')
                len--;
        if (len > UM_SO_DESCRIPTION_MAX)
                return -EINVAL;
        for (size_t i = 0; i < len; i++)
                if (p[i] < 0x20 || p[i] > 0x7e)
                        return -EINVAL;
        char *d = NULL;
        if (len) {
                if (!(d = malloc(len + 1)))
                        return -ENOMEM;
                memcpy(d, p, len);
                d[len] = '\0';
        }
        free(s->description);
        s->description = d;
        return 0;
}

int sock_desc_get(const struct um_sock *s, void *val, size_t *len)
{
        const char *d = s->description ? s->description : "";
        size_t n = strlen(d) + 1;
        if (!val)
                return -EINVAL;
        if (*len < n)
                return -ERANGE;
        memcpy(val, d, n);
        *len = n;
        return 0;
}

void sock_desc_free(struct um_sock *s)
{
        free(s->description);
        s->description = NULL;
}
