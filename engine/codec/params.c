/*
 * params.c - reading a codec's configuration parameters out of its JSON
 * object, with defaults, type and range checks; every failure is ZF_EMETA
 * naming the codec and the key.  Stateless and thread-safe.
 */
#include <inttypes.h>

#include <json-c/json.h>

#include "jsonb.h"
#include "codec_impl.h"

static zf_code missing(const zf_bbcodec *c, const char *key, zf_err *err)
{
    return zf_err_set(err, ZF_EMETA, "%s: missing parameter '%s'", c->name,
                      key);
}

/* cfg[key] into *o when present and of `type` (which `what` names); *o
 * NULL when absent, an error when absent but required. */
static zf_code lookup(const zf_bbcodec *c, struct json_object *cfg,
                      const char *key, int required, json_type type,
                      const char *what, struct json_object **o, zf_err *err)
{
    *o = zf_json_get(cfg, key);
    if (!*o)
        return required ? missing(c, key, err) : ZF_OK;
    if (!json_object_is_type(*o, type))
        return zf_err_set(err, ZF_EMETA, "%s: parameter '%s' must be %s",
                          c->name, key, what);
    return ZF_OK;
}

zf_code zf_codec_param_int(const zf_bbcodec *c, struct json_object *cfg,
                           const char *key, int required, int64_t dflt,
                           int64_t lo, int64_t hi, int64_t *v, zf_err *err)
{
    struct json_object *o;
    /* Doubles such as 3.0 are refused: a writer that means an integer
     * writes one, and silently truncating 3.5 would hide a bad file. */
    zf_code rc = lookup(c, cfg, key, required, json_type_int, "an integer",
                        &o, err);
    *v = dflt;
    if (rc != ZF_OK || !o)
        return rc;
    int64_t x = json_object_get_int64(o);
    if (x < lo || x > hi)
        return zf_err_set(err, ZF_EMETA,
                          "%s: parameter '%s' is %" PRId64
                          ", outside [%" PRId64 ", %" PRId64 "]",
                          c->name, key, x, lo, hi);
    *v = x;
    return ZF_OK;
}

zf_code zf_codec_param_bool(const zf_bbcodec *c, struct json_object *cfg,
                            const char *key, int required, int dflt, int *v,
                            zf_err *err)
{
    struct json_object *o;
    zf_code rc = lookup(c, cfg, key, required, json_type_boolean,
                        "a boolean", &o, err);
    *v = o && rc == ZF_OK ? json_object_get_boolean(o) != 0 : dflt;
    return rc;
}

zf_code zf_codec_param_str(const zf_bbcodec *c, struct json_object *cfg,
                           const char *key, int required, const char *dflt,
                           const char **v, zf_err *err)
{
    struct json_object *o;
    zf_code rc = lookup(c, cfg, key, required, json_type_string, "a string",
                        &o, err);
    *v = o && rc == ZF_OK ? json_object_get_string(o) : dflt;
    return rc;
}
