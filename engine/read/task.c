/* task.c - running one decode task; see task.h (and plan.h for the modes). */
#include "task.h"

#include "decode.h"
#include "partial.h"

#include <string.h>

/* The whole chunk's C-order view inside a cache entry. */
static zf_strided entry_view(const zf_pipeline *p, zf_centry *e)
{
    zf_strided v = {e->data, {0}};
    zf_c_strides(p->ndim, p->shape, p->dt->size, v.stride);
    return v;
}

void zf_task_copy_entry(zf_task *t)
{
    zf_strided src = entry_view(t->pipe, t->entry);
    zf_strided from = zf_strided_at(&src, t->pipe->ndim, t->lo);
    zf_strided_step(&from, t->pipe->ndim, t->step);
    zf_box_copy(t->pipe->ndim, t->count, t->pipe->dt->size, &t->dst, &from);
}

/* The task's encoded bytes when fetch.c did not bring them, into the
 * thread's scratch. */
static zf_code fetch_self(zf_task *t, zf_scratch *s)
{
    uint64_t len = t->len; /* bounded when the task was planned */
    zf_code c = zf_buf_reserve(&s->in, (size_t)len, &t->err);
    if (c == ZF_OK)
        c = zf_plan_read_range(t->array, t->key, t->off, (size_t)len, t->tag,
                               s->in.p, &t->err);
    t->src = s->in.p;
    t->srclen = (size_t)len;
    return c;
}

static void count_decoded(const zf_task *t, int in_place)
{
    zf_counters *ctr = &t->array->z->counters;
    atomic_fetch_add(&ctr->chunks_decoded, 1);
    if (in_place)
        atomic_fetch_add(&ctr->in_place_decodes, 1);
}

/* ZF_TASK_IN_PLACE: the raw chunk's bytes straight into dst. */
static zf_code read_raw_in_place(zf_task *t)
{
    zf_code c = zf_plan_read_range(t->array, t->key, t->off, (size_t)t->len,
                                   t->tag, t->dst.base, &t->err);
    if (c == ZF_OK && zf_pipeline_swaps(t->pipe))
        zf_dtype_byteswap(t->pipe->dt, t->dst.base, t->pipe->nbytes / t->pipe->dt->size);
    if (c == ZF_OK)
        count_decoded(t, 1);
    return c;
}

/* ZF_TASK_PARTIAL: the bytes of one range, [off, off + len) of the chunk,
 * in native order, at *out: the fetch run's (t->src: the one range), or
 * read into the thread's scratch (and swapped there when the stored order
 * is not native: a run's buffer is shared, so it is copied first). */
static zf_code range_bytes(zf_task *t, zf_scratch *s, uint64_t off,
                           uint64_t len, const uint8_t **out)
{
    const zf_pipeline *p = t->pipe;
    int swap = zf_pipeline_swaps(p);
    *out = t->src;
    if (t->src && !swap)
        return ZF_OK;
    zf_code c = zf_buf_reserve(&s->in, (size_t)len, &t->err);
    if (c != ZF_OK)
        return c;
    if (t->src)
        memcpy(s->in.p, t->src, (size_t)len);
    else
        c = zf_plan_read_range(t->array, t->key, t->off + off, (size_t)len,
                               t->tag, s->in.p, &t->err);
    if (c == ZF_OK && swap)
        zf_dtype_byteswap(p->dt, s->in.p, len / p->dt->size);
    *out = s->in.p;
    return c;
}

/* ZF_TASK_PARTIAL: copies n spans of sp from span k on (k moves past them)
 * out of the bytes of the range at chunk offset off, held at buf. */
static void copy_spans(zf_task *t, const zf_spans *sp, const uint8_t *buf,
                       uint64_t off, uint64_t *k, uint64_t n)
{
    const zf_pipeline *p = t->pipe;
    uint64_t count[ZF_MAX_DIMS];
    zf_strided from = {NULL, {0}};
    for (int d = 0; d < p->ndim; d++) {
        count[d] = d < sp->outer ? 1 : t->count[d];
        from.stride[d] = (int64_t)sp->pitch[d];
    }
    for (uint64_t i = 0; i < n; i++) {
        from.base = (uint8_t *)buf + (zf_spans_at(sp, k) - off);
        zf_strided to = zf_strided_at(&t->dst, p->ndim, k);
        zf_box_copy(p->ndim, count, p->dt->size, &to, &from);
        zf_spans_next(sp, k);
    }
}

