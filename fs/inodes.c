/*
 * inodes.c - builds an inode table from the engine's node list (see inodes.h
 * for the contract).
 *
 * Entries are added with provisional numbers (their position + 1):
 * directories first, in the order of their sorted paths (a parent sorts
 * before its children), then the array files in node order, then the
 * groups' files, then the header views, array by array.  Then each gets its
 * final number: the one the previous table gave the same entry, else the
 * next new one (at mount, every number is new, so they are the provisional
 * ones), and the table is sorted by number and linked.
 */
#include "inodes.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* The sorted, unique paths of every directory the table needs; [0] is "". */
typedef struct dirset {
    char **paths;
    size_t count, cap;
} dirset;

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int dirset_add(dirset *d, const char *path, size_t len)
{
    if (d->count == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 64;
        char **p = realloc(d->paths, cap * sizeof *p);
        if (!p)
            return -1;
        d->paths = p;
        d->cap = cap;
    }
    char *copy = strndup(path, len);
    if (!copy)
        return -1;
    d->paths[d->count++] = copy;
    return 0;
}

static void dirset_free(dirset *d)
{
    for (size_t i = 0; i < d->count; i++)
        free(d->paths[i]);
    free(d->paths);
}

/* The index of `path` in the set, or -1. */
static long dirset_find(const dirset *d, const char *path)
{
    char **hit = bsearch(&path, d->paths, d->count, sizeof *d->paths,
                         str_cmp);
    return hit ? (long)(hit - d->paths) : -1;
}

/* The inode number of directory `path` (which must be in the set). */
static uint64_t dirset_ino(const dirset *d, const char *path)
{
    long k = dirset_find(d, path);
    return k <= 0 ? ZFS_INO_ROOT : ZFS_INO_STATS + (uint64_t)k;
}

/* The inode number of the directory holding `path`. */
static uint64_t dirset_parent(const dirset *d, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return ZFS_INO_ROOT;
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%.*s", (int)(slash - path), path);
    return dirset_ino(d, parent);
}

/* Whether every component of a node's path can be a file name, and the path
 * does not claim the reserved top-level name ".zarrfs". */
static int path_usable(const char *path, const char **why)
{
    size_t first = strcspn(path, "/");
    if (first == strlen(ZFS_META_DIR_NAME) &&
        strncmp(path, ZFS_META_DIR_NAME, first) == 0) {
        *why = "the name " ZFS_META_DIR_NAME " is reserved by zarrfs";
        return 0;
    }
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, "/");
        if (len == 0 || len > NAME_MAX || (len == 1 && p[0] == '.') ||
            (len == 2 && p[0] == '.' && p[1] == '.')) {
            *why = "a path component cannot be a file name";
            return 0;
        }
        p += len + (p[len] == '/');
    }
    return 1;
}

static int root_is_array(zf_zarr *z)
{
    for (size_t i = 0; i < zf_node_count(z); i++) {
        const zf_node *nd = zf_node_at(z, i);
        if (nd->path[0] == '\0')
            return nd->kind == ZF_NODE_ARRAY;
    }
    return 0;
}

/* Adds every group and every ancestor folder of a node to the set. */
static int dirset_collect(dirset *d, zf_zarr *z, int root_array)
{
    if (dirset_add(d, "", 0) != 0)
        return -1;
    for (size_t i = 0; !root_array && i < zf_node_count(z); i++) {
        const zf_node *nd = zf_node_at(z, i);
        const char *why;
        if (nd->path[0] == '\0' || !path_usable(nd->path, &why))
            continue;
        for (const char *s = strchr(nd->path, '/'); s; s = strchr(s + 1, '/'))
            if (dirset_add(d, nd->path, (size_t)(s - nd->path)) != 0)
                return -1;
        if (nd->kind == ZF_NODE_GROUP &&
            dirset_add(d, nd->path, strlen(nd->path)) != 0)
            return -1;
    }
    qsort(d->paths, d->count, sizeof *d->paths, str_cmp);
    size_t out = 1;
    for (size_t i = 1; i < d->count; i++) {
        if (strcmp(d->paths[i], d->paths[out - 1]) == 0)
            free(d->paths[i]);
        else
            d->paths[out++] = d->paths[i];
    }
    d->count = out;
    return 0;
}

