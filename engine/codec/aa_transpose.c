/*
 * aa_transpose.c - the transpose codec (aa.h): a permutation of the chunk's
 * dimensions.  Reads use its view (strides only, nothing decoded); encoding
 * copies the elements into the permuted order.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "aa.h"
#include "jsonb.h"

/* The early v3 drafts' "C" and "F" spellings of an order. */
static zf_code letter_order(zf_aacodec *c, const char *s, zf_err *err)
{
    int rev = strcmp(s, "F") == 0;
    if (!rev && strcmp(s, "C") != 0)
        return zf_err_set(err, ZF_EMETA, "transpose: order \"%s\"", s);
    for (int d = 0; d < c->ndim; d++)
        c->perm[d] = rev ? c->ndim - 1 - d : d;
    return ZF_OK;
}

static zf_code list_order(zf_aacodec *c, json_object *order, zf_err *err)
{
    if (!order || !json_object_is_type(order, json_type_array) ||
        (int)json_object_array_length(order) != c->ndim)
        return zf_err_set(err, ZF_EMETA, "transpose: order must list %d "
                          "dimensions", c->ndim);
    int seen[ZF_MAX_DIMS] = {0};
    for (int d = 0; d < c->ndim; d++) {
        json_object *v = json_object_array_get_idx(order, d);
        int64_t k = json_object_get_int64(v);
        if (!json_object_is_type(v, json_type_int) || k < 0 ||
            k >= c->ndim || seen[k]++)
            return zf_err_set(err, ZF_EMETA, "transpose: order is not a "
                              "permutation of 0..%d", c->ndim - 1);
        c->perm[d] = (int)k;
    }
    return ZF_OK;
}

static zf_code transpose_init(zf_aacodec *c, json_object *conf, uint64_t *next,
                              zf_err *err)
{
    json_object *order = zf_json_get(conf, "order");
    zf_code rc = order && json_object_is_type(order, json_type_string)
                     ? letter_order(c, json_object_get_string(order), err)
                     : list_order(c, order, err);
    if (rc != ZF_OK)
        return rc;
    size_t at = (size_t)snprintf(c->desc, sizeof c->desc, "transpose(");
    for (int d = 0; d < c->ndim; d++) {
        next[d] = c->shape[c->perm[d]];
        if (at < sizeof c->desc)
            at += (size_t)snprintf(c->desc + at, sizeof c->desc - at, "%s%d",
                                   d ? "," : "", c->perm[d]);
    }
    if (at < sizeof c->desc)
        snprintf(c->desc + at, sizeof c->desc - at, ")");
    return ZF_OK;
}

static int transpose_lossless(const zf_aacodec *c)
{
    (void)c;
    return 1;
}

/* Walks the output in C order, following the input through its strides. */
static void transpose_encode(const zf_aacodec *c, const uint8_t *in,
                             uint8_t *out)
{
    int nd = c->ndim;
    size_t es = c->dt->size;
    uint64_t in_st[ZF_MAX_DIMS], st[ZF_MAX_DIMS], ext[ZF_MAX_DIMS];
    uint64_t idx[ZF_MAX_DIMS] = {0}, acc = es;
    for (int d = nd - 1; d >= 0; d--) {
        in_st[d] = acc;
        acc *= c->shape[d];
    }
    for (int d = 0; d < nd; d++) {
        st[d] = in_st[c->perm[d]];
        ext[d] = c->shape[c->perm[d]];
    }
    uint64_t n = c->nbytes / es, off = 0;
    for (uint64_t i = 0; i < n; i++) {
        memcpy(out + i * es, in + off, es);
        for (int d = nd - 1; d >= 0; d--) { /* the next output element */
            off += st[d];
            if (++idx[d] < ext[d])
                break;
            off -= st[d] * ext[d];
            idx[d] = 0;
        }
    }
}

static const int *transpose_view(const zf_aacodec *c)
{
    return c->perm;
}

const zf_aa_ops zf_aa_transpose = {
    .name = "transpose",
    .init = transpose_init,
    .lossless = transpose_lossless,
    .encode = transpose_encode,
    .view = transpose_view,
};
