/*
 * nc_emit.c - the netCDF-4 emitter (see nc_emit.h): the model's objects as
 * HDF5 object headers (groups with compact links, contiguous datasets,
 * dimension scales, attributes through the global heap), then the layout
 * of the parts after the header.
 */
#include "views/nc_emit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "le.h"

#define NC_DIM_WITHOUT_VAR "This is a netCDF dimension but not a netCDF variable."

/* ---- attributes --------------------------------------------------------- */

static int is_utf8(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 1;
    return 0;
}

/* Writes attribute `name`: a list of n values of type t, held in data,
 * which it frees (data that could not grow is o's allocation failure). */
static int attr_list(zf_h5out *o, const char *name, const zf_h5_type *t,
                     size_t n, zf_h5out *data)
{
    uint64_t dims[1] = {n};
    int rc = data->oom ? (o->oom = 1, 0)
                       : zf_h5_attr(o, name, t, 1, dims, data->p, data->len);
    zf_h5_free(data);
    return rc;
}

/* Attribute names that netCDF and the dimension-scale API use themselves:
 * a Zarr attribute of that name would change what they mean. */
static int reserved(const char *name)
{
    static const char *const names[] = {
        "CLASS", "NAME", "DIMENSION_LIST", "REFERENCE_LIST", "_Netcdf4Dimid",
        "_Netcdf4Coordinates", "_NCProperties", "_nc3_strict", "_FillValue",
        "_ARRAY_DIMENSIONS", "_IsNetcdf4", "_SuperblockVersion"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(name, names[i]))
            return 1;
    return 0;
}

static int attr_string(zf_h5out *o, const char *name, const char *s)
{
    size_t n = strlen(s);
    zf_h5_type t = zf_h5_type_of(ZF_H5_STR, (uint32_t)(n ? n : 1), is_utf8(s));
    return zf_h5_attr(o, name, &t, -1, NULL, n ? s : "", n ? n : 1);
}

static int attr_strings(zf_h5out *o, zf_h5heap *h, const char *name,
                        json_object *list)
{
    size_t n = json_object_array_length(list);
    zf_h5out data = {0};
    int utf8 = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = json_object_get_string(json_object_array_get_idx(list, i));
        uint8_t id[12];
        zf_h5heap_add(h, s, strlen(s), id);
        zf_h5_le(&data, strlen(s), 4);
        zf_h5_bytes(&data, id, 12);
        utf8 |= is_utf8(s);
    }
    zf_h5_type t = zf_h5_type_of(ZF_H5_VSTR, 0, utf8);
    return attr_list(o, name, &t, n, &data);
}

/* An integer above INT64_MAX (json-c keeps those as uint64). */
static int above_int64(json_object *x)
{
    return json_object_is_type(x, json_type_int) &&
           json_object_get_uint64(x) > (uint64_t)INT64_MAX;
}

/* A number or a list of numbers (ints, doubles, booleans) as int64, as
 * uint64 when one is above INT64_MAX and none negative, else float64 when
 * any is not an integer; 1 (no form) for integers no 64-bit type holds. */
static int attr_numbers(zf_h5out *o, const char *name, json_object *v)
{
    int list = json_object_is_type(v, json_type_array);
    size_t n = list ? json_object_array_length(v) : 1;
    int real = 0, big = 0, negative = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *x = list ? json_object_array_get_idx(v, i) : v;
        real |= json_object_is_type(x, json_type_double);
        big |= above_int64(x);
        negative |= json_object_get_int64(x) < 0;
    }
    if (big && (negative || real))
        return 1;
    zf_h5out data = {0};
    for (size_t i = 0; i < n; i++) {
        json_object *x = list ? json_object_array_get_idx(v, i) : v;
        if (real) {
            double d = json_object_get_double(x);
            zf_h5_bytes(&data, &d, 8);
        } else if (big) {
            uint64_t k = json_object_get_uint64(x);
            zf_h5_bytes(&data, &k, 8);
        } else {
            int64_t k = json_object_get_int64(x);
            zf_h5_bytes(&data, &k, 8);
        }
    }
    zf_h5_type t = zf_h5_type_of(real ? ZF_H5_FLOAT : big ? ZF_H5_UINT
                                                          : ZF_H5_INT, 8, 0);
    return attr_list(o, name, &t, n, &data);
}