/* Appends an inode; returns it, or NULL when out of memory. */
static zfs_inode *add_inode(zfs_table *t, zfs_kind kind, uint64_t parent,
                            const char *name, const char *path,
                            time_t mtime)
{
    zfs_inode *n = &t->nodes[t->count];
    memset(n, 0, sizeof *n);
    n->name = strdup(name);
    n->path = strdup(path);
    if (!n->name || !n->path) {
        free(n->name);
        free(n->path);
        return NULL;
    }
    n->ino = ++t->count;
    n->parent = parent;
    n->kind = kind;
    n->mtime = mtime;
    return n;
}

/* The last component of a path. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The file name of a root array: the store folder's name less ".zarr". */
static void store_file_name(const char *store_path, char *out, size_t size)
{
    zf_data_file_name(store_path, "", out, size);
    const char *why;
    if (!out[0] || !path_usable(out, &why))
        snprintf(out, size, "array");
}

char *zfs_format_dims(int ndim, const uint64_t *v)
{
    size_t size = (size_t)ndim * 21 + 1;
    char *s = malloc(size);
    if (!s)
        return NULL;
    size_t used = 0;
    s[0] = '\0';
    for (int i = 0; v && i < ndim; i++)
        used += (size_t)snprintf(s + used, size - used, "%s%llu",
                                 i ? "," : "", (unsigned long long)v[i]);
    return s;
}

/* Fills an array inode's size and extended attributes; -1 when out of
 * memory. */
static int inode_set_array(zfs_inode *n, zf_array *a)
{
    const zf_array_info *info = zf_array_get_info(a);
    n->array = a;
    n->size = info->nbytes;
    n->xattr_shape = zfs_format_dims(info->ndim, info->shape);
    n->xattr_chunks = zfs_format_dims(info->ndim, info->chunks);
    n->xattr_dtype = strdup(info->dtype ? info->dtype : "");
    n->xattr_metadata = strdup(info->metadata_json ? info->metadata_json : "");
    if (!n->xattr_shape || !n->xattr_chunks || !n->xattr_dtype ||
        !n->xattr_metadata)
        return -1;
    return 0;
}

/* Adds the file of one array node, unless the engine cannot read it (then
 * it is logged and skipped).  Returns -1 only when out of memory. */
static int add_array(zfs_table *t, zf_zarr *z, const zf_node *nd,
                     const dirset *dirs, const char *root_name)
{
    const char *label = nd->path[0] ? nd->path : root_name;
    const char *why = nd->error;
    zf_array *a = NULL;
    zf_err e = {0};
    if (!why && nd->path[0] && dirset_find(dirs, nd->path) >= 0)
        why = "other nodes lie inside this array's folder";
    if (!why && zf_array_get(z, nd->path, &a, &e) != ZF_OK)
        why = e.msg[0] ? e.msg : zf_code_name(e.code);
    if (why) {
        zfs_log_note(t->notes, LOG_WARNING, "%s: array not shown: %s", label,
                     why);
        t->nskipped++;
        return 0;
    }
    zfs_inode *n = add_inode(t, ZFS_KIND_ARRAY,
                                dirset_parent(dirs, nd->path),
                                nd->path[0] ? base_name(nd->path)
                                            : root_name,
                                nd->path, nd->mtime);
    if (!n || inode_set_array(n, a) != 0)
        return -1;
    t->narrays++;
    t->total_bytes += n->size;
    return 0;
}

/* Adds the root, the hidden ".zarrfs" folder, its stats file and every
 * directory of the set. */
