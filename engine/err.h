/*
 * err.h - building zf_err values.  Every engine function that can fail returns
 * a zf_code and describes the failure in a caller-provided zf_err (which may
 * be NULL).  Messages name the array or key first, then the reason.
 * Thread-safe: touches only the zf_err it is given.
 */
#ifndef ZF_ERR_H
#define ZF_ERR_H

#include "zarrfs/zarrfs.h"

/* Sets err (if not NULL) to code and the formatted message; returns code. */
zf_code zf_err_set(zf_err *err, zf_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes err's message with "what: " (e.g. the key a codec was decoding);
 * returns err's code.  err must not be NULL: the public entry points replace
 * a NULL zf_err with their own, so engine code always has one. */
zf_code zf_err_prefix(zf_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
