/*
 * store_http.c - the HTTP(S) and S3 store; see store_http.h for the
 * contract.  The store operations over three parts: the transport
 * (http_xfer.h), S3 addressing, signing and listing (s3.h), and what is
 * known of keys (stat_table.h).
 */
#include "store_http.h"

#include "http_xfer.h"
#include "s3.h"
#include "sigv4.h"
#include "stat_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct hstore {
    zf_store base;
    zf_http_conn conn;
    zf_stat_table stats;
    char *origin;    /* "https://host:port" */
    char *base_path; /* encoded path before a key, ending in '/' */
    char *query;     /* the URL's own query string, or NULL */
    char *cafile;
    int is_s3;
    zf_s3 s3;
    char **arrays; /* HTTP: the node paths of -o arrays */
    size_t narrays;
} hstore;

int zf_store_is_remote(const char *path)
{
    return !strncasecmp(path, "http://", 7) || !strncasecmp(path, "https://", 8) ||
           !strncasecmp(path, "s3://", 5);
}

/* ---- the store operations -------------------------------------------------- */

/* A request for key (a store key); ZF_OK or an error in err. */
static zf_code key_xfer(hstore *s, zf_http_xfer *x, const char *key, zf_err *err)
{
    char *enc = zf_sigv4_uri_encode(key, strlen(key), 1);
    char *path = NULL;
    if (!enc || asprintf(&path, "%s%s", s->base_path, enc) < 0) {
        free(enc);
        memset(x, 0, sizeof *x);
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory", key);
    }
    zf_code c = zf_http_xfer_init(x, key, s->origin, path, s->query, err);
    free(enc);
    free(path);
    return c;
}

/* The version of the object a reply came from, or 0 when the reply does not
 * tell (no ETag, no Last-Modified). */
static uint64_t reply_version(const zf_http_xfer *x)
{
    if (x->learned != 1 || (!x->etag && x->mtime <= 0))
        return 0;
    return zf_stat_version(x->size, x->mtime, x->etag);
}

/* Runs x and remembers what its reply said of the key.  A reply that only
 * confirms the version the request was planned on (planned, 0 = none) is
 * not remembered: it may arrive after a newer version was learnt from
 * another reply, and must not put the older one back (a read planned on it
 * would then fail twice and give EIO). */
static void run(hstore *s, zf_http_xfer *x, uint64_t planned)
{
    zf_http_xfer_run(&s->conn, x);
    uint64_t v = reply_version(x);
    if (planned && v == planned)
        return;
    if (x->learned >= 0)
        zf_stat_table_put(&s->stats, x->key, x->learned, x->size, x->mtime,
                          x->etag, x->etag_text);
}

/* A read of r->version asks the server to send that version or 412
 * (If-Match, else If-Unmodified-Since), and checks the reply's validators
 * too, for servers that ignore preconditions: the version they tell must be
 * the planned one exactly (If-Unmodified-Since also passes an older
 * version, and two Last-Modified times one second apart are two versions),
 * and the object's size (Content-Range's total, or a 200's length) must be
 * the planned size (planned_size, 0: unknown), which is all a reply without
 * validators tells.  A changed key is forgotten where the table cannot have
 * learnt the new version from the reply, so that the read planned again
 * asks the server. */
static void version_check(hstore *s, zf_range_req *r, zf_http_xfer *x,
                          uint64_t planned_size)
{
    if (x->code == ZF_ECHANGED) {
        zf_stat_table_drop(&s->stats, r->key);
        return;
    }
    if (x->code != ZF_OK || !r->version)
        return;
    if (r->read_version && r->read_version != r->version) {
        x->code = zf_err_set(&x->err, ZF_ECHANGED, "%s: changed on the server "
                             "while being read (%s differs)", x->url,
                             x->etag ? "ETag" : "Last-Modified or size");
        return;
    }
    if (planned_size && x->learned == 1 && x->size != planned_size) {
        zf_stat_table_drop(&s->stats, r->key);
        x->code = zf_err_set(&x->err, ZF_ECHANGED, "%s: changed on the server "
                             "while being read (size %llu, planned on %llu)",
                             x->url, (unsigned long long)x->size,
                             (unsigned long long)planned_size);
    }
}

/* One range read.  The engine reads one range at a time on its I/O threads,
 * which are what bounds the requests in flight; a batch runs in turn. */
