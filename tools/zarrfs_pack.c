/*
 * zarrfs-pack - writes a flat C-order little-endian file (or stdin) as a new
 * Zarr v3 array, optionally sharded, compressed on all cores.
 *
 * A thin front end to zf_pack: this file only parses the command line and
 * draws the progress bar.  Exit status: 0 done, 1 the pack failed (the
 * engine's message), 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zarrfs/zarrfs.h"

#define PROG "zarrfs-pack"

static const char usage_text[] =
    "usage: " PROG " --shape S --dtype T --chunks C [--shards H]\n"
    "                   [--codec zstd[:LEVEL]|gzip[:LEVEL]|none] [--crc32c]\n"
    "                   [--index-location start|end] [--endian little|big]\n"
    "                   [--threads N] INPUT OUTPUT\n"
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
    "  -h, --help          show this help\n"
    "\n"
    "Options take their value as --opt value or --opt=value.\n";

typedef struct cli {
    zf_pack_options o;
    const char *shape, *chunks, *shards, *input, *output;
    int nshape, nchunks, nshards;
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

static const char *const value_options[] = {
    "--shape", "--dtype", "--chunks", "--shards", "--codec",
    "--index-location", "--endian", "--threads"};

/* One option and its value (NULL when the command line ended first). */
static void apply_option(cli *c, const char *name, const char *v)
{
    int known = 0;
    for (size_t i = 0; i < sizeof value_options / sizeof *value_options; i++)
        known |= strcmp(name, value_options[i]) == 0;
    if (!known)
        usage_error(strcmp(name, "--crc32c") == 0 ? "'%s' takes no value"
                                                  : "unknown option '%s'", name);
    if (!v)
        usage_error("option '%s' needs a value", name);
    if (strcmp(name, "--shape") == 0)
        c->shape = v;
    else if (strcmp(name, "--dtype") == 0)
        c->o.dtype = v;
    else if (strcmp(name, "--chunks") == 0)
        c->chunks = v;
    else if (strcmp(name, "--shards") == 0)
        c->shards = v;
    else if (strcmp(name, "--codec") == 0)
        parse_codec(c, v);
    else if (strcmp(name, "--index-location") == 0)
        set_choice(name, v, "start", "end", &c->o.index_at_start);
    else if (strcmp(name, "--endian") == 0)
        set_choice(name, v, "big", "little", &c->o.big_endian);
    else
        c->o.threads = parse_int(name, v, 1, 1024);
}

static void parse_args(cli *c, int argc, char **argv)
{
    int npos = 0, only_pos = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_pos || a[0] != '-' || strcmp(a, "-") == 0) {
            if (npos == 2)
                usage_error("unexpected argument '%s'", a);
            *(npos++ ? &c->output : &c->input) = a;
        } else if (strcmp(a, "--") == 0) {
            only_pos = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            exit(0);
        } else if (strcmp(a, "--crc32c") == 0) {
            c->o.crc32c = 1;
        } else {
            char *eq = strchr(a, '=');
            if (eq) {
                *eq = '\0';
                apply_option(c, a, eq + 1);
            } else if (i + 1 < argc) {
                apply_option(c, a, argv[++i]);
            } else {
                apply_option(c, a, NULL);
            }
        }
    }
    if (npos < 2)
        usage_error("INPUT and OUTPUT are required");
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

/* A one-line bar redrawn in place; only called when stderr is a terminal. */
static void progress(void *arg, uint64_t done, uint64_t total)
{
    (void)arg;
    enum { WIDTH = 40 };
    int fill = total ? (int)((double)done / (double)total * WIDTH) : WIDTH;
    char bar[WIDTH + 1];
    memset(bar, '#', (size_t)fill);
    memset(bar + fill, ' ', (size_t)(WIDTH - fill));
    bar[WIDTH] = '\0';
    fprintf(stderr, "\r[%s] %3d%%  %.1f / %.1f MiB", bar,
            total ? (int)(100.0 * (double)done / (double)total) : 100,
            (double)done / 1048576.0, (double)total / 1048576.0);
    if (done >= total)
        fputc('\n', stderr);
    fflush(stderr);
}

int main(int argc, char **argv)
{
    cli c = {.o = {.codec = ZF_PACK_ZSTD, .level = -1}};
    parse_args(&c, argc, argv);
    check_shapes(&c);
    if (isatty(STDERR_FILENO))
        c.o.progress = progress;
    int fd = strcmp(c.input, "-") == 0 ? STDIN_FILENO
                                       : open(c.input, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "%s: %s: %s\n", PROG, c.input, strerror(errno));
        return 1;
    }
    zf_err err = {0};
    zf_code rc = zf_pack(&c.o, fd, c.output, &err);
    if (fd != STDIN_FILENO)
        close(fd);
    if (rc != ZF_OK) {
        fprintf(stderr, "%s: %s\n", PROG, err.msg);
        return 1;
    }
    return 0;
}
