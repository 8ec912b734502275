/*
 * pool.h - a fixed set of worker threads running jobs from two queues.
 *
 * Decode jobs (ZF_JOB_TASK) belong to a group; zf_group_wait returns when all
 * jobs of the group have run, and while it waits the calling thread runs
 * queued decode jobs (and then prefetch jobs, which may be loading what it
 * waits for) itself.  That is what makes nesting safe: a read running
 * on a worker (a ZF_JOB_READ, the asynchronous API) can fan its chunks out to
 * the same pool and wait without deadlock, because waiters help.  Workers
 * prefer decode jobs, so a read that has started finishes before new reads
 * start.
 *
 * I/O jobs (ZF_JOB_IO: store requests that wait on the network) run on
 * threads of their own, so that many requests can be in flight while the
 * decode threads stay as many as the cores; a pool made with no I/O threads
 * runs them as decode jobs.  Waiters never run I/O jobs: they would block
 * on the network instead of decoding.
 *
 * Threads start with the first submitted job, so a process may create a pool
 * and fork before any thread exists (zarrfs daemonizes after opening).
 *
 * Ownership: zf_pool_new/zf_pool_free; a group lives on the waiter's stack.
 * Thread safety: everything may be called from any thread, including jobs.
 * zf_pool_free waits for queued jobs to finish, and runs the jobs they queue
 * meanwhile (an I/O job queued after the I/O threads stopped runs as a
 * decode job).
 */
#ifndef ZF_POOL_H
#define ZF_POOL_H

#include "err.h"

typedef struct zf_pool zf_pool;

typedef struct zf_group {
    long pending; /* guarded by the pool's lock */
} zf_group;

/* Decode jobs first, then whole reads, then prefetches (which only use
 * threads that have nothing else to do); I/O jobs on the I/O threads. */
typedef enum zf_job_kind {
    ZF_JOB_TASK,
    ZF_JOB_READ,
    ZF_JOB_PREFETCH,
    ZF_JOB_IO,
    ZF_JOB_KINDS
} zf_job_kind;

/* `threads` decode threads (at least 1) and `io_threads` I/O threads (0:
 * I/O jobs are decode jobs). */
zf_code zf_pool_new(int threads, int io_threads, zf_pool **out, zf_err *err);
void zf_pool_free(zf_pool *p);
int zf_pool_threads(const zf_pool *p);
int zf_pool_io_threads(const zf_pool *p);

/* Queues fn(arg).  g may be NULL for jobs nobody waits for.  Returns
 * ZF_ENOMEM if the job could not be queued (then fn was not run). */
zf_code zf_pool_submit(zf_pool *p, zf_job_kind kind, zf_group *g,
                       void (*fn)(void *), void *arg);

/* Runs queued decode jobs until every job of g has finished. */
void zf_group_wait(zf_pool *p, zf_group *g);

/* For groups that count something other than submitted jobs (a cache entry
 * being loaded): add n to the count, or mark one unit done. */
void zf_group_add(zf_pool *p, zf_group *g, long n);
void zf_group_done(zf_pool *p, zf_group *g);

#endif
