/*
 * fuzz_chunk.c - fuzz target: one chunk decoded through a pipeline built
 * from a fuzzed codec configuration.  Input layout:
 *   byte 0      bit 7: the list may hold numcodecs objects (Zarr v2);
 *               bits 0-3: the data type (index into FUZZ_TYPES)
 *   byte 1      ndim (mod 5)
 *   ndim bytes  the chunk shape, each (b % 64) + 1; at most 1 MiB decoded
 *   JSON text   the codec list, up to the first NUL byte
 *   the rest    the encoded chunk
 * A sharded pipeline is only built (its decoding needs a store; see
 * fuzz_shard.c).  Otherwise the chunk is decoded whole and, separately, the
 * box from the middle to the end of every dimension: both must fail or both
 * succeed with the same elements, and neither may write outside its buffer
 * (ASan) or take more memory than the chunk's size implies.
 */
#include <json-c/json.h>

#include "read/decode.h"
#include "fuzz_util.h"
#include "meta/meta.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int v2 = data[0] >> 7;
    const zf_dtype *dt = zf_dtype_by_name(FUZZ_TYPES[data[0] & 15]);
    int ndim = data[1] % 5;
    if (size < 2 + (size_t)ndim)
        return 0;
    uint64_t shape[ZF_MAX_DIMS], n = 1;
    for (int d = 0; d < ndim; d++) {
        shape[d] = data[2 + d] % 64 + 1;
        n *= shape[d];
    }
    if (n * dt->size > ((size_t)1 << 20))
        return 0;
    const uint8_t *p = data + 2 + ndim, *end = data + size;
    const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
    size_t jlen = nul ? (size_t)(nul - p) : (size_t)(end - p);
    const uint8_t *chunk = nul ? nul + 1 : end;
    size_t clen = (size_t)(end - chunk);

    json_object *codecs = NULL;
    zf_err err;
    char *text = fuzz_strndup(p, jlen);
    if (!text || zf_json_parse(text, jlen, "codecs", &codecs, &err) != ZF_OK) {
        free(text);
        return 0;
    }
    uint8_t fill[16] = {0};
    zf_pipeline *pipe = NULL;
    if (zf_pipeline_new(codecs, ndim, shape, dt, fill, v2, &pipe, &err) != ZF_OK) {
        FUZZ_CHECK(err.msg[0], "pipeline error without a message");
        goto out;
    }
    FUZZ_CHECK(pipe->nbytes == n * dt->size, "pipeline of %llu bytes",
               (unsigned long long)pipe->nbytes);
    if (pipe->sharded)
        goto out;

    size_t nbytes = (size_t)pipe->nbytes;
    uint8_t *whole = malloc(nbytes ? nbytes : 1);
    zf_code c1 = zf_pipeline_decode_full(pipe, chunk, clen, whole, &err);
    if (c1 != ZF_OK)
        FUZZ_CHECK(err.msg[0] && (c1 == ZF_ECORRUPT || c1 == ZF_ELIMIT ||
                                  c1 == ZF_EUNSUPPORTED || c1 == ZF_ENOMEM),
                   "decode error %d: %s", c1, err.msg);

    /* The box [shape/2, shape) into a buffer of its own. */
    uint64_t lo[ZF_MAX_DIMS], count[ZF_MAX_DIMS], m = 1;
    for (int d = 0; d < ndim; d++) {
        lo[d] = shape[d] / 2;
        count[d] = shape[d] - lo[d];
        m *= count[d];
    }
    uint8_t *part = malloc(m * dt->size);
    zf_strided dst = {part, {0}};
    zf_c_strides(ndim, count, dt->size, dst.stride);
    zf_scratch spare = {0};
    zf_scratch *s = zf_scratch_get(&spare);
    {
        zf_code c2 = zf_decode_box(pipe, chunk, clen, lo, count, NULL, &dst, s, NULL,
                                   &err);
        FUZZ_CHECK((c1 == ZF_OK) == (c2 == ZF_OK),
                   "whole chunk: %d, a box of it: %d (%s)", c1, c2, err.msg);
        if (c1 == ZF_OK && c2 == ZF_OK) {
            int64_t ws[ZF_MAX_DIMS];
            zf_c_strides(ndim, shape, dt->size, ws);
            uint64_t at[ZF_MAX_DIMS] = {0};
            for (uint64_t i = 0; i < m; i++) {
                size_t wo = 0;
                for (int d = 0; d < ndim; d++)
                    wo += (size_t)((lo[d] + at[d]) * (uint64_t)ws[d]);
                FUZZ_CHECK(memcmp(whole + wo, part + i * dt->size, dt->size) == 0,
                           "element %llu of the box differs from the chunk",
                           (unsigned long long)i);
                for (int d = ndim - 1; d >= 0; d--) {
                    if (++at[d] < count[d])
                        break;
                    at[d] = 0;
                }
            }
        }
    }
    zf_scratch_done(s, NULL);
    zf_scratch_free(&spare);
    free(part);
    free(whole);
out:
    zf_pipeline_free(pipe);
    json_object_put(codecs);
    free(text);
    return 0;
}
