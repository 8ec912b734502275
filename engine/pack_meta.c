/*
 * pack_meta.c - the codec chain and zarr.json of a packed array (see pack.h).
 * The codec configurations are built once as JSON and used both to create
 * the encoders and to write the metadata, so the two cannot disagree.
 * Thread safety: called by zf_pack's thread only.  Ownership: the chain's
 * codecs belong to the plan until zf_pack_chain_free.
 */
#include "pack.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define ZF_ZSTD_DEFAULT_LEVEL 3 /* zstd's own default */
#define ZF_GZIP_DEFAULT_LEVEL 5 /* zarr-python's default */

static json_object *named(const char *name, json_object *config)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(name));
    if (config)
        json_object_object_add(o, "configuration", config);
    return o;
}

static json_object *bytes_codec(int big)
{
    json_object *c = json_object_new_object();
    json_object_object_add(c, "endian",
                           json_object_new_string(big ? "big" : "little"));
    return named("bytes", c);
}

static json_object *shape_array(const uint64_t *v, int n)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_uint64(v[i]));
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
static zf_code bb_list(const zf_pack_options *o, json_object *list,
                       zf_err *err)
{
    int level;
    if (o->codec == ZF_PACK_ZSTD || o->codec == ZF_PACK_GZIP) {
        if (check_level(o, &level, err) != ZF_OK)
            return err ? err->code : ZF_EINVAL;
        json_object *c = json_object_new_object();
        json_object_object_add(c, "level", json_object_new_int(level));
        if (o->codec == ZF_PACK_ZSTD)
            json_object_object_add(c, "checksum", json_object_new_boolean(0));
        json_object_array_add(
            list, named(o->codec == ZF_PACK_ZSTD ? "zstd" : "gzip", c));
    } else if (o->codec != ZF_PACK_NONE)
        return zf_err_set(err, ZF_EINVAL, "unknown codec %d", (int)o->codec);
    if (o->crc32c)
        json_object_array_add(list, named("crc32c", NULL));
    return ZF_OK;
}

zf_code zf_pack_chain_new(zf_pack_plan *p, zf_err *err)
{
    json_object *list = json_object_new_array();
    zf_code rc = bb_list(p->o, list, err);
    p->nchain = 0;
    for (size_t i = 0; rc == ZF_OK && i < json_object_array_length(list); i++) {
        json_object *c = json_object_array_get_idx(list, i), *name, *conf;
        json_object_object_get_ex(c, "name", &name);
        if (!json_object_object_get_ex(c, "configuration", &conf))
            conf = NULL;
        rc = zf_bbcodec_new(ZF_DIALECT_V3, json_object_get_string(name), conf,
                            p->dt->size, &p->chain[p->nchain], err);
        if (rc == ZF_OK)
            p->nchain++;
    }
    json_object_put(list);
    if (rc != ZF_OK)
        zf_pack_chain_free(p);
    return rc;
}

void zf_pack_chain_free(zf_pack_plan *p)
{
    for (int i = 0; i < p->nchain; i++)
        zf_bbcodec_free(p->chain[i]);
    p->nchain = 0;
}

/* The value 0 in the spelling the data type's fill_value wants. */
static json_object *zero_fill(const zf_dtype *dt)
{
    switch (dt->kind) {
    case ZF_KIND_BOOL:
        return json_object_new_boolean(0);
    case ZF_KIND_FLOAT:
        return json_object_new_double(0.0);
    case ZF_KIND_COMPLEX: {
        json_object *a = json_object_new_array();
        json_object_array_add(a, json_object_new_double(0.0));
        json_object_array_add(a, json_object_new_double(0.0));
        return a;
    }
    default:
        return json_object_new_int(0);
    }
}

static json_object *chunk_codecs(const zf_pack_plan *p, zf_err *err)
{
    json_object *list = json_object_new_array();
    /* One-byte types have no byte order; "little" for them keeps readers
     * that byte-swap blindly (zarrita.js on bool) from garbling them. */
    json_object_array_add(list,
                          bytes_codec(p->o->big_endian && p->dt->size > 1));
    if (bb_list(p->o, list, err) != ZF_OK) {
        json_object_put(list);
        return NULL;
    }
    return list;
}

static json_object *sharding_codec(const zf_pack_plan *p, json_object *inner)
{
    json_object *c = json_object_new_object(), *idx = json_object_new_array();
    json_object_object_add(c, "chunk_shape", shape_array(p->inner, p->ndim));
    json_object_object_add(c, "codecs", inner);
    /* The index is little endian whatever the chunks use: the spec's
     * recommendation, and what other writers emit. */
    json_object_array_add(idx, bytes_codec(0));
    if (p->o->crc32c)
        json_object_array_add(idx, named("crc32c", NULL));
    json_object_object_add(c, "index_codecs", idx);
    json_object_object_add(
        c, "index_location",
        json_object_new_string(p->o->index_at_start ? "start" : "end"));
    json_object *list = json_object_new_array();
    json_object_array_add(list, named("sharding_indexed", c));
    return list;
}

static json_object *meta_doc(const zf_pack_plan *p, json_object *codecs)
{
    json_object *m = json_object_new_object(), *grid, *keys, *kc, *gc;
    json_object_object_add(m, "zarr_format", json_object_new_int(3));
    json_object_object_add(m, "node_type", json_object_new_string("array"));
    json_object_object_add(m, "shape", shape_array(p->shape, p->ndim));
    json_object_object_add(m, "data_type", json_object_new_string(p->dt->name));
    gc = json_object_new_object();
    json_object_object_add(gc, "chunk_shape", shape_array(p->outer, p->ndim));
    grid = named("regular", gc);
    json_object_object_add(m, "chunk_grid", grid);
    kc = json_object_new_object();
    json_object_object_add(kc, "separator", json_object_new_string("/"));
    keys = named("default", kc);
    json_object_object_add(m, "chunk_key_encoding", keys);
    json_object_object_add(m, "fill_value", zero_fill(p->dt));
    json_object_object_add(m, "codecs", codecs);
    json_object_object_add(m, "attributes", json_object_new_object());
    return m;
}

zf_code zf_pack_write_meta(const zf_pack_plan *p, zf_err *err)
{
    json_object *codecs = chunk_codecs(p, err);
    if (!codecs)
        return err ? err->code : ZF_EINVAL;
    if (p->o->sharded)
        codecs = sharding_codec(p, codecs);
    json_object *m = meta_doc(p, codecs);
    const char *s = json_object_to_json_string_ext(
        m, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
               JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t n = strlen(s);
    char *text = malloc(n + 2);
    zf_code rc;
    if (!text) {
        rc = zf_err_set(err, ZF_ENOMEM, "%s: out of memory", p->out_dir);
    } else {
        memcpy(text, s, n);
        text[n] = '\n';
        const void *parts[1] = {text};
        size_t lens[1] = {n + 1};
        rc = zf_pack_write_file(p->out_dir, "zarr.json", parts, lens, 1, err);
        free(text);
    }
    json_object_put(m);
    return rc;
}
