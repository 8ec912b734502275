/*
 * params.c - reading a codec's configuration parameters out of its JSON
 * object, with defaults, type and range checks; every failure is ZF_EMETA
 * naming the codec and the key.  Stateless and thread-safe.
 */
#include <inttypes.h>

#include <json-c/json.h>

#include "../jsonb.h"
#include "codec_impl.h"

static zf_code missing(const zf_bbcodec *c, const char *key, zf_err *err)
{
    return zf_err_set(err, ZF_EMETA, "%s: missing parameter '%s'", c->name,
                      key);
}

zf_code zf_codec_param_int(const zf_bbcodec *c, struct json_object *cfg,
                           const char *key, int required, int64_t dflt,
                           int64_t lo, int64_t hi, int64_t *v, zf_err *err)
{
    struct json_object *o = zf_json_get(cfg, key);
    if (!o) {
        *v = dflt;
        return required ? missing(c, key, err) : ZF_OK;
    }
    /* Doubles such as 3.0 are refused: a writer that means an integer
     * writes one, and silently truncating 3.5 would hide a bad file. */
    if (!json_object_is_type(o, json_type_int))
        return zf_err_set(err, ZF_EMETA, "%s: parameter '%s' must be an integer",
                          c->name, key);
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
    struct json_object *o = zf_json_get(cfg, key);
    if (!o) {
        *v = dflt;
        return required ? missing(c, key, err) : ZF_OK;
    }
    if (!json_object_is_type(o, json_type_boolean))
        return zf_err_set(err, ZF_EMETA, "%s: parameter '%s' must be a boolean",
                          c->name, key);
    *v = json_object_get_boolean(o) ? 1 : 0;
    return ZF_OK;
}

zf_code zf_codec_param_str(const zf_bbcodec *c, struct json_object *cfg,
                           const char *key, int required, const char *dflt,
                           const char **v, zf_err *err)
{
    struct json_object *o = zf_json_get(cfg, key);
    if (!o) {
        *v = dflt;
        return required ? missing(c, key, err) : ZF_OK;
    }
    if (!json_object_is_type(o, json_type_string))
        return zf_err_set(err, ZF_EMETA, "%s: parameter '%s' must be a string",
                          c->name, key);
    *v = json_object_get_string(o);
    return ZF_OK;
}
