/*
 * test_conformance.c - every array of a conformance corpus ($ZF_CORPUS: its
 * INDEX.tsv and expected flat files), written by other Zarr implementations,
 * read through the public API: the whole flat view must be byte-identical to
 * the expected file, and so must random reads at any offset and length.
 * Arrays without expected content (string dtypes) must be refused with a
 * message naming the data type.  Zarr v2 and v3 alike.
 *
 * CTest runs it on the generated corpus (tests/corpus/make_corpus.py) and,
 * as test_conformance_shared, on the extra one ($ZF_CORPUS_EXTRA names it),
 * which is skipped (exit 77) when absent.
 */
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zarrfs/zarrfs.h"

typedef struct row {
    char name[512], path[1024], fmt[8], dtype[32], expected[1024];
} row;

static const char *corpus(void)
{
    const char *c = getenv("ZF_CORPUS");
    return c ? c : "corpus";
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* Splits one INDEX.tsv line into the columns the test uses. */
static int parse_row(char *line, row *r)
{
    char *col[16];
    int n = 0;
    for (char *p = line, *tab; n < 16; p = tab + 1) {
        col[n++] = p;
        if (!(tab = strchr(p, '\t')))
            break;
        *tab = 0;
    }
    if (n < 10)
        return -1;
    col[9][strcspn(col[9], "\r\n")] = 0;
    snprintf(r->name, sizeof r->name, "%.500s", col[0]);
    snprintf(r->path, sizeof r->path, "%.500s/%.500s", corpus(), col[1]);
    snprintf(r->fmt, sizeof r->fmt, "%.4s", col[2]);
    snprintf(r->dtype, sizeof r->dtype, "%.30s", col[3]);
    if (strcmp(col[9], "-") == 0)
        r->expected[0] = 0;
    else
        snprintf(r->expected, sizeof r->expected, "%.500s/%.500s", corpus(), col[9]);
    return 0;
}

static row *rows;
static int nrows;

/* Reads INDEX.tsv; -1 when the corpus has none. */
static int load_index(void)
{
    char path[1024], line[8192];
    snprintf(path, sizeof path, "%s/INDEX.tsv", corpus());
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int first = 1;
    while (fgets(line, sizeof line, f)) {
        if (first) { /* the header */
            first = 0;
            continue;
        }
        rows = realloc(rows, sizeof *rows * (size_t)(nrows + 1));
        if (parse_row(line, &rows[nrows]) == 0)
            nrows++;
    }
    fclose(f);
    return 0;
}

static void check_random_reads(zf_array *a, const unsigned char *exp,
                               size_t size, const char *name)
{
    unsigned seed = 12345;
    unsigned char *buf = malloc(size + 64);
    for (int k = 0; k < 60; k++) {
        size_t off = size ? (size_t)rand_r(&seed) % (size + 8) : 0;
        size_t len = (size_t)rand_r(&seed) % (k % 3 ? 64 : size + 16);
        size_t got = 12345, want = off >= size ? 0 : (len < size - off ? len : size - off);
        zf_err err;
        zf_code c = zf_array_read(a, off, len, buf, &got, &err);
        ck_assert_msg(c == ZF_OK, "%s: read %zu+%zu failed: %s", name, off, len, err.msg);
        ck_assert_msg(got == want, "%s: read %zu+%zu returned %zu, want %zu", name,
                      off, len, got, want);
        ck_assert_msg(memcmp(buf, exp + off, want) == 0,
                      "%s: bytes %zu+%zu differ", name, off, want);
    }
    free(buf);
}

START_TEST(corpus_array)
{
    row *r = &rows[_i];
    zf_zarr *z = NULL;
    zf_err err = {0};
    zf_code c = zf_open(r->path, NULL, &z, &err);
    zf_array *a = NULL;
    if (c == ZF_OK)
        c = zf_array_get(z, "", &a, &err);
    if (!r->expected[0]) {
        ck_assert_msg(c != ZF_OK, "%s: an array without a flat view was opened",
                      r->name);
        ck_assert_msg(strstr(err.msg, "data type") || strstr(err.msg, "dtype"),
                      "%s: refused without naming the data type: %s", r->name,
                      err.msg);
        zf_close(z);
        return;
    }
    ck_assert_msg(c == ZF_OK, "%s: %s", r->name, err.msg);
    size_t size;
    unsigned char *exp = slurp(r->expected, &size);
    ck_assert_msg(exp != NULL, "%s: cannot read %s", r->name, r->expected);
    const zf_array_info *info = zf_array_get_info(a);
    ck_assert_msg(info->nbytes == size, "%s: flat size %llu, expected %zu",
                  r->name, (unsigned long long)info->nbytes, size);
    unsigned char *all = malloc(size + 1);
    size_t got = 0;
    c = zf_array_read(a, 0, size, all, &got, &err);
    ck_assert_msg(c == ZF_OK, "%s: %s", r->name, err.msg);
    ck_assert_msg(got == size && memcmp(all, exp, size) == 0,
                  "%s: the flat view differs from the expected content", r->name);
    check_random_reads(a, exp, size, r->name);
    free(all);
    free(exp);
    zf_close(z);
}
END_TEST

START_TEST(corpus_present)
{
    ck_assert_msg(nrows > 100, "the corpus index at %s has %d rows", corpus(), nrows);
}
END_TEST

int main(void)
{
    const char *extra = getenv("ZF_CORPUS_EXTRA");
    if (load_index() != 0 && extra && *extra) {
        printf("no %s: extra corpus skipped\n", extra);
        return 77;
    }
    Suite *s = suite_create("conformance");
    TCase *tc = tcase_create("corpus");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, corpus_present);
    tcase_add_loop_test(tc, corpus_array, 0, nrows);
    suite_add_tcase(s, tc);
    int rc = tu_run(s);
    free(rows);
    return rc;
}
