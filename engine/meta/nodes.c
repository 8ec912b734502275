/*
 * nodes.c - discovering the groups and arrays of a store into a zf_nodeset,
 * in a stable order (parents before children, siblings by name).  Two
 * sources:
 *  - consolidated metadata: v3 "consolidated_metadata" in the root zarr.json,
 *    or the v2 ".zmetadata" document; when present and readable, every node
 *    comes from that one document and the store is not walked;
 *  - otherwise a walk of the folders: a folder with zarr.json (v3), .zarray
 *    or .zgroup (v2) is a node; groups are descended into.
 * The root's zarr.json is read once and serves both.  Each node keeps
 * what the views need of it (zf_nodeinfo: attributes, dimension names, a
 * null fill) from the documents read anyway; a walk of a v2 store reads
 * each node's .zattrs too when zf_options.attributes asks for it.  zf_node_attrs reads one node's attributes from
 * the store, for callers on any thread.
 *
 * A load that re-reads a store (zf_refresh) is given the previous set: a
 * node of it that read fine before and fails now (the store unreachable, a
 * document caught half written) makes the load report why instead of
 * dropping the node, so that one bad moment does not empty the set; see
 * zf_nodeset_load in nodes.h for when that is insisted on.
 *
 * Runs inside zf_open and zf_refresh, which the caller serializes, on one
 * thread.  It reads z's store and writes only the set it fills, so other
 * threads may read arrays of z meanwhile.  A set owns its strings and its
 * arrays; zf_nodeset_free frees them.
 */
#include "nodes.h"

#include "array.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZF_MAX_WALK_DEPTH 64
/* Node paths are kept short enough that every key built from them (the
 * metadata files, chunk keys of up to 32 dimensions) fits in 4 KiB. */
#define ZF_MAX_NODE_PATH 3000

/* One load: where nodes go, and what a refresh knew before. */
typedef struct loader {
    zf_zarr *z;
    zf_nodeset *set;
    const zf_nodeset *prev; /* NULL at open */
    int strict;             /* a readable node of prev may not fail now */
    zf_err *fail;           /* the first reason to keep prev, if any */
} loader;

/* ---- the set -------------------------------------------------------------- */

void zf_nodeset_free(zf_nodeset *ns)
{
    if (!ns)
        return;
    for (size_t i = 0; i < ns->count; i++) {
        zf_array_free(ns->arrays[i]);
        free((char *)ns->nodes[i].path);
        free((char *)ns->nodes[i].error);
        zf_nodeinfo_clear(&ns->info[i]);
    }
    for (size_t i = 0; i < ns->nwarnings; i++)
        free(ns->warnings[i]);
    free(ns->warnings);
    free(ns->nodes);
    free(ns->arrays);
    free(ns->codes);
    free(ns->info);
    free(ns->by_path);
    free(ns);
}

void zf_nodeinfo_clear(zf_nodeinfo *m)
{
    json_object_put(m->attrs);
    json_object_put(m->dims);
    free(m->attrs_error);
    memset(m, 0, sizeof *m);
}

