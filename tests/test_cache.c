/*
 * test_cache.c - the decoded-chunk cache, shard-index cache, coalesced
 * fetches and prefetch, by themselves and under concurrency:
 *  - the cache module: single flight (a second acquirer waits and then sees
 *    the loader's bytes), eviction within the budget, prefetch never
 *    evicting, stale tags replaced (also while the old version is still
 *    loading), failed loads dropped; the per-thread scratch of decode.h
 *    given back after a chunk larger than ZF_SCRATCH_KEEP, and reads that
 *    still work when no thread key can be made;
 *  - reads through them: a sharded and an unsharded array packed from known
 *    data (zf_pack), read by many threads at random offsets and by
 *    sequential small reads (which trigger prefetch), with a cache of a few
 *    chunks, a big cache and no cache room at all, prefetch on and off, on
 *    1 and 8 threads: every byte equal to the input;
 *  - the in-place mode: zf_plan_lookup marks a raw chunk (bytes codec alone)
 *    read whole into a contiguous destination ZF_TASK_IN_PLACE, and only
 *    that (a part of it, or a compressed chunk, is not); such a task reads
 *    the right bytes, counted as an in-place decode;
 *  - a key replaced while a reader is held inside its load of the old
 *    version (a store wrapper holds the read): a later reader gets the new
 *    bytes, through the chunk cache and through the shard-index cache.
 */
#include "testutil.h"

#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <sys/wait.h>

#include "read/cache.h"
#include "read/decode.h"
#include "engine.h"
#include "meta/meta.h"
#include "read/plan.h"
#include "pool.h"
#include "read/task.h"

/* ---- the cache module ---------------------------------------------------- */

START_TEST(test_single_flight)
{
    zf_pool *pool;
    zf_cache *c;
    zf_cache_counters ctr = {0};
    ck_assert_int_eq(zf_pool_new(2, 0, &pool, NULL), ZF_OK);
    ck_assert_int_eq(zf_cache_new(1 << 20, pool, &ctr, &c, NULL), ZF_OK);
    zf_centry *a, *b;
    ck_assert_int_eq(zf_cache_acquire(c, c, "k", 0, 7, 100, ZF_CACHE_INSERT, &a),
                     ZF_CACHE_LOAD);
    ck_assert_int_eq(zf_cache_acquire(c, c, "k", 0, 7, 100, ZF_CACHE_INSERT, &b),
                     ZF_CACHE_BUSY);
    ck_assert_ptr_eq(a, b);
    memset(a->data, 0x5a, 100);
    zf_cache_publish(c, a, 1);
    zf_cache_release(c, a);
    ck_assert_int_eq(zf_cache_wait(c, b), 1);
    ck_assert_int_eq(b->data[99], 0x5a);
    zf_cache_release(c, b);
    ck_assert_int_eq(zf_cache_acquire(c, c, "k", 0, 7, 100, ZF_CACHE_LOOKUP, &a),
                     ZF_CACHE_HIT);
    zf_cache_release(c, a);
    ck_assert_uint_eq(atomic_load(&ctr.hits), 1);
    /* another tag: the entry is stale and is loaded again */
    ck_assert_int_eq(zf_cache_acquire(c, c, "k", 0, 8, 100, ZF_CACHE_INSERT, &a),
                     ZF_CACHE_LOAD);
    zf_cache_publish(c, a, 0); /* failed: dropped */
    zf_cache_release(c, a);
    ck_assert_int_eq(zf_cache_acquire(c, c, "k", 0, 8, 100, ZF_CACHE_LOOKUP, &a),
                     ZF_CACHE_NONE);
    ck_assert_uint_eq(zf_cache_bytes(c), 0);
    /* a new tag while the old version is still loading: a new entry to
     * load, not the old one to wait for; each loader keeps its own */
    ck_assert_int_eq(zf_cache_acquire(c, c, "k", 0, 8, 100, ZF_CACHE_INSERT, &a),
                     ZF_CACHE_LOAD);
    ck_assert_int_eq(zf_cache_acquire(c, c, "k", 0, 9, 100, ZF_CACHE_INSERT, &b),
                     ZF_CACHE_LOAD);
    ck_assert_ptr_ne(a, b);
    memset(a->data, 1, 100);
    memset(b->data, 2, 100);
    zf_cache_publish(c, a, 1);
    zf_cache_publish(c, b, 1);
    zf_cache_release(c, a);
    zf_cache_release(c, b);
    ck_assert_int_eq(zf_cache_acquire(c, c, "k", 0, 9, 100, ZF_CACHE_LOOKUP, &a),
                     ZF_CACHE_HIT);
    ck_assert_int_eq(a->data[0], 2);
    zf_cache_release(c, a);
    ck_assert_uint_eq(zf_cache_bytes(c), 100);
    zf_cache_free(c);
    zf_pool_free(pool);
}
END_TEST

