/*
 * read.c - zf_array_read: a byte range of the flat view -> an element range
 * -> boxes of the array (box.h) -> the chunks each box touches -> tasks
 * (plan.h), matched with the cache, fetched, and run on the pool while the
 * caller helps.  Bytes of partial elements at either end go through a
 * one-element bounce buffer.
 *
 * Sequential reads of an array (tolerating the reordering of concurrent
 * kernel readahead; a few readers at once, each its own stream) are followed
 * by prefetch jobs that decode the chunks ahead of them into the cache, with
 * a window that doubles while reads stay sequential, up to half the cache
 * budget; a read elsewhere starts a new stream.
 * Thread-safe: per-read state is local; the detector has its own lock.
 */
#include "read.h"

#include "fetch.h"
#include "meta/meta.h"
#include "task.h"

#include <stdlib.h>
#include <string.h>

typedef struct box_ctx {
    zf_array *a;
    zf_plan *plan;
    uint8_t *base; /* destination of element e0; NULL when prefetching */
    uint64_t e0;
    int64_t stride[ZF_MAX_DIMS]; /* C strides of the whole array */
    zf_strided box; /* the destination of the box being planned */
    zf_err *err;
    zf_code code;
} box_ctx;

/* Plans one chunk of the box being planned. */
static int plan_cell(void *arg, const zf_grid_cell *cell)
{
    box_ctx *b = arg;
    b->code = zf_plan_cell(b->plan, cell, NULL, &b->box, b->err);
    return b->code != ZF_OK;
}

/* Plans every chunk the box (lo, count) of the array touches. */
static int plan_box(void *arg, const uint64_t *lo, const uint64_t *count)
{
    box_ctx *b = arg;
    zf_array *a = b->a;
    uint64_t flat = 0;
    for (int d = 0; d < a->ndim; d++)
        flat += lo[d] * (uint64_t)(b->stride[d] / (int64_t)a->dt->size);
    b->box.base = b->base ? b->base + (flat - b->e0) * a->dt->size : NULL;
    memcpy(b->box.stride, b->stride, sizeof b->box.stride);
    return zf_grid_each(a->ndim, a->chunks, lo, count, plan_cell, b);
}

/* Plans the elements [e0, e1) into dst (NULL when prefetching). */
static zf_code plan_elements(zf_plan *plan, uint64_t e0, uint64_t e1,
                             void *dst, zf_err *err)
{
    zf_array *a = plan->array;
    box_ctx b = {.a = a, .plan = plan, .base = dst, .e0 = e0, .err = err};
    zf_c_strides(a->ndim, a->shape, a->dt->size, b.stride);
    if (a->ndim == 0) {
        /* A scalar array is one chunk of one element. */
        zf_strided v = {dst, {0}};
        uint64_t none[1] = {0};
        char key[4096];
        zf_code c = zf_chunk_key(a, none, key, sizeof key, err);
        if (c != ZF_OK)
            return c;
        return zf_plan_chunk(plan, a->pipe, key, 0, ZF_WHOLE_KEY, 0, none, none,
                             &v, err);
    }
    return zf_flat_boxes(a->ndim, a->shape, e0, e1, plan_box, &b) ? b.code : ZF_OK;
}

/* Runs one task (a pool job), then tells its fetch run, if any, that its
 * slice of the run's bytes is no longer needed. */
static void run_task(void *arg)
{
    zf_task *t = arg;
    zf_task_run(t);
    if (t->run)
        zf_fetch_task_done(t->run);
}

typedef struct run_job {
    zf_fetch_run *run;
    zf_pool *pool;
    zf_group *group;
} run_job;

/* Runs tasks on the pool; the last one on this thread when `here`. */
static void spread(zf_pool *pool, zf_group *g, zf_task **tasks, size_t n,
                   int here)
{
    for (size_t i = 0; i + (here ? 1 : 0) < n; i++)
        if (zf_pool_submit(pool, ZF_JOB_TASK, g, run_task, tasks[i]) != ZF_OK)
            run_task(tasks[i]);
    if (n && here)
        run_task(tasks[n - 1]);
}

/* Fetches one run (an I/O job), then decodes its tasks in parallel: on the
 * decode threads when this is an I/O thread, else partly here. */
static void run_fetch(void *arg)
{
    run_job *j = arg;
    zf_fetch_read(j->run);
    spread(j->pool, j->group, j->run->tasks, j->run->ntasks,
           zf_pool_io_threads(j->pool) == 0);
}

