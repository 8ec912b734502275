/*
 * blosc.c - the blosc codec (v3 "blosc", "numcodecs.blosc", numcodecs
 * "blosc"), on libblosc 1.x.
 *
 * Decoding validates the 16-byte header first (its compressed size must be
 * the chunk's size; its decoded size must match expect or fit the limit) and
 * only then decompresses, straight into out, with libblosc's context API on
 * one internal thread: no global blosc state, safe on any number of threads.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <blosc.h>

#include <json-c/json.h>

#include "codec_impl.h"

/* numcodecs' AUTOSHUFFLE: bit shuffle for 1-byte items, byte shuffle else. */
#define NC_AUTOSHUFFLE (-1)

static const char *const CNAMES[] = {"lz4",  "lz4hc",  "blosclz",
                                     "zstd", "snappy", "zlib"};
static const char *const SHUFFLES[] = {"noshuffle", "shuffle", "bitshuffle"};

/* ---- decoding ------------------------------------------------------------ */

/* After a failed decompression: a chunk made with a compressor this libblosc
 * lacks is unsupported rather than corrupt. */
static zf_code failed(const zf_bbcodec *c, const uint8_t *in, int r,
                      zf_err *err)
{
    const char *lib = blosc_cbuffer_complib((void *)in);
    char name[16] = "";
    for (size_t i = 0; lib && lib[i] && i + 1 < sizeof name; i++)
        name[i] = (char)tolower((unsigned char)lib[i]);
    if (name[0] && blosc_compname_to_compcode(name) < 0)
        return zf_err_set(err, ZF_EUNSUPPORTED,
                          "%s: chunk uses compressor '%s', which this libblosc "
                          "lacks",
                          c->name, name);
    return zf_err_set(err, ZF_ECORRUPT, "%s: decompression failed (%d)",
                      c->name, r);
}

static zf_code blosc_decode(const zf_bbcodec *c, const uint8_t *in,
                            size_t inlen, zf_buf *out, size_t expect,
                            size_t limit, zf_err *err)
{
    if (inlen < BLOSC_MIN_HEADER_LENGTH)
        return zf_err_set(err, ZF_ECORRUPT,
                          "%s: %zu bytes is too short for a header", c->name,
                          inlen);
    size_t nbytes, cbytes, blocksize;
    blosc_cbuffer_sizes(in, &nbytes, &cbytes, &blocksize);
    if (cbytes != inlen)
        return zf_err_set(err, ZF_ECORRUPT,
                          "%s: header says %zu compressed bytes, chunk has %zu",
                          c->name, cbytes, inlen);
    if (blosc_cbuffer_validate(in, inlen, &nbytes) < 0)
        return zf_err_set(err, ZF_ECORRUPT, "%s: invalid header", c->name);
    zf_code rc = zf_codec_claim(c, nbytes, out, expect, limit, err);
    if (rc != ZF_OK || nbytes == 0)
        return rc;
    int r = blosc_decompress_ctx(in, out->p, nbytes, 1);
    if (r <= 0 || (size_t)r != nbytes)
        return failed(c, in, r, err);
    out->len = nbytes;
    return ZF_OK;
}

/* ---- encoding ------------------------------------------------------------ */

static zf_code blosc_encode(const zf_bbcodec *c, const uint8_t *in,
                            size_t inlen, zf_buf *out, zf_err *err)
{
    if (inlen > BLOSC_MAX_BUFFERSIZE)
        return zf_err_set(err, ZF_ELIMIT, "%s: input of %zu bytes is too large",
                          c->name, inlen);
    if (blosc_compname_to_compcode(c->cname) < 0)
        return zf_err_set(err, ZF_EUNSUPPORTED,
                          "%s: compressor '%s' is not in this libblosc",
                          c->name, c->cname);
    size_t cap = inlen + BLOSC_MAX_OVERHEAD;
    if (zf_codec_reserve(out, cap, err) != ZF_OK)
        return zf_err_prefix(err, "%s", c->name);
    uint8_t dummy = 0;
    int r = blosc_compress_ctx(c->level, c->shuffle, c->typesize, inlen,
                               in ? (const void *)in : &dummy, out->p, cap,
                               c->cname, c->blocksize, 1);
    if (r <= 0)
        return zf_err_set(err, ZF_EINVAL, "%s: compression failed (%d)",
                          c->name, r);
    out->len = (size_t)r;
    return ZF_OK;
}