START_TEST(test_budget_and_prefetch)
{
    zf_pool *pool;
    zf_cache *c;
    zf_cache_counters ctr = {0};
    ck_assert_int_eq(zf_pool_new(1, 0, &pool, NULL), ZF_OK);
    ck_assert_int_eq(zf_cache_new(1000, pool, &ctr, &c, NULL), ZF_OK);
    char key[16];
    for (int i = 0; i < 10; i++) { /* 10 x 300 bytes through 1000 */
        zf_centry *e;
        snprintf(key, sizeof key, "c/%d", i);
        ck_assert_int_eq(zf_cache_acquire(c, c, key, 0, 0, 300, ZF_CACHE_INSERT, &e),
                         ZF_CACHE_LOAD);
        zf_cache_publish(c, e, 1);
        zf_cache_release(c, e);
        ck_assert_uint_le(zf_cache_bytes(c), 1000);
    }
    zf_centry *e;
    /* the three most recent stay; the oldest went */
    ck_assert_int_eq(zf_cache_acquire(c, c, "c/9", 0, 0, 300, ZF_CACHE_LOOKUP, &e),
                     ZF_CACHE_HIT);
    zf_cache_release(c, e);
    ck_assert_int_eq(zf_cache_acquire(c, c, "c/0", 0, 0, 300, ZF_CACHE_LOOKUP, &e),
                     ZF_CACHE_NONE);
    /* a full cache takes no prefetch */
    ck_assert_int_eq(zf_cache_acquire(c, c, "p", 0, 0, 300, ZF_CACHE_PREFETCH, &e),
                     ZF_CACHE_NONE);
    /* a read's entry larger than the budget is kept outside it, at most
     * ZF_CACHE_OVERSIZE of them: the oldest unused one makes way */
    const char *big[] = {"big0", "big1", "big2"};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(zf_cache_acquire(c, c, big[i], 0, 0, 1001,
                                          ZF_CACHE_INSERT, &e), ZF_CACHE_LOAD);
        zf_cache_publish(c, e, 1);
        zf_cache_release(c, e);
        ck_assert_uint_le(zf_cache_bytes(c), 1000); /* (not counted) */
    }
    ck_assert_int_eq(zf_cache_acquire(c, c, "big0", 0, 0, 1001, ZF_CACHE_LOOKUP, &e),
                     ZF_CACHE_NONE);
    ck_assert_int_eq(zf_cache_acquire(c, c, "big2", 0, 0, 1001, ZF_CACHE_LOOKUP, &e),
                     ZF_CACHE_HIT);
    zf_centry *held = e; /* one held, one more: the held one stays */
    ck_assert_int_eq(zf_cache_acquire(c, c, "big3", 0, 0, 1001, ZF_CACHE_INSERT, &e),
                     ZF_CACHE_LOAD);
    zf_cache_publish(c, e, 1);
    zf_cache_release(c, e);
    ck_assert_int_eq(zf_cache_acquire(c, c, "big1", 0, 0, 1001, ZF_CACHE_LOOKUP, &e),
                     ZF_CACHE_NONE);
    zf_cache_release(c, held);
    ck_assert_int_eq(zf_cache_acquire(c, c, "big2", 0, 0, 1001, ZF_CACHE_LOOKUP, &e),
                     ZF_CACHE_HIT);
    zf_cache_release(c, e);
    zf_cache_free(c);
    zf_pool_free(pool);
}
END_TEST

/* decode.h's bound on scratch: a box of a chunk larger than ZF_SCRATCH_KEEP
 * is decoded aside in the thread's scratch, which zf_scratch_done then
 * gives back; a small chunk's buffer is kept for the next one. */
/* A box of the last 8 elements of a uint16 chunk of n bytes, stored big
 * endian (so it is decoded aside: swapped in scratch) or, with `native`,
 * little endian (copied straight out of the stored bytes: no scratch). */
