/*
 * s3_list.h - S3 reply bodies: ListObjectsV2 listings (GET
 * /bucket?list-type=2...) and <Error> bodies, parsed with libxml2.
 *
 * No network access, no entity substitution, a DOCTYPE (and so any entity
 * it could define) refused, libxml2's messages kept off stderr.  The whole
 * body is checked before fn is first called: a malformed body calls fn
 * never.  Bodies are bounded (64 MiB), nesting (64 levels) and each value
 * kept (64 KiB): hostile bodies are errors, not crashes or unbounded memory.
 * Namespace prefixes on names are ignored.
 *
 * Thread-safe (no state outside the call).
 */
#ifndef ZF_S3_LIST_H
#define ZF_S3_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Parses one ListObjectsV2 response body xml[0..len) (not NUL-terminated).
 * Calls fn(arg, key, size, 0) for each <Contents> (its <Key> and <Size>) and
 * fn(arg, prefix, 0, 1) for each <CommonPrefixes><Prefix>, in document order,
 * with XML entities decoded (and, when the body says
 * <EncodingType>url</EncodingType>, the URL encoding of keys and prefixes
 * too).  The strings passed to fn live only during the call.
 * *truncated (if not NULL) is 1 when <IsTruncated>true</IsTruncated>;
 * *next_token (if not NULL) is a malloc'd copy of <NextContinuationToken>, or
 * NULL when there is none.  A truncated listing without a continuation token
 * is an error (the caller could not go on).
 * Errors: ZF_EIO with a message for a malformed body (truncated XML, a
 * mismatched tag, a DOCTYPE, markup inside a value, a <Contents> without <Key> or <Size>, a
 * bad <Size>, an empty key, a NUL in a value, a root other than
 * <ListBucketResult>) and for an S3 <Error> body ("S3 error CODE: MESSAGE");
 * ZF_ENOMEM.  On error *truncated is 0 and *next_token NULL. */
zf_code zf_s3_list_parse(const char *xml, size_t len,
                         void (*fn)(void *arg, const char *key, uint64_t size,
                                    int is_prefix),
                         void *arg, int *truncated, char **next_token,
                         zf_err *err);

/* The <Code> and <Message> of an S3 <Error> body[0..len) into code and msg
 * (NUL-terminated, cut to size); both "" when the body is not one.  The body
 * may be cut short (the transport keeps the start of error replies, and
 * SignatureDoesNotMatch bodies are long): libxml2's recovery mode reads the
 * elements that are complete. */
void zf_s3_error_code(const char *body, size_t len, char *code, size_t csize,
                      char *msg, size_t msize);

#endif
