/*
 * main.c - the zarrfs command: options, usage, start-up, signals and
 * daemonizing.
 *
 *   zarrfs [options] STORE MOUNTPOINT
 *
 * Contract:
 *  - Everything that can be wrong with the options or the store is reported
 *    on stderr with a non-zero exit before the process daemonizes: the store
 *    is opened (zf_open) and mounted first; without -f the command returns
 *    once the mount is ready.
 *  - Forked children keep only the forking thread; the engine starts its
 *    threads with the first read (pool.h), so the store opened before
 *    fuse_daemonize is the one the daemon serves: it is opened once.  The
 *    signal thread and the metadata refresher (-o metadata_ttl, refresh.h)
 *    start after the fork.
 *  - The mount is always read-only ("ro" is appended to the options).
 *  - SIGINT, SIGTERM and SIGHUP are blocked in every thread and taken by one
 *    signal thread, which stops the refresher's notifications, ends the
 *    session and unmounts, so the session loop returns whichever thread the
 *    kernel would have picked; the process then joins the refresher, waits
 *    for the reads in flight, closes the store and exits 0.
 *  - All state lives in main's frame (struct cli, struct zfs_fs,
 *    struct zfs_refresher); the session's userdata is the struct zfs_fs.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bdi.h"
#include "log.h"
#include "ops.h"
#include "push.h"
#include "virt.h"
#include "refresh.h"
#include "inodes.h"

#define ZFS_MAX_THREADS 1024
#define ZFS_READAHEAD_DEFAULT ((size_t)1 << 20) /* readahead= */
/* ... with push=: pushes fill most pages, and a small window keeps large
 * reads from turning into 4 KiB requests (none: dd 3x slower on the tick
 * archive) while mmap faults still decode about the chunks they touch (a
 * 1 MiB window decodes 3.6x as many); tools/bench/partial_query.sh. */
#define ZFS_READAHEAD_PUSHING ((size_t)128 << 10)
#define ZFS_READAHEAD_MAX ((size_t)1 << 30)
#define ZFS_PUSH_DEFAULT ((size_t)0) /* push=: off unless asked for */
#define ZFS_TTL_MIN 0.1 /* metadata_ttl=, seconds */
#define ZFS_TTL_MAX 1e7

/* What the command line asked for, beyond libfuse's own options. */
struct cli {
    char *store;        /* the first non-option argument */
    zf_options engine;  /* threads=, cache_size=, prefetch= */
    size_t readahead;   /* readahead=: bytes, the kernel's window */
    int readahead_set;  /* readahead= was given */
    size_t push;        /* push=: bytes pushed beside a read; 0 = off */
    unsigned views;     /* views=: a mask of 1 << zf_view_format */
    double metadata_ttl; /* metadata_ttl=: seconds; 0 = read once */
    enum zfs_reads reads; /* reads=: auto, direct, cached (iomode.h) */
    int views_open;     /* the last option was views=: libfuse split its
                           list at commas, so bare view names go on it */
    zf_remote_options remote; /* connections=, s3_region=, ... (URLs) */
    int arrays_open;    /* the same for arrays=a,b/c */
    int show_help;
    int show_version;
};

enum {
    ZFS_KEY_HELP,
    ZFS_KEY_VERSION,
    ZFS_KEY_THREADS,
    ZFS_KEY_CACHE,
    ZFS_KEY_VIEWS,
    ZFS_KEY_READAHEAD,
    ZFS_KEY_PREFETCH,
    ZFS_KEY_PUSH,
    ZFS_KEY_TTL,
    ZFS_KEY_READS,
    ZFS_KEY_FSTAB, /* fstab-only options mount.fuse3 passes on: ignored */
};

static const struct fuse_opt cli_spec[] = {
    FUSE_OPT_KEY("-h", ZFS_KEY_HELP),
    FUSE_OPT_KEY("--help", ZFS_KEY_HELP),
    FUSE_OPT_KEY("-V", ZFS_KEY_VERSION),
    FUSE_OPT_KEY("--version", ZFS_KEY_VERSION),
    FUSE_OPT_KEY("threads=", ZFS_KEY_THREADS),
    FUSE_OPT_KEY("cache_size=", ZFS_KEY_CACHE),
    FUSE_OPT_KEY("views=", ZFS_KEY_VIEWS),
    FUSE_OPT_KEY("readahead=", ZFS_KEY_READAHEAD),
    FUSE_OPT_KEY("prefetch=", ZFS_KEY_PREFETCH),
    FUSE_OPT_KEY("push=", ZFS_KEY_PUSH),
    FUSE_OPT_KEY("metadata_ttl=", ZFS_KEY_TTL),
    FUSE_OPT_KEY("reads=", ZFS_KEY_READS),
    FUSE_OPT_KEY("defaults", ZFS_KEY_FSTAB),
    FUSE_OPT_KEY("comment=", ZFS_KEY_FSTAB),
    FUSE_OPT_END,
};

