/*
 * test_box.c - engine/read/box.h against naive references written here.
 *
 *  - zf_flat_boxes: random element ranges of random 1-d..5-d shapes (and every
 *    range of a few small shapes) are split into boxes; enumerating each box
 *    element by element in C order must give exactly e0, e0+1, ..., e1-1 (so
 *    the boxes are in range, disjoint, in order and cover [e0, e1)), with at
 *    most 2 * ndim - 1 boxes.  Shapes too large to enumerate are checked by
 *    arithmetic: each box must be a C-order run starting where the last ended.
 *  - zf_box_copy / zf_box_fill: random boxes between views with random
 *    padded, permuted (transposed) and negative strides, every item size 1, 2,
 *    4, 8, 16, compared byte for byte (including the bytes around the box,
 *    which must stay untouched) with a per-element loop.
 */
#include "testutil.h"

#include "read/box.h"

/* ---- zf_flat_boxes -------------------------------------------------------- */

typedef struct fb_ctx {
    int ndim;
    const uint64_t *shape;
    uint64_t next;  /* the flat index the next element must have */
    uint64_t e1;
    int nboxes;
    int stop_after; /* return non-zero after this many boxes (0 = never) */
    int enumerate;  /* 1: walk every element; 0: arithmetic check only */
} fb_ctx;

static uint64_t flat_of(int ndim, const uint64_t *shape, const uint64_t *x)
{
    uint64_t f = 0;
    for (int d = 0; d < ndim; d++)
        f = f * shape[d] + x[d];
    return f;
}

static int fb_check(void *arg, const uint64_t *lo, const uint64_t *count)
{
    fb_ctx *c = arg;
    int nd = c->ndim;
    c->nboxes++;
    uint64_t n = 1;
    for (int d = 0; d < nd; d++) {
        ck_assert_uint_ge(count[d], 1);
        ck_assert_uint_le(lo[d] + count[d], c->shape[d]);
        n *= count[d];
    }
    if (c->enumerate) {
        uint64_t x[ZF_MAX_DIMS] = {0};
        for (;;) {
            uint64_t at[ZF_MAX_DIMS];
            for (int d = 0; d < nd; d++)
                at[d] = lo[d] + x[d];
            ck_assert_uint_lt(c->next, c->e1);
            ck_assert_uint_eq(flat_of(nd, c->shape, at), c->next);
            c->next++;
            int d = nd - 1;
            for (; d >= 0 && ++x[d] == count[d]; d--)
                x[d] = 0;
            if (d < 0)
                break;
        }
    } else {
        /* A box is one C-order run iff it is (1, ..., 1, k, full, ..., full). */
        int k = 0;
        while (k < nd - 1 && count[k] == 1)
            k++;
        for (int d = k + 1; d < nd; d++) {
            ck_assert_uint_eq(lo[d], 0);
            ck_assert_uint_eq(count[d], c->shape[d]);
        }
        ck_assert_uint_eq(flat_of(nd, c->shape, lo), c->next);
        c->next += n;
        ck_assert_uint_le(c->next, c->e1);
    }
    return c->stop_after && c->nboxes == c->stop_after ? 42 : 0;
}

static void check_range(int nd, const uint64_t *shape, uint64_t e0, uint64_t e1,
                        int enumerate)
{
    fb_ctx c = {nd, shape, e0, e1, 0, 0, enumerate};
    int r = zf_flat_boxes(nd, shape, e0, e1, fb_check, &c);
    ck_assert_int_eq(r, 0);
    ck_assert_msg(c.next == e1, "ndim %d range [%llu, %llu): covered up to %llu",
                  nd, (unsigned long long)e0, (unsigned long long)e1,
                  (unsigned long long)c.next);
    ck_assert_int_le(c.nboxes, 2 * nd - 1);
    if (e0 == e1)
        ck_assert_int_eq(c.nboxes, 0);
}

START_TEST(test_flat_boxes_random)
{
    tu_rng r = {12345 + (uint64_t)_i};
    for (int iter = 0; iter < 3000; iter++) {
        int nd = (int)tu_range(&r, 1, 5);
        uint64_t shape[ZF_MAX_DIMS], n = 1;
        for (int d = 0; d < nd; d++) {
            shape[d] = tu_range(&r, 1, 7);
            n *= shape[d];
        }
        uint64_t e0 = tu_range(&r, 0, n), e1 = tu_range(&r, e0, n);
        check_range(nd, shape, e0, e1, 1);
    }
}
END_TEST

