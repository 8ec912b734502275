/*
 * worker.h - a thread of the mount's own that runs until it is told to
 * stop: the life the refresher (refresh.h) and the pusher (push.h) share.
 *
 * Contract:
 *  - `lock` guards `stop` and whatever else the owner says it guards; the
 *    thread reads `stop` under it and waits on `wake`, which runs on the
 *    monotonic clock (timed waits do not move with the date).
 *  - init, start, stop and destroy are called by one thread (main's);
 *    zfs_worker_stop returns once the thread has returned.
 */
#ifndef ZARRFS_FS_WORKER_H
#define ZARRFS_FS_WORKER_H

#include <pthread.h>

struct zfs_worker {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* signalled when stop is set */
    pthread_t thread;
    int started;         /* set by a successful start, never cleared */
    int stop;
};

void zfs_worker_init(struct zfs_worker *w);

/* Starts run(arg) on the worker's thread; -1, logged as "cannot start the
 * WHAT", when it cannot be started. */
int zfs_worker_start(struct zfs_worker *w, void *(*run)(void *), void *arg,
                     const char *what);

/* Sets stop (also when the thread never started), wakes the thread and
 * joins it.  Once: `started` stays as it was, for readers on other threads. */
void zfs_worker_stop(struct zfs_worker *w);

void zfs_worker_destroy(struct zfs_worker *w);

#endif
