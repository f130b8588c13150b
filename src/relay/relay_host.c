/* This host's addresses, which no SOCKS5, HTTP CONNECT or transparent destination may be.
 * The relay's MPTCP links are TUN devices whose other end is this host's own kernel, which
 * routes onward: a destination that is one of the host's addresses reaches the host's own
 * services from the TUN side, past a service bound to loopback only in spirit (0.0.0.0),
 * past firewall rules keyed on the input interface, and back into the relay's own listeners
 * and metrics endpoint (a chain of the relay through itself). So the kernel's addresses
 * (getifaddrs, every interface, loopback and down ones too) and the stack's own (its links'
 * addresses) are refused as "this host".
 *
 * Addresses come and go (DHCP, a link added), so the set is read again when it is older
 * than RELAY_HOST_REFRESH_US, and only when a destination is checked: a flood of requests
 * costs at most one read a second, an idle relay none. */
#include "relay/relay.h"

#include <errno.h>
#include <ifaddrs.h>
#include <string.h>
#include <umptcp/stack.h>

#include "core/log.h"

enum { RELAY_HOST_REFRESH_US = 1000000 };

/* The addresses of the stack's interfaces (those of its links). */
static int stack_addrs(struct um_relay *r, struct relay_addrset *s)
{
        struct um_iface_stats is;
        int rc = 0;
        for (int k = 0; !rc && um_stack_iface_stats(r->st, k, &is) == 0; k++)
                for (int j = 0; !rc && j < is.n_addrs && j < UM_IFACE_ADDRS; j++)
                        rc = relay_addrset_add(s, (const struct sockaddr *)&is.addrs[j]);
        return rc;
}

/* A fresh set, or -errno and the old one kept: a failed read (out of memory, out of
 * descriptors for netlink) must not empty the set and let every address through. */
static int host_read(struct um_relay *r)
{
        struct relay_addrset s = {0};
        struct ifaddrs *ifs;
        if (getifaddrs(&ifs) < 0) {
                int err = errno;
                /* The stack's own still join the old set: they need no system call. */
                stack_addrs(r, &r->host);
                return -err;
        }
        int rc = 0;
        for (const struct ifaddrs *i = ifs; i && !rc; i = i->ifa_next)
                if (i->ifa_addr &&
                    (i->ifa_addr->sa_family == AF_INET || i->ifa_addr->sa_family == AF_INET6))
                        rc = relay_addrset_add(&s, i->ifa_addr);
        freeifaddrs(ifs);
        if (!rc)
                rc = stack_addrs(r, &s);
        if (rc < 0) {
                relay_addrset_free(&s);
                return rc;
        }
        relay_addrset_free(&r->host);
        r->host = s;
        return 0;
}

int relay_host_has(struct um_relay *r, const struct sockaddr *sa)
{
        uint64_t now = um_clock_now_us();
        if (!r->host_read_us || now - r->host_read_us >= RELAY_HOST_REFRESH_US) {
                /* Stamped even when the read failed: a retry a second later, not at once. */
                r->host_read_us = now ? now : 1;
                int rc = host_read(r);
                if (rc < 0)
                        um_log(r->st, UM_LOG_ERR,
                               "relay: this host's addresses: %s: the last read (%u) kept",
                               strerror(-rc), r->host.n);
        }
        return relay_addrset_has(&r->host, sa);
}

void relay_host_free(struct um_relay *r)
{
        relay_addrset_free(&r->host);
}
