/*
 * trees.c - the current inode table and the retired ones (see trees.h for
 * the contract).  A table's pin count is only raised under the read lock
 * and only tested (for freeing) under the write lock.
 */
#include "trees.h"
#include "virt.h"

#include <stddef.h>

void zfs_trees_init(struct zfs_trees *ts)
{
    pthread_rwlock_init(&ts->lock, NULL);
    ts->current = ts->retired = NULL;
    ts->virt = NULL;
}

void zfs_trees_pin(const zfs_tree *t)
{
    atomic_fetch_add(&((zfs_tree *)t)->pins, 1);
}

void zfs_trees_unpin(const zfs_tree *t)
{
    if (t)
        atomic_fetch_sub(&((zfs_tree *)t)->pins, 1);
}

const zfs_tree *zfs_trees_current(struct zfs_trees *ts)
{
    pthread_rwlock_rdlock(&ts->lock);
    const zfs_tree *t = ts->current;
    zfs_trees_pin(t);
    pthread_rwlock_unlock(&ts->lock);
    return t;
}

const zfs_inode *zfs_trees_find(struct zfs_trees *ts, uint64_t ino,
                                const zfs_tree **in)
{
    if (ino >= ZFS_VIRT_INO_BASE) {
        *in = NULL;
        return ts->virt ? zfs_virt_find(ts->virt, ino, in) : NULL;
    }
    pthread_rwlock_rdlock(&ts->lock);
    const zfs_tree *t = ts->current;
    const zfs_inode *n = zfs_tree_get(t, ino);
    if (!n)
        for (t = ts->retired; t && !(n = zfs_tree_get(t, ino)); t = t->older)
            ;
    if (n)
        zfs_trees_pin(t);
    pthread_rwlock_unlock(&ts->lock);
    *in = n ? t : NULL;
    return n;
}

void zfs_trees_publish(struct zfs_trees *ts, zfs_tree *t)
{
    pthread_rwlock_wrlock(&ts->lock);
    zfs_tree *old = ts->current;
    if (old) {
        old->older = ts->retired;
        ts->retired = old;
    }
    ts->current = t;
    pthread_rwlock_unlock(&ts->lock);
}

size_t zfs_trees_reclaim(struct zfs_trees *ts)
{
    size_t freed = 0;
    pthread_rwlock_wrlock(&ts->lock);
    for (zfs_tree **p = &ts->retired; *p;) {
        zfs_tree *t = *p;
        if (atomic_load(&t->pins) == 0) {
            *p = t->older;
            zfs_tree_free(t);
            freed++;
        } else
            p = &t->older;
    }
    pthread_rwlock_unlock(&ts->lock);
    return freed;
}

size_t zfs_trees_retired(struct zfs_trees *ts)
{
    size_t n = 0;
    pthread_rwlock_rdlock(&ts->lock);
    for (const zfs_tree *t = ts->retired; t; t = t->older)
        n++;
    pthread_rwlock_unlock(&ts->lock);
    return n;
}

void zfs_trees_free(struct zfs_trees *ts)
{
    zfs_tree_free(ts->current);
    while (ts->retired) {
        zfs_tree *older = ts->retired->older;
        zfs_tree_free(ts->retired);
        ts->retired = older;
    }
    ts->current = NULL;
    pthread_rwlock_destroy(&ts->lock);
}
