/*
 * fs.c - the life of a mount's shared state and its count of reads in
 * flight: see fs.h.
 */
#include "fs.h"
#include "virt.h"

#include <string.h>
#include <unistd.h>

#define ZFS_TIMEOUT 86400.0 /* without metadata_ttl the inode table never changes */

int zfs_fs_init(struct zfs_fs *fs, zf_zarr *z)
{
    memset(fs, 0, sizeof *fs);
    fs->errors = zfs_errset_new();
    fs->notes = zfs_errset_new();
    fs->virt = zfs_virt_new(ZFS_VIRT_MAX, 0);
    if (!fs->errors || !fs->notes || !fs->virt) {
        zfs_errset_free(fs->errors);
        zfs_errset_free(fs->notes);
        zfs_virt_free(fs->virt);
        fs->errors = fs->notes = NULL;
        fs->virt = NULL;
        return -1;
    }
    fs->z = z;
    zfs_tables_init(&fs->tables);
    fs->tables.virt = fs->virt;
    atomic_init(&fs->live, 0);
    fs->uid = getuid();
    fs->gid = getgid();
    fs->timeout = ZFS_TIMEOUT;
    pthread_mutex_init(&fs->lock, NULL);
    pthread_cond_init(&fs->idle, NULL);
    return 0;
}

void zfs_fs_wait_idle(struct zfs_fs *fs)
{
    pthread_mutex_lock(&fs->lock);
    while (fs->inflight > 0)
        pthread_cond_wait(&fs->idle, &fs->lock);
    pthread_mutex_unlock(&fs->lock);
}

void zfs_fs_destroy(struct zfs_fs *fs)
{
    zfs_tables_free(&fs->tables);
    zfs_virt_free(fs->virt);
    zfs_errset_free(fs->errors);
    zfs_errset_free(fs->notes);
    pthread_cond_destroy(&fs->idle);
    pthread_mutex_destroy(&fs->lock);
}

void zfs_fs_inflight_begin(struct zfs_fs *fs)
{
    pthread_mutex_lock(&fs->lock);
    fs->inflight++;
    pthread_mutex_unlock(&fs->lock);
}

void zfs_fs_inflight_end(struct zfs_fs *fs)
{
    pthread_mutex_lock(&fs->lock);
    if (--fs->inflight == 0)
        pthread_cond_broadcast(&fs->idle);
    pthread_mutex_unlock(&fs->lock);
}
