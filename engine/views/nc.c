/*
 * nc.c - a group of the store as one netCDF-4 file (an HDF5 file that
 * follows netCDF-4's conventions): zf_nc_build and the zf_nc_* accessors
 * of zarrfs.h.
 *
 * The model: every group below the chosen one becomes an HDF5 group, every
 * readable array a contiguous dataset whose data address is its flat view
 * at a 4096-aligned offset after the header.  Dimensions come from v3
 * dimension_names or xarray's _ARRAY_DIMENSIONS, per group: a 1-d array
 * named like its own dimension is that dimension's coordinate variable
 * (its dataset is the dimension scale); other named dimensions get
 * netCDF-4's dimension-only scales; unnamed ones phony_dim_N, shared within
 * a group where the sizes agree.  Variables point at their scales through
 * DIMENSION_LIST, the scales back through REFERENCE_LIST, as HDF5's
 * dimension-scale API writes them.
 *
 * The header is laid out twice: a first pass sizes every object header and
 * the global heap (their sizes never depend on addresses), a second writes
 * them with the addresses the first found, and must land on the same sizes.
 *
 * Contract: zf_nc_build reads the metadata and attributes of the nodes
 * (from the store) and no chunk; it must not race with zf_refresh.  A built
 * zf_nc_file is immutable and owns all its memory, so any thread may read
 * it; zf_nc_read reads the parts through the zf_zarr it is given.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "engine.h"
#include "err.h"
#include "jsonb.h"
#include "le.h"
#include "meta/meta.h"
#include "meta/nodes.h"
#include "views/h5.h"

#define NC_ALIGN 4096
#define NC_DIM_WITHOUT_VAR "This is a netCDF dimension but not a netCDF variable."

enum { OBJ_GROUP, OBJ_VAR, OBJ_DIM };

typedef struct nc_obj {
    int kind;
    char *name;   /* the link's name; "" for the file's root group */
    char *path;   /* the node's path in the store (groups, variables) */
    long parent;  /* the group it is linked in; -1 for the root */
    long *kids;   /* groups: the objects linked in it, in order */
    size_t nkids, capkids;
    zf_array *a;  /* variables */
    json_object *attrs; /* the Zarr attributes, or NULL */
    int fill_defined;   /* variables: fill holds the _FillValue */
    uint8_t fill[16];   /* its bytes, native order */
    char *dimname[ZF_MAX_DIMS]; /* variables: the names given, or NULL */
    long dims[ZF_MAX_DIMS];     /* variables: each dimension's nc_dim */
    long scale;   /* the nc_dim this dataset is the scale of, or -1 */
    uint64_t addr;      /* its object header's address */
    uint64_t data_addr; /* variables: where its flat view starts */
} nc_obj;

typedef struct nc_dim {
    char *name;
    uint64_t size;
    long group; /* the group object it belongs to */
    long scale; /* the dataset object that is its scale */
    int phony;
} nc_dim;

typedef struct nc_build {
    zf_zarr *z;
    nc_obj *obj;
    size_t nobj, capobj;
    nc_dim *dim;
    size_t ndim, capdim;
    char **notes;
    size_t nnotes, capnotes;
    json_object *zmeta; /* the v2 .zmetadata the node list came from */
    unsigned next_phony;
    int pass;           /* 0: collecting, 1: sizing, 2: writing */
    uint64_t heap_base; /* found by pass 1 */
    size_t hlen;        /* the header's size, found by pass 1 */
    int oom;
} nc_build;

struct zf_nc_file {
    uint8_t *header;
    size_t hlen;
    uint64_t size;
    zf_nc_part *parts;
    size_t nparts;
    char **notes; /* NULL-terminated */
};

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

static void note(nc_build *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Notes are taken while collecting and in the first pass, not in the
 * second (which repeats the first's steps). */
static void note(nc_build *b, const char *fmt, ...)
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
        b->oom = 1;
        return;
    }
    b->notes[b->nnotes++] = s;
}

static const char *label(const nc_obj *o)
{
    return o->path[0] ? o->path : "/";
}