static int add_dirs(zfs_table *t, const dirset *dirs)
{
    time_t now = time(NULL);
    zfs_inode *meta;
    if (!add_inode(t, ZFS_KIND_DIR, ZFS_INO_ROOT, "", "", now) ||
        !(meta = add_inode(t, ZFS_KIND_DIR, ZFS_INO_ROOT,
                              ZFS_META_DIR_NAME, "", now)) ||
        !add_inode(t, ZFS_KIND_STATS, ZFS_INO_META_DIR, ZFS_STATS_NAME, "",
                      now))
        return -1;
    meta->hidden = 1;
    for (size_t k = 1; k < dirs->count; k++) {
        const char *path = dirs->paths[k];
        if (!add_inode(t, ZFS_KIND_DIR, dirset_parent(dirs, path),
                          base_name(path), path, now))
            return -1;
    }
    return 0;
}

/* Adds the files of every node, and gives directories their group's mtime;
 * logs what the engine left out of the node list. */
static int add_nodes(zfs_table *t, zf_zarr *z, const dirset *dirs,
                     int root_array, const char *root_name)
{
    for (size_t i = 0; i < zf_warning_count(z); i++)
        zfs_log_note(t->notes, LOG_WARNING, "%s", zf_warning_at(z, i));
    for (size_t i = 0; i < zf_node_count(z); i++) {
        const zf_node *nd = zf_node_at(z, i);
        const char *why = "it lies inside the root array";
        if (nd->path[0] && (root_array || !path_usable(nd->path, &why))) {
            zfs_log_note(t->notes, LOG_WARNING, "%s: not shown: %s", nd->path,
                         why);
            t->nskipped += nd->kind == ZF_NODE_ARRAY;
            continue;
        }
        if (nd->kind == ZF_NODE_GROUP) {
            t->nodes[dirset_ino(dirs, nd->path) - 1].mtime = nd->mtime;
            continue;
        }
        if (add_array(t, z, nd, dirs, root_name) != 0)
            return -1;
    }
    return 0;
}

/* ---- header views ------------------------------------------------------------ */

/* A (directory, name) pair of the table, to find names already taken. */
typedef struct taken_name {
    uint64_t parent;
    const char *name;
} taken_name;

static int taken_cmp(const void *a, const void *b)
{
    const taken_name *x = a, *y = b;
    if (x->parent != y->parent)
        return x->parent < y->parent ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The (directory, name) pairs of every entry of t so far, sorted; NULL
 * when out of memory. */
static taken_name *taken_names(const zfs_table *t)
{
    taken_name *taken = malloc((t->count ? t->count : 1) * sizeof *taken);
    if (!taken)
        return NULL;
    for (size_t i = 0; i < t->count; i++)
        taken[i] = (taken_name){t->nodes[i].parent, t->nodes[i].name};
    qsort(taken, t->count, sizeof *taken, taken_cmp);
    return taken;
}

/* Adds the views of format `fmt` of array inode `n`, unless its name is
 * taken (in `taken`, sorted) or the format cannot express the array (both
 * logged).  Returns -1 only when out of memory. */
static int add_view(zfs_table *t, const zfs_inode *n,
                    zf_view_format fmt, const taken_name *taken,
                    size_t ntaken)
{
    char name[NAME_MAX + 2];
    int len = snprintf(name, sizeof name, "%s%s", n->name, zf_view_suffix(fmt));
    if (len < 0 || len > NAME_MAX) {
        zfs_log_note(t->notes, LOG_WARNING,
                     "%s: no %s view: the name %s%s is too long",
                     zfs_inode_label(n), zf_view_name(fmt), n->name,
                     zf_view_suffix(fmt));
        return 0;
    }
    taken_name key = {n->parent, name};
    if (bsearch(&key, taken, ntaken, sizeof *taken, taken_cmp)) {
        zfs_log_note(t->notes, LOG_WARNING,
                     "%s: no %s view: the name %s is taken by another entry",
                     zfs_inode_label(n), zf_view_name(fmt), name);
        return 0;
    }
    char *text = NULL;
    size_t tlen = 0;
    zf_err e = {0};
    zf_code c = zf_view_header(n->array, fmt, n->name, &text, &tlen, &e);
    if (c == ZF_ENOMEM)
        return -1;
    if (c != ZF_OK) {
        zfs_log_note(t->notes, LOG_INFO, "%s; %s not shown",
                     e.msg[0] ? e.msg : zf_code_name(c), name);
        return 0;
    }
    zfs_inode *v = add_inode(t, ZFS_KIND_VIEW, n->parent, name, n->path,
                                n->mtime);
    if (!v) {
        free(text);
        return -1;
    }
    v->array = n->array;
    v->view = fmt;
    v->header = text;
    v->header_len = tlen;
    v->size = tlen + (zf_view_holds_data(fmt) ? n->size : 0);
    return 0;
}

/* Adds the views asked for beside every array file.  View names cannot
 * collide with each other (each suffix starts with its own dot and they
 * differ in their last four characters), only with what is already there. */
static int add_views(zfs_table *t, unsigned views)
{
    size_t count = t->count;
    taken_name *taken = taken_names(t);
    if (!taken)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if (t->nodes[i].kind != ZFS_KIND_ARRAY)
            continue;
        for (int f = 0; rc == 0 && f < ZF_VIEW_COUNT; f++)
            if (views & (1u << f))
                rc = add_view(t, &t->nodes[i], (zf_view_format)f,
                                       taken, count);
    }
    free(taken);
    return rc;
}

