/* err.c - see err.h. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

zf_code zf_err_set(zf_err *err, zf_code code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

zf_code zf_err_prefix(zf_err *err, const char *fmt, ...)
{
    if (!err) /* never reached from the public API, which always passes one */
        return ZF_EINVAL;
    char head[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    /* Shift the old message right and put "head: " in front of it. */
    size_t h = strlen(head) + 2, cap = sizeof err->msg;
    if (h >= cap)
        h = cap - 1;
    size_t old = strnlen(err->msg, cap - 1);
    if (old > cap - 1 - h)
        old = cap - 1 - h;
    memmove(err->msg + h, err->msg, old);
    err->msg[h + old] = 0;
    memcpy(err->msg, head, h - 2);
    memcpy(err->msg + h - 2, ": ", 2);
    return err->code;
}

const char *zf_code_name(zf_code code)
{
    switch (code) {
    case ZF_OK: return "ok";
    case ZF_ENOMEM: return "out of memory";
    case ZF_EIO: return "I/O error";
    case ZF_ENOTFOUND: return "not found";
    case ZF_EMETA: return "bad metadata";
    case ZF_EUNSUPPORTED: return "unsupported";
    case ZF_ECORRUPT: return "corrupt data";
    case ZF_EINVAL: return "invalid argument";
    case ZF_ELIMIT: return "limit exceeded";
    case ZF_ECHANGED: return "changed while being read";
    }
    return "unknown error";
}
