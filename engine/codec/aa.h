/*
 * aa.h - array->array codecs (transpose, numcodecs.delta): codecs that see a
 * chunk as elements of a shape, before the array->bytes codec.  A table
 * (aa.c) names them; each codec is one file providing one zf_aa_ops.
 * Adding a codec: its file, and its line in aa.c's table.
 *
 * Ownership: a zf_aacodec is a plain value embedded in its pipeline; it
 * holds no memory.  Thread safety: immutable once initialised; encode,
 * decode and view only read it.  Errors: init returns ZF_EMETA /
 * ZF_EUNSUPPORTED naming the codec and the parameter; encode and decode
 * cannot fail (the caller sizes the buffers: ops->... on c->nbytes).
 */
#ifndef ZF_AA_H
#define ZF_AA_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "meta/dtype.h"

struct json_object;

typedef struct zf_aacodec zf_aacodec;

typedef struct zf_aa_ops {
    const char *name; /* as zarr.json names it */
    /* Reads conf (may be NULL) for chunks of c->shape and c->dt (set by the
     * caller), writes the shape the codec hands on into `next`, and sets
     * c->desc. */
    zf_code (*init)(zf_aacodec *c, struct json_object *conf, uint64_t *next,
                    zf_err *err);
    /* Whether decode(encode(x)) == x bit for bit, for every x. */
    int (*lossless)(const zf_aacodec *c);
    /* Encodes a chunk, C order of c->shape, into out (C order of the shape
     * init handed on); in and out do not overlap. */
    void (*encode)(const zf_aacodec *c, const uint8_t *in, uint8_t *out);
    /* The partial decoder of a pure reordering: the permutation through
     * which a box of the decoded chunk is read out of the encoded one (output
     * dimension d is input dimension perm[d]), so nothing is decoded.  NULL
     * for codecs that change values; those have decode instead. */
    const int *(*view)(const zf_aacodec *c);
    /* Decodes in place buf (the encoded chunk, C order, dense). */
    void (*decode)(const zf_aacodec *c, uint8_t *buf);
} zf_aa_ops;

struct zf_aacodec {
    const zf_aa_ops *ops;
    int ndim;
    uint64_t shape[ZF_MAX_DIMS]; /* the decoded chunk's shape */
    const zf_dtype *dt;
    uint64_t nbytes;             /* the chunk's size, either side */
    int perm[ZF_MAX_DIMS];       /* transpose */
    char desc[160];              /* "transpose(2,1,0)", "delta" */
};

/* The codec named `name`, or NULL. */
const zf_aa_ops *zf_aa_find(const char *name);

/* Sets up c for chunks of `shape` and dt with the codec ops, from conf:
 * `shape` becomes the shape the codec hands on. */
zf_code zf_aacodec_init(zf_aacodec *c, const zf_aa_ops *ops,
                        struct json_object *conf, int ndim, uint64_t *shape,
                        const zf_dtype *dt, zf_err *err);

extern const zf_aa_ops zf_aa_transpose, zf_aa_delta;

#endif
