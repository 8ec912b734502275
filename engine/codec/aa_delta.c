/*
 * aa_delta.c - numcodecs.delta as zarr-python 3 writes it (aa.h): each
 * element stored as its difference from the one before, in C order over the
 * chunk; decoding is the running sum.  Only the form where the stored type
 * is the array's own is supported.  Lossless on integers (they wrap both
 * ways); on floats the difference rounds, so it is marked lossy.
 */
#include <string.h>

#include <json-c/json.h>

#include "aa.h"
#include "codec.h"
#include "jsonb.h"

static zf_code delta_init(zf_aacodec *c, json_object *conf, uint64_t *next,
                          zf_err *err)
{
    (void)next; /* the shape is unchanged */
    json_object *astype = zf_json_get(conf, "astype");
    json_object *dtype = zf_json_get(conf, "dtype");
    const char *a = astype ? json_object_get_string(astype) : NULL;
    const char *d = dtype ? json_object_get_string(dtype) : NULL;
    /* float16 has no C type to sum in (zf_delta_undo would leave the
     * differences): refused rather than served wrong */
    if (c->dt->kind == ZF_KIND_BOOL || c->dt->kind == ZF_KIND_COMPLEX ||
        (c->dt->kind == ZF_KIND_FLOAT && c->dt->size == 2))
        return zf_err_set(err, ZF_EUNSUPPORTED, "numcodecs.delta on %s",
                          c->dt->name);
    if (a && d && strcmp(a, d) != 0)
        return zf_err_set(err, ZF_EUNSUPPORTED, "numcodecs.delta with astype "
                          "%s different from dtype %s", a, d);
    strcpy(c->desc, "delta");
    return ZF_OK;
}

static int delta_lossless(const zf_aacodec *c)
{
    return c->dt->kind != ZF_KIND_FLOAT;
}

static void delta_encode(const zf_aacodec *c, const uint8_t *in, uint8_t *out)
{
    uint64_t n = c->nbytes / c->dt->size;
#define ZF_DIFF(T)                                                      \
    do {                                                                \
        T prev = 0, v;                                                  \
        for (uint64_t i = 0; i < n; i++) {                              \
            memcpy(&v, in + i * sizeof(T), sizeof(T));                  \
            T dv = (T)(v - prev);                                       \
            memcpy(out + i * sizeof(T), &dv, sizeof(T));                \
            prev = v;                                                   \
        }                                                               \
    } while (0)
    int f = c->dt->kind == ZF_KIND_FLOAT;
    switch (c->dt->size) {
    case 1: ZF_DIFF(uint8_t); break;
    case 2: if (!f) ZF_DIFF(uint16_t); break; /* float16: refused at read */
    case 4: if (f) ZF_DIFF(float); else ZF_DIFF(uint32_t); break;
    case 8: if (f) ZF_DIFF(double); else ZF_DIFF(uint64_t); break;
    }
#undef ZF_DIFF
}

static void delta_decode(const zf_aacodec *c, uint8_t *buf)
{
    zf_delta_undo(c->dt->kind == ZF_KIND_FLOAT, c->dt->size, buf, buf,
                  c->nbytes / c->dt->size);
}

const zf_aa_ops zf_aa_delta = {
    .name = "numcodecs.delta",
    .init = delta_init,
    .lossless = delta_lossless,
    .encode = delta_encode,
    .decode = delta_decode,
};
