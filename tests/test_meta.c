/*
 * test_meta.c - Zarr v3 metadata through the public API, on stores this test
 * writes by hand (zarr.json text and raw chunk files in temporary folders):
 *
 *  - every core data type, little and big endian, read back as native values
 *    whose stored bytes the test serialises itself;
 *  - fill_value in every form the spec allows (integers up to the int64 and
 *    uint64 extremes, floats, "NaN", "Infinity", "-Infinity", "0x..." bit
 *    patterns for float16/32/64, complex pairs, true/false), checked by
 *    reading chunks never written against bit patterns computed by hand, and
 *    fill values that do not fit their type refused;
 *  - chunk_key_encoding default and v2 with both separators and without a
 *    configuration (default -> "/", v2 -> "."), for 2-d and 0-d arrays, with
 *    decoy chunks at every other spelling;
 *  - unknown codecs refused by name unless must_understand is false, unknown
 *    extension fields refused unless {"must_understand": false}, string
 *    types refused by name;
 *  - the node list: parents before children, siblings by name, kinds and
 *    formats, folders without zarr.json left out; consolidated metadata
 *    (v3 and v2) with hostile keys ("../up", "b//c", "/abs", ".", "d/..",
 *    "foo.zarray", ...): only the good nodes listed, one warning per bad
 *    key, the good arrays read;
 *  - zf_array_info (shape, chunks, inner, dtype, itemsize, nbytes, ...);
 *  - two layouts built byte by byte: a sharded array whose edge shards and
 *    inner chunks stick out of the array (with empty and missing inner
 *    chunks), read whole and in every sub-range, and a transposed big-endian
 *    chunk; reads clamped to the array's end.
 */
#include "testutil.h"

#include <json-c/json.h>
#include <zlib.h>

static char *g_dir;

static void setup(void)
{
    g_dir = tu_mkdtemp();
}

static void teardown(void)
{
    tu_rmtree(g_dir);
    free(g_dir);
    g_dir = NULL;
}

/* Reads the whole flat view of path into a new buffer. */
static uint8_t *read_all(zf_zarr *z, const char *path, size_t *len)
{
    zf_array *a = tu_array_get(z, path);
    const zf_array_info *i = zf_array_get_info(a);
    uint8_t *buf = malloc(i->nbytes + 1);
    ck_assert_ptr_nonnull(buf);
    size_t n = 0;
    zf_err err = {0};
    zf_code c = zf_array_read(a, 0, (size_t)i->nbytes, buf, &n, &err);
    ck_assert_msg(c == ZF_OK, "read %s: %s", path, err.msg);
    ck_assert_uint_eq(n, i->nbytes);
    *len = n;
    return buf;
}

/* Stores the low `size` bytes of v in native order. */
static void put_native(uint8_t *p, uint64_t v, size_t size)
{
    switch (size) {
    case 1: { uint8_t x = (uint8_t)v; memcpy(p, &x, 1); break; }
    case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
    default: memcpy(p, &v, 8);
    }
}

static void put_endian(uint8_t *p, uint64_t v, size_t size, int big)
{
    for (size_t b = 0; b < size; b++)
        p[big ? size - 1 - b : b] = (uint8_t)(v >> (8 * b));
}

/* ---- data types ------------------------------------------------------------ */

static const struct {
    const char *name;
    size_t size, unit; /* element size; byte-order unit (half for complex) */
} dtypes[] = {
    {"bool", 1, 1},     {"int8", 1, 1},      {"int16", 2, 2},
    {"int32", 4, 4},    {"int64", 8, 8},     {"uint8", 1, 1},
    {"uint16", 2, 2},   {"uint32", 4, 4},    {"uint64", 8, 8},
    {"float16", 2, 2},  {"float32", 4, 4},   {"float64", 8, 8},
    {"complex64", 8, 4}, {"complex128", 16, 8},
};
#define NDTYPES (sizeof dtypes / sizeof *dtypes)
#define NELEM 5

START_TEST(test_every_dtype)
{
    tu_write_group(g_dir, "");
    tu_rng r = {5};
    uint8_t expect[NDTYPES][2][NELEM * 16];
    for (size_t t = 0; t < NDTYPES; t++)
        for (int big = 0; big < 2; big++) {
            char path[64], dt[64], codecs[128], key[96];
            snprintf(path, sizeof path, "%s_%s", dtypes[t].name, big ? "be" : "le");
            snprintf(dt, sizeof dt, "\"%s\"", dtypes[t].name);
            snprintf(codecs, sizeof codecs, "[{\"name\": \"bytes\", "
                     "\"configuration\": {\"endian\": \"%s\"}}]",
                     big ? "big" : "little");
            /* fill 0 is not valid for bool or complex */
            const char *fill = strcmp(dtypes[t].name, "bool") == 0 ? "false"
                               : dtypes[t].unit != dtypes[t].size  ? "[0.0, 0.0]"
                                                                   : "0";
            tu_write_array(g_dir, path, &(tu_array){.dtype = dt, .shape = "[5]",
                                                    .chunks = "[8]",
                                                    .codecs = codecs,
                                                    .fill = fill});
            /* one whole chunk of 8 elements (the array has 5) */
            uint8_t stored[8 * 16];
            size_t units = dtypes[t].size / dtypes[t].unit;
            for (size_t e = 0; e < 8; e++)
                for (size_t u = 0; u < units; u++) {
                    uint64_t v = tu_next(&r);
                    if (strcmp(dtypes[t].name, "bool") == 0)
                        v &= 1;
                    size_t at = e * dtypes[t].size + u * dtypes[t].unit;
                    put_endian(stored + at, v, dtypes[t].unit, big);
                    if (e < NELEM)
                        put_native(expect[t][big] + at, v, dtypes[t].unit);
                }
            snprintf(key, sizeof key, "%s/c/0", path);
            tu_write(g_dir, key, stored, 8 * dtypes[t].size);
        }
    zf_zarr *z = tu_open(g_dir, 2);
    for (size_t t = 0; t < NDTYPES; t++)
        for (int big = 0; big < 2; big++) {
            char path[64];
            snprintf(path, sizeof path, "%s_%s", dtypes[t].name, big ? "be" : "le");
            const zf_node *n = tu_node(z, path);
            ck_assert_ptr_nonnull(n);
            ck_assert_msg(n->error == NULL, "%s: %s", path, n->error);
            zf_array *a = tu_array_get(z, path);
            const zf_array_info *i = zf_array_get_info(a);
            ck_assert_str_eq(i->dtype, dtypes[t].name);
            ck_assert_uint_eq(i->itemsize, dtypes[t].size);
            ck_assert_uint_eq(i->nbytes, NELEM * dtypes[t].size);
            size_t len;
            uint8_t *got = read_all(z, path, &len);
            ck_assert_msg(memcmp(got, expect[t][big], len) == 0,
                          "%s: bytes differ", path);
            free(got);
        }
    zf_close(z);
}
END_TEST