/* ---- group files --------------------------------------------------------------- */

/* Logs what the builder says netCDF tools will see differently, or left
 * out, once per message. */
static void nc_log_notes(zfs_table *t, const char *label, const zf_nc_file *f)
{
    for (const char *const *l = zf_nc_notes(f); l && *l; l++)
        zfs_log_note(t->notes, LOG_INFO, "%s: %s", label, *l);
}

/* Drops a reference to a group file; the last one frees it. */
static void groupfile_release(zfs_groupfile *g)
{
    if (!g || atomic_fetch_sub(&g->refs, 1) != 1)
        return;
    zf_nc_free(g->nc);
    free(g->arrays);
    free(g);
}

/* Finds the array of each part of g's file; gives g the newest mtime of
 * the group's and its arrays' (the file changes when any of them does).
 * -1 when out of memory. */
static int nc_find_arrays(zfs_table *t, zfs_groupfile *g, zf_zarr *z,
                          const char *label)
{
    size_t n = zf_nc_part_count(g->nc);
    if (n && !(g->arrays = calloc(n, sizeof *g->arrays)))
        return -1;
    for (size_t i = 0; i < n; i++) {
        const zf_nc_part *p = zf_nc_part_at(g->nc, i);
        zf_err e = {0};
        if (zf_array_get(z, p->array_path, &g->arrays[i], &e) != ZF_OK) {
            zfs_log_note(t->notes, LOG_WARNING, "%s: %s: %s", label,
                         p->array_path, e.msg[0] ? e.msg : zf_code_name(e.code));
            continue;
        }
        time_t m = zf_array_get_info(g->arrays[i])->mtime;
        g->mtime = m > g->mtime ? m : g->mtime;
    }
    return 0;
}

/* Builds group `path`'s file (stamped `stamp`) into *out and finds the
 * arrays of its parts.  0, also when the build failed (logged: *out stays
 * NULL); -1 when out of memory. */
static int nc_build_file(zfs_table *t, const zfs_inode *v, zf_zarr *z,
                         const char *label, const zf_nc_stamp *stamp,
                         zfs_groupfile **out)
{
    zf_err e = {0};
    zf_nc_file *f = NULL;
    zf_code c = zf_nc_build(z, v->path, &f, &e);
    *out = NULL;
    if (c == ZF_ENOMEM)
        return -1;
    if (c != ZF_OK) {
        zfs_log_note(t->notes, LOG_WARNING, "%s: no group file: %s", label,
                     e.msg[0] ? e.msg : zf_code_name(c));
        return 0;
    }
    zfs_groupfile *g = calloc(1, sizeof *g);
    if (!g) {
        zf_nc_free(f);
        return -1;
    }
    atomic_init(&g->refs, 1);
    g->nc = f;
    g->stamp = *stamp;
    g->mtime = v->mtime;
    nc_log_notes(t, label, f);
    *out = g;
    t->nc_built++;
    return nc_find_arrays(t, g, z, label);
}

