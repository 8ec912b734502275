/*
 * test_partial.c - partial reads of uncompressed chunks (the bytes codec
 * alone): a small read of a large raw chunk fetches about the bytes it
 * needs, not the chunk.
 *  - three stores of 64 MiB of uint32 written by hand (and one of 12 MB
 *    whose edge chunks reach past the array): v3 1-d in 8 MiB
 *    chunks (little endian), v3 2-d in 32 MiB shards of 8 MiB inner chunks
 *    (bytes big endian inside, the index crc32c'd at the end), v2 2-d in
 *    8 MiB chunks (">u4", compressor null); each with one missing chunk or
 *    empty inner chunk (the fill value, 7);
 *  - 300 random 4 KiB reads of each (at page-aligned and at arbitrary byte
 *    offsets): every byte equal to the pattern, the bytes fetched from the
 *    store at most 1.2x the bytes asked plus the shard indexes read, and a
 *    bounded number of requests per read; then the whole array read back
 *    (a chunk read in part never serves bytes it does not hold);
 *  - subarrays (strided, reversed, in Fortran order, a dimension dropped)
 *    of the 2-d stores, read whole: every element right;
 *  - a stream of small reads, prefetch on: the first two read their parts,
 *    the third continues them, and the chunk is read whole and cached;
 *  - the modes (zf_plan_lookup): part of a row is ZF_TASK_PARTIAL in one
 *    range, a row's tail and the next row's head are fetched in one
 *    request, rows far apart are one range each, a strided row one range
 *    holding its holes; a column of more than ZF_PARTIAL_MAX_RANGES rows or
 *    more than half the chunk is read whole and cached (then a hit);
 *  - a chunk (or shard) rewritten between the plan and the read: the
 *    planned read fails with ZF_ECHANGED, and a read planned again gives
 *    the new bytes.
 */
#include "testutil.h"

#include <sys/time.h>

#include "engine.h"
#include "meta/meta.h"
#include "read/plan.h"
#include "read/read.h"
#include "read/task.h"

#define FILL 7u

static uint32_t val(uint64_t e)
{
    return (uint32_t)(e * 2654435761u + 12345u);
}

/* One store: its grid of decode units (chunks, or inner chunks when
 * sharded) and the one unit that is missing. */
typedef struct spec {
    const char *name;
    int v2, sharded, big, ndim;
    uint64_t shape[2], chunk[2], unit[2], missing[2];
} spec;

static const spec specs[] = {
    {"v3_flat.zarr", 0, 0, 0, 1, {16u << 20}, {2u << 20}, {2u << 20}, {5}},
    {"v3_sharded.zarr", 0, 1, 1, 2, {4096, 4096}, {2048, 4096}, {1024, 2048},
     {3, 1}},
    {"v2.zarr", 1, 0, 1, 2, {4096, 4096}, {1024, 2048}, {1024, 2048}, {2, 1}},
    /* edge chunks reaching past the array: rows of 3000 elements in chunks
     * of 2048 columns (4 MiB), a box there has holes of 1096 elements */
    {"v3_edge.zarr", 0, 0, 0, 2, {1000, 3000}, {512, 2048}, {512, 2048},
     {9, 9}},
};
#define NSPECS (sizeof specs / sizeof *specs)

static uint64_t nelems(const spec *s)
{
    return s->ndim == 1 ? s->shape[0] : s->shape[0] * s->shape[1];
}

/* The expected element e of the flat view. */
static uint32_t expect(const spec *s, uint64_t e)
{
    uint64_t at[2] = {e, 0};
    if (s->ndim == 2)
        at[0] = e / s->shape[1], at[1] = e % s->shape[1];
    for (int d = 0; d < s->ndim; d++)
        if (at[d] / s->unit[d] != s->missing[d])
            return val(e);
    return FILL;
}

static void put32(uint8_t *p, uint32_t v, int big)
{
    for (int i = 0; i < 4; i++)
        p[big ? 3 - i : i] = (uint8_t)(v >> (8 * i));
}

