/*
 * select.c - reading a selection of an array (a[EXPR], zarrfs.h) at byte
 * offsets of its flat view, in C or Fortran order.
 *
 * The elements [e0, e1) of the result, in its order, are split into boxes
 * of the result (zf_flat_boxes; for Fortran order over the reversed shape).
 * A box of the result is a strided box of the array: per dimension the
 * elements start + step * i.  A negative step is read forwards, from the
 * box's lowest element, into a destination whose stride is negated; the
 * result's order (C or F) is only the destination's strides.  So each box
 * becomes, per chunk it meets (zf_grid_each_step skips the chunks a step
 * jumps over), one strided task of the ordinary read machinery (plan.h):
 * the same cache, coalesced fetches, decode threads and in-place paths,
 * with the gather (every step-th element, reversed or transposed) done by
 * the task's copy out of the decoded chunk.
 * Thread-safe: all state is per call.
 */
#include <string.h>

#include "err.h"
#include "read.h"

typedef struct sel_ctx {
    zf_array *a;
    const zf_selection *s;
    zf_plan *plan;
    uint8_t *base;  /* destination of result element e0 */
    uint64_t e0;
    int64_t ostride[ZF_MAX_DIMS]; /* result strides, bytes, per array dim */
    zf_strided box;                  /* destination of the box being planned */
    uint64_t step[ZF_MAX_DIMS];   /* |step| of the box being planned */
    zf_err *err;
    zf_code code;
} sel_ctx;

static int sel_cell(void *arg, const zf_grid_cell *cell)
{
    sel_ctx *x = arg;
    x->code = zf_plan_cell(x->plan, cell, x->step, &x->box, x->err);
    return x->code != ZF_OK;
}

/* Plans the box (olo, ocount) of the result, in array dimensions. */
static int sel_box(sel_ctx *x, const uint64_t *olo, const uint64_t *ocount)
{
    const zf_selection *s = x->s;
    int n = x->a->ndim;
    uint64_t lo[ZF_MAX_DIMS];
    int64_t flat = 0;
    for (int d = 0; d < n; d++)
        flat += (int64_t)olo[d] * x->ostride[d];
    x->box.base = x->base + flat - (int64_t)x->e0 * (int64_t)x->a->dt->size;
    for (int d = 0; d < n; d++) {
        int64_t st = s->step[d];
        x->box.stride[d] = x->ostride[d];
        x->step[d] = (uint64_t)(st < 0 ? -st : st);
        if (st > 0) {
            lo[d] = s->start[d] + (uint64_t)st * olo[d];
            continue;
        }
        /* backwards: start from the box's last (lowest) element */
        uint64_t last = olo[d] + ocount[d] - 1;
        lo[d] = s->start[d] - x->step[d] * last;
        x->box.base += (int64_t)(ocount[d] - 1) * x->ostride[d];
        x->box.stride[d] = -x->ostride[d];
    }
    return zf_grid_each_step(n, x->a->chunks, lo, ocount, x->step, sel_cell, x);
}

static int sel_box_c(void *arg, const uint64_t *lo, const uint64_t *count)
{
    return sel_box(arg, lo, count);
}

/* A box of the reversed shape (Fortran order), turned back. */
static int sel_box_f(void *arg, const uint64_t *rlo, const uint64_t *rcount)
{
    sel_ctx *x = arg;
    int n = x->a->ndim;
    uint64_t lo[ZF_MAX_DIMS], count[ZF_MAX_DIMS];
    for (int d = 0; d < n; d++) {
        lo[d] = rlo[n - 1 - d];
        count[d] = rcount[n - 1 - d];
    }
    return sel_box(x, lo, count);
}

typedef struct sel_read {
    zf_array *a;
    const zf_selection *s;
    int once; /* the whole selection in one read */
} sel_read;

