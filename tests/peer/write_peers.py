#!/usr/bin/env python3
"""write_peers.py OUT - stores written by the real peers, for
tests/sh/peer_written.sh.  Run it with the pinned peers' Python
(.peers/venv, made by tools/install-peers.sh).

Writes into OUT (made if absent) one store per writer and format:

  zarr-python-v3.zarr   zarr-python 3, zarr_format=3: every dtype, bytes in
                        both endians, transpose, zstd with and without its
                        checksum, gzip, blosc (each cname and shuffle),
                        crc32c, sharding (index at start and end, nested),
                        every numcodecs.* codec, fill values, missing and
                        edge chunks, 0-d arrays, dimension_names, nested
                        groups with attributes; consolidated (in zarr.json)
  zarr-python-v2.zarr   zarr-python 3, zarr_format=2: every dtype in both
                        byte orders, every compressor and filter numcodecs
                        has, orders C and F, both separators; consolidated
                        (.zmetadata)
  tensorstore-zarr3.zarr, tensorstore-zarr2.zarr
                        tensorstore's zarr3 and zarr drivers (tensorstore
                        writes arrays, not groups: the root group's metadata
                        is written here, by hand)
  zarrs-v3.zarr, zarrs-v2.zarr
                        zarr-python 3 with the zarrs codec pipeline, strict
                        (no fallback to zarr-python's codecs): what zarrs
                        cannot encode is left out, with a note

and OUT/INDEX.tsv, one row an array: writer, fmt, store, path, dtype (the
numpy type of the peer's read, native order), shape ("7,9"; "-" for 0-d),
codecs, fill, expected ("expected/N.raw", or "refused" for the data types
zarrfs has no flat view of), want (for a refused array, the data type as
the message must name it) and ref: for an array written through the zarrs
pipeline whose bytes zarr-python's own pipeline reads differently, that
read ("expected/N_ref.raw"), else "-".  Each expected file is
np.ascontiguousarray(peer_read).tobytes() in native byte order, read back by
the writing peer itself after everything was written.  OUT/notes.txt lists
what a peer would not write (one line each).  Deterministic."""
import base64
import json
import os
import shutil
import sys
import warnings

import numcodecs
import numpy as np
import tensorstore as ts
import zarr
import zarr.codecs as zc
import zarr.codecs.numcodecs as znc

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sh"))
from zf_arrays import random_array  # noqa: E402

warnings.simplefilter("ignore")  # zarr's notes on unstable dtypes and codecs

DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
          "uint32", "uint64", "float16", "float32", "float64", "complex64",
          "complex128"]
CNAMES = ["lz4", "lz4hc", "blosclz", "zstd", "zlib"]
SHUFFLES = ["noshuffle", "shuffle", "bitshuffle"]
SHAPE, CHUNKS = (7, 9), (3, 4)  # edge chunks in both dimensions
DEFAULT_PIPELINE = "zarr.core.codec_pipeline.BatchedCodecPipeline"


def why(e):
    """An exception's first line, short."""
    return ((str(e).splitlines() or [type(e).__name__])[0])[:160]


