/*
 * tables.c - the current inode table and the retired ones (see tables.h for
 * the contract).  A table's pin count is only raised under the read lock
 * and only tested (for freeing) under the write lock.
 */
#include "tables.h"
#include "virt.h"

#include <stddef.h>

void zfs_tables_init(struct zfs_tables *ts)
{
    pthread_rwlock_init(&ts->lock, NULL);
    ts->current = ts->retired = NULL;
    ts->virt = NULL;
}

void zfs_tables_pin(const zfs_table *t)
{
    atomic_fetch_add(&((zfs_table *)t)->pins, 1);
}

void zfs_tables_unpin(const zfs_table *t)
{
    if (t)
        atomic_fetch_sub(&((zfs_table *)t)->pins, 1);
}

const zfs_table *zfs_tables_current(struct zfs_tables *ts)
{
    pthread_rwlock_rdlock(&ts->lock);
    const zfs_table *t = ts->current;
    zfs_tables_pin(t);
    pthread_rwlock_unlock(&ts->lock);
    return t;
}

const zfs_inode *zfs_tables_find(struct zfs_tables *ts, uint64_t ino,
                                 const zfs_table **in)
{
    if (ino >= ZFS_VIRT_INO_BASE) {
        *in = NULL;
        return ts->virt ? zfs_virt_find(ts->virt, ino, in) : NULL;
    }
    pthread_rwlock_rdlock(&ts->lock);
    const zfs_table *t = ts->current;
    const zfs_inode *n = zfs_table_get(t, ino);
    if (!n)
        for (t = ts->retired; t && !(n = zfs_table_get(t, ino)); t = t->older)
            ;
    if (n)
        zfs_tables_pin(t);
    pthread_rwlock_unlock(&ts->lock);
    *in = n ? t : NULL;
    return n;
}

void zfs_tables_publish(struct zfs_tables *ts, zfs_table *t)
{
    pthread_rwlock_wrlock(&ts->lock);
    zfs_table *old = ts->current;
    if (old) {
        old->older = ts->retired;
        ts->retired = old;
    }
    ts->current = t;
    pthread_rwlock_unlock(&ts->lock);
}

size_t zfs_tables_reclaim(struct zfs_tables *ts)
{
    size_t freed = 0;
    pthread_rwlock_wrlock(&ts->lock);
    for (zfs_table **p = &ts->retired; *p;) {
        zfs_table *t = *p;
        if (atomic_load(&t->pins) == 0) {
            *p = t->older;
            zfs_table_free(t);
            freed++;
        } else
            p = &t->older;
    }
    pthread_rwlock_unlock(&ts->lock);
    return freed;
}

size_t zfs_tables_retired(struct zfs_tables *ts)
{
    size_t n = 0;
    pthread_rwlock_rdlock(&ts->lock);
    for (const zfs_table *t = ts->retired; t; t = t->older)
        n++;
    pthread_rwlock_unlock(&ts->lock);
    return n;
}

void zfs_tables_free(struct zfs_tables *ts)
{
    zfs_table_free(ts->current);
    while (ts->retired) {
        zfs_table *older = ts->retired->older;
        zfs_table_free(ts->retired);
        ts->retired = older;
    }
    ts->current = NULL;
    pthread_rwlock_destroy(&ts->lock);
}