/* Reads the result's elements [e0, e1) into dst (a zf_elements_fn). */
static zf_code sel_elements(void *arg, uint64_t e0, uint64_t e1, void *dst,
                            zf_err *err)
{
    sel_read *r = arg;
    zf_array *a = r->a;
    const zf_selection *s = r->s;
    int n = a->ndim;
    zf_plan plan = {.array = a, .once = r->once};
    sel_ctx x = {.a = a, .s = s, .plan = &plan, .base = dst, .e0 = e0,
                 .err = err};
    uint64_t shape[ZF_MAX_DIMS], rshape[ZF_MAX_DIMS];
    int64_t st = (int64_t)a->dt->size;
    for (int d = 0; d < n; d++) {
        shape[d] = s->count[d];
        rshape[n - 1 - d] = s->count[d];
    }
    /* the result's strides in array dimensions (a dropped one has count
     * 1: its stride is never stepped) */
    for (int k = 0; k < n; k++) {
        int d = s->fortran ? k : n - 1 - k;
        x.ostride[d] = st;
        st *= (int64_t)s->count[d];
    }
    int r2 = s->fortran ? zf_flat_boxes(n, rshape, e0, e1, sel_box_f, &x)
                        : zf_flat_boxes(n, shape, e0, e1, sel_box_c, &x);
    zf_code c = r2 ? x.code : ZF_OK;
    if (c == ZF_OK)
        c = zf_plan_run(&plan, err);
    zf_plan_free(&plan);
    return c;
}

/* The selection fits the array: every selected element lies in it. */
static zf_code sel_check(const zf_array *a, const zf_selection *s, zf_err *err)
{
    if (s->ndim != a->ndim)
        return zf_err_set(err, ZF_EINVAL, "a selection of %d dimensions for "
                          "an array of %d", s->ndim, a->ndim);
    for (int d = 0; d < a->ndim; d++) {
        if (s->count[d] == 0)
            continue;
        int64_t st = s->step[d];
        uint64_t span = (uint64_t)(st < 0 ? -st : st) * (s->count[d] - 1);
        int ok = st != 0 && s->start[d] < a->shape[d] &&
                 (st > 0 ? span < a->shape[d] - s->start[d]
                         : span <= s->start[d]) &&
                 (!s->dropped[d] || s->count[d] == 1);
        if (!ok)
            return zf_err_set(err, ZF_EINVAL, "the selection of axis %d lies "
                              "outside its size %llu", d,
                              (unsigned long long)a->shape[d]);
    }
    return ZF_OK;
}

uint64_t zf_selection_nbytes(const zf_array *a, const zf_selection *s)
{
    uint64_t n = a->dt->size;
    for (int d = 0; d < s->ndim; d++)
        n *= s->count[d];
    return n;
}

zf_code zf_array_read_selection(zf_array *a, const zf_selection *s,
                                uint64_t offset, size_t length, void *buf,
                                size_t *nread, zf_err *err)
{
    zf_err local;
    if (!err)
        err = &local;
    if (nread)
        *nread = 0;
    zf_code c = sel_check(a, s, err);
    if (c != ZF_OK)
        return zf_err_prefix(err, "array '%s'",
                             a->info.path[0] ? a->info.path : "/");
    if (a->ndim == 0) /* one element, whatever the order */
        return zf_array_read(a, offset, length, buf, nread, err);
    uint64_t size = zf_selection_nbytes(a, s);
    if (offset >= size || length == 0)
        return ZF_OK;
    if (length > size - offset)
        length = (size_t)(size - offset);
    /* A reader taking the whole selection at once will not come back for
     * the rest of the chunks it cuts: they are decoded into scratch, not
     * into cache entries (fresh memory, page faults, evictions). */
    sel_read r = {a, s, offset == 0 && length == size};
    c = zf_read_bytes(a->dt->size, offset, length, buf, sel_elements, &r, err);
    if (c != ZF_OK)
        return zf_err_prefix(err, "array '%s'",
                             a->info.path[0] ? a->info.path : "/");
    atomic_fetch_add(&a->z->counters.bytes_served, length);
    if (nread)
        *nread = length;
    return ZF_OK;
}
