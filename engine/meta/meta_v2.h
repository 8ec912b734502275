/*
 * meta_v2.h - the fields of a Zarr v2 array's .zarray (meta_v2.c), read into
 * a zf_array that zf_meta_parse_array (array.h) allocated, mapped onto the
 * same codec pipeline as v3; the shared checks are meta.h's.  Errors as in
 * meta.h, naming the field.
 */
#ifndef ZF_META_V2_H
#define ZF_META_V2_H

#include "meta.h"

zf_code zf_meta_v2_fields(zf_array *a, struct json_object *doc, zf_err *err);

#endif
