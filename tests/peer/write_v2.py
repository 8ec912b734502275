#!/usr/bin/python3
"""write_v2.py - writes random Zarr v2 arrays with zarr-python 2 (Debian's
python3-zarr and python3-numcodecs) for tests/sh/v2_peer.sh.

usage: /usr/bin/python3 write_v2.py SEED COUNT OUTDIR

Writes into OUTDIR (which must exist):
  plain.zarr/         a group tree (nested groups, one empty) holding COUNT
                      random arrays, the filter cases (random shapes) and a
                      few edge cases (0-d, zero-size, never written)
  consolidated.zarr/  the same store after zarr.consolidate_metadata()
  expected/NNN.bin    each array's flat content: z[...] in C order, little
                      endian (what zarrfs shows on a little-endian machine)
  manifest.tsv        one line per array: PATH <tab> expected/NNN.bin <tab> WHAT
  tree.txt            the expected `find -printf '%y %p\\n' | sort` listing

The random arrays cycle through every dtype (both byte orders), compressor
(zstd, blosc with several cnames and each shuffle, gzip, zlib, lz4, none),
order, dimension separator and 1..4 dimensions, with edge chunks, chunks
larger than the array, and partly written arrays whose other chunks are never
written (fill_value set).  Everything follows from SEED.
"""
import os
import shutil
import sys

import numcodecs
import numpy as np
import zarr
from numcodecs import (LZ4, BitRound, Blosc, Delta, FixedScaleOffset, GZip,
                       Shuffle, Zlib, Zstd)

SEED = int(sys.argv[1])
COUNT = int(sys.argv[2])
OUT = sys.argv[3]
rng = np.random.default_rng(SEED)

# Every data type, both byte orders where the order matters.
BASE = ["b1", "i1", "u1", "i2", "i4", "i8", "u2", "u4", "u8",
        "f2", "f4", "f8", "c8", "c16"]
DTYPES = []
for b in BASE:
    if np.dtype(b).itemsize == 1:
        DTYPES.append(np.dtype("|" + b))
    else:
        DTYPES += [np.dtype("<" + b), np.dtype(">" + b)]

SHUF = {Blosc.NOSHUFFLE: "noshuf", Blosc.SHUFFLE: "shuf", Blosc.BITSHUFFLE: "bitshuf"}


def compressors():
    """(name, codec) for every compressor zarrfs claims, levels varied."""
    out = [("zstd", Zstd(level=int(rng.integers(1, 10)))),
           ("gzip", GZip(level=int(rng.integers(1, 10)))),
           ("zlib", Zlib(level=int(rng.integers(1, 10)))),
           ("lz4", LZ4(acceleration=int(rng.integers(1, 4)))),
           ("none", None)]
    for cname in ["blosclz", "lz4", "lz4hc", "zlib", "zstd"]:
        for shuffle in SHUF:
            bs = 0 if rng.random() < 0.7 else int(rng.choice([256, 1024, 4096]))
            out.append((f"blosc-{cname}-{SHUF[shuffle]}" + (f"-bs{bs}" if bs else ""),
                        Blosc(cname=cname, clevel=int(rng.integers(1, 10)),
                              shuffle=shuffle, blocksize=bs)))
    return out


def random_values(dt, shape):
    """Values of dtype dt: random, sometimes smooth, with special floats."""
    n = int(np.prod(shape))
    k = dt.kind
    if k == "b":
        v = rng.integers(0, 2, n).astype(bool)
    elif k in "iu":
        info = np.iinfo(dt)
        if rng.random() < 0.5:
            v = rng.integers(info.min, info.max, n, dtype=dt.newbyteorder("="),
                             endpoint=True)
        else:  # small values: compressible
            lo = max(int(info.min), -100)
            v = rng.integers(lo, 100, n).astype(dt.newbyteorder("="))
    elif k == "f":
        if rng.random() < 0.5:
            v = rng.standard_normal(n) * 1000
        else:
            v = np.cumsum(rng.standard_normal(n))
        v = v.astype(dt.newbyteorder("="))
        if n > 8:
            idx = rng.integers(0, n, 4)
            v[idx] = [np.nan, np.inf, -np.inf, -0.0]
    else:  # complex
        v = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 100
        v = v.astype(dt.newbyteorder("="))
        if n > 4:
            v[int(rng.integers(0, n))] = complex(np.nan, 1.0)
    return v.reshape(shape).astype(dt)


