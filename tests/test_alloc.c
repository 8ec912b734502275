/*
 * test_alloc.c - out of memory while the engine builds JSON: every
 * allocation the calling thread makes is failed in turn (the nth one, for
 * n = 1, 2, ... until a run makes no nth allocation) while
 *  - zf_meta_parse_array parses a v2 array in F order with a filter and a
 *    compressor (meta_v2.c rebuilds its codecs as a v3 list), and
 *  - zf_pack writes a sharded array's zarr.json (pack_meta.c);
 * each run must end in success (then the array decodes a chunk right, or
 * the packed store opens and reads back the input) or ZF_ENOMEM, never
 * another error, a crash, or metadata with a piece missing.  And
 * zf_array_read_async, its first allocation failed, calls done inline (on
 * the calling thread, before it returns) with ZF_ENOMEM, as zarrfs.h says.
 *
 * The failures come from malloc, calloc and realloc defined here, which
 * take the place of the C library's for json-c and the engine too; only
 * the thread that armed them is failed.  AddressSanitizer has allocators
 * of its own that these would replace, so under it the test only says it
 * was skipped.
 */
#include "testutil.h"

#include <json-c/json.h>
#include <pthread.h>
#include <zlib.h>

#include "read/decode.h"
#include "meta/array.h"

#if defined(__SANITIZE_ADDRESS__)
#define TA_SKIP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TA_SKIP 1
#endif
#endif

#ifndef TA_SKIP
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

static _Thread_local long ta_fail_at; /* 0: off; else the allocation to fail */
static _Thread_local long ta_count;

static int ta_fails(void)
{
    return ta_fail_at && ++ta_count == ta_fail_at;
}

void *malloc(size_t n)
{
    return ta_fails() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    return ta_fails() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    return ta_fails() ? NULL : __libc_realloc(p, n);
}

static void ta_arm(long n)
{
    ta_count = 0;
    ta_fail_at = n;
}

/* Disarms; 1 if the armed allocation was reached. */
static int ta_disarm(void)
{
    int reached = ta_count >= ta_fail_at;
    ta_fail_at = 0;
    return reached;
}

/* One operation under test: run(x, n) does it with allocation n failed
 * (between ta_arm and ta_disarm, returning whether n was reached in
 * *reached) and returns its code; a success it checks itself. */
typedef zf_code (*ta_run)(void *x, long n, int *reached, zf_err *err);

/* Runs run for n = 1, 2, ... until a run reaches no nth allocation: each
 * must end in ZF_OK or ZF_ENOMEM, and some in ZF_ENOMEM. */
static void fail_each(const char *what, ta_run run, void *x)
{
    int oks = 0, nomem = 0, reached = 1;
    for (long n = 1; reached; n++) {
        zf_err err = {0};
        zf_code c = run(x, n, &reached, &err);
        ck_assert_msg(c == ZF_OK || c == ZF_ENOMEM, "%s, allocation %ld "
                      "failed: code %d: %s", what, n, c, err.msg);
        oks += c == ZF_OK;
        nomem += c == ZF_ENOMEM;
    }
    printf("%s: %d runs out of memory, %d fine\n", what, nomem, oks);
    ck_assert_int_gt(nomem, 0);
}

/* A 2x3 uint16 v2 array in F order with a delta filter and zlib, parsed
 * by zf_meta_parse_array (the store's own reading is not failed here: only
 * the metadata's conversion); a success decodes a chunk right. */
typedef struct v2_case {
    zf_zarr *z;
    json_object *doc;
    const char *text;
    uint8_t packed[64];
    uLongf plen;
} v2_case;

static const uint16_t v2_c_order[6] = {1, 2, 3, 10, 20, 30};

static zf_code v2_run(void *arg, long n, int *reached, zf_err *err)
{
    v2_case *x = arg;
    zf_array *a = NULL;
    ta_arm(n);
    zf_code c = zf_meta_parse_array(x->z, "a", 2, x->doc, x->text, &a, err);
    *reached = ta_disarm();
    if (c == ZF_OK) {
        uint16_t got[6];
        ck_assert_msg(zf_pipeline_decode_full(a->pipe, x->packed, x->plen, got,
                                              err) == ZF_OK &&
                      !memcmp(got, v2_c_order, sizeof got),
                      "allocation %ld failed: the chunk decodes wrong", n);
        zf_array_free(a);
    }
    return c;
}

