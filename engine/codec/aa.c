/*
 * aa.c - the table of array->array codecs (aa.h).  Constant; nothing here
 * is mutable.
 */
#include <string.h>

#include "aa.h"

static const zf_aa_ops *const TABLE[] = {&zf_aa_transpose, &zf_aa_delta};

const zf_aa_ops *zf_aa_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof TABLE / sizeof TABLE[0]; i++)
        if (!strcmp(TABLE[i]->name, name))
            return TABLE[i];
    return NULL;
}

zf_code zf_aacodec_init(zf_aacodec *c, const zf_aa_ops *ops,
                        struct json_object *conf, int ndim, uint64_t *shape,
                        const zf_dtype *dt, zf_err *err)
{
    memset(c, 0, sizeof *c);
    c->ops = ops;
    c->ndim = ndim;
    c->dt = dt;
    c->nbytes = dt->size;
    for (int d = 0; d < ndim; d++) {
        c->shape[d] = shape[d];
        c->nbytes *= shape[d];
    }
    return ops->init(c, conf, shape, err);
}