static void decode_part_as(zf_scratch *s, uint64_t n, int native)
{
    json_object *codecs = json_tokener_parse(
        native ? "[{\"name\": \"bytes\", \"configuration\": {\"endian\": \"little\"}}]"
               : "[{\"name\": \"bytes\", \"configuration\": {\"endian\": \"big\"}}]");
    const zf_dtype *dt = zf_dtype_by_name("uint16");
    uint16_t fill = 0;
    uint64_t elems = n / 2;
    zf_pipeline *p;
    zf_err err;
    ck_assert_int_eq(zf_pipeline_new(codecs, 1, &elems, dt, &fill, 0, &p, &err), ZF_OK);
    json_object_put(codecs);
    uint8_t *chunk = malloc(n), out[16];
    for (uint64_t i = 0; i < n; i++)
        chunk[i] = (uint8_t)(i * 13);
    uint64_t lo = elems - 8, count = 8;
    zf_strided dst = {out, {2}};
    ck_assert_int_eq(zf_decode_box(p, chunk, n, &lo, &count, NULL, &dst, s, NULL, &err),
                     ZF_OK);
    for (int i = 0; i < 8; i++) {
        const uint8_t *e = chunk + 2 * lo + 2 * (uint64_t)i;
        uint16_t want = native ? (uint16_t)(e[0] | e[1] << 8) : (uint16_t)(e[0] << 8 | e[1]);
        uint16_t got;
        memcpy(&got, out + 2 * i, 2);
        ck_assert_uint_eq(got, want);
    }
    free(chunk);
    zf_pipeline_free(p);
}

static void decode_part(zf_scratch *s, uint64_t n)
{
    decode_part_as(s, n, 0);
}

START_TEST(test_scratch_bound)
{
    zf_scratch spare = {0};
    zf_scratch *s = zf_scratch_get(&spare);
    ck_assert_ptr_ne(s, &spare);
    ck_assert_ptr_eq(zf_scratch_get(&spare), s); /* the thread's own */
    decode_part(s, (uint64_t)3 * ZF_SCRATCH_KEEP);
    ck_assert_uint_ge(s->a.cap, 3 * ZF_SCRATCH_KEEP); /* decoded aside */
    zf_scratch_done(s, NULL);
    zf_buf *bufs[] = {&s->in, &s->a, &s->b, &s->c};
    for (int i = 0; i < 4; i++)
        ck_assert_uint_le(bufs[i]->cap, ZF_SCRATCH_KEEP);
    decode_part(s, 100000);
    uint8_t *kept = s->a.p;
    zf_scratch_done(s, NULL);
    ck_assert_ptr_eq(s->a.p, kept);
    ck_assert_uint_ge(s->a.cap, 100000);
    /* a raw chunk in native order: the box comes straight out of the stored
     * bytes, through no scratch */
    zf_buf_free(&s->a);
    decode_part_as(s, (uint64_t)3 * ZF_SCRATCH_KEEP, 1);
    ck_assert_uint_eq(s->a.cap, 0);
}
END_TEST

/* A large scratch buffer goes to the pool given to zf_scratch_done (not
 * freed), and zf_scratch_take hands it out again for the next large chunk;
 * small needs take nothing from the pool. */
START_TEST(test_scratch_pool)
{
    zf_bufpool pool;
    zf_bufpool_init(&pool, (size_t)64 << 20);
    zf_scratch s = {0};
    size_t big = 3 * ZF_SCRATCH_KEEP;
    zf_scratch_take(&s.a, &pool, big);
    ck_assert_uint_ge(s.a.cap, big);
    uint8_t *p = s.a.p;
    zf_scratch_take(&s.in, &pool, 1000); /* small: left to zf_buf_reserve */
    ck_assert_uint_eq(s.in.cap, 0);
    zf_scratch_done(&s, &pool);
    ck_assert_uint_eq(s.a.cap, 0);
    ck_assert_int_eq(pool.n, 1);
    zf_scratch_take(&s.in, &pool, big - 1);
    ck_assert_ptr_eq(s.in.p, p); /* the same buffer, kept */
    ck_assert_int_eq(pool.n, 0);
    zf_scratch_free(&s);
    zf_bufpool_destroy(&pool);
}
END_TEST

/* ---- reads through the machinery ------------------------------------------ */

#define N0 96
#define N1 80
#define N2 40
static uint8_t *g_data; /* uint16 [N0][N1][N2], little endian */
static size_t g_size = (size_t)N0 * N1 * N2 * 2;
static char *g_dir;

static void make_data(void)
{
    g_data = malloc(g_size);
    tu_rng r = {42};
    for (size_t i = 0; i < g_size / 2; i++)
        tu_le16(g_data + 2 * i, (uint16_t)(i * 7 + (tu_next(&r) & 0xff)));
}

static void pack_codec(const char *name, int sharded, zf_pack_codec codec);

static void pack(const char *name, int sharded)
{
    pack_codec(name, sharded, ZF_PACK_ZSTD);
}

