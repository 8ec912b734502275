/*
 * refresh.c - the metadata refresher thread (see refresh.h for the
 * contract): a tick every `period` seconds, the table rebuilt when the
 * engine says the metadata changed, the kernel's caches invalidated.
 */
#include "refresh.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void zfs_refresher_init(struct zfs_refresher *r, struct zfs_fs *fs,
                        struct fuse_session *se, const char *store,
                        unsigned views, double period)
{
    memset(r, 0, sizeof *r);
    r->fs = fs;
    r->se = se;
    r->store = store;
    r->views = views;
    r->period = period;
    zfs_worker_init(&r->w); /* ticks on the monotonic clock */
}

/* ---- what changed ------------------------------------------------------------ */

/* Calls fn for each entry only in `old` (side -1), only in `cur` (+1), or
 * in both with another array behind it (0).  Both tables are sorted by
 * inode number, so this is one merge. */
static void diff(const zfs_table *old, const zfs_table *cur,
                 void (*fn)(void *arg, const zfs_inode *n, int side),
                 void *arg)
{
    size_t i = 0, j = 0;
    while (i < old->count || j < cur->count) {
        const zfs_inode *a = i < old->count ? &old->nodes[i] : NULL;
        const zfs_inode *b = j < cur->count ? &cur->nodes[j] : NULL;
        if (a && (!b || a->ino < b->ino)) {
            fn(arg, a, -1);
            i++;
        } else if (!a || b->ino < a->ino) {
            fn(arg, b, 1);
            j++;
        } else {
            if (a->array != b->array || a->size != b->size)
                fn(arg, b, 0);
            i++;
            j++;
        }
    }
}

/* The arrays added, removed and changed, and the first names of each. */
struct zfs_changes {
    size_t count[3]; /* removed, changed, added (side + 1) */
    char names[3][200];
};

static void count_change(void *arg, const zfs_inode *n, int side)
{
    struct zfs_changes *c = arg;
    if (n->kind != ZFS_KIND_ARRAY)
        return;
    char *s = c->names[side + 1];
    size_t len = strlen(s), size = sizeof c->names[0];
    if (c->count[side + 1]++ < 4)
        snprintf(s + len, size - len, "%s%s", len ? ", " : "",
                 zfs_inode_label(n));
    else if (c->count[side + 1] == 5)
        snprintf(s + len, size - len, ", ...");
}

/* Logs one line: what the new table shows that the old one did not, and
 * how long re-reading the metadata and building the table took (seconds). */
static void log_changes(const zfs_table *old, const zfs_table *cur,
                        double read_s, double build_s)
{
    struct zfs_changes c;
    memset(&c, 0, sizeof c);
    diff(old, cur, count_change, &c);
    static const char *const what[3] = {"removed", "changed", "added"};
    char line[800] = "";
    size_t len = 0;
    for (int k = 2; k >= 0; k--)
        if (c.count[k])
            len += (size_t)snprintf(line + len, sizeof line - len,
                                    "%s%zu %s (%s)", len ? "; " : "",
                                    c.count[k], what[k], c.names[k]);
    char nc[96] = "";
    if (cur->nc_built || cur->nc_kept)
        snprintf(nc, sizeof nc, "; group files: %zu built, %zu kept",
                 cur->nc_built, cur->nc_kept);
    zfs_log(LOG_INFO, "metadata refreshed (read %.3f s, table %.3f s): "
            "%s%s; %zu arrays shown%s", read_s, build_s, len ? "arrays " : "",
            len ? line : "no array added, removed or changed", cur->narrays,
            nc);
}

/* ---- telling the kernel -------------------------------------------------------- */

/* The directories whose listing changed, to invalidate once each. */
struct zfs_dirty {
    struct fuse_session *se;
    uint64_t *dirs;
    size_t count, cap;
};

static void dirty_add(struct zfs_dirty *d, uint64_t ino)
{
    if (d->count == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 64;
        uint64_t *v = realloc(d->dirs, cap * sizeof *v);
        if (!v)
            return; /* (the attribute timeout still bounds how long) */
        d->dirs = v;
        d->cap = cap;
    }
    d->dirs[d->count++] = ino;
}

