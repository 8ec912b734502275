/*
 * bufpool.h - large byte buffers kept for reuse.  Fetch runs need a buffer
 * of a few MiB for each store request; allocating them fresh each time costs
 * a page fault per 4 KiB (the kernel zeroes every page), which measured as
 * much as the decoding itself.  Returned buffers are kept, up to `keep`
 * bytes in all, and handed out again to requests they are large enough for.
 * Thread-safe (one mutex).  Ownership: zf_bufpool_get's buffer goes back
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

#endif
