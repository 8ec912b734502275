/*
 * store_http.c - the HTTP(S) and S3 store; see store_http.h for the contract.
 *
 * One request ("xfer") is: prepare (reset a pooled easy handle, set the URL,
 * the Range header, the signature), perform, classify the outcome:
 *   - 206: the Content-Range must start where asked, end where asked or at
 *     the object's end, and the body must be exactly that long; the bytes go
 *     straight into the caller's buffer, never past it;
 *   - 200 to a range request (a server that ignores Range): the wanted slice
 *     is cut out of the stream, which is abandoned once the slice is in; a
 *     slice further in than ZF_HTTP_MAX_SKIP bytes is refused;
 *   - 416: the range starts past the end (got = 0);
 *   - 404, 410, a 403 without a credentials error code: a missing key;
 *   - 408, 429, 5xx, transport errors, a short or malformed reply: retried
 *     after a backoff (or the 503's Retry-After), up to `retries` times, then
 *     ZF_EIO naming the URL and the last reason;
 *   - anything else: ZF_EIO at once.
 * Nothing the server sends is given back unless it passed those checks, so a
 * read gets the right bytes or an error.
 */
#include "store_http.h"

#include "../hash.h"
#include "s3_list.h"
#include "sigv4.h"

#include <curl/curl.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ZF_HTTP_MAX_SKIP ((uint64_t)64 << 20) /* 200 to a range: bytes skipped */
#define ZF_HTTP_MAX_LIST ((size_t)16 << 20)   /* one listing reply */
#define ZF_HTTP_MAX_RETRY_AFTER 30.0          /* seconds */
#define ZF_HTTP_STAT_BUCKETS 4096
#define ZF_HTTP_STAT_MAX 65536
#define ZF_HTTP_ERRBODY 2048

typedef struct stat_ent {
    struct stat_ent *next;
    int found;
    zf_store_stat st;
    char key[];
} stat_ent;

typedef struct hstore {
    zf_store base;
    int s3;
    int connections, retries;
    long timeout_ms;
    int insecure;
    char *cafile;
    char *origin;    /* "https://host:port" */
    char *host;      /* the Host header's value (signed) */
    char *base_path; /* encoded path before a key, ending in '/' */
    char *query;     /* the URL's own query string, or NULL */
    char *list_path; /* S3: the path of listing requests */
    char *s3_prefix; /* S3: the key prefix in the bucket, "" or "a/b/" */
    int signing;
    char *access_key, *secret_key, *token, *region;
    char **arrays; /* HTTP: the node paths of -o arrays */
    size_t narrays;
    pthread_mutex_t lock; /* the handle pool */
    pthread_cond_t cond;
    CURL **idle;
    int nidle, nhandles;
    CURLSH *share;
    pthread_mutex_t share_lock[CURL_LOCK_DATA_LAST];
    pthread_mutex_t stat_lock;
    stat_ent *stats[ZF_HTTP_STAT_BUCKETS];
    size_t nstats;
} hstore;

typedef struct xfer {
    hstore *s;
    CURL *h;
    const char *key; /* for messages */
    char *url, *path, *q;
    int head;
    int64_t off; /* range; < 0: suffix */
    size_t len;
    uint8_t *buf;
    int collect; /* keep the whole body (listings) */
    char *body;
    size_t body_len, body_cap;
    /* the reply */
    long status;
    int have_cr, cr_total_known;
    uint64_t cr_a, cr_b, cr_total;
    double retry_after;
    int64_t clen;
    uint64_t etag; /* a hash of the ETag header; 0 when there was none */
    int slice_ready, done_early;
    uint64_t want_a, want_b, pos;
    size_t got;
    char proto_err[256];
    char errbody[ZF_HTTP_ERRBODY];
    size_t errlen;
    char curl_err[CURL_ERROR_SIZE];
    struct curl_slist *hdrs;
    /* the outcome */
    zf_code code;
    zf_err err;
    int retry;
    double delay;
    int attempt;
    int state;        /* batch: 0 waiting, 1 running, 2 done */
    double not_before; /* batch: when it may start again */
} xfer;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_ALL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int zf_store_is_remote(const char *path)
{
    return !strncasecmp(path, "http://", 7) || !strncasecmp(path, "https://", 8) ||
           !strncasecmp(path, "s3://", 5);
}

/* ---- the stat cache ------------------------------------------------------ */

static size_t hash_key(const char *k)
{
    return (size_t)(zf_fnv1a(ZF_FNV_OFFSET, k) % ZF_HTTP_STAT_BUCKETS);
}

static void stat_clear_locked(hstore *s)
{
    for (size_t i = 0; i < ZF_HTTP_STAT_BUCKETS; i++)
        while (s->stats[i]) {
            stat_ent *e = s->stats[i];
            s->stats[i] = e->next;
            free(e);
        }
    s->nstats = 0;
}

static int stat_lookup(hstore *s, const char *key, zf_store_stat *st)
{
    int r = -1;
    pthread_mutex_lock(&s->stat_lock);
    for (stat_ent *e = s->stats[hash_key(key)]; e; e = e->next)
        if (!strcmp(e->key, key)) {
            r = e->found;
            *st = e->st;
            break;
        }
    pthread_mutex_unlock(&s->stat_lock);
    return r; /* -1 unknown, 0 missing, 1 found */
}

static uint64_t version_of(uint64_t size, time_t mtime, uint64_t etag)
{
    return etag ? etag : size * 0x9e3779b97f4a7c15ull ^ (uint64_t)mtime;
}

/* Remembers what a reply said of key.  The version (which tags cached
 * chunks and shard indexes) is the ETag's hash, else the size and the
 * Last-Modified time; a reply that has neither keeps the version known. */
static void stat_store(hstore *s, const char *key, int found, uint64_t size,
                       time_t mtime, uint64_t etag)
{
    size_t b = hash_key(key);
    pthread_mutex_lock(&s->stat_lock);
    stat_ent *e = s->stats[b];
    while (e && strcmp(e->key, key))
        e = e->next;
    if (!e) {
        if (s->nstats >= ZF_HTTP_STAT_MAX)
            stat_clear_locked(s); /* bounded; a miss costs one HEAD */
        size_t kl = strlen(key);
        if ((e = calloc(1, sizeof *e + kl + 1))) {
            memcpy(e->key, key, kl + 1);
            e->next = s->stats[b];
            s->stats[b] = e;
            s->nstats++;
        }
    }
    if (e) {
        e->found = found;
        e->st.size = size;
        /* Range replies may lack Last-Modified: keep what HEAD said. */
        if (mtime > 0 || !found)
            e->st.mtime = mtime;
        if (etag || mtime > 0 || !found || !e->st.version)
            e->st.version = version_of(size, mtime, etag);
    }
    pthread_mutex_unlock(&s->stat_lock);
}

