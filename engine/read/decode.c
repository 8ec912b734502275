/* decode.c - see decode.h. */
#include "decode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

static void *scratch_make(void)
{
    return calloc(1, sizeof(zf_scratch));
}

static void scratch_destroy(void *p)
{
    zf_scratch_free(p);
    free(p);
}

static zf_tls scratch_tls = ZF_TLS_INIT(scratch_make, scratch_destroy);

zf_scratch *zf_scratch_get(zf_scratch *spare)
{
    zf_scratch *s = zf_tls_get(&scratch_tls);
    return s ? s : spare;
}

void zf_scratch_done(zf_scratch *s, zf_bufpool *keep)
{
    zf_buf *bufs[] = {&s->in, &s->a, &s->b, &s->c};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
        zf_buf *b = bufs[i];
        if (b->cap <= ZF_SCRATCH_KEEP)
            continue;
        if (keep) {
            zf_bufpool_put(keep, b->p, b->cap);
            b->p = NULL;
            b->len = b->cap = 0;
        } else
            zf_buf_free(b);
    }
}

void zf_scratch_take(zf_buf *b, zf_bufpool *pool, size_t need)
{
    if (need <= ZF_SCRATCH_KEEP || b->cap >= need || b->fixed)
        return;
    size_t cap;
    void *p = zf_bufpool_get(pool, need, &cap);
    if (!p)
        return;
    zf_buf_free(b);
    b->p = p;
    b->cap = cap;
}

void zf_scratch_free(zf_scratch *s)
{
    zf_buf_free(&s->in);
    zf_buf_free(&s->a);
    zf_buf_free(&s->b);
    zf_buf_free(&s->c);
}

int zf_box_is_whole_contiguous(const zf_pipeline *p, const uint64_t *count,
                               const zf_strided *dst)
{
    int64_t st[ZF_MAX_DIMS];
    zf_c_strides(p->ndim, p->shape, p->dt->size, st);
    for (int d = 0; d < p->ndim; d++)
        if (count[d] != p->shape[d] || (count[d] > 1 && dst->stride[d] != st[d]))
            return 0;
    return 1;
}

/* Runs the bytes->bytes codecs backwards.  The last stage must produce
 * exactly `want` bytes (ZF_SIZE_ANY: any size up to the bound) and writes
 * into `final`; earlier stages may produce any size up to a bound, into the
 * scratch buffers. */
static zf_code run_bb(const zf_pipeline *p, const uint8_t *in, size_t inlen,
                      size_t want, zf_buf *final, zf_scratch *s, zf_err *err)
{
    const uint8_t *cur = in;
    size_t curlen = inlen;
    zf_buf *tmp[2] = {&s->b, &s->c};
    size_t limit = (size_t)zf_pipeline_max_encoded(p);
    for (int i = p->nbb - 1; i >= 0; i--) {
        size_t off, len;
        /* A checksum is verified where the bytes are; only the last stage
         * must copy them into its destination. */
        if (i > 0) {
            zf_code c = zf_bbcodec_peel(p->bb[i], cur, curlen, &off, &len, err);
            if (c == ZF_OK) {
                cur += off;
                curlen = len;
                continue;
            }
            if (c != ZF_EUNSUPPORTED)
                return c;
        }
        zf_buf *out = i == 0 ? final : tmp[i & 1];
        out->len = 0;
        zf_code c = zf_bbcodec_decode(p->bb[i], cur, curlen, out,
                                      i == 0 ? want : ZF_SIZE_ANY, limit, err);
        if (c != ZF_OK)
            return c;
        cur = out->p;
        curlen = out->len;
    }
    if (p->nbb == 0) {
        if (want != ZF_SIZE_ANY && inlen != want)
            return zf_err_set(err, ZF_ECORRUPT, "chunk is %zu bytes, expected "
                              "%llu", inlen, (unsigned long long)p->nbytes);
        zf_code c = zf_buf_reserve(final, inlen, err);
        if (c != ZF_OK)
            return c;
        if (final->p != in)
            memcpy(final->p, in, inlen);
        final->len = inlen;
    }
    return ZF_OK;
}

