/* store.c - helpers shared by every store backend; see store.h. */
#include "store.h"

#include <stdlib.h>
#include <string.h>

int zf_store_key_is_safe(const char *key)
{
    if (key[0] == '/' || key[0] == 0)
        return 0;
    for (const char *p = key; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') ||
            (n == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        p += n + (p[n] == '/');
    }
    return 1;
}

/* Reads key[off, off + len) into buf; *got says how much (less only at
 * the key's end). */
static zf_code read_at(zf_store *s, const char *key, uint64_t off, size_t len,
                       uint8_t *buf, size_t *got, zf_err *err)
{
    zf_range_req r = {.key = key, .offset = (int64_t)off, .len = len, .buf = buf};
    zf_store_read(s, &r, 1);
    if (r.code != ZF_OK && err)
        *err = r.err;
    *got = r.got;
    return r.code;
}

/* Most metadata documents fit in the first read. */
#define ZF_GET_FIRST ((size_t)64 << 10)

zf_code zf_store_get(zf_store *s, const char *key, size_t max_size,
                     uint8_t **data, size_t *len, zf_err *err)
{
    size_t first = max_size < ZF_GET_FIRST ? max_size + 1 : ZF_GET_FIRST;
    if (!zf_store_stat_is_costly(s)) {
        /* A cheap stat first: it also checks a kept descriptor against
         * the file (store_local.c), and sizes the one read. */
        zf_store_stat st;
        zf_code c = zf_store_stat_key(s, key, &st, err);
        if (c != ZF_OK)
            return c;
        if (st.size > max_size)
            return zf_err_set(err, ZF_ELIMIT, "%s: %llu bytes, more than the "
                              "%zu allowed", key, (unsigned long long)st.size,
                              max_size);
        first = (size_t)st.size + 1; /* (a read of less is all of it) */
    }
    uint8_t *p = malloc(first + 1);
    if (!p)
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory", key);
    size_t got;
    zf_code c = read_at(s, key, 0, first, p, &got, err);
    if (c == ZF_OK && got == first) { /* more: its size says how much */
        zf_store_stat st;
        c = zf_store_stat_key(s, key, &st, err);
        if (c == ZF_OK && st.size > max_size)
            c = zf_err_set(err, ZF_ELIMIT, "%s: %llu bytes, more than the %zu "
                           "allowed", key, (unsigned long long)st.size, max_size);
        uint8_t *q = c == ZF_OK && st.size > first ? realloc(p, st.size + 1) : p;
        if (!q)
            c = zf_err_set(err, ZF_ENOMEM, "%s: out of memory", key);
        else
            p = q;
        size_t more = 0;
        if (c == ZF_OK && st.size > first)
            c = read_at(s, key, first, st.size - first, p + first, &more, err);
        got += more;
    }
    if (c != ZF_OK) {
        free(p);
        return c;
    }
    p[got] = 0;
    *data = p;
    *len = got;
    return ZF_OK;
}
