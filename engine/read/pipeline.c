/* pipeline.c - building codec pipelines from zarr.json; see pipeline.h. */
#include "pipeline.h"
#include "jsonb.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZF_MAX_SHARD_NESTING 4

static zf_code build(json_object *codecs, int ndim, const uint64_t *shape,
                     const zf_dtype *dt, const void *fill, int depth, int v2,
                     zf_pipeline **out, zf_err *err);

/* Reads a JSON array of ndim positive integers. */
static zf_code read_shape(json_object *a, int ndim, uint64_t *out,
                          const char *what, zf_err *err)
{
    if (!a || !json_object_is_type(a, json_type_array) ||
        (int)json_object_array_length(a) != ndim)
        return zf_err_set(err, ZF_EMETA, "%s must be an array of %d integers",
                          what, ndim);
    for (int d = 0; d < ndim; d++) {
        json_object *v = json_object_array_get_idx(a, d);
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) <= 0)
            return zf_err_set(err, ZF_EMETA, "%s[%d] must be a positive integer",
                              what, d);
        out[d] = (uint64_t)json_object_get_int64(v);
    }
    return ZF_OK;
}

static void append(char **s, const char *piece)
{
    size_t a = *s ? strlen(*s) : 0, b = strlen(piece);
    char *n = realloc(*s, a + b + 2);
    if (!n)
        return;
    if (a)
        n[a++] = ' ';
    memcpy(n + a, piece, b + 1);
    *s = n;
}

/* An array->array codec of the table (codec/aa.h); `shape` becomes the shape
 * it hands on. */
static zf_code add_aa(zf_pipeline *p, const zf_aa_ops *ops, json_object *conf,
                      uint64_t *shape, zf_err *err)
{
    zf_aacodec *c = &p->aa[p->naa];
    zf_code rc = zf_aacodec_init(c, ops, conf, p->ndim, shape, p->dt, err);
    if (rc != ZF_OK)
        return rc;
    append(&p->describe, c->desc);
    p->naa++;
    p->naa_delta += ops->view == NULL;
    return ZF_OK;
}

static zf_code parse_bytes(zf_pipeline *p, json_object *conf, zf_err *err)
{
    json_object *e = zf_json_get(conf, "endian");
    const char *s = e ? json_object_get_string(e) : NULL;
    if (!s) {
        if (p->dt->size > 1)
            return zf_err_set(err, ZF_EMETA, "bytes: endian is required for %s",
                              p->dt->name);
        s = "little";
    }
    if (strcmp(s, "little") != 0 && strcmp(s, "big") != 0)
        return zf_err_set(err, ZF_EMETA, "bytes: endian \"%s\"", s);
    p->big_endian = strcmp(s, "big") == 0;
    append(&p->describe, p->big_endian ? "bytes(big)" : "bytes(little)");
    return ZF_OK;
}

/* The index's encoded size must be known before it is read, so its codecs
 * are limited to those of fixed size: bytes and crc32c. */
static zf_code index_size(json_object *codecs, uint64_t n, uint64_t *out,
                          zf_err *err)
{
    uint64_t size = n * 16;
    size_t k = json_object_array_length(codecs);
    for (size_t i = 0; i < k; i++) {
        json_object *name = zf_json_get(json_object_array_get_idx(codecs, i),
                                        "name");
        const char *s = json_object_is_type(name, json_type_string)
                            ? json_object_get_string(name) : "";
        if (strcmp(s, "crc32c") == 0)
            size += 4;
        else if (strcmp(s, "bytes") != 0 && strcmp(s, "transpose") != 0)
            return zf_err_set(err, ZF_EUNSUPPORTED, "sharding_indexed: index "
                              "codec '%s' has no fixed size", s);
    }
    *out = size;
    return ZF_OK;
}

