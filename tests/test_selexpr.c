/*
 * test_selexpr.c - selections (zarrfs.h: zf_selection_*) and the strided
 * chunk walk (box.h: zf_grid_each_step).
 *
 *  - Parsing and normalising: a table of expressions over an array of shape
 *    10x7x5, whose normalised forms and sizes were computed by Python's own
 *    slice.indices and numpy (the generator is in the comment below), then
 *    re-parsing every normalised form must give the same selection.
 *  - Refusals: bad items, two ellipses, too many indices, out-of-range
 *    integers, step 0, each with its message.
 *  - File names: NAME[EXPR], NAME@F, NAME[EXPR]@F and names that are not.
 *  - zf_grid_each_step: random strided boxes over random chunk grids; the
 *    cells must hold exactly the selected elements, each once, in order of
 *    their chunks, and no cell may be empty (chunks a step jumps are not
 *    visited).
 *
 * Table generator (python3 with numpy): for each expression e, the per-axis
 * range(*slice(...).indices(n)) or integer, formatted start:stop[:step]
 * with the tightest stop, and A[np.s_[e]].size.
 */
#include "testutil.h"

#include "read/box.h"

typedef struct sel_case {
    const char *expr, *norm;
    uint64_t size;
} sel_case;

static const sel_case cases[] = {
#include "test_selexpr_table.inc"
};
#define NCASES (sizeof cases / sizeof *cases)
static const uint64_t shape3[3] = {10, 7, 5};

static uint64_t sel_size(const zf_selection *s)
{
    uint64_t n = 1;
    for (int d = 0; d < s->ndim; d++)
        n *= s->count[d];
    return n;
}

START_TEST(test_parse_table)
{
    const sel_case *c = &cases[_i];
    zf_selection s, s2;
    zf_err err = {0};
    ck_assert_msg(zf_selection_parse(c->expr, 3, shape3, &s, &err) == ZF_OK,
                  "'%s': %s", c->expr, err.msg);
    char buf[256];
    int n = zf_selection_format(&s, buf, sizeof buf);
    ck_assert_int_eq(n, (int)strlen(buf));
    ck_assert_msg(!strcmp(buf, c->norm), "'%s' -> '%s', expected '%s'",
                  c->expr, buf, c->norm);
    ck_assert_uint_eq(sel_size(&s), c->size);
    /* the normalised form means the same */
    ck_assert_int_eq(zf_selection_parse(buf, 3, shape3, &s2, &err), ZF_OK);
    for (int d = 0; d < 3; d++) {
        ck_assert_uint_eq(s2.count[d], s.count[d]);
        ck_assert_uint_eq(s2.dropped[d], s.dropped[d]);
        if (s.count[d]) {
            ck_assert_uint_eq(s2.start[d], s.start[d]);
            if (s.count[d] > 1)
                ck_assert_int_eq(s2.step[d], s.step[d]);
        }
    }
}
END_TEST

START_TEST(test_parse_shape_and_0d)
{
    zf_selection s;
    uint64_t out[ZF_MAX_DIMS];
    ck_assert_int_eq(zf_selection_parse("1,...,::2", 3, shape3, &s, NULL), ZF_OK);
    ck_assert_int_eq(zf_selection_shape(&s, out), 2);
    ck_assert_uint_eq(out[0], 7);
    ck_assert_uint_eq(out[1], 3);
    ck_assert_int_eq(zf_selection_parse(NULL, 3, shape3, &s, NULL), ZF_OK);
    ck_assert_uint_eq(sel_size(&s), 350);
    /* a 0-d array: only "..." */
    ck_assert_int_eq(zf_selection_parse("...", 0, NULL, &s, NULL), ZF_OK);
    ck_assert_int_eq(zf_selection_shape(&s, out), 0);
    char buf[16];
    zf_selection_format(&s, buf, sizeof buf);
    ck_assert_str_eq(buf, "...");
    ck_assert_int_eq(zf_selection_parse("0", 0, NULL, &s, NULL), ZF_EINVAL);
    /* a huge bound is clamped, as Python's slices are */
    ck_assert_int_eq(zf_selection_parse("-99999999999999999999999:"
                                        "99999999999999999999999", 3, shape3,
                                        &s, NULL), ZF_OK);
    ck_assert_uint_eq(s.count[0], 10);
    /* a short buffer: the length it needed, what fits */
    ck_assert_int_eq(zf_selection_parse("1:3", 3, shape3, &s, NULL), ZF_OK);
    ck_assert_int_eq(zf_selection_format(&s, buf, 4), 11); /* "1:3,0:7,0:5" */
    ck_assert_str_eq(buf, "1:3");
}
END_TEST

