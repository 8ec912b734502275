/*
 * zstd.c - the zstd codec (v3 "zstd", "numcodecs.zstd", numcodecs "zstd").
 *
 * The size a frame states about itself is never trusted: with a known
 * expected size the frames decode in one pass into exactly that many bytes;
 * without one they are stream-decoded into output that grows up to the limit.
 * Concatenated and skippable frames are accepted, as libzstd does.
 * Contexts are per thread (a pthread key whose destructor frees them when the
 * thread exits), created on first use and reused for every later call.
 */
#include <stdio.h>

#include <zstd.h>
#include <zstd_errors.h>

#include <json-c/json.h>

#include "tls.h"
#include "codec_impl.h"

/* ---- per-thread contexts ------------------------------------------------ */

static void *make_dctx(void)
{
    return ZSTD_createDCtx();
}

static void free_dctx(void *p)
{
    ZSTD_freeDCtx(p);
}

static void *make_cctx(void)
{
    return ZSTD_createCCtx();
}

static void free_cctx(void *p)
{
    ZSTD_freeCCtx(p);
}

static zf_tls dctx_tls = ZF_TLS_INIT(make_dctx, free_dctx);
static zf_tls cctx_tls = ZF_TLS_INIT(make_cctx, free_cctx);

static ZSTD_DCtx *thread_dctx(void)
{
    return zf_tls_get(&dctx_tls);
}

static ZSTD_CCtx *thread_cctx(void)
{
    return zf_tls_get(&cctx_tls);
}

/* ---- decoding ------------------------------------------------------------ */

static zf_code zstd_error(const zf_bbcodec *c, size_t r, zf_err *err)
{
    return zf_err_set(err, ZF_ECORRUPT, "%s: %s", c->name,
                      ZSTD_getErrorName(r));
}

/* Known size: one pass straight into exactly `expect` bytes of out. */
static zf_code decode_exact(const zf_bbcodec *c, ZSTD_DCtx *d,
                            const uint8_t *in, size_t inlen, zf_buf *out,
                            size_t expect, zf_err *err)
{
    if (out->fixed && out->cap < expect)
        return zf_err_set(err, ZF_EINVAL,
                          "%s: output window of %zu bytes is smaller than the "
                          "expected %zu",
                          c->name, out->cap, expect);
    if (zf_codec_reserve(out, expect, err) != ZF_OK)
        return zf_err_prefix(err, "%s", c->name);
    uint8_t dummy;
    size_t r = ZSTD_decompressDCtx(d, out->p ? out->p : &dummy, expect, in,
                                   inlen);
    if (ZSTD_isError(r) && ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
        return zf_err_set(err, ZF_ECORRUPT, "%s: decodes to more than %zu bytes",
                          c->name, expect);
    if (ZSTD_isError(r))
        return zstd_error(c, r, err);
    if (r != expect)
        return zf_err_set(err, ZF_ECORRUPT, "%s: decoded %zu bytes, expected %zu",
                          c->name, r, expect);
    out->len = r;
    return ZF_OK;
}

typedef struct zstd_stream {
    const zf_bbcodec *c;
    ZSTD_DCtx *d;
} zstd_stream;

static zf_code stream_step(void *state, zf_codec_io *io, int *done,
                           zf_err *err)
{
    zstd_stream *s = state;
    ZSTD_inBuffer ib = {io->in, io->inlen, io->inpos};
    ZSTD_outBuffer ob = {io->dst, io->dstcap, io->dstpos};
    size_t r = ZSTD_decompressStream(s->d, &ob, &ib);
    if (ZSTD_isError(r))
        return zstd_error(s->c, r, err);
    io->inpos = ib.pos;
    io->dstpos = ob.pos;
    /* 0 = a frame ended and is flushed; more input means another frame. */
    *done = r == 0 && ib.pos == ib.size;
    return ZF_OK;
}

static zf_code zstd_decode(const zf_bbcodec *c, const uint8_t *in,
                           size_t inlen, zf_buf *out, size_t expect,
                           size_t limit, zf_err *err)
{
    /* libzstd reads an empty input as zero frames, zero bytes: but no
     * encoder writes that, so it can only be a damaged chunk. */
    if (inlen == 0)
        return zf_err_set(err, ZF_ECORRUPT, "%s: empty input", c->name);
    ZSTD_DCtx *d = thread_dctx();
    if (!d)
        return zf_err_set(err, ZF_ENOMEM, "%s: cannot create a context",
                          c->name);
    ZSTD_DCtx_reset(d, ZSTD_reset_session_only);
    if (expect != ZF_SIZE_ANY)
        return decode_exact(c, d, in, inlen, out, expect, err);
    zstd_stream s = {c, d};
    return zf_codec_stream(c, stream_step, &s, in, inlen, out, expect, limit,
                           err);
}

/* ---- encoding ------------------------------------------------------------ */

static zf_code zstd_encode(const zf_bbcodec *c, const uint8_t *in,
                           size_t inlen, zf_buf *out, zf_err *err)
{
    ZSTD_CCtx *z = thread_cctx();
    if (!z)
        return zf_err_set(err, ZF_ENOMEM, "%s: cannot create a context",
                          c->name);
    ZSTD_CCtx_reset(z, ZSTD_reset_session_and_parameters);
    size_t r = ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, c->level);
    if (!ZSTD_isError(r))
        r = ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, c->checksum);
    if (ZSTD_isError(r))
        return zf_err_set(err, ZF_EINVAL, "%s: %s", c->name,
                          ZSTD_getErrorName(r));
    size_t bound = ZSTD_compressBound(inlen);
    if (ZSTD_isError(bound))
        return zf_err_set(err, ZF_ELIMIT, "%s: input of %zu bytes is too large",
                          c->name, inlen);
    if (zf_codec_reserve(out, bound, err) != ZF_OK)
        return zf_err_prefix(err, "%s", c->name);
    uint8_t dummy;
    r = ZSTD_compress2(z, out->p ? out->p : &dummy, bound, in, inlen);
    if (ZSTD_isError(r))
        return zf_err_set(err, ZF_EINVAL, "%s: %s", c->name,
                          ZSTD_getErrorName(r));
    out->len = r;
    return ZF_OK;
}

/* ---- configuration ------------------------------------------------------- */

static const zf_bbcodec_ops ZSTD_OPS = {.decode = zstd_decode,
                                        .encode = zstd_encode};

zf_code zf_codec_zstd_init(zf_bbcodec *c, struct json_object *cfg,
                           size_t typesize, zf_err *err)
{
    (void)typesize;
    /* The v3 spec requires "level"; numcodecs defaults it to 1.  "checksum"
     * is optional everywhere (older numcodecs does not write it). */
    int v3 = c->style == ZF_STYLE_V3;
    int64_t level;
    zf_code rc = zf_codec_param_int(c, cfg, "level", v3, 1, ZSTD_minCLevel(),
                                    ZSTD_maxCLevel(), &level, err);
    if (rc == ZF_OK)
        rc = zf_codec_param_bool(c, cfg, "checksum", 0, 0, &c->checksum, err);
    if (rc != ZF_OK)
        return rc;
    c->level = (int)level;
    c->ops = &ZSTD_OPS;
    snprintf(c->desc, sizeof c->desc, "zstd(level=%d%s)", c->level,
             c->checksum ? ",checksum" : "");
    return ZF_OK;
}
