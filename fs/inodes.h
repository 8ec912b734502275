/*
 * inodes.h - an inode table of a zarrfs mount.
 *
 * Built from the engine's node list at mount, and again after each change
 * the metadata refresher finds (-o metadata_ttl; tables.h keeps the current
 * table and the ones it replaced).  A table never changes once built, so
 * every lookup is lock-free.  Inode numbers are stable for the mount's
 * life: a build given the previous table keeps the number of every entry
 * that is still there (same path in the store, same kind, same view
 * format), and gives new entries numbers never given before.  The table is
 * sorted by inode number (lookups by number are binary searches).
 * Groups are directories; each readable array is a regular file
 * at its path in the store.  A store whose root is an array shows one file
 * named after the store's folder (a trailing ".zarr" dropped).  Arrays the
 * engine cannot read (zf_node.error, or zf_array_get failing) are left out
 * and logged with the reason.  Folders that hold nodes but no group metadata
 * become plain directories.
 *
 * Inode 1 is the root; 2 is the hidden directory ".zarrfs" (not listed by
 * readdir, but lookup finds it) and 3 its "stats" file.
 *
 * Header views (zfs_table_build's `views`, a mask of 1 << zf_view_format):
 * beside each array file NAME, one file NAME + zf_view_suffix per format
 * asked for, holding the header zf_view_header builds (for npy and tiff,
 * the header then the array's bytes).  A view is left out, and logged, when the format
 * cannot express the array or when its name is already taken by another
 * entry of the directory (arrays and directories come first).
 *
 * Group files (ZFS_VIEW_NC in `views`): beside each group G's folder, G.nc,
 * the netCDF-4/HDF5 file zf_nc_build makes of G (the root group's is
 * STORE.nc, STORE the store's name less ".zarr", in the root); built with
 * the table, from metadata only (no chunk is read).  Left out, and logged,
 * when its name is taken by an array or folder, or the build fails.  A
 * rebuild of the table builds again only the group files whose nodes
 * changed (zfs_groupfile); the others are kept as they are.  A group file
 * keeps its inode number only while its bytes stay the same (same header,
 * same parts): a rebuilt one is a new entry with a new number, so a reader
 * that opened it before keeps reading the file it opened (its table stays
 * pinned), never a mix of both.
 *
 * Contract:
 *  - The table copies every string it keeps (names, paths, xattr values);
 *    the zf_array handles belong to the zf_zarr it was built from, which
 *    keeps them valid until zf_close (across zf_refresh too).
 *  - zfs_table_build calls zf_node_*, zf_array_get, zf_nc_build and
 *    zf_nc_stamp_of: it must not run at the same time as zf_refresh on the
 *    same zf_zarr.  Group files kept from `prev` are shared with it (their
 *    reference counts are atomic: tables are freed on any thread).
 *  - Read-only after zfs_table_build: any number of threads
 *    may call the lookup functions at once.  zfs_table_free frees it all.
 */
#ifndef ZARRFS_FS_INODES_H
#define ZARRFS_FS_INODES_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <zarrfs/zarrfs.h>

#include "log.h"

#define ZFS_INO_ROOT 1
#define ZFS_INO_META_DIR 2
#define ZFS_INO_STATS 3
#define ZFS_META_DIR_NAME ".zarrfs"
#define ZFS_STATS_NAME "stats"

typedef enum zfs_kind {
    ZFS_KIND_DIR,
    ZFS_KIND_ARRAY,
    ZFS_KIND_STATS,
    ZFS_KIND_VIEW,
    ZFS_KIND_NC     /* a group file (ncfile.h) */
} zfs_kind;

/* zfs_table_build's `views`: 1 << zf_view_format for each header view, and
 * ZFS_VIEW_NC for the groups' netCDF-4 files; views=all is every one. */
#define ZFS_VIEWS_HEADERS ((1u << ZF_VIEW_COUNT) - 1)
#define ZFS_VIEW_NC (1u << ZF_VIEW_COUNT)
#define ZFS_VIEWS_ALL (ZFS_VIEWS_HEADERS | ZFS_VIEW_NC)