/* The encoded bytes of unit u (its grid coordinates) into buf. */
static void unit_bytes(const spec *s, const uint64_t *u, uint8_t *buf)
{
    uint64_t rows = s->ndim == 2 ? s->unit[0] : 1;
    uint64_t cols = s->unit[s->ndim - 1];
    for (uint64_t r = 0; r < rows; r++)
        for (uint64_t c = 0; c < cols; c++) {
            uint64_t e = s->ndim == 2
                             ? (u[0] * rows + r) * s->shape[1] + u[1] * cols + c
                             : u[0] * cols + c;
            put32(buf + 4 * (r * cols + c), val(e), s->big);
        }
}

static uint64_t unit_nbytes(const spec *s)
{
    return 4 * s->unit[0] * (s->ndim == 2 ? s->unit[1] : 1);
}

static int is_missing(const spec *s, const uint64_t *u)
{
    for (int d = 0; d < s->ndim; d++)
        if (u[d] != s->missing[d])
            return 0;
    return 1;
}

/* A shard of 2x2 inner chunks, stored last first, its index at the end. */
static void write_shard(const char *root, const spec *s, uint64_t row)
{
    uint64_t n = unit_nbytes(s);
    uint8_t *buf = malloc(4 * n + 4 * 16 + 4), *ix = buf + 4 * n;
    ck_assert_ptr_nonnull(buf);
    uint64_t at = 0;
    for (int k = 3; k >= 0; k--) {
        uint64_t u[2] = {2 * row + (uint64_t)k / 2, (uint64_t)k % 2};
        uint64_t off = UINT64_MAX, len = UINT64_MAX;
        if (!is_missing(s, u)) {
            unit_bytes(s, u, buf + at);
            off = at;
            len = n;
            at += n;
        }
        tu_le64(ix + 16 * k, off);
        tu_le64(ix + 16 * k + 8, len);
    }
    memmove(buf + at, ix, 64);
    tu_le32(buf + at + 64, tu_crc32c(buf + at, 64));
    char key[64];
    snprintf(key, sizeof key, "%s/c/%llu/0", s->name, (unsigned long long)row);
    tu_write(root, key, buf, at + 68);
    free(buf);
}

static void write_metadata(const char *root, const spec *s)
{
    char rel[256];
    if (s->v2) {
        snprintf(rel, sizeof rel, "%s/.zarray", s->name);
        tu_writef(root, rel, "{\"zarr_format\": 2, \"shape\": [%llu, %llu], "
                  "\"chunks\": [%llu, %llu], \"dtype\": \">u4\", "
                  "\"compressor\": null, \"filters\": null, \"fill_value\": %u, "
                  "\"order\": \"C\"}", (unsigned long long)s->shape[0],
                  (unsigned long long)s->shape[1], (unsigned long long)s->chunk[0],
                  (unsigned long long)s->chunk[1], FILL);
        return;
    }
    char shape[64], chunks[64], codecs[1024];
    snprintf(shape, sizeof shape, s->ndim == 1 ? "[%llu]" : "[%llu, %llu]",
             (unsigned long long)s->shape[0], (unsigned long long)s->shape[1]);
    snprintf(chunks, sizeof chunks, s->ndim == 1 ? "[%llu]" : "[%llu, %llu]",
             (unsigned long long)s->chunk[0], (unsigned long long)s->chunk[1]);
    const char *bytes = s->big ? "[{\"name\": \"bytes\", \"configuration\": "
                                 "{\"endian\": \"big\"}}]"
                               : TU_BYTES_LE;
    if (s->sharded)
        snprintf(codecs, sizeof codecs, "[{\"name\": \"sharding_indexed\", "
                 "\"configuration\": {\"chunk_shape\": [%llu, %llu], "
                 "\"codecs\": %s, \"index_codecs\": [{\"name\": \"bytes\", "
                 "\"configuration\": {\"endian\": \"little\"}}, "
                 "{\"name\": \"crc32c\"}], \"index_location\": \"end\"}}]",
                 (unsigned long long)s->unit[0], (unsigned long long)s->unit[1],
                 bytes);
    else
        snprintf(codecs, sizeof codecs, "%s", bytes);
    char fill[16];
    snprintf(fill, sizeof fill, "%u", FILL);
    tu_array a = {.dtype = "\"uint32\"", .shape = shape, .chunks = chunks,
                  .fill = fill, .codecs = codecs};
    tu_write_array(root, s->name, &a);
}

