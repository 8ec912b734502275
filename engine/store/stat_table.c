/*
 * stat_table.c - the remote store's table of what it knows of keys; see
 * stat_table.h.
 */
#include "stat_table.h"

#include "hash.h"

#include <stdlib.h>
#include <string.h>

struct zf_stat_ent {
    zf_stat_ent *next;
    int found;
    zf_store_stat st;
    char *etag; /* the ETag as the server sent it, or NULL */
    char key[];
};

static size_t bucket_of(const char *k)
{
    return (size_t)(zf_fnv1a(ZF_FNV_OFFSET, k) % ZF_STAT_TABLE_BUCKETS);
}

void zf_stat_table_init(zf_stat_table *t)
{
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
}

static void clear_locked(zf_stat_table *t)
{
    for (size_t i = 0; i < ZF_STAT_TABLE_BUCKETS; i++)
        while (t->b[i]) {
            zf_stat_ent *e = t->b[i];
            t->b[i] = e->next;
            free(e->etag);
            free(e);
        }
    t->n = 0;
}

void zf_stat_table_clear(zf_stat_table *t)
{
    pthread_mutex_lock(&t->lock);
    clear_locked(t);
    pthread_mutex_unlock(&t->lock);
}

void zf_stat_table_free(zf_stat_table *t)
{
    clear_locked(t);
    pthread_mutex_destroy(&t->lock);
}

int zf_stat_table_get(zf_stat_table *t, const char *key, zf_store_stat *st)
{
    int r = -1;
    pthread_mutex_lock(&t->lock);
    for (zf_stat_ent *e = t->b[bucket_of(key)]; e; e = e->next)
        if (!strcmp(e->key, key)) {
            r = e->found;
            *st = e->st;
            break;
        }
    pthread_mutex_unlock(&t->lock);
    return r;
}

uint64_t zf_stat_version(uint64_t size, time_t mtime, uint64_t etag)
{
    uint64_t v = etag ? etag : size * 0x9e3779b97f4a7c15ull ^ (uint64_t)mtime;
    return v ? v : 1; /* 0 means "no version" (zf_range_req.version) */
}

/* The entry of key, added if new; NULL when out of memory.  Locked. */
static zf_stat_ent *entry_locked(zf_stat_table *t, const char *key)
{
    size_t b = bucket_of(key);
    zf_stat_ent *e = t->b[b];
    while (e && strcmp(e->key, key))
        e = e->next;
    if (e)
        return e;
    if (t->n >= ZF_STAT_TABLE_MAX)
        clear_locked(t); /* bounded; a miss costs one HEAD */
    size_t kl = strlen(key);
    if (!(e = calloc(1, sizeof *e + kl + 1)))
        return NULL;
    memcpy(e->key, key, kl + 1);
    e->next = t->b[b];
    t->b[b] = e;
    t->n++;
    return e;
}

/* A reply that has neither an ETag nor a time keeps the version known, so
 * that range replies (which may lack Last-Modified) do not change it. */
void zf_stat_table_put(zf_stat_table *t, const char *key, int found,
                       uint64_t size, time_t mtime, uint64_t etag,
                       const char *etag_text)
{
    pthread_mutex_lock(&t->lock);
    zf_stat_ent *e = entry_locked(t, key);
    if (e) {
        e->found = found;
        e->st.size = size;
        if (mtime > 0 || !found)
            e->st.mtime = mtime;
        if (etag || mtime > 0 || !found || !e->st.version) {
            e->st.version = zf_stat_version(size, mtime, etag);
            free(e->etag); /* out of memory: no If-Match, still compared */
            e->etag = etag && etag_text && *etag_text ? strdup(etag_text) : NULL;
        }
    }
    pthread_mutex_unlock(&t->lock);
}

int zf_stat_table_validator(zf_stat_table *t, const char *key, uint64_t version,
                            char *etag, size_t cap, time_t *mtime, uint64_t *size)
{
    int r = 0;
    *mtime = 0;
    *size = 0;
    if (cap)
        etag[0] = 0;
    pthread_mutex_lock(&t->lock);
    for (zf_stat_ent *e = t->b[bucket_of(key)]; e; e = e->next)
        if (!strcmp(e->key, key)) {
            r = -1;
            if (e->found && e->st.version == version) {
                r = 1;
                *size = e->st.size;
                /* a weak ETag never passes If-Match (RFC 9110 13.1.1) */
                if (e->etag && strncmp(e->etag, "W/", 2) && strlen(e->etag) < cap)
                    strcpy(etag, e->etag);
                else
                    *mtime = e->st.mtime;
            }
            break;
        }
    pthread_mutex_unlock(&t->lock);
    return r;
}

void zf_stat_table_drop(zf_stat_table *t, const char *key)
{
    pthread_mutex_lock(&t->lock);
    zf_stat_ent **p = &t->b[bucket_of(key)];
    while (*p && strcmp((*p)->key, key))
        p = &(*p)->next;
    if (*p) {
        zf_stat_ent *e = *p;
        *p = e->next;
        free(e->etag);
        free(e);
        t->n--;
    }
    pthread_mutex_unlock(&t->lock);
}
