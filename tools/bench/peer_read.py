"""peer_read.py - the Python readers of tools/bench/peers.sh, run by the
peers' Python ($ZF_PEER_PY): each reads with its own API and prints the
seconds that took inside this process (open to the last byte; imports
excluded), then the bytes it read.

usage: peer_read.py READER STORE PATTERN [--sha256] [--verify RAW]
  READER   tensorstore       tensorstore's zarr3 driver
           zarr              zarr-python 3, its default codec pipeline
           zarr-zarrs        zarr-python 3 with the zarrs codec pipeline
           gdal              GDAL's Zarr driver (v2 stores: GDAL 3.6 reads
                             no v3 sharding), its multidimensional API;
                             run by the system's Python (python3-gdal),
                             not the peers'
           memmap            zarrfs's flat file (STORE is the file; SHAPE
                             and the dtype are given as memmap:SHAPE:DTYPE,
                             e.g. memmap:1024,1024,1024:<u2): numpy.memmap
                             copied into one array
  PATTERN  all               the whole array into one numpy array
           box:B0,B1,...     box by box (e.g. box:256,256,256; edge boxes
                             clipped), all boxes asked for at once through
                             the library's asynchronous API, each result
                             dropped when it arrives
           cols:A:B          a[:, A:B] of a 2-d array (the day query)
STORE is a folder, or s3://BUCKET/PREFIX of a public bucket on the server
at $AWS_ENDPOINT_URL (plain HTTP, path-style, unsigned): tensorstore through
its s3 kvstore, zarr-python 3 through obstore, GDAL through /vsis3/
(tools/bench/remote.sh's latency mode).
With --sha256 (all, cols) the sha256 of the result (C order) follows,
computed after the timing.  With --verify RAW (box) each box is compared
with the same box of RAW, the array's raw bytes (C order, the array's
dtype), as it arrives: a check, its time not meaningful; "verified"
follows, or the reader exits 1 naming the box.
"""
import asyncio
import hashlib
import itertools
import os
import sys
import time

import numpy as np


def boxes(shape, box):
    ranges = [range(0, n, b) for n, b in zip(shape, box)]
    for lo in itertools.product(*ranges):
        yield tuple(slice(a, min(a + b, n)) for a, n, b in zip(lo, shape, box))


def sel_of(shape, pattern):
    if pattern == "all":
        return tuple(slice(0, n) for n in shape)
    _, a, b = pattern.split(":")
    return (slice(None), slice(int(a), int(b)))


class Check:
    """--verify RAW: compares each box with RAW's (None: no check)."""
    def __init__(self, raw, shape, dtype):
        self.raw = None if raw is None else np.memmap(raw, dtype=dtype, mode="r", shape=shape)

    def __call__(self, sel, got):
        got = np.asarray(got)
        if self.raw is not None and not np.array_equal(got, self.raw[sel]):
            print(f"peer_read.py: box {sel} differs from the raw array", file=sys.stderr)
            os._exit(1)  # at once: the other reads in flight need not finish
        return got.nbytes


async def gather_sizes(reads, check):
    """Runs the reads (selection, coroutine) at once; keeps only their
    sizes (each result checked first with --verify)."""
    async def one(sel, c):
        return check(sel, await c)
    return sum(await asyncio.gather(*(one(s, c) for s, c in reads)))


def s3_parts(store):
    """s3://BUCKET/PREFIX: (bucket, prefix, endpoint); None for a folder."""
    if not store.startswith("s3://"):
        return None
    bucket, _, prefix = store[5:].partition("/")
    return bucket, prefix.strip("/"), os.environ["AWS_ENDPOINT_URL"]


def ts_kvstore(store):
    s3 = s3_parts(store)
    if s3 is None:
        return {"driver": "file", "path": store}
    bucket, prefix, ep = s3
    return {"driver": "s3", "bucket": bucket, "path": prefix + "/",
            "endpoint": ep, "aws_region": "us-east-1",
            "aws_credentials": {"type": "anonymous"}}


def zarr_store(store):
    s3 = s3_parts(store)
    if s3 is None:
        return store
    import obstore.store
    import zarr.storage
    bucket, prefix, ep = s3
    o = obstore.store.S3Store(bucket, prefix=prefix, endpoint=ep, region="us-east-1",
                              skip_signature=True, virtual_hosted_style_request=False,
                              client_options={"allow_http": True})
    return zarr.storage.ObjectStore(o, read_only=True)


