/*
 * read.c - zf_array_read: a byte range of the flat view -> an element range
 * -> planned and run (run.h: boxes -> chunks -> tasks, matched with the
 * cache, fetched, and run on the pool while the caller helps).  Bytes of
 * partial elements at either end go through a one-element bounce buffer.
 * Each read is noted by the stream detector (stream.h), which prefetches
 * ahead of sequential ones.  Also the asynchronous reads.
 * Thread-safe: per-read state is local.
 */
#include "read.h"

#include "meta/meta.h"
#include "stream.h"

#include <stdlib.h>
#include <string.h>

/* Reads the elements [e0, e1) into dst; `stream`: the read continues a
 * sequential stream (zf_plan.stream). */
static zf_code read_elements(zf_array *a, uint64_t e0, uint64_t e1, void *dst,
                             int stream, zf_err *err)
{
    zf_plan plan = {.array = a, .stream = stream};
    zf_code c = zf_plan_elements(&plan, e0, e1, dst, err);
    if (c == ZF_OK) /* (a failed plan has claimed no cache entry yet) */
        c = zf_plan_run(&plan, err);
    zf_plan_free(&plan);
    return c;
}

/* ---- chunk runs and cached reads ----------------------------------------- */

/* ---- the public read ------------------------------------------------------- */

static zf_code read_bytes_once(size_t isz, uint64_t offset, size_t length,
                               void *buf, zf_elements_fn fn, void *arg,
                               zf_err *err)
{
    uint64_t end = offset + length;
    uint64_t e0 = (offset + isz - 1) / isz, e1 = end / isz; /* whole elements */
    uint8_t *out = buf;
    uint8_t one[16];
    zf_code c = ZF_OK;
    if (e0 > e1) { /* the range lies inside one element */
        c = fn(arg, e1, e1 + 1, one, err);
        if (c == ZF_OK)
            memcpy(out, one + offset % isz, length);
        return c;
    }
    if (offset % isz && (c = fn(arg, e0 - 1, e0, one, err)) == ZF_OK)
        memcpy(out, one + offset % isz, isz - offset % isz);
    if (c == ZF_OK && e1 > e0)
        c = fn(arg, e0, e1, out + (e0 * isz - offset), err);
    if (c == ZF_OK && end % isz && (c = fn(arg, e1, e1 + 1, one, err)) == ZF_OK)
        memcpy(out + (e1 * isz - offset), one, end % isz);
    return c;
}

/* A key that changed while the read was reading it (a shard renamed over:
 * ZF_ECHANGED, see zf_range_req.version) has been partly read at the old
 * version's offsets; the whole read runs again, planned on the new version,
 * so that the reader gets one version or the other, whole.  Up to
 * ZF_READ_TRIES runs, not two: a reader stalled under load (a busy machine,
 * a slow reply) can meet a second replacement during its re-plan although
 * the key changes far slower than a read takes (remote_version.sh saw 5 EIO
 * in 52 runs so); a key replaced during every run changes faster than it
 * can be read, and fails the read. */
zf_code zf_read_bytes(size_t isz, uint64_t offset, size_t length, void *buf,
                      zf_elements_fn fn, void *arg, zf_err *err)
{
    zf_code c = ZF_ECHANGED;
    for (int i = 0; i < ZF_READ_TRIES && c == ZF_ECHANGED; i++)
        c = read_bytes_once(isz, offset, length, buf, fn, arg, err);
    return c;
}

/* A read of the array's flat view, for zf_read_bytes. */
typedef struct flat_read {
    zf_array *a;
    int stream;
} flat_read;

static zf_code flat_elements(void *arg, uint64_t e0, uint64_t e1, void *dst,
                             zf_err *err)
{
    flat_read *r = arg;
    return read_elements(r->a, e0, e1, dst, r->stream, err);
}

zf_code zf_array_read(zf_array *a, uint64_t offset, size_t length, void *buf,
                      size_t *nread, zf_err *err)
{
    zf_err local;
    if (!err) /* engine code always has a zf_err to write */
        err = &local;
    uint64_t size = a->info.nbytes, isz = a->dt->size;
    if (nread)
        *nread = 0;
    if (offset >= size || length == 0)
        return ZF_OK;
    if (length > size - offset)
        length = (size_t)(size - offset);
    uint64_t end = offset + length;
    flat_read r = {a, 0};
    if (a->z->prefetch && a->ndim > 0)
        r.stream = zf_stream_follow(a, offset, end);
    zf_code c = zf_read_bytes(isz, offset, length, buf, flat_elements, &r, err);
    if (c != ZF_OK)
        return zf_err_prefix(err, "array '%s'", a->info.path[0] ? a->info.path : "/");
    atomic_fetch_add(&a->z->counters.bytes_served, length);
    if (nread)
        *nread = length;
    return ZF_OK;
}

typedef struct async_read {
    zf_array *a;
    const zf_selection *sel; /* NULL: the array's own flat view */
    uint64_t offset;
    size_t length;
    void *buf;
    zf_read_done done;
    void *arg;
} async_read;

static void async_run(void *arg)
{
    async_read *r = arg;
    zf_err err = {0};
    size_t n = 0;
    zf_code c = r->sel ? zf_array_read_selection(r->a, r->sel, r->offset,
                                                 r->length, r->buf, &n, &err)
                       : zf_array_read(r->a, r->offset, r->length, r->buf, &n,
                                       &err);
    r->done(r->arg, c, n, &err);
    free(r);
}

static void read_async(zf_array *a, const zf_selection *sel, uint64_t offset,
                       size_t length, void *buf, zf_read_done done, void *arg)
{
    async_read *r = malloc(sizeof *r);
    if (r) {
        *r = (async_read){a, sel, offset, length, buf, done, arg};
        if (zf_pool_submit(a->z->pool, ZF_JOB_READ, NULL, async_run, r) == ZF_OK)
            return;
        free(r);
    }
    zf_err err;
    zf_err_set(&err, ZF_ENOMEM, "array '%s': out of memory", a->info.path);
    done(arg, ZF_ENOMEM, 0, &err);
}

void zf_array_read_async(zf_array *a, uint64_t offset, size_t length,
                         void *buf, zf_read_done done, void *arg)
{
    read_async(a, NULL, offset, length, buf, done, arg);
}

void zf_array_read_selection_async(zf_array *a, const zf_selection *s,
                                   uint64_t offset, size_t length, void *buf,
                                   zf_read_done done, void *arg)
{
    read_async(a, s, offset, length, buf, done, arg);
}
