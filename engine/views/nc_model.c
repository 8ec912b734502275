/*
 * nc_model.c - the netCDF-4 model of a group (see nc_model.h): the tree of
 * groups and variables from the node set, their attributes, dimension
 * names and fill values from what the load kept (zf_nodeinfo), then each
 * group's dimensions and scales, and the notes on what netCDF tools miss.
 */
#include "views/nc_model.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "err.h"
#include "jsonb.h"
#include "le.h"
#include "meta/dtype.h"
#include "meta/nodes.h"

/* ---- small helpers ---------------------------------------------------- */

/* Makes room for one more element of `size` bytes in *v; 0 when out of
 * memory. */
static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 1;
    size_t c = *cap ? *cap * 2 : 16;
    void *p = realloc(*v, c * size);
    if (!p)
        return 0;
    *v = p;
    *cap = c;
    return 1;
}

zf_code zf_ncm_fail(zf_ncmodel *m, zf_code code, const char *fmt, ...)
{
    if (m->code != ZF_OK)
        return code;
    char msg[sizeof m->err.msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    m->code = code;
    zf_err_set(&m->err, code, "group '%s': %s", m->group ? m->group : "",
               msg);
    return code;
}

void zf_ncm_oom(zf_ncmodel *m)
{
    zf_ncm_fail(m, ZF_ENOMEM, "out of memory building its netCDF-4 file");
}

/* Notes are taken while collecting and in the first pass, not in the
 * second (which repeats the first's steps). */
void zf_ncm_note(zf_ncmodel *b, const char *fmt, ...)
{
    if (b->pass == 2)
        return;
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0 || !grow((void **)&b->notes, &b->capnotes, b->nnotes + 1,
                       sizeof *b->notes)) {
        free(n < 0 ? NULL : s);
        zf_ncm_oom(b);
        return;
    }
    b->notes[b->nnotes++] = s;
}

const char *zf_ncm_label(const zf_ncobj *o)
{
    return o->path[0] ? o->path : "/";
}

/* (a coordinate variable netCDF left out would take its dimension with
 * it, so this decides coordinate variables too) */
int zf_ncm_netcdf_type(const zf_array *a)
{
    return a->dt->kind != ZF_KIND_BOOL && a->dt->kind != ZF_KIND_COMPLEX;
}

static long add_obj(zf_ncmodel *b, int kind, const char *name,
                    const char *path, long parent)
{
    if (!grow((void **)&b->obj, &b->capobj, b->nobj + 1, sizeof *b->obj)) {
        zf_ncm_oom(b);
        return -1;
    }
    zf_ncobj *o = &b->obj[b->nobj];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->parent = parent;
    o->scale = -1;
    o->name = strdup(name);
    o->path = strdup(path);
    if (!o->name || !o->path) {
        free(o->name);
        free(o->path);
        zf_ncm_oom(b);
        return -1;
    }
    if (parent >= 0) {
        zf_ncobj *g = &b->obj[parent];
        if (!grow((void **)&g->kids, &g->capkids, g->nkids + 1,
                  sizeof *g->kids)) {
            free(o->name);
            free(o->path);
            zf_ncm_oom(b);
            return -1;
        }
        g->kids[g->nkids++] = (long)b->nobj;
    }
    return (long)b->nobj++;
}

/* The object linked as `name` in group g, or -1. */
static long find_kid(const zf_ncmodel *b, long g, const char *name)
{
    for (size_t i = 0; i < b->obj[g].nkids; i++)
        if (!strcmp(b->obj[b->obj[g].kids[i]].name, name))
            return b->obj[g].kids[i];
    return -1;
}

void zf_ncm_free(zf_ncmodel *b)
{
    for (size_t i = 0; i < b->nobj; i++) {
        zf_ncobj *o = &b->obj[i];
        free(o->name);
        free(o->path);
        free(o->kids);
        json_object_put(o->own);
        for (int k = 0; k < ZF_MAX_DIMS; k++)
            free(o->dimname[k]);
    }
    free(b->obj);
    for (size_t i = 0; i < b->ndim; i++)
        free(b->dim[i].name);
    free(b->dim);
    for (size_t i = 0; i < b->nnotes; i++)
        free(b->notes[i]);
    free(b->notes);
}