/* A few values with known meaning, not just bytes. */
START_TEST(test_dtype_known_values)
{
    tu_write_group(g_dir, "");
    const char *be = "[{\"name\": \"bytes\", \"configuration\": {\"endian\": \"big\"}}]";
    tu_write_array(g_dir, "u32be", &(tu_array){.dtype = "\"uint32\"", .shape = "[2]",
                                              .chunks = "[2]", .codecs = be});
    tu_write(g_dir, "u32be/c/0", "\x01\x02\x03\x04\xff\xff\xff\xfe", 8);
    tu_write_array(g_dir, "f64le", &(tu_array){.dtype = "\"float64\"", .shape = "[2]",
                                              .chunks = "[2]"});
    tu_write(g_dir, "f64le/c/0", "\0\0\0\0\0\0\xf8\x3f\0\0\0\0\0\0\x04\xc0", 16);
    tu_write_array(g_dir, "i16be", &(tu_array){.dtype = "\"int16\"", .shape = "[2]",
                                              .chunks = "[2]", .codecs = be});
    tu_write(g_dir, "i16be/c/0", "\xff\xfe\x80\x00", 4);
    zf_zarr *z = tu_open(g_dir, 1);
    size_t len;
    uint32_t *u = (uint32_t *)read_all(z, "u32be", &len);
    ck_assert_uint_eq(u[0], 0x01020304u);
    ck_assert_uint_eq(u[1], 0xfffffffeu);
    free(u);
    double *f = (double *)read_all(z, "f64le", &len);
    ck_assert(f[0] == 1.5 && f[1] == -2.5);
    free(f);
    int16_t *s = (int16_t *)read_all(z, "i16be", &len);
    ck_assert_int_eq(s[0], -2);
    ck_assert_int_eq(s[1], -32768);
    free(s);
    zf_close(z);
}
END_TEST

/* ---- fill values ------------------------------------------------------------ */

typedef struct fill_case {
    const char *dtype, *fill;
    size_t half, nhalves; /* bytes per part; 1 part, or 2 for complex */
    uint64_t bits[2];     /* the part(s) as integers, stored natively */
} fill_case;

static const fill_case fill_cases[] = {
    {"bool", "true", 1, 1, {1}},
    {"bool", "false", 1, 1, {0}},
    {"int8", "-128", 1, 1, {0x80}},
    {"int8", "127", 1, 1, {0x7f}},
    {"int8", "-5", 1, 1, {0xfb}},
    {"uint8", "255", 1, 1, {0xff}},
    {"int16", "-32768", 2, 1, {0x8000}},
    {"uint16", "65535", 2, 1, {0xffff}},
    {"uint16", "4660", 2, 1, {0x1234}},
    {"int32", "-2147483648", 4, 1, {0x80000000u}},
    {"int32", "2147483647", 4, 1, {0x7fffffffu}},
    {"uint32", "4294967295", 4, 1, {0xffffffffu}},
    {"int64", "-9223372036854775808", 8, 1, {0x8000000000000000ull}},
    {"int64", "9223372036854775807", 8, 1, {0x7fffffffffffffffull}},
    {"int64", "-1", 8, 1, {0xffffffffffffffffull}},
    {"uint64", "18446744073709551615", 8, 1, {0xffffffffffffffffull}},
    {"uint64", "9223372036854775808", 8, 1, {0x8000000000000000ull}},
    {"uint64", "9223372036854775807", 8, 1, {0x7fffffffffffffffull}},
    {"uint64", "0", 8, 1, {0}},
    /* float32: IEEE single bit patterns computed by hand */
    {"float32", "1.5", 4, 1, {0x3fc00000u}},
    {"float32", "0.1", 4, 1, {0x3dcccccdu}},
    {"float32", "-0.0", 4, 1, {0x80000000u}},
    {"float32", "3", 4, 1, {0x40400000u}},
    {"float32", "\"NaN\"", 4, 1, {0x7fc00000u}},
    {"float32", "\"Infinity\"", 4, 1, {0x7f800000u}},
    {"float32", "\"-Infinity\"", 4, 1, {0xff800000u}},
    {"float32", "\"0x7fc00000\"", 4, 1, {0x7fc00000u}},
    {"float32", "\"0x7fc00001\"", 4, 1, {0x7fc00001u}},
    {"float32", "\"0xffffffff\"", 4, 1, {0xffffffffu}},
    /* float64 */
    {"float64", "-2.5", 8, 1, {0xc004000000000000ull}},
    {"float64", "0.1", 8, 1, {0x3fb999999999999aull}},
    {"float64", "3", 8, 1, {0x4008000000000000ull}},
    {"float64", "\"NaN\"", 8, 1, {0x7ff8000000000000ull}},
    {"float64", "\"Infinity\"", 8, 1, {0x7ff0000000000000ull}},
    {"float64", "\"-Infinity\"", 8, 1, {0xfff0000000000000ull}},
    {"float64", "\"0x7ff8000000000001\"", 8, 1, {0x7ff8000000000001ull}},
    {"float64", "\"0x0000000000000001\"", 8, 1, {1}},
    /* float16: IEEE half, rounded to nearest even */
    {"float16", "1", 2, 1, {0x3c00}},
    {"float16", "1.5", 2, 1, {0x3e00}},
    {"float16", "-2", 2, 1, {0xc000}},
    {"float16", "0.1", 2, 1, {0x2e66}},
    {"float16", "0.3333333333333333", 2, 1, {0x3555}},
    {"float16", "65504", 2, 1, {0x7bff}},
    {"float16", "65520", 2, 1, {0x7c00}},      /* rounds up to infinity */
    {"float16", "0.00006103515625", 2, 1, {0x0400}}, /* smallest normal */
    {"float16", "0.00001", 2, 1, {0x00a8}},   /* subnormal */
    {"float16", "6e-8", 2, 1, {0x0001}},      /* smallest subnormal */
    {"float16", "-0.0", 2, 1, {0x8000}},
    {"float16", "\"NaN\"", 2, 1, {0x7e00}},
    {"float16", "\"Infinity\"", 2, 1, {0x7c00}},
    {"float16", "\"-Infinity\"", 2, 1, {0xfc00}},
    {"float16", "\"0x7e01\"", 2, 1, {0x7e01}},
    {"float16", "\"0x3C00\"", 2, 1, {0x3c00}},
    /* complex: [real, imaginary], each part like a float */
    {"complex64", "[1.5, -2.0]", 4, 2, {0x3fc00000u, 0xc0000000u}},
    {"complex64", "[\"NaN\", \"-Infinity\"]", 4, 2, {0x7fc00000u, 0xff800000u}},
    {"complex64", "[\"0x7fc00001\", 0]", 4, 2, {0x7fc00001u, 0}},
    {"complex128", "[0.1, \"0x7ff8000000000001\"]", 8, 2,
     {0x3fb999999999999aull, 0x7ff8000000000001ull}},
    {"complex128", "[\"Infinity\", -2.5]", 8, 2,
     {0x7ff0000000000000ull, 0xc004000000000000ull}},
};
#define NFILL (sizeof fill_cases / sizeof *fill_cases)

