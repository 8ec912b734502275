/*
 * stream.c - sequential stream detection and prefetch: see stream.h.
 * Thread-safe: the detector's state (zf_array.seq) is under its lock; a
 * prefetch job owns its plan and parts, freed by its last part.
 */
#include "stream.h"

#include "fetch.h"
#include "meta/meta.h"
#include "run.h"
#include "task.h"

#include <stdlib.h>
#include <string.h>

/* The shape of what one decode yields, in the array's order: the inner
 * chunk of a sharded array (innermost, when nested) unless a transpose
 * comes before the sharding, else the chunk. */
static const uint64_t *decode_unit(const zf_array *a)
{
    const uint64_t *u = a->chunks;
    for (const zf_pipeline *p = a->pipe; p->sharded && p->naa == 0;
         p = p->shard.inner_pipe)
        u = p->shard.inner;
    return u;
}

#define ZF_PREFETCH_PIECE ((uint64_t)1 << 20)

#define ZF_PAGE_SLACK 4096 /* reads come in whole pages */

typedef struct prefetch_job {
    zf_array *a;
    uint64_t e0, e1;
    zf_plan plan;
    zf_fetch *fetch;
    struct prefetch_part *parts;
    atomic_size_t pending; /* parts still queued or running */
} prefetch_job;

/* One part of a prefetch: a fetch run (an I/O job), or a task (a prefetch
 * job: a lone one, or one of a run once its bytes are in). */
typedef struct prefetch_part {
    prefetch_job *job;
    zf_fetch_run *run;
    zf_task *task;
} prefetch_part;

static void prefetch_done(prefetch_job *j)
{
    if (atomic_fetch_sub(&j->pending, 1) != 1)
        return;
    zf_zarr *z = j->a->z;
    if (z->on_prefetched && j->plan.ntasks) {
        uint64_t isz = j->a->dt->size, end = j->e1 * isz;
        z->on_prefetched(z->on_prefetched_arg, j->a, j->e0 * isz,
                         end < j->a->info.nbytes ? end : j->a->info.nbytes);
    }
    zf_fetch_free(j->fetch);
    zf_plan_free(&j->plan);
    free(j->parts);
    free(j);
}

static void prefetch_task_run(void *arg)
{
    prefetch_part *p = arg;
    zf_plan_run_task(p->task);
    prefetch_done(p->job);
}

/* Queues the part of a task (counted in pending), or runs it here. */
static void prefetch_task_submit(prefetch_part *p)
{
    atomic_fetch_add(&p->job->pending, 1);
    if (zf_pool_submit(p->job->a->z->pool, ZF_JOB_PREFETCH, NULL,
                       prefetch_task_run, p) != ZF_OK)
        prefetch_task_run(p);
}

static void prefetch_run_fetch(void *arg)
{
    prefetch_part *p = arg;
    prefetch_job *j = p->job;
    size_t nruns = zf_fetch_count(j->fetch);
    zf_fetch_read(p->run);
    for (size_t i = 0; i < p->run->ntasks; i++)
        prefetch_task_submit(&j->parts[nruns + (size_t)(p->run->tasks[i] -
                                                        j->plan.tasks)]);
    prefetch_done(j);
}

/* Decodes the chunks of [e0, e1) into the cache.  Runs as a prefetch job,
 * only on threads with nothing else to do, and hands its parts (fetch runs,
 * chunks) to the pool as more jobs, so idle cores share them.
 * Errors are left for the reads that will need those chunks to report. */
