/*
 * bdi.h - the kernel's readahead window of a mount: its backing device's
 * /sys/class/bdi/MAJOR:MINOR/read_ahead_kb.
 *
 * Contract:
 *  - The mount is found in /proc/self/mountinfo (the last mount on that
 *    path, of a fuse type), never by stat() of the mount point: that would
 *    wait for the session loop, which has not started yet when main calls
 *    this between mounting and serving.
 *  - Writing read_ahead_kb needs root; failures are returned with a reason
 *    in `why`, for the caller to log; nothing here logs or exits.
 *  - Thread-safe (no state).
 */
#ifndef ZARRFS_FS_BDI_H
#define ZARRFS_FS_BDI_H

#include <stddef.h>

/* Writes kb to the read_ahead_kb of the fuse mount on `mountpoint` (an
 * absolute path, as libfuse resolved it); 0 on success, -1 with `why`
 * (a sentence without "zarrfs:") filled. */
int zfs_bdi_set_readahead(const char *mountpoint, unsigned long kb, char *why,
                          size_t why_size);

#endif
