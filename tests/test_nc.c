/*
 * test_nc.c - the netCDF-4 group files' layout and errors (zf_nc_build):
 * parts 4096-aligned after the header, sorted, each as large as its
 * array's flat view; the superblock's end-of-file address is the file's
 * size; zf_nc_read gives the header, zeros and each array's bytes (as
 * zf_array_read reads them), in any pieces; building reads no chunk;
 * missing groups, arrays and broken groups are errors naming them; notes
 * name what netCDF tools will miss; sizes near 2^63 are checked, never
 * wrapped (test_huge_sizes); building reads nothing from the store
 * (test_no_store_reads); a dimension name netCDF cannot hold is a note;
 * zf_nc_stamp_of follows what zf_refresh changed (test_stamps).  What HDF5 and netCDF readers make of
 * the bytes is tests/sh/netcdf.sh's.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zarrfs/zarrfs.h"

#include "engine.h" /* (the store under the zf_zarr: counting its reads) */

static zf_zarr *z;

/* A v3 array with the bytes codec and `extra` members. */
static void array(const char *name, const char *dtype, const char *shape,
                  const char *chunks, const char *fill, const char *extra)
{
    char rel[256];
    snprintf(rel, sizeof rel, "%s/zarr.json", name);
    tu_writef(tu_dir, rel, "{\"zarr_format\": 3, \"node_type\": \"array\", "
              "\"shape\": [%s], \"data_type\": \"%s\", \"chunk_grid\": "
              "{\"name\": \"regular\", \"configuration\": {\"chunk_shape\": "
              "[%s]}}, \"chunk_key_encoding\": {\"name\": \"default\"}, "
              "\"fill_value\": %s, \"codecs\": [{\"name\": \"bytes\", "
              "\"configuration\": {\"endian\": \"little\"}}]%s}", shape,
              dtype, chunks, fill, extra);
}

static void setup(void)
{
    tu_dir_setup();
    tu_writef(tu_dir, "zarr.json", "{\"zarr_format\": 3, \"node_type\": "
              "\"group\", \"attributes\": {\"title\": \"t\"}}");
    array("a", "uint16", "3, 5", "3, 5", "0", "");
    uint8_t a[30];
    for (int i = 0; i < 15; i++)
        a[2 * i] = (uint8_t)(i * 7), a[2 * i + 1] = (uint8_t)i;
    tu_write(tu_dir, "a/c/0/0", a, sizeof a);
    array("b", "float32", "1000", "100", "1.5", ""); /* no chunk: the fill */
    array("h", "float16", "2", "2", "0", "");
    tu_writef(tu_dir, "sub/zarr.json", "{\"zarr_format\": 3, \"node_type\": "
              "\"group\"}");
    array("sub/c", "int8", "4", "4", "0", ", \"dimension_names\": [\"x\"]");
    tu_write(tu_dir, "sub/c/c/0", "\1\2\3\4", 4);
    tu_writef(tu_dir, "bad/zarr.json", "{\"zarr_format\": 3,");
    zf_err e;
    ck_assert_msg(zf_open(tu_dir, NULL, &z, &e) == ZF_OK, "%s", e.msg);
}

static void teardown(void)
{
    zf_close(z);
    tu_dir_teardown();
}

