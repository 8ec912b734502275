/* cache.c - see cache.h.  A chained hash table for lookups and a doubly
 * linked list in recency order (head = most recent) for eviction. */
#include "cache.h"
#include "bufpool.h"
#include "hash.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 4096

enum { LOADING, READY };

struct zf_cache {
    pthread_mutex_t lock;
    pthread_cond_t room;    /* signalled when a charge ends */
    zf_bufpool *bufs;       /* kept buffers charged here (zf_cache_share) */
    size_t charged;         /* bytes charged in flight, of both kinds */
    int charges;            /* how many decodes in flight (zf_cache_charge) */
    zf_pool *pool;
    zf_cache_counters *counters;
    size_t budget, bytes;   /* bytes: of the entries within the budget */
    int oversize;           /* entries larger than the budget (see cache.h) */
    zf_centry *buckets[NBUCKETS];
    zf_centry *head, *tail; /* in the table, by recency */
};

static size_t hash(const void *owner, const char *key, uint64_t off)
{
    uint64_t h = zf_fnv1a(ZF_FNV_OFFSET ^ (uint64_t)(uintptr_t)owner ^ off * 31,
                          key);
    return (size_t)(h ^ h >> 29) % NBUCKETS;
}

static void lru_unlink(zf_cache *c, zf_centry *e)
{
    if (e->prev) e->prev->next = e->next; else c->head = e->next;
    if (e->next) e->next->prev = e->prev; else c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push(zf_cache *c, zf_centry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head) c->head->prev = e; else c->tail = e;
    c->head = e;
}

static void entry_free(zf_centry *e)
{
    free(e->data);
    free(e->key);
    free(e);
}

/* Takes e out of the table (it stays alive while referenced). */
static void unlink_entry(zf_cache *c, zf_centry *e)
{
    zf_centry **pp = &c->buckets[hash(e->owner, e->key, e->off)];
    while (*pp && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = e->hnext;
    lru_unlink(c, e);
    if (e->size > c->budget)
        c->oversize--;
    else
        c->bytes -= e->size;
    e->owner = NULL; /* marks "not in the table" */
    if (e->prefetched && c->counters)
        atomic_fetch_add(&c->counters->prefetch_wasted_bytes, e->size);
}

/* The bytes charged to the budget besides the entries within it: decodes
 * in flight and the shared pool's kept buffers (`kept`, read once by the
 * caller: the pool's lock is not held across the cache's work). */
static size_t others(const zf_cache *c, size_t kept)
{
    return c->charged + kept;
}

static size_t kept_now(const zf_cache *c)
{
    return c->bufs ? zf_bufpool_kept(c->bufs) : 0;
}

/* Whether one class of entries has no room: those within the budget for
 * `need` more bytes, or those larger than it (oversize) for one more. */
static int full(const zf_cache *c, int oversize, size_t need, size_t kept)
{
    return oversize ? c->oversize >= ZF_CACHE_OVERSIZE
                    : c->bytes + others(c, kept) + need > c->budget;
}

/* Frees kept pool buffers until `need` more bytes fit the budget (or
 * none is left); returns whether they fit. */
static int trim_pool(zf_cache *c, size_t need, size_t *kept)
{
    if (*kept && full(c, 0, need, *kept))
        *kept -= zf_bufpool_trim(c->bufs, c->bytes + others(c, *kept) + need - c->budget);
    return !full(c, 0, need, *kept);
}

/* Evicts unreferenced ready entries of that class from the cold end until
 * it has room, then (for the budget's class) trims the shared pool: a
 * decoded chunk costs a decode to get back, a pooled buffer only page
 * faults.  Returns 0 if it cannot make the room. */
static int make_room(zf_cache *c, int oversize, size_t need)
{
    size_t kept = kept_now(c);
    for (zf_centry *e = c->tail, *prev; e && full(c, oversize, need, kept); e = prev) {
        prev = e->prev;
        if (e->refs == 0 && e->state == READY && (e->size > c->budget) == oversize) {
            unlink_entry(c, e);
            entry_free(e);
        }
    }
    return oversize ? !full(c, 1, need, kept) : trim_pool(c, need, &kept);
}

zf_code zf_cache_new(size_t budget, zf_pool *pool, zf_cache_counters *counters,
                     zf_cache **out, zf_err *err)
{
    zf_cache *c = calloc(1, sizeof *c);
    if (!c)
        return zf_err_set(err, ZF_ENOMEM, "cache: out of memory");
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->room, NULL);
    c->pool = pool;
    c->counters = counters;
    c->budget = budget;
    *out = c;
    return ZF_OK;
}

