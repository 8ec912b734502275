/*
 * zarr.c - opening a store (the tree comes from tree.c), the node list,
 * array lookup, counters and zf_close.  See zarrfs.h.
 * The node list is built once by zf_open and never changes, so lookups need
 * no lock.
 */
#include "meta.h"
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
        c = zf_cache_new(ZF_INDEX_CACHE, z->pool, NULL, &z->indexes, err);
    z->prefetch = !(opts && opts->no_prefetch);
    zf_bufpool_init(&z->fetch_bufs, (size_t)64 << 20);
    /* Half the budget at most, so what is ahead never pushes out what a
     * read is using now. */
    z->prefetch_cap = budget / 2;
    if (c == ZF_OK && zf_tree_load(z) != ZF_OK)
        c = zf_err_set(err, ZF_ENOMEM, "%s: out of memory", path);
    if (c == ZF_OK && z->nnodes == 0)
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
    for (size_t i = 0; i < z->nnodes; i++) {
        zf_array_free(z->arrays[i]);
        free((char *)z->nodes[i].path);
        free((char *)z->nodes[i].error);
    }
    free(z->arrays);
    free(z->codes);
    free(z->nodes);
    zf_store_close(z->store);
    free(z);
}

size_t zf_node_count(const zf_zarr *z)
{
    return z->nnodes;
}

const zf_node *zf_node_at(const zf_zarr *z, size_t i)
{
    return i < z->nnodes ? &z->nodes[i] : NULL;
}

zf_code zf_array_get(zf_zarr *z, const char *path, zf_array **out, zf_err *err)
{
    while (path[0] == '/')
        path++;
    for (size_t i = 0; i < z->nnodes; i++) {
        if (strcmp(z->nodes[i].path, path) != 0)
            continue;
        if (z->nodes[i].kind != ZF_NODE_ARRAY)
            return zf_err_set(err, ZF_EINVAL, "'%s' is a group, not an array", path);
        if (!z->arrays[i])
            return zf_err_set(err, z->codes[i], "%s", z->nodes[i].error);
        *out = z->arrays[i];
        return ZF_OK;
    }
    return zf_err_set(err, ZF_ENOTFOUND, "no array '%s' in the store", path);
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
}

int zf_stats_json(const zf_stats *s, char *buf, size_t size)
{
    return snprintf(buf, size,
                    "{\"store_reads\": %" PRIu64 ", \"store_bytes_read\": %" PRIu64
                    ", \"index_reads\": %" PRIu64 ", \"chunks_decoded\": %" PRIu64
                    ", \"bytes_served\": %" PRIu64 ", \"cache_hits\": %" PRIu64
                    ", \"cache_misses\": %" PRIu64 ", \"prefetch_hits\": %" PRIu64
                    ", \"prefetch_wasted_bytes\": %" PRIu64
                    ", \"in_place_decodes\": %" PRIu64 "}",
                    s->store_reads, s->store_bytes_read, s->index_reads,
                    s->chunks_decoded, s->bytes_served, s->cache_hits,
                    s->cache_misses, s->prefetch_hits, s->prefetch_wasted_bytes,
                    s->in_place_decodes);
}
