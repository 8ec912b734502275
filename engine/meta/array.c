/*
 * array.c - a zf_array from its metadata document: the allocation, the
 * dispatch to the format's fields (meta_v3.c, meta_v2.c), the array's info;
 * and its release.  See array.h.
 */
#include "array.h"

#include "meta_v2.h"
#include "meta_v3.h"

#include <stdlib.h>
#include <string.h>

static void fill_info(zf_array *a, const char *path)
{
    zf_array_info *i = &a->info;
    i->path = path;
    i->ndim = a->ndim;
    i->shape = a->shape;
    i->chunks = a->chunks;
    i->inner = a->pipe->sharded || a->pipe->whole_shard ? a->pipe->shard.inner
                                                         : NULL;
    i->dtype = a->dt->name;
    i->itemsize = a->dt->size;
    i->codecs = a->pipe->describe;
    i->metadata_json = a->metadata_json;
    i->fill_value = a->fill;
}

static zf_code meta_alloc(zf_zarr *z, const char *path, const char *json,
                          zf_array **out, zf_err *err)
{
    zf_array *a = calloc(1, sizeof *a);
    if (!a)
        return zf_err_set(err, ZF_ENOMEM, "out of memory");
    a->z = z;
    pthread_mutex_init(&a->seq.lock, NULL);
    a->metadata_json = strdup(json);
    size_t pl = strlen(path);
    a->key_prefix = malloc(pl + 2);
    if (!a->metadata_json || !a->key_prefix) {
        zf_array_free(a);
        return zf_err_set(err, ZF_ENOMEM, "out of memory");
    }
    memcpy(a->key_prefix, path, pl);
    strcpy(a->key_prefix + pl, pl ? "/" : "");
    *out = a;
    return ZF_OK;
}

zf_code zf_meta_parse_array(zf_zarr *z, const char *path, int format,
                            json_object *doc, const char *json, zf_array **out,
                            zf_err *err)
{
    zf_array *a = NULL;
    zf_code c = meta_alloc(z, path, json, &a, err);
    if (c != ZF_OK)
        return c;
    c = format == 3 ? zf_meta_v3_fields(a, doc, err) : zf_meta_v2_fields(a, doc, err);
    if (c != ZF_OK) {
        zf_array_free(a);
        return c;
    }
    fill_info(a, path);
    *out = a;
    return ZF_OK;
}

void zf_array_free(zf_array *a)
{
    if (!a)
        return;
    zf_pipeline_free(a->pipe);
    pthread_mutex_destroy(&a->seq.lock);
    free(a->metadata_json);
    free(a->key_prefix);
    free(a->path);
    free(a);
}

