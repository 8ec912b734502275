/*
 * tiff.c - the TIFF view (tiff.h): a header holding every IFD, followed by
 * the array's flat bytes, which are the pages' strips unchanged.
 *
 * Layout: the TIFF header; page 0's IFD, its ImageDescription and (when a
 * page has several strips) its strip tables; then the IFD and strip tables
 * of each further page; zeros up to a multiple of ZF_TIFF_DATA_ALIGN; the
 * data.  The last two dimensions are Y and X, one page per index of the
 * leading ones in C order; uncompressed, one sample, BlackIsZero, the
 * machine's byte order ("II" on x86).  Classic TIFF when the whole file
 * fits in 32-bit offsets (< 4 GiB), else BigTIFF.  One strip per page,
 * or strips of as many rows as fit in 2^32 - 1 bytes when a page is larger
 * (libtiff and tifffile take strip sizes as 32-bit in places).
 *
 * Axes: an OME-Zarr multiscales in the parent group's attributes (NGFF 0.4
 * "multiscales", 0.5 "ome"."multiscales") listing the array as a dataset,
 * else v3 dimension_names, else _ARRAY_DIMENSIONS; they count only when
 * every name is one of t, c, z, y, x, each once, and the last two are y, x.
 * The first page's ImageDescription is then, in this order of choice:
 *  - OME-XML (built with libxml2) for an OME-Zarr level whose type OME
 *    has (not 64-bit integers), with the physical sizes from the dataset's
 *    and the multiscale's "scale" transformations and the axes' units;
 *  - an ImageJ hyperstack description when the axes are in ImageJ's TZCYX
 *    order, the type is one ImageJ takes (u8, u16, i16, f32, bool as u8)
 *    and the file is classic TIFF (ImageJ's own format has no BigTIFF);
 *  - OME-XML for any other known axes whose type OME has: an order ImageJ's
 *    description cannot say (OME-NGFF's TCZYX above all; ImageJ's own
 *    reader then shows a plain stack, Bio-Formats a hyperstack), a type
 *    ImageJ lacks, a BigTIFF.  DimensionOrder names the order fastest
 *    first: "XY", then the leading axes from the last, then the absent ones;
 *  - otherwise tifffile's {"shape": [...]} JSON, which gives tifffile the
 *    whole shape back and which other readers ignore.
 * OME-XML wins over ImageJ for an OME-Zarr level because tifffile,
 * Bio-Formats and QuPath read it and keep the physical sizes; a TIFF IFD
 * can carry only one description.  A selection's file (NAME[EXPR].tif)
 * has the axes of the dimensions the selection keeps, reversed in Fortran
 * order (the C order of the reversed shape), each physical size times
 * |step|.
 */
#include "tiff.h"

#include <json-c/json.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "meta/meta.h"
#include "meta/nodes.h"

/* The header is kept in memory by its users: this bounds it (about
 * 400000 pages of classic TIFF). */
#define ZF_TIFF_MAX_HEADER ((uint64_t)64 << 20)
#define ZF_TIFF_MAX_STRIP ((uint64_t)UINT32_MAX)

enum { ZF_TIFF_SHORT = 3, ZF_TIFF_LONG = 4, ZF_TIFF_ASCII = 2,
       ZF_TIFF_LONG8 = 16 };

/* ---- sample types ---------------------------------------------------------- */

typedef struct tiff_type {
    int bits, format;  /* BitsPerSample, SampleFormat (1 u, 2 i, 3 f) */
    char ome[16];      /* OME Pixels Type; "" = none (64-bit integers) */
    int imagej;        /* ImageJ opens it: u8 (and bool), u16, i16, f32 */
} tiff_type;

/* The TIFF form of the array's type; 0 for float16 and complex. */
static int tiff_type_of(const zf_dtype *dt, tiff_type *tt)
{
    int bits = (int)dt->size * 8;
    memset(tt, 0, sizeof *tt);
    tt->bits = bits;
    tt->format = dt->kind == ZF_KIND_INT ? 2 : dt->kind == ZF_KIND_FLOAT ? 3 : 1;
    if (dt->kind == ZF_KIND_COMPLEX || (tt->format == 3 && bits == 16))
        return 0;
    if (tt->format == 3)
        snprintf(tt->ome, sizeof tt->ome, bits == 32 ? "float" : "double");
    else if (bits < 64)
        snprintf(tt->ome, sizeof tt->ome, "%sint%d",
                 tt->format == 1 ? "u" : "", bits);
    tt->imagej = (tt->format == 1 && bits <= 16) ||
                 (tt->format == 2 && bits == 16) ||
                 (tt->format == 3 && bits == 32);
    return 1;
}

