/*
 * tree.c - discovering the groups and arrays of a store, in a stable order
 * (parents before children, siblings by name).  Two sources:
 *  - consolidated metadata: v3 "consolidated_metadata" in the root zarr.json,
 *    or the v2 ".zmetadata" document; when present and readable, every node
 *    comes from that one document and the store is not walked;
 *  - otherwise a walk of the folders: a folder with zarr.json (v3), .zarray
 *    or .zgroup (v2) is a node; groups are descended into.
 * Runs once, single-threaded, inside zf_open.
 */
#include "meta.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZF_MAX_TREE_DEPTH 64
/* Node paths are kept short enough that every key built from them (the
 * metadata files, chunk keys of up to 32 dimensions) fits in 4 KiB. */
#define ZF_MAX_NODE_PATH 3000

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* Adds a node; `error` (with its code) says why an array cannot be read. */
static zf_code add_node(zf_zarr *z, const char *path, zf_node_kind kind,
                        int format, time_t mtime, zf_code code,
                        const char *error, zf_array *a)
{
    zf_node *n = realloc(z->nodes, (z->nnodes + 1) * sizeof *n);
    if (n)
        z->nodes = n;
    zf_array **arr = n ? realloc(z->arrays, (z->nnodes + 1) * sizeof *arr) : NULL;
    if (arr)
        z->arrays = arr;
    zf_code *codes = arr ? realloc(z->codes, (z->nnodes + 1) * sizeof *codes) : NULL;
    if (codes)
        z->codes = codes;
    char *p = strdup(path), *e = error ? strdup(error) : NULL;
    if (!n || !arr || !codes || !p || (error && !e)) {
        free(p);
        free(e);
        zf_array_free(a);
        return ZF_ENOMEM;
    }
    z->nodes[z->nnodes] = (zf_node){p, kind, format, e, mtime};
    z->arrays[z->nnodes] = a;
    z->codes[z->nnodes] = code;
    if (a) {
        a->info.path = p;
        a->info.mtime = mtime;
    }
    z->nnodes++;
    return ZF_OK;
}

/* Adds an array node from its parsed metadata document (either format);
 * a metadata problem becomes the node's error. */
static zf_code add_array(zf_zarr *z, const char *path, int format,
                         json_object *doc, const char *text, const char *key,
                         time_t mtime)
{
    zf_err err = {0};
    zf_array *a = NULL;
    zf_code c = zf_meta_parse_array(z, path, format, doc, text, &a, &err);
    if (c == ZF_ENOMEM)
        return c;
    if (c != ZF_OK)
        zf_err_prefix(&err, "%s", key);
    return add_node(z, path, ZF_NODE_ARRAY, format, mtime, c,
                    c == ZF_OK ? NULL : err.msg, a);
}

/* Reads and parses the JSON document at key; *missing when there is none. */
static zf_code load_doc(zf_zarr *z, const char *key, json_object **doc,
                        char **text, time_t *mtime, int *missing, zf_err *err)
{
    zf_store_stat st;
    size_t len;
    *doc = NULL;
    *text = NULL;
    *missing = 0;
    zf_code c = zf_store_stat_key(z->store, key, &st, err);
    if (c == ZF_ENOTFOUND) {
        *missing = 1;
        return c;
    }
    if (c == ZF_OK)
        c = zf_store_get(z->store, key, ZF_MAX_METADATA_BYTES, (uint8_t **)text,
                         &len, err);
    if (c == ZF_OK)
        c = zf_json_parse(*text, len, key, doc, err);
    if (c == ZF_OK && !json_object_is_type(*doc, json_type_object))
        c = zf_err_set(err, ZF_EMETA, "%s: not a JSON object", key);
    *mtime = st.mtime;
    return c;
}

/* ---- the walk ----------------------------------------------------------- */

typedef struct names {
    char **v;
    size_t n, cap;
} names;

static void add_name(void *arg, const char *name, int is_dir)
{
    names *ns = arg;
    if (!is_dir)
        return;
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 16;
        char **v = realloc(ns->v, cap * sizeof *v);
        if (!v)
            return;
        ns->v = v;
        ns->cap = cap;
    }
    if ((ns->v[ns->n] = strdup(name)))
        ns->n++;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static zf_code walk(zf_zarr *z, const char *path, int depth);

