/*
 * test_codec.c - unit tests of the bytes->bytes codecs (engine/codec/):
 * round trips for every codec and dialect over awkward sizes into growable
 * and fixed outputs, size and limit enforcement, truncated and garbage input,
 * CRC-32C vectors, blosc shuffles and compressors, configuration errors, and
 * known encodings made by independent producers (the zstd, gzip and lz4
 * command-line tools, Python's zlib, and numcodecs via the shared corpus).
 */
#include "testutil.h"

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "codec/codec.h"
#include "codec/codec_impl.h"
#include "le.h"

#define MIB ((size_t)1 << 20)

/* ---- helpers -------------------------------------------------------------- */

static zf_code make(zf_codec_dialect d, const char *name, const char *json,
                    size_t typesize, zf_bbcodec **c, zf_err *e)
{
    struct json_object *cfg = json ? json_tokener_parse(json) : NULL;
    ck_assert_msg(!json || cfg, "bad test JSON: %s", json);
    zf_code rc = zf_bbcodec_new(d, name, cfg, typesize, c, e);
    json_object_put(cfg);
    return rc;
}

static zf_bbcodec *must_make(zf_codec_dialect d, const char *name,
                             const char *json, size_t typesize)
{
    zf_bbcodec *c = NULL;
    zf_err e = {0};
    zf_code rc = make(d, name, json, typesize, &c, &e);
    ck_assert_msg(rc == ZF_OK, "%s %s: %s", name, json ? json : "", e.msg);
    return c;
}

/* xorshift: reproducible "random" bytes. */
static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (uint8_t)(x >> 24);
    }
}

/* Slowly varying little-endian int32s: compresses well, shuffles well. */
static void fill_compressible(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t item = i / 4;
        p[i] = (i % 4 == 0) ? (uint8_t)(item / 7) : (i % 4 == 1) ? (uint8_t)(item / 1800) : 0;
    }
}

static zf_buf encode(const zf_bbcodec *c, const uint8_t *in, size_t n)
{
    zf_buf out = {0};
    zf_err e = {0};
    zf_code rc = zf_bbcodec_encode(c, in, n, &out, &e);
    ck_assert_msg(rc == ZF_OK, "%s encode %zu: %s", zf_bbcodec_describe(c), n,
                  e.msg);
    return out;
}

static zf_code decode(const zf_bbcodec *c, const uint8_t *in, size_t n,
                      size_t expect, size_t limit, zf_buf *out, zf_err *e)
{
    memset(e, 0, sizeof *e);
    return zf_bbcodec_decode(c, in, n, out, expect, limit, e);
}

#define CANARY 32

/* A fixed window of `cap` bytes followed by canary bytes that must survive. */
static uint8_t *window_mem(size_t cap)
{
    uint8_t *m = malloc(cap + CANARY);
    ck_assert_ptr_nonnull(m);
    memset(m, 0xA5, cap + CANARY);
    return m;
}

/* One assertion per call, not per byte: Check records every assertion
 * that passes (a write to its message file), which in the fuzz-like loops
 * below cost more than the decoding they test. */
static void check_canary(const uint8_t *m, size_t cap)
{
    size_t i = 0;
    while (i < CANARY && m[cap + i] == 0xA5)
        i++;
    ck_assert_msg(i == CANARY, "wrote past the window at %zu", i);
}

/* ---- round trips ---------------------------------------------------------- */

typedef struct codec_case {
    zf_codec_dialect d;
    const char *name, *json;
    size_t item; /* sizes must be multiples of this */
} codec_case;

static const codec_case CASES[] = {
    {ZF_DIALECT_V3, "zstd", "{\"level\":3,\"checksum\":false}", 1},
    {ZF_DIALECT_V3, "zstd", "{\"level\":-5,\"checksum\":true}", 1},
    {ZF_DIALECT_V3, "gzip", "{\"level\":5}", 1},
    {ZF_DIALECT_V3, "blosc",
     "{\"cname\":\"lz4\",\"clevel\":5,\"shuffle\":\"shuffle\",\"typesize\":4,"
     "\"blocksize\":0}",
     1},
    {ZF_DIALECT_V3, "blosc",
     "{\"cname\":\"zstd\",\"clevel\":3,\"shuffle\":\"bitshuffle\","
     "\"blocksize\":0}",
     1},
    {ZF_DIALECT_V3, "crc32c", NULL, 1},
    {ZF_DIALECT_V3, "crc32c", "{}", 1},
    {ZF_DIALECT_V3, "numcodecs.zlib", "{\"level\":1}", 1},
    {ZF_DIALECT_V3, "numcodecs.gzip", "{\"level\":9}", 1},
    {ZF_DIALECT_V3, "numcodecs.zstd", "{\"level\":1,\"checksum\":true}", 1},
    {ZF_DIALECT_V3, "numcodecs.blosc",
     "{\"cname\":\"blosclz\",\"clevel\":9,\"shuffle\":-1,\"blocksize\":0}", 1},
    {ZF_DIALECT_V3, "numcodecs.lz4", "{\"acceleration\":1}", 1},
    {ZF_DIALECT_V3, "numcodecs.shuffle", "{\"elementsize\":4}", 4},
    {ZF_DIALECT_V3, "numcodecs.crc32c", "{\"location\":\"start\"}", 1},
    {ZF_DIALECT_V3, "numcodecs.crc32c", "{\"location\":\"end\"}", 1},
    {ZF_DIALECT_NUMCODECS, "zstd", "{\"id\":\"zstd\",\"level\":1}", 1},
    {ZF_DIALECT_NUMCODECS, "gzip", "{\"id\":\"gzip\",\"level\":1}", 1},
    {ZF_DIALECT_NUMCODECS, "zlib", "{\"id\":\"zlib\",\"level\":6}", 1},
    {ZF_DIALECT_NUMCODECS, "blosc",
     "{\"id\":\"blosc\",\"cname\":\"lz4hc\",\"clevel\":5,\"shuffle\":1,"
     "\"blocksize\":0}",
     1},
    {ZF_DIALECT_NUMCODECS, "blosc",
     "{\"id\":\"blosc\",\"cname\":\"zlib\",\"clevel\":1,\"shuffle\":0,"
     "\"blocksize\":4096}",
     1},
    {ZF_DIALECT_NUMCODECS, "lz4", "{\"id\":\"lz4\",\"acceleration\":10}", 1},
    {ZF_DIALECT_NUMCODECS, "shuffle", "{\"id\":\"shuffle\",\"elementsize\":8}",
     8},
    {ZF_DIALECT_NUMCODECS, "shuffle", "{\"id\":\"shuffle\",\"elementsize\":1}",
     1},
    {ZF_DIALECT_NUMCODECS, "crc32c", "{\"id\":\"crc32c\"}", 1},
    {ZF_DIALECT_NUMCODECS, "bz2", "{\"id\":\"bz2\",\"level\":1}", 1},
    {ZF_DIALECT_NUMCODECS, "lzma",
     "{\"id\":\"lzma\",\"format\":1,\"check\":-1,\"preset\":null,\"filters\":null}", 1},
    {ZF_DIALECT_V3, "numcodecs.bz2", "{\"level\":9}", 1},
    {ZF_DIALECT_V3, "numcodecs.lzma", "{\"preset\":1,\"check\":10}", 1},
    {ZF_DIALECT_NUMCODECS, "crc32", "{\"id\":\"crc32\"}", 1},
    {ZF_DIALECT_NUMCODECS, "adler32", "{\"id\":\"adler32\",\"location\":\"end\"}", 1},
    {ZF_DIALECT_NUMCODECS, "fletcher32", "{\"id\":\"fletcher32\"}", 1},
    {ZF_DIALECT_NUMCODECS, "jenkins_lookup3",
     "{\"id\":\"jenkins_lookup3\",\"initval\":7,\"prefix\":null}", 1},
    {ZF_DIALECT_V3, "numcodecs.crc32", "{\"location\":\"end\"}", 1},
    {ZF_DIALECT_V3, "numcodecs.adler32", NULL, 1},
    {ZF_DIALECT_V3, "numcodecs.fletcher32", "{}", 1},
    {ZF_DIALECT_V3, "numcodecs.jenkins_lookup3", "{\"initval\":0}", 1},
};
#define NCASES ((int)(sizeof CASES / sizeof CASES[0]))

static const size_t SIZES[] = {0, 1, 3, 8, 17, 4093, 65536 + 7};

/* Every way of decoding `enc` that must give back in[0..n). */
static void decode_all_ways(const zf_bbcodec *c, const zf_buf *enc,
                            const uint8_t *in, size_t n)
{
    const char *what = zf_bbcodec_describe(c);
    zf_err e;
    zf_buf out = {0};
    ck_assert_msg(decode(c, enc->p, enc->len, n, 0, &out, &e) == ZF_OK,
                  "%s n=%zu: %s", what, n, e.msg);
    ck_assert_uint_eq(out.len, n);
    ck_assert(n == 0 || !memcmp(out.p, in, n));
    /* A growable buffer that already holds something is reused. */
    ck_assert(decode(c, enc->p, enc->len, ZF_SIZE_ANY, n, &out, &e) == ZF_OK);
    ck_assert_uint_eq(out.len, n);
    ck_assert(n == 0 || !memcmp(out.p, in, n));
    zf_buf_free(&out);

    /* A fixed window of exactly n bytes: decoded in place. */
    uint8_t *m = window_mem(n);
    zf_buf w = zf_buf_wrap(m, n);
    ck_assert_msg(decode(c, enc->p, enc->len, n, 0, &w, &e) == ZF_OK,
                  "%s fixed n=%zu: %s", what, n, e.msg);
    ck_assert_ptr_eq(w.p, m);
    ck_assert_uint_eq(w.len, n);
    ck_assert(n == 0 || !memcmp(m, in, n));
    check_canary(m, n);
    w = zf_buf_wrap(m, n);
    ck_assert(decode(c, enc->p, enc->len, ZF_SIZE_ANY, MIB * 4, &w, &e) ==
              ZF_OK);
    ck_assert_uint_eq(w.len, n);
    check_canary(m, n);
    free(m);
}

