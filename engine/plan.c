/* plan.c - see plan.h. */
#include "plan.h"

#include "decode.h"

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
                        uint64_t off, uint64_t len, const uint64_t *lo,
                        const uint64_t *count, const zf_view *dst, zf_err *err)
{
    if (pl->ntasks == pl->cap) {
        size_t cap = pl->cap ? pl->cap * 2 : 16;
        zf_task *t = realloc(pl->tasks, cap * sizeof *t);
        if (!t)
            return zf_err_set(err, ZF_ENOMEM, "out of memory");
        pl->tasks = t;
        pl->cap = cap;
    }
    const char *k = keep_key(pl, key, err);
    if (!k)
        return ZF_ENOMEM;
    zf_task *t = &pl->tasks[pl->ntasks++];
    memset(t, 0, sizeof *t);
    t->pipe = p;
    t->key = k;
    t->off = off;
    t->len = len;
    memcpy(t->lo, lo, sizeof(uint64_t) * (size_t)p->ndim);
    memcpy(t->count, count, sizeof(uint64_t) * (size_t)p->ndim);
    t->dst = *dst;
    t->array = pl->array;
    return ZF_OK;
}

/* Reads key[off, off+len) into buf; a short read is corruption (the index
 * or the chunk grid promised those bytes). */
static zf_code read_range(zf_array *a, const char *key, uint64_t off,
                          size_t len, void *buf, zf_err *err)
{
    zf_range_req r = {.key = key, .offset = (int64_t)off, .len = len, .buf = buf};
    zf_store_read(a->z->store, &r, 1);
    atomic_fetch_add(&a->z->counters.store_reads, 1);
    atomic_fetch_add(&a->z->counters.store_bytes_read, r.got);
    if (r.code != ZF_OK) {
        if (err)
            *err = r.err;
        return r.code;
    }
    if (r.got != len)
        return zf_err_set(err, ZF_ECORRUPT, "%s: ends at byte %llu, expected "
                          "%zu bytes at offset %llu", key,
                          (unsigned long long)(off + r.got), len,
                          (unsigned long long)off);
    return ZF_OK;
}

/* Reads and decodes the index of the shard at key[off, off+len); *index
 * receives 2 * ninner native uint64 (offset, nbytes), *shard_len the size of
 * the shard.  *missing is set (and nothing else) if the key does not exist. */
static zf_code load_index(zf_array *a, const zf_pipeline *p, const char *key,
                          uint64_t off, uint64_t len, uint64_t **index,
                          uint64_t *shard_len, int *missing, zf_err *err)
{
    const zf_shard_conf *s = &p->shard;
    *missing = 0;
    if (len == ZF_WHOLE_KEY) {
        zf_store_stat st;
        zf_code c = zf_store_stat_key(a->z->store, key, &st, err);
        if (c == ZF_ENOTFOUND) {
            *missing = 1;
            return ZF_OK;
        }
        if (c != ZF_OK)
            return c;
        len = st.size;
    }
    *shard_len = len;
    if (len < s->index_bytes)
        return zf_err_set(err, ZF_ECORRUPT, "%s: shard of %llu bytes is smaller "
                          "than its %llu-byte index", key, (unsigned long long)len,
                          (unsigned long long)s->index_bytes);
    uint8_t *raw = malloc(s->index_bytes);
    uint64_t *idx = malloc(s->ninner * 16);
    if (!raw || !idx) {
        free(raw);
        free(idx);
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory for the shard "
                          "index", key);
    }
    uint64_t at = s->index_at_start ? off : off + len - s->index_bytes;
    zf_code c = read_range(a, key, at, s->index_bytes, raw, err);
    atomic_fetch_add(&a->z->counters.index_reads, 1);
    if (c == ZF_OK)
        c = zf_pipeline_decode_full(s->index_pipe, raw, s->index_bytes, idx, err);
    free(raw);
    if (c != ZF_OK) {
        free(idx);
        return c == ZF_ECORRUPT ? zf_err_prefix(err, "%s: shard index", key) : c;
    }
    *index = idx;
    return ZF_OK;
}

