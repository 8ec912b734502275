/*
 * trees.h - the inode tables of a mount over time: the current one, and
 * the ones it replaced (retired) when the metadata refresher published a
 * newer one (-o metadata_ttl).
 *
 * Contract:
 *  - Lookups by name use the current table only.  Lookups by inode number
 *    (zfs_trees_find) use the current table, then the retired ones, newest
 *    first: a file or folder opened before a refresh removed it keeps
 *    working, with what it showed before.  Numbers from ZFS_VIRT_INO_BASE
 *    up are virtual files, found in ts->virt (virt.h).  Inode numbers are never given to
 *    another entry (tree.h), so the newest table that has a number is right
 *    about it.
 *  - Pins: a table found by zfs_trees_current or zfs_trees_find is pinned
 *    and stays valid (with every inode in it) until zfs_trees_unpin.  An
 *    operation pins for as long as it uses inode pointers (an asynchronous
 *    read until it replies), an open file for as long as it is open.
 *  - zfs_trees_reclaim frees the retired tables nothing pins any more, so
 *    memory does not grow with each published change.  A number known only
 *    to a freed table is gone (ENOENT): nothing had it open.
 *  - Thread safety: any number of operations, one publisher and reclaimer
 *    (the refresher).  Finding and pinning hold a read lock; reclaiming
 *    holds the write lock, so a table cannot be freed while being pinned.
 *  - zfs_trees owns every table given to it; zfs_trees_free frees them all
 *    (after the reads in flight have replied).
 */
#ifndef ZARRFS_FS_TREES_H
#define ZARRFS_FS_TREES_H

#include <pthread.h>

#include "tree.h"

struct zfs_trees {
    struct zfs_virt *virt;  /* virtual files (virt.h), or NULL */
    pthread_rwlock_t lock;
    zfs_tree *current;
    zfs_tree *retired; /* newest first, linked by zfs_tree.older */
};

/* Starts with no table. */
void zfs_trees_init(struct zfs_trees *ts);

/* The current table, pinned. */
const zfs_tree *zfs_trees_current(struct zfs_trees *ts);

/* The inode numbered `ino` in the newest table that has it, or NULL; when
 * found, *in receives that table, pinned. */
const zfs_inode *zfs_trees_find(struct zfs_trees *ts, uint64_t ino,
                                const zfs_tree **in);

void zfs_trees_pin(const zfs_tree *t);
void zfs_trees_unpin(const zfs_tree *t);

/* Makes `t` (owned from now on) the current table and retires the one it
 * replaces. */
void zfs_trees_publish(struct zfs_trees *ts, zfs_tree *t);

/* Frees the retired tables nothing pins; returns how many. */
size_t zfs_trees_reclaim(struct zfs_trees *ts);

/* The number of retired tables still kept. */
size_t zfs_trees_retired(struct zfs_trees *ts);

/* Frees every table. */
void zfs_trees_free(struct zfs_trees *ts);

#endif
