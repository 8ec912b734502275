/*
 * iomode.h - how a mount's array files, subarrays and views are read
 * (-o reads=auto|direct|cached), chosen once, when the kernel's INIT is
 * answered.
 *
 *  - cached: through the page cache (keep_cache).  Reads are rounded to
 *    pages and widened by the kernel's readahead, so they decode chunks
 *    beside the bytes asked for.  What libfuse 3.14 (Debian 12) gets.
 *  - direct: opened with direct I/O (FOPEN_DIRECT_IO), so a pread reaches
 *    zarrfs with its exact byte range and decodes exactly the chunks that
 *    hold its bytes; sequential streams are served by the engine's own
 *    prefetch.  mmap (MAP_SHARED and MAP_PRIVATE) still works, through the
 *    page cache, because FUSE_DIRECT_IO_ALLOW_MMAP is negotiated: without
 *    it the kernel refuses MAP_SHARED of a direct I/O file, so direct is
 *    used only with it (libfuse 3.16+, kernel 6.6+).
 *  - auto (the default): direct where it can be negotiated, else cached.
 *
 * Contract: zfs_iomode_negotiate runs in the INIT handler, before any
 * other request is served; the fields are read-only afterwards, so the
 * other operations read them without a lock.  `why` says in words why the
 * mount reads the way it does (logged at mount, in .zarrfs/stats).
 */
#ifndef ZARRFS_FS_IOMODE_H
#define ZARRFS_FS_IOMODE_H

struct fuse_conn_info;

enum zfs_reads { ZFS_READS_AUTO, ZFS_READS_CACHED, ZFS_READS_DIRECT };

struct zfs_iomode {
    enum zfs_reads asked; /* reads= */
    int direct;           /* negotiated: open array files with direct_io */
    char why[160];        /* plain text, no quotes or backslashes (JSON) */
};

/* Parses reads=WORD into *out; -1 with a message on stderr when WORD is
 * unknown, or is "direct" and this build's libfuse cannot negotiate it. */
int zfs_iomode_parse(const char *word, enum zfs_reads *out);

/* Chooses the mode from what was asked and what the kernel and libfuse
 * offer (asking the kernel for FUSE_DIRECT_IO_ALLOW_MMAP when direct), and
 * logs it. */
void zfs_iomode_negotiate(struct zfs_iomode *m, struct fuse_conn_info *conn);

/* "direct" or "cached". */
const char *zfs_iomode_name(const struct zfs_iomode *m);

/* Whether this build's libfuse can negotiate direct reads, and its name
 * for it (for --version). */
int zfs_iomode_built(void);

#endif
