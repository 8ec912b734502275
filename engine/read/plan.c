/* plan.c - planning a read: chunks and shards into tasks; see plan.h. */
#include "plan.h"

#include "decode.h"
#include "meta/meta.h"
#include "partial.h"

#include <stdlib.h>
#include <string.h>

static const char *keep_key(zf_plan *pl, const char *key, zf_err *err)
{
    if (pl->nkeys && strcmp(pl->keys[pl->nkeys - 1], key) == 0)
        return pl->keys[pl->nkeys - 1];
    if (pl->nkeys == pl->capkeys) {
        size_t cap = pl->capkeys ? pl->capkeys * 2 : 16;
        char **k = realloc(pl->keys, cap * sizeof *k);
        if (!k)
            return zf_err_set(err, ZF_ENOMEM, "out of memory"), NULL;
        pl->keys = k;
        pl->capkeys = cap;
    }
    char *d = strdup(key);
    if (!d)
        return zf_err_set(err, ZF_ENOMEM, "out of memory"), NULL;
    pl->keys[pl->nkeys++] = d;
    return d;
}

static zf_code add_task(zf_plan *pl, const zf_pipeline *p, const char *key,
                        uint64_t off, uint64_t len, uint64_t tag,
                        const uint64_t *lo, const uint64_t *count,
                        const uint64_t *step, const zf_strided *dst, zf_err *err)
{
    if (pl->ntasks == pl->cap) {
        size_t cap = pl->cap ? pl->cap * 2 : 16;
        zf_task *t = realloc(pl->tasks, cap * sizeof *t);
        if (!t)
            return zf_err_set(err, ZF_ENOMEM, "out of memory");
        pl->tasks = t;
        pl->cap = cap;
    }
    if (len > zf_pipeline_max_encoded(p))
        return zf_err_set(err, ZF_ECORRUPT, "%s: chunk of %llu bytes is too "
                          "large for %llu decoded bytes", key,
                          (unsigned long long)len, (unsigned long long)p->nbytes);
    const char *k = keep_key(pl, key, err);
    if (!k)
        return ZF_ENOMEM;
    zf_task *t = &pl->tasks[pl->ntasks++];
    memset(t, 0, sizeof *t);
    t->pipe = p;
    t->key = k;
    t->off = off;
    t->len = len;
    t->tag = tag;
    memcpy(t->lo, lo, sizeof(uint64_t) * (size_t)p->ndim);
    memcpy(t->count, count, sizeof(uint64_t) * (size_t)p->ndim);
    for (int d = 0; d < p->ndim; d++)
        t->step[d] = step ? step[d] : 1;
    t->dst = *dst;
    t->array = pl->array;
    t->prefetch = pl->prefetch;
    return ZF_OK;
}

/* Missing data reads as the fill value (nothing to do when prefetching). */
static void fill(const zf_plan *pl, const zf_pipeline *p, const uint64_t *count,
                 const zf_strided *dst)
{
    if (!pl->prefetch)
        zf_box_fill(p->ndim, count, p->dt->size, dst, p->fill);
}

/* One store read, counted; its error in err. */
static zf_code read_counted(zf_array *a, zf_range_req *r, zf_err *err)
{
    zf_store_read(a->z->store, r, 1);
    atomic_fetch_add(&a->z->counters.store_reads, 1);
    atomic_fetch_add(&a->z->counters.store_bytes_read, r->got);
    if (r->code != ZF_OK)
        *err = r->err;
    return r->code;
}

zf_code zf_plan_read_range(zf_array *a, const char *key, uint64_t off,
                           size_t len, uint64_t tag, void *buf, zf_err *err)
{
    zf_range_req r = {.key = key, .offset = (int64_t)off, .len = len, .buf = buf,
                      .version = tag};
    zf_code c = read_counted(a, &r, err);
    if (c != ZF_OK)
        return c;
    if (r.got != len)
        return zf_err_set(err, ZF_ECORRUPT, "%s: ends at byte %llu, expected "
                          "%zu bytes at offset %llu", key,
                          (unsigned long long)(off + r.got), len,
                          (unsigned long long)off);
    return ZF_OK;
}

