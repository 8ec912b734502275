/*
 * test_pack.c - zf_pack (zarrfs-pack's engine) against the Zarr v3 spec,
 * checked independently of the engine's reader and codecs: zarr.json is
 * parsed with json-c field by field, shard indexes are parsed by hand and
 * their crc32c recomputed here, chunks are decompressed with libzstd and zlib
 * directly, un-swapped, and compared with the input region they came from.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "zarrfs/zarrfs.h"

#define EMPTY UINT64_MAX

/* ---- helpers: data, files, temp folders ---------------------------------- */

static size_t dtype_size(const char *t)
{
    static const struct { const char *n; size_t s; } tab[] = {
        {"bool", 1}, {"int8", 1}, {"uint8", 1}, {"int16", 2}, {"uint16", 2},
        {"float16", 2}, {"int32", 4}, {"uint32", 4}, {"float32", 4},
        {"int64", 8}, {"uint64", 8}, {"float64", 8}, {"complex64", 8},
        {"complex128", 16}};
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++)
        if (strcmp(t, tab[i].n) == 0)
            return tab[i].s;
    return 0;
}

static size_t swap_unit(const char *t)
{
    size_t s = dtype_size(t);
    return strncmp(t, "complex", 7) == 0 ? s / 2 : s;
}

static uint64_t nelems(const zf_pack_options *o)
{
    uint64_t n = 1;
    for (int d = 0; d < o->ndim && d < ZF_MAX_DIMS; d++) /* bad ndim too */
        n *= o->shape[d];
    return n;
}

/* Deterministic bytes that differ from element to element (and are 0/1 for
 * bool, as numpy would write it). */
static uint8_t *make_data(const zf_pack_options *o, size_t *len)
{
    size_t isz = dtype_size(o->dtype);
    *len = (size_t)nelems(o) * isz;
    uint8_t *p = malloc(*len ? *len : 1);
    uint32_t x = 12345;
    for (size_t i = 0; i < *len; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = strcmp(o->dtype, "bool") == 0 ? (x >> 16) & 1 : (uint8_t)(x >> 16);
    }
    return p;
}