zf_code zf_plan_run(zf_plan *pl, zf_err *err)
{
    zf_pool *pool = pl->array->z->pool;
    zf_plan_lookup(pl);
    zf_fetch *f = zf_fetch_new(pl);
    size_t nruns = zf_fetch_count(f), nrest = 0;
    run_job *jobs = malloc((nruns + 1) * sizeof *jobs);
    zf_task **rest = malloc((pl->ntasks + 1) * sizeof *rest);
    zf_group g = {0};
    for (size_t i = 0; i < pl->ntasks; i++)
        if (!pl->tasks[i].run || !jobs)
            rest[nrest++] = &pl->tasks[i];
    for (size_t i = 0; jobs && i < nruns; i++) {
        jobs[i] = (run_job){zf_fetch_get(f, i), pool, &g};
        if (zf_pool_submit(pool, ZF_JOB_IO, &g, run_fetch, &jobs[i]) != ZF_OK)
            run_fetch(&jobs[i]);
    }
    if (rest)
        spread(pool, &g, rest, nrest, 1);
    else /* out of memory for the list: run them here, one by one */
        for (size_t i = 0; i < pl->ntasks; i++)
            if (!pl->tasks[i].run || !jobs)
                run_task(&pl->tasks[i]);
    zf_group_wait(pool, &g);
    zf_code c = ZF_OK;
    for (size_t j = 0; j < pl->ntasks && c == ZF_OK; j++)
        if ((c = pl->tasks[j].code) != ZF_OK)
            *err = pl->tasks[j].err;
    zf_fetch_free(f);
    free(jobs);
    free(rest);
    return c;
}

/* Reads the elements [e0, e1) into dst; `stream`: the read continues a
 * sequential stream (zf_plan.stream). */
static zf_code read_elements(zf_array *a, uint64_t e0, uint64_t e1, void *dst,
                             int stream, zf_err *err)
{
    zf_plan plan = {.array = a, .stream = stream};
    zf_code c = plan_elements(&plan, e0, e1, dst, err);
    if (c == ZF_OK) /* (a failed plan has claimed no cache entry yet) */
        c = zf_plan_run(&plan, err);
    zf_plan_free(&plan);
    return c;
}

/* ---- prefetch -------------------------------------------------------------- */

#define ZF_PREFETCH_PIECE ((uint64_t)1 << 20)