/* What a JSON list holds: 's' strings, 'n' numbers, 0 anything else. */
static int list_kind(json_object *v)
{
    size_t n = json_object_array_length(v);
    int strings = 1, numbers = 1;
    for (size_t i = 0; i < n; i++) {
        json_type t = json_object_get_type(json_object_array_get_idx(v, i));
        strings &= t == json_type_string;
        numbers &= t == json_type_int || t == json_type_double ||
                   t == json_type_boolean;
    }
    return !n ? 0 : strings ? 's' : numbers ? 'n' : 0;
}

/* One Zarr attribute; 1 when its value has no attribute form, -1 when it
 * is too large for an attribute message. */
static int attr_json(zf_h5out *o, zf_h5heap *h, const char *name,
                     json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_string:
        return attr_string(o, name, json_object_get_string(v));
    case json_type_int:
    case json_type_double:
    case json_type_boolean:
        return attr_numbers(o, name, v);
    case json_type_array:
        switch (list_kind(v)) {
        case 's':
            return attr_strings(o, h, name, v);
        case 'n':
            return attr_numbers(o, name, v);
        }
        return 1;
    default:
        return 1;
    }
}

static void user_attrs(zf_ncmodel *b, zf_h5out *o, zf_h5heap *h, long i)
{
    const zf_ncobj *ob = &b->obj[i];
    if (!ob->attrs)
        return;
    json_object_object_foreach(ob->attrs, name, v) {
        if (!name[0]) { /* (HDF5 cannot open an attribute named "") */
            zf_ncm_note(b, "%s: an attribute with an empty name left out",
                 zf_ncm_label(ob));
            continue;
        }
        if (reserved(name)) {
            if (strcmp(name, "_ARRAY_DIMENSIONS") && strcmp(name, "_FillValue"))
                zf_ncm_note(b, "%s: attribute '%s' left out: netCDF-4 reserves the "
                     "name", zf_ncm_label(ob), name);
            continue;
        }
        int rc = attr_json(o, h, name, v);
        if (rc > 0)
            zf_ncm_note(b, "%s: attribute '%s' left out: not a number, a string, "
                 "or a list of numbers (integers that fit one 64-bit type) "
                 "or of strings", zf_ncm_label(ob), name);
        else if (rc < 0)
            zf_ncm_note(b, "%s: attribute '%s' left out: larger than an HDF5 "
                 "object header message", zf_ncm_label(ob), name);
    }
}

/* ---- object headers ----------------------------------------------------- */

/* Writes one message of object `i` (attributes, which may be too large,
 * are written and checked by their callers). */
static void msg(zf_ncmodel *b, zf_h5out *o, long i, int type, int flags,
                zf_h5out *body)
{
    if (zf_h5_msg(o, type, flags, body) < 0)
        zf_ncm_fail(b, ZF_ELIMIT, "%s: an HDF5 message of %zu bytes (type "
                    "%d), more than the %d an object header holds",
                    b->obj[i].kind == ZF_NC_DIM ? b->obj[i].name
                                                : zf_ncm_label(&b->obj[i]),
                    body->len, type, ZF_H5_MAX_MSG);
    zf_h5_free(body);
}

static void emit_group(zf_ncmodel *b, zf_h5out *o, zf_h5heap *h, long i)
{
    const zf_ncobj *g = &b->obj[i];
    size_t start = zf_h5_ohdr_begin(o);
    zf_h5out body = {0};
    zf_h5_le(&body, 0, 2); /* link info: version 0, no creation order */
    zf_h5_le(&body, ZF_H5_UNDEF, 8); /* compact: no fractal heap, */
    zf_h5_le(&body, ZF_H5_UNDEF, 8); /* no name index */
    msg(b, o, i, 0x02, 0, &body);
    zf_h5_le(&body, 0, 1); /* group info: version 0, phase change stored */
    zf_h5_le(&body, 1, 1);
    zf_h5_le(&body, g->nkids > 8 ? (g->nkids > 65535 ? 65535 : g->nkids) : 8, 2);
    zf_h5_le(&body, 6, 2);
    msg(b, o, i, 0x0A, 0, &body);
    for (size_t k = 0; k < g->nkids; k++) {
        const zf_ncobj *kid = &b->obj[g->kids[k]];
        size_t n = strlen(kid->name);
        int lb = n < 256 ? 1 : n < 65536 ? 2 : 4;
        zf_h5_le(&body, 1, 1); /* version */
        zf_h5_le(&body, lb == 1 ? 0 : lb == 2 ? 1 : 2, 1);
        zf_h5_le(&body, n, lb);
        zf_h5_bytes(&body, kid->name, n);
        zf_h5_le(&body, kid->addr, 8);
        msg(b, o, i, 0x06, 0, &body);
    }
    user_attrs(b, o, h, i);
    zf_h5_ohdr_end(o, start);
}

