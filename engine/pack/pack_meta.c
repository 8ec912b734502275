/*
 * pack_meta.c - the codec chain and zarr.json of a packed array (see pack_meta.h).
 * The codec list is built as JSON by one function (array_codecs) both to
 * create the encoders (the read path's pipeline, read/encode.h) and to
 * write the metadata, so the two cannot disagree.
 * Thread safety: called by zf_pack's thread only.  Ownership: the pipeline
 * belongs to the plan until zf_pack_chain_free.
 */
#include "pack_meta.h"

#include "jsonb.h"
#include "pack_io.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define ZF_ZSTD_DEFAULT_LEVEL 3 /* zstd's own default */
#define ZF_GZIP_DEFAULT_LEVEL 5 /* zarr-python's default */

/* The builders below add through zf_jadd (jsonb.h): a failed allocation
 * clears *ok, checked once by their callers. */

static json_object *named(int *ok, const char *name, json_object *config)
{
    json_object *o = json_object_new_object();
    zf_jadd(ok, o, "name", json_object_new_string(name));
    if (config)
        zf_jadd(ok, o, "configuration", config);
    return o;
}

static json_object *bytes_codec(int *ok, int big)
{
    return named(ok, "bytes",
                 zf_jadd(ok, json_object_new_object(), "endian",
                         json_object_new_string(big ? "big" : "little")));
}

static json_object *shape_array(int *ok, const uint64_t *v, int n)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < n; i++)
        zf_jadd(ok, a, NULL, json_object_new_uint64(v[i]));
    return a;
}

static zf_code check_level(const zf_pack_options *o, int *level, zf_err *err)
{
    int max = o->codec == ZF_PACK_ZSTD ? 22 : 9;
    if (o->level == -1) {
        *level = o->codec == ZF_PACK_ZSTD ? ZF_ZSTD_DEFAULT_LEVEL
                                          : ZF_GZIP_DEFAULT_LEVEL;
        return ZF_OK;
    }
    if (o->level < 0 || o->level > max)
        return zf_err_set(err, ZF_EINVAL, "%s level %d is out of range 0..%d",
                          o->codec == ZF_PACK_ZSTD ? "zstd" : "gzip", o->level,
                          max);
    *level = o->level;
    return ZF_OK;
}

/* The bytes->bytes part of the chunk codecs: compressor, then crc32c. */
static zf_code bb_list(const zf_pack_options *o, json_object *list, int *ok,
                       zf_err *err)
{
    int level = 0;
    if (o->codec == ZF_PACK_ZSTD || o->codec == ZF_PACK_GZIP) {
        if (check_level(o, &level, err) != ZF_OK)
            return err ? err->code : ZF_EINVAL;
        json_object *c = json_object_new_object();
        zf_jadd(ok, c, "level", json_object_new_int(level));
        if (o->codec == ZF_PACK_ZSTD)
            zf_jadd(ok, c, "checksum", json_object_new_boolean(0));
        zf_jadd(ok, list, NULL,
                named(ok, o->codec == ZF_PACK_ZSTD ? "zstd" : "gzip", c));
    } else if (o->codec != ZF_PACK_NONE)
        return zf_err_set(err, ZF_EINVAL, "unknown codec %d", (int)o->codec);
    if (o->crc32c)
        zf_jadd(ok, list, NULL, named(ok, "crc32c", NULL));
    return *ok ? ZF_OK : zf_err_set(err, ZF_ENOMEM, "out of memory");
}

/* The value 0 in the spelling the data type's fill_value wants. */
static json_object *zero_fill(int *ok, const zf_dtype *dt)
{
    switch (dt->kind) {
    case ZF_KIND_BOOL:
        return json_object_new_boolean(0);
    case ZF_KIND_FLOAT:
        return json_object_new_double(0.0);
    case ZF_KIND_COMPLEX: {
        json_object *a = json_object_new_array();
        zf_jadd(ok, a, NULL, json_object_new_double(0.0));
        zf_jadd(ok, a, NULL, json_object_new_double(0.0));
        return a;
    }
    default:
        return json_object_new_int(0);
    }
}

static zf_code chunk_codecs(const zf_pack_plan *p, int *ok, json_object **out,
                            zf_err *err)
{
    json_object *list = json_object_new_array();
    /* One-byte types have no byte order; "little" for them keeps readers
     * that byte-swap blindly (zarrita.js on bool) from garbling them. */
    zf_jadd(ok, list, NULL,
            bytes_codec(ok, p->o->big_endian && p->dt->size > 1));
    zf_code rc = bb_list(p->o, list, ok, err);
    if (rc != ZF_OK) {
        json_object_put(list);
        return rc;
    }
    *out = list;
    return ZF_OK;
}