/* The group files of the previous table, by path (the kept ones). */
typedef struct nc_kept {
    const zfs_inode **v;
    size_t n;
} nc_kept;

static int path_cmp(const void *a, const void *b)
{
    return strcmp((*(const zfs_inode *const *)a)->path,
                  (*(const zfs_inode *const *)b)->path);
}

/* prev's group files, sorted by path; -1 when out of memory. */
static int nc_kept_index(const zfs_table *prev, nc_kept *k)
{
    k->v = NULL;
    k->n = 0;
    if (!prev)
        return 0;
    if (!(k->v = malloc((prev->count ? prev->count : 1) * sizeof *k->v)))
        return -1;
    for (size_t i = 0; i < prev->count; i++)
        if (prev->nodes[i].kind == ZFS_KIND_NC)
            k->v[k->n++] = &prev->nodes[i];
    qsort(k->v, k->n, sizeof *k->v, path_cmp);
    return 0;
}

/* Gives v (added, its name and place set) its group's file: the previous
 * table's when nothing it was built from changed, else a new build.  0,
 * also when the build failed (logged: v->gf stays NULL); -1 when out of
 * memory. */
static int nc_bind(zfs_table *t, zfs_inode *v, zf_zarr *z, const char *label,
                   const nc_kept *kept)
{
    zf_nc_stamp stamp;
    zf_nc_stamp_of(z, v->path, &stamp);
    const zfs_inode **hit =
        kept->n ? bsearch(&v, kept->v, kept->n, sizeof *kept->v, path_cmp)
                : NULL;
    zfs_groupfile *old = hit ? (*hit)->gf : NULL;
    if (old && old->stamp.nodes == stamp.nodes &&
        old->stamp.newest == stamp.newest) {
        atomic_fetch_add(&old->refs, 1);
        v->gf = old;
        t->nc_kept++;
    } else if (nc_build_file(t, v, z, label, &stamp, &v->gf) != 0) {
        return -1;
    }
    if (v->gf) {
        v->size = zf_nc_size(v->gf->nc);
        v->mtime = v->gf->mtime;
    }
    return 0;
}

/* Adds the file of group node nd, named `name` in directory `parent`,
 * unless the name is taken (logged).  -1 only when out of memory. */
static int add_group_file(zfs_table *t, zf_zarr *z, const zf_node *nd,
                          uint64_t parent, const char *name,
                          const taken_name *taken, size_t ntaken,
                          const nc_kept *kept)
{
    const char *label = nd->path[0] ? nd->path : "/";
    taken_name key = {parent, name};
    if (bsearch(&key, taken, ntaken, sizeof *taken, taken_cmp)) {
        zfs_log_note(t->notes, LOG_WARNING,
                     "%s: no group file: the name %s is taken by another "
                     "entry", label, name);
        return 0;
    }
    zfs_inode *v = add_inode(t, ZFS_KIND_NC, parent, name, nd->path,
                             nd->mtime);
    if (!v || nc_bind(t, v, z, label, kept) != 0)
        return -1;
    if (!v->gf) { /* not built (logged): the entry goes */
        zfs_inode_clear(v);
        t->count--;
    }
    return 0;
}

/* Adds G.nc beside each group G's folder, and STORE.nc in the root for the
 * root group (a top-level group of the same name yields to it); keeps
 * prev's files of the groups that did not change. */