START_TEST(test_v2_codecs_out_of_memory)
{
    static const char text[] =
        "{\"zarr_format\": 2, \"shape\": [2, 3], \"chunks\": [2, 3], "
        "\"dtype\": \"<u2\", \"order\": \"F\", \"fill_value\": 0, "
        "\"filters\": [{\"id\": \"delta\", \"dtype\": \"<u2\"}], "
        "\"compressor\": {\"id\": \"zlib\", \"level\": 1}}";
    tu_writef(tu_dir, ".zgroup", "{\"zarr_format\": 2}");
    v2_case x = {.z = tu_open(tu_dir, 1), .text = text, .plen = sizeof x.packed};
    zf_err err = {0};
    ck_assert_int_eq(zf_json_parse(text, strlen(text), "a/.zarray", &x.doc, &err),
                     ZF_OK);
    /* F order: stored column by column, delta coded, then zlib */
    const uint16_t f_order[6] = {1, 10, 2, 20, 3, 30};
    uint8_t raw[12];
    uint16_t prev = 0;
    for (int i = 0; i < 6; i++) {
        tu_le16(raw + 2 * i, (uint16_t)(f_order[i] - prev));
        prev = f_order[i];
    }
    ck_assert_int_eq(compress2(x.packed, &x.plen, raw, sizeof raw, 1), Z_OK);
    fail_each("v2 codecs", v2_run, &x);
    json_object_put(x.doc);
    zf_close(x.z);
}
END_TEST

/* zf_pack of a small sharded array with zstd and crc32c; a success opens
 * and reads back the input. */
static uint8_t pack_input[64];

static zf_code pack_run(void *arg, long n, int *reached, zf_err *err)
{
    const char *in = arg;
    char out[4096];
    snprintf(out, sizeof out, "%s/out%ld", tu_dir, n);
    zf_pack_options po = {.ndim = 2, .shape = {8, 8}, .chunks = {2, 4},
                          .shards = {4, 8}, .sharded = 1, .dtype = "uint8",
                          .codec = ZF_PACK_ZSTD, .level = 1, .crc32c = 1,
                          .threads = 1};
    int fd = open(in, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ta_arm(n);
    zf_code c = zf_pack(&po, fd, out, err);
    *reached = ta_disarm();
    close(fd);
    if (c == ZF_OK) {
        zf_zarr *z = tu_open(out, 1);
        uint8_t got[64];
        size_t nread = 0;
        ck_assert_int_eq(zf_array_read(tu_array_get(z, ""), 0, sizeof got, got,
                                       &nread, err), ZF_OK);
        ck_assert_msg(nread == 64 && !memcmp(got, pack_input, 64),
                      "allocation %ld failed: the packed array reads wrong", n);
        zf_close(z);
    }
    return c;
}

START_TEST(test_pack_meta_out_of_memory)
{
    for (int i = 0; i < 64; i++)
        pack_input[i] = (uint8_t)(i * 3);
    char in[4096];
    snprintf(in, sizeof in, "%s/in.raw", tu_dir);
    tu_write(tu_dir, "in.raw", pack_input, sizeof pack_input);
    fail_each("pack metadata", pack_run, in);
}
END_TEST

/* zarrfs.h: zf_array_read_async's done may run inline.  Its queueing
 * allocation failed, done runs once, on the calling thread, with ZF_ENOMEM,
 * before the call returns. */
typedef struct inline_done {
    pthread_t caller;
    int calls, on_caller;
    zf_code code;
} inline_done;

static void note_done(void *arg, zf_code code, size_t nread, const zf_err *err)
{
    inline_done *d = arg;
    (void)nread;
    (void)err;
    d->calls++;
    d->on_caller = pthread_equal(pthread_self(), d->caller);
    d->code = code;
}

START_TEST(test_async_done_inline)
{
    tu_writef(tu_dir, "zarr.json", "{\"zarr_format\": 3, \"node_type\": "
              "\"array\", \"shape\": [4], \"data_type\": \"uint8\", "
              "\"chunk_grid\": {\"name\": \"regular\", \"configuration\": "
              "{\"chunk_shape\": [4]}}, \"chunk_key_encoding\": {\"name\": "
              "\"default\"}, \"fill_value\": 7, \"codecs\": " TU_BYTES_LE "}");
    zf_zarr *z = tu_open(tu_dir, 1);
    zf_array *a = tu_array_get(z, "");
    uint8_t buf[4];
    inline_done d = {.caller = pthread_self()};
    ta_arm(1);
    zf_array_read_async(a, 0, sizeof buf, buf, note_done, &d);
    ck_assert(ta_disarm());
    ck_assert_int_eq(d.calls, 1);
    ck_assert(d.on_caller);
    ck_assert_int_eq(d.code, ZF_ENOMEM);
    zf_close(z);
}
END_TEST
#endif

int main(void)
{
#ifdef TA_SKIP
    printf("test_alloc: skipped under AddressSanitizer (it replaces malloc)\n");
    return 0;
#else
    Suite *s = suite_create("alloc");
    TCase *t = tcase_create("alloc");
    tcase_set_timeout(t, 300);
    tcase_add_unchecked_fixture(t, tu_base_setup, tu_base_teardown);
    tcase_add_checked_fixture(t, tu_dir_setup, tu_dir_teardown);
    tcase_add_test(t, test_v2_codecs_out_of_memory);
    tcase_add_test(t, test_pack_meta_out_of_memory);
    tcase_add_test(t, test_async_done_inline);
    suite_add_tcase(s, t);
    return tu_run(s);
#endif
}
