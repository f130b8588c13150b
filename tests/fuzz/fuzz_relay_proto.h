/* The relay request parsers' fuzz target (fuzz_relay_proto.c): SOCKS5, HTTP CONNECT and
 * HOST:PORT from one input. */
#ifndef UMPTCP_FUZZ_RELAY_PROTO_H
#define UMPTCP_FUZZ_RELAY_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* What fuzz_relay_proto_one's input reached, for the seeded runs to count. */
enum {
        FUZZ_RELAY_SOCKS_REQUEST = 1, /* a SOCKS5 request was whole */
        FUZZ_RELAY_SOCKS_AUTH = 2,    /* RFC 1929 credentials were accepted */
        FUZZ_RELAY_HTTP_REQUEST = 4,  /* an HTTP CONNECT request was whole */
        FUZZ_RELAY_HTTP_REFUSED = 8,  /* an HTTP request got a refusal */
        FUZZ_RELAY_HOSTPORT = 16,     /* the input was a HOST:PORT */
};

/* Input: [flags][chunk seed][bytes...]. Aborts when an invariant breaks; returns the
 * FUZZ_RELAY_* bits of what was reached. */
int fuzz_relay_proto_one(const uint8_t *data, size_t size);

#endif
