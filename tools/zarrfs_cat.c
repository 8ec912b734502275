/*
 * zarrfs-cat - writes a byte range of an array's flat view (C order, native
 * byte order) to stdout.  The range is read in blocks aligned to rows of
 * chunks, so no chunk is decoded twice; the next block is decoded on the
 * engine's threads while the current one is written.
 * ARRAY may carry a selection, ARRAY[EXPR] (NumPy basic indexing) and/or an
 * order, ARRAY@F, as the mount's virtual files do; then the bytes are those
 * of that subarray's flat view, read in blocks of MIN_BLOCK.
 * With --nc, the bytes are those of a group's netCDF-4 file (zf_nc_build),
 * read with zf_nc_read in blocks of MIN_BLOCK.
 * Exit status: 0; 1 with the engine's message on any error; 2 for bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli_common.h"
#include "zarrfs/zarrfs.h"

#define MIN_BLOCK ((uint64_t)32 << 20)
#define MAX_BLOCK ((uint64_t)512 << 20)

static void usage(FILE *f)
{
    fputs("usage: zarrfs-cat [--offset N] [--length N] [--threads N] [--stats]\n"
          "                  [--order C|F] [-o OPTS] STORE [ARRAY[EXPR][@F]]\n"
          "       zarrfs-cat --nc [--offset N] [--length N] [-o OPTS] STORE [GROUP]\n"
          "\n"
          "Writes bytes [N, N+length) of the array's flat view (C order, native\n"
          "byte order) to stdout; by default the whole array.  ARRAY is the\n"
          "array's path in the store; leave it out when the store's root is an\n"
          "array.  ARRAY[EXPR] (or [EXPR] for a root array) selects a subarray\n"
          "as NumPy's a[EXPR] does ('temp[0:24,::-1,5]'); ARRAY@F or --order F\n"
          "writes it in Fortran order.  STORE is a folder or an http://,\n"
          "https:// or s3:// URL.\n"
          "\n"
          "With --nc, writes the netCDF-4/HDF5 file of GROUP (default: the\n"
          "root group): every array below it as a dataset, every subgroup as\n"
          "a group, as the mount's G.nc files show them.\n"
          "\n"
          "  --offset N     the first byte to write (default: 0)\n"
          "  --length N     at most N bytes (default: to the end)\n"
          "  --threads N    decode threads (default: all cores)\n"
          "  --stats        print the engine's counters as JSON on stderr\n"
          "  --order C|F    the order of the elements (default: C)\n"
          "  --nc           write the group's netCDF-4 file instead\n"
          "  -o OPTS        zarrfs's remote options, comma-separated\n"
          "                 (-o s3_endpoint=URL,retries=2)\n"
          "  -h, --help     show this help\n"
          "  -V, --version  print the version\n"
          "\n"
          "Options take their value as --opt N or --opt=N.\n", f);
}

typedef struct block {
    const zf_selection *sel; /* NULL: the array's own flat view */
    uint8_t *buf;
    uint64_t off;
    size_t len, got;
    int done;
    zf_code code;
    zf_err err;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} block;

static void block_done(void *arg, zf_code code, size_t nread, const zf_err *err)
{
    block *b = arg;
    pthread_mutex_lock(&b->lock);
    b->code = code;
    b->got = nread;
    if (err && code != ZF_OK)
        b->err = *err;
    b->done = 1;
    pthread_cond_signal(&b->cond);
    pthread_mutex_unlock(&b->lock);
}

static void block_start(zf_array *a, block *b, uint64_t off, size_t len)
{
    b->off = off;
    b->len = len;
    b->done = 0; /* (before the call: block_done may run inline) */
    if (b->sel)
        zf_array_read_selection_async(a, b->sel, off, len, b->buf, block_done, b);
    else
        zf_array_read_async(a, off, len, b->buf, block_done, b);
}

static zf_code block_wait(block *b)
{
    pthread_mutex_lock(&b->lock);
    while (!b->done)
        pthread_cond_wait(&b->cond, &b->lock);
    pthread_mutex_unlock(&b->lock);
    return b->code;
}