START_TEST(test_fill_values)
{
    tu_write_group(g_dir, "");
    for (size_t k = 0; k < NFILL; k++) {
        char path[32], dt[64];
        snprintf(path, sizeof path, "f%02zu", k);
        snprintf(dt, sizeof dt, "\"%s\"", fill_cases[k].dtype);
        tu_write_array(g_dir, path, &(tu_array){.dtype = dt, .shape = "[3]",
                                                .chunks = "[2]",
                                                .fill = fill_cases[k].fill});
    }
    zf_zarr *z = tu_open(g_dir, 2);
    for (size_t k = 0; k < NFILL; k++) {
        const fill_case *fc = &fill_cases[k];
        char path[32];
        snprintf(path, sizeof path, "f%02zu", k);
        const zf_node *n = tu_node(z, path);
        ck_assert_ptr_nonnull(n);
        ck_assert_msg(n->error == NULL, "%s fill %s: %s", fc->dtype, fc->fill,
                      n->error);
        uint8_t one[16];
        size_t isz = fc->half * fc->nhalves;
        for (size_t h = 0; h < fc->nhalves; h++)
            put_native(one + h * fc->half, fc->bits[h], fc->half);
        zf_array *a = tu_array_get(z, path);
        ck_assert_msg(memcmp(zf_array_get_info(a)->fill_value, one, isz) == 0,
                      "%s fill %s: info.fill_value differs", fc->dtype, fc->fill);
        size_t len;
        uint8_t *got = read_all(z, path, &len);
        ck_assert_uint_eq(len, 3 * isz);
        for (size_t e = 0; e < 3; e++)
            ck_assert_msg(memcmp(got + e * isz, one, isz) == 0,
                          "%s fill %s: element %zu differs", fc->dtype,
                          fc->fill, e);
        free(got);
        /* an unaligned read through the middle of the elements */
        uint8_t part[40];
        size_t nread = 0;
        zf_err err = {0};
        ck_assert_int_eq(zf_array_read(a, 1, 2 * isz, part, &nread, &err), ZF_OK);
        ck_assert_uint_eq(nread, 2 * isz);
        for (size_t b = 0; b < 2 * isz; b++)
            ck_assert_uint_eq(part[b], one[(b + 1) % isz]);
    }
    zf_close(z);
}
END_TEST

/* Fill values that do not fit their type make the array unusable, with a
 * message about fill_value. */
START_TEST(test_fill_values_refused)
{
    static const struct { const char *dtype, *fill; } bad[] = {
        {"int8", "128"},           {"int8", "-129"},
        {"uint8", "256"},          {"uint8", "-1"},
        {"uint64", "-1"},          {"int64", "9223372036854775808"},
        {"int16", "1.5"},          {"int32", "\"NaN\""},
        {"bool", "1"},             {"bool", "\"true\""},
        {"float32", "\"nan\""},    {"float32", "\"0x7fc0\""},
        {"float64", "\"0x7fc00000\""}, {"float16", "\"0x7fc00000\""},
        {"float32", "\"0xZZZZZZZZ\""}, {"float32", "true"},
        {"complex64", "1.0"},      {"complex64", "[1.0]"},
        {"complex128", "[1.0, 2.0, 3.0]"}, {"uint16", "null"},
    };
    tu_write_group(g_dir, "");
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        char path[32], dt[64];
        snprintf(path, sizeof path, "b%02zu", k);
        snprintf(dt, sizeof dt, "\"%s\"", bad[k].dtype);
        tu_write_array(g_dir, path, &(tu_array){.dtype = dt, .fill = bad[k].fill});
    }
    tu_write_array(g_dir, "ok", &(tu_array){0});
    zf_zarr *z = tu_open(g_dir, 1);
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        char path[32];
        snprintf(path, sizeof path, "b%02zu", k);
        const zf_node *n = tu_node(z, path);
        ck_assert_ptr_nonnull(n);
        ck_assert_msg(n->error != NULL, "%s fill %s was accepted", bad[k].dtype,
                      bad[k].fill);
        tu_assert_has(n->error, "fill_value");
        tu_assert_has(n->error, path);
        zf_array *a = NULL;
        zf_err err = {0};
        ck_assert_int_ne(zf_array_get(z, path, &a, &err), ZF_OK);
    }
    ck_assert_ptr_null(tu_node(z, "ok")->error);
    zf_close(z);
}
END_TEST

/* ---- chunk key encodings ------------------------------------------------- */

static const char *const spellings[] = {"c/0/1", "c.0.1", "0.1", "0/1"};

static void key_case(const char *keyenc, const char *right)
{
    tu_write_group(g_dir, "");
    tu_write_group(g_dir, "k");
    tu_write_array(g_dir, "k/a", &(tu_array){.shape = "[4, 4]", .chunks = "[2, 2]",
                                            .keyenc = keyenc});
    for (size_t s = 0; s < 4; s++) {
        char rel[64];
        snprintf(rel, sizeof rel, "k/a/%s", spellings[s]);
        int ok = strcmp(spellings[s], right) == 0;
        /* the right key holds 1..4; every other spelling is a decoy of 9s */
        tu_write(g_dir, rel, ok ? "\1\2\3\4" : "\11\11\11\11", 4);
    }
    zf_zarr *z = tu_open(g_dir, 2);
    const zf_node *n = tu_node(z, "k/a");
    ck_assert_ptr_nonnull(n);
    ck_assert_msg(n->error == NULL, "%s: %s", keyenc, n->error);
    size_t len;
    uint8_t *got = read_all(z, "k/a", &len);
    static const uint8_t want[16] = {0, 0, 1, 2, 0, 0, 3, 4,
                                     0, 0, 0, 0, 0, 0, 0, 0};
    ck_assert_msg(memcmp(got, want, 16) == 0, "%s: expected the chunk at %s",
                  keyenc, right);
    free(got);
    zf_close(z);
}

START_TEST(test_key_default_slash)
{
    key_case("{\"name\": \"default\", \"configuration\": {\"separator\": \"/\"}}",
             "c/0/1");
}
END_TEST

START_TEST(test_key_default_dot)
{
    key_case("{\"name\": \"default\", \"configuration\": {\"separator\": \".\"}}",
             "c.0.1");
}
END_TEST

START_TEST(test_key_default_no_config)
{
    key_case("{\"name\": \"default\"}", "c/0/1");
}
END_TEST

START_TEST(test_key_v2_dot)
{
    key_case("{\"name\": \"v2\", \"configuration\": {\"separator\": \".\"}}", "0.1");
}
END_TEST

START_TEST(test_key_v2_slash)
{
    key_case("{\"name\": \"v2\", \"configuration\": {\"separator\": \"/\"}}", "0/1");
}
END_TEST

START_TEST(test_key_v2_no_config)
{
    key_case("{\"name\": \"v2\"}", "0.1");
}
END_TEST

/* A 0-d array's one chunk is "c" (default) or "0" (v2). */
START_TEST(test_key_scalar)
{
    tu_write_group(g_dir, "");
    tu_write_array(g_dir, "d", &(tu_array){.dtype = "\"int32\"", .shape = "[]",
                                          .chunks = "[]"});
    tu_write_array(g_dir, "v", &(tu_array){.dtype = "\"int32\"", .shape = "[]",
                                          .chunks = "[]",
                                          .keyenc = "{\"name\": \"v2\"}"});
    tu_write(g_dir, "d/c", "\7\0\0\0", 4);
    tu_write(g_dir, "d/0", "\11\0\0\0", 4);
    tu_write(g_dir, "v/0", "\10\0\0\0", 4);
    tu_write(g_dir, "v/c", "\11\0\0\0", 4);
    zf_zarr *z = tu_open(g_dir, 1);
    size_t len;
    int32_t *d = (int32_t *)read_all(z, "d", &len);
    ck_assert_uint_eq(len, 4);
    ck_assert_int_eq(d[0], 7);
    free(d);
    int32_t *v = (int32_t *)read_all(z, "v", &len);
    ck_assert_int_eq(v[0], 8);
    free(v);
    ck_assert_int_eq(zf_array_get_info(tu_array_get(z, "d"))->ndim, 0);
    zf_close(z);
}
END_TEST