/* Every way of decoding `enc` that must fail: a wrong size or limit. */
static void decode_wrong_sizes(const zf_bbcodec *c, const zf_buf *enc,
                               size_t n)
{
    const char *what = zf_bbcodec_describe(c);
    zf_err e;
    zf_buf out = {0};
    ck_assert_msg(decode(c, enc->p, enc->len, n + 1, 0, &out, &e) ==
                      ZF_ECORRUPT,
                  "%s expect n+1: %s", what, e.msg);
    if (n > 0) {
        ck_assert_msg(decode(c, enc->p, enc->len, n - 1, 0, &out, &e) ==
                          ZF_ECORRUPT,
                      "%s expect n-1: %s", what, e.msg);
        zf_buf_free(&out);
        ck_assert_msg(decode(c, enc->p, enc->len, ZF_SIZE_ANY, n - 1, &out,
                             &e) == ZF_ELIMIT,
                      "%s limit n-1: %s", what, e.msg);
        ck_assert_uint_le(out.cap, n - 1);
        /* A fixed window of n-1 bytes under a larger limit. */
        uint8_t *m = window_mem(n - 1);
        zf_buf w = zf_buf_wrap(m, n - 1);
        ck_assert_msg(decode(c, enc->p, enc->len, ZF_SIZE_ANY, n + 100, &w,
                             &e) == ZF_ECORRUPT,
                      "%s small window: %s", what, e.msg);
        check_canary(m, n - 1);
        free(m);
    }
    zf_buf_free(&out);
}

static void roundtrip(const zf_bbcodec *c, const uint8_t *in, size_t n)
{
    zf_buf enc = encode(c, in, n);
    decode_all_ways(c, &enc, in, n);
    decode_wrong_sizes(c, &enc, n);
    zf_buf_free(&enc);
}

START_TEST(test_roundtrip_sizes)
{
    const codec_case *k = &CASES[_i];
    zf_bbcodec *c = must_make(k->d, k->name, k->json, 4);
    uint8_t *data = malloc(70000);
    for (size_t s = 0; s < sizeof SIZES / sizeof SIZES[0]; s++) {
        size_t n = SIZES[s] - SIZES[s] % k->item;
        fill_random(data, n, n);
        roundtrip(c, data, n);
        fill_compressible(data, n);
        roundtrip(c, data, n);
    }
    free(data);
    zf_bbcodec_free(c);
}
END_TEST

START_TEST(test_roundtrip_1mib)
{
    const codec_case *k = &CASES[_i];
    zf_bbcodec *c = must_make(k->d, k->name, k->json, 4);
    uint8_t *data = malloc(MIB);
    fill_random(data, MIB, 42);
    roundtrip(c, data, MIB);
    fill_compressible(data, MIB);
    roundtrip(c, data, MIB);
    free(data);
    zf_bbcodec_free(c);
}
END_TEST

/* ---- limits ---------------------------------------------------------------- */

START_TEST(test_limit_any)
{
    const codec_case *k = &CASES[_i];
    zf_bbcodec *c = must_make(k->d, k->name, k->json, 4);
    uint8_t *data = malloc(MIB);
    fill_compressible(data, MIB);
    zf_buf enc = encode(c, data, MIB);
    zf_err e;
    const size_t limits[] = {0, 1, 4096, MIB / 2, MIB - 8};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        zf_buf out = {0};
        ck_assert_msg(decode(c, enc.p, enc.len, ZF_SIZE_ANY, limits[i], &out,
                             &e) == ZF_ELIMIT,
                      "%s limit %zu: %s", k->name, limits[i], e.msg);
        ck_assert_uint_le(out.cap, limits[i]);
        zf_buf_free(&out);
    }
    zf_buf out = {0};
    ck_assert(decode(c, enc.p, enc.len, ZF_SIZE_ANY, MIB, &out, &e) == ZF_OK);
    ck_assert_uint_eq(out.len, MIB);
    ck_assert_uint_le(out.cap, MIB);
    ck_assert(!memcmp(out.p, data, MIB));
    zf_buf_free(&out);
    zf_buf_free(&enc);
    free(data);
    zf_bbcodec_free(c);
}
END_TEST

/* ---- damaged input ------------------------------------------------------- */

static int is_shuffle(const codec_case *k)
{
    return strstr(k->name, "shuffle") != NULL;
}

START_TEST(test_truncated)
{
    const codec_case *k = &CASES[_i];
    if (is_shuffle(k))
        return; /* a filter, not a format: any whole-item prefix is valid */
    zf_bbcodec *c = must_make(k->d, k->name, k->json, 4);
    const size_t n = 65536;
    uint8_t *data = malloc(n);
    fill_compressible(data, n);
    zf_buf enc = encode(c, data, n);
    size_t cuts[] = {0, 1, 3, 5, 16, enc.len / 2, enc.len - 2, enc.len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        zf_err e;
        zf_buf out = {0};
        ck_assert_msg(decode(c, enc.p, cuts[i], n, 0, &out, &e) == ZF_ECORRUPT,
                      "%s cut at %zu of %zu: %s", k->name, cuts[i], enc.len,
                      e.msg);
        /* Fletcher-32 of zero bytes is 0: a prefix of zeros (here the
         * first 5 bytes) is a valid encoding of its first byte. */
        int zeros = strstr(k->name, "fletcher32") && cuts[i] >= 4;
        for (size_t b = 0; zeros && b < cuts[i]; b++)
            zeros = enc.p[b] == 0;
        if (!zeros) {
            ck_assert_msg(decode(c, enc.p, cuts[i], ZF_SIZE_ANY, n, &out, &e) ==
                              ZF_ECORRUPT,
                          "%s any, cut at %zu of %zu: %s", k->name, cuts[i],
                          enc.len, e.msg);
            ck_assert(e.msg[0] != 0);
        }
        zf_buf_free(&out);
    }
    zf_buf_free(&enc);
    free(data);
    zf_bbcodec_free(c);
}
END_TEST

START_TEST(test_garbage)
{
    const codec_case *k = &CASES[_i];
    if (is_shuffle(k))
        return;
    zf_bbcodec *c = must_make(k->d, k->name, k->json, 4);
    for (uint64_t seed = 1; seed <= TU_ROUNDS(300); seed++) {
        /* Exactly len bytes on the heap, so that ASan sees any over-read. */
        size_t len = (size_t)(seed * 7 % 600);
        uint8_t *junk = malloc(len ? len : 1);
        fill_random(junk, len, seed);
        zf_err e;
        const size_t cap = 256;
        uint8_t *m = window_mem(cap);
        zf_buf w = zf_buf_wrap(m, cap);
        ck_assert_msg(decode(c, junk, len, cap, 0, &w, &e) == ZF_ECORRUPT,
                      "%s garbage seed %llu: %s", k->name,
                      (unsigned long long)seed, e.msg);
        check_canary(m, cap);
        w = zf_buf_wrap(m, cap);
        zf_code rc = decode(c, junk, len, ZF_SIZE_ANY, MIB, &w, &e);
        ck_assert_msg(rc == ZF_ECORRUPT || rc == ZF_ELIMIT, "%s seed %llu: %s",
                      k->name, (unsigned long long)seed, e.msg);
        check_canary(m, cap);
        zf_buf out = {0};
        rc = decode(c, junk, len, ZF_SIZE_ANY, 4096, &out, &e);
        ck_assert(rc == ZF_ECORRUPT || rc == ZF_ELIMIT);
        ck_assert_uint_le(out.cap, 4096);
        zf_buf_free(&out);
        free(m);
        free(junk);
    }
    zf_bbcodec_free(c);
}
END_TEST

/* A valid header (blosc's 16 bytes, lz4's length, zstd's frame header)
 * followed by random bytes: reaches the decoders' inner loops. */
START_TEST(test_random_body)
{
    const codec_case *k = &CASES[_i];
    zf_bbcodec *c = must_make(k->d, k->name, k->json, 4);
    const size_t n = 8192;
    uint8_t *data = malloc(n);
    fill_compressible(data, n);
    zf_buf enc = encode(c, data, n);
    const size_t keep = enc.len < 16 ? enc.len : 16;
    for (uint64_t seed = 1; seed <= TU_ROUNDS(200); seed++) {
        uint8_t *bad = malloc(enc.len);
        memcpy(bad, enc.p, keep);
        fill_random(bad + keep, enc.len - keep, seed);
        uint8_t *m = window_mem(n);
        zf_buf w = zf_buf_wrap(m, n);
        zf_err e;
        zf_code rc = decode(c, bad, enc.len, n, 0, &w, &e);
        ck_assert(rc != ZF_OK || w.len == n);
        check_canary(m, n);
        zf_buf out = {0};
        rc = decode(c, bad, enc.len, ZF_SIZE_ANY, n, &out, &e);
        ck_assert_uint_le(out.cap, n);
        zf_buf_free(&out);
        free(m);
        free(bad);
    }
    zf_buf_free(&enc);
    free(data);
    zf_bbcodec_free(c);
}
END_TEST

