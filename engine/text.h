/*
 * text.h - a growing NUL-terminated text for builders (canonical requests,
 * view headers).  A failed allocation is sticky: later appends do nothing
 * and the builder checks `failed` once, at the end.  The owner frees `s`.
 * One text, one thread at a time.
 */
#ifndef ZF_TEXT_H
#define ZF_TEXT_H

#include <stddef.h>
#include <string.h>

typedef struct zf_text {
    char *s; /* NUL-terminated once anything is appended */
    size_t len, cap;
    int failed; /* out of memory */
} zf_text;

/* Appends n bytes of p. */
void zf_text_add(zf_text *t, const char *p, size_t n);
/* Appends printf-formatted text. */
void zf_text_addf(zf_text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline void zf_text_adds(zf_text *t, const char *z)
{
    zf_text_add(t, z, strlen(z));
}

static inline void zf_text_addc(zf_text *t, char c)
{
    zf_text_add(t, &c, 1);
}

#endif