START_TEST(test_key_unknown_refused)
{
    tu_write_group(g_dir, "");
    tu_write_array(g_dir, "a", &(tu_array){.keyenc = "{\"name\": \"fancy_keys\"}"});
    tu_write_array(g_dir, "b", &(tu_array){
        .keyenc = "{\"name\": \"default\", \"configuration\": {\"separator\": \"-\"}}"});
    zf_zarr *z = tu_open(g_dir, 1);
    tu_assert_has(tu_node(z, "a")->error, "fancy_keys");
    tu_assert_has(tu_node(z, "b")->error, "separator");
    zf_close(z);
}
END_TEST

/* ---- codecs, extensions, types that are not understood ------------------- */

START_TEST(test_unknown_codec_refused)
{
    tu_write_group(g_dir, "");
    tu_write_array(g_dir, "u", &(tu_array){
        .codecs = "[{\"name\": \"bytes\", \"configuration\": {\"endian\": \"little\"}}, "
                  "{\"name\": \"frobnicate_codec\", \"configuration\": {}}]"});
    tu_write_array(g_dir, "t", &(tu_array){
        .codecs = "[{\"name\": \"bytes\", \"configuration\": {\"endian\": \"little\"}}, "
                  "{\"name\": \"frobnicate_codec\", \"must_understand\": true}]"});
    zf_zarr *z = tu_open(g_dir, 1);
    for (int k = 0; k < 2; k++) {
        const char *p = k ? "t" : "u";
        const zf_node *n = tu_node(z, p);
        ck_assert_ptr_nonnull(n);
        ck_assert_int_eq(n->kind, ZF_NODE_ARRAY);
        tu_assert_has(n->error, "frobnicate_codec");
        zf_array *a = NULL;
        zf_err err = {0};
        ck_assert_int_eq(zf_array_get(z, p, &a, &err), ZF_EUNSUPPORTED);
        tu_assert_has(err.msg, "frobnicate_codec");
    }
    zf_close(z);
}
END_TEST

/* A bytes->bytes codec after sharding_indexed compresses the whole shard,
 * index and all (zarr-python writes it: a sharding serializer with its
 * default zstd).  The chunk is decoded whole, then cut by its index: two
 * shards of [6] uint8 in inner chunks of [2], the first with its middle
 * chunk empty (the fill value), the second past the array's end (5
 * elements); a whole shard whose index points outside it is an error
 * naming the key. */
START_TEST(test_whole_shard)
{
    tu_write_group(g_dir, "");
    const char *codecs =
        "[{\"name\": \"sharding_indexed\", \"configuration\": {"
        "\"chunk_shape\": [2], \"codecs\": [{\"name\": \"bytes\"}], "
        "\"index_codecs\": [{\"name\": \"bytes\", \"configuration\": "
        "{\"endian\": \"little\"}}]}}, {\"name\": \"numcodecs.zlib\"}]";
    tu_write_array(g_dir, "s", &(tu_array){.shape = "[11]", .chunks = "[6]",
                                           .fill = "9", .codecs = codecs});
    tu_write_array(g_dir, "bad", &(tu_array){.shape = "[6]", .chunks = "[6]",
                                             .codecs = codecs});
    for (int k = 0; k < 3; k++) {
        /* data, then the index: 3 (offset, length) pairs */
        uint8_t shard[6 + 48];
        uint64_t idx[3][2];
        size_t n = 0;
        for (int i = 0; i < 3; i++) {
            if (k == 0 && i == 1) {
                idx[i][0] = idx[i][1] = UINT64_MAX;
                continue;
            }
            idx[i][0] = n;
            idx[i][1] = k == 2 && i == 2 ? 40 : 2; /* "bad": past the data */
            shard[n++] = (uint8_t)(10 * k + 2 * i + 1);
            shard[n++] = (uint8_t)(10 * k + 2 * i + 2);
        }
        for (int i = 0; i < 3; i++)
            for (int h = 0; h < 2; h++)
                for (int b = 0; b < 8; b++)
                    shard[n + 16 * i + 8 * h + b] = (uint8_t)(idx[i][h] >> (8 * b));
        n += 48;
        uLongf zlen = compressBound(n);
        Bytef z[256];
        ck_assert_int_eq(compress2(z, &zlen, shard, n, 6), Z_OK);
        tu_write(g_dir, k == 0 ? "s/c/0" : k == 1 ? "s/c/1" : "bad/c/0", z, zlen);
    }
    zf_zarr *z = tu_open(g_dir, 1);
    ck_assert_ptr_null(tu_node(z, "s")->error);
    size_t len;
    uint8_t *v = read_all(z, "s", &len);
    const uint8_t want[11] = {1, 2, 9, 9, 5, 6, 11, 12, 13, 14, 15};
    ck_assert_uint_eq(len, 11);
    ck_assert(!memcmp(v, want, 11));
    free(v);
    zf_array *a = NULL;
    zf_err err = {0};
    ck_assert_int_eq(zf_array_get(z, "bad", &a, &err), ZF_OK);
    uint8_t buf[6];
    ck_assert_int_eq(zf_array_read(a, 0, 6, buf, NULL, &err), ZF_ECORRUPT);
    tu_assert_has(err.msg, "bad/c/0");
    tu_assert_has(err.msg, "lies outside the shard's data");
    zf_close(z);
}
END_TEST

/* zarr-python 3's elementwise numcodecs filters in v3: numcodecs.astype
 * stores int16 for int32 elements (the bytes codec sees the int16s),
 * after a transpose; with a big-endian bytes codec, or a delta, refused by
 * name. */
