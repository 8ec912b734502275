#!/usr/bin/env python3
"""shards.py - reads the shard indexes of a sharded Zarr v3 array (as
zarrfs-pack writes it: default chunk keys, one level of sharding_indexed,
the index's bytes + optional crc32c codecs) for tools/bench/run.sh.

usage:
  shards.py frames STORE OUT
      Writes the encoded inner chunks, all of them, in shard and index order,
      to OUT: with a zstd inner codec these are concatenated zstd frames
      (a trailing crc32c, if the inner codecs end with one, is cut off), so
      `zstd -dc OUT` decodes exactly the work a reader of the whole array
      decodes.  Prints "CHUNKS BYTES".
  shards.py least STORE OFFSETS LENGTH
      OFFSETS: a file of byte offsets into the flat (C order) view, one a
      line.  Prints the least number of store bytes any reader must read to
      serve reads of LENGTH bytes at those offsets: the stored bytes of every
      inner chunk they touch (each once) plus one index per shard touched.
      Then the number of inner chunks and shards touched.
Only the standard library is used.
"""
import itertools
import json
import os
import struct
import sys


def load(store):
    meta = json.load(open(os.path.join(store, "zarr.json")))
    shape = meta["shape"]
    shard = meta["chunk_grid"]["configuration"]["chunk_shape"]
    codecs = meta["codecs"]
    if len(codecs) != 1 or codecs[0]["name"] != "sharding_indexed":
        sys.exit(f"{store}: not a (simply) sharded array")
    conf = codecs[0]["configuration"]
    inner = conf["chunk_shape"]
    names = [c["name"] for c in conf["codecs"]]
    index_crc = any(c["name"] == "crc32c" for c in conf.get("index_codecs", []))
    sizes = {"uint8": 1, "int8": 1, "bool": 1, "uint16": 2, "int16": 2,
             "float16": 2, "uint32": 4, "int32": 4, "float32": 4, "uint64": 8,
             "int64": 8, "float64": 8, "complex64": 8, "complex128": 16}
    sep = meta.get("chunk_key_encoding", {}).get("configuration", {}).get("separator", "/")
    return {
        "store": store, "shape": shape, "shard": shard, "inner": inner,
        "itemsize": sizes[meta["data_type"]],
        "inner_crc": names[-1] == "crc32c",
        "per_shard": [s // i for s, i in zip(shard, inner)],
        "index_len": 16 * prod(s // i for s, i in zip(shard, inner)) + 4 * index_crc,
        "at_end": conf.get("index_location", "end") == "end",
        "sep": sep,
    }


def prod(xs):
    p = 1
    for x in xs:
        p *= x
    return p


def shard_path(a, pos):
    return os.path.join(a["store"], "c" + "".join(a["sep"] + str(p) for p in pos))


def read_index(a, pos):
    """[(offset, nbytes)] of the shard's inner chunks in C order, or None for
    a missing shard."""
    path = shard_path(a, pos)
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        if a["at_end"]:
            f.seek(-a["index_len"], os.SEEK_END)
        raw = f.read(a["index_len"])
    n = prod(a["per_shard"])
    vals = struct.unpack(f"<{2 * n}Q", raw[:16 * n])
    return [(vals[2 * i], vals[2 * i + 1]) for i in range(n)]


def grid(a):
    return [-(-s // c) for s, c in zip(a["shape"], a["shard"])]


def frames(store, out):
    a = load(store)
    count = total = 0
    with open(out, "wb") as o:
        for pos in itertools.product(*[range(g) for g in grid(a)]):
            idx = read_index(a, pos)
            if idx is None:
                continue
            with open(shard_path(a, pos), "rb") as f:
                data = f.read()
            for off, nb in idx:
                if off == nb == 0xFFFFFFFFFFFFFFFF:
                    continue
                chunk = data[off:off + nb]
                if a["inner_crc"]:
                    chunk = chunk[:-4]
                o.write(chunk)
                count += 1
                total += len(chunk)
    print(count, total)


def least(store, offsets_file, length):
    a = load(store)
    nd = len(a["shape"])
    strides = [prod(a["shape"][d + 1:]) for d in range(nd)]
    chunks, shards = set(), set()
    for line in open(offsets_file):
        if not line.strip():
            continue
        off = int(line)
        e0 = off // a["itemsize"]
        e1 = (off + length - 1) // a["itemsize"]
        # The elements [e0, e1] as whole rows of the last axis (reads of a
        # few KiB span a few rows); every row's inner chunks.
        e = e0
        while e <= e1:
            coord = [(e // strides[d]) % a["shape"][d] for d in range(nd)]
            row_end = min(e1, e - coord[-1] + a["shape"][-1] - 1)
            last = coord[-1] + (row_end - e)
            for c in range(coord[-1] // a["inner"][-1], last // a["inner"][-1] + 1):
                ic = tuple(coord[d] // a["inner"][d] for d in range(nd - 1)) + (c,)
                chunks.add(ic)
            e = row_end + 1
    total = 0
    cache = {}
    for ic in chunks:
        spos = tuple(ic[d] * a["inner"][d] // a["shard"][d] for d in range(nd))
        shards.add(spos)
        if spos not in cache:
            cache[spos] = read_index(a, spos)
        idx = cache[spos]
        if idx is None:
            continue
        rel = [ic[d] - spos[d] * a["per_shard"][d] for d in range(nd)]
        flat = 0
        for d in range(nd):
            flat = flat * a["per_shard"][d] + rel[d]
        off, nb = idx[flat]
        if off != 0xFFFFFFFFFFFFFFFF:
            total += nb
    total += len(shards) * a["index_len"]
    print(total, len(chunks), len(shards))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "frames":
        frames(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "least":
        least(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(__doc__)