static int add_group_files(zfs_table *t, zf_zarr *z, const dirset *dirs,
                           const char *root_name, const zfs_table *prev)
{
    size_t ntaken = t->count;
    nc_kept kept;
    if (nc_kept_index(prev, &kept) != 0)
        return -1;
    taken_name *taken = taken_names(t);
    if (!taken) {
        free(kept.v);
        return -1;
    }
    char root_file[NAME_MAX + 2] = "";
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < zf_node_count(z); i++) {
        const zf_node *nd = zf_node_at(z, i);
        const char *why;
        char name[NAME_MAX + 2];
        if (nd->kind != ZF_NODE_GROUP ||
            (nd->path[0] && !path_usable(nd->path, &why)))
            continue;
        int len = snprintf(name, sizeof name, "%s.nc",
                           nd->path[0] ? base_name(nd->path) : root_name);
        uint64_t parent = dirset_parent(dirs, nd->path);
        if (len > NAME_MAX || (parent == ZFS_INO_ROOT && nd->path[0] &&
                               strcmp(name, root_file) == 0)) {
            zfs_log_note(t->notes, LOG_WARNING, "%s: no group file: the "
                         "name %s is %s", nd->path, name,
                         len > NAME_MAX ? "too long" : "the root group's");
            continue;
        }
        if (!nd->path[0])
            snprintf(root_file, sizeof root_file, "%s", name);
        rc = add_group_file(t, z, nd, parent, name, taken, ntaken, &kept);
    }
    free(taken);
    free(kept.v);
    return rc;
}

/* Orders group files by their bytes: header, then parts (see inodes.h:
 * a file whose bytes changed is another entry). */
static int nc_content_cmp(const zf_nc_file *x, const zf_nc_file *y)
{
    size_t xl, yl, n = zf_nc_part_count(x);
    const uint8_t *xh = zf_nc_header(x, &xl), *yh = zf_nc_header(y, &yl);
    if (zf_nc_size(x) != zf_nc_size(y))
        return zf_nc_size(x) < zf_nc_size(y) ? -1 : 1;
    if (xl != yl || n != zf_nc_part_count(y))
        return xl != yl ? (xl < yl ? -1 : 1) : (n < zf_nc_part_count(y) ? -1 : 1);
    int c = memcmp(xh, yh, xl);
    for (size_t i = 0; c == 0 && i < n; i++) {
        const zf_nc_part *a = zf_nc_part_at(x, i), *b = zf_nc_part_at(y, i);
        if (a->offset != b->offset || a->nbytes != b->nbytes)
            return a->offset != b->offset ? (a->offset < b->offset ? -1 : 1)
                                          : (a->nbytes < b->nbytes ? -1 : 1);
        c = strcmp(a->array_path, b->array_path);
    }
    return c;
}

/* GDAL looks for the ENVI header of "stem.ext" at "stem.hdr" first: warns
 * when such an entry would shadow the "stem.ext.hdr" view. */
static void check_envi(const zfs_table *t)
{
    for (size_t i = 0; i < t->count; i++) {
        const zfs_inode *v = &t->nodes[i];
        if (v->kind != ZFS_KIND_VIEW || v->view != ZF_VIEW_ENVI)
            continue;
        size_t len = strlen(v->name) - strlen(".hdr"); /* the array's name */
        const char *dot = memrchr(v->name, '.', len);
        if (!dot || dot == v->name)
            continue;
        char stem[NAME_MAX + 1];
        snprintf(stem, sizeof stem, "%.*s.hdr", (int)(dot - v->name), v->name);
        if (zfs_table_lookup(t, v->parent, stem))
            zfs_log_note(t->notes, LOG_WARNING,
                         "%s: GDAL opening %.*s finds %s before %s",
                         zfs_inode_label(v), (int)len, v->name, stem, v->name);
    }
}

/* ---- inode numbers ------------------------------------------------------------ */

/* The order that tells which entries of two builds are the same entry:
 * kind, view format (views), path in the store, and a group file's bytes. */