static zf_code parse_shard(zf_pipeline *p, json_object *conf,
                           const uint64_t *shape, int depth, zf_err *err)
{
    zf_shard_conf *s = &p->shard;
    if (depth >= ZF_MAX_SHARD_NESTING)
        return zf_err_set(err, ZF_ELIMIT, "sharding_indexed nested more than "
                          "%d deep", ZF_MAX_SHARD_NESTING);
    /* The index is an array of one more dimension than the chunk. */
    if (p->ndim >= ZF_MAX_DIMS)
        return zf_err_set(err, ZF_ELIMIT, "sharding_indexed on %d dimensions "
                          "(at most %d)", p->ndim, ZF_MAX_DIMS - 1);
    zf_code c = read_shape(zf_json_get(conf, "chunk_shape"), p->ndim, s->inner,
                           "sharding_indexed: chunk_shape", err);
    if (c != ZF_OK)
        return c;
    s->ninner = 1;
    uint64_t ishape[ZF_MAX_DIMS + 1];
    for (int d = 0; d < p->ndim; d++) {
        if (shape[d] % s->inner[d] != 0)
            return zf_err_set(err, ZF_EMETA, "sharding_indexed: inner chunk "
                              "shape does not divide the shard shape in "
                              "dimension %d (%llu %% %llu)", d,
                              (unsigned long long)shape[d],
                              (unsigned long long)s->inner[d]);
        s->grid[d] = shape[d] / s->inner[d];
        ishape[d] = s->grid[d];
        s->ninner *= s->grid[d];
    }
    /* Each inner chunk has 16 bytes of index, read whole for every shard a
     * read touches: 2^20 of them make a 16 MiB index. */
    if (s->ninner > ((uint64_t)1 << 20))
        return zf_err_set(err, ZF_ELIMIT, "sharding_indexed: %llu inner chunks "
                          "per shard (at most %llu)", (unsigned long long)s->ninner,
                          (unsigned long long)1 << 20);
    json_object *loc = zf_json_get(conf, "index_location");
    const char *l = loc ? json_object_get_string(loc) : "end";
    if (strcmp(l, "start") != 0 && strcmp(l, "end") != 0)
        return zf_err_set(err, ZF_EMETA, "sharding_indexed: index_location "
                          "\"%s\"", l);
    s->index_at_start = strcmp(l, "start") == 0;
    json_object *icodecs = zf_json_get(conf, "index_codecs");
    json_object *codecs = zf_json_get(conf, "codecs");
    if (!codecs || !icodecs || !json_object_is_type(icodecs, json_type_array))
        return zf_err_set(err, ZF_EMETA, "sharding_indexed: codecs and "
                          "index_codecs are required");
    c = index_size(icodecs, s->ninner, &s->index_bytes, err);
    if (c == ZF_OK)
        c = build(codecs, p->ndim, s->inner, p->dt, p->fill, depth + 1, 0,
                  &s->inner_pipe, err);
    if (c != ZF_OK)
        return c;
    ishape[p->ndim] = 2;
    uint8_t zero[16] = {0};
    c = build(icodecs, p->ndim + 1, ishape, zf_dtype_by_name("uint64"), zero,
              depth + 1, 0, &s->index_pipe, err);
    if (c != ZF_OK)
        return zf_err_prefix(err, "sharding_indexed: index_codecs");
    p->sharded = 1;
    char desc[512], in[64] = "";
    for (int d = 0; d < p->ndim; d++)
        snprintf(in + strlen(in), sizeof in - strlen(in), "%s%llu",
                 d ? "x" : "", (unsigned long long)s->inner[d]);
    snprintf(desc, sizeof desc, "sharding(inner=%s, index@%s, [%s])", in, l,
             s->inner_pipe->describe ? s->inner_pipe->describe : "");
    append(&p->describe, desc);
    return ZF_OK;
}

/* must_understand: false lets an unknown codec be skipped. */
static int optional_codec(json_object *c)
{
    json_object *m = zf_json_get(c, "must_understand");
    return json_object_is_type(m, json_type_boolean) && !json_object_get_boolean(m);
}

/* A Zarr v2 filter or compressor: a numcodecs object {"id": ...}, which
 * decodes as a bytes->bytes codec after the bytes codec. */
