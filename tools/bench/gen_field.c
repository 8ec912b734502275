/*
 * zf-gen-field - writes a synthetic 3-d uint16 volume to stdout: a smooth
 * field (sums of sines, values about 5000..55000, periods of 1000 to 1650
 * elements) plus pseudo-random noise, C order, little endian.  The noise amplitude sets how well it compresses
 * (the default gives about 1.5x with zstd level 3 on 64^3 chunks).  The
 * output is a function of the arguments only (fixed PRNG, no libm
 * differences that matter: the field is rounded to integers).
 *
 * usage: zf-gen-field [--size N] [--noise SIGMA] [--seed S] > volume.raw
 *   --size N     N x N x N elements (default 512: 256 MiB)
 *   --noise SIGMA  standard deviation of the (near-Gaussian) noise
 *                (default 3)
 *   --seed S     PRNG seed (default 20240601)
 * Exit status: 0; 1 on a write error; 2 for bad usage.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng_state;

/* splitmix64: small, fast and good enough for noise. */
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Near-Gaussian noise of unit variance: the sum of four 16-bit uniforms
 * (Irwin-Hall), centred and scaled. */
static double noise_unit(void)
{
    uint64_t r = rng_next();
    double s = (double)(r & 0xFFFF) + (double)((r >> 16) & 0xFFFF) +
               (double)((r >> 32) & 0xFFFF) + (double)(r >> 48);
    /* mean 4 * 32767.5, variance 4 * (65536^2 - 1) / 12 */
    return (s - 131070.0) / 37837.2;
}

static int write_all(const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(STDOUT_FILENO, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: zf-gen-field [--size N] [--noise SIGMA] "
                    "[--seed S] > volume.raw\n");
    return 2;
}

int main(int argc, char **argv)
{
    long n = 512;
    double sigma = 3.0;
    unsigned long long seed = 20240601;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            return usage();
        char *end;
        if (!strcmp(argv[i], "--size"))
            n = strtol(argv[++i], &end, 10);
        else if (!strcmp(argv[i], "--noise"))
            sigma = strtod(argv[++i], &end);
        else if (!strcmp(argv[i], "--seed"))
            seed = strtoull(argv[++i], &end, 10);
        else
            return usage();
        if (*end || n < 1 || n > 8192 || sigma < 0)
            return usage();
    }
    if (isatty(STDOUT_FILENO)) {
        fprintf(stderr, "zf-gen-field: stdout is a terminal: redirect it\n");
        return 2;
    }
    rng_state = seed;
    /* Tables of each term along its axis (or axis difference). */
    double *sk = malloc(n * sizeof *sk), *cy = malloc(n * sizeof *cy);
    double *sxk = malloc(2 * n * sizeof *sxk), *cxy = malloc(2 * n * sizeof *cxy);
    uint16_t *plane = malloc((size_t)n * n * sizeof *plane);
    if (!sk || !cy || !sxk || !cxy || !plane) {
        fprintf(stderr, "zf-gen-field: out of memory\n");
        return 1;
    }
    for (long i = 0; i < n; i++) {
        sk[i] = 12000.0 * sin(i / 161.0);
        cy[i] = cos(i / 197.0);
    }
    for (long i = 0; i < 2 * n; i++) {
        sxk[i] = 9000.0 * sin(i / 263.0);        /* (x + k) */
        cxy[i] = 4000.0 * cos((i - n) / 211.0);  /* (x - y) + n */
    }
    for (long k = 0; k < n; k++) {
        for (long y = 0; y < n; y++) {
            uint16_t *row = plane + y * n;
            double base = 30000.0 + sk[k] * cy[y];
            for (long x = 0; x < n; x++) {
                double v = base + sxk[x + k] + cxy[x - y + n] +
                           sigma * noise_unit();
                v = v < 0 ? 0 : v > 65535 ? 65535 : v;
                uint16_t u = (uint16_t)lrint(v);
                uint8_t *b = (uint8_t *)&row[x]; /* little endian */
                b[0] = (uint8_t)(u & 0xFF);
                b[1] = (uint8_t)(u >> 8);
            }
        }
        if (write_all(plane, (size_t)n * n * sizeof *plane) != 0) {
            fprintf(stderr, "zf-gen-field: write: %s\n", strerror(errno));
            return 1;
        }
    }
    free(sk);
    free(cy);
    free(sxk);
    free(cxy);
    free(plane);
    return 0;
}
