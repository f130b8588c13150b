/* What every link driver shares: its destruction through its ops. */
#include <umptcp/link.h>

#include <stddef.h>

void um_link_destroy(struct um_link *l)
{
        if (l && l->ops->destroy)
                l->ops->destroy(l);
}
