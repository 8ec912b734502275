/*
 * encode.h - encoding one chunk through its pipeline: the twin of decode.h,
 * used by zarrfs-pack (engine/pack), the tests and the encoder fuzz target,
 * and the base of a write path.  The stages run forwards: each array->array
 * codec's encode (codec/aa.h), the array->bytes codec (bytes: the byte
 * order; sharding_indexed: inner chunks encoded, then the index through its
 * own codecs), then each bytes->bytes codec's encode (codec/codec.h).
 *
 * Thread safety: reentrant; the pipeline is only read, the buffers are the
 * caller's.  Ownership: out and tmp are the caller's growable buffers
 * (zf_buf_free).  Errors: ZF_ENOMEM, or a codec's error naming it.
 * Lossy codecs encode too: zf_pipeline_lossless tells a writer to refuse.
 */
#ifndef ZF_ENCODE_H
#define ZF_ENCODE_H

#include "pipeline.h"

/* Encodes chunk (p->nbytes: C order of p->shape, native order) into out;
 * tmp[0] and tmp[1] are scratch, reused across calls. */
zf_code zf_pipeline_encode(const zf_pipeline *p, const uint8_t *chunk,
                           zf_buf *out, zf_buf tmp[2], zf_err *err);

/* Encodes the index of a shard of the sharded pipeline p: ix holds
 * p->shard.ninner (offset, length) pairs, native order (UINT64_MAX twice:
 * an empty inner chunk).  out receives exactly p->shard.index_bytes. */
zf_code zf_shard_index_encode(const zf_pipeline *p, const uint64_t *ix,
                              zf_buf *out, zf_buf tmp[2], zf_err *err);

/* 1 if every codec of p (inner and index pipelines included) encodes
 * losslessly; else 0, with *name (may be NULL) the first lossy codec's
 * name, for the EACCES a write path answers. */
int zf_pipeline_lossless(const zf_pipeline *p, const char **name);

#endif
