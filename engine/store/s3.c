/*
 * s3.c - the S3 part of the remote store; see s3.h for the contract.
 */
#include "s3.h"

#include "s3_list.h"
#include "sigv4.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static zf_code oom(zf_err *err)
{
    return zf_err_set(err, ZF_ENOMEM, "out of memory");
}

/* ---- credentials ------------------------------------------------------------ */

/* Trims blanks at both ends of p in place. */
static char *trim(char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    char *e = p + strlen(p);
    while (e > p && isspace((unsigned char)e[-1]))
        *--e = 0;
    return p;
}

/* What the profile in use says, from the shared credentials file
 * (~/.aws/credentials, AWS_SHARED_CREDENTIALS_FILE) and the config file
 * (~/.aws/config, AWS_CONFIG_FILE); NULL where it says nothing. */
typedef struct profile_vals {
    char *access_key, *secret_key, *token, *region, *endpoint_url;
} profile_vals;

static void profile_vals_free(profile_vals *v)
{
    free(v->access_key);
    free(v->secret_key);
    free(v->token);
    free(v->region);
    free(v->endpoint_url);
}

/* One "key = value" line of the profile wanted; a value the file gave
 * before (the credentials file is read first) is kept. */
static void profile_value(profile_vals *pv, char *p)
{
    char *eq = strchr(p, '=');
    if (!eq)
        return;
    *eq = 0;
    char *k = trim(p), *v = trim(eq + 1);
    char **dst = !strcmp(k, "aws_access_key_id")       ? &pv->access_key
                 : !strcmp(k, "aws_secret_access_key") ? &pv->secret_key
                 : !strcmp(k, "aws_session_token")     ? &pv->token
                 : !strcmp(k, "region")                ? &pv->region
                 : !strcmp(k, "endpoint_url")          ? &pv->endpoint_url
                                                       : NULL;
    if (dst && !*dst && *v)
        *dst = strdup(v);
}

/* 1 when the section header p names profile: "[name]" in the credentials
 * file; "[profile name]", or "[default]", in the config file. */
static int is_section(char *p, const char *profile, int config)
{
    char *q = strchr(p, ']');
    if (q)
        *q = 0;
    p = trim(p + 1);
    if (config && strcmp(p, "default")) {
        if (strncmp(p, "profile ", 8))
            return 0;
        p = trim(p + 8);
    }
    return !strcmp(p, profile);
}

/* The file named by the environment variable var, else ~/.aws/name. */
static const char *aws_file(const char *var, const char *name, char *buf,
                            size_t cap)
{
    const char *file = env(var);
    if (file)
        return file;
    const char *home = getenv("HOME");
    snprintf(buf, cap, "%s/.aws/%s", home ? home : "", name);
    return buf;
}

/* Reads profile's section of an AWS ini file into pv: 1 found, 0 not there,
 * -1 the file cannot be read. */
static int read_ini(const char *file, const char *profile, int config,
                    profile_vals *pv)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return -1;
    char line[4096];
    int in = 0, found = 0;
    while (fgets(line, sizeof line, f)) {
        char *p = trim(line);
        if (*p == '#' || *p == ';' || !*p)
            continue;
        if (*p == '[')
            found |= in = is_section(p, profile, config);
        else if (in)
            profile_value(pv, p);
    }
    fclose(f);
    return found;
}

/* The profile's values from both files; neither need exist. */
static void read_profile(const char *profile, profile_vals *pv)
{
    char cred[4096], conf[4096];
    read_ini(aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials", cred,
                      sizeof cred), profile, 0, pv);
    read_ini(aws_file("AWS_CONFIG_FILE", "config", conf, sizeof conf), profile,
             1, pv);
}

