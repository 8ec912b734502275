/*
 * filters.c - the numeric filters of Zarr v2 (numcodecs ids "delta",
 * "fixedscaleoffset", "bitround", "quantize", "astype", "packbits"), as
 * bytes->bytes codecs over the chunk's elements in their stored byte order:
 *  - delta: stored are differences of consecutive elements (as `astype`);
 *    decoding is the running sum, in the array's type (integers wrap);
 *  - fixedscaleoffset: stored is round((x - offset) * scale) as `astype`;
 *    decoding is stored / scale + offset, computed in double and converted
 *    to the array's type (truncating, as numpy's astype does);
 *  - bitround: mantissa bits beyond `keepbits` rounded away on encoding;
 *    decoding is the identity;
 *  - quantize: floats rounded to a power-of-two step finer than 10^-digits
 *    and stored as `astype`; astype: stored as `encode_dtype`.  Decoding
 *    both is numpy's astype to the array's type (values converted as C
 *    converts them: floats rounded to nearest, truncated to integers);
 *  - packbits: booleans, 8 to a byte, most significant bit first, after a
 *    byte counting the padding bits of the last.
 * Stateless and thread-safe.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonb.h"
#include "codec_impl.h"

static zf_code parse_numtype(const zf_bbcodec *c, const char *key,
                             const char *s, zf_numtype *t, zf_err *err)
{
    char order = s[0], kind = s[0] ? s[1] : 0;
    unsigned size = 0;
    char tail = 0;
    if ((order != '<' && order != '>' && order != '|' && order != '=') ||
        !strchr("biuf", kind) || !kind ||
        sscanf(s + 2, "%u%c", &size, &tail) != 1 ||
        (size != 1 && size != 2 && size != 4 && size != 8) ||
        (kind == 'f' && size == 1) || (kind == 'b' && size != 1))
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: %s '%s' is not a numeric "
                          "type", c->name, key, s);
    t->kind = kind;
    t->size = size;
    t->big = order == '>';
    return ZF_OK;
}

static zf_code param_type(const zf_bbcodec *c, struct json_object *cfg,
                          const char *key, const char *dflt, zf_numtype *t,
                          zf_err *err)
{
    const char *s;
    zf_code rc = zf_codec_param_str(c, cfg, key, dflt == NULL, dflt, &s, err);
    return rc == ZF_OK ? parse_numtype(c, key, s, t, err) : rc;
}

/* Reads element i of type t as raw bits (integers, zero- or sign-extended
 * later by the caller) in native order. */
static uint64_t load_bits(const uint8_t *p, const zf_numtype *t)
{
    uint8_t b[8];
    for (size_t k = 0; k < t->size; k++)
        b[k] = p[t->big ? t->size - 1 - k : k]; /* b is little endian */
    uint64_t v = 0;
    for (size_t k = t->size; k-- > 0;)
        v = v << 8 | b[k];
    return v;
}

static void store_bits(uint8_t *p, const zf_numtype *t, uint64_t v)
{
    for (size_t k = 0; k < t->size; k++, v >>= 8)
        p[t->big ? t->size - 1 - k : k] = (uint8_t)v;
}

/* An integer element as a 64-bit pattern (sign-extended for 'i'), exact
 * where a double would round. */
static uint64_t load_int(const uint8_t *p, const zf_numtype *t)
{
    uint64_t v = load_bits(p, t);
    if (t->kind == 'i' && t->size < 8 && (v >> (t->size * 8 - 1)) & 1)
        v |= ~(uint64_t)0 << (t->size * 8);
    return v;
}

static double load_num(const uint8_t *p, const zf_numtype *t)
{
    uint64_t v = load_bits(p, t);
    if (t->kind == 'f') {
        if (t->size == 4) {
            float f;
            uint32_t u = (uint32_t)v;
            memcpy(&f, &u, 4);
            return f;
        }
        if (t->size == 8) {
            double d;
            memcpy(&d, &v, 8);
            return d;
        }
        return NAN; /* float16 is refused at init */
    }
    v = load_int(p, t);
    return t->kind == 'i' ? (double)(int64_t)v : (double)v;
}