static void write_store(const char *root, const spec *s)
{
    write_metadata(root, s);
    if (s->sharded) {
        for (uint64_t row = 0; row < s->shape[0] / s->chunk[0]; row++)
            write_shard(root, s, row);
        return;
    }
    uint8_t *buf = malloc(unit_nbytes(s));
    ck_assert_ptr_nonnull(buf);
    uint64_t g0 = (s->shape[0] + s->unit[0] - 1) / s->unit[0];
    uint64_t g1 = s->ndim == 2 ? (s->shape[1] + s->unit[1] - 1) / s->unit[1] : 1;
    for (uint64_t i = 0; i < g0; i++)
        for (uint64_t j = 0; j < g1; j++) {
            uint64_t u[2] = {i, j};
            if (is_missing(s, u))
                continue;
            unit_bytes(s, u, buf);
            char key[64];
            if (s->v2)
                snprintf(key, sizeof key, "%s/%llu.%llu", s->name,
                         (unsigned long long)i, (unsigned long long)j);
            else if (s->ndim == 2)
                snprintf(key, sizeof key, "%s/c/%llu/%llu", s->name,
                         (unsigned long long)i, (unsigned long long)j);
            else
                snprintf(key, sizeof key, "%s/c/%llu", s->name,
                         (unsigned long long)i);
            tu_write(root, key, buf, unit_nbytes(s));
        }
    free(buf);
}

static char *g_root;

static void stores_setup(void)
{
    tu_base_setup();
    g_root = tu_mkdtemp();
    for (size_t i = 0; i < NSPECS; i++)
        write_store(g_root, &specs[i]);
}

static void stores_teardown(void)
{
    tu_rmtree(g_root);
    free(g_root);
    g_root = NULL;
    tu_base_teardown();
}

static zf_zarr *open_prefetch(const char *root, const char *name, int prefetch,
                              zf_array **a)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, name);
    zf_options o = {.threads = 2, .no_prefetch = !prefetch};
    zf_zarr *z = NULL;
    zf_err err;
    ck_assert_msg(zf_open(path, &o, &z, &err) == ZF_OK, "%s", err.msg);
    ck_assert_msg(zf_array_get(z, "", a, &err) == ZF_OK, "%s", err.msg);
    return z;
}

static zf_zarr *open_store(const char *root, const char *name, zf_array **a)
{
    return open_prefetch(root, name, 0, a);
}

/* Bytes [off, off+len) of the flat view that differ from the pattern. */
static size_t wrong_bytes(const spec *s, uint64_t off, const uint8_t *buf,
                          size_t len)
{
    size_t wrong = 0;
    uint32_t v = expect(s, off / 4);
    for (size_t i = 0; i < len; i++) {
        uint64_t b = off + i;
        if (b % 4 == 0)
            v = expect(s, b / 4);
        wrong += buf[i] != (uint8_t)(v >> (8 * (b % 4))); /* native: LE */
    }
    return wrong;
}

#define NREADS 300
#define READ 4096

/* _i: the store (i / 4), prefetch on (i / 2 % 2: the reads are then
 * followed as streams, and none continues one), page-aligned offsets
 * (i % 2 == 0) or any. */
