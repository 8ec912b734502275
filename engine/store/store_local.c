/*
 * store_local.c - a Zarr store in a local folder.
 *
 * Range reads use pread on descriptors kept open in a small table (bounded by
 * max_fds, least recently used closed first), so a hot chunk costs one system
 * call.  Keys are paths relative to the root folder and are opened with openat
 * on the root's descriptor; keys with "." or ".." components or a leading "/"
 * are refused, so a key can never name a file outside the folder through its
 * spelling.  Thread-safe: the table has one mutex; a descriptor in use is
 * never closed (reference counts).
 *
 * Containment: nothing outside the root folder is ever opened, read, stat'ed
 * or listed, whatever symbolic links the store holds.  Keys are resolved with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), which follows links that
 * stay inside the root and refuses (EXDEV) any that lead out of it.  Where
 * the kernel (before 5.6) or a seccomp filter lacks openat2 (and in the unit
 * test, through zf_store_open_local_ex), keys are walked one
 * component at a time with O_NOFOLLOW, and then no symbolic link is followed
 * at all.  Either way a refused link is ZF_EIO with a message saying so,
 * never "no such key" (which would read as fill values).  The listing never
 * reports a symbolic link as a folder, so the tree walk never enters one.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#define ZF_LOCAL_DEFAULT_FDS 128

typedef struct fd_slot {
    char *key; /* NULL when free */
    int fd;
    int refs;
    uint64_t used; /* tick of last use, for LRU */
    ino_t ino;     /* of the file the descriptor has open */
    dev_t dev;
    int stale;     /* key forgotten while in use: close at last release */
} fd_slot;

typedef struct local_store {
    zf_store base;
    int rootfd;
    int beneath; /* 1: openat2 with RESOLVE_BENEATH; 0: the component walk */
    pthread_mutex_t lock;
    fd_slot *slots;
    int nslots;
    uint64_t tick;
} local_store;

/* errno of a symbolic link the fallback walk does not follow. */
#define ZF_ELINK ELOOP

static zf_code open_error(const char *key, int e, zf_err *err)
{
    if (e == ENOENT || e == ENOTDIR)
        return zf_err_set(err, ZF_ENOTFOUND, "%s: no such key", key);
    if (e == EXDEV || e == ELOOP)
        return zf_err_set(err, ZF_EIO, "%s: a symbolic link on the way leads "
                          "outside the store's folder (or loops); it is not "
                          "followed", key);
    return zf_err_set(err, ZF_EIO, "%s: %s", key, strerror(e));
}

/* openat2 with RESOLVE_BENEATH; -1 with errno ENOSYS where there is none. */
static int openat2_beneath(int dirfd, const char *path, int flags)
{
#ifdef SYS_openat2
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)flags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
#else
    (void)dirfd, (void)path, (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}

/* The fallback: walks key from dirfd one component at a time, refusing
 * every symbolic link (errno ZF_ELINK).  flags are those of the last
 * component's open. */
static int open_walk(int dirfd, const char *key, int flags)
{
    char *path = strdup(key);
    if (!path) {
        errno = ENOMEM;
        return -1;
    }
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        path[--n] = 0; /* a folder prefix "a/b/" */
    int dfd = dirfd, fd = -1;
    char *comp = path;
    for (;;) {
        char *slash = strchr(comp, '/');
        if (slash)
            *slash = 0;
        int last = slash == NULL;
        int f = last ? flags | O_NOFOLLOW
                     : O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
        fd = openat(dfd, comp, f);
        int e = errno;
        if (fd < 0 && (e == ENOTDIR || e == ELOOP)) {
            /* A symbolic link where a folder or file was due? */
            struct stat st;
            if (fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(st.st_mode))
                e = ZF_ELINK;
        } else if (fd >= 0 && (flags & O_PATH)) {
            /* O_PATH | O_NOFOLLOW opens a link itself: refuse it here. */
            struct stat st;
            if (fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
                close(fd);
                fd = -1;
                e = ZF_ELINK;
            }
        }
        if (dfd != dirfd)
            close(dfd);
        if (fd < 0 || last) {
            free(path);
            errno = e;
            return fd;
        }
        dfd = fd;
        comp = slash + 1;
    }
}

/* Opens key (a file, or a folder given O_DIRECTORY) beneath the root. */
static int open_beneath(local_store *s, const char *key, int flags)
{
    flags |= O_CLOEXEC;
    if (s->beneath) {
        int fd;
        do
            fd = openat2_beneath(s->rootfd, key, flags);
        while (fd < 0 && errno == EAGAIN);
        return fd;
    }
    return open_walk(s->rootfd, key, flags);
}

/* Finds or opens the descriptor of key; returns the slot index with a
 * reference taken, or -1 with err set. */