static const uint64_t *decode_unit(const zf_array *a);
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
    run_task(p->task);
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
    if (plan_elements(&j->plan, j->e0, j->e1, NULL, &err) != ZF_OK) {
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
            run_task(&j->plan.tasks[i]);
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

/* Notes a read of [off, end) and queues the prefetch it calls for; 1 when
 * the read is the third (or later) of a stream's reads in a row that each
 * began exactly where the one before ended.  (One such read is no stream:
 * among random reads, one in a few thousand begins where another ended.) */
static int follow(zf_array *a, uint64_t off, uint64_t end)
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

/* ---- chunk runs and cached reads ----------------------------------------- */

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

/* Claims every task's chunk as a ready cache entry; 0 (holding none) if
 * one is not ready. */
static int hold_cached(zf_plan *pl)
{
    zf_cache *cache = pl->array->z->chunks;
    for (size_t i = 0; i < pl->ntasks; i++) {
        zf_task *t = &pl->tasks[i];
        if (zf_cache_acquire(cache, t->pipe, t->key, t->off, t->tag,
                             (size_t)t->pipe->nbytes, ZF_CACHE_LOOKUP,
                             &t->entry) == ZF_CACHE_HIT)
            continue;
        for (size_t j = 0; j <= i; j++)
            if (pl->tasks[j].entry)
                zf_cache_release(cache, pl->tasks[j].entry);
        return 0;
    }
    return 1;
}

zf_code zf_array_read_cached(zf_array *a, uint64_t offset, size_t length,
                             void *buf, void (*use)(void *arg), void *arg,
                             zf_err *err)
{
    uint64_t isz = a->dt->size;
    if (offset % isz || length % isz || offset > a->info.nbytes ||
        length > a->info.nbytes - offset)
        return zf_err_set(err, ZF_EINVAL, "array '%s': cached read of %zu "
                          "bytes at %llu", a->info.path, length,
                          (unsigned long long)offset);
    zf_plan plan = {.array = a};
    zf_code c = length ? plan_elements(&plan, offset / isz,
                                       (offset + length) / isz, buf, err)
                       : ZF_OK;
    if (c == ZF_OK && !hold_cached(&plan))
        c = ZF_ENOTFOUND;
    if (c == ZF_OK) {
        for (size_t i = 0; i < plan.ntasks; i++)
            zf_task_copy_entry(&plan.tasks[i]);
        atomic_fetch_add(&a->z->counters.cached_reads, 1);
        atomic_fetch_add(&a->z->counters.cached_bytes, length);
        use(arg);
        for (size_t i = 0; i < plan.ntasks; i++)
            zf_cache_release(a->z->chunks, plan.tasks[i].entry);
    }
    zf_plan_free(&plan);
    return c;
}

/* ---- the public read ------------------------------------------------------- */

static zf_code read_bytes_once(size_t isz, uint64_t offset, size_t length,
                               void *buf, zf_elements_fn fn, void *arg,
                               zf_err *err)
{
    uint64_t end = offset + length;
    uint64_t e0 = (offset + isz - 1) / isz, e1 = end / isz; /* whole elements */
    uint8_t *out = buf;
    uint8_t one[16];
    zf_code c = ZF_OK;
    if (e0 > e1) { /* the range lies inside one element */
        c = fn(arg, e1, e1 + 1, one, err);
        if (c == ZF_OK)
            memcpy(out, one + offset % isz, length);
        return c;
    }
    if (offset % isz && (c = fn(arg, e0 - 1, e0, one, err)) == ZF_OK)
        memcpy(out, one + offset % isz, isz - offset % isz);
    if (c == ZF_OK && e1 > e0)
        c = fn(arg, e0, e1, out + (e0 * isz - offset), err);
    if (c == ZF_OK && end % isz && (c = fn(arg, e1, e1 + 1, one, err)) == ZF_OK)
        memcpy(out + (e1 * isz - offset), one, end % isz);
    return c;
}

/* A key that changed while the read was reading it (a shard renamed over:
 * ZF_ECHANGED, see zf_range_req.version) has been partly read at the old
 * version's offsets; the whole read runs again, planned on the new version,
 * so that the reader gets one version or the other, whole.  Up to
 * ZF_READ_TRIES runs, not two: a reader stalled under load (a busy machine,
 * a slow reply) can meet a second replacement during its re-plan although
 * the key changes far slower than a read takes (remote_version.sh saw 5 EIO
 * in 52 runs so); a key replaced during every run changes faster than it
 * can be read, and fails the read. */
zf_code zf_read_bytes(size_t isz, uint64_t offset, size_t length, void *buf,
                      zf_elements_fn fn, void *arg, zf_err *err)
{
    zf_code c = ZF_ECHANGED;
    for (int i = 0; i < ZF_READ_TRIES && c == ZF_ECHANGED; i++)
        c = read_bytes_once(isz, offset, length, buf, fn, arg, err);
    return c;
}

/* A read of the array's flat view, for zf_read_bytes. */
typedef struct flat_read {
    zf_array *a;
    int stream;
} flat_read;

static zf_code flat_elements(void *arg, uint64_t e0, uint64_t e1, void *dst,
                             zf_err *err)
{
    flat_read *r = arg;
    return read_elements(r->a, e0, e1, dst, r->stream, err);
}

zf_code zf_array_read(zf_array *a, uint64_t offset, size_t length, void *buf,
                      size_t *nread, zf_err *err)
{
    zf_err local;
    if (!err) /* engine code always has a zf_err to write */
        err = &local;
    uint64_t size = a->info.nbytes, isz = a->dt->size;
    if (nread)
        *nread = 0;
    if (offset >= size || length == 0)
        return ZF_OK;
    if (length > size - offset)
        length = (size_t)(size - offset);
    uint64_t end = offset + length;
    flat_read r = {a, 0};
    if (a->z->prefetch && a->ndim > 0)
        r.stream = follow(a, offset, end);
    zf_code c = zf_read_bytes(isz, offset, length, buf, flat_elements, &r, err);
    if (c != ZF_OK)
        return zf_err_prefix(err, "array '%s'", a->info.path[0] ? a->info.path : "/");
    atomic_fetch_add(&a->z->counters.bytes_served, length);
    if (nread)
        *nread = length;
    return ZF_OK;
}

typedef struct async_read {
    zf_array *a;
    const zf_selection *sel; /* NULL: the array's own flat view */
    uint64_t offset;
    size_t length;
    void *buf;
    zf_read_done done;
    void *arg;
} async_read;

static void async_run(void *arg)
{
    async_read *r = arg;
    zf_err err = {0};
    size_t n = 0;
    zf_code c = r->sel ? zf_array_read_selection(r->a, r->sel, r->offset,
                                                 r->length, r->buf, &n, &err)
                       : zf_array_read(r->a, r->offset, r->length, r->buf, &n,
                                       &err);
    r->done(r->arg, c, n, &err);
    free(r);
}

static void read_async(zf_array *a, const zf_selection *sel, uint64_t offset,
                       size_t length, void *buf, zf_read_done done, void *arg)
{
    async_read *r = malloc(sizeof *r);
    if (r) {
        *r = (async_read){a, sel, offset, length, buf, done, arg};
        if (zf_pool_submit(a->z->pool, ZF_JOB_READ, NULL, async_run, r) == ZF_OK)
            return;
        free(r);
    }
    zf_err err;
    zf_err_set(&err, ZF_ENOMEM, "array '%s': out of memory", a->info.path);
    done(arg, ZF_ENOMEM, 0, &err);
}

void zf_array_read_async(zf_array *a, uint64_t offset, size_t length,
                         void *buf, zf_read_done done, void *arg)
{
    read_async(a, NULL, offset, length, buf, done, arg);
}

void zf_array_read_selection_async(zf_array *a, const zf_selection *s,
                                   uint64_t offset, size_t length, void *buf,
                                   zf_read_done done, void *arg)
{
    read_async(a, s, offset, length, buf, done, arg);
}
