/*
 * meta.c - what the two metadata formats share: JSON parsing with limits,
 * the checks of shapes and sizes, chunk keys (see meta.h).  It calls
 * neither format: meta_v3.c and meta_v2.c call it.
 */
#include "meta.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#define ZF_MAX_JSON_DEPTH 64

zf_code zf_json_parse(const char *text, size_t len, const char *what,
                      json_object **out, zf_err *err)
{
    if (len > ZF_MAX_METADATA_BYTES)
        return zf_err_set(err, ZF_ELIMIT, "%s: larger than %zu bytes", what,
                          ZF_MAX_METADATA_BYTES);
    json_tokener *t = json_tokener_new_ex(ZF_MAX_JSON_DEPTH);
    if (!t)
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory", what);
    json_object *o = json_tokener_parse_ex(t, text, (int)len);
    enum json_tokener_error e = json_tokener_get_error(t);
    size_t used = json_tokener_get_parse_end(t);
    json_tokener_free(t);
    if (!o || e != json_tokener_success) {
        json_object_put(o);
        return zf_err_set(err, ZF_EMETA, "%s: invalid JSON (%s)", what,
                          e == json_tokener_continue ? "unexpected end"
                                                     : json_tokener_error_desc(e));
    }
    for (; used < len; used++)
        if (text[used] != ' ' && text[used] != '\n' && text[used] != '\r' &&
            text[used] != '\t') {
            json_object_put(o);
            return zf_err_set(err, ZF_EMETA, "%s: invalid JSON (text after "
                              "the document)", what);
        }
    *out = o;
    return ZF_OK;
}

zf_code zf_meta_dims(json_object *arr, int ndim, uint64_t min, uint64_t *out,
                     const char *what, zf_err *err)
{
    if (!arr || !json_object_is_type(arr, json_type_array) ||
        (ndim >= 0 && (int)json_object_array_length(arr) != ndim))
        return zf_err_set(err, ZF_EMETA, "%s must be an array of %d integers",
                          what, ndim);
    int n = (int)json_object_array_length(arr);
    for (int d = 0; d < n; d++) {
        json_object *v = json_object_array_get_idx(arr, d);
        if (!json_object_is_type(v, json_type_int) ||
            json_object_get_int64(v) < (int64_t)min)
            return zf_err_set(err, ZF_EMETA, "%s[%d] must be an integer >= %llu",
                              what, d, (unsigned long long)min);
        out[d] = (uint64_t)json_object_get_int64(v);
    }
    return ZF_OK;
}

zf_code zf_meta_shape(zf_array *a, json_object *doc, zf_err *err)
{
    json_object *s = zf_json_get(doc, "shape");
    if (!s || !json_object_is_type(s, json_type_array))
        return zf_err_set(err, ZF_EMETA, "shape must be an array");
    size_t n = json_object_array_length(s);
    if (n > ZF_MAX_DIMS)
        return zf_err_set(err, ZF_ELIMIT, "%zu dimensions (at most %d)", n,
                          ZF_MAX_DIMS);
    a->ndim = (int)n;
    return zf_meta_dims(s, a->ndim, 0, a->shape, "shape", err);
}

zf_code zf_meta_separator(json_object *v, const char *what, char *sep,
                          zf_err *err)
{
    if (!v || json_object_is_type(v, json_type_null))
        return ZF_OK;
    const char *s = json_object_get_string(v);
    if (!s || (strcmp(s, "/") != 0 && strcmp(s, ".") != 0))
        return zf_err_set(err, ZF_EMETA, "%s must be \"/\" or \".\"", what);
    *sep = s[0];
    return ZF_OK;
}

/* shape x itemsize must fit in 63 bits (file sizes are off_t). */
zf_code zf_meta_check_sizes(zf_array *a, zf_err *err)
{
    uint64_t total = a->dt->size, chunk = a->dt->size;
    for (int d = 0; d < a->ndim; d++) {
        if (a->shape[d] && total > (UINT64_MAX >> 1) / a->shape[d])
            return zf_err_set(err, ZF_ELIMIT, "shape: the array's byte size "
                              "overflows 64 bits");
        total *= a->shape[d];
        if (chunk > ZF_MAX_CHUNK_BYTES / a->chunks[d])
            return zf_err_set(err, ZF_ELIMIT, "chunk_shape: a chunk is larger "
                              "than %llu bytes",
                              (unsigned long long)ZF_MAX_CHUNK_BYTES);
        chunk *= a->chunks[d];
        a->grid[d] = a->shape[d] / a->chunks[d] + (a->shape[d] % a->chunks[d] != 0);
    }
    a->info.nbytes = total;
    return ZF_OK;
}

zf_code zf_chunk_key(const zf_array *a, const uint64_t *idx, char *buf,
                     size_t size, zf_err *err)
{
    size_t n = (size_t)snprintf(buf, size, "%s%s", a->key_prefix,
                                a->v2_keys ? "" : "c");
    for (int d = 0; d < a->ndim && n < size; d++) {
        int first = a->v2_keys && d == 0;
        n += (size_t)snprintf(buf + n, size - n, "%s%llu",
                              first ? "" : (char[]){a->separator, 0},
                              (unsigned long long)idx[d]);
    }
    if (a->v2_keys && a->ndim == 0 && n < size)
        n += (size_t)snprintf(buf + n, size - n, "0");
    /* A cut key would name another chunk. */
    if (n >= size)
        return zf_err_set(err, ZF_ELIMIT, "chunk key of array '%s' is longer "
                          "than %zu bytes", a->info.path, size - 1);
    return ZF_OK;
}
