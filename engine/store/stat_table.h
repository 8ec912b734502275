/*
 * stat_table.h - what a remote store has learnt of its keys: size, time and
 * version of each key seen, or that it is missing (store_http.c).
 *
 * A hash table of at most ZF_STAT_TABLE_MAX entries; when full it is emptied
 * (a forgotten key costs one HEAD later), so memory is bounded.  The version
 * that tags cached chunks is the ETag's hash, else a mix of size and time.
 * Thread-safe: one mutex per table.  Entries are copied in and out; the
 * caller owns nothing inside.  Out of memory only loses an entry.
 */
#ifndef ZF_STAT_TABLE_H
#define ZF_STAT_TABLE_H

#include <pthread.h>

#include "store.h"

#define ZF_STAT_TABLE_BUCKETS 4096
#define ZF_STAT_TABLE_MAX 65536

typedef struct zf_stat_ent zf_stat_ent;

typedef struct zf_stat_table {
    pthread_mutex_t lock;
    zf_stat_ent *b[ZF_STAT_TABLE_BUCKETS];
    size_t n;
} zf_stat_table;

void zf_stat_table_init(zf_stat_table *t);
/* Empties the table and destroys its mutex. */
void zf_stat_table_free(zf_stat_table *t);
/* Forgets every key (the store's forget). */
void zf_stat_table_clear(zf_stat_table *t);

/* 1 (known: *st filled), 0 (known to be missing), -1 (unknown). */
int zf_stat_table_get(zf_stat_table *t, const char *key, zf_store_stat *st);

/* Remembers what a reply said of key: found with size, mtime (0: the reply
 * had none; the time known before is kept) and etag (a hash of the ETag, 0:
 * none), or missing (found = 0). */
void zf_stat_table_put(zf_stat_table *t, const char *key, int found,
                       uint64_t size, time_t mtime, uint64_t etag);

/* The version a key gets from these facts. */
uint64_t zf_stat_version(uint64_t size, time_t mtime, uint64_t etag);

#endif