static void store_num(uint8_t *p, const zf_numtype *t, double d)
{
    if (t->kind == 'f') {
        if (t->size == 4) {
            float f = (float)d;
            uint32_t u;
            memcpy(&u, &f, 4);
            store_bits(p, t, u);
        } else {
            uint64_t u;
            memcpy(&u, &d, 8);
            store_bits(p, t, u);
        }
        return;
    }
    /* numpy's float -> integer conversion truncates toward zero; values it
     * cannot represent (NaN, out of range: damaged data) become 0 or the
     * nearest end, and the bits are then cut to the type's size. */
    int64_t v;
    if (t->kind == 'u' && d >= 9223372036854775808.0 && d < 18446744073709551616.0) {
        store_bits(p, t, (uint64_t)d);
        return;
    }
    if (d != d)
        v = 0;
    else if (d >= 9223372036854775807.0)
        v = INT64_MAX;
    else if (d <= -9223372036854775808.0)
        v = INT64_MIN;
    else
        v = (int64_t)d;
    store_bits(p, t, (uint64_t)v);
}

/* Checks the stored size is whole elements and claims the decoded size. */
static zf_code claim(const zf_bbcodec *c, size_t inlen, size_t from,
                     size_t to, zf_buf *out, size_t expect, size_t limit,
                     size_t *n, zf_err *err)
{
    if (inlen % from)
        return zf_err_set(err, ZF_ECORRUPT, "%s: %zu bytes is not a whole "
                          "number of %zu-byte elements", c->name, inlen, from);
    *n = inlen / from;
    return zf_codec_claim(c, *n * to, out, expect, limit, err);
}

/* An encoder's claim: in must be whole elements of the array's type, and out
 * room for as many of `to` bytes each; *n is the element count. */
static zf_code encode_claim(const zf_bbcodec *c, size_t inlen, size_t to,
                            zf_buf *out, size_t *n, zf_err *err)
{
    *n = inlen / c->dtype.size;
    if (inlen % c->dtype.size || zf_codec_reserve(out, *n * to, err))
        return zf_err_set(err, ZF_EINVAL, "%s: cannot encode %zu bytes",
                          c->name, inlen);
    return ZF_OK;
}

void zf_delta_undo(int is_float, size_t size, const uint8_t *in, uint8_t *out,
                   uint64_t n)
{
#define ZF_CUMSUM(T)                                                    \
    do {                                                                \
        T acc = 0, v;                                                   \
        for (uint64_t i = 0; i < n; i++) {                              \
            memcpy(&v, in + i * sizeof(T), sizeof(T));                  \
            acc = (T)(acc + v);                                         \
            memcpy(out + i * sizeof(T), &acc, sizeof(T));               \
        }                                                               \
    } while (0)
    switch (size) {
    case 1: ZF_CUMSUM(uint8_t); break;
    case 2: if (!is_float) ZF_CUMSUM(uint16_t); break; /* float16: refused */
    case 4: if (is_float) ZF_CUMSUM(float); else ZF_CUMSUM(uint32_t); break;
    case 8: if (is_float) ZF_CUMSUM(double); else ZF_CUMSUM(uint64_t); break;
    }
#undef ZF_CUMSUM
}

/* Whether stored and decoded elements are the same native-order type (the
 * usual case), so that the sum needs no conversion. */
static int delta_native(const zf_bbcodec *c)
{
    const zf_numtype *d = &c->dtype, *a = &c->astype;
    int big_host = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
    return d->size == a->size && (d->kind == 'f') == (a->kind == 'f') &&
           (d->size == 1 || (d->big == big_host && a->big == big_host));
}