zf_code zf_shard_check_entry(const zf_shard_conf *s, const char *key,
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

/* The shape each array->array codec of p hands on: shape[0] is the chunk's,
 * shape[p->naa] what the array->bytes codec sees. */
static void aa_shapes(const zf_pipeline *p,
                      uint64_t shape[ZF_MAX_CODECS + 1][ZF_MAX_DIMS])
{
    memcpy(shape[0], p->shape, sizeof(uint64_t) * (size_t)p->ndim);
    for (int i = 0; i < p->naa; i++) {
        const int *perm = p->aa[i].ops->view ? p->aa[i].ops->view(&p->aa[i])
                                             : NULL;
        for (int d = 0; d < p->ndim; d++)
            shape[i + 1][d] = perm ? shape[i][perm[d]] : shape[i][d];
    }
}

/* A shard in memory, shard[0..len), into out (C order of the shard's
 * shape, native order): each inner chunk its index lists decoded into its
 * box (nested shards likewise), the others filled. */
static zf_code cut_shard(const zf_pipeline *p, const uint8_t *shard,
                         size_t len, uint8_t *out, zf_err *err)
{
    const zf_shard_conf *s = &p->shard;
    int nd = p->ndim;
    if (len < s->index_bytes)
        return zf_err_set(err, ZF_ECORRUPT, "shard of %zu bytes is smaller "
                          "than its %llu-byte index", len,
                          (unsigned long long)s->index_bytes);
    uint64_t *ix = malloc((size_t)s->ninner * 16);
    if (!ix)
        return zf_err_set(err, ZF_ENOMEM, "out of memory for a shard index");
    const uint8_t *raw = s->index_at_start ? shard : shard + len - s->index_bytes;
    zf_code c = zf_pipeline_decode_full(s->index_pipe, raw, s->index_bytes, ix,
                                        err);
    if (c != ZF_OK)
        zf_err_prefix(err, "shard index");
    uint64_t shape[ZF_MAX_CODECS + 1][ZF_MAX_DIMS];
    uint64_t g[ZF_MAX_DIMS] = {0}, lo[ZF_MAX_DIMS] = {0};
    aa_shapes(p, shape);
    zf_strided all = {out, {0}};
    zf_c_strides(nd, shape[p->naa], p->dt->size, all.stride);
    zf_scratch inner = {0};
    for (uint64_t i = 0; c == ZF_OK && i < s->ninner; i++) {
        for (int d = 0; d < nd; d++)
            lo[d] = g[d] * s->inner[d];
        zf_strided box = zf_strided_at(&all, nd, lo);
        uint64_t eoff = ix[2 * i], elen = ix[2 * i + 1];
        if (eoff == UINT64_MAX && elen == UINT64_MAX)
            zf_box_fill(nd, s->inner, p->dt->size, &box, p->fill);
        else if ((c = zf_shard_check_entry(s, "shard", len, eoff, elen, i,
                                           err)) == ZF_OK)
            c = zf_decode_box(s->inner_pipe, shard + eoff, (size_t)elen,
                              (const uint64_t[ZF_MAX_DIMS]){0}, s->inner, NULL,
                              &box, &inner, NULL, err);
        for (int d = nd - 1; d >= 0 && ++g[d] == s->grid[d]; d--)
            g[d] = 0; /* the next inner chunk, in C order */
    }
    zf_scratch_free(&inner);
    free(ix);
    return c;
}

/* A sharded chunk into final (p->nbytes): its bytes->bytes codecs undone
 * (a whole shard), then cut by its index. */
static zf_code decode_shard(const zf_pipeline *p, const uint8_t *in,
                            size_t inlen, zf_buf *final, zf_scratch *s,
                            zf_err *err)
{
    zf_buf whole = {0};
    const uint8_t *shard = in;
    size_t len = inlen;
    zf_code c = ZF_OK;
    if (p->nbb) {
        c = run_bb(p, in, inlen, ZF_SIZE_ANY, &whole, s, err);
        shard = whole.p;
        len = whole.len;
    }
    if (c == ZF_OK)
        c = zf_buf_reserve(final, (size_t)p->nbytes, err);
    if (c == ZF_OK)
        c = cut_shard(p, shard, len, final->p, err);
    if (c == ZF_OK)
        final->len = (size_t)p->nbytes;
    zf_buf_free(&whole);
    return c;
}

/* Undoes the array->array codecs.  Reorderings cost nothing: their views
 * only change the strides through which the decoded buffer is read.  A
 * codec that changes values needs its elements in its own order, so pending
 * views are materialised first, then it decodes in place. */
static zf_code undo_aa(const zf_pipeline *p, zf_strided *src, zf_scratch *s,
                       zf_err *err)
{
    uint64_t shape[ZF_MAX_CODECS + 1][ZF_MAX_DIMS];
    int nd = p->ndim;
    aa_shapes(p, shape);
    zf_c_strides(nd, shape[p->naa], p->dt->size, src->stride);
    for (int i = p->naa - 1; i >= 0; i--) {
        const zf_aacodec *c = &p->aa[i];
        const int *perm = c->ops->view ? c->ops->view(c) : NULL;
        if (perm) {
            int64_t st[ZF_MAX_DIMS];
            for (int d = 0; d < nd; d++)
                st[perm[d]] = src->stride[d];
            memcpy(src->stride, st, sizeof st);
            continue;
        }
        zf_strided dense = {0};
        zf_c_strides(nd, shape[i + 1], p->dt->size, dense.stride);
        if (memcmp(dense.stride, src->stride, sizeof(int64_t) * (size_t)nd)) {
            zf_code r = zf_buf_reserve(&s->b, p->nbytes, err);
            if (r != ZF_OK)
                return r;
            dense.base = s->b.p;
            zf_box_copy(nd, shape[i + 1], p->dt->size, &dense, src);
            zf_buf_swap(&s->a, &s->b);
            *src = dense;
        }
        c->ops->decode(c, src->base);
    }
    return ZF_OK;
}

/* 1 if a chunk's stored bytes are its elements as they are: no
 * bytes->bytes codec, native order, not a shard, and array->array codecs
 * that are all reorderings (only strides: undo_aa writes nothing), so the box
 * can be copied straight out of the encoded bytes (which are never
 * written). */
static int raw_as_stored(const zf_pipeline *p)
{
    if (p->nbb || p->sharded || p->whole_shard || zf_pipeline_swaps(p))
        return 0;
    for (int i = 0; i < p->naa; i++)
        if (!p->aa[i].ops->view)
            return 0;
    return 1;
}

size_t zf_decode_box_scratch(const zf_pipeline *p, const uint64_t *count,
                             const zf_strided *dst)
{
    int direct = p->naa == 0 && zf_box_is_whole_contiguous(p, count, dst);
    if (direct || raw_as_stored(p))
        return 0;
    return (size_t)p->nbytes;
}

zf_code zf_decode_box(const zf_pipeline *p, const uint8_t *in, size_t inlen,
                      const uint64_t *lo, const uint64_t *count,
                      const uint64_t *step, const zf_strided *dst, zf_scratch *s, int *in_place,
                      zf_err *err)
{
    int direct = p->naa == 0 && zf_box_is_whole_contiguous(p, count, dst);
    if (!direct && raw_as_stored(p)) {
        /* The stored bytes are the elements: copy the box out of them, with
         * no pass through scratch (a 32 MiB chunk copied there cost a
         * page fault per 4 KiB each time, the scratch being given back). */
        if (inlen != p->nbytes)
            return zf_err_set(err, ZF_ECORRUPT, "chunk is %zu bytes, expected "
                              "%llu", inlen, (unsigned long long)p->nbytes);
        zf_strided src = {(uint8_t *)(uintptr_t)in, {0}};
        zf_code c = undo_aa(p, &src, s, err); /* transposes: strides only */
        if (c != ZF_OK)
            return c;
        zf_strided from = zf_strided_at(&src, p->ndim, lo);
        zf_strided_step(&from, p->ndim, step);
        zf_box_copy(p->ndim, count, p->dt->size, dst, &from);
        if (in_place)
            *in_place = 0;
        return ZF_OK;
    }
    zf_buf window = zf_buf_wrap(dst->base, (size_t)p->nbytes);
    zf_buf *final = direct ? &window : &s->a;
    final->len = 0;
    zf_code c = p->sharded || p->whole_shard
                    ? decode_shard(p, in, inlen, final, s, err)
                    : run_bb(p, in, inlen, (size_t)p->nbytes, final, s, err);
    if (c != ZF_OK)
        return c;
    if (!p->sharded && !p->whole_shard && zf_pipeline_swaps(p))
        zf_dtype_byteswap(p->dt, final->p, p->nbytes / p->dt->size);
    if (in_place)
        *in_place = direct;
    if (direct)
        return ZF_OK;
    zf_strided src = {final->p, {0}};
    c = undo_aa(p, &src, s, err);
    if (c != ZF_OK)
        return c;
    zf_strided from = zf_strided_at(&src, p->ndim, lo);
    zf_strided_step(&from, p->ndim, step);
    zf_box_copy(p->ndim, count, p->dt->size, dst, &from);
    return ZF_OK;
}

zf_code zf_pipeline_decode_full(const zf_pipeline *p, const uint8_t *in,
                                size_t inlen, void *out, zf_err *err)
{
    uint64_t lo[ZF_MAX_DIMS] = {0};
    zf_strided dst = {out, {0}};
    zf_c_strides(p->ndim, p->shape, p->dt->size, dst.stride);
    zf_scratch s = {0};
    zf_code c = zf_decode_box(p, in, inlen, lo, p->shape, NULL, &dst, &s, NULL,
                              err);
    zf_scratch_free(&s);
    return c;
}
