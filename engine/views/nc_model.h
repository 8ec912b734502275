/*
 * nc_model.h - the netCDF-4 model of a group (nc_model.c): what a group file
 * holds, before any byte is laid out.  Every group below the chosen one is
 * an HDF5 group, every readable array a contiguous dataset (a variable);
 * dimensions come from v3 dimension_names or xarray's _ARRAY_DIMENSIONS,
 * per group: a 1-d array named like its own dimension is that dimension's
 * coordinate variable (its dataset is the dimension scale); other named
 * dimensions get netCDF-4's dimension-only scales; unnamed ones
 * phony_dim_N, shared within a group where the sizes agree.
 *
 * Contract:
 *  - zf_ncm_collect builds the model from the node set already loaded
 *    (z->nodes: metadata, attributes): it reads nothing from the store
 *    (but the .zattrs of a v2 store walked without zf_options.attributes)
 *    and must not race with zf_refresh.  Attribute objects are borrowed
 *    from the node set; everything else the model owns (zf_ncm_free).
 *  - Errors are values: the first failure is kept in m->code / m->err with
 *    its own code (ZF_ENOMEM for allocations, ZF_ELIMIT for what HDF5 or a
 *    64-bit size cannot hold, ...); later steps check zf_ncm_failed.
 *  - Notes say what netCDF tools will miss; taken while collecting and in
 *    the emitter's first pass only (the second repeats it).
 *  - One thread per model.
 */
#ifndef ZF_VIEWS_NC_MODEL_H
#define ZF_VIEWS_NC_MODEL_H

#include <stdint.h>

#include "engine.h"

struct json_object;

enum { ZF_NC_GROUP, ZF_NC_VAR, ZF_NC_DIM };

/* netCDF-C's NC_MAX_NAME: longer names make netCDF tools refuse the file. */
#define ZF_NC_MAX_NAME 256

typedef struct zf_ncobj {
    int kind;
    char *name;   /* the link's name; "" for the file's root group */
    char *path;   /* the node's path in the store (groups, variables) */
    long parent;  /* the group it is linked in; -1 for the root */
    long *kids;   /* groups: the objects linked in it, in order */
    size_t nkids, capkids;
    zf_array *a;  /* variables */
    struct json_object *attrs; /* the Zarr attributes (borrowed), or NULL */
    struct json_object *own;   /* attrs when read from the store (owned) */
    int fill_defined;          /* variables: fill holds the _FillValue */
    uint8_t fill[16];          /* its bytes, native order */
    char *dimname[ZF_MAX_DIMS]; /* variables: the names given, or NULL */
    long dims[ZF_MAX_DIMS];     /* variables: each dimension's zf_ncdim */
    long scale;   /* the zf_ncdim this dataset is the scale of, or -1 */
    uint64_t addr;      /* its object header's address (the emitter's) */
    uint64_t data_addr; /* variables: where its flat view starts */
} zf_ncobj;

typedef struct zf_ncdim {
    char *name;
    uint64_t size;
    long group; /* the group object it belongs to */
    long scale; /* the dataset object that is its scale */
    int phony;
} zf_ncdim;

typedef struct zf_ncmodel {
    zf_zarr *z;
    const char *group; /* the file's root group (a path in the store) */
    zf_ncobj *obj;     /* [0] is the file's root group */
    size_t nobj, capobj;
    zf_ncdim *dim;
    size_t ndim, capdim;
    char **notes;
    size_t nnotes, capnotes;
    size_t dim_first;  /* the first dimension of the group being collected */
    unsigned next_phony;
    int pass;          /* 0: collecting, 1: sizing, 2: writing (nc_emit.h) */
    zf_code code;      /* the first failure, or ZF_OK */
    zf_err err;
} zf_ncmodel;

/* Fills m (zeroed, m->z set) with the objects and dimensions of the group
 * at `group`.  Errors (also in m->err): ZF_ENOTFOUND (no such group, or an
 * array), ZF_EMETA (its own metadata is broken), ZF_ENOMEM. */
zf_code zf_ncm_collect(zf_ncmodel *m, const char *group, zf_err *err);
void zf_ncm_free(zf_ncmodel *m);

/* Adds a note (not in pass 2). */
void zf_ncm_note(zf_ncmodel *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Keeps the first failure: `code` with the message (prefixed with the
 * group).  Returns code. */
zf_code zf_ncm_fail(zf_ncmodel *m, zf_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Out of memory (zf_ncm_fail's). */
void zf_ncm_oom(zf_ncmodel *m);
static inline int zf_ncm_failed(const zf_ncmodel *m)
{
    return m->code != ZF_OK;
}

/* "/" for the file's root group, else the object's path. */
const char *zf_ncm_label(const zf_ncobj *o);

/* 1 when netCDF-C reads the array's type: not the bool enum nor the
 * complex compound. */
int zf_ncm_netcdf_type(const zf_array *a);

#endif