static void prefetch_run(void *arg)
{
    prefetch_job *j = arg;
    zf_pool *pool = j->a->z->pool;
    zf_err err;
    atomic_init(&j->pending, 1);
    j->plan = (zf_plan){.array = j->a, .prefetch = 1};
    if (zf_plan_elements(&j->plan, j->e0, j->e1, NULL, &err) != ZF_OK) {
        prefetch_done(j); /* (nothing was claimed from the cache yet) */
        return;
    }
    zf_plan_lookup(&j->plan);
    j->fetch = zf_fetch_new(&j->plan);
    size_t nruns = zf_fetch_count(j->fetch), ntasks = j->plan.ntasks;
    /* parts[i]: run i, then parts[nruns + t]: task t */
    j->parts = calloc(nruns + ntasks + 1, sizeof *j->parts);
    if (!j->parts) { /* out of memory: do it all here */
        for (size_t i = 0; i < ntasks; i++) {
            if (j->plan.tasks[i].run && !j->plan.tasks[i].src)
                zf_fetch_read(j->plan.tasks[i].run);
            zf_plan_run_task(&j->plan.tasks[i]);
        }
        prefetch_done(j);
        return;
    }
    for (size_t t = 0; t < ntasks; t++)
        j->parts[nruns + t] = (prefetch_part){j, NULL, &j->plan.tasks[t]};
    for (size_t i = 0; i < nruns; i++) {
        prefetch_part *p = &j->parts[i];
        *p = (prefetch_part){j, zf_fetch_get(j->fetch, i), NULL};
        atomic_fetch_add(&j->pending, 1);
        /* (without I/O threads, a prefetch's fetch waits for idle ones) */
        if (zf_pool_submit(pool, zf_pool_io_threads(pool) ? ZF_JOB_IO
                                                          : ZF_JOB_PREFETCH,
                           NULL, prefetch_run_fetch, p) != ZF_OK)
            prefetch_run_fetch(p);
    }
    for (size_t t = 0; t < ntasks; t++)
        if (!j->plan.tasks[t].run)
            prefetch_task_submit(&j->parts[nruns + t]);
    prefetch_done(j);
}

/* Queues the prefetch of [from, to) as jobs of about a chunk's run each
 * (ZF_PREFETCH_PIECE at least), so that what is decoded first is ready
 * (and, in a mount, pushed into the page cache) first, not when the whole
 * window is. */
static void prefetch_queue(zf_array *a, uint64_t from, uint64_t to)
{
    uint64_t isz = a->dt->size, lo, hi;
    zf_array_chunk_span(a, from, &lo, &hi);
    uint64_t piece = hi - lo > ZF_PREFETCH_PIECE ? hi - lo : ZF_PREFETCH_PIECE;
    /* ... and at least a row of chunks along the first dimension: a
     * smaller piece of a 3-d array plans the same chunks again and again
     * (64 of them for each MiB of a 512^3 volume in 64^3 chunks) */
    uint64_t row = a->shape[0] ? decode_unit(a)[0] * (a->info.nbytes / a->shape[0])
                               : 0;
    if (row > piece)
        piece = row;
    for (uint64_t x = from; x < to; x += piece) {
        prefetch_job *j = calloc(1, sizeof *j);
        if (!j)
            return;
        j->a = a;
        j->e0 = x / isz;
        j->e1 = ((to - x > piece ? x + piece : to) + isz - 1) / isz;
        if (zf_pool_submit(a->z->pool, ZF_JOB_PREFETCH, NULL, prefetch_run,
                           j) != ZF_OK) {
            free(j);
            return;
        }
    }
}

/* The stream a read at off continues (within tol of where it expects the
 * next read), or the least recently used one, restarted. */
static zf_stream *stream_for(zf_seq *q, uint64_t off, uint64_t end,
                             uint64_t tol, int *seq)
{
    zf_stream *old = &q->s[0];
    for (int i = 0; i < ZF_SEQ_STREAMS; i++) {
        zf_stream *s = &q->s[i];
        /* (not a read anywhere in what was prefetched: random reads there
         * made the window run away, measured as 12.7 ms random reads) */
        if (s->next && off <= s->next + tol && end + tol >= s->next) {
            *seq = 1;
            return s;
        }
        if (s->used < old->used)
            old = s;
    }
    *seq = 0;
    memset(old, 0, sizeof *old);
    return old;
}

/* Whether a stream that began at `first` and has read up to `end` has read
 * two chunks' runs (zf_array_chunk_span) through: only then is it
 * sequential in the chunk grid.  Page faults walking one chunk, or one
 * read that takes a chunk and the pages around it (the tail of the one
 * before, the head of the one after), are not, and decoding ahead for them
 * decodes chunks nobody asked for. */
