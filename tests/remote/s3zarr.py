"""s3zarr.py - Zarr arrays written straight to an S3 server by the peers
(run with the peers' Python, tools/install-peers.sh), for the remote tests.
Endpoint and keys come from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY (region us-east-1).

  s3zarr.py zarr BUCKET PREFIX RAW   zarr-python 3 through obstore's S3Store:
                                     a group PREFIX with arrays "sharded"
                                     (uint16 96x80, shards 48x40 of 16x20
                                     zstd chunks) and "plain" (float32 30x7,
                                     5x7 chunks, a fill value, one chunk never
                                     written); RAW.sharded and RAW.plain get
                                     their C-order bytes
  s3zarr.py ts BUCKET PREFIX RAW     tensorstore's S3 kvstore: a zarr v3
                                     array PREFIX (int32 64x64, shards 32x64
                                     of 8x8 chunks); RAW gets its bytes
"""

import os
import sys

import numpy as np


def zarr_python(bucket, prefix, raw):
    import obstore.store
    import zarr
    import zarr.storage

    s3 = obstore.store.S3Store(
        bucket, endpoint=os.environ["AWS_ENDPOINT_URL"], region="us-east-1",
        access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        client_options={"allow_http": True})
    store = zarr.storage.ObjectStore(s3)
    root = zarr.open_group(store=store, path=prefix, mode="w", zarr_format=3)
    a = np.arange(96 * 80, dtype="<u2").reshape(96, 80) * 7
    z = root.create_array("sharded", shape=a.shape, dtype=a.dtype,
                          chunks=(16, 20), shards=(48, 40),
                          compressors=zarr.codecs.ZstdCodec(level=3))
    z[...] = a
    a.tofile(raw + ".sharded")
    p = np.full((30, 7), -1.5, dtype="<f4")
    p[:25] = np.arange(25 * 7, dtype="<f4").reshape(25, 7) / 4
    zp = root.create_array("plain", shape=p.shape, dtype=p.dtype, chunks=(5, 7),
                           fill_value=-1.5, compressors=None)
    zp[:25] = p[:25]
    p.tofile(raw + ".plain")


def tensorstore(bucket, prefix, raw):
    import tensorstore as ts

    spec = {
        "driver": "zarr3",
        "kvstore": {"driver": "s3", "bucket": bucket, "path": prefix + "/",
                    "endpoint": os.environ["AWS_ENDPOINT_URL"],
                    "aws_region": "us-east-1"},
        "metadata": {
            "shape": [64, 64], "data_type": "int32",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [32, 64]}},
            "codecs": [{"name": "sharding_indexed", "configuration": {
                "chunk_shape": [8, 8],
                "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                           {"name": "zstd", "configuration": {"level": 1}}],
                "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                                 {"name": "crc32c"}]}}],
        },
        "create": True, "delete_existing": True,
    }
    a = (np.arange(64 * 64, dtype="<i4").reshape(64, 64) - 1000) * 3
    t = ts.open(spec).result()
    t[...] = a
    a.tofile(raw)


if __name__ == "__main__":
    {"zarr": zarr_python, "ts": tensorstore}[sys.argv[1]](*sys.argv[2:5])
