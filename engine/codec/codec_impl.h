/*
 * codec_impl.h - private to engine/codec/: the layout of a bytes->bytes codec,
 * the constructor each codec file provides to the registry (codec.c), and the
 * helpers they share: reading configuration parameters (params.c), bounding
 * decoded output (bound.c) and the portable CRC-32C (crc32c.c).
 *
 * Contract of every codec's ops:
 *  - decode writes only into out (never past min(out->cap, the bound)), sets
 *    out->len, and allocates no more than `expect` bytes (or `limit` when
 *    expect is ZF_SIZE_ANY), whatever the input claims; in and out->p never
 *    overlap.  When expect is known, `limit` is not consulted.
 *  - encode replaces out's content (out->len = encoded size).
 *  - both are thread-safe on a shared codec: they only read *c.
 *  - where encode loses information, the registry entry (codec.c) or init
 *    (for some parameters only) sets c->lossy.
 */
#ifndef ZF_CODEC_IMPL_H
#define ZF_CODEC_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "codec.h"

/* Which configuration conventions a registry entry follows: the Zarr v3
 * codec specs (string enums, required keys), or numcodecs' (integer enums,
 * defaults for missing keys).  v3 names "numcodecs.*" use the latter. */
typedef enum zf_codec_style { ZF_STYLE_V3, ZF_STYLE_NUMCODECS } zf_codec_style;

/* A NumPy scalar type: kind 'b', 'i', 'u' or 'f', size in bytes, and
 * whether it is stored big endian. */
/* The checksum of the checksum codecs (checksum.c). */
typedef enum zf_sum {
    ZF_SUM_CRC32C, ZF_SUM_CRC32, ZF_SUM_ADLER32, ZF_SUM_FLETCHER32,
    ZF_SUM_LOOKUP3
} zf_sum;

typedef struct zf_numtype {
    char kind;
    size_t size;
    int big;
} zf_numtype;

typedef struct zf_bbcodec_ops {
    zf_code (*decode)(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                      zf_buf *out, size_t expect, size_t limit, zf_err *err);
    zf_code (*encode)(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                      zf_buf *out, zf_err *err);
    /* Optional (NULL): for codecs whose decoding only checks and strips
     * bytes, the decoded data as a part of the input (zf_bbcodec_peel). */
    zf_code (*peel)(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                    size_t *off, size_t *len, zf_err *err);
} zf_bbcodec_ops;

struct zf_bbcodec {
    const zf_bbcodec_ops *ops;
    const char *name;     /* as named in the metadata, for messages */
    zf_codec_dialect dialect;
    zf_codec_style style;
    char desc[96];        /* zf_bbcodec_describe */
    int lossy;            /* zf_bbcodec_lossless: set from the registry,
                             or by init where parameters decide */
    /* Parameters; each codec uses the few that concern it. */
    int level;            /* zstd, gzip, zlib, bz2; blosc's clevel; lzma's preset */
    int format, check;    /* lzma: the container, the integrity check (-1: default) */
    int checksum;         /* zstd: write a content checksum */
    int wbits;            /* gzip, zlib: zlib's windowBits, picking the wrapper */
    int acceleration;     /* lz4 */
    int shuffle;          /* blosc: BLOSC_NOSHUFFLE / SHUFFLE / BITSHUFFLE */
    char cname[16];       /* blosc: the inner compressor */
    size_t typesize;      /* blosc */
    size_t blocksize;     /* blosc: 0 = automatic */
    size_t elementsize;   /* shuffle */
    int crc_at_start;     /* checksums: before the data (numcodecs) */
    zf_sum sum;           /* checksums: which */
    uint32_t initval;     /* jenkins_lookup3: the seed */
    /* Zarr v2 numeric filters (filters.c): the array's type and the type
     * stored, as NumPy typestrings describe them. */
    zf_numtype dtype, astype;
    double scale, offset; /* fixedscaleoffset; quantize: scale, the step's
                             inverse (0 for astype) */
    int keepbits;         /* bitround */
};

/* A codec's constructor: reads c->name's parameters from cfg (NULL when the
 * metadata has none) into c, sets c->ops and c->desc.  `typesize` is the
 * array's item size (0 if unknown). */
typedef zf_code (*zf_codec_init_fn)(zf_bbcodec *c, struct json_object *cfg,
                                    size_t typesize, zf_err *err);

zf_code zf_codec_zstd_init(zf_bbcodec *c, struct json_object *cfg,
                           size_t typesize, zf_err *err);
zf_code zf_codec_gzip_init(zf_bbcodec *c, struct json_object *cfg,
                           size_t typesize, zf_err *err);
zf_code zf_codec_zlib_init(zf_bbcodec *c, struct json_object *cfg,
                           size_t typesize, zf_err *err);
zf_code zf_codec_blosc_init(zf_bbcodec *c, struct json_object *cfg,
                            size_t typesize, zf_err *err);
zf_code zf_codec_lz4_init(zf_bbcodec *c, struct json_object *cfg,
                          size_t typesize, zf_err *err);
