"""zarr3.py - a small Zarr v3 array writer made from the specification (core
v3.0: regular chunk grid, default and v2 chunk key encodings, fill values;
codecs bytes, transpose, gzip, zstd, blosc, crc32c, sharding_indexed; and the
numcodecs.* codecs zarr-python 3 writes), for the test corpus.

It is written from the spec alone with numpy, zstandard, zlib/gzip, crc32c
and numcodecs (blosc, lz4, shuffle): never with zarrfs's code, so what zarrfs
reads back from it is an independent check.  Arrays are numpy arrays in the
machine's (little-endian) order; a codec is a Codec: its JSON and its encoder.
"""
import gzip
import itertools
import json
import os
import struct

import crc32c as _crc32c
import numcodecs
import numpy as np
import zstandard

MISSING = 0xFFFFFFFFFFFFFFFF  # an index entry for an absent inner chunk


class Codec:
    """kind: "aa" (array -> array), "ab" (array -> bytes) or "bb"."""

    def __init__(self, kind, name, conf, encode):
        self.kind, self.encode = kind, encode
        self.json = {"name": name}
        if conf is not None:
            self.json["configuration"] = conf


# ---- fill values -------------------------------------------------------------

def _float_component(v, dtype):
    """One float from its JSON form: a number, "NaN", "Infinity",
    "-Infinity", or "0x..." (the value's bits, most significant first)."""
    dt = np.dtype(dtype)
    if isinstance(v, str) and v.startswith("0x"):
        return np.frombuffer(int(v, 16).to_bytes(dt.itemsize, "little"), dt)[0]
    special = {"NaN": np.nan, "Infinity": np.inf, "-Infinity": -np.inf}
    return dt.type(special[v] if isinstance(v, str) else v)


