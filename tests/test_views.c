/*
 * test_views.c - zf_view_header: the exact npy, ENVI, NRRD and MetaImage
 * headers of arrays of every kind of type and shape, and every refusal
 * (types a format lacks, dimension limits, empty arrays, data file names a
 * reader would misread).  The store is metadata only (no chunk is read),
 * written into a temporary folder.  Assumes nothing about byte order: the
 * expected texts use this machine's.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "testutil.h"

#include <check.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zarrfs/zarrfs.h"

static char dir[] = "/tmp/zf_views.XXXXXX";
static zf_zarr *z;

static int native_little(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

/* Writes the metadata of array NAME (shape given as "3, 4, 5"). */
static void write_array(const char *name, const char *dtype, const char *shape,
                        const char *chunks, const char *fill)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/%s/zarr.json", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "{\"zarr_format\": 3, \"node_type\": \"array\", \"shape\": [%s],"
               " \"data_type\": \"%s\", \"chunk_grid\": {\"name\": \"regular\","
               " \"configuration\": {\"chunk_shape\": [%s]}},"
               " \"chunk_key_encoding\": {\"name\": \"default\"},"
               " \"fill_value\": %s, \"codecs\": [{\"name\": \"bytes\","
               " \"configuration\": {\"endian\": \"little\"}}]}\n",
            shape, dtype, chunks, fill);
    fclose(f);
}

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
    FILE *f = fopen(strcat(strcpy((char[600]){0}, dir), "/zarr.json"), "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"zarr_format\": 3, \"node_type\": \"group\"}\n", f);
    fclose(f);
    write_array("u2", "uint16", "3, 4, 5", "2, 2, 2", "0");
    write_array("f4", "float32", "6, 7", "6, 7", "0");
    write_array("b1", "bool", "10", "10", "false");
    write_array("i1", "int8", "10", "10", "0");
    write_array("h2", "float16", "2, 2", "2, 2", "0");
    write_array("c8", "complex64", "4, 3", "4, 3", "[0, 0]");
    write_array("c16", "complex128", "2, 3, 4, 5", "2, 3, 4, 5", "[0, 0]");
    write_array("s0", "float64", "", "", "2.5");
    write_array("e0", "int32", "0, 3", "1, 3", "0");
    write_array("big", "uint8", "3000000000", "1000000", "0");
    write_array("d11", "uint8", "1,1,1,1,1,1,1,1,1,1,1", "1,1,1,1,1,1,1,1,1,1,1", "0");
    write_array("d17", "uint8", "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1",
                "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1", "0");
    zf_err e;
    ck_assert_msg(zf_open(dir, NULL, &z, &e) == ZF_OK, "%s", e.msg);
}

static int rm_one(const char *p, const struct stat *s, int flag, struct FTW *f)
{
    (void)s, (void)flag, (void)f;
    return remove(p);
}

static void teardown(void)
{
    zf_close(z);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    strcpy(dir, "/tmp/zf_views.XXXXXX");
}

static zf_array *arr(const char *path)
{
    zf_array *a = NULL;
    zf_err e;
    ck_assert_msg(zf_array_get(z, path, &a, &e) == ZF_OK, "%s: %s", path, e.msg);
    return a;
}

/* The header of `fmt` for array `path` (file name = path); must succeed. */
static char *header(const char *path, zf_view_format fmt, size_t *len)
{
    char *text = NULL;
    zf_err e = {0};
    zf_code c = zf_view_header(arr(path), fmt, path, &text, len, &e);
    ck_assert_msg(c == ZF_OK, "%s %s: %s", path, zf_view_name(fmt), e.msg);
    ck_assert_int_eq(text[*len], '\0');
    if (fmt != ZF_VIEW_NPY) /* npy's binary prefix holds zero bytes */
        ck_assert_uint_eq(strlen(text), *len);
    return text;
}

/* The view must be refused with ZF_EUNSUPPORTED and a message naming the
 * array and holding `phrase`. */
static void refused(const char *path, zf_view_format fmt, const char *file,
                    const char *phrase)
{
    char *text = (char *)"untouched";
    size_t len = 7;
    zf_err e = {0};
    zf_code c = zf_view_header(arr(path), fmt, file, &text, &len, &e);
    ck_assert_msg(c == ZF_EUNSUPPORTED, "%s %s: code %d", path,
                  zf_view_name(fmt), c);
    ck_assert_ptr_null(text);
    ck_assert_msg(strncmp(e.msg, path, strlen(path)) == 0 &&
                      strstr(e.msg, phrase), "%s %s: '%s' lacks '%s'", path,
                  zf_view_name(fmt), e.msg, phrase);
}