static zf_nc_file *build(const char *group)
{
    zf_nc_file *f = NULL;
    zf_err e;
    ck_assert_msg(zf_nc_build(z, group, &f, &e) == ZF_OK, "%s", e.msg);
    return f;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* The whole file through zf_nc_read in pieces of `step` bytes. */
static uint8_t *read_all(zf_nc_file *f, size_t step)
{
    uint64_t size = zf_nc_size(f);
    uint8_t *buf = malloc(size);
    ck_assert_ptr_nonnull(buf);
    for (uint64_t off = 0; off < size; off += step) {
        size_t got = 0;
        zf_err e;
        ck_assert_msg(zf_nc_read(f, z, off, step, buf + off, &got, &e) ==
                      ZF_OK, "%s", e.msg);
        ck_assert_uint_eq(got, size - off < step ? size - off : step);
    }
    return buf;
}

START_TEST(test_layout)
{
    zf_stats before, after;
    zf_get_stats(z, &before);
    zf_nc_file *f = build("");
    zf_get_stats(z, &after);
    ck_assert_uint_eq(after.store_reads, before.store_reads);
    ck_assert_uint_eq(after.chunks_decoded, before.chunks_decoded);

    size_t hlen = 0;
    const uint8_t *h = zf_nc_header(f, &hlen);
    ck_assert_uint_ge(hlen, 48);
    ck_assert_mem_eq(h, "\211HDF\r\n\032\n", 8);
    ck_assert_uint_eq(le64(h + 28), zf_nc_size(f)); /* end of file */
    ck_assert_uint_lt(le64(h + 36), hlen);          /* the root group */
    ck_assert_uint_eq(zf_nc_part_count(f), 4);      /* a, b, h, sub/c */
    uint64_t end = hlen;
    for (size_t i = 0; i < zf_nc_part_count(f); i++) {
        const zf_nc_part *p = zf_nc_part_at(f, i);
        zf_array *a;
        ck_assert_int_eq(zf_array_get(z, p->array_path, &a, NULL), ZF_OK);
        ck_assert_uint_eq(p->nbytes, zf_array_get_info(a)->nbytes);
        ck_assert_uint_eq(p->offset % 4096, 0);
        ck_assert_uint_ge(p->offset, end);
        ck_assert_uint_lt(p->offset - end, 4096); /* no slack but alignment */
        end = p->offset + p->nbytes;
    }
    ck_assert_ptr_null(zf_nc_part_at(f, 4));
    ck_assert_uint_eq(zf_nc_size(f), end);

    uint8_t *all = read_all(f, (size_t)zf_nc_size(f));
    ck_assert_mem_eq(all, h, hlen);
    uint64_t at = hlen;
    for (size_t i = 0; i < zf_nc_part_count(f); i++) {
        const zf_nc_part *p = zf_nc_part_at(f, i);
        for (; at < p->offset; at++)
            ck_assert_uint_eq(all[at], 0);
        zf_array *a;
        zf_array_get(z, p->array_path, &a, NULL);
        uint8_t *want = malloc(p->nbytes);
        size_t n = 0;
        ck_assert_int_eq(zf_array_read(a, 0, p->nbytes, want, &n, NULL), ZF_OK);
        ck_assert_mem_eq(all + p->offset, want, p->nbytes);
        free(want);
        at = p->offset + p->nbytes;
    }
    uint8_t *pieces = read_all(f, 777);
    ck_assert_mem_eq(pieces, all, zf_nc_size(f));
    size_t got = 1;
    ck_assert_int_eq(zf_nc_read(f, z, zf_nc_size(f), 10, all, &got, NULL), ZF_OK);
    ck_assert_uint_eq(got, 0);
    free(pieces);
    free(all);
    zf_nc_free(f);
}
END_TEST

static int has_note(zf_nc_file *f, const char *text)
{
    for (const char *const *n = zf_nc_notes(f); *n; n++)
        if (strstr(*n, text))
            return 1;
    return 0;
}

START_TEST(test_errors_and_notes)
{
    zf_nc_file *f = NULL;
    zf_err e;
    ck_assert_int_eq(zf_nc_build(z, "nosuch", &f, &e), ZF_ENOTFOUND);
    ck_assert_msg(strstr(e.msg, "'nosuch'"), "%s", e.msg);
    ck_assert_int_eq(zf_nc_build(z, "a", &f, &e), ZF_ENOTFOUND);
    ck_assert_msg(strstr(e.msg, "'a' is an array"), "%s", e.msg);
    ck_assert_int_eq(zf_nc_build(z, "bad", &f, &e), ZF_EMETA);
    ck_assert_msg(strstr(e.msg, "group 'bad': bad/zarr.json"), "%s", e.msg);
    ck_assert_ptr_null(f);

    f = build("");
    ck_assert_msg(has_note(f, "bad: left out: bad/zarr.json"), "no note on bad");
    ck_assert_msg(has_note(f, "h: float16 is no netCDF-4 type"), "no note on h");
    zf_nc_free(f);
    f = build("/sub"); /* a leading '/' is the same group */
    ck_assert_ptr_null(zf_nc_notes(f)[0]);
    ck_assert_uint_eq(zf_nc_part_count(f), 1);
    ck_assert_str_eq(zf_nc_part_at(f, 0)->array_path, "sub/c");
    uint8_t *all = read_all(f, 4096);
    ck_assert_mem_eq(all + zf_nc_part_at(f, 0)->offset, "\1\2\3\4", 4);
    free(all);
    zf_nc_free(f);
}
END_TEST

/* A store that counts the calls made to the one it wraps. */
static const zf_store_ops *real_ops;
static int store_calls;

static void counting_read(zf_store *s, zf_range_req *reqs, size_t n)
{
    store_calls++;
    real_ops->read(s, reqs, n);
}

static zf_code counting_stat(zf_store *s, const char *key, zf_store_stat *st,
                             zf_err *err)
{
    store_calls++;
    return real_ops->stat(s, key, st, err);
}

static zf_code counting_list(zf_store *s, const char *prefix,
                             void (*fn)(void *, const char *, int), void *arg,
                             zf_err *err)
{
    store_calls++;
    return real_ops->list(s, prefix, fn, arg, err);
}

static zf_store_ops counting_ops;

/* Counts z's store calls from now on (until uncount). */
static void count_calls(void)
{
    real_ops = z->store->ops;
    counting_ops = *real_ops;
    counting_ops.read = counting_read;
    counting_ops.stat = counting_stat;
    counting_ops.list = counting_list;
    z->store->ops = &counting_ops;
    store_calls = 0;
}

static void uncount(void)
{
    z->store->ops = real_ops;
}

/* Opens the store again (after the test wrote more nodes). */
static void reopen(void)
{
    zf_close(z);
    zf_err e;
    ck_assert_msg(zf_open(tu_dir, NULL, &z, &e) == ZF_OK, "%s", e.msg);
}

/* Sizes near 2^63: fill-only arrays (metadata, no chunk).  A file that
 * would end past INT64_MAX (st_size is an off_t), or whose parts' offsets
 * would wrap, is refused, naming the group and the array; one that ends
 * just below it is built, its size and offsets exact. */
START_TEST(test_huge_sizes)
{
    /* Four of 2^62 bytes: 2^64 in all, which wraps to 0 unchecked.  (Two
     * axes: a dimension of more than 2^62 elements is refused on its own,
     * below.) */
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "four/q%d", i);
        array(name, "uint8", "2, 2305843009213693952", "1, 1048576", "0", "");
    }
    tu_writef(tu_dir, "four/zarr.json", "{\"zarr_format\": 3, "
              "\"node_type\": \"group\"}");
    /* Two: 2^63 plus the header, past INT64_MAX but not past 2^64. */
    array("two/p0", "uint8", "2, 2305843009213693952", "1, 1048576", "0", "");
    array("two/p1", "uint8", "2, 2305843009213693952", "1, 1048576", "0", "");
    tu_writef(tu_dir, "two/zarr.json", "{\"zarr_format\": 3, "
              "\"node_type\": \"group\"}");
    /* One that fits: 2^63 - 2^20 bytes after a header of less than 1 MiB. */
    array("fits/big", "uint8", "2, 4611686018426863616", "1, 1048576", "0", "");
    tu_writef(tu_dir, "fits/zarr.json", "{\"zarr_format\": 3, "
              "\"node_type\": \"group\"}");
    /* A dimension of more than 2^62 elements with no coordinate variable:
     * its dimension-only scale (float32) would be 4 x that many bytes. */
    array("dim/v", "uint8", "4611686018427387905", "1048576", "0",
          ", \"dimension_names\": [\"x\"]");
    tu_writef(tu_dir, "dim/zarr.json", "{\"zarr_format\": 3, "
              "\"node_type\": \"group\"}");
    reopen();
    zf_nc_file *f = NULL;
    zf_err e;
    const char *const refused[] = {"four", "two", "dim", ""};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(zf_nc_build(z, refused[i], &f, &e), ZF_ELIMIT);
        ck_assert_ptr_null(f);
        ck_assert_msg(strstr(e.msg, "larger than") || strstr(e.msg, "64 bits"),
                      "%s", e.msg);
    }
    ck_assert_msg(zf_nc_build(z, "four", &f, &e) == ZF_ELIMIT &&
                  strstr(e.msg, "group 'four'") && strstr(e.msg, "four/q"),
                  "%s", e.msg);
    ck_assert_msg(zf_nc_build(z, "dim", &f, &e) == ZF_ELIMIT &&
                  strstr(e.msg, "dimension 'x'"), "%s", e.msg);
    f = build("fits");
    ck_assert_uint_eq(zf_nc_part_count(f), 1);
    const zf_nc_part *p = zf_nc_part_at(f, 0);
    ck_assert_uint_eq(p->nbytes, 9223372036853727232ull);
    ck_assert_uint_eq(zf_nc_size(f), p->offset + p->nbytes);
    ck_assert_uint_le(zf_nc_size(f), (uint64_t)INT64_MAX);
    size_t hlen;
    ck_assert_uint_eq(le64(zf_nc_header(f, &hlen) + 28), zf_nc_size(f));
    uint8_t last[4];
    size_t got = 0;
    ck_assert_int_eq(zf_nc_read(f, z, zf_nc_size(f) - 4, 4, last, &got, &e),
                     ZF_OK);
    ck_assert_uint_eq(got, 4);
    ck_assert_mem_eq(last, "\0\0\0\0", 4);
    zf_nc_free(f);
}
END_TEST

