/*
 * cache.h - a bounded, single-flight LRU cache of byte buffers: decoded
 * chunks (and, in a second instance, shard indexes).
 *
 * An entry is named by (owner, key, offset) — owner tells arrays and
 * pipelines apart — and carries a validity tag (the reads give the key's
 * store version, zf_store_stat.version: locally from its inode, size and
 * times, remotely from its ETag or size and Last-Modified): an entry whose
 * tag differs is stale and is replaced, even while it is being loaded (its
 * loader and waiters keep their entry; the caller with the other tag gets
 * a new one to load).  Lookups never decode: zf_cache_acquire returns
 * either a ready entry, an entry another thread is loading (wait for it
 * with zf_cache_wait), or a new entry the caller must load and then
 * zf_cache_publish.  So one chunk is never decoded
 * twice at once.
 *
 * Waiting uses the pool's helping wait (pool.h): a waiter runs queued decode
 * and prefetch jobs meanwhile, so it cannot deadlock against a loader still
 * in a queue.  Loaders never wait, which keeps waits acyclic.
 *
 * Memory: least recently used unreferenced ready entries are evicted to
 * keep the entries' bytes within the budget.  Entries that readers hold
 * cannot be evicted; a read's new entry is inserted anyway, so the budget
 * may be exceeded by what is held at the moment, and is restored as holders
 * release.  An entry larger than the whole budget is kept outside it, at
 * most ZF_CACHE_OVERSIZE of them at once: a stream reading such a chunk a
 * slice at a time then decodes it once, not once a slice, and a prefetch
 * can decode the next one meanwhile; the least recently used unreferenced
 * one makes way for the next.  So the bytes held stay within budget +
 * ZF_CACHE_OVERSIZE chunks + what readers hold at the moment.
 *
 * One budget for all the daemon's large memory: besides the entries, the
 * scratch of the decodes in flight (zf_cache_charge) and the kept buffers
 * of a shared buffer pool (zf_cache_share) count against it.  Room is made
 * by evicting entries, then trimming the pool; a decode that finds no
 * room waits for another in flight to end, so decode parallelism is capped
 * by memory as well as by threads.  (Issue 22's benchmark measured the
 * daemon at 1,402 MiB with cache_size=1G when only entries were counted.)
 * Thread-safe: one mutex (taken before the pool's, never after).
 * Ownership: every acquired entry is released once with zf_cache_release.
 */
#ifndef ZF_CACHE_H
#define ZF_CACHE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "bufpool.h"
#include "pool.h"

typedef struct zf_cache zf_cache;

typedef struct zf_centry {
    uint8_t *data;   /* size bytes; written by the loader only */
    size_t size;
    /* private to cache.c */
    const void *owner;
    char *key;
    uint64_t off, tag;
    int state, refs, prefetched;
    zf_group ready;
    struct zf_centry *hnext, *prev, *next;
} zf_centry;

typedef enum zf_cache_result {
    ZF_CACHE_HIT,  /* ready: read data, then release */
    ZF_CACHE_BUSY, /* being loaded by another: zf_cache_wait, then see */
    ZF_CACHE_LOAD, /* yours to load into data, then zf_cache_publish */
    ZF_CACHE_NONE  /* not cacheable (too large, or no room for a prefetch) */
} zf_cache_result;

typedef struct zf_cache_counters {
    atomic_uint_fast64_t hits, misses, prefetch_hits, prefetch_wasted_bytes;
    atomic_uint_fast64_t stale; /* entries found with another tag: changes */
} zf_cache_counters;

#define ZF_CACHE_OVERSIZE 2

zf_code zf_cache_new(size_t budget, zf_pool *pool, zf_cache_counters *counters,
                     zf_cache **out, zf_err *err);
void zf_cache_free(zf_cache *c);

typedef enum zf_cache_mode {
    ZF_CACHE_LOOKUP,  /* use an entry if there is one; never claim */
    ZF_CACHE_INSERT,  /* claim a missing entry, evicting as needed */
    ZF_CACHE_PREFETCH /* claim only into free room; counted as prefetch */
} zf_cache_mode;

/* Looks up or claims an entry of `size` bytes.  Prefetched entries never
 * evict anything and count as prefetch hits (or wasted bytes) later. */
zf_cache_result zf_cache_acquire(zf_cache *c, const void *owner,
                                 const char *key, uint64_t off, uint64_t tag,
                                 size_t size, zf_cache_mode mode,
                                 zf_centry **out);

/* Waits for a BUSY entry; returns 1 if it is now ready, 0 if its load failed
 * (the entry is then released by this call). */
int zf_cache_wait(zf_cache *c, zf_centry *e);

/* Ends a load: ok = the data is valid.  A failed entry is dropped. */
void zf_cache_publish(zf_cache *c, zf_centry *e, int ok);

void zf_cache_release(zf_cache *c, zf_centry *e);

/* Charges the pool's kept bytes to this cache's budget (set once, before
 * use; bufs outlives the cache). */
void zf_cache_share(zf_cache *c, zf_bufpool *bufs);

/* Charges n bytes of a decode's scratch to the budget, making room or
 * waiting for another decode charged so to end; uncharge (decode = 1)
 * when it ends.  Such a charge is held by one job from start to end, and
 * that job waits for nothing else meanwhile, so a wait always ends. */
void zf_cache_charge(zf_cache *c, size_t n);

/* Charges n bytes that live across jobs (a fetch run's buffer, held until
 * the decode jobs of its tasks end): only into room that eviction can
 * make, never waiting, since the jobs that would end it may be queued
 * behind the waiter.  Returns 0 without room (fetch.c then reads the run
 * uncharged); uncharge with decode = 0. */
int zf_cache_charge_try(zf_cache *c, size_t n);

void zf_cache_uncharge(zf_cache *c, size_t n, int decode);

/* Bytes held now (for tests and stats). */
size_t zf_cache_bytes(zf_cache *c);

#endif
