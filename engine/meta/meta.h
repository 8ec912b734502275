/*
 * meta.h - what Zarr v3 zarr.json (meta_v3.h) and Zarr v2 .zarray
 * (meta_v2.h) share, defined in meta.c: JSON parsing with limits, the checks
 * of shapes and sizes, chunk keys.  The formats call these; these call no
 * format (the dispatch is array.h's, above both).  Every problem is a
 * ZF_EMETA / ZF_EUNSUPPORTED / ZF_ELIMIT naming the field; the caller
 * prefixes the key.  They write only the array they are given.
 */
#ifndef ZF_META_H
#define ZF_META_H

#include "engine.h"
#include "jsonb.h" /* zf_json_get */

struct json_object;

/* Parses a JSON document with depth and size limits; `what` names the key
 * in messages. */
zf_code zf_json_parse(const char *text, size_t len, const char *what,
                      struct json_object **out, zf_err *err);

/* Reads a JSON array of ndim integers >= min (ndim < 0: any length). */
zf_code zf_meta_dims(struct json_object *arr, int ndim, uint64_t min,
                     uint64_t *out, const char *what, zf_err *err);
zf_code zf_meta_shape(zf_array *a, struct json_object *doc, zf_err *err);
/* A chunk key separator, "/" or "."; absent or null leaves *sep as it is.
 * `what` names the field. */
zf_code zf_meta_separator(struct json_object *v, const char *what, char *sep,
                          zf_err *err);
/* Needs shape, chunks and dt; sets grid and info.nbytes. */
zf_code zf_meta_check_sizes(zf_array *a, zf_err *err);

/* Builds the store key of the chunk at grid coordinates idx into buf;
 * ZF_ELIMIT if it does not fit. */
zf_code zf_chunk_key(const zf_array *a, const uint64_t *idx, char *buf,
                     size_t size, zf_err *err);

#endif