static void read_one(hstore *s, zf_range_req *r)
{
    r->got = 0;
    r->code = ZF_OK;
    r->read_version = 0;
    if ((r->offset >= 0 && r->len == 0) || r->offset == INT64_MIN)
        return;
    zf_store_stat st;
    if (zf_stat_table_get(&s->stats, r->key, &st) == 0) {
        r->code = zf_err_set(&r->err, ZF_ENOTFOUND, "%s%s: no such key",
                             s->base.root, r->key);
        return;
    }
    zf_http_xfer x;
    if ((r->code = key_xfer(s, &x, r->key, &r->err)) != ZF_OK)
        return;
    x.off = r->offset;
    x.len = r->len;
    x.buf = r->buf;
    char etag[ZF_HTTP_ETAG_MAX];
    uint64_t planned_size = 0;
    int known = r->version ? zf_stat_table_validator(&s->stats, r->key,
                                                     r->version, etag,
                                                     sizeof etag,
                                                     &x.if_unmodified,
                                                     &planned_size)
                           : 0;
    if (known < 0) { /* a reply since the plan told of another version */
        r->code = zf_err_set(&r->err, ZF_ECHANGED, "%s: changed on the server "
                             "while being read", x.url);
        zf_http_xfer_free(&x);
        return;
    }
    if (known > 0)
        x.if_match = etag;
    run(s, &x, r->version);
    r->read_version = reply_version(&x);
    version_check(s, r, &x, planned_size);
    r->code = x.code;
    r->got = x.code == ZF_OK ? x.got : 0;
    if (x.code != ZF_OK)
        r->err = x.err;
    zf_http_xfer_free(&x);
}

static void http_read(zf_store *base, zf_range_req *reqs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        read_one((hstore *)base, &reqs[i]);
}

static zf_code http_stat(zf_store *base, const char *key, zf_store_stat *st,
                         zf_err *err)
{
    hstore *s = (hstore *)base;
    int known = zf_stat_table_get(&s->stats, key, st);
    if (known == 1)
        return ZF_OK;
    if (known == 0)
        return zf_err_set(err, ZF_ENOTFOUND, "%s%s: no such key", s->base.root,
                          key);
    zf_http_xfer x;
    zf_code c = key_xfer(s, &x, key, err);
    if (c != ZF_OK)
        return c;
    x.head = 1;
    run(s, &x, 0);
    c = x.code;
    if (c != ZF_OK && err)
        *err = x.err;
    if (c == ZF_OK)
        *st = (zf_store_stat){x.size, x.mtime,
                              zf_stat_version(x.size, x.mtime, x.etag)};
    zf_http_xfer_free(&x);
    return c;
}

/* 1 when the child named by a[pl..pl+l) of prefix came before index i. */
static int seen_before(hstore *s, size_t i, size_t pl, size_t l)
{
    const char *a = s->arrays[i];
    for (size_t j = 0; j < i; j++) {
        const char *b = s->arrays[j];
        if (!strncmp(b, a, pl) && !strncmp(b + pl, a + pl, l) &&
            (b[pl + l] == 0 || b[pl + l] == '/'))
            return 1;
    }
    return 0;
}

static zf_code http_list(zf_store *base, const char *prefix,
                         void (*fn)(void *, const char *, int), void *arg,
                         zf_err *err)
{
    hstore *s = (hstore *)base;
    if (s->is_s3)
        return zf_s3_list(&s->s3, &s->conn, s->origin, s->base.root, prefix, fn,
                          arg, err);
    /* HTTP cannot enumerate: the children are those -o arrays names. */
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < s->narrays; i++) {
        const char *a = s->arrays[i];
        if (strncmp(a, prefix, pl) != 0 || !a[pl])
            continue;
        size_t l = strcspn(a + pl, "/");
        if (seen_before(s, i, pl, l))
            continue;
        char name[4096];
        snprintf(name, sizeof name, "%.*s", (int)l, a + pl);
        fn(arg, name, 1);
    }
    return ZF_OK;
}

static void http_close(zf_store *base)
{
    hstore *s = (hstore *)base;
    zf_http_conn_free(&s->conn);
    zf_stat_table_free(&s->stats);
    zf_s3_free(&s->s3);
    for (size_t i = 0; i < s->narrays; i++)
        free(s->arrays[i]);
    free(s->arrays);
    free(s->cafile);
    free(s->origin);
    free(s->base_path);
    free(s->query);
    free(s->base.root);
    free(s);
}

static void http_forget(zf_store *base)
{
    zf_stat_table_clear(&((hstore *)base)->stats);
}

static int http_peek(zf_store *base, const char *key, zf_store_stat *st)
{
    return zf_stat_table_get(&((hstore *)base)->stats, key, st);
}

static const zf_store_ops http_ops = {http_read, http_stat,   http_list,
                                      http_close, http_forget, http_peek};

/* ---- opening ---------------------------------------------------------------- */

