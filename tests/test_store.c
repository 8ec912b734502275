/*
 * test_store.c - the local folder store (engine/store/store.h) on folders
 * written here: range reads against the file contents, suffix reads
 * (negative offsets), short reads at and past the end of a key, a missing key
 * (ZF_ENOTFOUND) kept apart from I/O errors (a folder where a file is
 * expected, an unreadable file), keys that try to leave the folder ("..",
 * ".", empty components, a leading "/") refused without reading anything,
 * batches of requests with one result each, many more keys than the
 * descriptor bound (max_fds = 4, 50 files, 8 threads) all read correctly with
 * the descriptors kept bounded, zf_store_get's size limit, stat and list;
 * a FIFO at a key is an error, not a read that blocks forever; the HTTP
 * store's retry backoff (its range, and jitter of its own per thread).
 */
#include "testutil.h"

#include <dirent.h>
#include <pthread.h>
#include <sys/wait.h>
#include <time.h>

#include "store/store.h"
#include "store/store_http.h"
#include "store/http_xfer.h"
#include "store/stat_table.h"

static char *g_dir;  /* holds secret.txt and the store folder root/ */
static char g_root[4200];

static uint8_t byte_at(size_t i)
{
    return (uint8_t)(i * 31 + 7);
}

static void setup(void)
{
    g_dir = tu_mkdtemp();
    snprintf(g_root, sizeof g_root, "%s/root", g_dir);
    uint8_t data[1000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = byte_at(i);
    tu_write(g_root, "data.bin", data, sizeof data);
    tu_write(g_root, "empty", "", 0);
    tu_write(g_root, "sub/nested.bin", "nested", 6);
    tu_write(g_root, "a/b/c", "abc", 3);
    tu_mkdir(g_root, "folder");
    tu_write(g_dir, "secret.txt", "SECRET", 6);
}

static void teardown(void)
{
    tu_rmtree(g_dir);
    free(g_dir);
    g_dir = NULL;
}

static zf_store *open_store(int max_fds)
{
    zf_store *s = NULL;
    zf_err err = {0};
    zf_code c = zf_store_open_local(g_root, max_fds, &s, &err);
    ck_assert_msg(c == ZF_OK, "open: %s", err.msg);
    return s;
}

static zf_range_req req(const char *key, int64_t off, size_t len, void *buf)
{
    zf_range_req r;
    memset(&r, 0, sizeof r);
    r.key = key;
    r.offset = off;
    r.len = len;
    r.buf = buf;
    r.got = 777;
    r.code = ZF_EINVAL;
    return r;
}

START_TEST(test_range_reads)
{
    zf_store *s = open_store(0);
    tu_rng rng = {1};
    uint8_t buf[400];
    for (int it = 0; it < 500; it++) {
        size_t off = (size_t)tu_range(&rng, 0, 1100);
        size_t len = (size_t)tu_range(&rng, 0, 300);
        memset(buf, 0xaa, sizeof buf);
        zf_range_req r = req("data.bin", (int64_t)off, len, buf);
        zf_store_read(s, &r, 1);
        ck_assert_msg(r.code == ZF_OK, "%s", r.err.msg);
        size_t want = off >= 1000 ? 0 : (1000 - off < len ? 1000 - off : len);
        ck_assert_uint_eq(r.got, want);
        for (size_t i = 0; i < want; i++)
            ck_assert_uint_eq(buf[i], byte_at(off + i));
        for (size_t i = want; i < sizeof buf; i++)
            ck_assert_uint_eq(buf[i], 0xaa); /* nothing past what was got */
    }
    zf_store_close(s);
}
END_TEST

START_TEST(test_short_reads_at_end)
{
    zf_store *s = open_store(0);
    uint8_t buf[200];
    zf_range_req r = req("data.bin", 990, 100, buf);
    zf_store_read(s, &r, 1);
    ck_assert_int_eq(r.code, ZF_OK);
    ck_assert_uint_eq(r.got, 10);
    for (size_t i = 0; i < 10; i++)
        ck_assert_uint_eq(buf[i], byte_at(990 + i));
    r = req("data.bin", 1000, 10, buf);
    zf_store_read(s, &r, 1);
    ck_assert_int_eq(r.code, ZF_OK);
    ck_assert_uint_eq(r.got, 0);
    r = req("data.bin", 1 << 30, 10, buf);
    zf_store_read(s, &r, 1);
    ck_assert_int_eq(r.code, ZF_OK);
    ck_assert_uint_eq(r.got, 0);
    r = req("empty", 0, 10, buf);
    zf_store_read(s, &r, 1);
    ck_assert_int_eq(r.code, ZF_OK);
    ck_assert_uint_eq(r.got, 0);
    r = req("data.bin", 5, 0, buf);
    zf_store_read(s, &r, 1);
    ck_assert_int_eq(r.code, ZF_OK);
    ck_assert_uint_eq(r.got, 0);
    zf_store_close(s);
}
END_TEST

START_TEST(test_suffix_reads)
{
    zf_store *s = open_store(0);
    static uint8_t buf[5000];
    zf_range_req r = req("data.bin", -10, 0, buf);
    zf_store_read(s, &r, 1);
    ck_assert_int_eq(r.code, ZF_OK);
    ck_assert_uint_eq(r.got, 10);
    for (size_t i = 0; i < 10; i++)
        ck_assert_uint_eq(buf[i], byte_at(990 + i));
    /* len is ignored for a suffix */
    r = req("data.bin", -3, 999, buf);
    zf_store_read(s, &r, 1);
    ck_assert_int_eq(r.code, ZF_OK);
    ck_assert_uint_eq(r.got, 3);
    ck_assert_uint_eq(buf[0], byte_at(997));
    r = req("data.bin", -1000, 0, buf);
    zf_store_read(s, &r, 1);
    ck_assert_uint_eq(r.got, 1000);
    for (size_t i = 0; i < 1000; i++)
        ck_assert_uint_eq(buf[i], byte_at(i));
    /* a suffix longer than the key is the whole key */
    r = req("data.bin", -5000, 0, buf);
    zf_store_read(s, &r, 1);
    ck_assert_int_eq(r.code, ZF_OK);
    ck_assert_uint_eq(r.got, 1000);
    for (size_t i = 0; i < 1000; i++)
        ck_assert_uint_eq(buf[i], byte_at(i));
    r = req("empty", -4, 0, buf);
    zf_store_read(s, &r, 1);
    ck_assert_int_eq(r.code, ZF_OK);
    ck_assert_uint_eq(r.got, 0);
    r = req("missing", -4, 0, buf);
    zf_store_read(s, &r, 1);
    ck_assert_int_eq(r.code, ZF_ENOTFOUND);
    zf_store_close(s);
}
END_TEST

START_TEST(test_missing_keys)
{
    zf_store *s = open_store(0);
    static const char *const keys[] = {"nope", "sub/nope", "nope/deeper",
                                       "data.bin/inside", "a/b/c/d"};
    uint8_t buf[8];
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        zf_range_req r = req(keys[k], 0, 8, buf);
        zf_store_read(s, &r, 1);
        ck_assert_msg(r.code == ZF_ENOTFOUND, "%s: %s", keys[k],
                      zf_code_name(r.code));
        ck_assert_int_eq(r.err.code, ZF_ENOTFOUND);
        ck_assert_uint_eq(r.got, 0);
        tu_assert_has(r.err.msg, keys[k]);
        zf_store_stat st;
        zf_err err = {0};
        ck_assert_int_eq(zf_store_stat_key(s, keys[k], &st, &err), ZF_ENOTFOUND);
        tu_assert_has(err.msg, keys[k]);
        uint8_t *data = NULL;
        size_t len = 0;
        ck_assert_int_eq(zf_store_get(s, keys[k], 100, &data, &len, &err),
                         ZF_ENOTFOUND);
        ck_assert_ptr_null(data);
    }
    zf_store_close(s);
}
END_TEST

