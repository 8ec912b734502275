/*
 * hash.c - Jenkins' lookup3 (hashlittle), the checksum of HDF5's metadata
 * (views/h5.c) and of numcodecs' jenkins_lookup3 codec (codec/checksum.c).
 * Pure functions.
 */
#include <stddef.h>
#include <stdint.h>

#include "hash.h"

#define ROT(x, k) (((x) << (k)) | ((x) >> (32 - (k))))

static void mix3(uint32_t *a, uint32_t *b, uint32_t *c)
{
    *a -= *c; *a ^= ROT(*c, 4);  *c += *b;
    *b -= *a; *b ^= ROT(*a, 6);  *a += *c;
    *c -= *b; *c ^= ROT(*b, 8);  *b += *a;
    *a -= *c; *a ^= ROT(*c, 16); *c += *b;
    *b -= *a; *b ^= ROT(*a, 19); *a += *c;
    *c -= *b; *c ^= ROT(*b, 4);  *b += *a;
}

static void final3(uint32_t *a, uint32_t *b, uint32_t *c)
{
    *c ^= *b; *c -= ROT(*b, 14);
    *a ^= *c; *a -= ROT(*c, 11);
    *b ^= *a; *b -= ROT(*a, 25);
    *c ^= *b; *c -= ROT(*b, 16);
    *a ^= *c; *a -= ROT(*c, 4);
    *b ^= *a; *b -= ROT(*a, 14);
    *c ^= *b; *c -= ROT(*b, 24);
}

/* Little-endian word of up to 4 bytes (the tail's partial words). */
static uint32_t word(const uint8_t *k, size_t n)
{
    uint32_t w = 0;
    for (size_t i = 0; i < n && i < 4; i++)
        w |= (uint32_t)k[i] << (8 * i);
    return w;
}

uint32_t zf_lookup3(const uint8_t *k, size_t len, uint32_t init)
{
    uint32_t a, b, c;
    a = b = c = 0xdeadbeefu + (uint32_t)len + init;
    while (len > 12) {
        a += word(k, 4);
        b += word(k + 4, 4);
        c += word(k + 8, 4);
        mix3(&a, &b, &c);
        len -= 12;
        k += 12;
    }
    if (len == 0)
        return c;
    a += word(k, len);
    b += len > 4 ? word(k + 4, len - 4) : 0;
    c += len > 8 ? word(k + 8, len - 8) : 0;
    final3(&a, &b, &c);
    return c;
}
