/*
 * pipeline.h - the codec chain of one chunk, as the Zarr v3 spec defines it:
 * array->array codecs (transpose, delta), one array->bytes codec (bytes or
 * sharding_indexed), then bytes->bytes codecs (codec/codec.h).  Decoding runs
 * them backwards.  A pipeline is built for one chunk shape; a sharded
 * pipeline holds the pipeline of its inner chunks (and of its index), so
 * nesting is a tree of pipelines.
 *
 * Ownership: zf_pipeline_new returns a pipeline freed with zf_pipeline_free.
 * Thread safety: immutable once built; any number of threads may use it.
 * Errors: configuration problems are ZF_EMETA / ZF_EUNSUPPORTED naming the
 * codec and the reason; the caller prefixes the array.
 */
#ifndef ZF_PIPELINE_H
#define ZF_PIPELINE_H

#include "codec/aa.h"
#include "codec/codec.h"
#include "meta/dtype.h"

struct json_object;

#define ZF_MAX_CODECS 16

typedef struct zf_pipeline zf_pipeline;

typedef struct zf_shard_conf {
    uint64_t inner[ZF_MAX_DIMS];  /* inner chunk shape */
    uint64_t grid[ZF_MAX_DIMS];   /* inner chunks per shard, per dimension */
    uint64_t ninner;              /* product of grid */
    zf_pipeline *inner_pipe;      /* decodes one inner chunk */
    zf_pipeline *index_pipe;      /* decodes the index: uint64 [grid..., 2] */
    uint64_t index_bytes;         /* encoded size of the index */
    int index_at_start;
} zf_shard_conf;

struct zf_pipeline {
    int ndim;
    uint64_t shape[ZF_MAX_DIMS]; /* the decoded chunk shape */
    const zf_dtype *dt;
    uint8_t fill[16];            /* native order */
    uint64_t nbytes;             /* decoded chunk size in bytes */

    int naa;
    zf_aacodec aa[ZF_MAX_CODECS];  /* codec/aa.h */
    int sharded;                 /* array->bytes: sharding_indexed, read by its
                                    index (nothing after it), else bytes */
    int whole_shard;             /* sharding_indexed with bytes->bytes codecs
                                    after it: a chunk decoded whole, then cut
                                    by its index in memory (decode.c) */
    int big_endian;              /* bytes: the stored byte order */
    zf_shard_conf shard;
    int naa_delta;               /* of which change values (no view:
                                    numcodecs.delta) */
    int nbb;
    zf_bbcodec *bb[ZF_MAX_CODECS]; /* the first nfilt: v3 numcodecs filters */
    int nfilt;
    char *describe;              /* "transpose(2,1,0) bytes(little) zstd(level=3)" */
};

/* Builds the pipeline of `codecs` (a JSON array) for chunks of `shape`.
 * With v2 set, entries may also be numcodecs objects ({"id": ...}): the
 * filters and compressor of a Zarr v2 array, mapped after its bytes codec. */
zf_code zf_pipeline_new(struct json_object *codecs, int ndim,
                        const uint64_t *shape, const zf_dtype *dt,
                        const void *fill, int v2, zf_pipeline **out,
                        zf_err *err);
void zf_pipeline_free(zf_pipeline *p);

/* The most bytes an encoded chunk of p may take: no codec here expands its
 * input by more, so a larger chunk is damage, refused before reading it. */
static inline uint64_t zf_pipeline_max_encoded(const zf_pipeline *p)
{
    return p->nbytes * 2 + (1 << 20);
}

/* 1 if the stored bytes must be swapped to reach native order. */
static inline int zf_pipeline_swaps(const zf_pipeline *p)
{
    return p->dt->swap_unit > 1 && p->big_endian == zf_native_little();
}

#endif