START_TEST(test_flat_boxes_exhaustive)
{
    static const uint64_t shapes[][5] = {
        {5}, {3, 4}, {2, 3, 4}, {1, 4, 1}, {3, 1, 2, 2}, {2, 2, 3, 1, 2}};
    static const int nds[] = {1, 2, 3, 3, 4, 5};
    for (size_t s = 0; s < sizeof nds / sizeof *nds; s++) {
        uint64_t n = 1;
        for (int d = 0; d < nds[s]; d++)
            n *= shapes[s][d];
        for (uint64_t e0 = 0; e0 <= n; e0++)
            for (uint64_t e1 = e0; e1 <= n; e1++)
                check_range(nds[s], shapes[s], e0, e1, 1);
    }
}
END_TEST

/* Shapes far too large to enumerate: checked by arithmetic. */
START_TEST(test_flat_boxes_large)
{
    tu_rng r = {777};
    for (int iter = 0; iter < 2000; iter++) {
        int nd = (int)tu_range(&r, 1, 5);
        uint64_t shape[ZF_MAX_DIMS], n = 1;
        for (int d = 0; d < nd; d++) {
            shape[d] = tu_range(&r, 1, 3000);
            n *= shape[d];
        }
        uint64_t e0 = tu_range(&r, 0, n), e1 = tu_range(&r, e0, n);
        check_range(nd, shape, e0, e1, 0);
    }
    /* the whole of a huge array is one box */
    uint64_t big[3] = {1u << 20, 1u << 20, 1u << 20};
    fb_ctx c = {3, big, 0, (uint64_t)1 << 60, 0, 0, 0};
    ck_assert_int_eq(zf_flat_boxes(3, big, 0, (uint64_t)1 << 60, fb_check, &c), 0);
    ck_assert_int_eq(c.nboxes, 1);
    ck_assert_uint_eq(c.next, (uint64_t)1 << 60);
}
END_TEST

/* fn's first non-zero result stops the walk and is returned. */
START_TEST(test_flat_boxes_stop)
{
    uint64_t shape[3] = {4, 5, 6};
    fb_ctx c = {3, shape, 7, 4 * 5 * 6 - 3, 0, 2, 1};
    ck_assert_int_eq(zf_flat_boxes(3, shape, 7, 4 * 5 * 6 - 3, fb_check, &c), 42);
    ck_assert_int_eq(c.nboxes, 2);
}
END_TEST

/* ---- zf_box_copy / zf_box_fill ------------------------------------------ */

static const size_t itemsizes[] = {1, 2, 4, 8, 16};

/* A random layout for a box of `count`: each dimension gets a padded extent
 * and the dimensions are nested in a random order (a transpose); some
 * dimensions run backwards (negative strides).  Sets the strides and returns
 * the buffer size; *origin receives the byte offset of element (0, ..., 0). */
static size_t random_layout(tu_rng *r, int nd, const uint64_t *count,
                            size_t isz, int allow_negative, int64_t *stride,
                            size_t *origin)
{
    int perm[ZF_MAX_DIMS];
    for (int d = 0; d < nd; d++)
        perm[d] = d;
    for (int d = nd - 1; d > 0; d--) {
        int k = (int)tu_range(r, 0, (uint64_t)d), t = perm[d];
        perm[d] = perm[k];
        perm[k] = t;
    }
    /* 1 in 3 layouts stay plain C order, so the fast paths get exercised */
    int plain = tu_range(r, 0, 2) == 0;
    int64_t s = (int64_t)isz;
    *origin = 0;
    for (int i = nd - 1; i >= 0; i--) {
        int d = plain ? i : perm[i];
        uint64_t ext = count[d] + (plain ? 0 : tu_range(r, 0, 2));
        int neg = !plain && allow_negative && tu_range(r, 0, 3) == 0;
        stride[d] = neg ? -s : s;
        if (neg)
            *origin += (size_t)s * (count[d] - 1);
        s *= (int64_t)ext;
    }
    return (size_t)s + (plain ? 0 : isz * tu_range(r, 0, 3));
}

