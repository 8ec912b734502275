/*
 * mount_check.c - byte comparisons of a mounted zarrfs file against its
 * expected flat content, for the tests/sh/mount_*.sh tests.
 *
 *   zf_mount_check compare FILE EXPECTED
 *       mmap(MAP_SHARED) of the whole file, then pread at unaligned offsets
 *       and lengths (and past the end: 0 bytes), each against EXPECTED.
 *   zf_mount_check random FILE EXPECTED PROCS READS
 *       PROCS processes at once, each doing READS preads of random ranges
 *       (dropping the file's page cache now and then so reads reach the
 *       file system), all compared against EXPECTED.
 *   zf_mount_check xattr FILE NAME
 *       getxattr with size 0 (the length), with a buffer one byte short
 *       (must fail with ERANGE) and with the exact size; prints the value.
 *
 * Prints one line saying what differed; exits 0 when everything matched, 1
 * on a difference, 2 on bad usage or an I/O error.  Plain POSIX, no engine.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

/* A whole file read into memory. */
typedef struct zf_blob {
    unsigned char *data;
    size_t size;
} zf_blob;

static int zf_load(const char *path, zf_blob *out)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    out->size = (size_t)st.st_size;
    out->data = malloc(out->size ? out->size : 1);
    size_t got = 0;
    while (out->data && got < out->size) {
        ssize_t n = read(fd, out->data + got, out->size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (!out->data || got != out->size) {
        fprintf(stderr, "%s: short read\n", path);
        return -1;
    }
    return 0;
}

/* preads [off, off+len) of fd and compares with the expected bytes, which
 * end at exp->size (a read past it must return only what exists). */
static int zf_check_range(int fd, const char *path, const zf_blob *exp,
                          uint64_t off, size_t len, unsigned char *buf)
{
    size_t want = off >= exp->size ? 0
                  : exp->size - off < len ? exp->size - off : len;
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, (off_t)(off + got));
        if (n < 0) {
            printf("%s: pread(%zu, %llu): %s\n", path, len,
                   (unsigned long long)off, strerror(errno));
            return 2;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    if (got != want) {
        printf("%s: pread(%zu, %llu) gave %zu bytes, want %zu\n", path, len,
               (unsigned long long)off, got, want);
        return 1;
    }
    if (want && memcmp(buf, exp->data + off, want) != 0) {
        printf("%s: pread(%zu, %llu) differs from the expected bytes\n", path,
               len, (unsigned long long)off);
        return 1;
    }
    return 0;
}

static int zf_check_mmap(int fd, const char *path, const zf_blob *exp)
{
    if (exp->size == 0)
        return 0;
    void *p = mmap(NULL, exp->size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        printf("%s: mmap(MAP_SHARED): %s\n", path, strerror(errno));
        return 2;
    }
    int rc = memcmp(p, exp->data, exp->size) != 0;
    if (rc)
        printf("%s: mmap differs from the expected bytes\n", path);
    munmap(p, exp->size);
    return rc;
}

static int zf_cmd_compare(const char *path, const zf_blob *exp)
{
    static const uint64_t offs[] = {0, 1, 3, 7, 511, 4095, 4097, 65537};
    static const size_t lens[] = {1, 2, 3, 13, 4093, 65539, 1048579};
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        printf("%s: %s\n", path, strerror(errno));
        return 2;
    }
    int rc = (uint64_t)st.st_size == exp->size ? 0 : 1;
    if (rc)
        printf("%s: size %lld, want %zu\n", path, (long long)st.st_size,
               exp->size);
    if (!rc)
        rc = zf_check_mmap(fd, path, exp);
    unsigned char *buf = malloc(lens[6] + 1);
    uint64_t tail[] = {exp->size / 3 + 1, exp->size ? exp->size - 1 : 0,
                       exp->size, exp->size + 100};
    for (size_t i = 0; !rc && buf && i < sizeof offs / sizeof *offs; i++)
        for (size_t j = 0; !rc && j < sizeof lens / sizeof *lens; j++)
            rc = zf_check_range(fd, path, exp, offs[i], lens[j], buf);
    for (size_t i = 0; !rc && buf && i < 4; i++)
        for (size_t j = 0; !rc && j < sizeof lens / sizeof *lens; j++)
            rc = zf_check_range(fd, path, exp, tail[i], lens[j], buf);
    free(buf);
    close(fd);
    return rc;
}

/* One reader process: `reads` random ranges; returns its exit status. */
static int zf_reader(const char *path, const zf_blob *exp, long reads,
                     unsigned seed)
{
    int fd = open(path, O_RDONLY);
    size_t max = exp->size < (4u << 20) ? exp->size + 1 : (4u << 20);
    unsigned char *buf = malloc(max);
    if (fd < 0 || !buf) {
        printf("%s: %s\n", path, strerror(errno));
        return 2;
    }
    srandom(seed);
    int rc = 0;
    for (long i = 0; !rc && i < reads; i++) {
        if (i % 16 == 0)
            posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        uint64_t off = (uint64_t)random() % (exp->size + 1);
        size_t len = 1 + (size_t)random() % max;
        rc = zf_check_range(fd, path, exp, off, len, buf);
    }
    free(buf);
    close(fd);
    return rc;
}

static int zf_cmd_random(const char *path, const zf_blob *exp, int procs,
                         long reads)
{
    for (int p = 0; p < procs; p++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0) {
            fflush(stdout);
            _exit(zf_reader(path, exp, reads, 7919u * (unsigned)p + 1));
        }
    }
    int rc = 0;
    for (int p = 0; p < procs; p++) {
        int status = 0;
        if (wait(&status) < 0 || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            rc = rc ? rc : 1;
    }
    return rc;
}

static int zf_cmd_xattr(const char *path, const char *name)
{
    ssize_t len = getxattr(path, name, NULL, 0);
    if (len < 0) {
        printf("%s: getxattr(%s, size 0): %s\n", path, name, strerror(errno));
        return 1;
    }
    char *buf = malloc((size_t)len + 1);
    if (!buf)
        return 2;
    int rc = 0;
    if (len > 0 && (getxattr(path, name, buf, (size_t)len - 1) != -1 ||
                    errno != ERANGE)) {
        printf("%s: getxattr(%s) with a short buffer did not give ERANGE\n",
               path, name);
        rc = 1;
    }
    if (!rc && getxattr(path, name, buf, (size_t)len) != len) {
        printf("%s: getxattr(%s) did not give %zd bytes\n", path, name, len);
        rc = 1;
    }
    if (!rc)
        fwrite(buf, 1, (size_t)len, stdout);
    free(buf);
    return rc;
}

static int zf_usage(void)
{
    fprintf(stderr, "usage: zf_mount_check compare FILE EXPECTED\n"
                    "       zf_mount_check random FILE EXPECTED PROCS READS\n"
                    "       zf_mount_check xattr FILE NAME\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "xattr") == 0)
        return zf_cmd_xattr(argv[2], argv[3]);
    if (argc < 4)
        return zf_usage();
    zf_blob exp = {0};
    if (zf_load(argv[3], &exp) != 0)
        return 2;
    int rc;
    if (strcmp(argv[1], "compare") == 0 && argc == 4)
        rc = zf_cmd_compare(argv[2], &exp);
    else if (strcmp(argv[1], "random") == 0 && argc == 6)
        rc = zf_cmd_random(argv[2], &exp, atoi(argv[4]), atol(argv[5]));
    else
        rc = zf_usage();
    free(exp.data);
    return rc;
}
