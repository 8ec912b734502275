/*
 * h5.c - the byte encodings of h5.h.  Field layouts follow the HDF5 File
 * Format Specification 3.0: superblock v2 (IV.A.1.b), object header v2
 * (IV.A.1), the datatype (IV.A.2.d), dataspace v2 (IV.A.2.b), fill value
 * v3, data layout v3, link info, group info, link and attribute v3
 * messages, and global heap collections (III.E).
 */
#include "h5.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "meta/dtype.h"
#include "le.h"

/* Room for n more bytes, grown as the engine's buffers grow (zf_buf); a
 * failure is sticky (o->oom), so that writers check once, at the end. */
static int reserve(zf_h5out *o, size_t n)
{
    if (o->oom)
        return 0;
    zf_buf b = {o->p, o->len, o->cap, 0};
    zf_err err;
    if (n > SIZE_MAX - o->len || zf_buf_reserve(&b, o->len + n, &err) != ZF_OK) {
        o->oom = 1;
        return 0;
    }
    o->p = b.p;
    o->cap = b.cap;
    return 1;
}

void zf_h5_bytes(zf_h5out *o, const void *src, size_t n)
{
    if (n && reserve(o, n)) {
        memcpy(o->p + o->len, src, n);
        o->len += n;
    }
}

void zf_h5_zeros(zf_h5out *o, size_t n)
{
    if (n && reserve(o, n)) {
        memset(o->p + o->len, 0, n);
        o->len += n;
    }
}

void zf_h5_le(zf_h5out *o, uint64_t v, int n)
{
    uint8_t b[8];
    zf_put_le(b, v, n);
    zf_h5_bytes(o, b, (size_t)n);
}

void zf_h5_free(zf_h5out *o)
{
    free(o->p);
    memset(o, 0, sizeof *o);
}

/* ---- datatypes ---------------------------------------------------------- */

zf_h5_type zf_h5_type_of(zf_h5_kind kind, uint32_t size, int utf8)
{
    zf_h5_type t = {kind, size, utf8};
    if (kind == ZF_H5_BOOL)
        t.size = 1;
    else if (kind == ZF_H5_VSTR || kind == ZF_H5_VREF)
        t.size = 16; /* length, collection address, object index */
    else if (kind == ZF_H5_REF)
        t.size = 8;
    else if (kind == ZF_H5_REFLIST)
        t.size = 16; /* as H5DS lays it out: the int at offset 8 */
    return t;
}

/* The first 8 bytes: class and version, three bytes of class bits, size. */
static void dt_head(zf_h5out *o, int cls, int version, uint32_t bits,
                    uint32_t size)
{
    zf_h5_le(o, (uint64_t)(cls | version << 4), 1);
    zf_h5_le(o, bits, 3);
    zf_h5_le(o, size, 4);
}

static void dt_int(zf_h5out *o, uint32_t size, int sign)
{
    dt_head(o, 0, 1, (zf_native_little() ? 0u : 1u) | (sign ? 8u : 0u), size);
    zf_h5_le(o, 0, 2);        /* bit offset */
    zf_h5_le(o, size * 8, 2); /* precision */
}

static void dt_float(zf_h5out *o, uint32_t size)
{
    /* sign bit, exponent location and size, mantissa size, bias */
    unsigned sign = size * 8 - 1;
    unsigned esize = size == 2 ? 5 : size == 4 ? 8 : 11;
    unsigned msize = sign - esize;
    uint32_t bias = (1u << (esize - 1)) - 1;
    uint32_t bits = (zf_native_little() ? 0u : 1u) | 2u << 4 | sign << 8;
    dt_head(o, 1, 1, bits, size);
    zf_h5_le(o, 0, 2);
    zf_h5_le(o, size * 8, 2);
    zf_h5_le(o, msize, 1); /* exponent location */
    zf_h5_le(o, esize, 1);
    zf_h5_le(o, 0, 1);     /* mantissa location */
    zf_h5_le(o, msize, 1);
    zf_h5_le(o, bias, 4);
}

/* Bytes of a compound member's offset in a version-3 compound: enough
 * for the type's size (HDF5's H5VM_limit_enc_size). */
static int offset_bytes(uint32_t size)
{
    int log2 = 0;
    while (size >> (log2 + 1))
        log2++;
    return log2 / 8 + 1;
}

