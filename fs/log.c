/*
 * log.c - stderr or syslog, and a log-once set (see log.h for the contract).
 */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* This module's state: where messages go and whether debug ones are kept. */
static atomic_int zfs_log_use_syslog;
static atomic_int zfs_log_debug;

struct zfs_errset {
    pthread_mutex_t lock;
    char **keys; /* "path\nmessage", ZFS_ERRSET_MAX slots */
    size_t count;
    int full_reported;
};

void zfs_log_init(int debug)
{
    atomic_store(&zfs_log_debug, debug != 0);
}

void zfs_log_to_syslog(void)
{
    openlog("zarrfs", LOG_PID, LOG_DAEMON);
    atomic_store(&zfs_log_use_syslog, 1);
}

void zfs_log(int level, const char *fmt, ...)
{
    if (level == LOG_DEBUG && !atomic_load(&zfs_log_debug))
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (atomic_load(&zfs_log_use_syslog))
        syslog(level, "%s", line);
    else
        fprintf(stderr, "zarrfs: %s\n", line);
}

zfs_errset *zfs_errset_new(void)
{
    zfs_errset *set = calloc(1, sizeof *set);
    if (!set)
        return NULL;
    set->keys = calloc(ZFS_ERRSET_MAX, sizeof *set->keys);
    if (!set->keys) {
        free(set);
        return NULL;
    }
    pthread_mutex_init(&set->lock, NULL);
    return set;
}

void zfs_errset_free(zfs_errset *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->count; i++)
        free(set->keys[i]);
    free(set->keys);
    pthread_mutex_destroy(&set->lock);
    free(set);
}

/* Adds `key` unless present; returns 1 when added, 0 when seen or full.
 * Called with the lock held. */
static int errset_add(zfs_errset *set, const char *key)
{
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->keys[i], key) == 0)
            return 0;
    if (set->count == ZFS_ERRSET_MAX)
        return 0;
    char *copy = strdup(key);
    if (!copy)
        return 0;
    set->keys[set->count++] = copy;
    return 1;
}

int zfs_log_once(zfs_errset *set, int level, const char *path,
                 const char *msg)
{
    char key[1024];
    snprintf(key, sizeof key, "%s\n%s", path, msg);
    pthread_mutex_lock(&set->lock);
    int added = errset_add(set, key);
    int report_full = !added && set->count == ZFS_ERRSET_MAX &&
                      !set->full_reported;
    if (report_full)
        set->full_reported = 1;
    pthread_mutex_unlock(&set->lock);
    if (added)
        zfs_log(level, "%s: %s", path, msg);
    else if (report_full)
        zfs_log(LOG_WARNING, "too many distinct errors; new ones are no "
                             "longer logged");
    return added;
}

void zfs_log_note(zfs_errset *set, int level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    int seen = 0;
    if (set) {
        pthread_mutex_lock(&set->lock);
        seen = !errset_add(set, line) && set->count < ZFS_ERRSET_MAX;
        pthread_mutex_unlock(&set->lock);
    }
    if (!seen)
        zfs_log(level, "%s", line);
}
