/*
 * fuzz_selexpr.c - fuzz target: the selection parser (zf_selection_parse,
 * zf_selection_format, zf_selection_split_name).  The first byte picks a
 * shape of 0 to 4 dimensions (sizes 0 to 12); the rest is an expression.
 * Whatever is accepted must be in bounds (every selected element inside
 * the shape, a dropped axis of count 1), and its normalised form must
 * parse again to the same selection; a refusal must say why.
 */
#include "fuzz_util.h"
#include "zarrfs/zarrfs.h"

static void check_in_bounds(const zf_selection *s, const uint64_t *shape)
{
    for (int d = 0; d < s->ndim; d++) {
        if (s->count[d] == 0)
            continue;
        int64_t st = s->step[d];
        FUZZ_CHECK(st != 0, "step 0 on axis %d", d);
        uint64_t last = s->start[d] + (uint64_t)st * (s->count[d] - 1);
        FUZZ_CHECK(s->start[d] < shape[d] && last < shape[d],
                   "axis %d: %llu..%llu outside %llu", d,
                   (unsigned long long)s->start[d], (unsigned long long)last,
                   (unsigned long long)shape[d]);
        FUZZ_CHECK(!s->dropped[d] || s->count[d] == 1, "dropped axis %d", d);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    int ndim = data[0] % 5;
    uint64_t shape[4];
    for (int d = 0; d < ndim; d++)
        shape[d] = (uint64_t)((data[0] >> 3) + 3 * d) % 13;
    char *expr = fuzz_strndup(data + 1, size - 1);
    if (!expr)
        return 0;
    zf_selection s, s2;
    zf_err err = {0};
    if (zf_selection_parse(expr, ndim, shape, &s, &err) == ZF_OK) {
        check_in_bounds(&s, shape);
        char buf[1024];
        int n = zf_selection_format(&s, buf, sizeof buf);
        FUZZ_CHECK(n > 0 && (size_t)n < sizeof buf, "format gave %d", n);
        FUZZ_CHECK(zf_selection_parse(buf, ndim, shape, &s2, &err) == ZF_OK,
                   "'%s' (from '%s') refused: %s", buf, expr, err.msg);
        for (int d = 0; d < ndim; d++)
            FUZZ_CHECK(s2.count[d] == s.count[d] &&
                           s2.dropped[d] == s.dropped[d] &&
                           (!s.count[d] || s2.start[d] == s.start[d]) &&
                           (s.count[d] < 2 || s2.step[d] == s.step[d]),
                       "'%s' and '%s' differ on axis %d", expr, buf, d);
    } else
        FUZZ_CHECK(err.code == ZF_EINVAL && err.msg[0], "refusal without "
                   "a reason: '%s'", expr);
    size_t nl, el;
    const char *ex;
    int f;
    if (zf_selection_split_name(expr, 1, &nl, &ex, &el, &f) == 0)
        FUZZ_CHECK(nl + (ex ? el + 2 : 0) + (f ? 2 : 0) == strlen(expr),
                   "split of '%s' does not add up", expr);
    free(expr);
    return 0;
}