START_TEST(test_random_reads)
{
    const spec *s = &specs[_i / 4];
    int aligned = _i % 2 == 0;
    zf_array *a;
    zf_zarr *z = open_prefetch(g_root, s->name, _i / 2 % 2, &a);
    uint64_t size = nelems(s) * 4;
    tu_rng r = {(uint64_t)_i * 7919 + 11};
    uint8_t buf[READ];
    zf_stats before, after;
    zf_get_stats(z, &before);
    size_t wrong = 0;
    for (int k = 0; k < NREADS; k++) {
        uint64_t off = tu_range(&r, 0, size - READ);
        if (aligned)
            off -= off % READ;
        size_t got = 0;
        zf_err err;
        ck_assert_msg(zf_array_read(a, off, READ, buf, &got, &err) == ZF_OK,
                      "%s", err.msg);
        ck_assert_uint_eq(got, READ);
        wrong += wrong_bytes(s, off, buf, READ);
    }
    zf_get_stats(z, &after);
    ck_assert_msg(wrong == 0, "%s: %zu bytes wrong", s->name, wrong);
    uint64_t asked = (uint64_t)NREADS * READ;
    uint64_t fetched = after.store_bytes_read - before.store_bytes_read;
    uint64_t reqs = after.store_reads - before.store_reads;
    uint64_t idx = after.index_reads - before.index_reads;
    fprintf(stderr, "%s, %s offsets%s: %llu bytes fetched for %llu asked "
            "(%.3fx), %llu requests for %d reads (%.2f a read; %llu of "
            "them shard indexes)\n", s->name, aligned ? "page-aligned" : "any",
            _i / 2 % 2 ? ", prefetch on" : "",
            (unsigned long long)fetched, (unsigned long long)asked,
            (double)fetched / (double)asked, (unsigned long long)reqs, NREADS,
            (double)reqs / NREADS, (unsigned long long)idx);
    /* a shard's index: 4 entries of 16 bytes and a crc32c */
    ck_assert_msg(fetched * 5 <= asked * 6 + idx * 68 * 5,
                  "%s: %llu bytes fetched for %llu asked", s->name,
                  (unsigned long long)fetched, (unsigned long long)asked);
    /* a page crosses at most one chunk boundary; unaligned, the partial
     * elements at either end are read on their own */
    ck_assert_uint_le(reqs - idx, (uint64_t)NREADS * (aligned ? 2 : 4));
    /* then the whole array, in 4 MiB pieces */
    uint8_t *big = malloc(4u << 20);
    ck_assert_ptr_nonnull(big);
    for (uint64_t off = 0; off < size; off += 4u << 20) {
        size_t got = 0;
        zf_err err;
        ck_assert_msg(zf_array_read(a, off, 4u << 20, big, &got, &err) == ZF_OK,
                      "%s", err.msg);
        ck_assert_uint_eq(got, size - off < (4u << 20) ? size - off : 4u << 20);
        wrong += wrong_bytes(s, off, big, got);
    }
    free(big);
    ck_assert_msg(wrong == 0, "%s: %zu bytes wrong in the whole read", s->name,
                  wrong);
    zf_close(z);
}
END_TEST

/* A stream of 64 reads of 4 KiB from inside a chunk, prefetch on: the
 * first two read their parts; the third continues them exactly, so the
 * chunk is read whole into the cache, where the others find it. */
START_TEST(test_stream)
{
    const spec *s = &specs[0];
    zf_array *a;
    zf_zarr *z = open_prefetch(g_root, s->name, 1, &a);
    zf_stats before, after;
    zf_get_stats(z, &before);
    uint8_t buf[READ];
    uint64_t off = (8u << 20) + 4 * 12345;
    size_t wrong = 0;
    for (int k = 0; k < 64; k++, off += READ) {
        size_t got = 0;
        zf_err err;
        ck_assert_msg(zf_array_read(a, off, READ, buf, &got, &err) == ZF_OK,
                      "%s", err.msg);
        wrong += wrong_bytes(s, off, buf, got);
    }
    zf_get_stats(z, &after);
    zf_close(z);
    ck_assert_uint_eq(wrong, 0);
    ck_assert_uint_eq(after.partial_reads - before.partial_reads, 2);
    ck_assert_uint_eq(after.store_reads - before.store_reads, 3);
    ck_assert_uint_eq(after.store_bytes_read - before.store_bytes_read,
                      2 * READ + unit_nbytes(s));
    ck_assert_uint_ge(after.cache_hits - before.cache_hits, 61);
}
END_TEST

/* Subarrays of the 2-d stores (rows far apart, reversed columns, Fortran
 * order, a dropped dimension), read whole: every element right, and some
 * chunks read in part (the boxes of a selection are strided, with
 * destination strides of any sign). */
