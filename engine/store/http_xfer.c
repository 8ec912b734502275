/*
 * http_xfer.c - the remote store's transport; see http_xfer.h for the
 * contract.  The reply's status and lengths come from CURLINFO_*, its ETag
 * and Content-Range from curl_easy_header (curl does not parse the latter,
 * hence the small parser below).
 */
#include "http_xfer.h"

#include "hash.h"
#include "s3_list.h"

#include <curl/header.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ZF_HTTP_MAX_RETRY_AFTER 30.0 /* seconds */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_ALL);
}

static void sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* ---- the handle pool ----------------------------------------------------- */

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *u)
{
    (void)h;
    (void)a;
    pthread_mutex_lock(&((zf_http_conn *)u)->share_lock[d]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *u)
{
    (void)h;
    pthread_mutex_unlock(&((zf_http_conn *)u)->share_lock[d]);
}

zf_code zf_http_conn_init(zf_http_conn *c, zf_err *err)
{
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return zf_err_set(err, ZF_EIO, "cannot start libcurl: %s",
                          curl_easy_strerror(curl_init_rc));
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&c->share_lock[i], NULL);
    c->nidle = c->nhandles = 0;
    c->idle = calloc((size_t)c->connections, sizeof *c->idle);
    c->share = c->idle ? curl_share_init() : NULL;
    if (!c->share)
        return zf_err_set(err, ZF_ENOMEM, "out of memory");
    curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    return ZF_OK;
}

/* Safe on a conn whose init failed part way (or never ran: all zero). */
void zf_http_conn_free(zf_http_conn *c)
{
    if (!c->idle)
        return;
    for (int i = 0; i < c->nidle; i++)
        curl_easy_cleanup(c->idle[i]);
    free(c->idle);
    c->idle = NULL;
    if (c->share)
        curl_share_cleanup(c->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&c->share_lock[i]);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
}

/* A handle (waiting for one while all are busy), or NULL: out of memory. */
static CURL *handle_get(zf_http_conn *c)
{
    CURL *h = NULL;
    pthread_mutex_lock(&c->lock);
    while (!c->nidle && c->nhandles >= c->connections)
        pthread_cond_wait(&c->cond, &c->lock);
    if (c->nidle)
        h = c->idle[--c->nidle];
    else if ((h = curl_easy_init()))
        c->nhandles++;
    pthread_mutex_unlock(&c->lock);
    return h;
}

