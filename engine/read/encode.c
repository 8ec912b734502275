/* encode.c - see encode.h. */
#include "encode.h"

#include <stdlib.h>
#include <string.h>

#include "box.h"

/* The buffer of tmp that does not hold `cur`. */
static zf_buf *other(zf_buf tmp[2], const uint8_t *cur)
{
    return cur == tmp[0].p ? &tmp[1] : &tmp[0];
}

/* The array->array codecs, forwards; returns where the result is. */
static zf_code encode_aa(const zf_pipeline *p, const uint8_t **cur,
                         zf_buf tmp[2], zf_err *err)
{
    for (int i = 0; i < p->naa; i++) {
        zf_buf *next = other(tmp, *cur);
        zf_code rc = zf_buf_reserve(next, (size_t)p->nbytes, err);
        if (rc != ZF_OK)
            return rc;
        p->aa[i].ops->encode(&p->aa[i], *cur, next->p);
        next->len = (size_t)p->nbytes;
        *cur = next->p;
    }
    return ZF_OK;
}

/* The shape the array->bytes codec sees: the last array->array codec's
 * shape as it hands it on. */
static void ab_shape(const zf_pipeline *p, uint64_t *shape)
{
    const zf_aacodec *last = p->naa ? &p->aa[p->naa - 1] : NULL;
    const int *perm = last && last->ops->view ? last->ops->view(last) : NULL;
    const uint64_t *from = last ? last->shape : p->shape;
    for (int d = 0; d < p->ndim; d++)
        shape[d] = from[perm ? perm[d] : d];
}

/* sharding_indexed: each inner chunk cut out of the shard (C order of its
 * shape) and encoded, appended in C order after or before the index. */
static zf_code encode_shard(const zf_pipeline *p, const uint8_t *shard,
                            zf_buf *out, zf_err *err)
{
    const zf_shard_conf *s = &p->shard;
    const zf_pipeline *ip = s->inner_pipe;
    int nd = p->ndim;
    uint64_t shape[ZF_MAX_DIMS], g[ZF_MAX_DIMS] = {0}, lo[ZF_MAX_DIMS];
    ab_shape(p, shape);
    zf_strided all = {(uint8_t *)(uintptr_t)shard, {0}}, box = {0};
    zf_c_strides(nd, shape, p->dt->size, all.stride);
    zf_c_strides(nd, s->inner, p->dt->size, box.stride);
    uint64_t *ix = malloc((size_t)s->ninner * 16);
    zf_buf raw = {0}, enc = {0}, idx = {0}, t[2] = {{0}};
    zf_code rc = ix ? zf_buf_reserve(&raw, (size_t)ip->nbytes, err)
                    : zf_err_set(err, ZF_ENOMEM, "out of memory for a shard");
    size_t at = s->index_at_start ? (size_t)s->index_bytes : 0;
    if (rc == ZF_OK)
        rc = zf_buf_reserve(out, at, err);
    for (uint64_t i = 0; rc == ZF_OK && i < s->ninner; i++) {
        for (int d = 0; d < nd; d++)
            lo[d] = g[d] * s->inner[d];
        zf_strided from = zf_strided_at(&all, nd, lo);
        box.base = raw.p;
        zf_box_copy(nd, s->inner, p->dt->size, &box, &from);
        rc = zf_pipeline_encode(ip, raw.p, &enc, t, err);
        if (rc == ZF_OK)
            rc = zf_buf_reserve(out, at + enc.len, err);
        if (rc == ZF_OK) {
            memcpy(out->p + at, enc.p, enc.len);
            ix[2 * i] = at;
            ix[2 * i + 1] = enc.len;
            at += enc.len;
        }
        for (int d = nd - 1; d >= 0 && ++g[d] == s->grid[d]; d--)
            g[d] = 0; /* the next inner chunk, in C order */
    }
    if (rc == ZF_OK)
        rc = zf_shard_index_encode(p, ix, &idx, t, err);
    if (rc == ZF_OK)
        rc = zf_buf_reserve(out, at + idx.len, err);
    if (rc == ZF_OK) {
        memcpy(out->p + (s->index_at_start ? 0 : at), idx.p, idx.len);
        out->len = at + (s->index_at_start ? 0 : idx.len);
    }
    free(ix);
    zf_buf_free(&raw);
    zf_buf_free(&enc);
    zf_buf_free(&idx);
    zf_buf_free(&t[0]);
    zf_buf_free(&t[1]);
    return rc;
}