/* A decoded shard index: in the index cache, or (when it cannot be cached)
 * in a buffer of our own. */
typedef struct shard_index {
    const uint64_t *v; /* 2 * ninner: offset, nbytes */
    zf_centry *entry;
    uint64_t *own;
    uint64_t shard_len, tag;
} shard_index;

/* The size and version of a whole key (which tells versions apart), or
 * ZF_ENOTFOUND. */
static zf_code key_version(zf_array *a, const char *key, uint64_t *len,
                           uint64_t *tag, zf_err *err)
{
    zf_store_stat st;
    zf_code c = zf_store_stat_key(a->z->store, key, &st, err);
    if (c == ZF_OK) {
        *len = st.size;
        *tag = st.version; /* never 0 (store.h) */
    }
    return c;
}

static void index_release(zf_array *a, shard_index *ix)
{
    if (ix->entry)
        zf_cache_release(a->z->indexes, ix->entry);
    free(ix->own);
}

/* Decodes the index of the shard at key[off, off+len) into out: from raw
 * (its bytes, read already) or read here. */
static zf_code index_decode(zf_array *a, const zf_pipeline *p, const char *key,
                            uint64_t off, uint64_t len, uint64_t tag,
                            const uint8_t *raw, void *out, zf_err *err)
{
    const zf_shard_conf *s = &p->shard;
    uint8_t *own = NULL;
    zf_code c = ZF_OK;
    if (!raw) {
        if (!(own = malloc(s->index_bytes)))
            return zf_err_set(err, ZF_ENOMEM, "%s: out of memory for the shard "
                              "index", key);
        uint64_t at = s->index_at_start ? off : off + len - s->index_bytes;
        c = zf_plan_read_range(a, key, at, s->index_bytes, tag, own, err);
        atomic_fetch_add(&a->z->counters.index_reads, 1);
        raw = own;
    }
    if (c == ZF_OK)
        c = zf_pipeline_decode_full(s->index_pipe, raw, s->index_bytes, out, err);
    free(own);
    if (c == ZF_ECORRUPT || c == ZF_ELIMIT)
        zf_err_prefix(err, "%s: shard index", key);
    return c;
}

/* Gets the index of the shard at key[off, off+len), through the index cache
 * (an entry is valid while the shard keeps its version: see zf_store_stat);
 * raw, when not NULL, is the index's bytes, read already.  With `cached`
 * (zf_plan.cached) only a ready entry is used: ZF_ENOTFOUND (no message)
 * otherwise, without waiting for another read's load. */
static zf_code index_get(zf_array *a, const zf_pipeline *p, const char *key,
                         uint64_t off, uint64_t len, uint64_t tag,
                         const uint8_t *raw, int cached, shard_index *ix,
                         zf_err *err)
{
    const zf_shard_conf *s = &p->shard;
    memset(ix, 0, sizeof *ix);
    ix->tag = tag;
    ix->shard_len = len;
    if (len < s->index_bytes)
        return zf_err_set(err, ZF_ECORRUPT, "%s: shard of %llu bytes is smaller "
                          "than its %llu-byte index", key, (unsigned long long)len,
                          (unsigned long long)s->index_bytes);
    size_t size = (size_t)s->ninner * 16;
    zf_centry *e;
    zf_cache_result got = zf_cache_acquire(a->z->indexes, p, key, off, tag, size,
                                           cached ? ZF_CACHE_LOOKUP : ZF_CACHE_INSERT, &e);
    if (cached && got != ZF_CACHE_HIT) {
        if (e)
            zf_cache_release(a->z->indexes, e);
        return ZF_ENOTFOUND;
    }
    switch (got) {
    case ZF_CACHE_HIT:
        break;
    case ZF_CACHE_BUSY:
        if (zf_cache_wait(a->z->indexes, e))
            break;
        e = NULL; /* the other load failed: try ourselves */
        __attribute__((fallthrough));
    case ZF_CACHE_NONE:
        if (!(ix->own = malloc(size)))
            return zf_err_set(err, ZF_ENOMEM, "%s: out of memory", key);
        ix->v = ix->own;
        zf_code c = index_decode(a, p, key, off, len, tag, raw, ix->own, err);
        if (c != ZF_OK) {
            free(ix->own);
            ix->own = NULL;
        }
        return c;
    case ZF_CACHE_LOAD: {
        zf_code c = index_decode(a, p, key, off, len, tag, raw, e->data, err);
        zf_cache_publish(a->z->indexes, e, c == ZF_OK);
        if (c != ZF_OK) {
            zf_cache_release(a->z->indexes, e);
            return c;
        }
        break;
    }
    }
    ix->entry = e;
    ix->v = (const uint64_t *)e->data;
    return ZF_OK;
}

