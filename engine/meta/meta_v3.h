/*
 * meta_v3.h - the fields of a Zarr v3 array's zarr.json (meta_v3.c), read
 * into a zf_array that zf_meta_parse_array (array.h) allocated; the shared
 * checks are meta.h's.  Errors as in meta.h, naming the field.
 */
#ifndef ZF_META_V3_H
#define ZF_META_V3_H

#include "meta.h"

zf_code zf_meta_v3_fields(zf_array *a, struct json_object *doc, zf_err *err);

#endif
