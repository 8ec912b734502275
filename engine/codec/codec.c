/*
 * codec.c - the registry of bytes->bytes codecs (which names exist in which
 * dialect, and which configuration conventions they follow) and the public
 * entry points of codec.h, which check their arguments and dispatch to the
 * codec's ops.  The registry is a constant table; nothing here is mutable.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "codec_impl.h"

typedef struct zf_codec_entry {
    zf_codec_dialect dialect;
    const char *name;
    zf_codec_style style;
    zf_codec_init_fn init;
    /* Encoding loses information whatever the parameters (a write path must
     * refuse the array); codecs lossy only for some parameters (delta and
     * astype on some types) say so from their init. */
    int lossy;
} zf_codec_entry;

#define LOSSLESS 0
#define LOSSY 1

static const zf_codec_entry REGISTRY[] = {
    /* Zarr v3 core codecs. */
    {ZF_DIALECT_V3, "zstd", ZF_STYLE_V3, zf_codec_zstd_init, LOSSLESS},
    {ZF_DIALECT_V3, "gzip", ZF_STYLE_V3, zf_codec_gzip_init, LOSSLESS},
    {ZF_DIALECT_V3, "blosc", ZF_STYLE_V3, zf_codec_blosc_init, LOSSLESS},
    {ZF_DIALECT_V3, "crc32c", ZF_STYLE_V3, zf_codec_crc32c_init, LOSSLESS},
    /* numcodecs codecs as zarr-python 3 names them in zarr.json. */
    {ZF_DIALECT_V3, "numcodecs.zlib", ZF_STYLE_NUMCODECS, zf_codec_zlib_init, LOSSLESS},
    {ZF_DIALECT_V3, "numcodecs.gzip", ZF_STYLE_NUMCODECS, zf_codec_gzip_init, LOSSLESS},
    {ZF_DIALECT_V3, "numcodecs.zstd", ZF_STYLE_NUMCODECS, zf_codec_zstd_init, LOSSLESS},
    {ZF_DIALECT_V3, "numcodecs.blosc", ZF_STYLE_NUMCODECS, zf_codec_blosc_init, LOSSLESS},
    {ZF_DIALECT_V3, "numcodecs.lz4", ZF_STYLE_NUMCODECS, zf_codec_lz4_init, LOSSLESS},
    {ZF_DIALECT_V3, "numcodecs.bz2", ZF_STYLE_NUMCODECS, zf_codec_bz2_init, LOSSLESS},
    {ZF_DIALECT_V3, "numcodecs.lzma", ZF_STYLE_NUMCODECS, zf_codec_lzma_init, LOSSLESS},
    {ZF_DIALECT_V3, "numcodecs.shuffle", ZF_STYLE_NUMCODECS,
     zf_codec_shuffle_init, LOSSLESS},
    {ZF_DIALECT_V3, "numcodecs.crc32c", ZF_STYLE_NUMCODECS,
     zf_codec_crc32c_init, LOSSLESS},
    {ZF_DIALECT_V3, "numcodecs.crc32", ZF_STYLE_NUMCODECS, zf_codec_crc32_init, LOSSLESS},
    {ZF_DIALECT_V3, "numcodecs.adler32", ZF_STYLE_NUMCODECS,
     zf_codec_adler32_init, LOSSLESS},
    {ZF_DIALECT_V3, "numcodecs.fletcher32", ZF_STYLE_NUMCODECS,
     zf_codec_fletcher32_init, LOSSLESS},
    {ZF_DIALECT_V3, "numcodecs.jenkins_lookup3", ZF_STYLE_NUMCODECS,
     zf_codec_lookup3_init, LOSSLESS},
    /* Zarr v2 compressors and filters (numcodecs ids). */
    {ZF_DIALECT_NUMCODECS, "zstd", ZF_STYLE_NUMCODECS, zf_codec_zstd_init, LOSSLESS},
    {ZF_DIALECT_NUMCODECS, "gzip", ZF_STYLE_NUMCODECS, zf_codec_gzip_init, LOSSLESS},
    {ZF_DIALECT_NUMCODECS, "zlib", ZF_STYLE_NUMCODECS, zf_codec_zlib_init, LOSSLESS},
    {ZF_DIALECT_NUMCODECS, "blosc", ZF_STYLE_NUMCODECS, zf_codec_blosc_init, LOSSLESS},
    {ZF_DIALECT_NUMCODECS, "lz4", ZF_STYLE_NUMCODECS, zf_codec_lz4_init, LOSSLESS},
    {ZF_DIALECT_NUMCODECS, "bz2", ZF_STYLE_NUMCODECS, zf_codec_bz2_init, LOSSLESS},
    {ZF_DIALECT_NUMCODECS, "lzma", ZF_STYLE_NUMCODECS, zf_codec_lzma_init, LOSSLESS},
    {ZF_DIALECT_NUMCODECS, "shuffle", ZF_STYLE_NUMCODECS,
     zf_codec_shuffle_init, LOSSLESS},
    {ZF_DIALECT_NUMCODECS, "crc32c", ZF_STYLE_NUMCODECS,
     zf_codec_crc32c_init, LOSSLESS},
    {ZF_DIALECT_NUMCODECS, "crc32", ZF_STYLE_NUMCODECS, zf_codec_crc32_init, LOSSLESS},
    {ZF_DIALECT_NUMCODECS, "adler32", ZF_STYLE_NUMCODECS,
     zf_codec_adler32_init, LOSSLESS},
    {ZF_DIALECT_NUMCODECS, "fletcher32", ZF_STYLE_NUMCODECS,
     zf_codec_fletcher32_init, LOSSLESS},
    {ZF_DIALECT_NUMCODECS, "jenkins_lookup3", ZF_STYLE_NUMCODECS,
     zf_codec_lookup3_init, LOSSLESS},
    {ZF_DIALECT_NUMCODECS, "delta", ZF_STYLE_NUMCODECS, zf_codec_delta_init, LOSSLESS},
    {ZF_DIALECT_NUMCODECS, "fixedscaleoffset", ZF_STYLE_NUMCODECS,
     zf_codec_fixedscaleoffset_init, LOSSY},
    {ZF_DIALECT_NUMCODECS, "bitround", ZF_STYLE_NUMCODECS,
     zf_codec_bitround_init, LOSSY},
    {ZF_DIALECT_NUMCODECS, "quantize", ZF_STYLE_NUMCODECS,
     zf_codec_quantize_init, LOSSY},
    {ZF_DIALECT_NUMCODECS, "astype", ZF_STYLE_NUMCODECS, zf_codec_astype_init, LOSSLESS},
    {ZF_DIALECT_NUMCODECS, "packbits", ZF_STYLE_NUMCODECS,
     zf_codec_packbits_init, LOSSLESS},
};

