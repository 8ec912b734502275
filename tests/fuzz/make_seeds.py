#!/usr/bin/python3
"""make_seeds.py CORPUS [CORPUS...] OUT - seed corpora for the fuzz targets,
made at run time from conformance corpora (the generated one of
tests/corpus, and ../shared/corpus when present; never committed):
  OUT/meta_v3   every zarr.json of an array (v3 and v3_sharded)
  OUT/meta_v2   every .zarray
  OUT/chunk     fuzz_chunk.c inputs: each array's codec list and its first
                chunk file (v3 unsharded, and v2 mapped as meta_v2.c does)
  OUT/flat      a few shapes and ranges
The shard target's seeds come from zarrfs-pack (tools/fuzz.sh)."""
import json
import os
import struct
import sys

TYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
         "uint64", "float16", "float32", "float64", "complex64", "complex128"]
V2 = {"b1": "bool", "i1": "int8", "i2": "int16", "i4": "int32", "i8": "int64",
      "u1": "uint8", "u2": "uint16", "u4": "uint32", "u8": "uint64",
      "f2": "float16", "f4": "float32", "f8": "float64", "c8": "complex64",
      "c16": "complex128"}

if len(sys.argv) < 3:
    sys.exit("usage: make_seeds.py CORPUS [CORPUS...] OUT")
corpora, out = sys.argv[1:-1], sys.argv[-1]
for d in ("meta_v3", "meta_v2", "chunk", "flat"):
    os.makedirs(os.path.join(out, d), exist_ok=True)
n = 0


def put(kind, data):
    global n
    n += 1
    with open(os.path.join(out, kind, "seed%04d" % n), "wb") as f:
        f.write(data)


def first_chunk(folder, exclude):
    for root, dirs, files in sorted(os.walk(folder)):
        dirs.sort()
        for f in sorted(files):
            if f not in exclude and not f.startswith("."):
                return os.path.join(root, f)
    return None


def chunk_seed(v2, dtype, shape, codecs, chunkfile):
    if dtype not in TYPES or len(shape) > 4 or any(s > 64 or s < 1 for s in shape):
        return
    hdr = bytes([(0x80 if v2 else 0) | TYPES.index(dtype), len(shape)])
    hdr += bytes(s - 1 for s in shape)  # (b % 64) + 1
    data = open(chunkfile, "rb").read() if chunkfile else b""
    put("chunk", hdr + json.dumps(codecs).encode() + b"\0" + data)


for root, dirs, files in sorted(w for c in corpora for w in os.walk(c)):
    dirs.sort()
    if "zarr.json" in files:
        text = open(os.path.join(root, "zarr.json"), "rb").read()
        doc = json.loads(text)
        if doc.get("node_type") != "array":
            continue
        put("meta_v3", text)
        codecs = doc.get("codecs", [])
        dt = doc.get("data_type")
        shape = doc["chunk_grid"]["configuration"]["chunk_shape"]
        if any(c.get("name") == "sharding_indexed" for c in codecs):
            continue
        chunk_seed(False, dt, shape, codecs, first_chunk(root, {"zarr.json"}))
    elif ".zarray" in files:
        text = open(os.path.join(root, ".zarray"), "rb").read()
        put("meta_v2", text)
        doc = json.loads(text)
        t = doc.get("dtype")
        if not isinstance(t, str) or t[1:] not in V2:
            continue
        big = t[0] == ">"
        codecs = []
        if doc.get("order") == "F" and len(doc["shape"]) > 1:
            codecs.append({"name": "transpose", "configuration": {
                "order": list(range(len(doc["shape"]) - 1, -1, -1))}})
        codecs.append({"name": "bytes",
                       "configuration": {"endian": "big" if big else "little"}})
        codecs += doc.get("filters") or []
        if doc.get("compressor"):
            codecs.append(doc["compressor"])
        chunk_seed(True, V2[t[1:]], doc["chunks"], codecs,
                   first_chunk(root, {".zarray", ".zattrs"}))

for ndim, shape, e0, span in [(1, [10], 3, 5), (2, [7, 9], 4, 40),
                              (3, [5, 6, 7], 11, 150), (4, [3, 4, 5, 6], 0, 360),
                              (2, [0x81, 3], 100, 1000)]:
    b = bytes([ndim]) + bytes(s - 1 if s < 10 else s for s in shape)
    sp = bytes([span - 1]) if span <= 128 else bytes([0x80 | (span >> 9), (span >> 1) & 0xff])
    put("flat", b + struct.pack(">Q", e0) + sp)
print("%d seeds in %s" % (n, out))