static zf_code delta_decode(const zf_bbcodec *c, const uint8_t *in,
                            size_t inlen, zf_buf *out, size_t expect,
                            size_t limit, zf_err *err)
{
    size_t n = 0;
    zf_code rc = claim(c, inlen, c->astype.size, c->dtype.size, out, expect,
                       limit, &n, err);
    if (rc != ZF_OK)
        return rc;
    if (delta_native(c))
        zf_delta_undo(c->dtype.kind == 'f', c->dtype.size, in, out->p, n);
    else if (c->dtype.kind == 'f') {
        double acc = 0;
        for (size_t i = 0; i < n; i++) {
            acc += load_num(in + i * c->astype.size, &c->astype);
            if (c->astype.size == 4)
                acc = (float)acc; /* numpy sums float32 in float32 */
            store_num(out->p + i * c->dtype.size, &c->dtype, acc);
        }
    } else {
        uint64_t acc = 0; /* modular: wraps like the narrower types */
        for (size_t i = 0; i < n; i++) {
            acc += load_int(in + i * c->astype.size, &c->astype);
            store_bits(out->p + i * c->dtype.size, &c->dtype, acc);
        }
    }
    out->len = n * c->dtype.size;
    return ZF_OK;
}

static zf_code delta_encode(const zf_bbcodec *c, const uint8_t *in,
                            size_t inlen, zf_buf *out, zf_err *err)
{
    size_t n = 0;
    if (encode_claim(c, inlen, c->astype.size, out, &n, err) != ZF_OK)
        return ZF_EINVAL;
    double prev = 0;
    uint64_t iprev = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t *o = out->p + i * c->astype.size;
        const uint8_t *x = in + i * c->dtype.size;
        if (c->astype.kind == 'f') {
            double v = load_num(x, &c->dtype);
            store_num(o, &c->astype, v - prev);
            prev = v;
        } else {
            uint64_t v = load_int(x, &c->dtype);
            store_bits(o, &c->astype, v - iprev);
            iprev = v;
        }
    }
    out->len = n * c->astype.size;
    return ZF_OK;
}

static zf_code fso_decode(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                          zf_buf *out, size_t expect, size_t limit, zf_err *err)
{
    size_t n = 0;
    zf_code rc = claim(c, inlen, c->astype.size, c->dtype.size, out, expect,
                       limit, &n, err);
    if (rc != ZF_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        double v = load_num(in + i * c->astype.size, &c->astype);
        store_num(out->p + i * c->dtype.size, &c->dtype, v / c->scale + c->offset);
    }
    out->len = n * c->dtype.size;
    return ZF_OK;
}

static zf_code fso_encode(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                          zf_buf *out, zf_err *err)
{
    size_t n = 0;
    if (encode_claim(c, inlen, c->astype.size, out, &n, err) != ZF_OK)
        return ZF_EINVAL;
    for (size_t i = 0; i < n; i++) {
        double v = load_num(in + i * c->dtype.size, &c->dtype);
        store_num(out->p + i * c->astype.size, &c->astype,
                  nearbyint((v - c->offset) * c->scale));
    }
    out->len = n * c->astype.size;
    return ZF_OK;
}

static zf_code bitround_decode(const zf_bbcodec *c, const uint8_t *in,
                               size_t inlen, zf_buf *out, size_t expect,
                               size_t limit, zf_err *err)
{
    zf_code rc = zf_codec_claim(c, inlen, out, expect, limit, err);
    if (rc == ZF_OK && inlen)
        memcpy(out->p, in, inlen);
    out->len = rc == ZF_OK ? inlen : 0;
    return rc;
}

/* Rounds each float's mantissa to keepbits bits, to nearest (ties away from
 * the truncated value's parity, as numcodecs does). */
