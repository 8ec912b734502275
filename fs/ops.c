/*
 * ops.c - the FUSE low-level operations over the inode tables (see ops.h
 * for the contract).
 */
#include "ops.h"
#include "ncfile.h"
#include "push.h"
#include "virt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define ZFS_BLKSIZE 131072  /* the I/O size st_blksize suggests */

/* One asynchronous read in flight: freed by its completion.  buf holds
 * `head` bytes already filled (an npy or TIFF header), then the engine's
 * bytes. */
struct zfs_read {
    fuse_req_t req;
    struct zfs_fs *fs;
    const zfs_table *table; /* pinned until the reply: it holds node */
    const zfs_inode *node;
    char *buf;
    size_t head;
    uint64_t data_off;  /* the array bytes asked for begin here */
    uint64_t changes;   /* zfs_push_changes when the read began */
};

/* The .zarrfs/stats text of one open file. */
struct zfs_stats_text {
    size_t len;
    char text[];
};

static const char *const xattr_names[] = {
    "user.zarr.shape", "user.zarr.dtype", "user.zarr.chunks",
    "user.zarr.metadata", "user.zarr.selection",
};
#define ZFS_NXATTRS (sizeof xattr_names / sizeof *xattr_names)

static struct zfs_fs *fs_of(fuse_req_t req)
{
    return fuse_req_userdata(req);
}

/* ---- pins ------------------------------------------------------------------ */

/* An operation on one inode n of pinned table t; it replies.  It returns 1
 * when it took the pin over (a read in flight, an open file); otherwise
 * the pin is dropped after it returns, so after its reply (which may copy
 * from the table). */
typedef int (*node_op)(fuse_req_t req, const zfs_table *t, const zfs_inode *n,
                       void *arg);

#define KIND(k) (1u << (k))
#define KINDS_ALL (~0u)
#define KINDS_FILES (~KIND(ZFS_KIND_DIR))

/* Runs op on inode ino, found and pinned (tables.h): by number (the
 * current table, then the retired ones), or with `current`, in the
 * current table alone (a lookup's parent).  When it is missing, or of no
 * kind in `kinds`, replies ENOENT or `wrong` itself and op does not run:
 * every path drops the pin or hands it on. */
static void with_node(fuse_req_t req, fuse_ino_t ino, int current,
                      unsigned kinds, int wrong, node_op op, void *arg)
{
    struct zfs_tables *ts = &fs_of(req)->tables;
    const zfs_table *t = NULL;
    const zfs_inode *n;
    if (current)
        n = zfs_table_get(t = zfs_tables_current(ts), ino);
    else
        n = zfs_tables_find(ts, ino, &t);
    if (!n || !(kinds & KIND(n->kind))) {
        zfs_tables_unpin(t);
        fuse_reply_err(req, n ? wrong : ENOENT);
        return;
    }
    if (!op(req, t, n, arg))
        zfs_tables_unpin(t);
}

/* ---- the connection --------------------------------------------------------- */

/* Asks for large reads (see ops.h).  The kernel offered its bdi's readahead
 * (128 KiB); it keeps the smaller of read_ahead_kb and max_readahead, so
 * this must be at least what main writes to read_ahead_kb, except with
 * direct reads, where the window serves only mmap faults and a small one
 * follows the chunk grid better. */
static void op_init(void *userdata, struct fuse_conn_info *conn)
{
    struct zfs_fs *fs = userdata;
    zfs_iomode_negotiate(&fs->io, conn);
    if (fs->io.direct && !fs->readahead_set)
        fs->readahead = (unsigned)zfs_min_u64(fs->readahead, ZFS_READAHEAD_DIRECT);
    conn->max_readahead = fs->readahead;
    conn->max_background = ZFS_MAX_BACKGROUND;
    conn->congestion_threshold = ZFS_MAX_BACKGROUND * 3 / 4;
    zfs_log(LOG_DEBUG, "init: max_readahead %u, max_write %u, max_read %u, "
                       "max_background %u", conn->max_readahead,
            conn->max_write, conn->max_read, conn->max_background);
    atomic_store(&fs->live, 1);
}

/* ---- attributes ------------------------------------------------------------ */

