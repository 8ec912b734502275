/*
 * pack_io.h - the file system and fd side of a pack (pack_io.c): the output
 * folder, creating files, reading the input.  zf_pack_write_file may run on
 * any number of threads at once.  Errors: ZF_EINVAL / ZF_EIO naming the path.
 */
#ifndef ZF_PACK_IO_H
#define ZF_PACK_IO_H

#include <stddef.h>

#include "err.h"

/* Makes out_dir (and its parents) unless it is an empty folder; anything
 * else there is ZF_EINVAL. */
zf_code zf_pack_prepare_dir(const char *out_dir, zf_err *err);

/* Creates out_dir/key (never overwriting), making its folders; the parts
 * are written back to back. */
zf_code zf_pack_write_file(const char *out_dir, const char *key,
                           const void *const *parts, const size_t *lens,
                           int nparts, zf_err *err);

/* Reads until len bytes or the end of the input (a pipe may give less per
 * read()); *got receives the count.  Read errors are ZF_EIO. */
zf_code zf_pack_read_full(int fd, void *buf, size_t len, size_t *got,
                          zf_err *err);

#endif
