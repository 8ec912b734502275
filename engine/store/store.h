/*
 * store.h - where the bytes of a Zarr store come from.  A store maps keys
 * ("a/b/zarr.json", "a/b/c/0/1") to byte strings and reads byte ranges of
 * them.  This is an interface (a table of functions): the local folder store
 * (store_local.c) and the HTTP/S3 store (store_http.h) fit the same engine.
 *
 * Reads take a batch of ranges, possibly of several keys (both stores run
 * a batch in turn; the engine's I/O threads pass one range per call, and
 * their number is what bounds the requests in flight).  Each request gets
 * its own result: a missing key (ZF_ENOTFOUND) is distinct from an I/O
 * error (ZF_EIO).
 *
 * Ownership: zf_store_open_* returns a store freed with zf_store_close.
 * Thread safety: every function may be called from any number of threads.
 */
#ifndef ZF_STORE_H
#define ZF_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"

typedef struct zf_store zf_store;

typedef struct zf_store_stat {
    uint64_t size;
    time_t mtime;
    uint64_t version; /* differs when the key's content may have changed
                         (local: inode, size, mtime and ctime in ns;
                         remote: the ETag, else size and Last-Modified);
                         never 0, and compared whole: two versions that
                         differ in one bit are two versions */
} zf_store_stat;

/* One range read.  `offset` is from the start of the key; a negative offset
 * means "the last -offset bytes" (a suffix range) and then len is ignored.
 * `buf` must hold len bytes (or -offset bytes for a suffix).  `version` is
 * 0 (none), or the key's zf_store_stat.version that the caller planned with;
 * a store
 * that can tell which version it read fails the read with ZF_ECHANGED when
 * that differs, so that bytes of one version are never read at the offsets
 * of another (local: the file's identity and times after the read; remote:
 * If-Match with the version's ETag, the reply's ETag compared, or
 * If-Unmodified-Since where the server gave no ETag).  On return
 * `code` is ZF_OK and `got` the bytes read (less than len only at the end of
 * the key), or an error described in `err`; `read_version` is the version
 * the bytes came from where the store can tell (remote: from the reply's
 * validators), else 0. */
typedef struct zf_range_req {
    const char *key;
    int64_t offset;
    size_t len;
    void *buf;
    uint64_t version;
    uint64_t read_version;
    size_t got;
    zf_code code;
    zf_err err;
} zf_range_req;

typedef struct zf_store_ops {
    void (*read)(zf_store *s, zf_range_req *reqs, size_t n);
    zf_code (*stat)(zf_store *s, const char *key, zf_store_stat *st,
                    zf_err *err);
    /* Calls fn for each immediate child name under prefix ("" = root, else a
     * key ending in "/"); `is_dir` says whether the child has children. */
    zf_code (*list)(zf_store *s, const char *prefix,
                    void (*fn)(void *arg, const char *name, int is_dir),
                    void *arg, zf_err *err);
    void (*close)(zf_store *s);
    /* Optional (NULL: nothing to do): forget what the store remembers of
     * keys (a remote store's sizes, versions and missing keys), so that the
     * next stat or read asks again.  Safe while other threads read. */
    void (*forget)(zf_store *s);
    /* Optional: what the store knows of key without asking anyone: 1 (it
     * exists; st filled), 0 (it is missing), -1 (unknown: a stat would cost
     * a request).  NULL for stores whose stat is cheap. */
    int (*peek)(zf_store *s, const char *key, zf_store_stat *st);
} zf_store_ops;

struct zf_store {
    const zf_store_ops *ops;
    char *root; /* a description of where the store is, for messages */
    /* How reads of nearby ranges are merged (fetch.h): ranges closer than
     * coalesce_gap join one request of at most coalesce_max bytes.  Large
     * requests pay off where each costs a round trip; a local file gains
     * little beyond fewer system calls, and big buffers cost page faults. */
    uint64_t coalesce_gap, coalesce_max;
};

/* A local folder.  `max_fds` bounds the descriptors kept open (0 = default).
 * A missing or unreadable folder is an error here, not at the first read. */
zf_code zf_store_open_local(const char *path, int max_fds, zf_store **out,
                            zf_err *err);
/* The same; no_openat2 = 1 takes the path of kernels without openat2 (keys
 * walked one component at a time, no symbolic link followed), so that the
 * unit test covers that path on any kernel. */
zf_code zf_store_open_local_ex(const char *path, int max_fds, int no_openat2,
                               zf_store **out, zf_err *err);

static inline void zf_store_read(zf_store *s, zf_range_req *reqs, size_t n)
{
    s->ops->read(s, reqs, n);
}
static inline zf_code zf_store_stat_key(zf_store *s, const char *key,
                                        zf_store_stat *st, zf_err *err)
{
    return s->ops->stat(s, key, st, err);
}
static inline void zf_store_forget(zf_store *s)
{
    if (s->ops->forget)
        s->ops->forget(s);
}
/* See zf_store_ops.peek; a store without it "knows" nothing. */
static inline int zf_store_peek(zf_store *s, const char *key, zf_store_stat *st)
{
    return s->ops->peek ? s->ops->peek(s, key, st) : -1;
}
/* 1 when finding out a key's size costs a request (a remote store): it is
 * then cheaper to read what is needed first and learn the size from the
 * reply. */
static inline int zf_store_stat_is_costly(const zf_store *s)
{
    return s->ops->peek != NULL;
}
static inline void zf_store_close(zf_store *s)
{
    if (s)
        s->ops->close(s);
}

/* 1 if key names something inside a store: not empty, no leading "/", no
 * empty, "." or ".." component (a trailing "/" is allowed: list prefixes end
 * in one).  Stores refuse other keys; the tree refuses node paths of
 * consolidated metadata that fail it. */
int zf_store_key_is_safe(const char *key);

/* Reads a whole key into a new malloc'd buffer (NUL-terminated, for JSON);
 * refuses keys larger than max_size with ZF_ELIMIT.  On a store whose stat
 * costs a request, a small key costs one read and no stat (a missing key is
 * ZF_ENOTFOUND from that read); other stores are stat'ed first. */
zf_code zf_store_get(zf_store *s, const char *key, size_t max_size,
                     uint8_t **data, size_t *len, zf_err *err);

#endif
