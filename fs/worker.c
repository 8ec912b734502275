/* worker.c - see worker.h. */
#include "worker.h"

#include <string.h>
#include <time.h>

#include "log.h"

void zfs_worker_init(struct zfs_worker *w)
{
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &ca);
    pthread_condattr_destroy(&ca);
}

int zfs_worker_start(struct zfs_worker *w, void *(*run)(void *), void *arg,
                     const char *what)
{
    int rc = pthread_create(&w->thread, NULL, run, arg);
    if (rc != 0) {
        zfs_log(LOG_ERR, "cannot start the %s: %s", what, strerror(rc));
        return -1;
    }
    w->started = 1;
    return 0;
}

void zfs_worker_stop(struct zfs_worker *w)
{
    pthread_mutex_lock(&w->lock);
    w->stop = 1;
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
    if (w->started)
        pthread_join(w->thread, NULL);
}

void zfs_worker_destroy(struct zfs_worker *w)
{
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
}