def fill_array(dtype, fill):
    """The fill value as a one-element array of dtype (machine order)."""
    dt = np.dtype(dtype)
    if dt.kind == "c":
        half = "<f%d" % (dt.itemsize // 2)
        parts = [_float_component(x, half) for x in fill]
        return np.frombuffer(np.array(parts, half).tobytes(), dt)
    if dt.kind == "f":
        return np.array([_float_component(fill, dt)], dt)
    return np.array([fill], dt)


def is_fill(a, fill):
    """Every element of a has the fill value's bits."""
    b = np.ascontiguousarray(a).view(np.uint8).reshape(-1, a.dtype.itemsize)
    return bool((b == fill.view(np.uint8)).all())


def filled(shape, fill):
    return np.broadcast_to(fill.reshape((1,) * len(shape)), shape).copy()


# ---- codecs ------------------------------------------------------------------

def bytes_codec(endian="little"):
    def enc(a, fill=None):
        return a.astype(a.dtype.newbyteorder("<" if endian == "little" else ">"),
                        copy=False).tobytes()
    return Codec("ab", "bytes", None if endian is None else {"endian": endian},
                 enc)


def transpose(order):
    return Codec("aa", "transpose", {"order": list(order)},
                 lambda a: np.ascontiguousarray(np.transpose(a, order)))


def delta(dtype):
    """numcodecs.delta as zarr-python 3 writes it: differences of the chunk
    in C order (the first element kept), in the array's own type."""
    def enc(a):
        flat = a.reshape(-1)
        out = flat.copy()
        out[1:] = flat[1:] - flat[:-1]
        return out.reshape(a.shape)
    return Codec("aa", "numcodecs.delta", {"dtype": dtype}, enc)


def zstd(level=3, checksum=False):
    c = zstandard.ZstdCompressor(level=level, write_checksum=checksum)
    return Codec("bb", "zstd", {"level": level, "checksum": checksum}, c.compress)


def gzip_codec(level=5):
    return Codec("bb", "gzip", {"level": level},
                 lambda b: gzip.compress(b, level, mtime=0))


def _crc_le(b):
    return struct.pack("<I", _crc32c.crc32c(b))


def crc32c():
    return Codec("bb", "crc32c", None, lambda b: b + _crc_le(b))


SHUFFLES = ["noshuffle", "shuffle", "bitshuffle"]


def blosc(cname="lz4", clevel=5, shuffle="shuffle", typesize=4, blocksize=0):
    c = numcodecs.Blosc(cname, clevel, SHUFFLES.index(shuffle), blocksize)
    enc = lambda b: c.encode(np.frombuffer(b, "u%d" % typesize)
                             if len(b) % typesize == 0 else b)
    return Codec("bb", "blosc", {"cname": cname, "clevel": clevel,
                                 "shuffle": shuffle, "typesize": typesize,
                                 "blocksize": blocksize}, enc)


def numcodecs_codec(codec):
    """A numcodecs codec under its zarr-python 3 name numcodecs.ID, with its
    own configuration (numcodecs' get_config less the id)."""
    conf = codec.get_config()
    name = "numcodecs." + conf.pop("id")
    return Codec("bb", name, conf, lambda b: bytes(codec.encode(b)))


def numcodecs_crc32c(location="end"):
    """numcodecs' CRC32C: the little-endian CRC-32C of the data, before or
    after it (numcodecs 0.11 has no such codec, so it is written here)."""
    def enc(b):
        return _crc_le(b) + b if location == "start" else b + _crc_le(b)
    return Codec("bb", "numcodecs.crc32c", {"location": location}, enc)


def encode_chain(codecs, a, fill):
    """Encodes one chunk (an array of the chunk's shape) to bytes; an
    array->bytes codec also gets the fill value (sharding leaves out inner
    chunks of it)."""
    for c in codecs:
        a = c.encode(a, fill) if c.kind == "ab" else c.encode(a)
    return a


def sharding(chunk_shape, codecs, index_codecs=None, index_location="end",
             order="sequential", stats=None):
    """sharding_indexed: inner chunks encoded by codecs, an index of
    (offset, nbytes) uint64 pairs encoded by index_codecs at the start or the
    end; inner chunks all of the fill value are left out (index entries of
    2^64-1).  order "reversed" stores the chunks last first, which readers
    must handle through the offsets.  stats, a dict, counts the inner chunks
    written ("inner") and left out ("missing")."""
    stats = {} if stats is None else stats
    index_codecs = index_codecs or [bytes_codec("little"), crc32c()]
    conf = {"chunk_shape": list(chunk_shape),
            "codecs": [c.json for c in codecs],
            "index_codecs": [c.json for c in index_codecs],
            "index_location": index_location}

    def enc(shard, fill):
        grid = [s // c for s, c in zip(shard.shape, chunk_shape)]
        index = np.full(grid + [2], MISSING, np.uint64)
        pieces = []
        for pos in itertools.product(*[range(g) for g in grid]):
            sl = tuple(slice(p * c, (p + 1) * c) for p, c in zip(pos, chunk_shape))
            inner = shard[sl]
            if not is_fill(inner, fill):
                pieces.append((pos, encode_chain(codecs, inner, fill)))
            key = "inner" if pieces and pieces[-1][0] == pos else "missing"
            stats[key] = stats.get(key, 0) + 1
        if order == "reversed":
            pieces.reverse()
        nidx = len(encode_chain(index_codecs, index, None))
        off = nidx if index_location == "start" else 0
        for pos, data in pieces:
            index[pos] = (off, len(data))
            off += len(data)
        idx = encode_chain(index_codecs, index, None)
        body = b"".join(d for _, d in pieces)
        return idx + body if index_location == "start" else body + idx

    return Codec("ab", "sharding_indexed", conf, enc)


# ---- arrays and groups -----------------------------------------------------------

def chunk_key(pos, encoding, sep):
    if encoding == "v2":
        return sep.join(map(str, pos)) if pos else "0"
    return "c" + "".join(sep + str(p) for p in pos)


def write_array(folder, data, chunks, codecs, fill_json, dtype_name,
                encoding="default", sep="/", attributes=None):
    """Writes data (a numpy array) as a Zarr v3 array in folder; chunks that
    are all fill are not written.  Returns the numbers of chunks written and
    of chunks in the grid."""
    os.makedirs(folder, exist_ok=True)
    fill = fill_array(data.dtype, fill_json)
    meta = {"zarr_format": 3, "node_type": "array", "shape": list(data.shape),
            "data_type": dtype_name,
            "chunk_grid": {"name": "regular",
                           "configuration": {"chunk_shape": list(chunks)}},
            "chunk_key_encoding": {"name": encoding,
                                   "configuration": {"separator": sep}},
            "fill_value": fill_json, "codecs": [c.json for c in codecs],
            "attributes": attributes or {}}
    with open(os.path.join(folder, "zarr.json"), "w") as f:
        json.dump(meta, f, indent=2)
    written = 0
    grid = [-(-s // c) for s, c in zip(data.shape, chunks)]
    for pos in itertools.product(*[range(g) for g in grid]):
        sl = tuple(slice(p * c, (p + 1) * c) for p, c in zip(pos, chunks))
        part = data[sl]
        chunk = filled(tuple(chunks), fill)  # edge chunks: padded with fill
        chunk[tuple(slice(0, n) for n in part.shape)] = part
        if is_fill(chunk, fill):
            continue
        path = os.path.join(folder, *chunk_key(pos, encoding, sep).split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(encode_chain(codecs, chunk, fill))
        written += 1
    return written, int(np.prod(grid))


def write_group(folder, attributes=None):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "zarr.json"), "w") as f:
        json.dump({"zarr_format": 3, "node_type": "group",
                   "attributes": attributes or {}}, f)


def consolidate(folder):
    """Puts every node under folder into its root zarr.json as zarr-python
    3's inline consolidated metadata ("consolidated_metadata": kind
    "inline", must_understand false, "metadata" keyed by node path)."""
    nodes = {}
    for root, dirs, files in os.walk(folder):
        rel = os.path.relpath(root, folder).replace(os.sep, "/")
        if rel != "." and "zarr.json" in files:
            with open(os.path.join(root, "zarr.json")) as f:
                nodes[rel] = json.load(f)
    path = os.path.join(folder, "zarr.json")
    with open(path) as f:
        doc = json.load(f)
    doc["consolidated_metadata"] = {"kind": "inline", "must_understand": False,
                                    "metadata": dict(sorted(nodes.items()))}
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
