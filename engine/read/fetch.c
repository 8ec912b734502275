/* fetch.c - coalesced reads of a plan's encoded bytes; see fetch.h. */
#include "fetch.h"

#include "cache.h"

#include <stdlib.h>
#include <string.h>

struct zf_fetch {
    zf_plan *plan;
    zf_task **order; /* the tasks in runs, sorted by key and offset */
    zf_fetch_run *runs;
    size_t nruns;
};

static int cmp_tasks(const void *x, const void *y)
{
    const zf_task *a = *(zf_task *const *)x, *b = *(zf_task *const *)y;
    int c = a->key == b->key ? 0 : strcmp(a->key, b->key);
    uint64_t ao, al, bo, bl;
    zf_task_range(a, &ao, &al);
    zf_task_range(b, &bo, &bl);
    return c ? c : (ao > bo) - (ao < bo);
}

/* 1 if the task decodes from fetched bytes (ZF_TASK_IN_PLACE tasks read
 * theirs into the reply; ZF_TASK_PARTIAL ones of several ranges read each
 * themselves). */
static int needs_bytes(const zf_task *t)
{
    return t->code == ZF_OK &&
           (t->mode == ZF_TASK_DIRECT || t->mode == ZF_TASK_LOAD ||
            (t->mode == ZF_TASK_PARTIAL && t->part_ranges == 1));
}

static size_t make_runs(zf_fetch *f, size_t n)
{
    const zf_store *st = f->plan->array->z->store;
    size_t nr = 0;
    for (size_t i = 0; i < n; i++) {
        zf_task *t = f->order[i];
        zf_fetch_run *r = nr ? &f->runs[nr - 1] : NULL;
        uint64_t off, len;
        zf_task_range(t, &off, &len);
        uint64_t end = off + len;
        if (r && (r->key == t->key || !strcmp(r->key, t->key)) &&
            r->tasks[0]->tag == t->tag &&
            off <= r->end + st->coalesce_gap &&
            (end > r->end ? end : r->end) - r->off <= st->coalesce_max) {
            if (end > r->end)
                r->end = end;
            r->ntasks++;
            continue;
        }
        r = &f->runs[nr++];
        memset(r, 0, sizeof *r);
        r->fetch = f;
        r->key = t->key;
        r->off = off;
        r->end = end;
        r->tasks = &f->order[i];
        r->ntasks = 1;
    }
    return nr;
}

zf_fetch *zf_fetch_new(zf_plan *pl)
{
    zf_fetch *f = calloc(1, sizeof *f);
    if (f) {
        f->order = malloc((pl->ntasks + 1) * sizeof *f->order);
        f->runs = malloc((pl->ntasks + 1) * sizeof *f->runs);
    }
    if (!f || !f->order || !f->runs) {
        zf_fetch_free(f);
        return NULL;
    }
    f->plan = pl;
    size_t n = 0;
    for (size_t i = 0; i < pl->ntasks; i++)
        if (needs_bytes(&pl->tasks[i])) {
            f->order[n++] = &pl->tasks[i];
        }
    if (n > 1)
        qsort(f->order, n, sizeof *f->order, cmp_tasks);
    size_t nr = make_runs(f, n);
    /* A run of one task gains nothing: that task reads its own bytes into
     * its thread's reused scratch buffer instead. */
    for (size_t i = 0; i < nr; i++) {
        zf_fetch_run *r = &f->runs[i];
        if (r->ntasks < 2)
            continue;
        f->runs[f->nruns] = *r;
        r = &f->runs[f->nruns++];
        atomic_init(&r->pending, r->ntasks);
        for (size_t k = 0; k < r->ntasks; k++)
            r->tasks[k]->run = r;
    }
    return f;
}

size_t zf_fetch_count(const zf_fetch *f)
{
    return f ? f->nruns : 0;
}

zf_fetch_run *zf_fetch_get(zf_fetch *f, size_t i)
{
    return &f->runs[i];
}

static void give_back(zf_fetch_run *r)
{
    zf_zarr *z = r->fetch->plan->array->z;
    zf_bufpool_put(&z->fetch_bufs, r->buf, r->cap);
    r->buf = NULL;
    if (r->charged)
        zf_cache_uncharge(z->chunks, r->charged, 0);
    r->charged = 0;
}

void zf_fetch_task_done(zf_fetch_run *r)
{
    if (atomic_fetch_sub(&r->pending, 1) == 1)
        give_back(r);
}

static void fail(zf_fetch_run *r, size_t from, zf_code code, const zf_err *err)
{
    for (size_t k = from; k < r->ntasks; k++) {
        r->tasks[k]->code = code;
        r->tasks[k]->err = *err;
    }
}

void zf_fetch_read(zf_fetch_run *r)
{
    zf_array *a = r->fetch->plan->array;
    size_t len = (size_t)(r->end - r->off);
    zf_err err;
    if (r->buf)
        return; /* (read already) */
    /* Charged when there is room; read all the same when there is not: a
     * run left to its tasks' own reads cost a remote dd 6-8x the GETs and,
     * at 25 ms a reply, 5.6x the time (tools/bench/remote.sh, 902cd5b
     * against ebd2a00), for at most the runs in flight over the budget. */
    if (zf_cache_charge_try(a->z->chunks, len))
        r->charged = len;
    if (!(r->buf = zf_bufpool_get(&a->z->fetch_bufs, len, &r->cap))) {
        zf_err_set(&err, ZF_ENOMEM, "%s: out of memory for %zu bytes", r->key, len);
        fail(r, 0, ZF_ENOMEM, &err);
        return;
    }
    zf_range_req q = {.key = r->key, .offset = (int64_t)r->off, .len = len,
                      .buf = r->buf, .version = r->tasks[0]->tag};
    zf_store_read(a->z->store, &q, 1);
    atomic_fetch_add(&a->z->counters.store_reads, 1);
    atomic_fetch_add(&a->z->counters.store_bytes_read, q.got);
    if (q.code != ZF_OK) {
        fail(r, 0, q.code, &q.err);
        return;
    }
    for (size_t k = 0; k < r->ntasks; k++) {
        zf_task *t = r->tasks[k];
        uint64_t off, len;
        zf_task_range(t, &off, &len);
        if (off + len > r->off + q.got) {
            t->code = zf_err_set(&t->err, ZF_ECORRUPT, "%s: ends at byte %llu, "
                                 "expected %llu bytes at offset %llu", t->key,
                                 (unsigned long long)(r->off + q.got),
                                 (unsigned long long)len,
                                 (unsigned long long)off);
            continue;
        }
        t->src = r->buf + (off - r->off);
        t->srclen = (size_t)len;
    }
}

void zf_fetch_free(zf_fetch *f)
{
    if (!f)
        return;
    for (size_t i = 0; f->runs && i < f->nruns; i++)
        give_back(&f->runs[i]);
    free(f->runs);
    free(f->order);
    free(f);
}