static void fill_stat(const struct zfs_fs *fs, const zfs_inode *n,
                      struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_ino = n->ino;
    st->st_uid = fs->uid;
    st->st_gid = fs->gid;
    st->st_blksize = ZFS_BLKSIZE;
    st->st_mtime = st->st_ctime = st->st_atime = n->mtime;
    if (n->kind == ZFS_KIND_DIR) {
        st->st_mode = S_IFDIR | 0555;
        st->st_nlink = 2 + n->nsubdirs;
        return;
    }
    st->st_mode = S_IFREG | 0444;
    st->st_nlink = 1;
    st->st_size = n->kind == ZFS_KIND_STATS ? 0 : (off_t)n->size;
    st->st_blocks = (st->st_size + 511) / 512;
}

/* The attribute timeout of a node: the stats file changes all the time. */
static double attr_timeout(const struct zfs_fs *fs, const zfs_inode *n)
{
    return n->kind == ZFS_KIND_STATS ? 0.0 : fs->timeout;
}

static int lookup_in(fuse_req_t req, const zfs_table *t, const zfs_inode *dir,
                     void *arg)
{
    const char *name = arg;
    struct zfs_fs *fs = fs_of(req);
    struct fuse_entry_param e;
    memset(&e, 0, sizeof e);
    e.entry_timeout = fs->timeout; /* a miss is cached too (ino 0) */
    const zfs_inode *n = zfs_table_lookup(t, dir->ino, name);
    const zfs_table *vt = NULL;
    char why[600];
    if (!n && !(n = zfs_virt_lookup(fs->virt, t, dir->ino, name, &vt, why,
                                    sizeof why)) && why[0])
        zfs_log(LOG_WARNING, "%s: %s", name, why);
    if (n) {
        e.ino = n->ino;
        e.attr_timeout = attr_timeout(fs, n);
        fill_stat(fs, n, &e.attr);
        if (vt) /* not listed, not kept: see virt.h */
            e.entry_timeout = 0;
    }
    zfs_tables_unpin(vt);
    fuse_reply_entry(req, &e);
    return 0;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    with_node(req, parent, 1, KIND(ZFS_KIND_DIR), ENOTDIR, lookup_in,
              (void *)name);
}

static int getattr_of(fuse_req_t req, const zfs_table *t, const zfs_inode *n,
                      void *arg)
{
    (void)t;
    (void)arg;
    struct stat st;
    fill_stat(fs_of(req), n, &st);
    fuse_reply_attr(req, &st, attr_timeout(fs_of(req), n));
    return 0;
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
                       struct fuse_file_info *fi)
{
    (void)fi;
    with_node(req, ino, 0, KINDS_ALL, 0, getattr_of, NULL);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
    (void)ino;
    const zfs_table *t = zfs_tables_current(&fs_of(req)->tables);
    struct statvfs sv;
    memset(&sv, 0, sizeof sv);
    sv.f_bsize = sv.f_frsize = 4096;
    sv.f_blocks = (t->total_bytes + 4095) / 4096;
    sv.f_files = t->count;
    sv.f_namemax = NAME_MAX;
    sv.f_flag = ST_RDONLY;
    zfs_tables_unpin(t);
    fuse_reply_statfs(req, &sv);
}

/* ---- directories ------------------------------------------------------------ */

static int opendir_of(fuse_req_t req, const zfs_table *t, const zfs_inode *n,
                      void *arg)
{
    (void)t;
    (void)n;
    struct fuse_file_info *fi = arg;
    fi->cache_readdir = 1;
    fi->keep_cache = 1;
    fuse_reply_open(req, fi);
    return 0;
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino,
                       struct fuse_file_info *fi)
{
    with_node(req, ino, 0, KIND(ZFS_KIND_DIR), ENOTDIR, opendir_of, fi);
}

/* Entry `i` of a directory listing: ".", "..", then the children.  Returns
 * NULL for a hidden child (skipped, but it keeps its offset). */
static const char *dirent_at(const zfs_table *t, const zfs_inode *dir,
                             size_t i, struct stat *st)
{
    memset(st, 0, sizeof *st);
    if (i < 2) {
        st->st_ino = i == 0 ? dir->ino : dir->parent;
        st->st_mode = S_IFDIR;
        return i == 0 ? "." : "..";
    }
    const zfs_inode *c = zfs_table_child(t, dir, i - 2);
    if (c->hidden)
        return NULL;
    st->st_ino = c->ino;
    st->st_mode = c->kind == ZFS_KIND_DIR ? S_IFDIR : S_IFREG;
    return c->name;
}

