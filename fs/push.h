/*
 * push.h - the pusher of a mount (-o push=SIZE): a thread that fills the
 * kernel's page cache along the chunk grid.
 *
 * The kernel asks for pages (4 KiB faults, or its readahead windows), but
 * the engine decodes chunks: a fault in a chunk decodes all of it.  After
 * each read is answered, the pusher writes the rest of the decoded chunks'
 * runs (zf_array_chunk_span), up to SIZE bytes on either side, into the
 * page cache with fuse_lowlevel_notify_store, so that the next faults in
 * that chunk find their pages and cause no request; in a sequential
 * stream, up to SIZE bytes past the read of what its prefetch decoded; and
 * after each piece of such a prefetch, the bytes it decoded.  It pushes only bytes the
 * cache holds decoded (zf_array_read_cached), and a piece that is not in
 * the cache any more is left out; it decodes no chunk of its own and uses
 * only shard indexes the cache holds ready (it never waits for a load,
 * which would run other reads' decodes), but planning a push stats keys.  Faults that come
 * before a push has landed ask again for bytes it is pushing: what was
 * pushed lately is remembered and not pushed again.
 *
 * Stale bytes: a push of bytes that changed meanwhile (zf_changes moved, or
 * a refresh bumped fs->epoch, since the read that asked for it began; for
 * a prefetch, since the last read of the file began) is not sent, and the
 * file's pages are dropped (notify_inval_inode) after it, whatever was
 * sent, so what a reader sees next comes from the store.  The
 * same holds for a read's own reply: its caller drops the file's pages (zfs_push_inval)
 * when a change was counted while the read was in flight.
 *
 * Contract:
 *  - zfs_pusher_init before the session loop (and before the signal thread
 *    may call zfs_pusher_detach); zfs_pusher_start after daemonizing;
 *    zfs_pusher_stop after the loop has returned and every read replied
 *    (zfs_fs_wait_idle), before zf_close; zfs_pusher_free after zf_close
 *    (until then prefetches may still call the hook, which drops what they
 *    queue once stopped).
 *  - The zfs_push_* calls come from any thread (the engine's completions):
 *    they only queue, never block on the kernel.  The queue of pushes is
 *    bounded: what does not fit is dropped (a push is an optimisation).
 *    Invalidations are never dropped: they are kept apart, one per file
 *    (a pending one covers the later ones), in a list that grows, and sent
 *    before any push; without memory for the list, the pages of every
 *    file of the current table are dropped instead, as a refresh does.
 *  - Notifications come from the pusher's thread only, under a lock no
 *    read path takes (a notify_store may wait for a page another read is
 *    filling), and never after zfs_pusher_detach.
 *  - Array handles stay valid until zf_close and inode numbers are never
 *    reused, so queued work holds neither pins nor references.
 */
#ifndef ZARRFS_FS_PUSH_H
#define ZARRFS_FS_PUSH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "fs.h"
#include "worker.h"

struct zfs_push_job;

/* Where an array's bytes lie in a file the pusher writes to. */
struct zfs_push_file {
    fuse_ino_t ino;
    zf_array *array;
    uint64_t head;  /* file offset of the array's byte 0 (an npy header) */
    uint64_t size;  /* the file's size */
    int selection;  /* a subarray (virt.h): its bytes are not the array's
                       flat bytes, so nothing is pushed, only dropped */
};

#define ZFS_PUSH_FILES 8 /* files recently read, for prefetch pushes */
#define ZFS_PUSH_DONE 128 /* ranges recently pushed, not pushed again */

struct zfs_pushed {
    fuse_ino_t ino;
    uint64_t lo, hi, changes; /* [lo, hi): file offsets, not array ones */
};

struct zfs_pusher {
    struct zfs_fs *fs;
    uint64_t max;       /* push=: bytes on either side of a read; 0 = off */
    struct zfs_worker w; /* its lock guards the queue, stop, files */
    struct zfs_push_job *head, *tail;
    size_t queued;
    fuse_ino_t *inval;  /* files whose pages to drop, each once: served */
    size_t ninval, capinval; /* before any push, never dropped */
    int inval_all;      /* no memory for inval: drop every file's pages */
    struct zfs_push_file files[ZFS_PUSH_FILES]; /* most recent first */
    uint64_t file_changes[ZFS_PUSH_FILES]; /* the count when each was read */
    struct zfs_pushed done[ZFS_PUSH_DONE]; /* the thread's own: a ring */
    unsigned ndone;
    atomic_uint_fast64_t invalidated; /* invalidations done (sent while
                                         attached): the tests count them */
    pthread_mutex_t send_lock; /* guards se while a notification is sent */
    struct fuse_session *se;   /* NULL once detached */
};

void zfs_pusher_init(struct zfs_pusher *p, struct zfs_fs *fs,
                     struct fuse_session *se, uint64_t max);

/* Starts the thread (nothing when push is off); -1 (logged) on failure. */
int zfs_pusher_start(struct zfs_pusher *p);

/* No notification is sent from now on (the session is going away). */
void zfs_pusher_detach(struct zfs_pusher *p);

/* Stops and joins the thread, drops what is queued. */
void zfs_pusher_stop(struct zfs_pusher *p);
void zfs_pusher_free(struct zfs_pusher *p);

/* What a change count is now: zf_changes plus the refreshes (fs->epoch). */
uint64_t zfs_push_changes(const struct zfs_fs *fs);

/* A read of [off, off + len) of the array in file f is about to be
 * answered; it began when the change count was `changes`.  Queues the push
 * of the rest of the chunks it decoded; call it before replying, so that
 * the pusher starts on the pages past the read before the reader, woken by
 * the reply, asks for them itself (and its readahead runs past the read
 * into chunks nobody asked for).  Returns 1, queueing nothing, when that
 * count moved meanwhile: then call zfs_push_inval after replying (so that
 * the reply's own pages are dropped too). */
int zfs_push_read(struct zfs_pusher *p, const struct zfs_push_file *f,
                  uint64_t off, uint64_t len, uint64_t changes);

/* Queues the invalidation of file ino's pages (never dropped: see the
 * contract). */
void zfs_push_inval(struct zfs_pusher *p, fuse_ino_t ino);

#endif
