/* buf.c - see buf.h. */
#include "buf.h"

#include <stdlib.h>

zf_code zf_buf_reserve(zf_buf *b, size_t need, zf_err *err)
{
    if (need <= b->cap)
        return ZF_OK;
    if (b->fixed)
        return zf_err_set(err, ZF_ECORRUPT,
                          "decoded data exceeds the expected %zu bytes", b->cap);
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    return zf_buf_resize(b, cap, err);
}

zf_code zf_buf_resize(zf_buf *b, size_t cap, zf_err *err)
{
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        return zf_err_set(err, ZF_ENOMEM, "cannot allocate %zu bytes", cap);
    b->p = p;
    b->cap = cap;
    return ZF_OK;
}

void zf_buf_free(zf_buf *b)
{
    if (!b->fixed)
        free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void zf_buf_swap(zf_buf *a, zf_buf *b)
{
    zf_buf t = *a;
    *a = *b;
    *b = t;
}