struct readdir_args {
    size_t size;
    off_t off;
};

static int readdir_of(fuse_req_t req, const zfs_table *t, const zfs_inode *dir,
                      void *arg)
{
    const struct readdir_args *a = arg;
    char *buf = malloc(a->size);
    if (!buf) {
        fuse_reply_err(req, ENOMEM);
        return 0;
    }
    size_t used = 0;
    for (size_t i = a->off < 0 ? 0 : (size_t)a->off; i < dir->nchildren + 2; i++) {
        struct stat st;
        const char *name = dirent_at(t, dir, i, &st);
        if (!name)
            continue;
        size_t need = fuse_add_direntry(req, buf + used, a->size - used, name,
                                        &st, (off_t)i + 1);
        if (need > a->size - used)
            break;
        used += need;
    }
    fuse_reply_buf(req, buf, used);
    free(buf);
    return 0;
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
                       off_t off, struct fuse_file_info *fi)
{
    (void)fi;
    struct readdir_args a = {size, off};
    with_node(req, ino, 0, KIND(ZFS_KIND_DIR), ENOTDIR, readdir_of, &a);
}

/* ---- files ------------------------------------------------------------------ */

/* Builds the stats text (one JSON object and a newline) for an open file:
 * the engine's counters, then how the mount reads (iomode.h). */
static struct zfs_stats_text *stats_text_new(const struct zfs_fs *fs)
{
    zf_stats s;
    zf_get_stats(fs->z, &s);
    char mode[256];
    int mlen = snprintf(mode, sizeof mode, ", \"reads\": \"%s\", "
                        "\"reads_why\": \"%s\"}\n",
                        zfs_iomode_name(&fs->io), fs->io.why);
    int len = zf_stats_json(&s, NULL, 0);
    if (len < 1 || mlen < 0 || (size_t)mlen >= sizeof mode)
        return NULL;
    struct zfs_stats_text *st = malloc(sizeof *st + (size_t)len + (size_t)mlen + 1);
    if (!st)
        return NULL;
    zf_stats_json(&s, st->text, (size_t)len + 1);
    /* (the engine's object ends in '}': the mode goes before it) */
    memcpy(st->text + len - 1, mode, (size_t)mlen + 1);
    st->len = (size_t)len - 1 + (size_t)mlen;
    return st;
}

/* An array file or view, open, keeps the table it was found in pinned
 * (fi->fh), so that it can still be read after a refresh removed it; the
 * stats file keeps its text there. */
static int open_of(fuse_req_t req, const zfs_table *t, const zfs_inode *n,
                   void *arg)
{
    struct fuse_file_info *fi = arg;
    struct zfs_fs *fs = fs_of(req);
    if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
        fuse_reply_err(req, EROFS);
        return 0;
    }
    if (n->kind != ZFS_KIND_STATS) {
        fi->keep_cache = 1; /* (mmap's pages, with direct_io too) */
        fi->direct_io = fs->io.direct;
        fi->fh = (uint64_t)(uintptr_t)t;
        /* interrupted: no release will come, the pin is dropped here */
        return fuse_reply_open(req, fi) == 0;
    }
    struct zfs_stats_text *st = stats_text_new(fs);
    if (!st) {
        fuse_reply_err(req, ENOMEM);
        return 0;
    }
    fi->fh = (uint64_t)(uintptr_t)st;
    fi->direct_io = 1;
    if (fuse_reply_open(req, fi) != 0)
        free(st); /* the open was interrupted: no release will come */
    return 0;
}

static void op_open(fuse_req_t req, fuse_ino_t ino,
                    struct fuse_file_info *fi)
{
    with_node(req, ino, 0, KINDS_FILES, EISDIR, open_of, fi);
}

static void op_release(fuse_req_t req, fuse_ino_t ino,
                       struct fuse_file_info *fi)
{
    if (ino == ZFS_INO_STATS)
        free((struct zfs_stats_text *)(uintptr_t)fi->fh);
    else
        zfs_tables_unpin((const zfs_table *)(uintptr_t)fi->fh);
    fuse_reply_err(req, 0);
}

