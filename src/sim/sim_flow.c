/* One direction of a verified transfer (sim_flow.h). */
#include "sim/sim_flow.h"

#include <errno.h>
#include <stdio.h>
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
        if (sent_hex) {
                hex(a, sent_hex);
                hex(b, recv_hex);
        }
        return memcmp(a, b, 32) == 0;
}