static json_object *sharding_codec(const zf_pack_plan *p, json_object *inner,
                                   int *ok)
{
    json_object *c = json_object_new_object(), *idx = json_object_new_array();
    zf_jadd(ok, c, "chunk_shape", shape_array(ok, p->inner, p->ndim));
    zf_jadd(ok, c, "codecs", inner);
    /* The index is little endian whatever the chunks use: the spec's
     * recommendation, and what other writers emit. */
    zf_jadd(ok, idx, NULL, bytes_codec(ok, 0));
    if (p->o->crc32c)
        zf_jadd(ok, idx, NULL, named(ok, "crc32c", NULL));
    zf_jadd(ok, c, "index_codecs", idx);
    zf_jadd(ok, c, "index_location",
            json_object_new_string(p->o->index_at_start ? "start" : "end"));
    return zf_jadd(ok, json_object_new_array(), NULL,
                   named(ok, "sharding_indexed", c));
}

/* The codec list of zarr.json: the chunk's codecs, inside sharding_indexed
 * when sharded. */
static zf_code array_codecs(const zf_pack_plan *p, int *ok, json_object **out,
                            zf_err *err)
{
    zf_code rc = chunk_codecs(p, ok, out, err);
    if (rc == ZF_OK && p->o->sharded)
        *out = sharding_codec(p, *out, ok);
    return rc;
}

zf_code zf_pack_chain_new(zf_pack_plan *p, zf_err *err)
{
    int ok = 1;
    json_object *codecs = NULL;
    uint8_t zero[16] = {0};
    zf_code rc = array_codecs(p, &ok, &codecs, err);
    if (rc == ZF_OK && !ok)
        rc = zf_err_set(err, ZF_ENOMEM, "out of memory");
    if (rc == ZF_OK)
        rc = zf_pipeline_new(codecs, p->ndim, p->outer, p->dt, zero, 0,
                             &p->pipe, err);
    json_object_put(codecs);
    if (rc == ZF_OK)
        p->chunk_pipe = p->o->sharded ? p->pipe->shard.inner_pipe : p->pipe;
    return rc;
}

void zf_pack_chain_free(zf_pack_plan *p)
{
    zf_pipeline_free(p->pipe);
    p->pipe = NULL;
    p->chunk_pipe = NULL;
}

static json_object *meta_doc(const zf_pack_plan *p, json_object *codecs, int *ok)
{
    json_object *m = json_object_new_object();
    zf_jadd(ok, m, "zarr_format", json_object_new_int(3));
    zf_jadd(ok, m, "node_type", json_object_new_string("array"));
    zf_jadd(ok, m, "shape", shape_array(ok, p->shape, p->ndim));
    zf_jadd(ok, m, "data_type", json_object_new_string(p->dt->name));
    zf_jadd(ok, m, "chunk_grid",
            named(ok, "regular", zf_jadd(ok, json_object_new_object(), "chunk_shape",
                                         shape_array(ok, p->outer, p->ndim))));
    zf_jadd(ok, m, "chunk_key_encoding",
            named(ok, "default", zf_jadd(ok, json_object_new_object(), "separator",
                                         json_object_new_string("/"))));
    zf_jadd(ok, m, "fill_value", zero_fill(ok, p->dt));
    zf_jadd(ok, m, "codecs", codecs);
    zf_jadd(ok, m, "attributes", json_object_new_object());
    return m;
}

/* m's text in a new buffer with room for one more byte, or NULL when out
 * of memory.  json-c's serialiser drops text silently when its buffer
 * cannot grow, so m is serialised twice and the texts compared: the second
 * pass reuses the first's buffer, so it allocates nothing (and cannot lose
 * anything) when the first pass was whole. */
static char *serialise(json_object *m)
{
    int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                JSON_C_TO_STRING_NOSLASHESCAPE;
    const char *s = json_object_to_json_string_ext(m, flags);
    size_t n = s ? strlen(s) : 0;
    char *text = s ? malloc(n + 2) : NULL;
    if (text) {
        memcpy(text, s, n + 1);
        s = json_object_to_json_string_ext(m, flags);
    }
    if (text && (!s || strcmp(s, text) != 0)) {
        free(text);
        text = NULL;
    }
    return text;
}

zf_code zf_pack_write_meta(const zf_pack_plan *p, zf_err *err)
{
    int ok = 1;
    json_object *codecs = NULL;
    zf_code rc = array_codecs(p, &ok, &codecs, err);
    if (rc != ZF_OK)
        return rc;
    json_object *m = meta_doc(p, codecs, &ok);
    char *text = ok ? serialise(m) : NULL;
    if (!text) {
        rc = zf_err_set(err, ZF_ENOMEM, "%s: out of memory", p->out_dir);
    } else {
        size_t n = strlen(text);
        text[n] = '\n';
        const void *parts[1] = {text};
        size_t lens[1] = {n + 1};
        rc = zf_pack_write_file(p->out_dir, "zarr.json", parts, lens, 1, err);
        free(text);
    }
    json_object_put(m);
    return rc;
}