def random_fill(dt):
    k = dt.kind
    if k == "b":
        return bool(rng.integers(0, 2))
    if k in "iu":
        info = np.iinfo(dt)
        vals = [0, 1, 42, int(info.max), int(info.min), int(info.max) - 3]
        return vals[int(rng.integers(0, len(vals)))]
    if k == "f":
        return float(rng.choice([0.0, 1.5, -2.25, np.nan, np.inf, -np.inf]))
    return complex(rng.choice([0, 1.5 - 2j, -3 + 0.5j]))


def random_shape(ndim):
    """A shape of ndim dims and chunks: edge chunks, sometimes a chunk larger
    than the array; at most ~20000 elements and ~150 chunks."""
    limit = {1: 6000, 2: 120, 3: 28, 4: 12}[ndim]
    shape = [int(rng.integers(1, limit + 1)) for _ in range(ndim)]
    chunks = []
    for s in shape:
        r = rng.random()
        if r < 0.15:
            chunks.append(s + int(rng.integers(1, 20)))  # larger than the array
        elif r < 0.25:
            chunks.append(s)
        else:
            chunks.append(int(rng.integers(max(1, s // 6), s + 1)))
    return shape, chunks


def partial_write(z, data):
    """Writes one or two random boxes of data into z (the rest stays fill)."""
    for _ in range(int(rng.integers(1, 3))):
        sl = []
        for s in z.shape:
            a = int(rng.integers(0, s))
            b = int(rng.integers(a + 1, s + 1))
            sl.append(slice(a, b))
        z[tuple(sl)] = data[tuple(sl)]


GROUPS = ["g1", "g1/g2", "g1/g2/g3", "h", "h/empty"]
ARRAY_GROUPS = ["", "g1", "g1/g2", "g1/g2/g3", "h"]

plain = os.path.join(OUT, "plain.zarr")
os.makedirs(os.path.join(OUT, "expected"))
store = zarr.DirectoryStore(plain)
root = zarr.group(store=store, overwrite=True)
for g in GROUPS:
    root.require_group(g)
root.attrs["seed"] = SEED
manifest = []


def add(name, dt, shape, chunks, compressor, filters=None, order="C", sep=".",
        fill=0, data=None, partial=False, write_empty=True, what="",
        write=True):
    i = len(manifest)
    path = "/".join(p for p in [ARRAY_GROUPS[i % len(ARRAY_GROUPS)],
                                f"a{i:03d}_{name}"] if p)
    z = zarr.create(shape=shape, chunks=chunks, dtype=dt, compressor=compressor,
                    filters=filters, order=order, fill_value=fill, store=store,
                    path=path, dimension_separator=sep,
                    write_empty_chunks=write_empty)
    if data is None:
        data = random_values(dt, shape)
    if not write:
        pass  # every chunk is never written: all fill_value
    elif partial:
        partial_write(z, data)
    else:
        z[...] = data
    if i % 7 == 0:
        z.attrs["units"] = "K"
    got = z[...]
    assert got.dtype == dt, (got.dtype, dt)
    flat = np.ascontiguousarray(got.astype(got.dtype.newbyteorder("<"))).tobytes(order="C")
    exp = f"expected/{i:03d}.bin"
    with open(os.path.join(OUT, exp), "wb") as f:
        f.write(flat)
    desc = (f"{dt.str} shape={shape} chunks={chunks} order={order} sep='{sep}' "
            f"compressor={compressor!r} filters={filters!r} fill={fill!r}"
            + (" partial" if partial else "") + ("" if write else " unwritten")
            + (f" {what}" if what else ""))
    manifest.append((path, exp, desc.replace("\t", " ").replace("\n", " ")))


# ---- random arrays: cycle through dtypes and compressors --------------------
comps = compressors()
shift = int(rng.integers(0, len(comps)))  # which dtype meets which compressor
for i in range(COUNT):
    dt = DTYPES[i % len(DTYPES)]
    cname, comp = comps[(i * 7 + shift) % len(comps)]
    ndim = 1 + i % 4
    shape, chunks = random_shape(ndim)
    partial = rng.random() < 0.35
    fill = random_fill(dt) if (partial or rng.random() < 0.3) else 0
    order = "F" if rng.random() < 0.4 else "C"
    sep = "/" if rng.random() < 0.4 else "."
    dname = dt.str.replace("<", "").replace(">", "").replace("|", "") + \
        ("be" if dt.str[0] == ">" else "")
    add(f"{dname}_{cname}", dt, shape, chunks, comp, order=order, sep=sep,
        fill=fill, partial=partial, write_empty=rng.random() < 0.5)

# ---- filters, with sensible parameters --------------------------------------
def ramp(dt, shape, step=3):
    n = int(np.prod(shape))
    v = np.cumsum(rng.integers(-step, step + 1, n)) + 1000
    return v.astype(dt.newbyteorder("=")).reshape(shape).astype(dt)


def full(dt, shape):
    """Integers over the type's whole range: differences wrap around."""
    info = np.iinfo(dt)
    v = rng.integers(info.min, info.max, int(np.prod(shape)),
                     dtype=dt.newbyteorder("="), endpoint=True)
    return v.reshape(shape).astype(dt)


def smooth(dt, shape, lo=0.0, hi=50.0):
    n = int(np.prod(shape))
    v = lo + (hi - lo) * (0.5 + 0.5 * np.sin(np.arange(n) / 17.0)) + \
        rng.standard_normal(n) * 0.01
    return np.clip(v, lo, hi).astype(dt.newbyteorder("=")).reshape(shape).astype(dt)


D = np.dtype
cases = []
for dts in ["<i4", ">i2", "<u8", "|u1", ">i8"]:
    dt = D(dts)
    cases.append((f"delta_{dt.str[1:]}", dt, Delta(dtype=dt.str), Zstd(3), {}))
cases += [
    ("delta_i8_full", D("<i8"), Delta(dtype="<i8"), Zstd(1), {"data": "full"}),
    ("delta_i8_as_i2", D("<i8"), Delta(dtype="<i8", astype="<i2"), GZip(5), {}),
    ("delta_f4", D("<f4"), Delta(dtype="<f4"), None, {"data": "smooth"}),
    ("delta_i4_F", D("<i4"), Delta(dtype="<i4"), Zlib(1), {"order": "F"}),
    ("shuffle_f8", D("<f8"), Shuffle(elementsize=8), Zstd(1), {"data": "smooth"}),
    ("shuffle_i4be", D(">i4"), Shuffle(elementsize=4), GZip(6), {}),
    ("shuffle_u2_F", D("<u2"), Shuffle(elementsize=2), LZ4(), {"order": "F"}),
    ("bitround_f4", D("<f4"), BitRound(keepbits=10), Zstd(5), {"data": "smooth"}),
    ("bitround_f8", D("<f8"), BitRound(keepbits=23),
     Blosc("lz4", 5, Blosc.SHUFFLE), {"data": "smooth"}),
    ("bitround_f2", D("<f2"), BitRound(keepbits=4), Zlib(6), {"data": "smooth"}),
    ("fso_f8_u2", D("<f8"), FixedScaleOffset(offset=10, scale=100, dtype="<f8",
                                             astype="<u2"), Zstd(3),
     {"data": "smooth"}),
    ("fso_f4be_i4", D(">f4"), FixedScaleOffset(offset=-5, scale=1000, dtype=">f4",
                                               astype=">i4"), GZip(1),
     {"data": "smooth"}),
    ("fso_f8_u1", D("<f8"), FixedScaleOffset(offset=0, scale=5, dtype="<f8",
                                             astype="u1"), None,
     {"data": "smooth"}),
    ("fso_i4_i1", D("<i4"), FixedScaleOffset(offset=1000, scale=1, dtype="<i4",
                                             astype="i1"), Zlib(9),
     {"data": "ramp"}),
]
chains = [
    ("delta_shuffle_i8", D("<i8"), [Delta(dtype="<i8"), Shuffle(elementsize=8)],
     Blosc("zstd", 3, Blosc.NOSHUFFLE), {}),
    ("fso_delta_f8", D("<f8"),
     [FixedScaleOffset(offset=0, scale=10, dtype="<f8", astype="<i2"),
      Delta(dtype="<i2")], Zstd(3), {"data": "smooth"}),
    ("bitround_shuffle_f4_F", D("<f4"),
     [BitRound(keepbits=12), Shuffle(elementsize=4)],
     Blosc("blosclz", 5, Blosc.BITSHUFFLE), {"data": "smooth", "order": "F"}),
]
for name, dt, filt, comp, opt in cases + chains:
    ndim = int(rng.integers(1, 4))
    shape, chunks = random_shape(ndim)
    kind = opt.get("data", "ramp" if dt.kind in "iu" else "smooth")
    data = {"ramp": ramp, "smooth": smooth, "full": full}[kind](dt, shape)
    partial = rng.random() < 0.3
    add(name, dt, shape, chunks, comp, filters=filt if isinstance(filt, list) else [filt],
        order=opt.get("order", "C"), sep="/" if rng.random() < 0.4 else ".",
        fill=0, data=data, partial=partial, what="filters case")

# ---- edge cases: 0-d, zero-size, nothing written --------------------------
add("scalar_f8be", D(">f8"), (), (), Zstd(3))
add("scalar_i2_unwritten", D("<i2"), (), (), None, fill=-7, write=False)
add("empty_i4", D("<i4"), (0, 5), (3, 5), Zlib(1))
add("empty_u2be_F", D(">u2"), (4, 0, 3), (2, 2, 2), GZip(1), order="F")
add("unwritten_f8_nan", D("<f8"), (10, 7), (3, 4), Zstd(1), fill=float("nan"),
    write=False)
add("unwritten_f2be_inf", D(">f2"), (9,), (4,), None, fill=float("-inf"),
    write=False)
# (No NaN in complex fill values: zarr-python builds them with complex
# arithmetic, whose NaN's sign bit is an accident of the FPU.)
add("unwritten_c8_fill", D("<c8"), (5, 3), (2, 2), LZ4(), fill=complex(1.5, -2.5),
    write=False)

with open(os.path.join(OUT, "manifest.tsv"), "w") as f:
    for row in manifest:
        f.write("\t".join(row) + "\n")

# The listing a mount of the store shows: groups are directories, arrays files.
tree = sorted([f"d ./{g}" for g in GROUPS] + [f"f ./{p}" for p, _, _ in manifest])
with open(os.path.join(OUT, "tree.txt"), "w") as f:
    f.write("\n".join(tree) + "\n")

cons = os.path.join(OUT, "consolidated.zarr")
shutil.copytree(plain, cons)
zarr.consolidate_metadata(zarr.DirectoryStore(cons))
zarr.open_consolidated(zarr.DirectoryStore(cons))  # it reads back
print(f"wrote {len(manifest)} arrays (zarr {zarr.__version__}, numcodecs "
      f"{numcodecs.__version__}, numpy {np.__version__})")
