/*
 * hash.h - FNV-1a over strings, for the engine's hash tables and for
 * fingerprints of short texts (an HTTP ETag).  Not for anything an attacker
 * must not steer: a crafted key can only make a bucket longer.  And
 * Jenkins' lookup3 (hash.c), a checksum HDF5 and numcodecs use.
 */
#ifndef ZF_HASH_H
#define ZF_HASH_H

#include <stddef.h>
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

/* Jenkins' lookup3 hashlittle of k[0..len) from the seed init: HDF5's
 * metadata checksum and numcodecs' "jenkins_lookup3". */
uint32_t zf_lookup3(const uint8_t *k, size_t len, uint32_t init);

#endif