static void handle_put(zf_http_conn *c, CURL *h)
{
    pthread_mutex_lock(&c->lock);
    c->idle[c->nidle++] = h;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

/* ---- reading the reply ----------------------------------------------------- */

/* A header's value from the last reply, or NULL. */
static const char *header(zf_http_xfer *x, const char *name)
{
    struct curl_header *hh;
    if (curl_easy_header(x->h, name, 0, CURLH_HEADER, -1, &hh) != CURLHE_OK)
        return NULL;
    return hh->value;
}

/* "bytes A-B/T", "bytes A-B/(star)" or "bytes (star)/T" (RFC 9110 14.4). */
static void parse_content_range(zf_http_xfer *x, const char *v)
{
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
}

/* Reads status, lengths and validators of the final reply, once per attempt
 * (on its first body byte, or at its end). */
static void read_reply(zf_http_xfer *x)
{
    if (x->status)
        return;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
    curl_off_t cl = -1;
    curl_easy_getinfo(x->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
    x->clen = cl >= 0 ? (int64_t)cl : -1;
    const char *v = header(x, "Content-Range");
    if (v)
        parse_content_range(x, v);
    if ((v = header(x, "ETag"))) {
        uint64_t h = zf_fnv1a(ZF_FNV_OFFSET, v);
        x->etag = h ? h : 1;
        if (strlen(v) < sizeof x->etag_text)
            strcpy(x->etag_text, v);
    }
}

/* Works out which stream bytes are wanted, on the first byte of a 2xx body
 * (or at its end when there was none); 0 with proto_err set if refused. */
static const char *check_206(zf_http_xfer *x, uint64_t suffix)
{
    uint64_t cap = x->off < 0 ? suffix : x->len;
    if (!x->have_cr)
        return "206 reply without a Content-Range";
    if (x->cr_b < x->cr_a || x->cr_b - x->cr_a + 1 > cap)
        return "206 reply longer than the range asked for";
    if (x->off >= 0 && x->cr_a != (uint64_t)x->off)
        return "206 reply at another offset than asked";
    if (x->off >= 0 && x->cr_b + 1 < (uint64_t)x->off + x->len &&
        !(x->cr_total_known && x->cr_b + 1 == x->cr_total))
        return "206 reply shorter than the range, before the object's end";
    if (x->off < 0 && x->cr_total_known &&
        (x->cr_b + 1 != x->cr_total ||
         x->cr_a != x->cr_total - (suffix < x->cr_total ? suffix : x->cr_total)))
        return "206 reply to a suffix range that is not the object's end";
    return NULL;
}

static int setup_slice(zf_http_xfer *x)
{
    x->slice_ready = 1;
    x->pos = 0;
    uint64_t suffix = x->off < 0 ? (uint64_t)-x->off : 0;
    if (x->status == 206) {
        const char *bad = check_206(x, suffix);
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

static size_t keep_errbody(zf_http_xfer *x, const char *p, size_t n)
{
    size_t room = sizeof x->errbody - 1 - x->errlen;
    size_t k = n < room ? n : room;
    memcpy(x->errbody + x->errlen, p, k);
    x->errlen += k;
    x->errbody[x->errlen] = 0;
    return n;
}

static size_t collect_body(zf_http_xfer *x, const char *p, size_t n)
{
    if (x->body_len + n > ZF_HTTP_MAX_LIST) {
        snprintf(x->proto_err, sizeof x->proto_err, "reply larger than %zu "
                 "bytes", ZF_HTTP_MAX_LIST);
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
    x->body[x->body_len] = 0;
    return n;
}

/* Copies the part of p[0..n) (stream bytes pos..pos+n) that is wanted. */
static size_t slice_body(zf_http_xfer *x, const char *p, size_t n)
{
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

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
    zf_http_xfer *x = ud;
    size_t n = sz * nm;
    read_reply(x);
    if (x->status < 200 || x->status > 299)
        return keep_errbody(x, p, n);
    if (x->head)
        return n;
    if (x->collect)
        return collect_body(x, p, n);
    return slice_body(x, p, n);
}

/* ---- one attempt ----------------------------------------------------------- */

static void reset_reply(zf_http_xfer *x)
{
    x->status = 0;
    x->have_cr = x->cr_total_known = 0;
    x->clen = -1;
    x->etag = 0;
    x->etag_text[0] = 0;
    x->slice_ready = x->done_early = 0;
    x->pos = 0;
    x->got = 0;
    x->proto_err[0] = 0;
    x->errlen = 0;
    x->errbody[0] = 0;
    x->curl_err[0] = 0;
    x->body_len = 0;
    x->retry = 0;
    x->learned = -1;
    x->code = ZF_OK;
}

static zf_code oom(zf_http_xfer *x)
{
    return x->code = zf_err_set(&x->err, ZF_ENOMEM, "%s: out of memory", x->url);
}

static zf_code add_header(zf_http_xfer *x, const char *line)
{
    struct curl_slist *l = curl_slist_append(x->hdrs, line);
    if (!l)
        return oom(x);
    x->hdrs = l;
    return ZF_OK;
}

/* The Range, precondition and signature headers of one attempt (signed anew each time:
 * the signature carries the time). */
static zf_code set_headers(zf_http_conn *c, zf_http_xfer *x)
{
    curl_slist_free_all(x->hdrs);
    x->hdrs = NULL;
    char range[80] = "";
    if (x->off < 0)
        snprintf(range, sizeof range, "bytes=-%llu", (unsigned long long)-x->off);
    else if (!x->head && !x->collect)
        snprintf(range, sizeof range, "bytes=%llu-%llu",
                 (unsigned long long)x->off,
                 (unsigned long long)x->off + x->len - 1);
    if (c->sign) {
        zf_code rc = c->sign(c->sign_arg, x->head ? "HEAD" : "GET", x->path,
                             x->q ? x->q : "", range[0] ? range : NULL,
                             &x->hdrs, &x->err);
        if (rc != ZF_OK)
            return x->code = rc;
    }
    char h[ZF_HTTP_ETAG_MAX + 64];
    if (range[0]) {
        snprintf(h, sizeof h, "Range: %s", range);
        if (add_header(x, h) != ZF_OK)
            return x->code;
    }
    if (x->if_match && *x->if_match) {
        snprintf(h, sizeof h, "If-Match: %s", x->if_match);
        if (add_header(x, h) != ZF_OK)
            return x->code;
    } else if (x->if_unmodified > 0) {
        /* RFC 9110's IMF-fixdate, in English whatever the locale */
        static const char days[] = "SunMonTueWedThuFriSat",
                          months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
        struct tm tm;
        gmtime_r(&x->if_unmodified, &tm);
        snprintf(h, sizeof h, "If-Unmodified-Since: %.3s, %02d %.3s %d "
                 "%02d:%02d:%02d GMT", days + 3 * tm.tm_wday, tm.tm_mday,
                 months + 3 * tm.tm_mon, tm.tm_year + 1900, tm.tm_hour,
                 tm.tm_min, tm.tm_sec);
        if (add_header(x, h) != ZF_OK)
            return x->code;
    }
    return ZF_OK;
}

/* Sets the handle up for one attempt; ZF_OK or an error in x->err. */
static zf_code prepare(zf_http_conn *c, zf_http_xfer *x)
{
    CURL *h = x->h;
    reset_reply(x);
    curl_easy_reset(h);
    if (set_headers(c, x) != ZF_OK)
        return x->code;
    curl_easy_setopt(h, CURLOPT_URL, x->url);
    curl_easy_setopt(h, CURLOPT_SHARE, c->share);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "zarrfs/" ZF_VERSION);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     c->timeout_ms < 10000 ? c->timeout_ms : 10000L);
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L << 10);
    curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->curl_err);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    if (c->follow_redirects) {
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    }
    if (x->head)
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (x->hdrs)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->hdrs);
    if (c->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (c->cafile)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->cafile);
    return ZF_OK;
}

