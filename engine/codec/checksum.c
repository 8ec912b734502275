/*
 * checksum.c - the 32-bit checksum codecs: the data plus a 4-byte
 * little-endian checksum of it.
 *  - crc32c: v3 "crc32c" puts it after the data; numcodecs' CRC32C (v2
 *    "crc32c", v3 "numcodecs.crc32c") defaults to the same but takes
 *    "location": "start" to put it before;
 *  - numcodecs' CRC32 and Adler32 (zlib's; "crc32", "adler32" in v2,
 *    "numcodecs.*" in v3) put it before the data unless "location": "end";
 *  - numcodecs' Fletcher32 (HDF5's, over big-endian 16-bit words) and
 *    JenkinsLookup3 (lookup3 from "initval"; no "prefix") after it.
 * Decoding verifies the checksum and copies the data alone into out;
 * peeling verifies it and points at the data in place (no copy).
 * Stateless and thread-safe.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <zlib.h>

#include "hash.h"
#include "jsonb.h"
#include "le.h"
#include "codec_impl.h"

#define CRC_SIZE 4

/* numcodecs' fletcher32 (HDF5's H5_checksum_fletcher32): sums of 16-bit
 * big-endian words, folded every 360 words; an odd last byte is the high
 * byte of a word. */
static uint32_t fletcher32(const uint8_t *d, size_t n)
{
    uint32_t s1 = 0, s2 = 0;
    size_t words = n / 2;
    while (words) {
        size_t t = words > 360 ? 360 : words;
        words -= t;
        for (; t; t--, d += 2) {
            s1 += (uint32_t)d[0] << 8 | d[1];
            s2 += s1;
        }
        s1 = (s1 & 0xffff) + (s1 >> 16);
        s2 = (s2 & 0xffff) + (s2 >> 16);
    }
    if (n % 2) {
        s1 += (uint32_t)d[0] << 8;
        s2 += s1;
        s1 = (s1 & 0xffff) + (s1 >> 16);
        s2 = (s2 & 0xffff) + (s2 >> 16);
    }
    s1 = (s1 & 0xffff) + (s1 >> 16);
    s2 = (s2 & 0xffff) + (s2 >> 16);
    return s2 << 16 | s1;
}

static uint32_t checksum(const zf_bbcodec *c, const uint8_t *d, size_t n)
{
    switch (c->sum) {
    case ZF_SUM_CRC32:
    case ZF_SUM_ADLER32: {
        /* zlib takes uInt lengths: feed it in pieces. */
        uLong v = c->sum == ZF_SUM_CRC32 ? crc32(0, Z_NULL, 0)
                                         : adler32(0, Z_NULL, 0);
        for (size_t k; n; n -= k, d += k) {
            k = n > (1u << 30) ? (1u << 30) : n;
            v = c->sum == ZF_SUM_CRC32 ? crc32(v, d, (uInt)k)
                                       : adler32(v, d, (uInt)k);
        }
        return (uint32_t)v;
    }
    case ZF_SUM_FLETCHER32:
        return fletcher32(d, n);
    case ZF_SUM_LOOKUP3:
        return zf_lookup3(d, n, c->initval);
    default:
        return zf_crc32c(d, n);
    }
}

static const char *const SUM_NAMES[] = {
    [ZF_SUM_CRC32C] = "crc32c", [ZF_SUM_CRC32] = "crc32",
    [ZF_SUM_ADLER32] = "adler32", [ZF_SUM_FLETCHER32] = "fletcher32",
    [ZF_SUM_LOOKUP3] = "jenkins_lookup3"};

/* Verifies the checksum; the data is in[*off .. *off + *len). */
static zf_code crc_peel(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                        size_t *off, size_t *len, zf_err *err)
{
    if (inlen < CRC_SIZE)
        return zf_err_set(err, ZF_ECORRUPT,
                          "%s: %zu bytes is too short for a checksum", c->name,
                          inlen);
    size_t n = inlen - CRC_SIZE;
    const uint8_t *data = c->crc_at_start ? in + CRC_SIZE : in;
    uint32_t stored = zf_le32(c->crc_at_start ? in : in + n);
    uint32_t computed = checksum(c, data, n);
    if (stored != computed)
        return zf_err_set(err, ZF_ECORRUPT,
                          "%s mismatch: stored 0x%08x, computed 0x%08x",
                          SUM_NAMES[c->sum], stored, computed);
    *off = (size_t)(data - in);
    *len = n;
    return ZF_OK;
}