static void usage(const char *prog)
{
    printf(
        "usage: %s [options] STORE MOUNTPOINT\n"
        "\n"
        "Shows every array of the Zarr store STORE (a folder) as a read-only\n"
        "file under MOUNTPOINT whose bytes are the array in C order, native\n"
        "byte order: element i is at byte i * itemsize.  Groups are\n"
        "directories; a store whose root is an array shows one file named\n"
        "after the store's folder, without a trailing .zarr.\n"
        "\n"
        "Each array file has the extended attributes user.zarr.shape,\n"
        "user.zarr.dtype, user.zarr.chunks and user.zarr.metadata; the\n"
        "hidden file MOUNTPOINT/.zarrfs/stats holds the read counters.\n"
        "Arrays zarrfs cannot read are left out and logged.\n"
        "\n"
        "zarrfs options:\n"
        "    -h   --help            print this help, then libfuse's options\n"
        "    -V   --version         print the zarrfs and libfuse versions\n"
        "    -f                     stay in the foreground\n"
        "    -d   -o debug          print debugging output (implies -f)\n"
        "    -o threads=N           decode threads (default: the number of\n"
        "                           cores)\n"
        "    -o cache_size=SIZE     decoded-chunk cache budget in bytes, or\n"
        "                           with a K, M or G suffix (default: the\n"
        "                           engine's)\n"
        "    -o readahead=SIZE      the kernel's readahead window for the\n"
        "                           mount (its read_ahead_kb, set when\n"
        "                           run as root; K, M or G suffix; up to\n"
        "                           1G; 0 = none; default: 1M, and 128K\n"
        "                           with push= or direct reads); cached\n"
        "                           sequential reads reach zarrfs as\n"
        "                           requests of up to this size (1 MiB at\n"
        "                           most); with direct reads it serves\n"
        "                           only mmap\n"
        "    -o prefetch=0|1        decode the chunks ahead of sequential\n"
        "                           reads into the cache (default: 1)\n"
        "    -o push=SIZE           after a read, write the rest of the\n"
        "                           chunks it decoded, up to SIZE bytes on\n"
        "                           either side, and what a prefetch decoded,\n"
        "                           into the page cache, so that page faults\n"
        "                           (mmap) and reads follow the chunk grid;\n"
        "                           readahead= then defaults to 128K (K, M or G\n"
        "                           suffix; e.g. 4M; default: 0, off)\n"
        "    -o views=LIST          header views beside each array file NAME:\n"
        "                           npy (NAME.npy), envi (NAME.hdr), nrrd\n"
        "                           (NAME.nhdr), mhd (NAME.mhd), tiff\n"
        "                           (NAME.tif, 2 or more dimensions); nc: a\n"
        "                           netCDF-4/HDF5 file G.nc beside each group\n"
        "                           G's folder (the root group's: STORE.nc)\n"
        "                           holding its arrays and subgroups; or all;\n"
        "                           e.g. views=npy,nrrd (default: none)\n"
        "    -o reads=auto|direct|cached  direct: array files, subarrays and\n"
        "                           views are opened with direct I/O, so a\n"
        "                           read decodes exactly the chunks that hold\n"
        "                           its bytes (mmap still works, through the\n"
        "                           page cache); needs libfuse 3.16+ and Linux\n"
        "                           6.6+ (FUSE_DIRECT_IO_ALLOW_MMAP); cached:\n"
        "                           through the page cache; auto (default):\n"
        "                           direct where it can be negotiated\n"
        "    -o metadata_ttl=SEC    re-read the store's metadata every SEC\n"
        "                           seconds (0.1 or more; fractions allowed)\n"
        "                           and show arrays added, grown, changed or\n"
        "                           removed; files already open keep\n"
        "                           working (default: metadata is read once,\n"
        "                           at mount)\n"
        "\n"
        "Remote stores (STORE is an http://, https:// or s3://bucket/prefix\n"
        "URL; only byte ranges of the objects are fetched):\n"
        "    -o connections=N       requests in flight at most (default: 16)\n"
        "    -o retries=N           retries of a failed request, with\n"
        "                           backoff (default: 5)\n"
        "    -o timeout=SEC         seconds one request may take (default: 30)\n"
        "    -o coalesce_gap=SIZE   read ranges closer than this as one\n"
        "                           request (default: 64K)\n"
        "    -o coalesce_max=SIZE   ... of at most this size (default: 16M)\n"
        "    -o cafile=PATH         trust the certificates in PATH (default:\n"
        "                           $CURL_CA_BUNDLE, else the system's)\n"
        "    -o insecure            do not verify TLS certificates (warned)\n"
        "    -o arrays=A:B/C        HTTP without consolidated metadata: the\n"
        "                           groups and arrays to look for (HTTP\n"
        "                           cannot list folders); ':' or ','\n"
        "    -o s3_region=R         (default: $AWS_REGION, else us-east-1)\n"
        "    -o s3_endpoint=URL     an S3-compatible server (default:\n"
        "                           $AWS_ENDPOINT_URL, else AWS's)\n"
        "    -o s3_addressing=path|virtual  (default: virtual for AWS, path\n"
        "                           for an endpoint)\n"
        "    -o s3_profile=NAME     credentials from ~/.aws/credentials\n"
        "                           (default: $AWS_ACCESS_KEY_ID,\n"
        "                           $AWS_SECRET_ACCESS_KEY, $AWS_SESSION_TOKEN,\n"
        "                           else anonymous)\n"
        "    -o s3_anonymous        never sign requests\n"
        "\n"
        "The mount is always read-only.  Unmount with fusermount3 -u\n"
        "MOUNTPOINT, or by sending SIGINT or SIGTERM to zarrfs.\n"
        "\n"
        "In /etc/fstab (mount.fuse3 runs \"zarrfs STORE MOUNTPOINT -o OPTS\"):\n"
        "    /data/t2m.zarr  /mnt/t2m  fuse.zarrfs  allow_other,threads=8  0 0\n"
        "\n"
        "libfuse options:\n",
        prog);
    fflush(stdout);
    fuse_cmdline_help();
    fuse_lowlevel_help();
}

