/* box.c - see box.h.  Copies first merge dimensions that are contiguous in
 * both views, so the common cases become a few large memcpy calls. */
#include "box.h"

#include <string.h>

void zf_c_strides(int ndim, const uint64_t *shape, size_t itemsize,
                  int64_t *stride)
{
    int64_t s = (int64_t)itemsize;
    for (int d = ndim - 1; d >= 0; d--) {
        stride[d] = s;
        s *= (int64_t)shape[d];
    }
}

zf_strided zf_strided_at(const zf_strided *v, int ndim, const uint64_t *at)
{
    zf_strided r = *v;
    if (!r.base) /* a prefetch plans without a destination */
        return r;
    for (int d = 0; d < ndim; d++)
        r.base += (int64_t)at[d] * v->stride[d];
    return r;
}

void zf_strided_step(zf_strided *v, int ndim, const uint64_t *step)
{
    for (int d = 0; step && d < ndim; d++)
        v->stride[d] *= (int64_t)step[d];
}

/* A normalised copy: dims of count 1 dropped, contiguous dims merged; at
 * least one dim (a single element is one dim of count 1). */
typedef struct norm {
    int n;
    uint64_t count[ZF_MAX_DIMS];
    int64_t ds[ZF_MAX_DIMS], ss[ZF_MAX_DIMS];
} norm;

/* 0 when the box holds no element (nothing to do), else 1 with *o set. */
static int normalise(int ndim, const uint64_t *count, const zf_strided *dst,
                     const int64_t *sstride, norm *o)
{
    for (int d = 0; d < ndim; d++)
        if (count[d] == 0)
            return 0;
    o->n = 0;
    for (int d = 0; d < ndim; d++) {
        if (count[d] == 1)
            continue;
        if (o->n > 0) {
            int k = o->n - 1;
            /* dim k followed by d merges if k steps over exactly all of d */
            if (o->ds[k] == dst->stride[d] * (int64_t)count[d] &&
                (!sstride || o->ss[k] == sstride[d] * (int64_t)count[d])) {
                o->count[k] *= count[d];
                o->ds[k] = dst->stride[d];
                if (sstride)
                    o->ss[k] = sstride[d];
                continue;
            }
        }
        o->count[o->n] = count[d];
        o->ds[o->n] = dst->stride[d];
        o->ss[o->n] = sstride ? sstride[d] : 0;
        o->n++;
    }
    if (o->n == 0) { /* one element: its strides are never stepped */
        o->count[0] = 1;
        o->ds[0] = o->ss[0] = 0;
        o->n = 1;
    }
    return 1;
}

static void copy_elems(uint8_t *d, int64_t ds, const uint8_t *s, int64_t ss,
                       uint64_t n, size_t isz)
{
    if (ds == (int64_t)isz && ss == (int64_t)isz) {
        memcpy(d, s, n * isz);
        return;
    }
    switch (isz) {
    case 1: for (uint64_t i = 0; i < n; i++, d += ds, s += ss) *d = *s; break;
    case 2: for (uint64_t i = 0; i < n; i++, d += ds, s += ss) memcpy(d, s, 2); break;
    case 4: for (uint64_t i = 0; i < n; i++, d += ds, s += ss) memcpy(d, s, 4); break;
    case 8: for (uint64_t i = 0; i < n; i++, d += ds, s += ss) memcpy(d, s, 8); break;
    default: for (uint64_t i = 0; i < n; i++, d += ds, s += ss) memcpy(d, s, isz);
    }
}

/* Rows of `len` contiguous bytes, `n` of them, each step apart: the common
 * scatter of a chunk into a wider array.  Sizes known here let the compiler
 * copy a row with a few vector moves instead of a call to memcpy. */
#define ZF_ROWS(LEN)                                                       \
    for (uint64_t i = 0; i < n; i++, d += ds, s += ss)                     \
        memcpy(d, s, LEN)
