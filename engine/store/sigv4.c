/*
 * sigv4.c - AWS Signature Version 4 header signing; see sigv4.h.
 *
 * SHA-256 and HMAC-SHA256 come from OpenSSL's libcrypto.  The canonical
 * request is assembled in a growable string; headers are parsed into a table,
 * sorted by name (stably, so repeated names keep their order) and merged.
 */
#include "sigv4.h"

#include "text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define ZF_SHA256_EMPTY \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---- encoding helpers ------------------------------------------------- */

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void enc_byte(zf_text *s, unsigned char c)
{
    static const char hx[] = "0123456789ABCDEF";
    if (is_unreserved(c)) {
        zf_text_addc(s, (char)c);
    } else {
        char e[3] = {'%', hx[c >> 4], hx[c & 15]};
        zf_text_add(s, e, 3);
    }
}

/* Decodes %XX escapes of p[0..n) (an invalid escape is a literal '%') and
 * encodes the result again.  A literal '/' is kept when keep_slash; one that
 * came from "%2F" is always encoded. */
static void add_reencoded(zf_text *s, const char *p, size_t n, int keep_slash)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '%' && n - i >= 3) {
            int h = hexval((unsigned char)p[i + 1]);
            int l = hexval((unsigned char)p[i + 2]);
            if (h >= 0 && l >= 0) {
                enc_byte(s, (unsigned char)(h * 16 + l));
                i += 2;
                continue;
            }
        }
        if (c == '/' && keep_slash)
            zf_text_addc(s, '/');
        else
            enc_byte(s, c);
    }
}

char *zf_sigv4_uri_encode(const char *s, size_t len, int keep_slash)
{
    zf_text o = {0};
    zf_text_add(&o, "", 0);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '/' && keep_slash)
            zf_text_addc(&o, '/');
        else
            enc_byte(&o, c);
    }
    if (o.failed) {
        free(o.s);
        return NULL;
    }
    return o.s;
}

static void hex32(const unsigned char *md, char out[65])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hx[md[i] >> 4];
        out[2 * i + 1] = hx[md[i] & 15];
    }
    out[64] = 0;
}

static int sha256_hex(const char *p, size_t n, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        return -1;
    hex32(md, out);
    return 0;
}

static int hmac256(const void *key, size_t klen, const char *msg,
                   unsigned char out[32])
{
    unsigned int mdlen = 0;
    if (!HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
              strlen(msg), out, &mdlen) ||
        mdlen != 32)
        return -1;
    return 0;
}

/* ---- argument checks --------------------------------------------------- */

static int is_tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_token(const char *p, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)p[i]))
            return 0;
    return 1;
}

/* No control characters (tab allowed when `tab`), no DEL. */
static int is_clean(const char *p, int tab)
{
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c < 0x20 && !(tab && c == '\t')) || c == 0x7f)
            return 0;
    }
    return 1;
}

/* Printable ASCII without spaces (a request target). */
static int is_target(const char *p)
{
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f)
            return 0;
    }
    return 1;
}

/* ---- headers ----------------------------------------------------------- */

typedef struct hdr {
    char *name;  /* lower case */
    char *value; /* trimmed, blanks collapsed */
    size_t idx;  /* order given, for a stable sort */
} hdr;