static void pack_codec(const char *name, int sharded, zf_pack_codec codec)
{
    char in[4096], out[4096];
    snprintf(in, sizeof in, "%s/in.raw", g_dir);
    snprintf(out, sizeof out, "%s/%s", g_dir, name);
    FILE *f = fopen(in, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(g_data, 1, g_size, f), g_size);
    fclose(f);
    zf_pack_options o = {.ndim = 3, .shape = {N0, N1, N2}, .chunks = {16, 16, 8},
                         .shards = {32, 32, 40}, .sharded = sharded,
                         .dtype = "uint16", .codec = codec, .level = 1,
                         .crc32c = sharded, .threads = 2};
    int fd = open(in, O_RDONLY);
    zf_err err;
    ck_assert_msg(zf_pack(&o, fd, out, &err) == ZF_OK, "%s", err.msg);
    close(fd);
}

static void setup(void)
{
    g_dir = tu_mkdtemp();
    make_data();
    pack("sharded.zarr", 1);
    pack("plain.zarr", 0);
}

static void teardown(void)
{
    tu_rmtree(g_dir);
    free(g_dir);
    free(g_data);
}

typedef struct reader {
    zf_array *a;
    int seed, sequential, failures;
} reader;

static void *read_loop(void *p)
{
    reader *rd = p;
    tu_rng r = {(uint64_t)rd->seed * 7919 + 1};
    uint8_t buf[40000];
    uint64_t pos = tu_range(&r, 0, g_size / 2);
    for (int it = 0; it < TU_ROUNDS(150); it++) {
        uint64_t off = rd->sequential ? pos : tu_range(&r, 0, g_size - 1);
        size_t len = (size_t)tu_range(&r, 1, sizeof buf);
        size_t want = off + len > g_size ? g_size - off : len, got = 0;
        zf_err err;
        if (zf_array_read(rd->a, off, len, buf, &got, &err) != ZF_OK ||
            got != want || memcmp(buf, g_data + off, want) != 0)
            rd->failures++;
        pos = off + want >= g_size ? 0 : off + want;
    }
    return NULL;
}

/* 8 readers (half sequential) against one array under one configuration. */
static void hammer(const char *store, int threads, size_t cache, int prefetch)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", g_dir, store);
    zf_options o = {.threads = threads, .cache_bytes = cache,
                    .no_prefetch = !prefetch};
    zf_zarr *z;
    zf_array *a;
    zf_err err;
    ck_assert_msg(zf_open(path, &o, &z, &err) == ZF_OK, "%s", err.msg);
    ck_assert_msg(zf_array_get(z, "", &a, &err) == ZF_OK, "%s", err.msg);
    pthread_t t[8];
    reader rd[8];
    for (int k = 0; k < 8; k++) {
        rd[k] = (reader){a, k, k % 2, 0};
        ck_assert_int_eq(pthread_create(&t[k], NULL, read_loop, &rd[k]), 0);
    }
    int failures = 0;
    for (int k = 0; k < 8; k++) {
        pthread_join(t[k], NULL);
        failures += rd[k].failures;
    }
    /* one whole read at the end, after all that churn */
    uint8_t *all = malloc(g_size);
    size_t got;
    ck_assert_int_eq(zf_array_read(a, 0, g_size, all, &got, &err), ZF_OK);
    ck_assert(got == g_size && memcmp(all, g_data, g_size) == 0);
    free(all);
    zf_stats s;
    zf_get_stats(z, &s);
    if (cache >= ((size_t)1 << 20))
        ck_assert_msg(s.cache_hits > 0, "%s: no cache hit", store);
    zf_close(z);
    ck_assert_msg(failures == 0, "%s threads=%d cache=%zu prefetch=%d: %d reads "
                  "wrong", store, threads, cache, prefetch, failures);
}

static const size_t caches[] = {1, 16 << 10, 64 << 10, 64 << 20};

START_TEST(test_sharded_configs)
{
    /* _i: cache size x threads x prefetch */
    hammer("sharded.zarr", _i & 1 ? 8 : 1, caches[(_i >> 1) & 3], _i >> 3);
}
END_TEST

START_TEST(test_plain_configs)
{
    hammer("plain.zarr", _i & 1 ? 8 : 1, caches[(_i >> 1) & 3], _i >> 3);
}
END_TEST

/* One reader going through the array in small steps, pausing between reads
 * as a program processing its input does: the chunks ahead are decoded
 * while it pauses, and its reads then find them ready. */