/* ---- classifying the outcome ------------------------------------------------ */

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

static void fail_retry(zf_http_xfer *x, double delay)
{
    x->retry = 1;
    x->delay = delay >= 0 ? delay : zf_http_backoff(x->attempt);
}

/* A transport error (or a reply the callbacks refused). */
static void finish_curl_error(zf_http_xfer *x, CURLcode rc)
{
    if (x->proto_err[0]) {
        x->code = zf_err_set(&x->err, ZF_EIO, "%s: %s", x->url, x->proto_err);
        fail_retry(x, -1);
        return;
    }
    x->code = zf_err_set(&x->err, ZF_EIO, "%s: %s%s%s", x->url,
                         curl_easy_strerror(rc), x->curl_err[0] ? ": " : "",
                         x->curl_err);
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
        rc == CURLE_SSL_CERTPROBLEM)
        zf_err_prefix(&x->err, "TLS verification failed (trust the server "
                      "with -o cafile=PATH, or -o insecure)");
    else if (rc != CURLE_UNSUPPORTED_PROTOCOL && rc != CURLE_URL_MALFORMAT)
        fail_retry(x, -1);
}

/* A 2xx reply: are all the bytes asked for in? */
static void finish_ok(zf_http_xfer *x, time_t mtime)
{
    if (x->head) {
        if (x->clen < 0) {
            x->code = zf_err_set(&x->err, ZF_EIO, "%s: HEAD reply without a "
                                 "Content-Length", x->url);
            return;
        }
        x->learned = 1, x->size = (uint64_t)x->clen, x->mtime = mtime;
        return;
    }
    if (x->collect)
        return;
    if (!x->slice_ready && !setup_slice(x)) { /* an empty body */
        x->code = zf_err_set(&x->err, ZF_EIO, "%s: %s", x->url, x->proto_err);
        fail_retry(x, -1);
        return;
    }
    uint64_t need = x->want_b - x->want_a;
    int complete = x->done_early || x->pos >= x->want_b;
    if (x->status == 200 && !x->done_early && x->clen >= 0)
        complete = x->pos == (uint64_t)x->clen;
    if (!complete || x->got != need) {
        x->code = zf_err_set(&x->err, ZF_EIO, "%s: reply ended after %llu of "
                             "%llu bytes", x->url, (unsigned long long)x->pos,
                             (unsigned long long)x->want_b);
        fail_retry(x, -1);
        return;
    }
    if (x->status == 206 && x->cr_total_known)
        x->learned = 1, x->size = x->cr_total, x->mtime = mtime;
    else if (x->status == 200 && x->clen >= 0)
        x->learned = 1, x->size = (uint64_t)x->clen, x->mtime = mtime;
}

/* Any other status. */
static void finish_status(zf_http_xfer *x)
{
    long st = x->status;
    char code[64], msg[256];
    zf_s3_error_code(x->errbody, x->errlen, code, sizeof code, msg, sizeof msg);
    if (st == 416) { /* the range starts at or past the end */
        x->got = 0;
        return;
    }
    if (st == 412) { /* the object is no longer the version asked for */
        x->code = zf_err_set(&x->err, ZF_ECHANGED, "%s: changed on the server "
                             "while being read (HTTP 412)", x->url);
        return;
    }
    if (st == 404 || st == 410 ||
        (st == 403 && (!code[0] || !strcmp(code, "AccessDenied")))) {
        x->code = zf_err_set(&x->err, ZF_ENOTFOUND, "%s: no such key (HTTP "
                             "%ld%s%s)", x->url, st, code[0] ? " " : "", code);
        x->learned = 0;
        return;
    }
    x->code = zf_err_set(&x->err, ZF_EIO, "%s: HTTP %ld%s%s%s%s", x->url, st,
                         code[0] ? " " : "", code, msg[0] ? ": " : "", msg);
    if (st == 408 || st == 429 || st >= 500) {
        curl_off_t ra = 0; /* 0: none (or "0": the backoff then) */
        curl_easy_getinfo(x->h, CURLINFO_RETRY_AFTER, &ra);
        fail_retry(x, ra <= 0 ? -1
                      : ra < ZF_HTTP_MAX_RETRY_AFTER ? (double)ra
                                                     : ZF_HTTP_MAX_RETRY_AFTER);
    }
}

