/*
 * tables.h - the inode tables of a mount over time: the current one, and
 * the ones it replaced (retired) when the metadata refresher published a
 * newer one (-o metadata_ttl).
 *
 * Contract:
 *  - Lookups by name use the current table only.  Lookups by inode number
 *    (zfs_tables_find) use the current table, then the retired ones, newest
 *    first: a file or folder opened before a refresh removed it keeps
 *    working, with what it showed before.  Numbers from ZFS_VIRT_INO_BASE
 *    up are virtual files, found in ts->virt (virt.h).  Inode numbers are never given to
 *    another entry (inodes.h), so the newest table that has a number is right
 *    about it.
 *  - Pins: a table found by zfs_tables_current or zfs_tables_find is pinned
 *    and stays valid (with every inode in it) until zfs_tables_unpin.  An
 *    operation pins for as long as it uses inode pointers (an asynchronous
 *    read until it replies), an open file for as long as it is open.
 *  - zfs_tables_reclaim frees the retired tables nothing pins any more, so
 *    memory does not grow with each published change.  A number known only
 *    to a freed table is gone (ENOENT): nothing had it open.
 *  - Thread safety: any number of operations, one publisher and reclaimer
 *    (the refresher).  Finding and pinning hold a read lock; reclaiming
 *    holds the write lock, so a table cannot be freed while being pinned.
 *  - zfs_tables owns every table given to it; zfs_tables_free frees them all
 *    (after the reads in flight have replied).
 */
#ifndef ZARRFS_FS_TABLES_H
#define ZARRFS_FS_TABLES_H

#include <pthread.h>

#include "inodes.h"

struct zfs_tables {
    struct zfs_virt *virt;  /* virtual files (virt.h), or NULL */
    pthread_rwlock_t lock;
    zfs_table *current;
    zfs_table *retired; /* newest first, linked by zfs_table.older */
};

/* Starts with no table. */
void zfs_tables_init(struct zfs_tables *ts);

/* The current table, pinned. */
const zfs_table *zfs_tables_current(struct zfs_tables *ts);

/* The inode numbered `ino` in the newest table that has it, or NULL; when
 * found, *in receives that table, pinned. */
const zfs_inode *zfs_tables_find(struct zfs_tables *ts, uint64_t ino,
                                 const zfs_table **in);

void zfs_tables_pin(const zfs_table *t);
void zfs_tables_unpin(const zfs_table *t);

/* Makes `t` (owned from now on) the current table and retires the one it
 * replaces. */
void zfs_tables_publish(struct zfs_tables *ts, zfs_table *t);

/* Frees the retired tables nothing pins; returns how many. */
size_t zfs_tables_reclaim(struct zfs_tables *ts);

/* The number of retired tables still kept. */
size_t zfs_tables_retired(struct zfs_tables *ts);

/* Frees every table. */
void zfs_tables_free(struct zfs_tables *ts);

#endif
