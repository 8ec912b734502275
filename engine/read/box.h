/*
 * box.h - boxes (hyper-rectangles of elements) and strided copies between
 * them.  A strided view (zf_strided) describes where the elements of a box
 * live in memory: the address of the box's first element and a byte stride
 * per dimension, which may be anything (a transpose is a permutation of
 * strides).  (Not to be confused with the header views of zarrfs.h,
 * zf_view_*, which are files.)  Pure functions:
 * thread-safe, nothing allocated.
 */
#ifndef ZF_BOX_H
#define ZF_BOX_H

#include <stddef.h>
#include <stdint.h>

#include "zarrfs/zarrfs.h"

typedef struct zf_strided {
    uint8_t *base;
    int64_t stride[ZF_MAX_DIMS];
} zf_strided;

/* C-order byte strides of `shape` for elements of `itemsize` bytes. */
void zf_c_strides(int ndim, const uint64_t *shape, size_t itemsize,
                  int64_t *stride);

/* The view of the element at `at` inside v (same strides). */
zf_strided zf_strided_at(const zf_strided *v, int ndim, const uint64_t *at);

/* Makes v step over `step` elements per dimension (NULL: unchanged): the
 * view of every step-th element, for strided selections. */
void zf_strided_step(zf_strided *v, int ndim, const uint64_t *step);

/* Copies a box of `count` elements per dimension from src to dst. */
void zf_box_copy(int ndim, const uint64_t *count, size_t itemsize,
                 const zf_strided *dst, const zf_strided *src);

/* Writes the element `value` into every element of a box of dst. */
void zf_box_fill(int ndim, const uint64_t *count, size_t itemsize,
                 const zf_strided *dst, const void *value);

/* Splits the elements [e0, e1) of an array of `shape`, in C order, into at
 * most 2 * ndim - 1 boxes; fn is called with each box's first element and
 * its counts, in order.  Returns fn's first non-zero result, or 0. */
int zf_flat_boxes(int ndim, const uint64_t *shape, uint64_t e0, uint64_t e1,
                  int (*fn)(void *arg, const uint64_t *lo, const uint64_t *count),
                  void *arg);

/* One chunk of a regular grid that a box touches: its grid coordinates, the
 * part of the box inside it (lo and count, relative to the chunk) and where
 * that part starts, relative to the box (rel). */
typedef struct zf_grid_cell {
    uint64_t at[ZF_MAX_DIMS], lo[ZF_MAX_DIMS], count[ZF_MAX_DIMS],
        rel[ZF_MAX_DIMS];
} zf_grid_cell;

/* Calls fn for each chunk of shape `chunk` that the box (lo, count) touches,
 * in C order (one cell when ndim is 0).  Returns fn's first non-zero result,
 * or 0. */
int zf_grid_each(int ndim, const uint64_t *chunk, const uint64_t *lo,
                 const uint64_t *count,
                 int (*fn)(void *arg, const zf_grid_cell *cell), void *arg);

/* zf_grid_each over a strided box: the elements lo + step * k, k < count,
 * per dimension (step NULL: all 1).  A cell's lo is its first selected
 * element (chunk-relative), count the selected elements in it and rel the
 * index k of that first one; chunks holding no selected element are
 * skipped. */
int zf_grid_each_step(int ndim, const uint64_t *chunk, const uint64_t *lo,
                      const uint64_t *count, const uint64_t *step,
                      int (*fn)(void *arg, const zf_grid_cell *cell), void *arg);

#endif