static void sequential(const char *store, int prefetch)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", g_dir, store);
    zf_options o = {.threads = 2, .no_prefetch = !prefetch};
    zf_zarr *z;
    zf_array *a;
    zf_err err;
    ck_assert_msg(zf_open(path, &o, &z, &err) == ZF_OK, "%s", err.msg);
    ck_assert_msg(zf_array_get(z, "", &a, &err) == ZF_OK, "%s", err.msg);
    uint8_t buf[8192];
    for (size_t off = 0; off < g_size; off += sizeof buf) {
        size_t got;
        ck_assert_int_eq(zf_array_read(a, off, sizeof buf, buf, &got, &err), ZF_OK);
        ck_assert(memcmp(buf, g_data + off, got) == 0);
        usleep(300);
    }
    zf_stats s;
    zf_get_stats(z, &s);
    zf_close(z);
    if (prefetch)
        ck_assert_msg(s.prefetch_hits > 0, "%s: no prefetched chunk was used "
                      "(%llu chunks decoded)", store,
                      (unsigned long long)s.chunks_decoded);
    else
        ck_assert_uint_eq(s.prefetch_hits, 0);
}

START_TEST(test_sequential_prefetch)
{
    sequential(_i & 1 ? "sharded.zarr" : "plain.zarr", _i >> 1);
}
END_TEST

/* A shard replaced by another valid one while the store is open: later
 * reads give the new bytes, never cached bytes of the old shard. */
START_TEST(test_replaced_shard)
{
    char path[2048], shard[4096], keep[4096];
    snprintf(path, sizeof path, "%s/sharded.zarr", g_dir);
    snprintf(shard, sizeof shard, "%s/c/0/0/0", path);
    snprintf(keep, sizeof keep, "%s/old-shard", g_dir);
    zf_zarr *z;
    zf_array *a;
    zf_err err;
    ck_assert_msg(zf_open(path, NULL, &z, &err) == ZF_OK, "%s", err.msg);
    ck_assert_msg(zf_array_get(z, "", &a, &err) == ZF_OK, "%s", err.msg);
    uint8_t buf[100];
    size_t got;
    ck_assert_int_eq(zf_array_read(a, 1000, sizeof buf, buf, &got, &err), ZF_OK);
    ck_assert(memcmp(buf, g_data + 1000, sizeof buf) == 0);
    /* pack other data over the same array, then swap its first shard in */
    for (size_t i = 0; i < g_size; i++)
        g_data[i] ^= 0xA5;
    pack("other.zarr", 1);
    char fresh[8192];
    snprintf(fresh, sizeof fresh, "%s/other.zarr/c/0/0/0", g_dir);
    ck_assert_int_eq(rename(shard, keep), 0);
    ck_assert_int_eq(rename(fresh, shard), 0);
    ck_assert_int_eq(zf_array_read(a, 1000, sizeof buf, buf, &got, &err), ZF_OK);
    ck_assert_msg(memcmp(buf, g_data + 1000, sizeof buf) == 0,
                  "a read after the shard was replaced gave the old bytes");
    zf_close(z);
}
END_TEST

/* A store that holds one read open: the first read of `key` reads its
 * bytes and then waits until the test opens the gate.  It stands in
 * for a loader that has read the old version of a key and is still
 * decoding it when the key is replaced.  It is injected by swapping
 * z->store after zf_open (the store interface, store.h). */
typedef struct gate_store {
    zf_store base;
    zf_store *inner;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    const char *key;
    int seen, held, open;
} gate_store;

static void gate_read(zf_store *s, zf_range_req *r, size_t n)
{
    gate_store *g = (gate_store *)s;
    zf_store_read(g->inner, r, n);
    pthread_mutex_lock(&g->lock);
    int hold = 0;
    for (size_t i = 0; i < n; i++)
        hold |= strcmp(r[i].key, g->key) == 0 && ++g->seen == 1;
    if (hold) {
        g->held = 1;
        pthread_cond_broadcast(&g->cond);
        while (!g->open)
            pthread_cond_wait(&g->cond, &g->lock);
    }
    pthread_mutex_unlock(&g->lock);
}

static zf_code gate_stat(zf_store *s, const char *key, zf_store_stat *st,
                         zf_err *err)
{
    return zf_store_stat_key(((gate_store *)s)->inner, key, st, err);
}

static zf_code gate_list(zf_store *s, const char *prefix,
                         void (*fn)(void *, const char *, int), void *arg,
                         zf_err *err)
{
    zf_store *in = ((gate_store *)s)->inner;
    return in->ops->list(in, prefix, fn, arg, err);
}

static void gate_close(zf_store *s)
{
    zf_store_close(((gate_store *)s)->inner);
}

static const zf_store_ops gate_ops = {gate_read, gate_stat, gate_list,
                                      gate_close, NULL, NULL};

/* Bytes 16..31: part of the second chunk, so that the chunk is claimed in
 * the cache, and (sharded) a chunk whose offset in its shard depends on the
 * size of the one before. */
#define GATED_AT 16
#define GATED_CHUNK "c/0/0/1"

