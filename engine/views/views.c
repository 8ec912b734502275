/*
 * views.c - header views: the text that lets a tool which knows a file
 * format, but not Zarr, open an array's flat bytes (C order, native byte
 * order) without being told the shape and the type.
 *
 *   npy   NAME.npy   NumPy format 1.0 (2.0 past 65535 header bytes): magic,
 *                    version, header length, a dict padded with spaces and
 *                    a newline to a multiple of 64 bytes; the flat bytes
 *                    follow it in the same file.
 *   envi  NAME.hdr   ENVI header for NAME: 1 to 3 dimensions (samples, lines,
 *                    bands from the last three), band sequential.
 *   nrrd  NAME.nhdr  NRRD0004 detached header: "data file: NAME".
 *   mhd   NAME.mhd   MetaImage header: "ElementDataFile = NAME" last.
 *   tiff  NAME.tif   TIFF (tiff.c): every IFD in a header; the flat bytes
 *                    follow it, page by page, as the strips.
 *
 * Choices where a format lacks something (see also README.md):
 *  - bool is shown as 8-bit unsigned (its bytes are 0 or 1) in ENVI, NRRD
 *    and MetaImage; npy says '|b1'.
 *  - complex64/128: ENVI codes 6 and 9; NRRD as float/double with an extra
 *    fastest axis of size 2 whose kind is "complex"; MetaImage as
 *    MET_FLOAT/MET_DOUBLE with ElementNumberOfChannels = 2.
 *  - float16 only in npy; int8 not in ENVI.
 *  - A 0-d array (one element) is a 1-d array of size 1 for NRRD and
 *    MetaImage; ENVI takes 1 to 3 dimensions only.
 *  - An array with a dimension of size 0 has only the npy view.
 *  - Limits: ENVI and MetaImage sizes are C ints in their readers (GDAL,
 *    MetaIO), so a dimension above INT_MAX is refused; NRRD takes at most 16
 *    dimensions (teem's NRRD_DIM_MAX), MetaImage 10.
 *
 * Every refusal is ZF_EUNSUPPORTED with a message "ARRAY: reason".
 * Thread-safe but for TIFF (tiff.h): reads only the array's immutable
 * metadata.  The caller frees
 * the returned text with free().
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine.h"
#include "err.h"
#include "le.h"
#include "text.h"
#include "tiff.h"

#define ZF_NRRD_DIM_MAX 16 /* teem's NRRD_DIM_MAX */
#define ZF_MHD_DIM_MAX 10  /* MetaIO's largest NDims */
#define ZF_NPY_ALIGN 64    /* numpy pads headers to a multiple of this */

static const char *const view_names[ZF_VIEW_COUNT] = {
    "npy", "envi", "nrrd", "mhd", "tiff"};
static const char *const view_suffixes[ZF_VIEW_COUNT] = {
    ".npy", ".hdr", ".nhdr", ".mhd", ".tif"};

const char *zf_view_name(zf_view_format fmt)
{
    return (unsigned)fmt < ZF_VIEW_COUNT ? view_names[fmt] : NULL;
}

const char *zf_view_suffix(zf_view_format fmt)
{
    return (unsigned)fmt < ZF_VIEW_COUNT ? view_suffixes[fmt] : NULL;
}

int zf_view_holds_data(zf_view_format fmt)
{
    return fmt == ZF_VIEW_NPY || fmt == ZF_VIEW_TIFF;
}

/* Hands the text to the caller, or fails with ZF_ENOMEM. */
static zf_code text_finish(zf_text *t, const char *label, char **text,
                           size_t *len, zf_err *err)
{
    if (t->failed || !t->s) {
        free(t->s);
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory building a "
                          "header", label);
    }
    *text = t->s;
    *len = t->len;
    return ZF_OK;
}

/* ---- what each format calls a type -------------------------------------- */

/* One row per Zarr v3 core data type. */
typedef struct view_type {
    const char *dtype;
    char npy_kind;      /* 'b', 'i', 'u', 'f', 'c' */
    int envi;           /* ENVI data type code; 0 = none */
    const char *nrrd;   /* NRRD type; NULL = none (complex: the part type) */
    const char *mhd;    /* MetaImage ElementType; NULL = none */
} view_type;

