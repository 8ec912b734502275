/*
 * trees.h - the inode tables of a mount over time: the current one, and
 * the ones it replaced (retired) when the metadata refresher published a
 * newer one (-o metadata_ttl).
 *
 * Contract:
 *  - Lookups by name use the current table only.  Lookups by inode number
 *    (zfs_trees_find) use the current table, then the retired ones, newest
 *    first: a file or folder opened before a refresh removed it keeps
 *    working, with what it showed before.  Inode numbers are never given to
 *    another entry (tree.h), so the newest table that has a number is right
 *    about it.
 *  - Retired tables are freed only by zfs_trees_free, at unmount: any
 *    operation, and any read in flight, may hold pointers into any table.
 *    So memory grows with each published change until unmount.
 *  - Thread safety: one publisher at a time (the refresher thread) and any
 *    number of readers, without locks: a table is linked into the retired
 *    list before it stops being current, so a reader that finds the new
 *    current table finds the old one among the retired ones.
 *  - zfs_trees owns every table given to it; zfs_trees_free frees them all
 *    (after the reads in flight have replied).
 */
#ifndef ZARRFS_FS_TREES_H
#define ZARRFS_FS_TREES_H

#include <stdatomic.h>

#include "tree.h"

struct zfs_trees {
    _Atomic(zfs_tree *) current;
    _Atomic(zfs_tree *) retired; /* newest first, linked by zfs_tree.older */
};

/* Starts with `first` as the current table (owned from now on). */
void zfs_trees_init(struct zfs_trees *ts, zfs_tree *first);

const zfs_tree *zfs_trees_current(const struct zfs_trees *ts);

/* The inode numbered `ino` in the newest table that has it, or NULL; *in
 * (may be NULL) receives that table. */
const zfs_inode *zfs_trees_find(const struct zfs_trees *ts, uint64_t ino,
                                const zfs_tree **in);

/* Makes `t` (owned from now on) the current table and retires the one it
 * replaces. */
void zfs_trees_publish(struct zfs_trees *ts, zfs_tree *t);

/* Frees every table. */
void zfs_trees_free(struct zfs_trees *ts);

#endif
