/*
 * le.h - little-endian loads and stores of 32- and 64-bit integers at
 * any address (the formats' headers, checksums and shard indexes), whatever
 * the machine's byte order.  Pure functions; no alignment needed.
 */
#ifndef ZF_LE_H
#define ZF_LE_H

#include <stdint.h>

static inline uint32_t zf_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t zf_le64(const uint8_t *p)
{
    return (uint64_t)zf_le32(p) | (uint64_t)zf_le32(p + 4) << 32;
}

/* Writes the low `n` bytes of v, least significant first (n <= 8). */
static inline void zf_put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void zf_put_le32(uint8_t *p, uint32_t v)
{
    zf_put_le(p, v, 4);
}

static inline void zf_put_le64(uint8_t *p, uint64_t v)
{
    zf_put_le(p, v, 8);
}

#endif
