/* Fuzz target for the TUN driver's offload parsing (src/link/tun_gso.c): what the kernel
 * hands a TUN reader with IFF_VNET_HDR (a virtio-net header, then a packet) cut into
 * segments and checksummed as the driver does, and the same bytes taken as a batch of the
 * stack's segments to join. Never a read or write outside the buffers. */
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "fuzz_tun.h"
#include "link/tun_gso.h"

enum { SEG_CAP = 2048, MAX_FRAMES = 8 };

int fuzz_tun_one(const uint8_t *data, size_t size)
{
        if (size < sizeof(struct tun_vnet_hdr) || size > TUN_GSO_MAX + 256)
                return 0;
        struct tun_vnet_hdr vh;
        memcpy(&vh, data, sizeof(vh));
        size_t len = size - sizeof(vh);
        uint8_t *pkt = malloc(len ? len : 1), *out = malloc(SEG_CAP);
        if (!pkt || !out)
                goto done;
        memcpy(pkt, data + sizeof(vh), len);
        /* As recv_offload: taken (checked, counted) and then cut into every segment it was
         * found to have, each of which must fit the frame. */
        struct um_tun_stats stats = {0};
        struct tun_rx rx;
        if (tun_rx_take(pkt, len, &vh, SEG_CAP, &stats, &rx) == 0)
                for (unsigned k = 0; k < rx.segments && k < 64; k++)
                        if (!tun_gso_segment(pkt, len, rx.gso_size, k, out, SEG_CAP, rx.fill_csum))
                                abort();
        /* Any segment size on any bytes, and a partial checksum completed anywhere. */
        uint16_t gso = um_get_le16(&vh.gso_size);
        for (unsigned k = 0; k < 64; k++)
                if (!tun_gso_segment(pkt, len, gso, k, out, SEG_CAP, k & 1))
                        break;
        tun_csum_complete(pkt, len, um_get_le16(&vh.csum_start), um_get_le16(&vh.csum_offset));
        /* As tun_send: the bytes cut into frames at lengths the first bytes choose. */
        struct iovec f[MAX_FRAMES];
        int n = 0;
        size_t off = 0;
        for (int i = 0; i < MAX_FRAMES && off < len; i++) {
                size_t want = 40 + (size_t)data[i % sizeof(vh)] * 8;
                size_t take = len - off < want ? len - off : want;
                f[n++] = (struct iovec){pkt + off, take};
                off += take;
        }
        for (int i = 0; i < n; i++) {
                int run = tun_gso_run(f + i, n - i);
                if (run >= 2) {
                        struct tun_vnet_hdr h;
                        tun_gso_header(f + i, run, out, &h);
                }
                if (i + 1 < n)
                        tun_ack_superseded(&f[i], &f[i + 1]);
        }
done:
        free(pkt);
        free(out);
        return 0;
}

#ifdef UMPTCP_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        return fuzz_tun_one(data, size);
}
#endif
