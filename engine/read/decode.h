/*
 * decode.h - decoding one chunk and copying the box a read needs out of it.  Where the box is the whole chunk, lies
 * contiguously in the destination and the codecs allow it, the last codec
 * decodes straight into the destination (no scratch, no copy).
 *
 * Thread safety: reentrant; the scratch buffers belong to the calling thread.
 * Errors: ZF_ECORRUPT / ZF_ELIMIT with the codec's reason; the caller
 * prefixes the key.
 */
#ifndef ZF_DECODE_H
#define ZF_DECODE_H

#include "box.h"
#include "bufpool.h"
#include "pipeline.h"

typedef struct zf_scratch {
    zf_buf in;      /* encoded bytes as read from the store */
    zf_buf a, b, c; /* decoding stages */
} zf_scratch;

void zf_scratch_free(zf_scratch *s);

/* Memory: scratch is outside the cache budget, so it is bounded by use.
 * While a chunk decodes, each of its four buffers holds at most twice what
 * that stage needs (zf_buf_reserve doubles), i.e. about 2x the chunk's
 * largest stage, on each thread decoding.  Between chunks, zf_scratch_done
 * keeps only buffers of at most ZF_SCRATCH_KEEP bytes: a thread keeps at
 * most 4 x ZF_SCRATCH_KEEP, so small chunks reuse their buffers; a large
 * one goes to the store's buffer pool (task.c: zf_zarr.fetch_bufs, 64 MiB at
 * most in all, shared with fetch runs), from which the next large chunk on
 * any thread takes it (zf_scratch_take), rather than being freed: glibc
 * gives blocks that large back with munmap, and a fresh 32 MiB buffer cost
 * 8,192 page faults, the kernel zeroing every page, for each chunk. */
#define ZF_SCRATCH_KEEP ((size_t)4 << 20)

/* The calling thread's scratch buffers, created on first use and freed when
 * the thread exits; or, when they cannot be had (out of memory, or no
 * thread-specific key), `spare`, zeroed by the caller, who frees it with
 * zf_scratch_free after use. */
zf_scratch *zf_scratch_get(zf_scratch *spare);

/* Ends one use of s: its buffers larger than ZF_SCRATCH_KEEP go to `keep`
 * (a pool shared by the threads, bounded in bytes: the next large chunk on
 * any thread takes them, with no page fault per 4 KiB for fresh memory), or
 * are freed when keep is NULL. */
void zf_scratch_done(zf_scratch *s, zf_bufpool *keep);

/* Gives b (a scratch buffer) at least `need` bytes from `pool` when need is
 * above ZF_SCRATCH_KEEP and b holds less: a kept buffer if the pool has one
 * large enough, else a new one.  Otherwise, or when memory runs out, b is
 * left as it is (zf_buf_reserve then grows it, or fails). */
void zf_scratch_take(zf_buf *b, zf_bufpool *pool, size_t need);

/* The bytes zf_decode_box will decode into s->a for a box of `count`
 * elements into dst: 0 when it decodes straight into dst or copies the box
 * out of the stored bytes. */
size_t zf_decode_box_scratch(const zf_pipeline *p, const uint64_t *count,
                             const zf_strided *dst);

/* Decodes the encoded chunk in[0..inlen) of p and copies the box at `lo`
 * of `count` elements (in p->shape coordinates), every step-th (step NULL:
 * all 1), into dst.  *in_place (may be NULL) is set when no copy was
 * needed.  A sharded p (a whole shard, or an inner shard of one) is cut by
 * its index in memory; shards read by their index in the store are
 * planned inner chunk by inner chunk instead (plan.c). */
zf_code zf_decode_box(const zf_pipeline *p, const uint8_t *in, size_t inlen,
                      const uint64_t *lo, const uint64_t *count,
                      const uint64_t *step, const zf_strided *dst, zf_scratch *s, int *in_place,
                      zf_err *err);

/* Decodes one whole chunk of a non-sharded pipeline from its encoded bytes
 * into out (p->nbytes, C order of p->shape, native order); used for shard
 * indexes and by the tests. */
zf_code zf_pipeline_decode_full(const zf_pipeline *p, const uint8_t *in,
                                size_t inlen, void *out, zf_err *err);

/* Checks index entry i (eoff, elen) of a shard of shard_len bytes against
 * the shard's data, before it is used; key names it in the error. */
zf_code zf_shard_check_entry(const zf_shard_conf *s, const char *key,
                             uint64_t shard_len, uint64_t eoff, uint64_t elen,
                             uint64_t i, zf_err *err);

/* 1 if a box is the whole chunk and dst holds it contiguously in C order:
 * then the chunk's bytes can land in dst directly. */
int zf_box_is_whole_contiguous(const zf_pipeline *p, const uint64_t *count,
                               const zf_strided *dst);

#endif