START_TEST(test_v3_numcodecs_filters)
{
    tu_write_group(g_dir, "");
    tu_write_array(g_dir, "a", &(tu_array){
        .dtype = "\"int32\"", .shape = "[2, 2]", .chunks = "[2, 2]",
        .codecs = "[{\"name\": \"transpose\", \"configuration\": {\"order\": [1, 0]}}, "
                  "{\"name\": \"numcodecs.astype\", \"configuration\": "
                  "{\"encode_dtype\": \"<i2\", \"decode_dtype\": \"<i4\"}}, "
                  "{\"name\": \"bytes\", \"configuration\": {\"endian\": \"little\"}}, "
                  "{\"name\": \"numcodecs.crc32\", \"configuration\": {\"location\": \"end\"}}]"});
    /* [[1, -2], [3, 4]] transposed: 1 3 -2 4 as int16, then zlib's crc32. */
    uint32_t crc = (uint32_t)crc32(0, (const Bytef *)"\1\0\3\0\xfe\xff\4\0", 8);
    uint8_t file[12];
    memcpy(file, "\1\0\3\0\xfe\xff\4\0", 8);
    for (int k = 0; k < 4; k++)
        file[8 + k] = (uint8_t)(crc >> (8 * k));
    tu_write(g_dir, "a/c/0/0", file, 12);
    tu_write_array(g_dir, "big", &(tu_array){
        .dtype = "\"float64\"",
        .codecs = "[{\"name\": \"numcodecs.bitround\", \"configuration\": {\"keepbits\": 3}}, "
                  "{\"name\": \"bytes\", \"configuration\": {\"endian\": \"big\"}}]"});
    tu_write_array(g_dir, "d", &(tu_array){
        .dtype = "\"int32\"",
        .codecs = "[{\"name\": \"numcodecs.astype\", \"configuration\": "
                  "{\"encode_dtype\": \"<i2\", \"decode_dtype\": \"<i4\"}}, "
                  "{\"name\": \"numcodecs.delta\", \"configuration\": {\"dtype\": \"<i4\"}}, "
                  "{\"name\": \"bytes\", \"configuration\": {\"endian\": \"little\"}}]"});
    /* float16 has no running sum here: refused, never the differences */
    tu_write_array(g_dir, "h", &(tu_array){
        .dtype = "\"float16\"",
        .codecs = "[{\"name\": \"numcodecs.delta\", \"configuration\": {\"dtype\": \"<f2\"}}, "
                  "{\"name\": \"bytes\", \"configuration\": {\"endian\": \"little\"}}]"});
    zf_zarr *z = tu_open(g_dir, 1);
    size_t len;
    int32_t *v = (int32_t *)read_all(z, "a", &len);
    ck_assert_uint_eq(len, 16);
    ck_assert_int_eq(v[0], 1);
    ck_assert_int_eq(v[1], -2);
    ck_assert_int_eq(v[2], 3);
    ck_assert_int_eq(v[3], 4);
    free(v);
    tu_assert_has(tu_node(z, "big")->error, "big-endian bytes codec");
    tu_assert_has(tu_node(z, "big")->error, "bitround");
    tu_assert_has(tu_node(z, "d")->error, "numcodecs.delta");
    tu_assert_has(tu_node(z, "h")->error, "numcodecs.delta on float16");
    zf_close(z);
}
END_TEST

START_TEST(test_unknown_codec_optional_skipped)
{
    tu_write_group(g_dir, "");
    tu_write_array(g_dir, "o", &(tu_array){
        .dtype = "\"uint16\"",
        .codecs = "[{\"name\": \"bytes\", \"configuration\": {\"endian\": \"little\"}}, "
                  "{\"name\": \"frobnicate_codec\", \"must_understand\": false, "
                  "\"configuration\": {\"x\": 1}}]"});
    tu_write(g_dir, "o/c/0", "\1\0\2\0\3\1\4\2", 8);
    zf_zarr *z = tu_open(g_dir, 1);
    ck_assert_ptr_null(tu_node(z, "o")->error);
    size_t len;
    uint16_t *v = (uint16_t *)read_all(z, "o", &len);
    ck_assert_uint_eq(v[0], 1);
    ck_assert_uint_eq(v[1], 2);
    ck_assert_uint_eq(v[2], 0x103);
    ck_assert_uint_eq(v[3], 0x204);
    free(v);
    zf_close(z);
}
END_TEST

START_TEST(test_extension_fields)
{
    tu_write_group(g_dir, "");
    tu_write_array(g_dir, "e_true", &(tu_array){
        .extra = ", \"my_extension\": {\"must_understand\": true, \"x\": 1}"});
    tu_write_array(g_dir, "e_plain", &(tu_array){.extra = ", \"my_extension\": 5"});
    tu_write_array(g_dir, "e_nomu", &(tu_array){.extra = ", \"my_extension\": {\"x\": 1}"});
    tu_write_array(g_dir, "e_false", &(tu_array){
        .extra = ", \"my_extension\": {\"must_understand\": false, \"x\": 1}"});
    tu_write(g_dir, "e_false/c/0", "\5\6\7\10", 4);
    /* attributes and dimension_names are spec fields, not extensions */
    tu_write_array(g_dir, "e_spec", &(tu_array){
        .extra = ", \"attributes\": {\"a\": 1}, \"dimension_names\": [\"x\"]"});
    zf_zarr *z = tu_open(g_dir, 1);
    tu_assert_has(tu_node(z, "e_true")->error, "my_extension");
    tu_assert_has(tu_node(z, "e_plain")->error, "my_extension");
    tu_assert_has(tu_node(z, "e_nomu")->error, "my_extension");
    ck_assert_ptr_null(tu_node(z, "e_false")->error);
    ck_assert_ptr_null(tu_node(z, "e_spec")->error);
    size_t len;
    uint8_t *v = read_all(z, "e_false", &len);
    ck_assert_mem_eq(v, "\5\6\7\10", 4);
    free(v);
    zf_close(z);
}
END_TEST

START_TEST(test_string_dtypes_refused)
{
    tu_write_group(g_dir, "");
    tu_write_array(g_dir, "s", &(tu_array){.dtype = "\"string\"", .fill = "\"\""});
    tu_write_array(g_dir, "u", &(tu_array){
        .dtype = "{\"name\": \"fixed_length_utf32\", \"configuration\": "
                 "{\"length_bytes\": 16}}",
        .fill = "\"\""});
    tu_write_array(g_dir, "v", &(tu_array){.dtype = "\"variable_length_bytes\"",
                                          .fill = "\"\""});
    zf_zarr *z = tu_open(g_dir, 1);
    static const char *const want[][2] = {
        {"s", "string"}, {"u", "fixed_length_utf32"}, {"v", "variable_length_bytes"}};
    for (int k = 0; k < 3; k++) {
        const zf_node *n = tu_node(z, want[k][0]);
        ck_assert_ptr_nonnull(n);
        tu_assert_has(n->error, want[k][1]);
        zf_array *a = NULL;
        zf_err err = {0};
        ck_assert_int_eq(zf_array_get(z, want[k][0], &a, &err), ZF_EUNSUPPORTED);
        tu_assert_has(err.msg, want[k][1]);
    }
    zf_close(z);
}
END_TEST

/* ---- layouts written by hand ------------------------------------------- */

/* A sharded array whose edge shards and edge inner chunks stick out of the
 * array: shape [5, 3], shards [4, 4], inner chunks [2, 2] of uint8, index at
 * the end without checksum.  Inner chunks hold r * 3 + c + 1 inside the
 * array and 0xEE outside it; inner chunk (1, 1) of shard (0, 0) is empty and
 * shard (1, 0) is missing its second row of inner chunks. */
