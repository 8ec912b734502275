/*
 * nc_emit.h - the netCDF-4 emitter (nc_emit.c): a model (nc_model.h) laid
 * out as an HDF5 file's header, with every variable's flat view placed
 * after it at a 4096-aligned offset.
 *
 * The header is written twice: object header and heap sizes never depend
 * on addresses (all are 8 bytes), so a first pass sizes every object header
 * and the global heap, a second writes them with the addresses the first
 * found, and must land on the same sizes (an internal error otherwise).
 *
 * Contract: zf_nce_layout writes only the model's addresses and its own
 * output; every size is checked: a file that would end past INT64_MAX (its
 * st_size is an off_t), or a dimension-only scale whose size does not fit
 * 64 bits, is refused with ZF_ELIMIT naming what does not fit; a message
 * larger than an object header holds is ZF_ELIMIT too; allocation failures
 * are ZF_ENOMEM.  Errors are the model's (m->code, m->err).
 */
#ifndef ZF_VIEWS_NC_EMIT_H
#define ZF_VIEWS_NC_EMIT_H

#include "views/h5.h"
#include "views/nc_model.h"

#define NC_ALIGN 4096

/* Fills *hdr (zeroed; the caller frees it) with the header, sets each
 * variable's data_addr, *size to the file's size and *nparts to the
 * number of variables with bytes.  Returns m->code. */
zf_code zf_nce_layout(zf_ncmodel *m, zf_h5out *hdr, uint64_t *size,
                      size_t *nparts);

#endif
