/*
 * log.h - where the zarrfs command's messages go.
 *
 * Contract:
 *  - Messages go to stderr ("zarrfs: ..." lines) until zfs_log_to_syslog is
 *    called, which main does once the process has daemonized; from then on
 *    they go to syslog (ident "zarrfs", facility LOG_DAEMON).
 *  - LOG_DEBUG messages are dropped unless zfs_log_init asked for them.
 *  - The destination is this module's own state; zfs_log and zfs_log_once
 *    are thread-safe and may be called from FUSE and engine threads alike.
 *  - A zfs_errset remembers which (path, message) pairs were logged, so
 *    that an error repeated by every read of a damaged chunk is logged once.
 *    The caller owns the set (zfs_errset_new / zfs_errset_free); it is
 *    bounded: past ZFS_ERRSET_MAX pairs, new ones are no longer logged.
 *    zfs_log_note uses a set the same way for whole messages.
 */
#ifndef ZARRFS_FS_LOG_H
#define ZARRFS_FS_LOG_H

#include <syslog.h> /* LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */

#define ZFS_ERRSET_MAX 4096

/* Sets whether LOG_DEBUG messages are written; call before any thread starts. */
void zfs_log_init(int debug);

/* From now on, messages go to syslog instead of stderr. */
void zfs_log_to_syslog(void);

/* Logs one message (no trailing newline needed) at a syslog level. */
void zfs_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

typedef struct zfs_errset zfs_errset;

/* A new, empty set; NULL when out of memory. */
zfs_errset *zfs_errset_new(void);
void zfs_errset_free(zfs_errset *set);

/* Logs "PATH: MSG" at `level` unless that pair was logged before through
 * `set`; returns 1 when it logged, 0 otherwise. */
int zfs_log_once(zfs_errset *set, int level, const char *path,
                 const char *msg);

/* Logs a message at `level` unless it went through `set` before (NULL:
 * always); once the set is full, every message is logged.  For notes that
 * each rebuild of the inode table would repeat. */
void zfs_log_note(zfs_errset *set, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