START_TEST(test_sharded_edges)
{
    tu_write_group(g_dir, "");
    tu_write_array(g_dir, "s", &(tu_array){
        .shape = "[5, 3]", .chunks = "[4, 4]", .fill = "200",
        .codecs = "[{\"name\": \"sharding_indexed\", \"configuration\": {"
                  "\"chunk_shape\": [2, 2], \"codecs\": [{\"name\": \"bytes\"}], "
                  "\"index_codecs\": [{\"name\": \"bytes\", \"configuration\": "
                  "{\"endian\": \"little\"}}]}}]"});
    for (int sr = 0; sr < 2; sr++) {
        uint8_t file[256], data[64];
        size_t dlen = 0;
        uint64_t idx[4][2];
        for (int ir = 0; ir < 2; ir++)
            for (int ic = 0; ic < 2; ic++) {
                int k = ir * 2 + ic;
                int empty = (sr == 0 && k == 3) || (sr == 1 && ir == 1);
                if (empty) {
                    idx[k][0] = idx[k][1] = UINT64_MAX;
                    continue;
                }
                idx[k][0] = dlen;
                idx[k][1] = 4;
                for (int y = 0; y < 2; y++)
                    for (int x = 0; x < 2; x++) {
                        int r = sr * 4 + ir * 2 + y, c = ic * 2 + x;
                        data[dlen++] = r < 5 && c < 3 ? (uint8_t)(r * 3 + c + 1) : 0xee;
                    }
            }
        memcpy(file, data, dlen);
        for (int k = 0; k < 4; k++) {
            tu_le64(file + dlen + 16 * k, idx[k][0]);
            tu_le64(file + dlen + 16 * k + 8, idx[k][1]);
        }
        char key[32];
        snprintf(key, sizeof key, "s/c/%d/0", sr);
        tu_write(g_dir, key, file, dlen + 64);
    }
    zf_zarr *z = tu_open(g_dir, 2);
    ck_assert_ptr_null(tu_node(z, "s")->error);
    size_t len;
    uint8_t *v = read_all(z, "s", &len);
    ck_assert_uint_eq(len, 15);
    for (int r = 0; r < 5; r++)
        for (int c = 0; c < 3; c++) {
            int empty = r >= 2 && r < 4 && c >= 2; /* inner (1, 1) of shard 0 */
            ck_assert_uint_eq(v[r * 3 + c], empty ? 200 : r * 3 + c + 1);
        }
    /* every sub-range, element by element */
    zf_array *a = tu_array_get(z, "s");
    for (size_t off = 0; off < 15; off++)
        for (size_t n = 1; off + n <= 15; n++) {
            uint8_t part[15];
            size_t got = 0;
            zf_err err = {0};
            ck_assert_int_eq(zf_array_read(a, off, n, part, &got, &err), ZF_OK);
            ck_assert_uint_eq(got, n);
            ck_assert_mem_eq(part, v + off, n);
        }
    free(v);
    zf_close(z);
}
END_TEST

/* transpose(order [1, 0]): a 2 x 3 chunk is stored as its 3 x 2 transpose. */
START_TEST(test_transpose_chunk)
{
    tu_write_group(g_dir, "");
    tu_write_array(g_dir, "t", &(tu_array){
        .dtype = "\"uint16\"", .shape = "[3, 3]", .chunks = "[2, 3]",
        .codecs = "[{\"name\": \"transpose\", \"configuration\": {\"order\": [1, 0]}}, "
                  "{\"name\": \"bytes\", \"configuration\": {\"endian\": \"big\"}}]"});
    /* chunk (0, 0): rows 0-1; chunk (1, 0): row 2 and a row outside */
    for (int ch = 0; ch < 2; ch++) {
        uint8_t b[12];
        for (int j = 0; j < 3; j++)
            for (int i = 0; i < 2; i++) {
                int r = ch * 2 + i;
                uint16_t v = (uint16_t)(r < 3 ? 0x100 * r + j : 0xdead);
                b[2 * (j * 2 + i)] = (uint8_t)(v >> 8);
                b[2 * (j * 2 + i) + 1] = (uint8_t)v;
            }
        char key[32];
        snprintf(key, sizeof key, "t/c/%d/0", ch);
        tu_write(g_dir, key, b, 12);
    }
    zf_zarr *z = tu_open(g_dir, 2);
    size_t len;
    uint16_t *v = (uint16_t *)read_all(z, "t", &len);
    ck_assert_uint_eq(len, 18);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            ck_assert_uint_eq(v[r * 3 + c], 0x100 * r + c);
    free(v);
    zf_close(z);
}
END_TEST

/* ---- the node tree ----------------------------------------------------------- */

static const char *parent_of(const char *p, char *buf, size_t size)
{
    const char *s = strrchr(p, '/');
    size_t n = s ? (size_t)(s - p) : 0;
    snprintf(buf, size, "%.*s", (int)n, p);
    return buf;
}

START_TEST(test_tree_order)
{
    static const struct { const char *path; int group; } nodes[] = {
        {"", 1},      {"b", 1},     {"b/x", 0},   {"a", 1},   {"a/z", 0},
        {"a/y", 1},   {"a/y/w", 0}, {"a-b", 0},   {"A", 1},   {"a.b", 1},
        {"a/y/v", 0}, {"b/m", 1},   {"b/m/n", 0}, {"A/q", 0}, {"a.b/k", 0},
    };
    size_t nn = sizeof nodes / sizeof *nodes;
    for (size_t k = 0; k < nn; k++)
        if (nodes[k].group)
            tu_write_group(g_dir, nodes[k].path);
        else
            tu_write_array(g_dir, nodes[k].path, &(tu_array){0});
    /* not nodes: a chunk folder, a stray file, a folder without zarr.json */
    tu_write(g_dir, "b/x/c/0", "\1\2\3\4", 4);
    tu_write(g_dir, "notes.txt", "hi", 2);
    tu_mkdir(g_dir, "a/empty_folder");
    zf_zarr *z = tu_open(g_dir, 1);
    ck_assert_uint_eq(zf_node_count(z), nn);
    ck_assert_str_eq(zf_node_at(z, 0)->path, "");
    ck_assert_ptr_null(zf_node_at(z, nn));
    for (size_t k = 0; k < nn; k++) {
        const zf_node *n = tu_node(z, nodes[k].path);
        ck_assert_msg(n != NULL, "node '%s' missing", nodes[k].path);
        ck_assert_int_eq(n->kind, nodes[k].group ? ZF_NODE_GROUP : ZF_NODE_ARRAY);
        ck_assert_int_eq(n->zarr_format, 3);
        ck_assert_ptr_null(n->error);
        ck_assert(n->mtime > 0);
    }
    for (size_t i = 0; i < nn; i++) {
        const zf_node *ni = zf_node_at(z, i);
        char pi[256], pj[256];
        if (i > 0) {
            /* the parent comes earlier */
            parent_of(ni->path, pi, sizeof pi);
            size_t j = 0;
            while (j < nn && strcmp(zf_node_at(z, j)->path, pi) != 0)
                j++;
            ck_assert_msg(j < i, "'%s' is listed before its parent '%s'",
                          ni->path, pi);
        }
        for (size_t j = i + 1; j < nn; j++) {
            const zf_node *nj = zf_node_at(z, j);
            if (i == 0)
                continue;
            if (strcmp(parent_of(ni->path, pi, sizeof pi),
                       parent_of(nj->path, pj, sizeof pj)) != 0)
                continue;
            const char *a = ni->path + strlen(pi) + (pi[0] ? 1 : 0);
            const char *b = nj->path + strlen(pj) + (pj[0] ? 1 : 0);
            ck_assert_msg(strcmp(a, b) < 0, "siblings out of order: '%s' "
                          "before '%s'", ni->path, nj->path);
        }
    }
    zf_array *a = NULL;
    zf_err err = {0};
    ck_assert_int_eq(zf_array_get(z, "a/y", &a, &err), ZF_EINVAL);
    ck_assert_int_eq(zf_array_get(z, "nope", &a, &err), ZF_ENOTFOUND);
    tu_assert_has(err.msg, "nope");
    ck_assert_int_eq(zf_array_get(z, "/a/y/w", &a, &err), ZF_OK);
    ck_assert_str_eq(zf_array_get_info(a)->path, "a/y/w");
    zf_close(z);
}
END_TEST

