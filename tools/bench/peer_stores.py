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
Chunks and shards are min(256, N) and inner chunks min(64, N), so a small
N (ZF_PEERS_N) keeps the layout.
"""
import sys

import numpy as np
import tensorstore as ts

BYTES = {"name": "bytes", "configuration": {"endian": "little"}}
ZSTD = {"name": "zstd", "configuration": {"level": 0, "checksum": False}}


def spec(path, n, chunk, codecs):
    return {
        "driver": "zarr3",
        "kvstore": {"driver": "file", "path": path},
        "metadata": {
            "shape": [n, n, n],
            "data_type": "uint16",
            "chunk_grid": {"name": "regular",
                           "configuration": {"chunk_shape": [chunk] * 3}},
            "chunk_key_encoding": {"name": "default"},
            "fill_value": 0,
            "codecs": codecs,
        },
        "create": True,
        "delete_existing": True,
    }


def main():
    raw, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    chunk, inner = min(256, n), min(64, n)
    data = np.memmap(raw, dtype="<u2", mode="r", shape=(n, n, n))
    shard = {"name": "sharding_indexed", "configuration": {
        "chunk_shape": [inner] * 3, "codecs": [BYTES, ZSTD],
        "index_codecs": [BYTES, {"name": "crc32c"}], "index_location": "end"}}
    for name, codecs in (("raw", [BYTES]), ("zstd", [BYTES, ZSTD]),
                         ("shard", [shard])):
        arr = ts.open(spec(f"{out}/{name}.zarr", n, chunk, codecs)).result()
        # a slab of chunks at a time: the whole array need not be in memory
        for z in range(0, n, chunk):
            arr[z:z + chunk].write(np.ascontiguousarray(data[z:z + chunk])).result()


main()