/* An entry added or removed: its name goes, and its directory's listing. */
static void notify_entry(void *arg, const zfs_inode *n, int side)
{
    struct zfs_dirty *d = arg;
    if (side == 0 || n->ino == ZFS_INO_ROOT)
        return;
    fuse_lowlevel_notify_inval_entry(d->se, n->parent, n->name,
                                     strlen(n->name));
    dirty_add(d, n->parent);
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Invalidates what the kernel cached (see refresh.h); `old` is the table
 * `cur` replaced this tick, or NULL. */
static void notify(struct zfs_refresher *r, const zfs_table *old,
                   const zfs_table *cur)
{
    atomic_fetch_add(&r->fs->epoch, 1); /* pushes in flight: see push.h */
    pthread_mutex_lock(&r->w.lock);
    if (r->se && atomic_load(&r->fs->live)) {
        struct zfs_dirty d = {.se = r->se};
        if (old)
            diff(old, cur, notify_entry, &d);
        if (d.count > 1)
            qsort(d.dirs, d.count, sizeof *d.dirs, u64_cmp);
        for (size_t i = 0; i < d.count; i++)
            if (i == 0 || d.dirs[i] != d.dirs[i - 1])
                fuse_lowlevel_notify_inval_inode(r->se, d.dirs[i], 0, 0);
        free(d.dirs);
        /* Errors are expected: -ENOENT for what the kernel does not hold. */
        for (size_t i = 0; i < cur->count; i++)
            if (cur->nodes[i].kind == ZFS_KIND_ARRAY ||
                cur->nodes[i].kind == ZFS_KIND_VIEW ||
                cur->nodes[i].kind == ZFS_KIND_NC)
                fuse_lowlevel_notify_inval_inode(r->se, cur->nodes[i].ino, 0, 0);
    }
    pthread_mutex_unlock(&r->w.lock);
}

/* ---- ticks ------------------------------------------------------------------- */

/* Logs a failed refresh, unless it is the one logged last. */
static void refresh_failed(struct zfs_refresher *r, const zf_err *e)
{
    const char *msg = e->msg[0] ? e->msg : zf_code_name(e->code);
    if (r->last_error && strcmp(r->last_error, msg) == 0)
        return;
    zfs_log(LOG_WARNING, "metadata refresh failed: %s", msg);
    free(r->last_error);
    r->last_error = strdup(msg);
}

/* Seconds on the monotonic clock. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void refresh_tick(struct zfs_refresher *r)
{
    struct zfs_fs *fs = r->fs;
    int changed = 0;
    zf_err e = {0};
    double t0 = now_s();
    zf_code rc = zf_refresh(fs->z, &changed, &e);
    double t1 = now_s();
    if (rc != ZF_OK) {
        /* Nothing is invalidated: what the kernel holds is the best there
         * is while the store cannot be read. */
        refresh_failed(r, &e);
        return;
    }
    if (r->last_error) {
        zfs_log(LOG_INFO, "metadata refresh works again");
        free(r->last_error);
        r->last_error = NULL;
    }
    const zfs_table *old = zfs_tables_current(&fs->tables);
    zfs_table *t = NULL;
    if (changed || r->pending) {
        /* A failed build (logged) leaves the old table, whose arrays stay
         * valid; the next tick builds again. */
        t = zfs_table_build(fs->z, r->store, r->views, old, fs->notes);
        r->pending = t == NULL;
    }
    if (t) {
        zfs_tables_publish(&fs->tables, t);
        log_changes(old, t, t1 - t0, now_s() - t1);
    }
    notify(r, t ? old : NULL, t ? t : old);
    zfs_tables_unpin(old);
    /* Tables retired before, that no operation or open file uses now. */
    size_t freed = zfs_tables_reclaim(&fs->tables);
    if (freed)
        zfs_log(LOG_INFO, "freed %zu retired inode tables; %zu kept", freed,
                zfs_tables_retired(&fs->tables));
}

static void *refresh_thread(void *arg)
{
    struct zfs_refresher *r = arg;
    pthread_mutex_lock(&r->w.lock);
    while (!r->w.stop) {
        struct timespec due;
        clock_gettime(CLOCK_MONOTONIC, &due);
        double whole = (double)(time_t)r->period;
        due.tv_sec += (time_t)whole;
        due.tv_nsec += (long)((r->period - whole) * 1e9);
        if (due.tv_nsec >= 1000000000L) {
            due.tv_sec++;
            due.tv_nsec -= 1000000000L;
        }
        while (!r->w.stop &&
               pthread_cond_timedwait(&r->w.wake, &r->w.lock, &due) != ETIMEDOUT)
            ;
        if (r->w.stop)
            break;
        pthread_mutex_unlock(&r->w.lock);
        refresh_tick(r);
        pthread_mutex_lock(&r->w.lock);
    }
    pthread_mutex_unlock(&r->w.lock);
    return NULL;
}

int zfs_refresher_start(struct zfs_refresher *r)
{
    if (zfs_worker_start(&r->w, refresh_thread, r, "metadata refresher") != 0)
        return -1;
    zfs_log(LOG_DEBUG, "metadata refreshed every %g s", r->period);
    return 0;
}

void zfs_refresher_detach(struct zfs_refresher *r)
{
    pthread_mutex_lock(&r->w.lock);
    r->se = NULL;
    pthread_mutex_unlock(&r->w.lock);
}

void zfs_refresher_stop(struct zfs_refresher *r)
{
    zfs_refresher_detach(r);
    zfs_worker_stop(&r->w);
    zfs_worker_destroy(&r->w);
    free(r->last_error);
    r->last_error = NULL;
}
