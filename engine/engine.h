/*
 * engine.h - the engine's internal view of an opened store (struct zf_zarr)
 * and of its arrays (struct zf_array), shared by zarr.c (opening, listing),
 * meta.c (parsing metadata) and read.c / plan.c / decode.c (reading).
 *
 * A zf_zarr owns its store, its thread pool, its counters and every array.
 * An array (struct zf_array) is immutable once made, so reads need no lock;
 * the counters are atomics.  The node set (z->tree) is replaced as a whole
 * by zf_refresh, which the caller serializes with the functions that look at
 * it (zf_node_count, zf_node_at, zf_array_get); the set it replaces is
 * freed, but the arrays it replaces are kept on z->retired until zf_close,
 * because readers may still hold them.
 * Everything is freed by zf_close.
 */
#ifndef ZF_ENGINE_H
#define ZF_ENGINE_H

#include <stdatomic.h>

#include <pthread.h>

#include "bufpool.h"
#include "cache.h"
#include "dtype.h"
#include "pipeline.h"
#include "pool.h"
#include "store/store.h"

typedef struct zf_counters {
    atomic_uint_fast64_t store_reads, store_bytes_read, index_reads,
        chunks_decoded, bytes_served, in_place_decodes, cached_reads,
        cached_bytes;
    zf_cache_counters cache; /* hits, misses, prefetch hits and waste */
} zf_counters;

/* Sequential-read detection of one array (read.c): a few streams, so that
 * readers going through different parts of a file at once each keep theirs. */
#define ZF_SEQ_STREAMS 4
typedef struct zf_stream {
    uint64_t first;  /* where the stream began */
    int across;      /* it has read two chunks' runs through (read.c) */
    uint64_t next;   /* where the next sequential read would start */
    uint64_t window; /* bytes to keep decoded ahead; 0 = not sequential */
    uint64_t ahead;  /* prefetch has been queued up to here */
    uint64_t used;   /* tick of the last read, to replace the oldest */
} zf_stream;

typedef struct zf_seq {
    pthread_mutex_t lock;
    uint64_t tick;
    zf_stream s[ZF_SEQ_STREAMS];
} zf_seq;

struct zf_array {
    zf_zarr *z;
    zf_array_info info;
    char *key_prefix;  /* "" or "path/": prepended to chunk keys */
    int ndim;
    uint64_t shape[ZF_MAX_DIMS];
    uint64_t chunks[ZF_MAX_DIMS]; /* the chunk grid (shards when sharded) */
    uint64_t grid[ZF_MAX_DIMS];   /* chunks per dimension */
    const zf_dtype *dt;
    uint8_t fill[16];
    char separator;
    int v2_keys;       /* chunk_key_encoding v2: "0.1", not "c/0/1" */
    zf_pipeline *pipe;
    char *metadata_json;
    zf_seq seq;
    char *path;             /* info.path's string: the array's own */
    struct zf_array *older; /* on z->retired: the next older array */
};

/* The groups and arrays of a store at one moment (tree.c).  Node i's
 * strings and arrays[i] belong to the set, except that zf_refresh moves an
 * unchanged array from the old set to the new one (an array owns its path,
 * so it outlives the set it came with). */
typedef struct zf_nodeset {
    zf_node *nodes;
    zf_array **arrays; /* one per node; NULL for groups and failed arrays */
    zf_code *codes;    /* one per node: why an array failed, else ZF_OK */
    size_t count;
    size_t *by_path;   /* node indexes in strcmp order of their paths */
    int consolidated;  /* read from consolidated metadata */
    char **warnings;   /* what was left out, and why (zf_warning_at) */
    size_t nwarnings;
} zf_nodeset;

struct zf_zarr {
    zf_store *store;
    zf_pool *pool;
    zf_cache *chunks;  /* decoded chunks */
    zf_cache *indexes; /* decoded shard indexes */
    zf_bufpool fetch_bufs; /* for fetch runs (fetch.c) */
    int prefetch;
    uint64_t prefetch_cap; /* largest prefetch window, in flat bytes */
    zf_counters counters;
    zf_cache_counters index_counters; /* the index cache's (stale only) */
    zf_prefetched_fn on_prefetched;   /* zf_set_prefetch_hook */
    void *on_prefetched_arg;
    zf_nodeset *tree;    /* the groups and arrays, as last read */
    zf_array *retired;   /* arrays zf_refresh replaced, newest first */
    int refresh_failures; /* zf_refresh calls in a row that kept the tree */
};

#define ZF_DEFAULT_CACHE ((size_t)256 << 20)
#define ZF_INDEX_CACHE ((size_t)32 << 20)

/* Upper bound of a chunk's decoded size (ZF_ELIMIT above it). */
#define ZF_MAX_CHUNK_BYTES ((uint64_t)4 << 30)
/* Upper bound of a metadata document. */
#define ZF_MAX_METADATA_BYTES ((size_t)16 << 20)

void zf_array_free(zf_array *a);

/* Finds every group and array of z->store and fills `out` (zeroed by the
 * caller; tree.c): from consolidated metadata when the root has it, else by
 * walking the folders.  Problems with one node become that node's error;
 * only ZF_ENOMEM is returned (free `out` then).
 * `prev` (NULL at open) is the set a refresh replaces.  The load stops and
 * sets *fail (may be NULL) when the new set would lose what prev knew: the
 * root, or prev's consolidated document, cannot be read (ZF_EIO); or, when
 * `strict`, a node prev read fine fails now, a folder prev had nodes in
 * cannot be listed, or prev's consolidated metadata cannot be used any
 * more.  Then `out` is incomplete: free it and keep prev. */
zf_code zf_tree_load(zf_zarr *z, const zf_nodeset *prev, int strict,
                     zf_nodeset *out, zf_err *fail);

/* The index of the node at `path` in ns, or -1.  Frees a set with its
 * strings and arrays (not the sets it links to). */
long zf_nodeset_find(const zf_nodeset *ns, const char *path);
void zf_nodeset_free(zf_nodeset *ns);

/* Builds the store key of the chunk at grid coordinates idx into buf;
 * ZF_ELIMIT if it does not fit. */
zf_code zf_chunk_key(const zf_array *a, const uint64_t *idx, char *buf,
                     size_t size, zf_err *err);

#endif