/* ---- the handle pool --------------------------------------------------- */

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *u)
{
    (void)h;
    (void)a;
    pthread_mutex_lock(&((hstore *)u)->share_lock[d]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *u)
{
    (void)h;
    pthread_mutex_unlock(&((hstore *)u)->share_lock[d]);
}

/* A handle, or NULL: out of memory, or (when !wait) all are busy. */
static CURL *handle_get(hstore *s, int wait)
{
    CURL *h = NULL;
    pthread_mutex_lock(&s->lock);
    while (!s->nidle && s->nhandles >= s->connections) {
        if (!wait) {
            pthread_mutex_unlock(&s->lock);
            return NULL;
        }
        pthread_cond_wait(&s->cond, &s->lock);
    }
    if (s->nidle)
        h = s->idle[--s->nidle];
    else if ((h = curl_easy_init()))
        s->nhandles++;
    pthread_mutex_unlock(&s->lock);
    return h;
}

static void handle_put(hstore *s, CURL *h)
{
    pthread_mutex_lock(&s->lock);
    s->idle[s->nidle++] = h;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

/* ---- one request ----------------------------------------------------------- */

static int hdr_is(const char *line, size_t n, const char *name, const char **val)
{
    size_t l = strlen(name);
    if (n <= l || strncasecmp(line, name, l) != 0 || line[l] != ':')
        return 0;
    const char *v = line + l + 1;
    while (v < line + n && (*v == ' ' || *v == '\t'))
        v++;
    *val = v;
    return 1;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
    xfer *x = ud;
    size_t n = sz * nm;
    char line[512];
    size_t l = n < sizeof line - 1 ? n : sizeof line - 1;
    memcpy(line, p, l);
    while (l && (line[l - 1] == '\r' || line[l - 1] == '\n'))
        l--;
    line[l] = 0;
    const char *v;
    if (!strncmp(line, "HTTP/", 5)) { /* a new reply (after 100, redirects) */
        const char *sp = strchr(line, ' ');
        x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        x->have_cr = x->cr_total_known = 0;
        x->retry_after = -1;
        x->clen = -1;
        x->etag = 0;
        x->errlen = 0;
    } else if (hdr_is(line, l, "content-range", &v)) {
        unsigned long long a, b, t;
        char star;
        if (sscanf(v, "bytes %llu-%llu/%llu", &a, &b, &t) == 3) {
            x->have_cr = x->cr_total_known = 1;
            x->cr_a = a, x->cr_b = b, x->cr_total = t;
        } else if (sscanf(v, "bytes %llu-%llu/%c", &a, &b, &star) == 3 &&
                   star == '*') {
            x->have_cr = 1;
            x->cr_a = a, x->cr_b = b;
        } else if (sscanf(v, "bytes */%llu", &t) == 1) {
            x->cr_total_known = 1;
            x->cr_total = t;
        }
    } else if (hdr_is(line, l, "content-length", &v)) {
        char *e;
        long long c = strtoll(v, &e, 10);
        x->clen = e != v && c >= 0 ? c : -1;
    } else if (hdr_is(line, l, "etag", &v)) {
        uint64_t h = zf_fnv1a(ZF_FNV_OFFSET, v);
        x->etag = h ? h : 1;
    } else if (hdr_is(line, l, "retry-after", &v)) {
        char *e;
        double d = strtod(v, &e);
        if (e == v) { /* an HTTP date */
            time_t t = curl_getdate(v, NULL);
            d = t > 0 ? difftime(t, time(NULL)) : -1;
        }
        x->retry_after = d < 0 ? 0 : d;
    }
    return n;
}

/* Works out which stream bytes are wanted, on the first byte of a 2xx body
 * (or at its end when there was none); 0 with proto_err set if refused. */
static int setup_slice(xfer *x)
{
    x->slice_ready = 1;
    x->pos = 0;
    uint64_t suffix = x->off < 0 ? (uint64_t)-x->off : 0;
    if (x->status == 206) {
        uint64_t cap = x->off < 0 ? suffix : x->len;
        const char *bad = NULL;
        if (!x->have_cr)
            bad = "206 reply without a Content-Range";
        else if (x->cr_b < x->cr_a || x->cr_b - x->cr_a + 1 > cap)
            bad = "206 reply longer than the range asked for";
        else if (x->off >= 0 && x->cr_a != (uint64_t)x->off)
            bad = "206 reply at another offset than asked";
        else if (x->off >= 0 && x->cr_b + 1 < (uint64_t)x->off + x->len &&
                 !(x->cr_total_known && x->cr_b + 1 == x->cr_total))
            bad = "206 reply shorter than the range, before the object's end";
        else if (x->off < 0 && x->cr_total_known &&
                 (x->cr_b + 1 != x->cr_total ||
                  x->cr_a != x->cr_total - (suffix < x->cr_total ? suffix
                                                                 : x->cr_total)))
            bad = "206 reply to a suffix range that is not the object's end";
        if (bad) {
            snprintf(x->proto_err, sizeof x->proto_err, "%s (Content-Range "
                     "bytes %llu-%llu)", bad, (unsigned long long)x->cr_a,
                     (unsigned long long)x->cr_b);
            return 0;
        }
        x->want_a = 0;
        x->want_b = x->cr_b - x->cr_a + 1;
        return 1;
    }
    /* 200: the whole object. */
    if (x->off < 0) {
        if (x->clen < 0) {
            snprintf(x->proto_err, sizeof x->proto_err, "the server ignored "
                     "the Range header and sent no Content-Length");
            return 0;
        }
        uint64_t cl = (uint64_t)x->clen;
        x->want_a = cl - (suffix < cl ? suffix : cl);
        x->want_b = cl;
    } else {
        x->want_a = (uint64_t)x->off;
        x->want_b = x->want_a + x->len;
        if (x->clen >= 0 && x->want_b > (uint64_t)x->clen)
            x->want_b = (uint64_t)x->clen > x->want_a ? (uint64_t)x->clen : x->want_a;
    }
    if (x->want_a > ZF_HTTP_MAX_SKIP) {
        snprintf(x->proto_err, sizeof x->proto_err, "the server ignored the "
                 "Range header: refusing to download %llu bytes to reach the "
                 "range", (unsigned long long)x->want_a);
        return 0;
    }
    return 1;
}

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
    xfer *x = ud;
    size_t n = sz * nm;
    if (x->status < 200 || x->status > 299) {
        size_t room = sizeof x->errbody - 1 - x->errlen;
        size_t k = n < room ? n : room;
        memcpy(x->errbody + x->errlen, p, k);
        x->errlen += k;
        x->errbody[x->errlen] = 0;
        return n;
    }
    if (x->head)
        return n;
    if (x->collect) {
        if (x->body_len + n > ZF_HTTP_MAX_LIST) {
            snprintf(x->proto_err, sizeof x->proto_err, "reply larger than "
                     "%zu bytes", ZF_HTTP_MAX_LIST);
            return 0;
        }
        if (x->body_len + n + 1 > x->body_cap) {
            size_t cap = (x->body_len + n + 1) * 2;
            char *b = realloc(x->body, cap);
            if (!b) {
                snprintf(x->proto_err, sizeof x->proto_err, "out of memory");
                return 0;
            }
            x->body = b;
            x->body_cap = cap;
        }
        memcpy(x->body + x->body_len, p, n);
        x->body_len += n;
        return n;
    }
    if (!x->slice_ready && !setup_slice(x))
        return 0;
    uint64_t a = x->pos > x->want_a ? x->pos : x->want_a;
    uint64_t b = x->pos + n < x->want_b ? x->pos + n : x->want_b;
    if (x->status == 206 && x->pos + n > x->want_b) {
        snprintf(x->proto_err, sizeof x->proto_err, "206 reply body longer "
                 "than its Content-Range");
        return 0;
    }
    if (a < b) {
        memcpy(x->buf + (a - x->want_a), p + (a - x->pos), (size_t)(b - a));
        x->got = (size_t)(b - x->want_a);
    }
    x->pos += n;
    if (x->status == 200 && x->pos >= x->want_b) {
        x->done_early = 1; /* all we need is in: stop the download */
        return x->clen >= 0 && x->pos >= (uint64_t)x->clen ? n : 0;
    }
    return n;
}

static void xfer_reset_reply(xfer *x)
{
    x->status = 0;
    x->have_cr = x->cr_total_known = 0;
    x->retry_after = -1;
    x->clen = -1;
    x->etag = 0;
    x->slice_ready = x->done_early = 0;
    x->pos = 0;
    x->got = 0;
    x->proto_err[0] = 0;
    x->errlen = 0;
    x->errbody[0] = 0;
    x->curl_err[0] = 0;
    x->body_len = 0;
    x->retry = 0;
    x->code = ZF_OK;
}

/* Sets the handle up for one attempt; ZF_OK or an error in x->err. */
static zf_code xfer_prepare(xfer *x)
{
    hstore *s = x->s;
    CURL *h = x->h;
    xfer_reset_reply(x);
    curl_slist_free_all(x->hdrs);
    x->hdrs = NULL;
    curl_easy_reset(h);
    char range[80] = "";
    if (x->off < 0)
        snprintf(range, sizeof range, "range:bytes=-%llu",
                 (unsigned long long)-x->off);
    else if (!x->head && !x->collect)
        snprintf(range, sizeof range, "range:bytes=%llu-%llu",
                 (unsigned long long)x->off,
                 (unsigned long long)x->off + x->len - 1);
    char hostl[300];
    const char *sh[2];
    size_t nsh = 0;
    if (s->signing) {
        snprintf(hostl, sizeof hostl, "host:%s", s->host);
        sh[nsh++] = hostl;
        if (range[0])
            sh[nsh++] = range;
        zf_sigv4_key k = {s->access_key, s->secret_key, s->token, s->region, "s3"};
        char *out[ZF_SIGV4_MAX_OUT];
        size_t nout = 0;
        zf_code c = zf_sigv4_sign(&k, x->head ? "HEAD" : "GET", x->path,
                                  x->q ? x->q : "", sh, nsh, time(NULL), out,
                                  &nout, &x->err);
        if (c != ZF_OK)
            return x->code = c;
        char hosth[310];
        snprintf(hosth, sizeof hosth, "Host: %s", s->host);
        struct curl_slist *l = curl_slist_append(NULL, hosth);
        for (size_t i = 0; i < nout; i++) {
            if (l)
                l = curl_slist_append(l, out[i]);
            free(out[i]);
        }
        x->hdrs = l;
        if (!l)
            return x->code = zf_err_set(&x->err, ZF_ENOMEM, "%s: out of memory",
                                        x->url);
    }
    if (range[0]) {
        char rh[90];
        snprintf(rh, sizeof rh, "Range: %s", range + 6);
        struct curl_slist *l = curl_slist_append(x->hdrs, rh);
        if (!l)
            return x->code = zf_err_set(&x->err, ZF_ENOMEM, "%s: out of memory",
                                        x->url);
        x->hdrs = l;
    }
    curl_easy_setopt(h, CURLOPT_URL, x->url);
    curl_easy_setopt(h, CURLOPT_PRIVATE, x);
    curl_easy_setopt(h, CURLOPT_SHARE, s->share);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "zarrfs/" ZF_VERSION);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, s->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     s->timeout_ms < 10000 ? s->timeout_ms : 10000L);
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L << 10);
    curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->curl_err);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    if (!s->s3) { /* signed requests must not wander to other hosts */
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    }
    if (x->head)
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (x->hdrs)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->hdrs);
    if (s->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (s->cafile)
        curl_easy_setopt(h, CURLOPT_CAINFO, s->cafile);
    return ZF_OK;
}