/* Classifies the attempt's outcome into x->code / x->err / x->retry. */
static void finish(zf_http_xfer *x, CURLcode rc)
{
    if (rc == CURLE_WRITE_ERROR && x->done_early)
        rc = CURLE_OK;
    if (rc != CURLE_OK) {
        finish_curl_error(x, rc);
        return;
    }
    read_reply(x);
    curl_off_t ft = -1;
    curl_easy_getinfo(x->h, CURLINFO_FILETIME_T, &ft);
    if (x->status >= 200 && x->status <= 299)
        finish_ok(x, ft > 0 ? (time_t)ft : 0);
    else
        finish_status(x);
}

void zf_http_xfer_run(zf_http_conn *c, zf_http_xfer *x)
{
    if (!(x->h = handle_get(c))) {
        oom(x);
        return;
    }
    for (x->attempt = 0;; x->attempt++) {
        if (prepare(c, x) != ZF_OK)
            break;
        finish(x, curl_easy_perform(x->h));
        if (!x->retry || x->attempt >= c->retries)
            break;
        sleep_s(x->delay);
    }
    if (x->code != ZF_OK && x->retry && x->attempt > 0)
        zf_err_prefix(&x->err, "after %d attempts", x->attempt + 1);
    curl_slist_free_all(x->hdrs);
    x->hdrs = NULL;
    handle_put(c, x->h);
    x->h = NULL;
}

zf_code zf_http_xfer_init(zf_http_xfer *x, const char *key, const char *origin,
                          const char *path, const char *q, zf_err *err)
{
    memset(x, 0, sizeof *x);
    x->key = key;
    x->learned = -1;
    x->path = strdup(path);
    x->q = q ? strdup(q) : NULL;
    if (!x->path || (q && !x->q) ||
        asprintf(&x->url, "%s%s%s%s", origin, path, q ? "?" : "", q ? q : "") < 0) {
        x->url = NULL;
        zf_http_xfer_free(x);
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory", key);
    }
    return ZF_OK;
}

void zf_http_xfer_free(zf_http_xfer *x)
{
    curl_slist_free_all(x->hdrs);
    free(x->url);
    free(x->path);
    free(x->q);
    free(x->body);
    x->hdrs = NULL;
    x->url = x->path = x->q = x->body = NULL;
}

/* ---- URLs ------------------------------------------------------------------ */

static char *url_part(CURLU *u, CURLUPart what, unsigned flags)
{
    char *v = NULL;
    if (curl_url_get(u, what, &v, flags) != CURLUE_OK)
        return NULL;
    char *r = strdup(v);
    curl_free(v);
    return r;
}

zf_code zf_http_url_split(const char *url, char **origin, char **host,
                          char **path, char **query, zf_err *err)
{
    *origin = *host = *path = *query = NULL;
    CURLU *u = curl_url();
    if (!u)
        return zf_err_set(err, ZF_ENOMEM, "out of memory");
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, CURLU_PATH_AS_IS);
    if (uc != CURLUE_OK) {
        curl_url_cleanup(u);
        return zf_err_set(err, ZF_EINVAL, "%s: not a URL (%s)", url,
                          curl_url_strerror(uc));
    }
    char *h = url_part(u, CURLUPART_HOST, 0);
    char *port = url_part(u, CURLUPART_PORT, CURLU_NO_DEFAULT_PORT);
    *path = url_part(u, CURLUPART_PATH, 0);
    *query = url_part(u, CURLUPART_QUERY, 0);
    /* the origin: the URL without path, query and fragment */
    curl_url_set(u, CURLUPART_PATH, NULL, 0);
    curl_url_set(u, CURLUPART_QUERY, NULL, 0);
    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
    *origin = url_part(u, CURLUPART_URL, 0);
    curl_url_cleanup(u);
    size_t ol = *origin ? strlen(*origin) : 0;
    if (ol && (*origin)[ol - 1] == '/')
        (*origin)[ol - 1] = 0;
    if (h && asprintf(host, "%s%s%s", h, port ? ":" : "", port ? port : "") < 0)
        *host = NULL;
    free(h);
    free(port);
    if (*query && !**query) {
        free(*query);
        *query = NULL;
    }
    if (*origin && *host && *path)
        return ZF_OK;
    free(*origin);
    free(*host);
    free(*path);
    free(*query);
    *origin = *host = *path = *query = NULL;
    return zf_err_set(err, ZF_ENOMEM, "out of memory");
}
