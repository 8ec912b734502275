/*
 * pack_io.c - the file system side of zf_pack (see pack_io.h): the output
 * folder, chunk and metadata files, and reading the input.
 * Thread safety: zf_pack_write_file may run on any number of threads at once
 * (folders another thread made first are fine); the others are called by
 * zf_pack's thread.  Nothing here keeps state.  Errors: ZF_EIO or ZF_EINVAL
 * with a message naming the path (or "input") and the system's reason.
 */
#include "pack_io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p on a writable copy of path; folders that exist are fine. */
static int mkdirs(char *path)
{
    for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        int r = mkdir(path, 0777);
        *s = '/';
        if (r != 0 && errno != EEXIST)
            return -1;
    }
    return mkdir(path, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

static int dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int empty = 1;
    if (!d)
        return -1;
    while (empty && (e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = 0;
    closedir(d);
    return empty;
}

zf_code zf_pack_prepare_dir(const char *out_dir, zf_err *err)
{
    struct stat st;
    if (!out_dir || !*out_dir)
        return zf_err_set(err, ZF_EINVAL, "no output folder given");
    if (stat(out_dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return zf_err_set(err, ZF_EINVAL, "%s: exists and is not a folder",
                              out_dir);
        int e = dir_is_empty(out_dir);
        if (e < 0)
            return zf_err_set(err, ZF_EIO, "%s: %s", out_dir, strerror(errno));
        if (!e)
            return zf_err_set(err, ZF_EINVAL,
                              "%s: exists and is not empty (the output must "
                              "be a new or empty folder)", out_dir);
        return ZF_OK;
    }
    if (errno != ENOENT)
        return zf_err_set(err, ZF_EIO, "%s: %s", out_dir, strerror(errno));
    char *copy = strdup(out_dir);
    if (!copy)
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory", out_dir);
    int r = mkdirs(copy);
    free(copy);
    if (r != 0)
        return zf_err_set(err, ZF_EIO, "%s: cannot create: %s", out_dir,
                          strerror(errno));
    return ZF_OK;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            errno = EIO; /* a write that makes no progress never will */
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Opens path for a new file; makes the key's folders on the first miss
 * (most chunk files go into folders that already exist). */
static int create(char *path, size_t dir_len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    char *slash = strrchr(path, '/');
    if (!slash || (size_t)(slash - path) <= dir_len)
        return -1;
    *slash = '\0';
    int r = mkdirs(path);
    *slash = '/';
    if (r != 0)
        return -1;
    return open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
}

zf_code zf_pack_write_file(const char *out_dir, const char *key,
                           const void *const *parts, const size_t *lens,
                           int nparts, zf_err *err)
{
    char path[PATH_MAX];
    size_t dir_len = strlen(out_dir);
    if (snprintf(path, sizeof path, "%s/%s", out_dir, key) >= (int)sizeof path)
        return zf_err_set(err, ZF_ELIMIT, "%s/%s: path too long", out_dir, key);
    int fd = create(path, dir_len);
    if (fd < 0)
        return zf_err_set(err, ZF_EIO, "%s: cannot create: %s", path,
                          strerror(errno));
    for (int i = 0; i < nparts; i++)
        if (write_all(fd, parts[i], lens[i]) != 0) {
            int e = errno;
            close(fd);
            return zf_err_set(err, ZF_EIO, "%s: write failed: %s", path,
                              strerror(e));
        }
    if (close(fd) != 0) /* NFS and full disks report here */
        return zf_err_set(err, ZF_EIO, "%s: write failed: %s", path,
                          strerror(errno));
    return ZF_OK;
}

zf_code zf_pack_read_full(int fd, void *buf, size_t len, size_t *got,
                          zf_err *err)
{
    uint8_t *p = buf;
    size_t have = 0;
    while (have < len) {
        ssize_t n = read(fd, p + have, len - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *got = have;
            return zf_err_set(err, ZF_EIO, "input: read failed: %s",
                              strerror(errno));
        }
        if (n == 0)
            break;
        have += (size_t)n;
    }
    *got = have;
    return ZF_OK;
}
