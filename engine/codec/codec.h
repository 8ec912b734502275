/*
 * codec.h - bytes->bytes codecs: compressors, checksums and byte filters
 * (zstd, gzip, zlib, blosc, lz4, crc32c, shuffle).  The array->bytes codecs
 * (bytes, sharding_indexed) and array->array codecs (transpose, delta) live in
 * the pipeline, which knows shapes; these codecs only see byte strings.
 *
 * Ownership: zf_bbcodec_new returns a codec the caller frees with
 * zf_bbcodec_free.  Thread safety: a codec is immutable after creation and may
 * decode on any number of threads at once (scratch state such as zstd contexts
 * is per thread, reused across calls).
 * Errors: every failure is a zf_code with a message saying what was wrong with
 * the configuration or the data; callers prefix it with the array or key.
 * Bounds: no decoder ever writes past `limit` bytes or allocates more than
 * that, whatever the input claims about its own size.
 */
#ifndef ZF_CODEC_H
#define ZF_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct json_object;

#define ZF_SIZE_ANY ((size_t)-1)

typedef struct zf_bbcodec zf_bbcodec;

/* Which configuration dialect a codec is named in. */
typedef enum zf_codec_dialect {
    ZF_DIALECT_V3,      /* a zarr.json codec: {"name", "configuration"} */
    ZF_DIALECT_NUMCODECS /* a v2 compressor/filter: {"id", ...params} */
} zf_codec_dialect;

/* 1 if `name` is a bytes->bytes codec this module implements in `dialect`. */
int zf_bbcodec_known(zf_codec_dialect dialect, const char *name);

/* Creates the codec `name` from its configuration (the v3 "configuration"
 * object, or the whole numcodecs object; may be NULL).  `typesize` is the
 * element size of the array, used where the format defaults to it (blosc,
 * shuffle).  Unknown names are ZF_EUNSUPPORTED; bad or missing parameters are
 * ZF_EMETA, each with a message naming the codec and the parameter. */
zf_code zf_bbcodec_new(zf_codec_dialect dialect, const char *name,
                       struct json_object *config, size_t typesize,
                       zf_bbcodec **out, zf_err *err);
void zf_bbcodec_free(zf_bbcodec *c);

/* The codec's name as the metadata gives it ("numcodecs.zstd", "blosc"). */
const char *zf_bbcodec_name(const zf_bbcodec *c);

/* A short description such as "zstd(level=3)" or "blosc(lz4,shuffle,5)". */
const char *zf_bbcodec_describe(const zf_bbcodec *c);

/* Decodes in[0..inlen) into out (out->len receives the size).  When `expect`
 * is not ZF_SIZE_ANY the decoded size must be exactly `expect` (anything else
 * is ZF_ECORRUPT); otherwise the output may grow up to `limit` bytes and a
 * larger output is ZF_ELIMIT.  out may be a fixed window (zf_buf_wrap), which
 * lets the last stage decode straight into its destination. */
zf_code zf_bbcodec_decode(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                          zf_buf *out, size_t expect, size_t limit,
                          zf_err *err);

/* For codecs whose decoding only verifies and strips bytes (crc32c): checks
 * in[0..inlen) and sets the decoded data to in[*off .. *off + *len), so that
 * nothing is copied.  ZF_EUNSUPPORTED (err untouched) for codecs that
 * transform their input: use zf_bbcodec_decode. */
zf_code zf_bbcodec_peel(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                        size_t *off, size_t *len, zf_err *err);

/* Encodes in[0..inlen) into out (a growable buffer); used by zarrfs-pack,
 * the tests and the encoder fuzz target.  Every codec has one, lossy ones
 * included (zf_bbcodec_lossless tells them apart). */
zf_code zf_bbcodec_encode(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                          zf_buf *out, zf_err *err);

/* 1 if decode(encode(x)) == x for every x: 0 for the codecs that round
 * (fixedscaleoffset, bitround, quantize) and for delta and astype where
 * their types make them round or wrap.  A write path refuses the others,
 * naming the codec. */
int zf_bbcodec_lossless(const zf_bbcodec *c);

/* CRC-32C (Castagnoli) of data, as the crc32c codec and shard indexes use. */
uint32_t zf_crc32c(const void *data, size_t len);

/* Undoes a delta filter in place or from in to out (in may be out): the
 * running sum of n native-order elements of `size` bytes, floats when
 * is_float (float32 summed in float32, as numpy does), else integers, which
 * wrap.  The one loop behind v3's numcodecs.delta and v2's "delta". */
void zf_delta_undo(int is_float, size_t size, const uint8_t *in, uint8_t *out,
                   uint64_t n);

#endif
