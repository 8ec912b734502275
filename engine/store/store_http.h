/*
 * store_http.h - a Zarr store read over HTTP(S) or from an S3-compatible
 * bucket, with byte-range GETs (store_http.c, over http_xfer.h, s3.h and
 * stat_table.h).
 *
 *   http://host[:port]/path/data.zarr    https://...    s3://bucket/prefix
 *
 * Keys are percent-encoded and appended to the URL (to the bucket and prefix
 * for s3://).  Every request goes through libcurl: a pool of at most
 * `connections` easy handles, each keeping its HTTP/1.1 connection alive, so
 * a store never has more requests in flight than that (the engine's I/O
 * threads issue one range each; a batch of ranges runs in turn).  Requests
 * time out, are retried with backoff (Retry-After honoured), and are then ZF_EIO with a
 * message naming the URL.  404, 410 and a 403 that is not a credentials
 * problem are ZF_ENOTFOUND (a bucket hides missing keys behind 403).
 * S3 requests are signed (AWS Signature V4, sigv4.h) when credentials come
 * from the options' profile or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN, else anonymous.
 *
 * The sizes, times and ETags of keys (from HEAD, and from the Content-Range
 * of range replies) are remembered, as are missing keys, until forgotten
 * (refresh).  A read planned on a key's version (zf_range_req.version) sends
 * If-Match with its ETag (If-Unmodified-Since with its Last-Modified where
 * the server gave no strong ETag) and compares the reply's ETag, or its
 * time and size, with the planned version's exactly (If-Unmodified-Since
 * also lets an older version through): a 412 or another version is
 * ZF_ECHANGED, and the key is forgotten so that the read planned again sees
 * the new version.  A server with only Last-Modified tells versions apart
 * to the second: a new version of the same size with the same
 * Last-Modified is not seen.  One with neither is checked by size alone.
 *
 * The store starts no thread, so a process may open it and fork (zarrfs
 * daemonizes after zf_open); connections made before the fork are kept.
 * Thread safety: as store.h.  Ownership: zf_store_close.
 */
#ifndef ZF_STORE_HTTP_H
#define ZF_STORE_HTTP_H

#include "store.h"

/* 1 if `path` is a URL this store opens (http://, https://, s3://). */
int zf_store_is_remote(const char *path);

/* Opens the store at `url`; `opts` NULL = the defaults.  For s3:// the
 * bucket is probed with one listing request, so that wrong credentials fail
 * here with a clear message; for every URL the root's zarr.json is asked for,
 * so that an unreachable server fails here rather than at the first read. */
zf_code zf_store_open_remote(const char *url, const zf_remote_options *opts,
                             zf_store **out, zf_err *err);

#endif