static void copy_rows(uint8_t *d, int64_t ds, const uint8_t *s, int64_t ss,
                      uint64_t n, size_t len)
{
    switch (len) {
    case 16: ZF_ROWS(16); break;
    case 32: ZF_ROWS(32); break;
    case 64: ZF_ROWS(64); break;
    case 128: ZF_ROWS(128); break;
    case 256: ZF_ROWS(256); break;
    case 512: ZF_ROWS(512); break;
    default: ZF_ROWS(len);
    }
}
#undef ZF_ROWS

/* The last two dims of a transposing copy (the destination steps further
 * along the inner one than the outer one: a Fortran-order reply from
 * C-order chunks), in square tiles, so that both the rows read and the
 * columns written stay in the cache while a tile is copied. */
#define ZF_TILE 32
static void copy_tiles(const norm *o, int d, uint8_t *dp, const uint8_t *sp,
                       size_t isz)
{
    uint64_t ni = o->count[d], nj = o->count[d + 1];
    int64_t dsi = o->ds[d], ssi = o->ss[d], dsj = o->ds[d + 1],
            ssj = o->ss[d + 1];
    for (uint64_t i0 = 0; i0 < ni; i0 += ZF_TILE) {
        uint64_t i1 = i0 + ZF_TILE < ni ? i0 + ZF_TILE : ni;
        for (uint64_t j0 = 0; j0 < nj; j0 += ZF_TILE) {
            uint64_t jn = j0 + ZF_TILE < nj ? ZF_TILE : nj - j0;
            for (uint64_t i = i0; i < i1; i++)
                copy_elems(dp + (int64_t)i * dsi + (int64_t)j0 * dsj, dsj,
                           sp + (int64_t)i * ssi + (int64_t)j0 * ssj, ssj, jn,
                           isz);
        }
    }
}

static int is_transposing(const norm *o, int d)
{
    int64_t di = o->ds[d] < 0 ? -o->ds[d] : o->ds[d];
    int64_t dj = o->ds[d + 1] < 0 ? -o->ds[d + 1] : o->ds[d + 1];
    return dj > di && o->count[d] >= ZF_TILE / 4 && o->count[d + 1] >= ZF_TILE / 4;
}

static void copy_rec(const norm *o, int d, uint8_t *dp, const uint8_t *sp,
                     size_t isz)
{
    if (d == o->n - 2 && is_transposing(o, d)) {
        copy_tiles(o, d, dp, sp, isz);
        return;
    }
    if (d == o->n - 1) {
        copy_elems(dp, o->ds[d], sp, o->ss[d], o->count[d], isz);
        return;
    }
    if (d == o->n - 2 && o->ds[d + 1] == (int64_t)isz &&
        o->ss[d + 1] == (int64_t)isz) {
        copy_rows(dp, o->ds[d], sp, o->ss[d], o->count[d], o->count[d + 1] * isz);
        return;
    }
    for (uint64_t i = 0; i < o->count[d]; i++)
        copy_rec(o, d + 1, dp + (int64_t)i * o->ds[d], sp + (int64_t)i * o->ss[d], isz);
}

void zf_box_copy(int ndim, const uint64_t *count, size_t itemsize,
                 const zf_strided *dst, const zf_strided *src)
{
    norm o;
    if (normalise(ndim, count, dst, src->stride, &o))
        copy_rec(&o, 0, dst->base, src->base, itemsize);
}

static void fill_run(uint8_t *d, int64_t ds, uint64_t n, size_t isz,
                     const uint8_t *v)
{
    int zero = 1;
    for (size_t i = 0; i < isz; i++)
        zero &= v[i] == 0;
    if (ds == (int64_t)isz && zero) {
        memset(d, 0, n * isz);
        return;
    }
    for (uint64_t i = 0; i < n; i++, d += ds)
        memcpy(d, v, isz);
}

static void fill_rec(const norm *o, int d, uint8_t *dp, size_t isz,
                     const uint8_t *v)
{
    if (d == o->n - 1) {
        fill_run(dp, o->ds[d], o->count[d], isz, v);
        return;
    }
    for (uint64_t i = 0; i < o->count[d]; i++)
        fill_rec(o, d + 1, dp + (int64_t)i * o->ds[d], isz, v);
}

