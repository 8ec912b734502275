/*
 * test_pool.c - the thread pool (engine/pool.h): every submitted job runs
 * exactly once (from one submitter and from several at once); workers run
 * jobs nobody waits for; nested groups (jobs, of both kinds, that submit
 * jobs and wait for them, three levels deep) finish on 1 and on 4 threads
 * without deadlock, including when every worker is inside such a wait;
 * zf_pool_free with nothing queued, and zf_pool_free running what is still
 * queued, and running an I/O job a job queues while it stops; I/O jobs
 * on I/O threads of their own (never on a waiter; several at once),
 * queueing decode jobs, and run as decode jobs when a pool has no I/O
 * threads.  Each test case has a timeout, so a deadlock fails instead of
 * hanging.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "pool.h"

static zf_pool *new_pool(int threads)
{
    zf_pool *p = NULL;
    zf_err err = {0};
    ck_assert_int_eq(zf_pool_new(threads, 0, &p, &err), ZF_OK);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(zf_pool_threads(p), threads);
    return p;
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* ---- every job runs once ------------------------------------------------- */

#define NJOBS 5000

typedef struct slot {
    atomic_int runs;
} slot;

static void mark(void *arg)
{
    atomic_fetch_add(&((slot *)arg)->runs, 1);
}

static void run_all(int threads, zf_job_kind kind)
{
    zf_pool *p = new_pool(threads);
    slot *s = calloc(NJOBS, sizeof *s);
    ck_assert_ptr_nonnull(s);
    zf_group g = {0};
    for (int i = 0; i < NJOBS; i++)
        ck_assert_int_eq(zf_pool_submit(p, kind, &g, mark, &s[i]), ZF_OK);
    zf_group_wait(p, &g);
    ck_assert_int_eq(g.pending, 0);
    for (int i = 0; i < NJOBS; i++)
        ck_assert_int_eq(atomic_load(&s[i].runs), 1);
    zf_pool_free(p);
    free(s);
}

START_TEST(test_all_jobs_run_1)
{
    run_all(1, ZF_JOB_TASK);
}
END_TEST

START_TEST(test_all_jobs_run_4)
{
    run_all(4, ZF_JOB_TASK);
}
END_TEST

/* Read jobs are not run by waiters, only by workers; they still all run. */
START_TEST(test_all_read_jobs_run)
{
    run_all(1, ZF_JOB_READ);
    run_all(4, ZF_JOB_READ);
}
END_TEST

START_TEST(test_empty_group_wait)
{
    zf_pool *p = new_pool(2);
    zf_group g = {0};
    zf_group_wait(p, &g); /* returns at once */
    zf_pool_free(p);
}
END_TEST

/* Several threads submit and wait on their own groups at once. */
typedef struct submitter {
    zf_pool *p;
    slot *s;
    int n;
} submitter;

static void *submit_and_wait(void *arg)
{
    submitter *sb = arg;
    for (int round = 0; round < 5; round++) {
        zf_group g = {0};
        for (int i = 0; i < sb->n; i++)
            zf_pool_submit(sb->p, i % 3 ? ZF_JOB_TASK : ZF_JOB_READ, &g, mark,
                           &sb->s[i]);
        zf_group_wait(sb->p, &g);
        /* everything of this round has run when the wait returns */
        for (int i = 0; i < sb->n; i++)
            if (atomic_load(&sb->s[i].runs) != round + 1)
                return (void *)1;
    }
    return NULL;
}

START_TEST(test_concurrent_submitters)
{
    zf_pool *p = new_pool(3);
    enum { NT = 6, PER = 500 };
    pthread_t t[NT];
    submitter sb[NT];
    slot *s = calloc(NT * PER, sizeof *s);
    ck_assert_ptr_nonnull(s);
    for (int k = 0; k < NT; k++) {
        sb[k] = (submitter){p, s + k * PER, PER};
        ck_assert_int_eq(pthread_create(&t[k], NULL, submit_and_wait, &sb[k]), 0);
    }
    for (int k = 0; k < NT; k++) {
        void *r = (void *)1;
        pthread_join(t[k], &r);
        ck_assert_ptr_null(r);
    }
    zf_pool_free(p);
    free(s);
}
END_TEST

