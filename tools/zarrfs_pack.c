/*
 * zarrfs-pack - writes a flat C-order little-endian file (or stdin) as a new
 * Zarr v3 array, optionally sharded, compressed on all cores.
 *
 * A thin front end to zf_pack: this file only parses the command line and
 * draws the progress line.  Exit status: 0 done, 1 the pack failed (the
 * engine's message), 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_common.h"
#include "zarrfs/zarrfs.h"

#define PROG "zarrfs-pack"

static const char usage_text[] =
    "usage: " PROG " --shape S --dtype T --chunks C [--shards H]\n"
    "                   [--codec zstd[:LEVEL]|gzip[:LEVEL]|none] [--crc32c]\n"
    "                   [--index-location start|end] [--endian little|big]\n"
    "                   [--threads N] [--progress] INPUT OUTPUT\n"
    "\n"
    "Reads INPUT (a flat C-order little-endian file; - for stdin) and writes a\n"
    "new Zarr v3 array to the folder OUTPUT (which must not exist or be empty).\n"
    "\n"
    "  --shape S           the array shape, e.g. 512,512,512 or 512x512x512\n"
    "  --dtype T           bool, int8..int64, uint8..uint64, float16, float32,\n"
    "                      float64, complex64, complex128\n"
    "  --chunks C          the chunk shape (the inner chunks when sharded)\n"
    "  --shards H          write shards of shape H (a multiple of C)\n"
    "  --codec CODEC       zstd (default), gzip or none; zstd:LEVEL (0..22),\n"
    "                      gzip:LEVEL (0..9)\n"
    "  --crc32c            add a crc32c checksum to every chunk (and index)\n"
    "  --index-location L  where a shard keeps its index: end (default), start\n"
    "  --endian E          byte order of the stored chunks: little (default), big\n"
    "  --threads N         compression threads (default: all cores)\n"
    "  --progress          show progress on stderr even when it is not a\n"
    "                      terminal (on a terminal it is always shown): one\n"
    "                      line redrawn with \\r, at most 4 times a second:\n"
    "                      bytes read, chunks written, MB/s, ETA\n"
    "  -h, --help          show this help\n"
    "  -V, --version       print the version\n"
    "\n"
    "Options take their value as --opt value or --opt=value.\n";

typedef struct cli {
    zf_pack_options o;
    const char *shape, *chunks, *shards, *input, *output;
    int nshape, nchunks, nshards;
    int progress; /* --progress */
} cli;

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", PROG);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help'.\n", PROG);
    exit(2);
}

/* "512,512,512", "512x512x512" or "" (a scalar); returns the rank. */
static int parse_shape(const char *what, const char *s, uint64_t *out)
{
    int n = 0;
    if (*s == '\0')
        return 0;
    for (;;) {
        char *end;
        if (*s < '0' || *s > '9')
            usage_error("%s: '%s' is not a list of numbers", what, s);
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno)
            usage_error("%s: a number is too large", what);
        if (n == ZF_MAX_DIMS)
            usage_error("%s: more than %d dimensions", what, ZF_MAX_DIMS);
        out[n++] = v;
        if (*end == '\0')
            return n;
        if (*end != ',' && *end != 'x' && *end != 'X')
            usage_error("%s: unexpected '%c'", what, *end);
        s = end + 1;
    }
}

static int parse_int(const char *what, const char *s, int lo, int hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        usage_error("%s: '%s' is not a number in %d..%d", what, s, lo, hi);
    return (int)v;
}

static void parse_codec(cli *c, const char *v)
{
    const char *colon = strchr(v, ':');
    size_t n = colon ? (size_t)(colon - v) : strlen(v);
    if (n == 4 && strncmp(v, "zstd", 4) == 0)
        c->o.codec = ZF_PACK_ZSTD;
    else if (n == 4 && strncmp(v, "gzip", 4) == 0)
        c->o.codec = ZF_PACK_GZIP;
    else if (strcmp(v, "none") == 0)
        c->o.codec = ZF_PACK_NONE;
    else
        usage_error("--codec: unknown codec '%s' (zstd, gzip or none)", v);
    if (colon)
        c->o.level = parse_int("--codec level", colon + 1, 0,
                               c->o.codec == ZF_PACK_ZSTD ? 22 : 9);
}

static void set_choice(const char *opt, const char *v, const char *a,
                       const char *b, int *out)
{
    if (strcmp(v, a) == 0)
        *out = 1;
    else if (strcmp(v, b) == 0)
        *out = 0;
    else
        usage_error("%s: '%s' is neither %s nor %s", opt, v, a, b);
}