/* Flipping bits of a valid encoding: any outcome but a crash or an overrun. */
START_TEST(test_bitflips)
{
    const codec_case *k = &CASES[_i];
    zf_bbcodec *c = must_make(k->d, k->name, k->json, 4);
    const size_t n = 4096;
    uint8_t data[4096];
    fill_compressible(data, n);
    zf_buf enc = encode(c, data, n);
    uint8_t *bad = malloc(enc.len);
    for (size_t bit = 0; bit < enc.len * 8; bit += TU_SANITIZED ? 11 : 3) {
        memcpy(bad, enc.p, enc.len);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        uint8_t *m = window_mem(n);
        zf_buf w = zf_buf_wrap(m, n);
        zf_err e;
        zf_code rc = decode(c, bad, enc.len, n, 0, &w, &e);
        ck_assert(rc == ZF_OK || rc == ZF_ECORRUPT || rc == ZF_EUNSUPPORTED);
        ck_assert(rc != ZF_OK || w.len == n);
        check_canary(m, n);
        zf_buf out = {0};
        rc = decode(c, bad, enc.len, ZF_SIZE_ANY, 2 * n, &out, &e);
        ck_assert(rc != ZF_OK || out.len <= 2 * n);
        ck_assert_uint_le(out.cap, 2 * n);
        zf_buf_free(&out);
        free(m);
    }
    free(bad);
    zf_buf_free(&enc);
    zf_bbcodec_free(c);
}
END_TEST

/* ---- known encodings from independent producers ------------------------- */

#define KB_LINE "to be or not to be, that is the question; "
static const char KB_TEXT[] = KB_LINE KB_LINE KB_LINE KB_LINE KB_LINE KB_LINE
    KB_LINE KB_LINE "fin\n";
#define KB_LEN (sizeof KB_TEXT - 1)

/* printf ... > kb.txt; zstd -19 kb.txt (zstd CLI 1.5.4). */
static const uint8_t KB_ZSTD[62] = {
    0x28, 0xb5, 0x2f, 0xfd, 0x64, 0x54, 0x00, 0x85, 0x01, 0x00, 0x92, 0x02,
    0x09, 0x10, 0xc0, 0xa7, 0x03, 0x42, 0xc4, 0x8e, 0xd0, 0x15, 0x4d, 0xf8,
    0x97, 0x43, 0xac, 0x63, 0xf7, 0x06, 0x00, 0xaf, 0x2c, 0x30, 0xaf, 0xa8,
    0x92, 0xb9, 0xac, 0xa3, 0xbb, 0xc3, 0x7a, 0xb8, 0x89, 0x9f, 0xbc, 0xc8,
    0xd9, 0x02, 0x00, 0x8c, 0x34, 0xa5, 0x46, 0x10, 0xe6, 0x17, 0xaa, 0xe0,
    0x08, 0x6a};

/* gzip -9 -n kb.txt (gzip 1.12). */
static const uint8_t KB_GZIP[67] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x2b, 0xc9,
    0x57, 0x48, 0x4a, 0x55, 0xc8, 0x2f, 0x52, 0xc8, 0xcb, 0x2f, 0x51, 0x28,
    0x01, 0x71, 0x74, 0x14, 0x4a, 0x32, 0x12, 0x4b, 0x14, 0x32, 0x8b, 0x81,
    0x74, 0xaa, 0x42, 0x61, 0x69, 0x6a, 0x71, 0x49, 0x66, 0x7e, 0x9e, 0x35,
    0x44, 0x72, 0x54, 0x25, 0x01, 0x95, 0x69, 0x99, 0x79, 0x5c, 0x00, 0x8c,
    0x42, 0xc2, 0x77, 0x54, 0x01, 0x00, 0x00};

/* Python: zlib.compress(kb, 6). */
static const uint8_t KB_ZLIB[55] = {
    0x78, 0x9c, 0x2b, 0xc9, 0x57, 0x48, 0x4a, 0x55, 0xc8, 0x2f, 0x52, 0xc8,
    0xcb, 0x2f, 0x51, 0x28, 0x01, 0x71, 0x74, 0x14, 0x4a, 0x32, 0x12, 0x4b,
    0x14, 0x32, 0x8b, 0x81, 0x74, 0xaa, 0x42, 0x61, 0x69, 0x6a, 0x71, 0x49,
    0x66, 0x7e, 0x9e, 0x35, 0x44, 0x72, 0x54, 0x25, 0x01, 0x95, 0x69, 0x99,
    0x79, 0x5c, 0x00, 0xd0, 0x88, 0x74, 0xe0};

/* numcodecs LZ4 framing around the block that `lz4 -9 -BI` (CLI 1.9.4) put
 * in its frame: le32 length 340, then the block. */
static const uint8_t KB_LZ4[56] = {
    0x54, 0x01, 0x00, 0x00, 0xd1, 0x74, 0x6f, 0x20, 0x62, 0x65, 0x20, 0x6f,
    0x72, 0x20, 0x6e, 0x6f, 0x74, 0x20, 0x0d, 0x00, 0xff, 0x09, 0x2c, 0x20,
    0x74, 0x68, 0x61, 0x74, 0x20, 0x69, 0x73, 0x20, 0x74, 0x68, 0x65, 0x20,
    0x71, 0x75, 0x65, 0x73, 0x74, 0x69, 0x6f, 0x6e, 0x3b, 0x20, 0x2a, 0x00,
    0xff, 0x13, 0x50, 0x20, 0x66, 0x69, 0x6e, 0x0a};

/* Two frames from the zstd CLI, "frame-one;" (with a checksum) then
 * "frame-two!" (--no-check), concatenated. */
static const uint8_t MULTI_ZSTD[42] = {
    0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x0a, 0x51, 0x00, 0x00, 0x66, 0x72,
    0x61, 0x6d, 0x65, 0x2d, 0x6f, 0x6e, 0x65, 0x3b, 0x03, 0x74, 0x19,
    0xc7, 0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x0a, 0x51, 0x00, 0x00, 0x66,
    0x72, 0x61, 0x6d, 0x65, 0x2d, 0x74, 0x77, 0x6f, 0x21};

/* printf streamed-no-size | zstd: a frame without a content size. */
static const uint8_t NOSIZE_ZSTD[29] = {
    0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0x81, 0x00, 0x00, 0x73,
    0x74, 0x72, 0x65, 0x61, 0x6d, 0x65, 0x64, 0x2d, 0x6e, 0x6f,
    0x2d, 0x73, 0x69, 0x7a, 0x65, 0xc2, 0xf7, 0x7b, 0x37};

static void check_known(zf_codec_dialect d, const char *name, const char *json,
                        const uint8_t *enc, size_t enclen, const void *want,
                        size_t n)
{
    zf_bbcodec *c = must_make(d, name, json, 1);
    zf_err e;
    zf_buf out = {0};
    ck_assert_msg(decode(c, enc, enclen, n, 0, &out, &e) == ZF_OK, "%s: %s",
                  name, e.msg);
    ck_assert_uint_eq(out.len, n);
    ck_assert(!memcmp(out.p, want, n));
    ck_assert_msg(decode(c, enc, enclen, ZF_SIZE_ANY, MIB, &out, &e) == ZF_OK,
                  "%s any: %s", name, e.msg);
    ck_assert_uint_eq(out.len, n);
    ck_assert(!memcmp(out.p, want, n));
    zf_buf_free(&out);
    zf_bbcodec_free(c);
}

START_TEST(test_known_zstd)
{
    check_known(ZF_DIALECT_V3, "zstd", "{\"level\":0,\"checksum\":false}",
                KB_ZSTD, sizeof KB_ZSTD, KB_TEXT, KB_LEN);
    check_known(ZF_DIALECT_NUMCODECS, "zstd", "{\"id\":\"zstd\"}", MULTI_ZSTD,
                sizeof MULTI_ZSTD, "frame-one;frame-two!", 20);
    check_known(ZF_DIALECT_V3, "numcodecs.zstd", "{}", NOSIZE_ZSTD,
                sizeof NOSIZE_ZSTD, "streamed-no-size", 16);
}
END_TEST

START_TEST(test_known_gzip_zlib_lz4)
{
    check_known(ZF_DIALECT_V3, "gzip", "{\"level\":1}", KB_GZIP,
                sizeof KB_GZIP, KB_TEXT, KB_LEN);
    check_known(ZF_DIALECT_NUMCODECS, "zlib", "{\"id\":\"zlib\",\"level\":1}",
                KB_ZLIB, sizeof KB_ZLIB, KB_TEXT, KB_LEN);
    check_known(ZF_DIALECT_NUMCODECS, "lz4", "{\"id\":\"lz4\"}", KB_LZ4,
                sizeof KB_LZ4, KB_TEXT, KB_LEN);
}
END_TEST

/* numcodecs 0.11 (zarr-python 2.13) chunks from ../shared/corpus:
 * v2_i2be_bloscl4shuf_C_slash chunk 2/0 (lz4, byte shuffle, >i2, 16x8), and
 * v2_u2_1d_blosclz_noshuf chunk 7 (blosclz, no shuffle, <u2, 128 items).
 * The expected bytes come from the corpus' expected/ files. */