/* ---- configuration ------------------------------------------------------- */

static const zf_bbcodec_ops BLOSC_OPS = {.decode = blosc_decode,
                                         .encode = blosc_encode};

static int index_of(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s, list[i]))
            return (int)i;
    return -1;
}

static zf_code parse_cname(zf_bbcodec *c, struct json_object *cfg, zf_err *err)
{
    const char *cname;
    zf_code rc = zf_codec_param_str(c, cfg, "cname", c->style == ZF_STYLE_V3,
                                    "lz4", &cname, err);
    if (rc != ZF_OK)
        return rc;
    if (index_of(cname, CNAMES, sizeof CNAMES / sizeof CNAMES[0]) < 0)
        return zf_err_set(err, ZF_EMETA, "%s: unknown cname '%s'", c->name,
                          cname);
    snprintf(c->cname, sizeof c->cname, "%s", cname);
    return ZF_OK;
}

/* v3 names the shuffle; numcodecs numbers it, with -1 meaning "pick from
 * the item size". */
static zf_code parse_shuffle(zf_bbcodec *c, struct json_object *cfg,
                             zf_err *err)
{
    if (c->style == ZF_STYLE_V3) {
        const char *s;
        zf_code rc = zf_codec_param_str(c, cfg, "shuffle", 1, NULL, &s, err);
        if (rc != ZF_OK)
            return rc;
        c->shuffle = index_of(s, SHUFFLES, 3);
        if (c->shuffle < 0)
            return zf_err_set(err, ZF_EMETA, "%s: unknown shuffle '%s'",
                              c->name, s);
        return ZF_OK;
    }
    int64_t v;
    zf_code rc = zf_codec_param_int(c, cfg, "shuffle", 0, BLOSC_SHUFFLE,
                                    NC_AUTOSHUFFLE, BLOSC_BITSHUFFLE, &v, err);
    if (rc != ZF_OK)
        return rc;
    if (v == NC_AUTOSHUFFLE)
        v = c->typesize == 1 ? BLOSC_BITSHUFFLE : BLOSC_SHUFFLE;
    c->shuffle = (int)v;
    return ZF_OK;
}

/* typesize defaults to the array's item size; blocksize to automatic. */
static zf_code parse_sizes(zf_bbcodec *c, struct json_object *cfg,
                           size_t itemsize, zf_err *err)
{
    int64_t ts, bs;
    int64_t dflt = itemsize == 0 ? 1 : (int64_t)(itemsize > INT_MAX ? 1 : itemsize);
    zf_code rc = zf_codec_param_int(c, cfg, "typesize", 0, dflt, 1, INT_MAX,
                                    &ts, err);
    if (rc == ZF_OK)
        rc = zf_codec_param_int(c, cfg, "blocksize", 0, 0, 0, INT_MAX, &bs,
                                err);
    if (rc != ZF_OK)
        return rc;
    c->typesize = (size_t)ts;
    c->blocksize = (size_t)bs;
    return ZF_OK;
}

zf_code zf_codec_blosc_init(zf_bbcodec *c, struct json_object *cfg,
                            size_t typesize, zf_err *err)
{
    /* v3 requires cname, clevel and shuffle; numcodecs defaults them to
     * lz4, 5 and byte shuffle. */
    int64_t clevel;
    zf_code rc = parse_cname(c, cfg, err);
    if (rc == ZF_OK)
        rc = zf_codec_param_int(c, cfg, "clevel", c->style == ZF_STYLE_V3, 5,
                                0, 9, &clevel, err);
    if (rc == ZF_OK)
        rc = parse_sizes(c, cfg, typesize, err);
    if (rc == ZF_OK)
        rc = parse_shuffle(c, cfg, err);
    if (rc != ZF_OK)
        return rc;
    c->level = (int)clevel;
    c->ops = &BLOSC_OPS;
    snprintf(c->desc, sizeof c->desc, "blosc(%s,%s,clevel=%d)", c->cname,
             SHUFFLES[c->shuffle], c->level);
    return ZF_OK;
}