/* The array->array codecs in front of sharding_indexed must be reorderings
 * (codec/aa.h: a view; a delta there is refused): each permutes the box and
 * the destination. */
static zf_code fold_transposes(const zf_pipeline *p, uint64_t *lo,
                               uint64_t *count, uint64_t *step, zf_strided *dst,
                               zf_err *err)
{
    for (int i = 0; i < p->naa; i++) {
        const zf_aacodec *a = &p->aa[i];
        const int *perm = a->ops->view ? a->ops->view(a) : NULL;
        if (!perm)
            return zf_err_set(err, ZF_EUNSUPPORTED, "%s before "
                              "sharding_indexed", a->ops->name);
        uint64_t l[ZF_MAX_DIMS], c[ZF_MAX_DIMS], sp[ZF_MAX_DIMS];
        int64_t st[ZF_MAX_DIMS];
        for (int d = 0; d < p->ndim; d++) {
            l[d] = lo[perm[d]];
            c[d] = count[perm[d]];
            sp[d] = step[perm[d]];
            st[d] = dst->stride[perm[d]];
        }
        memcpy(lo, l, sizeof l);
        memcpy(count, c, sizeof c);
        memcpy(step, sp, sizeof sp);
        memcpy(dst->stride, st, sizeof st);
    }
    return ZF_OK;
}

typedef struct inner_ctx {
    zf_plan *pl;
    const zf_pipeline *p;
    const char *key;
    uint64_t off;
    const shard_index *ix;
    const uint64_t *step;
    const zf_strided *dst;
    zf_err *err;
    zf_code code;
} inner_ctx;

/* Plans one inner chunk of a shard: the fill value for an empty entry, else
 * (after checking the entry) the chunk at its range of the shard. */
static int plan_inner(void *arg, const zf_grid_cell *cell)
{
    inner_ctx *x = arg;
    const zf_shard_conf *s = &x->p->shard;
    uint64_t lin = 0;
    for (int d = 0; d < x->p->ndim; d++)
        lin = lin * s->grid[d] + cell->at[d];
    zf_strided sub = zf_strided_at(x->dst, x->p->ndim, cell->rel);
    uint64_t eoff = x->ix->v[2 * lin], elen = x->ix->v[2 * lin + 1];
    if (eoff == UINT64_MAX && elen == UINT64_MAX) {
        fill(x->pl, x->p, cell->count, &sub);
        return 0;
    }
    x->code = zf_shard_check_entry(s, x->key, x->ix->shard_len, eoff, elen, lin, x->err);
    if (x->code == ZF_OK)
        x->code = zf_plan_chunk_step(x->pl, s->inner_pipe, x->key,
                                     x->off + eoff, elen, x->ix->tag, cell->lo,
                                     cell->count, x->step, &sub, x->err);
    return x->code != ZF_OK;
}

/* A whole shard of a store whose stat costs a request, not met before:
 * its index is read first, with a suffix range (or a prefix one when the
 * index is at the start), and the reply tells the shard's size and version,
 * so nothing is asked twice.  *raw is the index's bytes (freed by the
 * caller), or NULL when the shard is missing. */