static int slot_acquire(local_store *s, const char *key, zf_err *err)
{
    pthread_mutex_lock(&s->lock);
    int victim = -1;
    for (int i = 0; i < s->nslots; i++) {
        fd_slot *sl = &s->slots[i];
        if (sl->key && strcmp(sl->key, key) == 0) {
            sl->refs++;
            sl->used = ++s->tick;
            pthread_mutex_unlock(&s->lock);
            return i;
        }
        if (sl->refs == 0 &&
            (victim < 0 || !sl->key ||
             (s->slots[victim].key && sl->used < s->slots[victim].used)))
            victim = i;
    }
    pthread_mutex_unlock(&s->lock);

    /* O_NONBLOCK: a FIFO at a key must not block the open; anything but a
     * regular file is refused. */
    int fd = open_beneath(s, key, O_RDONLY | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            zf_err_set(err, ZF_EIO, "%s: not a regular file", key);
        } else
            open_error(key, e, err);
        return -1;
    }
    pthread_mutex_lock(&s->lock);
    /* The table may have changed while we opened; find a free victim again. */
    victim = -1;
    for (int i = 0; i < s->nslots; i++) {
        fd_slot *sl = &s->slots[i];
        if (sl->refs == 0 &&
            (victim < 0 || !sl->key ||
             (s->slots[victim].key && sl->used < s->slots[victim].used)))
            victim = i;
    }
    char *dup = victim >= 0 ? strdup(key) : NULL;
    if (victim < 0 || !dup) {
        /* Every slot is busy (more concurrent reads than slots): read with
         * this descriptor once and close it, signalled by a negative index. */
        pthread_mutex_unlock(&s->lock);
        free(dup);
        return -2 - fd;
    }
    fd_slot *sl = &s->slots[victim];
    if (sl->key) {
        close(sl->fd);
        free(sl->key);
    }
    sl->key = dup;
    sl->fd = fd;
    sl->ino = st.st_ino;
    sl->dev = st.st_dev;
    sl->refs = 1;
    sl->used = ++s->tick;
    pthread_mutex_unlock(&s->lock);
    return victim;
}

static void slot_release(local_store *s, int idx)
{
    if (idx <= -2) {
        close(-2 - idx);
        return;
    }
    pthread_mutex_lock(&s->lock);
    fd_slot *sl = &s->slots[idx];
    if (--sl->refs == 0 && sl->stale) {
        close(sl->fd);
        sl->stale = 0;
    }
    pthread_mutex_unlock(&s->lock);
}

static int slot_fd(local_store *s, int idx)
{
    return idx <= -2 ? -2 - idx : s->slots[idx].fd;
}

/* A file's version: a rewrite changes mtime or ctime; a replacement by
 * rename, the inode. */
