/*
 * nc_standin.c - TEMPORARY stand-in for the netCDF-4 group file builder
 * (zarrfs.h, "netCDF-4/HDF5 group files"), so that the mount's side can be
 * built and tested before the real builder lands; deleted when it does.
 * Its "header" is a text block (not HDF5) listing the parts; the parts are
 * every readable array below the group, in node order, each at the next
 * 4096-aligned offset.  zf_nc_read is real.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define ALIGN 4096u

struct zf_nc_file {
    uint64_t size;
    char *header;
    size_t header_len;
    zf_nc_part *parts;
    size_t nparts;
    char **notes; /* NULL-terminated */
    size_t nnotes;
};

/* Whether `path` lies strictly below group `g` ("" is the root). */
static int below(const char *path, const char *g)
{
    size_t n = strlen(g);
    if (!n)
        return path[0] != '\0';
    return strncmp(path, g, n) == 0 && path[n] == '/';
}

static int note(zf_nc_file *f, const char *path, const char *why)
{
    char **v = realloc(f->notes, (f->nnotes + 2) * sizeof *v);
    if (!v)
        return -1;
    f->notes = v;
    if (asprintf(&v[f->nnotes], "%s: left out: %s", path, why) < 0)
        return -1;
    v[++f->nnotes] = NULL;
    return 0;
}

static int add_part(zf_nc_file *f, zf_zarr *z, const zf_node *nd)
{
    zf_array *a;
    zf_err e = {0};
    if (nd->error || zf_array_get(z, nd->path, &a, &e) != ZF_OK)
        return note(f, nd->path, nd->error ? nd->error : e.msg);
    zf_nc_part *p = realloc(f->parts, (f->nparts + 1) * sizeof *p);
    if (!p)
        return -1;
    f->parts = p;
    p[f->nparts++] = (zf_nc_part){zf_array_get_info(a)->path, 0,
                                  zf_array_get_info(a)->nbytes};
    return 0;
}

/* The text header, then the parts' offsets after it. */
static int lay_out(zf_nc_file *f, const char *g)
{
    size_t cap = 64 + strlen(g), used = 0;
    for (size_t i = 0; i < f->nparts; i++)
        cap += strlen(f->parts[i].array_path) + 48;
    if (!(f->header = malloc(cap)))
        return -1;
    used += (size_t)snprintf(f->header, cap, "zarrfs nc stand-in '%s' %zu\n", g,
                             f->nparts);
    uint64_t off = 0;
    for (size_t i = 0; i < f->nparts; i++)
        used += (size_t)snprintf(f->header + used, cap - used, "%s %llu\n",
                                 f->parts[i].array_path,
                                 (unsigned long long)f->parts[i].nbytes);
    f->header_len = used;
    off = used;
    for (size_t i = 0; i < f->nparts; i++) {
        f->parts[i].offset = (off + ALIGN - 1) / ALIGN * ALIGN;
        off = f->parts[i].offset + f->parts[i].nbytes;
    }
    f->size = off;
    return 0;
}

zf_code zf_nc_build(zf_zarr *z, const char *g, zf_nc_file **out, zf_err *err)
{
    *out = NULL;
    int found = 0;
    for (size_t i = 0; i < zf_node_count(z); i++) {
        const zf_node *nd = zf_node_at(z, i);
        found |= nd->kind == ZF_NODE_GROUP && strcmp(nd->path, g) == 0;
    }
    if (!found)
        return zf_err_set(err, ZF_ENOTFOUND, "%s: no such group", g[0] ? g : "/");
    zf_nc_file *f = calloc(1, sizeof *f);
    int rc = f && (f->notes = calloc(1, sizeof *f->notes)) ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < zf_node_count(z); i++) {
        const zf_node *nd = zf_node_at(z, i);
        if (nd->kind == ZF_NODE_ARRAY && below(nd->path, g))
            rc = add_part(f, z, nd);
    }
    if (rc != 0 || lay_out(f, g) != 0) {
        zf_nc_free(f);
        return zf_err_set(err, ZF_ENOMEM, "%s: out of memory", g);
    }
    *out = f;
    return ZF_OK;
}

void zf_nc_free(zf_nc_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nnotes; i++)
        free(f->notes[i]);
    free(f->notes);
    free(f->parts);
    free(f->header);
    free(f);
}

uint64_t zf_nc_size(const zf_nc_file *f) { return f->size; }
size_t zf_nc_part_count(const zf_nc_file *f) { return f->nparts; }
const char *const *zf_nc_notes(const zf_nc_file *f) { return (const char *const *)f->notes; }

const uint8_t *zf_nc_header(const zf_nc_file *f, size_t *len)
{
    *len = f->header_len;
    return (const uint8_t *)f->header;
}

const zf_nc_part *zf_nc_part_at(const zf_nc_file *f, size_t i)
{
    return i < f->nparts ? &f->parts[i] : NULL;
}

zf_code zf_nc_read(zf_nc_file *f, zf_zarr *z, uint64_t offset, size_t length,
                   void *buf, size_t *got, zf_err *err)
{
    *got = 0;
    if (offset >= f->size)
        return ZF_OK;
    uint64_t end = f->size - offset < length ? f->size : offset + length;
    memset(buf, 0, (size_t)(end - offset));
    if (offset < f->header_len)
        memcpy(buf, f->header + offset,
               (size_t)((end < f->header_len ? end : f->header_len) - offset));
    for (size_t i = 0; i < f->nparts; i++) {
        const zf_nc_part *p = &f->parts[i];
        uint64_t lo = p->offset > offset ? p->offset : offset;
        uint64_t hi = p->offset + p->nbytes < end ? p->offset + p->nbytes : end;
        zf_array *a;
        if (lo >= hi)
            continue;
        zf_code c = zf_array_get(z, p->array_path, &a, err);
        if (c == ZF_OK)
            c = zf_array_read(a, lo - p->offset, (size_t)(hi - lo),
                              (char *)buf + (lo - offset), NULL, err);
        if (c != ZF_OK)
            return c;
    }
    *got = (size_t)(end - offset);
    return ZF_OK;
}
