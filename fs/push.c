/*
 * push.c - the pusher: see push.h.  One queue of jobs (pushes of byte
 * ranges of one file, or the invalidation of one file's pages), one thread
 * working through it in order.
 */
#include "push.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ZFS_PUSH_PIECE ((uint64_t)1 << 20) /* bytes a notify_store sends */
#define ZFS_PUSH_QUEUE 1024                /* jobs queued at most */
#define ZFS_PAGE ((uint64_t)4096)

struct zfs_push_job {
    struct zfs_push_job *next;
    struct zfs_push_file file;
    uint64_t changes;    /* zfs_push_changes when its bytes were asked for */
    uint64_t lo[2], hi[2]; /* array byte ranges to push (empty: lo == hi) */
};

uint64_t zfs_push_changes(const struct zfs_fs *fs)
{
    return zf_changes(fs->z) + atomic_load(&((struct zfs_fs *)fs)->epoch);
}

/* ---- sending ------------------------------------------------------------- */

struct zfs_send {
    struct zfs_pusher *p;
    const struct zfs_push_file *f;
    uint64_t off;       /* array offset of buf */
    const void *buf;
    size_t len;
    uint64_t changes;   /* the job's count (push.h) */
};

/* Sends one piece, held in the engine's cache meanwhile (push.h). */
static void send_store(void *arg)
{
    struct zfs_send *s = arg;
    struct zfs_pusher *p = s->p;
    pthread_mutex_lock(&p->send_lock);
    if (p->se && zfs_push_changes(p->fs) == s->changes) {
        struct fuse_bufvec bv = FUSE_BUFVEC_INIT(s->len);
        bv.buf[0].mem = (void *)s->buf;
        int rc = fuse_lowlevel_notify_store(p->se, s->f->ino,
                                            (off_t)(s->f->head + s->off), &bv, 0);
        if (rc != 0 && rc != -ENOENT)
            zfs_log(LOG_DEBUG, "push of %zu bytes at %llu: %s", s->len,
                    (unsigned long long)(s->f->head + s->off), strerror(-rc));
    }
    pthread_mutex_unlock(&p->send_lock);
}

static void send_inval(struct zfs_pusher *p, fuse_ino_t ino)
{
    pthread_mutex_lock(&p->send_lock);
    if (p->se)
        fuse_lowlevel_notify_inval_inode(p->se, ino, 0, 0);
    atomic_fetch_add(&p->invalidated, 1);
    pthread_mutex_unlock(&p->send_lock);
}

/* Whether record d is of file ino at change count `changes`. */
static int same_file(const struct zfs_pushed *d, fuse_ino_t ino,
                     uint64_t changes)
{
    return d->ino == ino && d->changes == changes;
}

/* Where a push of [lo, hi) of file ino should start (past what a recent
 * push of the same version covered), and in *n how much of it to push in
 * one piece (up to the next range pushed already). */
static uint64_t skip_pushed(const struct zfs_pusher *p, fuse_ino_t ino,
                            uint64_t lo, uint64_t hi, uint64_t changes,
                            uint64_t *n)
{
    for (int again = 1; again && lo < hi;) {
        again = 0;
        for (unsigned i = 0; i < ZFS_PUSH_DONE; i++)
            if (same_file(&p->done[i], ino, changes) && p->done[i].lo <= lo &&
                lo < p->done[i].hi) {
                lo = p->done[i].hi;
                again = 1;
            }
    }
    *n = hi > lo ? zfs_min_u64(hi - lo, ZFS_PUSH_PIECE) : 0;
    for (unsigned i = 0; i < ZFS_PUSH_DONE; i++)
        if (same_file(&p->done[i], ino, changes) && p->done[i].lo > lo &&
            p->done[i].lo < lo + *n)
            *n = p->done[i].lo - lo;
    return lo;
}

/* Remembers that [lo, hi) of file ino was pushed: merged into a record it
 * touches (a stream's pushes stay one record), else in a new one. */
