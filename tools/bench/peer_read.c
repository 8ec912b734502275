/*
 * zf-bench-read - zarrfs's readers in tools/bench/peers.sh: each reads an
 * array into memory and prints the seconds that took inside this process
 * (open to last byte, the buffers' first-touch page faults included, as
 * for the peers), then the bytes it read.
 *
 *   read FILE           read() of the whole flat file into one buffer
 *   api STORE [ARRAY]   the engine in process (the public API, as
 *                       zarrfs-cat uses it): one zf_array_read of the whole
 *                       flat view into one buffer; nothing is written out
 *   sub FILE SHAPE BOX T   box by box (BOX, e.g. 256,256,256, tiling SHAPE;
 *                       edge boxes clipped): each box's subarray file
 *                       FILE[a:b,c:d,...] of the mount read whole with
 *                       read() into its own buffer
 *   runs FILE SHAPE BOX T ITEMSIZE   box by box again, each box by one
 *                       pread per contiguous byte run of it in the flat
 *                       file, into its own buffer
 * sub and runs take the boxes in C order over T threads (each takes the
 * next box).  With --verify RAW (before the mode) every box is compared
 * with the same box of RAW, the raw C-order array (a check, not timed:
 * run it once beside the timed runs); read and api then compare the whole.
 * Buffers of 4 MiB and more are allocated as numpy allocates its arrays
 * (and zarrs_tools's allocator its arenas) on Linux: mapped with
 * madvise(MADV_HUGEPAGE), so that first touching them costs one fault per
 * 2 MiB, not per 4 KiB page, as it does for the peers' own buffers (with
 * malloc's 4 KiB pages, 256 MiB of output cost zarrfs 65,536 faults more
 * than zarrs in the same read).
 * Exit status: 0; 1 on an error or a mismatch (with a message); 2 for bad
 * usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "zarrfs/zarrfs.h"

#define MAXDIM 8

typedef struct grid {
    int ndim;
    uint64_t shape[MAXDIM], box[MAXDIM], nbox[MAXDIM];
    uint64_t count; /* boxes in all */
    size_t item;
} grid;

typedef struct job {
    const char *file; /* the flat file (runs) or the array's file (sub) */
    const grid *g;
    int runs;                /* 1: pread of byte runs; 0: subarray files */
    const uint8_t *raw;      /* --verify: the raw array, or NULL */
    atomic_uint_fast64_t next; /* the next box to take */
    atomic_int failed;
} job;

/* The reader's buffers: see the header. */
#define BIG (4u << 20)
static void *buf_alloc(size_t n)
{
    if (n < BIG)
        return malloc(n ? n : 1);
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, n, MADV_HUGEPAGE); /* a hint: THP may be off */
#endif
    return p;
}