/* Parses "N" for threads=N. */
static int parse_threads(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > ZFS_MAX_THREADS) {
        fprintf(stderr, "zarrfs: bad threads=%s: give a number of threads "
                        "from 0 (all cores) to %d\n", s, ZFS_MAX_THREADS);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* Parses "SIZE" for NAME=SIZE (cache_size=, readahead=): bytes, or a K, M
 * or G suffix. */
static int parse_size(const char *name, const char *s, size_t *out)
{
    uint64_t v;
    if (zf_parse_size(s, &v) != ZF_OK || v > SIZE_MAX) {
        fprintf(stderr, "zarrfs: bad %s=%s: give a size in bytes, or "
                        "with a K, M or G suffix (512M)\n", name, s);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

/* Parses "SEC" for metadata_ttl=SEC: seconds, fractions allowed. */
static int parse_ttl(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* (v >= MIN also refuses NaN; "inf" fails the upper bound) */
    if (errno || end == s || *end || !(v >= ZFS_TTL_MIN) || v > ZFS_TTL_MAX) {
        fprintf(stderr, "zarrfs: bad metadata_ttl=%s: give a number of "
                        "seconds from %g to %g (e.g. 30 or 2.5)\n",
                s, ZFS_TTL_MIN, ZFS_TTL_MAX);
        return -1;
    }
    *out = v;
    return 0;
}

/* Adds the view named `word` ("all": every view) to *mask; -1 if unknown. */
static int add_view(const char *word, size_t len, unsigned *mask)
{
    if (len == 3 && strncmp(word, "all", 3) == 0) {
        *mask |= ZFS_VIEWS_ALL;
        return 0;
    }
    if (len == 2 && strncmp(word, "nc", 2) == 0) {
        *mask |= ZFS_VIEW_NC;
        return 0;
    }
    for (int f = 0; f < ZF_VIEW_COUNT; f++) {
        const char *name = zf_view_name((zf_view_format)f);
        if (strlen(name) == len && strncmp(word, name, len) == 0) {
            *mask |= 1u << f;
            return 0;
        }
    }
    return -1;
}

/* Parses "LIST" for views=LIST: view names separated by commas, or "none"
 * (or nothing). */
static int parse_views(const char *s, unsigned *out)
{
    *out = 0;
    if (!*s || strcmp(s, "none") == 0)
        return 0;
    for (const char *p = s;; p++) {
        size_t len = strcspn(p, ",");
        if (add_view(p, len, out) != 0) {
            fprintf(stderr, "zarrfs: unknown view '%.*s' in views=%s: give "
                            "npy, envi, nrrd, mhd, tiff, nc or all, separated by "
                            "commas\n", (int)len, p, s);
            return -1;
        }
        p += len;
        if (!*p)
            return 0;
    }
}

/* Options of remote stores (zf_remote_option_set), and fstab's "x-..."
 * (x-systemd.*): 0 taken, 1 not ours (libfuse's), -1 bad.  Bare words after
 * arrays= (libfuse splits "arrays=a,b/c" at the comma) are more arrays,
 * unless they look like a mount flag. */
static int remote_opt(struct cli *cli, const char *arg, int arrays_open)
{
    static const char *const flags[] = {
        "ro", "rw", "allow_other", "allow_root", "auto_unmount",
        "default_permissions", "debug", "nonempty", "dev", "nodev", "suid",
        "nosuid", "exec", "noexec", "atime", "noatime", "async_read",
        "sync_read", "user", "users", "nofail", "auto", "noauto", "_netdev",
        "insecure", "s3_anonymous", NULL};
    if (strncmp(arg, "x-", 2) == 0)
        return 0;
    zf_err e = {0};
    char *more = NULL;
    int word = arrays_open && !strchr(arg, '=');
    for (int i = 0; word && flags[i]; i++)
        word = strcmp(arg, flags[i]) != 0;
    if (word && asprintf(&more, "arrays=%s", arg) < 0)
        return -1;
    zf_code c = zf_remote_option_set(&cli->remote, more ? more : arg, &e);
    free(more);
    if (c == ZF_ENOTFOUND)
        return 1;
    if (c != ZF_OK) {
        fprintf(stderr, "zarrfs: %s\n", e.msg[0] ? e.msg : zf_code_name(c));
        return -1;
    }
    cli->arrays_open = word || strncmp(arg, "arrays=", 7) == 0;
    return 0;
}

static int cli_proc(void *data, const char *arg, int key,
                     struct fuse_args *outargs)
{
    (void)outargs;
    struct cli *cli = data;
    int views_open = cli->views_open;
    int arrays_open = cli->arrays_open;
    cli->views_open = 0;
    cli->arrays_open = 0;
    switch (key) {
    case FUSE_OPT_KEY_NONOPT:
        if (cli->store)
            return 1; /* the mountpoint: libfuse's */
        cli->store = strdup(arg);
        return cli->store ? 0 : -1;
    case ZFS_KEY_HELP:
        cli->show_help = 1;
        return 0;
    case ZFS_KEY_VERSION:
        cli->show_version = 1;
        return 0;
    case ZFS_KEY_THREADS:
        return parse_threads(arg + strlen("threads="),
                             &cli->engine.threads);
    case ZFS_KEY_CACHE:
        return parse_size("cache_size", arg + strlen("cache_size="),
                          &cli->engine.cache_bytes);
    case ZFS_KEY_READAHEAD:
        cli->readahead_set = 1;
        if (parse_size("readahead", arg + strlen("readahead="),
                       &cli->readahead) != 0)
            return -1;
        if (cli->readahead > ZFS_READAHEAD_MAX) {
            fprintf(stderr, "zarrfs: bad %s: at most 1G\n", arg);
            return -1;
        }
        return 0;
    case ZFS_KEY_PREFETCH:
        if (strcmp(arg, "prefetch=0") && strcmp(arg, "prefetch=1")) {
            fprintf(stderr, "zarrfs: bad %s: give prefetch=0 or prefetch=1\n",
                    arg);
            return -1;
        }
        cli->engine.no_prefetch = arg[strlen("prefetch=")] == '0';
        return 0;
    case ZFS_KEY_PUSH:
        return parse_size("push", arg + strlen("push="), &cli->push);
    case ZFS_KEY_TTL:
        return parse_ttl(arg + strlen("metadata_ttl="), &cli->metadata_ttl);
    case ZFS_KEY_READS:
        return zfs_iomode_parse(arg + strlen("reads="), &cli->reads);
    case ZFS_KEY_VIEWS:
        cli->views_open = 1;
        return parse_views(arg + strlen("views="), &cli->views);
    case ZFS_KEY_FSTAB:
        return 0;
    default: /* "views=npy,nrrd" arrives as "views=npy", "nrrd" */
        if (key == FUSE_OPT_KEY_OPT && views_open &&
            add_view(arg, strlen(arg), &cli->views) == 0) {
            cli->views_open = 1;
            return 0;
        }
        if (key == FUSE_OPT_KEY_OPT)
            return remote_opt(cli, arg, arrays_open);
        return 1;
    }
}

/* Adds fsname=STORE (first, so that the user's own wins) and ro (last, so
 * that nothing overrides it). */
static int add_mount_options(struct fuse_args *args, const char *store)
{
    char *fsname = NULL;
    char *opt = NULL;
    int rc = -1;
    if (asprintf(&fsname, "fsname=%s", store) < 0)
        return -1;
    if (fuse_opt_add_opt_escaped(&opt, fsname) == 0 &&
        fuse_opt_insert_arg(args, 1, "-o") == 0 &&
        fuse_opt_insert_arg(args, 2, opt) == 0 &&
        fuse_opt_add_arg(args, "-oro") == 0)
        rc = 0;
    free(opt);
    free(fsname);
    return rc;
}

/* Returns 0 to go on mounting, 1 when done (help, version), -1 on error. */
static int parse_args(struct fuse_args *args, struct cli *cli,
                      struct fuse_cmdline_opts *fo)
{
    const char *prog = args->argc > 0 ? args->argv[0] : "zarrfs";
    cli->readahead = ZFS_READAHEAD_DEFAULT;
    cli->push = ZFS_PUSH_DEFAULT;
    zf_remote_options_init(&cli->remote);
    if (fuse_opt_parse(args, cli, cli_spec, cli_proc) != 0)
        return -1;
    if (!cli->readahead_set && cli->push > 0) /* pushes instead of it */
        cli->readahead = ZFS_READAHEAD_PUSHING;
    if (cli->show_help) {
        usage(prog);
        return 1;
    }
    if (cli->show_version) {
        printf("zarrfs version %s\nlibfuse version %s\nreads: %s\n",
               ZF_VERSION, fuse_pkgversion(),
               zfs_iomode_built() ? "direct where the kernel offers "
                                    "FUSE_DIRECT_IO_ALLOW_MMAP, else cached"
                                  : "cached (libfuse 3.16+ can read direct)");
        return 1;
    }
    if (fuse_parse_cmdline(args, fo) != 0)
        return -1;
    if (!cli->store || !fo->mountpoint) {
        fprintf(stderr, "zarrfs: no %s given\nusage: %s [options] STORE "
                        "MOUNTPOINT (see %s --help)\n",
                cli->store ? "MOUNTPOINT" : "STORE", prog, prog);
        return -1;
    }
    return 0;
}

/* Opens the store and builds its table; messages go to stderr. */
static int open_store(struct cli *cli, struct zfs_fs *fs)
{
    int url = strstr(cli->store, "://") != NULL; /* http(s)://, s3:// */
    char *abs = url ? strdup(cli->store) : realpath(cli->store, NULL);
    if (!abs) {
        fprintf(stderr, "zarrfs: cannot open the store %s: %s\n", cli->store,
                strerror(errno));
        return -1;
    }
    free(cli->store);
    cli->store = abs; /* absolute: the daemon runs in "/" */
    zf_zarr *z = NULL;
    zf_err e = {0};
    cli->engine.remote = &cli->remote;
    /* Views that show attributes: the load keeps every node's (so group
     * files are built reading nothing, and a refresh sees edits). */
    cli->engine.attributes =
        (cli->views & (ZFS_VIEW_NC | 1u << ZF_VIEW_TIFF)) != 0;
    if (url && cli->remote.insecure)
        zfs_log(LOG_WARNING, "WARNING: -o insecure: the TLS certificates of "
                "%s are not verified; anyone on the path can change the data",
                cli->store);
    if (zf_open(cli->store, &cli->engine, &z, &e) != ZF_OK) {
        if (e.msg[0])
            fprintf(stderr, "zarrfs: cannot open the store: %s\n", e.msg);
        else
            fprintf(stderr, "zarrfs: cannot open the store %s: %s\n",
                    cli->store, zf_code_name(e.code));
        return -1;
    }
    int inited = zfs_fs_init(fs, z) == 0;
    zfs_table *table = inited ? zfs_table_build(z, cli->store, cli->views,
                                                NULL, fs->notes)
                              : NULL;
    if (!table) {
        fprintf(stderr, "zarrfs: out of memory\n");
        if (inited)
            zfs_fs_destroy(fs);
        zf_close(z);
        return -1;
    }
    zfs_tables_publish(&fs->tables, table);
    zfs_virt_set_views(fs->virt, cli->views);
    fs->readahead = (unsigned)cli->readahead;
    fs->io.asked = cli->reads;
    fs->readahead_set = cli->readahead_set;
    /* The kernel asks again after the ttl; the refresher invalidates what
     * changed at once. */
    if (cli->metadata_ttl > 0 && cli->metadata_ttl < fs->timeout)
        fs->timeout = cli->metadata_ttl;
    zfs_log(LOG_DEBUG, "%s: %zu arrays shown, %zu left out", cli->store,
            table->narrays, table->nskipped);
    return 0;
}

/* Sets the mount's read_ahead_kb to readahead=; a failure is a warning
 * (only a debug message when readahead= was not given and we are not root:
 * an ordinary user cannot write it). */
static void set_readahead(const struct cli *cli, const char *mnt)
{
    char why[512];
    unsigned long kb = (unsigned long)(cli->readahead >> 10);
    if (zfs_bdi_set_readahead(mnt, kb, why, sizeof why) == 0)
        zfs_log(LOG_DEBUG, "%s: read_ahead_kb = %lu", mnt, kb);
    else
        zfs_log(cli->readahead_set || geteuid() == 0 ? LOG_WARNING : LOG_DEBUG,
                "readahead=%zuK not set: %s", cli->readahead >> 10, why);
}

/* Forks into the background (see the contract above); the parent exits 0
 * inside fuse_daemonize. */
static int daemonize(void)
{
    if (fuse_daemonize(0) != 0)
        return -1;
    zfs_log_to_syslog();
    return 0;
}

/* ---- signals ------------------------------------------------------------ */

struct signals {
    sigset_t set;  /* SIGINT, SIGTERM, SIGHUP and SIGUSR1 ("stop waiting") */
    struct fuse_session *se;
    struct zfs_refresher *refresher; /* detached before unmounting */
    struct zfs_pusher *pusher;       /* the same */
    pthread_t thread;
    atomic_int stopping; /* set by main before it sends SIGUSR1 */
};

/* Blocks the signals in the calling thread, and so in every thread it
 * starts from now on. */
static void signals_block(struct signals *s)
{
    sigemptyset(&s->set);
    sigaddset(&s->set, SIGINT);
    sigaddset(&s->set, SIGTERM);
    sigaddset(&s->set, SIGHUP);
    sigaddset(&s->set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &s->set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void *signal_thread(void *arg)
{
    struct signals *s = arg;
    int sig = 0;
    while (sigwait(&s->set, &sig) == 0) {
        if (sig == SIGUSR1 && atomic_load(&s->stopping))
            break;
        if (sig == SIGUSR1)
            continue; /* not ours: someone else sent it */
        zfs_log(LOG_INFO, "%s: unmounting", strsignal(sig));
        zfs_refresher_detach(s->refresher); /* the descriptor will close */
        zfs_pusher_detach(s->pusher);
        fuse_session_exit(s->se);
        fuse_session_unmount(s->se); /* wakes the loop's threads */
        break;
    }
    return NULL;
}

static int signals_start(struct signals *s, struct fuse_session *se)
{
    s->se = se;
    atomic_init(&s->stopping, 0);
    int rc = pthread_create(&s->thread, NULL, signal_thread, s);
    if (rc != 0)
        zfs_log(LOG_ERR, "cannot start the signal thread: %s", strerror(rc));
    return rc == 0 ? 0 : -1;
}

static void signals_stop(struct signals *s)
{
    atomic_store(&s->stopping, 1);
    pthread_kill(s->thread, SIGUSR1);
    pthread_join(s->thread, NULL);
}

/* ---- the session ------------------------------------------------------------ */

static int loop(struct fuse_session *se, const struct fuse_cmdline_opts *fo)
{
    if (fo->singlethread)
        return fuse_session_loop(se);
    struct fuse_loop_config *cfg = fuse_loop_cfg_create();
    if (!cfg) {
        zfs_log(LOG_ERR, "out of memory");
        return -ENOMEM;
    }
    fuse_loop_cfg_set_clone_fd(cfg, (unsigned)fo->clone_fd);
    fuse_loop_cfg_set_max_threads(cfg, fo->max_threads);
    if (fo->max_idle_threads != UINT_MAX)
        fuse_loop_cfg_set_idle_threads(cfg, fo->max_idle_threads);
    int rc = fuse_session_loop_mt(se, cfg);
    fuse_loop_cfg_destroy(cfg);
    return rc;
}

/* Mounts, daemonizes unless -f, serves until unmounted or signalled. */
static int serve(struct fuse_session *se, struct zfs_fs *fs,
                 struct signals *sig, const struct cli *cli,
                 const struct fuse_cmdline_opts *fo)
{
    struct zfs_refresher *ref = sig->refresher;
    if (fuse_session_mount(se, fo->mountpoint) != 0) {
        fprintf(stderr, "zarrfs: cannot mount %s on %s\n", cli->store,
                fo->mountpoint);
        return -1;
    }
    set_readahead(cli, fo->mountpoint);
    int rc = -1;
    if ((fo->foreground || daemonize() == 0) &&
        signals_start(sig, se) == 0) {
        int started = (cli->metadata_ttl <= 0 || zfs_refresher_start(ref) == 0) &&
                      zfs_pusher_start(sig->pusher) == 0;
        rc = started ? loop(se, fo) : -1; /* (the failure is logged) */
        signals_stop(sig);
        zfs_refresher_detach(ref); /* before the descriptor closes */
        zfs_pusher_detach(sig->pusher);
        if (started && rc < 0)
            zfs_log(LOG_ERR, "the session ended: %s", strerror(-rc));
        rc = rc < 0 ? -1 : 0; /* > 0: ended by a signal */
    }
    zfs_fs_wait_idle(fs);
    fuse_session_unmount(se);
    return rc;
}

static int run(struct fuse_args *args, struct cli *cli,
               const struct fuse_cmdline_opts *fo)
{
    struct zfs_fs fs;
    struct signals sig;
    memset(&fs, 0, sizeof fs);
    zfs_log_init(fo->debug);
    signals_block(&sig); /* before the engine starts any thread */
    if (add_mount_options(args, cli->store) != 0) {
        fprintf(stderr, "zarrfs: out of memory\n");
        return -1;
    }
    struct fuse_session *se =
        fuse_session_new(args, &zfs_ops, sizeof zfs_ops, &fs);
    if (!se) {
        fprintf(stderr, "zarrfs: bad options (see zarrfs --help)\n");
        return -1;
    }
    int rc = open_store(cli, &fs);
    if (rc == 0) {
        struct zfs_refresher ref;
        struct zfs_pusher push;
        zfs_refresher_init(&ref, &fs, se, cli->store, cli->views,
                           cli->metadata_ttl);
        zfs_pusher_init(&push, &fs, se, cli->push);
        sig.refresher = &ref;
        sig.pusher = fs.pusher = &push;
        rc = serve(se, &fs, &sig, cli, fo);
        zfs_refresher_stop(&ref); /* before the store closes */
        zfs_pusher_stop(&push);
        zfs_fs_destroy(&fs);
        zf_close(fs.z);
        zfs_pusher_free(&push); /* (prefetches call its hook until zf_close) */
    }
    fuse_session_destroy(se);
    return rc;
}

int main(int argc, char **argv)
{
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    struct cli cli;
    struct fuse_cmdline_opts fo;
    memset(&cli, 0, sizeof cli);
    memset(&fo, 0, sizeof fo);
    int rc = parse_args(&args, &cli, &fo);
    if (rc == 0)
        rc = run(&args, &cli, &fo);
    free(fo.mountpoint);
    free(cli.store);
    zf_remote_options_clear(&cli.remote);
    fuse_opt_free_args(&args);
    return rc < 0 ? 1 : 0;
}
