/*
 * trees.c - the current inode table and the retired ones (see trees.h for
 * the contract).
 */
#include "trees.h"

#include <stddef.h>

void zfs_trees_init(struct zfs_trees *ts, zfs_tree *first)
{
    atomic_init(&ts->current, first);
    atomic_init(&ts->retired, NULL);
}

const zfs_tree *zfs_trees_current(const struct zfs_trees *ts)
{
    return atomic_load_explicit(&((struct zfs_trees *)ts)->current,
                                memory_order_acquire);
}

const zfs_inode *zfs_trees_find(const struct zfs_trees *ts, uint64_t ino,
                                const zfs_tree **in)
{
    struct zfs_trees *m = (struct zfs_trees *)ts; /* (atomics: not const) */
    const zfs_tree *t = atomic_load_explicit(&m->current, memory_order_acquire);
    const zfs_inode *n = t ? zfs_tree_get(t, ino) : NULL;
    if (!n)
        for (t = atomic_load_explicit(&m->retired, memory_order_acquire);
             t && !(n = zfs_tree_get(t, ino)); t = t->older)
            ;
    if (in)
        *in = n ? t : NULL;
    return n;
}

void zfs_trees_publish(struct zfs_trees *ts, zfs_tree *t)
{
    zfs_tree *old = atomic_load_explicit(&ts->current, memory_order_relaxed);
    /* Retire first: a reader that sees `t` must find `old` among the
     * retired (release here, acquire in zfs_trees_find). */
    old->older = atomic_load_explicit(&ts->retired, memory_order_relaxed);
    atomic_store_explicit(&ts->retired, old, memory_order_release);
    atomic_store_explicit(&ts->current, t, memory_order_release);
}

void zfs_trees_free(struct zfs_trees *ts)
{
    zfs_tree_free(atomic_load(&ts->current));
    zfs_tree *t = atomic_load(&ts->retired);
    while (t) {
        zfs_tree *older = t->older;
        zfs_tree_free(t);
        t = older;
    }
    atomic_store(&ts->current, NULL);
    atomic_store(&ts->retired, NULL);
}