static int write_all(const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(STDOUT_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* A block of whole rows of (inner) chunks along the first dimension. */
static uint64_t block_size(const zf_array_info *i)
{
    if (i->ndim == 0)
        return i->itemsize;
    uint64_t row = i->itemsize;
    for (int d = 1; d < i->ndim; d++)
        row *= i->shape[d];
    row *= i->inner ? i->inner[0] : i->chunks[0];
    if (row == 0 || row > MAX_BLOCK)
        return MIN_BLOCK;
    return row * ((MIN_BLOCK + row - 1) / row);
}

/* The blocks are written once per chunk row and are tens of MiB: in 4 KiB
 * pages their first touch costs a page fault each (5% of the run); ask for
 * huge pages where the kernel gives them on request. */
static void *block_alloc(size_t size)
{
    const size_t huge = (size_t)2 << 20;
    void *p = NULL;
    if (posix_memalign(&p, huge, (size + huge - 1) / huge * huge) != 0)
        return NULL;
    madvise(p, size, MADV_HUGEPAGE); /* advice only: fine if refused */
    return p;
}

static int cat(zf_array *a, const zf_selection *sel, uint64_t off,
               uint64_t len)
{
    const zf_array_info *info = zf_array_get_info(a);
    uint64_t bs = sel ? MIN_BLOCK : block_size(info);
    if (len < bs)
        bs = len ? len : 1;
    block blk[2];
    memset(blk, 0, sizeof blk);
    for (int k = 0; k < 2; k++) {
        pthread_mutex_init(&blk[k].lock, NULL);
        pthread_cond_init(&blk[k].cond, NULL);
        blk[k].sel = sel;
        blk[k].buf = block_alloc(bs);
        if (!blk[k].buf) {
            fprintf(stderr, "zarrfs-cat: out of memory\n");
            return 1;
        }
    }
    /* Align the first block so the later ones start on chunk rows. */
    uint64_t end = off + len, pos = off;
    uint64_t first = bs - off % bs;
    int cur = 0, rc = 0;
    if (pos < end)
        block_start(a, &blk[cur], pos, (size_t)(first < end - pos ? first : end - pos));
    while (pos < end) {
        block *b = &blk[cur];
        uint64_t next = b->off + b->len;
        if (next < end)
            block_start(a, &blk[!cur], next,
                        (size_t)(bs < end - next ? bs : end - next));
        if (block_wait(b) != ZF_OK) {
            fprintf(stderr, "zarrfs-cat: %s\n", b->err.msg);
            rc = 1;
        } else if (write_all(b->buf, b->got) != 0) {
            fprintf(stderr, "zarrfs-cat: write: %s\n", strerror(errno));
            rc = 1;
        }
        pos = next;
        cur = !cur;
        if (rc) {
            if (pos < end)
                block_wait(&blk[cur]);
            break;
        }
    }
    for (int k = 0; k < 2; k++)
        free(blk[k].buf);
    return rc;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 10);
    if (errno || e == s || *e || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

/* The array named `name`, or (when no array has that exact name) the
 * array and selection of NAME[EXPR]@F; 0, or -1 after saying why. */
static int open_array(zf_zarr *z, const char *name, int order_f, zf_array **a,
                      zf_selection *sel, int *use_sel)
{
    zf_err err;
    size_t nlen, elen;
    const char *expr;
    int f;
    *use_sel = order_f;
    if (zf_array_get(z, name, a, &err) == ZF_OK) {
        const zf_array_info *i = zf_array_get_info(*a);
        if (order_f) {
            zf_selection_parse(NULL, i->ndim, i->shape, sel, NULL);
            sel->fortran = 1;
        }
        return 0;
    }
    if (zf_selection_split_name(name, 1, &nlen, &expr, &elen, &f) != 0) {
        fprintf(stderr, "zarrfs-cat: %s%s\n", err.msg,
                name[0] ? "" : " (name the array: zarrfs-cat STORE ARRAY)");
        return -1;
    }
    char base[4096], ex[4096];
    snprintf(base, sizeof base, "%.*s", (int)nlen, name);
    snprintf(ex, sizeof ex, "%.*s", (int)elen, expr ? expr : "");
    if (zf_array_get(z, base, a, &err) != ZF_OK) {
        fprintf(stderr, "zarrfs-cat: %s\n", err.msg);
        return -1;
    }
    const zf_array_info *i = zf_array_get_info(*a);
    if (zf_selection_parse(expr ? ex : NULL, i->ndim, i->shape, sel,
                           &err) != ZF_OK) {
        fprintf(stderr, "zarrfs-cat: %s: %s\n", name, err.msg);
        return -1;
    }
    sel->fortran = f || order_f;
    *use_sel = 1;
    return 0;
}

/* Bytes [off, off + len) of the netCDF-4 file of `group`. */
static int cat_nc(zf_zarr *z, const char *group, uint64_t off, uint64_t len)
{
    zf_nc_file *f = NULL;
    zf_err err;
    if (zf_nc_build(z, group, &f, &err) != ZF_OK) {
        fprintf(stderr, "zarrfs-cat: %s\n", err.msg);
        return 1;
    }
    uint64_t size = zf_nc_size(f);
    off = off < size ? off : size;
    len = len < size - off ? len : size - off;
    size_t bs = (size_t)(len < MIN_BLOCK ? len : MIN_BLOCK);
    uint8_t *buf = malloc(bs ? bs : 1);
    int rc = buf ? 0 : 1;
    if (!buf)
        fprintf(stderr, "zarrfs-cat: out of memory\n");
    for (uint64_t pos = off; !rc && pos < off + len; pos += bs) {
        size_t n = (size_t)(off + len - pos < bs ? off + len - pos : bs), got;
        if (zf_nc_read(f, z, pos, n, buf, &got, &err) != ZF_OK) {
            fprintf(stderr, "zarrfs-cat: %s\n", err.msg);
            rc = 1;
        } else if (write_all(buf, got) != 0) {
            fprintf(stderr, "zarrfs-cat: write: %s\n", strerror(errno));
            rc = 1;
        }
    }
    free(buf);
    zf_nc_free(f);
    return rc;
}

typedef struct cat_args {
    uint64_t off, len, threads;
    int stats, order_f, nc;
    const char *pos[2]; /* STORE, ARRAY */
    zf_remote_options remote;
} cat_args;

enum { OPT_OFFSET = 256, OPT_LENGTH, OPT_THREADS, OPT_STATS, OPT_ORDER,
       OPT_NC };

static const struct option cat_options[] = {
    {"offset", required_argument, NULL, OPT_OFFSET},
    {"length", required_argument, NULL, OPT_LENGTH},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"stats", no_argument, NULL, OPT_STATS},
    {"order", required_argument, NULL, OPT_ORDER},
    {"nc", no_argument, NULL, OPT_NC},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

/* One option getopt_long returned; -1 to go on, else the exit status. */
static int cat_option(cat_args *a, int c, char **argv)
{
    char msg[128];
    uint64_t *num = c == OPT_OFFSET ? &a->off : c == OPT_LENGTH ? &a->len
                                                                : &a->threads;
    switch (c) {
    case 'h':
        usage(stdout);
        return 0;
    case 'V':
        zf_cli_version("zarrfs-cat");
        return 0;
    case 'o':
        return zf_cli_remote("zarrfs-cat", &a->remote, optarg) ? 2 : -1;
    case OPT_STATS:
        a->stats = 1;
        return -1;
    case OPT_NC:
        a->nc = 1;
        return -1;
    case OPT_ORDER:
        if (strcmp(optarg, "C") && strcmp(optarg, "F")) {
            fprintf(stderr, "zarrfs-cat: --order takes C or F\n");
            return 2;
        }
        a->order_f = optarg[0] == 'F';
        return -1;
    case OPT_OFFSET:
    case OPT_LENGTH:
    case OPT_THREADS:
        if (parse_u64(optarg, num) == 0)
            return -1;
        fprintf(stderr, "zarrfs-cat: --%s needs a non-negative integer\n",
                cat_options[c - OPT_OFFSET].name);
        return 2;
    default:
        zf_cli_refused(c, argv, msg, sizeof msg);
        fprintf(stderr, "zarrfs-cat: %s\n", msg);
        usage(stderr);
        return 2;
    }
}

/* -1 when the command line is good, else the exit status. */
static int cat_parse(cat_args *a, int argc, char **argv)
{
    int c, rc;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:hV", cat_options, NULL)) != -1)
        if ((rc = cat_option(a, c, argv)) >= 0)
            return rc;
    int npos = argc - optind;
    if (npos > 2) {
        fprintf(stderr, "zarrfs-cat: unexpected argument '%s'\n", argv[optind + 2]);
        usage(stderr);
        return 2;
    }
    if (npos < 1) {
        usage(stderr);
        return 2;
    }
    if (a->nc && a->order_f) {
        fprintf(stderr, "zarrfs-cat: --order does not apply to --nc\n");
        return 2;
    }
    a->pos[0] = argv[optind];
    a->pos[1] = npos > 1 ? argv[optind + 1] : NULL;
    return -1;
}

int main(int argc, char **argv)
{
    cat_args a = {.len = UINT64_MAX};
    zf_remote_options_init(&a.remote);
    int prc = cat_parse(&a, argc, argv);
    if (prc >= 0) {
        zf_remote_options_clear(&a.remote);
        return prc;
    }
    uint64_t off = a.off, len = a.len;
    zf_zarr *z;
    zf_err err;
    /* Blocks are large and double-buffered: prefetch would only add work. */
    zf_options opts = {.threads = (int)a.threads, .no_prefetch = 1,
                       .remote = &a.remote, .attributes = a.nc};
    zf_code oc = zf_open(a.pos[0], &opts, &z, &err);
    zf_remote_options_clear(&a.remote); /* the store keeps copies */
    if (oc != ZF_OK) {
        fprintf(stderr, "zarrfs-cat: %s\n", err.msg);
        return 1;
    }
    zf_array *arr;
    zf_selection sel;
    int use_sel = 0, rc = 1;
    if (a.nc)
        rc = cat_nc(z, a.pos[1] ? a.pos[1] : "", off, len);
    else if (open_array(z, a.pos[1] ? a.pos[1] : "", a.order_f, &arr, &sel,
                   &use_sel) == 0) {
        uint64_t size = use_sel ? zf_selection_nbytes(arr, &sel)
                                : zf_array_get_info(arr)->nbytes;
        if (off > size)
            off = size;
        if (len > size - off)
            len = size - off;
        rc = cat(arr, use_sel ? &sel : NULL, off, len);
    }
    if (a.stats) {
        zf_stats s;
        char buf[512];
        zf_get_stats(z, &s);
        zf_stats_json(&s, buf, sizeof buf);
        fprintf(stderr, "%s\n", buf);
    }
    zf_close(z);
    return rc;
}
