/*
 * test_roundtrip.c - zf_pack, then the engine's reader, through the public
 * API only: every packed array must read back as its input (whole, and in
 * random byte ranges that need not be aligned to elements), and its info
 * must describe what was packed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "testutil.h"

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zarrfs/zarrfs.h"

typedef struct spec {
    const char *dtype;
    size_t itemsize, swap;     /* swap: bytes reversed together (complex: half) */
    int ndim;
    uint64_t shape[4], chunks[4], shards[4];
    int sharded;
    zf_pack_codec codec;
    int crc32c, start, big;
} spec;

static const spec specs[] = {
    {"uint8", 1, 1, 1, {1000}, {64}, {0}, 0, ZF_PACK_ZSTD, 0, 0, 0},
    {"int16", 2, 2, 2, {37, 53}, {8, 16}, {0}, 0, ZF_PACK_GZIP, 1, 0, 1},
    {"float32", 4, 4, 3, {19, 23, 11}, {4, 5, 3}, {8, 10, 6}, 1, ZF_PACK_ZSTD,
     1, 0, 0},
    {"float64", 8, 8, 3, {9, 6, 10}, {2, 3, 4}, {4, 6, 8}, 1, ZF_PACK_NONE, 0,
     1, 1},
    {"uint16", 2, 2, 4, {5, 3, 4, 7}, {2, 1, 3, 2}, {4, 2, 6, 4}, 1,
     ZF_PACK_GZIP, 1, 1, 1},
    {"complex64", 8, 4, 2, {13, 9}, {4, 4}, {8, 8}, 1, ZF_PACK_ZSTD, 1, 0, 1},
    {"complex128", 16, 8, 2, {6, 5}, {4, 2}, {0}, 0, ZF_PACK_NONE, 0, 0, 1},
    {"bool", 1, 1, 2, {31, 17}, {8, 8}, {16, 16}, 1, ZF_PACK_ZSTD, 0, 0, 0},
    {"int64", 8, 8, 1, {77}, {10}, {40}, 1, ZF_PACK_GZIP, 1, 1, 0},
    {"uint32", 4, 4, 2, {5, 3}, {2, 2}, {8, 6}, 1, ZF_PACK_ZSTD, 1, 0, 1},
    {"float64", 8, 8, 0, {0}, {0}, {0}, 0, ZF_PACK_ZSTD, 1, 0, 1},
    {"int32", 4, 4, 0, {0}, {0}, {0}, 1, ZF_PACK_GZIP, 0, 1, 0},
    {"int8", 1, 1, 3, {7, 9, 10}, {3, 4, 4}, {6, 8, 8}, 1, ZF_PACK_GZIP, 1, 1, 0},
    {"uint64", 8, 8, 2, {11, 13}, {4, 5}, {0}, 0, ZF_PACK_ZSTD, 1, 0, 1},
    {"float16", 2, 2, 4, {3, 4, 5, 6}, {2, 2, 2, 4}, {2, 4, 4, 8}, 1,
     ZF_PACK_NONE, 1, 0, 1},
    {"uint16", 2, 2, 3, {9, 10, 11}, {4, 4, 4}, {8, 8, 8}, 1, ZF_PACK_ZSTD,
     0, 1, 1},
};

static zf_pack_options options_of(const spec *s)
{
    zf_pack_options o;
    memset(&o, 0, sizeof o);
    o.ndim = s->ndim;
    o.dtype = s->dtype;
    o.sharded = s->sharded;
    o.codec = s->codec;
    o.level = -1;
    o.crc32c = s->crc32c;
    o.index_at_start = s->start;
    o.big_endian = s->big;
    for (int d = 0; d < s->ndim; d++) {
        o.shape[d] = s->shape[d];
        o.chunks[d] = s->chunks[d];
        o.shards[d] = s->shards[d];
    }
    return o;
}

static int rm_one(const char *p, const struct stat *st, int f, struct FTW *w)
{
    (void)st; (void)f; (void)w;
    return remove(p);
}