static void member(zf_h5out *o, const char *name, uint32_t off,
                   uint32_t size, const zf_h5_type *t)
{
    zf_h5_bytes(o, name, strlen(name) + 1);
    zf_h5_le(o, off, offset_bytes(size));
    zf_h5_datatype(o, t);
}

void zf_h5_datatype(zf_h5out *o, const zf_h5_type *t)
{
    zf_h5_type half = zf_h5_type_of(ZF_H5_FLOAT, t->size / 2, 0);
    zf_h5_type ref = zf_h5_type_of(ZF_H5_REF, 8, 0);
    zf_h5_type i32 = zf_h5_type_of(ZF_H5_INT, 4, 0);
    switch (t->kind) {
    case ZF_H5_INT:
    case ZF_H5_UINT:
        dt_int(o, t->size, t->kind == ZF_H5_INT);
        break;
    case ZF_H5_FLOAT:
        dt_float(o, t->size);
        break;
    case ZF_H5_BOOL: /* enum v3: base, names packed, values */
        dt_head(o, 8, 3, 2, 1);
        dt_int(o, 1, 1);
        zf_h5_bytes(o, "FALSE\0TRUE", 11);
        zf_h5_bytes(o, "\0\1", 2);
        break;
    case ZF_H5_COMPLEX:
        dt_head(o, 6, 3, 2, t->size);
        member(o, "r", 0, t->size, &half);
        member(o, "i", t->size / 2, t->size, &half);
        break;
    case ZF_H5_STR:
        dt_head(o, 3, 1, (uint32_t)(t->utf8 ? 1 : 0) << 4, t->size);
        break;
    case ZF_H5_VSTR: /* sequence type 1 (string), its base a byte */
        dt_head(o, 9, 1, 1u | (uint32_t)(t->utf8 ? 1 : 0) << 8, 16);
        dt_int(o, 1, 0);
        break;
    case ZF_H5_REF:
        dt_head(o, 7, 1, 0, 8);
        break;
    case ZF_H5_VREF:
        dt_head(o, 9, 1, 0, 16);
        zf_h5_datatype(o, &ref);
        break;
    case ZF_H5_REFLIST:
        dt_head(o, 6, 3, 2, 16);
        member(o, "dataset", 0, 16, &ref);
        member(o, "dimension", 8, 16, &i32);
        break;
    }
}

void zf_h5_dataspace(zf_h5out *o, int ndim, const uint64_t *dims)
{
    zf_h5_le(o, 2, 1);                /* version */
    zf_h5_le(o, ndim < 0 ? 0 : (uint64_t)ndim, 1);
    zf_h5_le(o, 0, 1);                /* no maximum dimensions */
    zf_h5_le(o, ndim < 0 ? 0 : 1, 1); /* scalar, simple */
    for (int i = 0; i < ndim; i++)
        zf_h5_le(o, dims[i], 8);
}

/* ---- object headers ----------------------------------------------------- */

size_t zf_h5_ohdr_begin(zf_h5out *o)
{
    size_t start = o->len;
    zf_h5_bytes(o, "OHDR", 4);
    zf_h5_le(o, 2, 1); /* version */
    zf_h5_le(o, 2, 1); /* flags: chunk 0's size in 4 bytes */
    zf_h5_le(o, 0, 4); /* (set by zf_h5_ohdr_end) */
    return start;
}

int zf_h5_msg(zf_h5out *o, int type, int flags, const zf_h5out *body)
{
    if (body->len > ZF_H5_MAX_MSG)
        return -1;
    zf_h5_le(o, (uint64_t)type, 1);
    zf_h5_le(o, body->len, 2);
    zf_h5_le(o, (uint64_t)flags, 1);
    zf_h5_bytes(o, body->p, body->len);
    if (body->oom)
        o->oom = 1;
    return 0;
}

void zf_h5_ohdr_end(zf_h5out *o, size_t start)
{
    if (o->oom)
        return;
    size_t chunk = o->len - start - 10;
    zf_put_le32(o->p + start + 6, (uint32_t)chunk);
    zf_h5_le(o, zf_lookup3(o->p + start, o->len - start, 0), 4);
}