/* A folder where a file is expected is an error, not data and not a crash. */
START_TEST(test_folder_as_key)
{
    zf_store *s = open_store(0);
    static const char *const keys[] = {"folder", "sub", "a/b"};
    uint8_t buf[8];
    for (size_t k = 0; k < 3; k++) {
        zf_range_req r = req(keys[k], 0, 8, buf);
        zf_store_read(s, &r, 1);
        ck_assert_msg(r.code != ZF_OK, "%s read as a file", keys[k]);
        ck_assert_uint_eq(r.got, 0);
        r = req(keys[k], -8, 0, buf);
        zf_store_read(s, &r, 1);
        ck_assert_int_ne(r.code, ZF_OK);
        zf_store_stat st;
        zf_err err = {0};
        ck_assert_int_ne(zf_store_stat_key(s, keys[k], &st, &err), ZF_OK);
        uint8_t *data = NULL;
        size_t len = 0;
        ck_assert_int_ne(zf_store_get(s, keys[k], 100, &data, &len, &err), ZF_OK);
        ck_assert_ptr_null(data);
    }
    zf_store_close(s);
}
END_TEST

/* An unreadable file is an I/O error, distinct from a missing key (only
 * testable when not running as root, which ignores permissions). */
START_TEST(test_unreadable_is_io_error)
{
    if (geteuid() == 0)
        return;
    char path[4300];
    snprintf(path, sizeof path, "%s/data.bin", g_root);
    ck_assert_int_eq(chmod(path, 0), 0);
    zf_store *s = open_store(0);
    uint8_t buf[8];
    zf_range_req r = req("data.bin", 0, 8, buf);
    zf_store_read(s, &r, 1);
    ck_assert_int_eq(r.code, ZF_EIO);
    tu_assert_has(r.err.msg, "data.bin");
    zf_store_close(s);
    chmod(path, 0644);
}
END_TEST