/* The keys of profile: from pv, which read_profile filled. */
static zf_code profile_keys(zf_s3 *s3, const char *profile, profile_vals *pv,
                            zf_err *err)
{
    if (!pv->access_key || !pv->secret_key) {
        char cred[4096], conf[4096];
        return zf_err_set(err, ZF_EINVAL, "s3_profile=%s: neither %s nor %s "
                          "has aws_access_key_id and aws_secret_access_key for "
                          "it", profile,
                          aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials",
                                   cred, sizeof cred),
                          aws_file("AWS_CONFIG_FILE", "config", conf, sizeof conf));
    }
    s3->access_key = pv->access_key;
    s3->secret_key = pv->secret_key;
    s3->token = pv->token;
    pv->access_key = pv->secret_key = pv->token = NULL;
    return ZF_OK;
}

/* The profile whose settings count: the option, AWS_PROFILE, "default". */
static const char *profile_name(const zf_remote_options *o)
{
    return o->s3_profile ? o->s3_profile
           : env("AWS_PROFILE") ? env("AWS_PROFILE") : "default";
}

/* The options' profile, else AWS_ACCESS_KEY_ID & co, else AWS_PROFILE. */
static zf_code credentials(zf_s3 *s3, const char *url,
                           const zf_remote_options *o, profile_vals *pv,
                           zf_err *err)
{
    const char *id = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
    const char *token = env("AWS_SESSION_TOKEN");
    if (o->s3_profile || (!id && env("AWS_PROFILE"))) {
        zf_code c = profile_keys(s3, profile_name(o), pv, err);
        if (c != ZF_OK)
            return c;
    } else if (id || secret) {
        if (!id || !secret)
            return zf_err_set(err, ZF_EINVAL, "%s: AWS_%s is set but not AWS_%s",
                              url, id ? "ACCESS_KEY_ID" : "SECRET_ACCESS_KEY",
                              id ? "SECRET_ACCESS_KEY" : "ACCESS_KEY_ID");
        s3->access_key = strdup(id);
        s3->secret_key = strdup(secret);
        s3->token = token ? strdup(token) : NULL;
        if (!s3->access_key || !s3->secret_key || (token && !s3->token))
            return oom(err);
    }
    s3->signing = s3->access_key != NULL;
    return ZF_OK;
}

/* ---- addressing ------------------------------------------------------------ */

/* The bucket and the key prefix ("" or "a/b/") of s3://bucket/a/b/. */
static zf_code split_s3_url(zf_s3 *s3, const char *url, char **bucket,
                            zf_err *err)
{
    const char *b = url + 5;
    size_t bl = strcspn(b, "/?#");
    if (bl == 0)
        return zf_err_set(err, ZF_EINVAL, "%s: no bucket in the URL", url);
    const char *pre = b + bl;
    while (*pre == '/')
        pre++;
    size_t prl = strcspn(pre, "?#");
    while (prl && pre[prl - 1] == '/')
        prl--;
    if (!(*bucket = strndup(b, bl)) ||
        asprintf(&s3->prefix, "%.*s%s", (int)prl, pre, prl ? "/" : "") < 0) {
        s3->prefix = NULL;
        return oom(err);
    }
    return ZF_OK;
}

/* The endpoint's URL, malloc'd: the option, AWS_ENDPOINT_URL_S3,
 * AWS_ENDPOINT_URL, the profile's endpoint_url (conf, or NULL), else AWS's
 * in the region. */
static zf_code endpoint_url(const zf_remote_options *o, const char *conf,
                            const char *region, char **out, int *custom,
                            zf_err *err)
{
    const char *e = o->s3_endpoint                ? o->s3_endpoint
                    : env("AWS_ENDPOINT_URL_S3") ? env("AWS_ENDPOINT_URL_S3")
                    : env("AWS_ENDPOINT_URL")    ? env("AWS_ENDPOINT_URL")
                                                 : conf;
    *custom = e != NULL;
    if (e && strncasecmp(e, "http://", 7) && strncasecmp(e, "https://", 8))
        return zf_err_set(err, ZF_EINVAL, "s3_endpoint=%s: not an http:// or "
                          "https:// URL", e);
    if (e ? !(*out = strdup(e))
          : asprintf(out, "https://s3.%s.amazonaws.com", region) < 0) {
        *out = NULL;
        return oom(err);
    }
    return ZF_OK;
}