/* Checks one index entry against the shard's bounds before it is used. */
static zf_code check_entry(const zf_shard_conf *s, const char *key,
                           uint64_t shard_len, uint64_t eoff, uint64_t elen,
                           uint64_t i, zf_err *err)
{
    uint64_t lo = s->index_at_start ? s->index_bytes : 0;
    uint64_t hi = s->index_at_start ? shard_len : shard_len - s->index_bytes;
    if (eoff < lo || eoff > hi || elen > hi - eoff)
        return zf_err_set(err, ZF_ECORRUPT, "%s: shard index entry %llu "
                          "(offset %llu, %llu bytes) lies outside the shard's "
                          "data (%llu..%llu)", key, (unsigned long long)i,
                          (unsigned long long)eoff, (unsigned long long)elen,
                          (unsigned long long)lo, (unsigned long long)hi);
    return ZF_OK;
}

/* The array->array codecs in front of sharding_indexed are transposes (a
 * delta there is refused): each permutes the box and the destination. */
static zf_code fold_transposes(const zf_pipeline *p, uint64_t *lo,
                               uint64_t *count, zf_view *dst, zf_err *err)
{
    for (int i = 0; i < p->naa; i++) {
        if (p->aa[i].kind != ZF_AA_TRANSPOSE)
            return zf_err_set(err, ZF_EUNSUPPORTED, "delta before "
                              "sharding_indexed");
        uint64_t l[ZF_MAX_DIMS], c[ZF_MAX_DIMS];
        int64_t st[ZF_MAX_DIMS];
        for (int d = 0; d < p->ndim; d++) {
            l[d] = lo[p->aa[i].perm[d]];
            c[d] = count[p->aa[i].perm[d]];
            st[d] = dst->stride[p->aa[i].perm[d]];
        }
        memcpy(lo, l, sizeof l);
        memcpy(count, c, sizeof c);
        memcpy(dst->stride, st, sizeof st);
    }
    return ZF_OK;
}

static zf_code plan_inner(zf_plan *pl, const zf_pipeline *p, const char *key,
                          uint64_t off, uint64_t shard_len, const uint64_t *idx,
                          const uint64_t *lo, const uint64_t *count,
                          const zf_view *dst, zf_err *err)
{
    const zf_shard_conf *s = &p->shard;
    int nd = p->ndim;
    uint64_t first[ZF_MAX_DIMS], last[ZF_MAX_DIMS], at[ZF_MAX_DIMS];
    for (int d = 0; d < nd; d++) {
        first[d] = at[d] = lo[d] / s->inner[d];
        last[d] = (lo[d] + count[d] - 1) / s->inner[d];
    }
    for (;;) {
        uint64_t lin = 0, sub_lo[ZF_MAX_DIMS], sub_n[ZF_MAX_DIMS], rel[ZF_MAX_DIMS];
        for (int d = 0; d < nd; d++) {
            uint64_t c0 = at[d] * s->inner[d], c1 = c0 + s->inner[d];
            uint64_t b0 = lo[d] > c0 ? lo[d] : c0;
            uint64_t b1 = lo[d] + count[d] < c1 ? lo[d] + count[d] : c1;
            sub_lo[d] = b0 - c0;
            sub_n[d] = b1 - b0;
            rel[d] = b0 - lo[d];
            lin = lin * s->grid[d] + at[d];
        }
        zf_view sub = zf_view_at(dst, nd, rel);
        uint64_t eoff = idx[2 * lin], elen = idx[2 * lin + 1];
        zf_code c = ZF_OK;
        if (eoff == UINT64_MAX && elen == UINT64_MAX)
            zf_box_fill(nd, sub_n, p->dt->size, &sub, p->fill);
        else if ((c = check_entry(s, key, shard_len, eoff, elen, lin, err)) == ZF_OK)
            c = zf_plan_chunk(pl, s->inner_pipe, key, off + eoff, elen, sub_lo,
                              sub_n, &sub, err);
        if (c != ZF_OK)
            return c;
        int d = nd - 1;
        for (; d >= 0 && at[d] == last[d]; d--)
            at[d] = first[d];
        if (d < 0)
            return ZF_OK;
        at[d]++;
    }
}

