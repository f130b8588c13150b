/* Events as the control socket writes them: {"event": "NAME", ...attributes}, with Linux's
 * attribute names in lower case (token, family, loc_id, rem_id, saddr4 or saddr6, daddr4
 * or daddr6, sport, dport, backup, error, flags, timeout, if_idx, reset_reason,
 * reset_flags, server_side), only those the event carries. */
#include "ctl/ctl.h"

#include <arpa/inet.h>
#include <errno.h>

static void put_addr(json_t *o, const char *v4, const char *v6, int family, const uint8_t a[16])
{
        char buf[INET6_ADDRSTRLEN];
        if (inet_ntop(family, a, buf, sizeof(buf)))
                json_object_set_new(o, family == AF_INET ? v4 : v6, json_string(buf));
}

json_t *ctl_event_json(const struct um_mptcp_event *ev)
{
        const char *name = um_mptcp_event_name(ev->type);
        json_t *o = json_object();
        if (!o || !name) {
                json_decref(o);
                return NULL;
        }
        json_object_set_new(o, "event", json_string(name));
        const struct {
                unsigned attr;
                const char *key;
                json_int_t value;
        } ints[] = {
            {UM_MPTCP_ATTR_TOKEN, "token", ev->token},
            {UM_MPTCP_ATTR_FAMILY, "family", ev->family},
            {UM_MPTCP_ATTR_LOC_ID, "loc_id", ev->loc_id},
            {UM_MPTCP_ATTR_REM_ID, "rem_id", ev->rem_id},
            {UM_MPTCP_ATTR_SPORT, "sport", ev->sport},
            {UM_MPTCP_ATTR_DPORT, "dport", ev->dport},
            {UM_MPTCP_ATTR_BACKUP, "backup", ev->backup},
            {UM_MPTCP_ATTR_ERROR, "error", ev->error},
            {UM_MPTCP_ATTR_FLAGS, "flags", ev->flags},
            {UM_MPTCP_ATTR_TIMEOUT, "timeout", ev->timeout},
            {UM_MPTCP_ATTR_IF_IDX, "if_idx", ev->if_idx},
            {UM_MPTCP_ATTR_RESET_REASON, "reset_reason", ev->reset_reason},
            {UM_MPTCP_ATTR_RESET_FLAGS, "reset_flags", ev->reset_flags},
            {UM_MPTCP_ATTR_SERVER_SIDE, "server_side", ev->server_side},
        };
        for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
                if (ev->attrs & ints[i].attr)
                        json_object_set_new(o, ints[i].key, json_integer(ints[i].value));
        if (ev->attrs & UM_MPTCP_ATTR_SADDR)
                put_addr(o, "saddr4", "saddr6", ev->family, ev->saddr);
        if (ev->attrs & UM_MPTCP_ATTR_DADDR)
                put_addr(o, "daddr4", "daddr6", ev->family, ev->daddr);
        return o;
}

const char *ctl_errno_name(int err)
{
        switch (err) {
        case EINVAL:
                return "EINVAL";
        case ENOENT:
                return "ENOENT";
        case EEXIST:
                return "EEXIST";
        case ENOSPC:
                return "ENOSPC";
        case EBUSY:
                return "EBUSY";
        case EPERM:
                return "EPERM";
        case EADDRNOTAVAIL:
                return "EADDRNOTAVAIL";
        case ENOMEM:
                return "ENOMEM";
        case EOPNOTSUPP:
                return "EOPNOTSUPP";
        case E2BIG:
                return "E2BIG";
        case ENETUNREACH:
                return "ENETUNREACH";
        case EADDRINUSE:
                return "EADDRINUSE";
        case EACCES:
                return "EACCES";
        default:
                return "EIO";
        }
}
