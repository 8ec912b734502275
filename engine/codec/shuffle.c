/*
 * shuffle.c - numcodecs' byte-shuffle filter ("numcodecs.shuffle", numcodecs
 * "shuffle"): for n items of `elementsize` bytes, byte b of item i is stored
 * at b * n + i.  An element size of 0 or 1 leaves the bytes as they are; a
 * buffer that is not a whole number of items is refused, as numcodecs does.
 * Stateless and thread-safe.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "codec_impl.h"

/* dst[c * rows + r] = src[r * cols + c]: a rows x cols matrix of bytes
 * transposed, walking the destination in order.  Shuffling n items of es
 * bytes transposes n x es; unshuffling, es x n. */
static void transpose(uint8_t *dst, const uint8_t *src, size_t rows,
                      size_t cols)
{
    for (size_t c = 0; c < cols; c++) {
        const uint8_t *s = src + c;
        uint8_t *d = dst + c * rows;
        for (size_t r = 0; r < rows; r++)
            d[r] = s[r * cols];
    }
}

/* out->p = in (whole items) shuffled, or unshuffled when `un`. */
static void permute(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                    zf_buf *out, int un)
{
    size_t es = c->elementsize, n = es > 1 ? inlen / es : inlen;
    if (es <= 1)
        memcpy(out->p, in, inlen);
    else if (un)
        transpose(out->p, in, es, n);
    else
        transpose(out->p, in, n, es);
    out->len = inlen;
}

/* ZF_OK if len is whole items, else `code` (ZF_ECORRUPT decoding,
 * ZF_EINVAL encoding). */
static zf_code whole_items(const zf_bbcodec *c, size_t len, zf_code code,
                           zf_err *err)
{
    if (c->elementsize <= 1 || len % c->elementsize == 0)
        return ZF_OK;
    return zf_err_set(err, code,
                      "%s: %zu bytes is not a multiple of elementsize %zu",
                      c->name, len, c->elementsize);
}

static zf_code shuffle_decode(const zf_bbcodec *c, const uint8_t *in,
                              size_t inlen, zf_buf *out, size_t expect,
                              size_t limit, zf_err *err)
{
    zf_code rc = whole_items(c, inlen, ZF_ECORRUPT, err);
    if (rc == ZF_OK)
        rc = zf_codec_claim(c, inlen, out, expect, limit, err);
    if (rc != ZF_OK || inlen == 0)
        return rc;
    permute(c, in, inlen, out, 1);
    return ZF_OK;
}

static zf_code shuffle_encode(const zf_bbcodec *c, const uint8_t *in,
                              size_t inlen, zf_buf *out, zf_err *err)
{
    zf_code rc = whole_items(c, inlen, ZF_EINVAL, err);
    if (rc != ZF_OK)
        return rc;
    if (zf_codec_reserve(out, inlen, err) != ZF_OK)
        return zf_err_prefix(err, "%s", c->name);
    if (inlen == 0)
        return ZF_OK;
    permute(c, in, inlen, out, 0);
    return ZF_OK;
}

static const zf_bbcodec_ops SHUFFLE_OPS = {.decode = shuffle_decode,
                                           .encode = shuffle_encode};

zf_code zf_codec_shuffle_init(zf_bbcodec *c, struct json_object *cfg,
                              size_t typesize, zf_err *err)
{
    /* numcodecs defaults to 4; zarr-python 3 fills in the array's item size
     * when it names the codec in zarr.json. */
    int64_t dflt = 4;
    if (c->dialect == ZF_DIALECT_V3 && typesize > 0 && typesize <= INT_MAX)
        dflt = (int64_t)typesize;
    int64_t es;
    zf_code rc = zf_codec_param_int(c, cfg, "elementsize", 0, dflt, 0,
                                    INT_MAX, &es, err);
    if (rc != ZF_OK)
        return rc;
    c->elementsize = (size_t)es;
    c->ops = &SHUFFLE_OPS;
    snprintf(c->desc, sizeof c->desc, "shuffle(elementsize=%zu)",
             c->elementsize);
    return ZF_OK;
}
