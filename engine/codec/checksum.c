/*
 * checksum.c - the crc32c codec: the data plus the 4-byte little-endian
 * CRC-32C of the data.  v3 "crc32c" puts it after the data; numcodecs'
 * CRC32C (v2 "crc32c", v3 "numcodecs.crc32c") defaults to the same but takes
 * "location": "start" to put it before.  Decoding verifies the checksum and
 * copies the data alone into out; peeling verifies it and points at the
 * data in place (no copy).  Stateless and thread-safe.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "le.h"
#include "codec_impl.h"

#define CRC_SIZE 4

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
    uint32_t computed = zf_crc32c(data, n);
    if (stored != computed)
        return zf_err_set(err, ZF_ECORRUPT,
                          "crc32c mismatch: stored 0x%08x, computed 0x%08x",
                          stored, computed);
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
               zf_crc32c(data, inlen));
    out->len = inlen + CRC_SIZE;
    return ZF_OK;
}

static const zf_bbcodec_ops CRC_OPS = {.decode = crc_decode, .encode = crc_encode,
                                       .peel = crc_peel};

zf_code zf_codec_crc32c_init(zf_bbcodec *c, struct json_object *cfg,
                             size_t typesize, zf_err *err)
{
    (void)typesize;
    c->ops = &CRC_OPS;
    if (c->style == ZF_STYLE_NUMCODECS) {
        const char *loc;
        zf_code rc = zf_codec_param_str(c, cfg, "location", 0, "end", &loc,
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
    snprintf(c->desc, sizeof c->desc, "%s",
             c->crc_at_start ? "crc32c(location=start)" : "crc32c");
    return ZF_OK;
}
