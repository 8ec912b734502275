/*
 * pack_meta.h - the codec pipeline of a pack and its zarr.json (pack_meta.c),
 * made from one source so that the metadata always describes what the
 * encoders did.  The codecs belong to the plan (pack.h) until
 * zf_pack_chain_free.  Errors name OUTPUT or the option.
 */
#ifndef ZF_PACK_META_H
#define ZF_PACK_META_H

#include "pack.h"

/* Creates the pipeline of the codecs the options ask for (p->pipe,
 * p->chunk_pipe). */
zf_code zf_pack_chain_new(zf_pack_plan *p, zf_err *err);
void zf_pack_chain_free(zf_pack_plan *p);

/* Writes OUTPUT/zarr.json. */
zf_code zf_pack_write_meta(const zf_pack_plan *p, zf_err *err);

#endif
