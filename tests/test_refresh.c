/*
 * test_refresh.c - zf_refresh through the public API, on stores this test
 * writes by hand (zarr.json text and raw uint8 chunks) and changes between
 * refreshes:
 *
 *  - an array added, one grown (new shape and a new chunk), one removed:
 *    changed = 1, the node list and zf_array_get show the new state; the
 *    unchanged array keeps its handle; handles and node pointers from before
 *    stay valid and read what they read before; a second refresh with
 *    nothing changed says changed = 0 and keeps every handle;
 *  - a chunk of an unchanged array rewritten: no change to the tree, and
 *    reads give the new bytes;
 *  - a rewrite of a zarr.json with the same bytes is no change;
 *  - consolidated metadata (v3 inline): changes come from the document;
 *  - failures keep the tree: the root gone, a readable node caught half
 *    written (kept for 3 refreshes, then taken as it is), consolidated
 *    metadata caught half written or dropped (the same);
 *  - a reader thread reading held handles while refreshes replace arrays.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>

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

/* A 1-d uint8 array of `n` elements in chunks of 4. */
static void write_u8(const char *path, unsigned n)
{
    char shape[32];
    snprintf(shape, sizeof shape, "[%u]", n);
    tu_write_array(g_dir, path, &(tu_array){.shape = shape});
}

/* Writes chunk k of array `path` (4 bytes: base + 0..3) through a rename,
 * as a writer that never shows half a chunk does. */
static void write_chunk(const char *path, unsigned k, unsigned base)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(base + (unsigned)i);
    char rel[256], tmp[256], from[4096], to[4096];
    snprintf(rel, sizeof rel, "%s/c/%u", path, k);
    snprintf(tmp, sizeof tmp, "%s/c/.tmp", path);
    tu_write(g_dir, tmp, b, 4);
    snprintf(from, sizeof from, "%s/%s", g_dir, tmp);
    snprintf(to, sizeof to, "%s/%s", g_dir, rel);
    ck_assert_int_eq(rename(from, to), 0);
}

static void rm_file(const char *rel)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", g_dir, rel);
    ck_assert_msg(unlink(p) == 0, "unlink %s: %s", p, strerror(errno));
}

/* Reads `len` bytes at 0 of a handle and checks them against want. */
static void check_read(zf_array *a, const uint8_t *want, size_t len)
{
    uint8_t buf[64];
    size_t n = 0;
    zf_err err = {0};
    ck_assert_uint_le(len, sizeof buf);
    zf_code c = zf_array_read(a, 0, sizeof buf, buf, &n, &err);
    ck_assert_msg(c == ZF_OK, "read %s: %s", zf_array_get_info(a)->path, err.msg);
    ck_assert_uint_eq(n, len);
    ck_assert_mem_eq(buf, want, len);
}

static int refresh(zf_zarr *z)
{
    int changed = -1;
    zf_err err = {0};
    zf_code c = zf_refresh(z, &changed, &err);
    ck_assert_msg(c == ZF_OK, "zf_refresh: %s", err.msg);
    ck_assert(changed == 0 || changed == 1);
    return changed;
}

static const uint8_t k1[8] = {10, 11, 12, 13, 20, 21, 22, 23};

/* The store of most cases: root group; keep (8), grow (4), gone (4). */
static void write_store(void)
{
    tu_write_group(g_dir, "");
    write_u8("keep", 8);
    write_chunk("keep", 0, 10);
    write_chunk("keep", 1, 20);
    write_u8("grow", 4);
    write_chunk("grow", 0, 30);
    write_u8("gone", 4);
    write_chunk("gone", 0, 40);
}

