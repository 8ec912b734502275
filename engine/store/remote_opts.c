/*
 * remote_opts.c - the remote-store options of zarrfs.h (zf_remote_options_init,
 * zf_remote_option_set, zf_remote_options_clear): one parser shared by the
 * zarrfs command's -o options and the tools.  Strings given are copied into
 * the struct, which owns them until zf_remote_options_clear.
 * Not thread-safe on one struct (it is set up before zf_open).
 */
#include "err.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZF_REMOTE_MAX_CONNECTIONS 256
#define ZF_REMOTE_MAX_RETRIES 100

void zf_remote_options_init(zf_remote_options *r)
{
    memset(r, 0, sizeof *r);
    r->connections = 16;
    r->retries = 5;
    r->timeout = 30;
    r->coalesce_gap = (uint64_t)64 << 10;
    r->coalesce_max = (uint64_t)16 << 20;
}

void zf_remote_options_clear(zf_remote_options *r)
{
    free(r->cafile);
    free(r->arrays);
    free(r->s3_endpoint);
    free(r->s3_region);
    free(r->s3_profile);
    zf_remote_options_init(r);
}

static int parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static zf_code set_str(char **dst, const char *v, zf_err *err)
{
    char *d = strdup(v);
    if (!d)
        return zf_err_set(err, ZF_ENOMEM, "out of memory");
    free(*dst);
    *dst = d;
    return ZF_OK;
}

zf_code zf_remote_option_set(zf_remote_options *r, const char *opt,
                             zf_err *err)
{
    const char *eq = strchr(opt, '=');
    size_t nl = eq ? (size_t)(eq - opt) : strlen(opt);
    const char *v = eq ? eq + 1 : NULL;
#define IS(name) (nl == strlen(name) && !strncmp(opt, name, nl))
    if (IS("insecure") || IS("s3_anonymous")) {
        if (v)
            return zf_err_set(err, ZF_EINVAL, "%.*s takes no value", (int)nl, opt);
        *(IS("insecure") ? &r->insecure : &r->s3_anonymous) = 1;
        return ZF_OK;
    }
    int known = IS("connections") || IS("retries") || IS("timeout") ||
                IS("cafile") || IS("coalesce_gap") || IS("coalesce_max") ||
                IS("arrays") || IS("s3_endpoint") || IS("s3_region") ||
                IS("s3_profile") || IS("s3_addressing");
    if (!known)
        return ZF_ENOTFOUND;
    if (!v)
        return zf_err_set(err, ZF_EINVAL, "%s needs a value (%s=...)", opt, opt);
    if (IS("connections")) {
        if (parse_int(v, 1, ZF_REMOTE_MAX_CONNECTIONS, &r->connections))
            return zf_err_set(err, ZF_EINVAL, "bad connections=%s: give a number "
                              "from 1 to %d", v, ZF_REMOTE_MAX_CONNECTIONS);
    } else if (IS("retries")) {
        if (parse_int(v, 0, ZF_REMOTE_MAX_RETRIES, &r->retries))
            return zf_err_set(err, ZF_EINVAL, "bad retries=%s: give a number "
                              "from 0 to %d", v, ZF_REMOTE_MAX_RETRIES);
    } else if (IS("timeout")) {
        char *end;
        errno = 0;
        double t = strtod(v, &end);
        if (errno || end == v || *end || !isfinite(t) || t <= 0 || t > 86400)
            return zf_err_set(err, ZF_EINVAL, "bad timeout=%s: give seconds "
                              "(0.5, 30, ...)", v);
        r->timeout = t;
    } else if (IS("coalesce_gap") || IS("coalesce_max")) {
        uint64_t x;
        if (zf_parse_size(v, &x) != ZF_OK || (IS("coalesce_max") && x == 0))
            return zf_err_set(err, ZF_EINVAL, "bad %.*s=%s: give a size in bytes, "
                              "or with a K, M or G suffix (64K)", (int)nl, opt, v);
        *(IS("coalesce_gap") ? &r->coalesce_gap : &r->coalesce_max) = x;
    } else if (IS("s3_addressing")) {
        if (!strcmp(v, "path"))
            r->s3_addressing = ZF_S3_PATH;
        else if (!strcmp(v, "virtual"))
            r->s3_addressing = ZF_S3_VIRTUAL;
        else
            return zf_err_set(err, ZF_EINVAL, "bad s3_addressing=%s: give path "
                              "or virtual", v);
    } else if (IS("arrays")) {
        /* Appended: "arrays=a" then "arrays=b" (or bare words, see main.c)
         * name both. */
        if (r->arrays && *v) {
            size_t n = strlen(r->arrays) + strlen(v) + 2;
            char *j = malloc(n);
            if (!j)
                return zf_err_set(err, ZF_ENOMEM, "out of memory");
            snprintf(j, n, "%s:%s", r->arrays, v);
            free(r->arrays);
            r->arrays = j;
            return ZF_OK;
        }
        return set_str(&r->arrays, v, err);
    } else if (!*v) {
        return zf_err_set(err, ZF_EINVAL, "%.*s= needs a value", (int)nl, opt);
    } else {
        char **dst = IS("cafile") ? &r->cafile
                     : IS("s3_endpoint") ? &r->s3_endpoint
                     : IS("s3_region") ? &r->s3_region
                                       : &r->s3_profile;
        return set_str(dst, v, err);
    }
#undef IS
    return ZF_OK;
}

zf_code zf_remote_options_parse(zf_remote_options *r, const char *list,
                                zf_err *err)
{
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return zf_err_set(err, ZF_ENOMEM, "out of memory");
    zf_code c = ZF_OK;
    for (char *o = strtok_r(copy, ",", &save); o && c == ZF_OK;
         o = strtok_r(NULL, ",", &save)) {
        c = zf_remote_option_set(r, o, err);
        if (c == ZF_ENOTFOUND)
            zf_err_set(err, c, "unknown option '%s'", o);
    }
    free(copy);
    return c;
}