/* Workers run jobs on their own: nobody waits here. */
static void set_flag(void *arg)
{
    atomic_store((atomic_int *)arg, 1);
}

START_TEST(test_workers_run_unwaited_jobs)
{
    zf_pool *p = new_pool(2);
    atomic_int flag = 0;
    ck_assert_int_eq(zf_pool_submit(p, ZF_JOB_TASK, NULL, set_flag, &flag), ZF_OK);
    for (int i = 0; i < 10000 && !atomic_load(&flag); i++)
        sleep_us(1000);
    ck_assert_int_eq(atomic_load(&flag), 1);
    atomic_store(&flag, 0);
    ck_assert_int_eq(zf_pool_submit(p, ZF_JOB_READ, NULL, set_flag, &flag), ZF_OK);
    for (int i = 0; i < 10000 && !atomic_load(&flag); i++)
        sleep_us(1000);
    ck_assert_int_eq(atomic_load(&flag), 1);
    zf_pool_free(p);
}
END_TEST

/* ---- nested groups ----------------------------------------------------------- */

typedef struct nest {
    zf_pool *p;
    int depth;       /* levels still to go below this job */
    int fanout;
    zf_job_kind kind; /* the kind of this job's children */
    atomic_long *leaves;
    long us;         /* leaves sleep this long, so waits really wait */
} nest;

static void nested_job(void *arg)
{
    nest *n = arg;
    if (n->depth == 0) {
        if (n->us)
            sleep_us(n->us);
        atomic_fetch_add(n->leaves, 1);
        return;
    }
    nest *kids = calloc((size_t)n->fanout, sizeof *kids);
    if (!kids)
        return;
    zf_group g = {0};
    for (int i = 0; i < n->fanout; i++) {
        kids[i] = *n;
        kids[i].depth = n->depth - 1;
        kids[i].kind = ZF_JOB_TASK; /* what a read fans out to */
        if (zf_pool_submit(n->p, ZF_JOB_TASK, &g, nested_job, &kids[i]) != ZF_OK)
            nested_job(&kids[i]);
    }
    zf_group_wait(n->p, &g);
    free(kids);
}

/* `outer` top-level jobs of `kind`, each a tree of the given depth and fanout,
 * waited for from this thread. */
static void run_nested(int threads, zf_job_kind kind, int outer, int depth,
                       int fanout, long us)
{
    zf_pool *p = new_pool(threads);
    atomic_long leaves = 0;
    nest *top = calloc((size_t)outer, sizeof *top);
    ck_assert_ptr_nonnull(top);
    zf_group g = {0};
    for (int i = 0; i < outer; i++) {
        top[i] = (nest){p, depth, fanout, kind, &leaves, us};
        ck_assert_int_eq(zf_pool_submit(p, kind, &g, nested_job, &top[i]), ZF_OK);
    }
    zf_group_wait(p, &g);
    long want = outer;
    for (int d = 0; d < depth; d++)
        want *= fanout;
    ck_assert_int_eq(atomic_load(&leaves), want);
    zf_pool_free(p);
    free(top);
}

START_TEST(test_nested_tasks_1_thread)
{
    run_nested(1, ZF_JOB_TASK, 8, 2, 6, 0);
    run_nested(1, ZF_JOB_TASK, 4, 3, 4, 100);
}
END_TEST

START_TEST(test_nested_tasks_4_threads)
{
    run_nested(4, ZF_JOB_TASK, 16, 2, 8, 0);
    run_nested(4, ZF_JOB_TASK, 8, 3, 4, 100);
}
END_TEST

/* Reads (the asynchronous API's jobs) that fan out and wait, as many as or
 * more than there are workers: every worker ends up inside a wait. */
START_TEST(test_nested_reads_1_thread)
{
    run_nested(1, ZF_JOB_READ, 6, 2, 5, 200);
}
END_TEST