/* ---- the tree ----------------------------------------------------------- */

/* The group object for `rel` (a path relative to the file's root group,
 * "a/b"), made, with the groups above it, when the store has no node for
 * it (v3 implicit groups). */
static long group_at(zf_ncmodel *b, const char *group, const char *rel,
                     size_t len)
{
    long g = 0;
    size_t i = 0;
    while (i < len && g >= 0) {
        size_t j = i;
        while (j < len && rel[j] != '/')
            j++;
        char name[4096], path[8192];
        snprintf(name, sizeof name, "%.*s", (int)(j - i), rel + i);
        snprintf(path, sizeof path, "%s%s%.*s", group, group[0] ? "/" : "",
                 (int)j, rel);
        long k = find_kid(b, g, name);
        if (k >= 0 && b->obj[k].kind != ZF_NC_GROUP)
            return -1;
        g = k >= 0 ? k : add_obj(b, ZF_NC_GROUP, name, path, g);
        i = j + 1;
    }
    return g;
}

/* What the load kept of the node at the object's path, or NULL (an
 * implicit group has no node). */
static const zf_nodeinfo *info_at(const zf_ncmodel *b, const zf_ncobj *o)
{
    long i = zf_nodeset_find(b->z->nodes, o->path);
    return i < 0 ? NULL : &b->z->nodes->info[i];
}

/* A node's attributes, as the load kept them, or read from the store when
 * the load did not read them (a v2 walk without zf_options.attributes);
 * those that cannot be read are a note (the node stays, without them). */
static void take_attrs(zf_ncmodel *b, zf_ncobj *o, const zf_nodeinfo *in)
{
    if (!in)
        return;
    o->attrs = in->attrs;
    zf_err err = {0};
    zf_code c = ZF_OK;
    if (in->attrs_unread)
        c = zf_node_attrs(b->z, o->path, &o->own, &err);
    if (c == ZF_ENOMEM)
        zf_ncm_oom(b);
    else if (c != ZF_OK)
        zf_ncm_note(b, "%s: attributes left out: %s", zf_ncm_label(o),
                    err.msg);
    if (json_object_is_type(o->own, json_type_object))
        o->attrs = o->own;
    if (in->attrs_error)
        zf_ncm_note(b, "%s: attributes left out: %s", zf_ncm_label(o),
                    in->attrs_error);
}

/* Sets a variable's dimension names from `list` (a JSON array of ndim
 * strings or nulls); 0 when it is no such list.  A name netCDF cannot
 * hold is a note, and the axis gets a phony dimension. */
static int take_names(zf_ncmodel *b, zf_ncobj *o, json_object *list)
{
    const zf_array_info *in = zf_array_get_info(o->a);
    if (!list || !json_object_is_type(list, json_type_array) ||
        json_object_array_length(list) != (size_t)in->ndim)
        return 0;
    for (int k = 0; k < in->ndim; k++) {
        json_object *s = json_object_array_get_idx(list, (size_t)k);
        if (!s || !json_object_is_type(s, json_type_string) ||
            json_object_get_string_len(s) == 0 ||
            strchr(json_object_get_string(s), '/'))
            continue;
        if (json_object_get_string_len(s) > ZF_NC_MAX_NAME)
            zf_ncm_note(b, "%s: dimension %d's name (%d bytes) is longer than "
                        "netCDF's %d; given a phony dimension", o->path, k,
                        json_object_get_string_len(s), ZF_NC_MAX_NAME);
        else if (!(o->dimname[k] = strdup(json_object_get_string(s))))
            zf_ncm_oom(b);
    }
    return 1;
}

/* The 8 bytes that `s` encodes in base64 as a little-endian double, into
 * *d; 0 when it is not that. */
static int b64_double(const char *s, double *d)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t out[9];
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    if (strlen(s) != 12 || strcmp(s + 11, "="))
        return 0;
    for (const char *c = s; *c != '='; c++) {
        const char *at = strchr(abc, *c);
        if (!*c || !at)
            return 0;
        acc = acc << 6 | (uint32_t)(at - abc);
        if ((bits += 6) >= 8)
            out[n++] = (uint8_t)(acc >> (bits -= 8));
    }
    if (n != 8)
        return 0;
    uint64_t u = zf_le64(out);
    memcpy(d, &u, sizeof *d);
    return 1;
}