/* An S3 error body's <Code>, or "". */
static void s3_error_code(const char *body, char *code, size_t size, char *msg,
                          size_t msize)
{
    code[0] = msg[0] = 0;
    const char *a = strstr(body, "<Code>"), *b = a ? strstr(a, "</Code>") : NULL;
    if (a && b)
        snprintf(code, size, "%.*s", (int)(b - a - 6), a + 6);
    a = strstr(body, "<Message>");
    b = a ? strstr(a, "</Message>") : NULL;
    if (a && b)
        snprintf(msg, msize, "%.*s", (int)(b - a - 9), a + 9);
}

/* A random number in [0, 1) from the calling thread's own xorshift64
 * generator, seeded on first use from the thread's id and the clock: rand()
 * is one unseeded sequence that every thread (and every process started
 * alike) shares, so retries would not spread out. */
static double jitter_fraction(void)
{
    static _Thread_local uint64_t state;
    if (!state) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        state = ((uint64_t)gettid() * 0x9e3779b97f4a7c15ull) ^
                ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec;
        state |= 1; /* never 0, which xorshift keeps */
    }
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (double)(state >> 11) / 9007199254740992.0; /* 2^53 */
}

double zf_http_backoff(int attempt)
{
    double d = 0.1;
    for (int i = 0; i < attempt && d < 5; i++)
        d *= 2;
    if (d > 5)
        d = 5;
    return d * (0.75 + 0.5 * jitter_fraction()); /* 75..125 % */
}