static int has_attr(const zf_nc_file *f, const char *text)
{
    size_t hlen;
    const uint8_t *h = zf_nc_header(f, &hlen);
    return memmem(h, hlen, text, strlen(text)) != NULL;
}

/* Building reads nothing from the store: every group's attributes and
 * every array's dimension names come from the node set the open loaded
 * (v3 zarr.json; v2 .zattrs, walked or from .zmetadata). */
static void no_reads_for(const char *store_rel, const char *attr)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", tu_dir, store_rel);
    zf_close(z);
    zf_err e;
    zf_options opts = {.attributes = 1};
    ck_assert_msg(zf_open(dir, &opts, &z, &e) == ZF_OK, "%s", e.msg);
    count_calls();
    for (size_t i = 0; i < zf_node_count(z); i++) {
        const zf_node *n = zf_node_at(z, i);
        if (n->kind != ZF_NODE_GROUP)
            continue;
        zf_nc_file *f = build(n->path);
        if (!n->path[0])
            ck_assert_msg(has_attr(f, attr), "%s: no attribute %s",
                          store_rel, attr);
        zf_nc_free(f);
    }
    ck_assert_int_eq(store_calls, 0);
    uncount();
}

START_TEST(test_no_store_reads)
{
    /* v3 (setup's store, walked): the root's title, sub's attributes */
    count_calls();
    zf_nc_file *f = build("");
    ck_assert_msg(has_attr(f, "title"), "v3: no title");
    zf_nc_free(f);
    zf_nc_free(build("sub"));
    ck_assert_int_eq(store_calls, 0);
    uncount();
    /* v2, walked and consolidated: .zattrs with _ARRAY_DIMENSIONS */
    const char *zarray = "{\"zarr_format\": 2, \"shape\": [3], \"chunks\": "
                         "[3], \"dtype\": \"<i2\", \"compressor\": null, "
                         "\"fill_value\": 0, \"filters\": null, "
                         "\"order\": \"C\"}";
    const char *group = "{\"zarr_format\": 2}";
    const char *attrs = "{\"_ARRAY_DIMENSIONS\": [\"lon\"], "
                        "\"units\": \"degC\"}";
    for (int cons = 0; cons < 2; cons++) {
        const char *root = cons ? "v2c" : "v2w";
        char rel[64];
        snprintf(rel, sizeof rel, "%s/.zgroup", root);
        tu_writef(tu_dir, rel, "%s", group);
        snprintf(rel, sizeof rel, "%s/.zattrs", root);
        tu_writef(tu_dir, rel, "{\"history\": \"made by test_nc\"}");
        snprintf(rel, sizeof rel, "%s/g/.zgroup", root);
        tu_writef(tu_dir, rel, "%s", group);
        snprintf(rel, sizeof rel, "%s/g/t/.zarray", root);
        tu_writef(tu_dir, rel, "%s", zarray);
        snprintf(rel, sizeof rel, "%s/g/t/.zattrs", root);
        tu_writef(tu_dir, rel, "%s", attrs);
    }
    tu_writef(tu_dir, "v2c/.zmetadata", "{\"zarr_consolidated_format\": 1, "
              "\"metadata\": {\".zgroup\": %s, \".zattrs\": {\"history\": "
              "\"consolidated\"}, \"g/.zgroup\": %s, \"g/t/.zarray\": %s, "
              "\"g/t/.zattrs\": %s}}", group, group, zarray, attrs);
    no_reads_for("v2w", "made by test_nc");
    /* without zf_options.attributes a v2 walk has not read them: the
     * build does (and still finds them) */
    zf_close(z);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/v2w", tu_dir);
    zf_err e;
    ck_assert_msg(zf_open(dir, NULL, &z, &e) == ZF_OK, "%s", e.msg);
    count_calls();
    f = build("");
    ck_assert_msg(has_attr(f, "made by test_nc") && has_attr(f, "degC"),
                  "v2w without the option: attributes missing");
    zf_nc_free(f);
    ck_assert_int_gt(store_calls, 0);
    uncount();
    no_reads_for("v2c", "consolidated");
    /* the dimension and the attribute came through */
    f = build("g");
    ck_assert_msg(has_attr(f, "lon") && has_attr(f, "degC"), "v2c: no lon");
    zf_nc_free(f);
}
END_TEST

