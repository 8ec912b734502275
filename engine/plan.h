/*
 * plan.h - turning a box of one chunk into decode tasks.  For a plain chunk
 * that is one task; for a shard it means reading the shard index and making
 * one task per inner chunk the box touches (recursively for nested shards),
 * so a read never fetches chunk bytes it does not decode.  Empty inner
 * chunks and missing keys are filled with the fill value right here.
 *
 * A zf_plan belongs to one read on one thread; tasks may then run on any
 * thread (each writes only its own result fields and its own part of the
 * destination).  Errors: the first planning error is kept in the plan,
 * prefixed with the key.
 */
#ifndef ZF_PLAN_H
#define ZF_PLAN_H

#include "box.h"
#include "engine.h"

#define ZF_WHOLE_KEY UINT64_MAX

typedef struct zf_task {
    const zf_pipeline *pipe; /* not sharded */
    const char *key;
    uint64_t off, len;       /* byte range in key; len ZF_WHOLE_KEY = all */
    uint64_t lo[ZF_MAX_DIMS], count[ZF_MAX_DIMS];
    zf_view dst;
    zf_array *array;
    zf_code code;
    zf_err err;
} zf_task;

typedef struct zf_plan {
    zf_array *array;
    zf_task *tasks;
    size_t ntasks, cap;
    char **keys; /* owned copies of the keys the tasks name */
    size_t nkeys, capkeys;
} zf_plan;

/* Plans the box (lo, count) of the chunk stored at key[off, off+len) decoded
 * by p into dst. */
zf_code zf_plan_chunk(zf_plan *pl, const zf_pipeline *p, const char *key,
                      uint64_t off, uint64_t len, const uint64_t *lo,
                      const uint64_t *count, const zf_view *dst, zf_err *err);

/* Runs one task: reads its bytes, decodes, copies; sets task->code/err. */
void zf_task_run(void *task);

void zf_plan_free(zf_plan *pl);

#endif
