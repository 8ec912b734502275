/*
 * engine.h - the engine's internal view of an opened store (struct zf_zarr)
 * and of its arrays (struct zf_array), shared by zarr.c (opening, listing),
 * meta/ (parsing metadata) and read/ (reading).
 *
 * A zf_zarr owns its store, its thread pool, its counters and every array.
 * An array (struct zf_array) is immutable once made, so reads need no lock;
 * the counters are atomics.  The node set (z->nodes) is replaced as a whole
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
#include "read/cache.h"
#include "meta/dtype.h"
#include "read/pipeline.h"
#include "pool.h"
#include "store/store.h"

typedef struct zf_counters {
    atomic_uint_fast64_t store_reads, store_bytes_read, index_reads,
        chunks_decoded, bytes_served, in_place_decodes, cached_reads,
        cached_bytes, partial_reads;
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
    int exact;       /* reads in a row that began where the one before
                        ended */
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

typedef struct zf_nodeset zf_nodeset; /* nodes.h */

struct zf_zarr {
    zf_store *store;
    zf_pool *pool;
    zf_cache *chunks;  /* decoded chunks */
    zf_cache *indexes; /* decoded shard indexes */
    zf_bufpool fetch_bufs; /* for fetch runs (fetch.c) */
    int prefetch;
    int attributes;    /* zf_options.attributes */
    uint64_t prefetch_cap; /* largest prefetch window, in flat bytes */
    zf_counters counters;
    zf_cache_counters index_counters; /* the index cache's (stale only) */
    zf_prefetched_fn on_prefetched;   /* zf_set_prefetch_hook */
    void *on_prefetched_arg;
    zf_nodeset *nodes;   /* the groups and arrays, as last read */
    zf_array *retired;   /* arrays zf_refresh replaced, newest first */
    int refresh_failures; /* zf_refresh calls in a row that kept the old set */
    uint64_t generation;  /* zf_refresh calls that changed the set */
};

#define ZF_DEFAULT_CACHE ((size_t)256 << 20)
#define ZF_INDEX_CACHE ((size_t)32 << 20)

/* Upper bound of a chunk's decoded size (ZF_ELIMIT above it). */
#define ZF_MAX_CHUNK_BYTES ((uint64_t)4 << 30)
/* Upper bound of a metadata document. */
#define ZF_MAX_METADATA_BYTES ((size_t)16 << 20)

#endif
