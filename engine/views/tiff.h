/*
 * tiff.h - the TIFF view of an array (NAME.tif): every IFD in a header that
 * the array's flat bytes follow, so each page's strips point straight into
 * them (see tiff.c for the layout and the metadata choices).
 *
 * Contract: zf_view_tiff describes the whole array (s NULL) or the result
 * of selection s (its shape, reversed in Fortran order; the axes of the
 * dimensions it keeps).  It reads the array's immutable metadata and, from
 * the store, the attributes of the array and of its parent group (axis
 * names, OME-Zarr multiscales); it never looks at the node list, so it may
 * run beside zf_refresh (fs/virt.c builds a subarray's .tif on a FUSE
 * thread, at lookup: a blocking read of one or two small documents).  On
 * success *out is a header of *len bytes (plus a NUL) that
 * the caller frees with free(); refusals are ZF_EUNSUPPORTED "LABEL: reason",
 * a store that cannot be read is its code (ZF_EIO, ...), and ZF_ENOMEM.
 */
#ifndef ZF_TIFF_H
#define ZF_TIFF_H

#include "engine.h"

/* The data of NAME.tif starts at a multiple of this, so that page-cache
 * pages of the view line up with the array's flat bytes. */
#define ZF_TIFF_DATA_ALIGN 4096

zf_code zf_view_tiff(const zf_array *a, const zf_selection *s,
                     const char *label, char **out, size_t *len, zf_err *err);

#endif
