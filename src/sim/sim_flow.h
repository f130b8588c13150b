/* One direction of a verified transfer: bytes from a seeded generator written into a
 * socket, read from another, hashed on both sides (SHA-256). Shared by the two-stack
 * transfer (sim_transfer.c) and the network's flows (sim_net.c). */
#ifndef UM_SIM_SIM_FLOW_H
#define UM_SIM_SIM_FLOW_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

struct um_stack;

enum { SIM_CHUNK = 64 * 1024 };

/* The application-level delay of each byte, from the call that wrote it to the call that
 * read it in order: when each run of bytes was taken by the sender, and a histogram of the
 * delays weighted by bytes (bins of 1/8 of a power of two of microseconds). */
enum { SIM_DELAY_BINS = 8 * 40 };
struct sim_delay {
        const uint64_t *now;
        uint64_t *end, *at; /* run i ends at byte end[i], written at at[i] */
        size_t n, cap, head;
        uint64_t bins[SIM_DELAY_BINS];
        double sum_us, bytes;
};

struct sim_flow {
        uint64_t total, sent, received;
        uint64_t gen;
        EVP_MD_CTX *tx_hash, *rx_hash;
        uint8_t pending[SIM_CHUNK];
        size_t pending_len, pending_off;
        int wr_closed, eof;
        uint64_t written;        /* bytes the socket took */
        struct sim_delay *delay; /* NULL: not measured */
};

/* Measures each byte's delay from now on, reading the clock at *now. Returns 0 or -ENOMEM. */
int sim_flow_track_delay(struct sim_flow *f, const uint64_t *now);
/* The mean and the quantile q (0..1) of the per-byte delay, microseconds (0: none yet). */
double sim_flow_delay_mean(const struct sim_flow *f);
double sim_flow_delay_quantile(const struct sim_flow *f, double q);

void sim_flow_init(struct sim_flow *f, uint64_t total, uint64_t seed);
/* Writes what the socket takes now. Returns 1 once every byte is written (the caller then
 * closes its side: it sets wr_closed), 0 while more is to come, -1 on an error (errno). */
int sim_flow_write(struct sim_flow *f, struct um_stack *st, int fd);
/* Reads what is there (at most `chunk` bytes when `once`) into buf (SIM_CHUNK bytes).
 * Returns the bytes read, or -1 on an error (errno); sets eof at the end of the stream. */
long sim_flow_read(struct sim_flow *f, struct um_stack *st, int fd, uint8_t *buf, size_t chunk,
                   int once);
/* Ends the hashes: 1 when what arrived is what was sent (the digests in hex when asked). */
int sim_flow_finish(struct sim_flow *f, char *sent_hex, char *recv_hex);

#endif
