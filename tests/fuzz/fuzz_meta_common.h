/*
 * fuzz_meta_common.h - the body of the two metadata targets (v3 zarr.json,
 * v2 .zarray): parse the document with the engine's limits, build the array
 * and check what an accepted array promises: sizes within 63 bits, a chunk
 * within ZF_MAX_CHUNK_BYTES, a consistent shard index size, chunk keys that
 * stay in the array's folder, and header views that build or refuse cleanly.
 */
#include <json-c/json.h>

#include "fuzz_util.h"
#include "meta/array.h"

static void check_key(const zf_array *a, const uint64_t *idx)
{
    char key[4096];
    zf_err err;
    if (zf_chunk_key(a, idx, key, sizeof key, &err) != ZF_OK)
        return; /* too long: refused, never cut */
    FUZZ_CHECK(key[0] != '/', "key %s", key);
    for (const char *p = key; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        FUZZ_CHECK(n > 0 && !(n == 1 && p[0] == '.') &&
                       !(n == 2 && p[0] == '.' && p[1] == '.'),
                   "unsafe key %s", key);
        p += n + (e ? 1 : 0);
    }
}

static void check_pipeline(const zf_pipeline *p, int depth)
{
    FUZZ_CHECK(depth < 8, "pipelines nested %d deep", depth);
    FUZZ_CHECK(p->ndim >= 0 && p->ndim <= ZF_MAX_DIMS, "ndim %d", p->ndim);
    FUZZ_CHECK(p->nbytes <= ZF_MAX_CHUNK_BYTES || depth > 0,
               "chunk of %llu bytes", (unsigned long long)p->nbytes);
    if (p->sharded) {
        const zf_shard_conf *s = &p->shard;
        FUZZ_CHECK(s->index_bytes >= s->ninner * 16, "index of %llu bytes",
                   (unsigned long long)s->index_bytes);
        FUZZ_CHECK(s->inner_pipe && s->index_pipe, "shard without pipelines");
        FUZZ_CHECK(s->index_pipe->nbytes == s->ninner * 16,
                   "index pipeline of %llu bytes for %llu entries",
                   (unsigned long long)s->index_pipe->nbytes,
                   (unsigned long long)s->ninner);
        check_pipeline(s->inner_pipe, depth + 1);
        check_pipeline(s->index_pipe, depth + 1);
    }
}

static void check_array(zf_array *a)
{
    FUZZ_CHECK(a->info.nbytes <= (UINT64_MAX >> 1), "nbytes %llu",
               (unsigned long long)a->info.nbytes);
    FUZZ_CHECK(a->separator == '.' || a->separator == '/', "separator %d",
               a->separator);
    uint64_t bytes = a->dt->size;
    for (int d = 0; d < a->ndim; d++) {
        FUZZ_CHECK(a->chunks[d] > 0, "chunk dim %d is 0", d);
        bytes *= a->chunks[d];
    }
    FUZZ_CHECK(bytes <= ZF_MAX_CHUNK_BYTES, "chunk of %llu bytes",
               (unsigned long long)bytes);
    FUZZ_CHECK(a->pipe->nbytes == bytes, "pipeline of %llu bytes, chunk %llu",
               (unsigned long long)a->pipe->nbytes, (unsigned long long)bytes);
    check_pipeline(a->pipe, 0);
    uint64_t zero[ZF_MAX_DIMS] = {0}, last[ZF_MAX_DIMS] = {0};
    for (int d = 0; d < a->ndim; d++)
        last[d] = a->grid[d] ? a->grid[d] - 1 : 0;
    check_key(a, zero);
    check_key(a, last);
    for (int f = 0; f < ZF_VIEW_COUNT; f++) {
        char *text = NULL;
        size_t len = 0;
        zf_err err;
        if (zf_view_header(a, (zf_view_format)f, "data", &text, &len, &err) ==
            ZF_OK) {
            /* the headers followed by the data (npy, tiff) are binary:
             * only the end is checked; the others are text */
            FUZZ_CHECK(text && text[len] == 0 &&
                           (zf_view_holds_data((zf_view_format)f) ||
                            strlen(text) == len),
                       "view %d length", f);
            free(text);
        }
    }
}

static int fuzz_meta(const uint8_t *data, size_t size, int v2)
{
    static zf_zarr shell; /* the parsers only record it */
    char *text = fuzz_strndup(data, size);
    if (!text)
        return 0;
    json_object *doc = NULL;
    zf_err err;
    /* As nodes.c does: only a JSON object reaches the parsers. */
    if (zf_json_parse(text, size, "zarr.json", &doc, &err) == ZF_OK &&
        json_object_is_type(doc, json_type_object)) {
        zf_array *a = NULL;
        zf_code c = zf_meta_parse_array(&shell, "a/b", v2 ? 2 : 3, doc, text,
                                        &a, &err);
        if (c == ZF_OK) {
            check_array(a);
            zf_array_free(a);
        } else {
            FUZZ_CHECK(err.msg[0] != 0, "error %d without a message", c);
        }
    } else if (!doc) {
        FUZZ_CHECK(err.msg[0] != 0, "parse error without a message");
    }
    json_object_put(doc);
    free(text);
    return 0;
}
