/*
 * nodes.h - the node set: the groups and arrays of a store at one moment,
 * as zf_open and zf_refresh read them (nodes.c), in a stable order (parents
 * before children, siblings by name).
 *
 * Ownership: a set owns its nodes' strings, infos and arrays; zf_nodeset_free
 * frees them, except that zf_refresh moves an unchanged array from the old
 * set to the new one (an array owns its path, so it outlives its set).
 * Threads: a load runs on one thread (zf_open, zf_refresh, which the caller
 * serializes); a finished set is read-only.  Errors: see zf_nodeset_load.
 */
#ifndef ZF_NODES_H
#define ZF_NODES_H

#include "engine.h"

struct json_object;

/* What a load kept of a node beyond its array, from the documents it read
 * anyway, so that the views (views/nc_model.c) read nothing more: */
typedef struct zf_nodeinfo {
    struct json_object *attrs; /* its attributes (a JSON object), or NULL:
                                  v3 zarr.json "attributes", v2 .zattrs
                                  (from .zmetadata when consolidated) */
    char *attrs_error;         /* why its .zattrs could not be read, or NULL */
    int attrs_unread;          /* v2, walked without zf_options.attributes:
                                  its .zattrs was not read (attrs is NULL) */
    struct json_object *dims;  /* arrays: v3 dimension_names, or NULL */
    int fill_null;             /* arrays: fill_value is null (v2) */
    uint64_t gen;              /* the zf_refresh generation that last changed
                                  it (zarr.c); 0 as opened */
} zf_nodeinfo;

struct zf_nodeset {
    zf_node *nodes;
    zf_array **arrays; /* one per node; NULL for groups and failed arrays */
    zf_code *codes;    /* one per node: why an array failed, else ZF_OK */
    zf_nodeinfo *info; /* one per node */
    size_t count;
    size_t *by_path;   /* node indexes in strcmp order of their paths */
    int consolidated;  /* read from consolidated metadata */
    char **warnings;   /* what was left out, and why (zf_warning_at) */
    size_t nwarnings;
};

/* Finds every group and array of z->store and fills `out` (zeroed by the
 * caller): from consolidated metadata when the root has it, else by
 * walking the folders.  Problems with one node become that node's error;
 * only ZF_ENOMEM is returned (free `out` then).
 * `prev` (NULL at open) is the set a refresh replaces.  The load stops and
 * sets *fail (may be NULL) when the new set would lose what prev knew: the
 * root, or prev's consolidated document, cannot be read (ZF_EIO); or, when
 * `strict`, a node prev read fine fails now, a folder prev had nodes in
 * cannot be listed, or prev's consolidated metadata cannot be used any
 * more.  Then `out` is incomplete: free it and keep prev. */
zf_code zf_nodeset_load(zf_zarr *z, const zf_nodeset *prev, int strict,
                        zf_nodeset *out, zf_err *fail);

/* The index of the node at `path` in ns, or -1. */
long zf_nodeset_find(const zf_nodeset *ns, const char *path);

/* The number of nodes at and below `path` ("" = the root: all), and the
 * newest generation among them (zf_nodeinfo.gen). */
void zf_nodeset_subtree(const zf_nodeset *ns, const char *path,
                        uint64_t *count, uint64_t *newest);

/* The attributes of the node at `path` ("" = the root), read from the
 * store now (for callers on any thread; a table build uses zf_nodeinfo): those of its zarr.json, else its .zattrs.  *out (a new reference,
 * or NULL when the node has none) is the caller's.  Store and JSON errors
 * are returned with their code and the key. */
zf_code zf_node_attrs(zf_zarr *z, const char *path, struct json_object **out,
                      zf_err *err);

/* Drops an info's references and strings; leaves it zeroed. */
void zf_nodeinfo_clear(zf_nodeinfo *m);

/* Frees a set with its strings and arrays. */
void zf_nodeset_free(zf_nodeset *ns);

#endif
