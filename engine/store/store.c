/* store.c - helpers shared by every store backend; see store.h. */
#include "store.h"

#include <stdlib.h>

zf_code zf_store_get(zf_store *s, const char *key, size_t max_size,
                     uint8_t **data, size_t *len, zf_err *err)
{
    zf_store_stat st;
    zf_code c = zf_store_stat_key(s, key, &st, err);
    if (c != ZF_OK)
        return c;
    if (st.size > max_size)
        return zf_err_set(err, ZF_ELIMIT, "%s: %llu bytes, more than the %zu "
                          "allowed", key, (unsigned long long)st.size, max_size);
    uint8_t *p = malloc(st.size + 1);
    if (!p)
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory", key);
    zf_range_req r = {.key = key, .offset = 0, .len = st.size, .buf = p};
    zf_store_read(s, &r, 1);
    if (r.code != ZF_OK) {
        free(p);
        if (err)
            *err = r.err;
        return r.code;
    }
    p[r.got] = 0;
    *data = p;
    *len = r.got;
    return ZF_OK;
}