static void note_pushed(struct zfs_pusher *p, fuse_ino_t ino, uint64_t lo,
                        uint64_t hi, uint64_t changes)
{
    for (unsigned i = 0; i < ZFS_PUSH_DONE; i++) {
        struct zfs_pushed *d = &p->done[i];
        if (same_file(d, ino, changes) && d->lo <= hi && lo <= d->hi) {
            d->lo = zfs_min_u64(d->lo, lo);
            d->hi = zfs_max_u64(d->hi, hi);
            return;
        }
    }
    p->done[p->ndone++ % ZFS_PUSH_DONE] =
        (struct zfs_pushed){ino, lo, hi, changes};
}

/* Pushes [lo, hi) of the job's array in pieces, leaving out what was
 * pushed lately, up to the first piece the cache does not hold whole (the
 * ones after it, further ahead, are still less likely decoded).  What was
 * pushed is remembered by file offset: the arrays of a group file (G.nc)
 * share its inode, each at its own offset (head). */
static void push_range(struct zfs_pusher *p, const struct zfs_push_job *j,
                       uint64_t lo, uint64_t hi, void *buf, uint64_t changes)
{
    fuse_ino_t ino = j->file.ino;
    uint64_t head = j->file.head, n;
    while ((lo = skip_pushed(p, ino, head + lo, head + hi, changes, &n) - head) < hi) {
        struct zfs_send s = {p, &j->file, lo, buf, (size_t)n, changes};
        zf_err err;
        if (zf_array_read_cached(j->file.array, lo, (size_t)n, buf,
                                 send_store, &s, &err) != ZF_OK)
            return;
        note_pushed(p, ino, head + lo, head + lo + n, changes);
        lo += n;
    }
}

static void run_job(struct zfs_pusher *p, const struct zfs_push_job *j,
                    void *buf)
{
    /* The count from when the read (or the read that last noted the file,
     * for a prefetch) began: a refresh since may have given the inode
     * another array, whose bytes these are not. */
    uint64_t changes = j->changes;
    int moved = zfs_push_changes(p->fs) != changes;
    /* (ahead of the read first: a reader going on races these pages) */
    if (!moved)
        for (int i = 1; i >= 0; i--)
            push_range(p, j, j->lo[i], j->hi[i], buf, changes);
    if (moved || zfs_push_changes(p->fs) != changes)
        send_inval(p, j->file.ino);
}

/* Out of memory for the list of files to invalidate: drops the pages of
 * every file of the current table, as a refresh does (refresh.c). */
static void send_inval_all(struct zfs_pusher *p)
{
    const zfs_table *t = zfs_tables_current(&p->fs->tables);
    for (size_t i = 0; t && i < t->count; i++)
        if (t->nodes[i].kind == ZFS_KIND_ARRAY ||
            t->nodes[i].kind == ZFS_KIND_VIEW || t->nodes[i].kind == ZFS_KIND_NC)
            send_inval(p, t->nodes[i].ino);
    if (t)
        zfs_tables_unpin(t);
}

/* Sends the invalidations queued (under the lock, which it drops while
 * sending), before any push. */
static void run_invals(struct zfs_pusher *p)
{
    fuse_ino_t *list = p->inval;
    size_t n = p->ninval;
    int all = p->inval_all;
    p->inval = NULL;
    p->ninval = p->capinval = 0;
    p->inval_all = 0;
    pthread_mutex_unlock(&p->w.lock);
    for (size_t i = 0; i < n; i++)
        send_inval(p, list[i]);
    free(list);
    if (all)
        send_inval_all(p);
    pthread_mutex_lock(&p->w.lock);
}

