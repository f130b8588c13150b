/* The Internet checksum (RFC 1071) over a buffer. */
#include "core/csum.h"

#include <string.h>

/* One's-complement addition of 64-bit words: the carry out of the top comes back in at the
 * bottom. Since 2^16 = 1 modulo 2^16 - 1, a sum of 64-bit words in memory order folds to
 * the same 16-bit sum as the words of RFC 1071 §2, on either byte order. */
static inline uint64_t add_words(uint64_t sum, uint64_t w)
{
        uint64_t r;
        return __builtin_add_overflow(sum, w, &r) ? r + 1 : r;
}

/* What um_csum_add returns: at most 33 bits, so that two of them add without a carry. */
static inline uint64_t reduce(uint64_t sum)
{
        sum = (sum & 0xffffffffu) + (sum >> 32);
        return (sum & 0xffffffffu) + (sum >> 32);
}

static inline uint64_t load_word(const uint8_t *p)
{
        uint64_t w;
        memcpy(&w, p, 8);
        return w;
}

/* The last 0-7 bytes, as a word in memory order padded with zeros (RFC 1071: an odd last
 * byte is summed with a zero after it). */
static inline uint64_t tail_word(const uint8_t *p, size_t len)
{
        uint64_t w = 0;
        memcpy(&w, p, len);
        return w;
}

uint64_t um_csum_add(uint64_t sum, const void *data, size_t len)
{
        const uint8_t *p = data;
        /* Two chains, so that the adds of one wait less on the carries of the other. */
        uint64_t a = sum, b = 0;
        for (; len >= 32; p += 32, len -= 32) {
                a = add_words(a, load_word(p));
                b = add_words(b, load_word(p + 8));
                a = add_words(a, load_word(p + 16));
                b = add_words(b, load_word(p + 24));
        }
        for (; len >= 8; p += 8, len -= 8)
                a = add_words(a, load_word(p));
        if (len)
                b = add_words(b, tail_word(p, len));
        return reduce(add_words(a, b));
}

uint16_t um_csum_fold(uint64_t sum)
{
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return (uint16_t)~sum;
}