/* Virtual-host style: the bucket is a name under the endpoint's host. */
static int virtual_paths(zf_s3 *s3, const char *bucket, const char *origin,
                         const char *host, const char *epath, const char *encp,
                         char **o_origin, char **base_path)
{
    const char *sep = strstr(origin, "://") + 3;
    return asprintf(o_origin, "%.*s%s.%s", (int)(sep - origin), origin, bucket,
                    sep) >= 0 &&
           asprintf(&s3->host, "%s.%s", bucket, host) >= 0 &&
           asprintf(base_path, "%s/%s", epath, encp) >= 0 &&
           asprintf(&s3->list_path, "%s/", epath) >= 0;
}

/* Path style: the bucket is the first path segment. */
static int path_paths(zf_s3 *s3, const char *bucket, const char *origin,
                      const char *host, const char *epath, const char *encp,
                      char **o_origin, char **base_path)
{
    char *eb = zf_sigv4_uri_encode(bucket, strlen(bucket), 0);
    int ok = eb && (*o_origin = strdup(origin)) && (s3->host = strdup(host)) &&
             asprintf(base_path, "%s/%s/%s", epath, eb, encp) >= 0 &&
             asprintf(&s3->list_path, "%s/%s", epath, eb) >= 0;
    free(eb);
    return ok;
}

static zf_code addressing(zf_s3 *s3, const char *bucket,
                          const zf_remote_options *o, const char *conf_ep,
                          char **o_origin, char **base_path, zf_err *err)
{
    char *ep = NULL, *origin = NULL, *host = NULL, *epath = NULL, *equery = NULL;
    int custom = 0;
    zf_code c = endpoint_url(o, conf_ep, s3->region, &ep, &custom, err);
    if (c == ZF_OK)
        c = zf_http_url_split(ep, &origin, &host, &epath, &equery, err);
    if (c == ZF_OK) {
        size_t el = strlen(epath);
        while (el && epath[el - 1] == '/')
            epath[--el] = 0;
        /* Virtual-host style for AWS (unless the bucket has dots, which the
         * wildcard certificate does not cover), path style elsewhere. */
        int virt = o->s3_addressing == ZF_S3_VIRTUAL ||
                   (o->s3_addressing == ZF_S3_DEFAULT && !custom &&
                    !strchr(bucket, '.'));
        char *encp = zf_sigv4_uri_encode(s3->prefix, strlen(s3->prefix), 1);
        if (!encp || !(virt ? virtual_paths : path_paths)(s3, bucket, origin, host,
                                                          epath, encp, o_origin,
                                                          base_path))
            c = oom(err);
        free(encp);
    }
    free(origin);
    free(host);
    free(epath);
    free(equery);
    free(ep);
    return c;
}

zf_code zf_s3_setup(zf_s3 *s3, const char *url, const zf_remote_options *o,
                    char **origin, char **base_path, zf_err *err)
{
    memset(s3, 0, sizeof *s3);
    char *bucket = NULL;
    zf_code c = split_s3_url(s3, url, &bucket, err);
    profile_vals pv = {0};
    read_profile(profile_name(o), &pv);
    const char *region = o->s3_region                ? o->s3_region
                         : env("AWS_REGION")         ? env("AWS_REGION")
                         : env("AWS_DEFAULT_REGION") ? env("AWS_DEFAULT_REGION")
                         : pv.region                 ? pv.region
                                                     : "us-east-1";
    if (c == ZF_OK && !(s3->region = strdup(region)))
        c = oom(err);
    if (c == ZF_OK)
        c = addressing(s3, bucket, o, pv.endpoint_url, origin, base_path, err);
    free(bucket);
    if (c == ZF_OK && !o->s3_anonymous)
        c = credentials(s3, url, o, &pv, err);
    profile_vals_free(&pv);
    return c;
}