void zf_cache_free(zf_cache *c)
{
    if (!c)
        return;
    for (zf_centry *e = c->head, *n; e; e = n) {
        n = e->next;
        entry_free(e);
    }
    pthread_cond_destroy(&c->room);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static zf_centry *find(zf_cache *c, const void *owner, const char *key,
                       uint64_t off)
{
    for (zf_centry *e = c->buckets[hash(owner, key, off)]; e; e = e->hnext)
        if (e->owner == owner && e->off == off && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static zf_centry *insert(zf_cache *c, const void *owner, const char *key,
                         uint64_t off, uint64_t tag, size_t size, int prefetch)
{
    zf_centry *e = calloc(1, sizeof *e);
    if (!e || !(e->key = strdup(key)) || !(e->data = zf_big_alloc(size))) {
        if (e)
            free(e->key);
        free(e);
        return NULL;
    }
    e->size = size;
    e->owner = owner;
    e->off = off;
    e->tag = tag;
    e->state = LOADING;
    e->refs = 1;
    e->prefetched = prefetch;
    e->ready.pending = 1;
    size_t b = hash(owner, key, off);
    e->hnext = c->buckets[b];
    c->buckets[b] = e;
    lru_push(c, e);
    if (size > c->budget)
        c->oversize++;
    else
        c->bytes += size;
    return e;
}

zf_cache_result zf_cache_acquire(zf_cache *c, const void *owner,
                                 const char *key, uint64_t off, uint64_t tag,
                                 size_t size, zf_cache_mode mode,
                                 zf_centry **out)
{
    int prefetch = mode == ZF_CACHE_PREFETCH;
    *out = NULL;
    pthread_mutex_lock(&c->lock);
    zf_centry *e = find(c, owner, key, off);
    if (e && (e->tag != tag || e->size != size)) {
        /* Stale: the key changed under us.  An entry still loading the
         * old version leaves the table too (its loader and waiters keep it,
         * they asked for that version): waiting for it would serve this
         * caller, who has seen the new version, the old bytes. */
        if (c->counters)
            atomic_fetch_add(&c->counters->stale, 1);
        unlink_entry(c, e);
        if (e->refs == 0)
            entry_free(e);
        e = NULL;
    }
    if (e) {
        e->refs++;
        lru_unlink(c, e);
        lru_push(c, e);
        int hit = e->state == READY;
        if (hit && !prefetch && c->counters) {
            atomic_fetch_add(&c->counters->hits, 1);
            if (e->prefetched)
                atomic_fetch_add(&c->counters->prefetch_hits, 1);
        }
        if (!prefetch)
            e->prefetched = 0;
        pthread_mutex_unlock(&c->lock);
        *out = e;
        return hit ? ZF_CACHE_HIT : ZF_CACHE_BUSY;
    }
    /* A read's entry is inserted even when the entries in use leave no
     * room: decoding a chunk it uses a slice of without keeping it would
     * decode it again for every slice.  The budget is then exceeded by
     * what readers hold, and restored as they release it. */
    int room = mode != ZF_CACHE_LOOKUP &&
               (size > c->budget ? make_room(c, 1, 0)
                : prefetch      ? !full(c, 0, size, kept_now(c))
                                : (make_room(c, 0, size), 1));
    if (room)
        e = insert(c, owner, key, off, tag, size, prefetch);
    if (!prefetch && c->counters)
        atomic_fetch_add(&c->counters->misses, 1);
    pthread_mutex_unlock(&c->lock);
    *out = e;
    return e ? ZF_CACHE_LOAD : ZF_CACHE_NONE;
}

int zf_cache_wait(zf_cache *c, zf_centry *e)
{
    zf_group_wait(c->pool, &e->ready);
    pthread_mutex_lock(&c->lock);
    int ok = e->state == READY;
    pthread_mutex_unlock(&c->lock);
    if (!ok)
        zf_cache_release(c, e);
    return ok;
}

void zf_cache_publish(zf_cache *c, zf_centry *e, int ok)
{
    pthread_mutex_lock(&c->lock);
    if (ok)
        e->state = READY;
    else if (e->owner) {
        e->prefetched = 0;
        unlink_entry(c, e);
    }
    pthread_mutex_unlock(&c->lock);
    zf_group_done(c->pool, &e->ready);
}

void zf_cache_release(zf_cache *c, zf_centry *e)
{
    pthread_mutex_lock(&c->lock);
    int dead = --e->refs == 0 && !e->owner;
    /* Over budget (entries pinned while we read them): trim now. */
    if (!dead && c->bytes > c->budget)
        make_room(c, 0, 0);
    pthread_mutex_unlock(&c->lock);
    if (dead)
        entry_free(e);
}

void zf_cache_share(zf_cache *c, zf_bufpool *bufs)
{
    c->bufs = bufs;
}

void zf_cache_charge(zf_cache *c, size_t n)
{
    pthread_mutex_lock(&c->lock);
    /* A charge evicts no entry: a stream's prefetched row would push out
     * the row it is reading (dd decoded 158 chunks for 8, 14x slower);
     * the entries made room for themselves when claimed.  It trims the
     * pool, and waits only while another charge is in flight: that decode
     * ends without waiting for anything, so the wait ends; with none in
     * flight it goes ahead even over the budget, so one decode always
     * progresses. */
    size_t kept = kept_now(c);
    while (!trim_pool(c, n, &kept) && c->charges > 0) {
        pthread_cond_wait(&c->room, &c->lock);
        kept = kept_now(c);
    }
    c->charged += n;
    c->charges++;
    pthread_mutex_unlock(&c->lock);
}

int zf_cache_charge_try(zf_cache *c, size_t n)
{
    pthread_mutex_lock(&c->lock);
    size_t kept = kept_now(c);
    int ok = trim_pool(c, n, &kept);
    if (ok)
        c->charged += n;
    pthread_mutex_unlock(&c->lock);
    return ok;
}

void zf_cache_uncharge(zf_cache *c, size_t n, int decode)
{
    pthread_mutex_lock(&c->lock);
    c->charged -= n;
    c->charges -= decode;
    pthread_mutex_unlock(&c->lock);
    pthread_cond_broadcast(&c->room);
}

size_t zf_cache_bytes(zf_cache *c)
{
    pthread_mutex_lock(&c->lock);
    size_t b = c->bytes;
    pthread_mutex_unlock(&c->lock);
    return b;
}
