/*
 * test_errors.c - damaged input, one hand-made case per error of the engine's
 * error list, each in its own array of one store:
 *
 *   metadata: corrupt JSON, an unsupported codec, data type and chunk grid, a
 *   shape whose byte size overflows 64 bits, zero and negative (outer and
 *   inner) chunk sizes;
 *   shards (built here byte by byte: inner chunks, then the index of
 *   (offset, nbytes) uint64 little-endian pairs and its crc32c, computed by a
 *   bitwise CRC-32C written here): a file shorter than its index (at the
 *   end and at the start), entries
 *   pointing outside the file or wrapping around 2^64, entries overlapping the
 *   index (index at the end and at the start), an index crc32c mismatch, an
 *   inner chunk crc32c mismatch, zstd garbage, a valid zstd frame (made with
 *   libzstd here) of the wrong decoded size;
 *   plain chunks: crc32c mismatch, zstd garbage and wrong sizes, raw
 *   (bytes-only) chunks too short and too long.
 *
 * Each must give the right zf_code and a message naming the array or key and
 * the reason, never a crash (the build runs under ASan/UBSan) and never bytes
 * returned as valid (nread stays 0).  In each damaged array the other shard
 * or chunk is intact, and reading it afterwards must give the right bytes, as
 * must the undamaged array of the same store; the same holds for the
 * asynchronous API and for many threads mixing damaged and intact reads.
 *
 * Set ZF_TEST_VERBOSE=1 to print every error message.
 */
#include "testutil.h"

#include <json-c/json.h>
#include <pthread.h>
#include <zstd.h>

#include "codec/codec.h"
#include "meta/array.h"

#define FILL 9u
#define EMPTY UINT64_MAX

static char *g_dir;
static zf_zarr *g_z;

/* The value of element i of every test array (uint16, shape [8]). */
static uint16_t val(unsigned i)
{
    return (uint16_t)(1000 + 7 * i);
}

/* Elements [e0, e1) as little-endian bytes. */
static void elems_le(uint8_t *out, unsigned e0, unsigned e1)
{
    for (unsigned i = e0; i < e1; i++)
        tu_le16(out + 2 * (i - e0), val(i));
}

/* ---- shards built by hand ------------------------------------------------ */

#define NINNER 2                /* inner chunks of 2 elements per shard of 4 */
#define INDEX_BYTES (NINNER * 16 + 4)

typedef struct shard {
    uint8_t data[512]; /* the inner chunks, back to back */
    size_t dlen;
    uint64_t off[NINNER], len[NINNER]; /* relative to data; EMPTY = none */
    int at_start;
} shard;

static void shard_init(shard *s, int at_start)
{
    memset(s, 0, sizeof *s);
    s->at_start = at_start;
    for (int k = 0; k < NINNER; k++)
        s->off[k] = s->len[k] = EMPTY;
}

static void shard_add(shard *s, int k, const void *bytes, size_t n)
{
    memcpy(s->data + s->dlen, bytes, n);
    s->off[k] = s->dlen;
    s->len[k] = n;
    s->dlen += n;
}

/* Writes index entry k (absolute offset) and the index crc32c into a
 * serialised shard of total length n. */
static void shard_patch(uint8_t *out, size_t n, int at_start, int k,
                        uint64_t off, uint64_t len)
{
    uint8_t *idx = at_start ? out : out + n - INDEX_BYTES;
    tu_le64(idx + 16 * k, off);
    tu_le64(idx + 16 * k + 8, len);
    tu_le32(idx + NINNER * 16, tu_crc32c(idx, NINNER * 16));
}

/* The shard file: [index] data, or data [index]; returns its length. */
static size_t shard_bytes(const shard *s, uint8_t *out)
{
    size_t n = s->dlen + INDEX_BYTES;
    size_t base = s->at_start ? INDEX_BYTES : 0;
    memcpy(out + base, s->data, s->dlen);
    for (int k = 0; k < NINNER; k++)
        shard_patch(out, n, s->at_start, k,
                    s->off[k] == EMPTY ? EMPTY : s->off[k] + base,
                    s->len[k] == EMPTY ? EMPTY : s->len[k]);
    return n;
}

static void write_key(const char *array, const char *chunk, const void *p,
                      size_t n)
{
    char rel[256];
    snprintf(rel, sizeof rel, "%s/%s", array, chunk);
    tu_write(g_dir, rel, p, n);
}

