/*
 * stat_table.h - what a remote store has learnt of its keys: size, time and
 * version of each key seen, or that it is missing (store_http.c).
 *
 * A hash table of at most ZF_STAT_TABLE_MAX entries; when full it is emptied
 * (a forgotten key costs one HEAD later), so memory is bounded.  The version
 * that tags cached chunks is the ETag's hash, else a mix of size and time.
 * The ETag text is kept too, for If-Match.
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
 * had none; the time known before is kept), etag (a hash of the ETag, 0:
 * none) and etag_text (the ETag as sent, NULL or "" when unknown), or
 * missing (found = 0). */
void zf_stat_table_put(zf_stat_table *t, const char *key, int found,
                       uint64_t size, time_t mtime, uint64_t etag,
                       const char *etag_text);

/* What a request can send to make sure it reads `version` of key, and what
 * its reply must show: 1 when that is the version known, with etag (cap
 * bytes) its ETag for If-Match, or "" and *mtime its Last-Modified time for
 * If-Unmodified-Since when it had no strong ETag (0: none known), and *size
 * its size; 0 when nothing is known of key; -1 when another version (or its
 * absence) is: a reply since has told that key changed. */
int zf_stat_table_validator(zf_stat_table *t, const char *key, uint64_t version,
                            char *etag, size_t cap, time_t *mtime,
                            uint64_t *size);

/* Forgets key (its version changed: the next stat asks the server). */
void zf_stat_table_drop(zf_stat_table *t, const char *key);

/* The version a key gets from these facts: the ETag's hash, else a mix of
 * size and time (Last-Modified, in seconds); never 0. */
uint64_t zf_stat_version(uint64_t size, time_t mtime, uint64_t etag);

#endif
