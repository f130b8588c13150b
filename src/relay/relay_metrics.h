/* The relay's metrics endpoint: an HTTP server on a kernel TCP address that answers
 * GET /metrics with the Prometheus text format (relay_metrics.c), and that text
 * (relay_metrics_text.c). The server runs in the relay's loop, no thread of its own: its
 * epoll descriptor sits in the relay's (token RELAY_TAG_METRICS). */
#ifndef UM_RELAY_RELAY_METRICS_H
#define UM_RELAY_RELAY_METRICS_H

#include <stddef.h>

struct um_relay;
struct relay_metrics;

/* The server does what is due: ready, its descriptor showed events; else only when its
 * timeout came (a connection's deadline, or work it left for the next round). */
void relay_metrics_run(struct um_relay *r, int ready);
/* How long the loop may wait before relay_metrics_run is due (-1: no bound). */
int relay_metrics_timeout_ms(struct um_relay *r);
/* The whole text of a scrape into *out (malloc'd, *len bytes). Returns 0, -ENOMEM, or
 * -EFBIG past the bound. */
int relay_metrics_text(struct um_relay *r, char **out, size_t *len);

#endif