static const uint8_t BLOSC_LZ4_SHUF[168] = {
    0x02, 0x01, 0x21, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0xa8, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00,
    0xfb, 0x0a, 0x73, 0xed, 0x67, 0xe0, 0x5a, 0xd4, 0x4d, 0xc7, 0xf2, 0x6c,
    0xe6, 0x60, 0xd9, 0x53, 0xcd, 0x46, 0x72, 0xeb, 0x65, 0xdf, 0xfc, 0xfc,
    0xfc, 0xfc, 0xfc, 0x05, 0x00, 0xf4, 0x01, 0x51, 0xcb, 0x44, 0xbe, 0x38,
    0xb1, 0x2b, 0xa5, 0xd0, 0x4a, 0xc3, 0x3d, 0xb7, 0x31, 0xaa, 0x24, 0x1e,
    0x00, 0x1f, 0x00, 0x01, 0x00, 0x27, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x50, 0x00, 0x00, 0x00, 0xff, 0x36, 0xc8, 0x79, 0x2a, 0xdb, 0x8c, 0x3d,
    0xee, 0x9f, 0xf4, 0xa5, 0x56, 0x07, 0xb8, 0x69, 0x1a, 0xcb, 0x20, 0xd1,
    0x82, 0x33, 0x2c, 0x2d, 0x2e, 0x2f, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b,
    0x4c, 0x4d, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6d, 0x1e,
    0xcf, 0x80, 0x31, 0xe2, 0x93, 0x44, 0x99, 0x4a, 0xfb, 0xac, 0x5d, 0x0e,
    0xbf, 0x70, 0xbe, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x05, 0x00, 0x23, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00};

/* Its first 8 rows (the rest of the chunk lies outside the array). */
static const uint8_t BLOSC_LZ4_SHUF_ROWS[128] = {
    0x73, 0xc8, 0xed, 0x79, 0x67, 0x2a, 0xe0, 0xdb, 0x5a, 0x8c, 0xd4, 0x3d,
    0x4d, 0xee, 0xc7, 0x9f, 0xf2, 0xf4, 0x6c, 0xa5, 0xe6, 0x56, 0x60, 0x07,
    0xd9, 0xb8, 0x53, 0x69, 0xcd, 0x1a, 0x46, 0xcb, 0x72, 0x20, 0xeb, 0xd1,
    0x65, 0x82, 0xdf, 0x33, 0xfc, 0x2c, 0xfc, 0x2d, 0xfc, 0x2e, 0xfc, 0x2f,
    0xfc, 0x46, 0xfc, 0x47, 0xfc, 0x48, 0xfc, 0x49, 0xfc, 0x4a, 0xfc, 0x4b,
    0xfc, 0x4c, 0xfc, 0x4d, 0xfc, 0x64, 0xfc, 0x65, 0xfc, 0x66, 0xfc, 0x67,
    0xfc, 0x68, 0xfc, 0x69, 0xfc, 0x6a, 0xfc, 0x6b, 0x51, 0x6d, 0xcb, 0x1e,
    0x44, 0xcf, 0xbe, 0x80, 0x38, 0x31, 0xb1, 0xe2, 0x2b, 0x93, 0xa5, 0x44,
    0xd0, 0x99, 0x4a, 0x4a, 0xc3, 0xfb, 0x3d, 0xac, 0xb7, 0x5d, 0x31, 0x0e,
    0xaa, 0xbf, 0x24, 0x70, 0xfc, 0xbe, 0xfc, 0xbf, 0xfc, 0xc0, 0xfc, 0xc1,
    0xfc, 0xc2, 0xfc, 0xc3, 0xfc, 0xc4, 0xfc, 0xc5};

static const uint8_t BLOSC_BLOSCLZ[246] = {
    0x02, 0x01, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0xf6, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,
    0x8f, 0x00, 0x90, 0x00, 0x91, 0x00, 0x92, 0x00, 0x93, 0x00, 0x94, 0x00,
    0x95, 0x00, 0x96, 0x00, 0x97, 0x00, 0x98, 0x00, 0x99, 0x00, 0x9a, 0x00,
    0x9b, 0x00, 0x9c, 0x00, 0x9d, 0x00, 0x9e, 0x00, 0x9f, 0x00, 0xa0, 0x00,
    0xa1, 0x00, 0xa2, 0x00, 0xa3, 0x00, 0xa4, 0x00, 0xa5, 0x00, 0xa6, 0x00,
    0xa7, 0x00, 0xa8, 0x00, 0xa9, 0x00, 0xaa, 0x00, 0xab, 0x00, 0xac, 0x00,
    0xad, 0x00, 0xae, 0x00, 0xaf, 0x00, 0xb0, 0x00, 0xb1, 0x00, 0xb2, 0x00,
    0xb3, 0x00, 0xb4, 0x00, 0xb5, 0x00, 0xb6, 0x00, 0xb7, 0x00, 0xb8, 0x00,
    0xb9, 0x00, 0xba, 0x00, 0xbb, 0x00, 0xbc, 0x00, 0xbd, 0x00, 0xbe, 0x00,
    0xbf, 0x00, 0xc0, 0x00, 0xc1, 0x00, 0xc2, 0x00, 0xc3, 0x00, 0xc4, 0x00,
    0xc5, 0x00, 0xc6, 0x00, 0xc7, 0x00, 0xc8, 0x00, 0xc9, 0x00, 0xca, 0x00,
    0xcb, 0x00, 0xcc, 0x00, 0xcd, 0x00, 0xce, 0x00, 0x5a, 0x00, 0x00, 0x00,
    0x3f, 0xc8, 0xf3, 0x79, 0x6d, 0x2a, 0xe7, 0xdb, 0x60, 0x8c, 0xda, 0x3d,
    0x54, 0xee, 0xcd, 0x9f, 0x47, 0x50, 0xc1, 0x38, 0xd9, 0xe9, 0x52, 0x9a,
    0xcc, 0x4b, 0x46, 0xfc, 0xbf, 0xad, 0x39, 0x5e, 0xb3, 0x1f, 0x0f, 0x2d,
    0xc0, 0xa6, 0x71, 0x20, 0x22, 0x9a, 0xd3, 0x13, 0x84, 0x8d, 0x35, 0x07,
    0xe6, 0x80, 0x97, 0xfa, 0x48, 0x74, 0x30, 0x8c, 0xe1, 0x05, 0x92, 0x7f,
    0x43, 0xf9, 0xf4, 0x72, 0xa5, 0xec, 0x10, 0x56, 0x66, 0x07, 0xe0, 0xb8,
    0x59, 0x69, 0xd3, 0x1a, 0x4d, 0xcb, 0xc6, 0x7c, 0x40, 0x2d, 0xba, 0x00,
    0xe0, 0x24, 0x00, 0x01, 0x00, 0x00};

/* Its first 104 items (the rest lies outside the array). */
static const uint8_t BLOSC_BLOSCLZ_HEAD[208] = {
    0x8f, 0x00, 0x90, 0x00, 0x91, 0x00, 0x92, 0x00, 0x93, 0x00, 0x94, 0x00,
    0x95, 0x00, 0x96, 0x00, 0x97, 0x00, 0x98, 0x00, 0x99, 0x00, 0x9a, 0x00,
    0x9b, 0x00, 0x9c, 0x00, 0x9d, 0x00, 0x9e, 0x00, 0x9f, 0x00, 0xa0, 0x00,
    0xa1, 0x00, 0xa2, 0x00, 0xa3, 0x00, 0xa4, 0x00, 0xa5, 0x00, 0xa6, 0x00,
    0xa7, 0x00, 0xa8, 0x00, 0xa9, 0x00, 0xaa, 0x00, 0xab, 0x00, 0xac, 0x00,
    0xad, 0x00, 0xae, 0x00, 0xaf, 0x00, 0xb0, 0x00, 0xb1, 0x00, 0xb2, 0x00,
    0xb3, 0x00, 0xb4, 0x00, 0xb5, 0x00, 0xb6, 0x00, 0xb7, 0x00, 0xb8, 0x00,
    0xb9, 0x00, 0xba, 0x00, 0xbb, 0x00, 0xbc, 0x00, 0xbd, 0x00, 0xbe, 0x00,
    0xbf, 0x00, 0xc0, 0x00, 0xc1, 0x00, 0xc2, 0x00, 0xc3, 0x00, 0xc4, 0x00,
    0xc5, 0x00, 0xc6, 0x00, 0xc7, 0x00, 0xc8, 0x00, 0xc9, 0x00, 0xca, 0x00,
    0xcb, 0x00, 0xcc, 0x00, 0xcd, 0x00, 0xce, 0x00, 0xc8, 0xf3, 0x79, 0x6d,
    0x2a, 0xe7, 0xdb, 0x60, 0x8c, 0xda, 0x3d, 0x54, 0xee, 0xcd, 0x9f, 0x47,
    0x50, 0xc1, 0x38, 0xd9, 0xe9, 0x52, 0x9a, 0xcc, 0x4b, 0x46, 0xfc, 0xbf,
    0xad, 0x39, 0x5e, 0xb3, 0x0f, 0x2d, 0xc0, 0xa6, 0x71, 0x20, 0x22, 0x9a,
    0xd3, 0x13, 0x84, 0x8d, 0x35, 0x07, 0xe6, 0x80, 0x97, 0xfa, 0x48, 0x74,
    0x30, 0x8c, 0xe1, 0x05, 0x92, 0x7f, 0x43, 0xf9, 0xf4, 0x72, 0xa5, 0xec,
    0x56, 0x66, 0x07, 0xe0, 0xb8, 0x59, 0x69, 0xd3, 0x1a, 0x4d, 0xcb, 0xc6,
    0x7c, 0x40, 0x2d, 0xba};