static const view_type view_types[] = {
    {"bool", 'b', 1, "uint8", "MET_UCHAR"},
    {"int8", 'i', 0, "int8", "MET_CHAR"},
    {"uint8", 'u', 1, "uint8", "MET_UCHAR"},
    {"int16", 'i', 2, "int16", "MET_SHORT"},
    {"uint16", 'u', 12, "uint16", "MET_USHORT"},
    {"int32", 'i', 3, "int32", "MET_INT"},
    {"uint32", 'u', 13, "uint32", "MET_UINT"},
    {"int64", 'i', 14, "int64", "MET_LONG_LONG"},
    {"uint64", 'u', 15, "uint64", "MET_ULONG_LONG"},
    {"float16", 'f', 0, NULL, NULL},
    {"float32", 'f', 4, "float", "MET_FLOAT"},
    {"float64", 'f', 5, "double", "MET_DOUBLE"},
    {"complex64", 'c', 6, "float", "MET_FLOAT"},
    {"complex128", 'c', 9, "double", "MET_DOUBLE"},
};

static const view_type *view_type_of(const char *dtype)
{
    for (size_t i = 0; i < sizeof view_types / sizeof *view_types; i++)
        if (strcmp(view_types[i].dtype, dtype) == 0)
            return &view_types[i];
    return NULL;
}

/* ---- checks shared by the formats ---------------------------------------- */

static zf_code check_dims(const zf_array_info *i, const char *label,
                          const char *format, int max_dims,
                          uint64_t max_size, zf_err *err)
{
    if (i->ndim > max_dims)
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: %s takes at most %d "
                          "dimensions, the array has %d", label, format,
                          max_dims, i->ndim);
    for (int d = 0; d < i->ndim; d++) {
        if (i->shape[d] == 0)
            return zf_err_set(err, ZF_EUNSUPPORTED, "%s: the array is empty "
                              "(dimension %d has size 0), which %s cannot "
                              "describe", label, d, format);
        if (i->shape[d] > max_size)
            return zf_err_set(err, ZF_EUNSUPPORTED, "%s: dimension %d (%llu) "
                              "exceeds %llu, the largest size %s readers take",
                              label, d, (unsigned long long)i->shape[d],
                              (unsigned long long)max_size, format);
    }
    return ZF_OK;
}

/* Whether `name` can stand as the data file of a NRRD or MetaImage header:
 * readers cut surrounding spaces, read "LIST..." as a list of files,
 * "LOCAL" as "in this file" and names with '%' as numbered patterns. */
static zf_code check_data_file(const char *name, const char *label,
                               const char *format, zf_err *err)
{
    const char *why = NULL;
    size_t n = name ? strlen(name) : 0;
    if (n == 0)
        why = "no file name given";
    else if (strncmp(name, "LIST", 4) == 0 || strcasecmp(name, "LOCAL") == 0)
        why = "readers take it for a keyword";
    else if (strchr(name, '%'))
        why = "readers take '%' for a numbered file pattern";
    else if (name[0] == ' ' || name[n - 1] == ' ')
        why = "readers cut its leading and trailing spaces";
    for (size_t k = 0; !why && k < n; k++)
        if ((unsigned char)name[k] < 0x20 || name[k] == 0x7f)
            why = "it holds a control character";
    if (why)
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: the file name cannot be "
                          "written into a %s header: %s", label, format, why);
    return ZF_OK;
}

/* ---- the formats ----------------------------------------------------------- */

static zf_code npy_header(const zf_array_info *i, const view_type *vt,
                          const char *label, int fortran, char **text,
                          size_t *len, zf_err *err)
{
    char order = i->itemsize == 1 ? '|' : zf_native_little() ? '<' : '>';
    zf_text dict = {0};
    zf_text_addf(&dict, "{'descr': '%c%c%zu', 'fortran_order': %s, "
                 "'shape': (", order, vt->npy_kind, i->itemsize,
                 fortran ? "True" : "False");
    for (int d = 0; d < i->ndim; d++)
        zf_text_addf(&dict, "%s%llu", d ? ", " : "",
                     (unsigned long long)i->shape[d]);
    zf_text_addf(&dict, "%s), }", i->ndim == 1 ? "," : "");
    if (dict.failed)
        return text_finish(&dict, label, text, len, err);
    /* magic (6) + version (2) + length (2 in 1.0, 4 in 2.0) + dict + '\n' */
    size_t pre = 10, total = pre + dict.len + 1;
    total = (total + ZF_NPY_ALIGN - 1) / ZF_NPY_ALIGN * ZF_NPY_ALIGN;
    if (total - pre > 65535) {
        pre = 12;
        total = (pre + dict.len + 1 + ZF_NPY_ALIGN - 1) / ZF_NPY_ALIGN *
                ZF_NPY_ALIGN;
    }
    char *out = malloc(total + 1);
    if (!out) {
        free(dict.s);
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory building a "
                          "header", label);
    }
    size_t hlen = total - pre;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = pre == 10 ? 1 : 2;
    out[7] = 0;
    zf_put_le((uint8_t *)out + 8, hlen, (int)(pre - 8));
    memcpy(out + pre, dict.s, dict.len);
    memset(out + pre + dict.len, ' ', total - pre - dict.len - 1);
    out[total - 1] = '\n';
    out[total] = '\0';
    free(dict.s);
    *text = out;
    *len = total;
    return ZF_OK;
}