def check_missing(who, root, path, shape, outer):
    """An array written in part must lack some of its chunk (or shard)
    files: otherwise its "missing chunks" case tests nothing."""
    d = os.path.join(root, path)
    n = sum(1 for _, _, files in os.walk(d) for f in files
            if f not in ("zarr.json", ".zarray", ".zattrs"))
    grid = int(np.prod([-(-s // c) for s, c in zip(shape, outer)]))
    if n >= grid:
        raise SystemExit("%s %s: written in part, yet all %d chunk files are "
                         "there" % (who, path, grid))


def data(dtype, shape, seed):
    """Random values of the whole range; floats with -0.0, +-inf and NaN."""
    a = random_array(np.random.default_rng(seed), dtype, shape)
    if np.dtype(dtype).kind in "fc" and a.size > 8:
        flat = a.reshape(-1)
        flat[1], flat[3], flat[5], flat[7] = -0.0, np.inf, -np.inf, np.nan
    return a


class Index:
    """The rows of INDEX.tsv and the expected files."""

    def __init__(self, out):
        self.out = out
        self.rows = []
        self.notes = []
        os.makedirs(os.path.join(out, "expected"))

    def raw(self, read, suffix=""):
        """Writes np.ascontiguousarray(read).tobytes() in native order (a
        0-d array kept 0-d); returns its name and the array."""
        a = np.array(read, order="C")
        a = a.astype(a.dtype.newbyteorder("="))
        name = "expected/%d%s.raw" % (len(self.rows), suffix)
        with open(os.path.join(self.out, name), "wb") as f:
            f.write(a.tobytes())
        return name, a

    def add(self, writer, fmt, store, path, read, codecs, fill, ref=None):
        """read: the peer's own read of the array; ref: zarr-python's read
        of it where that differs (the peers disagree)."""
        name, a = self.raw(read)
        shape = ",".join(map(str, a.shape)) or "-"
        refname = self.raw(ref, "_ref")[0] if ref is not None else "-"
        self.rows.append([writer, str(fmt), store, path, a.dtype.str, shape,
                          codecs, str(fill), name, "-", refname])

    def refuse(self, writer, fmt, store, path, want, codecs):
        """An array zarrfs must refuse, naming it and `want`, its type."""
        self.rows.append([writer, str(fmt), store, path, want, "-", codecs,
                          "-", "refused", want, "-"])

    def note(self, line):
        print("note: " + line)
        self.notes.append(line)

    def write(self):
        cols = ["writer", "fmt", "store", "path", "dtype", "shape", "codecs",
                "fill", "expected", "want", "ref"]
        with open(os.path.join(self.out, "INDEX.tsv"), "w") as f:
            for r in [cols] + self.rows:
                assert all(x and "\t" not in x for x in r), r
                f.write("\t".join(r) + "\n")
        with open(os.path.join(self.out, "notes.txt"), "w") as f:
            f.writelines(n + "\n" for n in self.notes)


# ---- zarr-python 3 (and the zarrs pipeline) --------------------------------------

class ZarrPython:
    """Arrays made with zarr-python 3's create_array in one store; every
    array is read back once all of them are written (and consolidated)."""

    def __init__(self, ix, writer, out, store, fmt, attrs):
        self.ix, self.writer, self.fmt = ix, writer, fmt
        self.store = store
        self.root = os.path.join(out, store)
        self.g = zarr.open_group(self.root, mode="w", zarr_format=fmt, attributes=attrs)
        self.made = []  # (path, codecs, fill, refused dtype or None)

    def group(self, path, attrs=None):
        self.g.create_group(path, attributes=attrs or {})

    def array(self, path, arr, codecs, write=Ellipsis, fill=0, **kw):
        """Creates path for arr and writes arr[write] (the rest of the
        chunks stays missing); kw goes to create_array."""
        kw.setdefault("chunks", CHUNKS if arr.ndim == 2 else arr.shape or ())
        try:
            a = self.g.create_array(path, shape=arr.shape, dtype=arr.dtype,
                                    fill_value=fill, **kw)
            if write is not None:
                a[write] = arr[write]
        except Exception as e:  # what this writer cannot write
            self.ix.note("%s v%d cannot write %s (%s): %s"
                         % (self.writer, self.fmt, path, codecs, why(e)))
            return
        if write is not Ellipsis:
            outer = (a.metadata.chunk_grid.chunk_shape if self.fmt == 3
                     else a.metadata.chunks)
            check_missing(self.writer, self.root, path, arr.shape, outer)
        self.made.append((path, codecs, fill, None))

    def refused(self, path, dtype, want, value):
        try:
            a = self.g.create_array(path, shape=(3,), dtype=dtype, chunks=(2,))
            a[...] = value
        except Exception as e:
            self.ix.note("%s v%d cannot write %s: %s" % (self.writer, self.fmt, path, why(e)))
            return
        self.made.append((path, "default", "-", want))

    def finish(self):
        zarr.consolidate_metadata(self.root)
        g = zarr.open_group(self.root, mode="r")
        for path, codecs, fill, want in self.made:
            if want:
                self.ix.refuse(self.writer, self.fmt, self.store, path, want, codecs)
                continue
            try:
                read = g[path][...]
            except Exception as e:  # no expected bytes: left out
                self.ix.note("%s v%d cannot read back %s (%s): %s"
                             % (self.writer, self.fmt, path, codecs, why(e)))
                continue
            ref = None
            if self.writer != "zarr-python 3":  # the zarrs pipeline's own read
                with zarr.config.set({"codec_pipeline.path": DEFAULT_PIPELINE}):
                    ref = zarr.open_group(self.root, mode="r")[path][...]
                if np.array(ref).tobytes() == np.array(read).tobytes():
                    ref = None
                else:
                    self.ix.note("%s v%d and zarr-python read %s (%s) differently"
                                 % (self.writer, self.fmt, path, codecs))
            self.ix.add(self.writer, self.fmt, self.store, path, read, codecs, fill, ref)


def blosc_v3(cname, shuffle, **kw):
    return zc.BloscCodec(cname=cname, clevel=5, shuffle=shuffle, **kw)


def zarr_python_v3(ix, out, writer="zarr-python 3", store="zarr-python-v3.zarr", full=True):
    z = ZarrPython(ix, writer, out, store, 3,
                   {"title": "written by " + writer, "n": [1, 2, 3], "nested": {"k": 1.5}})
    for g in ("dtypes", "big", "codecs", "blosc", "shard", "fill"):
        z.group(g)
    z.group("nest", {"level": 1, "name": "nest"})
    z.group("nest/deeper", {"level": 2, "tags": ["a", "b"]})
    big = zc.BytesCodec(endian="big")
    for i, dt in enumerate(DTYPES):
        a = data(dt, SHAPE, i)
        z.array("dtypes/" + dt, a, "zarr-python's default (bytes, zstd)",
                dimension_names=["y", "x"])
        if np.dtype(dt).itemsize > 1 and full:
            z.array("big/" + dt, a, "bytes big, no compressor", serializer=big,
                    compressors=None)
    a = data("int32", SHAPE, 100)
    f = data("float64", SHAPE, 101)
    u = data("uint16", (5, 6, 7), 102)
    z.array("codecs/transpose", a, "transpose (1,0), bytes",
            filters=[zc.TransposeCodec(order=(1, 0))], compressors=None)
    z.array("codecs/transpose3", u, "transpose (2,0,1), bytes big, gzip",
            chunks=(2, 3, 4), filters=[zc.TransposeCodec(order=(2, 0, 1))],
            serializer=big, compressors=[zc.GzipCodec(level=3)])
    z.array("codecs/zstd_checksum", f, "zstd 3 checksum",
            compressors=[zc.ZstdCodec(level=3, checksum=True)])
    z.array("codecs/zstd", f, "zstd -1 no checksum",
            compressors=[zc.ZstdCodec(level=-1, checksum=False)])
    z.array("codecs/gzip", a, "gzip 6", compressors=[zc.GzipCodec(level=6)])
    z.array("codecs/crc32c", a, "crc32c", compressors=[zc.Crc32cCodec()])
    z.array("codecs/zstd_crc32c", f, "big, zstd, crc32c", serializer=big,
            compressors=[zc.ZstdCodec(level=1), zc.Crc32cCodec()])
    for cname in CNAMES:
        for sh in SHUFFLES:
            if full or sh == "shuffle" or cname == "lz4":
                z.array("blosc/%s_%s" % (cname, sh), f if sh != "bitshuffle" else a,
                        "blosc %s %s" % (cname, sh),
                        compressors=[blosc_v3(cname, sh, typesize=8 if sh != "bitshuffle" else 4)])
    sh = data("float32", (10, 12), 103)
    for loc in ("start", "end"):
        z.array("shard/index_" + loc, sh, "shards 6x8 of 3x4, zstd inside, index at " + loc,
                chunks=(6, 8), compressors=None,
                serializer=zc.ShardingCodec(
                    chunk_shape=(3, 4), index_location=loc,
                    codecs=[zc.BytesCodec(), zc.ZstdCodec(level=1)]))
    z.array("shard/shards", sh, "create_array(shards=): zarr-python's own sharding",
            chunks=(3, 4), shards=(6, 8), write=np.s_[:6])
    z.array("shard/nested", sh, "shards 6x8, of 6x4 shards, of 3x2 chunks",
            chunks=(6, 8), compressors=None,
            serializer=zc.ShardingCodec(chunk_shape=(6, 4), codecs=[
                zc.ShardingCodec(chunk_shape=(3, 2), index_location="start",
                                 codecs=[zc.BytesCodec(endian="big"), zc.GzipCodec()])]))
    # Square shards: zarr-python 3.1 checks the inner chunks against the
    # shard's shape before the transpose, zarrs (and the spec, where the
    # sharding codec gets the transposed chunk) after it.
    z.array("shard/transposed", sh, "transpose, shards 6x6 of 3x2",
            chunks=(6, 6), compressors=None, filters=[zc.TransposeCodec(order=(1, 0))],
            serializer=zc.ShardingCodec(chunk_shape=(3, 2), codecs=[zc.BytesCodec()]))
    # zarr-python's default compressors (zstd) after an explicit sharding
    # serializer: the whole shard, index and all, is compressed.
    z.array("shard/then_zstd", sh, "shards 6x8 of 3x4, then zstd over the shard",
            chunks=(6, 8), serializer=zc.ShardingCodec(chunk_shape=(3, 4)))
    z.array("shard/then_gzip_missing", sh, "shards of 3x4, index at start, gzip over "
            "the shard, empty inner chunks and missing shards", chunks=(6, 8),
            write=np.s_[:4, :5], compressors=[zc.GzipCodec(level=1)],
            serializer=zc.ShardingCodec(chunk_shape=(3, 4), index_location="start"))
    z.array("shard/then_crc32c_nested", sh, "shards of 6x4 shards of 3x2, crc32c over "
            "the outer shard", chunks=(6, 8), compressors=[zc.Crc32cCodec()],
            serializer=zc.ShardingCodec(chunk_shape=(6, 4), codecs=[
                zc.ShardingCodec(chunk_shape=(3, 2), codecs=[zc.BytesCodec(endian="big")])]))
    z.array("shard/missing", sh, "shards, some missing, empty inner chunks",
            chunks=(6, 8), compressors=None, write=np.s_[:4, :5],
            serializer=zc.ShardingCodec(chunk_shape=(3, 4)))
    # the fill values, and chunks never written
    part = np.s_[:3, :4]
    for name, dt, fill in [("nan", "float64", float("nan")), ("inf", "float32", float("inf")),
                           ("neginf", "float64", float("-inf")),
                           ("complex", "complex128", 1.5 - 2j),
                           ("complex_nan", "complex64", complex(float("nan"), float("inf"))),
                           ("int", "int16", -7), ("uint64max", "uint64", 2**64 - 1),
                           ("true", "bool", True), ("half", "float16", 0.5)]:
        z.array("fill/" + name, data(dt, SHAPE, 200 + len(name)), "zstd, fill %s" % fill,
                fill=fill, write=part, dimension_names=["row", "col"])
    z.array("fill/zero_d", np.array(3.25), "0-d, written", chunks=())
    z.array("fill/zero_d_missing", np.array(0j, "complex64"), "0-d, never written",
            chunks=(), fill=complex(-1, 2), write=None)
    z.array("fill/zero_d_int", np.array(-5, "int8"), "0-d int8", chunks=())
    z.array("nest/deeper/a", data("int64", (4, 5), 300), "nested group's array",
            chunks=(2, 2), attributes={"units": "m", "scale": 0.5})
    # the numcodecs codecs zarr-python 3 writes as "numcodecs.*"
    z.group("numcodecs")
    i4 = data("int32", SHAPE, 400)
    f8 = data("float64", SHAPE, 401)
    b = data("bool", SHAPE, 402)
    for name, arr, kw in [
            ("zlib", i4, {"compressors": [znc.Zlib(level=5)]}),
            ("gzip", i4, {"compressors": [znc.GZip(level=5)]}),
            ("zstd", f8, {"compressors": [znc.Zstd(level=3)]}),
            ("blosc", f8, {"compressors": [znc.Blosc(cname="zstd", shuffle=2)]}),
            ("lz4", i4, {"compressors": [znc.LZ4()]}),
            ("bz2", i4, {"compressors": [znc.BZ2()]}),
            ("lzma", i4, {"compressors": [znc.LZMA()]}),
            ("shuffle", f8, {"compressors": [znc.Shuffle(elementsize=8)]}),
            ("crc32c", i4, {"compressors": [znc.CRC32C()]}),
            ("crc32", i4, {"compressors": [znc.CRC32()]}),
            ("adler32", i4, {"compressors": [znc.Adler32()]}),
            ("fletcher32", i4, {"compressors": [znc.Fletcher32()]}),
            ("jenkins_lookup3", i4, {"compressors": [znc.JenkinsLookup3()]}),
            ("delta", i4, {"filters": [znc.Delta(dtype="<i4")]}),
            ("bitround", f8, {"filters": [znc.BitRound(keepbits=12)]}),
            ("fixedscaleoffset", f8, {"filters": [znc.FixedScaleOffset(
                offset=0, scale=10, dtype="<f8", astype="<f8")]}),
            ("fixedscaleoffset_i4", f8 / 1e3, {"filters": [znc.FixedScaleOffset(
                offset=1, scale=100, dtype="<f8", astype="<i4")],
                "compressors": [znc.Zstd(level=1)]}),
            ("astype_i2", i4 % 3000, {"filters": [znc.AsType(encode_dtype="<i2",
                                                            decode_dtype="<i4")]}),
            ("bitround_transposed", f8, {"filters": [zc.TransposeCodec(order=(1, 0)),
                                                     znc.BitRound(keepbits=5)]}),
            ("crc32_end", i4, {"compressors": [znc.CRC32(location="end")]}),
            ("fletcher32_odd", data("uint8", (5, 7), 403), {"compressors": [znc.Fletcher32()],
                                                             "chunks": (3, 3)}),
            ("quantize", f8, {"filters": [znc.Quantize(digits=3, dtype="<f8")]}),
            ("astype", f8, {"filters": [znc.AsType(encode_dtype="<f4", decode_dtype="<f8")]}),
            ("packbits", b, {"filters": [znc.PackBits()]})]:
        kw.setdefault("compressors", None)
        z.array("numcodecs/" + name, arr, "numcodecs." + name, **kw)
    if not full:
        return z
    # the data types zarrfs has no flat view of
    z.group("refused")
    for name, dt, want, value in [
            ("string", "str", "string", ["a", "bc", ""]),
            ("vlen_bytes", "bytes", "variable_length_bytes", [b"a", b"", b"xyz"]),
            ("structured", [("a", "<i4"), ("b", "<f8")], "structured", np.zeros(3, "i4,f8")),
            ("utf32", "<U5", "fixed_length_utf32", ["ab", "c", "d"]),
            ("fixed_bytes", "S4", "null_terminated_bytes", [b"ab", b"c", b"d"]),
            ("raw_bytes", "V4", "raw_bytes", np.zeros(3, "V4")),
            ("datetime", "M8[s]", "numpy.datetime64", np.arange(3).astype("M8[s]"))]:
        z.refused("refused/" + name, dt, want, value)
    return z


def zarr_python_v2(ix, out, writer="zarr-python 3", store="zarr-python-v2.zarr"):
    z = ZarrPython(ix, writer, out, store, 2,
                   {"title": writer + " as v2", "version": 2})
    for g in ("dtypes", "compressors", "filters", "fill", "layout"):
        z.group(g)
    z.group("nest", {"level": 1})
    z.group("nest/deeper", {"level": 2})
    for i, dt in enumerate(DTYPES):
        for order in "<>":
            d = np.dtype(dt)
            if d.itemsize == 1 and order == ">":
                continue
            nd = d.newbyteorder(order) if d.itemsize > 1 else d
            z.array("dtypes/%s_%s" % (dt, "big" if order == ">" else "little"),
                    data(dt, SHAPE, i).astype(nd), "v2 %s, zstd" % nd.str,
                    compressors=numcodecs.Zstd(level=1))
    i4 = data("int32", SHAPE, 500)
    f8 = data("float64", SHAPE, 501)
    b = data("bool", SHAPE, 502)
    comps = [("zstd", numcodecs.Zstd(level=3, checksum=True)), ("gzip", numcodecs.GZip(5)),
             ("zlib", numcodecs.Zlib(5)), ("lz4", numcodecs.LZ4()), ("bz2", numcodecs.BZ2()),
             ("lzma", numcodecs.LZMA()), ("lzma_alone", numcodecs.LZMA(format=2)),
             ("lzma_sha256", numcodecs.LZMA(check=10, preset=1)), ("none", None),
             ("crc32", numcodecs.CRC32()), ("adler32", numcodecs.Adler32()),
             ("fletcher32", numcodecs.Fletcher32()),
             ("jenkins_lookup3", numcodecs.JenkinsLookup3())]
    if hasattr(numcodecs, "CRC32C"):
        comps.append(("crc32c", numcodecs.CRC32C()))
    for cname in CNAMES:
        for i, sh in enumerate(SHUFFLES):
            comps.append(("blosc_%s_%s" % (cname, sh),
                          numcodecs.Blosc(cname=cname, clevel=5, shuffle=i)))
    for name, c in comps:
        z.array("compressors/" + name, f8, "compressor " + name, compressors=c)
    for name, arr, flt in [
            ("delta", i4, numcodecs.Delta(dtype="<i4")),
            ("delta_astype", np.cumsum(i4 % 7 - 3).astype("i2").reshape(SHAPE), numcodecs.Delta(dtype="<i2", astype="<i1")),
            ("fixedscaleoffset", f8 / 1e3, numcodecs.FixedScaleOffset(0, 100, "<f8", astype="<i4")),
            ("bitround", f8, numcodecs.BitRound(keepbits=10)),
            ("quantize", f8, numcodecs.Quantize(digits=2, dtype="<f8")),
            ("astype", f8, numcodecs.AsType(encode_dtype="<f4", decode_dtype="<f8")),
            ("packbits", b, numcodecs.PackBits()),
            ("shuffle", f8, numcodecs.Shuffle(elementsize=8))]:
        z.array("filters/" + name, arr, "filter " + name, filters=[flt],
                compressors=numcodecs.Zstd(level=1))
    z.array("layout/order_F", i4, "order F", order="F", compressors=numcodecs.Zlib(1))
    z.array("layout/slash", i4, "dimension_separator /",
            chunk_key_encoding={"name": "v2", "separator": "/"}, compressors=None)
    z.array("layout/big_F", data("float32", (5, 6, 7), 503).astype(">f4"), "order F, >f4, 3-d",
            chunks=(2, 3, 4), order="F", compressors=numcodecs.GZip(1))
    part = np.s_[:3, :4]
    for name, dt, fill in [("nan", "<f8", float("nan")), ("inf", ">f4", float("inf")),
                           ("neginf", "<f8", float("-inf")), ("complex", "<c16", 1.5 - 2j),
                           ("int", ">i2", -7), ("true", "|b1", True), ("none", "<i4", None)]:
        z.array("fill/" + name, data(np.dtype(dt).name, SHAPE, 600 + len(name)).astype(dt),
                "fill %s" % fill, fill=fill, write=part, compressors=numcodecs.Zstd(level=1))
    z.array("fill/zero_d", np.array(2.5), "0-d", chunks=())
    z.array("nest/deeper/a", data("uint32", (4, 5), 700), "nested", chunks=(2, 2),
            attributes={"units": "m"})
    z.group("refused")
    for name, dt, want, value in [
            ("string", "str", "|O", ["a", "bc", ""]),
            ("structured", [("a", "<i4"), ("b", "<f8")], "structured", np.zeros(3, "i4,f8")),
            ("utf32", "<U5", "<U5", ["ab", "c", "d"]),
            ("fixed_bytes", "S4", "|S4", [b"ab", b"c", b"d"]),
            ("datetime", "<M8[s]", "<M8[s]", np.arange(3).astype("M8[s]"))]:
        z.refused("refused/" + name, dt, want, value)
    return z


def zarrs(ix, out):
    """zarr-python 3 with the zarrs pipeline, strict: zarrs encodes every
    chunk (it fails instead of falling back to zarr-python's codecs)."""
    with zarr.config.set({"codec_pipeline.path": "zarrs.ZarrsCodecPipeline",
                          "codec_pipeline.strict": True}):
        z = zarr_python_v3(ix, out, "zarrs pipeline", "zarrs-v3.zarr", full=False)
        z.finish()  # the read back through zarrs too
        zarr_python_v2(ix, out, "zarrs pipeline", "zarrs-v2.zarr").finish()


# ---- tensorstore ------------------------------------------------------------------

class TensorStore:
    """Arrays written with tensorstore's zarr3 or zarr driver below one
    root folder whose group metadata is written here."""

    def __init__(self, ix, out, store, driver):
        self.ix, self.store, self.driver = ix, store, driver
        self.fmt = 3 if driver == "zarr3" else 2
        self.root = os.path.join(out, store)
        os.makedirs(self.root)
        self.group("", {"title": "tensorstore " + driver})
        self.made = []

    def group(self, path, attrs=None):
        d = os.path.join(self.root, path)
        os.makedirs(d, exist_ok=True)
        if self.fmt == 3:
            meta = {"zarr_format": 3, "node_type": "group", "attributes": attrs or {}}
            with open(os.path.join(d, "zarr.json"), "w") as f:
                json.dump(meta, f)
        else:
            with open(os.path.join(d, ".zgroup"), "w") as f:
                json.dump({"zarr_format": 2}, f)
            if attrs:
                with open(os.path.join(d, ".zattrs"), "w") as f:
                    json.dump(attrs, f)

    def spec(self, path, meta, **kw):
        s = {"driver": self.driver, "kvstore": {"driver": "file",
                                                "path": os.path.join(self.root, path)},
             "metadata": meta}
        s.update(kw)
        return s

    def array(self, path, arr, codecs, meta, write=Ellipsis, fill=0, **kw):
        """meta: the driver's metadata less shape (and the type, which
        comes from arr for the zarr driver); arr[write] is written."""
        meta = dict(meta, shape=list(arr.shape))
        if self.fmt == 3:
            meta.setdefault("data_type", arr.dtype.name)
            meta.setdefault("chunk_grid", {"name": "regular", "configuration": {
                "chunk_shape": list(CHUNKS if arr.ndim == 2 else arr.shape)}})
        else:
            meta.setdefault("dtype", arr.dtype.str)
            meta.setdefault("chunks", list(CHUNKS if arr.ndim == 2 else arr.shape))
        if fill == 0 and arr.dtype.kind in "bc":  # the driver wants False, [0, 0]
            fill = False if arr.dtype.kind == "b" else [0.0, 0.0] if self.fmt == 3 else None
        meta.setdefault("fill_value", fill)
        try:
            t = ts.open(self.spec(path, meta, **kw), create=True).result()
            if write is Ellipsis:
                t.write(arr).result()
            elif write is not None:
                t[write].write(arr[write]).result()
        except Exception as e:
            self.ix.note("tensorstore %s cannot write %s (%s): %s"
                         % (self.driver, path, codecs, why(e)))
            return
        if write is not Ellipsis:
            outer = (meta["chunk_grid"]["configuration"]["chunk_shape"]
                     if self.fmt == 3 else meta["chunks"])
            check_missing("tensorstore", self.root, path, arr.shape, outer)
        self.made.append((path, codecs, fill, kw))

    def refused(self, path, meta, want, **kw):
        meta = dict(meta, shape=[3])
        if self.fmt == 3:
            meta.setdefault("chunk_grid", {"name": "regular", "configuration": {"chunk_shape": [2]}})
        else:
            meta.setdefault("chunks", [2])
        try:
            ts.open(self.spec(path, meta, **kw), create=True).result()
        except Exception as e:
            self.ix.note("tensorstore %s cannot write %s: %s"
                         % (self.driver, path, why(e)))
            return
        self.ix.refuse("tensorstore", self.fmt, self.store, path, want, "default")

    def finish(self):
        for path, codecs, fill, kw in self.made:
            t = ts.open(self.spec(path, {}, **kw), open=True).result()
            self.ix.add("tensorstore", self.fmt, self.store, path, t.read().result(),
                        codecs, fill)


def bytes3(endian="little"):
    return {"name": "bytes", "configuration": {"endian": endian}}


def shard3(chunk, codecs, loc="end", index=None):
    return {"name": "sharding_indexed", "configuration": {
        "chunk_shape": list(chunk), "codecs": codecs, "index_location": loc,
        "index_codecs": index or [bytes3(), {"name": "crc32c"}]}}


def tensorstore_zarr3(ix, out):
    t = TensorStore(ix, out, "tensorstore-zarr3.zarr", "zarr3")
    for g in ("dtypes", "codecs", "blosc", "shard", "fill", "refused"):
        t.group(g)
    t.group("nest", {"level": 1})
    for i, dt in enumerate(DTYPES):
        a = data(dt, SHAPE, 800 + i)
        t.array("dtypes/" + dt, a, "bytes little, zstd",
                {"codecs": [bytes3(), {"name": "zstd", "configuration": {"level": 1}}],
                 "dimension_names": ["y", "x"]})
        if a.dtype.itemsize > 1:
            t.array("dtypes/%s_big" % dt, a, "bytes big", {"codecs": [bytes3("big")]})
    i4 = data("int32", SHAPE, 900)
    f8 = data("float64", SHAPE, 901)
    t.array("codecs/transpose", i4, "transpose (1,0)", {"codecs": [
        {"name": "transpose", "configuration": {"order": [1, 0]}}, bytes3("big")]})
    t.array("codecs/gzip", f8, "gzip 5", {"codecs": [bytes3(), {"name": "gzip", "configuration": {"level": 5}}]})
    for ck in (True, False):
        t.array("codecs/zstd_%s" % ("checksum" if ck else "plain"), f8, "zstd checksum %s" % ck,
                {"codecs": [bytes3(), {"name": "zstd", "configuration": {"level": 3, "checksum": ck}}]})
    t.array("codecs/crc32c", i4, "crc32c", {"codecs": [bytes3(), {"name": "crc32c"}]})
    for cname in CNAMES:
        for sh in SHUFFLES:
            t.array("blosc/%s_%s" % (cname, sh), f8, "blosc %s %s" % (cname, sh), {"codecs": [
                bytes3(), {"name": "blosc", "configuration": {
                    "cname": cname, "clevel": 5, "shuffle": sh, "typesize": 8, "blocksize": 0}}]})
    s = data("uint16", (10, 12), 902)
    grid = {"name": "regular", "configuration": {"chunk_shape": [6, 8]}}
    for loc in ("start", "end"):
        t.array("shard/index_" + loc, s, "shards 6x8 of 3x4, zstd, index at " + loc,
                {"chunk_grid": grid, "codecs": [shard3((3, 4), [bytes3(), {"name": "zstd"}], loc)]})
    t.array("shard/nested", s, "shards 6x8 of 6x4 of 3x2",
            {"chunk_grid": grid, "codecs": [shard3((6, 4), [shard3((3, 2), [bytes3("big")], "start")])]})
    t.array("shard/then_zstd", s, "shards 6x8 of 3x4, then zstd over the shard",
            {"chunk_grid": grid, "codecs": [shard3((3, 4), [bytes3()]), {"name": "zstd"}]})
    t.array("shard/missing", s, "shards, some missing, empty inner chunks",
            {"chunk_grid": grid, "codecs": [shard3((3, 4), [bytes3()], "end", [bytes3()])]},
            write=np.s_[:4, :5], fill=7)
    part = np.s_[:3, :4]
    for name, dt, fill in [("nan", "float64", "NaN"), ("inf", "float32", "Infinity"),
                           ("neginf", "float64", "-Infinity"), ("complex", "complex128", [1.5, -2.0]),
                           ("complex_nan", "complex64", ["NaN", "Infinity"]),
                           ("int", "int16", -7), ("uint64max", "uint64", 2**64 - 1),
                           ("true", "bool", True)]:
        t.array("fill/" + name, data(dt, SHAPE, 1000 + len(name)), "fill %s" % fill,
                {"codecs": [bytes3(), {"name": "zstd"}]}, fill=fill, write=part)
    t.array("fill/zero_d", np.array(4.5), "0-d", {"codecs": [bytes3()]})
    t.array("fill/zero_d_missing", np.array(0, "int32"), "0-d never written",
            {"codecs": [bytes3()]}, write=None, fill=-3)
    t.array("nest/a", data("int8", (4, 5), 1100), "nested", {"codecs": [bytes3()],
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2, 2]}},
            "attributes": {"units": "m"}})
    for dt in ("bfloat16", "int4", "float8_e4m3fn", "float8_e5m2"):
        t.refused("refused/" + dt, {"data_type": dt, "codecs": [bytes3()]}, dt)
    t.finish()


def b64(value, dtype):
    """tensorstore's zarr driver takes a complex fill_value as the base64
    of its bytes, as v2 has it for structured types."""
    return base64.b64encode(np.array(value, dtype).tobytes()).decode()


def tensorstore_zarr2(ix, out):
    t = TensorStore(ix, out, "tensorstore-zarr2.zarr", "zarr")
    for g in ("dtypes", "compressors", "layout", "fill", "refused"):
        t.group(g)
    t.group("nest", {"level": 1})
    zstd = {"id": "zstd", "level": 1}
    for i, dt in enumerate(DTYPES):
        for order in "<>":
            d = np.dtype(dt)
            if d.itemsize == 1 and order == ">":
                continue
            nd = d.newbyteorder(order) if d.itemsize > 1 else d
            t.array("dtypes/%s_%s" % (dt, "big" if order == ">" else "little"),
                    data(dt, SHAPE, 1200 + i).astype(nd), "v2 %s, zstd" % nd.str,
                    {"compressor": zstd})
    f8 = data("float64", SHAPE, 1300)
    comps = [("zlib", {"id": "zlib", "level": 5}), ("gzip", {"id": "gzip", "level": 5}),
             ("bz2", {"id": "bz2", "level": 9}), ("zstd", {"id": "zstd", "level": 3}),
             ("none", None)]
    for cname in CNAMES:
        for i, sh in enumerate(SHUFFLES):
            comps.append(("blosc_%s_%s" % (cname, sh), {"id": "blosc", "cname": cname,
                                                          "clevel": 5, "shuffle": i, "blocksize": 0}))
    for name, c in comps:
        t.array("compressors/" + name, f8, "compressor " + name, {"compressor": c})
    i4 = data("int32", (5, 6, 7), 1301)
    t.array("layout/order_F", i4, "order F", {"order": "F", "chunks": [2, 3, 4], "compressor": None})
    t.array("layout/slash", i4, "dimension_separator /",
            {"dimension_separator": "/", "chunks": [2, 3, 4], "compressor": zstd})
    part = np.s_[:3, :4]
    for name, dt, fill in [("nan", "<f8", "NaN"), ("inf", ">f4", "Infinity"),
                           ("neginf", "<f8", "-Infinity"), ("complex", "<c16", b64(1.5 - 2j, "<c16")),
                           ("complex_big", ">c8", b64(-1 + 0.25j, ">c8")),
                           ("int", ">i2", -7), ("true", "|b1", True), ("none", "<i4", None)]:
        t.array("fill/" + name, data(np.dtype(dt).name, SHAPE, 1400 + len(name)).astype(dt),
                "fill %s" % fill, {"compressor": zstd}, fill=fill, write=part)
    t.array("fill/zero_d", np.array(-1.25), "0-d", {"compressor": None})
    t.array("nest/a", data("uint8", (4, 5), 1500), "nested", {"chunks": [2, 2], "compressor": None})
    for name, meta, want, kw in [
            ("bfloat16", {"dtype": "bfloat16"}, "bfloat16", {}),
            ("structured", {"dtype": [["a", "<i4"], ["b", "<f8"]]}, "structured", {"field": "a"}),
            ("fixed_bytes", {"dtype": "|S4"}, "|S4", {}),
            ("utf32", {"dtype": "<U5"}, "<U5", {})]:
        t.refused("refused/" + name, meta, want, **kw)
    t.finish()


# ---- xarray on zarr-python 3: the stores the netCDF view is compared on ------------

def xarray_stores(ix, out):
    """A CF dataset (coordinates, a time axis, scale_factor/add_offset
    packing with a _FillValue, attributes, a subgroup) written by xarray's
    to_zarr through zarr-python 3, as v3 and as v2, and a group "plain"
    made with zarr-python alone (dimension_names, fill values that are no
    _FillValue).  xr.open_zarr of each group is compared with the group's
    netCDF view."""
    import pandas as pd
    import xarray as xr
    rng = np.random.default_rng(1600)
    t = pd.date_range("2001-01-01", periods=8, freq="6h")
    temp = rng.normal(280, 5, (8, 6, 7)).astype("float32")
    temp[0, 0, 0] = np.nan
    packed = rng.uniform(0, 30, (8, 6, 7))
    packed[1, 2, 3] = np.nan
    ds = xr.Dataset(
        {"temp": (("time", "lat", "lon"), temp, {"units": "K", "standard_name": "air_temperature"}),
         "packed": (("time", "lat", "lon"), packed, {"units": "mm"}),
         "elev": (("lat", "lon"), rng.integers(0, 4000, (6, 7)).astype("int32"),
                  {"units": "m", "valid_range": [0, 9000]}),
         "flag": (("time",), np.arange(8, dtype="int8"), {"flag_values": [0, 1, 2], "flag_meanings": "a b c"})},
        coords={"time": t, "lat": np.linspace(-10, 10, 6),
                "lon": np.linspace(0, 30, 7).astype("float32")},
        attrs={"title": "zarrfs peer test", "Conventions": "CF-1.8", "version": 3, "tags": ["x", "yz"]})
    sub = xr.Dataset({"depth": (("z",), np.arange(5.0), {"units": "m"}),
                      "v": (("z", "lon"), rng.random((5, 7)))},
                     coords={"z": np.arange(5) * 10}, attrs={"kind": "subgroup"})
    for fmt in (3, 2):
        store = "xarray-v%d.zarr" % fmt
        root = os.path.join(out, store)
        ds.to_zarr(root, mode="w", zarr_format=fmt, consolidated=True, encoding={
            "packed": {"dtype": "int16", "scale_factor": 0.01, "add_offset": 10.0, "_FillValue": -32768},
            "time": {"units": "hours since 2001-01-01", "calendar": "standard"}})
        sub.to_zarr(root, group="sub", mode="a", zarr_format=fmt, consolidated=True)
        g = zarr.open_group(root, mode="a")
        p = g.create_group("plain", attributes={"source": "zarr-python 3 alone"})
        kw = {"dimension_names": ["n"]} if fmt == 3 else {"attributes": {"_ARRAY_DIMENSIONS": ["n"]}}
        for name, dt, fill in [("count", "int32", -1), ("level", "float64", 0.5),
                               ("missing", "uint16", 9)]:
            a = p.create_array(name, shape=(6,), chunks=(4,), dtype=dt, fill_value=fill, **kw)
            a[:4] = np.arange(4, dtype=dt) if name != "missing" else [9, 1, 9, 2]
        zarr.consolidate_metadata(root)
        g = zarr.open_group(root, mode="r")
        for path in ["temp", "packed", "elev", "flag", "time", "lat", "lon", "sub/depth", "sub/v",
                     "sub/z", "plain/count", "plain/level", "plain/missing"]:
            ix.add("zarr-python 3 (xarray)", fmt, store, path, g[path][...],
                   "xarray's", g[path].fill_value)


def main():
    out = sys.argv[1]
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    ix = Index(out)
    zarr_python_v3(ix, out).finish()
    zarr_python_v2(ix, out).finish()
    zarrs(ix, out)
    tensorstore_zarr3(ix, out)
    tensorstore_zarr2(ix, out)
    xarray_stores(ix, out)
    ix.write()
    print("%d arrays (%d refused) in %s" % (len(ix.rows), sum(r[8] == "refused" for r in ix.rows), out))


if __name__ == "__main__":
    main()