zf_code zf_codec_bz2_init(zf_bbcodec *c, struct json_object *cfg,
                          size_t typesize, zf_err *err);
zf_code zf_codec_lzma_init(zf_bbcodec *c, struct json_object *cfg,
                           size_t typesize, zf_err *err);
zf_code zf_codec_shuffle_init(zf_bbcodec *c, struct json_object *cfg,
                              size_t typesize, zf_err *err);
zf_code zf_codec_crc32c_init(zf_bbcodec *c, struct json_object *cfg,
                             size_t typesize, zf_err *err);
zf_code zf_codec_crc32_init(zf_bbcodec *c, struct json_object *cfg,
                            size_t typesize, zf_err *err);
zf_code zf_codec_adler32_init(zf_bbcodec *c, struct json_object *cfg,
                              size_t typesize, zf_err *err);
zf_code zf_codec_fletcher32_init(zf_bbcodec *c, struct json_object *cfg,
                                 size_t typesize, zf_err *err);
zf_code zf_codec_lookup3_init(zf_bbcodec *c, struct json_object *cfg,
                              size_t typesize, zf_err *err);
zf_code zf_codec_delta_init(zf_bbcodec *c, struct json_object *cfg,
                            size_t typesize, zf_err *err);
zf_code zf_codec_fixedscaleoffset_init(zf_bbcodec *c, struct json_object *cfg,
                                       size_t typesize, zf_err *err);
zf_code zf_codec_bitround_init(zf_bbcodec *c, struct json_object *cfg,
                               size_t typesize, zf_err *err);
zf_code zf_codec_quantize_init(zf_bbcodec *c, struct json_object *cfg,
                               size_t typesize, zf_err *err);
zf_code zf_codec_astype_init(zf_bbcodec *c, struct json_object *cfg,
                             size_t typesize, zf_err *err);
zf_code zf_codec_packbits_init(zf_bbcodec *c, struct json_object *cfg,
                               size_t typesize, zf_err *err);

/* ---- parameters (params.c) ----------------------------------------------
 * Each reads cfg[key] (a JSON null counts as absent).  Absent: the default
 * when !required, else ZF_EMETA.  Wrong type or out of range: ZF_EMETA naming
 * c->name and the key. */
zf_code zf_codec_param_int(const zf_bbcodec *c, struct json_object *cfg,
                           const char *key, int required, int64_t dflt,
                           int64_t lo, int64_t hi, int64_t *v, zf_err *err);
zf_code zf_codec_param_bool(const zf_bbcodec *c, struct json_object *cfg,
                            const char *key, int required, int dflt, int *v,
                            zf_err *err);
zf_code zf_codec_param_str(const zf_bbcodec *c, struct json_object *cfg,
                           const char *key, int required, const char *dflt,
                           const char **v, zf_err *err);

/* ---- bounded output (bound.c) --------------------------------------------- */

/* For formats that state their decoded size up front (blosc, lz4, crc32c,
 * shuffle): checks `stated` against expect (must be equal) or limit (must not
 * exceed), then makes out hold exactly that many bytes.  Nothing is allocated
 * for a size that fails the check. */
zf_code zf_codec_claim(const zf_bbcodec *c, size_t stated, zf_buf *out,
                       size_t expect, size_t limit, zf_err *err);

/* Ensures out can hold n bytes, allocating exactly n when it grows (so that
 * the bounds above are the bounds on memory).  A fixed window that is too
 * small is ZF_ECORRUPT. */
zf_code zf_codec_reserve(zf_buf *out, size_t n, zf_err *err);

/* One step of a streaming decoder: consume from in[inpos..inlen), produce
 * into dst[dstpos..dstcap), advance both positions, and set *done once the
 * whole input has been decoded.  An error in the data is ZF_ECORRUPT. */
typedef struct zf_codec_io {
    const uint8_t *in;
    size_t inlen, inpos;
    uint8_t *dst;
    size_t dstcap, dstpos;
} zf_codec_io;
typedef zf_code (*zf_codec_step_fn)(void *state, zf_codec_io *io, int *done,
                                    zf_err *err);

/* Drives `step` over in, growing out as needed but never beyond expect (or
 * limit), and tells "ends exactly at the bound" from "goes on past it" by
 * decoding one byte into scratch.  Sizes other than expect, output past the
 * limit and input that stops mid-stream are errors naming c->name. */
zf_code zf_codec_stream(const zf_bbcodec *c, zf_codec_step_fn step,
                        void *state, const uint8_t *in, size_t inlen,
                        zf_buf *out, size_t expect, size_t limit,
                        zf_err *err);

/* ---- checksums (crc32c.c) ------------------------------------------------- */

/* The table-driven CRC-32C, whatever the CPU offers; zf_crc32c may use a
 * hardware instruction instead.  Exposed so the tests can compare the two. */
uint32_t zf_crc32c_portable(const void *data, size_t len);

#endif