START_TEST(test_nested_reads_4_threads)
{
    run_nested(4, ZF_JOB_READ, 4, 1, 16, 500);
    run_nested(4, ZF_JOB_READ, 12, 3, 3, 100);
}
END_TEST

/* Nested reads submitted with nobody waiting: zf_pool_free must let them
 * finish, including the jobs they queue while it is stopping. */
START_TEST(test_free_runs_nested_reads)
{
    zf_pool *p = new_pool(2);
    atomic_long leaves = 0;
    nest top[5];
    for (int i = 0; i < 5; i++) {
        top[i] = (nest){p, 2, 4, ZF_JOB_READ, &leaves, 50};
        ck_assert_int_eq(zf_pool_submit(p, ZF_JOB_READ, NULL, nested_job, &top[i]),
                         ZF_OK);
    }
    zf_pool_free(p);
    ck_assert_int_eq(atomic_load(&leaves), 5 * 4 * 4);
}
END_TEST

/* ---- freeing ---------------------------------------------------------------- */

START_TEST(test_free_idle)
{
    zf_pool_free(new_pool(1));
    zf_pool_free(new_pool(4));
    zf_pool_free(NULL);
    /* after work, once everything has been waited for */
    zf_pool *p = new_pool(4);
    slot s[10] = {0};
    zf_group g = {0};
    for (int i = 0; i < 10; i++)
        zf_pool_submit(p, ZF_JOB_TASK, &g, mark, &s[i]);
    zf_group_wait(p, &g);
    sleep_us(20000); /* the workers are idle again */
    zf_pool_free(p);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(atomic_load(&s[i].runs), 1);
}
END_TEST

static void slow_mark(void *arg)
{
    sleep_us(200);
    mark(arg);
}

/* zf_pool_free waits for queued jobs to finish. */
START_TEST(test_free_runs_queued)
{
    zf_pool *p = new_pool(2);
    slot s[300] = {0};
    for (int i = 0; i < 300; i++)
        ck_assert_int_eq(zf_pool_submit(p, i % 2 ? ZF_JOB_TASK : ZF_JOB_READ,
                                        NULL, slow_mark, &s[i]), ZF_OK);
    zf_pool_free(p);
    for (int i = 0; i < 300; i++)
        ck_assert_int_eq(atomic_load(&s[i].runs), 1);
}
END_TEST

/* ---- I/O jobs ------------------------------------------------------------ */

typedef struct io_ctx {
    zf_pool *pool;
    zf_group *group;
    pthread_barrier_t *together; /* NULL: none */
    pthread_t waiter;
    atomic_int ran_on_waiter, io_runs;
    slot *tasks; /* each I/O job queues NTASKS_PER_IO decode jobs here */
    atomic_int next_task;
} io_ctx;

#define NTASKS_PER_IO 10

static void io_job(void *arg)
{
    io_ctx *x = arg;
    if (pthread_equal(pthread_self(), x->waiter))
        atomic_fetch_add(&x->ran_on_waiter, 1);
    if (x->together)
        pthread_barrier_wait(x->together);
    atomic_fetch_add(&x->io_runs, 1);
    if (x->tasks) /* what a fetch run does once its bytes are in */
        for (int i = 0; i < NTASKS_PER_IO; i++)
            ck_assert_int_eq(zf_pool_submit(x->pool, ZF_JOB_TASK, x->group, mark,
                                            &x->tasks[atomic_fetch_add(
                                                &x->next_task, 1)]),
                             ZF_OK);
}

/* Four I/O jobs that only finish together (a barrier of four) finish on a
 * pool of one decode thread and four I/O threads, and the waiting thread
 * never runs one. */