void zf_box_fill(int ndim, const uint64_t *count, size_t itemsize,
                 const zf_strided *dst, const void *value)
{
    norm o;
    if (normalise(ndim, count, dst, NULL, &o))
        fill_rec(&o, 0, dst->base, itemsize, value);
}

int zf_flat_boxes(int ndim, const uint64_t *shape, uint64_t e0, uint64_t e1,
                  int (*fn)(void *, const uint64_t *, const uint64_t *),
                  void *arg)
{
    uint64_t block[ZF_MAX_DIMS + 1]; /* block[k] = elements per step of dim k */
    block[ndim] = 1;
    for (int d = ndim - 1; d >= 0; d--)
        block[d] = (d == ndim - 1 ? 1 : block[d + 1] * shape[d + 1]);
    if (ndim == 0)
        return e0 < e1 ? fn(arg, NULL, NULL) : 0;
    while (e0 < e1) {
        uint64_t x[ZF_MAX_DIMS] = {0}, rest = e0;
        for (int d = 0; d < ndim; d++) {
            x[d] = rest / block[d];
            rest %= block[d];
        }
        /* The outermost dim k such that x is at the start of a block of dim
         * k (all later coordinates 0) and one such block still fits. */
        int k = ndim - 1;
        for (int d = ndim - 2; d >= 0; d--) {
            if (x[d + 1] != 0 || e0 + block[d] > e1)
                break;
            k = d;
        }
        uint64_t n = (e1 - e0) / block[k];
        if (n > shape[k] - x[k])
            n = shape[k] - x[k];
        uint64_t count[ZF_MAX_DIMS] = {0};
        for (int d = 0; d < ndim; d++)
            count[d] = d < k ? 1 : d == k ? n : shape[d];
        int r = fn(arg, x, count);
        if (r)
            return r;
        e0 += n * block[k];
    }
    return 0;
}

/* Sets dimension d of cell c to the chunk holding selected element k (of
 * lo + step * k) and the selected elements of that chunk from k on. */
static void grid_dim(zf_grid_cell *c, int d, uint64_t k, uint64_t chunk,
                     uint64_t lo, uint64_t step, uint64_t count)
{
    uint64_t e = lo + step * k;
    c->at[d] = e / chunk;
    uint64_t c1 = (c->at[d] + 1) * chunk; /* where the chunk ends */
    uint64_t kend = (c1 - lo + step - 1) / step; /* first k past it */
    c->lo[d] = e - c->at[d] * chunk;
    c->count[d] = (kend < count ? kend : count) - k;
    c->rel[d] = k;
}

int zf_grid_each_step(int ndim, const uint64_t *chunk, const uint64_t *lo,
                      const uint64_t *count, const uint64_t *step,
                      int (*fn)(void *arg, const zf_grid_cell *cell), void *arg)
{
    zf_grid_cell c;
    for (int d = 0; d < ndim; d++) {
        if (count[d] == 0)
            return 0;
        grid_dim(&c, d, 0, chunk[d], lo[d], step ? step[d] : 1, count[d]);
    }
    for (;;) {
        int r = fn(arg, &c);
        if (r)
            return r;
        /* Odometer over the chunks holding selected elements: a dimension
         * moves on to the chunk of its next selected element, so chunks a
         * step jumps over are never visited. */
        int d = ndim - 1;
        for (; d >= 0; d--) {
            uint64_t st = step ? step[d] : 1, k = c.rel[d] + c.count[d];
            if (k < count[d]) {
                grid_dim(&c, d, k, chunk[d], lo[d], st, count[d]);
                break;
            }
            grid_dim(&c, d, 0, chunk[d], lo[d], st, count[d]);
        }
        if (d < 0)
            return 0;
    }
}

int zf_grid_each(int ndim, const uint64_t *chunk, const uint64_t *lo,
                 const uint64_t *count,
                 int (*fn)(void *arg, const zf_grid_cell *cell), void *arg)
{
    return zf_grid_each_step(ndim, chunk, lo, count, NULL, fn, arg);
}
