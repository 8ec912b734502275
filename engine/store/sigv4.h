/*
 * sigv4.h - AWS Signature Version 4 for the requests of the HTTP/S3 store:
 * header-based signing ("Authorization: AWS4-HMAC-SHA256 ...") of requests
 * without a body (GET, HEAD), as S3 checks it.
 *
 * The canonical request is built the way S3 builds it on its side:
 *   - the URI path is taken as sent (percent-encoded), decoded and encoded
 *     again once with SigV4's rules (A-Z a-z 0-9 - . _ ~ stay, '/' separates
 *     segments, every other byte is %XX upper case); "%2F" stays "%2F"; no
 *     "." / ".." or "//" normalisation (S3 does none); "" means "/";
 *   - the query string is split at '&', each parameter at its first '=' (a
 *     parameter without one has the value ""), names and values decoded and
 *     encoded again with the same rules ('/' and '=' too; a '+' is a plus,
 *     not a space: send spaces as %20), then sorted by name, then value;
 *   - headers are "name:value" strings: names lower-cased, values trimmed
 *     and runs of blanks inside them made one space; repeated names are
 *     joined with ',' in the order given; all given headers are signed.
 * The payload signed is always the empty one (SHA-256 e3b0c442...b855), unless
 * the caller passes its own x-amz-content-sha256 header (e.g.
 * "x-amz-content-sha256:UNSIGNED-PAYLOAD"), whose value is then both signed
 * and used as the payload hash, and not added again.
 *
 * Contract: pure functions of their arguments, thread-safe.  Output strings
 * are malloc'd and owned by the caller.  On any error nothing is left in
 * `out` (*nout is 0) and err says why: ZF_EINVAL for a bad argument (a header
 * without ':', a name that is not an HTTP token, a control character (CR, LF,
 * NUL...) in a header value, a key field or the method, a caller header that
 * this function adds itself: x-amz-date, x-amz-security-token, authorization),
 * ZF_ENOMEM, ZF_EIO if libcrypto fails.
 */
#ifndef ZF_SIGV4_H
#define ZF_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "err.h"

typedef struct zf_sigv4_key {
    const char *access_key, *secret_key;
    const char *session_token; /* may be NULL (or "": none) */
    const char *region, *service; /* "us-east-1", "s3" */
} zf_sigv4_key;

/* Room the caller gives zf_sigv4_sign's `out` (it writes at most 4). */
#define ZF_SIGV4_MAX_OUT 8

/* Signs one request.  `headers` are the request's headers as "name:value"
 * strings (host, range, ...; names any case).  Adds x-amz-date, x-amz-content-
 * sha256 (the SHA-256 hex of the empty payload), x-amz-security-token when the
 * key has one, and authorization, written in that order as "Name: value"
 * lines (no CR LF) into out[0..*nout), each malloc'd (the caller frees).
 * `path` is the URI path as sent (already percent-encoded), `query` the raw
 * query string without '?' ("" or NULL if none).  `now` is the signing time
 * (UTC seconds). */
zf_code zf_sigv4_sign(const zf_sigv4_key *k, const char *method,
                      const char *path, const char *query,
                      const char *const *headers, size_t nheaders, time_t now,
                      char **out, size_t *nout, zf_err *err);

/* ---- extras (the tests, and the store's helpers) ---------------------- */

/* Do not add or sign x-amz-content-sha256: services other than S3 (the AWS
 * test suite's vectors) do not use it.  S3 requires it. */
#define ZF_SIGV4_NO_PAYLOAD_HEADER 1u

/* zf_sigv4_sign with flags (ZF_SIGV4_*), and, when `canonical` is not NULL,
 * the canonical request that was signed (malloc'd) for tests and messages.
 * zf_sigv4_sign(...) is zf_sigv4_sign_ex(k, 0, ..., NULL, err). */
zf_code zf_sigv4_sign_ex(const zf_sigv4_key *k, unsigned flags,
                         const char *method, const char *path,
                         const char *query, const char *const *headers,
                         size_t nheaders, time_t now, char **out, size_t *nout,
                         char **canonical, zf_err *err);

/* Percent-encodes s[0..len) with SigV4's rules (A-Z a-z 0-9 - . _ ~ kept;
 * '/' kept too when keep_slash, e.g. for an object key in a path).  Returns
 * a malloc'd string, or NULL when out of memory. */
char *zf_sigv4_uri_encode(const char *s, size_t len, int keep_slash);

#endif