/* Classifies the attempt's outcome into x->code / x->err / x->retry. */
static void xfer_finish(xfer *x, CURLcode rc)
{
    hstore *s = x->s;
    x->retry = 0;
    if (rc == CURLE_WRITE_ERROR && x->done_early)
        rc = CURLE_OK;
    if (rc != CURLE_OK) {
        if (x->proto_err[0]) {
            x->code = zf_err_set(&x->err, ZF_EIO, "%s: %s", x->url, x->proto_err);
            x->retry = 1;
        } else if (rc == CURLE_PEER_FAILED_VERIFICATION ||
                   rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM ||
                   rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT) {
            x->code = zf_err_set(&x->err, ZF_EIO, "%s: %s%s%s", x->url,
                                 curl_easy_strerror(rc), x->curl_err[0] ? ": " : "",
                                 x->curl_err);
            if (rc != CURLE_UNSUPPORTED_PROTOCOL && rc != CURLE_URL_MALFORMAT)
                zf_err_prefix(&x->err, "TLS verification failed (trust the "
                              "server with -o cafile=PATH, or -o insecure)");
        } else {
            x->code = zf_err_set(&x->err, ZF_EIO, "%s: %s%s%s", x->url,
                                 curl_easy_strerror(rc), x->curl_err[0] ? ": " : "",
                                 x->curl_err);
            x->retry = 1;
        }
        x->delay = zf_http_backoff(x->attempt);
        return;
    }
    long st = x->status;
    if (st == 0)
        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &st);
    x->status = st;
    curl_off_t ft = -1;
    curl_easy_getinfo(x->h, CURLINFO_FILETIME_T, &ft);
    time_t mtime = ft > 0 ? (time_t)ft : 0;
    if (st >= 200 && st <= 299) {
        if (x->head) {
            if (x->clen < 0) {
                x->code = zf_err_set(&x->err, ZF_EIO, "%s: HEAD reply without a "
                                     "Content-Length", x->url);
                return;
            }
            stat_store(s, x->key, 1, (uint64_t)x->clen, mtime, x->etag);
            return;
        }
        if (x->collect)
            return;
        if (!x->slice_ready && !setup_slice(x)) { /* an empty body */
            x->code = zf_err_set(&x->err, ZF_EIO, "%s: %s", x->url, x->proto_err);
            x->retry = 1;
            x->delay = zf_http_backoff(x->attempt);
            return;
        }
        uint64_t need = x->want_b - x->want_a;
        int complete = x->done_early || x->pos >= x->want_b;
        if (st == 200 && !x->done_early && x->clen >= 0)
            complete = x->pos == (uint64_t)x->clen;
        if (!complete || x->got != need) {
            x->code = zf_err_set(&x->err, ZF_EIO, "%s: reply ended after %llu of "
                                 "%llu bytes", x->url, (unsigned long long)x->pos,
                                 (unsigned long long)x->want_b);
            x->retry = 1;
            x->delay = zf_http_backoff(x->attempt);
            return;
        }
        if (st == 206 && x->cr_total_known)
            stat_store(s, x->key, 1, x->cr_total, mtime, x->etag);
        else if (st == 200 && x->clen >= 0)
            stat_store(s, x->key, 1, (uint64_t)x->clen, mtime, x->etag);
        return;
    }
    char code[64], msg[256];
    s3_error_code(x->errbody, code, sizeof code, msg, sizeof msg);
    if (st == 416) { /* the range starts at or past the end */
        x->got = 0;
        return;
    }
    if (st == 404 || st == 410 ||
        (st == 403 && (!code[0] || !strcmp(code, "AccessDenied")))) {
        x->code = zf_err_set(&x->err, ZF_ENOTFOUND, "%s: no such key (HTTP %ld%s%s)",
                             x->url, st, code[0] ? " " : "", code);
        stat_store(s, x->key, 0, 0, 0, 0);
        return;
    }
    x->code = zf_err_set(&x->err, ZF_EIO, "%s: HTTP %ld%s%s%s%s", x->url, st,
                         code[0] ? " " : "", code, msg[0] ? ": " : "", msg);
    if (st == 408 || st == 429 || st >= 500) {
        x->retry = 1;
        x->delay = x->retry_after >= 0
                       ? (x->retry_after < ZF_HTTP_MAX_RETRY_AFTER
                              ? x->retry_after
                              : ZF_HTTP_MAX_RETRY_AFTER)
                       : zf_http_backoff(x->attempt);
    }
}

static void xfer_give_up(xfer *x)
{
    if (x->code != ZF_OK && x->retry && x->attempt > 0)
        zf_err_prefix(&x->err, "after %d attempts", x->attempt + 1);
    x->retry = 0;
}

/* Runs one request to its end (with retries), blocking. */
static void xfer_run(xfer *x)
{
    hstore *s = x->s;
    if (!(x->h = handle_get(s, 1))) {
        x->code = zf_err_set(&x->err, ZF_ENOMEM, "%s: out of memory", x->url);
        return;
    }
    for (x->attempt = 0;; x->attempt++) {
        if (xfer_prepare(x) != ZF_OK)
            break;
        xfer_finish(x, curl_easy_perform(x->h));
        if (!x->retry || x->attempt >= s->retries)
            break;
        sleep_s(x->delay);
    }
    xfer_give_up(x);
    curl_slist_free_all(x->hdrs);
    x->hdrs = NULL;
    handle_put(s, x->h);
    x->h = NULL;
}

