/* pool.c - see pool.h.  One lock guards both queues and every group's
 * counter; jobs are few and coarse (a chunk each), so contention is low. */
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct job {
    void (*fn)(void *);
    void *arg;
    zf_group *group;
    struct job *next;
} job;

typedef struct queue {
    job *head, *tail;
} queue;

struct zf_pool {
    pthread_mutex_t lock;
    pthread_cond_t work; /* a job was queued, or the pool is stopping */
    pthread_cond_t io_work; /* the same, for the I/O threads */
    pthread_cond_t done; /* some group's counter reached zero, or a job a
                            waiter may run was queued */
    int nwaiting;        /* threads asleep in zf_group_wait */
    int nidle;           /* decode threads asleep, waiting for work */
    queue q[ZF_JOB_KINDS];
    int stopping; /* 1: the I/O threads stop; 2: all of them */
    int wanted;   /* threads to start on first use */
    int nthreads; /* threads started */
    int io_wanted, io_n; /* the same for the I/O threads */
    pthread_t *threads;  /* wanted + io_wanted: decode threads, then I/O */
};

static void push(queue *q, job *j)
{
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
}

static job *pop(queue *q)
{
    job *j = q->head;
    if (j) {
        q->head = j->next;
        if (!q->head)
            q->tail = NULL;
    }
    return j;
}

/* Runs j with the lock released; returns with it held again. */
static void run_locked(zf_pool *p, job *j)
{
    pthread_mutex_unlock(&p->lock);
    j->fn(j->arg);
    zf_group *g = j->group;
    free(j);
    pthread_mutex_lock(&p->lock);
    if (g && --g->pending == 0)
        pthread_cond_broadcast(&p->done);
}

static void *worker(void *arg)
{
    zf_pool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        job *j = NULL;
        for (int k = 0; k < ZF_JOB_IO && !j; k++)
            j = pop(&p->q[k]);
        if (j) {
            run_locked(p, j);
            continue;
        }
        if (p->stopping == 2)
            break;
        p->nidle++;
        pthread_cond_wait(&p->work, &p->lock);
        p->nidle--;
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* An I/O thread: runs only I/O jobs. */
static void *io_worker(void *arg)
{
    zf_pool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        job *j = pop(&p->q[ZF_JOB_IO]);
        if (j) {
            run_locked(p, j);
            continue;
        }
        if (p->stopping)
            break;
        pthread_cond_wait(&p->io_work, &p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

zf_code zf_pool_new(int threads, int io_threads, zf_pool **out, zf_err *err)
{
    zf_pool *p = calloc(1, sizeof *p);
    if (threads < 1)
        threads = 1;
    if (io_threads < 0)
        io_threads = 0;
    if (!p || !(p->threads = calloc((size_t)(threads + io_threads),
                                    sizeof(pthread_t)))) {
        free(p);
        return zf_err_set(err, ZF_ENOMEM, "thread pool: out of memory");
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->io_work, NULL);
    pthread_cond_init(&p->done, NULL);
    p->wanted = threads;
    p->io_wanted = io_threads;
    *out = p;
    return ZF_OK;
}

/* Threads start with the first job, not in zf_pool_new, so that a process
 * may open a store and then fork (a daemon does) before any thread exists.
 * Called with the lock held.  With no thread at all, jobs still run: the
 * waiters of zf_group_wait run decode jobs, and zf_pool_submit runs others
 * inline (see there). */
static void start_threads(zf_pool *p)
{
    for (; p->nthreads < p->wanted; p->nthreads++)
        if (pthread_create(&p->threads[p->nthreads], NULL, worker, p) != 0) {
            p->wanted = p->nthreads;
            break;
        }
    /* (an I/O thread that cannot start leaves its jobs to the others) */
    for (; p->io_n < p->io_wanted; p->io_n++)
        if (pthread_create(&p->threads[p->wanted + p->io_n], NULL, io_worker,
                           p) != 0) {
            p->io_wanted = p->io_n;
            break;
        }
}

void zf_pool_free(zf_pool *p)
{
    if (!p)
        return;
    /* The I/O threads first: their jobs queue decode jobs, which the decode
     * threads must still be there to run. */
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->io_work);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->io_n; i++)
        pthread_join(p->threads[p->wanted + i], NULL);
    pthread_mutex_lock(&p->lock);
    p->stopping = 2;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->io_work);
    pthread_cond_destroy(&p->done);
    free(p->threads);
    free(p);
}

int zf_pool_threads(const zf_pool *p)
{
    return p->wanted;
}

int zf_pool_io_threads(const zf_pool *p)
{
    return p->io_wanted;
}

zf_code zf_pool_submit(zf_pool *p, zf_job_kind kind, zf_group *g,
                       void (*fn)(void *), void *arg)
{
    job *j = malloc(sizeof *j);
    if (!j)
        return ZF_ENOMEM;
    j->fn = fn;
    j->arg = arg;
    j->group = g;
    pthread_mutex_lock(&p->lock);
    start_threads(p);
    if (p->nthreads == 0) { /* none could start: run it here */
        pthread_mutex_unlock(&p->lock);
        free(j);
        fn(arg);
        return ZF_OK;
    }
    /* Once the pool is stopping the I/O threads may be gone (a prefetch
     * still running at zf_pool_free queues I/O): the decode threads, which
     * run until every queue they serve is empty, take the job instead. */
    if (kind == ZF_JOB_IO && (p->io_n == 0 || p->stopping))
        kind = ZF_JOB_TASK;
    if (g)
        g->pending++;
    push(&p->q[kind], j);
    /* A job a waiter may run goes to an idle decode thread if there is
     * one; else to a waiter: every decode thread may be inside a wait
     * (cache.h), and then nobody else would run it. */
    if (kind == ZF_JOB_IO)
        pthread_cond_signal(&p->io_work);
    else if (p->nidle || !p->nwaiting || kind == ZF_JOB_READ)
        pthread_cond_signal(&p->work);
    else
        pthread_cond_broadcast(&p->done);
    pthread_mutex_unlock(&p->lock);
    return ZF_OK;
}

void zf_group_wait(zf_pool *p, zf_group *g)
{
    pthread_mutex_lock(&p->lock);
    while (g->pending > 0) {
        /* Prefetch jobs load cache entries that a waiter may be waiting for
         * (cache.h): help with them too, after the decode jobs. */
        job *j = pop(&p->q[ZF_JOB_TASK]);
        if (!j)
            j = pop(&p->q[ZF_JOB_PREFETCH]);
        if (j)
            run_locked(p, j);
        else {
            p->nwaiting++;
            pthread_cond_wait(&p->done, &p->lock);
            p->nwaiting--;
        }
    }
    pthread_mutex_unlock(&p->lock);
}

void zf_group_add(zf_pool *p, zf_group *g, long n)
{
    pthread_mutex_lock(&p->lock);
    g->pending += n;
    pthread_mutex_unlock(&p->lock);
}

void zf_group_done(zf_pool *p, zf_group *g)
{
    pthread_mutex_lock(&p->lock);
    if (--g->pending == 0)
        pthread_cond_broadcast(&p->done);
    pthread_mutex_unlock(&p->lock);
}