static const zf_codec_entry *lookup(zf_codec_dialect dialect, const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof REGISTRY / sizeof REGISTRY[0]; i++)
        if (REGISTRY[i].dialect == dialect && !strcmp(REGISTRY[i].name, name))
            return &REGISTRY[i];
    return NULL;
}

int zf_bbcodec_known(zf_codec_dialect dialect, const char *name)
{
    return lookup(dialect, name) != NULL;
}

zf_code zf_bbcodec_new(zf_codec_dialect dialect, const char *name,
                       struct json_object *config, size_t typesize,
                       zf_bbcodec **out, zf_err *err)
{
    *out = NULL;
    const zf_codec_entry *e = lookup(dialect, name);
    if (!e)
        return zf_err_set(err, ZF_EUNSUPPORTED, "unknown codec '%s'",
                          name ? name : "(null)");
    if (config && !json_object_is_type(config, json_type_object))
        return zf_err_set(err, ZF_EMETA,
                          "%s: the configuration must be a JSON object", name);
    zf_bbcodec *c = calloc(1, sizeof *c);
    if (!c)
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory", name);
    /* The registry's string outlives every codec, so no copy is needed. */
    c->name = e->name;
    c->dialect = e->dialect;
    c->style = e->style;
    c->lossy = e->lossy;
    zf_code rc = e->init(c, config, typesize, err);
    if (rc != ZF_OK) {
        free(c);
        return rc;
    }
    *out = c;
    return ZF_OK;
}

const char *zf_bbcodec_name(const zf_bbcodec *c)
{
    return c->name;
}

int zf_bbcodec_lossless(const zf_bbcodec *c)
{
    return !c->lossy;
}

void zf_bbcodec_free(zf_bbcodec *c)
{
    free(c);
}

const char *zf_bbcodec_describe(const zf_bbcodec *c)
{
    return c->desc;
}

zf_code zf_bbcodec_decode(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                          zf_buf *out, size_t expect, size_t limit,
                          zf_err *err)
{
    if (!c || !out || (!in && inlen))
        return zf_err_set(err, ZF_EINVAL, "codec decode: bad arguments");
    out->len = 0;
    return c->ops->decode(c, in, inlen, out, expect, limit, err);
}

zf_code zf_bbcodec_encode(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                          zf_buf *out, zf_err *err)
{
    if (!c || !out || (!in && inlen))
        return zf_err_set(err, ZF_EINVAL, "codec encode: bad arguments");
    out->len = 0;
    return c->ops->encode(c, in, inlen, out, err);
}

zf_code zf_bbcodec_peel(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                        size_t *off, size_t *len, zf_err *err)
{
    if (!c->ops->peel)
        return ZF_EUNSUPPORTED;
    return c->ops->peel(c, in, inlen, off, len, err);
}