/* inner: the inner chunks' codecs after bytes ("" or ", {...}"). */
static void sharded_array(const char *path, const char *inner, int at_start)
{
    char codecs[1024];
    snprintf(codecs, sizeof codecs,
             "[{\"name\": \"sharding_indexed\", \"configuration\": {"
             "\"chunk_shape\": [2], \"codecs\": [{\"name\": \"bytes\", "
             "\"configuration\": {\"endian\": \"little\"}}%s], "
             "\"index_codecs\": [{\"name\": \"bytes\", \"configuration\": "
             "{\"endian\": \"little\"}}, {\"name\": \"crc32c\"}], "
             "\"index_location\": \"%s\"}}]",
             inner, at_start ? "start" : "end");
    char fill[16];
    snprintf(fill, sizeof fill, "%u", FILL);
    tu_write_array(g_dir, path, &(tu_array){.dtype = "\"uint16\"", .shape = "[8]",
                                           .chunks = "[4]", .fill = fill,
                                           .codecs = codecs});
}

/* The intact second shard c/1: inner chunk 0 holds elements 4, 5; inner
 * chunk 1 is empty (fill). */
static void good_second_shard(const char *path, int at_start)
{
    shard s;
    uint8_t raw[4], out[1024];
    shard_init(&s, at_start);
    elems_le(raw, 4, 6);
    shard_add(&s, 0, raw, 4);
    write_key(path, "c/1", out, shard_bytes(&s, out));
}

/* A first shard c/0 holding elements 0..3 as two raw inner chunks. */
static size_t raw_first_shard(shard *s, int at_start, uint8_t *out)
{
    uint8_t raw[8];
    shard_init(s, at_start);
    elems_le(raw, 0, 4);
    shard_add(s, 0, raw, 4);
    shard_add(s, 1, raw + 4, 4);
    return shard_bytes(s, out);
}

static size_t zstd_frame(const void *src, size_t n, uint8_t *out, size_t cap)
{
    size_t r = ZSTD_compress(out, cap, src, n, 3);
    ck_assert(!ZSTD_isError(r));
    return r;
}

static void plain_array(const char *path, const char *after_bytes)
{
    char codecs[512], fill[16];
    snprintf(codecs, sizeof codecs,
             "[{\"name\": \"bytes\", \"configuration\": {\"endian\": \"little\"}}%s]",
             after_bytes);
    snprintf(fill, sizeof fill, "%u", FILL);
    tu_write_array(g_dir, path, &(tu_array){.dtype = "\"uint16\"", .shape = "[8]",
                                           .chunks = "[4]", .fill = fill,
                                           .codecs = codecs});
}

/* c/1 of a plain array: elements 4..7, encoded by `codec` (0 raw, 1 crc32c,
 * 2 zstd). */
static void good_second_chunk(const char *path, int codec)
{
    uint8_t raw[8], enc[256];
    elems_le(raw, 4, 8);
    size_t n = 8;
    if (codec == 1) {
        memcpy(enc, raw, 8);
        tu_le32(enc + 8, tu_crc32c(raw, 8));
        n = 12;
    } else if (codec == 2)
        n = zstd_frame(raw, 8, enc, sizeof enc);
    else
        memcpy(enc, raw, 8);
    write_key(path, "c/1", enc, n);
}