/* A group with nothing under it is a node like any other (every group of
 * test_tree_order has children, so this is the only empty one). */
START_TEST(test_empty_group)
{
    tu_write_group(g_dir, "");
    tu_write_group(g_dir, "empty");
    tu_write_array(g_dir, "z", &(tu_array){0});
    zf_zarr *z = tu_open(g_dir, 1);
    ck_assert_uint_eq(zf_node_count(z), 3);
    ck_assert_str_eq(zf_node_at(z, 1)->path, "empty");
    ck_assert_int_eq(zf_node_at(z, 1)->kind, ZF_NODE_GROUP);
    ck_assert_str_eq(zf_node_at(z, 2)->path, "z");
    zf_close(z);
}
END_TEST

/* An array at the root is a store of one node. */
START_TEST(test_root_array)
{
    tu_write_array(g_dir, "", &(tu_array){.fill = "7"});
    zf_zarr *z = tu_open(g_dir, 1);
    ck_assert_uint_eq(zf_node_count(z), 1);
    ck_assert_int_eq(zf_node_at(z, 0)->kind, ZF_NODE_ARRAY);
    size_t len;
    uint8_t *v = read_all(z, "", &len);
    ck_assert_mem_eq(v, "\7\7\7\7", 4);
    free(v);
    zf_close(z);
}
END_TEST

START_TEST(test_open_not_a_store)
{
    zf_zarr *z = NULL;
    zf_err err = {0};
    tu_write(g_dir, "x", "1", 1);
    ck_assert_int_eq(zf_open(g_dir, NULL, &z, &err), ZF_ENOTFOUND);
    tu_assert_has(err.msg, g_dir);
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/no_such_folder", g_dir);
    ck_assert_int_eq(zf_open(missing, NULL, &z, &err), ZF_ENOTFOUND);
}
END_TEST

/* ---- zf_array_info -------------------------------------------------------- */

START_TEST(test_array_info)
{
    tu_write_group(g_dir, "");
    tu_write_group(g_dir, "g");
    tu_write_array(g_dir, "g/s", &(tu_array){
        .dtype = "\"int16\"", .shape = "[10, 7]", .chunks = "[4, 4]", .fill = "-3",
        .codecs = "[{\"name\": \"sharding_indexed\", \"configuration\": {"
                  "\"chunk_shape\": [2, 4], \"codecs\": [{\"name\": \"bytes\", "
                  "\"configuration\": {\"endian\": \"little\"}}], \"index_codecs\": "
                  "[{\"name\": \"bytes\", \"configuration\": {\"endian\": "
                  "\"little\"}}, {\"name\": \"crc32c\"}], \"index_location\": "
                  "\"end\"}}]"});
    tu_write_array(g_dir, "p", &(tu_array){.dtype = "\"complex128\"",
                                          .shape = "[3, 1, 5]",
                                          .chunks = "[2, 1, 5]",
                                          .fill = "[1, 2]"});
    tu_write_array(g_dir, "e", &(tu_array){.dtype = "\"float32\"", .shape = "[0, 3]",
                                          .chunks = "[2, 2]"});
    zf_zarr *z = tu_open(g_dir, 1);

    zf_array *a = tu_array_get(z, "g/s");
    const zf_array_info *i = zf_array_get_info(a);
    ck_assert_str_eq(i->path, "g/s");
    ck_assert_int_eq(i->ndim, 2);
    ck_assert_uint_eq(i->shape[0], 10);
    ck_assert_uint_eq(i->shape[1], 7);
    ck_assert_uint_eq(i->chunks[0], 4);
    ck_assert_uint_eq(i->chunks[1], 4);
    ck_assert_ptr_nonnull(i->inner);
    ck_assert_uint_eq(i->inner[0], 2);
    ck_assert_uint_eq(i->inner[1], 4);
    ck_assert_str_eq(i->dtype, "int16");
    ck_assert_uint_eq(i->itemsize, 2);
    ck_assert_uint_eq(i->nbytes, 140);
    int16_t f;
    memcpy(&f, i->fill_value, 2);
    ck_assert_int_eq(f, -3);
    ck_assert_ptr_nonnull(i->codecs);
    tu_assert_has(i->codecs, "shard");
    ck_assert_ptr_nonnull(i->metadata_json);
    tu_assert_has(i->metadata_json, "\"sharding_indexed\"");
    ck_assert(i->mtime > 0);
    /* nothing written: all fill, through the sharded path */
    size_t len;
    int16_t *v = (int16_t *)read_all(z, "g/s", &len);
    for (int k = 0; k < 70; k++)
        ck_assert_int_eq(v[k], -3);
    free(v);

    i = zf_array_get_info(tu_array_get(z, "p"));
    ck_assert_int_eq(i->ndim, 3);
    ck_assert_uint_eq(i->shape[2], 5);
    ck_assert_uint_eq(i->chunks[0], 2);
    ck_assert_ptr_null(i->inner);
    ck_assert_str_eq(i->dtype, "complex128");
    ck_assert_uint_eq(i->itemsize, 16);
    ck_assert_uint_eq(i->nbytes, 3 * 1 * 5 * 16);
    double fc[2];
    memcpy(fc, i->fill_value, 16);
    ck_assert(fc[0] == 1.0 && fc[1] == 2.0);

    i = zf_array_get_info(tu_array_get(z, "e"));
    ck_assert_uint_eq(i->nbytes, 0);
    uint8_t buf[4];
    size_t n = 99;
    zf_err err = {0};
    ck_assert_int_eq(zf_array_read(tu_array_get(z, "e"), 0, 4, buf, &n, &err), ZF_OK);
    ck_assert_uint_eq(n, 0);
    zf_close(z);
}
END_TEST

