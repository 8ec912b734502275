#!/usr/bin/python3
"""tick_archive.py - writes the partial-query benchmark's archive, a sharded
Zarr v3 array made from the specification with numpy and zstandard (not by
zarrfs), and the small arrays of its large-chunk rows.

usage:
  tick_archive.py ticks STORE [SYMBOLS DAYS [DAY]]
      float64 [SYMBOLS, DAYS * DAY] (default 64 x 8 x 86400: 354 MB), a
      price per symbol and second (a random walk in cents that holds still
      for a few seconds at a time); inner chunks (1, DAY) - one day of one
      symbol - in shards (1, DAYS * DAY); codecs bytes (little) + zstd
      level 3; the shard index (bytes, no checksum) at the end.  With
      RAW=PATH in the environment, also writes the flat array there.
  tick_archive.py big STORE [ROWS COLS CHUNK_ROWS]
      float64 [ROWS, COLS] (default 8192 x 8192: 512 MiB) in unsharded
      chunks of (CHUNK_ROWS, COLS) (default 1024: 64 MiB each), bytes + zstd
      level 1.  RAW=PATH: as above.
Prints the store's size in bytes.  Deterministic (seeded).
"""
import json
import os
import struct
import sys

import numpy as np
import zstandard

DAY = 86400


def meta(shape, chunk, codecs):
    return {
        "zarr_format": 3, "node_type": "array", "shape": shape,
        "data_type": "float64",
        "chunk_grid": {"name": "regular",
                       "configuration": {"chunk_shape": chunk}},
        "chunk_key_encoding": {"name": "default",
                               "configuration": {"separator": "/"}},
        "fill_value": 0.0, "codecs": codecs, "attributes": {},
    }


def prices(rng, n):
    """A walk in cents that moves on about a fifth of the seconds."""
    moves = rng.integers(-3, 4, n) * (rng.random(n) < 0.2)
    return 100.0 + np.cumsum(moves) / 100.0


def write_json(store, doc):
    os.makedirs(store, exist_ok=True)
    with open(os.path.join(store, "zarr.json"), "w") as f:
        json.dump(doc, f, indent=1)


def ticks(store, symbols=64, days=8, day=DAY):
    inner = [{"name": "bytes", "configuration": {"endian": "little"}},
             {"name": "zstd", "configuration": {"level": 3, "checksum": False}}]
    shard = {"name": "sharding_indexed", "configuration": {
        "chunk_shape": [1, day], "codecs": inner,
        "index_codecs": [{"name": "bytes",
                          "configuration": {"endian": "little"}}],
        "index_location": "end"}}
    write_json(store, meta([symbols, days * day], [1, days * day], [shard]))
    cctx = zstandard.ZstdCompressor(level=3)
    rng = np.random.default_rng(17)
    raw = open(os.environ["RAW"], "wb") if os.environ.get("RAW") else None
    for s in range(symbols):
        row = prices(rng, days * day).astype("<f8")
        if raw:
            raw.write(row.tobytes())
        body, index = bytearray(), []
        for d in range(days):
            frame = cctx.compress(row[d * day:(d + 1) * day].tobytes())
            index.append((len(body), len(frame)))
            body += frame
        body += b"".join(struct.pack("<QQ", o, n) for o, n in index)
        os.makedirs(os.path.join(store, "c", str(s)), exist_ok=True)
        with open(os.path.join(store, "c", str(s), "0"), "wb") as f:
            f.write(body)


def big(store, rows=8192, cols=8192, chunk_rows=1024):
    raw = open(os.environ["RAW"], "wb") if os.environ.get("RAW") else None
    codecs = [{"name": "bytes", "configuration": {"endian": "little"}},
              {"name": "zstd", "configuration": {"level": 1, "checksum": False}}]
    write_json(store, meta([rows, cols], [chunk_rows, cols], codecs))
    cctx = zstandard.ZstdCompressor(level=1)
    rng = np.random.default_rng(5)
    for i in range(rows // chunk_rows):
        block = np.stack([prices(rng, cols) for _ in range(chunk_rows)])
        if raw:
            raw.write(block.astype("<f8").tobytes())
        os.makedirs(os.path.join(store, "c", str(i)), exist_ok=True)
        with open(os.path.join(store, "c", str(i), "0"), "wb") as f:
            f.write(cctx.compress(block.astype("<f8").tobytes()))


def size(store):
    return sum(os.path.getsize(os.path.join(d, f))
               for d, _, fs in os.walk(store) for f in fs)


if __name__ == "__main__":
    kind, store, *nums = sys.argv[1:]
    {"ticks": ticks, "big": big}[kind](store, *map(int, nums))
    print(size(store))