static zf_code add_numcodecs(zf_pipeline *p, json_object *c, int *stage,
                             zf_err *err)
{
    json_object *id = zf_json_get(c, "id");
    if (!json_object_is_type(id, json_type_string))
        return zf_err_set(err, ZF_EMETA, "a filter or compressor without an id");
    if (*stage != 2 || p->nbb >= ZF_MAX_CODECS)
        return zf_err_set(err, ZF_ELIMIT, "too many filters");
    zf_code r = zf_bbcodec_new(ZF_DIALECT_NUMCODECS, json_object_get_string(id),
                               c, p->dt->size, &p->bb[p->nbb], err);
    if (r == ZF_OK)
        append(&p->describe, zf_bbcodec_describe(p->bb[p->nbb++]));
    return r;
}

/* The numcodecs filters zarr-python 3 writes as v3 array->array codecs
 * ("numcodecs.bitround", ...) that act on each element alone, so that
 * where they sit among the transposes does not matter: the id of their v2
 * form, or NULL.  (numcodecs.delta, which runs along the chunk, is an
 * array->array codec of its own.) */
static const char *elementwise_filter(const char *name)
{
    static const char *const F[] = {"bitround", "quantize", "fixedscaleoffset",
                                    "astype", "packbits"};
    if (strncmp(name, "numcodecs.", 10) != 0)
        return NULL;
    for (size_t i = 0; i < sizeof F / sizeof F[0]; i++)
        if (!strcmp(name + 10, F[i]))
            return F[i];
    return NULL;
}

/* An elementwise filter: its v2 implementation, on the elements as the
 * bytes codec leaves them, becomes the first bytes->bytes codecs (decoded
 * last, into the chunk).  Only filters come before the bytes->bytes
 * codecs in the list, so they stay in front of them. */
static zf_code add_filter(zf_pipeline *p, const char *id, json_object *conf,
                          zf_err *err)
{
    zf_code r = zf_bbcodec_new(ZF_DIALECT_NUMCODECS, id, conf, p->dt->size,
                               &p->bb[p->nbb], err);
    if (r != ZF_OK)
        return r;
    append(&p->describe, zf_bbcodec_describe(p->bb[p->nbb++]));
    p->nfilt++;
    return ZF_OK;
}

static zf_code add_codec(zf_pipeline *p, json_object *c, uint64_t *shape,
                         int *stage, int depth, int v2, zf_err *err)
{
    json_object *namev, *conf = NULL;
    if (v2 && json_object_is_type(c, json_type_object) &&
        json_object_object_get_ex(c, "id", NULL))
        return add_numcodecs(p, c, stage, err);
    if (!json_object_is_type(c, json_type_object) ||
        !json_object_is_type(namev = zf_json_get(c, "name"), json_type_string))
        return zf_err_set(err, ZF_EMETA, "a codec without a name");
    const char *name = json_object_get_string(namev);
    conf = zf_json_get(c, "configuration");
    const char *filter = elementwise_filter(name);
    const zf_aa_ops *aa = zf_aa_find(name);
    int is_aa = aa || filter;
    int is_ab = !strcmp(name, "bytes") || !strcmp(name, "sharding_indexed");
    int is_bb = zf_bbcodec_known(ZF_DIALECT_V3, name);
    if (!is_aa && !is_ab && !is_bb)
        return optional_codec(c) ? ZF_OK
               : zf_err_set(err, ZF_EUNSUPPORTED, "unknown codec '%s'", name);
    int want = is_aa ? 0 : is_ab ? 1 : 2;
    if (want < *stage || (want == 2 && *stage == 0))
        return zf_err_set(err, ZF_EMETA, "codec '%s' is out of order (array->"
                          "array, then one array->bytes, then bytes->bytes)",
                          name);
    /* The core spec allows bytes->bytes codecs after sharding_indexed
     * ("the list of codecs must be of the following form: zero or more
     * array -> array codecs; followed by exactly one array -> bytes codec;
     * followed by zero or more bytes -> bytes codecs", core spec v3.0),
     * and zarr-python writes them when a sharding serializer meets its
     * default compressors.  The shard is then encoded whole: its index is
     * no range of the stored key (reading it as one gave a checksum error,
     * or wrong bytes without an index crc32c).  Such a chunk is planned
     * like any other and decoded whole, the shard cut in memory. */
    if (want == 2 && p->sharded) {
        p->sharded = 0;
        p->whole_shard = 1;
    }
    if ((is_aa && !filter ? p->naa : p->nbb) >= ZF_MAX_CODECS)
        return zf_err_set(err, ZF_ELIMIT, "more than %d codecs", ZF_MAX_CODECS);
    *stage = want == 1 ? 2 : want;
    if (filter)
        return add_filter(p, filter, conf, err);
    if (aa)
        return add_aa(p, aa, conf, shape, err);
    if (!strcmp(name, "bytes"))
        return parse_bytes(p, conf, err);
    if (!strcmp(name, "sharding_indexed"))
        return parse_shard(p, conf, shape, depth, err);
    zf_code r = zf_bbcodec_new(ZF_DIALECT_V3, name, conf, p->dt->size,
                               &p->bb[p->nbb], err);
    if (r == ZF_OK)
        append(&p->describe, zf_bbcodec_describe(p->bb[p->nbb++]));
    return r;
}

