/*
 * nc.c - a group of the store as one netCDF-4 file (an HDF5 file that
 * follows netCDF-4's conventions): zf_nc_build and the zf_nc_* accessors
 * of zarrfs.h.  The model (what the file holds: nc_model.h) is collected
 * from the node set, the emitter (nc_emit.h) lays it out; this file keeps
 * the result, answers where a byte of the file comes from (zf_nc_part_find,
 * zf_nc_read) and stamps what a build reads (zf_nc_stamp_of).
 *
 * Contract: zf_nc_build reads the node set already loaded (metadata and
 * attributes) and nothing from the store; it must not race with
 * zf_refresh.  A built zf_nc_file is immutable and owns all its memory, so
 * any thread may read it; zf_nc_read reads the parts through the zf_zarr
 * it is given.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "err.h"
#include "meta/nodes.h"
#include "views/nc_emit.h"
#include "views/nc_model.h"

struct zf_nc_file {
    uint8_t *header;
    size_t hlen;
    uint64_t size;
    zf_nc_part *parts;
    size_t nparts;
    char **notes; /* NULL-terminated */
};

/* ---- the file ----------------------------------------------------------- */

static zf_code make_file(zf_ncmodel *b, zf_h5out *hdr, uint64_t size,
                         size_t nparts, zf_nc_file **out)
{
    zf_nc_file *f = calloc(1, sizeof *f);
    if (!f)
        return ZF_ENOMEM;
    f->parts = calloc(nparts ? nparts : 1, sizeof *f->parts);
    f->notes = calloc(b->nnotes + 1, sizeof *f->notes);
    if (!f->parts || !f->notes) {
        zf_nc_free(f);
        return ZF_ENOMEM;
    }
    for (size_t i = 0; i < b->nobj; i++) {
        const zf_ncobj *v = &b->obj[i];
        if (v->kind != ZF_NC_VAR || !zf_array_get_info(v->a)->nbytes)
            continue;
        zf_nc_part *p = &f->parts[f->nparts++];
        p->array_path = v->a->info.path;
        p->offset = v->data_addr;
        p->nbytes = zf_array_get_info(v->a)->nbytes;
    }
    if (b->nnotes)
        memcpy(f->notes, b->notes, b->nnotes * sizeof *b->notes);
    b->nnotes = 0; /* (the file owns them now) */
    f->header = hdr->p;
    f->hlen = hdr->len;
    f->size = size;
    memset(hdr, 0, sizeof *hdr);
    *out = f;
    return ZF_OK;
}

zf_code zf_nc_build(zf_zarr *z, const char *group_path, zf_nc_file **out,
                    zf_err *err)
{
    zf_err local;
    if (!err)
        err = &local;
    if (!z || !group_path || !out)
        return zf_err_set(err, ZF_EINVAL, "zf_nc_build: bad arguments");
    *out = NULL;
    while (group_path[0] == '/')
        group_path++;
    zf_ncmodel m = {.z = z};
    zf_h5out hdr = {0};
    uint64_t size = 0;
    size_t nparts = 0;
    zf_code c = zf_ncm_collect(&m, group_path, err);
    if (c == ZF_OK && (c = zf_nce_layout(&m, &hdr, &size, &nparts)) != ZF_OK)
        *err = m.err;
    if (c == ZF_OK && make_file(&m, &hdr, size, nparts, out) != ZF_OK)
        c = zf_err_set(err, ZF_ENOMEM, "group '%s': out of memory building "
                       "its netCDF-4 file", group_path);
    zf_h5_free(&hdr);
    zf_ncm_free(&m);
    return c;
}

void zf_nc_free(zf_nc_file *f)
{
    if (!f)
        return;
    for (char **n = f->notes; n && *n; n++)
        free(*n);
    free(f->notes);
    free(f->parts);
    free(f->header);
    free(f);
}

uint64_t zf_nc_size(const zf_nc_file *f)
{
    return f->size;
}

const uint8_t *zf_nc_header(const zf_nc_file *f, size_t *len)
{
    *len = f->hlen;
    return f->header;
}

size_t zf_nc_part_count(const zf_nc_file *f)
{
    return f->nparts;
}

const zf_nc_part *zf_nc_part_at(const zf_nc_file *f, size_t i)
{
    return i < f->nparts ? &f->parts[i] : NULL;
}

const char *const *zf_nc_notes(const zf_nc_file *f)
{
    return (const char *const *)f->notes;
}

size_t zf_nc_part_find(const zf_nc_file *f, uint64_t pos)
{
    size_t lo = 0, hi = f->nparts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->parts[mid].offset + f->parts[mid].nbytes <= pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

zf_code zf_nc_read(zf_nc_file *f, zf_zarr *z, uint64_t offset, size_t length,
                   void *buf, size_t *got, zf_err *err)
{
    zf_err local;
    if (!err)
        err = &local;
    *got = 0;
    if (offset >= f->size)
        return ZF_OK;
    if (length > f->size - offset)
        length = (size_t)(f->size - offset);
    uint8_t *dst = buf;
    uint64_t pos = offset, end = offset + length;
    while (pos < end) {
        size_t i = zf_nc_part_find(f, pos);
        const zf_nc_part *p = i < f->nparts ? &f->parts[i] : NULL;
        uint64_t stop = p && p->offset < end ? p->offset : end;
        if (pos < stop) { /* header bytes, then zeros up to the next part */
            uint64_t h = pos < f->hlen ? (f->hlen < stop ? f->hlen : stop) : pos;
            if (h > pos)
                memcpy(dst, f->header + pos, (size_t)(h - pos));
            memset(dst + (h - pos), 0, (size_t)(stop - h));
            dst += stop - pos;
            pos = stop;
            continue;
        }
        uint64_t n = (p->offset + p->nbytes < end ? p->offset + p->nbytes : end) - pos;
        zf_array *a = NULL;
        size_t nread = 0;
        zf_code c = zf_array_get(z, p->array_path, &a, err);
        if (c == ZF_OK)
            c = zf_array_read(a, pos - p->offset, (size_t)n, dst, &nread, err);
        if (c == ZF_OK && nread != n)
            c = zf_err_set(err, ZF_EIO, "%s: read %zu of %" PRIu64 " bytes",
                           p->array_path, nread, n);
        if (c != ZF_OK)
            return c;
        dst += n;
        pos += n;
    }
    *got = length;
    return ZF_OK;
}

void zf_nc_stamp_of(const zf_zarr *z, const char *group_path,
                    zf_nc_stamp *out)
{
    while (group_path[0] == '/')
        group_path++;
    zf_nodeset_subtree(z->nodes, group_path, &out->nodes, &out->newest);
}