/* Builds the whole damaged store. */
static void build_store(void)
{
    uint8_t out[1024], raw[64], enc[256];
    size_t n;
    shard s;
    tu_write_group(g_dir, "");

    /* an intact array */
    plain_array("good", "");
    elems_le(raw, 0, 4);
    write_key("good", "c/0", raw, 8);
    good_second_chunk("good", 0);

    /* ---- metadata ---- */
    const char *cut = "{\"zarr_format\": 3, \"node_type\": \"array\", \"shape\": [8";
    tu_write(g_dir, "badjson/zarr.json", cut, strlen(cut));
    plain_array("badcodec", ", {\"name\": \"no_such_codec\"}");
    {
        const char *grid = "{\"zarr_format\": 3, \"node_type\": \"array\", "
                           "\"shape\": [8], \"data_type\": \"uint8\", "
                           "\"chunk_grid\": {\"name\": \"rectilinear\", "
                           "\"configuration\": {\"chunk_shapes\": [[4, 4]]}}, "
                           "\"chunk_key_encoding\": {\"name\": \"default\"}, "
                           "\"fill_value\": 0, \"codecs\": [{\"name\": \"bytes\"}]}";
        tu_write(g_dir, "badgrid/zarr.json", grid, strlen(grid));
    }
    tu_write_array(g_dir, "baddtype", &(tu_array){.dtype = "\"string\"", .fill = "\"\""});
    tu_write_array(g_dir, "overflow", &(tu_array){.dtype = "\"uint16\"",
                                                 .shape = "[4294967296, 4294967296]",
                                                 .chunks = "[1024, 1024]"});
    tu_write_array(g_dir, "overflow3", &(tu_array){
        .dtype = "\"uint64\"", .shape = "[2097152, 2097152, 2097152]",
        .chunks = "[64, 64, 64]"});
    tu_write_array(g_dir, "zerochunk", &(tu_array){.shape = "[8]", .chunks = "[0]"});
    tu_write_array(g_dir, "negchunk", &(tu_array){.shape = "[8, 8]", .chunks = "[4, -2]"});
    tu_write_array(g_dir, "zeroinner", &(tu_array){
        .shape = "[8]", .chunks = "[4]",
        .codecs = "[{\"name\": \"sharding_indexed\", \"configuration\": {"
                  "\"chunk_shape\": [0], \"codecs\": [{\"name\": \"bytes\"}], "
                  "\"index_codecs\": [{\"name\": \"bytes\", \"configuration\": "
                  "{\"endian\": \"little\"}}]}}]"});

    /* ---- shards ---- */
    sharded_array("sh_good", "", 0);
    write_key("sh_good", "c/0", out, raw_first_shard(&s, 0, out));
    good_second_shard("sh_good", 0);

    sharded_array("sh_trunc", "", 0);
    n = raw_first_shard(&s, 0, out);
    write_key("sh_trunc", "c/0", out + n - 10, 10); /* 10 < 36 index bytes */
    good_second_shard("sh_trunc", 0);

    sharded_array("sh_trunc_start", "", 1);
    n = raw_first_shard(&s, 1, out);
    write_key("sh_trunc_start", "c/0", out, 35); /* one byte short of the index */
    good_second_shard("sh_trunc_start", 1);

    sharded_array("sh_outside", "", 0);
    n = raw_first_shard(&s, 0, out);
    shard_patch(out, n, 0, 1, 1000, 4);
    write_key("sh_outside", "c/0", out, n);
    good_second_shard("sh_outside", 0);

    sharded_array("sh_wrap", "", 0);
    n = raw_first_shard(&s, 0, out);
    shard_patch(out, n, 0, 1, 4, UINT64_MAX - 2); /* offset + nbytes wraps */
    write_key("sh_wrap", "c/0", out, n);
    good_second_shard("sh_wrap", 0);

    sharded_array("sh_overlap_end", "", 0);
    n = raw_first_shard(&s, 0, out); /* data 0..8, index 8..44 */
    shard_patch(out, n, 0, 1, 4, 8);  /* 4..12 runs into the index */
    write_key("sh_overlap_end", "c/0", out, n);
    good_second_shard("sh_overlap_end", 0);

    sharded_array("sh_overlap_start", "", 1);
    n = raw_first_shard(&s, 1, out); /* index 0..36, data 36..44 */
    shard_patch(out, n, 1, 1, 30, 4); /* inside the index */
    write_key("sh_overlap_start", "c/0", out, n);
    good_second_shard("sh_overlap_start", 1);

    sharded_array("sh_idxcrc", "", 0);
    n = raw_first_shard(&s, 0, out);
    out[n - 1] ^= 0x40; /* the stored crc32c */
    write_key("sh_idxcrc", "c/0", out, n);
    good_second_shard("sh_idxcrc", 0);

    sharded_array("sh_idxcrc_start", "", 1);
    n = raw_first_shard(&s, 1, out);
    out[3] ^= 0x01; /* an index entry, under the crc */
    write_key("sh_idxcrc_start", "c/0", out, n);
    good_second_shard("sh_idxcrc_start", 1);

    /* inner chunks with crc32c; inner chunk 1 of c/0 is damaged */
    sharded_array("sh_chunkcrc", ", {\"name\": \"crc32c\"}", 0);
    shard_init(&s, 0);
    for (int k = 0; k < 2; k++) {
        uint8_t c[8] = {0}; /* (GCC 14 cannot see elems_le fill it) */
        elems_le(c, 2 * (unsigned)k, 2 * (unsigned)k + 2);
        tu_le32(c + 4, tu_crc32c(c, 4));
        if (k == 1)
            c[0] ^= 1;
        shard_add(&s, k, c, 8);
    }
    write_key("sh_chunkcrc", "c/0", out, shard_bytes(&s, out));
    {
        shard g;
        uint8_t c[8];
        shard_init(&g, 0);
        elems_le(c, 4, 6);
        tu_le32(c + 4, tu_crc32c(c, 4));
        shard_add(&g, 0, c, 8);
        write_key("sh_chunkcrc", "c/1", out, shard_bytes(&g, out));
    }

    /* zstd inner chunks: garbage, and a frame of the wrong size */
    const char *zstd = ", {\"name\": \"zstd\", \"configuration\": {\"level\": 3, "
                       "\"checksum\": false}}";
    for (int variant = 0; variant < 3; variant++) {
        static const char *const names[] = {"sh_zgarbage", "sh_zshort", "sh_zlong"};
        sharded_array(names[variant], zstd, 0);
        shard_init(&s, 0);
        elems_le(raw, 0, 4);
        n = zstd_frame(raw, 4, enc, sizeof enc);
        shard_add(&s, 0, enc, n);
        if (variant == 0)
            n = (memcpy(enc, "this is not a zstd frame", 24), 24);
        else if (variant == 1)
            n = zstd_frame(raw + 4, 2, enc, sizeof enc); /* 2 of 4 bytes */
        else
            n = zstd_frame(raw, 8, enc, sizeof enc); /* 8 of 4 bytes */
        shard_add(&s, 1, enc, n);
        write_key(names[variant], "c/0", out, shard_bytes(&s, out));
        shard g;
        shard_init(&g, 0);
        elems_le(raw, 4, 6);
        n = zstd_frame(raw, 4, enc, sizeof enc);
        shard_add(&g, 0, enc, n);
        write_key(names[variant], "c/1", out, shard_bytes(&g, out));
    }

    /* ---- plain chunks ---- */
    plain_array("ch_crc", ", {\"name\": \"crc32c\"}");
    elems_le(enc, 0, 4);
    tu_le32(enc + 8, tu_crc32c(enc, 8) ^ 0x100);
    write_key("ch_crc", "c/0", enc, 12);
    good_second_chunk("ch_crc", 1);

    plain_array("ch_crcshort", ", {\"name\": \"crc32c\"}");
    write_key("ch_crcshort", "c/0", "\1\2\3", 3); /* shorter than a checksum */
    good_second_chunk("ch_crcshort", 1);

    const char *zstd_plain = ", {\"name\": \"zstd\", \"configuration\": {\"level\": 1}}";
    plain_array("ch_zgarbage", zstd_plain);
    for (int i = 0; i < 40; i++)
        enc[i] = (uint8_t)(i * 37 + 11);
    write_key("ch_zgarbage", "c/0", enc, 40);
    good_second_chunk("ch_zgarbage", 2);

    plain_array("ch_zempty", zstd_plain);
    write_key("ch_zempty", "c/0", "", 0);
    good_second_chunk("ch_zempty", 2);

    plain_array("ch_zshort", zstd_plain);
    elems_le(raw, 0, 4);
    write_key("ch_zshort", "c/0", enc, zstd_frame(raw, 6, enc, sizeof enc));
    good_second_chunk("ch_zshort", 2);

    plain_array("ch_zlong", zstd_plain);
    elems_le(raw, 0, 8);
    write_key("ch_zlong", "c/0", enc, zstd_frame(raw, 16, enc, sizeof enc));
    good_second_chunk("ch_zlong", 2);

    /* a zstd frame that hides its size, decoding to twice the chunk */
    plain_array("ch_zstream", zstd_plain);
    {
        ZSTD_CCtx *cc = ZSTD_createCCtx();
        ck_assert_ptr_nonnull(cc);
        ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
        elems_le(raw, 0, 8);
        n = ZSTD_compress2(cc, enc, sizeof enc, raw, 16);
        ck_assert(!ZSTD_isError(n));
        ZSTD_freeCCtx(cc);
        write_key("ch_zstream", "c/0", enc, n);
    }
    good_second_chunk("ch_zstream", 2);

    plain_array("raw_short", "");
    elems_le(raw, 0, 4);
    write_key("raw_short", "c/0", raw, 7);
    good_second_chunk("raw_short", 0);

    plain_array("raw_long", "");
    write_key("raw_long", "c/0", raw, 9);
    good_second_chunk("raw_long", 0);
}

