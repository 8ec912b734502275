/*
 * bzip2.c - numcodecs' BZ2 codec (numcodecs "bz2", v3 "numcodecs.bz2"):
 * bzip2 streams, as Python's bz2.compress writes them; decoding takes
 * several streams one after the other, as bz2.decompress does.
 *
 * Decoding runs libbz2 through the bounded stream driver, so output never
 * grows past the expected size or the limit; each stream's CRC is checked
 * by libbz2.  A decoder is made per call (libbz2 keeps no state worth
 * reusing between chunks).  Thread-safe.
 */
#include <limits.h>
#include <stdio.h>

#include <bzlib.h>

#include <json-c/json.h>

#include "codec_impl.h"

typedef struct bz_job {
    const zf_bbcodec *c;
    bz_stream s;
    int open;    /* s is initialised */
    int streams; /* streams decoded to their end */
} bz_job;

static unsigned clamp_uint(size_t n)
{
    return n > UINT_MAX ? UINT_MAX : (unsigned)n;
}

static zf_code bz_open(bz_job *j, zf_err *err)
{
    j->s = (bz_stream){0};
    int r = BZ2_bzDecompressInit(&j->s, 0, 0);
    j->open = r == BZ_OK;
    return j->open ? ZF_OK
                   : zf_err_set(err, r == BZ_MEM_ERROR ? ZF_ENOMEM : ZF_EINVAL,
                                "%s: cannot create a decoder (%d)", j->c->name, r);
}

static zf_code bz_step(void *state, zf_codec_io *io, int *done, zf_err *err)
{
    bz_job *j = state;
    zf_code rc;
    if (!j->open && (rc = bz_open(j, err)) != ZF_OK)
        return rc;
    unsigned in_n = clamp_uint(io->inlen - io->inpos);
    unsigned out_n = clamp_uint(io->dstcap - io->dstpos);
    j->s.next_in = (char *)(uintptr_t)(io->in + io->inpos);
    j->s.avail_in = in_n;
    j->s.next_out = (char *)(io->dst + io->dstpos);
    j->s.avail_out = out_n;
    int r = BZ2_bzDecompress(&j->s);
    io->inpos += in_n - j->s.avail_in;
    io->dstpos += out_n - j->s.avail_out;
    if (r == BZ_STREAM_END) {
        BZ2_bzDecompressEnd(&j->s);
        j->open = 0; /* a next stream, if any input is left, opens anew */
        j->streams++;
        *done = io->inpos == io->inlen;
        return ZF_OK;
    }
    if (r == BZ_DATA_ERROR_MAGIC && j->streams > 0) {
        /* What follows the streams is no stream: bz2.decompress ignores
         * it, and so does this. */
        io->inpos = io->inlen;
        *done = 1;
        return ZF_OK;
    }
    if (r == BZ_OK)
        return ZF_OK;
    if (r == BZ_MEM_ERROR)
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory", j->c->name);
    return zf_err_set(err, ZF_ECORRUPT, "%s: invalid stream (%s)", j->c->name,
                      r == BZ_DATA_ERROR_MAGIC ? "no bzip2 header"
                      : r == BZ_DATA_ERROR ? "damaged data" : "error");
}

static zf_code bz_decode(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                         zf_buf *out, size_t expect, size_t limit, zf_err *err)
{
    bz_job j = {.c = c};
    /* bz2.decompress(b"") is b"", but bz2 writes 14 bytes for nothing: an
     * empty chunk is damage. */
    if (inlen == 0)
        return zf_err_set(err, ZF_ECORRUPT, "%s: 0 bytes is no bzip2 stream",
                          c->name);
    zf_code rc = zf_codec_stream(c, bz_step, &j, in, inlen, out, expect,
                                 limit, err);
    if (j.open)
        BZ2_bzDecompressEnd(&j.s);
    return rc;
}

static zf_code bz_encode(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                         zf_buf *out, zf_err *err)
{
    /* bzip2's own bound: 1% more plus 600 bytes. */
    size_t cap = inlen + inlen / 100 + 601;
    if (inlen > UINT_MAX - UINT_MAX / 100 - 601)
        return zf_err_set(err, ZF_ELIMIT, "%s: input of %zu bytes is too large",
                          c->name, inlen);
    if (zf_codec_reserve(out, cap, err) != ZF_OK)
        return zf_err_prefix(err, "%s", c->name);
    unsigned n = (unsigned)cap;
    char dummy = 0;
    int r = BZ2_bzBuffToBuffCompress((char *)out->p, &n,
                                     in ? (char *)(uintptr_t)in : &dummy,
                                     (unsigned)inlen, c->level, 0, 0);
    if (r != BZ_OK)
        return zf_err_set(err, ZF_EINVAL, "%s: compression failed (%d)",
                          c->name, r);
    out->len = n;
    return ZF_OK;
}

static const zf_bbcodec_ops BZ2_OPS = {.decode = bz_decode,
                                       .encode = bz_encode};

zf_code zf_codec_bz2_init(zf_bbcodec *c, struct json_object *cfg,
                          size_t typesize, zf_err *err)
{
    (void)typesize;
    int64_t level;
    zf_code rc = zf_codec_param_int(c, cfg, "level", 0, 1, 1, 9, &level, err);
    if (rc != ZF_OK)
        return rc;
    c->level = (int)level;
    c->ops = &BZ2_OPS;
    snprintf(c->desc, sizeof c->desc, "bz2(level=%d)", c->level);
    return ZF_OK;
}