static char *tmpdir(void)
{
    char *t = strdup("/tmp/zf_test_pack_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(t));
    return t;
}

static int rm_one(const char *p, const struct stat *s, int f, struct FTW *w)
{
    (void)s; (void)f; (void)w;
    return remove(p);
}

static void rmtree(char *t)
{
    nftw(t, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(t);
}

static int input_file(const char *dir, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/input.bin", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n ? (size_t)n : 1);
    ck_assert_int_eq(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* CRC-32C, bit by bit: slow and obviously the Castagnoli polynomial. */
static uint32_t crc32c_ref(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
    }
    return ~c;
}

static uint64_t le64(const uint8_t *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

static uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

static zf_pack_options opts_of(const char *dtype, int ndim, const uint64_t *shape,
                               const uint64_t *chunks, const uint64_t *shards)
{
    zf_pack_options o;
    memset(&o, 0, sizeof o);
    o.dtype = dtype;
    o.ndim = ndim;
    o.level = -1;
    o.codec = ZF_PACK_ZSTD;
    for (int d = 0; d < ndim; d++) {
        o.shape[d] = shape[d];
        o.chunks[d] = chunks[d];
        if (shards)
            o.shards[d] = shards[d];
    }
    o.sharded = shards != NULL;
    return o;
}

/* ---- zarr.json, field by field ------------------------------------------- */

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;
    ck_assert_msg(json_object_object_get_ex(o, key, &v), "no \"%s\"", key);
    return v;
}

static void check_str(json_object *o, const char *key, const char *want)
{
    ck_assert_str_eq(json_object_get_string(get(o, key)), want);
}

static void check_shape(json_object *a, const uint64_t *v, int n)
{
    ck_assert(json_object_is_type(a, json_type_array));
    ck_assert_int_eq(json_object_array_length(a), n);
    for (int i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(a, i);
        ck_assert(json_object_is_type(e, json_type_int));
        ck_assert_uint_eq(json_object_get_uint64(e), v[i]);
    }
}

/* A {"name", "configuration"} codec object; returns its configuration. */
static json_object *check_named(json_object *c, const char *name, int has_conf)
{
    check_str(c, "name", name);
    json_object *conf = NULL;
    int has = json_object_object_get_ex(c, "configuration", &conf);
    ck_assert_int_eq(has, has_conf);
    ck_assert_int_eq(json_object_object_length(c), 1 + has_conf);
    return conf;
}

static void check_chunk_codecs(json_object *list, const zf_pack_options *o)
{
    int n = 1 + (o->codec != ZF_PACK_NONE) + (o->crc32c != 0), i = 1;
    ck_assert_int_eq(json_object_array_length(list), n);
    json_object *b = check_named(json_object_array_get_idx(list, 0), "bytes", 1);
    /* 1-byte types are written "little" whatever was asked: no bytes move. */
    check_str(b, "endian",
              o->big_endian && dtype_size(o->dtype) > 1 ? "big" : "little");
    if (o->codec != ZF_PACK_NONE) {
        int zstd = o->codec == ZF_PACK_ZSTD;
        json_object *c = check_named(json_object_array_get_idx(list, i++),
                                     zstd ? "zstd" : "gzip", 1);
        int level = json_object_get_int(get(c, "level"));
        ck_assert(json_object_is_type(get(c, "level"), json_type_int));
        ck_assert_int_eq(level, o->level >= 0 ? o->level : (zstd ? 3 : 5));
        if (zstd)
            ck_assert(json_object_is_type(get(c, "checksum"), json_type_boolean) &&
                      !json_object_get_boolean(get(c, "checksum")));
        ck_assert_int_eq(json_object_object_length(c), zstd ? 2 : 1);
    }
    if (o->crc32c)
        check_named(json_object_array_get_idx(list, i), "crc32c", 0);
}

static void check_fill(json_object *f, const char *dtype)
{
    if (strcmp(dtype, "bool") == 0) {
        ck_assert(json_object_is_type(f, json_type_boolean));
        ck_assert(!json_object_get_boolean(f));
    } else if (strncmp(dtype, "complex", 7) == 0) {
        ck_assert(json_object_is_type(f, json_type_array));
        ck_assert_int_eq(json_object_array_length(f), 2);
        for (int i = 0; i < 2; i++) {
            json_object *e = json_object_array_get_idx(f, i);
            ck_assert(json_object_is_type(e, json_type_double));
            ck_assert(json_object_get_double(e) == 0.0);
        }
    } else if (strncmp(dtype, "float", 5) == 0) {
        ck_assert(json_object_is_type(f, json_type_double));
        ck_assert(json_object_get_double(f) == 0.0);
    } else {
        ck_assert(json_object_is_type(f, json_type_int));
        ck_assert_int_eq(json_object_get_int64(f), 0);
    }
}

static void check_sharding(json_object *codecs, const zf_pack_options *o)
{
    ck_assert_int_eq(json_object_array_length(codecs), 1);
    json_object *c = check_named(json_object_array_get_idx(codecs, 0),
                                 "sharding_indexed", 1);
    ck_assert_int_eq(json_object_object_length(c), 4);
    check_shape(get(c, "chunk_shape"), o->chunks, o->ndim);
    check_chunk_codecs(get(c, "codecs"), o);
    json_object *idx = get(c, "index_codecs");
    ck_assert_int_eq(json_object_array_length(idx), 1 + (o->crc32c != 0));
    json_object *b = check_named(json_object_array_get_idx(idx, 0), "bytes", 1);
    check_str(b, "endian", "little");
    if (o->crc32c)
        check_named(json_object_array_get_idx(idx, 1), "crc32c", 0);
    check_str(c, "index_location", o->index_at_start ? "start" : "end");
}

static void check_meta(const char *out, const zf_pack_options *o)
{
    char path[512];
    snprintf(path, sizeof path, "%s/zarr.json", out);
    json_object *m = json_object_from_file(path);
    ck_assert_msg(m != NULL, "%s does not parse", path);
    ck_assert_int_eq(json_object_object_length(m), 9);
    ck_assert_int_eq(json_object_get_int(get(m, "zarr_format")), 3);
    check_str(m, "node_type", "array");
    check_shape(get(m, "shape"), o->shape, o->ndim);
    check_str(m, "data_type", o->dtype);
    json_object *g = check_named(get(m, "chunk_grid"), "regular", 1);
    check_shape(get(g, "chunk_shape"), o->sharded ? o->shards : o->chunks,
                o->ndim);
    json_object *k = check_named(get(m, "chunk_key_encoding"), "default", 1);
    check_str(k, "separator", "/");
    check_fill(get(m, "fill_value"), o->dtype);
    if (o->sharded)
        check_sharding(get(m, "codecs"), o);
    else
        check_chunk_codecs(get(m, "codecs"), o);
    ck_assert(json_object_is_type(get(m, "attributes"), json_type_object));
    ck_assert_int_eq(json_object_object_length(get(m, "attributes")), 0);
    json_object_put(m);
}

/* ---- chunks and shards, decoded by hand ----------------------------------- */

static void unswap(const zf_pack_options *o, uint8_t *p, size_t len)
{
    size_t u = swap_unit(o->dtype);
    for (size_t i = 0; o->big_endian && i + u <= len; i += u)
        for (size_t a = i, b = i + u - 1; a < b; a++, b--) {
            uint8_t t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

static void inflate_gzip(const uint8_t *in, size_t n, uint8_t *out, size_t want)
{
    ck_assert(n >= 2 && in[0] == 0x1f && in[1] == 0x8b); /* gzip, not zlib */
    z_stream s;
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(inflateInit2(&s, 16 + MAX_WBITS), Z_OK);
    uint8_t extra;
    s.next_in = (Bytef *)in;
    s.avail_in = (uInt)n;
    s.next_out = want ? out : &extra;
    s.avail_out = (uInt)want;
    ck_assert_int_eq(inflate(&s, Z_FINISH), Z_STREAM_END);
    ck_assert_uint_eq(s.total_out, want);
    ck_assert_uint_eq(s.avail_in, 0);
    inflateEnd(&s);
}

/* Undoes crc32c, the compressor and the byte order; returns `want` bytes. */
static uint8_t *decode_chunk(const zf_pack_options *o, const uint8_t *in,
                             size_t n, size_t want)
{
    uint8_t *out = malloc(want);
    if (o->crc32c) {
        ck_assert_uint_ge(n, 4);
        n -= 4;
        ck_assert_uint_eq(le32(in + n), crc32c_ref(in, n));
    }
    if (o->codec == ZF_PACK_ZSTD) {
        ck_assert_uint_eq(ZSTD_getFrameContentSize(in, n), want);
        size_t r = ZSTD_decompress(out, want, in, n);
        ck_assert_msg(!ZSTD_isError(r), "zstd: %s", ZSTD_getErrorName(r));
        ck_assert_uint_eq(r, want);
    } else if (o->codec == ZF_PACK_GZIP) {
        inflate_gzip(in, n, out, want);
    } else {
        ck_assert_uint_eq(n, want);
        memcpy(out, in, want);
    }
    unswap(o, out, want);
    return out;
}

/* What a chunk at `origin` must hold: the array's elements where it
 * overlaps the array, 0 (the fill value) elsewhere. */
static uint8_t *expected_chunk(const zf_pack_options *o, const uint8_t *data,
                               const uint64_t *origin, size_t *len)
{
    size_t isz = dtype_size(o->dtype);
    uint64_t n = 1;
    for (int d = 0; d < o->ndim; d++)
        n *= o->chunks[d];
    uint8_t *p = calloc(n, isz);
    *len = (size_t)n * isz;
    for (uint64_t e = 0; e < n; e++) {
        uint64_t rest = e, src = 0, stride = 1;
        int inside = 1;
        for (int d = o->ndim - 1; d >= 0; d--) {
            uint64_t i = origin[d] + rest % o->chunks[d];
            rest /= o->chunks[d];
            inside &= i < o->shape[d];
            src += i * stride;
            stride *= o->shape[d];
        }
        if (inside)
            memcpy(p + e * isz, data + src * isz, isz);
    }
    return p;
}

static void check_chunk_bytes(const zf_pack_options *o, const uint8_t *data,
                              const uint64_t *origin, const uint8_t *enc,
                              size_t n)
{
    size_t len;
    uint8_t *want = expected_chunk(o, data, origin, &len);
    uint8_t *got = decode_chunk(o, enc, n, len);
    ck_assert_msg(memcmp(got, want, len) == 0, "chunk at [%llu,...] differs",
                  (unsigned long long)(o->ndim ? origin[0] : 0));
    free(got);
    free(want);
}

static void key_of(const char *out, const zf_pack_options *o, const uint64_t *c,
                   char *path, size_t size)
{
    int n = snprintf(path, size, "%s/c", out);
    for (int d = 0; d < o->ndim; d++)
        n += snprintf(path + n, size - (size_t)n, "/%llu",
                      (unsigned long long)c[d]);
}

/* Parses the shard's index by hand and checks every inner chunk; returns
 * the number of inner chunks stored. */
static int check_shard(const zf_pack_options *o, const uint8_t *data,
                       const uint64_t *oc, const uint8_t *f, size_t flen)
{
    uint64_t per[ZF_MAX_DIMS], n = 1, stored = 0;
    for (int d = 0; d < o->ndim; d++)
        n *= per[d] = o->shards[d] / o->chunks[d];
    size_t ilen = (size_t)n * 16 + (o->crc32c ? 4 : 0);
    ck_assert_uint_ge(flen, ilen);
    const uint8_t *idx = o->index_at_start ? f : f + flen - ilen;
    if (o->crc32c)
        ck_assert_uint_eq(le32(idx + n * 16), crc32c_ref(idx, (size_t)n * 16));
    uint64_t at = o->index_at_start ? ilen : 0;
    for (uint64_t k = 0; k < n; k++) {
        uint64_t origin[ZF_MAX_DIMS], rest = k, off = le64(idx + 16 * k),
                 nb = le64(idx + 16 * k + 8);
        int inside = 1;
        for (int d = o->ndim - 1; d >= 0; d--) {
            origin[d] = oc[d] * o->shards[d] + rest % per[d] * o->chunks[d];
            rest /= per[d];
            inside &= origin[d] < o->shape[d];
        }
        if (!inside) {
            ck_assert_msg(off == EMPTY && nb == EMPTY, "inner %llu not empty",
                          (unsigned long long)k);
            continue;
        }
        ck_assert_uint_eq(off, at); /* back to back, in C order */
        ck_assert_uint_le(off + nb, flen);
        check_chunk_bytes(o, data, origin, f + off, (size_t)nb);
        at += nb;
        stored++;
    }
    ck_assert_uint_eq(at + (o->index_at_start ? 0 : ilen), flen);
    return (int)stored;
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d))) {
        char p[1024];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        ck_assert_int_eq(stat(p, &st), 0);
        n += S_ISDIR(st.st_mode) ? count_files(p) : 1;
    }
    closedir(d);
    return n;
}

/* Checks the whole written array against `data`. */
static void verify(const char *out, const zf_pack_options *o,
                   const uint8_t *data)
{
    check_meta(out, o);
    const uint64_t *outer = o->sharded ? o->shards : o->chunks;
    uint64_t grid[ZF_MAX_DIMS], n = 1;
    for (int d = 0; d < o->ndim; d++)
        n *= grid[d] = (o->shape[d] + outer[d] - 1) / outer[d];
    for (uint64_t j = 0; j < n; j++) {
        uint64_t c[ZF_MAX_DIMS], origin[ZF_MAX_DIMS], rest = j;
        for (int d = o->ndim - 1; d >= 0; d--) {
            c[d] = rest % grid[d];
            rest /= grid[d];
            origin[d] = c[d] * outer[d];
        }
        char path[1024];
        size_t flen;
        key_of(out, o, c, path, sizeof path);
        uint8_t *f = slurp(path, &flen);
        ck_assert_msg(f != NULL, "%s is missing", path);
        if (o->sharded)
            check_shard(o, data, c, f, flen);
        else
            check_chunk_bytes(o, data, origin, f, flen);
        free(f);
    }
    ck_assert_int_eq(count_files(out), (int)n + 1);
}

/* Packs `o` from a file in a fresh temp folder, verifies, cleans up. */
static void pack_and_verify(zf_pack_options *o)
{
    size_t len;
    uint8_t *data = make_data(o, &len);
    char *t = tmpdir(), out[600];
    snprintf(out, sizeof out, "%s/array.zarr", t);
    int fd = input_file(t, data, len);
    zf_err err = {0};
    zf_code rc = zf_pack(o, fd, out, &err);
    ck_assert_msg(rc == ZF_OK, "zf_pack: %s", err.msg);
    close(fd);
    verify(out, o, data);
    free(data);
    rmtree(t);
}

/* ---- the layouts ----------------------------------------------------------- */

START_TEST(one_dim_edge_chunk)
{
    uint64_t s[] = {100}, c[] = {30};
    zf_pack_options o = opts_of("uint8", 1, s, c, NULL);
    pack_and_verify(&o);
}
END_TEST

START_TEST(two_dim_gzip_crc_big)
{
    uint64_t s[] = {17, 23}, c[] = {5, 8};
    zf_pack_options o = opts_of("int16", 2, s, c, NULL);
    o.codec = ZF_PACK_GZIP;
    o.crc32c = 1;
    o.big_endian = 1;
    pack_and_verify(&o);
}
END_TEST

START_TEST(three_dim_sharded_end_crc)
{
    uint64_t s[] = {7, 5, 3}, c[] = {2, 2, 2}, h[] = {4, 4, 2};
    zf_pack_options o = opts_of("float32", 3, s, c, h);
    o.crc32c = 1;
    pack_and_verify(&o);
}
END_TEST

START_TEST(three_dim_sharded_start_none_big)
{
    uint64_t s[] = {9, 6, 10}, c[] = {2, 3, 4}, h[] = {4, 6, 8};
    zf_pack_options o = opts_of("uint16", 3, s, c, h);
    o.index_at_start = 1;
    o.codec = ZF_PACK_NONE;
    o.big_endian = 1;
    pack_and_verify(&o);
}
END_TEST

START_TEST(four_dim_sharded_gzip_all)
{
    uint64_t s[] = {5, 3, 4, 7}, c[] = {2, 1, 3, 2}, h[] = {4, 2, 6, 4};
    zf_pack_options o = opts_of("float64", 4, s, c, h);
    o.codec = ZF_PACK_GZIP;
    o.level = 9;
    o.crc32c = 1;
    o.index_at_start = 1;
    o.big_endian = 1;
    o.threads = 3;
    pack_and_verify(&o);
}
END_TEST

/* Shards much larger than the array: most inner chunks are wholly outside
 * and must be marked empty, in every dimension. */
START_TEST(shard_larger_than_array)
{
    uint64_t s[] = {5, 3}, c[] = {2, 2}, h[] = {8, 6};
    for (int start = 0; start < 2; start++) {
        zf_pack_options o = opts_of("int32", 2, s, c, h);
        o.index_at_start = start;
        o.crc32c = start;
        pack_and_verify(&o);
    }
}
END_TEST

/* Complex values swap each half on their own, not the whole element. */
START_TEST(complex_big_endian)
{
    uint64_t s[] = {6, 5}, c[] = {4, 2}, h[] = {4, 4};
    zf_pack_options o = opts_of("complex64", 2, s, c, NULL);
    o.codec = ZF_PACK_NONE;
    o.big_endian = 1;
    pack_and_verify(&o);
    o = opts_of("complex128", 2, s, c, h);
    o.big_endian = 1;
    o.crc32c = 1;
    pack_and_verify(&o);
    /* The first element, by hand: each 8-byte half reversed in place. */
    size_t len;
    uint8_t *data = make_data(&o, &len), *sw = malloc(16);
    memcpy(sw, data, 16);
    o.big_endian = 1;
    unswap(&o, sw, 16);
    for (int i = 0; i < 8; i++)
        ck_assert_uint_eq(sw[i], data[7 - i]);
    for (int i = 0; i < 8; i++)
        ck_assert_uint_eq(sw[8 + i], data[15 - i]);
    free(sw);
    free(data);
}
END_TEST

static const char *const all_dtypes[] = {
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
    "uint64", "float16", "float32", "float64", "complex64", "complex128"};

START_TEST(every_dtype)
{
    uint64_t s[] = {7, 9}, c[] = {3, 4}, h[] = {6, 8};
    const char *t = all_dtypes[_i];
    for (int sharded = 0; sharded < 2; sharded++)
        for (int big = 0; big < 2; big++) {
            zf_pack_options o = opts_of(t, 2, s, c, sharded ? h : NULL);
            o.big_endian = big;
            o.codec = (zf_pack_codec)((sharded * 2 + big) % 3);
            o.crc32c = big;
            pack_and_verify(&o);
        }
}
END_TEST

START_TEST(scalar)
{
    for (int sharded = 0; sharded < 2; sharded++) {
        zf_pack_options o = opts_of("float64", 0, NULL, NULL, NULL);
        o.sharded = sharded;
        o.crc32c = 1;
        o.big_endian = sharded;
        pack_and_verify(&o);
    }
}
END_TEST

START_TEST(empty_array)
{
    uint64_t s[] = {4, 0}, c[] = {2, 2}, h[] = {4, 4};
    zf_pack_options o = opts_of("uint8", 2, s, c, h);
    pack_and_verify(&o);
    uint64_t s0[] = {0};
    o = opts_of("uint8", 1, s0, c, NULL);
    pack_and_verify(&o);
}
END_TEST

START_TEST(levels_recorded)
{
    uint64_t s[] = {40}, c[] = {16};
    zf_pack_options o = opts_of("uint32", 1, s, c, NULL);
    o.level = 19;
    pack_and_verify(&o);
    o.codec = ZF_PACK_GZIP;
    o.level = 0;
    pack_and_verify(&o);
}
END_TEST

/* ---- input from a pipe, threads, progress ---------------------------------- */

typedef struct feeder {
    int fd;
    const uint8_t *data;
    size_t len;
} feeder;

/* Writes in odd-sized pieces, so reads see short counts. */
static void *feed(void *arg)
{
    feeder *f = arg;
    size_t at = 0;
    while (at < f->len) {
        size_t n = f->len - at < 7777 ? f->len - at : 7777;
        ssize_t w = write(f->fd, f->data + at, n);
        if (w <= 0)
            break;
        at += (size_t)w;
    }
    close(f->fd);
    return NULL;
}

/* Packs from a pipe fed with len bytes of data; returns zf_pack's code. */
static zf_code pack_from_pipe(const zf_pack_options *o, const uint8_t *data,
                              size_t len, const char *out, zf_err *err)
{
    int p[2];
    pthread_t t;
    ck_assert_int_eq(pipe(p), 0);
    feeder f = {p[1], data, len};
    ck_assert_int_eq(pthread_create(&t, NULL, feed, &f), 0);
    zf_code rc = zf_pack(o, p[0], out, err);
    close(p[0]); /* a writer left blocked by an early failure gets EPIPE */
    pthread_join(t, NULL);
    return rc;
}

typedef struct progress_log {
    uint64_t last, total;
    int calls, backwards;
} progress_log;

static void on_progress(void *arg, uint64_t done, uint64_t total)
{
    progress_log *l = arg;
    l->backwards |= done < l->last;
    l->last = done;
    l->total = total;
    l->calls++;
}

START_TEST(pipe_many_slabs_progress)
{
    uint64_t s[] = {300, 70, 50}, c[] = {8, 16, 16}, h[] = {16, 32, 32};
    zf_pack_options o = opts_of("uint16", 3, s, c, h);
    progress_log log = {0};
    o.threads = 4;
    o.crc32c = 1;
    o.progress = on_progress;
    o.progress_arg = &log;
    size_t len;
    uint8_t *data = make_data(&o, &len);
    char *t = tmpdir(), out[600];
    snprintf(out, sizeof out, "%s/a", t);
    zf_err err = {0};
    ck_assert_msg(pack_from_pipe(&o, data, len, out, &err) == ZF_OK, "%s",
                  err.msg);
    verify(out, &o, data);
    ck_assert_int_eq(log.calls, (300 + 15) / 16); /* one per slab */
    ck_assert_int_eq(log.backwards, 0);
    ck_assert_uint_eq(log.last, len);
    ck_assert_uint_eq(log.total, len);
    free(data);
    rmtree(t);
}
END_TEST

/* One thread or many, the files are the same bytes. */
START_TEST(threads_do_not_change_output)
{
    uint64_t s[] = {33, 65}, c[] = {4, 8}, h[] = {8, 32};
    size_t len;
    char *t = tmpdir(), out[2][600];
    uint8_t *data = NULL;
    for (int i = 0; i < 2; i++) {
        zf_pack_options o = opts_of("float32", 2, s, c, h);
        o.threads = i ? 16 : 1;
        o.codec = ZF_PACK_GZIP;
        free(data);
        data = make_data(&o, &len);
        snprintf(out[i], sizeof out[i], "%s/t%d", t, i);
        int fd = input_file(t, data, len);
        zf_err err = {0};
        ck_assert_msg(zf_pack(&o, fd, out[i], &err) == ZF_OK, "%s", err.msg);
        close(fd);
    }
    for (uint64_t a = 0; a < 5; a++)
        for (uint64_t b = 0; b < 3; b++) {
            char p0[700], p1[700];
            size_t n0, n1;
            snprintf(p0, sizeof p0, "%s/c/%llu/%llu", out[0],
                     (unsigned long long)a, (unsigned long long)b);
            snprintf(p1, sizeof p1, "%s/c/%llu/%llu", out[1],
                     (unsigned long long)a, (unsigned long long)b);
            uint8_t *f0 = slurp(p0, &n0), *f1 = slurp(p1, &n1);
            ck_assert_ptr_nonnull(f0);
            ck_assert_ptr_nonnull(f1);
            ck_assert_uint_eq(n0, n1);
            ck_assert(memcmp(f0, f1, n0) == 0);
            free(f0);
            free(f1);
        }
    free(data);
    rmtree(t);
}
END_TEST

/* The output may be an existing empty folder. */
START_TEST(empty_output_folder_ok)
{
    uint64_t s[] = {10}, c[] = {4};
    zf_pack_options o = opts_of("int64", 1, s, c, NULL);
    size_t len;
    uint8_t *data = make_data(&o, &len);
    char *t = tmpdir();
    int fd = input_file(t, data, len);
    char out[600];
    snprintf(out, sizeof out, "%s/empty", t);
    ck_assert_int_eq(mkdir(out, 0755), 0);
    zf_err err = {0};
    ck_assert_msg(zf_pack(&o, fd, out, &err) == ZF_OK, "%s", err.msg);
    verify(out, &o, data);
    close(fd);
    free(data);
    rmtree(t);
}
END_TEST

/* ---- errors ---------------------------------------------------------------- */

/* Runs zf_pack on a file of len bytes and expects code and `needle` in the
 * message; no zarr.json may be left behind. */
static void expect_error(zf_pack_options *o, size_t len, int by_pipe,
                         zf_code code, const char *needle)
{
    size_t n;
    uint8_t *data = make_data(o, &n);
    uint8_t *in = calloc(1, len + 1);
    memcpy(in, data, n < len ? n : len);
    char *t = tmpdir(), out[600], meta[700];
    snprintf(out, sizeof out, "%s/a", t);
    zf_err err = {0};
    zf_code rc;
    if (by_pipe) {
        rc = pack_from_pipe(o, in, len, out, &err);
    } else {
        int fd = input_file(t, in, len);
        rc = zf_pack(o, fd, out, &err);
        close(fd);
    }
    ck_assert_msg(rc == code, "got %d (%s), want %d", rc, err.msg, code);
    ck_assert_int_eq(err.code, code);
    ck_assert_msg(strstr(err.msg, needle), "\"%s\" lacks \"%s\"", err.msg,
                  needle);
    snprintf(meta, sizeof meta, "%s/zarr.json", out);
    ck_assert_int_ne(access(meta, F_OK), 0);
    free(in);
    free(data);
    rmtree(t);
}

START_TEST(error_shard_not_multiple)
{
    uint64_t s[] = {10, 10}, c[] = {4, 4}, h[] = {8, 6};
    zf_pack_options o = opts_of("uint8", 2, s, c, h);
    expect_error(&o, 100, 0, ZF_EINVAL, "not a multiple");
    expect_error(&o, 100, 0, ZF_EINVAL, "dimension 1");
}
END_TEST

START_TEST(error_zero_chunk)
{
    uint64_t s[] = {10, 10}, c[] = {4, 0};
    zf_pack_options o = opts_of("uint8", 2, s, c, NULL);
    expect_error(&o, 100, 0, ZF_EINVAL, "chunk");
}
END_TEST

START_TEST(error_short_input)
{
    uint64_t s[] = {10, 10}, c[] = {4, 4}, h[] = {8, 8};
    zf_pack_options o = opts_of("uint16", 2, s, c, h);
    expect_error(&o, 150, 0, ZF_EINVAL, "got 150 bytes, expected 200");
    expect_error(&o, 150, 1, ZF_EINVAL, "got 150 bytes, expected 200");
    expect_error(&o, 0, 1, ZF_EINVAL, "got 0 bytes, expected 200");
}
END_TEST

START_TEST(error_extra_input)
{
    uint64_t s[] = {10, 10}, c[] = {4, 4};
    zf_pack_options o = opts_of("uint16", 2, s, c, NULL);
    expect_error(&o, 201, 0, ZF_EINVAL, "200");
    expect_error(&o, 300, 1, ZF_EINVAL, "more than the expected 200");
}
END_TEST

START_TEST(error_bad_options)
{
    uint64_t s[] = {10}, c[] = {4};
    zf_pack_options o = opts_of("float8", 1, s, c, NULL);
    expect_error(&o, 10, 0, ZF_EINVAL, "float8");
    o = opts_of("uint8", 1, s, c, NULL);
    o.level = 23;
    expect_error(&o, 10, 0, ZF_EINVAL, "level 23");
    o.codec = ZF_PACK_GZIP;
    o.level = 10;
    expect_error(&o, 10, 0, ZF_EINVAL, "level 10");
    o = opts_of("uint8", 1, s, c, NULL);
    o.ndim = ZF_MAX_DIMS + 1;
    expect_error(&o, 10, 0, ZF_EINVAL, "dimensions");
}
END_TEST

START_TEST(error_output_not_empty)
{
    uint64_t s[] = {10}, c[] = {4};
    zf_pack_options o = opts_of("uint8", 1, s, c, NULL);
    size_t len;
    uint8_t *data = make_data(&o, &len);
    char *t = tmpdir(), out[600];
    int fd = input_file(t, data, len);
    zf_err err = {0};
    /* t holds input.bin, so it is not empty. */
    ck_assert_int_eq(zf_pack(&o, fd, t, &err), ZF_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "not empty"));
    ck_assert_ptr_nonnull(strstr(err.msg, t));
    snprintf(out, sizeof out, "%s/input.bin", t); /* a file, not a folder */
    ck_assert_int_eq(zf_pack(&o, fd, out, &err), ZF_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "not a folder"));
    close(fd);
    free(data);
    rmtree(t);
}
END_TEST