/* A name netCDF cannot hold is a note and a phony dimension, not a failed
 * build ("out of memory", as a too-large link message was reported). */
START_TEST(test_long_dimension_name)
{
    char *name = malloc(70001);
    memset(name, 'd', 70000);
    name[70000] = 0;
    char extra[70100];
    snprintf(extra, sizeof extra, ", \"dimension_names\": [\"%s\"]", name);
    array("long/v", "uint8", "3", "3", "0", extra);
    tu_writef(tu_dir, "long/zarr.json", "{\"zarr_format\": 3, "
              "\"node_type\": \"group\"}");
    free(name);
    reopen();
    zf_nc_file *f = NULL;
    zf_err e;
    ck_assert_msg(zf_nc_build(z, "long", &f, &e) == ZF_OK, "%s", e.msg);
    ck_assert_msg(has_note(f, "long/v: dimension 0's name (70000 bytes) is "
                          "longer than netCDF's 256"), "no note");
    ck_assert_msg(has_attr(f, "phony_dim_0"), "no phony dimension");
    zf_nc_free(f);
}
END_TEST

static int stamp_same(const zf_nc_stamp *x, const zf_nc_stamp *y)
{
    return x->nodes == y->nodes && x->newest == y->newest;
}

/* zf_nc_stamp_of across zf_refresh: a group's stamp changes exactly when a
 * node at or below it changed (metadata, attributes), was added or
 * removed; the others keep theirs. */