static void setup(void)
{
    g_dir = tu_mkdtemp();
    build_store();
    g_z = tu_open(g_dir, 4);
}

static void teardown(void)
{
    zf_close(g_z);
    g_z = NULL;
    tu_rmtree(g_dir);
    free(g_dir);
    g_dir = NULL;
}

/* ---- checks ------------------------------------------------------------- */

/* The expected flat view of every uint16 test array's second half, given
 * whether its second chunk/shard has elements 6, 7 (plain) or fill (shard). */
static void expect_second_half(uint16_t *want, int sharded)
{
    for (unsigned i = 4; i < 8; i++)
        want[i - 4] = sharded && i >= 6 ? (uint16_t)FILL : val(i);
}

/* Reads [0, 8) bytes (the damaged first chunk) and checks the error; then
 * the whole array (also an error); then the intact second half. */
static void check_damaged(const char *path, int sharded, zf_code code,
                          const char *key, const char *reason)
{
    zf_array *a = tu_array_get(g_z, path);
    uint8_t buf[16];
    for (int pass = 0; pass < 2; pass++) {
        size_t off = 0, len = pass ? 16 : 8;
        size_t nread = 12345;
        zf_err err = {0};
        memset(buf, 0xee, sizeof buf);
        zf_code c = zf_array_read(a, off, len, buf, &nread, &err);
        ck_assert_msg(c == code, "%s: got %s (%s), expected %s", path,
                      zf_code_name(c), err.msg, zf_code_name(code));
        if (getenv("ZF_TEST_VERBOSE"))
            fprintf(stderr, "%s: %s\n", path, err.msg);
        ck_assert_int_eq(err.code, code);
        ck_assert_uint_eq(nread, 0);
        tu_assert_has(err.msg, path);
        tu_assert_has(err.msg, key);
        tu_assert_has(err.msg, reason);
    }
    /* an unaligned read of one byte of element 3 (in the damaged chunk, or
     * the damaged inner chunk 1 of the shard) fails too */
    size_t nread = 1;
    zf_err err = {0};
    ck_assert_int_eq(zf_array_read(a, 7, 1, buf, &nread, &err), code);
    ck_assert_uint_eq(nread, 0);
    /* the rest of the array is intact */
    uint16_t want[4], got[4];
    expect_second_half(want, sharded);
    nread = 0;
    ck_assert_msg(zf_array_read(a, 8, 8, got, &nread, &err) == ZF_OK,
                  "%s: intact half: %s", path, err.msg);
    ck_assert_uint_eq(nread, 8);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(got[i], want[i]);
}

