/*
 * fs_test_push.c - the pusher (fs/push.h) without a session: invalidations
 * are never dropped.  The pusher's thread is held inside its first
 * invalidation (the test holds send_lock) while 3,000 invalidations of
 * other files are queued, more than the queue of pushes holds (1,024);
 * once let go, every one of those files has its pages dropped.
 */
#include "testutil.h"

#include <time.h>

#include "push.h"

static void nap(void)
{
    nanosleep(&(struct timespec){0, 1000000}, NULL);
}

START_TEST(test_invalidations_kept)
{
    char *dir = tu_mkdtemp();
    tu_write_group(dir, "");
    struct zfs_fs fs;
    memset(&fs, 0, sizeof fs);
    fs.z = tu_open(dir, 1);
    struct zfs_pusher p;
    zfs_pusher_init(&p, &fs, NULL, 1 << 20);
    ck_assert_int_eq(zfs_pusher_start(&p), 0);
    pthread_mutex_lock(&p.send_lock);
    zfs_push_inval(&p, 2);
    for (int i = 0; i < 2000; i++) { /* until the thread has taken it */
        pthread_mutex_lock(&p.w.lock);
        int taken = p.head == NULL;
        pthread_mutex_unlock(&p.w.lock);
        if (taken)
            break;
        nap();
    }
    enum { N = 3000 };
    for (fuse_ino_t ino = 3; ino < 3 + N; ino++)
        zfs_push_inval(&p, ino);
    for (fuse_ino_t ino = 3; ino < 3 + N; ino++) /* the same again: coalesced */
        zfs_push_inval(&p, ino);
    pthread_mutex_unlock(&p.send_lock);
    uint64_t done = 0;
    for (int i = 0; i < 2000 && (done = atomic_load(&p.invalidated)) < 1 + N; i++)
        nap();
    ck_assert_uint_ge(done, 1 + N);
    zfs_pusher_stop(&p);
    zfs_pusher_free(&p);
    zf_close(fs.z);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("push");
    TCase *tc = tcase_create("invalidations");
    tcase_add_test(tc, test_invalidations_kept);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
