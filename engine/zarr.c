/*
 * zarr.c - opening a store (the node set comes from nodes.c), the node list,
 * array lookup, re-reading the metadata (zf_refresh), counters and zf_close.
 * See zarrfs.h.
 * The node list is built by zf_open and replaced as a whole by zf_refresh;
 * the caller serializes zf_refresh with the lookups (zf_node_count,
 * zf_node_at, zf_array_get), so they need no lock.  Reads never look at the
 * node list: they go through array handles, which stay valid (replaced
 * arrays move to z->retired) until zf_close.
 */
#include "meta/array.h"
#include "meta/nodes.h"
#include "store/store_http.h"

#include <json-c/json.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

zf_code zf_open(const char *path, const zf_options *opts, zf_zarr **out,
                zf_err *err)
{
    zf_err local;
    if (!err) /* engine code always has a zf_err to write */
        err = &local;
    zf_zarr *z = calloc(1, sizeof *z);
    if (!z)
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory", path);
    /* The store, by the URL's scheme.  Decoding gets a thread per core; a
     * remote store's requests wait on the network, so they get threads of
     * their own, one per connection. */
    int remote = zf_store_is_remote(path);
    zf_code c = remote ? zf_store_open_remote(path, opts ? opts->remote : NULL,
                                              &z->store, err)
                       : zf_store_open_local(path, 0, &z->store, err);
    int threads = opts && opts->threads > 0 ? opts->threads
                                            : (int)sysconf(_SC_NPROCESSORS_ONLN);
    int conns = opts && opts->remote ? opts->remote->connections : 16;
    if (c == ZF_OK)
        c = zf_pool_new(threads, remote ? conns : 0, &z->pool, err);
    size_t budget = opts && opts->cache_bytes ? opts->cache_bytes : ZF_DEFAULT_CACHE;
    if (c == ZF_OK)
        c = zf_cache_new(budget, z->pool, &z->counters.cache, &z->chunks, err);
    if (c == ZF_OK)
        c = zf_cache_new(ZF_INDEX_CACHE, z->pool, &z->index_counters, &z->indexes, err);
    z->prefetch = !(opts && opts->no_prefetch);
    z->attributes = opts && opts->attributes;
    zf_bufpool_init(&z->fetch_bufs, (size_t)64 << 20);
    if (c == ZF_OK) /* its kept buffers count against the chunk budget */
        zf_cache_share(z->chunks, &z->fetch_bufs);
    /* Half the budget at most, so what is ahead never pushes out what a
     * read is using now. */
    z->prefetch_cap = budget / 2;
    if (c == ZF_OK && (!(z->nodes = calloc(1, sizeof *z->nodes)) ||
                       zf_nodeset_load(z, NULL, 0, z->nodes, NULL) != ZF_OK))
        c = zf_err_set(err, ZF_ENOMEM, "%s: out of memory", path);
    if (c == ZF_OK && z->nodes->count == 0)
        c = zf_err_set(err, ZF_ENOTFOUND, "%s: not a Zarr store (no zarr.json, "
                       ".zgroup or .zarray at its root)", path);
    if (c != ZF_OK) {
        zf_close(z);
        return c;
    }
    *out = z;
    return ZF_OK;
}

void zf_close(zf_zarr *z)
{
    if (!z)
        return;
    zf_pool_free(z->pool);
    zf_cache_free(z->chunks);
    zf_cache_free(z->indexes);
    zf_bufpool_destroy(&z->fetch_bufs);
    zf_nodeset_free(z->nodes);
    while (z->retired) {
        zf_array *a = z->retired;
        z->retired = a->older;
        zf_array_free(a);
    }
    zf_store_close(z->store);
    free(z);
}

size_t zf_node_count(const zf_zarr *z)
{
    return z->nodes->count;
}

const zf_node *zf_node_at(const zf_zarr *z, size_t i)
{
    return i < z->nodes->count ? &z->nodes->nodes[i] : NULL;
}

size_t zf_warning_count(const zf_zarr *z)
{
    return z->nodes->nwarnings;
}

const char *zf_warning_at(const zf_zarr *z, size_t i)
{
    return i < z->nodes->nwarnings ? z->nodes->warnings[i] : NULL;
}