static void check_known_prefix(const char *json, size_t typesize,
                               const uint8_t *enc, size_t enclen, size_t n,
                               const uint8_t *want, size_t wantlen)
{
    zf_bbcodec *c = must_make(ZF_DIALECT_NUMCODECS, "blosc", json, typesize);
    zf_err e;
    uint8_t *m = window_mem(n);
    zf_buf w = zf_buf_wrap(m, n);
    ck_assert_msg(decode(c, enc, enclen, n, 0, &w, &e) == ZF_OK, "%s", e.msg);
    ck_assert_uint_eq(w.len, n);
    ck_assert(!memcmp(m, want, wantlen));
    check_canary(m, n);
    free(m);
    zf_bbcodec_free(c);
}

START_TEST(test_known_blosc)
{
    check_known_prefix("{\"id\":\"blosc\",\"cname\":\"lz4\",\"clevel\":5,"
                       "\"shuffle\":1,\"blocksize\":0}",
                       2, BLOSC_LZ4_SHUF, sizeof BLOSC_LZ4_SHUF, 256,
                       BLOSC_LZ4_SHUF_ROWS, sizeof BLOSC_LZ4_SHUF_ROWS);
    check_known_prefix("{\"id\":\"blosc\",\"cname\":\"blosclz\",\"clevel\":9,"
                       "\"shuffle\":0,\"blocksize\":0}",
                       2, BLOSC_BLOSCLZ, sizeof BLOSC_BLOSCLZ, 256,
                       BLOSC_BLOSCLZ_HEAD, sizeof BLOSC_BLOSCLZ_HEAD);
}
END_TEST

/* ---- zstd ----------------------------------------------------------------- */

START_TEST(test_zstd_sizes)
{
    zf_bbcodec *c = must_make(ZF_DIALECT_V3, "zstd", "{\"level\":3}", 1);
    zf_err e;
    zf_buf out = {0};
    ck_assert(decode(c, KB_ZSTD, sizeof KB_ZSTD, KB_LEN - 1, 0, &out, &e) ==
              ZF_ECORRUPT);
    ck_assert_msg(strstr(e.msg, "decodes to more than 339 bytes"), "%s", e.msg);
    ck_assert(decode(c, KB_ZSTD, sizeof KB_ZSTD, KB_LEN + 60, 0, &out, &e) ==
              ZF_ECORRUPT);
    ck_assert_msg(strstr(e.msg, "decoded 340 bytes, expected 400"), "%s",
                  e.msg);
    /* Frames without a stated size follow the same rules. */
    ck_assert(decode(c, NOSIZE_ZSTD, sizeof NOSIZE_ZSTD, 15, 0, &out, &e) ==
              ZF_ECORRUPT);
    ck_assert(decode(c, NOSIZE_ZSTD, sizeof NOSIZE_ZSTD, ZF_SIZE_ANY, 15, &out,
                     &e) == ZF_ELIMIT);
    /* The second of two frames does not fit. */
    ck_assert(decode(c, MULTI_ZSTD, sizeof MULTI_ZSTD, 10, 0, &out, &e) ==
              ZF_ECORRUPT);
    ck_assert(decode(c, MULTI_ZSTD, sizeof MULTI_ZSTD, ZF_SIZE_ANY, 19, &out,
                     &e) == ZF_ELIMIT);
    ck_assert(decode(c, MULTI_ZSTD, sizeof MULTI_ZSTD, ZF_SIZE_ANY, 20, &out,
                     &e) == ZF_OK);
    /* Empty input is not a zstd stream. */
    ck_assert(decode(c, KB_ZSTD, 0, 0, 0, &out, &e) == ZF_ECORRUPT);
    zf_buf_free(&out);
    zf_bbcodec_free(c);
}
END_TEST

/* A frame whose header lies about its content size is never believed. */
START_TEST(test_zstd_lying_header)
{
    zf_bbcodec *c = must_make(ZF_DIALECT_V3, "zstd", "{\"level\":3}", 1);
    uint8_t bad[sizeof KB_ZSTD];
    memcpy(bad, KB_ZSTD, sizeof bad);
    /* FHD 0x64: single segment, 2-byte content size (value - 256) = 0x54. */
    bad[5] = 0x80; /* now claims 384 bytes */
    zf_err e;
    zf_buf out = {0};
    ck_assert(decode(c, bad, sizeof bad, KB_LEN, 0, &out, &e) == ZF_ECORRUPT);
    ck_assert(decode(c, bad, sizeof bad, ZF_SIZE_ANY, MIB, &out, &e) ==
              ZF_ECORRUPT);
    bad[5] = 0x10; /* now claims 272 bytes */
    ck_assert(decode(c, bad, sizeof bad, KB_LEN, 0, &out, &e) == ZF_ECORRUPT);
    ck_assert(decode(c, bad, sizeof bad, ZF_SIZE_ANY, MIB, &out, &e) ==
              ZF_ECORRUPT);
    zf_buf_free(&out);
    zf_bbcodec_free(c);
}
END_TEST

/* ---- gzip / zlib ---------------------------------------------------------- */

START_TEST(test_gzip_members)
{
    zf_bbcodec *c = must_make(ZF_DIALECT_NUMCODECS, "gzip", "{\"id\":\"gzip\"}",
                              1);
    uint8_t two[2 * sizeof KB_GZIP + 8];
    memcpy(two, KB_GZIP, sizeof KB_GZIP);
    memcpy(two + sizeof KB_GZIP, KB_GZIP, sizeof KB_GZIP);
    memset(two + 2 * sizeof KB_GZIP, 0, 8);
    zf_err e;
    zf_buf out = {0};
    /* Two members (as `cat a.gz b.gz` makes), then zero padding. */
    ck_assert_msg(decode(c, two, sizeof two, 2 * KB_LEN, 0, &out, &e) == ZF_OK,
                  "%s", e.msg);
    ck_assert(!memcmp(out.p, KB_TEXT, KB_LEN));
    ck_assert(!memcmp(out.p + KB_LEN, KB_TEXT, KB_LEN));
    /* Trailing garbage is not a member. */
    two[2 * sizeof KB_GZIP + 3] = 'x';
    ck_assert(decode(c, two, sizeof two, 2 * KB_LEN, 0, &out, &e) ==
              ZF_ECORRUPT);
    ck_assert(decode(c, two, sizeof two, ZF_SIZE_ANY, MIB, &out, &e) ==
              ZF_ECORRUPT);
    /* A zlib stream is not a gzip stream, nor the reverse. */
    ck_assert(decode(c, KB_ZLIB, sizeof KB_ZLIB, KB_LEN, 0, &out, &e) ==
              ZF_ECORRUPT);
    zf_bbcodec *z = must_make(ZF_DIALECT_NUMCODECS, "zlib", "{\"id\":\"zlib\"}",
                              1);
    ck_assert(decode(z, KB_GZIP, sizeof KB_GZIP, KB_LEN, 0, &out, &e) ==
              ZF_ECORRUPT);
    zf_buf_free(&out);
    zf_bbcodec_free(z);
    zf_bbcodec_free(c);
}
END_TEST

/* ---- lz4 ------------------------------------------------------------------ */

START_TEST(test_lz4_huge_header)
{
    zf_bbcodec *c = must_make(ZF_DIALECT_V3, "numcodecs.lz4", "{}", 1);
    uint8_t bad[sizeof KB_LZ4];
    memcpy(bad, KB_LZ4, sizeof bad);
    bad[0] = 0xF0, bad[1] = 0xFF, bad[2] = 0xFF, bad[3] = 0x7F;
    zf_err e;
    zf_buf out = {0};
    ck_assert(decode(c, bad, sizeof bad, ZF_SIZE_ANY, MIB, &out, &e) ==
              ZF_ELIMIT);
    ck_assert_ptr_null(out.p); /* refused before allocating anything */
    ck_assert_uint_eq(out.cap, 0);
    ck_assert(decode(c, bad, sizeof bad, KB_LEN, 0, &out, &e) == ZF_ECORRUPT);
    ck_assert_ptr_null(out.p);
    /* Over what an LZ4 block can hold, whatever the limit. */
    bad[3] = 0xFF;
    ck_assert(decode(c, bad, sizeof bad, ZF_SIZE_ANY, SIZE_MAX - 1, &out,
                     &e) == ZF_ECORRUPT);
    ck_assert_ptr_null(out.p);
    zf_buf_free(&out);
    /* A header that claims less than the block holds. */
    memcpy(bad, KB_LZ4, sizeof bad);
    bad[0] = 0x50;
    ck_assert(decode(c, bad, sizeof bad, ZF_SIZE_ANY, MIB, &out, &e) ==
              ZF_ECORRUPT);
    zf_buf_free(&out);
    zf_bbcodec_free(c);
}
END_TEST

/* ---- blosc ---------------------------------------------------------------- */