static void read_stats(fuse_req_t req, size_t size, off_t off,
                       const struct fuse_file_info *fi)
{
    const struct zfs_stats_text *st =
        (const struct zfs_stats_text *)(uintptr_t)fi->fh;
    if (!st || off < 0 || (size_t)off >= st->len) {
        fuse_reply_buf(req, NULL, 0);
        return;
    }
    size_t len = st->len - (size_t)off;
    len = len < size ? len : size;
    /* Replied from a copy: once the kernel has the bytes, the reader may
     * close the file and its release free the text before fuse_reply_buf
     * returns (AddressSanitizer checks writev's buffers after the call). */
    char *copy = malloc(len);
    if (!copy) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    memcpy(copy, st->text + off, len);
    fuse_reply_buf(req, copy, len);
    free(copy);
}

/* The engine's completion of one read: reply, log a failure, free. */
static void read_done(void *arg, zf_code code, size_t nread,
                      const zf_err *err)
{
    struct zfs_read *r = arg;
    struct zfs_fs *fs = r->fs;
    if (code == ZF_OK) {
        struct zfs_push_file f = {r->node->ino, r->node->array,
                                  r->node->kind == ZFS_KIND_VIEW
                                      ? r->node->header_len : 0,
                                  r->node->size, r->node->sel != NULL};
        int moved = zfs_push_read(fs->pusher, &f, r->data_off, nread, r->changes);
        fuse_reply_buf(r->req, r->buf, r->head + nread);
        if (moved)
            zfs_push_inval(fs->pusher, f.ino);
    } else {
        const char *msg = err && err->msg[0] ? err->msg : zf_code_name(code);
        zfs_log_once(fs->errors, LOG_ERR, zfs_inode_label(r->node), msg);
        fuse_reply_err(r->req, EIO);
    }
    zfs_tables_unpin(r->table);
    free(r->buf);
    free(r);
    zfs_fs_inflight_end(fs);
}

/* Replies with `head_len` bytes of `head` followed by bytes [data_off,
 * data_off + data_len) of node n's array, read asynchronously; the pin of
 * n's table t is the read's, until it replies. */
static void read_start(fuse_req_t req, const zfs_table *t,
                       const zfs_inode *n, const char *head,
                       size_t head_len, uint64_t data_off, size_t data_len,
                       uint64_t changes)
{
    struct zfs_fs *fs = fs_of(req);
    struct zfs_read *r = n->array ? malloc(sizeof *r) : NULL;
    char *buf = r ? malloc(head_len + data_len) : NULL;
    if (!buf) {
        free(r);
        zfs_tables_unpin(t);
        fuse_reply_err(req, n->array ? ENOMEM : EIO);
        return;
    }
    if (head_len)
        memcpy(buf, head, head_len);
    *r = (struct zfs_read){.req = req, .fs = fs, .table = t, .node = n,
                           .buf = buf, .head = head_len, .data_off = data_off,
                           .changes = changes};
    zfs_fs_inflight_begin(fs);
    /* (read_done may run inline, and then r is gone: nothing after) */
    if (n->sel)
        zf_array_read_selection_async(n->array, n->sel, data_off, data_len,
                                      buf + head_len, read_done, r);
    else
        zf_array_read_async(n->array, data_off, data_len, buf + head_len,
                            read_done, r);
}

/* Reads an array file, or a header view: the header from memory, then (npy,
 * tiff) the array's bytes at offsets shifted by the header's length.  Takes over
 * the pin of n's table t. */
static void read_file(fuse_req_t req, const zfs_table *t,
                      const zfs_inode *n, size_t size, off_t off,
                      uint64_t changes)
{
    if (off < 0 || (uint64_t)off >= n->size || size == 0) {
        zfs_tables_unpin(t);
        fuse_reply_buf(req, NULL, 0);
        return;
    }
    uint64_t left = n->size - (uint64_t)off;
    size_t len = left < size ? (size_t)left : size;
    size_t hlen = n->kind == ZFS_KIND_VIEW ? n->header_len : 0;
    if ((uint64_t)off + len <= hlen) {
        fuse_reply_buf(req, n->header + off, len);
        zfs_tables_unpin(t); /* (after the reply: it copies from the table) */
        return;
    }
    size_t head = (uint64_t)off < hlen ? hlen - (size_t)off : 0;
    read_start(req, t, n, head ? n->header + off : NULL, head,
                   (uint64_t)off + head - hlen, len - head, changes);
}

