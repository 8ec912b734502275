/*
 * s3.h - the S3 part of the remote store: addressing (s3://bucket/prefix to
 * an endpoint, virtual-host or path style), credentials (options, profile,
 * environment), the signing hook of the transport (AWS SigV4, sigv4.h),
 * ListObjectsV2 listings and the bucket probe at open.
 *
 * Ownership: zf_s3_setup fills a zf_s3 freed with zf_s3_free (also after a
 * failed setup).  Thread safety: after setup a zf_s3 is read only, and every
 * function may be called from any number of threads.
 */
#ifndef ZF_S3_H
#define ZF_S3_H

#include "http_xfer.h"
#include "store.h"

typedef struct zf_s3 {
    char *prefix;    /* the key prefix in the bucket, "" or "a/b/" */
    char *list_path; /* the path of listing requests */
    char *host;      /* the Host header's value (signed) */
    char *region;
    char *access_key, *secret_key, *token; /* NULL: anonymous */
    int signing;
} zf_s3;

/* Works out where s3://bucket/prefix lives (options, AWS_* environment,
 * the profile's endpoint_url, else AWS in the region), the region (options,
 * AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1) and the
 * credentials (options' profile, AWS_ACCESS_KEY_ID & co, AWS_PROFILE).  The
 * profile (-o s3_profile, AWS_PROFILE, else "default") is read from the
 * shared credentials file and the config file (~/.aws/credentials and
 * ~/.aws/config, or AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE).  *origin ("https://host")
 * and *base_path (the encoded path before a key, ending in '/') are
 * malloc'd for the caller.  ZF_EINVAL with a message naming the URL or the
 * option, ZF_ENOMEM. */
zf_code zf_s3_setup(zf_s3 *s3, const char *url, const zf_remote_options *o,
                    char **origin, char **base_path, zf_err *err);
void zf_s3_free(zf_s3 *s3);

/* The transport's sign hook (zf_http_sign_fn); arg is the zf_s3. */
zf_code zf_s3_sign(void *arg, const char *method, const char *path,
                   const char *query, const char *range,
                   struct curl_slist **hdrs, zf_err *err);

/* Calls fn for each immediate child of prefix (store.h's list), page by
 * page.  `root` names the store in messages. */
zf_code zf_s3_list(zf_s3 *s3, zf_http_conn *c, const char *origin,
                   const char *root, const char *prefix,
                   void (*fn)(void *, const char *, int), void *arg,
                   zf_err *err);

/* At open: one listing request, so that a missing bucket or refused
 * credentials fail with a clear message; when listing is denied, the root's
 * metadata is asked for, and denied there too is an error as well. */
zf_code zf_s3_probe(zf_s3 *s3, zf_http_conn *c, const char *origin,
                    const char *base_path, const char *url, zf_err *err);

#endif