static long add_obj(nc_build *b, int kind, const char *name, const char *path,
                    long parent)
{
    if (!grow((void **)&b->obj, &b->capobj, b->nobj + 1, sizeof *b->obj)) {
        b->oom = 1;
        return -1;
    }
    nc_obj *o = &b->obj[b->nobj];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->parent = parent;
    o->scale = -1;
    o->name = strdup(name);
    o->path = strdup(path);
    if (!o->name || !o->path) {
        free(o->name);
        free(o->path);
        b->oom = 1;
        return -1;
    }
    if (parent >= 0) {
        nc_obj *g = &b->obj[parent];
        if (!grow((void **)&g->kids, &g->capkids, g->nkids + 1,
                  sizeof *g->kids)) {
            free(o->name);
            free(o->path);
            b->oom = 1;
            return -1;
        }
        g->kids[g->nkids++] = (long)b->nobj;
    }
    return (long)b->nobj++;
}

/* The object linked as `name` in group g, or -1. */
static long find_kid(const nc_build *b, long g, const char *name)
{
    for (size_t i = 0; i < b->obj[g].nkids; i++)
        if (!strcmp(b->obj[b->obj[g].kids[i]].name, name))
            return b->obj[g].kids[i];
    return -1;
}

static void free_build(nc_build *b)
{
    for (size_t i = 0; i < b->nobj; i++) {
        nc_obj *o = &b->obj[i];
        free(o->name);
        free(o->path);
        free(o->kids);
        json_object_put(o->attrs);
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
    json_object_put(b->zmeta);
}

/* ---- the tree ----------------------------------------------------------- */

/* The group object for `rel` (a path relative to the file's root group,
 * "a/b"), made, with the groups above it, when the store has no node for
 * it (v3 implicit groups). */
static long group_at(nc_build *b, const char *group, const char *rel,
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
        if (k >= 0 && b->obj[k].kind != OBJ_GROUP)
            return -1;
        g = k >= 0 ? k : add_obj(b, OBJ_GROUP, name, path, g);
        i = j + 1;
    }
    return g;
}

/* Reads a node's attributes; a group's or array's that cannot be read are
 * a note (the node stays, without them). */
static void read_attrs(nc_build *b, long i)
{
    zf_err err = {0};
    nc_obj *o = &b->obj[i];
    char key[4200];
    snprintf(key, sizeof key, "%s%s.zattrs", o->path, o->path[0] ? "/" : "");
    json_object *cons = zf_json_get(zf_json_get(b->zmeta, "metadata"), key);
    if (cons) { /* where the node list came from: no read per node */
        o->attrs = json_object_get(cons);
        return;
    }
    zf_code c = zf_node_attrs(b->z, o->path, &o->attrs, &err);
    if (c == ZF_ENOMEM)
        b->oom = 1;
    else if (c != ZF_OK)
        note(b, "%s: attributes left out: %s", label(o), err.msg);
    if (o->attrs && !json_object_is_type(o->attrs, json_type_object)) {
        json_object_put(o->attrs);
        o->attrs = NULL;
    }
}

/* Sets a variable's dimension names from `list` (a JSON array of ndim
 * strings or nulls); 0 when it is no such list. */
