/*
 * test_nc.c - the netCDF-4 group files' layout and errors (zf_nc_build):
 * parts 4096-aligned after the header, sorted, each as large as its
 * array's flat view; the superblock's end-of-file address is the file's
 * size; zf_nc_read gives the header, zeros and each array's bytes (as
 * zf_array_read reads them), in any pieces; building reads no chunk;
 * missing groups, arrays and broken groups are errors naming them; notes
 * name what netCDF tools will miss.  What HDF5 and netCDF readers make of
 * the bytes is tests/sh/netcdf.sh's.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zarrfs/zarrfs.h"

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
    tcase_add_test(t, test_fill_value_attribute);
    suite_add_tcase(s, t);
    return tu_run(s);
}