/* ---- axes -------------------------------------------------------------------- */

typedef struct tiff_axes {
    char letter[ZF_MAX_DIMS];    /* 't', 'c', 'z', 'y', 'x' */
    int known;                   /* letters are set and usable */
    int ome;                     /* a level of an OME-Zarr multiscale */
    double scale[ZF_MAX_DIMS];   /* physical size of one element; 0: none */
    const char *unit[ZF_MAX_DIMS]; /* NGFF unit name, or NULL */
} tiff_axes;

/* Sets the letters from a list of names (strings, or NGFF axis objects
 * with "name"); 0 when the list does not name ndim t/c/z/y/x axes, each
 * once, ending with y, x. */
static int tiff_letters(json_object *list, int ndim, tiff_axes *ax)
{
    if (!list || !json_object_is_type(list, json_type_array) ||
        (int)json_object_array_length(list) != ndim)
        return 0;
    unsigned seen = 0;
    for (int d = 0; d < ndim; d++) {
        json_object *it = json_object_array_get_idx(list, (size_t)d);
        json_object *unit = zf_json_get(it, "unit");
        if (json_object_is_type(it, json_type_object))
            it = zf_json_get(it, "name");
        const char *s = json_object_is_type(it, json_type_string)
                            ? json_object_get_string(it) : "";
        const char *at = strchr("tczyx", s[0] | 0x20);
        if (!s[0] || s[1] || !at || (seen & (1u << (at - "tczyx"))))
            return 0;
        seen |= 1u << (at - "tczyx");
        ax->letter[d] = *at;
        ax->unit[d] = json_object_is_type(unit, json_type_string)
                          ? json_object_get_string(unit) : NULL;
    }
    return ax->letter[ndim - 2] == 'y' && ax->letter[ndim - 1] == 'x';
}

/* Multiplies `scale` by the "scale" transformations of a list. */
static void tiff_apply_scale(json_object *list, int ndim, double *scale,
                             int *found)
{
    size_t n = json_object_is_type(list, json_type_array)
                   ? json_object_array_length(list) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *t = json_object_array_get_idx(list, i);
        json_object *type = zf_json_get(t, "type");
        json_object *s = zf_json_get(t, "scale");
        if (!type || strcmp(json_object_get_string(type), "scale") != 0 ||
            !json_object_is_type(s, json_type_array) ||
            (int)json_object_array_length(s) != ndim)
            continue;
        for (int d = 0; d < ndim; d++)
            scale[d] *= json_object_get_double(
                json_object_array_get_idx(s, (size_t)d));
        *found = 1;
    }
}

/* Looks for the multiscale of `group_attrs` that lists `name` as one of
 * its datasets; fills ax from it (1) or returns 0. */
static int tiff_from_multiscales(json_object *group_attrs,
                                 const char *name, int ndim,
                                 tiff_axes *ax)
{
    json_object *all = zf_json_get(group_attrs, "multiscales");
    if (!all)
        all = zf_json_get(zf_json_get(group_attrs, "ome"), "multiscales");
    size_t n = json_object_is_type(all, json_type_array)
                   ? json_object_array_length(all) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *ms = json_object_array_get_idx(all, i);
        json_object *ds = zf_json_get(ms, "datasets");
        size_t nds = json_object_is_type(ds, json_type_array)
                         ? json_object_array_length(ds) : 0;
        for (size_t k = 0; k < nds; k++) {
            json_object *d = json_object_array_get_idx(ds, k);
            json_object *path = zf_json_get(d, "path");
            if (!json_object_is_type(path, json_type_string) ||
                strcmp(json_object_get_string(path), name) != 0)
                continue;
            if (!tiff_letters(zf_json_get(ms, "axes"), ndim, ax))
                return 0;
            int found = 0;
            for (int a = 0; a < ndim; a++)
                ax->scale[a] = 1;
            tiff_apply_scale(zf_json_get(d, "coordinateTransformations"),
                                ndim, ax->scale, &found);
            tiff_apply_scale(zf_json_get(ms, "coordinateTransformations"),
                                ndim, ax->scale, &found);
            for (int a = 0; a < ndim; a++)
                if (!found || !isfinite(ax->scale[a]) || ax->scale[a] <= 0)
                    ax->scale[a] = 0;
            return ax->ome = 1;
        }
    }
    return 0;
}

/* Finds the axes of `a` (see the top of the file).  The JSON documents
 * stay in *keep (freed by the caller) while ax's unit strings are used. */
