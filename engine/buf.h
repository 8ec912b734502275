/*
 * buf.h - a byte buffer that a decoder writes into.  Either owned and growable
 * (fixed == 0: realloc'd as needed, freed with zf_buf_free) or a fixed window
 * into memory the caller owns (fixed == 1: never grown or freed; writing more
 * than cap is an error).  Not thread-safe: one buffer, one thread at a time.
 */
#ifndef ZF_BUF_H
#define ZF_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct zf_buf {
    uint8_t *p;
    size_t len; /* bytes of valid content */
    size_t cap; /* bytes allocated (or available, when fixed) */
    int fixed;
} zf_buf;

/* A fixed window over caller memory. */
static inline zf_buf zf_buf_wrap(void *p, size_t cap)
{
    zf_buf b = {(uint8_t *)p, 0, cap, 1};
    return b;
}

/* Makes room for at least `need` bytes; a fixed buffer that is too small is
 * ZF_ECORRUPT (a decoder produced more than the metadata allows). */
zf_code zf_buf_reserve(zf_buf *b, size_t need, zf_err *err);
/* Reallocates an owned buffer (fixed == 0) to exactly cap bytes; ZF_ENOMEM
 * leaves it as it was. */
zf_code zf_buf_resize(zf_buf *b, size_t cap, zf_err *err);
void zf_buf_free(zf_buf *b);
/* Exchanges two buffers (used to ping-pong between pipeline stages). */
void zf_buf_swap(zf_buf *a, zf_buf *b);

#endif