/* 1 if the task's box is one run of the chunk without holes, laid out in
 * dst as in the chunk, and no fetch run brought it: its bytes can be read
 * into dst as they are. */
static int lands_in_dst(const zf_task *t, const zf_spans *sp)
{
    const zf_pipeline *p = t->pipe;
    int64_t st[ZF_MAX_DIMS];
    uint64_t n = p->dt->size;
    zf_c_strides(p->ndim, t->count, p->dt->size, st);
    for (int d = 0; d < p->ndim; d++) {
        n *= t->count[d];
        if (t->count[d] > 1 && t->dst.stride[d] != st[d])
            return 0;
    }
    return !t->src && sp->outer == 0 && sp->span == n;
}

/* ZF_TASK_PARTIAL: reads the ranges of the chunk that the box touches
 * (partial.h), each once, and copies the box out of them; a box that lands
 * whole in dst is read straight there. */
static zf_code read_partial(zf_task *t, zf_scratch *s)
{
    const zf_pipeline *p = t->pipe;
    zf_spans sp;
    zf_spans_init(&sp, p->ndim, p->shape, p->dt->size, t->lo, t->count,
                  t->step);
    if (lands_in_dst(t, &sp)) {
        zf_code c = zf_plan_read_range(t->array, t->key, t->off + sp.first,
                                       (size_t)sp.span, t->tag, t->dst.base,
                                       &t->err);
        if (c == ZF_OK && zf_pipeline_swaps(p))
            zf_dtype_byteswap(p->dt, t->dst.base, sp.span / p->dt->size);
        return c;
    }
    uint64_t k[ZF_MAX_DIMS] = {0}, next[ZF_MAX_DIMS] = {0}, off, len, n;
    int more = 1;
    zf_code c = ZF_OK;
    while (more && c == ZF_OK) {
        const uint8_t *buf;
        more = zf_spans_range(&sp, next, &off, &len, &n);
        if ((c = range_bytes(t, s, off, len, &buf)) == ZF_OK)
            copy_spans(t, &sp, buf, off, k, n);
    }
    return c;
}

/* Runs a ZF_TASK_PARTIAL task; counts it. */
static zf_code run_partial(zf_task *t)
{
    zf_scratch spare = {0};
    zf_scratch *s = zf_scratch_get(&spare);
    zf_code c = read_partial(t, s);
    zf_scratch_done(s, &t->array->z->fetch_bufs);
    zf_scratch_free(&spare);
    if (c == ZF_OK)
        atomic_fetch_add(&t->array->z->counters.partial_reads, 1);
    return c;
}

static zf_code decode(zf_task *t, zf_scratch *s, int *in_place)
{
    const zf_pipeline *p = t->pipe;
    zf_bufpool *pool = &t->array->z->fetch_bufs;
    *in_place = 0;
    if (t->mode == ZF_TASK_LOAD) {
        uint64_t zero[ZF_MAX_DIMS] = {0};
        zf_strided v = entry_view(p, t->entry);
        zf_scratch_take(&s->a, pool, zf_decode_box_scratch(p, p->shape, &v));
        return zf_decode_box(p, t->src, t->srclen, zero, p->shape, NULL, &v, s,
                             NULL, &t->err);
    }
    zf_scratch_take(&s->a, pool, zf_decode_box_scratch(p, t->count, &t->dst));
    return zf_decode_box(p, t->src, t->srclen, t->lo, t->count, t->step,
                         &t->dst, s, in_place, &t->err);
}

/* 1 if the task loads a raw chunk (bytes codec alone, stored whole) that no
 * fetch run brought: its bytes can be read straight into its cache entry,
 * as ZF_TASK_IN_PLACE reads them into the reply. */
static int loads_in_place(const zf_task *t)
{
    const zf_pipeline *p = t->pipe;
    return t->mode == ZF_TASK_LOAD && !t->src && p->nbb == 0 && p->naa == 0 &&
           !p->sharded && !p->whole_shard && t->len == p->nbytes;
}

/* The scratch bytes a decode of t takes beyond a thread's own small
 * buffers (decode.h: ZF_SCRATCH_KEEP), charged to the cache's budget while
 * it runs: the encoded bytes when it reads them itself, the decoded box
 * when it does not land in its destination, and the intermediate stages of
 * a pipeline with more than one bytes->bytes codec. */
