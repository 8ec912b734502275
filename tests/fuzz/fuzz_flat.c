/*
 * fuzz_flat.c - fuzz target: the flat-read planner zf_flat_boxes against a
 * naive reference.  The input picks a shape (up to ZF_MAX_DIMS dimensions,
 * with a total below 2^62 elements) and an element range [e0, e1) of at
 * most 2^16 elements (mostly at most 128); the boxes must come in C order,
 * each within the shape, at most 2 * ndim - 1 of them, and enumerating their
 * elements one by one in C order must give exactly e0, e0 + 1, ..., e1 - 1.
 */
#include "read/box.h"
#include "fuzz_util.h"

typedef struct walk {
    int ndim;
    const uint64_t *shape;
    uint64_t next, e1;
    int boxes;
} walk;

static int on_box(void *arg, const uint64_t *lo, const uint64_t *count)
{
    walk *w = arg;
    w->boxes++;
    if (w->ndim == 0) {
        FUZZ_CHECK(w->next == 0 && w->e1 == 1, "0-d range %llu..%llu",
                   (unsigned long long)w->next, (unsigned long long)w->e1);
        w->next = 1;
        return 0;
    }
    uint64_t n = 1;
    for (int d = 0; d < w->ndim; d++) {
        FUZZ_CHECK(count[d] > 0 && lo[d] < w->shape[d] &&
                       count[d] <= w->shape[d] - lo[d],
                   "box outside the shape in dim %d", d);
        n *= count[d];
    }
    FUZZ_CHECK(n <= w->e1 - w->next, "box of %llu elements past the end",
               (unsigned long long)n);
    /* Every element of the box, in C order, by its linear index. */
    uint64_t at[ZF_MAX_DIMS] = {0};
    for (uint64_t i = 0; i < n; i++) {
        uint64_t lin = 0;
        for (int d = 0; d < w->ndim; d++)
            lin = lin * w->shape[d] + lo[d] + at[d];
        FUZZ_CHECK(lin == w->next, "element %llu where %llu was due",
                   (unsigned long long)lin, (unsigned long long)w->next);
        w->next++;
        for (int d = w->ndim - 1; d >= 0; d--) {
            if (++at[d] < count[d])
                break;
            at[d] = 0;
        }
    }
    return 0;
}

static uint64_t take(const uint8_t **p, const uint8_t *end, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes && *p < end; i++)
        v = v << 8 | *(*p)++;
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    int ndim = (int)(take(&p, end, 1) % (ZF_MAX_DIMS + 1));
    uint64_t shape[ZF_MAX_DIMS], total = 1;
    for (int d = 0; d < ndim; d++) {
        /* small dims mostly; a large one now and then */
        uint64_t v = take(&p, end, 1);
        if (v & 0x80)
            v = ((v & 0x7f) << 24 | take(&p, end, 3)) + 1;
        else
            v = v % 9 + 1;
        if (total > ((uint64_t)1 << 62) / v)
            v = 1;
        shape[d] = v;
        total *= v;
    }
    uint64_t e0 = take(&p, end, 8) % total;
    uint64_t span = take(&p, end, 1); /* mostly short ranges: faster runs */
    span = span & 0x80 ? ((span & 0x7f) << 9 | take(&p, end, 1) << 1) + 1
                       : span + 1;
    uint64_t e1 = span > total - e0 ? total : e0 + span;
    walk w = {ndim, shape, e0, e1, 0};
    zf_flat_boxes(ndim, shape, e0, e1, on_box, &w);
    FUZZ_CHECK(w.next == e1, "the boxes end at %llu, not %llu",
               (unsigned long long)w.next, (unsigned long long)e1);
    FUZZ_CHECK(w.boxes <= (ndim ? 2 * ndim - 1 : 1), "%d boxes for %d dims",
               w.boxes, ndim);
    return 0;
}