/* Runs n requests at once on a multi handle, each with its own retries. */
static void xfer_run_batch(hstore *s, xfer *xs, size_t n)
{
    CURLM *m = curl_multi_init();
    if (!m) {
        for (size_t i = 0; i < n; i++)
            xfer_run(&xs[i]);
        return;
    }
    size_t left = 0;
    for (size_t i = 0; i < n; i++)
        if (xs[i].state == 0)
            left++;
    int running = 0;
    while (left) {
        double now = now_s(), wake = now + 1;
        for (size_t i = 0; i < n; i++) {
            xfer *x = &xs[i];
            if (x->state != 0)
                continue;
            if (x->not_before > now) {
                if (x->not_before < wake)
                    wake = x->not_before;
                continue;
            }
            /* Wait for a handle only when holding none: never deadlocks. */
            if (!x->h && !(x->h = handle_get(s, running == 0))) {
                if (running == 0) {
                    x->code = zf_err_set(&x->err, ZF_ENOMEM, "%s: out of memory",
                                         x->url);
                    x->state = 2;
                    left--;
                }
                break;
            }
            if (xfer_prepare(x) != ZF_OK ||
                curl_multi_add_handle(m, x->h) != CURLM_OK) {
                if (x->code == ZF_OK)
                    x->code = zf_err_set(&x->err, ZF_ENOMEM, "%s: out of memory",
                                         x->url);
                handle_put(s, x->h);
                x->h = NULL;
                x->state = 2;
                left--;
                continue;
            }
            x->state = 1;
            running++;
        }
        if (!left)
            break;
        int still = 0;
        curl_multi_perform(m, &still);
        CURLMsg *msg;
        int q;
        while ((msg = curl_multi_info_read(m, &q))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            xfer *x = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            CURLcode rc = msg->data.result;
            curl_multi_remove_handle(m, x->h);
            running--;
            xfer_finish(x, rc);
            curl_slist_free_all(x->hdrs);
            x->hdrs = NULL;
            handle_put(s, x->h);
            x->h = NULL;
            if (x->retry && x->attempt < s->retries) {
                x->attempt++;
                x->state = 0;
                x->not_before = now_s() + x->delay;
            } else {
                xfer_give_up(x);
                x->state = 2;
                left--;
            }
        }
        if (!left)
            break;
        double ms = (wake - now_s()) * 1000;
        curl_multi_poll(m, NULL, 0, ms < 1 ? 1 : ms > 1000 ? 1000 : (int)ms, NULL);
    }
    curl_multi_cleanup(m);
}

/* The URL and signing path of key (a store key, or "" for the prefix). */
static zf_code xfer_init(hstore *s, xfer *x, const char *key, zf_err *err)
{
    memset(x, 0, sizeof *x);
    x->s = s;
    x->key = key;
    char *enc = zf_sigv4_uri_encode(key, strlen(key), 1);
    size_t n = enc ? strlen(s->base_path) + strlen(enc) + 1 : 0;
    x->path = enc ? malloc(n) : NULL;
    if (x->path)
        snprintf(x->path, n, "%s%s", s->base_path, enc);
    free(enc);
    if (x->path && s->query)
        x->q = strdup(s->query);
    if (x->path && (!s->query || x->q) &&
        asprintf(&x->url, "%s%s%s%s", s->origin, x->path, s->query ? "?" : "",
                 s->query ? s->query : "") < 0)
        x->url = NULL;
    if (!x->url) {
        free(x->path);
        free(x->q);
        x->path = x->q = NULL;
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory", key);
    }
    return ZF_OK;
}

static void xfer_free(xfer *x)
{
    curl_slist_free_all(x->hdrs);
    free(x->url);
    free(x->path);
    free(x->q);
    free(x->body);
}

/* ---- the store operations -------------------------------------------------- */

static void http_read(zf_store *base, zf_range_req *reqs, size_t n)
{
    hstore *s = (hstore *)base;
    xfer one, *xs = n == 1 ? &one : calloc(n, sizeof *xs);
    if (!xs) {
        for (size_t i = 0; i < n; i++)
            reqs[i].code = zf_err_set(&reqs[i].err, ZF_ENOMEM, "%s: out of memory",
                                      reqs[i].key);
        return;
    }
    size_t live = 0;
    for (size_t i = 0; i < n; i++) {
        zf_range_req *r = &reqs[i];
        xfer *x = &xs[i];
        r->got = 0;
        r->code = ZF_OK;
        if ((r->offset >= 0 && r->len == 0) || r->offset == INT64_MIN) {
            memset(x, 0, sizeof *x);
            x->state = 2;
            continue;
        }
        zf_store_stat st;
        if (stat_lookup(s, r->key, &st) == 0) { /* known to be missing */
            r->code = zf_err_set(&r->err, ZF_ENOTFOUND, "%s%s: no such key",
                                 s->base.root, r->key);
            memset(x, 0, sizeof *x);
            x->state = 2;
            continue;
        }
        if ((r->code = xfer_init(s, x, r->key, &r->err)) != ZF_OK) {
            x->state = 2;
            continue;
        }
        x->off = r->offset;
        x->len = r->len;
        x->buf = r->buf;
        live++;
    }
    if (n == 1 && live)
        xfer_run(&xs[0]);
    else if (live)
        xfer_run_batch(s, xs, n);
    for (size_t i = 0; i < n; i++) {
        xfer *x = &xs[i];
        if (x->url) {
            reqs[i].got = x->code == ZF_OK ? x->got : 0;
            reqs[i].code = x->code;
            if (x->code != ZF_OK)
                reqs[i].err = x->err;
            xfer_free(x);
        }
    }
    if (xs != &one)
        free(xs);
}

static zf_code http_stat(zf_store *base, const char *key, zf_store_stat *st,
                         zf_err *err)
{
    hstore *s = (hstore *)base;
    int known = stat_lookup(s, key, st);
    if (known == 1)
        return ZF_OK;
    if (known == 0)
        return zf_err_set(err, ZF_ENOTFOUND, "%s%s: no such key", s->base.root,
                          key);
    xfer x;
    zf_code c = xfer_init(s, &x, key, err);
    if (c != ZF_OK)
        return c;
    x.head = 1;
    xfer_run(&x);
    c = x.code;
    if (c != ZF_OK && err)
        *err = x.err;
    /* xfer_finish remembered it (with Last-Modified), unless the table
     * was just cleared or out of memory. */
    if (c == ZF_OK && stat_lookup(s, key, st) != 1)
        *st = (zf_store_stat){(uint64_t)x.clen, 0,
                              version_of((uint64_t)x.clen, 0, x.etag)};
    xfer_free(&x);
    return c;
}

/* -- listing -- */

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

/* One ListObjectsV2 request; body in x->body.  `extra` is added to the
 * query ("" or "max-keys=1&"). */
