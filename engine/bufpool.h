/*
 * bufpool.h - large byte buffers kept for reuse.  Fetch runs need a buffer
 * of a few MiB for each store request; allocating them fresh each time costs
 * a page fault per 4 KiB (the kernel zeroes every page), which measured as
 * much as the decoding itself.  Returned buffers are kept, up to `keep`
 * bytes in all, and handed out again to requests they are large enough for.
 * The kept bytes count against the chunk cache's budget (cache.h,
 * zf_cache_share), which trims the pool when it needs the room.
 * Thread-safe (one mutex, never held while another lock is taken, so a
 * cache may call in under its own).  Ownership: zf_bufpool_get's buffer goes back
 * with zf_bufpool_put (or is freed with free() by whoever holds it).
 */
#ifndef ZF_BUFPOOL_H
#define ZF_BUFPOOL_H

#include <pthread.h>
#include <stddef.h>

#define ZF_BUFPOOL_SLOTS 32

typedef struct zf_bufpool {
    pthread_mutex_t lock;
    size_t keep, kept;
    int n;
    void *buf[ZF_BUFPOOL_SLOTS];
    size_t cap[ZF_BUFPOOL_SLOTS];
} zf_bufpool;

void zf_bufpool_init(zf_bufpool *p, size_t keep);

/* malloc for large buffers: one of ZF_BIG_ALLOC bytes or more is aligned to
 * it and its whole 2 MiB pages are asked for transparent huge pages
 * (madvise: a hint, THP may be off), so that first touching it costs one
 * page fault per 2 MiB rather than one per 4 KiB.  Freed with free();
 * realloc may move it. */
#define ZF_BIG_ALLOC ((size_t)2 << 20)
void *zf_big_alloc(size_t size);
void zf_bufpool_destroy(zf_bufpool *p);

/* A buffer of at least size bytes (*cap receives its size), or NULL; a new
 * one comes from zf_big_alloc. */
void *zf_bufpool_get(zf_bufpool *p, size_t size, size_t *cap);
void zf_bufpool_put(zf_bufpool *p, void *buf, size_t cap);

/* The bytes kept now. */
size_t zf_bufpool_kept(zf_bufpool *p);

/* Frees kept buffers, the largest first, until `want` bytes are freed or
 * none is left; returns the bytes freed. */
size_t zf_bufpool_trim(zf_bufpool *p, size_t want);

#endif