typedef struct gated_read {
    zf_array *a;
    uint8_t buf[16];
    zf_code code;
    atomic_int done;
} gated_read;

static void *gated_read_run(void *p)
{
    gated_read *r = p;
    size_t got = 0;
    zf_err err;
    r->code = zf_array_read(r->a, GATED_AT, sizeof r->buf, r->buf, &got, &err);
    if (r->code == ZF_OK && got != sizeof r->buf)
        r->code = ZF_ECORRUPT;
    atomic_store(&r->done, 1);
    return NULL;
}

/* Reader A reads 16 bytes at GATED_AT and is held inside its read of the
 * old key: for
 * _i = 0 the chunk of the plain array (the chunk cache), for _i = 1 the
 * index of the sharded array's shard (the shard-index cache: the old
 * offsets applied to the new shard would fail, or with bytes-only codecs
 * serve wrong bytes).
 * The key is then replaced by another version, and reader B, which stats
 * the new version, must get the new bytes (or an error), never the old ones
 * A is loading.  B is given two seconds before the gate opens: in the
 * unfixed code it waits on A's entry and then gets A's old bytes. */
START_TEST(test_replaced_while_loading)
{
    static const char *store[] = {"plain.zarr", "sharded.zarr"};
    char path[2048], key[4096], fresh[4096];
    snprintf(path, sizeof path, "%s/%s", g_dir, store[_i]);
    const char *name = _i ? "c/0/0/0" : GATED_CHUNK;
    snprintf(key, sizeof key, "%s/%s", path, name);
    zf_options o = {.threads = 4, .no_prefetch = 1};
    zf_zarr *z;
    zf_array *a;
    zf_err err;
    ck_assert_msg(zf_open(path, &o, &z, &err) == ZF_OK, "%s", err.msg);
    ck_assert_msg(zf_array_get(z, "", &a, &err) == ZF_OK, "%s", err.msg);
    gate_store g = {.base = {&gate_ops, "gate", z->store->coalesce_gap,
                             z->store->coalesce_max},
                    .inner = z->store, .key = name};
    pthread_mutex_init(&g.lock, NULL);
    pthread_cond_init(&g.cond, NULL);
    z->store = &g.base;
    uint8_t old[16];
    memcpy(old, g_data + GATED_AT, sizeof old);
    gated_read ra = {.a = a}, rb = {.a = a};
    pthread_t ta, tb;
    ck_assert_int_eq(pthread_create(&ta, NULL, gated_read_run, &ra), 0);
    pthread_mutex_lock(&g.lock);
    while (!g.held)
        pthread_cond_wait(&g.cond, &g.lock);
    pthread_mutex_unlock(&g.lock);
    /* A holds the old bytes: replace the key with other data, every byte
     * different and less random (so compressed chunks change size) */
    for (size_t i = 0; i < g_size; i++)
        g_data[i] = (uint8_t)((g_data[i] ^ 0xA5) & 0xF0);
    pack("other.zarr", _i != 0);
    snprintf(fresh, sizeof fresh, "%s/other.zarr/%s", g_dir, name);
    ck_assert_int_eq(rename(fresh, key), 0);
    ck_assert_int_eq(pthread_create(&tb, NULL, gated_read_run, &rb), 0);
    for (int ms = 0; ms < 2000 && !atomic_load(&rb.done); ms += 10)
        usleep(10000);
    pthread_mutex_lock(&g.lock);
    g.open = 1;
    pthread_cond_broadcast(&g.cond);
    pthread_mutex_unlock(&g.lock);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    /* A may fail, or (having read the old index only) get the new bytes */
    ck_assert_msg(ra.code != ZF_OK || memcmp(ra.buf, old, 16) == 0 ||
                  memcmp(ra.buf, g_data + GATED_AT, 16) == 0,
                  "the read that began before the replacement got wrong bytes");
    ck_assert_msg(rb.code == ZF_OK, "the read after the replacement failed "
                  "(code %d)", rb.code);
    ck_assert_msg(memcmp(rb.buf, old, 16) != 0,
                  "the read after the replacement got the old bytes");
    ck_assert_msg(memcmp(rb.buf, g_data + GATED_AT, 16) == 0,
                  "the read after the replacement got wrong bytes");
    zf_close(z);
    pthread_mutex_destroy(&g.lock);
    pthread_cond_destroy(&g.cond);
}
END_TEST

/* decode.h: a failed pthread_key_create (every key taken) leaves reads
 * working, on scratch of their own.  In a child process: take every key
 * there is, and give every key a pointer to garbage (what a scratch key
 * that was never made would read back), then read part of an uncompressed chunk
 * (no codec needs a key of its own) through the decode path that uses
 * scratch (no cache room: decoded aside, then copied); the bytes must be
 * right. */