static zf_code tiff_find_axes(const zf_array *a, tiff_axes *ax,
                              json_object *keep[3], zf_err *err)
{
    const zf_array_info *i = &a->info;
    memset(ax, 0, sizeof *ax);
    const char *path = i->path ? i->path : "";
    const char *slash = strrchr(path, '/');
    zf_code c = ZF_OK;
    if (path[0]) { /* the parent group: multiscales */
        char parent[4096];
        snprintf(parent, sizeof parent, "%.*s",
                 slash ? (int)(slash - path) : 0, path);
        c = zf_node_attrs(a->z, parent, &keep[0], err);
        if (c == ZF_OK && tiff_from_multiscales(keep[0], slash ? slash + 1
                                                   : path, i->ndim, ax))
            return ax->known = 1, ZF_OK;
    }
    if (c == ZF_OK)
        c = zf_json_parse(a->metadata_json, strlen(a->metadata_json), path,
                          &keep[1], err);
    if (c != ZF_OK)
        return c;
    json_object *attrs = zf_json_get(keep[1], "attributes");
    if (json_object_get_int(zf_json_get(keep[1], "zarr_format")) == 2) {
        c = zf_node_attrs(a->z, path, &keep[2], err);
        attrs = keep[2];
    }
    memset(ax, 0, sizeof *ax);
    ax->known = c == ZF_OK &&
                (tiff_letters(zf_json_get(keep[1], "dimension_names"),
                                 i->ndim, ax) ||
                 tiff_letters(zf_json_get(attrs, "_ARRAY_DIMENSIONS"),
                                 i->ndim, ax));
    return c;
}

/* ---- descriptions --------------------------------------------------------- */

/* The size of each of t, z and c (1 when absent). */
static void tiff_tzc(const zf_array_info *i, const tiff_axes *ax,
                     uint64_t *t, uint64_t *z, uint64_t *c)
{
    *t = *z = *c = 1;
    for (int d = 0; d < i->ndim - 2; d++)
        *(ax->letter[d] == 't' ? t : ax->letter[d] == 'z' ? z : c) =
            i->shape[d];
}

/* Whether the axes are in ImageJ's TZCYX order (axes of size 1 do not
 * count: an OME-Zarr TCZYX image with one channel or one plane fits). */
static int tiff_imagej_order(const zf_array_info *i, const tiff_axes *ax)
{
    int last = -1;
    for (int d = 0; d < i->ndim; d++) {
        int k = (int)(strchr("tzcyx", ax->letter[d]) - "tzcyx");
        if (i->shape[d] == 1 && d < i->ndim - 2)
            continue;
        if (k <= last)
            return 0;
        last = k;
    }
    return 1;
}

/* ImageJ's hyperstack description, in the form ImageJ writes it. */
static char *tiff_imagej(const zf_array_info *i, const tiff_axes *ax)
{
    uint64_t t, z, c;
    tiff_tzc(i, ax, &t, &z, &c);
    char *s = NULL;
    char ch[32] = "", sl[32] = "", fr[32] = "";
    if (c > 1)
        snprintf(ch, sizeof ch, "channels=%llu\n", (unsigned long long)c);
    if (z > 1)
        snprintf(sl, sizeof sl, "slices=%llu\n", (unsigned long long)z);
    if (t > 1)
        snprintf(fr, sizeof fr, "frames=%llu\n", (unsigned long long)t);
    if (asprintf(&s, "ImageJ=1.11a\nimages=%llu\n%s%s%shyperstack=true\n"
                 "mode=grayscale\n%s", (unsigned long long)(t * z * c), ch,
                 sl, fr, t > 1 ? "loop=false\n" : "") < 0)
        return NULL;
    return s;
}

/* tifffile's shaped description: {"shape": [...]}. */
static char *tiff_shaped(const zf_array_info *i)
{
    size_t size = 16 + (size_t)i->ndim * 22, used = 0;
    char *s = malloc(size);
    if (!s)
        return NULL;
    used += (size_t)snprintf(s, size, "{\"shape\": [");
    for (int d = 0; d < i->ndim; d++)
        used += (size_t)snprintf(s + used, size - used, "%s%llu",
                                 d ? ", " : "",
                                 (unsigned long long)i->shape[d]);
    snprintf(s + used, size - used, "]}");
    return s;
}

