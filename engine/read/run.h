/*
 * run.h - the bottom of the read path (run.c): planning the elements
 * [e0, e1) of an array's flat view (boxes, box.h -> chunks -> tasks,
 * plan.h) and running a plan: tasks looked up in the cache, their fetches
 * grouped (fetch.h) and run (task.h) on the pool with the caller helping.
 * Used by read.c (reads), stream.c (prefetch), cached.c (cached reads) and
 * select.c; it depends on none of them.
 * Thread-safe: all state is the plan's, which belongs to one read.
 * Errors: the first task's error wins; a failed plan has claimed no cache
 * entry.
 */
#ifndef ZF_RUN_H
#define ZF_RUN_H

#include "plan.h"

/* Plans the elements [e0, e1) of pl->array into dst (C order of the flat
 * view; NULL when prefetching, into the cache only). */
zf_code zf_plan_elements(zf_plan *pl, uint64_t e0, uint64_t e1, void *dst,
                         zf_err *err);

/* Looks up, fetches and runs the planned tasks on the pool, the caller
 * helping; the first task error wins. */
zf_code zf_plan_run(zf_plan *pl, zf_err *err);

/* Runs one task (a zf_task *, as a pool job), then tells its fetch run, if
 * any, that its slice of the run's bytes is no longer needed. */
void zf_plan_run_task(void *task);

#endif