enum { OPT_SHAPE = 256, OPT_DTYPE, OPT_CHUNKS, OPT_SHARDS, OPT_CODEC,
       OPT_INDEX, OPT_ENDIAN, OPT_THREADS, OPT_CRC32C, OPT_PROGRESS };

static const struct option pack_options[] = {
    {"shape", required_argument, NULL, OPT_SHAPE},
    {"dtype", required_argument, NULL, OPT_DTYPE},
    {"chunks", required_argument, NULL, OPT_CHUNKS},
    {"shards", required_argument, NULL, OPT_SHARDS},
    {"codec", required_argument, NULL, OPT_CODEC},
    {"index-location", required_argument, NULL, OPT_INDEX},
    {"endian", required_argument, NULL, OPT_ENDIAN},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"crc32c", no_argument, NULL, OPT_CRC32C},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

/* One option getopt_long returned (its value in optarg). */
static void apply_option(cli *c, int opt, char **argv)
{
    char msg[128];
    switch (opt) {
    case 'h': fputs(usage_text, stdout); exit(0);
    case 'V': zf_cli_version(PROG); exit(0);
    case OPT_SHAPE: c->shape = optarg; break;
    case OPT_DTYPE: c->o.dtype = optarg; break;
    case OPT_CHUNKS: c->chunks = optarg; break;
    case OPT_SHARDS: c->shards = optarg; break;
    case OPT_CODEC: parse_codec(c, optarg); break;
    case OPT_INDEX:
        set_choice("--index-location", optarg, "start", "end",
                   &c->o.index_at_start);
        break;
    case OPT_ENDIAN:
        set_choice("--endian", optarg, "big", "little", &c->o.big_endian);
        break;
    case OPT_THREADS: c->o.threads = parse_int("--threads", optarg, 1, 1024); break;
    case OPT_CRC32C: c->o.crc32c = 1; break;
    case OPT_PROGRESS: c->progress = 1; break;
    default:
        zf_cli_refused(opt, argv, msg, sizeof msg);
        usage_error("%s", msg);
    }
}

static void parse_args(cli *c, int argc, char **argv)
{
    int opt;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":hV", pack_options, NULL)) != -1)
        apply_option(c, opt, argv);
    if (argc - optind > 2)
        usage_error("unexpected argument '%s'", argv[optind + 2]);
    if (argc - optind < 2)
        usage_error("INPUT and OUTPUT are required");
    c->input = argv[optind];
    c->output = argv[optind + 1];
}

/* The Zarr v3 core names: a wrong one is bad usage, not a failed pack. */
static void check_dtype(const char *t)
{
    static const char *const names[] = {
        "bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
        "uint32", "uint64", "float16", "float32", "float64", "complex64",
        "complex128"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(t, names[i]) == 0)
            return;
    usage_error("--dtype: unknown data type '%s'", t);
}

/* Ranks, chunk sizes and the shard multiple are usage errors (exit 2),
 * caught here before any input is read. */
static void check_shapes(cli *c)
{
    if (!c->shape || !c->o.dtype || !c->chunks)
        usage_error("--shape, --dtype and --chunks are required");
    check_dtype(c->o.dtype);
    c->o.ndim = c->nshape = parse_shape("--shape", c->shape, c->o.shape);
    c->nchunks = parse_shape("--chunks", c->chunks, c->o.chunks);
    if (c->nchunks != c->nshape)
        usage_error("--chunks has %d dimensions, --shape has %d", c->nchunks,
                    c->nshape);
    for (int d = 0; d < c->nshape; d++)
        if (c->o.chunks[d] == 0)
            usage_error("--chunks: dimension %d is 0 (chunks must be at least 1)",
                        d);
    if (!c->shards)
        return;
    c->o.sharded = 1;
    c->nshards = parse_shape("--shards", c->shards, c->o.shards);
    if (c->nshards != c->nshape)
        usage_error("--shards has %d dimensions, --shape has %d", c->nshards,
                    c->nshape);
    for (int d = 0; d < c->nshape; d++)
        if (c->o.shards[d] == 0 || c->o.shards[d] % c->o.chunks[d] != 0)
            usage_error("--shards: dimension %d is %" PRIu64 ", not a multiple "
                        "of the chunk's %" PRIu64, d, c->o.shards[d],
                        c->o.chunks[d]);
}

/* ---- progress ------------------------------------------------------------
 * One line on stderr, redrawn with '\r' at most 4 times a second, and drawn
 * a last time, with a newline, when the pack is done.  zf_pack reports the
 * bytes read after each slab, whose chunks are then written: the chunks
 * written are the chunks of the whole rows of chunks read so far. */