START_TEST(test_blosc_matrix)
{
    static const char *cnames[] = {"lz4", "lz4hc", "blosclz", "zstd", "zlib",
                                   "snappy"};
    static const char *shuffles[] = {"noshuffle", "shuffle", "bitshuffle"};
    static const size_t typesizes[] = {1, 2, 4, 8};
    const size_t n = 100003; /* odd: a partial last block and item */
    uint8_t *data = malloc(n);
    fill_compressible(data, n);
    for (size_t ci = 0; ci < 6; ci++)
        for (size_t si = 0; si < 3; si++)
            for (size_t ti = 0; ti < 4; ti++) {
                char json[200];
                snprintf(json, sizeof json,
                         "{\"cname\":\"%s\",\"clevel\":5,\"shuffle\":\"%s\","
                         "\"typesize\":%zu,\"blocksize\":0}",
                         cnames[ci], shuffles[si], typesizes[ti]);
                zf_bbcodec *c = must_make(ZF_DIALECT_V3, "blosc", json, 4);
                zf_buf enc = {0};
                zf_err e;
                zf_code rc = zf_bbcodec_encode(c, data, n, &enc, &e);
                if (rc == ZF_EUNSUPPORTED) { /* not in this libblosc */
                    ck_assert(strstr(e.msg, cnames[ci]));
                } else {
                    ck_assert_msg(rc == ZF_OK, "%s: %s", json, e.msg);
                    decode_all_ways(c, &enc, data, n);
                }
                zf_buf_free(&enc);
                zf_bbcodec_free(c);
            }
    free(data);
}
END_TEST

START_TEST(test_blosc_header_checks)
{
    zf_bbcodec *c = must_make(ZF_DIALECT_NUMCODECS, "blosc",
                              "{\"id\":\"blosc\"}", 2);
    uint8_t bad[sizeof BLOSC_LZ4_SHUF + 4];
    zf_err e;
    zf_buf out = {0};
    /* cbytes no longer the chunk's size. */
    memcpy(bad, BLOSC_LZ4_SHUF, sizeof BLOSC_LZ4_SHUF);
    ck_assert(decode(c, bad, sizeof bad, 256, 0, &out, &e) == ZF_ECORRUPT);
    ck_assert(decode(c, bad, sizeof BLOSC_LZ4_SHUF - 1, 256, 0, &out, &e) ==
              ZF_ECORRUPT);
    /* A stated size that is huge: refused before allocating. */
    bad[4] = 0xF0, bad[5] = 0xFF, bad[6] = 0xFF, bad[7] = 0x7F;
    ck_assert(decode(c, bad, sizeof BLOSC_LZ4_SHUF, ZF_SIZE_ANY, MIB, &out,
                     &e) != ZF_OK);
    ck_assert_ptr_null(out.p);
    ck_assert(decode(c, bad, sizeof BLOSC_LZ4_SHUF, 256, 0, &out, &e) ==
              ZF_ECORRUPT);
    ck_assert_ptr_null(out.p);
    /* Shorter than a header. */
    ck_assert(decode(c, bad, 15, ZF_SIZE_ANY, MIB, &out, &e) == ZF_ECORRUPT);
    zf_buf_free(&out);
    zf_bbcodec_free(c);
}
END_TEST

/* ---- crc32c ---------------------------------------------------------------- */

START_TEST(test_crc32c_vectors)
{
    uint8_t b[32];
    ck_assert_uint_eq(zf_crc32c("123456789", 9), 0xE3069283u);
    ck_assert_uint_eq(zf_crc32c("", 0), 0);
    /* RFC 3720, B.4. */
    memset(b, 0, 32);
    ck_assert_uint_eq(zf_crc32c(b, 32), 0x8A9136AAu);
    memset(b, 0xFF, 32);
    ck_assert_uint_eq(zf_crc32c(b, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)i;
    ck_assert_uint_eq(zf_crc32c(b, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)(31 - i);
    ck_assert_uint_eq(zf_crc32c(b, 32), 0x113FDB5Cu);
    ck_assert_uint_eq(zf_crc32c_portable("123456789", 9), 0xE3069283u);
}
END_TEST

START_TEST(test_crc32c_paths_agree)
{
    uint8_t buf[1100];
    fill_random(buf, sizeof buf, 7);
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n + off <= sizeof buf; n += (n < 64 ? 1 : 37))
            ck_assert_uint_eq(zf_crc32c(buf + off, n),
                              zf_crc32c_portable(buf + off, n));
}
END_TEST

START_TEST(test_crc32c_codec)
{
    zf_bbcodec *c = must_make(ZF_DIALECT_V3, "crc32c", NULL, 1);
    zf_buf enc = encode(c, (const uint8_t *)"123456789", 9);
    const uint8_t want[] = {'1', '2', '3', '4', '5', '6', '7',
                            '8', '9', 0x83, 0x92, 0x06, 0xE3};
    ck_assert_uint_eq(enc.len, sizeof want);
    ck_assert(!memcmp(enc.p, want, sizeof want));
    zf_err e;
    zf_buf out = {0};
    enc.p[2] ^= 1;
    ck_assert(decode(c, enc.p, enc.len, 9, 0, &out, &e) == ZF_ECORRUPT);
    ck_assert_msg(strstr(e.msg, "crc32c mismatch: stored 0xe3069283, "
                                "computed 0x"),
                  "%s", e.msg);
    ck_assert(decode(c, enc.p, 3, ZF_SIZE_ANY, MIB, &out, &e) == ZF_ECORRUPT);
    ck_assert(decode(c, enc.p, 0, ZF_SIZE_ANY, MIB, &out, &e) == ZF_ECORRUPT);
    /* Four bytes: the checksum of nothing. */
    ck_assert(decode(c, (const uint8_t *)"\0\0\0\0", 4, 0, 0, &out, &e) ==
              ZF_OK);
    ck_assert_uint_eq(out.len, 0);
    zf_buf_free(&out);
    zf_buf_free(&enc);
    zf_bbcodec_free(c);

    /* numcodecs' location "start" puts the same 4 bytes first. */
    c = must_make(ZF_DIALECT_NUMCODECS, "crc32c",
                  "{\"id\":\"crc32c\",\"location\":\"start\"}", 1);
    enc = encode(c, (const uint8_t *)"123456789", 9);
    ck_assert(!memcmp(enc.p, want + 9, 4) && !memcmp(enc.p + 4, want, 9));
    zf_buf_free(&enc);
    zf_bbcodec_free(c);
}
END_TEST

/* numcodecs' other 32-bit checksums, against numcodecs 0.16.6's own
 * encodings (tests/peer/write_peers.py writes them too): CRC32 and Adler32
 * (zlib's) first unless location is "end", Fletcher32 (HDF5's) and
 * JenkinsLookup3 last; 9 bytes, and 1001 (an odd length, over 360 of
 * fletcher32's 16-bit words). */
START_TEST(test_checksum32_codecs)
{
    static const struct {
        const char *name, *json;
        int at_start;
        uint32_t want9, want1001;
    } V[] = {
        {"crc32", "{\"id\":\"crc32\"}", 1, 0xcbf43926u, 0xce1c99a9u},
        {"adler32", "{\"id\":\"adler32\"}", 1, 0x091e01deu, 0x5464e761u},
        {"fletcher32", "{\"id\":\"fletcher32\"}", 0, 0x09df09d5u, 0xff071921u},
        {"jenkins_lookup3", "{\"id\":\"jenkins_lookup3\",\"initval\":7}", 0,
         0xd9b2c617u, 0x34f394a4u},
    };
    uint8_t big[1001];
    for (int i = 0; i < 1001; i++)
        big[i] = (uint8_t)(i % 251);
    for (size_t k = 0; k < sizeof V / sizeof V[0]; k++) {
        zf_bbcodec *c = must_make(ZF_DIALECT_NUMCODECS, V[k].name, V[k].json, 1);
        for (int which = 0; which < 2; which++) {
            const uint8_t *d = which ? big : (const uint8_t *)"123456789";
            size_t n = which ? sizeof big : 9;
            uint32_t want = which ? V[k].want1001 : V[k].want9;
            zf_buf enc = encode(c, d, n);
            ck_assert_uint_eq(enc.len, n + 4);
            const uint8_t *sum = V[k].at_start ? enc.p : enc.p + n;
            ck_assert_msg(zf_le32(sum) == want, "%s of %zu bytes: 0x%08x, "
                          "numcodecs 0x%08x", V[k].name, n, zf_le32(sum), want);
            ck_assert(!memcmp(V[k].at_start ? enc.p + 4 : enc.p, d, n));
            zf_err e;
            zf_buf out = {0};
            ck_assert(decode(c, enc.p, enc.len, n, 0, &out, &e) == ZF_OK);
            ck_assert(out.len == n && !memcmp(out.p, d, n));
            enc.p[enc.len / 2] ^= 0x10;
            ck_assert(decode(c, enc.p, enc.len, n, 0, &out, &e) == ZF_ECORRUPT);
            ck_assert_msg(strstr(e.msg, V[k].name) && strstr(e.msg, "mismatch"),
                          "%s", e.msg);
            zf_buf_free(&out);
            zf_buf_free(&enc);
        }
        zf_bbcodec_free(c);
    }
    zf_bbcodec *c = NULL;
    zf_err e = {0};
    ck_assert(make(ZF_DIALECT_V3, "numcodecs.jenkins_lookup3",
                   "{\"prefix\":[1,2]}", 1, &c, &e) == ZF_EUNSUPPORTED);
    ck_assert_msg(strstr(e.msg, "prefix"), "%s", e.msg);
}
END_TEST

/* Bytes from hex. */
static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2)
        sscanf(h, "%2hhx", &out[n++]);
    return n;
}

