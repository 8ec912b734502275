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

/* dst[b * n + i] = src[i * es + b]; walks the destination in order. */
static void shuffle_bytes(uint8_t *dst, const uint8_t *src, size_t n,
                          size_t es)
{
    for (size_t b = 0; b < es; b++) {
        const uint8_t *s = src + b;
        uint8_t *d = dst + b * n;
        for (size_t i = 0; i < n; i++)
            d[i] = s[i * es];
    }
}

/* dst[i * es + b] = src[b * n + i]; walks the destination in order. */
static void unshuffle_bytes(uint8_t *dst, const uint8_t *src, size_t n,
                            size_t es)
{
    for (size_t i = 0; i < n; i++) {
        const uint8_t *s = src + i;
        uint8_t *d = dst + i * es;
        for (size_t b = 0; b < es; b++)
            d[b] = s[b * n];
    }
}

static int whole_items(const zf_bbcodec *c, size_t len)
{
    return c->elementsize <= 1 || len % c->elementsize == 0;
}

static zf_code shuffle_decode(const zf_bbcodec *c, const uint8_t *in,
                              size_t inlen, zf_buf *out, size_t expect,
                              size_t limit, zf_err *err)
{
    if (!whole_items(c, inlen))
        return zf_err_set(err, ZF_ECORRUPT,
                          "%s: %zu bytes is not a multiple of elementsize %zu",
                          c->name, inlen, c->elementsize);
    zf_code rc = zf_codec_claim(c, inlen, out, expect, limit, err);
    if (rc != ZF_OK || inlen == 0)
        return rc;
    if (c->elementsize <= 1)
        memcpy(out->p, in, inlen);
    else
        unshuffle_bytes(out->p, in, inlen / c->elementsize, c->elementsize);
    out->len = inlen;
    return ZF_OK;
}

static zf_code shuffle_encode(const zf_bbcodec *c, const uint8_t *in,
                              size_t inlen, zf_buf *out, zf_err *err)
{
    if (!whole_items(c, inlen))
        return zf_err_set(err, ZF_EINVAL,
                          "%s: %zu bytes is not a multiple of elementsize %zu",
                          c->name, inlen, c->elementsize);
    if (zf_codec_reserve(out, inlen, err) != ZF_OK)
        return zf_err_prefix(err, "%s", c->name);
    if (inlen == 0)
        return ZF_OK;
    if (c->elementsize <= 1)
        memcpy(out->p, in, inlen);
    else
        shuffle_bytes(out->p, in, inlen / c->elementsize, c->elementsize);
    out->len = inlen;
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