int zf_h5_attr(zf_h5out *o, const char *name, const zf_h5_type *t, int ndim,
               const uint64_t *dims, const void *data, size_t len)
{
    zf_h5out dt = {0}, ds = {0}, body = {0};
    zf_h5_datatype(&dt, t);
    zf_h5_dataspace(&ds, ndim, dims);
    size_t nlen = strlen(name) + 1;
    zf_h5_le(&body, 3, 1); /* version */
    zf_h5_le(&body, 0, 1);
    zf_h5_le(&body, nlen, 2);
    zf_h5_le(&body, dt.len, 2);
    zf_h5_le(&body, ds.len, 2);
    zf_h5_le(&body, 1, 1); /* names in UTF-8 */
    zf_h5_bytes(&body, name, nlen);
    zf_h5_bytes(&body, dt.p, dt.len);
    zf_h5_bytes(&body, ds.p, ds.len);
    zf_h5_bytes(&body, data, len);
    body.oom |= dt.oom | ds.oom;
    int rc = zf_h5_msg(o, 0x0C, 0, &body);
    zf_h5_free(&dt);
    zf_h5_free(&ds);
    zf_h5_free(&body);
    return rc;
}

void zf_h5_superblock(zf_h5out *o, uint64_t root, uint64_t eof)
{
    if (o->oom || o->len < ZF_H5_SUPERBLOCK)
        return;
    zf_h5out sb = {0};
    zf_h5_bytes(&sb, "\211HDF\r\n\032\n", 8);
    zf_h5_le(&sb, 2, 1); /* version */
    zf_h5_le(&sb, 8, 1); /* size of offsets */
    zf_h5_le(&sb, 8, 1); /* size of lengths */
    zf_h5_le(&sb, 0, 1); /* consistency flags */
    zf_h5_le(&sb, 0, 8); /* base address */
    zf_h5_le(&sb, ZF_H5_UNDEF, 8); /* no superblock extension */
    zf_h5_le(&sb, eof, 8);
    zf_h5_le(&sb, root, 8);
    if (sb.oom) {
        o->oom = 1;
    } else {
        zf_h5_le(&sb, zf_lookup3(sb.p, sb.len, 0), 4);
        memcpy(o->p, sb.p, ZF_H5_SUPERBLOCK);
    }
    zf_h5_free(&sb);
}

/* ---- global heap -------------------------------------------------------- */

#define HEAP_MIN 4096 /* HDF5 reads a collection's first 4096 bytes */

void zf_h5heap_init(zf_h5heap *h, uint64_t base)
{
    memset(h, 0, sizeof *h);
    h->open = SIZE_MAX;
    h->base = base;
}

void zf_h5heap_finish(zf_h5heap *h)
{
    if (h->open == SIZE_MAX || h->out.oom)
        return;
    size_t used = h->out.len - h->open;
    if (used < HEAP_MIN) { /* the rest is the free-space object */
        size_t free_bytes = HEAP_MIN - used;
        size_t at = h->out.len;
        zf_h5_zeros(&h->out, free_bytes);
        if (!h->out.oom && free_bytes >= 16)
            zf_put_le64(h->out.p + at + 8, free_bytes);
        used = HEAP_MIN;
    }
    if (!h->out.oom)
        zf_put_le64(h->out.p + h->open + 8, used);
    h->open = SIZE_MAX;
}

void zf_h5heap_add(zf_h5heap *h, const void *data, size_t n, uint8_t id[12])
{
    if (h->open != SIZE_MAX && h->count == 65535)
        zf_h5heap_finish(h);
    if (h->open == SIZE_MAX) {
        h->open = h->out.len;
        h->count = 0;
        zf_h5_bytes(&h->out, "GCOL\1\0\0\0", 8);
        zf_h5_le(&h->out, 0, 8); /* (size: set when closed) */
    }
    h->count++;
    zf_h5_le(&h->out, h->count, 2); /* index */
    zf_h5_le(&h->out, 0, 2);        /* reference count */
    zf_h5_le(&h->out, 0, 4);
    zf_h5_le(&h->out, n, 8);
    zf_h5_bytes(&h->out, data, n);
    zf_h5_zeros(&h->out, (8 - n % 8) % 8);
    zf_put_le64(id, h->base + h->open);
    zf_put_le32(id + 8, h->count);
}