static zf_h5_type var_type(const zf_array *a)
{
    static const zf_h5_kind kinds[] = {
        [ZF_KIND_BOOL] = ZF_H5_BOOL, [ZF_KIND_INT] = ZF_H5_INT,
        [ZF_KIND_UINT] = ZF_H5_UINT, [ZF_KIND_FLOAT] = ZF_H5_FLOAT,
        [ZF_KIND_COMPLEX] = ZF_H5_COMPLEX};
    return zf_h5_type_of(kinds[a->dt->kind], (uint32_t)a->dt->size, 0);
}

/* Dataspace, datatype, fill value and contiguous layout of a dataset. */
static void dataset_msgs(zf_ncmodel *b, zf_h5out *o, long i, int ndim,
                         const uint64_t *shape, const zf_h5_type *t,
                         const void *fill, uint64_t addr, uint64_t nbytes)
{
    zf_h5out body = {0};
    zf_h5_dataspace(&body, ndim ? ndim : -1, shape);
    msg(b, o, i, 0x01, 0, &body);
    zf_h5_datatype(&body, t);
    msg(b, o, i, 0x03, 1, &body); /* constant */
    zf_h5_le(&body, 3, 1);     /* fill value v3: allocated early, */
    zf_h5_le(&body, fill ? 0x29 : 0x09, 1); /* written if set, defined? */
    if (fill) {
        zf_h5_le(&body, t->size, 4);
        zf_h5_bytes(&body, fill, t->size);
    }
    msg(b, o, i, 0x05, 1, &body);
    zf_h5_le(&body, 3, 1); /* layout v3, contiguous */
    zf_h5_le(&body, 1, 1);
    zf_h5_le(&body, addr, 8);
    zf_h5_le(&body, nbytes, 8);
    msg(b, o, i, 0x08, 0, &body);
}

/* CLASS, NAME, REFERENCE_LIST and _Netcdf4Dimid of dimension d's scale. */
static void scale_attrs(zf_ncmodel *b, zf_h5out *o, long d)
{
    const zf_ncdim *dim = &b->dim[d];
    zf_h5_type cls = zf_h5_type_of(ZF_H5_STR, 16, 0);
    zf_h5_attr(o, "CLASS", &cls, -1, NULL, "DIMENSION_SCALE", 16);
    char name[128];
    const char *nm = dim->name;
    if (b->obj[dim->scale].kind == ZF_NC_DIM) {
        snprintf(name, sizeof name, "%s%10" PRIu64, NC_DIM_WITHOUT_VAR,
                 dim->size);
        nm = name;
    }
    zf_h5_type nt = zf_h5_type_of(ZF_H5_STR, (uint32_t)strlen(nm) + 1, 0);
    if (zf_h5_attr(o, "NAME", &nt, -1, NULL, nm, strlen(nm) + 1) < 0)
        zf_ncm_note(b, "dimension '%s': its name is too long", dim->name);
    zf_h5out refs = {0};
    uint64_t n = 0;
    const zf_ncobj *g = &b->obj[dim->group]; /* (its users are g's kids) */
    for (size_t i = 0; i < g->nkids; i++) {
        const zf_ncobj *v = &b->obj[g->kids[i]];
        if (v->kind != ZF_NC_VAR || v->scale == d)
            continue;
        for (int k = 0; k < zf_array_get_info(v->a)->ndim; k++) {
            if (v->dims[k] != d)
                continue;
            zf_h5_le(&refs, v->addr, 8);
            zf_h5_le(&refs, (uint64_t)k, 4);
            zf_h5_zeros(&refs, 4);
            n++;
        }
    }
    zf_h5_type rt = zf_h5_type_of(ZF_H5_REFLIST, 0, 0);
    if (n && zf_h5_attr(o, "REFERENCE_LIST", &rt, 1, &n, refs.p, refs.len) < 0)
        zf_ncm_note(b, "dimension '%s': too many variables use it to list them in "
             "its REFERENCE_LIST (netCDF tools do not need it)", dim->name);
    o->oom |= refs.oom;
    zf_h5_free(&refs);
    int32_t id = (int32_t)d;
    zf_h5_type it = zf_h5_type_of(ZF_H5_INT, 4, 0);
    zf_h5_attr(o, "_Netcdf4Dimid", &it, -1, NULL, &id, 4);
}