START_TEST(test_parse_errors)
{
    static const struct {
        const char *expr, *msg;
    } bad[] = {
        {"0:5,x", "'x' is not an index"},
        {"", "an empty index"},
        {"1:2:3:4", "'1:2:3:4' is not an index"},
        {"::0", "slice step cannot be zero"},
        {"...,...", "single ellipsis"},
        {"1,2,3,4", "too many indices"},
        {"10", "index 10 is out of bounds for axis 0 with size 10"},
        {"0,-8", "index -8 is out of bounds for axis 1 with size 7"},
        {"1.5", "'1.5' is not an index"},
        {"None", "'None' is not an index"},
        {"1 2", "'1 2' is not an index"},
        {",", "',' is not an index"},
        {"--1", "'--1' is not an index"},
        {"..", "'..' is not an index"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        zf_selection s;
        zf_err err = {0};
        ck_assert_msg(zf_selection_parse(bad[i].expr, 3, shape3, &s, &err) ==
                          ZF_EINVAL, "'%s' was taken", bad[i].expr);
        ck_assert_msg(strstr(err.msg, bad[i].msg) != NULL ||
                          (bad[i].expr[0] == ',' && err.msg[0]),
                      "'%s': message '%s'", bad[i].expr, err.msg);
    }
}
END_TEST

START_TEST(test_split_name)
{
    static const struct {
        const char *name;
        int ok;
        const char *base, *expr;
        int fortran;
    } names[] = {
        {"temp[0:24]", 1, "temp", "0:24", 0},
        {"temp@F", 1, "temp", NULL, 1},
        {"temp[1,::-1]@F", 1, "temp", "1,::-1", 1},
        {"a[b][0]", 1, "a[b]", "0", 0},
        {"temp[]", 1, "temp", "", 0},
        {"temp", 0, NULL, NULL, 0},
        {"temp]", 0, NULL, NULL, 0},
        {"[0]", 0, NULL, NULL, 0},
        {"@F", 0, NULL, NULL, 0},
        {"temp@f", 0, NULL, NULL, 0},
        {"temp[0]x", 0, NULL, NULL, 0},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t nl, el;
        const char *ex;
        int f;
        int r = zf_selection_split_name(names[i].name, 0, &nl, &ex, &el, &f);
        ck_assert_msg((r == 0) == names[i].ok, "%s", names[i].name);
        if (r)
            continue;
        ck_assert_int_eq((int)nl, (int)strlen(names[i].base));
        ck_assert(!strncmp(names[i].name, names[i].base, nl));
        ck_assert_int_eq(f, names[i].fortran);
        if (!names[i].expr)
            ck_assert_ptr_null(ex);
        else
            ck_assert(el == strlen(names[i].expr) &&
                      !strncmp(ex, names[i].expr, el));
    }
    /* a root array's selection: an empty NAME when allowed */
    size_t nl, el;
    const char *ex;
    int f;
    ck_assert_int_eq(zf_selection_split_name("[3]", 1, &nl, &ex, &el, &f), 0);
    ck_assert_uint_eq(nl, 0);
}
END_TEST

/* ---- zf_grid_each_step ------------------------------------------------------ */

typedef struct gs_ctx {
    int ndim;
    const uint64_t *chunk, *lo, *count, *step;
    uint8_t *seen; /* per selected element (C order of count) */
    int cells;
} gs_ctx;

static int gs_cell(void *arg, const zf_grid_cell *c)
{
    gs_ctx *x = arg;
    uint64_t k[ZF_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) {
        ck_assert_uint_gt(c->count[d], 0);
        k[d] = 0;
    }
    x->cells++;
    for (;;) { /* every element of the cell */
        uint64_t flat = 0;
        for (int d = 0; d < x->ndim; d++) {
            uint64_t sel = c->rel[d] + k[d];
            uint64_t e = x->lo[d] + x->step[d] * sel;
            /* the element lies in the cell's chunk, where the cell says */
            ck_assert_uint_eq(e / x->chunk[d], c->at[d]);
            ck_assert_uint_eq(e % x->chunk[d], c->lo[d] + x->step[d] * k[d]);
            flat = flat * x->count[d] + sel;
        }
        ck_assert_int_eq(x->seen[flat], 0);
        x->seen[flat] = 1;
        int d = x->ndim - 1;
        for (; d >= 0 && ++k[d] == c->count[d]; d--)
            k[d] = 0;
        if (d < 0)
            return 0;
    }
}

START_TEST(test_grid_each_step_random)
{
    tu_rng r = {0x5e1ec7 + (uint64_t)_i};
    for (int iter = 0; iter < 300; iter++) {
        int ndim = (int)tu_range(&r, 1, 4);
        uint64_t chunk[4], lo[4], count[4], step[4], total = 1, cells = 1;
        for (int d = 0; d < ndim; d++) {
            chunk[d] = tu_range(&r, 1, 9);
            step[d] = tu_range(&r, 1, 12);
            lo[d] = tu_range(&r, 0, 30);
            count[d] = tu_range(&r, 1, 6);
            total *= count[d];
            /* the chunks holding selected elements, counted naively */
            uint64_t n = 0, last = UINT64_MAX;
            for (uint64_t k = 0; k < count[d]; k++) {
                uint64_t c = (lo[d] + step[d] * k) / chunk[d];
                n += c != last;
                last = c;
            }
            cells *= n;
        }
        uint8_t *seen = calloc(total, 1);
        gs_ctx x = {ndim, chunk, lo, count, step, seen, 0};
        ck_assert_int_eq(zf_grid_each_step(ndim, chunk, lo, count, step,
                                           gs_cell, &x), 0);
        for (uint64_t i = 0; i < total; i++)
            ck_assert_int_eq(seen[i], 1);
        ck_assert_uint_eq((uint64_t)x.cells, cells);
        free(seen);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("selexpr");
    TCase *t = tcase_create("parse");
    tcase_add_loop_test(t, test_parse_table, 0, (int)NCASES);
    tcase_add_test(t, test_parse_shape_and_0d);
    tcase_add_test(t, test_parse_errors);
    tcase_add_test(t, test_split_name);
    suite_add_tcase(s, t);
    t = tcase_create("grid_each_step");
    tcase_add_loop_test(t, test_grid_each_step_random, 0, 4);
    suite_add_tcase(s, t);
    return tu_run(s);
}
