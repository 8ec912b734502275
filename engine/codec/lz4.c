/*
 * lz4.c - numcodecs' LZ4 codec ("numcodecs.lz4", numcodecs "lz4"): a 4-byte
 * little-endian decoded length, then one raw LZ4 block.
 *
 * The stated length is checked against expect or the limit before anything is
 * allocated, and LZ4_decompress_safe never writes past it.  Stateless and
 * thread-safe.
 */
#include <limits.h>
#include <stdio.h>

#include <lz4.h>

#include <json-c/json.h>

#include "le.h"
#include "codec_impl.h"

#define LZ4_HEADER 4

static zf_code lz4_decode(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                          zf_buf *out, size_t expect, size_t limit,
                          zf_err *err)
{
    if (inlen < LZ4_HEADER)
        return zf_err_set(err, ZF_ECORRUPT,
                          "%s: %zu bytes is too short for a header", c->name,
                          inlen);
    size_t stated = zf_le32(in);
    /* LZ4 counts in ints; numcodecs never writes blocks this large. */
    if (stated > INT_MAX || inlen - LZ4_HEADER > INT_MAX)
        return zf_err_set(err, ZF_ECORRUPT, "%s: block too large", c->name);
    zf_code rc = zf_codec_claim(c, stated, out, expect, limit, err);
    if (rc != ZF_OK)
        return rc;
    char dummy;
    int r = LZ4_decompress_safe((const char *)in + LZ4_HEADER,
                                out->p ? (char *)out->p : &dummy,
                                (int)(inlen - LZ4_HEADER), (int)stated);
    if (r < 0)
        return zf_err_set(err, ZF_ECORRUPT, "%s: malformed block", c->name);
    if ((size_t)r != stated)
        return zf_err_set(err, ZF_ECORRUPT,
                          "%s: block decodes to %d bytes, header says %zu",
                          c->name, r, stated);
    out->len = stated;
    return ZF_OK;
}

static zf_code lz4_encode(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                          zf_buf *out, zf_err *err)
{
    if (inlen > LZ4_MAX_INPUT_SIZE)
        return zf_err_set(err, ZF_ELIMIT, "%s: input of %zu bytes is too large",
                          c->name, inlen);
    int bound = LZ4_compressBound((int)inlen);
    if (zf_codec_reserve(out, LZ4_HEADER + (size_t)bound, err) != ZF_OK)
        return zf_err_prefix(err, "%s", c->name);
    char dummy = 0;
    int r = LZ4_compress_fast(in ? (const char *)in : &dummy,
                              (char *)out->p + LZ4_HEADER, (int)inlen, bound,
                              c->acceleration);
    if (r <= 0)
        return zf_err_set(err, ZF_EINVAL, "%s: compression failed", c->name);
    zf_put_le32(out->p, (uint32_t)inlen);
    out->len = LZ4_HEADER + (size_t)r;
    return ZF_OK;
}

static const zf_bbcodec_ops LZ4_OPS = {.decode = lz4_decode,
                                       .encode = lz4_encode};

zf_code zf_codec_lz4_init(zf_bbcodec *c, struct json_object *cfg,
                          size_t typesize, zf_err *err)
{
    (void)typesize;
    int64_t acc;
    zf_code rc = zf_codec_param_int(c, cfg, "acceleration", 0, 1, INT_MIN,
                                    INT_MAX, &acc, err);
    if (rc != ZF_OK)
        return rc;
    /* As numcodecs does: a non-positive acceleration means the default. */
    c->acceleration = acc <= 0 ? 1 : (int)acc;
    c->ops = &LZ4_OPS;
    snprintf(c->desc, sizeof c->desc, "lz4(acceleration=%d)",
             c->acceleration);
    return ZF_OK;
}