static size_t offset_of(int nd, const int64_t *stride, size_t origin,
                        const uint64_t *x)
{
    int64_t o = (int64_t)origin;
    for (int d = 0; d < nd; d++)
        o += (int64_t)x[d] * stride[d];
    return (size_t)o;
}

/* Advances x over count in C order; 0 when done. */
static int next_index(int nd, const uint64_t *count, uint64_t *x)
{
    int d = nd - 1;
    for (; d >= 0 && ++x[d] == count[d]; d--)
        x[d] = 0;
    return d >= 0;
}

static void one_copy(tu_rng *r, int nd, size_t isz, int allow_negative)
{
    uint64_t count[ZF_MAX_DIMS];
    for (int d = 0; d < nd; d++)
        count[d] = tu_range(r, 1, 5);
    if (tu_range(r, 0, 9) == 0) /* sometimes dims of 1 */
        count[tu_range(r, 0, (uint64_t)nd - 1)] = 1;
    int64_t ss[ZF_MAX_DIMS], ds[ZF_MAX_DIMS];
    size_t so, dso;
    size_t slen = random_layout(r, nd, count, isz, allow_negative, ss, &so);
    size_t dlen = random_layout(r, nd, count, isz, allow_negative, ds, &dso);
    uint8_t *src = malloc(slen), *dst = malloc(dlen), *ref = malloc(dlen);
    ck_assert(src && dst && ref);
    for (size_t i = 0; i < slen; i++)
        src[i] = (uint8_t)tu_next(r);
    for (size_t i = 0; i < dlen; i++)
        dst[i] = ref[i] = (uint8_t)tu_next(r);

    uint64_t x[ZF_MAX_DIMS] = {0};
    do
        memcpy(ref + offset_of(nd, ds, dso, x), src + offset_of(nd, ss, so, x), isz);
    while (next_index(nd, count, x));

    zf_strided sv = {src + so, {0}}, dv = {dst + dso, {0}};
    memcpy(sv.stride, ss, sizeof ss);
    memcpy(dv.stride, ds, sizeof ds);
    zf_box_copy(nd, count, isz, &dv, &sv);
    ck_assert_msg(memcmp(dst, ref, dlen) == 0, "box copy ndim %d itemsize %zu "
                  "differs from the per-element copy", nd, isz);
    free(src);
    free(dst);
    free(ref);
}

START_TEST(test_box_copy_random)
{
    tu_rng r = {4242};
    for (size_t k = 0; k < sizeof itemsizes / sizeof *itemsizes; k++)
        for (int iter = 0; iter < 400; iter++)
            one_copy(&r, (int)tu_range(&r, 1, 5), itemsizes[k], 0);
}
END_TEST

/* The header promises any strides; negative ones are strides too. */
START_TEST(test_box_copy_negative_strides)
{
    tu_rng r = {99};
    for (size_t k = 0; k < sizeof itemsizes / sizeof *itemsizes; k++)
        for (int iter = 0; iter < 300; iter++)
            one_copy(&r, (int)tu_range(&r, 1, 5), itemsizes[k], 1);
}
END_TEST

/* A plain transpose: a 3-d C-order block copied into the (2, 1, 0)-permuted
 * layout, checked against the index formula directly. */
START_TEST(test_box_copy_transpose)
{
    enum { A = 3, B = 4, C = 5 };
    uint32_t src[A][B][C], dst[C][B][A];
    for (int i = 0; i < A; i++)
        for (int j = 0; j < B; j++)
            for (int k = 0; k < C; k++)
                src[i][j][k] = (uint32_t)(i * 100 + j * 10 + k);
    memset(dst, 0xff, sizeof dst);
    uint64_t count[3] = {A, B, C};
    zf_strided sv = {(uint8_t *)src, {B * C * 4, C * 4, 4}};
    zf_strided dv = {(uint8_t *)dst, {4, A * 4, A * B * 4}};
    zf_box_copy(3, count, 4, &dv, &sv);
    for (int i = 0; i < A; i++)
        for (int j = 0; j < B; j++)
            for (int k = 0; k < C; k++)
                ck_assert_uint_eq(dst[k][j][i], (uint32_t)(i * 100 + j * 10 + k));
}
END_TEST

