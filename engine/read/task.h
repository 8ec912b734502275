/*
 * task.h - running one planned task (plan.h: zf_task and its modes).
 *
 * A task runs on any thread, using that thread's scratch buffers (decode.h),
 * and writes only its own fields and its own part of the destination.  It
 * always settles its cache entry (publishes what it claimed, releases what
 * it holds), even when it fails, so waiters never hang.  It knows nothing of
 * fetch runs: whoever ran it (read.c) tells the run (fetch.h) it is done
 * with its bytes.  Errors: task->code and task->err, naming the key.
 */
#ifndef ZF_TASK_H
#define ZF_TASK_H

#include "plan.h"

/* Runs one task (a pool job); sets task->code/err. */
void zf_task_run(void *task);

/* Copies the task's box out of its ready cache entry into its dst. */
void zf_task_copy_entry(zf_task *t);

#endif