/* The undamaged array still reads correctly. */
static void check_good(void)
{
    zf_array *a = tu_array_get(g_z, "good");
    uint16_t got[8];
    size_t n = 0;
    zf_err err = {0};
    ck_assert_int_eq(zf_array_read(a, 0, 16, got, &n, &err), ZF_OK);
    ck_assert_uint_eq(n, 16);
    for (unsigned i = 0; i < 8; i++)
        ck_assert_uint_eq(got[i], val(i));
}

START_TEST(test_intact_arrays)
{
    check_good();
    zf_array *a = tu_array_get(g_z, "sh_good");
    uint16_t got[8];
    size_t n = 0;
    zf_err err = {0};
    ck_assert_msg(zf_array_read(a, 0, 16, got, &n, &err) == ZF_OK, "%s", err.msg);
    for (unsigned i = 0; i < 8; i++)
        ck_assert_uint_eq(got[i], i >= 6 ? FILL : val(i));
}
END_TEST

/* ---- metadata errors ------------------------------------------------------ */

static const struct meta_case {
    const char *path;
    zf_code code;
    const char *reason;
} meta_cases[] = {
    {"badjson", ZF_EMETA, "invalid JSON"},
    {"badcodec", ZF_EUNSUPPORTED, "no_such_codec"},
    {"baddtype", ZF_EUNSUPPORTED, "string"},
    {"badgrid", ZF_EUNSUPPORTED, "rectilinear"},
    {"overflow", ZF_ELIMIT, "overflow"},
    {"overflow3", ZF_ELIMIT, "overflow"},
    {"zerochunk", ZF_EMETA, "chunk_shape[0]"},
    {"negchunk", ZF_EMETA, "chunk_shape[1]"},
    {"zeroinner", ZF_EMETA, "chunk_shape[0]"},
};
#define NMETA (sizeof meta_cases / sizeof *meta_cases)

/* The node lists the array with a message naming it and the reason; the
 * rest of the store opened and reads. */
