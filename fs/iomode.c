/*
 * iomode.c - the choice between direct and cached reads: see iomode.h.
 */
#include "iomode.h"
#include "ops.h"

#include <stdio.h>
#include <string.h>

int zfs_iomode_built(void)
{
#ifdef ZFS_HAVE_DIRECT_IO_ALLOW_MMAP
    return 1;
#else
    return 0;
#endif
}

int zfs_iomode_parse(const char *word, enum zfs_reads *out)
{
    if (strcmp(word, "auto") == 0)
        *out = ZFS_READS_AUTO;
    else if (strcmp(word, "cached") == 0)
        *out = ZFS_READS_CACHED;
    else if (strcmp(word, "direct") == 0)
        *out = ZFS_READS_DIRECT;
    else {
        fprintf(stderr, "zarrfs: bad reads=%s: give auto, direct or cached\n",
                word);
        return -1;
    }
    if (*out == ZFS_READS_DIRECT && !zfs_iomode_built()) {
        fprintf(stderr, "zarrfs: reads=direct: this zarrfs was built against "
                        "libfuse %s, which cannot negotiate "
                        "FUSE_DIRECT_IO_ALLOW_MMAP (libfuse 3.16 or newer "
                        "can)\n", fuse_pkgversion());
        return -1;
    }
    return 0;
}

/* Asks for direct reads with mmap; 0 with the reason in m->why when the
 * kernel does not offer them. */
static int want_direct(struct zfs_iomode *m, struct fuse_conn_info *conn)
{
#ifdef ZFS_HAVE_DIRECT_IO_ALLOW_MMAP
    if (conn->capable & FUSE_CAP_DIRECT_IO_ALLOW_MMAP) {
        conn->want |= FUSE_CAP_DIRECT_IO_ALLOW_MMAP;
        snprintf(m->why, sizeof m->why, "FUSE_DIRECT_IO_ALLOW_MMAP negotiated "
                 "(libfuse %s, FUSE protocol %u.%u)", fuse_pkgversion(),
                 conn->proto_major, conn->proto_minor);
        return 1;
    }
    snprintf(m->why, sizeof m->why, "the kernel does not offer "
             "FUSE_DIRECT_IO_ALLOW_MMAP (FUSE protocol %u.%u; Linux 6.6 and "
             "newer do)", conn->proto_major, conn->proto_minor);
#else
    (void)conn;
    snprintf(m->why, sizeof m->why, "built against libfuse %s, which cannot "
             "negotiate FUSE_DIRECT_IO_ALLOW_MMAP (3.16 and newer can)",
             fuse_pkgversion());
#endif
    return 0;
}

void zfs_iomode_negotiate(struct zfs_iomode *m, struct fuse_conn_info *conn)
{
    m->direct = 0;
    if (m->asked == ZFS_READS_CACHED)
        snprintf(m->why, sizeof m->why, "reads=cached asked for");
    else
        m->direct = want_direct(m, conn);
    int refused = m->asked == ZFS_READS_DIRECT && !m->direct;
    zfs_log(refused ? LOG_WARNING : LOG_INFO, "reads: %s%s (%s)",
            zfs_iomode_name(m), refused ? ", not the direct asked for" : "",
            m->why);
}

const char *zfs_iomode_name(const struct zfs_iomode *m)
{
    return m->direct ? "direct" : "cached";
}
