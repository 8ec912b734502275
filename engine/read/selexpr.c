/*
 * selexpr.c - NumPy basic-indexing expressions (a[EXPR]) and the file names
 * that carry them (NAME[EXPR]@F): parsing, normalising, the result's shape.
 * Pure functions over the caller's buffers: thread-safe, nothing allocated.
 *
 * Semantics follow Python: an integer index must lie in [-n, n); a slice's
 * bounds are clamped as slice.indices(n) does, so out-of-range bounds are
 * not errors (a[0:10**30] is the whole axis); step 0 is an error.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "err.h"

/* Bounds past this are clamped like any other out-of-range bound; keeping
 * them small keeps start + step * count inside int64. */
#define ZF_SEL_BIG ((int64_t)1 << 62)

/* One item of the expression as written. */
typedef struct sel_item {
    enum { SEL_INT, SEL_SLICE, SEL_ELLIPSIS } kind;
    int has[3];     /* slices: start, stop, step given */
    int64_t v[3];   /* the integer, or start, stop, step */
    const char *at; /* where the item starts (for messages) */
    size_t len;
} sel_item;

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && isspace((unsigned char)*p))
        p++;
    return p;
}

/* An optionally signed decimal integer in [p, end), spaces around it
 * allowed; clamped to +-ZF_SEL_BIG.  1 if the whole span is one, else 0;
 * *empty is set when the span holds only spaces. */
static int parse_int(const char *p, const char *end, int64_t *v, int *empty)
{
    p = skip_space(p, end);
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    *empty = p == end;
    if (p == end)
        return 0;
    int neg = 0;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (p == end)
        return 0;
    int64_t x = 0;
    for (; p < end; p++) {
        if (!isdigit((unsigned char)*p))
            return 0;
        /* saturates: once past ZF_SEL_BIG it stays there */
        x = x > (ZF_SEL_BIG - 9) / 10 ? ZF_SEL_BIG : x * 10 + (*p - '0');
    }
    *v = neg ? -x : x;
    return 1;
}

/* Parses one comma-free item [p, end). */
static zf_code parse_item(const char *p, const char *end, sel_item *it,
                          zf_err *err)
{
    memset(it, 0, sizeof *it);
    const char *a = skip_space(p, end), *b = end;
    while (b > a && isspace((unsigned char)b[-1]))
        b--;
    it->at = a;
    it->len = (size_t)(b - a);
    if (b - a == 3 && !memcmp(a, "...", 3)) {
        it->kind = SEL_ELLIPSIS;
        return ZF_OK;
    }
    const char *colon = memchr(a, ':', (size_t)(b - a));
    int empty;
    if (!colon) {
        it->kind = SEL_INT;
        if (parse_int(a, b, &it->v[0], &empty))
            return ZF_OK;
        return zf_err_set(err, ZF_EINVAL, "'%.*s' is not an index",
                          (int)it->len, it->at);
    }
    it->kind = SEL_SLICE;
    /* start:stop or start:stop:step; part k is [from[k], to[k]) */
    const char *from[3] = {a, NULL, NULL}, *to[3] = {b, b, b};
    int nparts = 1;
    for (const char *q = a; q < b; q++) {
        if (*q != ':')
            continue;
        if (nparts == 3)
            return zf_err_set(err, ZF_EINVAL, "'%.*s' is not an index",
                              (int)it->len, it->at);
        to[nparts - 1] = q;
        from[nparts++] = q + 1;
    }
    for (int k = 0; k < nparts; k++) {
        it->has[k] = parse_int(from[k], to[k], &it->v[k], &empty);
        if (!it->has[k] && !empty)
            return zf_err_set(err, ZF_EINVAL, "'%.*s' is not an index",
                              (int)it->len, it->at);
    }
    if (it->has[2] && it->v[2] == 0)
        return zf_err_set(err, ZF_EINVAL, "'%.*s': slice step cannot be zero",
                          (int)it->len, it->at);
    return ZF_OK;
}

/* Python's slice.indices(n), then the count of elements selected. */
static void resolve_slice(const sel_item *it, uint64_t n, uint64_t *start,
                          int64_t *step, uint64_t *count)
{
    int64_t len = (int64_t)(n > (uint64_t)ZF_SEL_BIG ? ZF_SEL_BIG : n);
    int64_t s = it->has[2] ? it->v[2] : 1;
    /* bounds clamp to [0, n] going forwards, to [-1, n - 1] going
     * backwards (-1: before the first element) */
    int64_t lo = s > 0 ? 0 : -1, hi = s > 0 ? len : len - 1;
    int64_t b[2] = {s > 0 ? 0 : len - 1, s > 0 ? len : -1}; /* defaults */
    for (int k = 0; k < 2; k++) {
        if (!it->has[k])
            continue;
        int64_t x = it->v[k] < 0 ? it->v[k] + len : it->v[k];
        b[k] = x < lo ? lo : x > hi ? hi : x;
    }
    int64_t c = 0;
    if (s > 0 && b[1] > b[0])
        c = (b[1] - b[0] + s - 1) / s;
    else if (s < 0 && b[0] > b[1])
        c = (b[0] - b[1] + (-s) - 1) / (-s);
    *count = (uint64_t)c;
    *start = c ? (uint64_t)b[0] : 0;
    *step = c > 1 ? s : 1; /* one element or none: the step is moot */
}

