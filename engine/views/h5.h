/*
 * h5.h - encoding the pieces of an HDF5 file (File Format Specification
 * version 3.0): superblock version 2, version-2 object headers ("OHDR")
 * with their messages, datatypes, dataspaces, attributes and global heap
 * collections ("GCOL"), every offset and length 8 bytes, every field little
 * endian.  The netCDF-4 view (nc.c) decides what goes where; this file only
 * writes bytes.
 *
 * Contract: an h5out is a growable byte buffer owned by one thread; a failed
 * allocation sets `oom` and later writes do nothing, so a builder checks it
 * once at the end.  Nothing here reads a store or keeps state between calls.
 */
#ifndef ZF_VIEWS_H5_H
#define ZF_VIEWS_H5_H

#include <stddef.h>
#include <stdint.h>

#define ZF_H5_UNDEF UINT64_MAX /* the undefined address */
#define ZF_H5_SUPERBLOCK 48    /* bytes of a version-2 superblock */
#define ZF_H5_MAX_MSG 65535    /* an object header message's largest body */

typedef struct zf_h5out {
    uint8_t *p;
    size_t len, cap;
    int oom;
} zf_h5out;

void zf_h5_bytes(zf_h5out *o, const void *src, size_t n);
void zf_h5_zeros(zf_h5out *o, size_t n);
void zf_h5_le(zf_h5out *o, uint64_t v, int n); /* n bytes, LSB first */
void zf_h5_free(zf_h5out *o);


/* The datatypes the netCDF-4 view writes.  Numbers and the bool enum are in
 * the machine's byte order (the flat view's). */
typedef enum zf_h5_kind {
    ZF_H5_INT,     /* signed integer of `size` bytes */
    ZF_H5_UINT,
    ZF_H5_FLOAT,   /* IEEE binary16, 32 or 64 */
    ZF_H5_BOOL,    /* h5py's enum {FALSE = 0, TRUE = 1} of int8 */
    ZF_H5_COMPLEX, /* h5py's compound {r, i} of two floats of size / 2 */
    ZF_H5_STR,     /* fixed-length string of `size` bytes, NUL-terminated */
    ZF_H5_VSTR,    /* variable-length string (data: length + heap id) */
    ZF_H5_REF,     /* object reference (an object header's address) */
    ZF_H5_VREF,    /* variable-length sequence of object references */
    ZF_H5_REFLIST  /* the DS REFERENCE_LIST compound {dataset, dimension} */
} zf_h5_kind;

typedef struct zf_h5_type {
    zf_h5_kind kind;
    uint32_t size; /* bytes per element (set by zf_h5_type_of for the fixed ones) */
    int utf8;      /* strings: 1 = UTF-8, 0 = ASCII */
} zf_h5_type;

/* A type with its size filled in (size is kept for INT, UINT, FLOAT,
 * COMPLEX and STR). */
zf_h5_type zf_h5_type_of(zf_h5_kind kind, uint32_t size, int utf8);

/* A datatype message body. */
void zf_h5_datatype(zf_h5out *o, const zf_h5_type *t);
/* A dataspace message body: ndim < 0 is a scalar. */
void zf_h5_dataspace(zf_h5out *o, int ndim, const uint64_t *dims);

/* Object headers.  zf_h5_ohdr_begin returns where the header starts;
 * messages follow; zf_h5_ohdr_end sets the size of chunk 0 and appends the
 * checksum.  zf_h5_msg returns -1 (and writes nothing) when the body is
 * larger than a message can be. */
size_t zf_h5_ohdr_begin(zf_h5out *o);
int zf_h5_msg(zf_h5out *o, int type, int flags, const zf_h5out *body);
void zf_h5_ohdr_end(zf_h5out *o, size_t start);

/* An attribute message (-1 when too large): `data` holds the elements of
 * the dataspace (ndim < 0: one, a scalar) in the type's file layout. */
int zf_h5_attr(zf_h5out *o, const char *name, const zf_h5_type *t, int ndim,
               const uint64_t *dims, const void *data, size_t len);

/* Writes a version-2 superblock over the first ZF_H5_SUPERBLOCK bytes. */
void zf_h5_superblock(zf_h5out *o, uint64_t root, uint64_t eof);

/* Global heap collections, built in a buffer of their own whose offsets
 * become addresses once its place in the file (`base`) is known.  An object
 * goes into the open collection, or a new one when that holds 65535. */
typedef struct zf_h5heap {
    zf_h5out out;
    size_t open;    /* offset of the open collection, or SIZE_MAX */
    unsigned count; /* objects in it */
    uint64_t base;  /* the heap buffer's address in the file */
} zf_h5heap;

void zf_h5heap_init(zf_h5heap *h, uint64_t base);
/* Adds an object; writes its heap id (collection address, index: 12 bytes)
 * to `id`. */
void zf_h5heap_add(zf_h5heap *h, const void *data, size_t n, uint8_t id[12]);
/* Closes the open collection (padded to HDF5's 4096-byte minimum). */
void zf_h5heap_finish(zf_h5heap *h);

#endif
