/*
 * test_encode.c - the encoders (read/encode.h, codec/aa.h, codec/codec.h):
 * every case of tests/fuzz/encode_cases.h round trips on pseudo-random data
 * for every data type it accepts (and must build for the type it forces),
 * lossy codecs say so, and a lossy pipeline names its codec.
 */
#include "testutil.h"

#include <check.h>
#include <stdint.h>

#include "fuzz/encode_cases.h"

static const char *const TYPES[] = {
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
    "uint64", "float16", "float32", "float64", "complex64", "complex128"};

START_TEST(test_cases_round_trip)
{
    const zf_encode_case *k = &ZF_ENCODE_CASES[_i];
    uint8_t data[1021]; /* a prime: the pattern does not repeat per row */
    uint32_t x = 2463534242u + (uint32_t)_i;
    for (size_t i = 0; i < sizeof data; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        data[i] = (uint8_t)x;
    }
    int built = 0;
    char last[512] = "";
    for (size_t t = 0; t < sizeof TYPES / sizeof TYPES[0]; t++) {
        const char *name = k->dtype ? k->dtype : TYPES[t];
        uint64_t shape[3] = {7, 5, 9};
        int ndim = k->ndim ? k->ndim : 3;
        for (int d = 0; k->ndim && d < ndim; d++)
            shape[d] = k->shape[d];
        char why[512];
        int r = zf_encode_roundtrip(k, zf_dtype_by_name(name), ndim, shape,
                                    data, sizeof data, why, sizeof why);
        ck_assert_msg(r >= 0, "case %d on %s: %s", _i, name, why);
        ck_assert_msg(r == 0 || !k->dtype, "case %d on %s: not built: %s",
                      _i, name, why);
        built += r == 0;
        if (r)
            snprintf(last, sizeof last, "%s", why);
        if (k->dtype)
            break;
    }
    ck_assert_msg(built > 0, "case %d built for no type: %s", _i, last);
}
END_TEST

/* The table of codecs says which lose: each lossy family is found. */
START_TEST(test_lossy_named)
{
    static const struct { const char *codecs, *dtype, *name; } L[] = {
        {"[" B_LE ",{\"id\":\"bitround\",\"keepbits\":3}]", "float32", "bitround"},
        {"[" V3("numcodecs.delta") "," B_LE "]", "float32", "numcodecs.delta"},
        {"[" V3C("numcodecs.fixedscaleoffset", "\"dtype\":\"<f4\",\"astype\":\"<u1\","
         "\"scale\":2,\"offset\":0") "," B_LE "]", "float32", "fixedscaleoffset"},
    };
    for (size_t i = 0; i < sizeof L / sizeof L[0]; i++) {
        json_object *c = json_tokener_parse(L[i].codecs);
        uint64_t shape[1] = {16};
        uint8_t fill[16] = {0};
        zf_pipeline *p = NULL;
        zf_err err = {0};
        ck_assert_int_eq(zf_pipeline_new(c, 1, shape, zf_dtype_by_name(L[i].dtype),
                                         fill, 1, &p, &err), ZF_OK);
        const char *name = NULL;
        ck_assert_int_eq(zf_pipeline_lossless(p, &name), 0);
        ck_assert_str_eq(name, L[i].name);
        zf_pipeline_free(p);
        json_object_put(c);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("encode");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_cases_round_trip, 0, (int)ZF_ENCODE_NCASES);
    tcase_add_test(tc, test_lossy_named);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