zf_code zf_selection_parse(const char *expr, int ndim, const uint64_t *shape,
                           zf_selection *out, zf_err *err)
{
    zf_err local;
    if (!err)
        err = &local;
    if (ndim < 0 || ndim > ZF_MAX_DIMS || !out)
        return zf_err_set(err, ZF_EINVAL, "zf_selection_parse: bad arguments");
    memset(out, 0, sizeof *out);
    out->ndim = ndim;
    sel_item items[ZF_MAX_DIMS + 1];
    int n = 0, ellipsis = -1;
    const char *p = expr ? expr : "...", *end = p + strlen(p);
    if (skip_space(p, end) == end)
        return zf_err_set(err, ZF_EINVAL, "an empty index");
    while (p <= end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        if (!comma && n > 0 && skip_space(p, end) == end)
            break; /* a trailing comma, as in a[0,] */
        if (n == ZF_MAX_DIMS + 1)
            return zf_err_set(err, ZF_EINVAL, "too many indices for an array "
                              "of %d dimensions", ndim);
        zf_code c = parse_item(p, stop, &items[n], err);
        if (c != ZF_OK)
            return c;
        if (items[n].kind == SEL_ELLIPSIS) {
            if (ellipsis >= 0)
                return zf_err_set(err, ZF_EINVAL, "an index can only have a "
                                  "single ellipsis ('...')");
            ellipsis = n;
        }
        n++;
        if (!comma)
            break;
        p = comma + 1;
    }
    int nreal = n - (ellipsis >= 0);
    if (nreal > ndim)
        return zf_err_set(err, ZF_EINVAL, "too many indices for an array of %d "
                          "dimension%s: %d were given", ndim,
                          ndim == 1 ? "" : "s", nreal);
    /* Items before the ellipsis take the first dimensions, those after it
     * the last; the dimensions between (or after all items) stay whole. */
    int split = ellipsis >= 0 ? ellipsis : n;
    for (int d = 0; d < ndim; d++) {
        const sel_item *it = NULL;
        if (d < split)
            it = &items[d];
        else if (ellipsis >= 0 && d >= ndim - (n - 1 - ellipsis))
            it = &items[d - ndim + n];
        static const sel_item whole = {.kind = SEL_SLICE};
        if (!it)
            it = &whole;
        if (it->kind == SEL_INT) {
            int64_t i = it->v[0], len = (int64_t)shape[d];
            if (i < -len || i >= len)
                return zf_err_set(err, ZF_EINVAL, "index %lld is out of bounds "
                                  "for axis %d with size %llu", (long long)i, d,
                                  (unsigned long long)shape[d]);
            out->start[d] = (uint64_t)(i < 0 ? i + len : i);
            out->step[d] = 1;
            out->count[d] = 1;
            out->dropped[d] = 1;
        } else
            resolve_slice(it, shape[d], &out->start[d], &out->step[d],
                          &out->count[d]);
    }
    return ZF_OK;
}

int zf_selection_format(const zf_selection *s, char *buf, size_t size)
{
    size_t used = 0;
    int total = 0;
    char none[1]; /* measuring only: GCC 14 warns of snprintf(NULL, 0) */
    if (!buf) {
        buf = none;
        size = 0;
    }
#define ZF_SEL_PUT(...)                                                       \
    do {                                                                      \
        int k = snprintf(buf + used, used < size ? size - used : 0,           \
                         __VA_ARGS__);                                        \
        total += k;                                                           \
        used = used + (size_t)k < size ? used + (size_t)k : size;             \
    } while (0)
    if (size)
        buf[0] = '\0';
    if (s->ndim == 0)
        ZF_SEL_PUT("...");
    for (int d = 0; d < s->ndim; d++) {
        const char *sep = d ? "," : "";
        if (s->dropped[d]) {
            ZF_SEL_PUT("%s%llu", sep, (unsigned long long)s->start[d]);
            continue;
        }
        long long st = (long long)s->start[d], step = (long long)s->step[d];
        /* the tightest stop: one past the last element */
        long long stop = st + step * ((long long)s->count[d] - 1) +
                         (step > 0 ? 1 : -1);
        if (s->count[d] == 0)
            ZF_SEL_PUT("%s0:0", sep);
        else if (stop < 0) /* before the first element: no stop can say so */
            ZF_SEL_PUT("%s%lld::%lld", sep, st, step);
        else if (step == 1)
            ZF_SEL_PUT("%s%lld:%lld", sep, st, stop);
        else
            ZF_SEL_PUT("%s%lld:%lld:%lld", sep, st, stop, step);
    }
#undef ZF_SEL_PUT
    return total;
}

int zf_selection_shape(const zf_selection *s, uint64_t *shape)
{
    int n = 0;
    for (int d = 0; d < s->ndim; d++)
        if (!s->dropped[d])
            shape[n++] = s->count[d];
    return n;
}

int zf_selection_split_name(const char *name, int allow_empty,
                            size_t *name_len, const char **expr,
                            size_t *expr_len, int *fortran)
{
    size_t n = strlen(name);
    *fortran = n >= 2 && !strcmp(name + n - 2, "@F");
    if (*fortran)
        n -= 2;
    *expr = NULL;
    *expr_len = 0;
    if (n && name[n - 1] == ']') {
        /* the last '[': an expression holds no brackets, a name may */
        const char *open = NULL;
        for (size_t k = 0; k + 1 < n; k++)
            if (name[k] == '[')
                open = name + k;
        if (!open)
            return -1;
        *expr = open + 1;
        *expr_len = (size_t)(name + n - 1 - *expr);
        n = (size_t)(open - name);
    } else if (!*fortran)
        return -1;
    *name_len = n;
    return n == 0 && !allow_empty ? -1 : 0;
}
