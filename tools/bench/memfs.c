/*
 * zf-bench-memfs - the control of the mount benchmark (tools/bench/run.sh):
 * a minimal libfuse3 low-level file system whose only file, "data", has
 * SIZE bytes held in memory, each read served by memcpy into a new reply
 * buffer (as zarrfs decodes into one) and fuse_reply_buf.  It asks the
 * kernel for what zarrfs asks for: keep_cache, max_readahead = READAHEAD,
 * max_background 64 (congestion threshold 48), the multi-threaded loop;
 * run.sh sets the mount's read_ahead_kb as for zarrfs.  It does nothing
 * else, so a cold `dd` of its file costs what the kernel and FUSE cost.
 *
 * With -o passthrough=FILE (libfuse 3.16+, Linux 6.9+: tools/bench/
 * passthrough.sh) "data" is FILE instead, each open handed to the kernel
 * with FILE's fd as backing file (fuse_passthrough_open), so reads and
 * mmap go to FILE without reaching this process: what zarrfs would cost
 * if it passed through an array whose flat bytes are one store file's.
 * Exits 1 when the kernel does not offer FUSE_CAP_PASSTHROUGH.
 *
 * usage: zf-bench-memfs SIZE MOUNTPOINT [-o readahead=BYTES]
 *        [-o passthrough=FILE] [libfuse options: -f, -d, ...]
 */
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DATA_INO 2

static char *g_data;
static size_t g_size;
static unsigned g_readahead = 1u << 20;
static int g_backing = -1; /* passthrough: FILE's fd */

static void mf_init(void *userdata, struct fuse_conn_info *conn)
{
    (void)userdata;
#ifdef FUSE_CAP_PASSTHROUGH
    if (g_backing >= 0 && (conn->capable & FUSE_CAP_PASSTHROUGH))
        conn->want |= FUSE_CAP_PASSTHROUGH;
    else if (g_backing >= 0) /* (opens then fail with EIO) */
        fprintf(stderr, "zf-bench-memfs: the kernel does not offer "
                        "FUSE_CAP_PASSTHROUGH\n");
#endif
    conn->max_readahead = g_readahead;
    conn->max_background = 64;
    conn->congestion_threshold = 48;
}

static void mf_stat(fuse_ino_t ino, struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_ino = ino;
    if (ino == FUSE_ROOT_ID) {
        st->st_mode = S_IFDIR | 0555;
        st->st_nlink = 2;
    } else {
        st->st_mode = S_IFREG | 0444;
        st->st_nlink = 1;
        st->st_size = (off_t)g_size;
        st->st_blksize = 131072;
    }
}

static void mf_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct fuse_entry_param e;
    memset(&e, 0, sizeof e);
    if (parent != FUSE_ROOT_ID || strcmp(name, "data") != 0) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    e.ino = DATA_INO;
    e.attr_timeout = e.entry_timeout = 86400.0;
    mf_stat(DATA_INO, &e.attr);
    fuse_reply_entry(req, &e);
}

static void mf_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)fi;
    if (ino != FUSE_ROOT_ID && ino != DATA_INO) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    struct stat st;
    mf_stat(ino, &st);
    fuse_reply_attr(req, &st, 86400.0);
}

static void mf_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    if (ino != DATA_INO) {
        fuse_reply_err(req, EISDIR);
        return;
    }
    fi->keep_cache = 1;
#ifdef FUSE_CAP_PASSTHROUGH
    if (g_backing >= 0) {
        fi->backing_id = fuse_passthrough_open(req, g_backing);
        if (fi->backing_id <= 0) {
            fuse_reply_err(req, EIO);
            return;
        }
        fi->keep_cache = 0;
    }
#endif
    fuse_reply_open(req, fi);
}

#ifdef FUSE_CAP_PASSTHROUGH
static void mf_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    if (fi->backing_id > 0)
        fuse_passthrough_close(req, fi->backing_id);
    fuse_reply_err(req, 0);
}
#endif

static void mf_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
    (void)ino;
    (void)fi;
    if (off < 0 || (size_t)off >= g_size) {
        fuse_reply_buf(req, NULL, 0);
        return;
    }
    if (size > g_size - (size_t)off)
        size = g_size - (size_t)off;
    char *buf = malloc(size);
    if (!buf) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    memcpy(buf, g_data + off, size);
    fuse_reply_buf(req, buf, size);
    free(buf);
}

static const struct fuse_lowlevel_ops mf_ops = {
    .init = mf_init,
    .lookup = mf_lookup,
    .getattr = mf_getattr,
    .open = mf_open,
    .read = mf_read,
#ifdef FUSE_CAP_PASSTHROUGH
    .release = mf_release,
#endif
};

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: zf-bench-memfs SIZE MOUNTPOINT [-o readahead="
                        "BYTES] [-o passthrough=FILE] [libfuse options]\n");
        return 2;
    }
    g_size = strtoull(argv[1], NULL, 10);
    /* Pull "-o readahead=N" out; pass the rest to libfuse. */
    struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
    fuse_opt_add_arg(&args, argv[0]);
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc &&
            !strncmp(argv[i + 1], "readahead=", 10)) {
            g_readahead = (unsigned)strtoul(argv[++i] + 10, NULL, 10);
            continue;
        }
        if (!strcmp(argv[i], "-o") && i + 1 < argc &&
            !strncmp(argv[i + 1], "passthrough=", 12)) {
            const char *file = argv[++i] + 12;
            struct stat st;
            g_backing = open(file, O_RDONLY);
            if (g_backing < 0 || fstat(g_backing, &st) != 0) {
                perror(file);
                return 1;
            }
            g_size = (size_t)st.st_size;
            continue;
        }
        fuse_opt_add_arg(&args, argv[i]);
    }
    fuse_opt_add_arg(&args, "-oro,fsname=zf-bench-memfs");
#ifndef FUSE_CAP_PASSTHROUGH
    if (g_backing >= 0) {
        fprintf(stderr, "zf-bench-memfs: passthrough= needs libfuse 3.16+\n");
        return 1;
    }
#endif
    g_data = malloc(g_size && g_backing < 0 ? g_size : 1);
    if (!g_data)
        return 1;
    for (size_t i = 0; g_backing < 0 && i < g_size; i++) /* no faults later */
        g_data[i] = (char)(i * 2654435761u >> 24);

    struct fuse_cmdline_opts fo;
    if (fuse_parse_cmdline(&args, &fo) != 0 || !fo.mountpoint)
        return 2;
    struct fuse_session *se = fuse_session_new(&args, &mf_ops, sizeof mf_ops, NULL);
    if (!se || fuse_session_mount(se, fo.mountpoint) != 0)
        return 1;
    fuse_daemonize(fo.foreground);
    struct fuse_loop_config *cfg = fuse_loop_cfg_create();
    fuse_loop_cfg_set_max_threads(cfg, fo.max_threads);
    int rc = fo.singlethread ? fuse_session_loop(se) : fuse_session_loop_mt(se, cfg);
    fuse_loop_cfg_destroy(cfg);
    fuse_session_unmount(se);
    fuse_session_destroy(se);
    free(fo.mountpoint);
    fuse_opt_free_args(&args);
    free(g_data);
    return rc ? 1 : 0;
}
