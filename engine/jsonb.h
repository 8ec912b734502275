/*
 * jsonb.h - json-c helpers: zf_json_get, the one member lookup, and
 * building documents with every allocation checked.  A
 * json-c constructor returns NULL when out of memory, and adding that NULL
 * to a container stores a JSON null (a NULL container aborts).  zf_jadd
 * takes ownership of `v`, adds it to `to` (under `key`, or at the end of an
 * array when key is NULL), and on any failure (v or to missing, the
 * container unable to grow) frees v and clears *ok; a builder makes its
 * calls and checks *ok once at the end.  Returns `to`.
 */
#ifndef ZF_JSONB_H
#define ZF_JSONB_H

#include <json-c/json.h>

/* The member `key` of object `o`, or NULL when it is absent or JSON null,
 * or o is NULL or not an object; borrowed from o.  (Writers such as
 * numcodecs emit "key": null for "use the default".) */
static inline json_object *zf_json_get(json_object *o, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static inline json_object *zf_jadd(int *ok, json_object *to, const char *key,
                                   json_object *v)
{
    int added = v && to &&
                (key ? json_object_object_add(to, key, v)
                     : json_object_array_add(to, v)) == 0;
    if (!added) {
        json_object_put(v);
        *ok = 0;
    }
    return to;
}

#endif
