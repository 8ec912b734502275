#!/usr/bin/python3
"""make_hostile.py OUT - builds the hostile corpus of tests/sh/hostile.sh.

OUT/store is one Zarr v3 group holding one array per class of damage, and
OUT/outside a folder beside it that symbolic links in the store lead to.
OUT/cases.tsv lists the cases, one a line, tab-separated:

  name  kind  reason  [bad_off bad_len good_off good_len ...]

kind "meta": the array's metadata is refused: zarrfs-cat fails naming
  NAME/zarr.json (or .zarray) and REASON (a case-insensitive extended regex),
  and the mount leaves the array out.
kind "read": the array opens; reading bytes [bad_off, bad_off+bad_len) fails
  naming the damaged key and REASON (EIO through the mount), and reading
  [good_off, good_off+good_len) gives the bytes of OUT/expected/NAME.raw
  (through the mount only where its pages miss the damage: the kernel
  reads whole pages).
kind "ok": the array reads whole and right (links that stay inside).
kind "hidden": the folder must not appear at all (a linked folder).

Every intact array is uint16 64x64 in chunks (or shards) of 32x32, so chunk
(0,0) is touched by the flat bytes of rows 0..31, columns 0..31, and the
rows 32..63 (bytes 4096..8191) never touch it.  Only standard Python: the
zstd frames come from the zstd command, blosc and lz4 frames are built by
hand (memcpy'd blosc, literal-only LZ4).
"""
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys

OUT = sys.argv[1]
STORE = os.path.join(OUT, "store")
OUTSIDE = os.path.join(OUT, "outside")
EXP = os.path.join(OUT, "expected")
for d in (STORE, OUTSIDE, EXP):
    os.makedirs(d, exist_ok=True)
cases = []

N, C = 64, 32  # shape N x N, chunks C x C, uint16


def values(seed):
    return [((r * 64 + c) * 7 + seed * 1009) & 0xFFFF for r in range(N) for c in range(N)]


def raw_of(vals):
    return struct.pack("<%dH" % len(vals), *vals)


def region(vals, r0, c0, h, w):
    return raw_of([vals[(r0 + r) * N + c0 + c] for r in range(h) for c in range(w)])


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def meta_v3(codecs, shape=(N, N), chunks=(C, C), dtype="uint16", **extra):
    d = {"zarr_format": 3, "node_type": "array", "shape": list(shape),
         "data_type": dtype,
         "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(chunks)}},
         "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
         "codecs": codecs}
    d.update(extra)
    return json.dumps(d)


BYTES = {"name": "bytes", "configuration": {"endian": "little"}}
CRC = {"name": "crc32c"}
ZSTD = {"name": "zstd", "configuration": {"level": 3, "checksum": False}}
GZIP = {"name": "gzip", "configuration": {"level": 5}}

# ---- crc32c (Castagnoli), bitwise --------------------------------------------
_T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    _T.append(c)


def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = _T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def zstd(data):
    tmp = os.path.join(OUT, "zstd.tmp")
    write(tmp, data)
    z = subprocess.run(["zstd", "-q", "-c", tmp], check=True, stdout=subprocess.PIPE).stdout
    os.unlink(tmp)
    return z


def blosc_memcpy(data, typesize=2, nbytes=None, cbytes=None):
    n = len(data) if nbytes is None else nbytes
    cb = len(data) + 16 if cbytes is None else cbytes
    return struct.pack("<BBBBIII", 2, 1, 0x02, typesize, n, len(data), cb) + data