/* NGFF (UDUNITS) unit names and OME's symbols for them. */
static const char *const tiff_units[][2] = {
    {"angstrom", "\xc3\x85"}, {"attometer", "am"}, {"centimeter", "cm"},
    {"decimeter", "dm"}, {"exameter", "Em"}, {"femtometer", "fm"},
    {"foot", "ft"}, {"gigameter", "Gm"}, {"hectometer", "hm"},
    {"inch", "in"}, {"kilometer", "km"}, {"megameter", "Mm"},
    {"meter", "m"}, {"micrometer", "\xc2\xb5m"}, {"mile", "mi"},
    {"millimeter", "mm"}, {"nanometer", "nm"}, {"parsec", "pc"},
    {"petameter", "Pm"}, {"picometer", "pm"}, {"terameter", "Tm"},
    {"yard", "yd"}, {"yoctometer", "ym"}, {"yottameter", "Ym"},
    {"zeptometer", "zm"}, {"zettameter", "Zm"},
    {"attosecond", "as"}, {"centisecond", "cs"}, {"day", "d"},
    {"decisecond", "ds"}, {"exasecond", "Es"}, {"femtosecond", "fs"},
    {"gigasecond", "Gs"}, {"hectosecond", "hs"}, {"hour", "h"},
    {"kilosecond", "ks"}, {"megasecond", "Ms"}, {"microsecond", "\xc2\xb5s"},
    {"millisecond", "ms"}, {"minute", "min"}, {"nanosecond", "ns"},
    {"petasecond", "Ps"}, {"picosecond", "ps"}, {"second", "s"},
    {"terasecond", "Ts"}, {"yoctosecond", "ys"}, {"yottasecond", "Ys"},
    {"zeptosecond", "zs"}, {"zettasecond", "Zs"},
};
#define ZF_TIFF_NLENGTH 26 /* the first rows are lengths, then times */

/* OME's symbol for an NGFF unit of the right kind (time or length). */
static const char *tiff_unit(const char *ngff, int time)
{
    size_t n = sizeof tiff_units / sizeof *tiff_units;
    for (size_t k = time ? ZF_TIFF_NLENGTH : 0;
         ngff && k < (time ? n : ZF_TIFF_NLENGTH); k++)
        if (strcmp(tiff_units[k][0], ngff) == 0)
            return tiff_units[k][1];
    return NULL;
}

static void tiff_xml_u64(xmlNodePtr n, const char *name, uint64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "%llu", (unsigned long long)v);
    xmlNewProp(n, BAD_CAST name, BAD_CAST s);
}

/* PhysicalSizeX/Y/Z or TimeIncrement of axis d, with its unit; nothing
 * when the size or a known unit is missing (OME would assume µm or s). */
static void tiff_xml_size(xmlNodePtr px, const tiff_axes *ax, int d)
{
    char letter = ax->letter[d];
    const char *sym = tiff_unit(ax->unit[d], letter == 't');
    if (letter == 'c' || ax->scale[d] <= 0 || !sym)
        return;
    char attr[32], unit[40], v[40];
    if (letter == 't')
        snprintf(attr, sizeof attr, "TimeIncrement");
    else
        snprintf(attr, sizeof attr, "PhysicalSize%c", letter - 32);
    snprintf(unit, sizeof unit, "%sUnit", attr);
    snprintf(v, sizeof v, "%.17g", ax->scale[d]);
    xmlNewProp(px, BAD_CAST attr, BAD_CAST v);
    xmlNewProp(px, BAD_CAST unit, BAD_CAST sym);
}

/* The OME Pixels element's attributes and children. */
static void tiff_xml_pixels(xmlNodePtr px, const zf_array_info *i,
                            const tiff_type *tt, const tiff_axes *ax,
                            uint64_t pages)
{
    char order[6] = "XY";
    size_t k = 2;
    for (int d = i->ndim - 3; d >= 0; d--) /* fastest first */
        order[k++] = (char)(ax->letter[d] - 32);
    for (const char *m = "ZCT"; *m; m++)
        if (!memchr(order, *m, k))
            order[k++] = *m;
    uint64_t t, z, c;
    tiff_tzc(i, ax, &t, &z, &c);
    xmlNewProp(px, BAD_CAST "ID", BAD_CAST "Pixels:0");
    xmlNewProp(px, BAD_CAST "DimensionOrder", BAD_CAST order);
    xmlNewProp(px, BAD_CAST "Type", BAD_CAST tt->ome);
    tiff_xml_u64(px, "SizeX", i->shape[i->ndim - 1]);
    tiff_xml_u64(px, "SizeY", i->shape[i->ndim - 2]);
    tiff_xml_u64(px, "SizeZ", z);
    tiff_xml_u64(px, "SizeC", c);
    tiff_xml_u64(px, "SizeT", t);
    for (int d = 0; d < i->ndim; d++)
        tiff_xml_size(px, ax, d);
    xmlNewProp(px, BAD_CAST "BigEndian",
               BAD_CAST(zf_native_little() ? "false" : "true"));
    xmlNewProp(px, BAD_CAST "Interleaved", BAD_CAST "false");
    for (uint64_t ch = 0; ch < c; ch++) {
        char id[48];
        snprintf(id, sizeof id, "Channel:0:%llu", (unsigned long long)ch);
        xmlNodePtr n = xmlNewChild(px, NULL, BAD_CAST "Channel", NULL);
        xmlNewProp(n, BAD_CAST "ID", BAD_CAST id);
        xmlNewProp(n, BAD_CAST "SamplesPerPixel", BAD_CAST "1");
    }
    xmlNodePtr td = xmlNewChild(px, NULL, BAD_CAST "TiffData", NULL);
    xmlNewProp(td, BAD_CAST "IFD", BAD_CAST "0");
    tiff_xml_u64(td, "PlaneCount", pages);
}