/* The packed input is little endian; the flat view is native. */
static void to_native(const spec *s, uint8_t *p, size_t len)
{
    const uint16_t one = 1;
    if (*(const uint8_t *)&one == 1)
        return;
    for (size_t i = 0; i + s->swap <= len; i += s->swap)
        for (size_t a = i, b = i + s->swap - 1; a < b; a++, b--) {
            uint8_t t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

typedef struct async_result {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
    zf_code code;
    size_t nread;
} async_result;

static void on_done(void *arg, zf_code code, size_t nread, const zf_err *err)
{
    async_result *r = arg;
    (void)err;
    pthread_mutex_lock(&r->lock);
    r->code = code;
    r->nread = nread;
    r->done = 1;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

static void check_info(const spec *s, const zf_array_info *in, size_t len)
{
    ck_assert_int_eq(in->ndim, s->ndim);
    ck_assert_str_eq(in->dtype, s->dtype);
    ck_assert_uint_eq(in->itemsize, s->itemsize);
    ck_assert_uint_eq(in->nbytes, len);
    for (int d = 0; d < s->ndim; d++) {
        ck_assert_uint_eq(in->shape[d], s->shape[d]);
        ck_assert_uint_eq(in->chunks[d], s->sharded ? s->shards[d] : s->chunks[d]);
        if (s->sharded)
            ck_assert_uint_eq(in->inner[d], s->chunks[d]);
    }
    if (!s->sharded)
        ck_assert_ptr_null(in->inner);
    for (size_t i = 0; i < s->itemsize; i++)
        ck_assert_uint_eq(((const uint8_t *)in->fill_value)[i], 0);
}

/* Whole, random ranges (unaligned, some past the end), and one async read. */
static void check_reads(zf_array *a, const uint8_t *want, size_t len)
{
    uint8_t *buf = malloc(len + 64);
    size_t n = 0;
    zf_err err = {0};
    ck_assert_msg(zf_array_read(a, 0, len, buf, &n, &err) == ZF_OK, "%s", err.msg);
    ck_assert_uint_eq(n, len);
    ck_assert(memcmp(buf, want, len) == 0);
    unsigned seed = 7;
    for (int i = 0; i < 200; i++) {
        uint64_t off = (uint64_t)rand_r(&seed) % (len + 1);
        size_t ln = (size_t)rand_r(&seed) % (len + 32);
        size_t expect = off + ln > len ? len - off : ln;
        ck_assert_msg(zf_array_read(a, off, ln, buf, &n, &err) == ZF_OK, "%s",
                      err.msg);
        ck_assert_uint_eq(n, expect);
        ck_assert_msg(memcmp(buf, want + off, expect) == 0, "range %llu+%zu",
                      (unsigned long long)off, ln);
    }
    async_result r = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0,
                      ZF_OK, 0};
    zf_array_read_async(a, 0, len, buf, on_done, &r);
    pthread_mutex_lock(&r.lock);
    while (!r.done)
        pthread_cond_wait(&r.cond, &r.lock);
    pthread_mutex_unlock(&r.lock);
    ck_assert_int_eq(r.code, ZF_OK);
    ck_assert_uint_eq(r.nread, len);
    ck_assert(memcmp(buf, want, len) == 0);
    free(buf);
}

START_TEST(roundtrip)
{
    const spec *s = &specs[_i];
    zf_pack_options o = options_of(s);
    size_t len = s->itemsize;
    for (int d = 0; d < s->ndim; d++)
        len *= s->shape[d];
    uint8_t *data = malloc(len);
    unsigned seed = (unsigned)_i + 1;
    for (size_t i = 0; i < len; i++)
        data[i] = strcmp(s->dtype, "bool") == 0 ? rand_r(&seed) & 1
                                                : (uint8_t)rand_r(&seed);
    char dir[] = "/tmp/zf_test_roundtrip_XXXXXX", in[64], out[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(in, sizeof in, "%s/in.bin", dir);
    snprintf(out, sizeof out, "%s/a.zarr", dir);
    int fd = open(in, O_RDWR | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    lseek(fd, 0, SEEK_SET);
    zf_err err = {0};
    ck_assert_msg(zf_pack(&o, fd, out, &err) == ZF_OK, "pack: %s", err.msg);
    close(fd);

    zf_zarr *z = NULL;
    zf_array *a = NULL;
    zf_options zo = {.threads = 3};
    ck_assert_msg(zf_open(out, &zo, &z, &err) == ZF_OK, "open: %s", err.msg);
    ck_assert_msg(zf_array_get(z, "", &a, &err) == ZF_OK, "get: %s", err.msg);
    to_native(s, data, len);
    check_info(s, zf_array_get_info(a), len);
    check_reads(a, data, len);
    zf_close(z);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(data);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("roundtrip");
    TCase *t = tcase_create("pack then read");
    tcase_add_loop_test(t, roundtrip, 0, (int)(sizeof specs / sizeof *specs));
    suite_add_tcase(s, t);
    return tu_run(s);
}
