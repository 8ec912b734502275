/*
 * test_helpers.c - the small shared helpers that replaced repeated code:
 * zf_parse_size (the mount's and the remote options' sizes), le.h's
 * little-endian loads and stores, zf_tls_get (per-thread objects),
 * zf_delta_undo (the delta filter's running sum) and zf_data_file_name.
 * Expected values are written out by hand (powers of 1024, byte patterns,
 * numpy's wrapping cumsum), not computed by the code under test.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"
#include "le.h"
#include "tls.h"
#include "zarrfs/zarrfs.h"

#include "testutil.h"

START_TEST(test_parse_size)
{
    static const struct { const char *s; uint64_t v; } good[] = {
        {"0", 0}, {"512", 512}, {"64K", 65536}, {"16M", 16777216},
        {"2G", 2147483648ull}, {"18446744073709551615", UINT64_MAX},
        {"17179869183G", 18446744072635809792ull}};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        uint64_t v = 1;
        ck_assert_int_eq(zf_parse_size(good[i].s, &v), ZF_OK);
        ck_assert_msg(v == good[i].v, "%s gave %llu", good[i].s,
                      (unsigned long long)v);
    }
    static const char *const bad[] = {"", "-1", "16m", "16MB", "1.5M", "M",
                                      " 1", "+1", "1 ", "17179869184G",
                                      "18446744073709551616", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint64_t v = 7;
        ck_assert_msg(zf_parse_size(bad[i], &v) == ZF_EINVAL, "'%s' accepted",
                      bad[i]);
        ck_assert_msg(v == 7, "'%s' wrote the result", bad[i]);
    }
}
END_TEST

START_TEST(test_little_endian)
{
    const uint8_t b[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xf8};
    ck_assert_uint_eq(zf_le32(b), 0x04030201u);
    ck_assert_uint_eq(zf_le32(b + 4), 0xf8070605u);
    ck_assert(zf_le64(b) == 0xf807060504030201ull);
    uint8_t o[9];
    memset(o, 0xee, sizeof o);
    zf_put_le64(o, 0xf807060504030201ull);
    ck_assert(memcmp(o, b, 8) == 0 && o[8] == 0xee);
    memset(o, 0xee, sizeof o);
    zf_put_le32(o, 0x04030201u);
    ck_assert(memcmp(o, b, 4) == 0 && o[4] == 0xee);
    memset(o, 0xee, sizeof o);
    zf_put_le(o, 0x030201, 3); /* the .npy header's 2- and 4-byte lengths */
    ck_assert(memcmp(o, b, 3) == 0 && o[3] == 0xee);
}
END_TEST

static int made, destroyed;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

static void *make_obj(void)
{
    pthread_mutex_lock(&count_lock);
    made++;
    pthread_mutex_unlock(&count_lock);
    return malloc(16);
}

static void destroy_obj(void *p)
{
    pthread_mutex_lock(&count_lock);
    destroyed++;
    pthread_mutex_unlock(&count_lock);
    free(p);
}

static zf_tls obj_tls = ZF_TLS_INIT(make_obj, destroy_obj);

static void *thread_get(void *arg)
{
    void *a = zf_tls_get(&obj_tls), *b = zf_tls_get(&obj_tls);
    *(void **)arg = a;
    return a && a == b ? a : NULL;
}

START_TEST(test_tls)
{
    void *mine = zf_tls_get(&obj_tls);
    ck_assert_ptr_nonnull(mine);
    ck_assert_ptr_eq(zf_tls_get(&obj_tls), mine); /* made once per thread */
    pthread_t t[4];
    void *got[4], *ret[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, thread_get, &got[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], &ret[i]);
        ck_assert_ptr_nonnull(ret[i]);
        ck_assert_ptr_ne(got[i], mine);
    }
    pthread_mutex_lock(&count_lock);
    int m = made, d = destroyed;
    pthread_mutex_unlock(&count_lock);
    ck_assert_int_eq(m, 5);
    ck_assert_int_eq(d, 4); /* each thread's object freed at its exit */
}
END_TEST

START_TEST(test_delta_undo)
{
    /* numpy: np.cumsum(np.array([100, 100, 100, -1], 'i1'), dtype='i1') */
    int8_t i8[4] = {100, 100, 100, -1};
    const int8_t want8[4] = {100, -56, 44, 43};
    zf_delta_undo(0, 1, (uint8_t *)i8, (uint8_t *)i8, 4);
    ck_assert(memcmp(i8, want8, sizeof i8) == 0);
    /* uint32 wraps: 4294967295 + 2 = 1 */
    uint32_t u32[3] = {4294967295u, 2, 10}, out32[3];
    const uint32_t want32[3] = {4294967295u, 1, 11};
    zf_delta_undo(0, 4, (const uint8_t *)u32, (uint8_t *)out32, 3);
    ck_assert(memcmp(out32, want32, sizeof out32) == 0);
    /* float32 sums in float32: 16777216 + 1 stays 16777216 (summed in
     * double, the last element would be 16777218) */
    float f[3] = {16777216.0f, 1.0f, 1.0f};
    zf_delta_undo(1, 4, (uint8_t *)f, (uint8_t *)f, 3);
    ck_assert(f[0] == 16777216.0f && f[1] == 16777216.0f &&
              f[2] == 16777216.0f);
    double d[3] = {0.5, 0.25, -1.0};
    zf_delta_undo(1, 8, (uint8_t *)d, (uint8_t *)d, 3);
    ck_assert(d[0] == 0.5 && d[1] == 0.75 && d[2] == -0.25);
}
END_TEST

START_TEST(test_data_file_name)
{
    static const char *const cases[][3] = {
        {"/data/vol.zarr", "", "vol"},      {"/data/vol.zarr/", "", "vol"},
        {"vol.zarr//", "", "vol"},          {"/data/scan", "", "scan"},
        {"/data/.zarr", "", ".zarr"},       {"/", "", ""},
        {"s3://b/k/x.zarr", "", "x"},       {"/data/vol.zarr", "a/b/temp", "temp"},
        {"/data/vol.zarr", "t.zarr", "t.zarr"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[64];
        zf_data_file_name(cases[i][0], cases[i][1], out, sizeof out);
        ck_assert_msg(strcmp(out, cases[i][2]) == 0, "(%s, %s) gave '%s'",
                      cases[i][0], cases[i][1], out);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("helpers");
    TCase *t = tcase_create("helpers");
    tcase_add_test(t, test_parse_size);
    tcase_add_test(t, test_little_endian);
    tcase_add_test(t, test_tls);
    tcase_add_test(t, test_delta_undo);
    tcase_add_test(t, test_data_file_name);
    suite_add_tcase(s, t);
    return tu_run(s);
}
