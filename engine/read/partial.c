/* partial.c - the byte runs of a box of a raw chunk; see partial.h. */
#include "partial.h"

#include <string.h>

#include "box.h"

void zf_spans_init(zf_spans *s, int ndim, const uint64_t *shape,
                   size_t itemsize, const uint64_t *lo, const uint64_t *count,
                   const uint64_t *step)
{
    int64_t st[ZF_MAX_DIMS];
    zf_c_strides(ndim, shape, itemsize, st);
    memset(s, 0, sizeof *s);
    s->ndim = ndim;
    s->outer = ndim;
    s->span = itemsize;
    for (int d = 0; d < ndim; d++) {
        s->count[d] = count[d];
        s->pitch[d] = (step ? step[d] : 1) * (uint64_t)st[d];
        s->first += lo[d] * (uint64_t)st[d];
    }
    /* Inner dimensions join the span while the holes between their runs
     * are small; a dimension of one element always joins.  (A span lies in
     * one step of the dimension outside it, so pitch >= span.) */
    for (int d = ndim - 1; d >= 0; d--) {
        if (count[d] > 1 && s->pitch[d] - s->span > ZF_PARTIAL_GAP)
            break;
        s->span += (count[d] - 1) * s->pitch[d];
        s->outer = d;
    }
}

uint64_t zf_spans_at(const zf_spans *s, const uint64_t *k)
{
    uint64_t at = s->first;
    for (int d = 0; d < s->outer; d++)
        at += k[d] * s->pitch[d];
    return at;
}

int zf_spans_next(const zf_spans *s, uint64_t *k)
{
    for (int d = s->outer - 1; d >= 0; d--) {
        if (++k[d] < s->count[d])
            return 1;
        k[d] = 0;
    }
    return 0;
}

int zf_spans_range(const zf_spans *s, uint64_t *k, uint64_t *off,
                   uint64_t *len, uint64_t *nspans)
{
    uint64_t start = zf_spans_at(s, k), end = start + s->span, n = 1;
    int more;
    /* spans come in increasing order, none overlapping the one before */
    while ((more = zf_spans_next(s, k))) {
        uint64_t at = zf_spans_at(s, k);
        if (at - end > ZF_PARTIAL_GAP)
            break;
        end = at + s->span;
        n++;
    }
    *off = start;
    *len = end - start;
    *nspans = n;
    return more;
}

void zf_spans_measure(const zf_spans *s, uint64_t max, uint64_t *nranges,
                      uint64_t *bytes, uint64_t *off, uint64_t *len)
{
    uint64_t k[ZF_MAX_DIMS] = {0}, o, l, n;
    int more = 1;
    *nranges = *bytes = *off = *len = 0;
    /* (the innermost dimension walked has two elements or more and steps
     * over more than the gap, so a range holds at most two spans: this
     * stops within 2 * max + 2 spans) */
    while (more && *nranges <= max) {
        more = zf_spans_range(s, k, &o, &l, &n);
        if (*nranges == 0) {
            *off = o;
            *len = l;
        }
        ++*nranges;
        *bytes += l;
    }
}