struct read_args {
    size_t size;
    off_t off;
    const struct fuse_file_info *fi;
    uint64_t changes; /* zfs_push_changes before the lookup (ops.h) */
};

static int read_of(fuse_req_t req, const zfs_table *t, const zfs_inode *n,
                   void *arg)
{
    const struct read_args *a = arg;
    if (n->kind == ZFS_KIND_STATS) {
        read_stats(req, a->size, a->off, a->fi);
        return 0;
    }
    if (n->kind == ZFS_KIND_NC)
        zfs_ncfile_read(req, fs_of(req), t, n, a->size, a->off, a->changes);
    else
        read_file(req, t, n, a->size, a->off, a->changes);
    return 1;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size,
                    off_t off, struct fuse_file_info *fi)
{
    struct read_args a = {size, off, fi, zfs_push_changes(fs_of(req))};
    with_node(req, ino, 0, KINDS_FILES, EISDIR, read_of, &a);
}

/* ---- extended attributes ---------------------------------------------------- */

/* The value of xattr `name` of a node, or NULL when it has none. */
static const char *xattr_value(const zfs_inode *n, const char *name)
{
    if (n->kind != ZFS_KIND_ARRAY)
        return NULL;
    const char *values[ZFS_NXATTRS] = {n->xattr_shape, n->xattr_dtype,
                                       n->xattr_chunks, n->xattr_metadata,
                                       n->xattr_selection};
    for (size_t i = 0; i < ZFS_NXATTRS; i++)
        if (strcmp(name, xattr_names[i]) == 0)
            return values[i];
    return NULL;
}

struct xattr_args {
    const char *name; /* NULL: a listing */
    size_t size;
};

/* Replies with `len` bytes of `data` the way (get|list)xattr wants: the size
 * alone when asked with size 0, ERANGE when the buffer is too small. */
static void reply_xattr_data(fuse_req_t req, const char *data, size_t len,
                             size_t size)
{
    if (size == 0)
        fuse_reply_xattr(req, len);
    else if (len > size)
        fuse_reply_err(req, ERANGE);
    else
        fuse_reply_buf(req, data, len);
}

static int getxattr_of(fuse_req_t req, const zfs_table *t, const zfs_inode *n,
                       void *arg)
{
    (void)t;
    const struct xattr_args *a = arg;
    const char *value = xattr_value(n, a->name);
    if (!value)
        fuse_reply_err(req, ENODATA);
    else
        reply_xattr_data(req, value, strlen(value), a->size);
    return 0;
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
                        size_t size)
{
    struct xattr_args a = {name, size};
    with_node(req, ino, 0, KINDS_ALL, 0, getxattr_of, &a);
}

static int listxattr_of(fuse_req_t req, const zfs_table *t, const zfs_inode *n,
                        void *arg)
{
    (void)t;
    const struct xattr_args *a = arg;
    char list[256];
    size_t len = 0;
    for (size_t i = 0; i < ZFS_NXATTRS; i++) {
        if (!xattr_value(n, xattr_names[i]))
            continue;
        size_t l = strlen(xattr_names[i]) + 1;
        memcpy(list + len, xattr_names[i], l);
        len += l;
    }
    reply_xattr_data(req, list, len, a->size);
    return 0;
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
    struct xattr_args a = {NULL, size};
    with_node(req, ino, 0, KINDS_ALL, 0, listxattr_of, &a);
}

/* ---- the table ---------------------------------------------------------------- */

/* Tables are freed by pins (tables.h); virtual files when forgotten. */
static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
    if (ino >= ZFS_VIRT_INO_BASE)
        zfs_virt_forget(fs_of(req)->virt, ino, nlookup);
    fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count,
                            struct fuse_forget_data *forgets)
{
    for (size_t i = 0; i < count; i++)
        if (forgets[i].ino >= ZFS_VIRT_INO_BASE)
            zfs_virt_forget(fs_of(req)->virt, forgets[i].ino,
                            forgets[i].nlookup);
    fuse_reply_none(req);
}

const struct fuse_lowlevel_ops zfs_ops = {
    .init = op_init,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .open = op_open,
    .read = op_read,
    .release = op_release,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .statfs = op_statfs,
    .getxattr = op_getxattr,
    .listxattr = op_listxattr,
};