START_TEST(test_add_grow_remove)
{
    write_store();
    zf_zarr *z = tu_open(g_dir, 2);
    ck_assert_uint_eq(zf_node_count(z), 4);
    zf_array *keep = tu_array_get(z, "keep"), *grow = tu_array_get(z, "grow"),
             *gone = tu_array_get(z, "gone");
    ck_assert_str_eq(tu_node(z, "gone")->path, "gone");
    const uint8_t g0[4] = {30, 31, 32, 33}, x0[4] = {40, 41, 42, 43};
    check_read(keep, k1, 8);
    check_read(grow, g0, 4);
    check_read(gone, x0, 4);
    ck_assert_int_eq(refresh(z), 0); /* nothing changed yet */
    ck_assert_ptr_eq(tu_array_get(z, "keep"), keep);

    write_u8("new", 4);
    write_chunk("new", 0, 50);
    write_chunk("grow", 1, 34); /* the new chunk first, then the shape */
    write_u8("grow", 8);
    rm_file("gone/zarr.json"); /* its chunks stay: old handles read them */
    ck_assert_int_eq(refresh(z), 1);

    ck_assert_uint_eq(zf_node_count(z), 4);
    ck_assert_ptr_nonnull(tu_node(z, "new"));
    ck_assert_ptr_null(tu_node(z, "gone"));
    zf_array *a = NULL;
    zf_err err = {0};
    ck_assert_int_eq(zf_array_get(z, "gone", &a, &err), ZF_ENOTFOUND);
    ck_assert_ptr_eq(tu_array_get(z, "keep"), keep);
    zf_array *grow2 = tu_array_get(z, "grow");
    ck_assert_ptr_ne(grow2, grow);
    ck_assert_uint_eq(zf_array_get_info(grow2)->nbytes, 8);
    const uint8_t g1[8] = {30, 31, 32, 33, 34, 35, 36, 37}, n0[4] = {50, 51, 52, 53};
    check_read(grow2, g1, 8);
    check_read(tu_array_get(z, "new"), n0, 4);
    /* what was handed out before still works, as it was */
    check_read(grow, g0, 4);
    ck_assert_uint_eq(zf_array_get_info(grow)->nbytes, 4);
    ck_assert_str_eq(zf_array_get_info(grow)->path, "grow");
    check_read(gone, x0, 4);
    ck_assert_str_eq(zf_array_get_info(gone)->path, "gone");
    check_read(keep, k1, 8);

    /* nothing more changed: every handle stays */
    ck_assert_int_eq(refresh(z), 0);
    ck_assert_ptr_eq(tu_array_get(z, "keep"), keep);
    ck_assert_ptr_eq(tu_array_get(z, "grow"), grow2);
    zf_close(z);
}
END_TEST

/* New chunk bytes under the same metadata: no tree change, new bytes read. */
START_TEST(test_data_rewritten)
{
    write_store();
    zf_zarr *z = tu_open(g_dir, 2);
    zf_array *keep = tu_array_get(z, "keep");
    check_read(keep, k1, 8); /* cached now */
    write_chunk("keep", 1, 60);
    write_u8("keep", 8); /* the same bytes again: a new mtime only */
    ck_assert_int_eq(refresh(z), 0);
    ck_assert_ptr_eq(tu_array_get(z, "keep"), keep);
    const uint8_t want[8] = {10, 11, 12, 13, 60, 61, 62, 63};
    check_read(keep, want, 8);
    zf_close(z);
}
END_TEST

/* The array document of consolidated metadata (shape [n], chunks [4]). */
static char *cons_array(unsigned n)
{
    char *s = NULL;
    ck_assert_int_ge(asprintf(&s, "{\"zarr_format\": 3, \"node_type\": \"array\", "
                              "\"shape\": [%u], \"data_type\": \"uint8\", "
                              "\"chunk_grid\": {\"name\": \"regular\", "
                              "\"configuration\": {\"chunk_shape\": [4]}}, "
                              "\"chunk_key_encoding\": {\"name\": \"default\", "
                              "\"configuration\": {\"separator\": \"/\"}}, "
                              "\"fill_value\": 0, \"codecs\": " TU_BYTES_LE "}",
                              n), 0);
    return s;
}