static uint64_t file_version(const struct stat *st)
{
    uint64_t v = (uint64_t)st->st_ino * 0x9e3779b97f4a7c15ull;
    v ^= (uint64_t)st->st_size * 1000003u;
    v ^= ((uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec) * 31;
    v ^= ((uint64_t)st->st_ctim.tv_sec * 1000000000u + (uint64_t)st->st_ctim.tv_nsec) * 131;
    return v ? v : 1; /* 0 means "no version" (zf_range_req.version) */
}

/* After a read of r->version: the file the descriptor has open must still
 * be that version (store.h).  Checked after the bytes are read, so that a
 * rewrite in place that began before or during the read is seen. */
static void check_version(int fd, zf_range_req *r)
{
    struct stat st;
    if (r->code != ZF_OK || !r->version)
        return;
    if (fstat(fd, &st) != 0)
        r->code = zf_err_set(&r->err, ZF_EIO, "%s: %s", r->key, strerror(errno));
    else if (file_version(&st) != r->version)
        r->code = zf_err_set(&r->err, ZF_ECHANGED, "%s: changed while being read",
                             r->key);
}

static void read_one(local_store *s, zf_range_req *r)
{
    r->got = 0;
    r->code = ZF_OK;
    if (!zf_store_key_is_safe(r->key)) {
        r->code = zf_err_set(&r->err, ZF_EINVAL, "%s: not a valid key", r->key);
        return;
    }
    int idx = slot_acquire(s, r->key, &r->err);
    if (idx == -1) {
        r->code = r->err.code;
        return;
    }
    int fd = slot_fd(s, idx);
    uint64_t off = (uint64_t)r->offset;
    size_t len = r->len;
    if (r->offset < 0) {
        struct stat st;
        if (fstat(fd, &st) != 0) {
            r->code = zf_err_set(&r->err, ZF_EIO, "%s: %s", r->key, strerror(errno));
            slot_release(s, idx);
            return;
        }
        len = (size_t)-r->offset;
        if ((uint64_t)st.st_size < len)
            len = (size_t)st.st_size;
        off = (uint64_t)st.st_size - len;
    }
    while (r->got < len) {
        ssize_t n = pread(fd, (uint8_t *)r->buf + r->got, len - r->got,
                          (off_t)(off + r->got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r->code = zf_err_set(&r->err, ZF_EIO, "%s: %s", r->key, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        r->got += (size_t)n;
    }
    check_version(fd, r);
    slot_release(s, idx);
}

static void local_read(zf_store *base, zf_range_req *reqs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        read_one((local_store *)base, &reqs[i]);
}

/* A key replaced by another file (a rename over it) must not be read
 * through the descriptor of the old one: forget that descriptor (it is
 * closed when its last reader is done with it). */
static void forget_stale(local_store *s, const char *key, const struct stat *st)
{
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->nslots; i++) {
        fd_slot *sl = &s->slots[i];
        if (!sl->key || strcmp(sl->key, key) != 0)
            continue;
        if (sl->ino != st->st_ino || sl->dev != st->st_dev) {
            free(sl->key);
            sl->key = NULL; /* no longer found; reused once refs is 0 */
            if (sl->refs == 0)
                close(sl->fd);
            else
                sl->stale = 1;
        }
    }
    pthread_mutex_unlock(&s->lock);
}

static zf_code local_stat(zf_store *base, const char *key, zf_store_stat *out,
                          zf_err *err)
{
    local_store *s = (local_store *)base;
    struct stat st;
    if (!zf_store_key_is_safe(key))
        return zf_err_set(err, ZF_EINVAL, "%s: not a valid key", key);
    int fd = open_beneath(s, key, O_PATH);
    if (fd < 0)
        return open_error(key, errno, err);
    int sr = fstat(fd, &st), e = errno;
    close(fd);
    if (sr != 0)
        return open_error(key, e, err);
    if (!S_ISREG(st.st_mode))
        return zf_err_set(err, ZF_EIO, "%s: not a regular file", key);
    forget_stale(s, key, &st);
    out->size = (uint64_t)st.st_size;
    out->mtime = st.st_mtime;
    out->version = file_version(&st);
    return ZF_OK;
}

static zf_code local_list(zf_store *base, const char *prefix,
                          void (*fn)(void *, const char *, int), void *arg,
                          zf_err *err)
{
    local_store *s = (local_store *)base;
    int fd;
    if (prefix[0] == 0)
        fd = openat(s->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    else if (!zf_store_key_is_safe(prefix))
        return zf_err_set(err, ZF_EINVAL, "%s: not a valid key", prefix);
    else
        fd = open_beneath(s, prefix, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return open_error(prefix[0] ? prefix : s->base.root, errno, err);
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return open_error(prefix, errno, err);
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        int is_dir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN) {
            struct stat st;
            /* never through a symbolic link (see the top) */
            is_dir = fstatat(dirfd(d), e->d_name, &st,
                             AT_SYMLINK_NOFOLLOW) == 0 &&
                     S_ISDIR(st.st_mode);
        }
        fn(arg, e->d_name, is_dir);
    }
    closedir(d);
    return ZF_OK;
}

static void local_close(zf_store *base)
{
    local_store *s = (local_store *)base;
    for (int i = 0; i < s->nslots; i++)
        if (s->slots[i].key) {
            close(s->slots[i].fd);
            free(s->slots[i].key);
        }
    free(s->slots);
    close(s->rootfd);
    pthread_mutex_destroy(&s->lock);
    free(s->base.root);
    free(s);
}

/* (no forget: every stat asks the file system, and descriptors follow the
 * key's version) */
static const zf_store_ops local_ops = {local_read, local_stat, local_list,
                                       local_close, NULL, NULL};

zf_code zf_store_open_local(const char *path, int max_fds, zf_store **out,
                            zf_err *err)
{
    return zf_store_open_local_ex(path, max_fds, 0, out, err);
}

zf_code zf_store_open_local_ex(const char *path, int max_fds, int no_openat2,
                               zf_store **out, zf_err *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT
                   ? zf_err_set(err, ZF_ENOTFOUND, "%s: no such folder", path)
                   : zf_err_set(err, ZF_EIO, "%s: %s", path, strerror(errno));
    local_store *s = calloc(1, sizeof *s);
    int n = max_fds > 0 ? max_fds : ZF_LOCAL_DEFAULT_FDS;
    if (s)
        s->slots = calloc((size_t)n, sizeof *s->slots);
    if (s)
        s->base.root = strdup(path);
    if (!s || !s->slots || !s->base.root) {
        if (s) {
            free(s->slots);
            free(s->base.root);
        }
        free(s);
        close(fd);
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory", path);
    }
    s->base.ops = &local_ops;
    s->base.coalesce_gap = (uint64_t)64 << 10;
    s->base.coalesce_max = (uint64_t)256 << 10;
    s->rootfd = fd;
    s->nslots = n;
    /* openat2 where the kernel (and any seccomp filter) allows it. */
    if (!no_openat2) {
        int probe = openat2_beneath(fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (probe >= 0) {
            close(probe);
            s->beneath = 1;
        }
    }
    pthread_mutex_init(&s->lock, NULL);
    *out = &s->base;
    return ZF_OK;
}