/* The first position in ns->by_path whose path is not less than `path`. */
static size_t lower_bound(const zf_nodeset *ns, const char *path)
{
    size_t lo = 0, hi = ns->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ns->nodes[ns->by_path[mid]].path, path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

long zf_nodeset_find(const zf_nodeset *ns, const char *path)
{
    if (!ns->by_path)
        return -1;
    size_t k = lower_bound(ns, path);
    return k < ns->count && !strcmp(ns->nodes[ns->by_path[k]].path, path)
               ? (long)ns->by_path[k]
               : -1;
}

void zf_nodeset_subtree(const zf_nodeset *ns, const char *path,
                        uint64_t *count, uint64_t *newest)
{
    *count = *newest = 0;
    char prefix[4096];
    int plen = snprintf(prefix, sizeof prefix, "%s/", path);
    long self = zf_nodeset_find(ns, path);
    if (self >= 0) {
        *count = 1;
        *newest = ns->info[self].gen;
    }
    /* (in strcmp order the paths below `path` are one run) */
    size_t k = path[0] && ns->by_path ? lower_bound(ns, prefix) : 0;
    for (; ns->by_path && k < ns->count; k++) {
        size_t i = ns->by_path[k];
        if (path[0] && strncmp(ns->nodes[i].path, prefix, (size_t)plen))
            break;
        if ((long)i == self)
            continue;
        (*count)++;
        *newest = ns->info[i].gen > *newest ? ns->info[i].gen : *newest;
    }
}

/* Whether ns has a node inside the group at `path` ("" = the root). */
static int has_children(const zf_nodeset *ns, const char *path)
{
    if (!path[0])
        return ns->count > 1;
    char prefix[4096];
    snprintf(prefix, sizeof prefix, "%s/", path);
    size_t k = lower_bound(ns, prefix);
    return k < ns->count &&
           !strncmp(ns->nodes[ns->by_path[k]].path, prefix, strlen(prefix));
}

static int cmp_by_path(const void *a, const void *b, void *arg)
{
    const zf_nodeset *ns = arg;
    return strcmp(ns->nodes[*(const size_t *)a].path,
                  ns->nodes[*(const size_t *)b].path);
}

/* Fills ns->by_path: the node indexes in strcmp order of their paths. */
static zf_code index_paths(zf_nodeset *ns)
{
    ns->by_path = malloc((ns->count ? ns->count : 1) * sizeof *ns->by_path);
    if (!ns->by_path)
        return ZF_ENOMEM;
    for (size_t i = 0; i < ns->count; i++)
        ns->by_path[i] = i;
    qsort_r(ns->by_path, ns->count, sizeof *ns->by_path, cmp_by_path, ns);
    return ZF_OK;
}

/* ---- refusing to lose what was known -------------------------------------- */

/* Notes that the node at `path` (or, for a listing, the nodes inside it)
 * could not be read now (`code`, `msg`).  Decides whether a refresh must
 * keep its previous set: always when the root cannot be reached (ZF_EIO),
 * else, when strict, when prev read it fine (or had nodes inside it). */
static void note_failure(loader *ld, const char *path, int listing,
                         zf_code code, const char *msg)
{
    if (!ld->prev || ld->fail->code != ZF_OK)
        return;
    int keep = !path[0] && code == ZF_EIO;
    if (!keep && ld->strict && listing) {
        keep = has_children(ld->prev, path);
    } else if (!keep && ld->strict) {
        long j = zf_nodeset_find(ld->prev, path);
        keep = j >= 0 && !ld->prev->nodes[j].error;
    }
    if (keep)
        zf_err_set(ld->fail, code, "%s", msg);
}

/* Whether the load should stop: out of memory, or a reason to keep prev. */
static int stopped(const loader *ld, zf_code c)
{
    return c == ZF_ENOMEM || ld->fail->code != ZF_OK;
}

/* ---- adding nodes ----------------------------------------------------------- */

/* Adds a node; `error` (with its code) says why an array cannot be read.
 * `info` (NULL: none) is taken over, freed on failure too. */
static zf_code add_node(loader *ld, const char *path, zf_node_kind kind,
                        int format, time_t mtime, zf_code code,
                        const char *error, zf_array *a, zf_nodeinfo *info)
{
    zf_nodeset *ns = ld->set;
    zf_node *n = realloc(ns->nodes, (ns->count + 1) * sizeof *n);
    if (n)
        ns->nodes = n;
    zf_array **arr = n ? realloc(ns->arrays, (ns->count + 1) * sizeof *arr) : NULL;
    if (arr)
        ns->arrays = arr;
    zf_code *codes = arr ? realloc(ns->codes, (ns->count + 1) * sizeof *codes) : NULL;
    if (codes)
        ns->codes = codes;
    zf_nodeinfo *inf = codes ? realloc(ns->info, (ns->count + 1) * sizeof *inf) : NULL;
    if (inf)
        ns->info = inf;
    char *p = strdup(path), *e = error ? strdup(error) : NULL;
    char *ap = a ? strdup(path) : NULL; /* the array's own (engine.h) */
    zf_nodeinfo none = {0};
    if (!n || !arr || !codes || !inf || !p || (error && !e) || (a && !ap)) {
        free(p);
        free(e);
        free(ap);
        zf_array_free(a);
        zf_nodeinfo_clear(info ? info : &none);
        return ZF_ENOMEM;
    }
    ns->nodes[ns->count] = (zf_node){p, kind, format, e, mtime};
    ns->arrays[ns->count] = a;
    ns->codes[ns->count] = code;
    ns->info[ns->count] = info ? *info : none;
    if (a) {
        a->info.path = a->path = ap;
        a->info.mtime = mtime;
    }
    ns->count++;
    if (error)
        note_failure(ld, path, 0, code, error);
    return ZF_OK;
}

/* A node's info from its metadata document `doc` (either format) and, for
 * v2, its .zattrs document `attrs` (NULL: none); references are taken. */
static zf_nodeinfo info_of(json_object *doc, int format, json_object *attrs)
{
    zf_nodeinfo m = {0};
    if (format == 3)
        attrs = zf_json_get(doc, "attributes");
    if (json_object_is_type(attrs, json_type_object))
        m.attrs = json_object_get(attrs);
    if (format == 3 && json_object_is_type(zf_json_get(doc, "dimension_names"),
                                           json_type_array))
        m.dims = json_object_get(zf_json_get(doc, "dimension_names"));
    m.fill_null = zf_json_get(doc, "fill_value") == NULL;
    return m;
}

/* Adds an array node from its parsed metadata document (either format);
 * a metadata problem becomes the node's error.  `info` as add_node's. */
static zf_code add_array(loader *ld, const char *path, int format,
                         json_object *doc, const char *text, const char *key,
                         time_t mtime, zf_nodeinfo *info)
{
    zf_err err = {0};
    zf_array *a = NULL;
    zf_code c = zf_meta_parse_array(ld->z, path, format, doc, text, &a, &err);
    if (c == ZF_ENOMEM) {
        zf_nodeinfo_clear(info);
        return c;
    }
    if (c != ZF_OK)
        zf_err_prefix(&err, "%s", key);
    return add_node(ld, path, ZF_NODE_ARRAY, format, mtime, c,
                    c == ZF_OK ? NULL : err.msg, a, info);
}

/* ---- metadata documents ------------------------------------------------------ */

/* One JSON document read from the store, or why it could not be. */
typedef struct doc {
    json_object *json;
    char *text;
    time_t mtime;
    int missing; /* no such key (code is ZF_ENOTFOUND) */
    zf_code code;
    zf_err err;
} doc;

/* Read first and stat'ed after, for the mtime: a remote store answers
 * the stat from what the read's reply said (store.h). */
static void doc_load(zf_store *s, const char *key, doc *d)
{
    zf_store_stat st = {0};
    size_t len = 0;
    memset(d, 0, sizeof *d);
    d->code = zf_store_get(s, key, ZF_MAX_METADATA_BYTES, (uint8_t **)&d->text,
                           &len, &d->err);
    if (d->code == ZF_ENOTFOUND) {
        d->missing = 1;
        return;
    }
    zf_err ignored;
    if (d->code == ZF_OK && zf_store_stat_key(s, key, &st, &ignored) != ZF_OK)
        st.mtime = 0; /* (only the mtime is wanted) */
    if (d->code == ZF_OK)
        d->code = zf_json_parse(d->text, len, key, &d->json, &d->err);
    if (d->code == ZF_OK && !json_object_is_type(d->json, json_type_object))
        d->code = zf_err_set(&d->err, ZF_EMETA, "%s: not a JSON object", key);
    d->mtime = st.mtime;
}

static void doc_clear(doc *d)
{
    json_object_put(d->json);
    free(d->text);
    memset(d, 0, sizeof *d);
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

static zf_code walk(loader *ld, const char *path, int depth, const doc *root);

static zf_code walk_children(loader *ld, const char *path, int depth)
{
    names ns = {0};
    char prefix[4096];
    snprintf(prefix, sizeof prefix, "%s%s", path, path[0] ? "/" : "");
    zf_err err = {0};
    zf_store *s = ld->z->store;
    zf_code c = s->ops->list(s, prefix, add_name, &ns, &err);
    if (c != ZF_OK && c != ZF_ENOTFOUND)
        note_failure(ld, path, 1, c, err.msg);
    if (c == ZF_OK) {
        if (ns.n > 1)
            qsort(ns.v, ns.n, sizeof *ns.v, cmp_names);
        for (size_t i = 0; i < ns.n && !stopped(ld, c); i++) {
            char child[4096];
            int n = snprintf(child, sizeof child, "%s%s", prefix, ns.v[i]);
            if (n > 0 && n <= ZF_MAX_NODE_PATH) /* (longer ones: not served) */
                c = walk(ld, child, depth + 1, NULL);
        }
    }
    for (size_t i = 0; i < ns.n; i++)
        free(ns.v[i]);
    free(ns.v);
    return c == ZF_ENOMEM ? c : ZF_OK;
}

/* The info of the walked node at `path` from its document: v3 has its
 * attributes in it; for v2 its .zattrs is read when z->attributes asks
 * for it (a missing one is no attributes, an unreadable one the info's
 * attrs_error), else marked unread.  ZF_ENOMEM or ZF_OK. */
static zf_code node_info(loader *ld, const char *path, json_object *json,
                         int format, zf_nodeinfo *out)
{
    doc attrs = {0};
    if (format == 2 && ld->z->attributes) {
        char key[4096];
        snprintf(key, sizeof key, "%s%s.zattrs", path, path[0] ? "/" : "");
        doc_load(ld->z->store, key, &attrs);
    }
    *out = info_of(json, format, attrs.json);
    out->attrs_unread = format == 2 && !ld->z->attributes;
    zf_code c = attrs.code == ZF_ENOMEM ? ZF_ENOMEM : ZF_OK;
    if (attrs.code != ZF_OK && !attrs.missing && c == ZF_OK &&
        !(out->attrs_error = strdup(attrs.err.msg)))
        c = ZF_ENOMEM;
    if (c != ZF_OK)
        zf_nodeinfo_clear(out);
    doc_clear(&attrs);
    return c;
}

/* The node at path in one format: 1 if there was one (added), 0 if not.
 * `pre` is the document when it was read already (the root's zarr.json). */
static int try_node(loader *ld, const char *path, const char *file,
                    int format, int depth, const doc *pre, zf_code *res)
{
    char key[4096];
    snprintf(key, sizeof key, "%s%s%s", path, path[0] ? "/" : "", file);
    doc own;
    const doc *d = pre;
    if (!d)
        doc_load(ld->z->store, key, &own), d = &own;
    if (d->missing)
        return 0;
    zf_code c = d->code;
    zf_err err = d->err;
    json_object *nt = zf_json_get(d->json, "node_type");
    int group = format == 3 ? nt && json_object_is_type(nt, json_type_string) &&
                                  !strcmp(json_object_get_string(nt), "group")
                            : !strcmp(file, ".zgroup");
    if (c == ZF_OK && format == 3 && !nt)
        c = zf_err_set(&err, ZF_EMETA, "%s: node_type is missing", key);
    zf_nodeinfo info = {0};
    if (c == ZF_OK)
        c = node_info(ld, path, d->json, format, &info);
    if (c == ZF_ENOMEM)
        *res = c;
    else if (c != ZF_OK)
        *res = add_node(ld, path, ZF_NODE_ARRAY, format, d->mtime, c, err.msg,
                        NULL, NULL);
    else if (group) {
        *res = add_node(ld, path, ZF_NODE_GROUP, format, d->mtime, ZF_OK, NULL,
                        NULL, &info);
        if (*res == ZF_OK)
            *res = walk_children(ld, path, depth);
    } else
        *res = add_array(ld, path, format, d->json, d->text, key, d->mtime,
                         &info);
    if (d == &own)
        doc_clear(&own);
    return 1;
}

/* Adds the node at path (if it has metadata) and, for a group, its children.
 * Folders without metadata (chunk folders) are not nodes.  `root` is the
 * root's zarr.json, already read (NULL below the root). */
static zf_code walk(loader *ld, const char *path, int depth, const doc *root)
{
    zf_code res = ZF_OK;
    if (depth > ZF_MAX_WALK_DEPTH || stopped(ld, res))
        return ZF_OK;
    if (try_node(ld, path, "zarr.json", 3, depth, root, &res) ||
        try_node(ld, path, ".zarray", 2, depth, NULL, &res) ||
        try_node(ld, path, ".zgroup", 2, depth, NULL, &res))
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

/* Adds a warning to the set: something left out (zf_warning_at).  Out of
 * memory, the warning is lost; the load goes on. */
static void warn(loader *ld, const char *doc, const char *key, const char *why)
{
    zf_nodeset *ns = ld->set;
    zf_err msg;
    zf_err_set(&msg, ZF_EMETA, "%s key \"%s\" left out: %s", doc, key, why);
    char **w = realloc(ns->warnings, (ns->nwarnings + 1) * sizeof *w);
    if (!w)
        return;
    ns->warnings = w;
    if ((w[ns->nwarnings] = strdup(msg.msg)))
        ns->nwarnings++;
}

/* Why the node path of a consolidated key cannot be used (NULL: it can).
 * Such a key would name a node outside the store, two nodes at once, or
 * one that no walk would find. */
static const char *bad_node_path(const char *path, size_t len)
{
    if (len == 0)
        return "an empty node path (only the root's own key may have one)";
    if (len > ZF_MAX_NODE_PATH)
        return "the node path is too long";
    char buf[ZF_MAX_NODE_PATH + 1];
    memcpy(buf, path, len);
    buf[len] = 0;
    if (!zf_store_key_is_safe(buf) || buf[len - 1] == '/')
        return "a leading \"/\", or an empty, \".\" or \"..\" component";
    return NULL;
}

/* Collects the nodes of a v2 .zmetadata ("a/b/.zarray" keys) or of v3
 * consolidated_metadata ("a/b" keys), the root excluded.  Keys that name
 * no valid node are left out with a warning. */
static size_t collect(loader *ld, json_object *meta, int format, entry *out,
                      size_t cap)
{
    const char *doc_name = format == 2 ? ".zmetadata:"
                                       : "zarr.json: consolidated_metadata";
    size_t n = 0;
    json_object_object_foreach(meta, key, doc) {
        if (n == cap || !json_object_is_type(doc, json_type_object))
            continue;
        entry e = {key, doc, format, 0};
        size_t kl = strlen(key), pl = kl;
        if (format == 2) {
            int arr = kl >= 7 && !strcmp(key + kl - 7, ".zarray");
            int grp = kl >= 7 && !strcmp(key + kl - 7, ".zgroup");
            if ((!arr && !grp) || kl == 7)
                continue; /* .zattrs, the root */
            if (key[kl - 8] != '/') {
                warn(ld, doc_name, key, "not a node's metadata key (PATH/.zarray "
                     "or PATH/.zgroup)");
                continue;
            }
            e.group = grp;
            pl = kl - 8;
        } else {
            json_object *nt = zf_json_get(doc, "node_type");
            e.group = nt && !strcmp(json_object_get_string(nt), "group");
        }
        const char *why = bad_node_path(key, pl);
        if (why) {
            warn(ld, doc_name, key, why);
            continue;
        }
        out[n++] = e;
    }
    return n;
}

/* A v2 node's attributes in .zmetadata ("PATH/.zattrs"; ".zattrs" for
 * the root); NULL for v3 (in the node's own entry) or none. */
static json_object *consolidated_attrs(json_object *meta, int format,
                                       const char *path)
{
    if (format != 2)
        return NULL;
    char key[4200];
    snprintf(key, sizeof key, "%s%s.zattrs", path, path[0] ? "/" : "");
    return zf_json_get(meta, key);
}

static zf_code add_consolidated(loader *ld, json_object *meta, int format,
                                time_t mtime)
{
    size_t cap = (size_t)json_object_object_length(meta);
    entry *es = calloc(cap ? cap : 1, sizeof *es);
    if (!es)
        return ZF_ENOMEM;
    size_t n = collect(ld, meta, format, es, cap);
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
    for (size_t i = 0; paths && i < n && !stopped(ld, c); i++) {
        char key[4096];
        snprintf(key, sizeof key, "%s%s (consolidated)", es[i].path,
                 format == 3 ? "/zarr.json" : es[i].group ? "/.zgroup" : "/.zarray");
        zf_nodeinfo info = info_of(es[i].doc, format,
                                   consolidated_attrs(meta, format, es[i].path));
        if (es[i].group)
            c = add_node(ld, es[i].path, ZF_NODE_GROUP, format, mtime, ZF_OK,
                         NULL, NULL, &info);
        else
            c = add_array(ld, es[i].path, format, es[i].doc,
                          json_object_to_json_string_ext(es[i].doc,
                                                         JSON_C_TO_STRING_PRETTY),
                          key, mtime, &info);
    }
    for (size_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
    free(es);
    return paths ? c : ZF_ENOMEM;
}

/* prev came from consolidated metadata and `d` (the document that held
 * it) cannot give it now: a walk instead would show only what the store
 * can list, nothing at all over HTTP.  So the load stops when the document
 * cannot be read (ZF_EIO), or, when strict, for any other reason (caught
 * half written, rewritten without it, deleted to be written again). */
static void consolidated_lost(loader *ld, const doc *d, const char *key)
{
    if (!ld->prev || !ld->prev->consolidated || ld->fail->code != ZF_OK)
        return;
    zf_code code = d->code != ZF_OK ? d->code : ZF_EMETA;
    if (code == ZF_EIO || ld->strict)
        zf_err_set(ld->fail, code, "%s",
                   d->code != ZF_OK ? d->err.msg
                                    : "no usable consolidated metadata any more");
    if (d->code == ZF_OK && ld->fail->code != ZF_OK)
        zf_err_prefix(ld->fail, "%s", key);
}

/* 1 if the root's consolidated metadata was used (nodes added), or the
 * load stopped.  `root` is the root's zarr.json; without one, the v2
 * .zmetadata is read. */
static int try_consolidated(loader *ld, const doc *root, zf_code *res)
{
    doc zmeta = {0};
    const doc *d = root;
    json_object *meta = NULL;
    int format = 3, used = 0;
    if (root->code == ZF_OK) {
        meta = zf_json_get(zf_json_get(root->json, "consolidated_metadata"), "metadata");
    } else if (root->missing) {
        format = 2;
        doc_load(ld->z->store, ".zmetadata", &zmeta);
        d = &zmeta;
        meta = zf_json_get(zmeta.json, "metadata");
    }
    json_object *top = format == 3 ? d->json : zf_json_get(meta, ".zgroup");
    json_object *nt = format == 3 ? zf_json_get(d->json, "node_type") : NULL;
    int root_group = format == 2 ? top != NULL
                                 : nt && !strcmp(json_object_get_string(nt), "group");
    if (meta && json_object_is_type(meta, json_type_object) && root_group) {
        used = 1;
        ld->set->consolidated = 1;
        zf_nodeinfo info = info_of(format == 3 ? d->json : top, format,
                                   consolidated_attrs(meta, format, ""));
        *res = add_node(ld, "", ZF_NODE_GROUP, format, d->mtime, ZF_OK, NULL,
                        NULL, &info);
        if (*res == ZF_OK)
            *res = add_consolidated(ld, meta, format, d->mtime);
    } else {
        consolidated_lost(ld, d, format == 3 ? "zarr.json" : ".zmetadata");
    }
    doc_clear(&zmeta);
    return used || ld->fail->code != ZF_OK;
}

zf_code zf_nodeset_load(zf_zarr *z, const zf_nodeset *prev, int strict,
                     zf_nodeset *out, zf_err *fail)
{
    zf_err none = {0};
    loader ld = {z, out, prev, strict, fail ? fail : &none};
    ld.fail->code = ZF_OK;
    if (prev && !prev->by_path)
        ld.prev = NULL; /* (not indexed: nothing to compare with) */
    doc root;
    doc_load(z->store, "zarr.json", &root);
    zf_code res = ZF_OK;
    if (!try_consolidated(&ld, &root, &res))
        res = walk(&ld, "", 0, &root);
    doc_clear(&root);
    if (res == ZF_OK)
        res = index_paths(out);
    return res;
}

/* ---- attributes ---------------------------------------------------------- */

/* The attributes of the node at `path` ("" = the root): those of its
 * zarr.json, else its .zattrs.  *out is NULL when it has none. */
zf_code zf_node_attrs(zf_zarr *z, const char *path, json_object **out,
                      zf_err *err)
{
    static const char *const files[] = {"zarr.json", ".zattrs"};
    *out = NULL;
    if (!z || !z->store) /* (an array parsed on its own: the fuzzers') */
        return ZF_OK;
    for (int k = 0; k < 2; k++) {
        char key[4200];
        snprintf(key, sizeof key, "%s%s%s", path, path[0] ? "/" : "",
                 files[k]);
        uint8_t *text = NULL;
        size_t len = 0;
        zf_code c = zf_store_get(z->store, key, ZF_MAX_METADATA_BYTES, &text,
                                 &len, err);
        if (c == ZF_ENOTFOUND)
            continue;
        json_object *doc = NULL;
        if (c == ZF_OK)
            c = zf_json_parse((const char *)text, len, key, &doc, err);
        free(text);
        if (c != ZF_OK)
            return c;
        *out = k == 0 ? json_object_get(zf_json_get(doc, "attributes")) : doc;
        if (k == 0)
            json_object_put(doc);
        return ZF_OK;
    }
    return ZF_OK;
}