START_TEST(test_selections)
{
    static const char *exprs[] = {"5:40:3, 4000:3000:-7", "::1000, ::-1",
                                  "17, 100:300", "1030:1020:-1, 2040:2060"};
    const spec *s = &specs[1 + _i / 2];
    zf_array *a;
    zf_zarr *z = open_store(g_root, s->name, &a);
    size_t wrong = 0;
    for (size_t e = 0; e < sizeof exprs / sizeof *exprs; e++) {
        zf_selection sel;
        zf_err err;
        ck_assert_msg(zf_selection_parse(exprs[e], 2, s->shape, &sel, &err) ==
                      ZF_OK, "%s", err.msg);
        sel.fortran = _i % 2;
        uint64_t n = zf_selection_nbytes(a, &sel);
        uint32_t *buf = malloc(n);
        size_t got = 0;
        ck_assert_msg(zf_array_read_selection(a, &sel, 0, n, buf, &got, &err) ==
                      ZF_OK, "%s", err.msg);
        ck_assert_uint_eq(got, n);
        for (uint64_t i = 0; i < sel.count[0]; i++)
            for (uint64_t j = 0; j < sel.count[1]; j++) {
                uint64_t y = sel.start[0] + (uint64_t)sel.step[0] * i;
                uint64_t x = sel.start[1] + (uint64_t)sel.step[1] * j;
                uint64_t at = sel.fortran ? i + j * sel.count[0]
                                          : i * sel.count[1] + j;
                wrong += buf[at] != expect(s, y * s->shape[1] + x);
            }
        free(buf);
    }
    zf_stats st;
    zf_get_stats(z, &st);
    zf_close(z);
    ck_assert_msg(wrong == 0, "%s: %zu elements wrong", s->name, wrong);
    ck_assert_uint_gt(st.partial_reads, 0);
}
END_TEST

/* ---- the modes ------------------------------------------------------------ */

typedef struct box {
    uint64_t lo[2], count[2], step[2];
} box;

/* Plans boxes of chunk (0, 0) of the v2 store (1024 x 2048 elements, rows
 * of 8 KiB, big endian) into one plan, each into a C-order buffer of its
 * own; runs the plan, checks each task's mode (and, read in part, its
 * number of ranges) and the bytes; returns the store reads it made. */
static uint64_t plan_boxes(zf_array *a, const box *b, size_t n,
                           const zf_task_mode *mode, const uint64_t *ranges)
{
    const spec *s = &specs[2];
    uint64_t at[2] = {0, 0};
    char key[256];
    zf_err err;
    ck_assert_int_eq(zf_chunk_key(a, at, key, sizeof key, &err), ZF_OK);
    uint32_t *buf[4];
    zf_plan pl = {.array = a};
    for (size_t i = 0; i < n; i++) {
        buf[i] = malloc(4 * b[i].count[0] * b[i].count[1]);
        zf_strided dst = {(uint8_t *)buf[i], {(int64_t)(4 * b[i].count[1]), 4}};
        ck_assert_msg(zf_plan_chunk_step(&pl, a->pipe, key, 0, ZF_WHOLE_KEY, 0,
                                         b[i].lo, b[i].count, b[i].step, &dst,
                                         &err) == ZF_OK, "%s", err.msg);
    }
    ck_assert_uint_eq(pl.ntasks, n);
    zf_stats before, after;
    zf_get_stats(a->z, &before);
    /* (it looks the tasks up; their modes stay) */
    ck_assert_msg(zf_plan_run(&pl, &err) == ZF_OK, "%s", err.msg);
    zf_get_stats(a->z, &after);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(pl.tasks[i].mode == mode[i], "box %zu: mode %d, not %d",
                      i, (int)pl.tasks[i].mode, (int)mode[i]);
        if (mode[i] == ZF_TASK_PARTIAL)
            ck_assert_uint_eq(pl.tasks[i].part_ranges, ranges[i]);
    }
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++) {
        for (uint64_t r = 0; r < b[i].count[0]; r++)
            for (uint64_t c = 0; c < b[i].count[1]; c++) {
                uint64_t y = b[i].lo[0] + r * b[i].step[0];
                uint64_t x = b[i].lo[1] + c * b[i].step[1];
                wrong += buf[i][r * b[i].count[1] + c] !=
                         expect(s, y * s->shape[1] + x);
            }
        free(buf[i]);
    }
    zf_plan_free(&pl);
    ck_assert_msg(wrong == 0, "%zu elements wrong", wrong);
    return after.store_reads - before.store_reads;
}