/* A v3 root group whose consolidated metadata lists `names` (shape n). */
static void write_consolidated(const char *const *names, unsigned n)
{
    char *doc = strdup("");
    for (int i = 0; names[i]; i++) {
        char *a = cons_array(n), *d = NULL;
        ck_assert_int_ge(asprintf(&d, "%s%s\"%s\": %s", doc, i ? ", " : "",
                                  names[i], a), 0);
        free(a);
        free(doc);
        doc = d;
    }
    tu_writef(g_dir, "zarr.json",
              "{\"zarr_format\": 3, \"node_type\": \"group\", \"attributes\": "
              "{}, \"consolidated_metadata\": {\"kind\": \"inline\", "
              "\"must_understand\": false, \"metadata\": {%s}}}", doc);
    free(doc);
}

START_TEST(test_consolidated)
{
    /* the chunks only: folders without zarr.json would not be nodes */
    write_chunk("a", 0, 1);
    write_chunk("b", 0, 5);
    write_chunk("b", 1, 9);
    write_consolidated((const char *const[]){"a", "b", NULL}, 4);
    zf_zarr *z = tu_open(g_dir, 1);
    ck_assert_uint_eq(zf_node_count(z), 3);
    zf_array *a = tu_array_get(z, "a"), *b = tu_array_get(z, "b");
    ck_assert_int_eq(refresh(z), 0);
    write_consolidated((const char *const[]){"a", "b", NULL}, 4);
    ck_assert_int_eq(refresh(z), 0); /* rewritten, same text */
    write_consolidated((const char *const[]){"b", "c", NULL}, 8);
    ck_assert_int_eq(refresh(z), 1);
    ck_assert_ptr_null(tu_node(z, "a"));
    ck_assert_ptr_nonnull(tu_node(z, "c"));
    zf_array *b2 = tu_array_get(z, "b");
    ck_assert_ptr_ne(b2, b);
    const uint8_t want[8] = {5, 6, 7, 8, 9, 10, 11, 12}, a0[4] = {1, 2, 3, 4};
    check_read(b2, want, 8);
    check_read(b, want, 4);
    check_read(a, a0, 4);
    zf_close(z);
}
END_TEST

/* Consolidated metadata that cannot be used any more: caught half written
 * (kept), then a root without it (kept three times, then believed: the
 * folders have no zarr.json, so the walk finds the root alone). */
START_TEST(test_consolidated_lost)
{
    write_chunk("a", 0, 1);
    write_consolidated((const char *const[]){"a", NULL}, 4);
    zf_zarr *z = tu_open(g_dir, 1);
    zf_array *a = tu_array_get(z, "a");
    tu_writef(g_dir, "zarr.json", "{\"zarr_format\": 3, \"node_type\": ");
    int changed = -1;
    zf_err err = {0};
    ck_assert_int_eq(zf_refresh(z, &changed, &err), ZF_EMETA);
    tu_assert_has(err.msg, "zarr.json");
    ck_assert_int_eq(changed, 0);
    ck_assert_ptr_eq(tu_array_get(z, "a"), a);
    write_consolidated((const char *const[]){"a", NULL}, 4);
    ck_assert_int_eq(refresh(z), 0); /* whole again: nothing changed */
    tu_write_group(g_dir, "");
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(zf_refresh(z, &changed, &err), ZF_EMETA);
        tu_assert_has(err.msg, "consolidated");
        ck_assert_uint_eq(zf_node_count(z), 2);
    }
    ck_assert_int_eq(refresh(z), 1);
    ck_assert_uint_eq(zf_node_count(z), 1);
    const uint8_t a0[4] = {1, 2, 3, 4};
    check_read(a, a0, 4);
    zf_close(z);
}
END_TEST

/* The root gone: an error, and the tree and handles as they were. */
START_TEST(test_root_gone_kept)
{
    write_store();
    zf_zarr *z = tu_open(g_dir, 1);
    zf_array *keep = tu_array_get(z, "keep");
    rm_file("zarr.json");
    int changed = -1;
    zf_err err = {0};
    ck_assert_int_eq(zf_refresh(z, &changed, &err), ZF_ENOTFOUND);
    ck_assert_int_eq(changed, 0);
    tu_assert_has(err.msg, "kept");
    ck_assert_uint_eq(zf_node_count(z), 4);
    ck_assert_ptr_eq(tu_array_get(z, "keep"), keep);
    check_read(keep, k1, 8);
    tu_write_group(g_dir, "");
    ck_assert_int_eq(refresh(z), 0); /* back as it was */
    zf_close(z);
}
END_TEST