static int hdr_cmp(const void *a, const void *b)
{
    const hdr *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Adds name (n bytes, lower-cased) and value (normalised) to h[*nh]. */
static int hdr_push(hdr *h, size_t *nh, const char *name, size_t n,
                    const char *value)
{
    char *nm = malloc(n + 1);
    char *v = malloc(strlen(value) + 1);
    if (!nm || !v) {
        free(nm);
        free(v);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        nm[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    nm[n] = 0;
    size_t o = 0;
    int blank = 0;
    for (const char *p = value; *p; p++) {
        if (*p == ' ' || *p == '\t') {
            blank = 1;
            continue;
        }
        if (blank && o)
            v[o++] = ' ';
        blank = 0;
        v[o++] = *p;
    }
    v[o] = 0;
    h[*nh].name = nm;
    h[*nh].value = v;
    h[*nh].idx = *nh;
    (*nh)++;
    return 0;
}

static void hdrs_free(hdr *h, size_t nh)
{
    for (size_t i = 0; i < nh; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
}

/* ---- query ------------------------------------------------------------- */

typedef struct qparam {
    char *name, *value; /* encoded */
} qparam;

static int q_cmp(const void *a, const void *b)
{
    const qparam *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

static char *reencode(const char *p, size_t n)
{
    zf_text s = {0};
    zf_text_add(&s, "", 0);
    add_reencoded(&s, p, n, 0);
    if (s.failed) {
        free(s.s);
        return NULL;
    }
    return s.s;
}

/* Appends the canonical query string of q to s; -1 when out of memory. */
static int canonical_query(zf_text *s, const char *q)
{
    size_t n = 1;
    for (const char *p = q; *p; p++)
        n += *p == '&';
    qparam *v = calloc(n, sizeof *v);
    if (!v)
        return -1;
    size_t nv = 0;
    int rc = 0;
    const char *p = q;
    while (*p) {
        const char *e = strchr(p, '&');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len) {
            const char *eq = memchr(p, '=', len);
            size_t nl = eq ? (size_t)(eq - p) : len;
            v[nv].name = reencode(p, nl);
            v[nv].value = eq ? reencode(eq + 1, len - nl - 1) : reencode("", 0);
            nv++;
            if (!v[nv - 1].name || !v[nv - 1].value) {
                rc = -1;
                break;
            }
        }
        p += len;
        if (*p == '&')
            p++;
    }
    if (rc == 0) {
        qsort(v, nv, sizeof *v, q_cmp);
        for (size_t i = 0; i < nv; i++) {
            if (i)
                zf_text_addc(s, '&');
            zf_text_adds(s, v[i].name);
            zf_text_addc(s, '=');
            zf_text_adds(s, v[i].value);
        }
    }
    for (size_t i = 0; i < nv; i++) {
        free(v[i].name);
        free(v[i].value);
    }
    free(v);
    return rc;
}

/* ---- signing ----------------------------------------------------------- */

static char *line(const char *name, const char *value)
{
    size_t n = strlen(name) + 2 + strlen(value) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s: %s", name, value);
    return p;
}

static int is_name(const char *h, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(h, name, n) == 0;
}

/* Checks the key, method, path and query; fills the two forms of the time. */
static zf_code check_request(const zf_sigv4_key *k, const char *method,
                             const char *path, const char *query, time_t now,
                             char amzdate[32], char day[16], zf_err *err)
{
    if (!k->access_key || !k->secret_key || !k->region || !k->service ||
        !*k->access_key || !*k->region || !*k->service)
        return zf_err_set(err, ZF_EINVAL,
                          "sigv4: the key needs an access key, a secret key, "
                          "a region and a service");
    if (!is_clean(k->access_key, 0) || !is_clean(k->region, 0) ||
        !is_clean(k->service, 0) || strchr(k->access_key, '/') ||
        strchr(k->region, '/') || strchr(k->service, '/') ||
        (k->session_token && !is_clean(k->session_token, 0)))
        return zf_err_set(err, ZF_EINVAL,
                          "sigv4: a control character or '/' in the access "
                          "key, region, service or session token");
    if (!is_token(method, strlen(method)))
        return zf_err_set(err, ZF_EINVAL, "sigv4: bad method \"%.40s\"",
                          method);
    if ((*path && *path != '/') || !is_target(path) || !is_target(query))
        return zf_err_set(err, ZF_EINVAL,
                          "sigv4: bad request path or query \"%.80s\"", path);
    struct tm tm;
    if (!gmtime_r(&now, &tm) || tm.tm_year + 1900 < 1000 ||
        tm.tm_year + 1900 > 9999 ||
        strftime(amzdate, 32, "%Y%m%dT%H%M%SZ", &tm) != 16)
        return zf_err_set(err, ZF_EINVAL, "sigv4: bad signing time");
    memcpy(day, amzdate, 8);
    day[8] = 0;
    return ZF_OK;
}

/* The headers that are signed, sorted; what the signer adds itself. */
typedef struct hdrs {
    hdr *h;
    size_t n;
    const char *payload; /* the payload hash (may point into h[]) */
    int add_payload, add_token;
} hdrs;

/* One caller header "name:value" into t. */
static zf_code caller_header(hdrs *t, const char *s, zf_err *err)
{
    const char *colon = s ? strchr(s, ':') : NULL;
    if (!colon)
        return zf_err_set(err, ZF_EINVAL, "sigv4: header \"%.60s\" is not "
                          "name:value", s ? s : "(null)");
    size_t nn = (size_t)(colon - s);
    if (!is_token(s, nn) || !is_clean(colon + 1, 1))
        return zf_err_set(err, ZF_EINVAL, "sigv4: bad header \"%.60s\"", s);
    if (is_name(s, nn, "x-amz-date") || is_name(s, nn, "authorization") ||
        is_name(s, nn, "x-amz-security-token"))
        return zf_err_set(err, ZF_EINVAL, "sigv4: header %.*s is added by the "
                          "signer", (int)nn, s);
    int payload = is_name(s, nn, "x-amz-content-sha256");
    if (payload && t->payload)
        return zf_err_set(err, ZF_EINVAL,
                          "sigv4: x-amz-content-sha256 given twice");
    if (hdr_push(t->h, &t->n, s, nn, colon + 1))
        return zf_err_set(err, ZF_ENOMEM, "sigv4: out of memory");
    if (payload)
        t->payload = t->h[t->n - 1].value;
    return ZF_OK;
}

/* The caller's headers and those added here, sorted by name. */
static zf_code collect_headers(hdrs *t, const zf_sigv4_key *k, unsigned flags,
                               const char *const *headers, size_t nheaders,
                               const char *amzdate, zf_err *err)
{
    memset(t, 0, sizeof *t);
    if (!(t->h = calloc(nheaders + 3, sizeof *t->h)))
        return zf_err_set(err, ZF_ENOMEM, "sigv4: out of memory");
    for (size_t i = 0; i < nheaders; i++) {
        zf_code c = caller_header(t, headers[i], err);
        if (c != ZF_OK)
            return c;
    }
    t->add_payload = !(flags & ZF_SIGV4_NO_PAYLOAD_HEADER) && !t->payload;
    t->add_token = k->session_token && *k->session_token;
    if (!t->payload)
        t->payload = ZF_SHA256_EMPTY;
    if (hdr_push(t->h, &t->n, "x-amz-date", 10, amzdate) ||
        (t->add_payload &&
         hdr_push(t->h, &t->n, "x-amz-content-sha256", 20, ZF_SHA256_EMPTY)) ||
        (t->add_token &&
         hdr_push(t->h, &t->n, "x-amz-security-token", 20, k->session_token)))
        return zf_err_set(err, ZF_ENOMEM, "sigv4: out of memory");
    /* payload may point into h[]: sorting moves entries, not strings. */
    qsort(t->h, t->n, sizeof *t->h, hdr_cmp);
    return ZF_OK;
}

/* "name:v1,v2\n..." then "\n", then the signed names "a;b", whose place in
 * can is [*at, *end). */
static void canonical_headers(zf_text *can, const hdrs *t, size_t *at,
                              size_t *end)
{
    const hdr *h = t->h;
    for (size_t i = 0; i < t->n; i++) {
        if (i && strcmp(h[i].name, h[i - 1].name) == 0) {
            zf_text_addc(can, ',');
        } else {
            if (i)
                zf_text_addc(can, '\n');
            zf_text_adds(can, h[i].name);
            zf_text_addc(can, ':');
        }
        zf_text_adds(can, h[i].value);
    }
    zf_text_adds(can, "\n\n");
    *at = can->len;
    for (size_t i = 0; i < t->n; i++) {
        if (i && strcmp(h[i].name, h[i - 1].name) == 0)
            continue;
        if (i)
            zf_text_addc(can, ';');
        zf_text_adds(can, h[i].name);
    }
    *end = can->len;
}

/* The canonical request; -1 when out of memory. */
static int canonical_request(zf_text *can, const char *method, const char *path,
                             const char *query, const hdrs *t, size_t *at,
                             size_t *end)
{
    zf_text_adds(can, method);
    zf_text_addc(can, '\n');
    if (*path)
        add_reencoded(can, path, strlen(path), 1);
    else
        zf_text_addc(can, '/');
    zf_text_addc(can, '\n');
    if (canonical_query(can, query))
        return -1;
    zf_text_addc(can, '\n');
    canonical_headers(can, t, at, end);
    zf_text_addc(can, '\n');
    zf_text_adds(can, t->payload);
    return can->failed ? -1 : 0;
}

/* The signing key's chain of HMACs over the string to sign: sig (hex). */
static zf_code signature(const zf_sigv4_key *k, const char *day,
                         const char *sts, char sig[65], zf_err *err)
{
    unsigned char k1[32], k2[32], k3[32], k4[32], ms[32];
    zf_text secret = {0};
    zf_text_adds(&secret, "AWS4");
    zf_text_adds(&secret, k->secret_key);
    if (secret.failed) {
        free(secret.s);
        return zf_err_set(err, ZF_ENOMEM, "sigv4: out of memory");
    }
    int bad = hmac256(secret.s, secret.len, day, k1) ||
              hmac256(k1, 32, k->region, k2) || hmac256(k2, 32, k->service, k3) ||
              hmac256(k3, 32, "aws4_request", k4) || hmac256(k4, 32, sts, ms);
    OPENSSL_cleanse(secret.s, secret.len);
    free(secret.s);
    OPENSSL_cleanse(k1, sizeof k1);
    OPENSSL_cleanse(k2, sizeof k2);
    OPENSSL_cleanse(k3, sizeof k3);
    OPENSSL_cleanse(k4, sizeof k4);
    if (bad)
        return zf_err_set(err, ZF_EIO, "sigv4: HMAC-SHA256 failed");
    hex32(ms, sig);
    return ZF_OK;
}

/* The Authorization header's value into auth. */
static zf_code authorization(const zf_sigv4_key *k, const char *amzdate,
                             const char *day, const zf_text *can, size_t at,
                             size_t end, zf_text *auth, zf_err *err)
{
    char hash[65], sig[65];
    if (sha256_hex(can->s, can->len, hash))
        return zf_err_set(err, ZF_EIO, "sigv4: SHA-256 failed");
    zf_text scope = {0}, sts = {0};
    zf_text_adds(&scope, day);
    zf_text_addc(&scope, '/');
    zf_text_adds(&scope, k->region);
    zf_text_addc(&scope, '/');
    zf_text_adds(&scope, k->service);
    zf_text_adds(&scope, "/aws4_request");
    zf_text_adds(&sts, "AWS4-HMAC-SHA256\n");
    zf_text_adds(&sts, amzdate);
    zf_text_addc(&sts, '\n');
    zf_text_adds(&sts, scope.s ? scope.s : "");
    zf_text_addc(&sts, '\n');
    zf_text_adds(&sts, hash);
    zf_code c = scope.failed || sts.failed
                    ? zf_err_set(err, ZF_ENOMEM, "sigv4: out of memory")
                    : signature(k, day, sts.s, sig, err);
    if (c == ZF_OK) {
        zf_text_adds(auth, "AWS4-HMAC-SHA256 Credential=");
        zf_text_adds(auth, k->access_key);
        zf_text_addc(auth, '/');
        zf_text_adds(auth, scope.s);
        zf_text_adds(auth, ", SignedHeaders=");
        zf_text_add(auth, can->s + at, end - at);
        zf_text_adds(auth, ", Signature=");
        zf_text_adds(auth, sig);
        if (auth->failed)
            c = zf_err_set(err, ZF_ENOMEM, "sigv4: out of memory");
    }
    free(scope.s);
    free(sts.s);
    return c;
}

/* The lines to send, in out[0..*nout). */
static zf_code output_lines(const zf_sigv4_key *k, const hdrs *t,
                            const char *amzdate, const char *auth, char **out,
                            size_t *nout, zf_err *err)
{
    size_t n = 0;
    out[n++] = line("X-Amz-Date", amzdate);
    if (t->add_payload)
        out[n++] = line("X-Amz-Content-Sha256", ZF_SHA256_EMPTY);
    if (t->add_token)
        out[n++] = line("X-Amz-Security-Token", k->session_token);
    out[n++] = line("Authorization", auth);
    int oom = 0;
    for (size_t i = 0; i < n; i++)
        oom |= !out[i];
    if (!oom) {
        *nout = n;
        return ZF_OK;
    }
    for (size_t i = 0; i < n; i++) {
        free(out[i]);
        out[i] = NULL;
    }
    return zf_err_set(err, ZF_ENOMEM, "sigv4: out of memory");
}

/* Why not libcurl's CURLOPT_AWS_SIGV4 (curl 7.88 in Debian 12):
 *  - 7.88 does not sort or re-encode the query string of the canonical
 *    request (curl issue #9717, fixed upstream later), so a listing's query
 *    would be signed only if written in canonical order by hand;
 *  - it signs with the clock of the request and keeps the canonical request
 *    to itself, so it cannot be checked against the AWS test vectors (fixed
 *    times) that tests/test_sigv4.c runs, nor its output put in messages;
 *  - what it signs (which headers, x-amz-content-sha256, the session token
 *    header) has changed between curl releases, and the store must sign the
 *    same on every system it is built on.
 * So the store signs here, and hands curl finished headers. */
zf_code zf_sigv4_sign_ex(const zf_sigv4_key *k, unsigned flags,
                         const char *method, const char *path,
                         const char *query, const char *const *headers,
                         size_t nheaders, time_t now, char **out, size_t *nout,
                         char **canonical, zf_err *err)
{
    if (nout)
        *nout = 0;
    if (canonical)
        *canonical = NULL;
    if (!k || !out || !nout || !method || (nheaders && !headers))
        return zf_err_set(err, ZF_EINVAL, "sigv4: missing argument");
    path = path ? path : "";
    query = query ? query : "";
    char amzdate[32], day[16];
    zf_code rc = check_request(k, method, path, query, now, amzdate, day, err);
    if (rc != ZF_OK)
        return rc;
    hdrs t;
    zf_text can = {0}, auth = {0};
    size_t at = 0, end = 0;
    rc = collect_headers(&t, k, flags, headers, nheaders, amzdate, err);
    if (rc == ZF_OK &&
        canonical_request(&can, method, path, query, &t, &at, &end))
        rc = zf_err_set(err, ZF_ENOMEM, "sigv4: out of memory");
    if (rc == ZF_OK)
        rc = authorization(k, amzdate, day, &can, at, end, &auth, err);
    if (rc == ZF_OK)
        rc = output_lines(k, &t, amzdate, auth.s, out, nout, err);
    if (rc == ZF_OK && canonical) {
        *canonical = can.s;
        can.s = NULL;
    }
    if (t.h)
        hdrs_free(t.h, t.n);
    free(can.s);
    free(auth.s);
    return rc;
}

zf_code zf_sigv4_sign(const zf_sigv4_key *k, const char *method,
                      const char *path, const char *query,
                      const char *const *headers, size_t nheaders, time_t now,
                      char **out, size_t *nout, zf_err *err)
{
    return zf_sigv4_sign_ex(k, 0, method, path, query, headers, nheaders, now,
                            out, nout, NULL, err);
}