static zf_code walk_children(zf_zarr *z, const char *path, int depth)
{
    names ns = {0};
    char prefix[4096];
    snprintf(prefix, sizeof prefix, "%s%s", path, path[0] ? "/" : "");
    zf_err err;
    zf_code c = z->store->ops->list(z->store, prefix, add_name, &ns, &err);
    if (c == ZF_OK) {
        if (ns.n > 1)
            qsort(ns.v, ns.n, sizeof *ns.v, cmp_names);
        for (size_t i = 0; i < ns.n && c != ZF_ENOMEM; i++) {
            char child[4096];
            int n = snprintf(child, sizeof child, "%s%s", prefix, ns.v[i]);
            if (n > 0 && n <= ZF_MAX_NODE_PATH) /* (longer ones: not served) */
                c = walk(z, child, depth + 1);
        }
    }
    for (size_t i = 0; i < ns.n; i++)
        free(ns.v[i]);
    free(ns.v);
    return c == ZF_ENOMEM ? c : ZF_OK;
}

/* The node at path in one format: 1 if there was one (added), 0 if not. */
static int try_node(zf_zarr *z, const char *path, const char *file,
                    int format, int depth, zf_code *res)
{
    char key[4096];
    snprintf(key, sizeof key, "%s%s%s", path, path[0] ? "/" : "", file);
    json_object *doc;
    char *text;
    time_t mtime = 0;
    int missing;
    zf_err err = {0};
    zf_code c = load_doc(z, key, &doc, &text, &mtime, &missing, &err);
    if (missing)
        return 0;
    json_object *nt = get(doc, "node_type");
    int group = format == 3 ? nt && json_object_is_type(nt, json_type_string) &&
                                  !strcmp(json_object_get_string(nt), "group")
                            : !strcmp(file, ".zgroup");
    if (c == ZF_OK && format == 3 && !nt)
        c = zf_err_set(&err, ZF_EMETA, "%s: node_type is missing", key);
    if (c == ZF_ENOMEM)
        *res = c;
    else if (c != ZF_OK)
        *res = add_node(z, path, ZF_NODE_ARRAY, format, mtime, c, err.msg, NULL);
    else if (group) {
        *res = add_node(z, path, ZF_NODE_GROUP, format, mtime, ZF_OK, NULL, NULL);
        if (*res == ZF_OK)
            *res = walk_children(z, path, depth);
    } else
        *res = add_array(z, path, format, doc, text, key, mtime);
    json_object_put(doc);
    free(text);
    return 1;
}

/* Adds the node at path (if it has metadata) and, for a group, its children.
 * Folders without metadata (chunk folders) are not nodes. */
static zf_code walk(zf_zarr *z, const char *path, int depth)
{
    zf_code res = ZF_OK;
    if (depth > ZF_MAX_TREE_DEPTH)
        return ZF_OK;
    if (try_node(z, path, "zarr.json", 3, depth, &res) ||
        try_node(z, path, ".zarray", 2, depth, &res) ||
        try_node(z, path, ".zgroup", 2, depth, &res))
        return res;
    return ZF_OK;
}

/* ---- consolidated metadata ------------------------------------------------ */

typedef struct entry {
    const char *path;
    json_object *doc;
    int format, group;
} entry;

/* Component-wise order: "a" < "a/b" < "a b", which is the walk's order. */
static int cmp_entries(const void *x, const void *y)
{
    const char *a = ((const entry *)x)->path, *b = ((const entry *)y)->path;
    for (;;) {
        size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
        int c = strncmp(a, b, la < lb ? la : lb);
        if (c || la != lb)
            return c ? c : (la < lb ? -1 : 1);
        if (!a[la] || !b[lb])
            return a[la] ? 1 : b[lb] ? -1 : 0;
        a += la + 1;
        b += lb + 1;
    }
}

/* Collects the nodes of a v2 .zmetadata ("a/b/.zarray" keys) or of v3
 * consolidated_metadata ("a/b" keys), the root excluded. */
