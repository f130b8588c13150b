/* One direction of a verified transfer (sim_flow.h). */
#include "sim/sim_flow.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <umptcp/socket.h>

static void gen_fill(uint64_t *state, uint8_t *buf, size_t n)
{
        for (size_t i = 0; i < n; i += 8) {
                *state ^= *state << 13;
                *state ^= *state >> 7;
                *state ^= *state << 17;
                size_t k = n - i < 8 ? n - i : 8;
                memcpy(buf + i, state, k);
        }
}

void sim_flow_init(struct sim_flow *f, uint64_t total, uint64_t seed)
{
        memset(f, 0, sizeof(*f));
        f->total = total;
        f->gen = seed ? seed : 0x9e3779b97f4a7c15ULL;
        f->tx_hash = EVP_MD_CTX_new();
        f->rx_hash = EVP_MD_CTX_new();
        EVP_DigestInit_ex(f->tx_hash, EVP_sha256(), NULL);
        EVP_DigestInit_ex(f->rx_hash, EVP_sha256(), NULL);
}

int sim_flow_track_delay(struct sim_flow *f, const uint64_t *now)
{
        if (!(f->delay = calloc(1, sizeof(*f->delay))))
                return -ENOMEM;
        f->delay->now = now;
        return 0;
}

static void delay_written(struct sim_delay *d, uint64_t end)
{
        if (d->n == d->cap) {
                size_t cap = d->cap ? 2 * d->cap : 256;
                uint64_t *e = realloc(d->end, cap * sizeof(*e)), *a;
                if (!e)
                        return;
                d->end = e;
                if (!(a = realloc(d->at, cap * sizeof(*a))))
                        return;
                d->at = a;
                d->cap = cap;
        }
        d->end[d->n] = end;
        d->at[d->n++] = *d->now;
}

static int delay_bin(double us)
{
        if (us < 1)
                return 0;
        int b = (int)(log2(us) * 8) + 1;
        return b < SIM_DELAY_BINS ? b : SIM_DELAY_BINS - 1;
}

/* Bytes [from, to) were read now: each run's share at its own delay. */
static void delay_read(struct sim_delay *d, uint64_t from, uint64_t to)
{
        while (from < to && d->head < d->n) {
                uint64_t end = d->end[d->head] < to ? d->end[d->head] : to;
                double us = (double)(*d->now - d->at[d->head]), bytes = (double)(end - from);
                d->bins[delay_bin(us)] += end - from;
                d->sum_us += us * bytes;
                d->bytes += bytes;
                from = end;
                if (from == d->end[d->head])
                        d->head++;
        }
}

double sim_flow_delay_mean(const struct sim_flow *f)
{
        return f->delay && f->delay->bytes ? f->delay->sum_us / f->delay->bytes : 0;
}

double sim_flow_delay_quantile(const struct sim_flow *f, double q)
{
        if (!f->delay || !f->delay->bytes)
                return 0;
        double want = q * f->delay->bytes, seen = 0;
        for (int b = 0; b < SIM_DELAY_BINS; b++) {
                seen += (double)f->delay->bins[b];
                if (seen >= want)
                        return b ? exp2((double)b / 8) : 0; /* the bin's upper edge */
        }
        return exp2((double)(SIM_DELAY_BINS - 1) / 8);
}

int sim_flow_write(struct sim_flow *f, struct um_stack *st, int fd)
{
        while (!f->wr_closed) {
                if (f->pending_off == f->pending_len) {
                        uint64_t left = f->total - f->sent;
                        if (!left)
                                return 1;
                        f->pending_len = left < SIM_CHUNK ? (size_t)left : SIM_CHUNK;
                        f->pending_off = 0;
                        gen_fill(&f->gen, f->pending, f->pending_len);
                        EVP_DigestUpdate(f->tx_hash, f->pending, f->pending_len);
                        f->sent += f->pending_len;
                }
                ssize_t n = um_send(st, fd, f->pending + f->pending_off,
                                    f->pending_len - f->pending_off, 0);
                if (n < 0)
                        return errno == EAGAIN ? 0 : -1;
                f->pending_off += (size_t)n;
                f->written += (uint64_t)n;
                if (f->delay)
                        delay_written(f->delay, f->written);
        }
        return 0;
}

long sim_flow_read(struct sim_flow *f, struct um_stack *st, int fd, uint8_t *buf, size_t chunk,
                   int once)
{
        if (!chunk || chunk > SIM_CHUNK)
                chunk = SIM_CHUNK;
        long total = 0;
        while (!f->eof) {
                ssize_t n = um_recv(st, fd, buf, chunk, 0);
                if (n == 0) {
                        f->eof = 1;
                        break;
                }
                if (n < 0)
                        return errno == EAGAIN ? total : -1;
                EVP_DigestUpdate(f->rx_hash, buf, (size_t)n);
                if (f->delay)
                        delay_read(f->delay, f->received, f->received + (uint64_t)n);
                f->received += (uint64_t)n;
                total += n;
                if (once)
                        break;
        }
        return total;
}

static void hex(const uint8_t *d, char *out)
{
        for (int i = 0; i < 32; i++)
                sprintf(out + 2 * i, "%02x", d[i]);
}

int sim_flow_finish(struct sim_flow *f, char *sent_hex, char *recv_hex)
{
        uint8_t a[32], b[32];
        unsigned n;
        EVP_DigestFinal_ex(f->tx_hash, a, &n);
        EVP_DigestFinal_ex(f->rx_hash, b, &n);
        EVP_MD_CTX_free(f->tx_hash);
        EVP_MD_CTX_free(f->rx_hash);
        f->tx_hash = f->rx_hash = NULL;
        if (f->delay) {
                free(f->delay->end);
                free(f->delay->at);
        }
        if (sent_hex) {
                hex(a, sent_hex);
                hex(b, recv_hex);
        }
        return memcmp(a, b, 32) == 0;
}
