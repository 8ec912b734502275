/* dtype.c - see dtype.h. */
#include "dtype.h"

#include <json-c/json.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const zf_dtype dtypes[] = {
    {"bool", ZF_KIND_BOOL, 1, 1},        {"int8", ZF_KIND_INT, 1, 1},
    {"int16", ZF_KIND_INT, 2, 2},        {"int32", ZF_KIND_INT, 4, 4},
    {"int64", ZF_KIND_INT, 8, 8},        {"uint8", ZF_KIND_UINT, 1, 1},
    {"uint16", ZF_KIND_UINT, 2, 2},      {"uint32", ZF_KIND_UINT, 4, 4},
    {"uint64", ZF_KIND_UINT, 8, 8},      {"float16", ZF_KIND_FLOAT, 2, 2},
    {"float32", ZF_KIND_FLOAT, 4, 4},    {"float64", ZF_KIND_FLOAT, 8, 8},
    {"complex64", ZF_KIND_COMPLEX, 8, 4}, {"complex128", ZF_KIND_COMPLEX, 16, 8},
};

const zf_dtype *zf_dtype_by_name(const char *name)
{
    for (size_t i = 0; name && i < sizeof dtypes / sizeof *dtypes; i++)
        if (strcmp(dtypes[i].name, name) == 0)
            return &dtypes[i];
    return NULL;
}