static size_t scratch_need(const zf_task *t)
{
    const zf_pipeline *p = t->pipe;
    size_t in = t->src ? 0 : (size_t)t->len;
    zf_strided v = t->mode == ZF_TASK_LOAD ? entry_view(p, t->entry) : t->dst;
    size_t a = zf_decode_box_scratch(p, t->mode == ZF_TASK_LOAD ? p->shape : t->count, &v);
    size_t bc = p->nbb > 1 ? 2 * (size_t)zf_pipeline_max_encoded(p) : 0;
    size_t n = 0;
    n += in > ZF_SCRATCH_KEEP ? in : 0;
    n += a > ZF_SCRATCH_KEEP ? a : 0;
    n += bc > ZF_SCRATCH_KEEP ? bc : 0;
    return n;
}

/* A raw chunk's bytes straight into its cache entry (loads_in_place). */
static zf_code load_raw(zf_task *t)
{
    const zf_pipeline *p = t->pipe;
    zf_code c = zf_plan_read_range(t->array, t->key, t->off, (size_t)t->len,
                                   t->tag, t->entry->data, &t->err);
    if (c == ZF_OK && zf_pipeline_swaps(p))
        zf_dtype_byteswap(p->dt, t->entry->data, p->nbytes / p->dt->size);
    if (c == ZF_OK)
        count_decoded(t, 0);
    return c;
}

/* Fetches (if needed) and decodes through the thread's scratch. */
static zf_code decode_task(zf_task *t)
{
    zf_bufpool *pool = &t->array->z->fetch_bufs;
    zf_scratch spare = {0};
    zf_scratch *s = zf_scratch_get(&spare);
    int own_src = !t->src;
    if (own_src)
        zf_scratch_take(&s->in, pool, (size_t)t->len);
    zf_code c = own_src ? fetch_self(t, s) : ZF_OK;
    int in_place = 0;
    if (c == ZF_OK)
        c = decode(t, s, &in_place);
    if (own_src) { /* (the bytes were in s->in, which goes now) */
        t->src = NULL;
        t->srclen = 0;
    }
    zf_scratch_done(s, pool);
    zf_scratch_free(&spare);
    if (c == ZF_OK)
        count_decoded(t, in_place);
    return c;
}

/* Fetches (if needed), decodes and copies; returns the task's code.  A
 * decode that fills a large entry or takes large scratch holds a charge
 * on the cache's budget meanwhile (cache.h): the entry was counted when
 * claimed, but its pages are only touched now, so when entries in use
 * have pushed the cache past its budget such decodes run one at a time. */
static zf_code run(zf_task *t)
{
    zf_cache *cache = t->array->z->chunks;
    int raw = loads_in_place(t);
    size_t need = raw ? 0 : scratch_need(t);
    int charge = need || (t->mode == ZF_TASK_LOAD && t->entry->size > ZF_SCRATCH_KEEP);
    if (charge)
        zf_cache_charge(cache, need);
    zf_code c = raw ? load_raw(t) : decode_task(t);
    if (charge)
        zf_cache_uncharge(cache, need, 1);
    return c;
}

/* Does the task's work; see plan.h for the modes. */
void zf_task_run(void *arg)
{
    zf_task *t = arg;
    zf_cache *cache = t->array->z->chunks;
    if (t->mode == ZF_TASK_WAIT) {
        if (zf_cache_wait(cache, t->entry))
            t->mode = ZF_TASK_HIT;
        else {
            /* its load failed: decode it ourselves (through scratch, even
             * a raw chunk: a rare path) */
            t->entry = NULL;
            t->mode = ZF_TASK_DIRECT;
        }
    }
    if (t->mode == ZF_TASK_HIT) {
        zf_task_copy_entry(t);
        zf_cache_release(cache, t->entry);
        t->entry = NULL;
        return;
    }
    if (t->mode == ZF_TASK_DONE)
        return;
    if (t->code == ZF_OK)
        t->code = t->mode == ZF_TASK_IN_PLACE  ? read_raw_in_place(t)
                  : t->mode == ZF_TASK_PARTIAL ? run_partial(t)
                                               : run(t);
    if (t->mode == ZF_TASK_LOAD) {
        zf_cache_publish(cache, t->entry, t->code == ZF_OK);
        if (t->code == ZF_OK && !t->prefetch)
            zf_task_copy_entry(t);
        zf_cache_release(cache, t->entry);
        t->entry = NULL;
    }
    if (t->code != ZF_OK && strncmp(t->err.msg, t->key, strlen(t->key)) != 0)
        zf_err_prefix(&t->err, "%s", t->key);
}