/* numcodecs' quantize, astype and packbits filters (v2), against
 * numcodecs 0.16.6's own encodings: encoding gives its bytes, decoding
 * gives numpy's astype of them (-0.0 kept). */
START_TEST(test_convert_filters)
{
    static const struct {
        const char *name, *json;
        size_t typesize;
        const char *plain, *encoded, *decoded; /* hex */
    } V[] = {
        {"quantize", "{\"id\":\"quantize\",\"digits\":2,\"dtype\":\"<f8\"}", 8,
         /* 0.1234, -5.5678, -0.0, 1e6/3 */
         "f38e53742497bf3fdaacfa5c6d4516c000000000000000805555555555581441",
         "000000000000c03f00000000004816c000000000000000800000005855581441",
         "000000000000c03f00000000004816c000000000000000800000005855581441"},
        {"quantize",
         "{\"id\":\"quantize\",\"digits\":1,\"dtype\":\"<f8\",\"astype\":\"<f4\"}", 8,
         "f38e53742497bf3fdaacfa5c6d4516c000000000000000805555555555581441",
         "0000003e0000b2c000000080aac2a248",
         "000000000000c03f00000000004016c000000000000000800000004055581441"},
        {"astype", "{\"id\":\"astype\",\"encode_dtype\":\"<i2\",\"decode_dtype\":\"<f8\"}", 8,
         "00000000000008c0" "0000000000001c40", "fdff0700",
         "00000000000008c0" "0000000000001c40"},
        {"packbits", "{\"id\":\"packbits\"}", 1, "01000101000000010101", "06b1c0",
         "01000101000000010101"},
    };
    for (size_t k = 0; k < sizeof V / sizeof V[0]; k++) {
        uint8_t plain[64], want[64], dec[64];
        size_t np = unhex(V[k].plain, plain), ne = unhex(V[k].encoded, want);
        size_t nd = unhex(V[k].decoded, dec);
        zf_bbcodec *c = must_make(ZF_DIALECT_NUMCODECS, V[k].name, V[k].json,
                                  V[k].typesize);
        zf_buf enc = encode(c, plain, np);
        ck_assert_msg(enc.len == ne && !memcmp(enc.p, want, ne),
                      "%s: encoding differs from numcodecs'", c->desc);
        zf_err e;
        zf_buf out = {0};
        ck_assert(decode(c, want, ne, nd, 0, &out, &e) == ZF_OK);
        ck_assert_msg(out.len == nd && !memcmp(out.p, dec, nd),
                      "%s: decoding differs from numcodecs'", c->desc);
        zf_buf_free(&out);
        zf_buf_free(&enc);
        zf_bbcodec_free(c);
    }
    zf_bbcodec *c = must_make(ZF_DIALECT_NUMCODECS, "packbits", NULL, 1);
    zf_err e;
    zf_buf out = {0};
    ck_assert(decode(c, (const uint8_t *)"\x09\xff", 2, ZF_SIZE_ANY, 64, &out,
                     &e) == ZF_ECORRUPT);
    ck_assert(decode(c, (const uint8_t *)"\x03", 1, ZF_SIZE_ANY, 64, &out,
                     &e) == ZF_ECORRUPT);
    zf_buf_free(&out);
    zf_bbcodec_free(c);
    ck_assert(make(ZF_DIALECT_NUMCODECS, "packbits", NULL, 4, &c, &e) ==
              ZF_EUNSUPPORTED);
}
END_TEST

/* ---- shuffle ---------------------------------------------------------------- */

START_TEST(test_shuffle_layout)
{
    zf_bbcodec *c = must_make(ZF_DIALECT_NUMCODECS, "shuffle",
                              "{\"id\":\"shuffle\",\"elementsize\":4}", 4);
    uint8_t in[12], want[12];
    for (int i = 0; i < 12; i++)
        in[i] = (uint8_t)i;
    /* Byte b of item i lands at b * 3 + i. */
    const uint8_t w[12] = {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11};
    memcpy(want, w, 12);
    zf_buf enc = encode(c, in, 12);
    ck_assert(!memcmp(enc.p, want, 12));
    zf_err e;
    zf_buf out = {0};
    ck_assert(decode(c, enc.p, 10, ZF_SIZE_ANY, MIB, &out, &e) == ZF_ECORRUPT);
    ck_assert_msg(strstr(e.msg, "elementsize"), "%s", e.msg);
    ck_assert(zf_bbcodec_encode(c, in, 10, &out, &e) == ZF_EINVAL);
    zf_buf_free(&out);
    zf_buf_free(&enc);
    zf_bbcodec_free(c);
    /* Element size 0 or 1 leaves bytes as they are, any length. */
    c = must_make(ZF_DIALECT_NUMCODECS, "shuffle",
                  "{\"id\":\"shuffle\",\"elementsize\":0}", 4);
    enc = encode(c, in, 11);
    ck_assert(!memcmp(enc.p, in, 11));
    zf_buf_free(&enc);
    zf_bbcodec_free(c);
}
END_TEST

/* ---- configuration ----------------------------------------------------------- */

typedef struct bad_config {
    zf_codec_dialect d;
    const char *name, *json, *mention;
} bad_config;

static const bad_config BAD[] = {
    {ZF_DIALECT_V3, "zstd", "{}", "level"},
    {ZF_DIALECT_V3, "zstd", NULL, "level"},
    {ZF_DIALECT_V3, "zstd", "{\"level\":\"3\"}", "level"},
    {ZF_DIALECT_V3, "zstd", "{\"level\":3.5}", "level"},
    {ZF_DIALECT_V3, "zstd", "{\"level\":100}", "level"},
    {ZF_DIALECT_V3, "zstd", "{\"level\":3,\"checksum\":1}", "checksum"},
    {ZF_DIALECT_V3, "gzip", "{}", "level"},
    {ZF_DIALECT_V3, "gzip", "{\"level\":10}", "level"},
    {ZF_DIALECT_V3, "gzip", "{\"level\":-1}", "level"},
    {ZF_DIALECT_V3, "gzip", "[1]", "configuration"},
    {ZF_DIALECT_V3, "blosc", "{\"clevel\":5,\"shuffle\":\"shuffle\"}", "cname"},
    {ZF_DIALECT_V3, "blosc",
     "{\"cname\":\"lzma\",\"clevel\":5,\"shuffle\":\"shuffle\"}", "cname"},
    {ZF_DIALECT_V3, "blosc", "{\"cname\":\"lz4\",\"shuffle\":\"shuffle\"}",
     "clevel"},
    {ZF_DIALECT_V3, "blosc",
     "{\"cname\":\"lz4\",\"clevel\":10,\"shuffle\":\"shuffle\"}", "clevel"},
    {ZF_DIALECT_V3, "blosc", "{\"cname\":\"lz4\",\"clevel\":5}", "shuffle"},
    {ZF_DIALECT_V3, "blosc",
     "{\"cname\":\"lz4\",\"clevel\":5,\"shuffle\":\"byteshuffle\"}", "shuffle"},
    {ZF_DIALECT_V3, "blosc", "{\"cname\":\"lz4\",\"clevel\":5,\"shuffle\":1}",
     "shuffle"},
    {ZF_DIALECT_V3, "blosc",
     "{\"cname\":\"lz4\",\"clevel\":5,\"shuffle\":\"shuffle\",\"typesize\":0}",
     "typesize"},
    {ZF_DIALECT_V3, "blosc",
     "{\"cname\":\"lz4\",\"clevel\":5,\"shuffle\":\"shuffle\",\"blocksize\":-"
     "1}",
     "blocksize"},
    {ZF_DIALECT_NUMCODECS, "blosc", "{\"id\":\"blosc\",\"shuffle\":3}",
     "shuffle"},
    {ZF_DIALECT_NUMCODECS, "blosc", "{\"id\":\"blosc\",\"shuffle\":\"shuffle\"}",
     "shuffle"},
    {ZF_DIALECT_NUMCODECS, "blosc", "{\"id\":\"blosc\",\"cname\":5}", "cname"},
    {ZF_DIALECT_NUMCODECS, "zlib", "{\"id\":\"zlib\",\"level\":12}", "level"},
    {ZF_DIALECT_NUMCODECS, "zstd", "{\"id\":\"zstd\",\"level\":true}", "level"},
    {ZF_DIALECT_NUMCODECS, "lz4", "{\"id\":\"lz4\",\"acceleration\":\"fast\"}",
     "acceleration"},
    {ZF_DIALECT_NUMCODECS, "shuffle", "{\"id\":\"shuffle\",\"elementsize\":-1}",
     "elementsize"},
    {ZF_DIALECT_NUMCODECS, "crc32c", "{\"id\":\"crc32c\",\"location\":\"mid\"}",
     "location"},
    {ZF_DIALECT_V3, "numcodecs.crc32c", "{\"location\":4}", "location"},
};
#define NBAD ((int)(sizeof BAD / sizeof BAD[0]))