/* OME-XML (schema 2016-06) for the image, in UTF-8 as OME-TIFF stores it
 * (TIFF's ASCII type is 7-bit, but the units need "\xc2\xb5m", and
 * Bio-Formats does not decode character references such as "&#181;" in a
 * description: it refused "&#181;m" as a unit, measured with 7.3.1). */
static char *tiff_ome(const zf_array_info *i, const tiff_type *tt,
                      const tiff_axes *ax, uint64_t pages)
{
    static const char ns[] = "http://www.openmicroscopy.org/Schemas/OME/2016-06";
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr ome = doc ? xmlNewNode(NULL, BAD_CAST "OME") : NULL;
    if (!ome) {
        xmlFreeDoc(doc);
        return NULL;
    }
    xmlDocSetRootElement(doc, ome);
    xmlSetNs(ome, xmlNewNs(ome, BAD_CAST ns, NULL));
    xmlNsPtr xsi = xmlNewNs(ome, BAD_CAST "http://www.w3.org/2001/XMLSchema-instance",
                            BAD_CAST "xsi");
    xmlNewNsProp(ome, xsi, BAD_CAST "schemaLocation",
                 BAD_CAST "http://www.openmicroscopy.org/Schemas/OME/2016-06 "
                          "http://www.openmicroscopy.org/Schemas/OME/2016-06/ome.xsd");
    xmlNewProp(ome, BAD_CAST "Creator", BAD_CAST "zarrfs " ZF_VERSION);
    xmlNodePtr img = xmlNewChild(ome, NULL, BAD_CAST "Image", NULL);
    xmlNewProp(img, BAD_CAST "ID", BAD_CAST "Image:0");
    xmlNewProp(img, BAD_CAST "Name", BAD_CAST(i->path[0] ? i->path : "image"));
    tiff_xml_pixels(xmlNewChild(img, NULL, BAD_CAST "Pixels", NULL), i, tt,
                       ax, pages);
    xmlChar *mem = NULL;
    int size = 0;
    xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
    xmlFreeDoc(doc);
    char *s = mem ? strndup((const char *)mem, (size_t)size) : NULL;
    xmlFree(mem);
    return s;
}

/* Whether the OME model can hold the image: its sizes are 31-bit ints. */
static int tiff_ome_fits(const zf_array_info *i, uint64_t pages)
{
    for (int d = 0; d < i->ndim; d++)
        if (i->shape[d] > INT32_MAX)
            return 0;
    return pages <= INT32_MAX;
}

/* ---- the layout ---------------------------------------------------------- */

typedef struct tiff_layout {
    int big;
    uint64_t pages, width, height;
    uint64_t rows_per_strip, strips, row_bytes, page_bytes, strip_bytes;
    uint64_t first_size, page_size; /* IFD + its data, page 0 / the others */
    uint64_t data;                  /* where the flat bytes start */
    const char *desc;
    size_t desc_len;                /* with its NUL */
} tiff_layout;

#define ZF_TIFF_NTAGS 11 /* and ImageDescription on page 0 */

static uint64_t align_up(uint64_t v, uint64_t to)
{
    return (v + to - 1) / to * to;
}

static uint64_t tiff_ifd_size(int big, int ntags)
{
    return big ? 8 + 20 * (uint64_t)ntags + 8 : 2 + 12 * (uint64_t)ntags + 4;
}

/* Bytes of the strip tables of one page (none when they fit in the IFD). */
static uint64_t tiff_tables(const tiff_layout *l)
{
    uint64_t w = l->big ? 8 : 4;
    return l->strips * w > w ? 2 * l->strips * w : 0;
}