static void *pusher_thread(void *arg)
{
    struct zfs_pusher *p = arg;
    void *buf = malloc(ZFS_PUSH_PIECE);
    pthread_mutex_lock(&p->w.lock);
    for (;;) {
        while (!p->w.stop && !p->head && !p->ninval && !p->inval_all)
            pthread_cond_wait(&p->w.wake, &p->w.lock);
        if (p->w.stop)
            break;
        if (p->ninval || p->inval_all) {
            run_invals(p);
            continue;
        }
        struct zfs_push_job *j = p->head;
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
        p->queued--;
        pthread_mutex_unlock(&p->w.lock);
        if (buf)
            run_job(p, j, buf);
        free(j);
        pthread_mutex_lock(&p->w.lock);
    }
    pthread_mutex_unlock(&p->w.lock);
    free(buf);
    return NULL;
}

/* ---- queueing -------------------------------------------------------------- */

static void enqueue(struct zfs_pusher *p, struct zfs_push_job *j)
{
    pthread_mutex_lock(&p->w.lock);
    if (p->w.stop || p->queued >= ZFS_PUSH_QUEUE) {
        pthread_mutex_unlock(&p->w.lock);
        free(j);
        return;
    }
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    p->queued++;
    pthread_cond_signal(&p->w.wake);
    pthread_mutex_unlock(&p->w.lock);
}

/* Notes f as the most recently read file of its array (for prefetches). */
static void note_file(struct zfs_pusher *p, const struct zfs_push_file *f,
                      uint64_t changes)
{
    pthread_mutex_lock(&p->w.lock);
    int i = 0;
    while (i < ZFS_PUSH_FILES - 1 && p->files[i].array &&
           p->files[i].ino != f->ino)
        i++;
    memmove(&p->files[1], &p->files[0], (size_t)i * sizeof *p->files);
    memmove(&p->file_changes[1], &p->file_changes[0],
            (size_t)i * sizeof *p->file_changes);
    p->files[0] = *f;
    p->file_changes[0] = changes;
    pthread_mutex_unlock(&p->w.lock);
}


/* The part of array range [lo, hi) whose file pages lie wholly inside it
 * (a page cut by its ends would need bytes from beyond them), except that
 * the file's last page may be partial. */
static void whole_pages(const struct zfs_push_file *f, uint64_t *lo,
                        uint64_t *hi)
{
    uint64_t a = f->head + *lo, b = f->head + *hi;
    a = (a + ZFS_PAGE - 1) / ZFS_PAGE * ZFS_PAGE;
    if (b != f->size)
        b = b / ZFS_PAGE * ZFS_PAGE;
    *lo = a - f->head;
    *hi = b > a ? b - f->head : *lo;
}

/* Adds ino to the files to invalidate (under the lock), once: one pending
 * invalidation of a file covers every later one, since it has not run yet.
 * Without memory for the list, every file's pages are dropped instead. */
static void note_inval(struct zfs_pusher *p, fuse_ino_t ino)
{
    for (size_t i = 0; i < p->ninval; i++)
        if (p->inval[i] == ino)
            return;
    if (p->ninval == p->capinval) {
        size_t cap = p->capinval ? p->capinval * 2 : 16;
        fuse_ino_t *grown = realloc(p->inval, cap * sizeof *grown);
        if (!grown) {
            p->inval_all = 1;
            return;
        }
        p->inval = grown;
        p->capinval = cap;
    }
    p->inval[p->ninval++] = ino;
}

void zfs_push_inval(struct zfs_pusher *p, fuse_ino_t ino)
{
    if (!p->w.started)
        return;
    pthread_mutex_lock(&p->w.lock);
    if (!p->w.stop) {
        note_inval(p, ino);
        pthread_cond_signal(&p->w.wake);
    }
    pthread_mutex_unlock(&p->w.lock);
}