START_TEST(test_meta_errors_listed)
{
    for (size_t k = 0; k < NMETA; k++) {
        const zf_node *n = tu_node(g_z, meta_cases[k].path);
        ck_assert_msg(n != NULL, "%s not listed", meta_cases[k].path);
        ck_assert_int_eq(n->kind, ZF_NODE_ARRAY);
        ck_assert_msg(n->error != NULL, "%s has no error", meta_cases[k].path);
        tu_assert_has(n->error, meta_cases[k].path);
        tu_assert_has(n->error, meta_cases[k].reason);
        zf_array *a = NULL;
        zf_err err = {0};
        ck_assert_int_ne(zf_array_get(g_z, meta_cases[k].path, &a, &err), ZF_OK);
        tu_assert_has(err.msg, meta_cases[k].path);
        tu_assert_has(err.msg, meta_cases[k].reason);
    }
    check_good();
}
END_TEST

/* The parser itself gives each problem its own code. */
START_TEST(test_meta_error_codes_parser)
{
    for (size_t k = 0; k < NMETA; k++) {
        char rel[256];
        snprintf(rel, sizeof rel, "%s/%s/zarr.json", g_dir, meta_cases[k].path);
        FILE *f = fopen(rel, "rb");
        ck_assert_ptr_nonnull(f);
        char text[4096];
        size_t len = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[len] = 0;
        json_object *doc = NULL;
        zf_err err = {0};
        zf_code c = zf_json_parse(text, len, meta_cases[k].path, &doc, &err);
        zf_array *a = NULL;
        if (c == ZF_OK) {
            c = zf_meta_parse_array(g_z, meta_cases[k].path, 3, doc, text, &a,
                                    &err);
            json_object_put(doc);
            zf_array_free(a);
        }
        ck_assert_msg(c == meta_cases[k].code, "%s: got %s (%s), expected %s",
                      meta_cases[k].path, zf_code_name(c), err.msg,
                      zf_code_name(meta_cases[k].code));
        tu_assert_has(err.msg, meta_cases[k].reason);
    }
}
END_TEST

/* zf_array_get reports the same code: corrupt JSON is malformed metadata
 * (ZF_EMETA), an overflowing shape a limit (ZF_ELIMIT), not "unsupported". */
START_TEST(test_meta_error_codes_public)
{
    char wrong[2048] = "";
    for (size_t k = 0; k < NMETA; k++) {
        zf_array *a = NULL;
        zf_err err = {0};
        zf_code c = zf_array_get(g_z, meta_cases[k].path, &a, &err);
        if (c != meta_cases[k].code)
            snprintf(wrong + strlen(wrong), sizeof wrong - strlen(wrong),
                     " [%s: got %s, expected %s]", meta_cases[k].path,
                     zf_code_name(c), zf_code_name(meta_cases[k].code));
    }
    ck_assert_msg(wrong[0] == 0, "zf_array_get codes:%s", wrong);
}
END_TEST

/* ---- shard errors --------------------------------------------------------- */

START_TEST(test_shard_truncated)
{
    check_damaged("sh_trunc", 1, ZF_ECORRUPT, "sh_trunc/c/0", "smaller than");
    check_damaged("sh_trunc_start", 1, ZF_ECORRUPT, "sh_trunc_start/c/0",
                  "smaller than");
    check_good();
}
END_TEST

START_TEST(test_shard_entry_outside)
{
    check_damaged("sh_outside", 1, ZF_ECORRUPT, "sh_outside/c/0", "outside");
    check_damaged("sh_wrap", 1, ZF_ECORRUPT, "sh_wrap/c/0", "outside");
    check_good();
}
END_TEST

START_TEST(test_shard_entry_overlaps_index_end)
{
    check_damaged("sh_overlap_end", 1, ZF_ECORRUPT, "sh_overlap_end/c/0", "outside");
}
END_TEST

START_TEST(test_shard_entry_overlaps_index_start)
{
    check_damaged("sh_overlap_start", 1, ZF_ECORRUPT, "sh_overlap_start/c/0",
                  "outside");
}
END_TEST

START_TEST(test_shard_index_crc)
{
    check_damaged("sh_idxcrc", 1, ZF_ECORRUPT, "sh_idxcrc/c/0", "crc32c");
    check_damaged("sh_idxcrc_start", 1, ZF_ECORRUPT, "sh_idxcrc_start/c/0", "crc32c");
    /* the message says it was the index */
    zf_err err = {0};
    uint8_t buf[8];
    zf_array_read(tu_array_get(g_z, "sh_idxcrc"), 0, 8, buf, NULL, &err);
    tu_assert_has(err.msg, "index");
}
END_TEST