/* -o arrays: node paths, ':' or ',' separated, without outer slashes. */
static zf_code parse_arrays(hstore *s, const char *p, zf_err *err)
{
    while (p && *p) {
        size_t l = strcspn(p, ":,");
        const char *a = p;
        p += l + (p[l] ? 1 : 0);
        while (l && *a == '/')
            a++, l--;
        while (l && a[l - 1] == '/')
            l--;
        if (!l)
            continue;
        char **v = realloc(s->arrays, (s->narrays + 1) * sizeof *v);
        if (v)
            s->arrays = v;
        if (!v || !(s->arrays[s->narrays] = strndup(a, l)))
            return zf_err_set(err, ZF_ENOMEM, "out of memory");
        s->narrays++;
    }
    return ZF_OK;
}

static zf_code setup_http(hstore *s, const char *url, const zf_remote_options *o,
                          zf_err *err)
{
    char *path = NULL, *host = NULL;
    zf_code c = zf_http_url_split(url, &s->origin, &host, &path, &s->query, err);
    free(host);
    if (c != ZF_OK)
        return c;
    size_t pl = strlen(path);
    while (pl && path[pl - 1] == '/')
        path[--pl] = 0;
    if (asprintf(&s->base_path, "%s/", path) < 0) {
        s->base_path = NULL;
        c = zf_err_set(err, ZF_ENOMEM, "out of memory");
    }
    free(path);
    return c == ZF_OK ? parse_arrays(s, o->arrays, err) : c;
}

/* The settings of the store and its transport from the options. */
static zf_code settings(hstore *s, const char *url, const zf_remote_options *o,
                        zf_err *err)
{
    s->base.ops = &http_ops;
    s->base.coalesce_gap = o->coalesce_gap;
    s->base.coalesce_max = o->coalesce_max ? o->coalesce_max : (uint64_t)16 << 20;
    s->is_s3 = !strncasecmp(url, "s3://", 5);
    zf_http_conn *c = &s->conn;
    c->connections = o->connections > 0 ? o->connections : 16;
    c->retries = o->retries >= 0 ? o->retries : 0;
    c->timeout_ms = (long)((o->timeout > 0 ? o->timeout : 30) * 1000);
    if (c->timeout_ms < 1)
        c->timeout_ms = 1;
    c->insecure = o->insecure;
    c->follow_redirects = !s->is_s3; /* signed requests must not wander */
    c->sign = s->is_s3 ? zf_s3_sign : NULL;
    c->sign_arg = &s->s3;
    const char *ca = o->cafile ? o->cafile : getenv("CURL_CA_BUNDLE");
    if (ca && *ca && !(s->cafile = strdup(ca)))
        return zf_err_set(err, ZF_ENOMEM, "out of memory");
    c->cafile = s->cafile;
    size_t ul = strlen(url);
    while (ul > 1 && url[ul - 1] == '/')
        ul--;
    /* root: the URL and a '/', so "root + key" names a key in messages */
    if (asprintf(&s->base.root, "%.*s/", (int)ul, url) < 0) {
        s->base.root = NULL;
        return zf_err_set(err, ZF_ENOMEM, "out of memory");
    }
    return ZF_OK;
}

/* For every URL the root's zarr.json is asked for, so that an unreachable
 * server fails at open rather than at the first read. */
static zf_code probe(hstore *s, const char *url, zf_err *err)
{
    if (s->is_s3) {
        zf_code c = zf_s3_probe(&s->s3, &s->conn, s->origin, s->base_path, url,
                                err);
        if (c != ZF_OK)
            return c;
    }
    zf_store_stat st;
    zf_code c = http_stat(&s->base, "zarr.json", &st, err);
    return c == ZF_ENOTFOUND ? ZF_OK : c;
}

zf_code zf_store_open_remote(const char *url, const zf_remote_options *opts,
                             zf_store **out, zf_err *err)
{
    zf_remote_options defaults;
    zf_remote_options_init(&defaults);
    const zf_remote_options *o = opts ? opts : &defaults;
    hstore *s = calloc(1, sizeof *s);
    if (!s)
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory", url);
    zf_stat_table_init(&s->stats);
    zf_code c = settings(s, url, o, err);
    if (c == ZF_OK)
        c = zf_http_conn_init(&s->conn, err);
    if (c == ZF_OK)
        c = s->is_s3 ? zf_s3_setup(&s->s3, url, o, &s->origin, &s->base_path, err)
                     : setup_http(s, url, o, err);
    if (c == ZF_ENOMEM)
        zf_err_prefix(err, "%s", url);
    if (c == ZF_OK)
        c = probe(s, url, err);
    if (c != ZF_OK) {
        http_close(&s->base);
        return c;
    }
    *out = &s->base;
    return ZF_OK;
}
