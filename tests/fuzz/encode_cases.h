/*
 * encode_cases.h - the codec parameter sets the encoder round trip covers,
 * shared by the fuzz target fuzz_encode.c and the unit test test_encode.c:
 * every codec zarrfs encodes (each lossless one with parameters that change
 * its output, and the lossy ones, which must say so).  A case may force the
 * data type (v2 filters name theirs) and the chunk shape (shards need a
 * shape their inner chunks divide).
 */
#ifndef ZF_ENCODE_CASES_H
#define ZF_ENCODE_CASES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "read/decode.h"
#include "read/encode.h"

typedef struct zf_encode_case {
    const char *codecs; /* the JSON codec list */
    int v2;             /* numcodecs objects allowed */
    int lossy;          /* the pipeline must call itself lossy */
    const char *dtype;  /* forced data type, or NULL */
    int ndim;           /* forced shape (0: the caller's) */
    unsigned shape[3];
} zf_encode_case;

#define B_LE "{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}"
#define B_BE "{\"name\":\"bytes\",\"configuration\":{\"endian\":\"big\"}}"
#define V3(s) "{\"name\":\"" s "\"}"
#define V3C(s, c) "{\"name\":\"" s "\",\"configuration\":{" c "}}"
#define SHARD(inner, loc, codecs, icodecs)                                  \
    V3C("sharding_indexed", "\"chunk_shape\":[" inner "],"                  \
        "\"index_location\":\"" loc "\",\"codecs\":[" codecs "],"           \
        "\"index_codecs\":[" icodecs "]")

static const zf_encode_case ZF_ENCODE_CASES[] = {
    {"[" B_LE "]", 0, 0, NULL, 0, {0}},
    {"[" B_BE "]", 0, 0, NULL, 0, {0}},
    {"[" V3C("transpose", "\"order\":[2,0,1]") "," B_BE "]", 0, 0, NULL, 3, {5, 3, 4}},
    {"[" V3C("transpose", "\"order\":\"F\"") "," B_LE "," V3C("zstd", "\"level\":1") "]",
     0, 0, NULL, 0, {0}},
    {"[" V3("numcodecs.delta") "," B_LE "]", 0, 0, "int32", 0, {0}},
    {"[" V3("numcodecs.delta") "," B_BE "," V3("numcodecs.zlib") "]", 0, 0, "uint16", 0, {0}},
    {"[" V3("numcodecs.delta") "," B_LE "]", 0, 1, "float64", 0, {0}},
    {"[" B_LE "," V3C("zstd", "\"level\":0,\"checksum\":false") "]", 0, 0, NULL, 0, {0}},
    {"[" B_LE "," V3C("zstd", "\"level\":19,\"checksum\":true") "]", 0, 0, NULL, 0, {0}},
    {"[" B_LE "," V3C("gzip", "\"level\":1") "]", 0, 0, NULL, 0, {0}},
    {"[" B_LE "," V3C("gzip", "\"level\":9") "," V3("crc32c") "]", 0, 0, NULL, 0, {0}},
    {"[" B_LE "," V3C("numcodecs.zlib", "\"level\":6") "]", 0, 0, NULL, 0, {0}},
    {"[" B_LE "," V3C("blosc", "\"cname\":\"lz4\",\"clevel\":5,\"shuffle\":\"shuffle\","
     "\"typesize\":4,\"blocksize\":0") "]", 0, 0, NULL, 0, {0}},
    {"[" B_LE "," V3C("blosc", "\"cname\":\"zstd\",\"clevel\":3,\"shuffle\":\"bitshuffle\","
     "\"typesize\":2,\"blocksize\":256") "]", 0, 0, NULL, 0, {0}},
    {"[" B_LE "," V3C("blosc", "\"cname\":\"blosclz\",\"clevel\":9,\"shuffle\":\"noshuffle\","
     "\"typesize\":1,\"blocksize\":0") "]", 0, 0, NULL, 0, {0}},
    {"[" B_LE "," V3C("blosc", "\"cname\":\"zlib\",\"clevel\":1,\"shuffle\":\"shuffle\","
     "\"typesize\":8,\"blocksize\":0") "]", 0, 0, NULL, 0, {0}},
    {"[" B_LE "," V3C("numcodecs.lz4", "\"acceleration\":1") "]", 0, 0, NULL, 0, {0}},
    {"[" B_LE "," V3C("numcodecs.lz4", "\"acceleration\":9") "]", 0, 0, NULL, 0, {0}},
    {"[" B_LE "," V3("crc32c") "]", 0, 0, NULL, 0, {0}},
    {"[" B_LE "," V3C("numcodecs.shuffle", "\"elementsize\":4") "]", 0, 0, "float32", 0, {0}},
    {"[" B_LE "," V3C("numcodecs.shuffle", "\"elementsize\":8") "," V3("numcodecs.zstd")
     "]", 0, 0, "int64", 0, {0}},
    {"[" B_LE "," V3("numcodecs.crc32") "," V3("numcodecs.adler32") "]", 0, 0, NULL, 0, {0}},
    {"[" B_LE "," V3("numcodecs.fletcher32") "," V3("numcodecs.jenkins_lookup3") "]",
     0, 0, NULL, 0, {0}},
    {"[" B_LE "," V3("numcodecs.bz2") "]", 0, 0, NULL, 0, {0}},
    {"[" B_LE "," V3("numcodecs.lzma") "]", 0, 0, NULL, 0, {0}},
    /* Zarr v2 filters and compressors, after the bytes codec. */
    {"[" B_LE ",{\"id\":\"delta\",\"dtype\":\"<i8\"},{\"id\":\"zlib\",\"level\":1}]",
     1, 0, "int64", 0, {0}},
    {"[" B_LE ",{\"id\":\"delta\",\"dtype\":\"<u2\",\"astype\":\"<u4\"}]",
     1, 0, "uint16", 0, {0}},
    {"[" B_LE ",{\"id\":\"astype\",\"encode_dtype\":\"<f8\",\"decode_dtype\":\"<i4\"}]",
     1, 0, "int32", 0, {0}},
    {"[" B_LE ",{\"id\":\"packbits\"},{\"id\":\"blosc\",\"cname\":\"lz4\",\"clevel\":5,"
     "\"shuffle\":1}]", 1, 0, "bool", 0, {0}},
    /* The lossy ones: they encode, and say they lose. */
    {"[" B_LE ",{\"id\":\"fixedscaleoffset\",\"dtype\":\"<f8\",\"astype\":\"<i4\","
     "\"scale\":10,\"offset\":1}]", 1, 1, "float64", 0, {0}},
    {"[" B_LE ",{\"id\":\"bitround\",\"keepbits\":5}]", 1, 1, "float32", 0, {0}},
    {"[" B_LE ",{\"id\":\"quantize\",\"digits\":2,\"dtype\":\"<f8\"}]", 1, 1, "float64", 0, {0}},
    {"[" B_LE ",{\"id\":\"astype\",\"encode_dtype\":\"<i2\",\"decode_dtype\":\"<i4\"}]",
     1, 1, "int32", 0, {0}},
    {"[" B_LE ",{\"id\":\"delta\",\"dtype\":\"<i4\",\"astype\":\"<i1\"}]", 1, 1, "int32", 0, {0}},
    /* Shards: read by their index, whole (bytes->bytes after), nested. */
    {"[" SHARD("4,3", "end", B_LE "," V3C("zstd", "\"level\":3,\"checksum\":false"), B_LE "," V3("crc32c")) "]",
     0, 0, NULL, 2, {8, 6}},
    {"[" V3C("transpose", "\"order\":[1,0]") ","
     SHARD("3,4", "start", B_BE "," V3C("gzip", "\"level\":1"), B_LE) "]",
     0, 0, NULL, 2, {8, 6}},
    {"[" SHARD("2,3", "end", B_LE, B_LE "," V3("crc32c")) "," V3C("zstd", "\"level\":2,\"checksum\":true") "]",
     0, 0, NULL, 2, {8, 6}},
    {"[" SHARD("4,3", "start", SHARD("2,3", "end", B_LE "," V3("numcodecs.lz4"),
                                     B_LE "," V3("crc32c")),
               B_LE "," V3("crc32c")) "]", 0, 0, NULL, 2, {8, 6}},
};

