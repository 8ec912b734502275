/*
 * ops.h - the FUSE low-level operations of zarrfs, and the state they share.
 *
 * Contract:
 *  - struct zfs_fs is the session's userdata: it holds everything the
 *    operations use (the open store, the inode tables, the error sets).
 *    main owns it and fills it with zfs_fs_init and zfs_tables_publish before
 *    the session loop starts.
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
 *    touches nothing of the read after the call).  zfs_fs_wait_idle blocks until every such read has
 *    replied; call it after the session loop ends and before the session,
 *    the store or the inode tables are torn down.
 *  - A failed read replies EIO and is logged once per (array, message).
 *    An answered read is handed to the pusher (push.h), which fills the
 *    page cache with the rest of the chunks the read decoded.
 *  - The init operation chooses direct or cached reads (iomode.h) and asks
 *    the kernel for large reads: max_readahead is fs->readahead (set by
 *    main after zfs_fs_init; at most ZFS_READAHEAD_DIRECT with direct
 *    reads unless readahead= was given), up to ZFS_MAX_BACKGROUND
 *    requests in flight; max_read stays 0 (no limit, as the mount option
 *    has it), so a request is bounded by the kernel's max_pages, which
 *    libfuse derives from max_write (1 MiB in libfuse 3.14).
 *  - All operations are thread-safe (the multi-threaded loop calls them at
 *    once; tables are immutable and published under their lock (tables.h),
 *    and the counters are mutex-protected).
 *  - A name the directory lacks may be a virtual file (virt.h): a
 *    subarray NAME[EXPR] or NAME@F.  Its entry is replied with an entry
 *    timeout of 0 (the kernel drops the dentry when unused, and forgets
 *    the inode: FUSE forget frees it); a bad one is ENOENT, logged with the
 *    reason.
 *  - fs->live is set once the kernel's INIT has been answered: from then on
 *    the session may be sent notifications (refresh.h).
 */
#ifndef ZARRFS_FS_OPS_H
#define ZARRFS_FS_OPS_H

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include <zarrfs/zarrfs.h>

#include "iomode.h"
#include "log.h"
#include "tables.h"

struct zfs_pusher;

struct zfs_fs {
    zf_zarr *z;          /* the open store; owned by main */
    struct zfs_tables tables; /* the inode tables; owned here */
    zfs_errset *errors;  /* read errors already logged; owned here */
    zfs_errset *notes;   /* entries left out, already logged (inodes.h) */
    atomic_int live;     /* INIT answered: notifications may be sent */
    uid_t uid;           /* owner shown for every file */
    gid_t gid;
    double timeout;      /* entry and attribute timeout, seconds */
    pthread_mutex_t lock;
    pthread_cond_t idle; /* signalled when inflight drops to 0 */
    unsigned long inflight; /* asynchronous reads not yet replied */
    unsigned readahead;  /* bytes: conn->max_readahead (readahead=) */
    int readahead_set;   /* readahead= was given: kept with direct reads */
    struct zfs_pusher *pusher; /* fills the page cache (push.h); owned by main */
    atomic_uint_fast64_t epoch; /* refreshes that dropped pages (push.h) */
    struct zfs_virt *virt; /* virtual files (virt.h); owned here */
    struct zfs_iomode io; /* direct or cached reads: asked set by main,
                             the rest by INIT (iomode.h) */
};

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

/* Sets up `fs` for a store (no table yet: main publishes the first with
 * zfs_tables_publish); -1 when out of memory. */
int zfs_fs_init(struct zfs_fs *fs, zf_zarr *z);

/* Waits until every asynchronous read has replied. */
void zfs_fs_wait_idle(struct zfs_fs *fs);

/* An asynchronous read starts, or has replied (zfs_fs_wait_idle waits for
 * them). */
void zfs_fs_inflight_begin(struct zfs_fs *fs);
void zfs_fs_inflight_end(struct zfs_fs *fs);

/* Frees what zfs_fs_init allocated and every inode table (not the
 * store); after zfs_fs_wait_idle. */
void zfs_fs_destroy(struct zfs_fs *fs);

/* Byte ranges of files and arrays are cut with these (push.c, ncfile.c). */
static inline uint64_t zfs_min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static inline uint64_t zfs_max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

#endif