/* A JSON value for zf_dtype_parse_fill of the double d. */
static json_object *json_of_double(double d)
{
    if (d != d)
        return json_object_new_string("NaN");
    if (d > 1.7976931348623157e308 || d < -1.7976931348623157e308)
        return json_object_new_string(d > 0 ? "Infinity" : "-Infinity");
    return json_object_new_double(d);
}

/* A v3 array's netCDF _FillValue, CF's missing value, into o->fill.  Zarr
 * v3's fill_value is not one: "fill_value: Provides an element value to
 * use for uninitialised portions of the Zarr array" (core spec, v3.0), so
 * a value equal to it is data, and xarray reads v3 arrays that way
 * (open_zarr's use_zarr_fill_value_as_mask is False for v3).  xarray
 * keeps the CF _FillValue in the attributes instead, as its FillValueCoder
 * writes it: a float as the base64 of a little-endian double, a complex
 * number as a list of two of them, an integer or a boolean as itself.
 * Other spellings zf_dtype_parse_fill takes (numbers, "NaN", ...) are
 * taken too.  Returns 1 when o->fill holds one, 0 when there is none, -1
 * when the attribute is no value of the variable's type. */
static int v3_fill_attr(zf_ncobj *o)
{
    json_object *v = zf_json_get(o->attrs, "_FillValue"), *parsed = v;
    const zf_dtype *dt = o->a->dt;
    double re, im;
    if (!v)
        return 0;
    if (json_object_is_type(v, json_type_string) &&
        b64_double(json_object_get_string(v), &re))
        parsed = json_of_double(re);
    else if (json_object_is_type(v, json_type_array) &&
             json_object_array_length(v) == 2 &&
             b64_double(json_object_get_string(json_object_array_get_idx(v, 0)), &re) &&
             b64_double(json_object_get_string(json_object_array_get_idx(v, 1)), &im)) {
        parsed = json_object_new_array();
        json_object_array_add(parsed, json_of_double(re));
        json_object_array_add(parsed, json_of_double(im));
    }
    zf_err err = {0};
    int got = parsed && zf_dtype_parse_fill(dt, parsed, o->fill, &err) == ZF_OK;
    if (parsed != v)
        json_object_put(parsed);
    return got ? 1 : -1;
}

static void add_array(zf_ncmodel *b, long parent, const char *name,
                      const zf_node *n, size_t at)
{
    if (n->error) {
        zf_ncm_note(b, "%s: left out: %s", n->path, n->error);
        return;
    }
    zf_array *a = b->z->nodes->arrays[at];
    if (!a) { /* (no error, no array: cannot happen; left out all the same) */
        zf_ncm_note(b, "%s: left out: it could not be read", n->path);
        return;
    }
    long i = add_obj(b, ZF_NC_VAR, name, n->path, parent);
    if (i < 0)
        return;
    zf_ncobj *o = &b->obj[i];
    const zf_nodeinfo *in = &b->z->nodes->info[at];
    o->a = a;
    take_attrs(b, o, in);
    const zf_array_info *info = zf_array_get_info(a);
    if (n->zarr_format == 3) {
        int got = v3_fill_attr(o);
        o->fill_defined = got > 0;
        if (got < 0)
            zf_ncm_note(b, "%s: attribute '_FillValue' left out: not a value "
                        "of type %s", zf_ncm_label(o), info->dtype);
    }
    else if ((o->fill_defined = !in->fill_null))
        memcpy(o->fill, info->fill_value, info->itemsize);
    if (!take_names(b, o, in->dims))
        take_names(b, o, zf_json_get(o->attrs, "_ARRAY_DIMENSIONS"));
}

/* Whether node n is the group itself (1), outside it (0), or below it
 * (then *rel is its path below the group); an error for a group that is
 * an array. */
