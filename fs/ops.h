/*
 * ops.h - the FUSE low-level operations of zarrfs.
 *
 * Contract:
 *  - The operations share struct zfs_fs (fs.h), the session's userdata.
 *  - Inodes: lookups by name (lookup, readdir's entries) use the current
 *    inode table; operations on an inode number (getattr, open, read,
 *    readdir, xattrs) find it in the current table or, when a refresh
 *    removed it, in the retired one that has it (tables.h), so what was open
 *    keeps working with what it showed before.  Each operation pins the
 *    table it uses until it has replied (an asynchronous read until its
 *    completion), and an open array file or view pins its table in fi->fh
 *    until release, so the refresher can free retired tables nobody uses.
 *  - The file system is read-only: opening a file for writing gets EROFS.
 *    Array files, subarrays, header views and group files keep their page
 *    cache (keep_cache), and are opened with direct_io when the mount's
 *    reads are direct (fs->io, iomode.h); entries and attributes are cached for
 *    fs->timeout (a day, or the metadata_ttl: the refresher invalidates
 *    what changed); .zarrfs/stats is generated at open and served with
 *    direct_io.
 *  - A header view's bytes come from its header in memory; an npy view's
 *    bytes past the header are its array's, read at offsets shifted by the
 *    header's length (a read across the boundary takes both).  A group
 *    file (G.nc) is read by ncfile.h: its header, zeros, and its arrays'
 *    parts.
 *  - Reads of array bytes are answered asynchronously: the handler starts
 *    zf_array_read_async and returns; the engine's completion replies and
 *    frees the buffer (it may run inline, inside the handler, which then
 *    touches nothing of the read after the call).  Such reads are counted
 *    in flight (fs.h) until they have replied.
 *  - A read takes its change count (zfs_push_changes) before it looks its
 *    inode up: the refresher publishes a new table before it bumps
 *    fs->epoch, so a count taken after the lookup could miss a refresh
 *    whose old layout the read then serves and pushes.
 *  - A failed read replies EIO and is logged once per (array, message).
 *    A read about to be answered is handed to the pusher (push.h), which
 *    fills the page cache with the rest of the chunks the read decoded.
 *  - The init operation chooses direct or cached reads (iomode.h) and asks
 *    the kernel for large reads: max_readahead is fs->readahead (set by
 *    main after zfs_fs_init; at most ZFS_READAHEAD_DIRECT with direct
 *    reads unless readahead= was given), up to ZFS_MAX_BACKGROUND
 *    requests in flight; max_read stays 0 (no limit, as the mount option
 *    has it), so a request is bounded by the kernel's max_pages, which
 *    libfuse derives from max_write (1 MiB in libfuse 3.14).
 *  - All operations are thread-safe (the multi-threaded loop calls them at
 *    once; tables are immutable and published under their lock (tables.h)).
 *  - A name the directory lacks may be a virtual file (virt.h): a
 *    subarray NAME[EXPR] or NAME@F.  Its entry is replied with an entry
 *    timeout of 0 (the kernel drops the dentry when unused, and forgets
 *    the inode: FUSE forget frees it); a bad one is ENOENT, logged with the
 *    reason.
 *  - The init operation sets fs->live (fs.h).
 */
#ifndef ZARRFS_FS_OPS_H
#define ZARRFS_FS_OPS_H

#include "fs.h"

/* Asynchronous (readahead) requests the kernel may have in flight, and
 * the number past which it counts the mount as congested (3/4 of it). */
#define ZFS_MAX_BACKGROUND 64

/* The readahead window with direct reads unless readahead= is given: it
 * serves only mmap faults, and on the tick archive of
 * tools/bench/partial_query.sh (medians of 3) a day by numpy.memmap
 * decoded 192 chunks with 128K where 1M decoded 464 (0.32 s, 0.69 s). */
#define ZFS_READAHEAD_DIRECT (128u << 10)

/* The operations table; its userdata must be a struct zfs_fs. */
extern const struct fuse_lowlevel_ops zfs_ops;

#endif
