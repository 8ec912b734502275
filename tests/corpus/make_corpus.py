#!/usr/bin/python3
"""make_corpus.py OUT - writes the test corpus zarrfs's tests read, in the
layout of the shared conformance corpus: OUT/INDEX.tsv (one row an array:
name, path, fmt, dtype, shape, chunk/shard, codecs, fill, writer,
expected_raw) and OUT/expected/NAME.raw, each array's whole content in C
order, little endian (bool one byte, complex real then imaginary), taken from
the numpy array that was written, never from zarrfs.

  v2/          Zarr v2 arrays written by zarr-python 2 (Debian's)
  v3/          Zarr v3 arrays written by zarr3.py from the spec
  v3_sharded/  the same with sharding_indexed (nested too)
  groups/      a consolidated v2 group (zarr-python 2), v3 groups with and
               without consolidated metadata; their arrays have rows of
               their own

Every dtype, both byte orders, every codec zarrfs reads, every fill_value
form, edge chunks, missing chunks, inner chunks and shards, 0-d arrays, v2
order F and both separators.  Deterministic; takes a few seconds.  OUT is
rebuilt only when this generator or its libraries changed (OUT/STAMP), and
replaced whole, so a reader never sees half a corpus."""
import hashlib
import itertools
import json
import os
import shutil
import sys

import numcodecs
import numpy as np
import zarr
import zstandard

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zarr3 as z3  # noqa: E402

V2_WRITER = "zarr-python %s / numcodecs %s" % (zarr.__version__, numcodecs.__version__)
V3_WRITER = "tests/corpus/zarr3.py (numpy %s, zstandard %s)" % (
    np.__version__, zstandard.__version__)
V2_CODES = {"bool": "b1", "int8": "i1", "int16": "i2", "int32": "i4",
            "int64": "i8", "uint8": "u1", "uint16": "u2", "uint32": "u4",
            "uint64": "u8", "float16": "f2", "float32": "f4", "float64": "f8",
            "complex64": "c8", "complex128": "c16"}


# ---- data ------------------------------------------------------------------------

