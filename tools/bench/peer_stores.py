"""peer_stores.py - writes the stores of tools/bench/peers.sh with tensorstore
(not zarrfs), run by the peers' Python ($ZF_PEER_PY).

usage: peer_stores.py RAW N OUT
  RAW  an N x N x N uint16 array, C order, little endian (zf-gen-field)
  OUT  gets three Zarr v3 root arrays of it, each with the same data:
       raw.zarr    chunks 256^3, bytes only (uncompressed)
       zstd.zarr   chunks 256^3, bytes + zstd level 0 (zstd's default)
       shard.zarr  shards 256^3 of inner chunks 64^3, bytes + zstd level 0
                   (the index: tensorstore's default, bytes + crc32c, at
                   the end)
       and the tick archive of tools/bench/partial_query.sh, the same
       layout and values as tools/bench/tick_archive.py writes from the
       spec, here written by tensorstore:
       ticks.zarr  float64 [64 symbols, 8 days of seconds], inner chunks
                   (1, 86400) - one day of one symbol - in shards (1,
                   691200), bytes + zstd level 3, the index (bytes) at the
                   end
       ticks.day.sha256  the sha256 of a[:, day 3] (C order, little
                   endian), the bytes every reader's day query must give
Chunks and shards are min(256, N) and inner chunks min(64, N), so a small
N (ZF_PEERS_N) keeps the layout.
"""
import hashlib
import sys

import numpy as np
import tensorstore as ts

BYTES = {"name": "bytes", "configuration": {"endian": "little"}}
ZSTD = {"name": "zstd", "configuration": {"level": 0, "checksum": False}}
SYMBOLS, DAYS, DAY, QDAY = 64, 8, 86400, 3


def spec(path, shape, dtype, chunk, codecs, fill=0):
    return {
        "driver": "zarr3",
        "kvstore": {"driver": "file", "path": path},
        "metadata": {
            "shape": shape,
            "data_type": dtype,
            "chunk_grid": {"name": "regular",
                           "configuration": {"chunk_shape": chunk}},
            "chunk_key_encoding": {"name": "default"},
            "fill_value": fill,
            "codecs": codecs,
        },
        "create": True,
        "delete_existing": True,
    }


def prices(rng, n):
    """tick_archive.py's walk in cents that moves on about a fifth of the
    seconds (the same generator and seed, so the same values)."""
    moves = rng.integers(-3, 4, n) * (rng.random(n) < 0.2)
    return 100.0 + np.cumsum(moves) / 100.0


def ticks(out):
    n = DAYS * DAY
    shard = {"name": "sharding_indexed", "configuration": {
        "chunk_shape": [1, DAY],
        "codecs": [BYTES, {"name": "zstd", "configuration": {"level": 3, "checksum": False}}],
        "index_codecs": [BYTES], "index_location": "end"}}
    arr = ts.open(spec(f"{out}/ticks.zarr", [SYMBOLS, n], "float64", [1, n], [shard],
                       0.0)).result()
    rng = np.random.default_rng(17)
    day = hashlib.sha256()
    for s in range(SYMBOLS):
        row = prices(rng, n).astype("<f8")
        arr[s].write(row).result()
        day.update(row[QDAY * DAY:(QDAY + 1) * DAY].tobytes())
    with open(f"{out}/ticks.day.sha256", "w") as f:
        print(day.hexdigest(), file=f)


def main():
    raw, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    chunk, inner = min(256, n), min(64, n)
    data = np.memmap(raw, dtype="<u2", mode="r", shape=(n, n, n))
    shard = {"name": "sharding_indexed", "configuration": {
        "chunk_shape": [inner] * 3, "codecs": [BYTES, ZSTD],
        "index_codecs": [BYTES, {"name": "crc32c"}], "index_location": "end"}}
    for name, codecs in (("raw", [BYTES]), ("zstd", [BYTES, ZSTD]),
                         ("shard", [shard])):
        arr = ts.open(spec(f"{out}/{name}.zarr", [n] * 3, "uint16", [chunk] * 3,
                           codecs)).result()
        # a slab of chunks at a time: the whole array need not be in memory
        for z in range(0, n, chunk):
            arr[z:z + chunk].write(np.ascontiguousarray(data[z:z + chunk])).result()
    ticks(out)


main()