static zf_code envi_header(const zf_array_info *i, const view_type *vt,
                           const char *label, char **text, size_t *len,
                           zf_err *err)
{
    if (!vt->envi)
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: ENVI has no %s data "
                          "type", label, i->dtype);
    if (i->ndim < 1 || i->ndim > 3)
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: ENVI takes 1 to 3 "
                          "dimensions, the array has %d", label, i->ndim);
    zf_code c = check_dims(i, label, "ENVI", 3, INT_MAX, err);
    if (c != ZF_OK)
        return c;
    uint64_t dims[3] = {1, 1, 1}; /* bands, lines, samples */
    for (int d = 0; d < i->ndim; d++)
        dims[3 - i->ndim + d] = i->shape[d];
    zf_text t = {0};
    zf_text_addf(&t, "ENVI\ndescription = {zarrfs header view of a Zarr "
                 "array}\nsamples = %llu\nlines = %llu\nbands = %llu\n"
                 "header offset = 0\nfile type = ENVI Standard\n"
                 "data type = %d\ninterleave = bsq\nbyte order = %d\n",
                 (unsigned long long)dims[2],
                 (unsigned long long)dims[1], (unsigned long long)dims[0],
                 vt->envi, zf_native_little() ? 0 : 1);
    return text_finish(&t, label, text, len, err);
}

static zf_code nrrd_header(const zf_array_info *i, const view_type *vt,
                           const char *label, const char *data_file,
                           char **text, size_t *len, zf_err *err)
{
    if (!vt->nrrd)
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: NRRD has no %s type",
                          label, i->dtype);
    int complex = vt->npy_kind == 'c';
    zf_code c = check_dims(i, label, "NRRD",
                                   ZF_NRRD_DIM_MAX - complex, UINT64_MAX, err);
    if (c == ZF_OK)
        c = check_data_file(data_file, label, "NRRD", err);
    if (c != ZF_OK)
        return c;
    int ndim = i->ndim ? i->ndim : 1; /* a 0-d array: one element */
    zf_text t = {0};
    zf_text_addf(&t, "NRRD0004\n# zarrfs header view of a Zarr array (%s)\n"
                 "type: %s\ndimension: %d\nsizes:", i->dtype, vt->nrrd,
                 ndim + complex);
    if (complex)
        zf_text_addf(&t, " 2");
    for (int d = ndim - 1; d >= 0; d--)
        zf_text_addf(&t, " %llu",
                     (unsigned long long)(i->ndim ? i->shape[d] : 1));
    if (complex) {
        zf_text_addf(&t, "\nkinds: complex");
        for (int d = 0; d < ndim; d++)
            zf_text_addf(&t, " domain");
    }
    if (i->itemsize > 1)
        zf_text_addf(&t, "\nendian: %s", zf_native_little() ? "little" : "big");
    zf_text_addf(&t, "\nencoding: raw\ndata file: %s\n", data_file);
    return text_finish(&t, label, text, len, err);
}