static zf_code bitround_encode(const zf_bbcodec *c, const uint8_t *in,
                               size_t inlen, zf_buf *out, zf_err *err)
{
    size_t es = c->dtype.size;
    int mant = es == 2 ? 10 : es == 4 ? 23 : 52;
    size_t n = 0;
    if (encode_claim(c, inlen, es, out, &n, err) != ZF_OK)
        return ZF_EINVAL;
    int mask_bits = mant - c->keepbits;
    for (size_t i = 0; i < inlen; i += es) {
        uint64_t b = load_bits(in + i, &c->dtype);
        if (mask_bits > 0) {
            uint64_t mask = ~(((uint64_t)1 << mask_bits) - 1);
            uint64_t half = ((uint64_t)1 << (mask_bits - 1)) - 1;
            b += ((b >> mask_bits) & 1) + half;
            b &= mask;
        }
        store_bits(out->p + i, &c->dtype, b);
    }
    out->len = inlen;
    return ZF_OK;
}

/* quantize and astype: each stored element converted to the array's type. */
static zf_code convert_decode(const zf_bbcodec *c, const uint8_t *in,
                              size_t inlen, zf_buf *out, size_t expect,
                              size_t limit, zf_err *err)
{
    size_t n = 0;
    zf_code rc = claim(c, inlen, c->astype.size, c->dtype.size, out, expect,
                       limit, &n, err);
    if (rc != ZF_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        store_num(out->p + i * c->dtype.size, &c->dtype,
                  load_num(in + i * c->astype.size, &c->astype));
    out->len = n * c->dtype.size;
    return ZF_OK;
}

/* astype's encoding, and quantize's with c->scale the step's inverse. */
static zf_code convert_encode(const zf_bbcodec *c, const uint8_t *in,
                              size_t inlen, zf_buf *out, zf_err *err)
{
    size_t n = 0;
    if (encode_claim(c, inlen, c->astype.size, out, &n, err) != ZF_OK)
        return ZF_EINVAL;
    for (size_t i = 0; i < n; i++) {
        double v = load_num(in + i * c->dtype.size, &c->dtype);
        if (c->scale != 0) /* quantize: numpy's around rounds half to even */
            v = nearbyint(c->scale * v) / c->scale;
        store_num(out->p + i * c->astype.size, &c->astype, v);
    }
    out->len = n * c->astype.size;
    return ZF_OK;
}

static zf_code packbits_decode(const zf_bbcodec *c, const uint8_t *in,
                               size_t inlen, zf_buf *out, size_t expect,
                               size_t limit, zf_err *err)
{
    if (inlen < 1 || in[0] > 7 || (inlen == 1 && in[0]))
        return zf_err_set(err, ZF_ECORRUPT, "%s: %zu bytes is no packbits "
                          "encoding", c->name, inlen);
    size_t n = (inlen - 1) * 8 - in[0];
    zf_code rc = zf_codec_claim(c, n, out, expect, limit, err);
    if (rc != ZF_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        out->p[i] = (in[1 + i / 8] >> (7 - i % 8)) & 1;
    out->len = n;
    return ZF_OK;
}

static zf_code packbits_encode(const zf_bbcodec *c, const uint8_t *in,
                               size_t inlen, zf_buf *out, zf_err *err)
{
    size_t bytes = (inlen + 7) / 8;
    if (zf_codec_reserve(out, bytes + 1, err) != ZF_OK)
        return zf_err_prefix(err, "%s", c->name);
    memset(out->p, 0, bytes + 1);
    out->p[0] = (uint8_t)((8 - inlen % 8) % 8);
    for (size_t i = 0; i < inlen; i++)
        if (in[i])
            out->p[1 + i / 8] |= (uint8_t)(0x80 >> (i % 8));
    out->len = bytes + 1;
    return ZF_OK;
}

static const zf_bbcodec_ops CONVERT_OPS = {.decode = convert_decode,
                                           .encode = convert_encode};
static const zf_bbcodec_ops PACKBITS_OPS = {.decode = packbits_decode,
                                            .encode = packbits_encode};
static const zf_bbcodec_ops DELTA_OPS = {.decode = delta_decode,
                                         .encode = delta_encode};
static const zf_bbcodec_ops FSO_OPS = {.decode = fso_decode,
                                       .encode = fso_encode};
static const zf_bbcodec_ops BITROUND_OPS = {.decode = bitround_decode,
                                            .encode = bitround_encode};

/* 1 if every value of type d is exactly a value of type a. */
static int widens(const zf_numtype *d, const zf_numtype *a)
{
    if (d->kind == a->kind)
        return a->size >= d->size;
    if (d->kind == 'b')
        return 1;
    if (d->kind == 'u' && a->kind == 'i')
        return a->size > d->size;
    if (a->kind == 'f') /* the mantissa holds every integer of d */
        return d->size * 8 <= (a->size == 8 ? 53u : a->size == 4 ? 24u : 11u);
    return 0;
}

zf_code zf_codec_delta_init(zf_bbcodec *c, struct json_object *cfg,
                            size_t typesize, zf_err *err)
{
    (void)typesize;
    const char *dt;
    zf_code rc = zf_codec_param_str(c, cfg, "dtype", 1, NULL, &dt, err);
    if (rc == ZF_OK) rc = parse_numtype(c, "dtype", dt, &c->dtype, err);
    if (rc == ZF_OK) rc = param_type(c, cfg, "astype", dt, &c->astype, err);
    if (rc == ZF_OK && (c->dtype.kind == 'f') != (c->astype.kind == 'f'))
        rc = zf_err_set(err, ZF_EUNSUPPORTED, "delta: dtype and astype must "
                        "both be integers or both floats");
    if (rc == ZF_OK && c->dtype.kind == 'f' && c->dtype.size == 2)
        rc = zf_err_set(err, ZF_EUNSUPPORTED, "delta: float16");
    if (rc != ZF_OK)
        return rc;
    c->ops = &DELTA_OPS;
    /* Float differences round; integer ones wrap back (whatever the
     * signedness) only when the stored type is at least as wide. */
    c->lossy = c->dtype.kind == 'f' || c->astype.size < c->dtype.size;
    snprintf(c->desc, sizeof c->desc, "delta(%c%zu)", c->astype.kind,
             c->astype.size);
    return ZF_OK;
}

zf_code zf_codec_fixedscaleoffset_init(zf_bbcodec *c, struct json_object *cfg,
                                       size_t typesize, zf_err *err)
{
    (void)typesize;
    const char *dt;
    json_object *v;
    zf_code rc = zf_codec_param_str(c, cfg, "dtype", 1, NULL, &dt, err);
    if (rc == ZF_OK) rc = parse_numtype(c, "dtype", dt, &c->dtype, err);
    if (rc == ZF_OK) rc = param_type(c, cfg, "astype", dt, &c->astype, err);
    if (rc == ZF_OK && (c->dtype.size == 2 && c->dtype.kind == 'f'))
        rc = zf_err_set(err, ZF_EUNSUPPORTED, "fixedscaleoffset: float16");
    if (rc != ZF_OK)
        return rc;
    c->scale = (v = zf_json_get(cfg, "scale")) ? json_object_get_double(v) : 1;
    c->offset = (v = zf_json_get(cfg, "offset")) ? json_object_get_double(v) : 0;
    if (c->scale == 0 || !isfinite(c->scale) || !isfinite(c->offset))
        return zf_err_set(err, ZF_EMETA, "fixedscaleoffset: scale and offset "
                          "must be finite and scale non-zero");
    c->ops = &FSO_OPS;
    snprintf(c->desc, sizeof c->desc, "fixedscaleoffset(scale=%g,offset=%g,%c%zu)",
             c->scale, c->offset, c->astype.kind, c->astype.size);
    return ZF_OK;
}

zf_code zf_codec_bitround_init(zf_bbcodec *c, struct json_object *cfg,
                               size_t typesize, zf_err *err)
{
    int64_t keep;
    size_t es = typesize;
    int mant = es == 2 ? 10 : es == 4 ? 23 : es == 8 ? 52 : -1;
    if (mant < 0)
        return zf_err_set(err, ZF_EUNSUPPORTED, "bitround: needs a float array");
    zf_code rc = zf_codec_param_int(c, cfg, "keepbits", 1, 0, 0, mant, &keep, err);
    if (rc != ZF_OK)
        return rc;
    c->keepbits = (int)keep;
    c->dtype = (zf_numtype){'f', es, 0};
    c->ops = &BITROUND_OPS;
    snprintf(c->desc, sizeof c->desc, "bitround(keepbits=%d)", c->keepbits);
    return ZF_OK;
}

/* float16 has no conversion here (load_num and store_num refuse it). */
static zf_code no_half(const zf_bbcodec *c, zf_err *err)
{
    if ((c->dtype.kind == 'f' && c->dtype.size == 2) ||
        (c->astype.kind == 'f' && c->astype.size == 2))
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: float16", c->name);
    return ZF_OK;
}

zf_code zf_codec_quantize_init(zf_bbcodec *c, struct json_object *cfg,
                               size_t typesize, zf_err *err)
{
    (void)typesize;
    const char *dt;
    int64_t digits;
    zf_code rc = zf_codec_param_str(c, cfg, "dtype", 1, NULL, &dt, err);
    if (rc == ZF_OK) rc = parse_numtype(c, "dtype", dt, &c->dtype, err);
    if (rc == ZF_OK) rc = param_type(c, cfg, "astype", dt, &c->astype, err);
    if (rc == ZF_OK) rc = zf_codec_param_int(c, cfg, "digits", 1, 0, -300, 300,
                                             &digits, err);
    if (rc == ZF_OK && (c->dtype.kind != 'f' || c->astype.kind != 'f'))
        rc = zf_err_set(err, ZF_EUNSUPPORTED, "%s: dtype and astype must be "
                        "floats", c->name);
    if (rc == ZF_OK) rc = no_half(c, err);
    if (rc != ZF_OK)
        return rc;
    /* numcodecs: the step is 2^-bits, bits = ceil(log2(10^-exp)), exp =
     * log10(10^-digits) rounded away from zero. */
    double e = log10(pow(10.0, (double)-digits));
    e = e < 0 ? floor(e) : ceil(e);
    c->scale = pow(2.0, ceil(log2(pow(10.0, -e))));
    c->ops = &CONVERT_OPS;
    snprintf(c->desc, sizeof c->desc, "quantize(digits=%d,%c%zu)", (int)digits,
             c->astype.kind, c->astype.size);
    return ZF_OK;
}

zf_code zf_codec_astype_init(zf_bbcodec *c, struct json_object *cfg,
                             size_t typesize, zf_err *err)
{
    (void)typesize;
    const char *enc;
    zf_code rc = zf_codec_param_str(c, cfg, "encode_dtype", 1, NULL, &enc, err);
    if (rc == ZF_OK) rc = parse_numtype(c, "encode_dtype", enc, &c->astype, err);
    if (rc == ZF_OK) rc = param_type(c, cfg, "decode_dtype", NULL, &c->dtype, err);
    if (rc == ZF_OK) rc = no_half(c, err);
    if (rc != ZF_OK)
        return rc;
    c->scale = 0; /* no quantizing */
    c->lossy = !widens(&c->dtype, &c->astype);
    c->ops = &CONVERT_OPS;
    snprintf(c->desc, sizeof c->desc, "astype(%c%zu)", c->astype.kind,
             c->astype.size);
    return ZF_OK;
}

zf_code zf_codec_packbits_init(zf_bbcodec *c, struct json_object *cfg,
                               size_t typesize, zf_err *err)
{
    (void)cfg;
    if (typesize != 1)
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: needs a bool array",
                          c->name);
    c->ops = &PACKBITS_OPS;
    snprintf(c->desc, sizeof c->desc, "packbits");
    return ZF_OK;
}