START_TEST(test_stamps)
{
    const char *groups[] = {"", "sub", "x", "y"};
    tu_writef(tu_dir, "x/zarr.json", "{\"zarr_format\": 3, \"node_type\": "
              "\"group\", \"attributes\": {\"k\": 1}}");
    tu_writef(tu_dir, "y/zarr.json", "{\"zarr_format\": 3, \"node_type\": "
              "\"group\"}");
    array("y/v", "int8", "4", "4", "0", "");
    reopen();
    zf_nc_stamp before[4], after[4];
    for (int i = 0; i < 4; i++)
        zf_nc_stamp_of(z, groups[i], &before[i]);
    ck_assert_uint_eq(before[3].nodes, 2);    /* y and y/v */
    ck_assert_uint_eq(before[1].nodes, 2);    /* sub and sub/c */
    int changed = 0;
    zf_err e;
    ck_assert_int_eq(zf_refresh(z, &changed, &e), ZF_OK);
    ck_assert_int_eq(changed, 0);
    /* x's attributes: x and the root change, sub and y do not */
    tu_writef(tu_dir, "x/zarr.json", "{\"zarr_format\": 3, \"node_type\": "
              "\"group\", \"attributes\": {\"k\": 2}}");
    ck_assert_int_eq(zf_refresh(z, &changed, &e), ZF_OK);
    ck_assert_int_eq(changed, 1);
    for (int i = 0; i < 4; i++)
        zf_nc_stamp_of(z, groups[i], &after[i]);
    ck_assert(!stamp_same(&before[0], &after[0]));
    ck_assert(stamp_same(&before[1], &after[1]));
    ck_assert(!stamp_same(&before[2], &after[2]));
    ck_assert(stamp_same(&before[3], &after[3]));
    /* an array added below y: y (one node more) and the root */
    array("y/w", "int8", "4", "4", "0", "");
    ck_assert_int_eq(zf_refresh(z, &changed, &e), ZF_OK);
    zf_nc_stamp_of(z, "y", &before[3]);
    ck_assert_uint_eq(before[3].nodes, 3);
    ck_assert(!stamp_same(&before[3], &after[3]));
    zf_nc_stamp_of(z, "/sub", &before[1]); /* (a leading '/' is the same) */
    ck_assert(stamp_same(&before[1], &after[1]));
}
END_TEST