static int same_entry_cmp(const void *a, const void *b)
{
    const zfs_inode *x = *(const zfs_inode *const *)a;
    const zfs_inode *y = *(const zfs_inode *const *)b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->kind == ZFS_KIND_VIEW && x->view != y->view)
        return x->view < y->view ? -1 : 1;
    int c = strcmp(x->path, y->path);
    if (c || x->kind != ZFS_KIND_NC || x->gf == y->gf) /* (a kept file) */
        return c;
    return nc_content_cmp(x->gf->nc, y->gf->nc);
}

static int ino_cmp(const void *a, const void *b)
{
    uint64_t x = ((const zfs_inode *)a)->ino, y = ((const zfs_inode *)b)->ino;
    return x < y ? -1 : x > y;
}

/* prev's entries but the three fixed ones, in same_entry_cmp order
 * (*out NULL when there are none); -1 when out of memory. */
static int entry_index(const zfs_table *prev, const zfs_inode ***out,
                       size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!prev || prev->count <= ZFS_INO_STATS)
        return 0;
    const zfs_inode **v = malloc(prev->count * sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < prev->count; i++)
        if (prev->nodes[i].ino > ZFS_INO_STATS)
            v[(*n)++] = &prev->nodes[i];
    qsort(v, *n, sizeof *v, same_entry_cmp);
    *out = v;
    return 0;
}

/* Replaces every provisional number (position + 1; parents too) by the
 * final one: prev's number for the same entry, else a new one; then sorts
 * the table by number.  The fixed inodes come first in every build. */
static int number_inodes(zfs_table *t, const zfs_table *prev)
{
    const zfs_inode **old;
    size_t nold;
    uint64_t *final = malloc(t->count * sizeof *final);
    if (!final || entry_index(prev, &old, &nold) != 0) {
        free(final);
        return -1;
    }
    t->next_ino = prev ? prev->next_ino : ZFS_INO_STATS + 1;
    for (size_t i = 0; i < t->count; i++) {
        const zfs_inode *key = &t->nodes[i], **hit = NULL;
        if (i >= ZFS_INO_STATS && nold)
            hit = bsearch(&key, old, nold, sizeof *old, same_entry_cmp);
        final[i] = i < ZFS_INO_STATS ? i + 1 : hit ? (*hit)->ino : t->next_ino++;
    }
    for (size_t i = 0; i < t->count; i++) {
        t->nodes[i].ino = final[i];
        t->nodes[i].parent = final[t->nodes[i].parent - 1];
    }
    qsort(t->nodes, t->count, sizeof *t->nodes, ino_cmp);
    free(old);
    free(final);
    return 0;
}

/* The position of inode `ino` in the table, or -1. */
static long index_of(const zfs_table *t, uint64_t ino)
{
    if (ino >= 1 && ino <= t->count && t->nodes[ino - 1].ino == ino)
        return (long)(ino - 1); /* a table no entry has left yet */
    zfs_inode key = {.ino = ino};
    const zfs_inode *hit = bsearch(&key, t->nodes, t->count, sizeof *t->nodes,
                                   ino_cmp);
    return hit ? hit - t->nodes : -1;
}

static int child_cmp(const void *a, const void *b, void *arg)
{
    const zfs_table *t = arg;
    return strcmp(t->nodes[*(const size_t *)a].name,
                  t->nodes[*(const size_t *)b].name);
}

