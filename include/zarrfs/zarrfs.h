/*
 * zarrfs.h - the public API of the zarrfs engine.
 *
 * The engine opens a Zarr store (a folder, or an http(s):// or s3:// URL),
 * lists its groups and arrays, and reads any byte range of an array's flat
 * view: the whole array in C order, native byte order, so byte i * itemsize
 * is element i.  Only the chunks (and, for sharded arrays, only the inner
 * chunks) a read touches are read from the store, with byte-range reads, and
 * they are decoded on the engine's threads.
 *
 * Contract, for every function below:
 *  - Errors are values.  A function that can fail returns a zf_code and, when
 *    `err` is not NULL, fills it with a message naming the array or key and the
 *    reason.  Nothing here exits, aborts or prints.
 *  - A zf_zarr is thread-safe: any number of threads may read arrays of it at
 *    once.  zf_close must not race with any other call on the same zf_zarr;
 *    zf_refresh must not race with itself nor with the functions that look
 *    at the tree (zf_node_count, zf_node_at, zf_array_get).
 *  - Pointers returned by the zf_zarr stay valid until zf_close (array
 *    handles and their info, across zf_refresh too) or until the next
 *    zf_refresh that reports a change (nodes and their strings); the caller
 *    never frees them.
 */
#ifndef ZARRFS_ZARRFS_H
#define ZARRFS_ZARRFS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "zarrfs/version.h" /* ZF_VERSION, generated from CMake's project() */

