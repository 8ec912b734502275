/*
 * fetch.h - bringing the encoded bytes of a read's tasks from the store in
 * few requests: the ranges of one key, sorted by offset, merge into one run
 * where they are adjacent or separated by less than the store's
 * coalesce_gap bytes (the gap is read and thrown away), up to its
 * coalesce_max bytes a run (a single range may be larger).
 * Each run is one store request; runs are independent, so the reader hands
 * them to the pool as I/O jobs (pool.h: a remote store's requests wait on
 * threads of their own) and they are fetched in parallel, each followed by
 * the decoding of its tasks on the decode threads.
 *
 * Ownership: a zf_fetch belongs to one plan and holds the runs' buffers (the
 * tasks' src point into them) until zf_fetch_free, after the tasks ran.
 * Thread safety: different runs may be fetched on different threads.
 */
#ifndef ZF_FETCH_H
#define ZF_FETCH_H

#include "plan.h"

typedef struct zf_fetch zf_fetch;

typedef struct zf_fetch_run {
    zf_fetch *fetch;
    const char *key;
    uint64_t off, end;
    zf_task **tasks; /* the run's tasks, by offset */
    size_t ntasks;
    uint8_t *buf;
    size_t cap;            /* buf's size (from the zarr's buffer pool) */
    size_t charged;        /* bytes charged to the chunk cache's budget */
    atomic_size_t pending; /* tasks not yet done with buf */
} zf_fetch_run;

/* Groups the tasks of pl that must decode into runs (a task reading part
 * of a raw chunk in one range joins with that range).  Tasks that need no
 * bytes (cache hits, missing keys, failures) or read their own (raw chunks
 * that land whole in the destination, parts of raw chunks in several
 * ranges) are in no run.  NULL only when out of memory, and then every task
 * fetches its own bytes. */
zf_fetch *zf_fetch_new(zf_plan *pl);
size_t zf_fetch_count(const zf_fetch *f);
zf_fetch_run *zf_fetch_get(zf_fetch *f, size_t i);
/* Reads one run and hands each of its tasks its slice (or its error).
 * The run's buffer is charged to the chunk cache's budget (cache.h) while
 * it lives when there is room; when there is none it is read uncharged
 * (splitting it into its tasks' own reads multiplied remote GETs). */
void zf_fetch_read(zf_fetch_run *r);

/* A task of the run is done with its bytes; the last one frees the buffer,
 * so a read holds only the runs still being decoded. */
void zf_fetch_task_done(zf_fetch_run *r);

void zf_fetch_free(zf_fetch *f);

#endif