static int past_two_runs(const zf_array *a, uint64_t first, uint64_t end)
{
    uint64_t lo, hi, size = a->info.nbytes;
    zf_array_chunk_span(a, first, &lo, &hi);
    if (lo < first) { /* began inside a run: it does not count */
        if (hi >= size)
            return 0;
        zf_array_chunk_span(a, hi, &lo, &hi);
    }
    if (hi > end || hi >= size)
        return 0;
    zf_array_chunk_span(a, hi, &lo, &hi);
    return hi <= end;
}

int zf_stream_follow(zf_array *a, uint64_t off, uint64_t end)
{
    zf_zarr *z = a->z;
    uint64_t len = end - off, tol = len * 4 > (2u << 20) ? len * 4 : 2u << 20;
    uint64_t from = 0, to = 0;
    int seq;
    pthread_mutex_lock(&a->seq.lock);
    zf_stream *s = stream_for(&a->seq, off, end, tol, &seq);
    s->exact = seq && off == s->next ? s->exact + 1 : 0;
    int exact = s->exact >= 2;
    s->used = ++a->seq.tick;
    if (!seq)
        s->first = off;
    else if (!s->across && off > s->next) {
        /* A gap past the run the stream was in (strided rows, not a
         * stream): what it covers in the grid starts again here.  (A gap
         * inside that run is the part a mount pushed.) */
        uint64_t lo, hi;
        zf_array_chunk_span(a, s->next - 1, &lo, &hi);
        if (off > hi + ZF_PAGE_SLACK)
            s->first = off;
    }
    if (seq && !s->across && past_two_runs(a, s->first, end)) {
        uint64_t lo, hi;
        zf_array_chunk_span(a, off, &lo, &hi);
        s->across = 1; /* start with two runs' worth, or two reads' */
        s->window = (hi - lo > len ? hi - lo : len);
    }
    if (seq && s->across) {
        s->window = s->window * 2;
        if (s->window > z->prefetch_cap)
            s->window = z->prefetch_cap;
        from = end > s->ahead ? end : s->ahead;
        to = end + s->window;
        if (to > a->info.nbytes)
            to = a->info.nbytes;
        if (to > from)
            s->ahead = to;
    }
    if (end > s->next)
        s->next = end;
    pthread_mutex_unlock(&a->seq.lock);
    if (to > from)
        prefetch_queue(a, from, to);
    return exact;
}

uint64_t zf_array_stream_ahead(zf_array *a, uint64_t offset)
{
    uint64_t ahead = 0;
    pthread_mutex_lock(&a->seq.lock);
    for (int i = 0; i < ZF_SEQ_STREAMS; i++) {
        const zf_stream *s = &a->seq.s[i];
        if (s->across && s->first <= offset && offset <= s->ahead &&
            s->ahead > ahead)
            ahead = s->ahead;
    }
    pthread_mutex_unlock(&a->seq.lock);
    return ahead;
}

void zf_array_chunk_span(const zf_array *a, uint64_t offset, uint64_t *lo,
                         uint64_t *hi)
{
    uint64_t isz = a->dt->size, e = offset / isz;
    if (offset >= a->info.nbytes) {
        *lo = offset;
        *hi = offset + 1;
        return;
    }
    const uint64_t *u = decode_unit(a);
    /* Trailing dimensions a chunk spans whole make one run with the first
     * dimension k (from the end) that it does not. */
    uint64_t inner = 1; /* elements of one step along dimension k */
    int k = a->ndim - 1;
    for (; k >= 0 && u[k] >= a->shape[k]; k--)
        inner *= a->shape[k];
    if (k < 0) {
        *lo = 0;
        *hi = a->info.nbytes;
        return;
    }
    uint64_t xk = e / inner % a->shape[k];
    uint64_t base = e - e % (inner * a->shape[k]); /* dims < k as e's */
    uint64_t c0 = xk - xk % u[k];
    uint64_t c1 = c0 + u[k] < a->shape[k] ? c0 + u[k] : a->shape[k];
    *lo = (base + c0 * inner) * isz;
    *hi = (base + c1 * inner) * isz;
}

