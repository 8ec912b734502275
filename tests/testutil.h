/*
 * testutil.h - small helpers shared by the unit tests, header-only (every
 * function is static, so no CMake change is needed): a deterministic random
 * generator, temporary folders (under $TMPDIR, removed again), writing files
 * with their parent folders, a bitwise CRC-32C written from the definition
 * (independent of the engine's table-driven one) and little-endian stores.
 */
#ifndef ZF_TESTUTIL_H
#define ZF_TESTUTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zarrfs/zarrfs.h"

#define TU_UNUSED __attribute__((unused))

/* Loops that only repeat one path with other random input run a quarter of
 * their rounds under AddressSanitizer: there each round's page-guarded
 * buffers cost mappings and TLB shootdowns, and CI has a time budget; the
 * fuzzers cover that ground in the sanitizer build instead. */
#if defined(__SANITIZE_ADDRESS__)
#define TU_SANITIZED 1
#else
#define TU_SANITIZED 0
#endif
#define TU_ROUNDS(n) (TU_SANITIZED ? ((n) + 3) / 4 : (n))

/* ---- random numbers (xorshift64*, deterministic per seed) --------------- */

typedef struct tu_rng {
    uint64_t s;
} tu_rng;

static TU_UNUSED uint64_t tu_next(tu_rng *r)
{
    uint64_t x = r->s ? r->s : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* Uniform-ish in [lo, hi]. */
static TU_UNUSED uint64_t tu_range(tu_rng *r, uint64_t lo, uint64_t hi)
{
    return lo + tu_next(r) % (hi - lo + 1);
}

/* ---- temporary folders and files ----------------------------------------- */

/* The folder every temporary folder of a test case goes in: made by an
 * unchecked fixture (in Check's parent process) and removed by it, so the
 * folders of a test that fails (Check's child exits without running the
 * checked teardown) are removed too. */
static char *tu_base;

/* A new empty folder; the caller frees the path after tu_rmtree. */
static TU_UNUSED char *tu_mkdtemp(void)
{
    const char *t = tu_base ? tu_base : getenv("TMPDIR");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s/zftest.XXXXXX", t && *t ? t : "/tmp");
    char *p = strdup(buf);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(mkdtemp(p));
    return p;
}

/* ---- a test's own folder ------------------------------------------------ */

/* tu_dir: a new empty folder for each test, made and removed by the checked
 * fixture tu_dir_setup / tu_dir_teardown. */
static TU_UNUSED char *tu_dir;
static TU_UNUSED void tu_rmtree(const char *path);

static TU_UNUSED void tu_dir_setup(void)
{
    tu_dir = tu_mkdtemp();
}

static TU_UNUSED void tu_dir_teardown(void)
{
    tu_rmtree(tu_dir);
    free(tu_dir);
    tu_dir = NULL;
}

static int tu_rm_one(const char *path, const struct stat *st, int flag,
                     struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP || flag == FTW_D)
        chmod(path, 0700), rmdir(path);
    else
        unlink(path);
    return 0;
}

static TU_UNUSED void tu_rmtree(const char *path)
{
    if (path)
        nftw(path, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Unchecked fixture: tcase_add_unchecked_fixture(t, tu_base_setup,
 * tu_base_teardown). */
static TU_UNUSED void tu_base_setup(void)
{
    if (!tu_base)
        tu_base = tu_mkdtemp();
}

static TU_UNUSED void tu_base_teardown(void)
{
    tu_rmtree(tu_base);
    free(tu_base);
    tu_base = NULL;
}

/* mkdir -p of every parent folder of path. */
static TU_UNUSED void tu_mkparents(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                ck_abort_msg("mkdir %s: %s", buf, strerror(errno));
            *p = '/';
        }
}

/* Writes dir/rel (creating its folders) with len bytes of data. */
static TU_UNUSED void tu_write(const char *dir, const char *rel,
                               const void *data, size_t len)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, rel);
    ck_assert_msg(n > 0 && (size_t)n < sizeof path, "path too long: %s", rel);
    tu_mkparents(path);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
    if (len)
        ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* Writes a text file from a printf format. */
