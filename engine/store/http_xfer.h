/*
 * http_xfer.h - the transport of the remote store: one HTTP(S) GET or HEAD
 * ("xfer") run to its end on a pooled libcurl handle, with retries, and its
 * reply classified.
 *
 * A zf_http_conn owns at most `connections` easy handles (each keeps its
 * HTTP/1.1 connection alive; a caller waits for a free one) and a share
 * handle (DNS, TLS sessions).  It starts no thread.  A request:
 *   - 206: the Content-Range must start where asked, end where asked or at
 *     the object's end, and the body must be exactly that long; the bytes go
 *     straight into the caller's buffer, never past it;
 *   - 200 to a range request (a server that ignores Range): the wanted slice
 *     is cut out of the stream, which is abandoned once the slice is in; a
 *     slice further in than ZF_HTTP_MAX_SKIP bytes is refused;
 *   - 416: the range starts past the end (got = 0);
 *   - 412: a precondition the caller set (if_match, if_unmodified) failed:
 *     the object is not the version asked for; ZF_ECHANGED, not retried;
 *   - 404, 410, a 403 without a credentials error code: ZF_ENOTFOUND;
 *   - 408, 429, 5xx, transport errors, a short or malformed reply: retried
 *     after a backoff (or the Retry-After), up to `retries` times, then
 *     ZF_EIO naming the URL and the last reason;
 *   - anything else: ZF_EIO at once.
 * Nothing the server sends is given back unless it passed those checks.
 *
 * Thread safety: a conn may run xfers from any number of threads; one xfer
 * belongs to one thread.  Ownership: zf_http_xfer_free frees what init and
 * run allocated; zf_http_conn_free the handles.
 */
#ifndef ZF_HTTP_XFER_H
#define ZF_HTTP_XFER_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "err.h"

#define ZF_HTTP_MAX_SKIP ((uint64_t)64 << 20) /* 200 to a range: bytes skipped */
#define ZF_HTTP_MAX_LIST ((size_t)16 << 20)   /* one collected reply */
#define ZF_HTTP_ERRBODY 8192                  /* kept of an error reply */
#define ZF_HTTP_ETAG_MAX 256 /* a longer ETag is hashed, never sent back */

/* Adds the headers that sign a request (Host included) to *hdrs. */
typedef zf_code (*zf_http_sign_fn)(void *arg, const char *method,
                                   const char *path, const char *query,
                                   const char *range, struct curl_slist **hdrs,
                                   zf_err *err);

typedef struct zf_http_conn {
    /* settings, filled before zf_http_conn_init */
    int connections, retries;
    long timeout_ms;
    int insecure;         /* no TLS verification */
    const char *cafile;   /* NULL: the system's */
    int follow_redirects; /* never for signed requests */
    zf_http_sign_fn sign; /* NULL: anonymous */
    void *sign_arg;
    /* the pool */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    CURL **idle;
    int nidle, nhandles;
    CURLSH *share;
    pthread_mutex_t share_lock[CURL_LOCK_DATA_LAST];
} zf_http_conn;

typedef struct zf_http_xfer {
    /* the request (zf_http_xfer_init, then the caller's fields) */
    const char *key; /* for the caller */
    char *url, *path, *q;
    int head;
    int64_t off; /* range; < 0: suffix; len 0 with off >= 0: no range */
    size_t len;
    uint8_t *buf;
    int collect; /* keep the whole body in `body` (listings) */
    /* preconditions (not signed: SigV4 lets headers go unsigned): the
     * object must still have this ETag (If-Match), or must not have been
     * modified after this time (If-Unmodified-Since); NULL / 0: none */
    const char *if_match;
    time_t if_unmodified;
    /* the outcome */
    zf_code code;
    zf_err err;
    long status;  /* the last reply's HTTP status, 0 if none */
    size_t got;   /* bytes put into buf */
    char *body;   /* collect: the body (NUL-terminated), body_len bytes */
    size_t body_len;
    char errbody[ZF_HTTP_ERRBODY]; /* the start of a non-2xx body */
    /* what the reply said of the key: 1 it exists (size, mtime, etag), 0 it
     * is missing, -1 nothing */
    int learned;
    uint64_t size;
    time_t mtime;
    uint64_t etag; /* a hash of the ETag header; 0 when there was none */
    char etag_text[ZF_HTTP_ETAG_MAX]; /* the ETag as sent ("" none or longer) */
    /* private */
    CURL *h;
    struct curl_slist *hdrs;
    size_t body_cap, errlen;
    int have_cr, cr_total_known, slice_ready, done_early, retry, attempt;
    uint64_t cr_a, cr_b, cr_total, want_a, want_b, pos;
    int64_t clen;
    double delay;
    char proto_err[256];
    char curl_err[CURL_ERROR_SIZE];
} zf_http_xfer;

/* Sets up the pool of a conn whose settings are filled; ZF_ENOMEM or ZF_EIO
 * (libcurl cannot start). */
zf_code zf_http_conn_init(zf_http_conn *c, zf_err *err);
void zf_http_conn_free(zf_http_conn *c);

/* A GET of origin + path (+ "?" q when q is not NULL), all copied; the range
 * fields are then the caller's to set. */
zf_code zf_http_xfer_init(zf_http_xfer *x, const char *key, const char *origin,
                          const char *path, const char *q, zf_err *err);
/* Runs the request to its end, with retries, blocking; the outcome is in
 * x->code / x->err (and the fields above). */
void zf_http_xfer_run(zf_http_conn *c, zf_http_xfer *x);
void zf_http_xfer_free(zf_http_xfer *x);

/* Splits an http:// or https:// URL with libcurl's URL parser: *origin
 * "scheme://[user[:password]@]host[:port]", *host the Host header's value
 * (no default port), *path as written ("/" when none; no dot-segment
 * removal), *query NULL when none or empty.  All malloc'd; on error none
 * is set.  ZF_EINVAL naming the URL, ZF_ENOMEM. */
zf_code zf_http_url_split(const char *url, char **origin, char **host,
                          char **path, char **query, zf_err *err);

/* Seconds to wait before retry `attempt` (0 = the first): 0.1 doubling to
 * at most 5, times a random 75..125 % drawn from the calling thread's own
 * generator (seeded from its id and the clock), so that threads and
 * processes retrying at once spread out, and the process's rand() is left
 * alone. */
double zf_http_backoff(int attempt);

#endif