START_TEST(test_unsafe_keys_refused)
{
    zf_store *s = open_store(0);
    static const char *const keys[] = {
        "../secret.txt", "sub/../../secret.txt", "sub/../data.bin", "..",
        "/etc/passwd", "/data.bin", "./data.bin", "sub/./nested.bin", ".",
        "sub//nested.bin", "", "//data.bin"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        uint8_t buf[16];
        memset(buf, 0x55, sizeof buf);
        zf_range_req r = req(keys[k], 0, 16, buf);
        zf_store_read(s, &r, 1);
        ck_assert_msg(r.code != ZF_OK, "key \"%s\" was read", keys[k]);
        ck_assert_uint_eq(r.got, 0);
        for (size_t i = 0; i < sizeof buf; i++)
            ck_assert_uint_eq(buf[i], 0x55);
        r = req(keys[k], -6, 0, buf);
        zf_store_read(s, &r, 1);
        ck_assert_int_ne(r.code, ZF_OK);
        zf_store_stat st;
        zf_err err = {0};
        ck_assert_msg(zf_store_stat_key(s, keys[k], &st, &err) != ZF_OK,
                      "key \"%s\" was stat'ed", keys[k]);
        uint8_t *data = NULL;
        size_t len = 0;
        ck_assert_int_ne(zf_store_get(s, keys[k], 100, &data, &len, &err), ZF_OK);
        ck_assert_ptr_null(data);
    }
    /* those with ".." or a leading "/" are refused as bad keys */
    for (size_t k = 0; k < 6; k++) {
        uint8_t buf[16];
        zf_range_req r = req(keys[k], 0, 16, buf);
        zf_store_read(s, &r, 1);
        ck_assert_msg(r.code == ZF_EINVAL, "key \"%s\": %s", keys[k],
                      zf_code_name(r.code));
    }
    zf_store_close(s);
}
END_TEST

static void collect(void *arg, const char *name, int is_dir)
{
    char *out = arg;
    char item[300];
    snprintf(item, sizeof item, "%s%s;", name, is_dir ? "/" : "");
    strcat(out, item);
}

static int has_item(const char *list, const char *item)
{
    char want[300];
    snprintf(want, sizeof want, ";%s;", item);
    char buf[4200];
    snprintf(buf, sizeof buf, ";%s", list);
    return strstr(buf, want) != NULL;
}

START_TEST(test_list_and_stat)
{
    zf_store *s = open_store(0);
    char out[4096] = "";
    zf_err err = {0};
    ck_assert_int_eq(s->ops->list(s, "", collect, out, &err), ZF_OK);
    static const char *const want[] = {"data.bin", "empty", "sub/", "a/", "folder/"};
    for (size_t k = 0; k < 5; k++)
        ck_assert_msg(has_item(out, want[k]), "list lacks %s: %s", want[k], out);
    ck_assert(!strstr(out, "secret"));
    ck_assert(!has_item(out, ".") && !has_item(out, "..") && !has_item(out, "./"));
    out[0] = 0;
    ck_assert_int_eq(s->ops->list(s, "a/b/", collect, out, &err), ZF_OK);
    ck_assert_str_eq(out, "c;");
    ck_assert_int_ne(s->ops->list(s, "nope/", collect, out, &err), ZF_OK);
    ck_assert_int_ne(s->ops->list(s, "../", collect, out, &err), ZF_OK);

    zf_store_stat st = {0};
    ck_assert_int_eq(zf_store_stat_key(s, "data.bin", &st, &err), ZF_OK);
    ck_assert_uint_eq(st.size, 1000);
    time_t now = time(NULL);
    ck_assert(st.mtime > now - 3600 && st.mtime <= now + 60);
    ck_assert_int_eq(zf_store_stat_key(s, "sub/nested.bin", &st, &err), ZF_OK);
    ck_assert_uint_eq(st.size, 6);
    ck_assert_int_eq(zf_store_stat_key(s, "empty", &st, &err), ZF_OK);
    ck_assert_uint_eq(st.size, 0);
    zf_store_close(s);
}
END_TEST

