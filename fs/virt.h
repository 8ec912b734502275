/*
 * virt.h - virtual files: names no directory lists, made when looked up.
 *
 * A name that the directory does not hold, but that is the name of an
 * array file of that directory followed by a selection and/or an order,
 * NAME[EXPR], NAME@F or NAME[EXPR]@F (zf_selection_split_name; EXPR is
 * NumPy basic indexing), is a read-only file of that subarray's flat view
 * (zf_array_read_selection).  With header views on, NAME[EXPR]@F.npy (and
 * .hdr, .nhdr, .mhd) are that subarray's views.  Exact names always win:
 * the caller tries the inode table first.
 *
 * Contract:
 *  - Each virtual file is an inode numbered from ZFS_VIRT_INO_BASE up
 *    (never reused), held in a table of at most `max` entries.  Looking up
 *    the same name again (same directory, same array) gives the same inode
 *    and counts one more kernel lookup; zfs_virt_forget (FUSE forget) takes
 *    them back, and an entry with none left and no operation or open file
 *    using it is freed.  A full table evicts its least recently looked-up
 *    entry that nothing uses (the kernel looks the name up again, since
 *    virtual entries are replied with an entry timeout of 0): memory stays
 *    bounded however many names are looked up.
 *  - Pins: every entry is a one-inode zfs_table, pinned and unpinned as the
 *    tables are (tables.h), so ops.c uses both alike.
 *  - The array handle comes from the inode table the lookup used; the
 *    engine keeps it valid until zf_close.
 *  - Thread-safe: one mutex; pins are raised under it, tested under it.
 */
#ifndef ZARRFS_FS_VIRT_H
#define ZARRFS_FS_VIRT_H

#include <stddef.h>
#include <stdint.h>

#include "inodes.h"

#define ZFS_VIRT_INO_BASE ((uint64_t)1 << 56)
#define ZFS_VIRT_MAX 4096 /* entries kept at most */

typedef struct zfs_virt zfs_virt;

/* A table of at most `max` entries; `views` the header views to offer (a
 * mask of 1 << zf_view_format).  NULL when out of memory. */
zfs_virt *zfs_virt_new(size_t max, unsigned views);
void zfs_virt_free(zfs_virt *v);

/* Sets the header views offered (main, before the session starts). */
void zfs_virt_set_views(zfs_virt *v, unsigned views);

/* Looks `name` up in directory `parent` of table t.  Returns the entry's
 * inode, pinned (*pin receives its table, for zfs_tables_unpin), with one
 * more kernel lookup counted; or NULL: when `name` is no virtual name
 * (why[0] == '\0'), or when it is one that fails (why: the reason, e.g.
 * "'x' is not an index", or a full table). */
const zfs_inode *zfs_virt_lookup(zfs_virt *v, const zfs_table *t,
                                 uint64_t parent, const char *name,
                                 const zfs_table **pin, char *why,
                                 size_t whylen);

/* The entry numbered `ino`, pinned (*pin), or NULL. */
const zfs_inode *zfs_virt_find(zfs_virt *v, uint64_t ino,
                               const zfs_table **pin);

/* The kernel forgets `nlookup` lookups of `ino` (an unknown ino is fine). */
void zfs_virt_forget(zfs_virt *v, uint64_t ino, uint64_t nlookup);

/* Entries held now. */
size_t zfs_virt_count(zfs_virt *v);

#endif