/* The array->bytes codec: a shard, or the elements in the stored order. */
static zf_code encode_ab(const zf_pipeline *p, const uint8_t **cur,
                         zf_buf tmp[2], zf_err *err)
{
    zf_buf *next = other(tmp, *cur);
    next->len = 0;
    if (p->sharded || p->whole_shard) {
        zf_code rc = encode_shard(p, *cur, next, err);
        if (rc == ZF_OK)
            *cur = next->p;
        return rc;
    }
    if (!zf_pipeline_swaps(p))
        return ZF_OK;
    zf_code rc = zf_buf_reserve(next, (size_t)p->nbytes, err);
    if (rc != ZF_OK)
        return rc;
    memcpy(next->p, *cur, (size_t)p->nbytes);
    next->len = (size_t)p->nbytes;
    zf_dtype_byteswap(p->dt, next->p, p->nbytes / p->dt->size);
    *cur = next->p;
    return ZF_OK;
}

zf_code zf_pipeline_encode(const zf_pipeline *p, const uint8_t *chunk,
                           zf_buf *out, zf_buf tmp[2], zf_err *err)
{
    const uint8_t *cur = chunk;
    zf_code rc = encode_aa(p, &cur, tmp, err);
    if (rc == ZF_OK)
        rc = encode_ab(p, &cur, tmp, err);
    if (rc != ZF_OK)
        return rc;
    size_t len = cur == chunk ? (size_t)p->nbytes
                 : cur == tmp[0].p ? tmp[0].len : tmp[1].len;
    for (int i = 0; i < p->nbb; i++) {
        zf_buf *next = i == p->nbb - 1 ? out : other(tmp, cur);
        rc = zf_bbcodec_encode(p->bb[i], cur, len, next, err);
        if (rc != ZF_OK)
            return rc;
        cur = next->p;
        len = next->len;
    }
    if (p->nbb == 0) {
        if ((rc = zf_buf_reserve(out, len, err)) != ZF_OK)
            return rc;
        memcpy(out->p, cur, len);
        out->len = len;
    }
    return ZF_OK;
}

zf_code zf_shard_index_encode(const zf_pipeline *p, const uint64_t *ix,
                              zf_buf *out, zf_buf tmp[2], zf_err *err)
{
    zf_code rc = zf_pipeline_encode(p->shard.index_pipe, (const uint8_t *)ix,
                                    out, tmp, err);
    if (rc == ZF_OK && out->len != p->shard.index_bytes)
        rc = zf_err_set(err, ZF_EINVAL, "sharding_indexed: the index encoded "
                        "to %zu bytes, not %llu", out->len,
                        (unsigned long long)p->shard.index_bytes);
    return rc;
}

int zf_pipeline_lossless(const zf_pipeline *p, const char **name)
{
    for (int i = 0; i < p->naa; i++)
        if (!p->aa[i].ops->lossless(&p->aa[i]))
            return name ? (*name = p->aa[i].ops->name, 0) : 0;
    for (int i = 0; i < p->nbb; i++)
        if (!zf_bbcodec_lossless(p->bb[i]))
            return name ? (*name = zf_bbcodec_name(p->bb[i]), 0) : 0;
    if (p->shard.inner_pipe && !zf_pipeline_lossless(p->shard.inner_pipe, name))
        return 0;
    return !p->shard.index_pipe || zf_pipeline_lossless(p->shard.index_pipe, name);
}