void zf_s3_free(zf_s3 *s3)
{
    free(s3->prefix);
    free(s3->list_path);
    free(s3->host);
    free(s3->region);
    free(s3->access_key);
    free(s3->secret_key);
    free(s3->token);
    memset(s3, 0, sizeof *s3);
}

/* ---- signing ---------------------------------------------------------------- */

zf_code zf_s3_sign(void *arg, const char *method, const char *path,
                   const char *query, const char *range,
                   struct curl_slist **hdrs, zf_err *err)
{
    zf_s3 *s3 = arg;
    if (!s3->signing)
        return ZF_OK;
    char hostl[300], rangel[90];
    const char *sh[2];
    size_t nsh = 0;
    snprintf(hostl, sizeof hostl, "host:%s", s3->host);
    sh[nsh++] = hostl;
    if (range) {
        snprintf(rangel, sizeof rangel, "range:%s", range);
        sh[nsh++] = rangel;
    }
    zf_sigv4_key k = {s3->access_key, s3->secret_key, s3->token, s3->region, "s3"};
    char *out[ZF_SIGV4_MAX_OUT];
    size_t nout = 0;
    zf_code c = zf_sigv4_sign(&k, method, path, query, sh, nsh, time(NULL), out,
                              &nout, err);
    if (c != ZF_OK)
        return c;
    /* curl would send the same Host; it is given so that what is signed is
     * what is sent */
    snprintf(hostl, sizeof hostl, "Host: %s", s3->host);
    struct curl_slist *l = curl_slist_append(*hdrs, hostl);
    for (size_t i = 0; i < nout; i++) {
        struct curl_slist *n = l ? curl_slist_append(l, out[i]) : NULL;
        if (!n) {
            curl_slist_free_all(l);
            l = NULL;
        }
        l = n;
        free(out[i]);
    }
    *hdrs = l;
    return l ? ZF_OK : oom(err);
}

/* ---- listing ----------------------------------------------------------------- */

typedef struct list_ctx {
    const char *strip; /* the full prefix to take off */
    void (*fn)(void *, const char *, int);
    void *arg;
} list_ctx;

static void on_list_item(void *arg, const char *key, uint64_t size, int is_prefix)
{
    (void)size;
    list_ctx *c = arg;
    size_t sl = strlen(c->strip);
    if (strncmp(key, c->strip, sl) != 0)
        return;
    char name[4096];
    snprintf(name, sizeof name, "%s", key + sl);
    size_t l = strlen(name);
    if (is_prefix && l && name[l - 1] == '/')
        name[--l] = 0;
    if (!l || strchr(name, '/'))
        return;
    c->fn(c->arg, name, is_prefix);
}

/* One ListObjectsV2 request, run; the body in x->body.  `extra` is added to
 * the query ("" or "max-keys=1&").  The caller frees x. */
static zf_code list_request(zf_s3 *s3, zf_http_conn *c, const char *origin,
                            const char *full_prefix, const char *token,
                            const char *extra, int delimiter, zf_http_xfer *x,
                            zf_err *err)
{
    memset(x, 0, sizeof *x);
    char *ep = zf_sigv4_uri_encode(full_prefix, strlen(full_prefix), 0);
    char *et = token ? zf_sigv4_uri_encode(token, strlen(token), 0) : NULL;
    char *q = NULL;
    zf_code rc = ZF_ENOMEM;
    if (ep && (!token || et) &&
        asprintf(&q, "%s%s%s%slist-type=2&%sprefix=%s", et ? "continuation-token="
                 : "", et ? et : "", et ? "&" : "", delimiter ? "delimiter=%2F&"
                 : "", extra, ep) >= 0)
        rc = zf_http_xfer_init(x, full_prefix, origin, s3->list_path, q, err);
    else
        oom(err);
    free(ep);
    free(et);
    free(q);
    if (rc != ZF_OK)
        return x->code = rc;
    x->collect = 1;
    zf_http_xfer_run(c, x);
    if (x->code != ZF_OK && err)
        *err = x->err;
    return x->code;
}