START_TEST(test_modes)
{
    zf_array *a;
    zf_zarr *z = open_store(g_root, specs[2].name, &a);
    const zf_task_mode P = ZF_TASK_PARTIAL;
    /* 100 elements of a row: one range, read on its own */
    box row = {{3, 100}, {1, 100}, {1, 1}};
    ck_assert_uint_eq(plan_boxes(a, &row, 1, &P, (uint64_t[]){1}), 1);
    /* a row's tail and the next row's head (a flat read across rows): one
     * range each, fetched together in one run */
    box across[2] = {{{3, 2000}, {1, 48}, {1, 1}}, {{4, 0}, {1, 100}, {1, 1}}};
    ck_assert_uint_eq(plan_boxes(a, across, 2, (zf_task_mode[]){P, P},
                                 (uint64_t[]){1, 1}), 1);
    /* 4 short pieces of rows 300 apart: 4 ranges; every other element of
     * 3 rows: the holes are read, one range a row */
    box apart = {{0, 0}, {4, 10}, {300, 1}};
    ck_assert_uint_eq(plan_boxes(a, &apart, 1, &P, (uint64_t[]){4}), 4);
    box strided = {{10, 1}, {3, 500}, {1, 2}};
    ck_assert_uint_eq(plan_boxes(a, &strided, 1, &P, (uint64_t[]){3}), 3);
    /* a column of 16 rows: 8 KiB apart, so 16 ranges; of 17: read whole
     * (and kept in the cache: the column next to it is a hit) */
    box col16 = {{0, 7}, {16, 1}, {1, 1}}, col17 = {{0, 7}, {17, 1}, {1, 1}};
    ck_assert_uint_eq(plan_boxes(a, &col16, 1, &P, (uint64_t[]){16}), 16);
    const zf_task_mode L = ZF_TASK_LOAD, H = ZF_TASK_HIT;
    ck_assert_uint_eq(plan_boxes(a, &col17, 1, &L, NULL), 1);
    ck_assert_uint_eq(plan_boxes(a, &row, 1, &H, NULL), 0);
    zf_close(z);
    /* more than half the chunk: read whole */
    z = open_store(g_root, specs[2].name, &a);
    box half = {{0, 0}, {513, 2048}, {1, 1}};
    ck_assert_uint_eq(plan_boxes(a, &half, 1, &L, NULL), 1);
    zf_close(z);
}
END_TEST

/* ---- a key rewritten between the plan and the read ------------------------ */

/* Small stores (4 MiB: chunks of 2 MiB; shards of 2 MiB holding 2 x 2 inner
 * chunks of 512 KiB; none missing), so that the test can rewrite them. */
static const spec small[] = {
    {"flat.zarr", 0, 0, 0, 1, {1u << 20}, {512u << 10}, {512u << 10}, {9}},
    {"sharded.zarr", 0, 1, 1, 2, {1024, 1024}, {512, 1024}, {256, 512},
     {9, 9}},
};

/* Rewrites the key in place (the same inode) with every byte but the last
 * `keep` (a shard's index) flipped, and gives it a modification time of its
 * own. */
static void rewrite(const char *path, long keep)
{
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f) - keep;
    uint8_t *b = malloc((size_t)n);
    ck_assert_ptr_nonnull(b);
    rewind(f);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    for (long i = 0; i < n; i++)
        b[i] ^= 0xff;
    rewind(f);
    ck_assert_uint_eq(fwrite(b, 1, (size_t)n, f), (size_t)n);
    ck_assert_int_eq(fclose(f), 0);
    free(b);
    struct timeval tv[2] = {{1000000, 0}, {1000000, 0}};
    ck_assert_int_eq(utimes(path, tv), 0);
}

/* _i: the small store.  A read of 400 elements of the first chunk's (or
 * inner chunk's) row 3 is planned, the key is rewritten, the planned read
 * runs: ZF_ECHANGED; read again, it gives the new version. */
