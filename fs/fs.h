/*
 * fs.h - the state a mount's operations share (struct zfs_fs), its life,
 * and the count of reads in flight.
 *
 * Contract:
 *  - struct zfs_fs is the session's userdata: it holds everything the
 *    operations use (the open store, the inode tables, the error sets).
 *    main owns it and fills it with zfs_fs_init and zfs_tables_publish before
 *    the session loop starts; zfs_fs_destroy after zfs_fs_wait_idle.
 *  - Reads answered asynchronously (ops.c, ncfile.c) are counted from
 *    zfs_fs_inflight_begin until they have replied (zfs_fs_inflight_end);
 *    zfs_fs_wait_idle blocks until none is left.  Call it after the
 *    session loop ends and before the session, the store or the inode
 *    tables are torn down.
 *  - fs->live is set once the kernel's INIT has been answered: from then on
 *    the session may be sent notifications (refresh.h).
 *  - fs->epoch counts the refreshes that replaced what a file shows
 *    (refresh.h); a read snapshots zfs_push_changes (push.h) before it
 *    looks its inode up, so that a refresh published in between is seen
 *    as a change.
 *  - Thread-safe: the count is mutex-protected, live and epoch atomic; the
 *    rest is set before the session loop starts.
 */
#ifndef ZARRFS_FS_FS_H
#define ZARRFS_FS_FS_H

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
    atomic_uint_fast64_t epoch; /* refreshes published (bumped after the
                                   new table: see the contract) */
    struct zfs_virt *virt; /* virtual files (virt.h); owned here */
    struct zfs_iomode io; /* direct or cached reads: asked set by main,
                             the rest by INIT (iomode.h) */
};

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