static int take_names(nc_build *b, nc_obj *o, json_object *list)
{
    const zf_array_info *in = zf_array_get_info(o->a);
    if (!list || !json_object_is_type(list, json_type_array) ||
        json_object_array_length(list) != (size_t)in->ndim)
        return 0;
    for (int k = 0; k < in->ndim; k++) {
        json_object *s = json_object_array_get_idx(list, (size_t)k);
        if (s && json_object_is_type(s, json_type_string) &&
            json_object_get_string_len(s) > 0 &&
            !strchr(json_object_get_string(s), '/') &&
            !(o->dimname[k] = strdup(json_object_get_string(s))))
            b->oom = 1;
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
static int v3_fill_attr(nc_obj *o)
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

/* A variable's attributes, fill-value state and dimension names, from
 * its metadata document (v3: attributes and dimension_names are in it, so
 * no store read) or its .zattrs (v2: _ARRAY_DIMENSIONS). */
static void read_var_meta(nc_build *b, long i)
{
    nc_obj *o = &b->obj[i];
    const zf_array_info *in = zf_array_get_info(o->a);
    json_object *doc = NULL;
    zf_err err = {0};
    /* The engine parsed this text once already: failing now, json-c ran
     * out of memory (it has no error code of its own for that). */
    if (zf_json_parse(in->metadata_json, strlen(in->metadata_json), o->path,
                      &doc, &err) != ZF_OK) {
        b->oom = 1;
        return;
    }
    json_object *attrs = zf_json_get(doc, "attributes");
    if (zf_json_get(doc, "node_type") &&
        json_object_is_type(attrs, json_type_object))
        o->attrs = json_object_get(attrs);
    else if (!zf_json_get(doc, "node_type"))
        read_attrs(b, i);
    const zf_array_info *info = zf_array_get_info(o->a);
    if (zf_json_get(doc, "node_type")) {
        int got = v3_fill_attr(o);
        o->fill_defined = got > 0;
        if (got < 0)
            note(b, "%s: attribute '_FillValue' left out: not a value of type %s",
                 label(o), info->dtype);
    }
    else if ((o->fill_defined = zf_json_get(doc, "fill_value") != NULL))
        memcpy(o->fill, info->fill_value, info->itemsize);
    if (!take_names(b, o, zf_json_get(doc, "dimension_names")))
        take_names(b, o, zf_json_get(o->attrs, "_ARRAY_DIMENSIONS"));
    json_object_put(doc);
}

static void add_array(nc_build *b, long parent, const char *name,
                      const zf_node *n)
{
    if (n->error) {
        note(b, "%s: left out: %s", n->path, n->error);
        return;
    }
    zf_array *a = NULL;
    zf_err err = {0};
    if (zf_array_get(b->z, n->path, &a, &err) != ZF_OK) {
        note(b, "%s: left out: %s", n->path, err.msg);
        return;
    }
    long i = add_obj(b, OBJ_VAR, name, n->path, parent);
    if (i < 0)
        return;
    b->obj[i].a = a;
    read_var_meta(b, i);
}

/* The v2 consolidated metadata, when the node list came from it: its
 * .zattrs entries are the attributes (a store may hold no .zattrs files at
 * all).  Unreadable now, the files are read instead. */
static void load_zmeta(nc_build *b)
{
    if (!b->z->store || !b->z->nodes->consolidated)
        return;
    uint8_t *text = NULL;
    size_t len = 0;
    zf_err err;
    if (zf_store_get(b->z->store, ".zmetadata", ZF_MAX_METADATA_BYTES, &text,
                     &len, &err) == ZF_OK &&
        zf_json_parse((const char *)text, len, ".zmetadata", &b->zmeta,
                      &err) != ZF_OK)
        b->zmeta = NULL;
    free(text);
}

/* The nodes at and below `group` into objects.  Errors: no such group, or
 * the group's own metadata is broken. */
static zf_code collect(nc_build *b, const char *group, zf_err *err)
{
    size_t plen = strlen(group);
    int found = 0;
    load_zmeta(b);
    if (add_obj(b, OBJ_GROUP, "", group, -1) < 0)
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory", group);
    for (size_t i = 0; i < zf_node_count(b->z) && !b->oom; i++) {
        const zf_node *n = zf_node_at(b->z, i);
        if (!strcmp(n->path, group)) {
            if (n->kind == ZF_NODE_ARRAY && n->error)
                return zf_err_set(err, ZF_EMETA, "group '%s': %s", group,
                                  n->error);
            if (n->kind == ZF_NODE_ARRAY)
                return zf_err_set(err, ZF_ENOTFOUND, "%s%s%s is an array, "
                                  "not a group", group[0] ? "'" : "",
                                  group[0] ? group : "the store's root",
                                  group[0] ? "'" : "");
            found = 1;
            continue;
        }
        if (plen && (strncmp(n->path, group, plen) || n->path[plen] != '/'))
            continue;
        const char *rel = n->path + plen + (plen ? 1 : 0);
        const char *slash = strrchr(rel, '/');
        long g = group_at(b, group, rel, slash ? (size_t)(slash - rel) : 0);
        const char *name = slash ? slash + 1 : rel;
        found = 1;
        if (g < 0 || find_kid(b, g, name) >= 0)
            note(b, "%s: left out: its name is taken", n->path);
        else if (n->kind == ZF_NODE_GROUP)
            add_obj(b, OBJ_GROUP, name, n->path, g);
        else
            add_array(b, g, name, n);
    }
    if (!found)
        return zf_err_set(err, ZF_ENOTFOUND, "no group '%s' in the store",
                          group);
    read_attrs(b, 0);
    for (size_t i = 1; i < b->nobj; i++)
        if (b->obj[i].kind == OBJ_GROUP)
            read_attrs(b, (long)i);
    return ZF_OK;
}

/* ---- dimensions --------------------------------------------------------- */

static long add_dim(nc_build *b, long g, const char *name, uint64_t size,
                    long scale, int phony)
{
    if (!grow((void **)&b->dim, &b->capdim, b->ndim + 1, sizeof *b->dim)) {
        b->oom = 1;
        return -1;
    }
    nc_dim *d = &b->dim[b->ndim];
    d->name = strdup(name);
    if (!d->name) {
        b->oom = 1;
        return -1;
    }
    d->size = size;
    d->group = g;
    d->scale = scale;
    d->phony = phony;
    return (long)b->ndim++;
}

static long find_dim(const nc_build *b, long g, const char *name)
{
    for (size_t d = 0; d < b->ndim; d++)
        if (b->dim[d].group == g && !strcmp(b->dim[d].name, name))
            return (long)d;
    return -1;
}

/* A phony dimension of `size` in g that variable v does not use yet
 * (dimensions before k), made when there is none. */
static long phony_dim(nc_build *b, long g, const nc_obj *v, int k,
                      uint64_t size)
{
    for (size_t d = 0; d < b->ndim; d++) {
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
static long named_dim(nc_build *b, long g, nc_obj *v, int k)
{
    const zf_array_info *in = zf_array_get_info(v->a);
    const char *name = v->dimname[k];
    uint64_t size = in->shape[k];
    if (!name)
        return phony_dim(b, g, v, k, size);
    long d = find_dim(b, g, name);
    if (d >= 0 && b->dim[d].size != size) {
        note(b, "%s: dimension '%s' conflicts: %" PRIu64 " elements here, %"
             PRIu64 " elsewhere in its group; given a phony dimension",
             v->path, name, size, b->dim[d].size);
        return phony_dim(b, g, v, k, size);
    }
    if (d >= 0)
        return d;
    if (find_kid(b, g, name) >= 0) {
        note(b, "%s: dimension '%s' is named like a node of its group that "
             "is not its coordinate variable; given a phony dimension",
             v->path, name);
        return phony_dim(b, g, v, k, size);
    }
    return add_dim(b, g, name, size, -1, 0);
}

/* 1 when netCDF-C reads the array's type: not the bool enum nor the
 * complex compound (a coordinate variable netCDF left out would take its
 * dimension with it). */
static int netcdf_type(const zf_array *a)
{
    return a->dt->kind != ZF_KIND_BOOL && a->dt->kind != ZF_KIND_COMPLEX;
}

/* Dimensions of group g's variables: coordinate variables first, then the
 * others, then dimension-only scales for the dimensions without one. */
static void group_dims(nc_build *b, long g)
{
    size_t first = b->ndim, nkids = b->obj[g].nkids;
    for (size_t i = 0; i < nkids; i++) {
        long vi = b->obj[g].kids[i];
        nc_obj *v = &b->obj[vi];
        if (v->kind == OBJ_VAR && zf_array_get_info(v->a)->ndim == 1 &&
            v->dimname[0] && !strcmp(v->dimname[0], v->name) &&
            netcdf_type(v->a)) {
            v->scale = v->dims[0] = add_dim(
                b, g, v->name, zf_array_get_info(v->a)->shape[0], vi, 0);
        }
    }
    for (size_t i = 0; i < nkids; i++) {
        nc_obj *v = &b->obj[b->obj[g].kids[i]];
        if (v->kind != OBJ_VAR || v->scale >= 0)
            continue;
        for (int k = 0; k < zf_array_get_info(v->a)->ndim && !b->oom; k++)
            v->dims[k] = named_dim(b, g, v, k);
    }
    for (size_t d = first; d < b->ndim && !b->oom; d++) {
        if (b->dim[d].scale >= 0)
            continue;
        long o = add_obj(b, OBJ_DIM, b->dim[d].name, "", g);
        if (o >= 0) {
            b->obj[o].scale = (long)d;
            b->dim[d].scale = o;
        }
    }
}

/* Notes for the types netCDF has not (the datasets stay for HDF5 tools). */
static void type_notes(nc_build *b)
{
    for (size_t i = 0; i < b->nobj; i++) {
        const nc_obj *o = &b->obj[i];
        if (o->kind != OBJ_VAR)
            continue;
        zf_dtype_kind k = o->a->dt->kind;
        if (o->a->dt->size == 2 && k == ZF_KIND_FLOAT)
            note(b, "%s: float16 is no netCDF-4 type: netCDF tools read it "
                 "as float (32-bit)", o->path);
        else if (k == ZF_KIND_COMPLEX)
            note(b, "%s: complex is no netCDF-4 type: netCDF tools leave "
                 "this variable out (HDF5 tools read h5py's compound {r, i})",
                 o->path);
        else if (k == ZF_KIND_BOOL)
            note(b, "%s: bool is no netCDF-4 type: netCDF tools leave this "
                 "variable out (HDF5 tools read h5py's enum {FALSE, TRUE})",
                 o->path);
    }
}

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

static void user_attrs(nc_build *b, zf_h5out *o, zf_h5heap *h, long i)
{
    const nc_obj *ob = &b->obj[i];
    if (!ob->attrs)
        return;
    json_object_object_foreach(ob->attrs, name, v) {
        if (!name[0]) { /* (HDF5 cannot open an attribute named "") */
            note(b, "%s: an attribute with an empty name left out",
                 label(ob));
            continue;
        }
        if (reserved(name)) {
            if (strcmp(name, "_ARRAY_DIMENSIONS") && strcmp(name, "_FillValue"))
                note(b, "%s: attribute '%s' left out: netCDF-4 reserves the "
                     "name", label(ob), name);
            continue;
        }
        int rc = attr_json(o, h, name, v);
        if (rc > 0)
            note(b, "%s: attribute '%s' left out: not a number, a string, "
                 "or a list of numbers (integers that fit one 64-bit type) "
                 "or of strings", label(ob), name);
        else if (rc < 0)
            note(b, "%s: attribute '%s' left out: larger than an HDF5 "
                 "object header message", label(ob), name);
    }
}

/* ---- object headers ----------------------------------------------------- */

static void msg(nc_build *b, zf_h5out *o, int type, int flags, zf_h5out *body)
{
    if (zf_h5_msg(o, type, flags, body) < 0)
        b->oom = 1; /* (no message of ours is that large but attributes) */
    zf_h5_free(body);
}

static void emit_group(nc_build *b, zf_h5out *o, zf_h5heap *h, long i)
{
    const nc_obj *g = &b->obj[i];
    size_t start = zf_h5_ohdr_begin(o);
    zf_h5out body = {0};
    zf_h5_le(&body, 0, 2); /* link info: version 0, no creation order */
    zf_h5_le(&body, ZF_H5_UNDEF, 8); /* compact: no fractal heap, */
    zf_h5_le(&body, ZF_H5_UNDEF, 8); /* no name index */
    msg(b, o, 0x02, 0, &body);
    zf_h5_le(&body, 0, 1); /* group info: version 0, phase change stored */
    zf_h5_le(&body, 1, 1);
    zf_h5_le(&body, g->nkids > 8 ? (g->nkids > 65535 ? 65535 : g->nkids) : 8, 2);
    zf_h5_le(&body, 6, 2);
    msg(b, o, 0x0A, 0, &body);
    for (size_t k = 0; k < g->nkids; k++) {
        const nc_obj *kid = &b->obj[g->kids[k]];
        size_t n = strlen(kid->name);
        int lb = n < 256 ? 1 : n < 65536 ? 2 : 4;
        zf_h5_le(&body, 1, 1); /* version */
        zf_h5_le(&body, lb == 1 ? 0 : lb == 2 ? 1 : 2, 1);
        zf_h5_le(&body, n, lb);
        zf_h5_bytes(&body, kid->name, n);
        zf_h5_le(&body, kid->addr, 8);
        msg(b, o, 0x06, 0, &body);
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
static void dataset_msgs(nc_build *b, zf_h5out *o, int ndim,
                         const uint64_t *shape, const zf_h5_type *t,
                         const void *fill, uint64_t addr, uint64_t nbytes)
{
    zf_h5out body = {0};
    zf_h5_dataspace(&body, ndim ? ndim : -1, shape);
    msg(b, o, 0x01, 0, &body);
    zf_h5_datatype(&body, t);
    msg(b, o, 0x03, 1, &body); /* constant */
    zf_h5_le(&body, 3, 1);     /* fill value v3: allocated early, */
    zf_h5_le(&body, fill ? 0x29 : 0x09, 1); /* written if set, defined? */
    if (fill) {
        zf_h5_le(&body, t->size, 4);
        zf_h5_bytes(&body, fill, t->size);
    }
    msg(b, o, 0x05, 1, &body);
    zf_h5_le(&body, 3, 1); /* layout v3, contiguous */
    zf_h5_le(&body, 1, 1);
    zf_h5_le(&body, addr, 8);
    zf_h5_le(&body, nbytes, 8);
    msg(b, o, 0x08, 0, &body);
}

/* CLASS, NAME, REFERENCE_LIST and _Netcdf4Dimid of dimension d's scale. */
static void scale_attrs(nc_build *b, zf_h5out *o, long d)
{
    const nc_dim *dim = &b->dim[d];
    zf_h5_type cls = zf_h5_type_of(ZF_H5_STR, 16, 0);
    zf_h5_attr(o, "CLASS", &cls, -1, NULL, "DIMENSION_SCALE", 16);
    char name[128];
    const char *nm = dim->name;
    if (b->obj[dim->scale].kind == OBJ_DIM) {
        snprintf(name, sizeof name, "%s%10" PRIu64, NC_DIM_WITHOUT_VAR,
                 dim->size);
        nm = name;
    }
    zf_h5_type nt = zf_h5_type_of(ZF_H5_STR, (uint32_t)strlen(nm) + 1, 0);
    if (zf_h5_attr(o, "NAME", &nt, -1, NULL, nm, strlen(nm) + 1) < 0)
        note(b, "dimension '%s': its name is too long", dim->name);
    zf_h5out refs = {0};
    uint64_t n = 0;
    for (size_t i = 0; i < b->nobj; i++) {
        const nc_obj *v = &b->obj[i];
        if (v->kind != OBJ_VAR || v->scale == d)
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
        note(b, "dimension '%s': too many variables use it to list them in "
             "its REFERENCE_LIST (netCDF tools do not need it)", dim->name);
    o->oom |= refs.oom;
    zf_h5_free(&refs);
    int32_t id = (int32_t)d;
    zf_h5_type it = zf_h5_type_of(ZF_H5_INT, 4, 0);
    zf_h5_attr(o, "_Netcdf4Dimid", &it, -1, NULL, &id, 4);
}

/* DIMENSION_LIST: for each axis, a one-reference sequence in the heap. */
static void dimension_list(nc_build *b, zf_h5out *o, zf_h5heap *h,
                           const nc_obj *v)
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
static void coordinates(zf_h5out *o, const nc_obj *v, int ndim)
{
    int32_t ids[ZF_MAX_DIMS];
    for (int k = 0; k < ndim; k++)
        ids[k] = (int32_t)v->dims[k];
    zf_h5_type t = zf_h5_type_of(ZF_H5_INT, 4, 0);
    uint64_t n = (uint64_t)ndim;
    zf_h5_attr(o, "_Netcdf4Coordinates", &t, 1, &n, ids, 4 * (size_t)ndim);
}

static void emit_var(nc_build *b, zf_h5out *o, zf_h5heap *h, long i)
{
    const nc_obj *v = &b->obj[i];
    const zf_array_info *in = zf_array_get_info(v->a);
    zf_h5_type t = var_type(v->a);
    size_t start = zf_h5_ohdr_begin(o);
    dataset_msgs(b, o, in->ndim, in->shape, &t,
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
 * them. */
static void emit_dim(nc_build *b, zf_h5out *o, long i)
{
    const nc_dim *d = &b->dim[b->obj[i].scale];
    zf_h5_type t = zf_h5_type_of(ZF_H5_FLOAT, 4, 0);
    size_t start = zf_h5_ohdr_begin(o);
    dataset_msgs(b, o, 1, &d->size, &t, NULL, ZF_H5_UNDEF, d->size * 4);
    scale_attrs(b, o, b->obj[i].scale);
    zf_h5_ohdr_end(o, start);
}

/* One pass over the header: the superblock's place, every object header,
 * then the heap.  Pass 2 must find the addresses pass 1 found. */
static void emit(nc_build *b, zf_h5out *o)
{
    zf_h5heap h;
    zf_h5heap_init(&h, b->heap_base);
    zf_h5_zeros(o, ZF_H5_SUPERBLOCK);
    for (size_t i = 0; i < b->nobj && !o->oom; i++) {
        if (b->pass == 2 && b->obj[i].addr != o->len)
            b->oom = 1; /* (cannot happen: the layout is deterministic) */
        b->obj[i].addr = o->len;
        if (b->obj[i].kind == OBJ_GROUP)
            emit_group(b, o, &h, (long)i);
        else if (b->obj[i].kind == OBJ_VAR)
            emit_var(b, o, &h, (long)i);
        else
            emit_dim(b, o, (long)i);
    }
    if (b->pass == 1)
        b->heap_base = o->len;
    zf_h5heap_finish(&h);
    zf_h5_bytes(o, h.out.p, h.out.len);
    o->oom |= h.out.oom;
    zf_h5_free(&h.out);
}

static uint64_t align_up(uint64_t v)
{
    return (v + NC_ALIGN - 1) / NC_ALIGN * NC_ALIGN;
}

/* Places the parts after the header; returns the file's size. */
static uint64_t place_parts(nc_build *b, size_t hlen, size_t *nparts)
{
    uint64_t end = hlen, at = align_up(hlen);
    *nparts = 0;
    for (size_t i = 0; i < b->nobj; i++) {
        nc_obj *v = &b->obj[i];
        uint64_t n = v->kind == OBJ_VAR ? zf_array_get_info(v->a)->nbytes : 0;
        if (!n)
            continue;
        v->data_addr = at;
        end = at + n;
        at = align_up(end);
        (*nparts)++;
    }
    return end;
}

/* ---- the file ----------------------------------------------------------- */

static zf_code make_file(nc_build *b, zf_h5out *hdr, uint64_t size,
                         size_t nparts, zf_nc_file **out)
{
    zf_nc_file *f = calloc(1, sizeof *f);
    if (!f)
        return ZF_ENOMEM;
    f->parts = calloc(nparts ? nparts : 1, sizeof *f->parts);
    f->notes = calloc(b->nnotes + 1, sizeof *f->notes);
    if (!f->parts || !f->notes) {
        zf_nc_free(f);
        return ZF_ENOMEM;
    }
    for (size_t i = 0; i < b->nobj; i++) {
        const nc_obj *v = &b->obj[i];
        if (v->kind != OBJ_VAR || !zf_array_get_info(v->a)->nbytes)
            continue;
        zf_nc_part *p = &f->parts[f->nparts++];
        p->array_path = v->a->info.path;
        p->offset = v->data_addr;
        p->nbytes = zf_array_get_info(v->a)->nbytes;
    }
    if (b->nnotes)
        memcpy(f->notes, b->notes, b->nnotes * sizeof *b->notes);
    b->nnotes = 0; /* (the file owns them now) */
    f->header = hdr->p;
    f->hlen = hdr->len;
    f->size = size;
    memset(hdr, 0, sizeof *hdr);
    *out = f;
    return ZF_OK;
}

static zf_code build(nc_build *b, const char *group, zf_nc_file **out,
                     zf_err *err)
{
    zf_code c = collect(b, group, err);
    if (c != ZF_OK)
        return c;
    for (size_t g = 0; g < b->nobj && !b->oom; g++)
        if (b->obj[g].kind == OBJ_GROUP)
            group_dims(b, (long)g);
    if (b->oom) /* (a dimension may be missing: emit would look it up) */
        return zf_err_set(err, ZF_ENOMEM, "group '%s': out of memory "
                          "building its netCDF-4 file", group);
    b->pass = 1;
    type_notes(b);
    zf_h5out hdr = {0};
    emit(b, &hdr);
    size_t nparts = 0;
    uint64_t size = place_parts(b, hdr.len, &nparts);
    b->hlen = hdr.len;
    zf_h5_free(&hdr);
    b->pass = 2;
    emit(b, &hdr);
    if (!b->oom && !hdr.oom && hdr.len != b->hlen)
        b->oom = 1;
    zf_h5_superblock(&hdr, b->obj[0].addr, size);
    if (b->oom || hdr.oom ||
        (c = make_file(b, &hdr, size, nparts, out)) != ZF_OK) {
        zf_h5_free(&hdr);
        return zf_err_set(err, ZF_ENOMEM, "group '%s': out of memory building "
                          "its netCDF-4 file", group);
    }
    return ZF_OK;
}

zf_code zf_nc_build(zf_zarr *z, const char *group_path, zf_nc_file **out,
                    zf_err *err)
{
    zf_err local;
    if (!err)
        err = &local;
    if (!z || !group_path || !out)
        return zf_err_set(err, ZF_EINVAL, "zf_nc_build: bad arguments");
    *out = NULL;
    while (group_path[0] == '/')
        group_path++;
    nc_build b = {.z = z};
    zf_code c = build(&b, group_path, out, err);
    free_build(&b);
    return c;
}

void zf_nc_free(zf_nc_file *f)
{
    if (!f)
        return;
    for (char **n = f->notes; n && *n; n++)
        free(*n);
    free(f->notes);
    free(f->parts);
    free(f->header);
    free(f);
}

uint64_t zf_nc_size(const zf_nc_file *f)
{
    return f->size;
}

const uint8_t *zf_nc_header(const zf_nc_file *f, size_t *len)
{
    *len = f->hlen;
    return f->header;
}

size_t zf_nc_part_count(const zf_nc_file *f)
{
    return f->nparts;
}

const zf_nc_part *zf_nc_part_at(const zf_nc_file *f, size_t i)
{
    return i < f->nparts ? &f->parts[i] : NULL;
}

const char *const *zf_nc_notes(const zf_nc_file *f)
{
    return (const char *const *)f->notes;
}

/* The first part that ends after `pos` (parts are sorted), or nparts. */
static size_t part_after(const zf_nc_file *f, uint64_t pos)
{
    size_t lo = 0, hi = f->nparts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->parts[mid].offset + f->parts[mid].nbytes <= pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

zf_code zf_nc_read(zf_nc_file *f, zf_zarr *z, uint64_t offset, size_t length,
                   void *buf, size_t *got, zf_err *err)
{
    zf_err local;
    if (!err)
        err = &local;
    *got = 0;
    if (offset >= f->size)
        return ZF_OK;
    if (length > f->size - offset)
        length = (size_t)(f->size - offset);
    uint8_t *dst = buf;
    uint64_t pos = offset, end = offset + length;
    while (pos < end) {
        size_t i = part_after(f, pos);
        const zf_nc_part *p = i < f->nparts ? &f->parts[i] : NULL;
        uint64_t stop = p && p->offset < end ? p->offset : end;
        if (pos < stop) { /* header bytes, then zeros up to the next part */
            uint64_t h = pos < f->hlen ? (f->hlen < stop ? f->hlen : stop) : pos;
            if (h > pos)
                memcpy(dst, f->header + pos, (size_t)(h - pos));
            memset(dst + (h - pos), 0, (size_t)(stop - h));
            dst += stop - pos;
            pos = stop;
            continue;
        }
        uint64_t n = (p->offset + p->nbytes < end ? p->offset + p->nbytes : end) - pos;
        zf_array *a = NULL;
        size_t nread = 0;
        zf_code c = zf_array_get(z, p->array_path, &a, err);
        if (c == ZF_OK)
            c = zf_array_read(a, pos - p->offset, (size_t)n, dst, &nread, err);
        if (c == ZF_OK && nread != n)
            c = zf_err_set(err, ZF_EIO, "%s: read %zu of %" PRIu64 " bytes",
                           p->array_path, nread, n);
        if (c != ZF_OK)
            return c;
        dst += n;
        pos += n;
    }
    *got = length;
    return ZF_OK;
}