static int place_of(zf_ncmodel *b, const zf_node *n, size_t plen,
                    const char **rel, zf_err *err)
{
    const char *group = b->group;
    if (!strcmp(n->path, group)) {
        if (n->kind == ZF_NODE_ARRAY && n->error)
            zf_err_set(err, ZF_EMETA, "group '%s': %s", group, n->error);
        else if (n->kind == ZF_NODE_ARRAY)
            zf_err_set(err, ZF_ENOTFOUND, "%s%s%s is an array, not a group",
                       group[0] ? "'" : "",
                       group[0] ? group : "the store's root",
                       group[0] ? "'" : "");
        return 1;
    }
    if (plen && (strncmp(n->path, group, plen) || n->path[plen] != '/'))
        return 0;
    *rel = n->path + plen + (plen ? 1 : 0);
    return 2;
}

/* The nodes at and below the group into objects. */
static zf_code collect_nodes(zf_ncmodel *b, zf_err *err)
{
    size_t plen = strlen(b->group);
    int found = 0;
    for (size_t i = 0; i < zf_node_count(b->z) && !zf_ncm_failed(b); i++) {
        const zf_node *n = zf_node_at(b->z, i);
        const char *rel = NULL;
        int where = place_of(b, n, plen, &rel, err);
        if (err->code != ZF_OK)
            return err->code;
        found |= where != 0;
        if (where != 2)
            continue;
        const char *slash = strrchr(rel, '/');
        long g = group_at(b, b->group, rel, slash ? (size_t)(slash - rel) : 0);
        const char *name = slash ? slash + 1 : rel;
        if (g < 0 || find_kid(b, g, name) >= 0)
            zf_ncm_note(b, "%s: left out: its name is taken", n->path);
        else if (n->kind == ZF_NODE_GROUP)
            add_obj(b, ZF_NC_GROUP, name, n->path, g);
        else
            add_array(b, g, name, n, i);
    }
    if (!found)
        return zf_err_set(err, ZF_ENOTFOUND, "no group '%s' in the store",
                          b->group);
    for (size_t i = 0; i < b->nobj; i++)
        if (b->obj[i].kind == ZF_NC_GROUP)
            take_attrs(b, &b->obj[i], info_at(b, &b->obj[i]));
    return ZF_OK;
}

/* ---- dimensions --------------------------------------------------------- */

static long add_dim(zf_ncmodel *b, long g, const char *name, uint64_t size,
                    long scale, int phony)
{
    if (!grow((void **)&b->dim, &b->capdim, b->ndim + 1, sizeof *b->dim)) {
        zf_ncm_oom(b);
        return -1;
    }
    zf_ncdim *d = &b->dim[b->ndim];
    d->name = strdup(name);
    if (!d->name) {
        zf_ncm_oom(b);
        return -1;
    }
    d->size = size;
    d->group = g;
    d->scale = scale;
    d->phony = phony;
    return (long)b->ndim++;
}

static long find_dim(const zf_ncmodel *b, long g, const char *name)
{
    for (size_t d = b->dim_first; d < b->ndim; d++)
        if (b->dim[d].group == g && !strcmp(b->dim[d].name, name))
            return (long)d;
    return -1;
}

/* A phony dimension of `size` in g that variable v does not use yet
 * (dimensions before k), made when there is none. */
static long phony_dim(zf_ncmodel *b, long g, const zf_ncobj *v, int k,
                      uint64_t size)
{
    for (size_t d = b->dim_first; d < b->ndim; d++) {
        int used = 0;
        for (int j = 0; j < k; j++)
            used |= v->dims[j] == (long)d;
        if (b->dim[d].group == g && b->dim[d].phony &&
            b->dim[d].size == size && !used)
            return (long)d;
    }
    char name[32];
    do
        snprintf(name, sizeof name, "phony_dim_%u", b->next_phony++);
    while (find_kid(b, g, name) >= 0 || find_dim(b, g, name) >= 0);
    return add_dim(b, g, name, size, -1, 1);
}

