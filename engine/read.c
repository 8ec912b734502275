/*
 * read.c - zf_array_read: a byte range of the flat view -> an element range
 * -> boxes of the array (box.h) -> the chunks each box touches -> decode tasks
 * (plan.h), run on the pool while the caller helps.  Bytes of partial
 * elements at either end go through a one-element bounce buffer.
 * Thread-safe: all state is per read.
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

typedef struct box_ctx {
    zf_array *a;
    zf_plan *plan;
    uint8_t *base; /* destination of element e0 */
    uint64_t e0;
    int64_t stride[ZF_MAX_DIMS]; /* C strides of the whole array */
    zf_err *err;
    zf_code code;
} box_ctx;

/* Plans every chunk the box (lo, count) of the array touches. */
static int plan_box(void *arg, const uint64_t *lo, const uint64_t *count)
{
    box_ctx *b = arg;
    zf_array *a = b->a;
    int nd = a->ndim;
    uint64_t first[ZF_MAX_DIMS], last[ZF_MAX_DIMS], at[ZF_MAX_DIMS], flat = 0;
    for (int d = 0; d < nd; d++) {
        first[d] = at[d] = lo[d] / a->chunks[d];
        last[d] = (lo[d] + count[d] - 1) / a->chunks[d];
        flat += lo[d] * (uint64_t)(b->stride[d] / (int64_t)a->dt->size);
    }
    zf_view box = {b->base + (flat - b->e0) * a->dt->size, {0}};
    memcpy(box.stride, b->stride, sizeof box.stride);
    char key[4096];
    for (;;) {
        uint64_t sub_lo[ZF_MAX_DIMS], sub_n[ZF_MAX_DIMS], rel[ZF_MAX_DIMS];
        for (int d = 0; d < nd; d++) {
            uint64_t c0 = at[d] * a->chunks[d], c1 = c0 + a->chunks[d];
            uint64_t b0 = lo[d] > c0 ? lo[d] : c0;
            uint64_t b1 = lo[d] + count[d] < c1 ? lo[d] + count[d] : c1;
            sub_lo[d] = b0 - c0;
            sub_n[d] = b1 - b0;
            rel[d] = b0 - lo[d];
        }
        zf_view dst = zf_view_at(&box, nd, rel);
        zf_chunk_key(a, at, key, sizeof key);
        b->code = zf_plan_chunk(b->plan, a->pipe, key, 0, ZF_WHOLE_KEY, sub_lo,
                                sub_n, &dst, b->err);
        if (b->code != ZF_OK)
            return 1;
        int d = nd - 1;
        for (; d >= 0 && at[d] == last[d]; d--)
            at[d] = first[d];
        if (d < 0)
            return 0;
        at[d]++;
    }
}

static zf_code run_tasks(zf_array *a, zf_plan *pl, zf_err *err)
{
    zf_group g = {0};
    size_t i = 0;
    /* The last task runs here, so a one-chunk read never changes thread. */
    for (; pl->ntasks > 1 && i < pl->ntasks - 1; i++)
        if (zf_pool_submit(a->z->pool, ZF_JOB_TASK, &g, zf_task_run,
                           &pl->tasks[i]) != ZF_OK)
            break;
    for (size_t j = i; j < pl->ntasks; j++)
        zf_task_run(&pl->tasks[j]);
    zf_group_wait(a->z->pool, &g);
    for (size_t j = 0; j < pl->ntasks; j++)
        if (pl->tasks[j].code != ZF_OK) {
            if (err)
                *err = pl->tasks[j].err;
            return pl->tasks[j].code;
        }
    return ZF_OK;
}

/* Reads the elements [e0, e1) into dst. */
static zf_code read_elements(zf_array *a, uint64_t e0, uint64_t e1, void *dst,
                             zf_err *err)
{
    zf_plan plan = {.array = a};
    box_ctx b = {.a = a, .plan = &plan, .base = dst, .e0 = e0, .err = err};
    zf_c_strides(a->ndim, a->shape, a->dt->size, b.stride);
    zf_code c = ZF_OK;
    if (a->ndim == 0) {
        /* A scalar array is one chunk of one element. */
        zf_view v = {dst, {0}};
        uint64_t none[1] = {0};
        char key[4096];
        zf_chunk_key(a, none, key, sizeof key);
        c = zf_plan_chunk(&plan, a->pipe, key, 0, ZF_WHOLE_KEY, none, none, &v, err);
    } else if (zf_flat_boxes(a->ndim, a->shape, e0, e1, plan_box, &b))
        c = b.code;
    if (c == ZF_OK)
        c = run_tasks(a, &plan, err);
    zf_plan_free(&plan);
    return c;
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
    uint64_t e0 = (offset + isz - 1) / isz, e1 = end / isz; /* whole elements */
    uint8_t *out = buf;
    uint8_t one[16];
    zf_code c = ZF_OK;
    if (e0 > e1) { /* the range lies inside one element */
        c = read_elements(a, e1, e1 + 1, one, err);
        if (c == ZF_OK)
            memcpy(out, one + offset % isz, length);
    } else {
        if (offset % isz && (c = read_elements(a, e0 - 1, e0, one, err)) == ZF_OK)
            memcpy(out, one + offset % isz, isz - offset % isz);
        if (c == ZF_OK && e1 > e0)
            c = read_elements(a, e0, e1, out + (e0 * isz - offset), err);
        if (c == ZF_OK && end % isz &&
            (c = read_elements(a, e1, e1 + 1, one, err)) == ZF_OK)
            memcpy(out + (e1 * isz - offset), one, end % isz);
    }
    if (c != ZF_OK)
        return zf_err_prefix(err, "array '%s'", a->info.path[0] ? a->info.path : "/");
    atomic_fetch_add(&a->z->counters.bytes_served, length);
    if (nread)
        *nread = length;
    return ZF_OK;
}

typedef struct async_read {
    zf_array *a;
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
    zf_code c = zf_array_read(r->a, r->offset, r->length, r->buf, &n, &err);
    r->done(r->arg, c, n, &err);
    free(r);
}

void zf_array_read_async(zf_array *a, uint64_t offset, size_t length,
                         void *buf, zf_read_done done, void *arg)
{
    async_read *r = malloc(sizeof *r);
    if (r) {
        *r = (async_read){a, offset, length, buf, done, arg};
        if (zf_pool_submit(a->z->pool, ZF_JOB_READ, NULL, async_run, r) == ZF_OK)
            return;
        free(r);
    }
    zf_err err;
    zf_err_set(&err, ZF_ENOMEM, "array '%s': out of memory", a->info.path);
    done(arg, ZF_ENOMEM, 0, &err);
}