/* Sizes everything for classic (big = 0) or BigTIFF. */
static void tiff_plan(tiff_layout *l, int big)
{
    l->big = big;
    uint64_t inline_bytes = big ? 8 : 4;
    uint64_t desc = l->desc_len > inline_bytes ? align_up(l->desc_len, 8) : 0;
    l->first_size = align_up(tiff_ifd_size(big, ZF_TIFF_NTAGS + 1), 8) +
                    desc + tiff_tables(l);
    l->page_size = align_up(tiff_ifd_size(big, ZF_TIFF_NTAGS), 8) +
                   tiff_tables(l);
    uint64_t end = (big ? 16 : 8) + l->first_size +
                   (l->pages - 1) * l->page_size;
    l->data = align_up(end, ZF_TIFF_DATA_ALIGN);
}

/* ---- writing ---------------------------------------------------------------- */

/* Values are written in the machine's byte order, which the header's
 * "II" / "MM" declares. */
static uint8_t *zf_put(uint8_t *p, uint64_t v, int bytes)
{
    uint16_t v16 = (uint16_t)v;
    uint32_t v32 = (uint32_t)v;
    memcpy(p, bytes == 2 ? (void *)&v16 : bytes == 4 ? (void *)&v32 : &v,
           (size_t)bytes);
    return p + bytes;
}

static int tiff_type_size(int type)
{
    return type == ZF_TIFF_SHORT ? 2 : type == ZF_TIFF_LONG8 ? 8
           : type == ZF_TIFF_LONG ? 4 : 1;
}

/* One IFD entry: the value inline when count values fit, else `v` is the
 * offset of the values. */
static uint8_t *tiff_entry(uint8_t *p, int big, int tag, int type,
                           uint64_t count, uint64_t v)
{
    int field = big ? 8 : 4;
    p = zf_put(p, (uint64_t)tag, 2);
    p = zf_put(p, (uint64_t)type, 2);
    p = zf_put(p, count, big ? 8 : 4);
    memset(p, 0, (size_t)field);
    if (count * (uint64_t)tiff_type_size(type) > (uint64_t)field)
        zf_put(p, v, field);
    else
        zf_put(p, v, tiff_type_size(type));
    return p + field;
}

/* Writes page `pg`'s IFD at `at` (and its description and strip tables
 * after it); `next` is the next IFD's offset, 0 for none. */
static void tiff_write_ifd(uint8_t *base, uint64_t at, uint64_t next,
                           const tiff_layout *l, const tiff_type *tt,
                           uint64_t pg)
{
    int big = l->big, ntags = ZF_TIFF_NTAGS + (pg == 0);
    int off_type = big ? ZF_TIFF_LONG8 : ZF_TIFF_LONG, w = big ? 8 : 4;
    uint64_t extra = at + align_up(tiff_ifd_size(big, ntags), 8);
    uint64_t desc_at = 0;
    if (pg == 0 && l->desc_len > (uint64_t)w) {
        desc_at = extra;
        memcpy(base + desc_at, l->desc, l->desc_len - 1);
        extra += align_up(l->desc_len, 8);
    }
    uint64_t first = l->data + pg * l->page_bytes;
    uint64_t offsets = extra, counts = extra + l->strips * (uint64_t)w;
    for (uint64_t s = 0; tiff_tables(l) && s < l->strips; s++) {
        uint64_t rows = s + 1 < l->strips
                            ? l->rows_per_strip
                            : l->height - s * l->rows_per_strip;
        zf_put(base + offsets + s * (uint64_t)w, first + s * l->strip_bytes, w);
        zf_put(base + counts + s * (uint64_t)w, rows * l->row_bytes, w);
    }
    uint8_t *p = zf_put(base + at, (uint64_t)ntags, big ? 8 : 2);
    p = tiff_entry(p, big, 256, ZF_TIFF_LONG, 1, l->width);
    p = tiff_entry(p, big, 257, ZF_TIFF_LONG, 1, l->height);
    p = tiff_entry(p, big, 258, ZF_TIFF_SHORT, 1, (uint64_t)tt->bits);
    p = tiff_entry(p, big, 259, ZF_TIFF_SHORT, 1, 1); /* no compression */
    p = tiff_entry(p, big, 262, ZF_TIFF_SHORT, 1, 1); /* BlackIsZero */
    if (pg == 0) {
        uint64_t v = desc_at;
        if (!desc_at) /* (short enough to sit in the entry) */
            memcpy(&v, l->desc, l->desc_len);
        p = tiff_entry(p, big, 270, ZF_TIFF_ASCII, l->desc_len, v);
    }
    int one = l->strips == 1;
    p = tiff_entry(p, big, 273, off_type, l->strips, one ? first : offsets);
    p = tiff_entry(p, big, 277, ZF_TIFF_SHORT, 1, 1); /* one sample */
    p = tiff_entry(p, big, 278, ZF_TIFF_LONG, 1, l->rows_per_strip);
    p = tiff_entry(p, big, 279, off_type, l->strips,
                      one ? l->page_bytes : counts);
    p = tiff_entry(p, big, 284, ZF_TIFF_SHORT, 1, 1); /* contiguous */
    p = tiff_entry(p, big, 339, ZF_TIFF_SHORT, 1, (uint64_t)tt->format);
    zf_put(p, next, w);
}

