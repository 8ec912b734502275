/*
 * array.h - a zf_array from its metadata document (array.c): allocates the
 * array, reads the format's fields (meta_v3.h, meta_v2.h, which use the
 * shared steps of meta.h), and fills its info.  Calls go one way: array.c ->
 * meta_v3.c, meta_v2.c -> meta.c.  Errors as in meta.h, naming the field.
 * Runs on one thread at a time (inside zf_open and zf_refresh); it writes
 * only the new array, so other arrays of the store may be read meanwhile.
 */
#ifndef ZF_META_ARRAY_H
#define ZF_META_ARRAY_H

#include "meta.h"

/* A zarr.json of an array (format 3) or a .zarray (format 2) into a new
 * zf_array; `json` is the document's text, kept for the array's info. */
zf_code zf_meta_parse_array(zf_zarr *z, const char *path, int format,
                            struct json_object *doc, const char *json,
                            zf_array **out, zf_err *err);

/* Frees an array (made by zf_meta_parse_array) and what it owns. */
void zf_array_free(zf_array *a);

#endif