static zf_code s3_list_request(hstore *s, const char *full_prefix,
                               const char *token, const char *extra,
                               int delimiter, xfer *x, zf_err *err)
{
    memset(x, 0, sizeof *x);
    x->s = s;
    x->key = full_prefix;
    x->collect = 1;
    char *ep = zf_sigv4_uri_encode(full_prefix, strlen(full_prefix), 0);
    char *et = token ? zf_sigv4_uri_encode(token, strlen(token), 0) : NULL;
    x->path = strdup(s->list_path);
    int ok = ep && (!token || et) && x->path;
    if (ok && asprintf(&x->q, "%s%s%s%slist-type=2&%sprefix=%s",
                       et ? "continuation-token=" : "", et ? et : "",
                       et ? "&" : "", delimiter ? "delimiter=%2F&" : "", extra,
                       ep) < 0)
        x->q = NULL, ok = 0;
    if (ok && asprintf(&x->url, "%s%s?%s", s->origin, s->list_path, x->q) < 0)
        x->url = NULL, ok = 0;
    if (!ok) {
        free(ep);
        free(et);
        return x->code = zf_err_set(err, ZF_ENOMEM, "out of memory");
    }
    free(ep);
    free(et);
    xfer_run(x);
    if (x->code != ZF_OK && err)
        *err = x->err;
    return x->code;
}

static zf_code s3_list(hstore *s, const char *prefix,
                       void (*fn)(void *, const char *, int), void *arg,
                       zf_err *err)
{
    char *full = NULL;
    if (asprintf(&full, "%s%s", s->s3_prefix, prefix) < 0)
        return zf_err_set(err, ZF_ENOMEM, "out of memory");
    list_ctx ctx = {full, fn, arg};
    char *token = NULL;
    zf_code c;
    for (int pages = 0;; pages++) {
        xfer x;
        c = s3_list_request(s, full, token, "", 1, &x, err);
        free(token);
        token = NULL;
        int truncated = 0;
        if (c == ZF_OK)
            c = zf_s3_list_parse(x.body ? x.body : "", x.body_len, on_list_item,
                                 &ctx, &truncated, &token, err);
        if (c != ZF_OK && c != ZF_ENOMEM && x.url)
            zf_err_prefix(err, "listing s3://%s", s->base.root + 5);
        xfer_free(&x);
        if (c != ZF_OK || !truncated || !token || pages > 100000)
            break;
    }
    free(token);
    free(full);
    return c;
}

static zf_code http_list(zf_store *base, const char *prefix,
                         void (*fn)(void *, const char *, int), void *arg,
                         zf_err *err)
{
    hstore *s = (hstore *)base;
    if (s->s3)
        return s3_list(s, prefix, fn, arg, err);
    /* HTTP cannot enumerate: the children are those -o arrays names. */
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < s->narrays; i++) {
        const char *a = s->arrays[i];
        if (strncmp(a, prefix, pl) != 0 || !a[pl])
            continue;
        size_t l = strcspn(a + pl, "/");
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strncmp(s->arrays[j], prefix, pl) &&
                   !strncmp(s->arrays[j] + pl, a + pl, l) &&
                   (s->arrays[j][pl + l] == 0 || s->arrays[j][pl + l] == '/');
        if (seen)
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
    for (int i = 0; i < s->nidle; i++)
        curl_easy_cleanup(s->idle[i]);
    free(s->idle);
    if (s->share)
        curl_share_cleanup(s->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&s->share_lock[i]);
    stat_clear_locked(s);
    pthread_mutex_destroy(&s->stat_lock);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    for (size_t i = 0; i < s->narrays; i++)
        free(s->arrays[i]);
    free(s->arrays);
    free(s->cafile);
    free(s->origin);
    free(s->host);
    free(s->base_path);
    free(s->query);
    free(s->list_path);
    free(s->s3_prefix);
    free(s->access_key);
    free(s->secret_key);
    free(s->token);
    free(s->region);
    free(s->base.root);
    free(s);
}

static void http_forget(zf_store *base)
{
    hstore *s = (hstore *)base;
    pthread_mutex_lock(&s->stat_lock);
    stat_clear_locked(s);
    pthread_mutex_unlock(&s->stat_lock);
}

static int http_peek(zf_store *base, const char *key, zf_store_stat *st)
{
    return stat_lookup((hstore *)base, key, st);
}

static const zf_store_ops http_ops = {http_read, http_stat,   http_list,
                                      http_close, http_forget, http_peek};

/* ---- opening ---------------------------------------------------------------- */

/* Splits "scheme://authority/path?query" (no fragment). */
static zf_code split_url(const char *url, char **origin, char **host,
                         char **path, char **query, zf_err *err)
{
    const char *p = strstr(url, "://");
    if (!p)
        return zf_err_set(err, ZF_EINVAL, "%s: not a URL", url);
    const char *auth = p + 3;
    size_t al = strcspn(auth, "/?#");
    if (al == 0)
        return zf_err_set(err, ZF_EINVAL, "%s: no host in the URL", url);
    const char *rest = auth + al;
    size_t pl = strcspn(rest, "?#");
    const char *at = memchr(auth, '@', al); /* user:password@ stays in origin */
    const char *hs = at ? at + 1 : auth;
    *origin = strndup(url, (size_t)(rest - url));
    *host = strndup(hs, (size_t)(auth + al - hs));
    *path = strndup(rest, pl);
    *query = rest[pl] == '?' ? strndup(rest + pl + 1, strcspn(rest + pl + 1, "#"))
                             : NULL;
    if (!*origin || !*host || !*path || (rest[pl] == '?' && !*query))
        return zf_err_set(err, ZF_ENOMEM, "out of memory");
    if (*query && !**query) {
        free(*query);
        *query = NULL;
    }
    /* Drop default ports from the Host header as curl does. */
    size_t hl = strlen(*host);
    int https = !strncasecmp(url, "https", 5);
    const char *dp = https ? ":443" : ":80";
    if (hl > strlen(dp) && !strcmp(*host + hl - strlen(dp), dp) &&
        (*host)[0] != '[')
        (*host)[hl - strlen(dp)] = 0;
    return ZF_OK;
}