START_TEST(test_io_jobs_run_on_io_threads)
{
    zf_pool *p = NULL;
    ck_assert_int_eq(zf_pool_new(1, 4, &p, NULL), ZF_OK);
    ck_assert_int_eq(zf_pool_io_threads(p), 4);
    pthread_barrier_t b;
    pthread_barrier_init(&b, NULL, 4);
    zf_group g = {0};
    io_ctx x = {.pool = p, .group = &g, .together = &b, .waiter = pthread_self()};
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(zf_pool_submit(p, ZF_JOB_IO, &g, io_job, &x), ZF_OK);
    zf_group_wait(p, &g);
    ck_assert_int_eq(atomic_load(&x.io_runs), 4);
    ck_assert_int_eq(atomic_load(&x.ran_on_waiter), 0);
    zf_pool_free(p);
    pthread_barrier_destroy(&b);
}
END_TEST

/* I/O jobs that queue decode jobs in the group being waited for (a fetch
 * run and its chunks): every decode job runs once before the wait ends. */
START_TEST(test_io_jobs_queue_decode_jobs)
{
    zf_pool *p = NULL;
    ck_assert_int_eq(zf_pool_new(2, 3, &p, NULL), ZF_OK);
    slot s[50 * NTASKS_PER_IO] = {0};
    zf_group g = {0};
    io_ctx x = {.pool = p, .group = &g, .waiter = pthread_self(), .tasks = s};
    for (int i = 0; i < 50; i++)
        ck_assert_int_eq(zf_pool_submit(p, ZF_JOB_IO, &g, io_job, &x), ZF_OK);
    zf_group_wait(p, &g);
    for (int i = 0; i < 50 * NTASKS_PER_IO; i++)
        ck_assert_int_eq(atomic_load(&s[i].runs), 1);
    ck_assert_int_eq(atomic_load(&x.ran_on_waiter), 0);
    zf_pool_free(p);
}
END_TEST

/* A job on the only decode thread waits for an I/O job that queues decode
 * jobs: the waiters (that thread, and this one) must hear of those jobs. */
static void wait_for_io(void *arg)
{
    io_ctx *x = arg;
    zf_group g = {0};
    x->group = &g;
    ck_assert_int_eq(zf_pool_submit(x->pool, ZF_JOB_IO, &g, io_job, x), ZF_OK);
    zf_group_wait(x->pool, &g);
}

START_TEST(test_io_wakes_waiting_decode_threads)
{
    for (int round = 0; round < 200; round++) {
        zf_pool *p = NULL;
        ck_assert_int_eq(zf_pool_new(1, 1, &p, NULL), ZF_OK);
        slot s[NTASKS_PER_IO] = {0};
        io_ctx x = {.pool = p, .tasks = s};
        zf_group g = {0};
        ck_assert_int_eq(zf_pool_submit(p, ZF_JOB_READ, &g, wait_for_io, &x),
                         ZF_OK);
        zf_group_wait(p, &g);
        for (int i = 0; i < NTASKS_PER_IO; i++)
            ck_assert_int_eq(atomic_load(&s[i].runs), 1);
        zf_pool_free(p);
    }
}
END_TEST

/* zf_pool_free runs queued I/O jobs and the decode jobs they queue. */
START_TEST(test_free_runs_io_then_decode)
{
    zf_pool *p = NULL;
    ck_assert_int_eq(zf_pool_new(1, 2, &p, NULL), ZF_OK);
    slot s[40 * NTASKS_PER_IO] = {0};
    io_ctx x = {.pool = p, .tasks = s};
    for (int i = 0; i < 40; i++)
        ck_assert_int_eq(zf_pool_submit(p, ZF_JOB_IO, NULL, io_job, &x), ZF_OK);
    zf_pool_free(p);
    ck_assert_int_eq(atomic_load(&x.io_runs), 40);
    for (int i = 0; i < 40 * NTASKS_PER_IO; i++)
        ck_assert_int_eq(atomic_load(&s[i].runs), 1);
}
END_TEST

/* Without I/O threads, I/O jobs are decode jobs: a waiter may run them, so
 * they finish even on one thread. */