static zf_code tiff_write(const tiff_layout *l, const tiff_type *tt,
                          const char *label, char **out, size_t *len,
                          zf_err *err)
{
    uint8_t *h = calloc(1, (size_t)l->data + 1);
    if (!h)
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory building a "
                          "TIFF header", label);
    uint64_t first = l->big ? 16 : 8;
    memcpy(h, zf_native_little() ? "II" : "MM", 2);
    if (l->big) {
        zf_put(zf_put(zf_put(h + 2, 43, 2), 8, 2), 0, 2);
        zf_put(h + 8, first, 8);
    } else {
        zf_put(zf_put(h + 2, 42, 2), first, 4);
    }
    uint64_t at = first;
    for (uint64_t pg = 0; pg < l->pages; pg++) {
        uint64_t size = pg ? l->page_size : l->first_size;
        tiff_write_ifd(h, at, pg + 1 < l->pages ? at + size : 0, l, tt, pg);
        at += size;
    }
    *out = (char *)h;
    *len = (size_t)l->data;
    return ZF_OK;
}

/* ---- the view ---------------------------------------------------------------- */

static zf_code tiff_check(const zf_array *a, const zf_array_info *i,
                          const char *label, tiff_type *tt, zf_err *err)
{
    if (strcmp(i->dtype, "float16") == 0)
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: TIFF readers take no "
                          "16-bit floats (libtiff and ImageJ do not)", label);
    if (!tiff_type_of(a->dt, tt))
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: TIFF has no %s sample "
                          "type that its readers take", label, i->dtype);
    if (i->ndim < 2)
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: TIFF pages need two "
                          "dimensions (Y, X), the array has %d", label,
                          i->ndim);
    for (int d = 0; d < i->ndim; d++)
        if (i->shape[d] == 0)
            return zf_err_set(err, ZF_EUNSUPPORTED, "%s: the array is empty "
                              "(dimension %d has size 0), which TIFF cannot "
                              "describe", label, d);
    for (int d = i->ndim - 2; d < i->ndim; d++)
        if (i->shape[d] > UINT32_MAX)
            return zf_err_set(err, ZF_EUNSUPPORTED, "%s: dimension %d (%llu) "
                              "exceeds TIFF's largest image size, %u", label,
                              d, (unsigned long long)i->shape[d], UINT32_MAX);
    uint64_t row = i->shape[i->ndim - 1] * i->itemsize;
    if (row > ZF_TIFF_MAX_STRIP)
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: one row (%llu bytes) is "
                          "larger than a TIFF strip can be", label,
                          (unsigned long long)row);
    return ZF_OK;
}

/* The pages and strips of the array (checked by tiff_check). */
static void tiff_shape(const zf_array_info *i, tiff_layout *l)
{
    l->pages = 1;
    for (int d = 0; d < i->ndim - 2; d++)
        l->pages *= i->shape[d];
    l->width = i->shape[i->ndim - 1];
    l->height = i->shape[i->ndim - 2];
    uint64_t row = l->row_bytes = l->width * i->itemsize;
    l->page_bytes = row * l->height;
    l->rows_per_strip = l->page_bytes <= ZF_TIFF_MAX_STRIP
                            ? l->height : ZF_TIFF_MAX_STRIP / row;
    l->strips = (l->height + l->rows_per_strip - 1) / l->rows_per_strip;
    l->strip_bytes = l->rows_per_strip * row;
}

/* Sets the description l points to (the caller frees *desc). */
static zf_code tiff_set_desc(tiff_layout *l, char **desc, char *s)
{
    free(*desc);
    *desc = s;
    if (!s)
        return ZF_ENOMEM;
    l->desc = s;
    l->desc_len = strlen(s) + 1;
    return ZF_OK;
}

