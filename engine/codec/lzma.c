/*
 * lzma.c - numcodecs' LZMA codec (numcodecs "lzma", v3 "numcodecs.lzma"):
 * what Python's lzma.compress writes for "format" 1 (.xz, the default; one
 * or more streams, as lzma.decompress reads them), 2 (.lzma, "alone") or 0
 * (either, found from the data).  Format 3 (raw, with a "filters" chain) is
 * refused by name.
 *
 * Decoding runs liblzma through the bounded stream driver, so output never
 * grows past the expected size or the limit; the streams' checks are
 * verified by liblzma, whose decoder may use at most MEMLIMIT (the largest
 * preset, 9, needs 65 MiB).  A decoder is made per call.  Encoding writes
 * .xz with "check" (-1: CRC-64, as Python's default) at "preset" (6 when
 * null).  Thread-safe.
 */
#include <stdio.h>

#include <lzma.h>

#include <json-c/json.h>

#include "jsonb.h"
#include "codec_impl.h"

#define MEMLIMIT (256u << 20)
#define FORMAT_AUTO 0
#define FORMAT_XZ 1
#define FORMAT_ALONE 2

typedef struct xz_job {
    const zf_bbcodec *c;
    lzma_stream s;
} xz_job;

static zf_code xz_step(void *state, zf_codec_io *io, int *done, zf_err *err)
{
    xz_job *j = state;
    size_t in_n = io->inlen - io->inpos, out_n = io->dstcap - io->dstpos;
    j->s.next_in = io->in + io->inpos;
    j->s.avail_in = in_n;
    j->s.next_out = io->dst + io->dstpos;
    j->s.avail_out = out_n;
    /* LZMA_FINISH once all input is given: the decoder then says whether
     * the data ended where a stream does. */
    lzma_ret r = lzma_code(&j->s, LZMA_FINISH);
    io->inpos += in_n - j->s.avail_in;
    io->dstpos += out_n - j->s.avail_out;
    if (r == LZMA_STREAM_END) {
        *done = 1;
        return ZF_OK;
    }
    if (r == LZMA_OK || (r == LZMA_BUF_ERROR && j->s.avail_out == 0))
        return ZF_OK;
    if (r == LZMA_MEM_ERROR)
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory", j->c->name);
    if (r == LZMA_MEMLIMIT_ERROR)
        return zf_err_set(err, ZF_ECORRUPT, "%s: the stream needs more than "
                          "%u MiB to decode", j->c->name, MEMLIMIT >> 20);
    return zf_err_set(err, ZF_ECORRUPT, "%s: invalid stream (%s)", j->c->name,
                      r == LZMA_FORMAT_ERROR ? "not this format"
                      : r == LZMA_DATA_ERROR ? "damaged data"
                      : r == LZMA_BUF_ERROR ? "truncated" : "error");
}

static zf_code xz_decode(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                         zf_buf *out, size_t expect, size_t limit, zf_err *err)
{
    xz_job j = {.c = c, .s = LZMA_STREAM_INIT};
    lzma_ret r = c->format == FORMAT_ALONE
                     ? lzma_alone_decoder(&j.s, MEMLIMIT)
                 : c->format == FORMAT_XZ
                     ? lzma_stream_decoder(&j.s, MEMLIMIT, LZMA_CONCATENATED)
                     : lzma_auto_decoder(&j.s, MEMLIMIT, LZMA_CONCATENATED);
    if (r != LZMA_OK)
        return zf_err_set(err, r == LZMA_MEM_ERROR ? ZF_ENOMEM : ZF_EINVAL,
                          "%s: cannot create a decoder (%d)", c->name, (int)r);
    zf_code rc = zf_codec_stream(c, xz_step, &j, in, inlen, out, expect, limit,
                                 err);
    lzma_end(&j.s);
    return rc;
}

static zf_code xz_encode(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                         zf_buf *out, zf_err *err)
{
    if (c->format != FORMAT_XZ)
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: only format 1 (.xz) is "
                          "written", c->name);
    size_t cap = lzma_stream_buffer_bound(inlen), n = 0;
    if (cap == 0 || zf_codec_reserve(out, cap, err) != ZF_OK)
        return zf_err_set(err, ZF_ELIMIT, "%s: input of %zu bytes is too "
                          "large", c->name, inlen);
    static const uint8_t none[1];
    lzma_check check = c->check < 0 ? LZMA_CHECK_CRC64 : (lzma_check)c->check;
    lzma_ret r = lzma_easy_buffer_encode((uint32_t)c->level, check,
                                         NULL, in ? in : none, inlen, out->p,
                                         &n, cap);
    if (r != LZMA_OK)
        return zf_err_set(err, ZF_EINVAL, "%s: compression failed (%d)",
                          c->name, (int)r);
    out->len = n;
    return ZF_OK;
}

static const zf_bbcodec_ops XZ_OPS = {.decode = xz_decode,
                                      .encode = xz_encode};

zf_code zf_codec_lzma_init(zf_bbcodec *c, struct json_object *cfg,
                           size_t typesize, zf_err *err)
{
    (void)typesize;
    int64_t format, check, preset;
    zf_code rc = zf_codec_param_int(c, cfg, "format", 0, FORMAT_XZ, 0, 3,
                                    &format, err);
    if (rc == ZF_OK)
        rc = zf_codec_param_int(c, cfg, "check", 0, -1, -1, 15, &check, err);
    if (rc == ZF_OK)
        rc = zf_codec_param_int(c, cfg, "preset", 0, 6, 0, 9, &preset, err);
    if (rc != ZF_OK)
        return rc;
    json_object *filters = zf_json_get(cfg, "filters");
    if (format == 3 || (filters && !json_object_is_type(filters, json_type_null)))
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: raw streams and filter "
                          "chains (format 3, 'filters') are not supported",
                          c->name);
    if (check >= 0 && !lzma_check_is_supported((lzma_check)check))
        return zf_err_set(err, ZF_EMETA, "%s: no integrity check %d", c->name,
                          (int)check);
    c->format = (int)format;
    c->check = (int)check;
    c->level = (int)preset;
    c->ops = &XZ_OPS;
    snprintf(c->desc, sizeof c->desc, "lzma(format=%d)", c->format);
    return ZF_OK;
}
