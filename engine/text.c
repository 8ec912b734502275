/* text.c - see text.h. */
#include "text.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Room for n more bytes and the NUL: 0, or -1 with the text failed. */
static int room(zf_text *t, size_t n)
{
    if (t->failed)
        return -1;
    if (n < t->cap - t->len && t->s)
        return 0;
    if (n > SIZE_MAX / 4 - t->len) {
        t->failed = 1;
        return -1;
    }
    size_t cap = t->cap ? t->cap : 256;
    while (cap < t->len + n + 1)
        cap *= 2;
    char *s = realloc(t->s, cap);
    if (!s) {
        t->failed = 1;
        return -1;
    }
    t->s = s;
    t->cap = cap;
    return 0;
}

void zf_text_add(zf_text *t, const char *p, size_t n)
{
    if (room(t, n) != 0)
        return;
    memcpy(t->s + t->len, p, n);
    t->len += n;
    t->s[t->len] = 0;
}

void zf_text_addf(zf_text *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    size_t have = t->s ? t->cap - t->len : 0;
    int n = vsnprintf(t->s ? t->s + t->len : NULL, have, fmt, ap);
    va_end(ap);
    if (n < 0)
        t->failed = 1;
    else if ((size_t)n >= have && room(t, (size_t)n) == 0)
        vsnprintf(t->s + t->len, t->cap - t->len, fmt, again);
    va_end(again);
    if (!t->failed)
        t->len += (size_t)n;
}
