/* zf_faultfs - a tiny read-only passthrough FUSE file system that plays a
 * failing disk, for tests/sh/mount_faults.sh.
 *
 *     ZF_FAULT='pat1:pat2' [ZF_FAULT_FILE=FILE] zf_faultfs SOURCE MNT [fuse options]
 *
 * Shows the folder SOURCE at MNT, read-only.  read() of a file whose path
 * (relative to SOURCE, without a leading slash) matches one of the
 * fnmatch(3) patterns of ZF_FAULT (separated by ':') fails with EIO, as a
 * bad sector would; everything else (lookup, stat, open, readdir, the other
 * files) works.  ZF_FAULT_FILE names a file of more patterns, one a line,
 * read again at every read (no file: no more patterns), so a test can turn
 * parts of the disk bad, and good again, while mounted.  Every read reaches
 * this process (direct_io, no attribute or entry caching), so a fault is
 * never hidden by this mount's page cache.  Failed reads are logged on
 * stderr.
 */
#define FUSE_USE_VERSION 31
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <fuse.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int srcfd = -1;        /* SOURCE, opened at start */
static const char *patterns;  /* ZF_FAULT */
static const char *pfile;     /* ZF_FAULT_FILE */

/* The path relative to SOURCE ("." for the root). */
static const char *rel(const char *path)
{
    while (*path == '/')
        path++;
    return *path ? path : ".";
}

/* Whether one of the patterns in list (separated by any of seps) matches r. */
static int matches(const char *list, const char *seps, const char *r)
{
    char pat[PATH_MAX];
    while (*list) {
        size_t n = strcspn(list, seps);
        if (n > 0 && n < sizeof pat) {
            memcpy(pat, list, n);
            pat[n] = '\0';
            if (fnmatch(pat, r, 0) == 0)
                return 1;
        }
        list += n;
        if (*list)
            list++;
    }
    return 0;
}

static int faulty(const char *path)
{
    const char *r = rel(path);
    if (patterns && matches(patterns, ":", r))
        return 1;
    if (!pfile)
        return 0;
    char buf[8192];
    int fd = open(pfile, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return matches(buf, "\n", r);
}

static void *ff_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
    (void)conn;
    cfg->use_ino = 1;
    cfg->direct_io = 1;
    cfg->kernel_cache = 0;
    cfg->entry_timeout = 0;
    cfg->attr_timeout = 0;
    cfg->negative_timeout = 0;
    return NULL;
}

static int ff_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    if (fi)
        return fstat((int)fi->fh, st) == 0 ? 0 : -errno;
    return fstatat(srcfd, rel(path), st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

static int ff_readlink(const char *path, char *buf, size_t size)
{
    ssize_t n = readlinkat(srcfd, rel(path), buf, size - 1);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return 0;
}

static int ff_readdir(const char *path, void *buf, fuse_fill_dir_t fill,
                      off_t off, struct fuse_file_info *fi,
                      enum fuse_readdir_flags flags)
{
    (void)off, (void)fi, (void)flags;
    int fd = openat(srcfd, rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return -e;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st = {.st_ino = e->d_ino, .st_mode = (mode_t)DTTOIF(e->d_type)};
        if (fill(buf, e->d_name, &st, 0, 0))
            break;
    }
    closedir(d);
    return 0;
}

static int ff_open(const char *path, struct fuse_file_info *fi)
{
    if ((fi->flags & O_ACCMODE) != O_RDONLY)
        return -EROFS;
    int fd = openat(srcfd, rel(path), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    fi->fh = (uint64_t)fd;
    fi->direct_io = 1;
    return 0;
}

static int ff_read(const char *path, char *buf, size_t size, off_t off,
                   struct fuse_file_info *fi)
{
    if (faulty(path)) {
        fprintf(stderr, "zf_faultfs: EIO for %s [%lld, +%zu)\n", rel(path),
                (long long)off, size);
        return -EIO;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = pread((int)fi->fh, buf + got, size - got, off + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return got ? (int)got : -errno;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (int)got;
}

static int ff_release(const char *path, struct fuse_file_info *fi)
{
    (void)path;
    close((int)fi->fh);
    return 0;
}

static int ff_statfs(const char *path, struct statvfs *sv)
{
    (void)path;
    return fstatvfs(srcfd, sv) == 0 ? 0 : -errno;
}

static const struct fuse_operations ops = {
    .init = ff_init,
    .getattr = ff_getattr,
    .readlink = ff_readlink,
    .readdir = ff_readdir,
    .open = ff_open,
    .read = ff_read,
    .release = ff_release,
    .statfs = ff_statfs,
};

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: ZF_FAULT='pat:...' [ZF_FAULT_FILE=FILE] "
                        "%s SOURCE MOUNTPOINT [fuse options]\n", argv[0]);
        return 2;
    }
    srcfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (srcfd < 0) {
        perror(argv[1]);
        return 1;
    }
    patterns = getenv("ZF_FAULT");
    pfile = getenv("ZF_FAULT_FILE");
    argv[1] = argv[0]; /* fuse_main sees: prog MOUNTPOINT [options] */
    return fuse_main(argc - 1, argv + 1, &ops, NULL);
}