/* A read carries the version it was planned on: the same file reads, a
 * file renamed over the key (same size, other bytes) is refused, whether
 * the descriptor was open before (kept) or is opened after the rename;
 * version 0 reads whatever is there. */
START_TEST(test_read_checks_version)
{
    zf_store *s = open_store(0);
    zf_err err = {0};
    uint8_t buf[8];
    zf_store_stat v1 = {0}, v2 = {0};
    ck_assert_int_eq(zf_store_stat_key(s, "data.bin", &v1, &err), ZF_OK);
    zf_range_req r = req("data.bin", 0, 8, buf);
    r.version = v1.version; /* as the planner tags it */
    zf_store_read(s, &r, 1);
    ck_assert_msg(r.code == ZF_OK && r.got == 8, "%s", r.err.msg);

    uint8_t other[1000];
    memset(other, 0x5a, sizeof other);
    tu_write(g_root, "next.bin", other, sizeof other);
    char from[4300], to[4300];
    snprintf(from, sizeof from, "%s/next.bin", g_root);
    snprintf(to, sizeof to, "%s/data.bin", g_root);
    ck_assert_int_eq(rename(from, to), 0);
    for (int pass = 0; pass < 2; pass++) { /* kept descriptor, then reopened */
        r = req("data.bin", 0, 8, buf);
        r.version = v1.version;
        zf_store_read(s, &r, 1);
        ck_assert_int_eq(r.code, ZF_ECHANGED);
        ck_assert_msg(strstr(r.err.msg, "data.bin: changed while being read"),
                      "%s", r.err.msg);
        ck_assert_int_eq(zf_store_stat_key(s, "data.bin", &v2, &err), ZF_OK);
        ck_assert_uint_ne(v1.version, v2.version);
    }
    r = req("data.bin", 0, 8, buf);
    r.version = v2.version;
    zf_store_read(s, &r, 1);
    ck_assert_msg(r.code == ZF_OK && buf[0] == 0x5a, "%s", r.err.msg);
    r = req("data.bin", 0, 8, buf);
    zf_store_read(s, &r, 1); /* version 0: any */
    ck_assert_int_eq(r.code, ZF_OK);
    zf_store_close(s);
}
END_TEST

START_TEST(test_batch_results)
{
    zf_store *s = open_store(2);
    uint8_t b0[8], b1[8], b2[8], b3[8], b4[8];
    zf_range_req r[5] = {req("data.bin", 100, 8, b0), req("nope", 0, 8, b1),
                         req("../secret.txt", 0, 6, b2),
                         req("sub/nested.bin", -3, 0, b3),
                         req("a/b/c", 1, 8, b4)};
    zf_store_read(s, r, 5);
    ck_assert_int_eq(r[0].code, ZF_OK);
    ck_assert_uint_eq(r[0].got, 8);
    for (size_t i = 0; i < 8; i++)
        ck_assert_uint_eq(b0[i], byte_at(100 + i));
    ck_assert_int_eq(r[1].code, ZF_ENOTFOUND);
    ck_assert_int_ne(r[2].code, ZF_OK);
    ck_assert_uint_eq(r[2].got, 0);
    ck_assert_int_eq(r[3].code, ZF_OK);
    ck_assert_uint_eq(r[3].got, 3);
    ck_assert_mem_eq(b3, "ted", 3);
    ck_assert_int_eq(r[4].code, ZF_OK);
    ck_assert_uint_eq(r[4].got, 2);
    ck_assert_mem_eq(b4, "bc", 2);
    zf_store_close(s);
}
END_TEST