/* An npy header's dict: checks the magic, version, length and padding. */
static void check_npy(const char *path, const char *dict)
{
    size_t len;
    char *t = header(path, ZF_VIEW_NPY, &len);
    ck_assert_uint_eq(len % 64, 0);
    ck_assert_int_eq(memcmp(t, "\x93NUMPY\x01\x00", 8), 0);
    size_t hlen = (unsigned char)t[8] | (size_t)(unsigned char)t[9] << 8;
    ck_assert_uint_eq(hlen + 10, len);
    ck_assert_int_eq(strncmp(t + 10, dict, strlen(dict)), 0);
    for (size_t k = 10 + strlen(dict); k < len - 1; k++)
        ck_assert_int_eq(t[k], ' ');
    ck_assert_int_eq(t[len - 1], '\n');
    free(t);
}

START_TEST(test_names)
{
    const char *names[] = {"npy", "envi", "nrrd", "mhd"};
    const char *suffixes[] = {".npy", ".hdr", ".nhdr", ".mhd"};
    for (int f = 0; f < ZF_VIEW_COUNT; f++) {
        ck_assert_str_eq(zf_view_name((zf_view_format)f), names[f]);
        ck_assert_str_eq(zf_view_suffix((zf_view_format)f), suffixes[f]);
    }
    ck_assert_ptr_null(zf_view_name(ZF_VIEW_COUNT));
    ck_assert_ptr_null(zf_view_suffix((zf_view_format)-1));
    char *text;
    size_t len;
    zf_err e;
    ck_assert_int_eq(zf_view_header(NULL, ZF_VIEW_NPY, "x", &text, &len, &e),
                     ZF_EINVAL);
    ck_assert_int_eq(zf_view_header(arr("u2"), ZF_VIEW_COUNT, "x", &text, &len,
                                    NULL), ZF_EINVAL);
}
END_TEST

START_TEST(test_npy)
{
    char o = native_little() ? '<' : '>';
    char d[256];
    snprintf(d, sizeof d, "{'descr': '%cu2', 'fortran_order': False, "
             "'shape': (3, 4, 5), }", o);
    check_npy("u2", d);
    check_npy("b1", "{'descr': '|b1', 'fortran_order': False, 'shape': (10,), }");
    check_npy("i1", "{'descr': '|i1', 'fortran_order': False, 'shape': (10,), }");
    snprintf(d, sizeof d, "{'descr': '%cc16', 'fortran_order': False, "
             "'shape': (2, 3, 4, 5), }", o);
    check_npy("c16", d);
    snprintf(d, sizeof d, "{'descr': '%cf2', 'fortran_order': False, "
             "'shape': (2, 2), }", o);
    check_npy("h2", d);
    snprintf(d, sizeof d, "{'descr': '%cf8', 'fortran_order': False, "
             "'shape': (), }", o);
    check_npy("s0", d);
    snprintf(d, sizeof d, "{'descr': '%ci4', 'fortran_order': False, "
             "'shape': (0, 3), }", o);
    check_npy("e0", d);
}
END_TEST