static Suite *pack_suite(void)
{
    Suite *s = suite_create("pack");
    TCase *t = tcase_create("layouts");
    tcase_add_test(t, one_dim_edge_chunk);
    tcase_add_test(t, two_dim_gzip_crc_big);
    tcase_add_test(t, three_dim_sharded_end_crc);
    tcase_add_test(t, three_dim_sharded_start_none_big);
    tcase_add_test(t, four_dim_sharded_gzip_all);
    tcase_add_test(t, shard_larger_than_array);
    tcase_add_test(t, complex_big_endian);
    tcase_add_loop_test(t, every_dtype, 0,
                        (int)(sizeof all_dtypes / sizeof *all_dtypes));
    tcase_add_test(t, scalar);
    tcase_add_test(t, empty_array);
    tcase_add_test(t, levels_recorded);
    suite_add_tcase(s, t);
    t = tcase_create("io");
    tcase_add_test(t, pipe_many_slabs_progress);
    tcase_add_test(t, threads_do_not_change_output);
    tcase_add_test(t, empty_output_folder_ok);
    suite_add_tcase(s, t);
    t = tcase_create("errors");
    tcase_add_test(t, error_shard_not_multiple);
    tcase_add_test(t, error_zero_chunk);
    tcase_add_test(t, error_short_input);
    tcase_add_test(t, error_extra_input);
    tcase_add_test(t, error_bad_options);
    tcase_add_test(t, error_output_not_empty);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run(pack_suite());
}