static void buf_free(void *p, size_t n)
{
    if (!p)
        return;
    if (n < BIG)
        free(p);
    else
        munmap(p, n);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int parse_dims(const char *s, uint64_t *out)
{
    int n = 0;
    while (*s && n < MAXDIM) {
        char *e;
        errno = 0;
        unsigned long long v = strtoull(s, &e, 10);
        if (e == s || errno || v == 0 || (*e && *e != ','))
            return -1;
        out[n++] = v;
        s = *e ? e + 1 : e;
    }
    return *s ? -1 : n;
}

static int grid_init(grid *g, const char *shape, const char *box, size_t item)
{
    g->ndim = parse_dims(shape, g->shape);
    if (g->ndim < 1 || parse_dims(box, g->box) != g->ndim || item == 0)
        return -1;
    g->count = 1;
    for (int d = 0; d < g->ndim; d++) {
        g->nbox[d] = (g->shape[d] + g->box[d] - 1) / g->box[d];
        g->count *= g->nbox[d];
    }
    g->item = item;
    return 0;
}

/* Box number k's corner and extent, C order over the box grid. */
static void box_at(const grid *g, uint64_t k, uint64_t *lo, uint64_t *n)
{
    for (int d = g->ndim - 1; d >= 0; d--) {
        uint64_t i = k % g->nbox[d];
        k /= g->nbox[d];
        lo[d] = i * g->box[d];
        n[d] = g->shape[d] - lo[d] < g->box[d] ? g->shape[d] - lo[d] : g->box[d];
    }
}

/* Calls fn(off, len, dst_off) for each contiguous run of the box in the
 * flat C-order file; a box spanning whole trailing dimensions merges them. */
typedef int (*run_fn)(void *arg, uint64_t off, size_t len, size_t at);
static int each_run(const grid *g, const uint64_t *lo, const uint64_t *n,
                    run_fn fn, void *arg)
{
    int inner = g->ndim - 1; /* dims [inner, ndim) form one run */
    while (inner > 0 && n[inner] == g->shape[inner])
        inner--;
    uint64_t run = g->item, nruns = 1, idx[MAXDIM] = {0};
    for (int d = inner; d < g->ndim; d++)
        run *= n[d];
    for (int d = 0; d < inner; d++)
        nruns *= n[d];
    for (uint64_t r = 0; r < nruns; r++) {
        uint64_t off = 0;
        for (int d = 0; d < g->ndim; d++)
            off = off * g->shape[d] + lo[d] + (d < inner ? idx[d] : 0);
        if (fn(arg, off * g->item, (size_t)run, (size_t)(r * run)) != 0)
            return -1;
        for (int d = inner - 1; d >= 0 && ++idx[d] == n[d]; d--)
            idx[d] = 0;
    }
    return 0;
}

typedef struct run_ctx {
    int fd;
    uint8_t *buf;
    const uint8_t *raw;
} run_ctx;

static int pread_all(int fd, uint8_t *p, size_t len, uint64_t off)
{
    while (len) {
        ssize_t r = pread(fd, p, len, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        len -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

static int run_read(void *arg, uint64_t off, size_t len, size_t at)
{
    run_ctx *c = arg;
    return pread_all(c->fd, c->buf + at, len, off);
}

static int run_check(void *arg, uint64_t off, size_t len, size_t at)
{
    run_ctx *c = arg;
    return memcmp(c->buf + at, c->raw + off, len) ? -1 : 0;
}

/* Reads box k into buf; 0, or -1 after a message. */
static int read_box(job *j, uint64_t k, uint8_t *buf, size_t cap)
{
    const grid *g = j->g;
    uint64_t lo[MAXDIM], n[MAXDIM], bytes = g->item;
    box_at(g, k, lo, n);
    for (int d = 0; d < g->ndim; d++)
        bytes *= n[d];
    if (bytes > cap)
        return -1;
    run_ctx c = {-1, buf, j->raw};
    int rc;
    if (j->runs) {
        c.fd = open(j->file, O_RDONLY);
        rc = c.fd < 0 ? -1 : each_run(g, lo, n, run_read, &c);
    } else {
        char name[4096];
        int w = snprintf(name, sizeof name, "%s[", j->file);
        for (int d = 0; d < g->ndim && w > 0 && (size_t)w < sizeof name; d++)
            w += snprintf(name + w, sizeof name - (size_t)w, "%s%llu:%llu", d ? "," : "",
                          (unsigned long long)lo[d], (unsigned long long)(lo[d] + n[d]));
        if (w <= 0 || (size_t)w + 2 > sizeof name)
            return -1;
        strcat(name, "]");
        c.fd = open(name, O_RDONLY);
        rc = c.fd < 0 ? -1 : pread_all(c.fd, buf, (size_t)bytes, 0);
    }
    if (rc != 0)
        fprintf(stderr, "zf-bench-read: box %llu of %s: %s\n", (unsigned long long)k,
                j->file, c.fd < 0 ? strerror(errno) : "short read");
    if (c.fd >= 0)
        close(c.fd);
    if (rc == 0 && j->raw && each_run(g, lo, n, run_check, &c) != 0) {
        fprintf(stderr, "zf-bench-read: box %llu of %s differs from the raw array\n",
                (unsigned long long)k, j->file);
        rc = -1;
    }
    return rc;
}

static void *worker(void *arg)
{
    job *j = arg;
    size_t cap = j->g->item;
    for (int d = 0; d < j->g->ndim; d++)
        cap *= j->g->box[d];
    uint8_t *buf = NULL;
    for (;;) {
        uint64_t k = atomic_fetch_add(&j->next, 1);
        if (k >= j->g->count || atomic_load(&j->failed))
            break;
        /* a fresh buffer per box, as the peers return a new array per
         * chunk: its page faults are part of the read */
        buf_free(buf, cap);
        buf = buf_alloc(cap);
        if (!buf || read_box(j, k, buf, cap) != 0) {
            atomic_store(&j->failed, 1);
            break;
        }
    }
    buf_free(buf, cap);
    return NULL;
}

static int boxes(const char *file, const grid *g, int threads, int runs,
                 const uint8_t *raw, double *secs)
{
    job j = {.file = file, .g = g, .runs = runs, .raw = raw};
    atomic_init(&j.next, 0);
    atomic_init(&j.failed, 0);
    pthread_t t[64];
    if (threads < 1 || threads > 64)
        return -1;
    double t0 = now();
    int started = 0;
    for (; started < threads; started++)
        if (pthread_create(&t[started], NULL, worker, &j) != 0)
            break;
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    *secs = now() - t0;
    return started == threads && !atomic_load(&j.failed) ? 0 : -1;
}

static int read_file(const char *file, uint8_t **out, size_t *size, double *secs)
{
    double t0 = now();
    int fd = open(file, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "zf-bench-read: %s: %s\n", file, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    uint8_t *buf = buf_alloc((size_t)st.st_size);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    *secs = now() - t0;
    close(fd);
    if (!buf || got != (size_t)st.st_size) {
        fprintf(stderr, "zf-bench-read: %s: read %zu of %lld bytes\n", file, got,
                (long long)st.st_size);
        buf_free(buf, (size_t)st.st_size);
        return -1;
    }
    *out = buf;
    *size = got;
    return 0;
}

static int read_api(const char *store, const char *path, uint8_t **out,
                    size_t *size, double *secs)
{
    zf_zarr *z = NULL;
    zf_array *a = NULL;
    zf_err err = {0};
    double t0 = now();
    if (zf_open(store, NULL, &z, &err) != ZF_OK ||
        zf_array_get(z, path, &a, &err) != ZF_OK) {
        fprintf(stderr, "zf-bench-read: %s\n", err.msg);
        zf_close(z);
        return -1;
    }
    size_t n = (size_t)zf_array_get_info(a)->nbytes, got = 0;
    uint8_t *buf = buf_alloc(n);
    zf_code rc = buf ? zf_array_read(a, 0, n, buf, &got, &err) : ZF_ENOMEM;
    *secs = now() - t0;
    zf_close(z);
    if (rc != ZF_OK || got != n) {
        fprintf(stderr, "zf-bench-read: %s: %s\n", store,
                rc != ZF_OK ? (buf ? err.msg : "out of memory") : "short read");
        buf_free(buf, n);
        return -1;
    }
    *out = buf;
    *size = n;
    return 0;
}

/* Maps RAW read-only; NULL after a message. */
static const uint8_t *map_raw(const char *raw, size_t *size)
{
    int fd = open(raw, O_RDONLY);
    struct stat st;
    void *p = MAP_FAILED;
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0)
        p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (fd >= 0)
        close(fd);
    if (p == MAP_FAILED) {
        fprintf(stderr, "zf-bench-read: --verify %s: cannot map it\n", raw);
        return NULL;
    }
    *size = (size_t)st.st_size;
    return p;
}

static void usage(void)
{
    fputs("usage: zf-bench-read [--verify RAW] read FILE\n"
          "       zf-bench-read [--verify RAW] api STORE [ARRAY]\n"
          "       zf-bench-read [--verify RAW] sub FILE SHAPE BOX THREADS ITEMSIZE\n"
          "       zf-bench-read [--verify RAW] runs FILE SHAPE BOX THREADS ITEMSIZE\n",
          stderr);
}

int main(int argc, char **argv)
{
    const uint8_t *raw = NULL;
    size_t rawsize = 0;
    if (argc > 2 && strcmp(argv[1], "--verify") == 0) {
        if (!(raw = map_raw(argv[2], &rawsize)))
            return 1;
        argv += 2;
        argc -= 2;
    }
    if (argc < 3) {
        usage();
        return 2;
    }
    const char *mode = argv[1];
    double secs = 0;
    uint64_t bytes = 0;
    int rc;
    if (strcmp(mode, "read") == 0 || strcmp(mode, "api") == 0) {
        uint8_t *buf = NULL;
        size_t n = 0;
        rc = mode[0] == 'r' ? read_file(argv[2], &buf, &n, &secs)
                            : read_api(argv[2], argc > 3 ? argv[3] : "", &buf, &n, &secs);
        if (rc == 0 && raw && (n != rawsize || memcmp(buf, raw, n) != 0)) {
            fprintf(stderr, "zf-bench-read: %s differs from the raw array\n", argv[2]);
            rc = -1;
        }
        buf_free(buf, n);
        bytes = n;
    } else if ((strcmp(mode, "sub") == 0 || strcmp(mode, "runs") == 0) && argc == 7) {
        grid g;
        if (grid_init(&g, argv[3], argv[4], (size_t)atoi(argv[6])) != 0) {
            usage();
            return 2;
        }
        bytes = g.item;
        for (int d = 0; d < g.ndim; d++)
            bytes *= g.shape[d];
        if (raw && rawsize != bytes) {
            fprintf(stderr, "zf-bench-read: --verify: the raw array is not %llu bytes\n",
                    (unsigned long long)bytes);
            return 1;
        }
        rc = boxes(argv[2], &g, atoi(argv[5]), mode[0] == 'r', raw, &secs);
    } else {
        usage();
        return 2;
    }
    if (rc != 0)
        return 1;
    printf("%.4f %llu\n", secs, (unsigned long long)bytes);
    return 0;
}