zf_code zf_array_get(zf_zarr *z, const char *path, zf_array **out, zf_err *err)
{
    while (path[0] == '/')
        path++;
    const zf_nodeset *ns = z->nodes;
    long i = zf_nodeset_find(ns, path);
    if (i < 0)
        return zf_err_set(err, ZF_ENOTFOUND, "no array '%s' in the store", path);
    if (ns->nodes[i].kind != ZF_NODE_ARRAY)
        return zf_err_set(err, ZF_EINVAL, "'%s' is a group, not an array", path);
    if (!ns->arrays[i])
        return zf_err_set(err, ns->codes[i], "%s", ns->nodes[i].error);
    *out = ns->arrays[i];
    return ZF_OK;
}

/* ---- re-reading the metadata ---------------------------------------------- */

/* Refreshes in a row that may keep the node set because a node that read fine
 * fails now; past them the failure is believed (see zf_nodeset_load). */
#define ZF_REFRESH_PATIENCE 3

/* Whether node i of a and node j of b have the same metadata: path, kind,
 * format, error and, for arrays, the metadata text (so equal metadata
 * keeps its handle).  The mtime is left out: rewriting a document with the
 * same bytes changes nothing a reader sees. */
static int meta_same(const zf_nodeset *a, size_t i, const zf_nodeset *b,
                     size_t j)
{
    const zf_node *x = &a->nodes[i], *y = &b->nodes[j];
    if (strcmp(x->path, y->path) || x->kind != y->kind ||
        x->zarr_format != y->zarr_format || !x->error != !y->error ||
        (x->error && strcmp(x->error, y->error)))
        return 0;
    const zf_array *p = a->arrays[i], *q = b->arrays[j];
    if (!p || !q)
        return p == q;
    return strcmp(p->metadata_json, q->metadata_json) == 0;
}

/* meta_same, and the same attributes (what the views show of a node). */
static int node_same(const zf_nodeset *a, size_t i, const zf_nodeset *b,
                     size_t j)
{
    const zf_nodeinfo *x = &a->info[i], *y = &b->info[j];
    return meta_same(a, i, b, j) && json_object_equal(x->attrs, y->attrs) &&
           !x->attrs_error == !y->attrs_error &&
           (!x->attrs_error || !strcmp(x->attrs_error, y->attrs_error));
}

/* Both loads list nodes in the same order, so equal sets are equal node by
 * node. */
static int sets_same(const zf_nodeset *a, const zf_nodeset *b)
{
    if (a->count != b->count)
        return 0;
    for (size_t i = 0; i < a->count; i++)
        if (!node_same(a, i, b, i))
            return 0;
    return 1;
}

/* Moves every array of `old` whose metadata is unchanged in `fresh` into
 * fresh, in place of the copy just parsed, so that it keeps its cached
 * chunks and its sequential-read state.  Gives each node of fresh its
 * generation: old's when nothing of it changed, else `gen` (new). */
static void carry_arrays(zf_nodeset *old, zf_nodeset *fresh, uint64_t gen)
{
    for (size_t i = 0; i < fresh->count; i++) {
        long j = zf_nodeset_find(old, fresh->nodes[i].path);
        fresh->info[i].gen = j >= 0 && node_same(fresh, i, old, (size_t)j)
                                 ? old->info[j].gen
                                 : gen;
        if (j < 0 || !fresh->arrays[i] || !meta_same(fresh, i, old, (size_t)j))
            continue;
        zf_array_free(fresh->arrays[i]);
        fresh->arrays[i] = old->arrays[j];
        old->arrays[j] = NULL;
    }
}

/* Keeps the arrays left in `old` (replaced or removed: readers may still
 * hold them) until zf_close. */
static void retire_arrays(zf_zarr *z, zf_nodeset *old)
{
    for (size_t i = 0; i < old->count; i++)
        if (old->arrays[i]) {
            old->arrays[i]->older = z->retired;
            z->retired = old->arrays[i];
            old->arrays[i] = NULL;
        }
}

