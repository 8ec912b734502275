/*
 * hash.h - FNV-1a over strings, for the engine's hash tables and for
 * fingerprints of short texts (an HTTP ETag).  Not for anything an attacker
 * must not steer: a crafted key can only make a bucket longer.
 */
#ifndef ZF_HASH_H
#define ZF_HASH_H

#include <stdint.h>

#define ZF_FNV_OFFSET 1469598103934665603ull

/* Continues an FNV-1a hash h (start with ZF_FNV_OFFSET, or a value mixed
 * into it) over the NUL-terminated string s. */
static inline uint64_t zf_fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

#endif
