/*
 * test_views.c - zf_view_header: the exact npy, ENVI, NRRD and MetaImage
 * headers of arrays of every kind of type and shape, and every refusal
 * (types a format lacks, dimension limits, empty arrays, data file names a
 * reader would misread); TIFF headers walked IFD by IFD with a reader
 * written here from the TIFF 6.0 and BigTIFF layouts (tags, strips, the
 * classic/BigTIFF choice, the descriptions chosen from axis names and
 * OME-Zarr multiscales, and of selections: the axes they keep, Fortran
 * order, steps).  The store is metadata only (no chunk is read),
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

/* Writes the metadata of array NAME (shape given as "3, 4, 5"), with
 * `extra` fields ("" or ", \"dimension_names\": [...]"). */
static void write_array_x(const char *name, const char *dtype,
                          const char *shape, const char *chunks,
                          const char *fill, const char *extra)
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
               " \"configuration\": {\"endian\": \"little\"}}]%s}\n",
            shape, dtype, chunks, fill, extra);
    fclose(f);
}

static void write_array(const char *name, const char *dtype, const char *shape,
                        const char *chunks, const char *fill)
{
    write_array_x(name, dtype, shape, chunks, fill, "");
}

/* Writes a group's zarr.json with these attributes. */
static void write_group(const char *name, const char *attrs)
{
    char rel[256];
    snprintf(rel, sizeof rel, "%s/zarr.json", name);
    tu_writef(dir, rel, "{\"zarr_format\": 3, \"node_type\": \"group\", "
              "\"attributes\": %s}\n", attrs);
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
    write_array("i8", "int64", "2, 3", "2, 3", "0");
    write_array("f8", "float64", "1, 2, 3", "1, 2, 3", "0");
    write_array("bt", "uint16", "3, 40000, 40000", "1, 1000, 1000", "0");
    write_array("strips", "uint8", "2, 70000, 70000", "1, 1000, 1000", "0");
    /* 4096 header bytes + 2^32 - 4097 data = the largest classic file. */
    write_array("edge_c", "uint8", "1, 1, 4294963199", "1, 1, 1000000", "0");
    write_array("edge_b", "uint8", "1, 1, 4294963200", "1, 1, 1000000", "0");
    write_array("many", "uint8", "600000, 1, 1", "1000, 1, 1", "0");
    write_array_x("ijbig", "uint16", "3, 40000, 40000", "1, 1000, 1000", "0",
                  ", \"dimension_names\": [\"z\", \"y\", \"x\"]");
    write_array_x("ij", "uint8", "2, 3, 4, 5", "1, 1, 4, 5", "0",
                  ", \"dimension_names\": [\"t\", \"z\", \"y\", \"x\"]");
    write_array_x("noij", "uint8", "2, 3, 4, 5", "1, 1, 4, 5", "0",
                  ", \"dimension_names\": [\"c\", \"z\", \"y\", \"x\"]");
    write_array_x("xr", "float32", "3, 4, 5", "1, 4, 5", "0",
                  ", \"attributes\": {\"_ARRAY_DIMENSIONS\": [\"c\", \"y\", \"x\"]}");
    write_group("img", "{\"ome\": {\"version\": \"0.5\", \"multiscales\": [{"
                "\"axes\": [{\"name\": \"c\", \"type\": \"channel\"}, "
                "{\"name\": \"y\", \"unit\": \"micrometer\"}, "
                "{\"name\": \"x\", \"unit\": \"micrometer\"}], "
                "\"datasets\": [{\"path\": \"0\", \"coordinateTransformations\": "
                "[{\"type\": \"scale\", \"scale\": [1, 0.5, 0.25]}]}], "
                "\"coordinateTransformations\": [{\"type\": \"scale\", "
                "\"scale\": [1, 3, 2]}]}]}}");
    write_array("img/0", "int16", "2, 4, 5", "1, 4, 5", "0");
    write_array("img/1", "int16", "2, 4, 5", "1, 4, 5", "0"); /* not listed */
    /* A v2 group whose .zattrs is not JSON. */
    tu_writef(dir, "v2g/.zgroup", "{\"zarr_format\": 2}");
    tu_writef(dir, "v2g/.zattrs", "{\"multiscales\": [");
    tu_writef(dir, "v2g/a/.zarray", "{\"zarr_format\": 2, \"shape\": [3, 4],"
              " \"chunks\": [3, 4], \"dtype\": \"<u2\", \"compressor\": null,"
              " \"fill_value\": 0, \"order\": \"C\", \"filters\": null}");
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
    if (fmt != ZF_VIEW_NPY && fmt != ZF_VIEW_TIFF) /* (binary: zero bytes) */
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
    const char *names[] = {"npy", "envi", "nrrd", "mhd", "tiff"};
    const char *suffixes[] = {".npy", ".hdr", ".nhdr", ".mhd", ".tif"};
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

/* ---- TIFF: a reader of the header, from the TIFF 6.0 and BigTIFF specs -- */

typedef struct tiff {
    const uint8_t *t;
    size_t len;
    int big;
} tiff;

/* An unsigned value of n bytes in this machine's order. */
static uint64_t rd(const uint8_t *p, int n)
{
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    if (n == 1)
        return p[0];
    if (n == 2)
        return memcpy(&v16, p, 2), v16;
    if (n == 4)
        return memcpy(&v32, p, 4), v32;
    return memcpy(&v64, p, 8), v64;
}

static tiff tiff_open(const char *path, size_t *len)
{
    tiff f = {(const uint8_t *)header(path, ZF_VIEW_TIFF, len), *len, 0};
    ck_assert_int_eq(memcmp(f.t, native_little() ? "II" : "MM", 2), 0);
    uint64_t version = rd(f.t + 2, 2);
    ck_assert(version == 42 || version == 43);
    f.big = version == 43;
    if (f.big)
        ck_assert(rd(f.t + 4, 2) == 8 && rd(f.t + 6, 2) == 0);
    ck_assert_uint_eq(*len % 4096, 0);
    return f;
}

/* The offset of the first IFD, and of the one after `ifd` (0: none). */
static uint64_t tiff_first(const tiff *f)
{
    return f->big ? rd(f->t + 8, 8) : rd(f->t + 4, 4);
}

static uint64_t tiff_next(const tiff *f, uint64_t ifd)
{
    uint64_t n = rd(f->t + ifd, f->big ? 8 : 2);
    uint64_t at = ifd + (f->big ? 8 : 2) + n * (f->big ? 20 : 12);
    ck_assert_uint_le(at + (f->big ? 8 : 4), f->len);
    return rd(f->t + at, f->big ? 8 : 4);
}

/* Tag `tag` of an IFD: its count, and a pointer to its values and their
 * size; NULL when absent.  Checks the tags are in ascending order. */
static const uint8_t *tiff_tag(const tiff *f, uint64_t ifd, int tag,
                               uint64_t *count, int *size)
{
    uint64_t n = rd(f->t + ifd, f->big ? 8 : 2);
    int last = -1;
    for (uint64_t k = 0; k < n; k++) {
        const uint8_t *e = f->t + ifd + (f->big ? 8 : 2) + k * (f->big ? 20 : 12);
        int t = (int)rd(e, 2), type = (int)rd(e + 2, 2);
        ck_assert_int_gt(t, last);
        last = t;
        if (t != tag)
            continue;
        *size = type == 3 ? 2 : type == 4 ? 4 : type == 16 ? 8 : 1;
        *count = rd(e + 4, f->big ? 8 : 4);
        const uint8_t *v = e + (f->big ? 12 : 8);
        if (*count * (uint64_t)*size > (f->big ? 8u : 4u)) {
            uint64_t off = rd(v, f->big ? 8 : 4);
            ck_assert_uint_le(off + *count * (uint64_t)*size, f->len);
            v = f->t + off;
        }
        return v;
    }
    return NULL;
}

/* Value k of a numeric tag (which must be there). */
static uint64_t tiff_val(const tiff *f, uint64_t ifd, int tag, uint64_t k)
{
    uint64_t count;
    int size;
    const uint8_t *v = tiff_tag(f, ifd, tag, &count, &size);
    ck_assert_msg(v && k < count, "tag %d", tag);
    return rd(v + k * (uint64_t)size, size);
}

/* The ImageDescription of the first page, as a string. */
static const char *tiff_desc(const tiff *f)
{
    uint64_t count;
    int size;
    const char *v = (const char *)tiff_tag(f, tiff_first(f), 270, &count, &size);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(v[count - 1], '\0');
    return v;
}

/* Checks every page: Y x X of `bits`/`format` samples, in strips of `rows`
 * rows, the pages back to back from the header's end; returns the count. */
static uint64_t tiff_pages(const tiff *f, uint64_t y, uint64_t x, int bits,
                           int format, uint64_t rows)
{
    uint64_t pages = 0, row = x * (uint64_t)bits / 8;
    for (uint64_t ifd = tiff_first(f); ifd; ifd = tiff_next(f, ifd), pages++) {
        ck_assert_uint_eq(tiff_val(f, ifd, 256, 0), x);
        ck_assert_uint_eq(tiff_val(f, ifd, 257, 0), y);
        ck_assert_uint_eq(tiff_val(f, ifd, 258, 0), (uint64_t)bits);
        ck_assert_uint_eq(tiff_val(f, ifd, 259, 0), 1);
        ck_assert_uint_eq(tiff_val(f, ifd, 262, 0), 1);
        ck_assert_uint_eq(tiff_val(f, ifd, 277, 0), 1);
        ck_assert_uint_eq(tiff_val(f, ifd, 278, 0), rows);
        ck_assert_uint_eq(tiff_val(f, ifd, 339, 0), (uint64_t)format);
        uint64_t nstrips = (y + rows - 1) / rows, count;
        int size;
        ck_assert_ptr_nonnull(tiff_tag(f, ifd, 273, &count, &size));
        ck_assert_uint_eq(count, nstrips);
        ck_assert_int_eq(size, f->big ? 8 : 4);
        for (uint64_t s = 0; s < nstrips; s++) {
            uint64_t want = f->len + pages * y * row + s * rows * row;
            ck_assert_uint_eq(tiff_val(f, ifd, 273, s), want);
            uint64_t r = s + 1 < nstrips ? rows : y - s * rows;
            ck_assert_uint_eq(tiff_val(f, ifd, 279, s), r * row);
        }
        ck_assert_int_eq(!tiff_tag(f, ifd, 270, &count, &size), pages > 0);
        ck_assert_uint_lt(ifd, f->len);
    }
    return pages;
}

START_TEST(test_tiff_layout)
{
    size_t len;
    tiff f = tiff_open("u2", &len); /* 3 x 4 x 5 uint16, no axis names */
    ck_assert_int_eq(f.big, 0);
    ck_assert_uint_eq(tiff_first(&f), 8);
    ck_assert_uint_eq(tiff_pages(&f, 4, 5, 16, 1, 4), 3);
    ck_assert_str_eq(tiff_desc(&f), "{\"shape\": [3, 4, 5]}");
    free((void *)f.t);
    f = tiff_open("f4", &len);
    ck_assert_uint_eq(tiff_pages(&f, 6, 7, 32, 3, 6), 1);
    free((void *)f.t);
    f = tiff_open("i8", &len);
    ck_assert_uint_eq(tiff_pages(&f, 2, 3, 64, 2, 2), 1);
    free((void *)f.t);
    f = tiff_open("f8", &len);
    ck_assert_uint_eq(tiff_pages(&f, 2, 3, 64, 3, 2), 1);
    free((void *)f.t);
    /* 9.6 GB: BigTIFF, LONG8 offsets, first IFD at 16. */
    f = tiff_open("bt", &len);
    ck_assert_int_eq(f.big, 1);
    ck_assert_uint_eq(tiff_first(&f), 16);
    ck_assert_uint_eq(tiff_pages(&f, 40000, 40000, 16, 1, 40000), 3);
    free((void *)f.t);
    /* Pages of 4.9 GB: strips of as many rows as fit in 2^32 - 1 bytes. */
    f = tiff_open("strips", &len);
    ck_assert_uint_eq(tiff_pages(&f, 70000, 70000, 8, 1, 4294967295u / 70000),
                      2);
    free((void *)f.t);
    /* Classic up to a file of 2^32 - 1 bytes, exactly. */
    f = tiff_open("edge_c", &len);
    ck_assert_int_eq(f.big, 0);
    ck_assert_uint_eq(len + 4294963199u, UINT32_MAX);
    ck_assert_uint_eq(tiff_pages(&f, 1, 4294963199u, 8, 1, 1), 1);
    free((void *)f.t);
    f = tiff_open("edge_b", &len);
    ck_assert_int_eq(f.big, 1);
    ck_assert_uint_eq(tiff_pages(&f, 1, 4294963200u, 8, 1, 1), 1);
    free((void *)f.t);
}
END_TEST

START_TEST(test_tiff_descriptions)
{
    size_t len;
    /* t, z, y, x: ImageJ's TZCYX order. */
    tiff f = tiff_open("ij", &len);
    ck_assert_str_eq(tiff_desc(&f), "ImageJ=1.11a\nimages=6\nslices=3\n"
                     "frames=2\nhyperstack=true\nmode=grayscale\n"
                     "loop=false\n");
    free((void *)f.t);
    /* c before z is not ImageJ's order: OME-XML, the order fastest first. */
    f = tiff_open("noij", &len);
    const char *d = tiff_desc(&f);
    const char *noij[] = {"DimensionOrder=\"XYZCT\"", "Type=\"uint8\"",
                          "SizeZ=\"3\"", "SizeC=\"2\"", "SizeT=\"1\"",
                          "<TiffData IFD=\"0\" PlaneCount=\"6\"/>"};
    for (size_t k = 0; k < sizeof noij / sizeof *noij; k++)
        ck_assert_msg(strstr(d, noij[k]), "'%s' lacks %s", d, noij[k]);
    ck_assert_ptr_null(strstr(d, "PhysicalSize")); /* (no scales) */
    free((void *)f.t);
    /* _ARRAY_DIMENSIONS. */
    f = tiff_open("xr", &len);
    ck_assert_str_eq(tiff_desc(&f), "ImageJ=1.11a\nimages=3\nchannels=3\n"
                     "hyperstack=true\nmode=grayscale\n");
    free((void *)f.t);
    /* An OME-Zarr 0.5 level: OME-XML, sizes = dataset x multiscale scales. */
    f = tiff_open("img/0", &len);
    d = tiff_desc(&f);
    ck_assert_msg(strncmp(d, "<?xml", 5) == 0 && strstr(d, "</OME>"), "%s", d);
    const char *want[] = {
        "xmlns=\"http://www.openmicroscopy.org/Schemas/OME/2016-06\"",
        "DimensionOrder=\"XYCZT\"", "Type=\"int16\"", "SizeX=\"5\"",
        "SizeY=\"4\"", "SizeZ=\"1\"", "SizeC=\"2\"", "SizeT=\"1\"",
        "PhysicalSizeY=\"1.5\"", "PhysicalSizeX=\"0.5\"",
        "PhysicalSizeXUnit=\"\xc2\xb5m\"", "ID=\"Channel:0:1\"",
        "<TiffData IFD=\"0\" PlaneCount=\"2\"/>", "Name=\"img/0\""};
    for (size_t k = 0; k < sizeof want / sizeof *want; k++)
        ck_assert_msg(strstr(d, want[k]), "'%s' lacks %s", d, want[k]);
    ck_assert_msg(strstr(d, "encoding=\"UTF-8\""), "%s", d);
    for (const char *p = d; *p; p++) /* (UTF-8: only the units' mu) */
        ck_assert(*p > 0 || (p[0] == '\xc2' && p[1] == '\xb5' && p++));
    free((void *)f.t);
    /* ImageJ's format is classic only: a BigTIFF gets OME-XML. */
    f = tiff_open("ijbig", &len);
    ck_assert_int_eq(f.big, 1);
    d = tiff_desc(&f);
    ck_assert_msg(strstr(d, "DimensionOrder=\"XYZCT\"") &&
                  strstr(d, "SizeZ=\"3\"") && strstr(d, "Type=\"uint16\""),
                  "%s", d);
    free((void *)f.t);
    /* A sibling the multiscale does not list: no axes, plain pages. */
    f = tiff_open("img/1", &len);
    ck_assert_str_eq(tiff_desc(&f), "{\"shape\": [2, 4, 5]}");
    free((void *)f.t);
}
END_TEST

/* The TIFF header of selection `expr` of array `path` (@F: Fortran). */
static tiff tiff_select(const char *path, const char *expr, int fortran,
                        size_t *len)
{
    zf_array *a = arr(path);
    const zf_array_info *i = zf_array_get_info(a);
    zf_selection s;
    zf_err e = {0};
    ck_assert_int_eq(zf_selection_parse(expr, i->ndim, i->shape, &s, &e), ZF_OK);
    s.fortran = fortran;
    char *text = NULL;
    ck_assert_msg(zf_view_header_selection(a, &s, ZF_VIEW_TIFF, path, &text,
                                           len, &e) == ZF_OK, "%s", e.msg);
    ck_assert_uint_eq(*len % 4096, 0);
    return (tiff){(const uint8_t *)text, *len, 0};
}

START_TEST(test_tiff_selections)
{
    size_t len;
    /* noij[1]: c dropped, z, y, x left: ImageJ's order. */
    tiff f = tiff_select("noij", "1", 0, &len);
    ck_assert_uint_eq(tiff_pages(&f, 4, 5, 8, 1, 4), 3);
    ck_assert_str_eq(tiff_desc(&f), "ImageJ=1.11a\nimages=3\nslices=3\n"
                     "hyperstack=true\nmode=grayscale\n");
    free((void *)f.t);
    /* Fortran order: the reversed shape, whose axes end in z, c. */
    f = tiff_select("noij", "...", 1, &len);
    ck_assert_uint_eq(tiff_pages(&f, 3, 2, 8, 1, 3), 20);
    ck_assert_str_eq(tiff_desc(&f), "{\"shape\": [5, 4, 3, 2]}");
    free((void *)f.t);
    /* Steps scale an OME-Zarr level's physical sizes. */
    f = tiff_select("img/0", ":,::2,1:", 0, &len);
    ck_assert_uint_eq(tiff_pages(&f, 2, 4, 16, 2, 2), 2);
    const char *d = tiff_desc(&f);
    ck_assert_msg(strstr(d, "PhysicalSizeY=\"3\"") &&
                  strstr(d, "PhysicalSizeX=\"0.5\"") && strstr(d, "SizeY=\"2\""),
                  "%s", d);
    free((void *)f.t);
}
END_TEST

START_TEST(test_tiff_refusals)
{
    refused("h2", ZF_VIEW_TIFF, "h2", "no 16-bit floats");
    refused("c8", ZF_VIEW_TIFF, "c8", "TIFF has no complex64");
    refused("b1", ZF_VIEW_TIFF, "b1", "need two dimensions (Y, X), the array has 1");
    refused("s0", ZF_VIEW_TIFF, "s0", "the array has 0");
    refused("e0", ZF_VIEW_TIFF, "e0", "empty");
    refused("many", ZF_VIEW_TIFF, "many", "600000 pages need a TIFF header");
    char *text = NULL;
    size_t len;
    zf_err e = {0};
    ck_assert_int_eq(zf_view_header(arr("v2g/a"), ZF_VIEW_TIFF, "a", &text,
                                    &len, &e), ZF_EMETA);
    ck_assert_ptr_null(text);
    ck_assert_msg(strstr(e.msg, "v2g/a: reading the axes' attributes: "
                         "v2g/.zattrs") == e.msg, "%s", e.msg);
    ck_assert_int_eq(zf_view_holds_data(ZF_VIEW_TIFF), 1);
    ck_assert_int_eq(zf_view_holds_data(ZF_VIEW_NPY), 1);
    ck_assert_int_eq(zf_view_holds_data(ZF_VIEW_MHD), 0);
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
    tcase_add_test(t, test_tiff_layout);
    tcase_add_test(t, test_tiff_descriptions);
    tcase_add_test(t, test_tiff_selections);
    tcase_add_test(t, test_tiff_refusals);
    suite_add_tcase(s, t);
    return tu_run(s);
}