/* Loads a new set into *out, or says why the current one stays. */
static zf_code refresh_load(zf_zarr *z, zf_nodeset **out, zf_err *err)
{
    zf_err fail = {0};
    zf_nodeset *fresh = calloc(1, sizeof *fresh);
    int strict = z->refresh_failures < ZF_REFRESH_PATIENCE;
    zf_code c = fresh ? zf_nodeset_load(z, z->nodes, strict, fresh, &fail) : ZF_ENOMEM;
    if (c != ZF_OK)
        c = zf_err_set(err, ZF_ENOMEM, "%s: out of memory re-reading the "
                       "metadata", z->store->root);
    else if (fail.code != ZF_OK)
        c = zf_err_set(err, fail.code, "%s (the metadata read before is kept)",
                       fail.msg);
    else if (fresh->count == 0)
        c = zf_err_set(err, ZF_ENOTFOUND, "%s: no zarr.json, .zgroup or "
                       ".zarray at the store's root any more (the metadata "
                       "read before is kept)", z->store->root);
    if (c != ZF_OK) {
        zf_nodeset_free(fresh);
        return c;
    }
    *out = fresh;
    return ZF_OK;
}

zf_code zf_refresh(zf_zarr *z, int *changed, zf_err *err)
{
    zf_err local;
    int ignored;
    if (!err)
        err = &local;
    if (!changed)
        changed = &ignored;
    *changed = 0;
    /* A remote store remembers sizes and missing keys: ask again. */
    zf_store_forget(z->store);
    zf_nodeset *fresh = NULL;
    zf_code c = refresh_load(z, &fresh, err);
    if (c != ZF_OK) {
        z->refresh_failures++;
        return c;
    }
    z->refresh_failures = 0;
    if (sets_same(z->nodes, fresh)) {
        zf_nodeset_free(fresh);
        return ZF_OK;
    }
    carry_arrays(z->nodes, fresh, ++z->generation);
    retire_arrays(z, z->nodes);
    zf_nodeset_free(z->nodes);
    z->nodes = fresh;
    *changed = 1;
    return ZF_OK;
}

const zf_array_info *zf_array_get_info(const zf_array *a)
{
    return &a->info;
}

void zf_get_stats(const zf_zarr *z, zf_stats *s)
{
    zf_counters *c = (zf_counters *)&z->counters;
    s->store_reads = atomic_load(&c->store_reads);
    s->store_bytes_read = atomic_load(&c->store_bytes_read);
    s->index_reads = atomic_load(&c->index_reads);
    s->chunks_decoded = atomic_load(&c->chunks_decoded);
    s->bytes_served = atomic_load(&c->bytes_served);
    s->cache_hits = atomic_load(&c->cache.hits);
    s->cache_misses = atomic_load(&c->cache.misses);
    s->prefetch_hits = atomic_load(&c->cache.prefetch_hits);
    s->prefetch_wasted_bytes = atomic_load(&c->cache.prefetch_wasted_bytes);
    s->in_place_decodes = atomic_load(&c->in_place_decodes);
    s->cached_reads = atomic_load(&c->cached_reads);
    s->cached_bytes = atomic_load(&c->cached_bytes);
    s->partial_reads = atomic_load(&c->partial_reads);
}

uint64_t zf_changes(const zf_zarr *z)
{
    return atomic_load(&((zf_zarr *)z)->counters.cache.stale) +
           atomic_load(&((zf_zarr *)z)->index_counters.stale);
}

void zf_set_prefetch_hook(zf_zarr *z, zf_prefetched_fn fn, void *arg)
{
    z->on_prefetched = fn;
    z->on_prefetched_arg = arg;
}

int zf_stats_json(const zf_stats *s, char *buf, size_t size)
{
    return snprintf(buf, size,
                    "{\"store_reads\": %" PRIu64 ", \"store_bytes_read\": %" PRIu64
                    ", \"index_reads\": %" PRIu64 ", \"chunks_decoded\": %" PRIu64
                    ", \"bytes_served\": %" PRIu64 ", \"cache_hits\": %" PRIu64
                    ", \"cache_misses\": %" PRIu64 ", \"prefetch_hits\": %" PRIu64
                    ", \"prefetch_wasted_bytes\": %" PRIu64
                    ", \"in_place_decodes\": %" PRIu64
                    ", \"cached_reads\": %" PRIu64 ", \"cached_bytes\": %" PRIu64
                    ", \"partial_reads\": %" PRIu64 "}",
                    s->store_reads, s->store_bytes_read, s->index_reads,
                    s->chunks_decoded, s->bytes_served, s->cache_hits,
                    s->cache_misses, s->prefetch_hits, s->prefetch_wasted_bytes,
                    s->in_place_decodes, s->cached_reads, s->cached_bytes,
                    s->partial_reads);
}