/* Chooses the description (see the top of the file) and the TIFF kind. */
static zf_code tiff_describe(const zf_array_info *i, const tiff_type *tt,
                             const tiff_axes *ax, tiff_layout *l,
                             char **desc)
{
    *desc = NULL;
    int ome = ax->known && tt->ome[0] && tiff_ome_fits(i, l->pages);
    int imagej = ax->known && tt->imagej && tiff_imagej_order(i, ax);
    zf_code c = tiff_set_desc(l, desc, ome && (ax->ome || !imagej)
                                           ? tiff_ome(i, tt, ax, l->pages)
                                       : imagej ? tiff_imagej(i, ax)
                                                : tiff_shaped(i));
    if (c != ZF_OK)
        return c;
    tiff_plan(l, 0);
    if (l->data + i->nbytes <= UINT32_MAX)
        return ZF_OK;
    if (strncmp(*desc, "ImageJ=", 7) == 0) /* ImageJ's is classic only */
        c = tiff_set_desc(l, desc, ome ? tiff_ome(i, tt, ax, l->pages)
                                       : tiff_shaped(i));
    tiff_plan(l, 1);
    return c;
}

/* The file's shape: a selection's result (reversed in Fortran order,
 * which is the C order of the reversed shape), in `shape`. */
static void tiff_select_info(const zf_array *a, const zf_selection *s,
                             zf_array_info *i, uint64_t *shape)
{
    int n = zf_selection_shape(s, shape);
    for (int d = 0; s->fortran && d < n / 2; d++) {
        uint64_t x = shape[d];
        shape[d] = shape[n - 1 - d];
        shape[n - 1 - d] = x;
    }
    i->ndim = n;
    i->shape = shape;
    i->nbytes = zf_selection_nbytes(a, s);
}

/* The axes of a selection's result: those of the dimensions it keeps
 * (reversed in Fortran order), each element as long as |step| of the
 * array's; known only while they still end in y, x. */
static void tiff_select_axes(tiff_axes *ax, const zf_selection *s)
{
    tiff_axes r = *ax;
    int n = 0;
    for (int d = 0; d < s->ndim; d++) {
        if (s->dropped[d])
            continue;
        int to = n++;
        r.letter[to] = ax->letter[d];
        r.unit[to] = ax->unit[d];
        r.scale[to] = ax->scale[d] * (double)(s->step[d] < 0 ? -s->step[d]
                                                            : s->step[d]);
    }
    for (int d = 0; s->fortran && d < n / 2; d++) {
        tiff_axes t = r;
        r.letter[d] = t.letter[n - 1 - d], r.letter[n - 1 - d] = t.letter[d];
        r.unit[d] = t.unit[n - 1 - d], r.unit[n - 1 - d] = t.unit[d];
        r.scale[d] = t.scale[n - 1 - d], r.scale[n - 1 - d] = t.scale[d];
    }
    r.known = ax->known && n >= 2 && r.letter[n - 2] == 'y' &&
              r.letter[n - 1] == 'x';
    *ax = r;
}

zf_code zf_view_tiff(const zf_array *a, const zf_selection *s,
                     const char *label, char **out, size_t *len, zf_err *err)
{
    zf_array_info file = a->info;
    uint64_t shape[ZF_MAX_DIMS];
    if (s)
        tiff_select_info(a, s, &file, shape);
    const zf_array_info *i = &file;
    tiff_type tt;
    zf_code c = tiff_check(a, i, label, &tt, err);
    if (c != ZF_OK)
        return c;
    tiff_layout l = {0};
    tiff_shape(i, &l);
    /* (a bound on the header before anything is built) */
    if (l.pages > ZF_TIFF_MAX_HEADER / tiff_ifd_size(0, ZF_TIFF_NTAGS))
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: %llu pages need a TIFF "
                          "header larger than zarrfs keeps (%llu MiB)", label,
                          (unsigned long long)l.pages,
                          (unsigned long long)(ZF_TIFF_MAX_HEADER >> 20));
    tiff_axes ax;
    json_object *keep[3] = {NULL, NULL, NULL};
    c = tiff_find_axes(a, &ax, keep, err);
    if (c != ZF_OK && c != ZF_ENOMEM)
        zf_err_prefix(err, "%s: reading the axes' attributes", label);
    if (c == ZF_OK && s)
        tiff_select_axes(&ax, s);
    char *desc = NULL;
    if (c == ZF_OK && tiff_describe(i, &tt, &ax, &l, &desc) != ZF_OK)
        c = zf_err_set(err, ZF_ENOMEM, "%s: out of memory building a TIFF "
                       "description", label);
    if (c == ZF_OK && l.data > ZF_TIFF_MAX_HEADER)
        c = zf_err_set(err, ZF_EUNSUPPORTED, "%s: %llu pages need a TIFF "
                       "header larger than zarrfs keeps (%llu MiB)", label,
                       (unsigned long long)l.pages,
                       (unsigned long long)(ZF_TIFF_MAX_HEADER >> 20));
    if (c == ZF_OK)
        c = tiff_write(&l, &tt, label, out, len, err);
    free(desc);
    for (int k = 0; k < 3; k++)
        json_object_put(keep[k]);
    return c;
}
