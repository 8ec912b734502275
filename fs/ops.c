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

#define ZFS_TIMEOUT 86400.0 /* without metadata_ttl the inode table never changes */
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

/* ---- state ---------------------------------------------------------------- */

int zfs_fs_init(struct zfs_fs *fs, zf_zarr *z)
{
    memset(fs, 0, sizeof *fs);
    fs->errors = zfs_errset_new();
    fs->notes = zfs_errset_new();
    fs->virt = zfs_virt_new(ZFS_VIRT_MAX, 0);
    if (!fs->errors || !fs->notes || !fs->virt) {
        zfs_errset_free(fs->errors);
        zfs_errset_free(fs->notes);
        zfs_virt_free(fs->virt);
        fs->errors = fs->notes = NULL;
        fs->virt = NULL;
        return -1;
    }
    fs->z = z;
    zfs_tables_init(&fs->tables);
    fs->tables.virt = fs->virt;
    atomic_init(&fs->live, 0);
    fs->uid = getuid();
    fs->gid = getgid();
    fs->timeout = ZFS_TIMEOUT;
    pthread_mutex_init(&fs->lock, NULL);
    pthread_cond_init(&fs->idle, NULL);
    return 0;
}

void zfs_fs_wait_idle(struct zfs_fs *fs)
{
    pthread_mutex_lock(&fs->lock);
    while (fs->inflight > 0)
        pthread_cond_wait(&fs->idle, &fs->lock);
    pthread_mutex_unlock(&fs->lock);
}

void zfs_fs_destroy(struct zfs_fs *fs)
{
    zfs_tables_free(&fs->tables);
    zfs_virt_free(fs->virt);
    zfs_errset_free(fs->errors);
    zfs_errset_free(fs->notes);
    pthread_cond_destroy(&fs->idle);
    pthread_mutex_destroy(&fs->lock);
}

void zfs_fs_inflight_begin(struct zfs_fs *fs)
{
    pthread_mutex_lock(&fs->lock);
    fs->inflight++;
    pthread_mutex_unlock(&fs->lock);
}

