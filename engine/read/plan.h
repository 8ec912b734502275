/*
 * plan.h - one read, as a list of decode tasks, and their execution.
 *
 * Planning (plan.c) turns a box of one chunk into tasks: a plain chunk is
 * one task; for a shard the index is read (through the index cache) and
 * each inner chunk the box touches becomes a task (recursively for nested
 * shards), so a read never fetches chunk bytes it does not decode.  Empty
 * inner chunks and missing keys are filled right there.
 *
 * Then (zf_plan_run, run.h) each task is matched with the decoded-chunk
 * cache (zf_plan_lookup, here), the bytes of the tasks that must decode are
 * fetched in coalesced range reads (fetch.h), and the tasks run on the pool
 * (task.h): copy from the cache, decode into a cache entry and copy, or
 * decode straight into the destination.
 *
 * A zf_plan belongs to one read; tasks run on any thread, each writing only
 * its own fields and its own part of the destination.  Errors: a task's
 * error names its key; the read reports the first.
 */
#ifndef ZF_PLAN_H
#define ZF_PLAN_H

#include "box.h"
#include "engine.h"

#define ZF_WHOLE_KEY UINT64_MAX

typedef enum zf_task_mode {
    ZF_TASK_DIRECT, /* decode into dst (no cache entry) */
    ZF_TASK_IN_PLACE, /* a raw chunk (bytes codec alone) landing whole and
                         contiguous in dst: its bytes are read straight
                         there, no fetch run, no scratch */
    ZF_TASK_PARTIAL, /* part of a raw chunk (bytes codec alone), not in the
                        cache: only the byte ranges of the chunk its box
                        touches are read (partial.h), then copied into dst;
                        a chunk read so is never cached */
    ZF_TASK_HIT,    /* copy from a ready cache entry */
    ZF_TASK_LOAD,   /* decode into a claimed cache entry, then copy */
    ZF_TASK_WAIT,   /* another read is loading the entry: wait, then copy */
    ZF_TASK_DONE    /* nothing left to do (a prefetch that was not needed) */
} zf_task_mode;

typedef struct zf_task {
    const zf_pipeline *pipe; /* not sharded */
    const char *key;
    uint64_t off, len;       /* byte range in key */
    uint64_t tag; /* the key's version (zf_store_stat.version of the whole
                     key, never 0): its cache entry's tag, and the version
                     its store reads check (ZF_ECHANGED) */
    uint64_t lo[ZF_MAX_DIMS], count[ZF_MAX_DIMS];
    uint64_t step[ZF_MAX_DIMS]; /* every step-th element from lo (>= 1) */
    zf_strided dst;             /* unused when prefetching */
    zf_array *array;
    int prefetch;            /* fill the cache only */
    zf_task_mode mode;
    zf_centry *entry;
    const uint8_t *src;      /* fetched encoded bytes, or NULL: fetch */
    size_t srclen;
    struct zf_fetch_run *run; /* its bytes come with this fetch run */
    /* ZF_TASK_PARTIAL: how many ranges it reads, and the first, in key:
     * [part_off, part_off + part_len); one range comes with a fetch run
     * like the bytes of other tasks (its src then starts there) */
    uint64_t part_off, part_len;
    uint64_t part_ranges;
    zf_code code;
    zf_err err;
} zf_task;

typedef struct zf_plan {
    zf_array *array;
    int prefetch;
    int once;     /* the reader needs these chunks this once: a chunk it
                     uses part of is not kept in the cache for it */
    int stream;   /* the read continues a sequential stream exactly (read.c:
                     follow): the reads after it will want the rest of its
                     chunks, so a raw chunk is read whole and kept, not
                     read in part */
    int cached;   /* zf_array_read_cached: a shard index is used only when
                     ready in its cache (no load, no wait: a wait would run
                     other reads' queued decodes) */
    zf_task *tasks;
    size_t ntasks, cap;
    char **keys;  /* owned copies of the keys the tasks name */
    size_t nkeys, capkeys;
} zf_plan;

/* Plans the box (lo, count) of the chunk stored at key[off, off+len) decoded
 * by p into dst; len ZF_WHOLE_KEY means the whole key, whatever its size.
 * `tag` is the version of the key's content (zf_store_stat.version; 0 for
 * a whole key: its size and version are read here, a store stat); cached
 * decodes and indexes of another version are not used. */
zf_code zf_plan_chunk(zf_plan *pl, const zf_pipeline *p, const char *key,
                      uint64_t off, uint64_t len, uint64_t tag,
                      const uint64_t *lo, const uint64_t *count,
                      const zf_strided *dst, zf_err *err);

/* zf_plan_chunk for a strided box: the elements lo + step * k, k < count,
 * per dimension (step NULL: all 1); dst holds the selected ones. */
zf_code zf_plan_chunk_step(zf_plan *pl, const zf_pipeline *p, const char *key,
                           uint64_t off, uint64_t len, uint64_t tag,
                           const uint64_t *lo, const uint64_t *count,
                           const uint64_t *step, const zf_strided *dst,
                           zf_err *err);

/* Plans one cell of a walk over the array's chunk grid (zf_grid_each or
 * zf_grid_each_step with the same step): the chunk at cell->at, its part
 * cell->lo, cell->count (every step-th element; step NULL: all), into
 * `box`, the destination of the box walked, at cell->rel. */
zf_code zf_plan_cell(zf_plan *pl, const zf_grid_cell *cell,
                     const uint64_t *step, const zf_strided *box, zf_err *err);

/* Reads key[off, off+len) of version `tag` (the tag a task or index was
 * planned with; 0: any, see zf_range_req) into buf, counting it; a short
 * read is corruption (the index or the chunk grid promised those bytes). */
zf_code zf_plan_read_range(zf_array *a, const char *key, uint64_t off,
                           size_t len, uint64_t tag, void *buf, zf_err *err);

/* Matches each task with the cache (sets mode and entry; a task that
 * would decode straight into dst and needs no codec is ZF_TASK_IN_PLACE;
 * one that needs a small part of a large raw chunk not in the cache, and
 * is not a prefetch, is ZF_TASK_PARTIAL). */
void zf_plan_lookup(zf_plan *pl);

/* The bytes of key the task reads: [off, off + len), or its one range when
 * it is ZF_TASK_PARTIAL. */
static inline void zf_task_range(const zf_task *t, uint64_t *off,
                                 uint64_t *len)
{
    int part = t->mode == ZF_TASK_PARTIAL;
    *off = part ? t->part_off : t->off;
    *len = part ? t->part_len : t->len;
}

/* Frees the plan's tasks and its copies of their keys.  It releases no
 * cache entry: those are released by whoever acquired them (each task as
 * zf_plan_run runs it, even when it fails or another task has failed;
 * zf_array_read_cached for the entries it holds), so a plan is freed only
 * after it ran, or before zf_plan_lookup, when no task holds one. */
void zf_plan_free(zf_plan *pl);

#endif