START_TEST(test_changed_after_plan)
{
    const spec *s = &small[_i];
    write_store(tu_dir, s);
    zf_array *a;
    zf_zarr *z = open_store(tu_dir, s->name, &a);
    enum { N = 400 };
    uint8_t buf[4 * N];
    uint64_t at[2] = {0, 0}, lo[2] = {3, 100}, count[2] = {1, N};
    zf_strided dst = {buf, {4 * N, 4}};
    if (s->ndim == 1)
        lo[0] = 3 * 1024 + 100, count[0] = N, dst.stride[0] = 4;
    uint64_t e0 = s->ndim == 1 ? lo[0] : lo[0] * s->shape[1] + lo[1];
    char key[256];
    zf_err err;
    ck_assert_int_eq(zf_chunk_key(a, at, key, sizeof key, &err), ZF_OK);
    zf_plan pl = {.array = a};
    ck_assert_msg(zf_plan_chunk(&pl, a->pipe, key, 0, ZF_WHOLE_KEY, 0, lo,
                                count, &dst, &err) == ZF_OK, "%s", err.msg);
    ck_assert_uint_eq(pl.ntasks, 1);
    zf_plan_lookup(&pl);
    ck_assert_int_eq(pl.tasks[0].mode, ZF_TASK_PARTIAL);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", tu_dir, s->name, key);
    rewrite(path, s->sharded ? 68 : 0);
    zf_task_run(&pl.tasks[0]);
    ck_assert_msg(pl.tasks[0].code == ZF_ECHANGED, "%s: the read planned "
                  "before the rewrite gave %d (%s)", key, (int)pl.tasks[0].code,
                  pl.tasks[0].err.msg);
    zf_plan_free(&pl);
    /* planned again: the new bytes (flipped in either byte order) */
    size_t got = 0;
    ck_assert_msg(zf_array_read(a, 4 * e0, sizeof buf, buf, &got, &err) == ZF_OK,
                  "%s", err.msg);
    ck_assert_uint_eq(got, sizeof buf);
    size_t wrong = 0;
    for (uint64_t i = 0; i < N; i++) {
        uint32_t w;
        memcpy(&w, buf + 4 * i, 4);
        wrong += w != ~val(e0 + i);
    }
    ck_assert_msg(wrong == 0, "%s: %zu elements are not the new version's",
                  key, wrong);
    zf_close(z);
}
END_TEST

/* zf_read_bytes's fn for test_replans: ZF_ECHANGED for the first `changes`
 * calls (a key replaced while each of those reads ran), then the bytes. */
typedef struct flaky {
    int changes, calls;
} flaky;

static zf_code flaky_elements(void *arg, uint64_t e0, uint64_t e1, void *dst,
                              zf_err *err)
{
    flaky *f = arg;
    if (f->calls++ < f->changes)
        return zf_err_set(err, ZF_ECHANGED, "k: changed while being read");
    memset(dst, 7, (size_t)(e1 - e0) * 4);
    return ZF_OK;
}

/* A read that meets a key replaced again during its re-plan (a reader
 * stalled under load longer than the writer's pause) is planned again, up
 * to ZF_READ_TRIES runs in all; a key replaced during every one of them
 * fails the read with ZF_ECHANGED, after exactly that many runs. */
START_TEST(test_replans)
{
    uint8_t buf[64];
    zf_err err;
    flaky f = {.changes = 2};
    ck_assert_msg(zf_read_bytes(4, 8, sizeof buf, buf, flaky_elements, &f,
                                &err) == ZF_OK,
                  "a key replaced during the read and its first re-plan: %s",
                  err.msg);
    ck_assert_int_eq(f.calls, 3);
    ck_assert_uint_eq(buf[63], 7);
    f = (flaky){.changes = ZF_READ_TRIES - 1};
    ck_assert_int_eq(zf_read_bytes(4, 8, sizeof buf, buf, flaky_elements, &f,
                                   &err), ZF_OK);
    f = (flaky){.changes = 1000};
    ck_assert_int_eq(zf_read_bytes(4, 8, sizeof buf, buf, flaky_elements, &f,
                                   &err), ZF_ECHANGED);
    ck_assert_int_eq(f.calls, ZF_READ_TRIES);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("partial");
    TCase *reads = tcase_create("reads");
    tcase_set_timeout(reads, 300);
    tcase_add_unchecked_fixture(reads, stores_setup, stores_teardown);
    tcase_add_loop_test(reads, test_random_reads, 0, 4 * (int)NSPECS);
    tcase_add_test(reads, test_stream);
    tcase_add_loop_test(reads, test_selections, 0, 4);
    tcase_add_test(reads, test_modes);
    suite_add_tcase(s, reads);
    TCase *changed = tcase_create("changed");
    tcase_add_unchecked_fixture(changed, tu_base_setup, tu_base_teardown);
    tcase_add_checked_fixture(changed, tu_dir_setup, tu_dir_teardown);
    tcase_add_loop_test(changed, test_changed_after_plan, 0, 2);
    tcase_add_test(changed, test_replans);
    suite_add_tcase(s, changed);
    return tu_run(s);
}