/* A built group file with each part's array, shared by the tables that
 * show it unchanged: a build given the previous table keeps a group's file
 * (the same object, so the same bytes and inode number) while
 * zf_nc_stamp_of says nothing it was built from has changed, and builds
 * the others anew.  Freed with the last table that holds it (refs). */
typedef struct zfs_groupfile {
    atomic_long refs;
    zf_nc_file *nc;
    zf_array **arrays;  /* zf_nc_part_at's order; NULL when not found
                           (reading that part fails) */
    zf_nc_stamp stamp;  /* what it was built from */
    time_t mtime;       /* the newest of the group's and its arrays' */
} zfs_groupfile;

typedef struct zfs_inode {
    uint64_t ino;    /* stable across builds (see above) */
    uint64_t parent; /* the root is its own parent */
    zfs_kind kind;
    int hidden;      /* left out of readdir (".zarrfs") */
    char *name;      /* the entry's name; "" for the root */
    char *path;      /* the node's path in the store (arrays: for the engine) */
    time_t mtime;
    /* directories */
    size_t *children;   /* indexes into the table's nodes, sorted by name */
    size_t nchildren;
    size_t nsubdirs;
    /* arrays and views */
    zf_array *array;    /* NULL when the array could not be (re)bound */
    uint64_t size;      /* arrays: zf_array_info.nbytes; views: the file's */
    /* views */
    zf_view_format view;
    char *header;       /* the header: all of the file, or its first bytes */
    size_t header_len;
    char *xattr_shape;  /* "512,512,512"; "" for a 0-d array */
    char *xattr_dtype;
    char *xattr_chunks;
    char *xattr_metadata;
    /* group files (shared with other tables: read-only) */
    zfs_groupfile *gf;
    /* virtual files (virt.h): a selection of `array`, else NULL */
    const zf_selection *sel;
    char *xattr_selection; /* its normalised expression */
} zfs_inode;

typedef struct zfs_table {
    zfs_inode *nodes; /* sorted by inode number */
    size_t count;
    uint64_t next_ino;    /* the first number no build has given out */
    uint64_t total_bytes; /* sum of the arrays' sizes */
    size_t narrays;
    size_t nskipped;      /* arrays left out */
    size_t nc_built;      /* group files built by this build */
    size_t nc_kept;       /* group files kept from the previous table */
    zfs_errset *notes;    /* during the build: messages already logged */
    struct zfs_table *older; /* when retired: the table retired before (tables.c) */
    atomic_long pins;       /* operations and open files using it (tables.h) */
} zfs_table;

/* Builds the table from `z`; `store_path` names the root array's file;
 * `views` is the set of header views to add (0: none).  `prev` (NULL at
 * mount) is the table this one replaces, whose inode numbers it keeps.
 * Entries left out are logged once through `notes` (NULL: always), so that
 * rebuilds do not repeat them.  Returns NULL (after logging why) only when
 * out of memory. */
zfs_table *zfs_table_build(zf_zarr *z, const char *store_path, unsigned views,
                           const zfs_table *prev, zfs_errset *notes);

/* The inode numbered `ino`, or NULL. */
const zfs_inode *zfs_table_get(const zfs_table *t, uint64_t ino);

/* Child `i` (< dir->nchildren) of directory `dir` of table t. */
const zfs_inode *zfs_table_child(const zfs_table *t, const zfs_inode *dir,
                                 size_t i);

/* The child `name` of directory `parent`, or NULL. */
const zfs_inode *zfs_table_lookup(const zfs_table *t, uint64_t parent,
                                  const char *name);

/* A name for messages: the store path, or the file name for a root array. */
const char *zfs_inode_label(const zfs_inode *n);

void zfs_table_free(zfs_table *t);

/* Frees the strings an inode owns (not the inode). */
void zfs_inode_clear(zfs_inode *n);

/* "a,b,c" for a list of dimensions, "" for none (malloc'd); NULL when out
 * of memory. */
char *zfs_format_dims(int ndim, const uint64_t *v);

#endif