static zf_code crc_decode(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                          zf_buf *out, size_t expect, size_t limit,
                          zf_err *err)
{
    size_t off = 0, n = 0;
    zf_code rc = crc_peel(c, in, inlen, &off, &n, err);
    if (rc != ZF_OK)
        return rc;
    const uint8_t *data = in + off;
    rc = zf_codec_claim(c, n, out, expect, limit, err);
    if (rc != ZF_OK)
        return rc;
    if (n)
        memcpy(out->p, data, n);
    out->len = n;
    return ZF_OK;
}

static zf_code crc_encode(const zf_bbcodec *c, const uint8_t *in, size_t inlen,
                          zf_buf *out, zf_err *err)
{
    if (inlen > SIZE_MAX - CRC_SIZE)
        return zf_err_set(err, ZF_ELIMIT, "%s: input too large", c->name);
    if (zf_codec_reserve(out, inlen + CRC_SIZE, err) != ZF_OK)
        return zf_err_prefix(err, "%s", c->name);
    uint8_t *data = c->crc_at_start ? out->p + CRC_SIZE : out->p;
    if (inlen)
        memcpy(data, in, inlen);
    zf_put_le32(c->crc_at_start ? out->p : out->p + inlen,
               checksum(c, data, inlen));
    out->len = inlen + CRC_SIZE;
    return ZF_OK;
}

static const zf_bbcodec_ops CRC_OPS = {.decode = crc_decode, .encode = crc_encode,
                                       .peel = crc_peel};

/* Sets up c as checksum `sum`; numcodecs' "location" (start or end, dflt
 * when absent) where `located`, else the checksum goes at the end. */
static zf_code sum_init(zf_bbcodec *c, struct json_object *cfg, zf_sum sum,
                        int located, const char *dflt, zf_err *err)
{
    c->ops = &CRC_OPS;
    c->sum = sum;
    if (located && c->style == ZF_STYLE_NUMCODECS) {
        const char *loc;
        zf_code rc = zf_codec_param_str(c, cfg, "location", 0, dflt, &loc,
                                        err);
        if (rc != ZF_OK)
            return rc;
        if (strcmp(loc, "start") && strcmp(loc, "end"))
            return zf_err_set(err, ZF_EMETA,
                              "%s: parameter 'location' must be \"start\" or "
                              "\"end\", got \"%s\"",
                              c->name, loc);
        c->crc_at_start = !strcmp(loc, "start");
    }
    snprintf(c->desc, sizeof c->desc, "%s%s", SUM_NAMES[sum],
             !located ? "" : c->crc_at_start ? "(location=start)"
             : sum == ZF_SUM_CRC32C ? "" : "(location=end)");
    return ZF_OK;
}

zf_code zf_codec_crc32c_init(zf_bbcodec *c, struct json_object *cfg,
                             size_t typesize, zf_err *err)
{
    (void)typesize;
    return sum_init(c, cfg, ZF_SUM_CRC32C, 1, "end", err);
}

zf_code zf_codec_crc32_init(zf_bbcodec *c, struct json_object *cfg,
                            size_t typesize, zf_err *err)
{
    (void)typesize;
    return sum_init(c, cfg, ZF_SUM_CRC32, 1, "start", err);
}

zf_code zf_codec_adler32_init(zf_bbcodec *c, struct json_object *cfg,
                              size_t typesize, zf_err *err)
{
    (void)typesize;
    return sum_init(c, cfg, ZF_SUM_ADLER32, 1, "start", err);
}

zf_code zf_codec_fletcher32_init(zf_bbcodec *c, struct json_object *cfg,
                                 size_t typesize, zf_err *err)
{
    (void)typesize;
    return sum_init(c, cfg, ZF_SUM_FLETCHER32, 0, NULL, err);
}

zf_code zf_codec_lookup3_init(zf_bbcodec *c, struct json_object *cfg,
                              size_t typesize, zf_err *err)
{
    (void)typesize;
    int64_t init;
    zf_code rc = zf_codec_param_int(c, cfg, "initval", 0, 0, 0, UINT32_MAX,
                                    &init, err);
    if (rc != ZF_OK)
        return rc;
    json_object *prefix = zf_json_get(cfg, "prefix");
    if (prefix && !json_object_is_type(prefix, json_type_null))
        return zf_err_set(err, ZF_EUNSUPPORTED, "%s: a 'prefix' is not "
                          "supported", c->name);
    c->initval = (uint32_t)init;
    return sum_init(c, cfg, ZF_SUM_LOOKUP3, 0, NULL, err);
}
