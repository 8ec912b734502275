/*
 * pack.h - the inside of zf_pack (zarrfs-pack): the plan its files share.
 * Each file declares its functions in its own header:
 *   pack.c       zf_pack (zarrfs.h): checks the options, reads the input
 *                slab by slab, drives
 *   pack_meta.h  the codec chain and zarr.json (one source for both, so the
 *                metadata always describes what the encoders did)
 *   pack_slab.h  encodes one slab's chunks on N threads and assembles the
 *                chunk and shard files
 *   pack_io.h    the file system and fd side: the output folder, creating
 *                files, reading the input
 * A plan is built once by zf_pack and read-only afterwards, so any number of
 * threads may read it.  The plan owns its pipeline (freed by
 * zf_pack_chain_free).  Errors: zf_code plus a message naming OUTPUT or the
 * key.
 */
#ifndef ZF_PACK_H
#define ZF_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "meta/dtype.h"
#include "read/pipeline.h"
#include "zarrfs/zarrfs.h"

/* Scratch buffers per encoding thread: the raw chunk, its encoding, and
 * zf_pipeline_encode's two. */
#define ZF_PACK_BUFS 4

typedef struct zf_pack_plan {
    const zf_pack_options *o;
    const zf_dtype *dt;
    const char *out_dir;
    int ndim;
    uint64_t shape[ZF_MAX_DIMS];
    uint64_t outer[ZF_MAX_DIMS];     /* shard shape, or chunk shape */
    uint64_t inner[ZF_MAX_DIMS];     /* chunk shape (== outer unsharded) */
    uint64_t outer_grid[ZF_MAX_DIMS]; /* outer chunks along each dimension */
    uint64_t per_outer[ZF_MAX_DIMS]; /* inner chunks per outer, per dim */
    uint64_t inner_count;            /* inner chunks in one outer chunk */
    uint64_t outers_per_slab;        /* outer chunks in one slab */
    size_t chunk_bytes;              /* decoded size of one inner chunk */
    uint64_t row_bytes;              /* bytes of one index along dim 0 */
    uint64_t total_bytes;            /* the whole input */
    int swap;                        /* byte-swap the input (little endian)
                                        to native order before encoding */
    int threads;
    struct zf_pool *pool;            /* threads-1 encoders (the caller is one) */
    /* The codecs, built from the JSON zarr.json will list (pack_meta.c):
     * pipe encodes an outer chunk (a shard: its index), chunk_pipe an inner
     * one (== pipe unsharded).  The read path's own encoders (read/encode.h),
     * so zarrfs-pack writes what zarrfs decodes, codec by codec. */
    zf_pipeline *pipe;
    const zf_pipeline *chunk_pipe;
} zf_pack_plan;

#endif
