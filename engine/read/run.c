/*
 * run.c - planning an element range of an array and running a plan: see
 * run.h.  Thread-safe: all state is the plan's.
 */
#include "run.h"

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

zf_code zf_plan_elements(zf_plan *plan, uint64_t e0, uint64_t e1,
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

void zf_plan_run_task(void *arg)
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
        if (zf_pool_submit(pool, ZF_JOB_TASK, g, zf_plan_run_task, tasks[i]) != ZF_OK)
            zf_plan_run_task(tasks[i]);
    if (n && here)
        zf_plan_run_task(tasks[n - 1]);
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
                zf_plan_run_task(&pl->tasks[i]);
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