void zfs_fs_inflight_end(struct zfs_fs *fs)
{
    pthread_mutex_lock(&fs->lock);
    if (--fs->inflight == 0)
        pthread_cond_broadcast(&fs->idle);
    pthread_mutex_unlock(&fs->lock);
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

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct zfs_fs *fs = fs_of(req);
    const zfs_table *t = zfs_tables_current(&fs->tables);
    const zfs_inode *dir = zfs_table_get(t, parent);
    if (!dir || dir->kind != ZFS_KIND_DIR) {
        fuse_reply_err(req, dir ? ENOTDIR : ENOENT);
        zfs_tables_unpin(t);
        return;
    }
    struct fuse_entry_param e;
    memset(&e, 0, sizeof e);
    e.entry_timeout = fs->timeout; /* a miss is cached too (ino 0) */
    const zfs_inode *n = zfs_table_lookup(t, parent, name);
    const zfs_table *vt = NULL;
    char why[600];
    if (!n && !(n = zfs_virt_lookup(fs->virt, t, parent, name, &vt, why,
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
    zfs_tables_unpin(t);
    fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
                       struct fuse_file_info *fi)
{
    (void)fi;
    struct zfs_fs *fs = fs_of(req);
    const zfs_table *t;
    const zfs_inode *n = zfs_tables_find(&fs->tables, ino, &t);
    if (!n) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    struct stat st;
    fill_stat(fs, n, &st);
    double timeout = attr_timeout(fs, n);
    zfs_tables_unpin(t);
    fuse_reply_attr(req, &st, timeout);
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

static void op_opendir(fuse_req_t req, fuse_ino_t ino,
                       struct fuse_file_info *fi)
{
    const zfs_table *t;
    const zfs_inode *n = zfs_tables_find(&fs_of(req)->tables, ino, &t);
    int dir = n && n->kind == ZFS_KIND_DIR;
    zfs_tables_unpin(t);
    if (!dir) {
        fuse_reply_err(req, n ? ENOTDIR : ENOENT);
        return;
    }
    fi->cache_readdir = 1;
    fi->keep_cache = 1;
    fuse_reply_open(req, fi);
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

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
                       off_t off, struct fuse_file_info *fi)
{
    (void)fi;
    const zfs_table *t = NULL;
    const zfs_inode *dir = zfs_tables_find(&fs_of(req)->tables, ino, &t);
    if (!dir || dir->kind != ZFS_KIND_DIR) {
        zfs_tables_unpin(t);
        fuse_reply_err(req, dir ? ENOTDIR : ENOENT);
        return;
    }
    char *buf = malloc(size);
    if (!buf) {
        zfs_tables_unpin(t);
        fuse_reply_err(req, ENOMEM);
        return;
    }
    size_t used = 0;
    for (size_t i = off < 0 ? 0 : (size_t)off; i < dir->nchildren + 2; i++) {
        struct stat st;
        const char *name = dirent_at(t, dir, i, &st);
        if (!name)
            continue;
        size_t need = fuse_add_direntry(req, buf + used, size - used, name,
                                        &st, (off_t)i + 1);
        if (need > size - used)
            break;
        used += need;
    }
    zfs_tables_unpin(t);
    fuse_reply_buf(req, buf, used);
    free(buf);
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
static void op_open(fuse_req_t req, fuse_ino_t ino,
                    struct fuse_file_info *fi)
{
    struct zfs_fs *fs = fs_of(req);
    const zfs_table *t;
    const zfs_inode *n = zfs_tables_find(&fs->tables, ino, &t);
    if (!n || n->kind == ZFS_KIND_DIR) {
        zfs_tables_unpin(t);
        fuse_reply_err(req, n ? EISDIR : ENOENT);
        return;
    }
    if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
        zfs_tables_unpin(t);
        fuse_reply_err(req, EROFS);
        return;
    }
    if (n->kind == ZFS_KIND_ARRAY || n->kind == ZFS_KIND_VIEW ||
        n->kind == ZFS_KIND_NC) {
        fi->keep_cache = 1; /* (mmap's pages, with direct_io too) */
        fi->direct_io = fs->io.direct;
        fi->fh = (uint64_t)(uintptr_t)t;
        if (fuse_reply_open(req, fi) != 0)
            zfs_tables_unpin(t); /* interrupted: no release will come */
        return;
    }
    zfs_tables_unpin(t);
    struct zfs_stats_text *st = stats_text_new(fs);
    if (!st) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    fi->fh = (uint64_t)(uintptr_t)st;
    fi->direct_io = 1;
    if (fuse_reply_open(req, fi) != 0)
        free(st); /* the open was interrupted: no release will come */
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
                       size_t head_len, uint64_t data_off, size_t data_len)
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
                           .changes = zfs_push_changes(fs)};
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
                      const zfs_inode *n, size_t size, off_t off)
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
                   (uint64_t)off + head - hlen, len - head);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size,
                    off_t off, struct fuse_file_info *fi)
{
    const zfs_table *t;
    const zfs_inode *n = zfs_tables_find(&fs_of(req)->tables, ino, &t);
    if (n && n->kind == ZFS_KIND_NC) {
        zfs_ncfile_read(req, fs_of(req), t, n, size, off);
        return;
    }
    if (n && n->kind != ZFS_KIND_DIR && n->kind != ZFS_KIND_STATS) {
        read_file(req, t, n, size, off);
        return;
    }
    zfs_tables_unpin(t);
    if (!n || n->kind == ZFS_KIND_DIR)
        fuse_reply_err(req, n ? EISDIR : ENOENT);
    else
        read_stats(req, size, off, fi);
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

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
                        size_t size)
{
    const zfs_table *t;
    const zfs_inode *n = zfs_tables_find(&fs_of(req)->tables, ino, &t);
    const char *value = n ? xattr_value(n, name) : NULL;
    if (!value)
        fuse_reply_err(req, n ? ENODATA : ENOENT);
    else
        reply_xattr_data(req, value, strlen(value), size);
    zfs_tables_unpin(t); /* (after the reply: it copies from the table) */
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
    const zfs_table *t;
    const zfs_inode *n = zfs_tables_find(&fs_of(req)->tables, ino, &t);
    if (!n) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    char list[256];
    size_t len = 0;
    for (size_t i = 0; i < ZFS_NXATTRS; i++) {
        if (!xattr_value(n, xattr_names[i]))
            continue;
        size_t l = strlen(xattr_names[i]) + 1;
        memcpy(list + len, xattr_names[i], l);
        len += l;
    }
    zfs_tables_unpin(t);
    reply_xattr_data(req, list, len, size);
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
