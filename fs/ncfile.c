/*
 * ncfile.c - reading a group file: see ncfile.h.  A request becomes one
 * zeroed buffer, the header bytes it covers copied in, and one engine read
 * per part it covers (a "piece"), each into its place; a count of pieces
 * not finished (plus one held while they are started, so that a piece
 * finishing inline cannot reply early) says who replies.
 */
#include "ncfile.h"
#include "push.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nc_read;

/* One part's share of a request. */
struct nc_piece {
    struct nc_read *r;
    zf_array *array;   /* NULL: the part's array was not found (inodes.h) */
    const char *array_path;
    uint64_t part_off; /* the part's offset in the file */
    uint64_t off;      /* the first byte read, in the array's flat view */
    size_t len, nread;
};

struct nc_read {
    fuse_req_t req;
    struct zfs_fs *fs;
    const zfs_table *table; /* pinned until the reply: it holds node */
    const zfs_inode *node;
    char *buf;
    size_t len;
    uint64_t changes;       /* zfs_push_changes when the read began */
    atomic_size_t pending;
    atomic_int failed;      /* the first failing piece sets it, then err */
    zf_err err;
    size_t npieces;
    struct nc_piece pieces[];
};

/* Replies (all pieces are done), hands the pieces to the pusher, frees. */
static void nc_read_finish(struct nc_read *r)
{
    struct zfs_fs *fs = r->fs;
    const zfs_inode *n = r->node;
    if (!atomic_load(&r->failed)) {
        int moved = 0; /* (pushes before the reply, see push.h) */
        for (size_t i = 0; i < r->npieces && !moved; i++) {
            const struct nc_piece *p = &r->pieces[i];
            struct zfs_push_file f = {n->ino, p->array, p->part_off, n->size, 0};
            moved = zfs_push_read(fs->pusher, &f, p->off, p->nread, r->changes);
        }
        fuse_reply_buf(r->req, r->buf, r->len);
        if (moved)
            zfs_push_inval(fs->pusher, n->ino);
    } else {
        zfs_log_once(fs->errors, LOG_ERR, zfs_inode_label(n),
                     r->err.msg[0] ? r->err.msg : zf_code_name(r->err.code));
        fuse_reply_err(r->req, EIO);
    }
    zfs_tables_unpin(r->table);
    free(r->buf);
    free(r);
    zfs_fs_inflight_end(fs);
}

static void nc_read_release(struct nc_read *r)
{
    if (atomic_fetch_sub(&r->pending, 1) == 1)
        nc_read_finish(r);
}

/* The engine's completion of one piece. */
static void piece_done(void *arg, zf_code code, size_t nread, const zf_err *err)
{
    struct nc_piece *p = arg;
    struct nc_read *r = p->r;
    int none = 0;
    p->nread = nread;
    if (code != ZF_OK && atomic_compare_exchange_strong(&r->failed, &none, 1)) {
        if (err)
            r->err = *err;
        r->err.code = code;
    }
    nc_read_release(r);
}

/* The parts of group file n, from part `first` on (zf_nc_part_find), that
 * hold bytes of [off, end): counted, and, when r is not NULL, each made
 * one of r's pieces. */
static size_t pieces(const zfs_inode *n, size_t first, uint64_t off,
                     uint64_t end, struct nc_read *r)
{
    const zf_nc_file *f = n->gf->nc;
    size_t count = 0;
    for (size_t i = first; i < zf_nc_part_count(f); i++) {
        const zf_nc_part *p = zf_nc_part_at(f, i);
        if (p->offset >= end)
            break;
        uint64_t lo = zfs_max_u64(p->offset, off);
        uint64_t hi = zfs_min_u64(p->offset + p->nbytes, end);
        if (lo >= hi)
            continue;
        if (r)
            r->pieces[count] = (struct nc_piece){
                r, n->gf->arrays[i], p->array_path, p->offset, lo - p->offset,
                (size_t)(hi - lo), 0};
        count++;
    }
    return count;
}

/* Starts every piece's read; the last to finish replies. */
static void start_pieces(struct nc_read *r, uint64_t off)
{
    atomic_init(&r->pending, r->npieces + 1);
    atomic_init(&r->failed, 0);
    zfs_fs_inflight_begin(r->fs);
    for (size_t i = 0; i < r->npieces; i++) {
        struct nc_piece *p = &r->pieces[i];
        char *dst = r->buf + (p->part_off + p->off - off);
        if (p->array) {
            zf_array_read_async(p->array, p->off, p->len, dst, piece_done, p);
        } else {
            zf_err e = {ZF_ENOTFOUND, ""};
            snprintf(e.msg, sizeof e.msg, "%s: the array is gone",
                     p->array_path);
            piece_done(p, ZF_ENOTFOUND, 0, &e);
        }
    }
    nc_read_release(r); /* (r may be gone now) */
}

void zfs_ncfile_read(fuse_req_t req, struct zfs_fs *fs, const zfs_table *t,
                     const zfs_inode *n, size_t size, off_t off,
                     uint64_t changes)
{
    if (off < 0 || (uint64_t)off >= n->size || size == 0) {
        zfs_tables_unpin(t);
        fuse_reply_buf(req, NULL, 0);
        return;
    }
    uint64_t o = (uint64_t)off;
    size_t len = (size_t)zfs_min_u64(size, n->size - o), hlen;
    const uint8_t *head = zf_nc_header(n->gf->nc, &hlen);
    size_t first = zf_nc_part_find(n->gf->nc, o);
    size_t count = pieces(n, first, o, o + len, NULL);
    struct nc_read *r = calloc(1, sizeof *r + count * sizeof *r->pieces);
    char *buf = r ? calloc(1, len) : NULL; /* zeros: the padding */
    if (!buf) {
        free(r);
        zfs_tables_unpin(t);
        fuse_reply_err(req, ENOMEM);
        return;
    }
    if (o < hlen)
        memcpy(buf, head + o, (size_t)zfs_min_u64(hlen - o, len));
    r->req = req;
    r->fs = fs;
    r->table = t;
    r->node = n;
    r->buf = buf;
    r->len = len;
    r->changes = changes;
    r->npieces = pieces(n, first, o, o + len, r);
    start_pieces(r, o);
}
