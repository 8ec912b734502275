"""v2_copy.py - a Zarr v2 copy of a Zarr v3 array, for the readers that read
v2 only (GDAL 3.6: tools/bench/remote_latency.bash).  Written by
tensorstore (its zarr3 driver reads, its zarr driver writes), not by zarrfs,
run by the peers' Python ($ZF_PEER_PY).

usage: v2_copy.py SRC DST CHUNKS
  SRC     a folder holding a Zarr v3 root array
  DST     a new folder (replaced if it exists): the same shape, data type
          and values as a v2 root array, chunks CHUNKS (e.g. 256,256,256),
          compressor zstd level 3, order C, fill value 0
Copies one slab of chunks (CHUNKS[0] along the first axis) at a time, so the
array need not fit in memory.
"""
import sys

import tensorstore as ts


def main():
    src_path, dst_path, chunks = sys.argv[1], sys.argv[2], sys.argv[3]
    chunks = [int(c) for c in chunks.split(",")]
    src = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": src_path},
                   "open": True}, read=True).result()
    dst = ts.open({
        "driver": "zarr",
        "kvstore": {"driver": "file", "path": dst_path},
        "metadata": {"shape": list(src.shape), "chunks": chunks,
                     "dtype": src.dtype.numpy_dtype.str, "order": "C",
                     "compressor": {"id": "zstd", "level": 3},
                     "fill_value": 0, "filters": None},
        "create": True, "delete_existing": True,
    }).result()
    step, n = chunks[0], src.shape[0]
    for z in range(0, n, step):
        end = min(z + step, n)  # tensorstore refuses slices past the end
        dst[z:end].write(src[z:end].read().result()).result()


main()
