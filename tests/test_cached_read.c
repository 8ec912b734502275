/*
 * test_cached_read.c - zf_array_read_cached (the mount's pushes) never
 * waits: when another read is loading the shard index it needs, it returns
 * ZF_ENOTFOUND at once.  (A wait there is the pool's helping wait, which
 * runs other reads' queued decodes: the pusher's invalidations would queue
 * behind them.)  The test claims the index entry itself, as a loader
 * would, and calls zf_array_read_cached on another thread.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "engine.h"
#include "meta/meta.h"
#include "read/cache.h"
#include "store/store.h"

#define TU_SHARDED                                                         \
    "[{\"name\": \"sharding_indexed\", \"configuration\": {"               \
    "\"chunk_shape\": [4], \"codecs\": " TU_BYTES_LE ", "                  \
    "\"index_codecs\": " TU_BYTES_LE ", \"index_location\": \"end\"}}]"

struct call {
    zf_array *a;
    atomic_int done;
    zf_code code;
    uint8_t buf[8];
};

static void nothing(void *arg)
{
    (void)arg;
}

static void *read_cached(void *arg)
{
    struct call *c = arg;
    zf_err err = {0};
    c->code = zf_array_read_cached(c->a, 0, sizeof c->buf, c->buf, nothing,
                                   NULL, &err);
    atomic_store(&c->done, 1);
    return NULL;
}

/* One shard of two inner chunks of 4 uint8, the index at the end. */
static void write_shard(const char *dir)
{
    tu_write_array(dir, "a", &(tu_array){.shape = "[8]", .chunks = "[8]",
                                         .codecs = TU_SHARDED});
    uint8_t shard[8 + 32];
    for (int i = 0; i < 8; i++)
        shard[i] = (uint8_t)i;
    for (int k = 0; k < 2; k++) {
        tu_le64(shard + 8 + 16 * k, 4u * (unsigned)k);
        tu_le64(shard + 8 + 16 * k + 8, 4);
    }
    tu_write(dir, "a/c/0", shard, sizeof shard);
}

START_TEST(test_no_wait_on_index)
{
    char *dir = tu_mkdtemp();
    tu_write_group(dir, "");
    write_shard(dir);
    zf_zarr *z = tu_open(dir, 2);
    zf_array *a = tu_array_get(z, "a");
    char key[256];
    zf_err err = {0};
    zf_store_stat st;
    uint64_t at[1] = {0};
    ck_assert_int_eq(zf_chunk_key(a, at, key, sizeof key, &err), ZF_OK);
    ck_assert_int_eq(zf_store_stat_key(z->store, key, &st, &err), ZF_OK);
    zf_centry *e = NULL; /* the index, being loaded by "another read" */
    ck_assert_int_eq(zf_cache_acquire(z->indexes, a->pipe, key, 0, st.version,
                                      (size_t)a->pipe->shard.ninner * 16,
                                      ZF_CACHE_INSERT, &e),
                     ZF_CACHE_LOAD);
    struct call c = {.a = a};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, read_cached, &c), 0);
    for (int i = 0; i < 2000 && !atomic_load(&c.done); i++)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    int returned = atomic_load(&c.done);
    zf_cache_publish(z->indexes, e, 0); /* (lets a waiting call go) */
    zf_cache_release(z->indexes, e);
    pthread_join(th, NULL);
    ck_assert_msg(returned, "zf_array_read_cached waited for an index "
                            "another read is loading");
    ck_assert_int_eq(c.code, ZF_ENOTFOUND);
    zf_close(z);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cached_read");
    TCase *tc = tcase_create("cached_read");
    tcase_add_test(tc, test_no_wait_on_index);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
