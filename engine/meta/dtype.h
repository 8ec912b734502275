/*
 * dtype.h - the Zarr v3 core data types: names, sizes, byte swapping and
 * fill values.  A table of constants: thread-safe, nothing to free.
 */
#ifndef ZF_DTYPE_H
#define ZF_DTYPE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct json_object;

typedef enum zf_dtype_kind {
    ZF_KIND_BOOL, ZF_KIND_INT, ZF_KIND_UINT, ZF_KIND_FLOAT, ZF_KIND_COMPLEX
} zf_dtype_kind;

typedef struct zf_dtype {
    const char *name;   /* v3 name: "bool", "int8", ..., "complex128" */
    zf_dtype_kind kind;
    size_t size;        /* bytes per element */
    size_t swap_unit;   /* bytes reversed as one unit when changing endian
                           (complex types swap each half; 1 = nothing) */
} zf_dtype;

/* The dtype called `name`, or NULL. */
const zf_dtype *zf_dtype_by_name(const char *name);

/* Parses a v3 fill_value (number, "NaN", "Infinity", "-Infinity", "0x..."
 * bit pattern, [re, im] pair, true/false) into size bytes, native order.
 * ZF_EMETA with the reason when the value does not fit the type. */
zf_code zf_dtype_parse_fill(const zf_dtype *dt, struct json_object *value,
                            void *out, zf_err *err);

/* Reverses the bytes of each swap_unit of n elements in place. */
void zf_dtype_byteswap(const zf_dtype *dt, void *data, size_t n);

/* 1 if this machine is little endian. */
static inline int zf_native_little(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

#endif
