/*
 * stream.h - following sequential reads of an array (stream.c).
 * Sequential reads (tolerating the reordering of concurrent kernel
 * readahead; a few readers at once, each its own stream) are followed by
 * prefetch jobs that decode the chunks ahead of them into the cache, with a
 * window that doubles while reads stay sequential, up to half the cache
 * budget; a read elsewhere starts a new stream.  Also here: the chunk runs
 * of the flat view (zf_array_chunk_span) and how far a stream has been
 * prefetched (zf_array_stream_ahead), both public (zarrfs.h).
 * Depends on run.h (planning and running the prefetch); read.c calls it.
 * Thread-safe: the detector has its own lock (zf_array.seq).  Errors of a
 * prefetch are left for the reads that will need those chunks to report.
 */
#ifndef ZF_STREAM_H
#define ZF_STREAM_H

#include "meta/meta.h"

/* Notes a read of [off, end) and queues the prefetch it calls for; 1 when
 * the read is the third (or later) of a stream's reads in a row that each
 * began exactly where the one before ended.  (One such read is no stream:
 * among random reads, one in a few thousand begins where another ended.) */
int zf_stream_follow(zf_array *a, uint64_t off, uint64_t end);

#endif
