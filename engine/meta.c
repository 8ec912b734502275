/*
 * meta.c - Zarr v3 array metadata (zarr.json) into a zf_array: shape, data
 * type, regular chunk grid, chunk key encoding, fill value and the codec
 * pipeline.  Every problem is an error naming the field; nothing is guessed.
 * Unknown extension fields are refused unless they say must_understand:false.
 */
#include "meta.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
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

static zf_code parse_grid(zf_array *a, json_object *doc, zf_err *err)
{
    json_object *g = zf_json_get(doc, "chunk_grid"), *name = g ? zf_json_get(g, "name") : NULL;
    if (!name || !json_object_is_type(name, json_type_string))
        return zf_err_set(err, ZF_EMETA, "chunk_grid must have a name");
    if (strcmp(json_object_get_string(name), "regular") != 0)
        return zf_err_set(err, ZF_EUNSUPPORTED, "chunk_grid '%s'",
                          json_object_get_string(name));
    json_object *conf = zf_json_get(g, "configuration");
    return zf_meta_dims(conf ? zf_json_get(conf, "chunk_shape") : NULL, a->ndim, 1,
                        a->chunks, "chunk_grid: chunk_shape", err);
}

static zf_code parse_key_encoding(zf_array *a, json_object *doc, zf_err *err)
{
    json_object *k = zf_json_get(doc, "chunk_key_encoding");
    json_object *name = k ? zf_json_get(k, "name") : NULL;
    if (!name || !json_object_is_type(name, json_type_string))
        return zf_err_set(err, ZF_EMETA, "chunk_key_encoding must have a name");
    const char *n = json_object_get_string(name);
    if (strcmp(n, "default") == 0)
        a->v2_keys = 0;
    else if (strcmp(n, "v2") == 0)
        a->v2_keys = 1;
    else
        return zf_err_set(err, ZF_EUNSUPPORTED, "chunk_key_encoding '%s'", n);
    a->separator = a->v2_keys ? '.' : '/';
    json_object *conf = zf_json_get(k, "configuration");
    json_object *sep = conf ? zf_json_get(conf, "separator") : NULL;
    if (sep) {
        const char *s = json_object_get_string(sep);
        if (!s || (strcmp(s, "/") != 0 && strcmp(s, ".") != 0))
            return zf_err_set(err, ZF_EMETA, "chunk_key_encoding: separator "
                              "must be \"/\" or \".\"");
        a->separator = s[0];
    }
    return ZF_OK;
}

/* Fields of the spec; anything else is an extension. */
static int known_field(const char *k)
{
    static const char *const known[] = {
        "zarr_format", "node_type", "shape", "data_type", "chunk_grid",
        "chunk_key_encoding", "fill_value", "codecs", "attributes",
        "dimension_names", "storage_transformers"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcmp(k, known[i]) == 0)
            return 1;
    return 0;
}

static zf_code check_extensions(json_object *doc, zf_err *err)
{
    json_object_object_foreach(doc, key, val) {
        if (known_field(key))
            continue;
        json_object *m = json_object_is_type(val, json_type_object)
                             ? zf_json_get(val, "must_understand") : NULL;
        if (!m || !json_object_is_type(m, json_type_boolean) ||
            json_object_get_boolean(m))
            return zf_err_set(err, ZF_EUNSUPPORTED, "unknown extension '%s'", key);
    }
    json_object *st = zf_json_get(doc, "storage_transformers");
    if (st && (!json_object_is_type(st, json_type_array) ||
               json_object_array_length(st) > 0))
        return zf_err_set(err, ZF_EUNSUPPORTED, "storage_transformers");
    return ZF_OK;
}

