/*
 * pack.c - zf_pack: checks the options, plans the chunk grid, then reads the
 * input one slab (one row of outer chunks along dimension 0) at a time and
 * hands each slab to pack_slab.c.  zarr.json is written last, so a pack that
 * failed half way never leaves something that looks like a whole array.
 * Memory: one slab of input plus the encoded chunks of that slab.
 * Thread safety: reentrant (no shared state); the encoding threads are a
 * pool of the pack's own (engine/pool.h), freed before zf_pack returns.  Errors: zf_code plus a message naming OUTPUT, the input or the
 * option that is wrong; ZF_EINVAL for bad options and bad input sizes.
 */
#include "pack.h"
#include "pool.h"

#include "pack_io.h"
#include "pack_meta.h"
#include "pack_slab.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZF_PACK_MAX_THREADS 1024

/* *r = a * b; 0 on overflow. */
static int mul(uint64_t a, uint64_t b, uint64_t *r)
{
    return !__builtin_mul_overflow(a, b, r);
}

static zf_code check_shapes(const zf_pack_options *o, zf_err *err)
{
    for (int d = 0; d < o->ndim; d++) {
        if (o->chunks[d] == 0)
            return zf_err_set(err, ZF_EINVAL, "chunk shape: dimension %d is 0 "
                              "(chunks must be at least 1)", d);
        if (!o->sharded)
            continue;
        if (o->shards[d] == 0 || o->shards[d] % o->chunks[d] != 0)
            return zf_err_set(err, ZF_EINVAL,
                              "shard shape: dimension %d is %" PRIu64 ", not a "
                              "multiple of the chunk shape's %" PRIu64, d,
                              o->shards[d], o->chunks[d]);
    }
    return ZF_OK;
}

static zf_code check_options(const zf_pack_options *o, zf_err *err)
{
    if (!o)
        return zf_err_set(err, ZF_EINVAL, "no pack options");
    if (o->ndim < 0 || o->ndim > ZF_MAX_DIMS)
        return zf_err_set(err, ZF_EINVAL, "%d dimensions (zarrfs takes 0..%d)",
                          o->ndim, ZF_MAX_DIMS);
    if (!zf_dtype_by_name(o->dtype))
        return zf_err_set(err, ZF_EINVAL, "unknown data type \"%s\"",
                          o->dtype ? o->dtype : "(null)");
    return check_shapes(o, err);
}

/* The grid: outer and inner chunk shapes and their counts. */
static zf_code plan_grid(zf_pack_plan *p, zf_err *err)
{
    const zf_pack_options *o = p->o;
    uint64_t elems = 1, total = p->dt->size, row = p->dt->size, jobs, slab;
    p->inner_count = p->outers_per_slab = 1;
    for (int d = 0; d < p->ndim; d++) {
        p->shape[d] = o->shape[d];
        p->inner[d] = o->chunks[d];
        p->outer[d] = o->sharded ? o->shards[d] : o->chunks[d];
        p->per_outer[d] = p->outer[d] / p->inner[d];
        p->outer_grid[d] = p->shape[d] / p->outer[d] +
                           (p->shape[d] % p->outer[d] != 0);
        if (!mul(elems, p->inner[d], &elems) ||
            !mul(p->inner_count, p->per_outer[d], &p->inner_count) ||
            !mul(total, p->shape[d], &total) ||
            (d > 0 && !mul(row, p->shape[d], &row)) ||
            (d > 0 && !mul(p->outers_per_slab, p->outer_grid[d],
                           &p->outers_per_slab)))
            return zf_err_set(err, ZF_ELIMIT, "%s: the array or its chunks are "
                              "too large", p->out_dir);
    }
    /* Per slab: one bookkeeping entry per inner chunk, 16 index bytes per
     * inner chunk of a shard, and the slab's input rows. */
    if (!mul(elems, p->dt->size, &elems) || elems > SIZE_MAX / 2 ||
        p->inner_count > INT32_MAX / 2 || /* the parts of one shard file */
        !mul(p->inner_count, p->outers_per_slab, &jobs) || jobs > SIZE_MAX / 64 ||
        !mul(row, p->ndim ? p->outer[0] : 1, &slab) || slab > SIZE_MAX / 2)
        return zf_err_set(err, ZF_ELIMIT, "%s: a chunk, shard index or slab is "
                          "too large for memory", p->out_dir);
    p->chunk_bytes = (size_t)elems;
    p->row_bytes = row;
    p->total_bytes = total;
    return ZF_OK;
}