START_TEST(test_bad_config)
{
    const bad_config *b = &BAD[_i];
    zf_bbcodec *c = (zf_bbcodec *)1;
    zf_err e = {0};
    ck_assert_int_eq(make(b->d, b->name, b->json, 4, &c, &e), ZF_EMETA);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(e.msg, b->name), "%s", e.msg);
    ck_assert_msg(strstr(e.msg, b->mention), "%s", e.msg);
}
END_TEST

START_TEST(test_unknown_codec)
{
    zf_bbcodec *c = NULL;
    zf_err e = {0};
    ck_assert_int_eq(make(ZF_DIALECT_V3, "snappy", "{}", 4, &c, &e),
                     ZF_EUNSUPPORTED);
    ck_assert_str_eq(e.msg, "unknown codec 'snappy'");
    /* zlib is numcodecs-only; numcodecs.* names are v3-only. */
    ck_assert_int_eq(make(ZF_DIALECT_V3, "zlib", "{}", 4, &c, &e),
                     ZF_EUNSUPPORTED);
    ck_assert_int_eq(make(ZF_DIALECT_NUMCODECS, "numcodecs.zstd", "{}", 4, &c,
                          &e),
                     ZF_EUNSUPPORTED);
    ck_assert(zf_bbcodec_known(ZF_DIALECT_V3, "crc32c"));
    ck_assert(zf_bbcodec_known(ZF_DIALECT_V3, "numcodecs.lz4"));
    ck_assert(zf_bbcodec_known(ZF_DIALECT_NUMCODECS, "zlib"));
    ck_assert(!zf_bbcodec_known(ZF_DIALECT_NUMCODECS, "bytes"));
    ck_assert(!zf_bbcodec_known(ZF_DIALECT_V3, "transpose"));
    ck_assert(!zf_bbcodec_known(ZF_DIALECT_V3, NULL));
}
END_TEST

static void check_desc(zf_codec_dialect d, const char *name, const char *json,
                       size_t typesize, const char *want)
{
    zf_bbcodec *c = must_make(d, name, json, typesize);
    ck_assert_str_eq(zf_bbcodec_describe(c), want);
    zf_bbcodec_free(c);
}

START_TEST(test_defaults_and_describe)
{
    check_desc(ZF_DIALECT_V3, "zstd", "{\"level\":3,\"checksum\":false}", 4,
               "zstd(level=3)");
    check_desc(ZF_DIALECT_V3, "zstd", "{\"level\":3,\"checksum\":true}", 4,
               "zstd(level=3,checksum)");
    check_desc(ZF_DIALECT_V3, "gzip", "{\"level\":5}", 4, "gzip(level=5)");
    check_desc(ZF_DIALECT_V3, "blosc",
               "{\"cname\":\"lz4\",\"clevel\":5,\"shuffle\":\"shuffle\","
               "\"typesize\":4,\"blocksize\":0}",
               4, "blosc(lz4,shuffle,clevel=5)");
    check_desc(ZF_DIALECT_V3, "crc32c", NULL, 4, "crc32c");
    /* numcodecs defaults, unknown keys tolerated, null = absent. */
    check_desc(ZF_DIALECT_NUMCODECS, "zstd", "{\"id\":\"zstd\",\"foo\":[1]}",
               4, "zstd(level=1)");
    check_desc(ZF_DIALECT_NUMCODECS, "gzip", "{\"id\":\"gzip\"}", 4,
               "gzip(level=1)");
    check_desc(ZF_DIALECT_NUMCODECS, "zlib", "{\"id\":\"zlib\",\"level\":null}",
               4, "zlib(level=1)");
    check_desc(ZF_DIALECT_NUMCODECS, "blosc", "{\"id\":\"blosc\"}", 4,
               "blosc(lz4,shuffle,clevel=5)");
    check_desc(ZF_DIALECT_NUMCODECS, "lz4", "{\"id\":\"lz4\"}", 4,
               "lz4(acceleration=1)");
    check_desc(ZF_DIALECT_NUMCODECS, "lz4", "{\"id\":\"lz4\",\"acceleration\":0}",
               4, "lz4(acceleration=1)");
    check_desc(ZF_DIALECT_NUMCODECS, "shuffle", "{\"id\":\"shuffle\"}", 8,
               "shuffle(elementsize=4)");
    check_desc(ZF_DIALECT_V3, "numcodecs.shuffle", "{}", 8,
               "shuffle(elementsize=8)");
    check_desc(ZF_DIALECT_NUMCODECS, "crc32c", "{\"id\":\"crc32c\"}", 4,
               "crc32c");
    check_desc(ZF_DIALECT_V3, "numcodecs.crc32c", "{\"location\":\"start\"}", 4,
               "crc32c(location=start)");
    /* AUTOSHUFFLE picks bit shuffle for 1-byte items, byte shuffle else. */
    check_desc(ZF_DIALECT_NUMCODECS, "blosc",
               "{\"id\":\"blosc\",\"cname\":\"zstd\",\"clevel\":3,\"shuffle\":-1}",
               1, "blosc(zstd,bitshuffle,clevel=3)");
    check_desc(ZF_DIALECT_V3, "numcodecs.blosc",
               "{\"cname\":\"zstd\",\"clevel\":3,\"shuffle\":-1}", 2,
               "blosc(zstd,shuffle,clevel=3)");
    check_desc(ZF_DIALECT_V3, "numcodecs.blosc",
               "{\"cname\":\"zstd\",\"clevel\":3,\"shuffle\":0}", 2,
               "blosc(zstd,noshuffle,clevel=3)");
}
END_TEST

/* ---- threads --------------------------------------------------------------- */

typedef struct thread_job {
    const zf_bbcodec *c;
    const zf_buf *enc;
    const uint8_t *want;
    size_t n;
    int failures;
} thread_job;

static void *decode_many(void *arg)
{
    thread_job *j = arg;
    zf_buf out = {0};
    zf_err e;
    for (int i = 0; i < TU_ROUNDS(50); i++) {
        size_t expect = i % 2 ? j->n : ZF_SIZE_ANY;
        if (decode(j->c, j->enc->p, j->enc->len, expect, j->n, &out, &e) !=
                ZF_OK ||
            out.len != j->n || memcmp(out.p, j->want, j->n))
            j->failures++;
    }
    zf_buf_free(&out);
    return NULL;
}

/* Shared codecs, per-thread contexts, freed at thread exit (ASan checks). */
START_TEST(test_threads)
{
    const codec_case *k = &CASES[_i];
    zf_bbcodec *c = must_make(k->d, k->name, k->json, 4);
    const size_t n = 200000;
    uint8_t *data = malloc(n);
    fill_compressible(data, n);
    zf_buf enc = encode(c, data, n);
    pthread_t t[8];
    thread_job jobs[8];
    for (int i = 0; i < 8; i++) {
        jobs[i] = (thread_job){c, &enc, data, n, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, decode_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(jobs[i].failures, 0);
    }
    zf_buf_free(&enc);
    free(data);
    zf_bbcodec_free(c);
}
END_TEST

/* ---- suite ------------------------------------------------------------------ */

static Suite *codec_suite(void)
{
    Suite *s = suite_create("codec");
    TCase *rt = tcase_create("roundtrip");
    tcase_set_timeout(rt, 300);
    tcase_add_loop_test(rt, test_roundtrip_sizes, 0, NCASES);
    tcase_add_loop_test(rt, test_roundtrip_1mib, 0, NCASES);
    tcase_add_loop_test(rt, test_limit_any, 0, NCASES);
    tcase_add_loop_test(rt, test_threads, 0, NCASES);
    suite_add_tcase(s, rt);

    TCase *bad = tcase_create("damaged");
    tcase_set_timeout(bad, 300);
    tcase_add_loop_test(bad, test_truncated, 0, NCASES);
    tcase_add_loop_test(bad, test_garbage, 0, NCASES);
    tcase_add_loop_test(bad, test_bitflips, 0, NCASES);
    tcase_add_loop_test(bad, test_random_body, 0, NCASES);
    tcase_add_test(bad, test_zstd_lying_header);
    tcase_add_test(bad, test_lz4_huge_header);
    tcase_add_test(bad, test_blosc_header_checks);
    suite_add_tcase(s, bad);

    TCase *fmt = tcase_create("formats");
    tcase_set_timeout(fmt, 300);
    tcase_add_test(fmt, test_known_zstd);
    tcase_add_test(fmt, test_known_gzip_zlib_lz4);
    tcase_add_test(fmt, test_known_blosc);
    tcase_add_test(fmt, test_zstd_sizes);
    tcase_add_test(fmt, test_gzip_members);
    tcase_add_test(fmt, test_blosc_matrix);
    tcase_add_test(fmt, test_crc32c_vectors);
    tcase_add_test(fmt, test_crc32c_paths_agree);
    tcase_add_test(fmt, test_crc32c_codec);
    tcase_add_test(fmt, test_checksum32_codecs);
    tcase_add_test(fmt, test_convert_filters);
    tcase_add_test(fmt, test_shuffle_layout);
    suite_add_tcase(s, fmt);

    TCase *cfg = tcase_create("config");
    tcase_add_loop_test(cfg, test_bad_config, 0, NBAD);
    tcase_add_test(cfg, test_unknown_codec);
    tcase_add_test(cfg, test_defaults_and_describe);
    suite_add_tcase(s, cfg);
    return s;
}

int main(void)
{
    return tu_run(codec_suite());
}