/* DIMENSION_LIST: for each axis, a one-reference sequence in the heap. */
static void dimension_list(zf_ncmodel *b, zf_h5out *o, zf_h5heap *h,
                           const zf_ncobj *v)
{
    int ndim = zf_array_get_info(v->a)->ndim;
    zf_h5out data = {0};
    for (int k = 0; k < ndim; k++) {
        uint8_t ref[8], id[12];
        zf_put_le64(ref, b->obj[b->dim[v->dims[k]].scale].addr);
        zf_h5heap_add(h, ref, 8, id);
        zf_h5_le(&data, 1, 4);
        zf_h5_bytes(&data, id, 12);
    }
    zf_h5_type t = zf_h5_type_of(ZF_H5_VREF, 0, 0);
    uint64_t n = (uint64_t)ndim;
    zf_h5_attr(o, "DIMENSION_LIST", &t, 1, &n, data.p, data.len);
    o->oom |= data.oom;
    zf_h5_free(&data);
}

/* _Netcdf4Coordinates: the dimension ids of each axis, as netCDF-C 4.9
 * writes it on every variable with dimensions. */
static void coordinates(zf_h5out *o, const zf_ncobj *v, int ndim)
{
    int32_t ids[ZF_MAX_DIMS];
    for (int k = 0; k < ndim; k++)
        ids[k] = (int32_t)v->dims[k];
    zf_h5_type t = zf_h5_type_of(ZF_H5_INT, 4, 0);
    uint64_t n = (uint64_t)ndim;
    zf_h5_attr(o, "_Netcdf4Coordinates", &t, 1, &n, ids, 4 * (size_t)ndim);
}

static void emit_var(zf_ncmodel *b, zf_h5out *o, zf_h5heap *h, long i)
{
    const zf_ncobj *v = &b->obj[i];
    const zf_array_info *in = zf_array_get_info(v->a);
    zf_h5_type t = var_type(v->a);
    size_t start = zf_h5_ohdr_begin(o);
    dataset_msgs(b, o, i, in->ndim, in->shape, &t,
                 v->fill_defined ? v->fill : NULL,
                 in->nbytes ? v->data_addr : ZF_H5_UNDEF, in->nbytes);
    user_attrs(b, o, h, i);
    if (v->fill_defined)
        zf_h5_attr(o, "_FillValue", &t, 1, (const uint64_t[]){1},
                   v->fill, t.size);
    if (v->scale >= 0)
        scale_attrs(b, o, v->scale);
    else if (in->ndim > 0)
        dimension_list(b, o, h, v);
    if (in->ndim > 0)
        coordinates(o, v, in->ndim);
    zf_h5_ohdr_end(o, start);
}

/* A dimension-only scale: float32 elements never written, as netCDF makes
 * them; its layout still gives their size, which must fit 64 bits. */
static void emit_dim(zf_ncmodel *b, zf_h5out *o, long i)
{
    const zf_ncdim *d = &b->dim[b->obj[i].scale];
    if (d->size > UINT64_MAX / 4) {
        zf_ncm_fail(b, ZF_ELIMIT, "dimension '%s' of %" PRIu64 " elements: "
                    "its dimension-only scale (float32) would be larger than "
                    "64 bits can count", d->name, d->size);
        return;
    }
    zf_h5_type t = zf_h5_type_of(ZF_H5_FLOAT, 4, 0);
    size_t start = zf_h5_ohdr_begin(o);
    dataset_msgs(b, o, i, 1, &d->size, &t, NULL, ZF_H5_UNDEF, d->size * 4);
    scale_attrs(b, o, b->obj[i].scale);
    zf_h5_ohdr_end(o, start);
}