#ifdef __cplusplus
extern "C" {
#endif

/* The functions of this header are the library's only exported symbols
 * (libzarrfs.so is built with -fvisibility=hidden). */
#if defined(__GNUC__) && __GNUC__ >= 4
#define ZF_API __attribute__((visibility("default")))
#else
#define ZF_API
#endif

#define ZF_MAX_DIMS 32

typedef enum zf_code {
    ZF_OK = 0,
    ZF_ENOMEM,       /* allocation failed */
    ZF_EIO,          /* the store could not be read */
    ZF_ENOTFOUND,    /* no such store, node or key */
    ZF_EMETA,        /* metadata is malformed or inconsistent */
    ZF_EUNSUPPORTED, /* a data type, codec or extension zarrfs does not know */
    ZF_ECORRUPT,     /* chunk or shard bytes are damaged (crc, decode, size) */
    ZF_EINVAL,       /* a bad argument from the caller */
    ZF_ELIMIT,       /* the input exceeds one of zarrfs's limits */
    ZF_ECHANGED      /* a key changed while it was being read (a shard renamed
                        over): reading again reads its new version */
} zf_code;

typedef struct zf_err {
    zf_code code;
    char msg[512];
} zf_err;

/* A short name for a code ("corrupt data", ...); never NULL. */
ZF_API const char *zf_code_name(zf_code code);

/* ---- opening a store ---------------------------------------------------- */

typedef struct zf_zarr zf_zarr;
typedef struct zf_array zf_array;

/* How a remote store (an http://, https:// or s3:// URL) is read.  Set it up
 * with zf_remote_options_init (the defaults) and zf_remote_option_set; free
 * its strings with zf_remote_options_clear. */
typedef enum zf_s3_addressing {
    ZF_S3_DEFAULT, /* virtual-host style for AWS, path style for an endpoint */
    ZF_S3_PATH,    /* ENDPOINT/BUCKET/KEY */
    ZF_S3_VIRTUAL  /* BUCKET.HOST/KEY */
} zf_s3_addressing;

typedef struct zf_remote_options {
    int connections;       /* requests in flight at most (16) */
    int retries;           /* retries of a failed request (5) */
    double timeout;        /* seconds one request may take (30) */
    int insecure;          /* 1: TLS certificates are not verified */
    char *cafile;          /* CA bundle; NULL: $CURL_CA_BUNDLE, else curl's */
    uint64_t coalesce_gap; /* ranges closer than this are read as one (64 KiB) */
    uint64_t coalesce_max; /* ... into requests of at most this (16 MiB) */
    char *arrays;          /* HTTP without consolidated metadata: the nodes to
                              look for, "a:b/c" (',' or ':' separated) */
    char *s3_endpoint;     /* NULL: $AWS_ENDPOINT_URL, else AWS's for region */
    char *s3_region;       /* NULL: $AWS_REGION, $AWS_DEFAULT_REGION, us-east-1 */
    char *s3_profile;      /* NULL: $AWS_PROFILE, else environment credentials */
    zf_s3_addressing s3_addressing;
    int s3_anonymous;      /* 1: never sign, even with credentials around */
} zf_remote_options;

ZF_API void zf_remote_options_init(zf_remote_options *r);
/* Applies one "name=value" (or "name" for the flags insecure and
 * s3_anonymous): connections, retries, timeout (seconds), insecure, cafile,
 * coalesce_gap, coalesce_max (bytes, or K/M/G suffixed), arrays, s3_endpoint,
 * s3_region, s3_profile, s3_addressing (path|virtual), s3_anonymous.
 * ZF_ENOTFOUND (no message) when `opt` names none of them, ZF_EINVAL with a
 * message for a bad value, ZF_ENOMEM. */
ZF_API zf_code zf_remote_option_set(zf_remote_options *r, const char *opt,
                                    zf_err *err);
/* Sets every option of a comma-separated list ("retries=2,insecure"), as
 * the tools' -o takes them; stops at the first bad one (an unknown name is
 * ZF_ENOTFOUND, with the name in err). */
ZF_API zf_code zf_remote_options_parse(zf_remote_options *r, const char *list,
                                       zf_err *err);
ZF_API void zf_remote_options_clear(zf_remote_options *r);
/* Parses a size: bytes, or with a K, M or G suffix (powers of 1024, "16M");
 * ZF_EINVAL (no message: the caller names the option) for anything else,
 * a sign or an overflow. */
ZF_API zf_code zf_parse_size(const char *s, uint64_t *out);

typedef struct zf_options {
    int threads;        /* decode threads; 0 = the number of cores (a
                           remote store's requests have threads of their
                           own, one per connection) */
    size_t cache_bytes; /* decoded-chunk cache budget; 0 = 256 MiB */
    int no_prefetch;    /* 1: never decode ahead of sequential reads */
    const zf_remote_options *remote; /* NULL = the defaults */
    int attributes;     /* 1: zf_open and zf_refresh also read each node's
                           .zattrs in a v2 store without consolidated
                           metadata (one more read per node), so that
                           zf_nc_build reads nothing and a refresh sees
                           edited attributes; 0: zf_nc_build reads them
                           (v3 and consolidated stores have them in the
                           documents read anyway) */
} zf_options;

/* Opens the store at `path` (a folder, or an http://, https:// or s3:// URL)
 * and reads the metadata of every node.  `opts` may be NULL for the
 * defaults.  Arrays whose metadata cannot be used do not make this fail:
 * they are listed with their error (zf_node.error). */
ZF_API zf_code zf_open(const char *path, const zf_options *opts, zf_zarr **out,
                       zf_err *err);
ZF_API void zf_close(zf_zarr *z);

/* ---- the tree ----------------------------------------------------------- */

typedef enum zf_node_kind { ZF_NODE_GROUP, ZF_NODE_ARRAY } zf_node_kind;

typedef struct zf_node {
    const char *path;  /* relative to the store root, "/"-separated; "" = root */
    zf_node_kind kind;
    int zarr_format;   /* 2 or 3 */
    const char *error; /* NULL, or why this array cannot be read */
    time_t mtime;      /* modification time of the node's metadata */
} zf_node;

/* Nodes in a stable order: parents before children, siblings by name. */
ZF_API size_t zf_node_count(const zf_zarr *z);
ZF_API const zf_node *zf_node_at(const zf_zarr *z, size_t i);

/* What the last zf_open or zf_refresh left out of the node list that is no
 * node's error: keys of consolidated metadata that name no valid node (a
 * leading "/", an empty, "." or ".." component, a v2 key not ending in
 * "/.zarray" or "/.zgroup").  One message each, naming the document and the
 * key; a caller that logs logs them.  The strings live as long as the nodes
 * (the next zf_refresh that reports a change). */
ZF_API size_t zf_warning_count(const zf_zarr *z);
ZF_API const char *zf_warning_at(const zf_zarr *z, size_t i);

/* Reads the metadata of the whole store again, the way zf_open did
 * (consolidated metadata, else a walk), after making a remote store forget
 * the sizes and missing keys it remembers.  *changed (may be NULL) is set
 * to 1 when the node list differs from before: a node added or removed, or
 * a node whose kind, format, error or array metadata text changed (an mtime
 * alone is no change); then the node list and zf_array_get show the new
 * state.  An array whose metadata is byte-identical keeps its handle (and
 * its cached chunks); a changed or new array gets a new handle.  Handles
 * from before stay valid, reading what they read before, until zf_close (a
 * replaced array's handle, a few KiB, is kept until then); node pointers
 * from before do not survive a change.
 * Thread safety: other threads may read arrays meanwhile (any handle); the
 * caller serializes it with zf_node_count, zf_node_at, zf_array_get and
 * other zf_refresh calls.
 * Errors leave the tree as it was: ZF_ENOMEM; ZF_ENOTFOUND when the root
 * has no metadata any more; ZF_EIO when the root or the consolidated
 * metadata the tree came from cannot be read; ZF_EIO, ZF_EMETA, ... (the
 * node's code) when a node that read fine before fails now, or the
 * consolidated metadata the tree came from cannot be used (a store briefly
 * unreachable, a document caught half written: the next call tries again;
 * after 3 such calls in a row this is taken as the store's new state). */
ZF_API zf_code zf_refresh(zf_zarr *z, int *changed, zf_err *err);

/* ---- arrays ------------------------------------------------------------- */

typedef struct zf_array_info {
    const char *path;          /* as in zf_node */
    int ndim;                  /* 0 for a scalar array (one element) */
    const uint64_t *shape;     /* ndim entries */
    const uint64_t *chunks;    /* ndim entries: the chunk (or shard) shape */
    const uint64_t *inner;     /* ndim entries for sharded arrays, else NULL */
    const char *dtype;         /* Zarr v3 name: "uint16", "float32", ... */
    size_t itemsize;           /* bytes per element in the flat view */
    uint64_t nbytes;           /* size of the flat view */
    const char *codecs;        /* one-line description of the codec chain */
    const char *metadata_json; /* the array's metadata document: its
                                  zarr.json or .zarray text as stored; for
                                  an array listed in consolidated metadata,
                                  its entry there, re-serialised
                                  (pretty-printed JSON: the same members
                                  and values, not the stored bytes) */
    const void *fill_value;    /* itemsize bytes, native order */
    time_t mtime;
} zf_array_info;

/* Looks up the array at `path`; the handle is owned by `z` (never freed by
 * the caller) and is valid until zf_close. */
ZF_API zf_code zf_array_get(zf_zarr *z, const char *path, zf_array **out,
                            zf_err *err);
ZF_API const zf_array_info *zf_array_get_info(const zf_array *a);

/* Fills buf with bytes [offset, offset + length) of the flat view, clamped to
 * the array's size; *nread (may be NULL) receives the number of bytes written.
 * Offsets and lengths need not be multiples of the item size.  On error the
 * content of buf is unspecified and must not be used. */
ZF_API zf_code zf_array_read(zf_array *a, uint64_t offset, size_t length,
                             void *buf, size_t *nread, zf_err *err);

/* The asynchronous form: `done` is called exactly once when the read has
 * finished (or failed), usually on an engine thread.  It may also run on
 * the calling thread before zf_array_read_async returns: with ZF_ENOMEM
 * when the read cannot be queued, and for the whole read when the engine
 * could start no thread.  So the caller sets up everything `done` uses
 * before the call, touches none of it after, and holds no lock that `done`
 * takes.  `buf` must stay valid until `done`.  `err` passed to `done` is only
 * valid during the call. */
typedef void (*zf_read_done)(void *arg, zf_code code, size_t nread,
                             const zf_err *err);
ZF_API void zf_array_read_async(zf_array *a, uint64_t offset, size_t length,
                                void *buf, zf_read_done done, void *arg);

/* The bytes [*lo, *hi) of the flat view around byte `offset` that one chunk
 * (the inner chunk, for a sharded array without transposes before its
 * sharding) holds as one run: what decoding the chunk that byte is in
 * yields in flat order.  The whole view when a chunk spans whole rows of
 * every dimension; [offset, offset + 1) when offset is past the end. */
ZF_API void zf_array_chunk_span(const zf_array *a, uint64_t offset, uint64_t *lo,
                         uint64_t *hi);

/* Where the prefetch of a sequential stream (one that has read two chunks'
 * runs through) that has reached `offset` has decoded, or is decoding, up
 * to; 0 when no such stream has. */
ZF_API uint64_t zf_array_stream_ahead(zf_array *a, uint64_t offset);

/* Reads [offset, offset + length) of the flat view, whole elements only,
 * only when every chunk it needs is decoded in the cache (or missing: the
 * fill value): it never fetches or decodes chunk data, and it never starts
 * a prefetch.  ZF_ENOTFOUND (no message) when some chunk is not ready in
 * the cache; ZF_EINVAL when offset or length is not a multiple of the item
 * size or the range passes the end.  On success calls use(arg) while it
 * still holds those chunks in the cache, so that whoever finds one of them
 * changed in the meantime counts it in zf_changes. */
ZF_API zf_code zf_array_read_cached(zf_array *a, uint64_t offset, size_t length,
                             void *buf, void (*use)(void *arg), void *arg,
                             zf_err *err);

/* Called (on a pool thread) when a prefetch of [offset, end) of array a's
 * flat view has decoded what it could into the cache; set once, before
 * reading.  The mount pushes those bytes into the page cache. */
typedef void (*zf_prefetched_fn)(void *arg, zf_array *a, uint64_t offset,
                                 uint64_t end);
ZF_API void zf_set_prefetch_hook(zf_zarr *z, zf_prefetched_fn fn, void *arg);

/* ---- selections: subarrays, in C or Fortran order ------------------------ */

/* A NumPy basic-indexing selection of an array (a[EXPR]): per dimension of
 * the array, the elements start, start + step, ..., count of them; a
 * dimension indexed by an integer has count 1 and is dropped from the
 * result's shape.  The result's elements are laid out in C order, or, with
 * `fortran`, in Fortran (column-major) order: a[EXPR].ravel(order='F').
 * A plain value: fill it with zf_selection_parse, or by hand (start and
 * start + step * (count - 1) within the shape; step non-zero; count 1 when
 * dropped). */
typedef struct zf_selection {
    int ndim;                    /* the array's dimensions */
    uint64_t start[ZF_MAX_DIMS]; /* the first element selected */
    int64_t step[ZF_MAX_DIMS];   /* non-zero; negative walks backwards */
    uint64_t count[ZF_MAX_DIMS]; /* elements selected (0: an empty result) */
    unsigned char dropped[ZF_MAX_DIMS]; /* 1: an integer index */
    int fortran;                 /* 1: the result in Fortran order */
} zf_selection;

/* Parses EXPR, the text between the brackets of a[EXPR], as NumPy does for
 * an array of `shape`: comma-separated items, each an integer (negative
 * counts from the end; out of range is an error) or start:stop:step (any
 * part left out, negative steps too, bounds clamped as Python's slices),
 * at most one "...", fewer items than dimensions leaving the rest whole.
 * NULL or "..." selects everything.  Sets out->fortran to 0.  ZF_EINVAL
 * with the reason ("'x' is not an index", "index 7 is out of bounds for
 * axis 0 with size 5") for anything else. */
ZF_API zf_code zf_selection_parse(const char *expr, int ndim, const uint64_t *shape,
                           zf_selection *out, zf_err *err);

/* Writes the normalised expression of s (one item per dimension, bounds
 * resolved: "3,0:24,10:0:-2"; "..." for a 0-d array; the order is not
 * part of it) into buf; returns the length it needed, like snprintf. */
ZF_API int zf_selection_format(const zf_selection *s, char *buf, size_t size);

/* The shape of the result (the dimensions not dropped) into shape (room
 * for ZF_MAX_DIMS); returns its number of dimensions. */
ZF_API int zf_selection_shape(const zf_selection *s, uint64_t *shape);

/* Splits a file name of the form NAME[EXPR], NAME@F or NAME[EXPR]@F: sets
 * *name_len to NAME's length, *expr and *expr_len to EXPR (NULL, 0 when
 * there are no brackets) and *fortran; returns 0, or -1 when `name` has
 * neither form (or NAME is empty while `allow_empty` is 0). */
ZF_API int zf_selection_split_name(const char *name, int allow_empty,
                            size_t *name_len, const char **expr,
                            size_t *expr_len, int *fortran);

/* The size of the result's flat view: the elements selected x itemsize. */
ZF_API uint64_t zf_selection_nbytes(const zf_array *a, const zf_selection *s);

/* Like zf_array_read, for the flat view of a selection of the array: bytes
 * [offset, offset + length) of a[EXPR] in C (or Fortran) order, clamped to
 * zf_selection_nbytes.  Only the chunks (inner chunks when sharded) holding
 * selected elements are read and decoded.  ZF_EINVAL for a selection that
 * does not fit the array. */
ZF_API zf_code zf_array_read_selection(zf_array *a, const zf_selection *s,
                                uint64_t offset, size_t length, void *buf,
                                size_t *nread, zf_err *err);

/* The asynchronous form, like zf_array_read_async; `s` must stay valid
 * until `done` is called. */
ZF_API void zf_array_read_selection_async(zf_array *a, const zf_selection *s,
                                   uint64_t offset, size_t length, void *buf,
                                   zf_read_done done, void *arg);

/* ---- header views -------------------------------------------------------- */

/* File formats whose header lets a tool open an array's flat view without
 * being told its shape and type: the header sits beside the flat file NAME
 * (or, for npy, in front of its bytes in NAME.npy). */
typedef enum zf_view_format {
    ZF_VIEW_NPY,  /* NAME.npy: NumPy format header, then the flat bytes */
    ZF_VIEW_ENVI, /* NAME.hdr: ENVI header for NAME (1 to 3 dimensions) */
    ZF_VIEW_NRRD, /* NAME.nhdr: NRRD detached header naming NAME */
    ZF_VIEW_MHD,  /* NAME.mhd: MetaImage header naming NAME */
    ZF_VIEW_TIFF, /* NAME.tif: TIFF IFDs, then the flat bytes as the pages'
                     strips (2 or more dimensions, no float16 or complex) */
    ZF_VIEW_COUNT
} zf_view_format;

/* The format's short name ("npy", "envi", "nrrd", "mhd", "tiff") and the
 * suffix its file adds to NAME (".npy", ".hdr", ".nhdr", ".mhd", ".tif");
 * NULL when `fmt` is out of range. */
ZF_API const char *zf_view_name(zf_view_format fmt);
ZF_API const char *zf_view_suffix(zf_view_format fmt);
/* 1 when the view's file is its header followed by the flat bytes (npy,
 * tiff), 0 when the header is all of it (the flat file stays beside it). */
ZF_API int zf_view_holds_data(zf_view_format fmt);

/* The name of an array's flat file, as the mount shows it and as data_file
 * below takes it: the last component of the array's `path`, or for the
 * root array (path "") the last component of `store` less ".zarr"; "" when
 * there is none (the mount then says "array").  Truncated to `size`. */
ZF_API void zf_data_file_name(const char *store, const char *path, char *out,
                              size_t size);

/* Builds the header of format `fmt` for array `a`, whose flat file is named
 * `data_file` (a file name without folders; NRRD and MetaImage headers name
 * it, the others ignore it).  On success *text is a NUL-terminated header
 * the caller frees with free(), and *len its length (the NUL not counted;
 * a TIFF header is binary and holds NULs): for npy and tiff the flat bytes
 * follow it at offset *len, for the others they are all of data_file.  The
 * header depends only on the array's metadata, and for tiff also on the
 * attributes of the array and of its parent group (axis names, OME-Zarr
 * multiscales), which it reads from the store: then it must not race with
 * zf_refresh, and a store error is returned with its code (ZF_EIO, ...).
 * ZF_EUNSUPPORTED, with the reason, when the format cannot express the
 * array (a type it lacks, too many dimensions, a size too large, a
 * data_file it cannot name); ZF_ENOMEM; ZF_EINVAL for bad arguments. */
ZF_API zf_code zf_view_header(const zf_array *a, zf_view_format fmt,
                              const char *data_file, char **text, size_t *len,
                              zf_err *err);

/* zf_view_header for the flat view of a selection of `a` (its shape, and
 * its order: npy says fortran_order True; the formats that describe a
 * raster fastest axis first get the reversed shape, which is how a Fortran
 * layout reads). */
ZF_API zf_code zf_view_header_selection(const zf_array *a, const zf_selection *s,
                                 zf_view_format fmt, const char *data_file,
                                 char **text, size_t *len, zf_err *err);

/* ---- netCDF-4/HDF5 group files ------------------------------------------ */

/* One HDF5 file (netCDF-4 conventions) per group: a header (all HDF5
 * metadata: superblock, object headers, heaps, attributes, dimension
 * scales), then each array's flat view (C order, native byte order), stored
 * as a contiguous dataset at a 4096-aligned offset.  Every byte that is in
 * neither the header nor a part is 0.  Built from the metadata and
 * attributes zf_open or zf_refresh loaded: building reads nothing from the
 * store.  Building must not race with zf_refresh; a built file is
 * immutable (any thread may use it) and keeps no pointer into the node
 * list (its parts' array_path strings live until zf_close). */
typedef struct zf_nc_file zf_nc_file;

typedef struct zf_nc_part {
    const char *array_path; /* the array's path in the store, as zf_array_get takes it */
    uint64_t offset;        /* where its flat view starts in the file (multiple of 4096) */
    uint64_t nbytes;        /* its flat view's size (zf_array_info.nbytes) */
} zf_nc_part;

/* Builds the file of the group at `group_path` ("" for the root), with
 * every array and subgroup below it, recursively.  Arrays that HDF5 cannot
 * hold are left out and named in zf_nc_notes().  Errors: ZF_ENOTFOUND (no
 * such group), ZF_EMETA (the group's own metadata is broken), ZF_ELIMIT
 * (the file would be larger than INT64_MAX bytes, or a dimension too long
 * for its scale's size to fit 64 bits), ZF_ENOMEM, with a message naming
 * the group and the array or dimension. */
ZF_API zf_code zf_nc_build(zf_zarr *z, const char *group_path, zf_nc_file **out, zf_err *err);
ZF_API void zf_nc_free(zf_nc_file *f);
ZF_API uint64_t zf_nc_size(const zf_nc_file *f);                 /* the whole file */
ZF_API const uint8_t *zf_nc_header(const zf_nc_file *f, size_t *len); /* bytes [0, len) */
ZF_API size_t zf_nc_part_count(const zf_nc_file *f);             /* parts sorted by offset, */
ZF_API const zf_nc_part *zf_nc_part_at(const zf_nc_file *f, size_t i); /* not overlapping */
/* The first part that ends after byte `pos` of the file (the one holding
 * it, or the next), or zf_nc_part_count when none does. */
ZF_API size_t zf_nc_part_find(const zf_nc_file *f, uint64_t pos);
/* Lines (one per array or dimension) saying what netCDF tools will see
 * differently from HDF5 tools, or what was left out and why; NULL-terminated. */
ZF_API const char *const *zf_nc_notes(const zf_nc_file *f);
/* Fills buf with bytes [offset, offset + length) of the file (clamped to its
 * size; *got is what was filled): header, zero padding, and the parts read
 * through zf_array_get/zf_array_read.  For tools; the mount reads the parts
 * itself, asynchronously. */
ZF_API zf_code zf_nc_read(zf_nc_file *f, zf_zarr *z, uint64_t offset, size_t length,
                          void *buf, size_t *got, zf_err *err);

/* What zf_nc_build(z, group_path) reads, in brief: the number of nodes at
 * and below the group and the newest zf_refresh that changed one of them
 * (its metadata, attributes or error; added nodes count as changed).  Two
 * stamps of one group of one zf_zarr, taken before and after zf_refresh,
 * are equal only when a build would make the same file (so a caller may
 * keep the file it built).  Must not race with zf_refresh. */
typedef struct zf_nc_stamp {
    uint64_t nodes;
    uint64_t newest;
} zf_nc_stamp;
ZF_API void zf_nc_stamp_of(const zf_zarr *z, const char *group_path,
                           zf_nc_stamp *out);

/* ---- counters ------------------------------------------------------------ */

typedef struct zf_stats {
    uint64_t store_reads;      /* byte-range reads issued to the store */
    uint64_t store_bytes_read; /* bytes those reads returned */
    uint64_t index_reads;      /* shard indexes read */
    uint64_t chunks_decoded;   /* chunks (inner chunks when sharded) decoded */
    uint64_t bytes_served;     /* flat-view bytes returned by reads */
    uint64_t cache_hits;       /* decoded chunks served from the cache */
    uint64_t cache_misses;     /* chunks looked up and not found there */
    uint64_t prefetch_hits;    /* prefetched chunks a read then used */
    uint64_t prefetch_wasted_bytes; /* prefetched bytes evicted unused */
    uint64_t in_place_decodes; /* chunks decoded straight into the reply */
    uint64_t cached_reads;     /* zf_array_read_cached calls that read */
    uint64_t cached_bytes;     /* bytes those calls read (the mount pushes
                                  them into the page cache) */
    uint64_t partial_reads;    /* raw chunks (bytes codec alone) of which a
                                  read fetched only the ranges it needed;
                                  not counted in chunks_decoded */
} zf_stats;

/* How many times a stored chunk or shard index was found changed (another
 * version than the one cached) since zf_open.  A caller that wrote bytes
 * somewhere (a page cache) while this count moved may have written a
 * version older than what others have seen since. */
ZF_API uint64_t zf_changes(const zf_zarr *z);

/* A snapshot of the counters since zf_open, summed over all arrays. */
ZF_API void zf_get_stats(const zf_zarr *z, zf_stats *out);

/* Writes the counters as one JSON object (no newline) into buf; returns the
 * length it needed, like snprintf. */
ZF_API int zf_stats_json(const zf_stats *s, char *buf, size_t size);

/* ---- writing (zarrfs-pack) ---------------------------------------------- */

typedef enum zf_pack_codec { ZF_PACK_NONE, ZF_PACK_ZSTD, ZF_PACK_GZIP } zf_pack_codec;

typedef struct zf_pack_options {
    int ndim;                      /* 0..ZF_MAX_DIMS */
    uint64_t shape[ZF_MAX_DIMS];
    uint64_t chunks[ZF_MAX_DIMS];  /* chunk shape; the inner chunks if sharded */
    uint64_t shards[ZF_MAX_DIMS];  /* shard shape, used when sharded != 0 */
    int sharded;
    const char *dtype;             /* a Zarr v3 core data type name */
    zf_pack_codec codec;
    int level;                     /* compression level; -1 = the codec's default */
    int crc32c;                    /* add crc32c after the compressor (and to the index) */
    int index_at_start;            /* shard index location: start (1) or end (0) */
    int big_endian;                /* the bytes codec's endian */
    int threads;                   /* encoding threads; 0 = the number of cores */
    /* Called from the calling thread as work completes; may be NULL. */
    void (*progress)(void *arg, uint64_t done_bytes, uint64_t total_bytes);
    void *progress_arg;
} zf_pack_options;

/* Reads the flat C-order little-endian content of the array from in_fd (a
 * file or a pipe; exactly shape x itemsize bytes) and writes a new Zarr v3
 * array to the folder out_dir (created; it must not exist or be empty).
 * Memory use is bounded by one slab of shards, not by the array's size. */
ZF_API zf_code zf_pack(const zf_pack_options *opts, int in_fd,
                       const char *out_dir, zf_err *err);

#ifdef __cplusplus
}
#endif
#endif