/* A readable array's zarr.json half written: the tree is kept for three
 * refreshes, then the failure is believed. */
START_TEST(test_half_written_kept)
{
    write_store();
    zf_zarr *z = tu_open(g_dir, 1);
    zf_array *grow = tu_array_get(z, "grow");
    tu_writef(g_dir, "grow/zarr.json", "{\"zarr_format\": 3, \"node_type\": ");
    for (int i = 0; i < 3; i++) {
        int changed = -1;
        zf_err err = {0};
        ck_assert_int_eq(zf_refresh(z, &changed, &err), ZF_EMETA);
        ck_assert_int_eq(changed, 0);
        tu_assert_has(err.msg, "grow/zarr.json");
        ck_assert_ptr_eq(tu_array_get(z, "grow"), grow);
    }
    ck_assert_int_eq(refresh(z), 1);
    ck_assert_ptr_nonnull(tu_node(z, "grow")->error);
    zf_array *a = NULL;
    zf_err err = {0};
    ck_assert_int_eq(zf_array_get(z, "grow", &a, &err), ZF_EMETA);
    const uint8_t g0[4] = {30, 31, 32, 33};
    check_read(grow, g0, 4);
    /* written in full: back, with a new handle */
    write_u8("grow", 4);
    ck_assert_int_eq(refresh(z), 1);
    ck_assert_ptr_null(tu_node(z, "grow")->error);
    check_read(tu_array_get(z, "grow"), g0, 4);
    zf_close(z);
}
END_TEST

/* ---- reads racing refreshes ------------------------------------------------ */

typedef struct reader {
    zf_array *a[2];
    atomic_int stop;
    int bad;
} reader;

static void *read_loop(void *arg)
{
    reader *r = arg;
    const uint8_t g0[4] = {30, 31, 32, 33};
    while (!atomic_load(&r->stop)) {
        uint8_t buf[8];
        size_t n = 0;
        if (zf_array_read(r->a[0], 0, 8, buf, &n, NULL) != ZF_OK || n != 8 ||
            memcmp(buf, k1, 8) != 0)
            r->bad++;
        if (zf_array_read(r->a[1], 0, 8, buf, &n, NULL) != ZF_OK || n != 4 ||
            memcmp(buf, g0, 4) != 0)
            r->bad++;
    }
    return NULL;
}

START_TEST(test_reads_during_refresh)
{
    write_store();
    zf_zarr *z = tu_open(g_dir, 2);
    reader r = {{tu_array_get(z, "keep"), tu_array_get(z, "grow")}, 0, 0};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, read_loop, &r), 0);
    for (int i = 0; i < 40; i++) {
        char name[32];
        snprintf(name, sizeof name, "extra%d", i % 5);
        write_u8(name, 4 + 4 * (unsigned)(i % 3)); /* add, reshape */
        write_u8("grow", i % 2 ? 4 : 8);
        refresh(z);
        (void)tu_array_get(z, "grow");
    }
    atomic_store(&r.stop, 1);
    pthread_join(t, NULL);
    ck_assert_int_eq(r.bad, 0);
    zf_close(z);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("refresh");
    TCase *t = tcase_create("refresh");
    tcase_add_unchecked_fixture(t, tu_base_setup, tu_base_teardown);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_add_grow_remove);
    tcase_add_test(t, test_data_rewritten);
    tcase_add_test(t, test_consolidated);
    tcase_add_test(t, test_consolidated_lost);
    tcase_add_test(t, test_root_gone_kept);
    tcase_add_test(t, test_half_written_kept);
    tcase_add_test(t, test_reads_during_refresh);
    suite_add_tcase(s, t);
    return tu_run(s);
}
