/*
 * pack_slab.c - encodes one slab (one row of outer chunks along dimension 0)
 * and writes its chunk or shard files (see pack.h).
 *
 * Work is split by inner chunk: workers (the caller and jobs on the plan's
 * pool) take job numbers from a shared atomic counter, in shard order, so shards complete one after another.  A
 * job copies its chunk out of the slab (padding edge chunks with the fill
 * value 0), in native order, and encodes it through the plan's pipeline
 * (read/encode.h); a shard's index goes through its index codecs there too.  Unsharded, the
 * job writes the chunk file itself; sharded, it keeps the encoded bytes, and
 * the thread that encodes the last inner chunk of a shard writes the shard.
 * Ownership: everything allocated here is freed before zf_pack_slab returns.
 * Errors: the first failure is kept (with the key it concerns); the other
 * threads stop taking jobs.
 */
#include "pack_io.h"
#include "pack_slab.h"
#include "read/encode.h"
#include "read/box.h"
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h> /* the first-failure lock */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZF_KEY_MAX (ZF_MAX_DIMS * 21 + 8)
#define ZF_EMPTY UINT64_MAX /* the index entry of an absent inner chunk */

typedef struct slab_work {
    const zf_pack_plan *p;
    uint64_t slab;
    const uint8_t *data;
    uint64_t njobs;
    atomic_uint_fast64_t next;
    atomic_int failed;
    zf_buf *enc;                  /* sharded: encoded inner chunks, by job */
    atomic_uint_fast64_t *left;   /* sharded: inner chunks to go, by shard */
    pthread_mutex_t lock;
    zf_err err;
} slab_work;

/* The first failure wins; later ones are usually its consequences. */
static void fail(slab_work *w, const zf_err *e)
{
    pthread_mutex_lock(&w->lock);
    if (!atomic_load(&w->failed))
        w->err = *e;
    atomic_store(&w->failed, 1);
    pthread_mutex_unlock(&w->lock);
}

/* Coordinates of outer chunk `o` of the slab, in the outer grid. */
static void outer_coords(const zf_pack_plan *p, uint64_t slab, uint64_t o,
                         uint64_t *c)
{
    for (int d = p->ndim - 1; d >= 1; d--) {
        c[d] = o % p->outer_grid[d];
        o /= p->outer_grid[d];
    }
    if (p->ndim > 0)
        c[0] = slab;
}

/* The first element of inner chunk k of outer chunk oc; 0 if the inner
 * chunk lies wholly outside the array (only edge shards have those). */
static int inner_origin(const zf_pack_plan *p, const uint64_t *oc, uint64_t k,
                        uint64_t *origin)
{
    int inside = 1;
    for (int d = p->ndim - 1; d >= 0; d--) {
        origin[d] = oc[d] * p->outer[d] + (k % p->per_outer[d]) * p->inner[d];
        k /= p->per_outer[d];
        if (origin[d] >= p->shape[d])
            inside = 0;
    }
    return inside;
}

static void chunk_key(const zf_pack_plan *p, const uint64_t *oc, char *key)
{
    int n = snprintf(key, ZF_KEY_MAX, "c");
    for (int d = 0; d < p->ndim; d++)
        n += snprintf(key + n, ZF_KEY_MAX - (size_t)n, "/%llu",
                      (unsigned long long)oc[d]);
}

/* Copies the part of the inner chunk at `origin` that lies in the array
 * from the slab into dst (the full chunk, C order), zero elsewhere. */
static void gather(const zf_pack_plan *p, const uint8_t *slab_data,
                   uint64_t slab_row0, const uint64_t *origin, uint8_t *dst)
{
    size_t isz = p->dt->size;
    uint64_t ext[ZF_MAX_DIMS], at[ZF_MAX_DIMS];
    int partial = 0;
    for (int d = 0; d < p->ndim; d++) {
        uint64_t room = p->shape[d] - origin[d];
        ext[d] = room < p->inner[d] ? room : p->inner[d];
        partial |= ext[d] < p->inner[d];
        at[d] = origin[d] - (d == 0 ? slab_row0 : 0);
    }
    if (partial)
        memset(dst, 0, p->chunk_bytes);
    /* The slab is whole rows of the array: the array's strides. */
    zf_strided to = {.base = dst}, slab = {.base = (uint8_t *)slab_data};
    zf_c_strides(p->ndim, p->inner, isz, to.stride);
    zf_c_strides(p->ndim, p->shape, isz, slab.stride);
    zf_strided from = zf_strided_at(&slab, p->ndim, at);
    zf_box_copy(p->ndim, ext, isz, &to, &from);
}

/* Writes shard `o` of the slab from its encoded inner chunks. */
static zf_code write_shard(slab_work *w, uint64_t o, const uint64_t *oc,
                           const char *key, zf_err *err)
{
    const zf_pack_plan *p = w->p;
    uint64_t n = p->inner_count;
    size_t ilen = (size_t)p->pipe->shard.index_bytes;
    uint64_t *ix = malloc((size_t)n * 16);
    const void **parts = malloc((n + 2) * sizeof *parts);
    size_t *lens = malloc((n + 2) * sizeof *lens);
    zf_buf index = {0}, tmp[2] = {{0}};
    int np = 0;
    zf_code rc;
    if (!ix || !parts || !lens) {
        rc = zf_err_set(err, ZF_ENOMEM, "%s: out of memory", key);
        goto out;
    }
    uint64_t at = p->o->index_at_start ? ilen : 0, origin[ZF_MAX_DIMS];
    if (p->o->index_at_start)
        np++; /* parts[0]: the index, once encoded */
    for (uint64_t k = 0; k < n; k++) {
        zf_buf *b = &w->enc[o * n + k];
        int in = inner_origin(p, oc, k, origin);
        ix[2 * k] = in ? at : ZF_EMPTY;
        ix[2 * k + 1] = in ? b->len : ZF_EMPTY;
        if (in && b->len)
            parts[np] = b->p, lens[np++] = b->len;
        at += in ? b->len : 0;
    }
    /* The index through its own codecs (bytes, crc32c), as for any shard. */
    rc = zf_shard_index_encode(p->pipe, ix, &index, tmp, err);
    if (rc != ZF_OK)
        goto out;
    int slot = p->o->index_at_start ? 0 : np++;
    parts[slot] = index.p, lens[slot] = index.len;
    rc = zf_pack_write_file(p->out_dir, key, parts, lens, np, err);
out:
    free(ix);
    zf_buf_free(&index);
    zf_buf_free(&tmp[0]);
    zf_buf_free(&tmp[1]);
    free(parts);
    free(lens);
    for (uint64_t k = 0; k < n; k++)
        zf_buf_free(&w->enc[o * n + k]);
    return rc;
}