/* One pass over the header: the superblock's place, every object header,
 * then the heap.  Pass 2 must find the addresses pass 1 found. */
static void emit(zf_ncmodel *b, zf_h5out *o, uint64_t *heap_base)
{
    zf_h5heap h;
    zf_h5heap_init(&h, *heap_base);
    zf_h5_zeros(o, ZF_H5_SUPERBLOCK);
    for (size_t i = 0; i < b->nobj && !o->oom && !zf_ncm_failed(b); i++) {
        if (b->pass == 2 && b->obj[i].addr != o->len)
            zf_ncm_fail(b, ZF_EINVAL, "internal error: the header's second "
                        "pass put object %zu at %zu, the first at %" PRIu64,
                        i, o->len, b->obj[i].addr);
        b->obj[i].addr = o->len;
        if (b->obj[i].kind == ZF_NC_GROUP)
            emit_group(b, o, &h, (long)i);
        else if (b->obj[i].kind == ZF_NC_VAR)
            emit_var(b, o, &h, (long)i);
        else
            emit_dim(b, o, (long)i);
    }
    if (b->pass == 1)
        *heap_base = o->len;
    zf_h5heap_finish(&h);
    zf_h5_bytes(o, h.out.p, h.out.len);
    o->oom |= h.out.oom;
    zf_h5_free(&h.out);
}

/* The largest file: its size is an off_t (st_size). */
#define NC_MAX_FILE ((uint64_t)INT64_MAX)

/* v rounded up to NC_ALIGN; 0 when that passes NC_MAX_FILE. */
static uint64_t align_up(uint64_t v)
{
    return v > NC_MAX_FILE - (NC_ALIGN - 1) ? 0
                                            : (v + NC_ALIGN - 1) / NC_ALIGN * NC_ALIGN;
}

/* Places the variables' flat views after the header, each 4096-aligned;
 * returns the file's size, or 0 (m failed: ZF_ELIMIT, naming the first
 * array that does not fit) when it would pass NC_MAX_FILE. */
static uint64_t place_parts(zf_ncmodel *b, size_t hlen, size_t *nparts)
{
    uint64_t end = hlen, at = align_up(hlen);
    *nparts = 0;
    for (size_t i = 0; i < b->nobj; i++) {
        zf_ncobj *v = &b->obj[i];
        uint64_t n = v->kind == ZF_NC_VAR ? zf_array_get_info(v->a)->nbytes : 0;
        if (!n)
            continue;
        if (!at || n > NC_MAX_FILE - at) {
            zf_ncm_fail(b, ZF_ELIMIT, "its netCDF-4 file would be larger than "
                        "%" PRIu64 " bytes (an off_t) from %s on (%" PRIu64
                        " bytes)", NC_MAX_FILE, v->path, n);
            return 0;
        }
        v->data_addr = at;
        end = at + n;
        at = align_up(end); /* (0 past the limit: the next part fails) */
        (*nparts)++;
    }
    return end;
}

zf_code zf_nce_layout(zf_ncmodel *b, zf_h5out *hdr, uint64_t *size,
                      size_t *nparts)
{
    uint64_t heap_base = 0;
    b->pass = 1;
    zf_h5out first = {0};
    emit(b, &first, &heap_base);
    size_t hlen = first.len;
    int oom = first.oom;
    zf_h5_free(&first);
    if (oom)
        zf_ncm_oom(b);
    if (!zf_ncm_failed(b))
        *size = place_parts(b, hlen, nparts);
    b->pass = 2;
    if (!zf_ncm_failed(b))
        emit(b, hdr, &heap_base);
    if (!zf_ncm_failed(b) && !hdr->oom && hdr->len != hlen)
        zf_ncm_fail(b, ZF_EINVAL, "internal error: the header's second pass "
                    "wrote %zu bytes, the first %zu", hdr->len, hlen);
    if (!zf_ncm_failed(b))
        zf_h5_superblock(hdr, b->obj[0].addr, *size);
    if (hdr->oom)
        zf_ncm_oom(b);
    return b->code;
}