START_TEST(test_store_get_limit)
{
    uint8_t data[100];
    for (int i = 0; i < 100; i++)
        data[i] = (uint8_t)('A' + i % 26);
    tu_write(g_root, "hundred", data, 100);
    zf_store *s = open_store(0);
    uint8_t *p = NULL;
    size_t len = 0;
    zf_err err = {0};
    ck_assert_int_eq(zf_store_get(s, "hundred", 99, &p, &len, &err), ZF_ELIMIT);
    ck_assert_ptr_null(p);
    tu_assert_has(err.msg, "hundred");
    ck_assert_int_eq(zf_store_get(s, "hundred", 100, &p, &len, &err), ZF_OK);
    ck_assert_uint_eq(len, 100);
    ck_assert_mem_eq(p, data, 100);
    ck_assert_uint_eq(p[100], 0); /* NUL-terminated for JSON */
    free(p);
    p = NULL;
    ck_assert_int_eq(zf_store_get(s, "empty", 0, &p, &len, &err), ZF_OK);
    ck_assert_uint_eq(len, 0);
    ck_assert_uint_eq(p[0], 0);
    free(p);
    p = NULL;
    ck_assert_int_eq(zf_store_get(s, "data.bin", 1 << 20, &p, &len, &err), ZF_OK);
    ck_assert_uint_eq(len, 1000);
    for (size_t i = 0; i < 1000; i++)
        ck_assert_uint_eq(p[i], byte_at(i));
    free(p);
    zf_store_close(s);
}
END_TEST

START_TEST(test_open_errors)
{
    zf_store *s = NULL;
    zf_err err = {0};
    char path[4300];
    snprintf(path, sizeof path, "%s/no_such_folder", g_dir);
    ck_assert_int_eq(zf_store_open_local(path, 0, &s, &err), ZF_ENOTFOUND);
    tu_assert_has(err.msg, "no_such_folder");
    snprintf(path, sizeof path, "%s/secret.txt", g_dir);
    ck_assert_int_ne(zf_store_open_local(path, 0, &s, &err), ZF_OK);
}
END_TEST

/* ---- many keys, few descriptors ------------------------------------------ */

#define NFILES 50
#define NTHREADS 8

static uint8_t file_byte(int f, size_t i)
{
    return (uint8_t)(f * 17 + i * 5 + 3);
}

static size_t file_size(int f)
{
    return 100 + (size_t)f * 3;
}

typedef struct worker_arg {
    zf_store *s;
    int seed;
    int bad;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *w = p;
    tu_rng r = {(uint64_t)w->seed * 7919 + 1};
    for (int it = 0; it < 400; it++) {
        enum { BATCH = 6 };
        zf_range_req rq[BATCH];
        uint8_t buf[BATCH][256];
        int f[BATCH];
        size_t off[BATCH];
        char keys[BATCH][32];
        int n = (int)tu_range(&r, 1, BATCH);
        for (int k = 0; k < n; k++) {
            f[k] = (int)tu_range(&r, 0, NFILES - 1);
            snprintf(keys[k], sizeof keys[k], "many/f%02d", f[k]);
            off[k] = (size_t)tu_range(&r, 0, file_size(f[k]) - 1);
            rq[k] = req(keys[k], (int64_t)off[k], 64, buf[k]);
        }
        zf_store_read(w->s, rq, (size_t)n);
        for (int k = 0; k < n; k++) {
            size_t want = file_size(f[k]) - off[k];
            if (want > 64)
                want = 64;
            if (rq[k].code != ZF_OK || rq[k].got != want) {
                w->bad++;
                continue;
            }
            for (size_t i = 0; i < want; i++)
                if (buf[k][i] != file_byte(f[k], off[k] + i)) {
                    w->bad++;
                    break;
                }
        }
    }
    return NULL;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

START_TEST(test_many_keys_few_descriptors)
{
    for (int f = 0; f < NFILES; f++) {
        uint8_t data[300];
        char key[32];
        for (size_t i = 0; i < file_size(f); i++)
            data[i] = file_byte(f, i);
        snprintf(key, sizeof key, "many/f%02d", f);
        tu_write(g_root, key, data, file_size(f));
    }
    int before = count_fds();
    zf_store *s = open_store(4);
    /* one thread, every key in turn, twice: the table must recycle */
    for (int round = 0; round < 2; round++)
        for (int f = 0; f < NFILES; f++) {
            char key[32];
            uint8_t buf[300];
            snprintf(key, sizeof key, "many/f%02d", f);
            zf_range_req r = req(key, 0, sizeof buf, buf);
            zf_store_read(s, &r, 1);
            ck_assert_int_eq(r.code, ZF_OK);
            ck_assert_uint_eq(r.got, file_size(f));
            for (size_t i = 0; i < r.got; i++)
                ck_assert_uint_eq(buf[i], file_byte(f, i));
        }
    pthread_t t[NTHREADS];
    worker_arg w[NTHREADS];
    for (int k = 0; k < NTHREADS; k++) {
        w[k] = (worker_arg){s, k + 1, 0};
        ck_assert_int_eq(pthread_create(&t[k], NULL, worker, &w[k]), 0);
    }
    for (int k = 0; k < NTHREADS; k++) {
        pthread_join(t[k], NULL);
        ck_assert_int_eq(w[k].bad, 0);
    }
    /* at rest, the store holds its root and at most max_fds descriptors */
    if (before >= 0)
        ck_assert_int_le(count_fds(), before + 1 + 4);
    zf_store_close(s);
    if (before >= 0)
        ck_assert_int_eq(count_fds(), before);
}
END_TEST

/* A key that is a FIFO (or other non-file) is an error at once: the read
 * must neither block waiting for a writer nor return data.  Run in its own
 * test case with a short timeout, so a hang fails instead of stalling. */
START_TEST(test_fifo_key_does_not_hang)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/pipe", g_root);
    ck_assert_int_eq(mkfifo(path, 0644), 0);
    zf_store *s = open_store(0);
    uint8_t buf[8];
    zf_range_req r = req("pipe", 0, 8, buf);
    zf_store_read(s, &r, 1);
    ck_assert_int_ne(r.code, ZF_OK);
    ck_assert_uint_eq(r.got, 0);
    r = req("pipe", -8, 0, buf);
    zf_store_read(s, &r, 1);
    ck_assert_int_ne(r.code, ZF_OK);
    zf_store_stat st;
    zf_err err = {0};
    ck_assert_int_ne(zf_store_stat_key(s, "pipe", &st, &err), ZF_OK);
    zf_store_close(s);
}
END_TEST

