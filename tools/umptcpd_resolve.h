/* The relays' targets given by name, resolved by umptcpd before it hands them to the relay
 * (which would otherwise resolve them with a blocking getaddrinfo when a listener opens,
 * freezing its loop while DNS is slow). Within UMPTCPD_RESOLVE_MS for all of them at once,
 * with c-ares; a reload keeps its relay serving meanwhile (the wait callback). */
#ifndef UMPTCPD_RESOLVE_H
#define UMPTCPD_RESOLVE_H

#include "umptcpd_config.h"

enum { UMPTCPD_RESOLVE_MS = 2000 };

/* Waits at most timeout_ms for nothing in particular (the resolver polls its own sockets
 * right after): a running daemon runs its relay's loop there. */
typedef void umptcpd_wait_fn(void *arg, int timeout_ms);

/* Each relay of o not open yet (id < 0) whose target is a name gets that name's first
 * address as its target (r->resolved; the key and the print-out keep the name). Names are
 * looked up in /etc/hosts, then at dns_servers ("ADDR[:PORT],...", NULL: /etc/resolv.conf's).
 * wait NULL: the resolver blocks in poll(2) itself. Returns 0, or -1 with each failure
 * printed as "PREFIXORIGIN: cannot resolve NAME: reason". */
int umptcpd_resolve_targets(struct umptcpd_opts *o, const char *dns_servers, umptcpd_wait_fn *wait,
                            void *arg, const char *prefix);

#endif