zf_code zf_s3_list(zf_s3 *s3, zf_http_conn *c, const char *origin,
                   const char *root, const char *prefix,
                   void (*fn)(void *, const char *, int), void *arg,
                   zf_err *err)
{
    char *full = NULL;
    if (asprintf(&full, "%s%s", s3->prefix, prefix) < 0)
        return oom(err);
    list_ctx ctx = {full, fn, arg};
    char *token = NULL;
    zf_code rc;
    for (int pages = 0;; pages++) {
        zf_http_xfer x;
        rc = list_request(s3, c, origin, full, token, "", 1, &x, err);
        free(token);
        token = NULL;
        int truncated = 0;
        if (rc == ZF_OK)
            rc = zf_s3_list_parse(x.body ? x.body : "", x.body_len, on_list_item,
                                  &ctx, &truncated, &token, err);
        if (rc != ZF_OK && rc != ZF_ENOMEM && x.url)
            zf_err_prefix(err, "listing s3://%s", root + 5);
        zf_http_xfer_free(&x);
        if (rc != ZF_OK || !truncated || !token || pages > 100000)
            break;
    }
    free(token);
    free(full);
    return rc;
}

/* ---- the probe ----------------------------------------------------------------- */

/* Listing is denied (403 AccessDenied), which reading may not be; when the
 * root's metadata is denied too, say so here rather than "not a Zarr
 * store". */
static zf_code probe_roots(zf_s3 *s3, zf_http_conn *c, const char *origin,
                           const char *base_path, const char *url, zf_err *err)
{
    static const char *const roots[] = {"zarr.json", ".zgroup", ".zarray",
                                        ".zmetadata"};
    int denied = 0;
    for (size_t i = 0; i < 4; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s%s", base_path, roots[i]);
        zf_http_xfer h;
        zf_code hc = zf_http_xfer_init(&h, roots[i], origin, path, NULL, err);
        if (hc != ZF_OK)
            return hc;
        h.head = 1;
        zf_http_xfer_run(c, &h);
        denied += h.code == ZF_ENOTFOUND && h.status == 403;
        hc = h.code;
        if (hc != ZF_OK && hc != ZF_ENOTFOUND && err)
            *err = h.err;
        zf_http_xfer_free(&h);
        if (hc != ZF_ENOTFOUND)
            return hc;
    }
    if (denied < 4)
        return ZF_OK;
    return zf_err_set(err, ZF_EIO, "%s: access denied (HTTP 403) to the listing "
                      "and to the root's metadata%s", url,
                      s3->signing ? " with these credentials"
                                  : ": give credentials (AWS_ACCESS_KEY_ID and "
                                    "AWS_SECRET_ACCESS_KEY, or -o s3_profile)");
}

zf_code zf_s3_probe(zf_s3 *s3, zf_http_conn *c, const char *origin,
                    const char *base_path, const char *url, zf_err *err)
{
    zf_http_xfer x;
    zf_code rc = list_request(s3, c, origin, s3->prefix, NULL, "max-keys=1&", 0,
                              &x, err);
    long st = x.status;
    char code[64], msg[256];
    zf_s3_error_code(x.errbody, strlen(x.errbody), code, sizeof code, msg,
                     sizeof msg);
    zf_http_xfer_free(&x);
    if (rc == ZF_ENOTFOUND && st == 404)
        return zf_err_set(err, ZF_ENOTFOUND, "%s: no such bucket (HTTP 404%s%s)",
                          url, code[0] ? " " : "", code);
    if (rc == ZF_EIO && st == 403)
        zf_err_prefix(err, "%s: the bucket refused the %s", url,
                      s3->signing ? "credentials" : "anonymous request");
    if (rc == ZF_ENOTFOUND && st == 403)
        return probe_roots(s3, c, origin, base_path, url, err);
    return rc == ZF_ENOTFOUND ? ZF_OK : rc;
}