static size_t collect(json_object *meta, int format, entry *out, size_t cap)
{
    size_t n = 0;
    json_object_object_foreach(meta, key, doc) {
        if (n == cap || !json_object_is_type(doc, json_type_object) ||
            strlen(key) > ZF_MAX_NODE_PATH)
            continue;
        entry e = {key, doc, format, 0};
        if (format == 2) {
            size_t kl = strlen(key);
            int arr = kl >= 7 && !strcmp(key + kl - 7, ".zarray");
            int grp = kl >= 7 && !strcmp(key + kl - 7, ".zgroup");
            if ((!arr && !grp) || kl == 7)
                continue; /* .zattrs, the root */
            e.group = grp;
        } else {
            json_object *nt = get(doc, "node_type");
            e.group = nt && !strcmp(json_object_get_string(nt), "group");
        }
        out[n++] = e;
    }
    return n;
}

static zf_code add_consolidated(zf_zarr *z, json_object *meta, int format,
                                time_t mtime)
{
    size_t cap = (size_t)json_object_object_length(meta);
    entry *es = calloc(cap ? cap : 1, sizeof *es);
    if (!es)
        return ZF_ENOMEM;
    size_t n = collect(meta, format, es, cap);
    /* v2 keys end in "/.zarray": strip it into a copy for the node path. */
    zf_code c = ZF_OK;
    char **paths = calloc(n ? n : 1, sizeof *paths);
    for (size_t i = 0; paths && i < n; i++) {
        size_t l = strlen(es[i].path) - (format == 2 ? 8 : 0);
        if ((paths[i] = strndup(es[i].path, l)))
            es[i].path = paths[i];
    }
    if (n > 1)
        qsort(es, n, sizeof *es, cmp_entries);
    for (size_t i = 0; paths && i < n && c == ZF_OK; i++) {
        char key[4096];
        snprintf(key, sizeof key, "%s%s (consolidated)", es[i].path,
                 format == 3 ? "/zarr.json" : es[i].group ? "/.zgroup" : "/.zarray");
        if (es[i].group)
            c = add_node(z, es[i].path, ZF_NODE_GROUP, format, mtime, ZF_OK, NULL,
                         NULL);
        else
            c = add_array(z, es[i].path, format, es[i].doc,
                          json_object_to_json_string_ext(es[i].doc,
                                                         JSON_C_TO_STRING_PRETTY),
                          key, mtime);
    }
    for (size_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
    free(es);
    return paths ? c : ZF_ENOMEM;
}

/* 1 if the root's consolidated metadata was used (nodes added). */
static int try_consolidated(zf_zarr *z, zf_code *res)
{
    json_object *doc = NULL, *meta = NULL;
    char *text = NULL;
    time_t mtime = 0;
    int missing, format = 3, used = 0;
    zf_err err;
    if (load_doc(z, "zarr.json", &doc, &text, &mtime, &missing, &err) == ZF_OK) {
        json_object *cm = get(doc, "consolidated_metadata");
        meta = get(cm, "metadata");
    } else if (missing) {
        json_object_put(doc);
        free(text);
        format = 2;
        if (load_doc(z, ".zmetadata", &doc, &text, &mtime, &missing, &err) == ZF_OK)
            meta = get(doc, "metadata");
    }
    json_object *root = format == 3 ? doc : get(meta, ".zgroup");
    json_object *nt = format == 3 ? get(doc, "node_type") : NULL;
    int root_group = format == 2 ? root != NULL
                                 : nt && !strcmp(json_object_get_string(nt), "group");
    if (meta && json_object_is_type(meta, json_type_object) && root_group) {
        used = 1;
        *res = add_node(z, "", ZF_NODE_GROUP, format, mtime, ZF_OK, NULL, NULL);
        if (*res == ZF_OK)
            *res = add_consolidated(z, meta, format, mtime);
    }
    json_object_put(doc);
    free(text);
    return used;
}

zf_code zf_tree_load(zf_zarr *z)
{
    zf_code res = ZF_OK;
    if (try_consolidated(z, &res))
        return res;
    return walk(z, "", 0);
}