static zf_code mhd_header(const zf_array_info *i, const view_type *vt,
                          const char *label, const char *data_file,
                          char **text, size_t *len, zf_err *err)
{
    if (!vt->mhd)
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: MetaImage has no %s "
                          "element type", label, i->dtype);
    zf_code c = check_dims(i, label, "MetaImage", ZF_MHD_DIM_MAX,
                                   INT_MAX, err);
    if (c == ZF_OK)
        c = check_data_file(data_file, label, "MetaImage", err);
    if (c != ZF_OK)
        return c;
    int ndim = i->ndim ? i->ndim : 1;
    const char *msb = zf_native_little() ? "False" : "True";
    zf_text t = {0};
    zf_text_addf(&t, "ObjectType = Image\nNDims = %d\nBinaryData = True\n"
                 "CompressedData = False\nDimSize =", ndim);
    for (int d = ndim - 1; d >= 0; d--)
        zf_text_addf(&t, " %llu",
                     (unsigned long long)(i->ndim ? i->shape[d] : 1));
    if (vt->npy_kind == 'c')
        zf_text_addf(&t, "\nElementNumberOfChannels = 2");
    zf_text_addf(&t, "\nElementType = %s\nElementByteOrderMSB = %s\n"
                 "HeaderSize = 0\nElementDataFile = %s\n", vt->mhd, msb,
                 data_file);
    return text_finish(&t, label, text, len, err);
}

void zf_data_file_name(const char *store, const char *path, char *out,
                       size_t size)
{
    const char *src = path[0] ? path : store;
    size_t len = strlen(src);
    while (len > 1 && src[len - 1] == '/')
        len--;
    size_t start = len;
    while (start > 0 && src[start - 1] != '/')
        start--;
    size_t n = len - start;
    if (!path[0] && n > 5 && strncmp(src + len - 5, ".zarr", 5) == 0)
        n -= 5;
    snprintf(out, size, "%.*s", (int)n, src + start);
}

zf_code zf_view_header(const zf_array *a, zf_view_format fmt,
                       const char *data_file, char **text, size_t *len,
                       zf_err *err)
{
    zf_err local;
    if (!err)
        err = &local;
    if (!a || !text || !len || (unsigned)fmt >= ZF_VIEW_COUNT)
        return zf_err_set(err, ZF_EINVAL, "zf_view_header: bad arguments");
    *text = NULL;
    *len = 0;
    const zf_array_info *i = &a->info;
    const char *label = i->path[0] ? i->path : "/";
    if (fmt == ZF_VIEW_TIFF)
        return zf_view_tiff(a, NULL, label, text, len, err);
    const view_type *vt = view_type_of(i->dtype);
    if (!vt)
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: no header view knows "
                          "the data type %s", label, i->dtype);
    switch (fmt) {
    case ZF_VIEW_NPY:
        return npy_header(i, vt, label, 0, text, len, err);
    case ZF_VIEW_ENVI:
        return envi_header(i, vt, label, text, len, err);
    case ZF_VIEW_NRRD:
        return nrrd_header(i, vt, label, data_file, text, len, err);
    default:
        return mhd_header(i, vt, label, data_file, text, len, err);
    }
}

/* A selection's header: the array's, with the result's shape.  Only npy
 * has an order flag; the raster formats list sizes fastest axis first, so
 * a Fortran-order result is described by its reversed shape. */
zf_code zf_view_header_selection(const zf_array *a, const zf_selection *s,
                                 zf_view_format fmt, const char *data_file,
                                 char **text, size_t *len, zf_err *err)
{
    zf_err local;
    if (!err)
        err = &local;
    if (!a || !s || s->ndim != a->ndim || !text || !len)
        return zf_err_set(err, ZF_EINVAL, "zf_view_header_selection: bad "
                          "arguments");
    const char *label = a->info.path[0] ? a->info.path : "/";
    *text = NULL;
    *len = 0;
    if (fmt == ZF_VIEW_TIFF) /* (its axes follow the kept dimensions) */
        return zf_view_tiff(a, s, label, text, len, err);
    uint64_t shape[ZF_MAX_DIMS], rev[ZF_MAX_DIMS];
    int n = zf_selection_shape(s, shape);
    for (int d = 0; d < n; d++)
        rev[d] = shape[n - 1 - d];
    zf_array sub = *a; /* only its info is read */
    sub.info.ndim = n;
    sub.info.shape = s->fortran && fmt != ZF_VIEW_NPY ? rev : shape;
    sub.info.nbytes = zf_selection_nbytes(a, s);
    if (fmt != ZF_VIEW_NPY || !s->fortran)
        return zf_view_header(&sub, fmt, data_file, text, len, err);
    const view_type *vt = view_type_of(a->info.dtype);
    if (!vt)
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: no header view knows "
                          "the data type %s", label, a->info.dtype);
    return npy_header(&sub.info, vt, label, 1, text, len, err);
}