void zf_dtype_byteswap(const zf_dtype *dt, void *data, size_t n)
{
    size_t u = dt->swap_unit, units = n * (dt->size / u);
    uint8_t *p = data;
    if (u == 1)
        return;
    for (size_t i = 0; i < units; i++, p += u)
        for (size_t a = 0, b = u - 1; a < b; a++, b--) {
            uint8_t t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

/* IEEE half from a double, rounding to nearest even; enough for fill values. */
static uint16_t half_from_double(double v)
{
    uint16_t sign = signbit(v) ? 0x8000 : 0;
    if (isnan(v))
        return 0x7e00;
    v = fabs(v);
    if (isinf(v) || v >= 65520.0)
        return sign | 0x7c00;
    if (v < 5.960464477539063e-08 / 2)
        return sign;
    int e;
    double m = frexp(v, &e); /* v = m * 2^e, m in [0.5, 1) */
    if (e < -13) {           /* subnormal: units of 2^-24 */
        return sign | (uint16_t)nearbyint(ldexp(v, 24));
    }
    uint32_t mant = (uint32_t)nearbyint(ldexp(m, 11)); /* 1024..2048 */
    if (mant == 2048) {
        mant = 1024;
        e++;
    }
    if (e + 14 > 30)
        return sign | 0x7c00;
    return sign | (uint16_t)((e + 14) << 10) | (uint16_t)(mant - 1024);
}

/* The special strings of the v3 spec and "0x" bit patterns. */
static zf_code float_from_string(const zf_dtype *dt, const char *s, size_t size,
                                 void *out, zf_err *err)
{
    double v;
    if (strcmp(s, "NaN") == 0)
        v = NAN;
    else if (strcmp(s, "Infinity") == 0)
        v = INFINITY;
    else if (strcmp(s, "-Infinity") == 0)
        v = -INFINITY;
    else if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        char *end;
        errno = 0;
        uint64_t bits = strtoull(s + 2, &end, 16);
        if (errno || *end || end == s + 2 || strlen(s + 2) != size * 2)
            return zf_err_set(err, ZF_EMETA,
                              "fill_value \"%s\" is not a %zu-byte hex pattern "
                              "for %s", s, size, dt->name);
        if (size == 2) { uint16_t b = (uint16_t)bits; memcpy(out, &b, 2); }
        else if (size == 4) { uint32_t b = (uint32_t)bits; memcpy(out, &b, 4); }
        else memcpy(out, &bits, 8);
        return ZF_OK;
    } else
        return zf_err_set(err, ZF_EMETA, "fill_value \"%s\" is not valid for %s",
                          s, dt->name);
    if (size == 2) { uint16_t h = half_from_double(v); memcpy(out, &h, 2); }
    else if (size == 4) { float f = (float)v; memcpy(out, &f, 4); }
    else memcpy(out, &v, 8);
    return ZF_OK;
}

/* One float component (real numbers, or one half of a complex pair). */
static zf_code parse_float(const zf_dtype *dt, json_object *v, size_t size,
                           void *out, zf_err *err)
{
    if (json_object_is_type(v, json_type_string))
        return float_from_string(dt, json_object_get_string(v), size, out, err);
    if (!json_object_is_type(v, json_type_double) &&
        !json_object_is_type(v, json_type_int))
        return zf_err_set(err, ZF_EMETA, "fill_value for %s must be a number",
                          dt->name);
    double d = json_object_get_double(v);
    if (size == 2) { uint16_t h = half_from_double(d); memcpy(out, &h, 2); }
    else if (size == 4) { float f = (float)d; memcpy(out, &f, 4); }
    else memcpy(out, &d, 8);
    return ZF_OK;
}

static zf_code parse_int(const zf_dtype *dt, json_object *v, void *out,
                         zf_err *err)
{
    if (!json_object_is_type(v, json_type_int))
        return zf_err_set(err, ZF_EMETA, "fill_value for %s must be an integer",
                          dt->name);
    int64_t lo = 0, hi = 0;
    uint64_t u = 0;
    int neg = 0;
    /* json-c keeps integers above INT64_MAX as uint64. */
    int64_t s = json_object_get_int64(v);
    if (s == INT64_MAX) {
        u = json_object_get_uint64(v);
    } else if (s < 0) {
        neg = 1;
    } else
        u = (uint64_t)s;
    if (dt->kind == ZF_KIND_INT) {
        int bits = (int)dt->size * 8;
        lo = bits == 64 ? INT64_MIN : -((int64_t)1 << (bits - 1));
        hi = bits == 64 ? INT64_MAX : ((int64_t)1 << (bits - 1)) - 1;
        if ((neg && s < lo) || (!neg && u > (uint64_t)hi))
            return zf_err_set(err, ZF_EMETA, "fill_value is out of range for %s",
                              dt->name);
        int64_t val = neg ? s : (int64_t)u;
        if (dt->size == 1) { int8_t x = (int8_t)val; memcpy(out, &x, 1); }
        else if (dt->size == 2) { int16_t x = (int16_t)val; memcpy(out, &x, 2); }
        else if (dt->size == 4) { int32_t x = (int32_t)val; memcpy(out, &x, 4); }
        else memcpy(out, &val, 8);
        return ZF_OK;
    }
    uint64_t max = dt->size == 8 ? UINT64_MAX : (((uint64_t)1 << (dt->size * 8)) - 1);
    if (neg || u > max)
        return zf_err_set(err, ZF_EMETA, "fill_value is out of range for %s",
                          dt->name);
    if (dt->size == 1) { uint8_t x = (uint8_t)u; memcpy(out, &x, 1); }
    else if (dt->size == 2) { uint16_t x = (uint16_t)u; memcpy(out, &x, 2); }
    else if (dt->size == 4) { uint32_t x = (uint32_t)u; memcpy(out, &x, 4); }
    else memcpy(out, &u, 8);
    return ZF_OK;
}

zf_code zf_dtype_parse_fill(const zf_dtype *dt, json_object *v, void *out,
                            zf_err *err)
{
    memset(out, 0, dt->size);
    if (!v || json_object_is_type(v, json_type_null))
        return zf_err_set(err, ZF_EMETA, "fill_value is missing or null");
    switch (dt->kind) {
    case ZF_KIND_BOOL:
        if (!json_object_is_type(v, json_type_boolean))
            return zf_err_set(err, ZF_EMETA, "fill_value for bool must be "
                                             "true or false");
        *(uint8_t *)out = json_object_get_boolean(v) ? 1 : 0;
        return ZF_OK;
    case ZF_KIND_INT:
    case ZF_KIND_UINT:
        return parse_int(dt, v, out, err);
    case ZF_KIND_FLOAT:
        return parse_float(dt, v, dt->size, out, err);
    case ZF_KIND_COMPLEX: {
        size_t half = dt->size / 2;
        if (!json_object_is_type(v, json_type_array) ||
            json_object_array_length(v) != 2)
            return zf_err_set(err, ZF_EMETA, "fill_value for %s must be a "
                              "[real, imaginary] pair", dt->name);
        zf_code c = parse_float(dt, json_object_array_get_idx(v, 0), half, out, err);
        if (c == ZF_OK)
            c = parse_float(dt, json_object_array_get_idx(v, 1), half,
                            (uint8_t *)out + half, err);
        return c;
    }
    }
    return zf_err_set(err, ZF_EMETA, "fill_value: unknown type");
}