/* Retry backoff (store_http.h): two processes started alike draw
 * different jitter for their first retry (an unseeded rand() gives both the
 * same); each delay lies within 75..125 % of 0.1 s doubling to 5 s; and the
 * process's rand() sequence is left alone. */
static double first_backoff_in_child(void)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        double d = zf_http_backoff(0);
        _exit(write(fds[1], &d, sizeof d) == sizeof d ? 0 : 1);
    }
    double d = -1;
    ck_assert_int_eq(read(fds[0], &d, sizeof d), (ssize_t)sizeof d);
    waitpid(pid, NULL, 0);
    close(fds[0]);
    close(fds[1]);
    return d;
}

/* The remote store's table gives a read of one version what to send so the
 * server checks it (If-Match, else If-Unmodified-Since), and tells a read
 * of a version it knows to be gone (store_http.h). */
START_TEST(test_stat_table_validators)
{
    zf_stat_table t;
    zf_stat_table_init(&t);
    char etag[64];
    time_t mt = 5;
    uint64_t sz = 5;
    uint64_t v1 = zf_stat_version(100, 1000, 0x1234);
    ck_assert_int_eq(zf_stat_table_validator(&t, "k", v1, etag, sizeof etag, &mt, &sz), 0);
    ck_assert_int_eq(mt, 0);
    ck_assert_uint_eq(sz, 0);
    zf_stat_table_put(&t, "k", 1, 100, 1000, 0x1234, "\"abc\"");
    /* the planned version: its ETag, and its size for the reply's check */
    ck_assert_int_eq(zf_stat_table_validator(&t, "k", v1, etag, sizeof etag, &mt, &sz), 1);
    ck_assert_str_eq(etag, "\"abc\"");
    ck_assert_int_eq(mt, 0);
    ck_assert_uint_eq(sz, 100);
    /* a version that differs in its lowest bit only is another version */
    ck_assert_int_eq(zf_stat_table_validator(&t, "k", v1 ^ 1, etag, sizeof etag, &mt, &sz), -1);
    /* an ETag too long for the caller's buffer: the time instead */
    ck_assert_int_eq(zf_stat_table_validator(&t, "k", v1, etag, 4, &mt, &sz), 1);
    ck_assert_int_eq(mt, 1000);
    /* another version known: -1, nothing to send */
    ck_assert_int_eq(zf_stat_table_validator(&t, "k", v1 + 2, etag, sizeof etag, &mt, &sz), -1);
    /* a weak ETag never passes If-Match: the time instead */
    zf_stat_table_put(&t, "w", 1, 7, 2000, 0x99, "W/\"x\"");
    ck_assert_int_eq(zf_stat_table_validator(&t, "w", zf_stat_version(7, 2000, 0x99),
                                             etag, sizeof etag, &mt, &sz), 1);
    ck_assert_str_eq(etag, "");
    ck_assert_int_eq(mt, 2000);
    /* no ETag: the version is size and time, sent as If-Unmodified-Since */
    zf_stat_table_put(&t, "n", 1, 7, 3000, 0, NULL);
    ck_assert_int_eq(zf_stat_table_validator(&t, "n", zf_stat_version(7, 3000, 0),
                                             etag, sizeof etag, &mt, &sz), 1);
    ck_assert_str_eq(etag, "");
    ck_assert_int_eq(mt, 3000);
    ck_assert_uint_eq(sz, 7);
    /* Last-Modified one second later, same size (a shard renamed over, as
     * remote_version's writer does): another version.  Taken for the same
     * one, a read planned on 3000 was sent If-Unmodified-Since 3001 and got
     * 3001's bytes (remote_version: mixed reads through nginx). */
    for (time_t t0 = 3000; t0 < 3004; t0++) {
        zf_stat_table_put(&t, "n", 1, 7, t0 + 1, 0, NULL);
        ck_assert_uint_ne(zf_stat_version(7, t0, 0), zf_stat_version(7, t0 + 1, 0));
        ck_assert_int_eq(zf_stat_table_validator(&t, "n", zf_stat_version(7, t0, 0),
                                                 etag, sizeof etag, &mt, &sz), -1);
        ck_assert_int_eq(mt, 0);
    }
    /* versions are never 0 (0 is "none" in a read) */
    ck_assert_uint_ne(zf_stat_version(0, 0, 0), 0);
    /* a range reply without validators keeps the version and its ETag */
    zf_stat_table_put(&t, "k", 1, 100, 0, 0, NULL);
    ck_assert_int_eq(zf_stat_table_validator(&t, "k", v1, etag, sizeof etag, &mt, &sz), 1);
    ck_assert_str_eq(etag, "\"abc\"");
    /* dropped (a 412): unknown again, the next stat asks the server */
    zf_stat_table_drop(&t, "k");
    zf_store_stat st;
    ck_assert_int_eq(zf_stat_table_get(&t, "k", &st), -1);
    ck_assert_int_eq(zf_stat_table_validator(&t, "k", v1, etag, sizeof etag, &mt, &sz), 0);
    ck_assert_int_eq(zf_stat_table_get(&t, "w", &st), 1);
    zf_stat_table_free(&t);
}
END_TEST

