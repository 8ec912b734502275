/*
 * ncfile.h - reading a group file (G.nc, -o views=nc; inodes.h): its
 * header from memory, zeros between the parts, and each part's bytes from
 * its array through the engine's asynchronous read, like array files.
 *
 * Contract:
 *  - zfs_ncfile_read takes over the pin of the table that holds the inode
 *    and releases it once the request is answered; it returns at once (the
 *    parts are read on the engine's threads) and counts the read in
 *    fs->inflight until it has replied (ops.h).
 *  - One request may span the header and several parts: each part is one
 *    engine read into its place in one buffer; the last to finish replies
 *    with the whole, or EIO (logged once per file and message) when any
 *    part failed.  Each part read is handed to the pusher (push.h) as a
 *    read of its array at the part's offset in the file.
 *  - Thread-safe: per-request state only; the inode is read-only.
 */
#ifndef ZARRFS_FS_NCFILE_H
#define ZARRFS_FS_NCFILE_H

#include "fs.h"

/* Answers READ(off, size) of group file n of pinned table t; `changes` is
 * zfs_push_changes taken before n was looked up (ops.h). */
void zfs_ncfile_read(fuse_req_t req, struct zfs_fs *fs, const zfs_table *t,
                     const zfs_inode *n, size_t size, off_t off,
                     uint64_t changes);

#endif
