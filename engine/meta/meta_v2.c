/*
 * meta_v2.c - Zarr v2 array metadata (.zarray) mapped onto the same codec
 * pipeline as v3: order "F" becomes a transpose, the dtype's byte order the
 * bytes codec's endian, and the filters and compressor (numcodecs objects)
 * bytes->bytes codecs after it, in that order.  Chunk keys use the v2
 * encoding with the array's dimension_separator.
 */
#include "meta_v2.h"

#include "jsonb.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A NumPy typestring such as "<u2", "|b1", ">c16" into a core dtype and the
 * stored byte order.  Strings, objects, datetimes and structured types have
 * no flat view and are refused. */
static zf_code parse_typestr(zf_array *a, json_object *t, int *big,
                             zf_err *err)
{
    const char *s = t && json_object_is_type(t, json_type_string)
                        ? json_object_get_string(t) : NULL;
    if (!s)
        return zf_err_set(err, ZF_EUNSUPPORTED, "dtype %s (structured types "
                          "have no flat view)",
                          t ? json_object_to_json_string(t) : "missing");
    static const struct { const char *code, *name; } map[] = {
        {"b1", "bool"},    {"i1", "int8"},     {"i2", "int16"},
        {"i4", "int32"},   {"i8", "int64"},    {"u1", "uint8"},
        {"u2", "uint16"},  {"u4", "uint32"},   {"u8", "uint64"},
        {"f2", "float16"}, {"f4", "float32"},  {"f8", "float64"},
        {"c8", "complex64"}, {"c16", "complex128"}};
    char order = s[0];
    if (order != '<' && order != '>' && order != '|' && order != '=')
        return zf_err_set(err, ZF_EUNSUPPORTED, "dtype '%s'", s);
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcmp(s + 1, map[i].code) == 0) {
            a->dt = zf_dtype_by_name(map[i].name);
            *big = order == '>' || (order == '=' && !zf_native_little());
            return ZF_OK;
        }
    return zf_err_set(err, ZF_EUNSUPPORTED, "dtype '%s' (only booleans, "
                      "integers, floats and complex numbers have a flat view)", s);
}

static zf_code parse_fill(zf_array *a, json_object *doc, zf_err *err)
{
    json_object *f = zf_json_get(doc, "fill_value");
    if (!f || json_object_is_type(f, json_type_null)) {
        memset(a->fill, 0, sizeof a->fill); /* v2: no fill value reads as 0 */
        return ZF_OK;
    }
    /* v2 writers store whole floats such as 0.0 for integer arrays' fills
     * only by mistake, but numbers of the wrong kind are easy to accept. */
    if ((a->dt->kind == ZF_KIND_INT || a->dt->kind == ZF_KIND_UINT) &&
        json_object_is_type(f, json_type_double)) {
        double d = json_object_get_double(f);
        /* (range first: converting a double outside int64 is undefined) */
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) ||
            d != (double)(int64_t)d)
            return zf_err_set(err, ZF_EMETA, "fill_value %g is not an integer "
                              "of %s", d, a->dt->name);
        json_object *i = json_object_new_int64((int64_t)d);
        if (!i)
            return zf_err_set(err, ZF_ENOMEM, "out of memory");
        zf_code c = zf_dtype_parse_fill(a->dt, i, a->fill, err);
        json_object_put(i);
        return c;
    }
    if (a->dt->kind == ZF_KIND_BOOL && json_object_is_type(f, json_type_int)) {
        a->fill[0] = json_object_get_int64(f) != 0;
        return ZF_OK;
    }
    return zf_dtype_parse_fill(a->dt, f, a->fill, err);
}

static zf_code parse_separator(zf_array *a, json_object *doc, zf_err *err)
{
    a->v2_keys = 1;
    a->separator = '.';
    return zf_meta_separator(zf_json_get(doc, "dimension_separator"),
                             "dimension_separator", &a->separator, err);
}

/* The v3-shaped codec list: [transpose] bytes filters... compressor. */
static zf_code codec_list(zf_array *a, json_object *doc, int big,
                          json_object **out, zf_err *err)
{
    json_object *order = zf_json_get(doc, "order");
    const char *o = order ? json_object_get_string(order) : "C";
    if (!o || (strcmp(o, "C") != 0 && strcmp(o, "F") != 0))
        return zf_err_set(err, ZF_EMETA, "order must be \"C\" or \"F\"");
    json_object *filters = zf_json_get(doc, "filters"), *comp = zf_json_get(doc, "compressor");
    int has_filters = filters && !json_object_is_type(filters, json_type_null);
    if (has_filters && !json_object_is_type(filters, json_type_array))
        return zf_err_set(err, ZF_EMETA, "filters must be an array or null");
    int ok = 1;
    json_object *list = json_object_new_array();
    if (o[0] == 'F' && a->ndim > 1) {
        /* An F-order chunk is the C-order layout of the reversed shape. */
        json_object *perm = json_object_new_array(), *t = json_object_new_object();
        for (int d = a->ndim - 1; d >= 0; d--)
            zf_jadd(&ok, perm, NULL, json_object_new_int(d));
        zf_jadd(&ok, t, "name", json_object_new_string("transpose"));
        zf_jadd(&ok, t, "configuration",
                zf_jadd(&ok, json_object_new_object(), "order", perm));
        zf_jadd(&ok, list, NULL, t);
    }
    json_object *b = json_object_new_object();
    zf_jadd(&ok, b, "name", json_object_new_string("bytes"));
    zf_jadd(&ok, b, "configuration",
            zf_jadd(&ok, json_object_new_object(), "endian",
                    json_object_new_string(big ? "big" : "little")));
    zf_jadd(&ok, list, NULL, b);
    for (size_t i = 0; has_filters && i < json_object_array_length(filters); i++)
        zf_jadd(&ok, list, NULL,
                json_object_get(json_object_array_get_idx(filters, i)));
    if (comp && !json_object_is_type(comp, json_type_null))
        zf_jadd(&ok, list, NULL, json_object_get(comp));
    if (!ok) {
        json_object_put(list);
        return zf_err_set(err, ZF_ENOMEM, "out of memory");
    }
    *out = list;
    return ZF_OK;
}

zf_code zf_meta_v2_fields(zf_array *a, json_object *doc, zf_err *err)
{
    json_object *fmt = zf_json_get(doc, "zarr_format");
    int big = 0;
    if (!fmt || json_object_get_int(fmt) != 2)
        return zf_err_set(err, ZF_EMETA, "zarr_format must be 2");
    zf_code c = zf_meta_shape(a, doc, err);
    if (c == ZF_OK)
        c = zf_meta_dims(zf_json_get(doc, "chunks"), a->ndim, 1, a->chunks, "chunks", err);
    if (c == ZF_OK) c = parse_typestr(a, zf_json_get(doc, "dtype"), &big, err);
    if (c == ZF_OK) c = zf_meta_check_sizes(a, err);
    if (c == ZF_OK) c = parse_separator(a, doc, err);
    if (c == ZF_OK) c = parse_fill(a, doc, err);
    json_object *codecs = NULL;
    if (c == ZF_OK) c = codec_list(a, doc, big, &codecs, err);
    if (c == ZF_OK)
        c = zf_pipeline_new(codecs, a->ndim, a->chunks, a->dt, a->fill, 1,
                            &a->pipe, err);
    json_object_put(codecs);
    return c;
}