START_TEST(test_io_jobs_without_io_threads)
{
    zf_pool *p = new_pool(1);
    ck_assert_int_eq(zf_pool_io_threads(p), 0);
    slot s[20 * NTASKS_PER_IO] = {0};
    zf_group g = {0};
    io_ctx x = {.pool = p, .group = &g, .waiter = pthread_self(), .tasks = s};
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(zf_pool_submit(p, ZF_JOB_IO, &g, io_job, &x), ZF_OK);
    zf_group_wait(p, &g);
    ck_assert_int_eq(atomic_load(&x.io_runs), 20);
    for (int i = 0; i < 20 * NTASKS_PER_IO; i++)
        ck_assert_int_eq(atomic_load(&s[i].runs), 1);
    zf_pool_free(p);
}
END_TEST

/* A prefetch running while zf_pool_free stops the pool queues an I/O job
 * after the I/O threads have gone: the job must still run (on a decode
 * thread), not stay queued and leak.  Deterministic: the prefetch waits
 * until the I/O thread has exited (its /proc task is gone) before it
 * submits. */
typedef struct late_ctx {
    zf_pool *pool;
    atomic_int io_tid, running;
    slot late;
} late_ctx;

static void note_io_thread(void *arg)
{
    atomic_store(&((late_ctx *)arg)->io_tid, (int)gettid());
}

static void submit_after_io_stopped(void *arg)
{
    late_ctx *x = arg;
    atomic_store(&x->running, 1);
    char task[64];
    snprintf(task, sizeof task, "/proc/self/task/%d", atomic_load(&x->io_tid));
    for (int i = 0; i < 10000 && access(task, F_OK) == 0; i++)
        sleep_us(1000);
    ck_assert_msg(access(task, F_OK) != 0, "the I/O thread did not stop");
    ck_assert_int_eq(zf_pool_submit(x->pool, ZF_JOB_IO, NULL, mark, &x->late),
                     ZF_OK);
}

START_TEST(test_free_runs_io_queued_while_stopping)
{
    late_ctx x = {0};
    ck_assert_int_eq(zf_pool_new(1, 1, &x.pool, NULL), ZF_OK);
    zf_group g = {0};
    ck_assert_int_eq(zf_pool_submit(x.pool, ZF_JOB_IO, &g, note_io_thread, &x),
                     ZF_OK);
    zf_group_wait(x.pool, &g);
    ck_assert_int_ne(atomic_load(&x.io_tid), 0);
    ck_assert_int_eq(zf_pool_submit(x.pool, ZF_JOB_PREFETCH, NULL,
                                    submit_after_io_stopped, &x), ZF_OK);
    while (!atomic_load(&x.running))
        sleep_us(1000);
    zf_pool_free(x.pool);
    ck_assert_int_eq(atomic_load(&x.late.runs), 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pool");
    TCase *t = tcase_create("pool");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_all_jobs_run_1);
    tcase_add_test(t, test_all_jobs_run_4);
    tcase_add_test(t, test_all_read_jobs_run);
    tcase_add_test(t, test_empty_group_wait);
    tcase_add_test(t, test_concurrent_submitters);
    tcase_add_test(t, test_workers_run_unwaited_jobs);
    tcase_add_test(t, test_nested_tasks_1_thread);
    tcase_add_test(t, test_nested_tasks_4_threads);
    tcase_add_test(t, test_nested_reads_1_thread);
    tcase_add_test(t, test_nested_reads_4_threads);
    tcase_add_test(t, test_free_runs_nested_reads);
    tcase_add_test(t, test_free_idle);
    tcase_add_test(t, test_free_runs_queued);
    tcase_add_test(t, test_io_jobs_run_on_io_threads);
    tcase_add_test(t, test_io_jobs_queue_decode_jobs);
    tcase_add_test(t, test_io_wakes_waiting_decode_threads);
    tcase_add_test(t, test_free_runs_io_then_decode);
    tcase_add_test(t, test_io_jobs_without_io_threads);
    tcase_add_test(t, test_free_runs_io_queued_while_stopping);
    suite_add_tcase(s, t);
    return tu_run(s);
}
