/*
 * meta.h - reading array metadata into a zf_array: the dispatch by format
 * and what Zarr v3 zarr.json (meta_v3.h) and Zarr v2 .zarray (meta_v2.h)
 * share: JSON parsing, the checks of shapes and sizes, chunk keys; all
 * defined in meta.c.  Every problem is a ZF_EMETA / ZF_EUNSUPPORTED /
 * ZF_ELIMIT naming the field; the caller prefixes the key.  Runs on one
 * thread at a time (inside zf_open and zf_refresh); it writes only the new
 * array, so other arrays of the store may be read meanwhile.
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

/* A zarr.json of an array (format 3) or a .zarray (format 2) into a new
 * zf_array; `json` is the document's text, kept for the array's info. */
zf_code zf_meta_parse_array(zf_zarr *z, const char *path, int format,
                            struct json_object *doc, const char *json,
                            zf_array **out, zf_err *err);

/* Shared steps. */
/* Reads a JSON array of ndim integers >= min (ndim < 0: any length). */
zf_code zf_meta_dims(struct json_object *arr, int ndim, uint64_t min,
                     uint64_t *out, const char *what, zf_err *err);
zf_code zf_meta_shape(zf_array *a, struct json_object *doc, zf_err *err);
/* Needs shape, chunks and dt; sets grid and info.nbytes. */
zf_code zf_meta_check_sizes(zf_array *a, zf_err *err);

/* Frees an array (made by zf_meta_parse_array) and what it owns. */
void zf_array_free(zf_array *a);

/* Builds the store key of the chunk at grid coordinates idx into buf;
 * ZF_ELIMIT if it does not fit. */
zf_code zf_chunk_key(const zf_array *a, const uint64_t *idx, char *buf,
                     size_t size, zf_err *err);

#endif