START_TEST(test_envi)
{
    size_t len;
    char *t = header("f4", ZF_VIEW_ENVI, &len);
    char want[512];
    snprintf(want, sizeof want,
             "ENVI\ndescription = {zarrfs header view of a Zarr array}\n"
             "samples = 7\nlines = 6\nbands = 1\nheader offset = 0\n"
             "file type = ENVI Standard\ndata type = 4\ninterleave = bsq\n"
             "byte order = %d\n", native_little() ? 0 : 1);
    ck_assert_str_eq(t, want);
    free(t);
    t = header("u2", ZF_VIEW_ENVI, &len);
    ck_assert_ptr_nonnull(strstr(t, "samples = 5\nlines = 4\nbands = 3\n"));
    ck_assert_ptr_nonnull(strstr(t, "data type = 12\n"));
    free(t);
    t = header("b1", ZF_VIEW_ENVI, &len); /* bool: bytes 0/1 as uint8 */
    ck_assert_ptr_nonnull(strstr(t, "samples = 10\nlines = 1\nbands = 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "data type = 1\n"));
    free(t);
    t = header("c8", ZF_VIEW_ENVI, &len);
    ck_assert_ptr_nonnull(strstr(t, "data type = 6\n"));
    free(t);
    refused("i1", ZF_VIEW_ENVI, "i1", "ENVI has no int8");
    refused("h2", ZF_VIEW_ENVI, "h2", "ENVI has no float16");
    refused("c16", ZF_VIEW_ENVI, "c16", "1 to 3 dimensions");
    refused("s0", ZF_VIEW_ENVI, "s0", "1 to 3 dimensions");
    refused("e0", ZF_VIEW_ENVI, "e0", "empty");
    refused("big", ZF_VIEW_ENVI, "big", "exceeds 2147483647");
}
END_TEST

START_TEST(test_nrrd)
{
    size_t len;
    char *t = header("u2", ZF_VIEW_NRRD, &len);
    char want[512];
    snprintf(want, sizeof want,
             "NRRD0004\n# zarrfs header view of a Zarr array (uint16)\n"
             "type: uint16\ndimension: 3\nsizes: 5 4 3\nendian: %s\n"
             "encoding: raw\ndata file: u2\n",
             native_little() ? "little" : "big");
    ck_assert_str_eq(t, want);
    free(t);
    t = header("c8", ZF_VIEW_NRRD, &len);
    ck_assert_ptr_nonnull(strstr(t, "type: float\ndimension: 3\nsizes: 2 3 4\n"
                                    "kinds: complex domain domain\n"));
    free(t);
    t = header("i1", ZF_VIEW_NRRD, &len); /* one byte: no endian field */
    ck_assert_ptr_nonnull(strstr(t, "type: int8\ndimension: 1\nsizes: 10\n"
                                    "encoding: raw\n"));
    free(t);
    t = header("s0", ZF_VIEW_NRRD, &len);
    ck_assert_ptr_nonnull(strstr(t, "type: double\ndimension: 1\nsizes: 1\n"));
    free(t);
    t = header("big", ZF_VIEW_NRRD, &len);
    ck_assert_ptr_nonnull(strstr(t, "sizes: 3000000000\n"));
    free(t);
    refused("h2", ZF_VIEW_NRRD, "h2", "NRRD has no float16");
    refused("d17", ZF_VIEW_NRRD, "d17", "at most 16 dimensions");
    refused("e0", ZF_VIEW_NRRD, "e0", "empty");
    refused("u2", ZF_VIEW_NRRD, "LIST", "keyword");
    refused("u2", ZF_VIEW_NRRD, "LISTING", "keyword");
    refused("u2", ZF_VIEW_NRRD, "a%03d", "pattern");
    refused("u2", ZF_VIEW_NRRD, " a", "spaces");
    refused("u2", ZF_VIEW_NRRD, "a\nb", "control character");
    refused("u2", ZF_VIEW_NRRD, "", "no file name");
    refused("u2", ZF_VIEW_NRRD, NULL, "no file name");
    t = NULL;
    zf_err e;
    ck_assert_int_eq(zf_view_header(arr("u2"), ZF_VIEW_NRRD, "a b.c", &t,
                                    &len, &e), ZF_OK);
    ck_assert_ptr_nonnull(strstr(t, "\ndata file: a b.c\n"));
    free(t);
}
END_TEST

START_TEST(test_mhd)
{
    size_t len;
    char *t = header("u2", ZF_VIEW_MHD, &len);
    char want[512];
    snprintf(want, sizeof want,
             "ObjectType = Image\nNDims = 3\nBinaryData = True\n"
             "CompressedData = False\nDimSize = 5 4 3\n"
             "ElementType = MET_USHORT\nElementByteOrderMSB = %s\n"
             "HeaderSize = 0\nElementDataFile = u2\n",
             native_little() ? "False" : "True");
    ck_assert_str_eq(t, want);
    free(t);
    t = header("c16", ZF_VIEW_MHD, &len);
    ck_assert_ptr_nonnull(strstr(t, "NDims = 4\n"));
    ck_assert_ptr_nonnull(strstr(t, "DimSize = 5 4 3 2\n"
                                    "ElementNumberOfChannels = 2\n"
                                    "ElementType = MET_DOUBLE\n"));
    free(t);
    t = header("b1", ZF_VIEW_MHD, &len);
    ck_assert_ptr_nonnull(strstr(t, "ElementType = MET_UCHAR\n"));
    free(t);
    t = header("i1", ZF_VIEW_MHD, &len);
    ck_assert_ptr_nonnull(strstr(t, "ElementType = MET_CHAR\n"));
    free(t);
    t = header("s0", ZF_VIEW_MHD, &len);
    ck_assert_ptr_nonnull(strstr(t, "NDims = 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "DimSize = 1\n"));
    free(t);
    t = header("d11", ZF_VIEW_NRRD, &len); /* NRRD takes 11, MetaImage not */
    free(t);
    refused("d11", ZF_VIEW_MHD, "d11", "at most 10 dimensions");
    refused("h2", ZF_VIEW_MHD, "h2", "MetaImage has no float16");
    refused("big", ZF_VIEW_MHD, "big", "exceeds 2147483647");
    refused("e0", ZF_VIEW_MHD, "e0", "empty");
    refused("u2", ZF_VIEW_MHD, "local", "keyword");
    refused("u2", ZF_VIEW_MHD, "a ", "spaces");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("views");
    TCase *t = tcase_create("views");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_names);
    tcase_add_test(t, test_npy);
    tcase_add_test(t, test_envi);
    tcase_add_test(t, test_nrrd);
    tcase_add_test(t, test_mhd);
    suite_add_tcase(s, t);
    return tu_run(s);
}
