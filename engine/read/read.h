/*
 * read.h - reading bytes of a flat view: what read.c offers the other
 * readers of the engine (select.c), with run.h's planning and running;
 * zf_array_read itself is public (zarrfs.h).
 * Thread-safe: all state is the read's.
 */
#ifndef ZF_READ_H
#define ZF_READ_H

#include "run.h"

/* Reads elements [e0, e1) of some flat view into dst (read.c, select.c). */
typedef zf_code (*zf_elements_fn)(void *arg, uint64_t e0, uint64_t e1,
                                  void *dst, zf_err *err);

/* Fills buf with bytes [offset, offset + length) of a flat view of
 * elements of isz bytes, read by fn: the whole elements straight into buf,
 * a partial one at either end through a bounce buffer.  A read that meets a
 * key changed while being read (ZF_ECHANGED) runs again, whole, planned on
 * the new version: ZF_READ_TRIES runs at most, then ZF_ECHANGED. */
#define ZF_READ_TRIES 4
zf_code zf_read_bytes(size_t isz, uint64_t offset, size_t length, void *buf,
                      zf_elements_fn fn, void *arg, zf_err *err);

#endif
