/*
 * deflate.c - the two deflate codecs: gzip (RFC 1952; v3 "gzip",
 * "numcodecs.gzip", numcodecs "gzip") and zlib (RFC 1950; "numcodecs.zlib",
 * numcodecs "zlib").
 *
 * Decoding runs zlib's inflate through the bounded stream driver, so output
 * never grows past the expected size or the limit; the format's own checks
 * (CRC-32 and length for gzip, Adler-32 for zlib) are verified by inflate.
 * Inflate states are per thread, reset and reused for every call, and freed
 * when the thread exits.
 */
#define ZLIB_CONST
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include <zlib.h>

#include <json-c/json.h>

#include "tls.h"
#include "codec_impl.h"

#define GZIP_WBITS (15 + 16) /* inflate/deflate: gzip wrapper only */
#define ZLIB_WBITS 15        /* zlib wrapper */

static int is_gzip(const zf_bbcodec *c)
{
    return c->wbits == GZIP_WBITS;
}

/* ---- per-thread inflate state -------------------------------------------- */

/* Made for the zlib wrapper; each use resets it for its own. */
static void *make_inflate(void)
{
    z_stream *s = calloc(1, sizeof *s);
    if (s && inflateInit2(s, ZLIB_WBITS) != Z_OK) {
        free(s);
        return NULL;
    }
    return s;
}

static void free_inflate(void *p)
{
    inflateEnd(p);
    free(p);
}

static zf_tls inflate_tls = ZF_TLS_INIT(make_inflate, free_inflate);

/* This thread's inflate state, reset for a stream with wrapper `wbits`. */
static z_stream *thread_inflate(int wbits)
{
    z_stream *s = zf_tls_get(&inflate_tls);
    return s && inflateReset2(s, wbits) == Z_OK ? s : NULL;
}

/* ---- decoding ------------------------------------------------------------ */

typedef struct inflate_job {
    const zf_bbcodec *c;
    z_stream *s;
} inflate_job;

static unsigned clamp_uint(size_t n)
{
    return n > UINT_MAX ? UINT_MAX : (unsigned)n;
}

static int all_zero(const uint8_t *p, size_t n)
{
    while (n && !*p)
        p++, n--;
    return n == 0;
}

/* A gzip member or zlib stream ended.  gzip files may hold several members
 * (as `cat a.gz b.gz` makes) and, as Python's gzip module allows, zero
 * padding after the last; zlib ignores what follows its checked stream, as
 * Python's zlib.decompress (numcodecs' decoder) does. */
static zf_code stream_end(inflate_job *j, zf_codec_io *io, int *done)
{
    const uint8_t *rest = io->in + io->inpos;
    size_t left = io->inlen - io->inpos;
    if (!is_gzip(j->c) || left == 0 || all_zero(rest, left)) {
        io->inpos = io->inlen;
        *done = 1;
        return ZF_OK;
    }
    inflateReset(j->s); /* the next member; garbage fails in the next step */
    return ZF_OK;
}

static zf_code inflate_step(void *state, zf_codec_io *io, int *done,
                            zf_err *err)
{
    inflate_job *j = state;
    z_stream *s = j->s;
    unsigned in_n = clamp_uint(io->inlen - io->inpos);
    unsigned out_n = clamp_uint(io->dstcap - io->dstpos);
    s->next_in = io->in + io->inpos;
    s->avail_in = in_n;
    s->next_out = io->dst + io->dstpos;
    s->avail_out = out_n;
    int r = inflate(s, Z_NO_FLUSH);
    io->inpos += in_n - s->avail_in;
    io->dstpos += out_n - s->avail_out;
    if (r == Z_STREAM_END)
        return stream_end(j, io, done);
    /* Z_BUF_ERROR is "no progress possible": the driver calls that
     * truncation when it had room to give. */
    if (r == Z_OK || r == Z_BUF_ERROR)
        return ZF_OK;
    if (r == Z_MEM_ERROR)
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory", j->c->name);
    return zf_err_set(err, ZF_ECORRUPT, "%s: %s", j->c->name,
                      s->msg ? s->msg : "invalid stream");
}