static zf_code parse_dtype(zf_array *a, json_object *doc, zf_err *err)
{
    json_object *t = zf_json_get(doc, "data_type");
    if (!t)
        return zf_err_set(err, ZF_EMETA, "data_type is missing");
    const char *name = json_object_is_type(t, json_type_string)
                           ? json_object_get_string(t) : NULL;
    if (!name && json_object_is_type(t, json_type_object)) {
        json_object *n = zf_json_get(t, "name");
        name = n ? json_object_get_string(n) : NULL;
    }
    a->dt = zf_dtype_by_name(name);
    if (!a->dt)
        return zf_err_set(err, ZF_EUNSUPPORTED, "data type '%s'",
                          name ? name : json_object_to_json_string(t));
    return ZF_OK;
}

static zf_code parse_array(zf_array *a, json_object *doc, zf_err *err)
{
    json_object *fmt = zf_json_get(doc, "zarr_format"), *nt = zf_json_get(doc, "node_type");
    if (!fmt || json_object_get_int(fmt) != 3)
        return zf_err_set(err, ZF_EMETA, "zarr_format must be 3");
    if (!nt || strcmp(json_object_get_string(nt), "array") != 0)
        return zf_err_set(err, ZF_EMETA, "node_type must be \"array\"");
    zf_code c = check_extensions(doc, err);
    if (c == ZF_OK) c = zf_meta_shape(a, doc, err);
    if (c == ZF_OK) c = parse_dtype(a, doc, err);
    if (c == ZF_OK) c = parse_grid(a, doc, err);
    if (c == ZF_OK) c = zf_meta_check_sizes(a, err);
    if (c == ZF_OK) c = parse_key_encoding(a, doc, err);
    if (c == ZF_OK) c = zf_dtype_parse_fill(a->dt, zf_json_get(doc, "fill_value"), a->fill, err);
    if (c == ZF_OK)
        c = zf_pipeline_new(zf_json_get(doc, "codecs"), a->ndim, a->chunks, a->dt,
                            a->fill, 0, &a->pipe, err);
    return c;
}

static void fill_info(zf_array *a, const char *path)
{
    zf_array_info *i = &a->info;
    i->path = path;
    i->ndim = a->ndim;
    i->shape = a->shape;
    i->chunks = a->chunks;
    i->inner = a->pipe->sharded ? a->pipe->shard.inner : NULL;
    i->dtype = a->dt->name;
    i->itemsize = a->dt->size;
    i->codecs = a->pipe->describe;
    i->metadata_json = a->metadata_json;
    i->fill_value = a->fill;
}

static zf_code meta_alloc(zf_zarr *z, const char *path, const char *json,
                          zf_array **out, zf_err *err)
{
    zf_array *a = calloc(1, sizeof *a);
    if (!a)
        return zf_err_set(err, ZF_ENOMEM, "out of memory");
    a->z = z;
    pthread_mutex_init(&a->seq.lock, NULL);
    a->metadata_json = strdup(json);
    size_t pl = strlen(path);
    a->key_prefix = malloc(pl + 2);
    if (!a->metadata_json || !a->key_prefix) {
        zf_array_free(a);
        return zf_err_set(err, ZF_ENOMEM, "out of memory");
    }
    memcpy(a->key_prefix, path, pl);
    strcpy(a->key_prefix + pl, pl ? "/" : "");
    *out = a;
    return ZF_OK;
}

zf_code zf_meta_parse_array(zf_zarr *z, const char *path, int format,
                            json_object *doc, const char *json, zf_array **out,
                            zf_err *err)
{
    zf_array *a = NULL;
    zf_code c = meta_alloc(z, path, json, &a, err);
    if (c != ZF_OK)
        return c;
    c = format == 3 ? parse_array(a, doc, err) : zf_meta_v2_fields(a, doc, err);
    if (c != ZF_OK) {
        zf_array_free(a);
        return c;
    }
    fill_info(a, path);
    *out = a;
    return ZF_OK;
}

void zf_array_free(zf_array *a)
{
    if (!a)
        return;
    zf_pipeline_free(a->pipe);
    pthread_mutex_destroy(&a->seq.lock);
    free(a->metadata_json);
    free(a->key_prefix);
    free(a->path);
    free(a);
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