#define ZF_ENCODE_NCASES (sizeof ZF_ENCODE_CASES / sizeof ZF_ENCODE_CASES[0])

/* Encodes a chunk of dt and shape filled cyclically from data[0..len) (bools
 * as 0 or 1) through case k, decodes it back and compares bit for bit when
 * the pipeline is lossless.  Returns 1 when the pipeline cannot be built
 * for this type or shape (why: the reason), 0 when all holds, -1 on a
 * failure (why: what failed). */
static int zf_encode_roundtrip(const zf_encode_case *k, const zf_dtype *dt,
                               int ndim, const uint64_t *shape,
                               const uint8_t *data, size_t len, char *why,
                               size_t whylen)
{
    json_object *codecs = json_tokener_parse(k->codecs);
    uint8_t fill[16] = {0};
    zf_pipeline *p = NULL;
    zf_err err = {0};
    int r = 1;
    if (!codecs) {
        snprintf(why, whylen, "case does not parse: %s", k->codecs);
        return -1;
    }
    if (zf_pipeline_new(codecs, ndim, shape, dt, fill, k->v2, &p, &err) != ZF_OK) {
        snprintf(why, whylen, "%s", err.msg);
        json_object_put(codecs);
        return 1;
    }
    size_t n = (size_t)p->nbytes;
    uint8_t *in = malloc(n ? n : 1), *back = malloc(n ? n : 1);
    zf_buf enc = {0}, tmp[2] = {{0}};
    for (size_t i = 0; in && i < n; i++)
        in[i] = len ? data[i % len] : (uint8_t)(i * 131u);
    for (size_t i = 0; in && dt->kind == ZF_KIND_BOOL && i < n; i++)
        in[i] &= 1;
    const char *lossy = NULL;
    int lossless = zf_pipeline_lossless(p, &lossy);
    r = -1;
    if (!in || !back)
        snprintf(why, whylen, "out of memory");
    else if (lossless == k->lossy)
        snprintf(why, whylen, "lossless says %d (%s) for %s", lossless,
                 lossy ? lossy : "-", p->describe);
    else if (zf_pipeline_encode(p, in, &enc, tmp, &err) != ZF_OK)
        snprintf(why, whylen, "encode %.200s: %.250s", p->describe, err.msg);
    else if (zf_pipeline_decode_full(p, enc.p, enc.len, back, &err) != ZF_OK)
        snprintf(why, whylen, "decode %.200s: %.250s", p->describe, err.msg);
    else if (lossless && memcmp(in, back, n) != 0)
        snprintf(why, whylen, "%s on %s: decode(encode(x)) != x", p->describe,
                 dt->name);
    else
        r = 0;
    zf_buf_free(&enc);
    zf_buf_free(&tmp[0]);
    zf_buf_free(&tmp[1]);
    free(in);
    free(back);
    zf_pipeline_free(p);
    json_object_put(codecs);
    return r;
}

#endif