static zf_code deflate_decode(const zf_bbcodec *c, const uint8_t *in,
                              size_t inlen, zf_buf *out, size_t expect,
                              size_t limit, zf_err *err)
{
    z_stream *s = thread_inflate(c->wbits);
    if (!s)
        return zf_err_set(err, ZF_ENOMEM, "%s: cannot create a context",
                          c->name);
    inflate_job j = {c, s};
    return zf_codec_stream(c, inflate_step, &j, in, inlen, out, expect, limit,
                           err);
}

/* ---- encoding ------------------------------------------------------------ */

/* Runs deflate to the end; inputs and outputs over 4 GiB go in pieces since
 * z_stream counts in unsigned ints. */
static int deflate_all(z_stream *s, const uint8_t *in, size_t inlen,
                       uint8_t *dst, size_t cap, size_t *outlen)
{
    size_t inpos = 0, outpos = 0;
    for (;;) {
        unsigned in_n = clamp_uint(inlen - inpos);
        unsigned out_n = clamp_uint(cap - outpos);
        s->next_in = in + inpos;
        s->avail_in = in_n;
        s->next_out = dst + outpos;
        s->avail_out = out_n;
        int flush = inpos + in_n == inlen ? Z_FINISH : Z_NO_FLUSH;
        int r = deflate(s, flush);
        inpos += in_n - s->avail_in;
        outpos += out_n - s->avail_out;
        if (r == Z_STREAM_END) {
            *outlen = outpos;
            return Z_OK;
        }
        if (r != Z_OK && r != Z_BUF_ERROR)
            return r;
        if (r == Z_BUF_ERROR && outpos == cap)
            return r; /* deflateBound was wrong: cannot happen */
    }
}

static zf_code deflate_encode(const zf_bbcodec *c, const uint8_t *in,
                              size_t inlen, zf_buf *out, zf_err *err)
{
    z_stream s = {0};
    if (deflateInit2(&s, c->level, Z_DEFLATED, c->wbits, 8, Z_DEFAULT_STRATEGY)
        != Z_OK)
        return zf_err_set(err, ZF_ENOMEM, "%s: cannot create a context",
                          c->name);
    size_t bound = deflateBound(&s, inlen);
    zf_code rc = zf_codec_reserve(out, bound, err);
    if (rc != ZF_OK) {
        deflateEnd(&s);
        return zf_err_prefix(err, "%s", c->name);
    }
    uint8_t dummy;
    int r = deflate_all(&s, in ? in : &dummy, inlen, out->p ? out->p : &dummy,
                        bound, &out->len);
    deflateEnd(&s);
    if (r != Z_OK)
        return zf_err_set(err, ZF_EINVAL, "%s: deflate failed (%d)", c->name,
                          r);
    return ZF_OK;
}

/* ---- configuration ------------------------------------------------------- */

static const zf_bbcodec_ops DEFLATE_OPS = {.decode = deflate_decode,
                                           .encode = deflate_encode};

/* The v3 gzip spec requires a level in 0..9; numcodecs defaults to 1 and
 * also takes zlib's -1 (its default level). */
static zf_code init_level(zf_bbcodec *c, struct json_object *cfg,
                          int wbits, zf_err *err)
{
    int v3 = c->style == ZF_STYLE_V3;
    int64_t level;
    zf_code rc = zf_codec_param_int(c, cfg, "level", v3, 1, v3 ? 0 : -1, 9,
                                    &level, err);
    if (rc != ZF_OK)
        return rc;
    c->level = (int)level;
    c->wbits = wbits;
    c->ops = &DEFLATE_OPS;
    snprintf(c->desc, sizeof c->desc, "%s(level=%d)",
             is_gzip(c) ? "gzip" : "zlib", c->level);
    return ZF_OK;
}

zf_code zf_codec_gzip_init(zf_bbcodec *c, struct json_object *cfg,
                           size_t typesize, zf_err *err)
{
    (void)typesize;
    return init_level(c, cfg, GZIP_WBITS, err);
}

zf_code zf_codec_zlib_init(zf_bbcodec *c, struct json_object *cfg,
                           size_t typesize, zf_err *err)
{
    (void)typesize;
    return init_level(c, cfg, ZLIB_WBITS, err);
}
