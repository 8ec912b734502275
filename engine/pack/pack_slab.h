/*
 * pack_slab.h - encoding one slab of a pack's input into its chunk and shard
 * files (pack_slab.c).  Reads the plan (pack.h) only; everything it
 * allocates is freed before it returns.  Errors name the key.
 */
#ifndef ZF_PACK_SLAB_H
#define ZF_PACK_SLAB_H

#include "pack.h"

/* Encodes and writes every chunk (or shard) of slab `slab`, whose input
 * rows are `data` (little endian; as many rows of row_bytes as the array
 * has from slab * outer[0] on, at most outer[0]). */
zf_code zf_pack_slab(const zf_pack_plan *p, uint64_t slab, const uint8_t *data,
                     zf_err *err);

#endif