def run_tensorstore(store, pattern, raw):
    import tensorstore as ts
    t0 = time.perf_counter()
    a = ts.open({"driver": "zarr3", "kvstore": ts_kvstore(store),
                 "open": True}, read=True).result()
    if pattern.startswith("box:"):
        box = [int(x) for x in pattern[4:].split(",")]
        check = Check(raw, a.shape, a.dtype.numpy_dtype)
        async def read(s):
            return await a[s].read()
        n = asyncio.run(gather_sizes(((s, read(s)) for s in boxes(a.shape, box)), check))
        return time.perf_counter() - t0, n, None
    out = a[sel_of(a.shape, pattern)].read().result()
    return time.perf_counter() - t0, out.nbytes, out


def run_zarr(store, pattern, zarrs, raw):
    import zarr
    if zarrs:
        import zarrs as _  # noqa: F401  (registers the pipeline)
        zarr.config.set({"codec_pipeline.path": "zarrs.ZarrsCodecPipeline"})
    t0 = time.perf_counter()
    store = zarr_store(store)
    if pattern.startswith("box:"):
        box = [int(x) for x in pattern[4:].split(",")]
        async def go():
            a = await zarr.api.asynchronous.open_array(store=store, mode="r")
            check = Check(raw, a.shape, a.dtype)
            return await gather_sizes(((s, a.getitem(s)) for s in boxes(a.shape, box)), check)
        n = asyncio.run(go())
        return time.perf_counter() - t0, n, None
    a = zarr.open_array(store=store, mode="r")
    out = a[sel_of(a.shape, pattern)]
    return time.perf_counter() - t0, out.nbytes, out


def run_gdal(store, pattern):
    from osgeo import gdal
    gdal.UseExceptions()
    s3 = s3_parts(store)
    if s3 is not None:
        bucket, prefix, ep = s3
        for k, v in (("AWS_S3_ENDPOINT", ep.split("://", 1)[-1]), ("AWS_HTTPS", "NO"),
                     ("AWS_VIRTUAL_HOSTING", "FALSE"), ("AWS_NO_SIGN_REQUEST", "YES"),
                     ("AWS_REGION", "us-east-1"),
                     # the keys are known (.zarray, chunks): no listing on open
                     ("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR")):
            gdal.SetConfigOption(k, v)
        store = f"/vsis3/{bucket}/{prefix}"
    t0 = time.perf_counter()
    ds = gdal.OpenEx(store, gdal.OF_MULTIDIM_RASTER)
    rg = ds.GetRootGroup()
    a = rg.OpenMDArray(rg.GetMDArrayNames()[0])  # a root array: the only one
    shape = [d.GetSize() for d in a.GetDimensions()]
    sel = sel_of(shape, pattern)
    start = [s.start or 0 for s in sel]
    count = [(s.stop if s.stop is not None else n) - b for s, n, b in zip(sel, shape, start)]
    out = a.ReadAsArray(array_start_idx=start, count=count)
    return time.perf_counter() - t0, out.nbytes, out


def run_memmap(path, spec, pattern):
    _, shape, dtype = spec.split(":")
    shape = tuple(int(x) for x in shape.split(","))
    t0 = time.perf_counter()
    m = np.memmap(path, dtype=dtype, mode="r", shape=shape)
    out = np.array(m[sel_of(shape, pattern)], copy=True)
    return time.perf_counter() - t0, out.nbytes, out


def main():
    reader, store, pattern = sys.argv[1:4]
    flags = sys.argv[4:]
    raw = flags[flags.index("--verify") + 1] if "--verify" in flags else None
    if reader == "tensorstore":
        secs, n, out = run_tensorstore(store, pattern, raw)
    elif reader in ("zarr", "zarr-zarrs"):
        secs, n, out = run_zarr(store, pattern, reader == "zarr-zarrs", raw)
    elif reader == "gdal":
        secs, n, out = run_gdal(store, pattern)
    elif reader.startswith("memmap:"):
        secs, n, out = run_memmap(store, reader, pattern)
    else:
        sys.exit(f"peer_read.py: unknown reader {reader}")
    line = f"{secs:.4f} {n}"
    if "--sha256" in flags and out is not None:
        # hashed in place (no copy: the peak RSS stays the reader's own)
        line += " " + hashlib.sha256(np.ascontiguousarray(out).data).hexdigest()
    if raw is not None and pattern.startswith("box:"):
        line += " verified"
    print(line)


main()
