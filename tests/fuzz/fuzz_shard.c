/*
 * fuzz_shard.c - fuzz target: a shard file read through the whole engine
 * (store, shard index decoding and checks, planning, inner chunk decoding).
 * Byte 0 picks the array's codecs:
 *   bit 0  index at the start (else at the end)
 *   bit 1  crc32c on the index and on each inner chunk
 *   bits 2-3  inner compressor: none, zstd, gzip, none
 *   bit 4  nested sharding (shards of 4x4 holding inner chunks of 2x2)
 *   bit 5  a transpose in front of sharding_indexed
 * The rest is the shard file c/0/0 of a uint16 array of 8x8 (one shard,
 * inner chunks of 2x4: 8 entries, an index of 128 bytes, 132 with crc32c).
 * A store is written under $TMPDIR for each input and opened with one
 * thread; the whole array and a middle range are read.  An accepted read
 * returns every byte; a refused one names the shard key.
 * zarrfs-pack writes valid shards of the same layout (tools/fuzz.sh seeds).
 */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "zarrfs/zarrfs.h"

static char g_dir[256];
static int g_variant = -1;

static int write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    const uint8_t *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return close(fd);
}

static void write_meta(int v)
{
    static const char *const comp[4] = {
        "", ",{\"name\":\"zstd\",\"configuration\":{\"level\":3,\"checksum\":false}}",
        ",{\"name\":\"gzip\",\"configuration\":{\"level\":5}}", ""};
    const char *crc = (v & 2) ? ",{\"name\":\"crc32c\"}" : "";
    const char *loc = (v & 1) ? "start" : "end";
    char inner[512], idx[256], codecs[1536], doc[2048], path[300];
    snprintf(idx, sizeof idx,
             "[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}%s]",
             crc);
    snprintf(inner, sizeof inner,
             "[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}%s%s]",
             comp[(v >> 2) & 3], crc);
    if (v & 16) {
        char nested[1024];
        snprintf(nested, sizeof nested,
                 "[{\"name\":\"sharding_indexed\",\"configuration\":{"
                 "\"chunk_shape\":[2,2],\"codecs\":%s,\"index_codecs\":%s,"
                 "\"index_location\":\"%s\"}}]", inner, idx, loc);
        snprintf(codecs, sizeof codecs,
                 "%s{\"name\":\"sharding_indexed\",\"configuration\":{"
                 "\"chunk_shape\":[4,4],\"codecs\":%s,\"index_codecs\":%s,"
                 "\"index_location\":\"%s\"}}",
                 (v & 32) ? "{\"name\":\"transpose\",\"configuration\":"
                            "{\"order\":[1,0]}}," : "",
                 nested, idx, loc);
    } else {
        snprintf(codecs, sizeof codecs,
                 "%s{\"name\":\"sharding_indexed\",\"configuration\":{"
                 "\"chunk_shape\":[2,4],\"codecs\":%s,\"index_codecs\":%s,"
                 "\"index_location\":\"%s\"}}",
                 (v & 32) ? "{\"name\":\"transpose\",\"configuration\":"
                            "{\"order\":[1,0]}}," : "",
                 inner, idx, loc);
    }
    snprintf(doc, sizeof doc,
             "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[8,8],"
             "\"data_type\":\"uint16\",\"chunk_grid\":{\"name\":\"regular\","
             "\"configuration\":{\"chunk_shape\":[8,8]}},\"chunk_key_encoding\":"
             "{\"name\":\"default\"},\"fill_value\":7,\"codecs\":[%s]}",
             codecs);
    snprintf(path, sizeof path, "%s/zarr.json", g_dir);
    FUZZ_CHECK(write_file(path, doc, strlen(doc)) == 0, "%s: %s", path,
               strerror(errno));
}

/* Removes the store at exit (the replay runs; libFuzzer's exit too). */
static void cleanup(void)
{
    static const char *const parts[] = {"c/0/0", "c/0", "c", "zarr.json", ""};
    char p[300];
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        snprintf(p, sizeof p, "%s/%s", g_dir, parts[i]);
        if (unlink(p) != 0)
            rmdir(p);
    }
}

static void setup(void)
{
    if (g_dir[0])
        return;
    atexit(cleanup);
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/zf_fuzz_shard.%d", tmp ? tmp : "/tmp",
             (int)getpid());
    char c[300];
    mkdir(g_dir, 0755);
    snprintf(c, sizeof c, "%s/c", g_dir);
    mkdir(c, 0755);
    snprintf(c, sizeof c, "%s/c/0", g_dir);
    mkdir(c, 0755);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    setup();
    int v = data[0] & 63;
    if (v != g_variant) {
        write_meta(v);
        g_variant = v;
    }
    char path[300];
    snprintf(path, sizeof path, "%s/c/0/0", g_dir);
    FUZZ_CHECK(write_file(path, data + 1, size - 1) == 0, "%s", path);

    zf_options o = {.threads = 1, .cache_bytes = 1 << 20, .no_prefetch = 1};
    zf_zarr *z = NULL;
    zf_err err;
    FUZZ_CHECK(zf_open(g_dir, &o, &z, &err) == ZF_OK, "open: %s", err.msg);
    zf_array *a = NULL;
    if (zf_array_get(z, "", &a, &err) == ZF_OK) {
        uint8_t buf[128 + 16];
        size_t got = 0;
        zf_code c = zf_array_read(a, 0, 128, buf, &got, &err);
        if (c == ZF_OK)
            FUZZ_CHECK(got == 128, "read %zu bytes of 128", got);
        else
            FUZZ_CHECK(strstr(err.msg, "c/0/0") != NULL,
                       "error %d without the key: %s", c, err.msg);
        c = zf_array_read(a, 37, 50, buf, &got, &err);
        if (c == ZF_OK)
            FUZZ_CHECK(got == 50, "read %zu bytes of 50", got);
    }
    zf_close(z);
    return 0;
}
