/*
 * tls.h - a lazily made per-thread object: the decode scratch buffers, the
 * zstd and zlib contexts.  A zf_tls is a static of the module that owns the
 * object; zf_tls_get makes the thread's object with `make` on first use and
 * the thread's exit frees it with `destroy`.
 * Errors: zf_tls_get returns NULL when no thread key can be had (the
 * process ran out of them: pthread_key_create failed, and is not retried)
 * or `make` failed; callers then use a spare object of their own or fail
 * with ZF_ENOMEM.
 * Threads: any thread may call zf_tls_get on the same zf_tls.
 */
#ifndef ZF_TLS_H
#define ZF_TLS_H

#include <pthread.h>

typedef struct zf_tls {
    void *(*make)(void);
    void (*destroy)(void *);
    int state; /* 0: no key yet, 1: key made, -1: no key to be had */
    pthread_key_t key;
} zf_tls;

#define ZF_TLS_INIT(make_fn, destroy_fn) {.make = (make_fn), .destroy = (destroy_fn)}

void *zf_tls_get(zf_tls *t);

#endif
