/* bufpool.c - see bufpool.h. */
#include "bufpool.h"

#include <stdlib.h>
#include <sys/mman.h>

void *zf_big_alloc(size_t size)
{
    if (size < ZF_BIG_ALLOC)
        return malloc(size ? size : 1);
    void *p = NULL;
    if (posix_memalign(&p, ZF_BIG_ALLOC, size) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    /* whole huge pages only: a tail past the last one stays in small pages,
     * so memory never grows by more than the buffer's size */
    (void)madvise(p, size & ~(ZF_BIG_ALLOC - 1), MADV_HUGEPAGE);
#endif
    return p;
}

/* Takes slot i out of the pool (under its lock); returns its buffer. */
static void *take_slot(zf_bufpool *p, int i)
{
    void *b = p->buf[i];
    p->kept -= p->cap[i];
    p->n--;
    p->buf[i] = p->buf[p->n];
    p->cap[i] = p->cap[p->n];
    return b;
}

void zf_bufpool_init(zf_bufpool *p, size_t keep)
{
    pthread_mutex_init(&p->lock, NULL);
    p->keep = keep;
    p->kept = 0;
    p->n = 0;
}

void zf_bufpool_destroy(zf_bufpool *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->buf[i]);
    p->n = 0;
    pthread_mutex_destroy(&p->lock);
}

void *zf_bufpool_get(zf_bufpool *p, size_t size, size_t *cap)
{
    if (size == 0)
        size = 1;
    pthread_mutex_lock(&p->lock);
    int best = -1; /* the smallest kept buffer that is large enough */
    for (int i = 0; i < p->n; i++)
        if (p->cap[i] >= size && (best < 0 || p->cap[i] < p->cap[best]))
            best = i;
    if (best >= 0) {
        *cap = p->cap[best];
        void *b = take_slot(p, best);
        pthread_mutex_unlock(&p->lock);
        return b;
    }
    pthread_mutex_unlock(&p->lock);
    *cap = size;
    return zf_big_alloc(size);
}

void zf_bufpool_put(zf_bufpool *p, void *buf, size_t cap)
{
    if (!buf)
        return;
    pthread_mutex_lock(&p->lock);
    /* Make room by dropping the smallest kept buffers first. */
    while (p->n > 0 && (p->n == ZF_BUFPOOL_SLOTS || p->kept + cap > p->keep)) {
        int s = 0;
        for (int i = 1; i < p->n; i++)
            if (p->cap[i] < p->cap[s])
                s = i;
        if (p->cap[s] >= cap)
            break;
        free(take_slot(p, s));
    }
    if (p->n < ZF_BUFPOOL_SLOTS && p->kept + cap <= p->keep) {
        p->buf[p->n] = buf;
        p->cap[p->n++] = cap;
        p->kept += cap;
        buf = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    free(buf);
}

size_t zf_bufpool_kept(zf_bufpool *p)
{
    pthread_mutex_lock(&p->lock);
    size_t k = p->kept;
    pthread_mutex_unlock(&p->lock);
    return k;
}

size_t zf_bufpool_trim(zf_bufpool *p, size_t want)
{
    size_t freed = 0;
    pthread_mutex_lock(&p->lock);
    while (p->n > 0 && freed < want) {
        int l = 0;
        for (int i = 1; i < p->n; i++)
            if (p->cap[i] > p->cap[l])
                l = i;
        freed += p->cap[l];
        free(take_slot(p, l));
    }
    pthread_mutex_unlock(&p->lock);
    return freed;
}
