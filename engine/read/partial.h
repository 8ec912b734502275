/*
 * partial.h - the byte runs of a raw chunk that a box touches, for reading
 * part of it.  A raw chunk (the bytes codec alone: no array->array or
 * bytes->bytes codec, not a shard) is its elements in C order, so a box of
 * it is a set of byte runs.  They are walked as spans: the box's innermost
 * dimensions whose runs lie closer than ZF_PARTIAL_GAP bytes (holes of a
 * strided box, a row's tail and the next row's head) make one span, the
 * outer ones are walked in C order, and spans closer than ZF_PARTIAL_GAP
 * join one range: one store read.  The gap keeps a strided box from making
 * a request per element; a hole read and thrown away costs less than one
 * more request.
 *
 * Pure arithmetic: thread-safe, nothing allocated.  Offsets are from the
 * chunk's first byte.
 */
#ifndef ZF_PARTIAL_H
#define ZF_PARTIAL_H

#include <stddef.h>
#include <stdint.h>

#include "zarrfs/zarrfs.h"

/* Runs closer than this join (the hole between them is read). */
#define ZF_PARTIAL_GAP ((uint64_t)4 << 10)
/* A chunk smaller than this is read whole (and cached): a request for part
 * of it saves little. */
#define ZF_PARTIAL_MIN_CHUNK ((uint64_t)64 << 10)
/* A box of more ranges than this reads its chunk whole: that many requests
 * cost more than the bytes they spare (a column of a chunk, say). */
#define ZF_PARTIAL_MAX_RANGES 16

/* The spans of one box: dimensions [0, outer) are walked, one span per
 * index k (k[d] < count[d]), starting at first + sum(k[d] * pitch[d]),
 * `span` bytes long; dimensions [outer, ndim) lie inside each span. */
typedef struct zf_spans {
    int ndim, outer;
    uint64_t count[ZF_MAX_DIMS];
    uint64_t pitch[ZF_MAX_DIMS]; /* bytes from one span to the next along d */
    uint64_t first, span;
} zf_spans;

/* The spans of the box of `count` elements from `lo`, every step-th (step
 * NULL: all 1), of a C-order chunk of `shape` with elements of itemsize
 * bytes.  Every count must be >= 1. */
void zf_spans_init(zf_spans *s, int ndim, const uint64_t *shape,
                   size_t itemsize, const uint64_t *lo, const uint64_t *count,
                   const uint64_t *step);

/* The range that begins at span k (k[d] == 0 for d >= s->outer): its bytes
 * [*off, *off + *len) and the number of spans it holds (*nspans).  k moves
 * to the first span of the next range; returns 0 when none is left. */
int zf_spans_range(const zf_spans *s, uint64_t *k, uint64_t *off,
                   uint64_t *len, uint64_t *nspans);

/* Advances k to the next span in C order; 0 past the last one. */
int zf_spans_next(const zf_spans *s, uint64_t *k);

/* The offset of span k. */
uint64_t zf_spans_at(const zf_spans *s, const uint64_t *k);

/* Counts the ranges of s (stopping past max) and the bytes they cover:
 * *nranges (at most max + 1), *bytes, and the first range's offset and
 * length. */
void zf_spans_measure(const zf_spans *s, uint64_t max, uint64_t *nranges,
                      uint64_t *bytes, uint64_t *off, uint64_t *len);

#endif
