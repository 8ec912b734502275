/*
 * cached.c - zf_array_read_cached (zarrfs.h): a read served only when every
 * chunk it needs is decoded in the cache, claimed at once, so that it never
 * decodes (a mount's page pushes use it).  Depends on run.h for planning.
 * Thread-safe: the plan is the call's; the cache entries are held only
 * while `use` runs.
 */
#include "run.h"

#include "cache.h"
#include "meta/meta.h"
#include "task.h"

/* Claims every task's chunk as a ready cache entry; 0 (holding none) if
 * one is not ready. */
static int hold_cached(zf_plan *pl)
{
    zf_cache *cache = pl->array->z->chunks;
    for (size_t i = 0; i < pl->ntasks; i++) {
        zf_task *t = &pl->tasks[i];
        if (zf_cache_acquire(cache, t->pipe, t->key, t->off, t->tag,
                             (size_t)t->pipe->nbytes, ZF_CACHE_LOOKUP,
                             &t->entry) == ZF_CACHE_HIT)
            continue;
        for (size_t j = 0; j <= i; j++)
            if (pl->tasks[j].entry)
                zf_cache_release(cache, pl->tasks[j].entry);
        return 0;
    }
    return 1;
}

zf_code zf_array_read_cached(zf_array *a, uint64_t offset, size_t length,
                             void *buf, void (*use)(void *arg), void *arg,
                             zf_err *err)
{
    uint64_t isz = a->dt->size;
    if (offset % isz || length % isz || offset > a->info.nbytes ||
        length > a->info.nbytes - offset)
        return zf_err_set(err, ZF_EINVAL, "array '%s': cached read of %zu "
                          "bytes at %llu", a->info.path, length,
                          (unsigned long long)offset);
    zf_plan plan = {.array = a, .cached = 1};
    zf_code c = length ? zf_plan_elements(&plan, offset / isz,
                                       (offset + length) / isz, buf, err)
                       : ZF_OK;
    if (c == ZF_OK && !hold_cached(&plan))
        c = ZF_ENOTFOUND;
    if (c == ZF_OK) {
        for (size_t i = 0; i < plan.ntasks; i++)
            zf_task_copy_entry(&plan.tasks[i]);
        atomic_fetch_add(&a->z->counters.cached_reads, 1);
        atomic_fetch_add(&a->z->counters.cached_bytes, length);
        use(arg);
        for (size_t i = 0; i < plan.ntasks; i++)
            zf_cache_release(a->z->chunks, plan.tasks[i].entry);
    }
    zf_plan_free(&plan);
    return c;
}