START_TEST(test_http_backoff)
{
    /* first, before this process draws (a fork copies the drawer's state) */
    double d1 = first_backoff_in_child(), d2 = first_backoff_in_child();
    ck_assert_msg(d1 != d2, "two processes drew the same jitter (%g)", d1);
    for (int a = 0; a < 10; a++) {
        double base = a >= 6 ? 5 : 0.1 * (double)(1 << a);
        for (int k = 0; k < 100; k++) {
            double d = zf_http_backoff(a);
            ck_assert_msg(d >= 0.75 * base - 1e-9 && d <= 1.25 * base + 1e-9,
                          "attempt %d: %g s, base %g s", a, d, base);
        }
    }
    srand(7);
    int r1 = rand();
    srand(7);
    zf_http_backoff(0);
    ck_assert_int_eq(rand(), r1);
}
END_TEST

/* Symbolic links: those leading out of the folder are refused with both
 * resolvers; the fallback walk (kernels without openat2) follows none, not
 * even one that stays inside, and says so rather than "no such key". */
static void read_link_key(zf_store *s, const char *key, zf_code want,
                          const char *want_bytes)
{
    char buf[16] = {0};
    zf_range_req r = req(key, 0, 6, buf);
    zf_store_read(s, &r, 1);
    ck_assert_msg(r.code == want, "%s: code %d (%s)", key, r.code, r.err.msg);
    if (want == ZF_OK)
        ck_assert_mem_eq(buf, want_bytes, 6);
    else
        ck_assert_msg(strstr(r.err.msg, "symbolic link"), "%s: %s", key,
                      r.err.msg);
}