/* The dimension of variable v's axis k, by its name when it can have it. */
static long named_dim(zf_ncmodel *b, long g, zf_ncobj *v, int k)
{
    const zf_array_info *in = zf_array_get_info(v->a);
    const char *name = v->dimname[k];
    uint64_t size = in->shape[k];
    if (!name)
        return phony_dim(b, g, v, k, size);
    long d = find_dim(b, g, name);
    if (d >= 0 && b->dim[d].size != size) {
        zf_ncm_note(b, "%s: dimension '%s' conflicts: %" PRIu64 " elements here, %"
             PRIu64 " elsewhere in its group; given a phony dimension",
             v->path, name, size, b->dim[d].size);
        return phony_dim(b, g, v, k, size);
    }
    if (d >= 0)
        return d;
    if (find_kid(b, g, name) >= 0) {
        zf_ncm_note(b, "%s: dimension '%s' is named like a node of its group that "
             "is not its coordinate variable; given a phony dimension",
             v->path, name);
        return phony_dim(b, g, v, k, size);
    }
    return add_dim(b, g, name, size, -1, 0);
}

/* Dimensions of group g's variables: coordinate variables first, then the
 * others, then dimension-only scales for the dimensions without one. */
static void group_dims(zf_ncmodel *b, long g)
{
    size_t first = b->ndim, nkids = b->obj[g].nkids;
    b->dim_first = first; /* (a group's dimensions are made together) */
    for (size_t i = 0; i < nkids; i++) {
        long vi = b->obj[g].kids[i];
        zf_ncobj *v = &b->obj[vi];
        if (v->kind == ZF_NC_VAR && zf_array_get_info(v->a)->ndim == 1 &&
            v->dimname[0] && !strcmp(v->dimname[0], v->name) &&
            zf_ncm_netcdf_type(v->a)) {
            v->scale = v->dims[0] = add_dim(
                b, g, v->name, zf_array_get_info(v->a)->shape[0], vi, 0);
        }
    }
    for (size_t i = 0; i < nkids; i++) {
        zf_ncobj *v = &b->obj[b->obj[g].kids[i]];
        if (v->kind != ZF_NC_VAR || v->scale >= 0)
            continue;
        for (int k = 0; k < zf_array_get_info(v->a)->ndim && !zf_ncm_failed(b); k++)
            v->dims[k] = named_dim(b, g, v, k);
    }
    for (size_t d = first; d < b->ndim && !zf_ncm_failed(b); d++) {
        if (b->dim[d].scale >= 0)
            continue;
        long o = add_obj(b, ZF_NC_DIM, b->dim[d].name, "", g);
        if (o >= 0) {
            b->obj[o].scale = (long)d;
            b->dim[d].scale = o;
        }
    }
}

/* Notes for the types netCDF has not (the datasets stay for HDF5 tools). */
static void type_notes(zf_ncmodel *b)
{
    for (size_t i = 0; i < b->nobj; i++) {
        const zf_ncobj *o = &b->obj[i];
        if (o->kind != ZF_NC_VAR)
            continue;
        zf_dtype_kind k = o->a->dt->kind;
        if (o->a->dt->size == 2 && k == ZF_KIND_FLOAT)
            zf_ncm_note(b, "%s: float16 is no netCDF-4 type: netCDF tools read it "
                 "as float (32-bit)", o->path);
        else if (k == ZF_KIND_COMPLEX)
            zf_ncm_note(b, "%s: complex is no netCDF-4 type: netCDF tools leave "
                 "this variable out (HDF5 tools read h5py's compound {r, i})",
                 o->path);
        else if (k == ZF_KIND_BOOL)
            zf_ncm_note(b, "%s: bool is no netCDF-4 type: netCDF tools leave this "
                 "variable out (HDF5 tools read h5py's enum {FALSE, TRUE})",
                 o->path);
    }
}


zf_code zf_ncm_collect(zf_ncmodel *b, const char *group, zf_err *err)
{
    b->group = group;
    err->code = ZF_OK;
    if (add_obj(b, ZF_NC_GROUP, "", group, -1) < 0) {
        *err = b->err;
        return b->code;
    }
    zf_code c = collect_nodes(b, err);
    if (c != ZF_OK)
        return c;
    for (size_t g = 0; g < b->nobj && !zf_ncm_failed(b); g++)
        if (b->obj[g].kind == ZF_NC_GROUP)
            group_dims(b, (long)g);
    type_notes(b);
    if (zf_ncm_failed(b)) /* (a dimension may be missing) */
        *err = b->err;
    return b->code;
}
