/*
 * bound.c - keeping decoders inside their bounds: checking sizes that the
 * data states about itself before anything is allocated, exact-size growth of
 * output buffers, and the driver of streaming decoders (zstd without a known
 * size, gzip, zlib) that grows the output up to, never past, the bound.
 * Stateless and thread-safe; touches only the buffers it is given.
 */
#include <stdlib.h>

#include "codec_impl.h"

/* The first allocation of a stream of unknown size: a guess from the input
 * (most chunks compress less than 4:1), at least enough to avoid many tiny
 * reallocs, never more than the bound. */
#define ZF_STREAM_FIRST_GUESS ((size_t)64 * 1024)

zf_code zf_codec_reserve(zf_buf *out, size_t n, zf_err *err)
{
    if (n <= out->cap)
        return ZF_OK;
    if (out->fixed)
        return zf_err_set(err, ZF_ECORRUPT,
                          "decoded data exceeds the %zu-byte output window",
                          out->cap);
    return zf_buf_resize(out, n, err);
}

zf_code zf_codec_claim(const zf_bbcodec *c, size_t stated, zf_buf *out,
                       size_t expect, size_t limit, zf_err *err)
{
    if (expect != ZF_SIZE_ANY && stated != expect)
        return zf_err_set(err, ZF_ECORRUPT,
                          "%s: data decodes to %zu bytes, expected %zu",
                          c->name, stated, expect);
    if (expect == ZF_SIZE_ANY && stated > limit)
        return zf_err_set(err, ZF_ELIMIT,
                          "%s: data decodes to %zu bytes, over the limit of "
                          "%zu",
                          c->name, stated, limit);
    if (zf_codec_reserve(out, stated, err) != ZF_OK)
        return zf_err_prefix(err, "%s", c->name);
    return ZF_OK;
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Output that goes on past what out may hold: which error depends on which
 * bound was hit. */
static zf_code too_big(const zf_bbcodec *c, const zf_buf *out, size_t expect,
                       size_t limit, zf_err *err)
{
    if (expect != ZF_SIZE_ANY)
        return zf_err_set(err, ZF_ECORRUPT, "%s: decodes to more than %zu bytes",
                          c->name, expect);
    if (out->fixed && out->cap < limit)
        return zf_err_set(err, ZF_ECORRUPT,
                          "%s: decoded data exceeds the %zu-byte output window",
                          c->name, out->cap);
    return zf_err_set(err, ZF_ELIMIT,
                      "%s: decoded data exceeds the limit of %zu bytes",
                      c->name, limit);
}

static zf_code truncated(const zf_bbcodec *c, zf_err *err)
{
    return zf_err_set(err, ZF_ECORRUPT, "%s: truncated stream", c->name);
}

/* Makes out hold at least one more byte, doubling but never past bound;
 * *grown = 0 when it cannot (fixed window, or already at the bound). */
static zf_code grow(zf_buf *out, size_t bound, int *grown, zf_err *err)
{
    *grown = 0;
    if (out->fixed || out->cap >= bound)
        return ZF_OK;
    size_t want = out->cap > bound / 2 ? bound : out->cap * 2;
    if (want < ZF_STREAM_FIRST_GUESS)
        want = min_size(ZF_STREAM_FIRST_GUESS, bound);
    *grown = 1;
    return zf_codec_reserve(out, want, err);
}

/* Decodes one byte into scratch: if the stream yields anything more, it is
 * larger than out may hold. */
static zf_code probe(const zf_bbcodec *c, zf_codec_step_fn step, void *state,
                     zf_codec_io *io, int *done, int *extra, zf_err *err)
{
    uint8_t scratch;
    size_t inpos = io->inpos;
    zf_codec_io p = *io;
    p.dst = &scratch;
    p.dstcap = 1;
    p.dstpos = 0;
    zf_code rc = step(state, &p, done, err);
    if (rc != ZF_OK)
        return rc;
    io->inpos = p.inpos;
    *extra = p.dstpos != 0;
    if (!*extra && !*done && p.inpos == inpos)
        return truncated(c, err);
    return ZF_OK;
}

static zf_code first_room(zf_buf *out, size_t bound, size_t inlen,
                          size_t expect, zf_err *err)
{
    if (out->fixed)
        return ZF_OK;
    if (expect != ZF_SIZE_ANY)
        return zf_codec_reserve(out, expect, err);
    size_t guess = inlen > SIZE_MAX / 4 ? SIZE_MAX : inlen * 4;
    if (guess < ZF_STREAM_FIRST_GUESS)
        guess = ZF_STREAM_FIRST_GUESS;
    return zf_codec_reserve(out, min_size(guess, bound), err);
}

/* One turn of the driver: make room (or probe when there is none) and run
 * one step into out. */
static zf_code turn(const zf_bbcodec *c, zf_codec_step_fn step, void *state,
                    zf_codec_io *io, zf_buf *out, size_t bound, int *done,
                    int *extra, zf_err *err)
{
    uint8_t dummy; /* inflate refuses a NULL destination, even an empty one */
    if (out->len == min_size(out->cap, bound)) {
        int grown;
        zf_code rc = grow(out, bound, &grown, err);
        if (rc != ZF_OK)
            return rc;
        if (!grown)
            return probe(c, step, state, io, done, extra, err);
    }
    io->dst = out->p ? out->p : &dummy;
    io->dstcap = min_size(out->cap, bound);
    io->dstpos = out->len;
    size_t inpos = io->inpos;
    zf_code rc = step(state, io, done, err);
    if (rc != ZF_OK)
        return rc;
    int progress = io->inpos != inpos || io->dstpos != out->len;
    out->len = io->dstpos;
    if (!*done && !progress)
        return truncated(c, err);
    return ZF_OK;
}

zf_code zf_codec_stream(const zf_bbcodec *c, zf_codec_step_fn step,
                        void *state, const uint8_t *in, size_t inlen,
                        zf_buf *out, size_t expect, size_t limit, zf_err *err)
{
    size_t bound = expect != ZF_SIZE_ANY ? expect : limit;
    out->len = 0;
    if (out->fixed && expect != ZF_SIZE_ANY && out->cap < expect)
        return zf_err_set(err, ZF_EINVAL,
                          "%s: output window of %zu bytes is smaller than the "
                          "expected %zu",
                          c->name, out->cap, expect);
    zf_code rc = first_room(out, bound, inlen, expect, err);
    if (rc != ZF_OK)
        return zf_err_prefix(err, "%s", c->name);
    static const uint8_t none[1];
    /* An empty input may come as NULL; the step functions index into it. */
    zf_codec_io io = {in ? in : none, inlen, 0, NULL, 0, 0};
    int done = 0, extra = 0;
    while (!done && rc == ZF_OK && !extra)
        rc = turn(c, step, state, &io, out, bound, &done, &extra, err);
    if (rc != ZF_OK)
        return rc;
    if (extra)
        return too_big(c, out, expect, limit, err);
    if (expect != ZF_SIZE_ANY && out->len != expect)
        return zf_err_set(err, ZF_ECORRUPT, "%s: decoded %zu bytes, expected %zu",
                          c->name, out->len, expect);
    return ZF_OK;
}
