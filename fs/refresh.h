/*
 * refresh.h - the metadata refresher of a mount (-o metadata_ttl=SEC): a
 * thread that re-reads the store's metadata every SEC seconds and makes
 * the mount show what changed.
 *
 * Each tick:
 *  - zf_refresh re-reads the metadata (a remote store first forgets the
 *    sizes and missing keys it remembers).  A failure is logged (once per
 *    distinct message) and the mount keeps showing what it showed;
 *  - when something changed, a new inode table is built from the previous
 *    one (so inode numbers stay: inodes.h; group files whose nodes did not
 *    change are kept, not built again), published (tables.h), and one line
 *    logged: the arrays added, removed and changed, how long re-reading and
 *    building took, and the group files built and kept;
 *  - the kernel is told to drop what it cached: the pages and attributes of
 *    every array file, header view and group file of the current table
 *    (their bytes may have been rewritten under unchanged metadata), the
 *    names added and removed (fuse_lowlevel_notify_inval_entry) and the
 *    listings and attributes of the directories they are in.
 *
 * Contract:
 *  - zfs_refresher_init before the signal thread may call
 *    zfs_refresher_detach; zfs_refresher_start after daemonizing (threads
 *    do not survive the fork) and before the session loop;
 *    zfs_refresher_stop after the loop has returned, before zf_close and
 *    before the session's descriptor is closed (fuse_session_unmount).
 *  - Notifications are sent only once the kernel's INIT was answered
 *    (fs->live) and until zfs_refresher_detach (called by the signal thread
 *    before it unmounts): a notification never goes to a closed, or reused,
 *    descriptor.  They are sent from the refresher's own thread, never from
 *    a request handler, holding no lock the operations take.
 *  - The refresher is the only caller of zf_refresh, zf_node_* and
 *    zf_array_get once started, which is the serialization zarrfs.h asks
 *    for; the operations use only the published tables and array handles.
 *  - zfs_refresher_stop wakes the thread and joins it; a tick in progress
 *    (a slow remote store) is finished first.
 */
#ifndef ZARRFS_FS_REFRESH_H
#define ZARRFS_FS_REFRESH_H

#include <pthread.h>

#include "fs.h"
#include "worker.h"

struct zfs_refresher {
    struct zfs_fs *fs;
    const char *store;  /* names the root array's file (inodes.h) */
    unsigned views;
    double period;      /* seconds between ticks */
    struct zfs_worker w; /* its lock guards stop, and se for notifications */
    struct fuse_session *se; /* NULL once detached */
    int pending;        /* the engine changed but no table was built yet */
    char *last_error;   /* the last failure logged, to log each once */
};

/* Sets up r for `fs` (nothing runs yet). */
void zfs_refresher_init(struct zfs_refresher *r, struct zfs_fs *fs,
                        struct fuse_session *se, const char *store,
                        unsigned views, double period);

/* Starts the thread; -1 (logged) when it cannot be started. */
int zfs_refresher_start(struct zfs_refresher *r);

/* No notification is sent from now on (the session is going away). */
void zfs_refresher_detach(struct zfs_refresher *r);

/* Stops and joins the thread (if started) and frees what r holds. */
void zfs_refresher_stop(struct zfs_refresher *r);

#endif