static int read_without_keys(const char *path)
{
    static uint8_t garbage[256];
    memset(garbage, 0xff, sizeof garbage);
    pthread_key_t k;
    int made = 0;
    while (pthread_key_create(&k, NULL) == 0) {
        pthread_setspecific(k, garbage);
        made++;
    }
#ifndef __SANITIZE_ADDRESS__
    /* every key there is, ours or not (this process only reads, then
     * exits), so that a scratch key never made reads garbage whichever
     * key number it holds; AddressSanitizer's own keys must be left alone */
    for (unsigned i = 0; i < PTHREAD_KEYS_MAX; i++)
        pthread_setspecific((pthread_key_t)i, garbage);
#endif
    zf_options o = {.threads = 1, .cache_bytes = 1, .no_prefetch = 1};
    zf_zarr *z;
    zf_array *a;
    zf_err err;
    if (made == 0 || zf_open(path, &o, &z, &err) != ZF_OK ||
        zf_array_get(z, "", &a, &err) != ZF_OK)
        return 2;
    uint8_t buf[100];
    size_t got = 0;
    int ok = zf_array_read(a, 1000, sizeof buf, buf, &got, &err) == ZF_OK &&
             got == sizeof buf && memcmp(buf, g_data + 1000, sizeof buf) == 0;
    zf_close(z);
    return ok ? 0 : 1;
}

START_TEST(test_no_thread_keys)
{
    char path[4096];
    pack_codec("raw.zarr", 0, ZF_PACK_NONE);
    snprintf(path, sizeof path, "%s/raw.zarr", g_dir);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(read_without_keys(path));
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st), "the read without thread keys crashed "
                  "(signal %d)", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    ck_assert_msg(WEXITSTATUS(st) == 0, "the read without thread keys %s",
                  WEXITSTATUS(st) == 2 ? "could not start" : "read wrong bytes");
}
END_TEST

/* Plans chunk (1, 2, 3) of the array, the box `count` from its origin, into
 * a C-order buffer of that box; looks it up, checks the mode, runs the task
 * and compares its bytes with the input. */
static void plan_one(zf_array *a, const uint64_t *count, int want_in_place)
{
    static const uint64_t at[3] = {1, 2, 3}, lo[3] = {0, 0, 0};
    char key[4096];
    zf_err err;
    ck_assert_int_eq(zf_chunk_key(a, at, key, sizeof key, &err), ZF_OK);
    uint8_t *buf = malloc(count[0] * count[1] * count[2] * 2);
    zf_strided dst = {buf, {0}};
    zf_c_strides(3, count, 2, dst.stride);
    zf_plan pl = {.array = a};
    ck_assert_msg(zf_plan_chunk(&pl, a->pipe, key, 0, ZF_WHOLE_KEY, 0, lo,
                                count, &dst, &err) == ZF_OK, "%s", err.msg);
    ck_assert_uint_eq(pl.ntasks, 1);
    zf_plan_lookup(&pl);
    ck_assert_msg((pl.tasks[0].mode == ZF_TASK_IN_PLACE) == want_in_place,
                  "%s box %llux%llux%llu: mode %d", key,
                  (unsigned long long)count[0], (unsigned long long)count[1],
                  (unsigned long long)count[2], (int)pl.tasks[0].mode);
    zf_task_run(&pl.tasks[0]);
    ck_assert_msg(pl.tasks[0].code == ZF_OK, "%s", pl.tasks[0].err.msg);
    size_t wrong = 0;
    for (uint64_t i = 0; i < count[0]; i++)
        for (uint64_t j = 0; j < count[1]; j++)
            for (uint64_t k = 0; k < count[2]; k++) {
                size_t g = (((16 + i) * N1 + 32 + j) * N2 + 24 + k) * 2;
                size_t d = ((i * count[1] + j) * count[2] + k) * 2;
                wrong += memcmp(buf + d, g_data + g, 2) != 0;
            }
    ck_assert_msg(wrong == 0, "%s: %zu elements wrong", key, wrong);
    zf_plan_free(&pl);
    free(buf);
}