static zf_code shard_cold(zf_array *a, const zf_pipeline *p, const char *key,
                          uint64_t *len, uint64_t *tag, uint8_t **raw,
                          zf_err *err)
{
    const zf_shard_conf *s = &p->shard;
    *raw = malloc(s->index_bytes);
    if (!*raw)
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory for the shard "
                          "index", key);
    zf_range_req r = {.key = key,
                      .offset = s->index_at_start ? 0 : -(int64_t)s->index_bytes,
                      .len = s->index_bytes,
                      .buf = *raw};
    zf_code c = read_counted(a, &r, err);
    atomic_fetch_add(&a->z->counters.index_reads, 1);
    if (c == ZF_OK) /* (remembered from the reply: no request) */
        c = key_version(a, key, len, tag, err);
    /* another thread's reply may have told a newer version meanwhile: this
     * index must not be paired with that version's chunks */
    if (c == ZF_OK && r.read_version && r.read_version != *tag)
        c = zf_err_set(err, ZF_ECHANGED, "%s: changed while being read", key);
    if (c == ZF_OK && (r.got != s->index_bytes || *len < s->index_bytes))
        c = zf_err_set(err, ZF_ECORRUPT, "%s: shard of %llu bytes is smaller "
                       "than its %llu-byte index", key, (unsigned long long)*len,
                       (unsigned long long)s->index_bytes);
    if (c != ZF_OK) {
        free(*raw);
        *raw = NULL;
    }
    return c;
}

zf_code zf_plan_chunk(zf_plan *pl, const zf_pipeline *p, const char *key,
                      uint64_t off, uint64_t len, uint64_t tag,
                      const uint64_t *lo, const uint64_t *count,
                      const zf_strided *dst, zf_err *err)
{
    return zf_plan_chunk_step(pl, p, key, off, len, tag, lo, count, NULL, dst,
                              err);
}

zf_code zf_plan_chunk_step(zf_plan *pl, const zf_pipeline *p, const char *key,
                           uint64_t off, uint64_t len, uint64_t tag,
                           const uint64_t *lo_in, const uint64_t *count_in,
                           const uint64_t *step_in, const zf_strided *dst_in,
                           zf_err *err)
{
    uint8_t *raw = NULL; /* the shard index, when read already */
    if (len == ZF_WHOLE_KEY) {
        zf_store *st = pl->array->z->store;
        zf_store_stat known;
        zf_code c;
        if (p->sharded && zf_store_stat_is_costly(st) &&
            zf_store_peek(st, key, &known) < 0)
            c = shard_cold(pl->array, p, key, &len, &tag, &raw, err);
        else
            c = key_version(pl->array, key, &len, &tag, err);
        if (c == ZF_ENOTFOUND) { /* never written: the fill value */
            fill(pl, p, count_in, dst_in);
            return ZF_OK;
        }
        if (c != ZF_OK)
            return c;
    }
    if (!p->sharded)
        return add_task(pl, p, key, off, len, tag, lo_in, count_in, step_in,
                        dst_in, err);
    uint64_t lo[ZF_MAX_DIMS], count[ZF_MAX_DIMS], step[ZF_MAX_DIMS];
    zf_strided dst = *dst_in;
    memcpy(lo, lo_in, sizeof(uint64_t) * (size_t)p->ndim);
    memcpy(count, count_in, sizeof(uint64_t) * (size_t)p->ndim);
    for (int d = 0; d < p->ndim; d++)
        step[d] = step_in ? step_in[d] : 1;
    shard_index ix;
    zf_code c = fold_transposes(p, lo, count, step, &dst, err);
    if (c == ZF_OK)
        c = index_get(pl->array, p, key, off, len, tag, raw, pl->cached, &ix,
                      err);
    free(raw);
    if (c != ZF_OK)
        return c;
    inner_ctx x = {pl, p, key, off, &ix, step, &dst, err, ZF_OK};
    zf_grid_each_step(p->ndim, p->shard.inner, lo, count, step, plan_inner, &x);
    index_release(pl->array, &ix);
    return x.code;
}

zf_code zf_plan_cell(zf_plan *pl, const zf_grid_cell *cell,
                     const uint64_t *step, const zf_strided *box, zf_err *err)
{
    zf_array *a = pl->array;
    char key[4096];
    zf_strided dst = zf_strided_at(box, a->ndim, cell->rel);
    zf_code c = zf_chunk_key(a, cell->at, key, sizeof key, err);
    if (c == ZF_OK)
        c = zf_plan_chunk_step(pl, a->pipe, key, 0, ZF_WHOLE_KEY, 0, cell->lo,
                               cell->count, step, &dst, err);
    return c;
}