static zf_code build(json_object *codecs, int ndim, const uint64_t *shape,
                     const zf_dtype *dt, const void *fill, int depth, int v2,
                     zf_pipeline **out, zf_err *err)
{
    if (!codecs || !json_object_is_type(codecs, json_type_array))
        return zf_err_set(err, ZF_EMETA, "codecs must be an array");
    zf_pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return zf_err_set(err, ZF_ENOMEM, "out of memory");
    p->ndim = ndim;
    p->dt = dt;
    memcpy(p->shape, shape, sizeof(uint64_t) * (size_t)ndim);
    memcpy(p->fill, fill, dt->size);
    p->nbytes = dt->size;
    for (int d = 0; d < ndim; d++)
        p->nbytes *= shape[d]; /* bounded by the caller's chunk size limit */
    uint64_t cur[ZF_MAX_DIMS]; /* the shape as the codecs so far leave it */
    memcpy(cur, shape, sizeof(uint64_t) * (size_t)ndim);
    int stage = 0;
    zf_code c = ZF_OK;
    size_t n = json_object_array_length(codecs);
    for (size_t i = 0; i < n && c == ZF_OK; i++)
        c = add_codec(p, json_object_array_get_idx(codecs, i), cur, &stage,
                      depth, v2, err);
    if (c == ZF_OK && stage < 2)
        c = zf_err_set(err, ZF_EMETA, "no array->bytes codec (bytes or "
                       "sharding_indexed)");
    /* The filters read the elements in their v2 typestrings' order, which
     * zarr-python writes little endian; they run before any byte swap, and
     * before a delta would (a delta after an astype would sum the wrong
     * type); and a shard is read by its index, past any codec of its
     * level. */
    if (c == ZF_OK && p->nfilt &&
        (p->sharded || p->whole_shard || p->naa_delta || !zf_native_little() ||
         (p->big_endian && p->dt->size > 1)))
        c = zf_err_set(err, ZF_EUNSUPPORTED, "numcodecs filters (%s) with "
                       "%s are not supported", p->describe,
                       p->sharded || p->whole_shard ? "sharding_indexed" : p->naa_delta
                       ? "numcodecs.delta" : "a big-endian bytes codec");
    if (c == ZF_OK && !p->describe)
        c = zf_err_set(err, ZF_ENOMEM, "out of memory");
    if (c != ZF_OK) {
        zf_pipeline_free(p);
        return c;
    }
    *out = p;
    return ZF_OK;
}

zf_code zf_pipeline_new(json_object *codecs, int ndim, const uint64_t *shape,
                        const zf_dtype *dt, const void *fill, int v2,
                        zf_pipeline **out, zf_err *err)
{
    return build(codecs, ndim, shape, dt, fill, 0, v2, out, err);
}

void zf_pipeline_free(zf_pipeline *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->nbb; i++)
        zf_bbcodec_free(p->bb[i]);
    zf_pipeline_free(p->shard.inner_pipe);
    zf_pipeline_free(p->shard.index_pipe);
    free(p->describe);
    free(p);
}