static TU_UNUSED void tu_writef(const char *dir, const char *rel,
                                const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static TU_UNUSED void tu_writef(const char *dir, const char *rel,
                                const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    ck_assert_int_ge(n, 0);
    tu_write(dir, rel, s, (size_t)n);
    free(s);
}

static TU_UNUSED void tu_mkdir(const char *dir, const char *rel)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s/x", dir, rel);
    ck_assert_msg(n > 0 && (size_t)n < sizeof path, "path too long: %s", rel);
    tu_mkparents(path);
}

/* ---- bytes ---------------------------------------------------------------- */

/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit. */
static TU_UNUSED uint32_t tu_crc32c(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

static TU_UNUSED void tu_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static TU_UNUSED void tu_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static TU_UNUSED void tu_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static TU_UNUSED int tu_contains(const char *hay, const char *needle)
{
    return hay && strstr(hay, needle) != NULL;
}

/* ck_assert that s contains sub, printing both when it does not. */
#define tu_assert_has(s, sub)                                                \
    ck_assert_msg(tu_contains((s), (sub)), "message \"%s\" lacks \"%s\"",    \
                  (s) ? (s) : "(null)", (sub))

/* ---- Zarr v3 metadata written by hand ------------------------------------ */

/* The parts of an array's zarr.json; NULL fields take the defaults shown. */
typedef struct tu_array {
    const char *dtype;  /* a JSON value; "\"uint8\"" */
    const char *shape;  /* "[4]" */
    const char *chunks; /* the chunk_grid's chunk_shape; "[4]" */
    const char *fill;   /* "0" */
    const char *codecs; /* bytes, little endian */
    const char *keyenc; /* {"name": "default", "configuration": {"separator": "/"}} */
    const char *extra;  /* more members, with their leading comma; "" */
} tu_array;

#define TU_BYTES_LE "[{\"name\": \"bytes\", \"configuration\": {\"endian\": \"little\"}}]"

/* Writes root/path/zarr.json for the array described by a. */
static TU_UNUSED void tu_write_array(const char *root, const char *path,
                                     const tu_array *a)
{
    char rel[1024];
    snprintf(rel, sizeof rel, "%s%szarr.json", path, path[0] ? "/" : "");
    tu_writef(root, rel,
              "{\"zarr_format\": 3, \"node_type\": \"array\", \"shape\": %s, "
              "\"data_type\": %s, \"chunk_grid\": {\"name\": \"regular\", "
              "\"configuration\": {\"chunk_shape\": %s}}, "
              "\"chunk_key_encoding\": %s, \"fill_value\": %s, \"codecs\": %s%s}",
              a->shape ? a->shape : "[4]",
              a->dtype ? a->dtype : "\"uint8\"",
              a->chunks ? a->chunks : "[4]",
              a->keyenc ? a->keyenc
                        : "{\"name\": \"default\", \"configuration\": "
                          "{\"separator\": \"/\"}}",
              a->fill ? a->fill : "0", a->codecs ? a->codecs : TU_BYTES_LE,
              a->extra ? a->extra : "");
}

static TU_UNUSED void tu_write_group(const char *root, const char *path)
{
    char rel[1024];
    snprintf(rel, sizeof rel, "%s%szarr.json", path, path[0] ? "/" : "");
    tu_writef(root, rel, "{\"zarr_format\": 3, \"node_type\": \"group\", "
                         "\"attributes\": {}}");
}

/* The node at path, or NULL. */
static TU_UNUSED const zf_node *tu_node(const zf_zarr *z, const char *path)
{
    for (size_t i = 0; i < zf_node_count(z); i++)
        if (strcmp(zf_node_at(z, i)->path, path) == 0)
            return zf_node_at(z, i);
    return NULL;
}

static TU_UNUSED zf_zarr *tu_open(const char *dir, int threads)
{
    zf_options o = {.threads = threads, .cache_bytes = 0};
    zf_zarr *z = NULL;
    zf_err err = {0};
    zf_code c = zf_open(dir, &o, &z, &err);
    ck_assert_msg(c == ZF_OK, "zf_open %s: %s", dir, err.msg);
    return z;
}

static TU_UNUSED zf_array *tu_array_get(zf_zarr *z, const char *path)
{
    zf_array *a = NULL;
    zf_err err = {0};
    zf_code c = zf_array_get(z, path, &a, &err);
    ck_assert_msg(c == ZF_OK, "zf_array_get %s: %s", path, err.msg);
    return a;
}

/* Runs the suite's tests; the process's exit status (EXIT_FAILURE when
 * any failed). */
static TU_UNUSED int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