/* 1 if the task, decoding straight into dst, needs no codec and lands whole
 * and contiguous there: its bytes can be read into dst as they are. */
static int reads_in_place(const zf_task *t)
{
    const zf_pipeline *p = t->pipe;
    return p->nbb == 0 && p->naa == 0 && t->len == p->nbytes &&
           zf_box_is_whole_contiguous(p, t->count, &t->dst);
}

/* 1 if the task (not of a prefetch, nor of a stream: zf_plan.stream) needs
 * part of a raw chunk (bytes codec alone) that is large and stored whole,
 * in at most ZF_PARTIAL_MAX_RANGES ranges covering at most half of it: then
 * it reads only those (its part_* fields set here).  A chunk of another
 * size than its decoded one is read whole, for the decode to report. */
static int reads_in_part(const zf_plan *pl, zf_task *t, int whole)
{
    const zf_pipeline *p = t->pipe;
    if (pl->prefetch || pl->stream || whole || p->nbb || p->naa ||
        p->sharded || p->whole_shard || t->len != p->nbytes ||
        p->nbytes < ZF_PARTIAL_MIN_CHUNK)
        return 0;
    for (int d = 0; d < p->ndim; d++)
        if (t->count[d] == 0)
            return 0;
    zf_spans s;
    uint64_t n, bytes, off, len;
    zf_spans_init(&s, p->ndim, p->shape, p->dt->size, t->lo, t->count,
                  t->step);
    zf_spans_measure(&s, ZF_PARTIAL_MAX_RANGES, &n, &bytes, &off, &len);
    if (n > ZF_PARTIAL_MAX_RANGES || bytes > p->nbytes / 2)
        return 0;
    t->part_off = t->off + off;
    t->part_len = len;
    t->part_ranges = n;
    return 1;
}

void zf_plan_lookup(zf_plan *pl)
{
    zf_cache *cache = pl->array->z->chunks;
    for (size_t i = 0; i < pl->ntasks; i++) {
        zf_task *t = &pl->tasks[i];
        int whole = 1;
        for (int d = 0; d < t->pipe->ndim; d++)
            whole &= t->count[d] == t->pipe->shape[d];
        /* A chunk a read uses only part of is likely to be read again (the
         * rest of it, by the next reads): keep it.  Whole chunks are not
         * cached unless they are being prefetched, nor raw chunks read in
         * part (a cached one is used). */
        int part = reads_in_part(pl, t, whole);
        zf_cache_mode mode = pl->prefetch               ? ZF_CACHE_PREFETCH
                             : whole || pl->once || part ? ZF_CACHE_LOOKUP
                                                         : ZF_CACHE_INSERT;
        switch (zf_cache_acquire(cache, t->pipe, t->key, t->off, t->tag,
                                 (size_t)t->pipe->nbytes, mode, &t->entry)) {
        case ZF_CACHE_HIT: t->mode = pl->prefetch ? ZF_TASK_DONE : ZF_TASK_HIT; break;
        case ZF_CACHE_BUSY: t->mode = pl->prefetch ? ZF_TASK_DONE : ZF_TASK_WAIT; break;
        case ZF_CACHE_LOAD: t->mode = ZF_TASK_LOAD; break;
        case ZF_CACHE_NONE:
            t->mode = pl->prefetch ? ZF_TASK_DONE
                      : part       ? ZF_TASK_PARTIAL
                                   : ZF_TASK_DIRECT;
            break;
        }
        if (t->mode == ZF_TASK_DIRECT && reads_in_place(t))
            t->mode = ZF_TASK_IN_PLACE;
        if (t->mode == ZF_TASK_DONE && t->entry) {
            zf_cache_release(cache, t->entry);
            t->entry = NULL;
        }
    }
}

void zf_plan_free(zf_plan *pl)
{
    for (size_t i = 0; i < pl->nkeys; i++)
        free(pl->keys[i]);
    free(pl->keys);
    free(pl->tasks);
    memset(pl, 0, sizeof *pl);
}