/* v3: the CF _FillValue is an attribute (xarray writes a float's as the
 * base64 of a double), the fill_value is not one; an attribute that is no
 * value of the variable's type is left out with a note. */
START_TEST(test_fill_value_attribute)
{
    tu_writef(tu_dir, "fv/zarr.json", "{\"zarr_format\": 3, \"node_type\": "
              "\"group\"}");
    array("fv/nanfill", "float32", "2", "2", "0",
          ", \"attributes\": {\"_FillValue\": \"AAAAAAAA+H8=\"}");
    array("fv/intfill", "int16", "2", "2", "0",
          ", \"attributes\": {\"_FillValue\": -32768}");
    array("fv/badfill", "int8", "2", "2", "0",
          ", \"attributes\": {\"_FillValue\": \"x\"}");
    zf_zarr *z2 = NULL;
    zf_nc_file *f = NULL;
    zf_err e;
    ck_assert_msg(zf_open(tu_dir, NULL, &z2, &e) == ZF_OK, "%s", e.msg);
    ck_assert_msg(zf_nc_build(z2, "fv", &f, &e) == ZF_OK, "%s", e.msg);
    ck_assert_msg(has_note(f, "fv/badfill: attribute '_FillValue' left out: "
                           "not a value of type int8"), "no note on badfill");
    ck_assert_msg(!has_note(f, "nanfill") && !has_note(f, "intfill"),
                  "a note on a good _FillValue");
    zf_nc_free(f);
    zf_close(z2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nc");
    TCase *t = tcase_create("nc");
    tcase_add_unchecked_fixture(t, tu_base_setup, tu_base_teardown);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_layout);
    tcase_add_test(t, test_errors_and_notes);
    tcase_add_test(t, test_huge_sizes);
    tcase_add_test(t, test_no_store_reads);
    tcase_add_test(t, test_long_dimension_name);
    tcase_add_test(t, test_stamps);
    tcase_add_test(t, test_fill_value_attribute);
    suite_add_tcase(s, t);
    return tu_run(s);
}