START_TEST(test_in_place_mode)
{
    static const uint64_t whole[3] = {16, 16, 8}, part[3] = {16, 16, 4};
    const char *store = _i ? "plain.zarr" : "raw.zarr"; /* zstd : none */
    char path[4096];
    if (!_i)
        pack_codec("raw.zarr", 0, ZF_PACK_NONE);
    snprintf(path, sizeof path, "%s/%s", g_dir, store);
    zf_options o = {.threads = 2, .no_prefetch = 1};
    zf_zarr *z;
    zf_array *a;
    zf_err err;
    ck_assert_msg(zf_open(path, &o, &z, &err) == ZF_OK, "%s", err.msg);
    ck_assert_msg(zf_array_get(z, "", &a, &err) == ZF_OK, "%s", err.msg);
    plan_one(a, whole, !_i);
    plan_one(a, part, 0);
    zf_stats s;
    zf_get_stats(z, &s);
    ck_assert_uint_eq(s.chunks_decoded, 2);
    /* the raw whole chunk went in place; the zstd one decodes straight
     * into dst (also counted in place); parts never do */
    ck_assert_uint_eq(s.in_place_decodes, 1);
    zf_close(z);
}
END_TEST

/* Readers following each other through the same part of the array with
 * asynchronous reads, as the mount's concurrent readahead of one file does:
 * the reads run on the engine's own threads and wait on chunks that prefetch
 * jobs have claimed, which must not deadlock the pool (waiters help with
 * prefetch jobs), even with one worker thread. */
typedef struct pending_read {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int left, failures;
} pending_read;

static void async_done(void *arg, zf_code code, size_t nread, const zf_err *err)
{
    pending_read *p = arg;
    (void)err;
    pthread_mutex_lock(&p->lock);
    p->failures += code != ZF_OK || nread == 0;
    if (--p->left == 0)
        pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

static void *follow_loop(void *p)
{
    reader *rd = p;
    enum { STEP = 8192, AHEAD = 8 };
    uint8_t *buf = malloc(STEP * AHEAD);
    for (int pass = 0; pass < 3; pass++)
        for (size_t off = 0; off < g_size; off += STEP * AHEAD) {
            pending_read pr = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                               AHEAD, 0};
            for (int k = 0; k < AHEAD; k++) /* like readahead: several at once */
                zf_array_read_async(rd->a, off + (size_t)k * STEP, STEP,
                                    buf + k * STEP, async_done, &pr);
            pthread_mutex_lock(&pr.lock);
            while (pr.left > 0)
                pthread_cond_wait(&pr.cond, &pr.lock);
            pthread_mutex_unlock(&pr.lock);
            size_t n = off + STEP * AHEAD > g_size ? g_size - off : STEP * AHEAD;
            rd->failures += memcmp(buf, g_data + off, n) != 0;
            /* reads past the end answer 0 bytes: only count real failures */
            rd->failures += pr.failures > (int)((STEP * AHEAD - n) / STEP);
        }
    free(buf);
    return NULL;
}

START_TEST(test_followers_with_prefetch)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", g_dir, _i ? "sharded.zarr" : "plain.zarr");
    zf_options o = {.threads = 1, .cache_bytes = 64 << 20};
    zf_zarr *z;
    zf_array *a;
    zf_err err;
    ck_assert_msg(zf_open(path, &o, &z, &err) == ZF_OK, "%s", err.msg);
    ck_assert_msg(zf_array_get(z, "", &a, &err) == ZF_OK, "%s", err.msg);
    pthread_t t[3];
    reader rd[3];
    for (int k = 0; k < 3; k++) {
        rd[k] = (reader){a, k, 1, 0};
        ck_assert_int_eq(pthread_create(&t[k], NULL, follow_loop, &rd[k]), 0);
    }
    int failures = 0;
    for (int k = 0; k < 3; k++) {
        pthread_join(t[k], NULL);
        failures += rd[k].failures;
    }
    zf_close(z);
    ck_assert_int_eq(failures, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cache");
    TCase *unit = tcase_create("unit");
    tcase_add_test(unit, test_single_flight);
    tcase_add_test(unit, test_budget_and_prefetch);
    tcase_add_test(unit, test_scratch_bound);
    tcase_add_test(unit, test_scratch_pool);
    suite_add_tcase(s, unit);
    TCase *reads = tcase_create("reads");
    tcase_set_timeout(reads, 300);
    tcase_add_unchecked_fixture(reads, tu_base_setup, tu_base_teardown);
    tcase_add_checked_fixture(reads, setup, teardown);
    tcase_add_loop_test(reads, test_sharded_configs, 0, 16);
    tcase_add_loop_test(reads, test_plain_configs, 0, 16);
    tcase_add_loop_test(reads, test_sequential_prefetch, 0, 4);
    tcase_add_test(reads, test_replaced_shard);
    tcase_add_loop_test(reads, test_replaced_while_loading, 0, 2);
    tcase_add_test(reads, test_no_thread_keys);
    tcase_add_loop_test(reads, test_in_place_mode, 0, 2);
    tcase_add_loop_test(reads, test_followers_with_prefetch, 0, 2);
    suite_add_tcase(s, reads);
    return tu_run(s);
}