/* Fills every directory's sorted list of children (after numbering). */
static int link_children(zfs_table *t)
{
    size_t *up = malloc(t->count * sizeof *up); /* each entry's parent */
    if (!up)
        return -1;
    for (size_t i = 0; i < t->count; i++) {
        long k = index_of(t, t->nodes[i].parent);
        up[i] = k < 0 || t->nodes[i].ino == ZFS_INO_ROOT ? SIZE_MAX : (size_t)k;
        if (up[i] != SIZE_MAX) {
            t->nodes[up[i]].nchildren++;
            t->nodes[up[i]].nsubdirs += t->nodes[i].kind == ZFS_KIND_DIR;
        }
    }
    int rc = 0;
    for (size_t i = 0; i < t->count; i++) {
        zfs_inode *n = &t->nodes[i];
        if (n->nchildren && !(n->children = calloc(n->nchildren, sizeof *n->children)))
            rc = -1;
        n->nchildren = 0;
    }
    for (size_t i = 0; rc == 0 && i < t->count; i++) {
        zfs_inode *p = up[i] == SIZE_MAX ? NULL : &t->nodes[up[i]];
        if (p)
            p->children[p->nchildren++] = i;
    }
    for (size_t i = 0; rc == 0 && i < t->count; i++)
        if (t->nodes[i].nchildren > 1)
            qsort_r(t->nodes[i].children, t->nodes[i].nchildren,
                    sizeof *t->nodes[i].children, child_cmp, t);
    free(up);
    return rc;
}

zfs_table *zfs_table_build(zf_zarr *z, const char *store_path, unsigned views,
                           const zfs_table *prev, zfs_errset *notes)
{
    int root_array = root_is_array(z);
    char root_name[NAME_MAX + 1];
    store_file_name(store_path, root_name, sizeof root_name);
    dirset dirs = {0};
    zfs_table *t = calloc(1, sizeof *t);
    if (t)
        atomic_init(&t->pins, 0);
    int ok = t && dirset_collect(&dirs, z, root_array) == 0;
    views &= ZFS_VIEWS_ALL;
    if (ok)
        ok = (t->nodes = calloc(3 + dirs.count + zf_node_count(z) *
                                (1 + (size_t)__builtin_popcount(views)),
                                sizeof *t->nodes)) != NULL;
    if (ok)
        t->notes = notes;
    ok = ok && add_dirs(t, &dirs) == 0 &&
         add_nodes(t, z, &dirs, root_array, root_name) == 0 &&
         (!(views & ZFS_VIEW_NC) || root_array ||
          add_group_files(t, z, &dirs, root_name, prev) == 0) &&
         (!(views & ZFS_VIEWS_HEADERS) ||
          add_views(t, views & ZFS_VIEWS_HEADERS) == 0) &&
         number_inodes(t, prev) == 0 && link_children(t) == 0;
    if (ok && (views & (1u << ZF_VIEW_ENVI)))
        check_envi(t);
    dirset_free(&dirs);
    if (!ok) {
        zfs_log(LOG_ERR, "out of memory building the inode table");
        zfs_table_free(t);
        return NULL;
    }
    t->notes = NULL;
    return t;
}

const zfs_inode *zfs_table_get(const zfs_table *t, uint64_t ino)
{
    long k = index_of(t, ino);
    return k < 0 ? NULL : &t->nodes[k];
}

const zfs_inode *zfs_table_child(const zfs_table *t, const zfs_inode *dir,
                                 size_t i)
{
    return &t->nodes[dir->children[i]];
}

const zfs_inode *zfs_table_lookup(const zfs_table *t, uint64_t parent,
                                  const char *name)
{
    const zfs_inode *dir = zfs_table_get(t, parent);
    if (!dir || dir->kind != ZFS_KIND_DIR)
        return NULL;
    size_t lo = 0, hi = dir->nchildren;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const zfs_inode *c = zfs_table_child(t, dir, mid);
        int cmp = strcmp(name, c->name);
        if (cmp == 0)
            return c;
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const char *zfs_inode_label(const zfs_inode *n)
{
    return n->path[0] ? n->path : n->name;
}

void zfs_inode_clear(zfs_inode *n)
{
    free(n->name);
    free(n->path);
    free(n->children);
    free(n->xattr_shape);
    free(n->xattr_dtype);
    free(n->xattr_chunks);
    free(n->xattr_metadata);
    free(n->xattr_selection);
    free(n->header);
    groupfile_release(n->gf);
}

void zfs_table_free(zfs_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->nodes && i < t->count; i++)
        zfs_inode_clear(&t->nodes[i]);
    free(t->nodes);
    free(t);
}
