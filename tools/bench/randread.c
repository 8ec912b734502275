/*
 * zf-bench-randread - random reads of one file, for tools/bench/run.sh:
 * N reads of LEN bytes at offsets that are multiples of LEN, drawn from a
 * fixed seed over the whole file, on an fd with POSIX_FADV_RANDOM (so the
 * kernel reads no more than the pages asked for).  Each read's latency is
 * measured; prints "median_us p99_us mean_us" on stdout and writes the
 * offsets, one a line, to OFFSETS.
 *
 * usage: zf-bench-randread FILE N LEN SEED OFFSETS
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: zf-bench-randread FILE N LEN SEED OFFSETS\n");
        return 2;
    }
    long n = atol(argv[2]);
    size_t len = (size_t)atol(argv[3]);
    uint64_t s = strtoull(argv[4], NULL, 10);
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    FILE *out = fopen(argv[5], "w");
    char *buf = malloc(len);
    double *lat = malloc((size_t)n * sizeof *lat);
    if (fd < 0 || fstat(fd, &st) != 0 || !out || !buf || !lat || n < 1 ||
        len == 0 || (uint64_t)st.st_size < len) {
        perror(argv[1]);
        return 1;
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
    uint64_t slots = (uint64_t)st.st_size / len;
    double sum = 0;
    for (long i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull; /* LCG */
        uint64_t off = ((s >> 17) % slots) * len;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        ssize_t got = pread(fd, buf, len, (off_t)off);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (got != (ssize_t)len) {
            perror("pread");
            return 1;
        }
        lat[i] = (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3;
        sum += lat[i];
        fprintf(out, "%llu\n", (unsigned long long)off);
    }
    qsort(lat, (size_t)n, sizeof *lat, cmp_double);
    long p99 = (long)((n - 1) * 0.99 + 0.5);
    printf("%.1f %.1f %.1f\n", lat[n / 2], lat[p99], sum / n);
    fclose(out);
    close(fd);
    free(lat); /* so that a sanitizer build's leak check passes */
    free(buf);
    return 0;
}