START_TEST(test_shard_chunk_crc)
{
    check_damaged("sh_chunkcrc", 1, ZF_ECORRUPT, "sh_chunkcrc/c/0", "crc32c");
    /* inner chunk 0 of the damaged shard is intact and readable alone */
    zf_array *a = tu_array_get(g_z, "sh_chunkcrc");
    uint16_t got[2];
    size_t n = 0;
    zf_err err = {0};
    ck_assert_msg(zf_array_read(a, 0, 4, got, &n, &err) == ZF_OK, "%s", err.msg);
    ck_assert_uint_eq(got[0], val(0));
    ck_assert_uint_eq(got[1], val(1));
}
END_TEST

START_TEST(test_shard_zstd_garbage)
{
    check_damaged("sh_zgarbage", 1, ZF_ECORRUPT, "sh_zgarbage/c/0", "zstd");
}
END_TEST

START_TEST(test_shard_zstd_wrong_size)
{
    check_damaged("sh_zshort", 1, ZF_ECORRUPT, "sh_zshort/c/0", "expected");
    check_damaged("sh_zlong", 1, ZF_ECORRUPT, "sh_zlong/c/0", "zstd");
}
END_TEST

/* ---- plain chunk errors ---------------------------------------------------- */

START_TEST(test_chunk_crc)
{
    check_damaged("ch_crc", 0, ZF_ECORRUPT, "ch_crc/c/0", "crc32c");
    check_damaged("ch_crcshort", 0, ZF_ECORRUPT, "ch_crcshort/c/0", "checksum");
}
END_TEST

START_TEST(test_chunk_zstd_garbage)
{
    check_damaged("ch_zgarbage", 0, ZF_ECORRUPT, "ch_zgarbage/c/0", "zstd");
    check_damaged("ch_zempty", 0, ZF_ECORRUPT, "ch_zempty/c/0", "zstd");
}
END_TEST

START_TEST(test_chunk_zstd_wrong_size)
{
    check_damaged("ch_zshort", 0, ZF_ECORRUPT, "ch_zshort/c/0", "expected");
    check_damaged("ch_zlong", 0, ZF_ECORRUPT, "ch_zlong/c/0", "zstd");
    check_damaged("ch_zstream", 0, ZF_ECORRUPT, "ch_zstream/c/0", "zstd");
}
END_TEST

START_TEST(test_chunk_raw_wrong_length)
{
    check_damaged("raw_short", 0, ZF_ECORRUPT, "raw_short/c/0", "expected");
    check_damaged("raw_long", 0, ZF_ECORRUPT, "raw_long/c/0", "expected");
    check_good();
}
END_TEST

/* ---- the asynchronous path reports the same errors ---------------------- */

typedef struct waiter {
    pthread_mutex_t m;
    pthread_cond_t c;
    int done;
    zf_code code;
    size_t nread;
    char msg[512];
} waiter;

static void on_done(void *arg, zf_code code, size_t nread, const zf_err *err)
{
    waiter *w = arg;
    pthread_mutex_lock(&w->m);
    w->code = code;
    w->nread = nread;
    snprintf(w->msg, sizeof w->msg, "%s", code != ZF_OK && err ? err->msg : "");
    w->done++;
    pthread_cond_signal(&w->c);
    pthread_mutex_unlock(&w->m);
}

START_TEST(test_async_errors)
{
    static const char *const paths[] = {"sh_idxcrc", "ch_zgarbage", "raw_long",
                                        "good", "sh_overlap_start"};
    waiter w[5];
    uint8_t buf[5][16];
    for (int k = 0; k < 5; k++) {
        memset(&w[k], 0, sizeof w[k]);
        pthread_mutex_init(&w[k].m, NULL);
        pthread_cond_init(&w[k].c, NULL);
        zf_array_read_async(tu_array_get(g_z, paths[k]), 0, 16, buf[k], on_done,
                            &w[k]);
    }
    for (int k = 0; k < 5; k++) {
        pthread_mutex_lock(&w[k].m);
        while (!w[k].done)
            pthread_cond_wait(&w[k].c, &w[k].m);
        pthread_mutex_unlock(&w[k].m);
        ck_assert_int_eq(w[k].done, 1);
        if (k == 3) {
            ck_assert_int_eq(w[k].code, ZF_OK);
            ck_assert_uint_eq(w[k].nread, 16);
            for (unsigned i = 0; i < 8; i++) {
                uint16_t v;
                memcpy(&v, buf[k] + 2 * i, 2);
                ck_assert_uint_eq(v, val(i));
            }
        } else {
            ck_assert_int_eq(w[k].code, ZF_ECORRUPT);
            ck_assert_uint_eq(w[k].nread, 0);
            tu_assert_has(w[k].msg, paths[k]);
        }
        pthread_mutex_destroy(&w[k].m);
        pthread_cond_destroy(&w[k].c);
    }
}
END_TEST