def lz4_literals(data, claim=None):
    """numcodecs' LZ4 framing: the decoded length (LE32), then one LZ4 block
    holding only literals."""
    n = len(data)
    tok, ext = (0xF0, b"") if n >= 15 else (n << 4, b"")
    if n >= 15:
        rest = n - 15
        ext = b"\xff" * (rest // 255) + bytes([rest % 255])
    return struct.pack("<I", n if claim is None else claim) + bytes([tok]) + ext + data


def plain_array(name, codecs, encode, damage, reason, seed=1, zarray=None):
    """A 64x64 array of 4 chunks; damage(bytes_of_chunk_00) -> stored bytes."""
    vals = values(seed)
    root = os.path.join(STORE, name)
    if zarray is None:
        write(os.path.join(root, "zarr.json"), meta_v3(codecs))
    else:
        write(os.path.join(root, ".zarray"), json.dumps(zarray))
    for i in range(2):
        for j in range(2):
            enc = encode(region(vals, i * C, j * C, C, C))
            if (i, j) == (0, 0):
                enc = damage(enc)
            key = ("%d.%d" % (i, j)) if zarray else ("c/%d/%d" % (i, j))
            write(os.path.join(root, key), enc)
    write(os.path.join(EXP, name + ".raw"), raw_of(vals))
    key00 = "0.0" if zarray else "c/0/0"
    cases.append((name, "read", key00 + ".*(" + reason + ")", 0, 4096, 4096, 4096))


def flip(b, at=None):
    b = bytearray(b)
    b[len(b) // 2 if at is None else at] ^= 0x55
    return bytes(b)


# ---- metadata ----------------------------------------------------------------
def meta_case(name, text, reason, fname="zarr.json"):
    write(os.path.join(STORE, name, fname), text)
    cases.append((name, "meta", reason))


meta_case("corrupt_json", '{"zarr_format": 3, "node_type": "array", "shape": [4,', "invalid JSON")
meta_case("unsupported_codec", meta_v3([BYTES, {"name": "lzma_x"}]), "unknown codec 'lzma_x'")
meta_case("unsupported_dtype", meta_v3([BYTES], dtype="string"), "data type 'string'")
meta_case("unsupported_v2_dtype", json.dumps({
    "zarr_format": 2, "shape": [4], "chunks": [4], "dtype": "<U4", "fill_value": None,
    "compressor": None, "filters": None, "order": "C"}), "dtype '<U4'", ".zarray")
meta_case("shape_overflow", meta_v3([BYTES], shape=(1 << 40, 1 << 40), chunks=(1, 1)),
          "overflows 64 bits")
meta_case("chunk_zero", meta_v3([BYTES], shape=(64,), chunks=(0,)), "chunk_shape.*>= 1")
meta_case("chunk_negative", meta_v3([BYTES], shape=(64,), chunks=(-4,)), "chunk_shape.*>= 1")
meta_case("inner_chunk_zero", meta_v3([{"name": "sharding_indexed", "configuration": {
    "chunk_shape": [0, 4], "codecs": [BYTES], "index_codecs": [BYTES]}}]),
    "chunk_shape.*positive")
meta_case("bad_separator", meta_v3([BYTES], chunk_key_encoding={
    "name": "default", "configuration": {"separator": "/../"}}), "separator")
meta_case("bad_v2_separator", json.dumps({
    "zarr_format": 2, "shape": [4], "chunks": [4], "dtype": "<u2", "fill_value": 0,
    "compressor": None, "filters": None, "order": "C", "dimension_separator": "\\"}),
    "dimension_separator", ".zarray")
depth = 100000
meta_case("deep_json", '{"zarr_format":3,"node_type":"array","attributes":' +
          "[" * depth + "]" * depth + "}", "invalid JSON.*(depth|nest)")
meta_case("huge_metadata", meta_v3([BYTES], attributes={"pad": "x" * (17 << 20)}),
          "larger than|bytes, more than")
meta_case("absurd_dims", meta_v3([BYTES], shape=[1] * 1000, chunks=[1] * 1000),
          "1000 dimensions")
meta_case("dims_33", meta_v3([BYTES], shape=[1] * 33, chunks=[1] * 33), "33 dimensions")
meta_case("chunk_5gib", meta_v3([BYTES], shape=(5 << 30,), chunks=(5 << 30,), dtype="uint8"),
          "larger than 4294967296 bytes")
inner = [BYTES]
for _ in range(6):
    inner = [{"name": "sharding_indexed", "configuration": {
        "chunk_shape": [1, 1], "codecs": inner, "index_codecs": [BYTES]}}]
meta_case("shard_nesting_deep", meta_v3(inner, chunks=(1, 1)), "nested more than")
meta_case("not_an_object", "[1, 2, 3]", "not a JSON object")
# sharding in all 32 dimensions: the index has 33
meta_case("shard_32_dims", meta_v3([{"name": "sharding_indexed", "configuration": {
    "chunk_shape": [1] * 32, "codecs": [BYTES], "index_codecs": [BYTES]}}],
    shape=[1] * 32, chunks=[1] * 32), "dimension")
# 2^24 inner chunks: a 256 MiB index, in a sparse shard file of that size
meta_case("shard_index_huge", meta_v3([{"name": "sharding_indexed", "configuration": {
    "chunk_shape": [256], "codecs": [BYTES], "index_codecs": [BYTES]}}],
    shape=[1 << 32], chunks=[1 << 32], dtype="uint8"), "zarr.json.*(inner chunks|index)")
os.makedirs(os.path.join(STORE, "shard_index_huge", "c"), exist_ok=True)
with open(os.path.join(STORE, "shard_index_huge", "c", "0"), "wb") as f:
    f.truncate(16 << 24)  # sparse: no disk used

# ---- damaged chunks ------------------------------------------------------------
plain_array("crc_mismatch", [BYTES, CRC], lambda b: b + struct.pack("<I", crc32c(b)),
            flip, "crc32c|checksum")
plain_array("zstd_garbage", [BYTES, ZSTD], zstd, lambda e: flip(flip(e, 4), 5) + b"junk",
            "zstd")
plain_array("zstd_wrong_size", [BYTES, ZSTD], zstd, lambda e: zstd(b"\1" * 1000),
            "size|bytes")
# A zstd frame whose header claims 100 GB (single segment, 8-byte content
# size) and holds one raw block of 10 bytes.
claim100g = (b"\x28\xb5\x2f\xfd" + bytes([0xE0]) + struct.pack("<Q", 100 * 10**9) +
             bytes([(10 << 3) | 1, 0, 0]) + b"0123456789")
plain_array("zstd_claims_100gb", [BYTES, ZSTD], zstd, lambda e: claim100g, "zstd|size|bytes")
plain_array("gzip_bomb", [BYTES, GZIP], gzip.compress,
            lambda e: gzip.compress(b"\0" * (64 << 20), 9), "gzip|size|bytes|limit")
plain_array("gzip_garbage", [BYTES, GZIP], gzip.compress, lambda e: e[:20] + b"\xff" * 40,
            "gzip|deflate|data|truncated")
plain_array("raw_too_short", [BYTES], lambda b: b, lambda e: e[:100], "bytes|size")
BLOSC = {"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "noshuffle",
                                            "typesize": 2, "blocksize": 0}}
plain_array("blosc_lies_nbytes", [BYTES, BLOSC], blosc_memcpy,
            lambda e: blosc_memcpy(e[16:], nbytes=0x7FFFFFF0), "blosc")
plain_array("blosc_lies_cbytes", [BYTES, BLOSC], blosc_memcpy,
            lambda e: blosc_memcpy(e[16:], cbytes=1 << 30), "blosc")
plain_array("blosc_short", [BYTES, BLOSC], blosc_memcpy, lambda e: e[:10], "blosc")
ZARRAY_LZ4 = {"zarr_format": 2, "shape": [N, N], "chunks": [C, C], "dtype": "<u2",
              "fill_value": 0, "compressor": {"id": "lz4", "acceleration": 1},
              "filters": None, "order": "C"}
plain_array("lz4_lies_length", None, lz4_literals,
            lambda e: lz4_literals(e[4 + 1 + 9:], claim=0x7FFFFFF0), "lz4|size|bytes",
            zarray=ZARRAY_LZ4)
plain_array("lz4_lies_small", None, lz4_literals,
            lambda e: lz4_literals(e[4 + 1 + 9:], claim=100), "lz4|size|bytes",
            zarray=ZARRAY_LZ4)


# ---- damaged shards ------------------------------------------------------------
# uint16 64x64, shards 32x32 of inner chunks 16x16 (bytes only, 512 bytes
# each), index at the end with crc32c: 4 entries, 68 bytes.
def shard_array(name, damage, reason, good_inner=True, start=False):
    vals = values(7)
    root = os.path.join(STORE, name)
    write(os.path.join(root, "zarr.json"), meta_v3([{
        "name": "sharding_indexed", "configuration": {
            "chunk_shape": [16, 16], "codecs": [BYTES], "index_codecs": [BYTES, CRC],
            "index_location": "start" if start else "end"}}]))
    for i in range(2):
        for j in range(2):
            chunks = [region(vals, i * C + a * 16, j * C + b * 16, 16, 16)
                      for a in range(2) for b in range(2)]
            base = 68 if start else 0
            entries = []
            for k, ch in enumerate(chunks):
                entries.append([base + k * 512, 512])
            if (i, j) == (0, 0):
                entries, chunks, extra = damage(entries, chunks)
            else:
                extra = None
            data = b"".join(chunks)
            idx = b"".join(struct.pack("<QQ", o, n) for o, n in entries)
            idx += struct.pack("<I", crc32c(idx))
            shard = idx + data if start else data + idx
            if extra:
                shard = extra(shard)
            write(os.path.join(root, "c/%d/%d" % (i, j)), shard)
    write(os.path.join(EXP, name + ".raw"), raw_of(vals))
    row = (0, 4096, 4096, 4096)
    if good_inner:  # inner chunk (1,0) of shard (0,0): rows 16..31, cols 0..15
        row += (16 * 128, 32)
    cases.append((name, "read", "c/0/0.*(" + reason + ")") + row)


def keep(entries, chunks):
    return entries, chunks, None


shard_array("shard_truncated", lambda e, c: (e, c, lambda s: s[:700]), "crc32c|index|ends",
            good_inner=False)
shard_array("shard_smaller_than_index", lambda e, c: (e, c, lambda s: s[:40]),
            "smaller than its", good_inner=False)
shard_array("shard_empty_file", lambda e, c: (e, c, lambda s: b""), "smaller than its",
            good_inner=False)
shard_array("shard_entry_outside", lambda e, c: ([[10**9, 512]] + e[1:], c, None),
            "outside the shard")
shard_array("shard_entry_wraps", lambda e, c: ([[2**64 - 100, 512]] + e[1:], c, None),
            "outside the shard")
shard_array("shard_entry_in_index", lambda e, c: ([[4 * 512 - 8, 512]] + e[1:], c, None),
            "outside the shard")
shard_array("shard_entry_in_index_start", lambda e, c: ([[10, 512]] + e[1:], c, None),
            "outside the shard", start=True)
shard_array("shard_index_crc", lambda e, c: (e, c, lambda s: s[:-1] + bytes([s[-1] ^ 1])),
            "crc32c|checksum", good_inner=False)
shard_array("shard_entry_too_short", lambda e, c: ([[0, 100]] + e[1:], c, None), "bytes|size")

# ---- symbolic links --------------------------------------------------------------
vals = values(3)
# a chunk file outside the store with the right bytes: must not be read
write(os.path.join(OUTSIDE, "chunk"), region(vals, 0, 0, C, C))
os.makedirs(os.path.join(OUTSIDE, "cdir", "0"), exist_ok=True)
for i in range(2):
    for j in range(2):
        write(os.path.join(OUTSIDE, "cdir", str(i), str(j)), region(vals, i * C, j * C, C, C))


def link_array(name, make, reason, kind="read", good=True):
    root = os.path.join(STORE, name)
    write(os.path.join(root, "zarr.json"), meta_v3([BYTES]))
    for i in range(2):
        for j in range(2):
            write(os.path.join(root, "c/%d/%d" % (i, j)), region(vals, i * C, j * C, C, C))
    make(root)
    write(os.path.join(EXP, name + ".raw"), raw_of(vals))
    if kind == "read":
        cases.append((name, "read", "c/0/0.*(" + reason + ")", 0, 4096) +
                     ((4096, 4096) if good else ()))
    else:
        cases.append((name, kind, reason))


def ln(target, path):
    if os.path.lexists(path):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    os.symlink(target, path)


link_array("link_chunk_abs", lambda r: ln(os.path.abspath(os.path.join(OUTSIDE, "chunk")),
                                          os.path.join(r, "c/0/0")), "symbolic link")
link_array("link_chunk_rel", lambda r: ln("../../../../outside/chunk",
                                          os.path.join(r, "c/0/0")), "symbolic link")
link_array("link_dir_out", lambda r: ln(os.path.abspath(os.path.join(OUTSIDE, "cdir")),
                                        os.path.join(r, "c")), "symbolic link",
           good=False)  # every chunk lies behind the link
link_array("link_proc", lambda r: ln("/proc/self/root/etc/passwd",
                                     os.path.join(r, "c/0/0")), "symbolic link")
# a link that stays inside the store: followed where openat2 is there
link_array("link_inside", lambda r: ln("../../../link_inside_target/c00",
                                       os.path.join(r, "c/0/0")), "", kind="ok")
write(os.path.join(STORE, "link_inside_target", "c00"), region(vals, 0, 0, C, C))
# metadata through a link out of the store
write(os.path.join(OUTSIDE, "meta", "zarr.json"), meta_v3([BYTES]))
os.makedirs(os.path.join(STORE, "link_meta"), exist_ok=True)
ln(os.path.abspath(os.path.join(OUTSIDE, "meta", "zarr.json")),
   os.path.join(STORE, "link_meta", "zarr.json"))
cases.append(("link_meta", "meta", "symbolic link"))
# a whole array folder linked from outside: not walked into
shutil.copytree(os.path.join(STORE, "crc_mismatch"), os.path.join(OUTSIDE, "arr"))
ln(os.path.abspath(os.path.join(OUTSIDE, "arr")), os.path.join(STORE, "link_folder"))
cases.append(("link_folder", "hidden", ""))

# ---- an intact array, the control ----------------------------------------------
plain_array("intact", [BYTES, ZSTD], zstd, lambda e: e, "")
cases[-1] = ("intact", "ok", "")

write(os.path.join(STORE, "zarr.json"),
      json.dumps({"zarr_format": 3, "node_type": "group", "attributes": {}}))
with open(os.path.join(OUT, "cases.tsv"), "w") as f:
    for c in cases:
        f.write("\t".join(str(x) for x in c) + "\n")
print("%d cases in %s" % (len(cases), OUT))