int zfs_push_read(struct zfs_pusher *p, const struct zfs_push_file *f,
                  uint64_t off, uint64_t len, uint64_t changes)
{
    if (!p->w.started)
        return 0;
    if (zfs_push_changes(p->fs) != changes)
        return 1; /* the reply may be older than what changed */
    if (len == 0)
        return 0;
    if (!f->selection)
        note_file(p, f, changes);
    uint64_t lo, hi, end = off + len, isz = zf_array_get_info(f->array)->itemsize;
    if (f->selection || f->head % isz) /* (npy pads its header to 64) */
        return 0;
    struct zfs_push_job *j = calloc(1, sizeof *j);
    if (!j)
        return 0;
    j->file = *f;
    j->changes = changes;
    zf_array_chunk_span(f->array, off, &lo, &hi);
    j->lo[0] = zfs_max_u64(lo, off > p->max ? off - p->max : 0);
    j->hi[0] = off;
    zf_array_chunk_span(f->array, end - 1, &lo, &hi);
    /* a sequential stream's prefetch decodes on past the chunk: push as
     * far as it got (what is not decoded yet is left out) */
    hi = zfs_max_u64(hi, zf_array_stream_ahead(f->array, end));
    j->lo[1] = end;
    j->hi[1] = zfs_min_u64(hi, end + p->max);
    for (int i = 0; i < 2; i++)
        whole_pages(f, &j->lo[i], &j->hi[i]);
    if (j->lo[0] == j->hi[0] && j->lo[1] == j->hi[1])
        free(j);
    else
        enqueue(p, j);
    return 0;
}

/* The engine's prefetch hook: pushes what a sequential stream's prefetch
 * decoded, into the file its array was last read through. */
static void push_prefetched(void *arg, zf_array *a, uint64_t off,
                            uint64_t end)
{
    struct zfs_pusher *p = arg;
    struct zfs_push_job *j = calloc(1, sizeof *j);
    if (!j)
        return;
    pthread_mutex_lock(&p->w.lock);
    for (int i = 0; i < ZFS_PUSH_FILES && p->files[i].array; i++)
        if (p->files[i].array == a) {
            j->file = p->files[i];
            j->changes = p->file_changes[i];
            break;
        }
    pthread_mutex_unlock(&p->w.lock);
    if (!j->file.array) {
        free(j);
        return;
    }
    j->lo[0] = off;
    j->hi[0] = end;
    whole_pages(&j->file, &j->lo[0], &j->hi[0]);
    enqueue(p, j);
}

/* ---- life ------------------------------------------------------------------- */

void zfs_pusher_init(struct zfs_pusher *p, struct zfs_fs *fs,
                     struct fuse_session *se, uint64_t max)
{
    memset(p, 0, sizeof *p);
    p->fs = fs;
    p->se = se;
    p->max = max;
    zfs_worker_init(&p->w);
    pthread_mutex_init(&p->send_lock, NULL);
}

int zfs_pusher_start(struct zfs_pusher *p)
{
    if (p->max == 0)
        return 0;
    if (zfs_worker_start(&p->w, pusher_thread, p, "pusher thread") != 0)
        return -1;
    zf_set_prefetch_hook(p->fs->z, push_prefetched, p);
    return 0;
}

void zfs_pusher_detach(struct zfs_pusher *p)
{
    pthread_mutex_lock(&p->send_lock);
    p->se = NULL;
    pthread_mutex_unlock(&p->send_lock);
}

void zfs_pusher_stop(struct zfs_pusher *p)
{
    /* (stop stays set: what prefetches queue from now on is dropped) */
    zfs_worker_stop(&p->w);
    pthread_mutex_lock(&p->w.lock);
    while (p->head) {
        struct zfs_push_job *j = p->head;
        p->head = j->next;
        free(j);
    }
    p->tail = NULL;
    free(p->inval);
    p->inval = NULL;
    p->ninval = p->capinval = 0;
    pthread_mutex_unlock(&p->w.lock);
}

void zfs_pusher_free(struct zfs_pusher *p)
{
    pthread_mutex_destroy(&p->send_lock);
    zfs_worker_destroy(&p->w);
}
