/*
 * meta_v3.c - Zarr v3 array metadata (zarr.json) into a zf_array: shape, data
 * type, regular chunk grid, chunk key encoding, fill value and the codec
 * pipeline.  Every problem is an error naming the field; nothing is guessed.
 * Unknown extension fields are refused unless they say must_understand:false.
 */
#include "meta_v3.h"

#include <json-c/json.h>
#include <string.h>

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
    return zf_meta_separator(conf ? zf_json_get(conf, "separator") : NULL,
                             "chunk_key_encoding: separator", &a->separator,
                             err);
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

zf_code zf_meta_v3_fields(zf_array *a, json_object *doc, zf_err *err)
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