zf_code zf_plan_chunk(zf_plan *pl, const zf_pipeline *p, const char *key,
                      uint64_t off, uint64_t len, const uint64_t *lo_in,
                      const uint64_t *count_in, const zf_view *dst_in,
                      zf_err *err)
{
    if (!p->sharded)
        return add_task(pl, p, key, off, len, lo_in, count_in, dst_in, err);
    uint64_t lo[ZF_MAX_DIMS], count[ZF_MAX_DIMS];
    zf_view dst = *dst_in;
    memcpy(lo, lo_in, sizeof(uint64_t) * (size_t)p->ndim);
    memcpy(count, count_in, sizeof(uint64_t) * (size_t)p->ndim);
    zf_code c = fold_transposes(p, lo, count, &dst, err);
    uint64_t *idx = NULL, shard_len = 0;
    int missing = 0;
    if (c == ZF_OK)
        c = load_index(pl->array, p, key, off, len, &idx, &shard_len, &missing, err);
    if (c != ZF_OK)
        return c;
    if (missing) {
        zf_box_fill(p->ndim, count, p->dt->size, &dst, p->fill);
        return ZF_OK;
    }
    c = plan_inner(pl, p, key, off, shard_len, idx, lo, count, &dst, err);
    free(idx);
    return c;
}

/* The encoded bytes of a task: a range, or a whole key (missing = fill). */
static zf_code fetch(zf_task *t, zf_buf *in, int *missing)
{
    zf_array *a = t->array;
    uint64_t len = t->len;
    *missing = 0;
    if (len == ZF_WHOLE_KEY) {
        zf_store_stat st;
        zf_code c = zf_store_stat_key(a->z->store, t->key, &st, &t->err);
        if (c == ZF_ENOTFOUND) {
            *missing = 1;
            return ZF_OK;
        }
        if (c != ZF_OK)
            return c;
        len = st.size;
    }
    /* No codec here expands data by more than this; a larger chunk is
     * damage, refused before allocating for it. */
    if (len > t->pipe->nbytes * 2 + (1 << 20))
        return zf_err_set(&t->err, ZF_ECORRUPT, "%s: chunk of %llu bytes is too "
                          "large for %llu decoded bytes", t->key,
                          (unsigned long long)len,
                          (unsigned long long)t->pipe->nbytes);
    zf_code c = zf_buf_reserve(in, (size_t)len, &t->err);
    if (c == ZF_OK)
        c = read_range(a, t->key, t->off, (size_t)len, in->p, &t->err);
    in->len = (size_t)len;
    return c;
}

void zf_task_run(void *arg)
{
    zf_task *t = arg;
    zf_scratch *s = zf_scratch_get();
    int missing = 0;
    if (!s) {
        t->code = zf_err_set(&t->err, ZF_ENOMEM, "%s: out of memory", t->key);
        return;
    }
    t->code = fetch(t, &s->in, &missing);
    if (t->code != ZF_OK)
        return;
    if (missing) {
        zf_box_fill(t->pipe->ndim, t->count, t->pipe->dt->size, &t->dst,
                    t->pipe->fill);
        return;
    }
    t->code = zf_decode_box(t->pipe, s->in.p, s->in.len, t->lo, t->count,
                            &t->dst, s, NULL, &t->err);
    if (t->code != ZF_OK)
        zf_err_prefix(&t->err, "%s", t->key);
    else
        atomic_fetch_add(&t->array->z->counters.chunks_decoded, 1);
}

void zf_plan_free(zf_plan *pl)
{
    for (size_t i = 0; i < pl->nkeys; i++)
        free(pl->keys[i]);
    free(pl->keys);
    free(pl->tasks);
    memset(pl, 0, sizeof *pl);
}