/* Many damaged and intact reads at once from several threads: every read
 * gets its own answer. */
typedef struct hammer_arg {
    int seed;
    int failures;
} hammer_arg;

static void *hammer(void *p)
{
    hammer_arg *h = p;
    static const char *const bad[] = {"sh_trunc", "sh_outside", "sh_idxcrc",
                                      "sh_chunkcrc", "sh_zgarbage", "ch_crc",
                                      "ch_zshort", "raw_short"};
    tu_rng r = {(uint64_t)h->seed + 1};
    for (int it = 0; it < 200; it++) {
        const char *path = bad[tu_range(&r, 0, 7)];
        zf_array *a = NULL;
        zf_err err = {0};
        if (zf_array_get(g_z, path, &a, &err) != ZF_OK) {
            h->failures++;
            continue;
        }
        uint16_t got[4];
        size_t n = 0;
        if (tu_range(&r, 0, 1)) {
            if (zf_array_read(a, 0, 8, got, &n, &err) != ZF_ECORRUPT || n != 0 ||
                !strstr(err.msg, path))
                h->failures++;
        } else {
            uint16_t want[4];
            expect_second_half(want, path[0] == 's');
            if (zf_array_read(a, 8, 8, got, &n, &err) != ZF_OK || n != 8 ||
                memcmp(got, want, 8) != 0)
                h->failures++;
        }
    }
    return NULL;
}

START_TEST(test_concurrent_errors)
{
    pthread_t t[6];
    hammer_arg h[6];
    for (int k = 0; k < 6; k++) {
        h[k] = (hammer_arg){k, 0};
        ck_assert_int_eq(pthread_create(&t[k], NULL, hammer, &h[k]), 0);
    }
    for (int k = 0; k < 6; k++) {
        pthread_join(t[k], NULL);
        ck_assert_int_eq(h[k].failures, 0);
    }
    check_good();
}
END_TEST

/* The crc32c written here agrees with the engine's and with the standard
 * check value, so the shards above are what the spec says. */
START_TEST(test_crc32c_reference)
{
    ck_assert_uint_eq(tu_crc32c("123456789", 9), 0xe3069283u);
    ck_assert_uint_eq(zf_crc32c("123456789", 9), 0xe3069283u);
    uint8_t b[300];
    for (int i = 0; i < 300; i++)
        b[i] = (uint8_t)(i * 7);
    for (size_t n = 0; n <= 300; n += 13)
        ck_assert_uint_eq(zf_crc32c(b, n), tu_crc32c(b, n));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("errors");
    TCase *t = tcase_create("errors");
    tcase_add_unchecked_fixture(t, tu_base_setup, tu_base_teardown);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_crc32c_reference);
    tcase_add_test(t, test_intact_arrays);
    tcase_add_test(t, test_meta_errors_listed);
    tcase_add_test(t, test_meta_error_codes_parser);
    tcase_add_test(t, test_meta_error_codes_public);
    tcase_add_test(t, test_shard_truncated);
    tcase_add_test(t, test_shard_entry_outside);
    tcase_add_test(t, test_shard_entry_overlaps_index_end);
    tcase_add_test(t, test_shard_entry_overlaps_index_start);
    tcase_add_test(t, test_shard_index_crc);
    tcase_add_test(t, test_shard_chunk_crc);
    tcase_add_test(t, test_shard_zstd_garbage);
    tcase_add_test(t, test_shard_zstd_wrong_size);
    tcase_add_test(t, test_chunk_crc);
    tcase_add_test(t, test_chunk_zstd_garbage);
    tcase_add_test(t, test_chunk_zstd_wrong_size);
    tcase_add_test(t, test_chunk_raw_wrong_length);
    tcase_add_test(t, test_async_errors);
    tcase_add_test(t, test_concurrent_errors);
    suite_add_tcase(s, t);
    return tu_run(s);
}