START_TEST(test_symbolic_links_both_resolvers)
{
    char p[4400], t[4400];
    snprintf(p, sizeof p, "%s/out_abs", g_root);
    snprintf(t, sizeof t, "%s/secret.txt", g_dir);
    ck_assert_int_eq(symlink(t, p), 0);
    snprintf(p, sizeof p, "%s/out_rel", g_root);
    ck_assert_int_eq(symlink("../secret.txt", p), 0);
    snprintf(p, sizeof p, "%s/in_file", g_root);
    ck_assert_int_eq(symlink("sub/nested.bin", p), 0);
    snprintf(p, sizeof p, "%s/in_dir", g_root);
    ck_assert_int_eq(symlink("sub", p), 0);
    for (int walk = 0; walk < 2; walk++) {
        zf_store *s = NULL;
        zf_err err = {0};
        ck_assert_int_eq(zf_store_open_local_ex(g_root, 0, walk, &s, &err), ZF_OK);
        read_link_key(s, "out_abs", ZF_EIO, NULL);
        read_link_key(s, "out_rel", ZF_EIO, NULL);
        /* inside links: followed by openat2 when the kernel has it */
        char buf[8];
        zf_range_req r = req("in_file", 0, 6, buf);
        zf_store_read(s, &r, 1);
        int followed = r.code == ZF_OK;
        ck_assert(!walk || !followed);
        read_link_key(s, "in_file", followed ? ZF_OK : ZF_EIO, "nested");
        read_link_key(s, "in_dir/nested.bin", followed ? ZF_OK : ZF_EIO,
                      "nested");
        zf_store_stat st;
        ck_assert_int_eq(zf_store_stat_key(s, "out_rel", &st, &err), ZF_EIO);
        zf_store_close(s);
    }
}
END_TEST

/* URLs split by libcurl's parser: origin, Host header, path, query. */
static void expect_split(const char *url, const char *origin, const char *host,
                         const char *path, const char *query)
{
    char *o, *h, *p, *q;
    zf_err err = {0};
    ck_assert_msg(zf_http_url_split(url, &o, &h, &p, &q, &err) == ZF_OK, "%s: %s",
                  url, err.msg);
    ck_assert_str_eq(o, origin);
    ck_assert_str_eq(h, host);
    ck_assert_str_eq(p, path);
    if (query)
        ck_assert_str_eq(q, query);
    else
        ck_assert_ptr_null(q);
    free(o);
    free(h);
    free(p);
    free(q);
}

START_TEST(test_url_split)
{
    expect_split("http://example.org/data/a.zarr", "http://example.org",
                 "example.org", "/data/a.zarr", NULL);
    expect_split("https://example.org:443/x?sig=1&b=2#frag",
                 "https://example.org:443", "example.org", "/x", "sig=1&b=2");
    expect_split("http://u:pw@127.0.0.1:8080", "http://u:pw@127.0.0.1:8080",
                 "127.0.0.1:8080", "/", NULL);
    expect_split("http://[::1]:9000/b/../c%20d/?", "http://[::1]:9000",
                 "[::1]:9000", "/b/../c%20d/", NULL);
    char *o = (char *)1, *h, *p, *q;
    zf_err err = {0};
    ck_assert_int_eq(zf_http_url_split("http://", &o, &h, &p, &q, &err),
                     ZF_EINVAL);
    ck_assert_ptr_null(o);
    ck_assert(strstr(err.msg, "http://"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("store");
    TCase *t = tcase_create("local");
    tcase_add_unchecked_fixture(t, tu_base_setup, tu_base_teardown);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_range_reads);
    tcase_add_test(t, test_short_reads_at_end);
    tcase_add_test(t, test_suffix_reads);
    tcase_add_test(t, test_missing_keys);
    tcase_add_test(t, test_folder_as_key);
    tcase_add_test(t, test_unreadable_is_io_error);
    tcase_add_test(t, test_unsafe_keys_refused);
    tcase_add_test(t, test_list_and_stat);
    tcase_add_test(t, test_read_checks_version);
    tcase_add_test(t, test_batch_results);
    tcase_add_test(t, test_store_get_limit);
    tcase_add_test(t, test_open_errors);
    tcase_add_test(t, test_many_keys_few_descriptors);
    tcase_add_test(t, test_http_backoff);
    tcase_add_test(t, test_stat_table_validators);
    tcase_add_test(t, test_symbolic_links_both_resolvers);
    tcase_add_test(t, test_url_split);
    suite_add_tcase(s, t);
    t = tcase_create("special_files");
    tcase_add_unchecked_fixture(t, tu_base_setup, tu_base_teardown);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 10);
    tcase_add_test(t, test_fifo_key_does_not_hang);
    suite_add_tcase(s, t);
    return tu_run(s);
}