/* Reads are clamped to the array's size. */
START_TEST(test_read_clamped)
{
    tu_write_group(g_dir, "");
    tu_write_array(g_dir, "a", &(tu_array){.dtype = "\"uint16\"", .shape = "[3]",
                                          .chunks = "[2]", .fill = "258"});
    zf_zarr *z = tu_open(g_dir, 1);
    zf_array *a = tu_array_get(z, "a");
    uint8_t buf[16];
    size_t n = 0;
    zf_err err = {0};
    ck_assert_int_eq(zf_array_read(a, 3, 16, buf, &n, &err), ZF_OK);
    ck_assert_uint_eq(n, 3);
    uint16_t v = 258;
    uint8_t b[2];
    memcpy(b, &v, 2);
    ck_assert_uint_eq(buf[0], b[1]);
    ck_assert_uint_eq(buf[1], b[0]);
    ck_assert_uint_eq(buf[2], b[1]);
    ck_assert_int_eq(zf_array_read(a, 6, 16, buf, &n, &err), ZF_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(zf_array_read(a, 1000, 16, buf, &n, &err), ZF_OK);
    ck_assert_uint_eq(n, 0);
    zf_close(z);
}
END_TEST

/* ---- hostile keys of consolidated metadata ------------------------------- */

/* Keys that name no valid node: wrong suffixes (v2), empty, "." or ".."
 * components, a leading "/".  _i = 0: v3 consolidated_metadata, 1: v2
 * .zmetadata.  Only the good nodes are listed (the root, "g", "g/a",
 * "good"), each hostile key gives one warning naming it, and the good
 * arrays read their chunks. */
static const char *const hostile_v3[] = {"../up", "b//c", "/abs", ".", "d/..",
                                         "", "g/", NULL};
static const char *const hostile_v2[] = {"foo.zarray", "x.zarray",
                                         "../up/.zarray", "b//c/.zarray",
                                         "/abs/.zarray", "./.zarray",
                                         "d/../.zarray", "/.zarray",
                                         "g//.zgroup", NULL};

#define V2_ARRAY "{\"zarr_format\": 2, \"shape\": [4], \"chunks\": [4], " \
                 "\"dtype\": \"|u1\", \"compressor\": null, \"fill_value\": 0, " \
                 "\"filters\": null, \"order\": \"C\"}"
#define V3_ARRAY "{\"zarr_format\": 3, \"node_type\": \"array\", " \
                 "\"shape\": [4], \"data_type\": \"uint8\", \"chunk_grid\": " \
                 "{\"name\": \"regular\", \"configuration\": {\"chunk_shape\": " \
                 "[4]}}, \"chunk_key_encoding\": {\"name\": \"default\"}, " \
                 "\"fill_value\": 0, \"codecs\": " TU_BYTES_LE "}"

static char *append(char *doc, const char *key, const char *value)
{
    char *d = NULL;
    ck_assert_int_ge(asprintf(&d, "%s%s\"%s\": %s", doc, doc[0] ? ", " : "",
                              key, value), 0);
    free(doc);
    return d;
}

START_TEST(test_consolidated_hostile_keys)
{
    int v2 = _i;
    const char *const *bad = v2 ? hostile_v2 : hostile_v3;
    const char *arr = v2 ? V2_ARRAY : V3_ARRAY;
    char *doc = strdup("");
    if (v2) {
        doc = append(doc, ".zgroup", "{\"zarr_format\": 2}");
        doc = append(doc, "g/.zgroup", "{\"zarr_format\": 2}");
        doc = append(doc, "g/a/.zarray", arr);
        doc = append(doc, "good/.zarray", arr);
    } else {
        doc = append(doc, "g", "{\"zarr_format\": 3, \"node_type\": \"group\"}");
        doc = append(doc, "g/a", arr);
        doc = append(doc, "good", arr);
    }
    int nbad = 0;
    for (; bad[nbad]; nbad++)
        doc = append(doc, bad[nbad], arr);
    if (v2)
        tu_writef(g_dir, ".zmetadata", "{\"zarr_consolidated_format\": 1, "
                  "\"metadata\": {%s}}", doc);
    else
        tu_writef(g_dir, "zarr.json", "{\"zarr_format\": 3, \"node_type\": "
                  "\"group\", \"attributes\": {}, \"consolidated_metadata\": "
                  "{\"kind\": \"inline\", \"must_understand\": false, "
                  "\"metadata\": {%s}}}", doc);
    free(doc);
    tu_write(g_dir, v2 ? "good/0" : "good/c/0", "\1\2\3\4", 4);
    tu_write(g_dir, v2 ? "g/a/0" : "g/a/c/0", "\5\6\7\10", 4);
    zf_zarr *z = tu_open(g_dir, 1);
    static const char *const want[] = {"", "g", "g/a", "good"};
    ck_assert_uint_eq(zf_node_count(z), 4);
    for (size_t i = 0; i < 4; i++)
        ck_assert_str_eq(zf_node_at(z, i)->path, want[i]);
    ck_assert_uint_eq(zf_warning_count(z), (size_t)nbad);
    for (int k = 0; k < nbad; k++) {
        char quoted[64];
        snprintf(quoted, sizeof quoted, "key \"%s\" left out", bad[k]);
        int found = 0;
        for (size_t w = 0; w < zf_warning_count(z); w++)
            found |= tu_contains(zf_warning_at(z, w), quoted);
        ck_assert_msg(found, "no warning names %s", quoted);
    }
    ck_assert_ptr_null(zf_warning_at(z, (size_t)nbad));
    /* zarrfs.h: a consolidated array's metadata_json is its entry,
     * re-serialised: the same JSON, not the stored spelling */
    const char *mj = zf_array_get_info(tu_array_get(z, "good"))->metadata_json;
    json_object *got = json_tokener_parse(mj), *exp = json_tokener_parse(arr);
    ck_assert_msg(got && exp && json_object_equal(got, exp), "%s", mj);
    json_object_put(got);
    json_object_put(exp);
    size_t len;
    uint8_t *b = read_all(z, "good", &len);
    ck_assert(len == 4 && memcmp(b, "\1\2\3\4", 4) == 0);
    free(b);
    b = read_all(z, "g/a", &len);
    ck_assert(len == 4 && memcmp(b, "\5\6\7\10", 4) == 0);
    free(b);
    zf_close(z);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("meta");
    TCase *t = tcase_create("meta");
    tcase_add_unchecked_fixture(t, tu_base_setup, tu_base_teardown);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_every_dtype);
    tcase_add_test(t, test_dtype_known_values);
    tcase_add_test(t, test_fill_values);
    tcase_add_test(t, test_fill_values_refused);
    tcase_add_test(t, test_key_default_slash);
    tcase_add_test(t, test_key_default_dot);
    tcase_add_test(t, test_key_default_no_config);
    tcase_add_test(t, test_key_v2_dot);
    tcase_add_test(t, test_key_v2_slash);
    tcase_add_test(t, test_key_v2_no_config);
    tcase_add_test(t, test_key_scalar);
    tcase_add_test(t, test_key_unknown_refused);
    tcase_add_test(t, test_unknown_codec_refused);
    tcase_add_test(t, test_unknown_codec_optional_skipped);
    tcase_add_test(t, test_whole_shard);
    tcase_add_test(t, test_v3_numcodecs_filters);
    tcase_add_test(t, test_extension_fields);
    tcase_add_test(t, test_string_dtypes_refused);
    tcase_add_test(t, test_sharded_edges);
    tcase_add_test(t, test_transpose_chunk);
    tcase_add_test(t, test_tree_order);
    tcase_add_test(t, test_empty_group);
    tcase_add_test(t, test_root_array);
    tcase_add_test(t, test_open_not_a_store);
    tcase_add_test(t, test_array_info);
    tcase_add_test(t, test_read_clamped);
    tcase_add_loop_test(t, test_consolidated_hostile_keys, 0, 2);
    suite_add_tcase(s, t);
    return tu_run(s);
}