/* Reads one profile of an AWS credentials file (ini). */
static zf_code read_profile(hstore *s, const char *profile, zf_err *err)
{
    const char *file = getenv("AWS_SHARED_CREDENTIALS_FILE");
    char path[4096];
    if (!file) {
        const char *home = getenv("HOME");
        snprintf(path, sizeof path, "%s/.aws/credentials", home ? home : "");
        file = path;
    }
    FILE *f = fopen(file, "r");
    if (!f)
        return zf_err_set(err, ZF_EINVAL, "s3_profile=%s: cannot read %s: %m",
                          profile, file);
    char line[4096];
    int in = 0, found = 0;
    while (fgets(line, sizeof line, f)) {
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        char *e = p + strlen(p);
        while (e > p && isspace((unsigned char)e[-1]))
            *--e = 0;
        if (*p == '#' || *p == ';' || !*p)
            continue;
        if (*p == '[') {
            char *q = strchr(p, ']');
            if (q)
                *q = 0;
            p++;
            while (isspace((unsigned char)*p))
                p++;
            if (!strncmp(p, "profile ", 8))
                p += 8;
            in = !strcmp(p, profile);
            found |= in;
            continue;
        }
        char *eq = strchr(p, '=');
        if (!in || !eq)
            continue;
        char *k = p, *v = eq + 1, *ke = eq;
        while (ke > k && isspace((unsigned char)ke[-1]))
            ke--;
        *ke = 0;
        while (isspace((unsigned char)*v))
            v++;
        char **dst = !strcmp(k, "aws_access_key_id")       ? &s->access_key
                     : !strcmp(k, "aws_secret_access_key") ? &s->secret_key
                     : !strcmp(k, "aws_session_token")     ? &s->token
                                                           : NULL;
        if (dst) {
            free(*dst);
            *dst = strdup(v);
        }
    }
    fclose(f);
    if (!found)
        return zf_err_set(err, ZF_EINVAL, "s3_profile=%s: no such profile in %s",
                          profile, file);
    if (!s->access_key || !s->secret_key)
        return zf_err_set(err, ZF_EINVAL, "s3_profile=%s: %s has no "
                          "aws_access_key_id and aws_secret_access_key for it",
                          profile, file);
    return ZF_OK;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static zf_code setup_s3(hstore *s, const char *url, const zf_remote_options *o,
                        zf_err *err)
{
    const char *b = url + 5;
    size_t bl = strcspn(b, "/?#");
    if (bl == 0)
        return zf_err_set(err, ZF_EINVAL, "%s: no bucket in the URL", url);
    char *bucket = strndup(b, bl);
    const char *pre = b + bl;
    while (*pre == '/')
        pre++;
    size_t prl = strcspn(pre, "?#");
    while (prl && pre[prl - 1] == '/')
        prl--;
    if (!bucket || asprintf(&s->s3_prefix, "%.*s%s", (int)prl, pre,
                            prl ? "/" : "") < 0) {
        free(bucket);
        s->s3_prefix = NULL;
        return zf_err_set(err, ZF_ENOMEM, "out of memory");
    }
    const char *region = o->s3_region ? o->s3_region
                         : env("AWS_REGION")       ? env("AWS_REGION")
                         : env("AWS_DEFAULT_REGION") ? env("AWS_DEFAULT_REGION")
                                                     : "us-east-1";
    const char *endpoint = o->s3_endpoint       ? o->s3_endpoint
                           : env("AWS_ENDPOINT_URL_S3") ? env("AWS_ENDPOINT_URL_S3")
                                                        : env("AWS_ENDPOINT_URL");
    char *aws = NULL;
    if (!endpoint && asprintf(&aws, "https://s3.%s.amazonaws.com", region) < 0)
        aws = NULL;
    zf_code c = ZF_OK;
    char *origin = NULL, *host = NULL, *epath = NULL, *equery = NULL;
    if (!endpoint && !aws)
        c = zf_err_set(err, ZF_ENOMEM, "out of memory");
    if (c == ZF_OK && strncasecmp(endpoint ? endpoint : aws, "http://", 7) &&
        strncasecmp(endpoint ? endpoint : aws, "https://", 8))
        c = zf_err_set(err, ZF_EINVAL, "s3_endpoint=%s: not an http:// or "
                       "https:// URL", endpoint);
    if (c == ZF_OK)
        c = split_url(endpoint ? endpoint : aws, &origin, &host, &epath, &equery,
                      err);
    if (c == ZF_OK) {
        size_t el = strlen(epath);
        while (el && epath[el - 1] == '/')
            epath[--el] = 0;
        /* Virtual-host style for AWS (unless the bucket has dots, which the
         * wildcard certificate does not cover), path style elsewhere. */
        int virt = o->s3_addressing == ZF_S3_VIRTUAL ||
                   (o->s3_addressing == ZF_S3_DEFAULT && !endpoint &&
                    !strchr(bucket, '.'));
        char *encp = zf_sigv4_uri_encode(s->s3_prefix, strlen(s->s3_prefix), 1);
        if (!encp)
            c = zf_err_set(err, ZF_ENOMEM, "out of memory");
        else if (virt) {
            const char *sep = strstr(origin, "://") + 3;
            if (asprintf(&s->origin, "%.*s%s.%s", (int)(sep - origin), origin,
                         bucket, sep) < 0 ||
                asprintf(&s->host, "%s.%s", bucket, host) < 0 ||
                asprintf(&s->base_path, "%s/%s", epath, encp) < 0 ||
                asprintf(&s->list_path, "%s/", epath) < 0)
                c = zf_err_set(err, ZF_ENOMEM, "out of memory");
        } else {
            char *eb = zf_sigv4_uri_encode(bucket, strlen(bucket), 0);
            if (!eb || !(s->origin = strdup(origin)) || !(s->host = strdup(host)) ||
                asprintf(&s->base_path, "%s/%s/%s", epath, eb, encp) < 0 ||
                asprintf(&s->list_path, "%s/%s", epath, eb) < 0)
                c = zf_err_set(err, ZF_ENOMEM, "out of memory");
            free(eb);
        }
        free(encp);
        s->region = strdup(region);
        if (c == ZF_OK && !s->region)
            c = zf_err_set(err, ZF_ENOMEM, "out of memory");
    }
    free(origin);
    free(host);
    free(epath);
    free(equery);
    free(aws);
    free(bucket);
    if (c != ZF_OK || o->s3_anonymous)
        return c;
    const char *profile = o->s3_profile ? o->s3_profile : env("AWS_PROFILE");
    if (o->s3_profile || (!env("AWS_ACCESS_KEY_ID") && profile)) {
        if ((c = read_profile(s, profile, err)) != ZF_OK)
            return c;
    } else if (env("AWS_ACCESS_KEY_ID") || env("AWS_SECRET_ACCESS_KEY")) {
        if (!env("AWS_ACCESS_KEY_ID") || !env("AWS_SECRET_ACCESS_KEY"))
            return zf_err_set(err, ZF_EINVAL, "%s: AWS_%s is set but not AWS_%s",
                              url, env("AWS_ACCESS_KEY_ID") ? "ACCESS_KEY_ID"
                                                             : "SECRET_ACCESS_KEY",
                              env("AWS_ACCESS_KEY_ID") ? "SECRET_ACCESS_KEY"
                                                       : "ACCESS_KEY_ID");
        s->access_key = strdup(env("AWS_ACCESS_KEY_ID"));
        s->secret_key = strdup(env("AWS_SECRET_ACCESS_KEY"));
        if (env("AWS_SESSION_TOKEN"))
            s->token = strdup(env("AWS_SESSION_TOKEN"));
        if (!s->access_key || !s->secret_key ||
            (env("AWS_SESSION_TOKEN") && !s->token))
            return zf_err_set(err, ZF_ENOMEM, "out of memory");
    }
    s->signing = s->access_key != NULL;
    return ZF_OK;
}

static zf_code setup_http(hstore *s, const char *url, const zf_remote_options *o,
                          zf_err *err)
{
    char *path = NULL;
    zf_code c = split_url(url, &s->origin, &s->host, &path, &s->query, err);
    if (c == ZF_OK) {
        size_t pl = strlen(path);
        while (pl && path[pl - 1] == '/')
            path[--pl] = 0;
        if (asprintf(&s->base_path, "%s/", path) < 0) {
            s->base_path = NULL;
            c = zf_err_set(err, ZF_ENOMEM, "out of memory");
        }
    }
    free(path);
    /* -o arrays: node paths, ':' or ',' separated, without outer slashes. */
    for (const char *p = o->arrays; c == ZF_OK && p && *p;) {
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
            c = zf_err_set(err, ZF_ENOMEM, "out of memory");
        else
            s->narrays++;
    }
    return c;
}

/* The probes of store_http.h: credentials and reachability. */
static zf_code probe(hstore *s, const char *url, zf_err *err)
{
    if (s->s3) {
        xfer x;
        zf_code c = s3_list_request(s, s->s3_prefix, NULL, "max-keys=1&", 0, &x,
                                    err);
        long st = x.status;
        char code[64], msg[256];
        s3_error_code(x.errbody, code, sizeof code, msg, sizeof msg);
        xfer_free(&x);
        if (c == ZF_ENOTFOUND && st == 404)
            return zf_err_set(err, ZF_ENOTFOUND, "%s: no such bucket (HTTP 404%s%s)",
                              url, code[0] ? " " : "", code);
        if (c == ZF_EIO && st == 403)
            zf_err_prefix(err, "%s: the bucket refused the %s", url,
                          s->signing ? "credentials" : "anonymous request");
        /* 403 AccessDenied: listing is not allowed, reading may be; but
         * when the root's metadata is denied too, say so here rather than
         * "not a Zarr store". */
        if (c != ZF_OK && c != ZF_ENOTFOUND)
            return c;
        if (c == ZF_ENOTFOUND && st == 403) {
            static const char *const roots[] = {"zarr.json", ".zgroup",
                                                ".zarray", ".zmetadata"};
            int denied = 0;
            for (size_t i = 0; i < 4; i++) {
                xfer h;
                zf_code ic = xfer_init(s, &h, roots[i], err);
                if (ic != ZF_OK)
                    return ic;
                h.head = 1;
                xfer_run(&h);
                denied += h.code == ZF_ENOTFOUND && h.status == 403;
                zf_code hc = h.code;
                if (hc != ZF_OK && hc != ZF_ENOTFOUND && err)
                    *err = h.err;
                xfer_free(&h);
                if (hc != ZF_ENOTFOUND)
                    return hc;
            }
            if (denied == 4)
                return zf_err_set(err, ZF_EIO, "%s: access denied (HTTP 403) "
                                  "to the listing and to the root's metadata%s",
                                  url, s->signing ? " with these credentials"
                                                  : ": give credentials "
                                                    "(AWS_ACCESS_KEY_ID and "
                                                    "AWS_SECRET_ACCESS_KEY, or "
                                                    "-o s3_profile)");
        }
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
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return zf_err_set(err, ZF_EIO, "%s: cannot start libcurl: %s", url,
                          curl_easy_strerror(curl_init_rc));
    hstore *s = calloc(1, sizeof *s);
    if (!s)
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory", url);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    pthread_mutex_init(&s->stat_lock, NULL);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&s->share_lock[i], NULL);
    s->base.ops = &http_ops;
    s->base.coalesce_gap = o->coalesce_gap;
    s->base.coalesce_max = o->coalesce_max ? o->coalesce_max : (uint64_t)16 << 20;
    s->connections = o->connections > 0 ? o->connections : 16;
    s->retries = o->retries >= 0 ? o->retries : 0;
    s->timeout_ms = (long)((o->timeout > 0 ? o->timeout : 30) * 1000);
    if (s->timeout_ms < 1)
        s->timeout_ms = 1;
    s->insecure = o->insecure;
    s->s3 = !strncasecmp(url, "s3://", 5);
    const char *ca = o->cafile ? o->cafile : env("CURL_CA_BUNDLE");
    zf_code c = ZF_OK;
    size_t ul = strlen(url);
    while (ul > 1 && url[ul - 1] == '/')
        ul--;
    /* root: the URL and a '/', so "root + key" names a key in messages */
    if (asprintf(&s->base.root, "%.*s/", (int)ul, url) < 0) {
        s->base.root = NULL;
        c = zf_err_set(err, ZF_ENOMEM, "%s: out of memory", url);
    }
    if (c == ZF_OK && ca && !(s->cafile = strdup(ca)))
        c = zf_err_set(err, ZF_ENOMEM, "%s: out of memory", url);
    if (c == ZF_OK && (!(s->idle = calloc((size_t)s->connections, sizeof *s->idle)) ||
                       !(s->share = curl_share_init())))
        c = zf_err_set(err, ZF_ENOMEM, "%s: out of memory", url);
    if (c == ZF_OK) {
        curl_share_setopt(s->share, CURLSHOPT_LOCKFUNC, share_lock);
        curl_share_setopt(s->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
        curl_share_setopt(s->share, CURLSHOPT_USERDATA, s);
        curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        c = s->s3 ? setup_s3(s, url, o, err) : setup_http(s, url, o, err);
    }
    if (c == ZF_OK)
        c = probe(s, url, err);
    if (c != ZF_OK) {
        http_close(&s->base);
        return c;
    }
    *out = &s->base;
    return ZF_OK;
}
