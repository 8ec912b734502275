/*
 * zarrfs-cat - writes a byte range of an array's flat view (C order, native
 * byte order) to stdout.  The range is read in blocks aligned to rows of
 * chunks, so no chunk is decoded twice; the next block is decoded on the
 * engine's threads while the current one is written.
 * ARRAY may carry a selection, ARRAY[EXPR] (NumPy basic indexing) and/or an
 * order, ARRAY@F, as the mount's virtual files do; then the bytes are those
 * of that subarray's flat view, read in blocks of MIN_BLOCK.
 * Exit status: 0; 1 with the engine's message on any error; 2 for bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "zarrfs/zarrfs.h"

#define MIN_BLOCK ((uint64_t)32 << 20)
#define MAX_BLOCK ((uint64_t)512 << 20)

static void usage(FILE *f)
{
    fputs("usage: zarrfs-cat [--offset N] [--length N] [--threads N] [--stats]\n"
          "                  [--order C|F] [-o OPTS] STORE [ARRAY[EXPR][@F]]\n"
          "\n"
          "Writes bytes [N, N+length) of the array's flat view (C order, native\n"
          "byte order) to stdout; by default the whole array.  ARRAY is the\n"
          "array's path in the store; leave it out when the store's root is an\n"
          "array.  ARRAY[EXPR] (or [EXPR] for a root array) selects a subarray\n"
          "as NumPy's a[EXPR] does ('temp[0:24,::-1,5]'); ARRAY@F or --order F\n"
          "writes it in Fortran order.  STORE is a folder or an http://,\n"
          "https:// or s3:// URL.\n"
          "\n"
          "  --offset N     the first byte to write (default: 0)\n"
          "  --length N     at most N bytes (default: to the end)\n"
          "  --threads N    decode threads (default: all cores)\n"
          "  --stats        print the engine's counters as JSON on stderr\n"
          "  --order C|F    the order of the elements (default: C)\n"
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

/* -o OPTS: remote options separated by commas; 0, or -1 with a message
 * (and r cleared). */
static int parse_remote_opts(zf_remote_options *r, const char *list)
{
    zf_err e = {0};
    if (zf_remote_options_parse(r, list, &e) == ZF_OK)
        return 0;
    fprintf(stderr, "zarrfs-cat: -o: %s\n", e.msg);
    zf_remote_options_clear(r);
    return -1;
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

int main(int argc, char **argv)
{
    uint64_t off = 0, len = UINT64_MAX, threads = 0;
    int stats = 0, order_f = 0;
    const char *pos[2] = {NULL, NULL};
    zf_remote_options remote;
    zf_remote_options_init(&remote);
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = NULL;
        char name[32] = "";
        const char *eq = strchr(arg, '=');
        if (!strncmp(arg, "--", 2) && eq && eq - arg < (long)sizeof name) {
            memcpy(name, arg, (size_t)(eq - arg));
            val = eq + 1;
        } else if (!strncmp(arg, "--", 2))
            snprintf(name, sizeof name, "%s", arg);
        int takes = !strcmp(name, "--offset") || !strcmp(name, "--length") ||
                    !strcmp(name, "--threads");
        if (takes && !val && i + 1 < argc)
            val = argv[++i];
        uint64_t v = 0;
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(arg, "-V") || !strcmp(arg, "--version")) {
            printf("zarrfs-cat version %s\n", ZF_VERSION);
            return 0;
        } else if (!strcmp(arg, "--stats"))
            stats = 1;
        else if (!strcmp(name, "--order")) {
            const char *o = val ? val : i + 1 < argc ? argv[++i] : "";
            if (strcmp(o, "C") && strcmp(o, "F")) {
                fprintf(stderr, "zarrfs-cat: --order takes C or F\n");
                return 2;
            }
            order_f = o[0] == 'F';
        } else if (!strcmp(arg, "-o") && i + 1 < argc) {
            if (parse_remote_opts(&remote, argv[++i]) != 0)
                return 2;
        }
        else if (takes && (!val || parse_u64(val, &v))) {
            fprintf(stderr, "zarrfs-cat: %s needs a non-negative integer\n", name);
            return 2;
        } else if (takes)
            *(!strcmp(name, "--offset") ? &off : !strcmp(name, "--length") ? &len
                                                                           : &threads) = v;
        else if (arg[0] == '-' || npos == 2) {
            fprintf(stderr, "zarrfs-cat: unexpected argument '%s'\n", arg);
            usage(stderr);
            return 2;
        } else
            pos[npos++] = arg;
    }
    if (npos < 1) {
        usage(stderr);
        return 2;
    }
    zf_zarr *z;
    zf_err err;
    /* Blocks are large and double-buffered: prefetch would only add work. */
    zf_options opts = {.threads = (int)threads, .no_prefetch = 1,
                       .remote = &remote};
    zf_code oc = zf_open(pos[0], &opts, &z, &err);
    zf_remote_options_clear(&remote); /* the store keeps copies */
    if (oc != ZF_OK) {
        fprintf(stderr, "zarrfs-cat: %s\n", err.msg);
        return 1;
    }
    zf_array *a;
    zf_selection sel;
    int use_sel = 0, rc = 1;
    if (open_array(z, pos[1] ? pos[1] : "", order_f, &a, &sel, &use_sel) == 0) {
        uint64_t size = use_sel ? zf_selection_nbytes(a, &sel)
                                : zf_array_get_info(a)->nbytes;
        if (off > size)
            off = size;
        if (len > size - off)
            len = size - off;
        rc = cat(a, use_sel ? &sel : NULL, off, len);
    }
    if (stats) {
        zf_stats s;
        char buf[512];
        zf_get_stats(z, &s);
        zf_stats_json(&s, buf, sizeof buf);
        fprintf(stderr, "%s\n", buf);
    }
    zf_close(z);
    return rc;
}