def make_data(dtype, shape, seed):
    """Random values over the whole range of the type; floats with -0.0,
    infinities and a NaN among them."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return rng.random(shape) < 0.4
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return rng.integers(info.min, info.max, size=shape, dtype=dt,
                            endpoint=True)
    if dt.kind == "c":
        half = "f%d" % (dt.itemsize // 2)
        a = np.empty(shape, dt)
        a.real, a.imag = make_data(half, shape, seed), make_data(half, shape, seed + 1)
        return a
    a = (rng.standard_normal(shape) * 1000).astype(dt)
    flat = a.reshape(-1)
    for i, v in zip((3, 7, 11, 13), (-0.0, np.inf, -np.inf, np.nan)):
        if flat.size > 20:
            flat[i] = v
    return a


def knock_out(data, grid_shape, fill, seed, p=0.35):
    """Sets whole blocks of grid_shape (chunks, inner chunks) to the fill
    value, so that they are not written: some at random, at least one, and
    never all."""
    rng = np.random.default_rng(seed + 1000)
    grid = [-(-s // c) for s, c in zip(data.shape, grid_shape)]
    blocks = list(itertools.product(*[range(g) for g in grid]))
    out = rng.random(len(blocks)) < p
    out[-1] |= not out.any()
    out[0] &= len(blocks) == 1 or not out.all()
    view = data.view(np.uint8).reshape(data.shape + (data.dtype.itemsize,))
    for pos in itertools.compress(blocks, out):
        view[tuple(slice(q * c, (q + 1) * c) for q, c in zip(pos, grid_shape))] = \
            fill.view(np.uint8)


def blank(data, region, fill):
    """Sets one region (a tuple of slices) to the fill value."""
    view = data.view(np.uint8).reshape(data.shape + (data.dtype.itemsize,))
    view[region] = fill.view(np.uint8)


class Corpus:
    def __init__(self, out):
        self.out, self.rows = out, []
        os.makedirs(os.path.join(out, "expected"))

    def row(self, name, path, fmt, dtype, shape, chunks, codecs, fill, writer,
            data):
        exp = "-"
        if data is not None:
            exp = "expected/%s.raw" % name
            le = data.dtype.newbyteorder("<") if data.dtype.itemsize > 1 else data.dtype
            with open(os.path.join(self.out, exp), "wb") as f:
                f.write(np.ascontiguousarray(data).astype(le).tobytes())
        self.rows.append([name, path, str(fmt), dtype, json.dumps(list(shape)),
                          chunks, codecs, fill, writer, exp])

    def write_index(self):
        cols = ["name", "path", "fmt", "dtype", "shape", "chunk/shard", "codecs",
                "fill", "writer", "expected_raw"]
        with open(os.path.join(self.out, "INDEX.tsv"), "w") as f:
            for r in [cols] + self.rows:
                f.write("\t".join(r) + "\n")


# ---- Zarr v2, by zarr-python 2 ------------------------------------------------

class CRC32C(numcodecs.abc.Codec):
    """numcodecs' crc32c (newer than the numcodecs Debian ships): the data
    and its little-endian CRC-32C, at the end or the start."""
    codec_id = "crc32c"

    def __init__(self, location="end"):
        self.location = location

    def encode(self, buf):
        b = bytes(numcodecs.compat.ensure_contiguous_ndarray(buf).view("u1"))
        c = z3._crc_le(b)
        return c + b if self.location == "start" else b + c

    def decode(self, buf, out=None):
        b = bytes(numcodecs.compat.ensure_contiguous_ndarray(buf).view("u1"))
        b = b[4:] if self.location == "start" else b[:-4]
        return numcodecs.compat.ndarray_copy(np.frombuffer(b, "u1"), out)


numcodecs.register_codec(CRC32C)


def describe_v2(z):
    parts = [z.compressor.codec_id if z.compressor else "none"]
    parts += [f.codec_id for f in (z.filters or [])]
    return "%s+order=%s sep=%s" % ("+".join(parts), z.order,
                                   z._dimension_separator or ".")


def zarray_fill(z):
    """The fill_value as the .zarray has it."""
    return json.dumps(json.loads(z.store[z._key_prefix + ".zarray"])["fill_value"])


def v2(c, name, dtype, shape, chunks, compressor=None, filters=None, fill=0,
       order="C", sep=".", sparse=False, never=False, data=None, path=None,
       group=None):
    """One v2 array; dtype is a numpy type string such as '>i2'."""
    seed = len(c.rows) + 1
    if data is None:
        data = make_data(np.dtype(dtype).newbyteorder("="), shape, seed)
    data = data.astype(np.dtype(dtype).newbyteorder("="))
    fillv = np.array([fill], data.dtype)
    if sparse:
        knock_out(data, chunks, fillv, seed)
    if never:
        data = z3.filled(tuple(shape), fillv)
    path = path or "v2/%s.zarr" % name
    kw = dict(shape=shape, chunks=chunks, dtype=dtype, compressor=compressor,
              filters=filters, fill_value=fill, order=order,
              dimension_separator=sep, write_empty_chunks=False)
    if group is not None:
        z = group.create_dataset(name, **kw)
    else:
        z = zarr.open_array(os.path.join(c.out, path), mode="w", **kw)
    if not never:
        z[...] = data
    if sparse or never:
        grid = int(np.prod([-(-s // k) for s, k in zip(shape, chunks)]))
        assert z.nchunks_initialized < grid, "%s: no chunk left out" % name
    back = z[...]
    assert back.tobytes() == data.astype(back.dtype).tobytes(), name
    c.row(name, path, 2, np.dtype(dtype).str, shape, json.dumps(list(chunks)),
          describe_v2(z), zarray_fill(z), V2_WRITER, data)


def v2_refused(c, name, dtype, values):
    """A string array: no flat view, zarrfs must refuse it."""
    path = "v2/%s.zarr" % name
    z = zarr.open_array(os.path.join(c.out, path), mode="w", shape=len(values),
                        chunks=2, dtype=dtype, compressor=numcodecs.Zstd(1))
    z[...] = np.array(values, dtype)
    c.row(name, path, 2, np.dtype(dtype).str, [len(values)], "[2]",
          describe_v2(z), zarray_fill(z), V2_WRITER, None)


def write_v2(c):
    Zstd, GZip, Zlib, LZ4, Blosc = (numcodecs.Zstd, numcodecs.GZip,
                                    numcodecs.Zlib, numcodecs.LZ4, numcodecs.Blosc)
    v2(c, "v2_b1_gzip", "|b1", [15, 9], [4, 4], GZip(5), fill=False)
    v2(c, "v2_b1_fillTrue_zstd_sparse", "|b1", [20, 7], [6, 3], Zstd(1), fill=True,
       sparse=True)
    v2(c, "v2_i1_zlib_sparse", "|i1", [50, 3], [7, 2], Zlib(6), fill=-128, sparse=True)
    v2(c, "v2_i2_delta_zstd", "<i2", [300], [64], Zstd(3),
       filters=[numcodecs.Delta("<i2")])
    v2(c, "v2_i2be_bloscl4shuf_C_slash", ">i2", [40, 30], [16, 8],
       Blosc("lz4", 5, Blosc.SHUFFLE), sep="/")
    v2(c, "v2_i4_zstd_fill_sparse", "<i4", [64, 64], [16, 16], Zstd(3), fill=-7,
       sparse=True)
    v2(c, "v2_i4be_lz4", ">i4", [33, 10], [10, 10], LZ4())
    v2(c, "v2_i8_zlib", "<i8", [20, 21], [7, 7], Zlib(1))
    v2(c, "v2_i8be_none_F", ">i8", [9, 13], [4, 5], None, order="F",
       fill=-(2 ** 63), sparse=True)
    v2(c, "v2_u1_zstd_C_dot", "|u1", [37, 53], [16, 16], Zstd(3))
    v2(c, "v2_u1_4d_none_slash", "|u1", [3, 4, 5, 6], [2, 3, 2, 4], None, sep="/")
    v2(c, "v2_u1_bigchunk", "|u1", [5, 7], [10, 10], Zstd(3))
    v2(c, "v2_u1_never_written", "|u1", [10, 12], [4, 4], Zstd(3), fill=42,
       never=True)
    v2(c, "v2_u2_1d_blosclz_noshuf", "<u2", [1000], [128],
       Blosc("blosclz", 5, Blosc.NOSHUFFLE))
    v2(c, "v2_u2be_shuffle_zlib", ">u2", [30, 30], [16, 16], Zlib(4),
       filters=[numcodecs.Shuffle(2)])
    v2(c, "v2_u4_bloscZlib_F_slash", "<u4", [17, 23], [8, 8],
       Blosc("zlib", 4, Blosc.SHUFFLE), order="F", sep="/")
    v2(c, "v2_u4_crc32c_zstd", "<u4", [40], [16], Zstd(2), filters=[CRC32C()])
    v2(c, "v2_u4be_crc32c_start", ">u4", [40], [16], CRC32C("start"))
    v2(c, "v2_u8_fillmax_sparse", "<u8", [25, 4], [5, 4], Zstd(1),
       fill=2 ** 64 - 1, sparse=True)
    v2(c, "v2_u8be_bloscLz4hc", ">u8", [19, 5], [8, 5],
       Blosc("lz4hc", 9, Blosc.BITSHUFFLE))
    v2(c, "v2_f2_gzip_sparse", "<f2", [30, 20], [8, 8], GZip(1), fill=1.5,
       sparse=True)
    v2(c, "v2_f2be_none_fillNaN", ">f2", [11, 12], [5, 5], None, fill=np.nan,
       sparse=True)
    v2(c, "v2_f4_bloscZstdBitshuf_F", "<f4", [25, 33, 7], [8, 10, 4],
       Blosc("zstd", 5, Blosc.BITSHUFFLE), order="F")
    v2(c, "v2_f4be_zstd_F_slash", ">f4", [31, 29], [10, 10], Zstd(3), order="F",
       sep="/")
    v2(c, "v2_f4_fillNaN_sparse", "<f4", [24, 24], [8, 8], Zstd(3), fill=np.nan,
       sparse=True)
    # lossy filters, on values they keep exactly
    k = np.arange(-40, 40, dtype="f4")
    v2(c, "v2_f4_fixedscaleoffset", "<f4", [80], [32], Zstd(1),
       filters=[numcodecs.FixedScaleOffset(0.5, 4, "<f4", astype="<i2")],
       data=k / 4 + 0.5)
    v2(c, "v2_f4_bitround", "<f4", [80], [32], Zstd(1),
       filters=[numcodecs.BitRound(10)], data=k * 1.75)
    v2(c, "v2_f8_0d", "<f8", [], [], None, data=np.array(3.25))
    v2(c, "v2_f8_bloscZstdShuf_C", "<f8", [33, 20], [8, 8],
       Blosc("zstd", 5, Blosc.SHUFFLE))
    v2(c, "v2_f8_gzip_fill_sparse", "<f8", [100, 17], [32, 8], GZip(6),
       fill=-999.5, sparse=True)
    v2(c, "v2_f8be_bloscZstdShuf_F", ">f8", [17, 19], [8, 8],
       Blosc("zstd", 5, Blosc.SHUFFLE), order="F")
    v2(c, "v2_f8_fillInf_sparse", "<f8", [20, 20], [6, 6], Zlib(2), fill=np.inf,
       sparse=True)
    v2(c, "v2_f8be_fillNegInf_sparse", ">f8", [20, 20], [6, 6], LZ4(),
       fill=-np.inf, sparse=True)
    v2(c, "v2_c8_none_C", "<c8", [12, 10], [5, 4], None, fill=1 + 2j, sparse=True)
    v2(c, "v2_c16_gzip_F", "<c16", [9, 11], [4, 4], GZip(5), order="F")
    v2(c, "v2_c16be_zstd_sparse", ">c16", [14, 6], [5, 5], Zstd(3),
       fill=-0.5 + 4j, sparse=True)
    v2_refused(c, "v2_S4_refused", "|S4", [b"ab", b"cdef", b"", b"g"])
    v2_refused(c, "v2_U3_refused", "<U3", ["ab", "cde", "", "f"])


def write_v2_group(c):
    """A v2 group with .zmetadata (zarr.consolidate_metadata), arrays at its
    top and in a subgroup."""
    path = "groups/v2_consolidated.zarr"
    root = zarr.open_group(os.path.join(c.out, path), mode="w")
    sub = root.create_group("sub")
    kinds = ["|b1", "|i1", "<i2", ">i4", "<i8", "|u1", ">u2", "<u4", "<u8",
             "<f2", ">f4", "<f8", "<c8"]
    for i, dt in enumerate(kinds):
        name = "g2_%02d_%s" % (i, V2_CODES[np.dtype(dt).name])
        v2(c, name, dt, [7 + i, 5], [4, 3], numcodecs.Zstd(1), group=root,
           path="%s/%s" % (path, name), sparse=i % 3 == 0)
    v2(c, "g2_sub_f8", "<f8", [6, 6], [4, 4], numcodecs.GZip(1), group=sub,
       path=path + "/sub/g2_sub_f8")
    zarr.consolidate_metadata(root.store)


# ---- Zarr v3, from the spec -------------------------------------------------------

def describe_v3(codecs):
    out = []
    for cd in codecs:
        j = cd.json
        n, conf = j["name"], j.get("configuration", {})
        if n == "bytes":
            out.append("bytesBE" if conf.get("endian") == "big" else "bytes")
        elif n == "transpose":
            out.append("transpose%s" % conf["order"])
        elif n == "sharding_indexed":
            inner = describe_v3(cd.inner)
            idx = describe_v3(cd.index)
            out.append("shard[inner=%s:%s;idx=%s@%s]%s" % (
                conf["chunk_shape"], inner, idx, conf["index_location"],
                "" if cd.order == "sequential" else " layout=" + cd.order))
        else:
            out.append(n)
    return "+".join(out)


def shard(inner_shape, codecs, index=None, location="end", order="sequential"):
    index = index or [z3.bytes_codec(), z3.crc32c()]
    stats = {}
    s = z3.sharding(inner_shape, codecs, index, location, order, stats)
    s.inner, s.index, s.order, s.stats = codecs, index, order, stats
    return s


def sharded(codecs):
    return any(cd.json["name"] == "sharding_indexed" for cd in codecs)


def innermost_missing(codecs):
    """Inner chunks left out at some level of the sharding."""
    for cd in codecs:
        if cd.json["name"] == "sharding_indexed":
            return cd.stats.get("missing", 0) > 0 or innermost_missing(cd.inner)
    return False


def v3(c, name, dtype, shape, chunks, codecs, fill=0, sep="/", encoding="default",
       sparse=None, missing=(), never=False, data=None, folder=None, path=None,
       endian_note=""):
    """One v3 array.  sparse: the block shape knocked out at random (chunks or
    inner chunks); missing: regions (tuples of slices) set to fill, for
    whole shards."""
    seed = len(c.rows) + 101
    fillv = z3.fill_array(dtype, fill)
    if data is None:
        data = make_data(dtype, shape, seed)
    data = np.asarray(data, dtype)
    if sparse:
        knock_out(data, sparse, fillv, seed)
    for region in missing:
        blank(data, region, fillv)
    if never:
        data = z3.filled(tuple(shape), fillv)
    path = path or "%s/%s.zarr" % (folder or "v3", name)
    written, total = z3.write_array(os.path.join(c.out, path), data, chunks,
                                    codecs, fill, dtype, encoding, sep)
    # the case covers what it says: chunks, shards, inner chunks left out
    if missing or never or (sparse and not sharded(codecs)):
        assert written < total, "%s: no chunk or shard left out" % name
    if sparse and sharded(codecs):
        assert innermost_missing(codecs), "%s: no inner chunk left out" % name
    assert never or written > 0, name
    keys = "" if encoding == "default" else " keys=v2"
    c.row(name, path, 3, dtype, shape, json.dumps(list(chunks)),
          "%s sep=%s%s" % (describe_v3(codecs), sep, keys), json.dumps(fill),
          V3_WRITER, data)


def write_v3(c):
    B, BE, T = z3.bytes_codec, (lambda: z3.bytes_codec("big")), z3.transpose
    zs, gz, bl, crc = z3.zstd, z3.gzip_codec, z3.blosc, z3.crc32c
    nc = z3.numcodecs_codec
    v3(c, "v3_u1_zstd", "uint8", [37, 53], [16, 16], [B(), zs()])
    v3(c, "v3_b1_gzip_fillTrue", "bool", [15, 9], [4, 4], [B(None), gz()],
       fill=True, sparse=[4, 4])
    v3(c, "v3_i1_raw_fillMin", "int8", [100], [30], [B(None)], fill=-128,
       sparse=[30])
    v3(c, "v3_i2be_gzip_dot", "int16", [40, 30], [16, 8], [BE(), gz(1)], fill=-7,
       sep=".", sparse=[16, 8])
    v3(c, "v3_i2_3d_transpose102", "int16", [6, 7, 8], [4, 3, 5],
       [T([1, 0, 2]), B(), zs(5)])
    v3(c, "v3_i4_blosc_noshuf", "int32", [50, 20], [16, 16],
       [B(), bl("lz4", 5, "noshuffle", 4)])
    v3(c, "v3_i4be_blosc_bitshuf_zstd", "int32", [30, 20], [16, 16],
       [BE(), bl("zstd", 3, "bitshuffle", 4)])
    v3(c, "v3_i8_zstd_checksum_fillMin", "int64", [20, 21], [7, 7],
       [B(), zs(3, True)], fill=-(2 ** 63), sparse=[7, 7])
    v3(c, "v3_u2_1d_raw_fillMax", "uint16", [1000], [128], [B()], fill=65535,
       sparse=[128])
    v3(c, "v3_u4be_crc32c", "uint32", [33, 17], [8, 8], [BE(), crc()],
       fill=4294967295, sparse=[8, 8])
    v3(c, "v3_u8_gzip_fillMax", "uint64", [25], [10], [B(), gz()],
       fill=2 ** 64 - 1, sparse=[10])
    v3(c, "v3_f2_zstd_fillHex", "float16", [30, 20], [8, 8], [B(), zs()],
       fill="0x3c00", sparse=[8, 8])
    v3(c, "v3_f2be_raw_fillNaN", "float16", [13, 9], [5, 5], [BE()], fill="NaN",
       sparse=[5, 5])
    v3(c, "v3_f4_transpose210_zstd", "float32", [25, 33, 7], [8, 10, 4],
       [T([2, 1, 0]), B(), zs()])
    v3(c, "v3_f4be_transpose10_gzip_fillInf", "float32", [31, 29], [10, 10],
       [T([1, 0]), BE(), gz()], fill="Infinity", sparse=[10, 10])
    v3(c, "v3_f4_fillHexNaN_payload", "float32", [24, 16], [8, 8], [B(), zs()],
       fill="0x7fc00001", sparse=[8, 8])
    v3(c, "v3_f4_fillNumber_blosc_shuf", "float32", [20, 20], [8, 8],
       [B(), bl("blosclz", 5, "shuffle", 4)], fill=0.125, sparse=[8, 8])
    v3(c, "v3_f8_fillNegInf_blosc", "float64", [20, 20], [6, 6],
       [B(), bl("lz4hc", 5, "shuffle", 8)], fill="-Infinity", sparse=[6, 6])
    v3(c, "v3_f8_zstd_fill_sparse", "float64", [64, 64], [16, 16], [B(), zs()],
       fill=-999.5, sparse=[16, 16])
    v3(c, "v3_f8be_zstd_gzip_chain", "float64", [17, 19], [8, 8],
       [BE(), zs(), gz()])
    v3(c, "v3_f8_fillHexSNaN", "float64", [12, 12], [5, 5], [B(), gz()],
       fill="0x7ff0000000000001", sparse=[5, 5])
    v3(c, "v3_c8_gzip_fillPair", "complex64", [12, 10], [5, 4], [B(), gz()],
       fill=[1.5, -2.5], sparse=[5, 4])
    v3(c, "v3_c8be_fillNaNInf", "complex64", [10, 10], [4, 4], [BE(), zs()],
       fill=["NaN", "-Infinity"], sparse=[4, 4])
    v3(c, "v3_c16_transpose_fillHex", "complex128", [9, 11], [4, 4],
       [T([1, 0]), B(), zs()], fill=["0x7ff8000000000000", 0.25], sparse=[4, 4])
    v3(c, "v3_c16be_crc32c", "complex128", [7, 6], [3, 3], [BE(), crc()],
       fill=[0, 0])
    v3(c, "v3_u1_4d_gzip", "uint8", [3, 4, 5, 6], [2, 3, 2, 4], [B(), gz()])
    v3(c, "v3_u1_never_written", "uint8", [10, 12], [4, 4], [B(), zs()], fill=42,
       never=True)
    v3(c, "v3_f8_0d", "float64", [], [], [B(), zs()], data=np.array(3.25))
    v3(c, "v3_i4_0d_never_written", "int32", [], [], [B()], fill=17, never=True)
    v3(c, "v3_u2_v2keys_dot", "uint16", [20, 30], [8, 8], [B(), zs()],
       encoding="v2", sep=".", sparse=[8, 8])
    v3(c, "v3_u2_v2keys_slash", "uint16", [20, 30], [8, 8], [B(), gz()],
       encoding="v2", sep="/")
    v3(c, "v3_i2_bigchunk", "int16", [5, 7], [10, 10], [B(), zs()])
    # numcodecs codecs under the names zarr-python 3 gives them
    v3(c, "v3_i2_nc_zlib", "int16", [30, 10], [8, 8], [B(), nc(numcodecs.Zlib(5))])
    v3(c, "v3_f4_nc_gzip", "float32", [30, 10], [8, 8], [B(), nc(numcodecs.GZip(3))])
    v3(c, "v3_i4_nc_zstd", "int32", [30, 10], [8, 8], [B(), nc(numcodecs.Zstd(2))])
    v3(c, "v3_u2_nc_blosc", "uint16", [30, 10], [8, 8],
       [B(), nc(numcodecs.Blosc("zstd", 3, numcodecs.Blosc.SHUFFLE))])
    v3(c, "v3_i8_nc_lz4", "int64", [30, 10], [8, 8], [B(), nc(numcodecs.LZ4())])
    v3(c, "v3_f8_nc_shuffle_zlib", "float64", [30, 10], [8, 8],
       [B(), nc(numcodecs.Shuffle(8)), nc(numcodecs.Zlib(1))])
    v3(c, "v3_u4_nc_crc32c_end", "uint32", [30, 10], [8, 8],
       [B(), z3.numcodecs_crc32c("end")])
    v3(c, "v3_u1_nc_crc32c_start", "uint8", [30, 10], [8, 8],
       [B(), z3.numcodecs_crc32c("start"), zs()])
    v3(c, "v3_i4_delta", "int32", [40, 9], [16, 4], [z3.delta("int32"), B()])
    v3(c, "v3_u2_transpose_delta_zstd", "uint16", [20, 14], [8, 6],
       [T([1, 0]), z3.delta("uint16"), BE(), zs()])


def write_v3_sharded(c):
    B, BE, T = z3.bytes_codec, (lambda: z3.bytes_codec("big")), z3.transpose
    zs, gz, crc = z3.zstd, z3.gzip_codec, z3.crc32c
    plain = [B()]
    nocrc = lambda: [B()]

    def s(name, dtype, shape, chunks, codecs, **kw):
        v3(c, name, dtype, shape, chunks, codecs, folder="v3_sharded", **kw)

    s("v3s_u8_zstd_end", "uint64", [33, 17], [16, 16],
      [shard([4, 8], [B(), zs()], nocrc())], sparse=[4, 8])
    s("v3s_u1_zstd_end_crc", "uint8", [100, 100], [32, 32],
      [shard([8, 8], [B(), zs()])], sparse=[8, 8],
      missing=[(slice(32, 64), slice(64, 96))])
    s("v3s_i2_zstd_dotsep_start", "int16", [30, 30], [16, 16],
      [shard([4, 4], [B(), zs()], location="start")], sep=".", sparse=[4, 4])
    s("v3s_i2be_gzip_start", "int16", [64, 48], [32, 16],
      [shard([8, 8], [BE(), gz()], nocrc(), "start")], sparse=[8, 8])
    s("v3s_f4_transpose_zstd_missing", "float32", [40, 40, 10], [20, 20, 10],
      [shard([5, 5, 5], [T([2, 1, 0]), B(), zs()])], fill=1.5, sparse=[5, 5, 5],
      missing=[(slice(20, 40), slice(0, 20), slice(0, 10))])
    s("v3s_f8_raw_end_crc", "float64", [50, 30], [25, 30],
      [shard([5, 10], plain)])
    s("v3s_u2_1d_zstd_start_crc", "uint16", [10000], [4096],
      [shard([512], [B(), zs()], location="start")], sparse=[512])
    s("v3s_i4_nested_gzip", "int32", [64, 64], [32, 32],
      [shard([16, 16], [shard([4, 4], [B(), gz()])])], sparse=[4, 4],
      missing=[(slice(32, 64), slice(0, 32))])
    s("v3s_u2_nested_start_mixed", "uint16", [40, 36], [20, 24],
      [shard([10, 12], [shard([5, 4], [B(), zs()], nocrc(), "end")],
             location="start")], sparse=[5, 4])
    s("v3s_f4_reversed_order", "float32", [24, 24], [12, 12],
      [shard([4, 4], [B(), zs()], order="reversed")], sparse=[4, 4])
    s("v3s_i8_index_bigendian", "int64", [16, 16], [8, 8],
      [shard([4, 4], [B(), gz()], [BE(), crc()])], sparse=[4, 4])
    s("v3s_i2_transpose_outside", "int16", [20, 12], [10, 12],
      [T([1, 0]), shard([4, 5], [B(), zs()])], sparse=[5, 4])
    s("v3s_c16_gzip_fillInfNaN", "complex128", [10, 10], [10, 10],
      [shard([5, 5], [B(), gz()])], fill=["Infinity", "NaN"], sparse=[5, 5])
    s("v3s_b1_crc_inner", "bool", [30, 20], [10, 10],
      [shard([5, 5], [B(None), crc()], location="start")], fill=False,
      sparse=[5, 5])
    s("v3s_i2_blosc_inner", "int16", [32, 32], [16, 16],
      [shard([8, 8], [B(), z3.blosc("lz4", 5, "shuffle", 2)])], sparse=[8, 8])
    s("v3s_u1_3d_edge", "uint8", [7, 9, 11], [4, 4, 4],
      [shard([2, 2, 2], [B(), zs()])], sparse=[2, 2, 2])
    s("v3s_i2_never_written", "int16", [20, 20], [10, 10],
      [shard([5, 5], [B(), zs()])], fill=5, never=True)
    s("v3s_f8_one_inner", "float64", [15, 10], [8, 8],
      [shard([8, 8], [B(), zs()], nocrc())])
    s("v3s_i4_nc_inner", "int32", [24, 24], [12, 12],
      [shard([6, 6], [B(), z3.numcodecs_codec(numcodecs.Shuffle(4)),
                      z3.numcodecs_codec(numcodecs.Zstd(1))])], sparse=[6, 6])


def write_v3_groups(c):
    """Two v3 groups, without consolidated metadata and with zarr-python 3's
    inline one, arrays at the top and in a subgroup."""
    root = "groups/v3_group.zarr"
    z3.write_group(os.path.join(c.out, root))
    z3.write_group(os.path.join(c.out, root, "sub"))
    B, zs = z3.bytes_codec, z3.zstd
    v3(c, "g3_i2", "int16", [4], [2], [B(), zs()], path=root + "/i2")
    v3(c, "g3_b1", "bool", [5], [2], [B(None), zs()], fill=False,
       path=root + "/b1")
    v3(c, "g3_f4", "float32", [6, 5], [4, 4], [B(), zs()], path=root + "/f4")
    v3(c, "g3_sub_u8", "uint64", [9], [4],
       [shard([2], [B(), zs()])], path=root + "/sub/u8")
    root = "groups/v3_consolidated.zarr"
    z3.write_group(os.path.join(c.out, root))
    z3.write_group(os.path.join(c.out, root, "sub"))
    v3(c, "g3c_i4", "int32", [7, 3], [4, 2], [B(), zs()], path=root + "/i4")
    v3(c, "g3c_f8", "float64", [10], [4], [B(), z3.gzip_codec()],
       path=root + "/f8", fill="NaN", sparse=[4])
    v3(c, "g3c_sub_u2", "uint16", [5, 6], [2, 6],
       [shard([1, 3], [B(), zs()], location="start")], path=root + "/sub/u2",
       sparse=[1, 3])
    z3.consolidate(os.path.join(c.out, root))


# ---- main ---------------------------------------------------------------------------

def stamp():
    h = hashlib.sha256()
    here = os.path.dirname(os.path.abspath(__file__))
    for f in sorted(os.listdir(here)):
        if f.endswith(".py"):
            with open(os.path.join(here, f), "rb") as fh:
                h.update(fh.read())
    h.update((V2_WRITER + V3_WRITER).encode())
    return h.hexdigest()


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_corpus.py OUT")
    out = os.path.abspath(sys.argv[1])
    st = stamp()
    try:
        if open(os.path.join(out, "STAMP")).read() == st:
            return
    except OSError:
        pass
    tmp = "%s.tmp%d" % (out, os.getpid())
    shutil.rmtree(tmp, ignore_errors=True)
    c = Corpus(tmp)
    write_v2(c)
    write_v2_group(c)
    write_v3(c)
    write_v3_sharded(c)
    write_v3_groups(c)
    c.write_index()
    with open(os.path.join(tmp, "STAMP"), "w") as f:
        f.write(st)
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    print("make_corpus: %d arrays in %s" % (len(c.rows), out))


if __name__ == "__main__":
    main()