typedef struct meter {
    uint64_t rows;          /* the array's extent along dimension 0 */
    uint64_t chunk_rows;    /* the chunk's extent along dimension 0 */
    uint64_t row_chunks;    /* chunks in one row of chunks */
    uint64_t done, total;   /* bytes, as zf_pack last reported them */
    double start, drawn;    /* seconds: the start, the last line drawn */
    int width;              /* characters of the last line drawn */
} meter;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void meter_init(meter *m, const zf_pack_options *o)
{
    *m = (meter){.rows = 1, .chunk_rows = 1, .row_chunks = 1};
    for (int d = 0; d < o->ndim; d++) {
        uint64_t n = o->shape[d] / o->chunks[d] +
                     (o->shape[d] % o->chunks[d] != 0);
        if (d == 0) {
            m->rows = o->shape[0];
            m->chunk_rows = o->chunks[0];
        } else {
            m->row_chunks *= n;
        }
    }
    m->start = m->drawn = now();
}

static uint64_t meter_chunks(const meter *m, uint64_t done, uint64_t total)
{
    if (total == 0 || m->rows == 0)
        return 0;
    uint64_t rows = done / (total / m->rows); /* total is rows x row bytes */
    return (rows / m->chunk_rows + (rows % m->chunk_rows != 0)) * m->row_chunks;
}

/* "12.5 MiB"-style numbers share the unit the total needs. */
static const char *meter_unit(uint64_t total, double *scale)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    *scale = 1;
    while (u < 4 && (double)total >= *scale * 1024) {
        *scale *= 1024;
        u++;
    }
    return units[u];
}

/* "0.4 s", "17 s", "3:05", "1:02:03". */
static void meter_time(char *out, size_t n, double secs)
{
    unsigned long s = (unsigned long)(secs + 0.5);
    if (secs < 9.95)
        snprintf(out, n, "%.1f s", secs);
    else if (s < 60)
        snprintf(out, n, "%lu s", s);
    else if (s < 3600)
        snprintf(out, n, "%lu:%02lu", s / 60, s % 60);
    else
        snprintf(out, n, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
}

static void meter_draw(meter *m, uint64_t done, uint64_t total, int last)
{
    double t = now(), secs = t - m->start, scale;
    const char *unit = meter_unit(total, &scale);
    double rate = secs > 0 ? (double)done / secs : 0;
    char when[32] = "";
    if (last)
        meter_time(when, sizeof when, secs);
    else if (rate > 0)
        meter_time(when, sizeof when, (double)(total - done) / rate);
    int n = fprintf(stderr, "\r%s: %.1f/%.1f %s read (%d%%), %" PRIu64
                    " chunks written, %.1f MB/s, %s%s", PROG,
                    (double)done / scale, (double)total / scale, unit,
                    total ? (int)(100.0 * (double)done / (double)total) : 100,
                    meter_chunks(m, done, total), rate / 1e6,
                    last ? "done in " : when[0] ? "ETA " : "ETA unknown", when);
    if (n > 0 && n < m->width) /* blank what the last line had beyond this */
        fprintf(stderr, "%*s", m->width - n, "");
    if (last)
        fputc('\n', stderr);
    fflush(stderr);
    m->width = n;
    m->drawn = t;
}

static void progress(void *arg, uint64_t done, uint64_t total)
{
    meter *m = arg;
    m->done = done;
    m->total = total;
    if (done < total && now() - m->drawn >= 0.25)
        meter_draw(m, done, total, 0);
}

int main(int argc, char **argv)
{
    cli c = {.o = {.codec = ZF_PACK_ZSTD, .level = -1}};
    meter m;
    parse_args(&c, argc, argv);
    check_shapes(&c);
    int fd = strcmp(c.input, "-") == 0 ? STDIN_FILENO
                                       : open(c.input, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "%s: %s: %s\n", PROG, c.input, strerror(errno));
        return 1;
    }
    if (c.progress || isatty(STDERR_FILENO)) {
        meter_init(&m, &c.o);
        c.o.progress = progress;
        c.o.progress_arg = &m;
    }
    zf_err err = {0};
    zf_code rc = zf_pack(&c.o, fd, c.output, &err);
    if (fd != STDIN_FILENO)
        close(fd);
    if (rc != ZF_OK) {
        if (c.o.progress && m.width > 0) /* the message on a line of its own */
            fputc('\n', stderr);
        fprintf(stderr, "%s: %s\n", PROG, err.msg);
        return 1;
    }
    if (c.o.progress)
        meter_draw(&m, m.done, m.total, 1);
    return 0;
}