/* A box with a zero count copies nothing. */
START_TEST(test_box_copy_empty)
{
    uint8_t src[64], dst[64], ref[64];
    memset(src, 1, sizeof src);
    memset(dst, 2, sizeof dst);
    memcpy(ref, dst, sizeof dst);
    uint64_t count[2] = {4, 0};
    zf_strided sv = {src, {16, 4}}, dv = {dst, {16, 4}};
    zf_box_copy(2, count, 4, &dv, &sv);
    zf_box_fill(2, count, 4, &dv, src);
    ck_assert_mem_eq(dst, ref, sizeof dst);
}
END_TEST

static void one_fill(tu_rng *r, int nd, size_t isz, int allow_negative)
{
    uint64_t count[ZF_MAX_DIMS];
    for (int d = 0; d < nd; d++)
        count[d] = tu_range(r, 1, 5);
    int64_t ds[ZF_MAX_DIMS];
    size_t dso;
    size_t dlen = random_layout(r, nd, count, isz, allow_negative, ds, &dso);
    uint8_t *dst = malloc(dlen), *ref = malloc(dlen), value[16];
    ck_assert(dst && ref);
    int zero = tu_range(r, 0, 2) == 0; /* zero values take a memset path */
    for (size_t i = 0; i < isz; i++)
        value[i] = zero ? 0 : (uint8_t)tu_next(r);
    for (size_t i = 0; i < dlen; i++)
        dst[i] = ref[i] = (uint8_t)tu_next(r);
    uint64_t x[ZF_MAX_DIMS] = {0};
    do
        memcpy(ref + offset_of(nd, ds, dso, x), value, isz);
    while (next_index(nd, count, x));
    zf_strided dv = {dst + dso, {0}};
    memcpy(dv.stride, ds, sizeof ds);
    zf_box_fill(nd, count, isz, &dv, value);
    ck_assert_msg(memcmp(dst, ref, dlen) == 0, "box fill ndim %d itemsize %zu "
                  "differs from the per-element fill", nd, isz);
    free(dst);
    free(ref);
}

START_TEST(test_box_fill_random)
{
    tu_rng r = {31337};
    for (size_t k = 0; k < sizeof itemsizes / sizeof *itemsizes; k++)
        for (int iter = 0; iter < 400; iter++)
            one_fill(&r, (int)tu_range(&r, 1, 5), itemsizes[k], 0);
}
END_TEST

START_TEST(test_box_fill_negative_strides)
{
    tu_rng r = {2718};
    for (size_t k = 0; k < sizeof itemsizes / sizeof *itemsizes; k++)
        for (int iter = 0; iter < 300; iter++)
            one_fill(&r, (int)tu_range(&r, 1, 5), itemsizes[k], 1);
}
END_TEST

/* zf_c_strides and zf_strided_at against hand-computed numbers. */
START_TEST(test_strides_and_view_at)
{
    uint64_t shape[3] = {2, 3, 5};
    int64_t st[3];
    zf_c_strides(3, shape, 8, st);
    ck_assert_int_eq(st[0], 120);
    ck_assert_int_eq(st[1], 40);
    ck_assert_int_eq(st[2], 8);
    uint8_t buf[1];
    zf_strided v = {buf, {120, 40, 8}};
    uint64_t at[3] = {1, 2, 3};
    zf_strided w = zf_strided_at(&v, 3, at);
    ck_assert_ptr_eq(w.base, buf + 120 + 80 + 24);
    ck_assert_int_eq(w.stride[1], 40);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("box");
    TCase *t = tcase_create("flat_boxes");
    tcase_add_loop_test(t, test_flat_boxes_random, 0, 3);
    tcase_add_test(t, test_flat_boxes_exhaustive);
    tcase_add_test(t, test_flat_boxes_large);
    tcase_add_test(t, test_flat_boxes_stop);
    suite_add_tcase(s, t);
    t = tcase_create("copy_fill");
    tcase_add_test(t, test_box_copy_random);
    tcase_add_test(t, test_box_copy_negative_strides);
    tcase_add_test(t, test_box_copy_transpose);
    tcase_add_test(t, test_box_copy_empty);
    tcase_add_test(t, test_box_fill_random);
    tcase_add_test(t, test_box_fill_negative_strides);
    tcase_add_test(t, test_strides_and_view_at);
    suite_add_tcase(s, t);
    return tu_run(s);
}