static zf_code plan(const zf_pack_options *o, const char *out_dir,
                    zf_pack_plan *p, zf_err *err)
{
    memset(p, 0, sizeof *p);
    p->o = o;
    p->out_dir = out_dir;
    p->dt = zf_dtype_by_name(o->dtype);
    p->ndim = o->ndim;
    /* The input is little endian; the encoders take native order and their
     * bytes codec writes the requested one. */
    p->swap = !zf_native_little();
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    p->threads = o->threads > 0 ? o->threads : (cores > 0 ? (int)cores : 1);
    if (p->threads > ZF_PACK_MAX_THREADS)
        p->threads = ZF_PACK_MAX_THREADS;
    return plan_grid(p, err);
}

static zf_code short_input(uint64_t got, uint64_t want, zf_err *err)
{
    return zf_err_set(err, ZF_EINVAL, "input: got %" PRIu64 " bytes, expected "
                      "%" PRIu64 " (shape x itemsize)", got, want);
}

/* A regular file's size is known up front: a wrong one fails before any
 * work (pipes are checked as they are read). */
static zf_code check_file_size(const zf_pack_plan *p, int in_fd, zf_err *err)
{
    struct stat st;
    off_t at = lseek(in_fd, 0, SEEK_CUR);
    if (fstat(in_fd, &st) != 0 || !S_ISREG(st.st_mode) || at < 0 ||
        at > st.st_size)
        return ZF_OK;
    uint64_t left = (uint64_t)(st.st_size - at);
    if (left < p->total_bytes)
        return short_input(left, p->total_bytes, err);
    if (left > p->total_bytes)
        return zf_err_set(err, ZF_EINVAL, "input: %" PRIu64 " bytes, more than "
                          "the expected %" PRIu64 " (shape x itemsize)", left,
                          p->total_bytes);
    return ZF_OK;
}

/* Reads every slab and encodes it; then checks that the input has ended. */
static zf_code pack_slabs(const zf_pack_plan *p, int in_fd, zf_err *err)
{
    uint64_t nslabs = p->ndim ? p->outer_grid[0] : 1, done = 0;
    uint64_t slab_rows = p->ndim ? p->outer[0] : 1;
    uint64_t max_rows = p->ndim && p->shape[0] < slab_rows ? p->shape[0]
                                                           : slab_rows;
    uint8_t *buf = NULL;
    size_t got = 0;
    zf_code rc = ZF_OK;
    if (p->total_bytes > 0 && !(buf = malloc(max_rows * p->row_bytes)))
        return zf_err_set(err, ZF_ENOMEM, "%s: cannot allocate a slab of %"
                          PRIu64 " bytes", p->out_dir, max_rows * p->row_bytes);
    for (uint64_t s = 0; p->total_bytes > 0 && rc == ZF_OK && s < nslabs; s++) {
        uint64_t rows = p->ndim ? p->shape[0] - s * slab_rows : 1;
        rows = rows < slab_rows ? rows : slab_rows;
        size_t want = (size_t)(rows * p->row_bytes);
        rc = zf_pack_read_full(in_fd, buf, want, &got, err);
        if (rc == ZF_OK && got < want)
            rc = short_input(done + got, p->total_bytes, err);
        if (rc == ZF_OK)
            rc = zf_pack_slab(p, s, buf, err);
        done += got;
        if (rc == ZF_OK && p->o->progress)
            p->o->progress(p->o->progress_arg, done, p->total_bytes);
    }
    free(buf);
    uint8_t extra;
    if (rc == ZF_OK)
        rc = zf_pack_read_full(in_fd, &extra, 1, &got, err);
    if (rc == ZF_OK && got)
        rc = zf_err_set(err, ZF_EINVAL, "input: more than the expected %" PRIu64
                        " bytes (shape x itemsize)", p->total_bytes);
    return rc;
}

zf_code zf_pack(const zf_pack_options *opts, int in_fd, const char *out_dir,
                zf_err *err)
{
    zf_err local;
    if (!err) /* engine code always has a zf_err to write */
        err = &local;
    zf_pack_plan p;
    zf_code rc = check_options(opts, err);
    if (rc == ZF_OK)
        rc = plan(opts, out_dir ? out_dir : "", &p, err);
    if (rc != ZF_OK)
        return rc;
    if ((rc = zf_pack_chain_new(&p, err)) != ZF_OK)
        return zf_err_prefix(err, "%s", p.out_dir);
    /* Pool threads start with the first slab that has more than one job. */
    rc = zf_pool_new(p.threads > 1 ? p.threads - 1 : 1, 0, &p.pool, err);
    if (rc == ZF_OK)
        rc = check_file_size(&p, in_fd, err);
    if (rc == ZF_OK)
        rc = zf_pack_prepare_dir(p.out_dir, err);
    if (rc == ZF_OK)
        rc = pack_slabs(&p, in_fd, err);
    if (rc == ZF_OK)
        rc = zf_pack_write_meta(&p, err);
    if (p.pool)
        zf_pool_free(p.pool);
    zf_pack_chain_free(&p);
    return rc;
}
