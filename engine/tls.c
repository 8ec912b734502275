/* tls.c - see tls.h. */
#include "tls.h"

/* Serialises key creation across every zf_tls: it happens a few times per
 * process, so one lock is enough. */
static pthread_mutex_t make_lock = PTHREAD_MUTEX_INITIALIZER;

static int tls_ready(zf_tls *t)
{
    int s = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
    if (s)
        return s > 0;
    pthread_mutex_lock(&make_lock);
    if (!(s = t->state)) {
        s = pthread_key_create(&t->key, t->destroy) == 0 ? 1 : -1;
        __atomic_store_n(&t->state, s, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&make_lock);
    return s > 0;
}

void *zf_tls_get(zf_tls *t)
{
    if (!tls_ready(t))
        return NULL;
    void *o = pthread_getspecific(t->key);
    if (o)
        return o;
    if ((o = t->make()) && pthread_setspecific(t->key, o) != 0) {
        t->destroy(o);
        o = NULL;
    }
    return o;
}