/* Copies out the inner chunk at origin (in native order) and encodes it
 * through the plan's pipeline into bufs[1] (*res). */
static zf_code encode_at(const slab_work *w, const uint64_t *origin,
                         zf_buf *bufs, zf_buf **res, zf_err *err)
{
    const zf_pack_plan *p = w->p;
    zf_code rc = zf_buf_reserve(&bufs[0], p->chunk_bytes, err);
    if (rc != ZF_OK)
        return rc;
    gather(p, w->data, p->ndim ? w->slab * p->outer[0] : 0, origin, bufs[0].p);
    bufs[0].len = p->chunk_bytes;
    if (p->swap)
        zf_dtype_byteswap(p->dt, bufs[0].p, p->chunk_bytes / p->dt->size);
    *res = &bufs[1];
    return zf_pipeline_encode(p->chunk_pipe, bufs[0].p, &bufs[1], &bufs[2], err);
}

/* One job: inner chunk j of the slab. */
static zf_code run_job(slab_work *w, uint64_t j, zf_buf *bufs, zf_err *err)
{
    const zf_pack_plan *p = w->p;
    uint64_t o = j / p->inner_count, k = j % p->inner_count;
    uint64_t oc[ZF_MAX_DIMS], origin[ZF_MAX_DIMS];
    char key[ZF_KEY_MAX];
    zf_buf *res = NULL;
    zf_code rc = ZF_OK;
    outer_coords(p, w->slab, o, oc);
    chunk_key(p, oc, key);
    if (inner_origin(p, oc, k, origin)) {
        rc = encode_at(w, origin, bufs, &res, err);
        if (rc == ZF_OK && !p->o->sharded) {
            const void *parts[1] = {res->p};
            return zf_pack_write_file(p->out_dir, key, parts, &res->len, 1, err);
        }
        if (rc == ZF_OK)
            zf_buf_swap(&w->enc[j], res); /* the shard keeps these bytes */
    }
    if (rc != ZF_OK)
        return zf_err_prefix(err, "%s/%s", p->out_dir, key);
    if (atomic_fetch_sub(&w->left[o], 1) == 1)
        return write_shard(w, o, oc, key, err);
    return ZF_OK;
}

static void worker(void *arg)
{
    slab_work *w = arg;
    zf_buf bufs[ZF_PACK_BUFS] = {{0}};
    zf_err e = {0};
    while (!atomic_load(&w->failed)) {
        uint64_t j = atomic_fetch_add(&w->next, 1);
        if (j >= w->njobs)
            break;
        if (run_job(w, j, bufs, &e) != ZF_OK)
            fail(w, &e);
    }
    for (int i = 0; i < ZF_PACK_BUFS; i++)
        zf_buf_free(&bufs[i]);
}

/* Runs the jobs on the calling thread plus up to workers-1 of the plan's
 * pool (which has threads-1 threads: the caller is the last one). */
static void run_workers(slab_work *w, int workers)
{
    zf_group g = {0};
    for (int i = 0; i < workers - 1; i++)
        if (zf_pool_submit(w->p->pool, ZF_JOB_TASK, &g, worker, w) != ZF_OK)
            break; /* fewer workers is slower, not wrong */
    worker(w);
    zf_group_wait(w->p->pool, &g);
}

zf_code zf_pack_slab(const zf_pack_plan *p, uint64_t slab, const uint8_t *data,
                     zf_err *err)
{
    slab_work w = {.p = p, .slab = slab, .data = data};
    w.njobs = p->outers_per_slab * p->inner_count;
    atomic_init(&w.next, 0);
    atomic_init(&w.failed, 0);
    if (p->o->sharded) {
        w.enc = calloc(w.njobs, sizeof *w.enc);
        w.left = malloc(p->outers_per_slab * sizeof *w.left);
        if (!w.enc || !w.left) {
            free(w.enc);
            free(w.left);
            return zf_err_set(err, ZF_ENOMEM, "%s: out of memory for slab %llu",
                              p->out_dir, (unsigned long long)slab);
        }
        for (uint64_t o = 0; o < p->outers_per_slab; o++)
            atomic_init(&w.left[o], p->inner_count);
    }
    pthread_mutex_init(&w.lock, NULL);
    uint64_t t = (uint64_t)p->threads < w.njobs ? (uint64_t)p->threads : w.njobs;
    run_workers(&w, t ? (int)t : 1);
    pthread_mutex_destroy(&w.lock);
    if (w.enc) /* shards left unwritten after a failure */
        for (uint64_t j = 0; j < w.njobs; j++)
            zf_buf_free(&w.enc[j]);
    free(w.enc);
    free(w.left);
    if (atomic_load(&w.failed)) {
        if (err)
            *err = w.err;
        return w.err.code;
    }
    return ZF_OK;
}
