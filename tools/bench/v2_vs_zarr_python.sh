#!/usr/bin/env bash
# v2_vs_zarr_python.sh - benchmark (not a test): reading a whole Zarr v2 array
# with zarr-python 2 in-process versus zarrfs-cat as a whole process.
#
# The data: 512x512x512 uint16 (256 MiB), a smooth field plus noise from a
# fixed seed, written by Debian's zarr-python 2 (python3-zarr, installed by
# tools/install-deps.sh) as a v2 array with zstd (level 1) and 64^3 chunks.
# Timed, each the median of 5 runs after the store was written (so it is in
# the page cache for both):
#   zarr-python: z[...] inside one Python process (open excluded);
#   zarrfs-cat:  the whole process, `zarrfs-cat STORE > /dev/null`.
# zarrfs-cat's bytes are checked once against numpy's (sha256).
#
# usage: tools/bench/v2_vs_zarr_python.sh [BIN]   (BIN: the build's bin
# folder; default $ZF_BIN or build/bin).  Temporary files go under $TMPDIR.
set -euo pipefail
BIN=${1:-${ZF_BIN:-build/bin}}
CAT=$BIN/zarrfs-cat
PY=/usr/bin/python3
RUNS=5
[ -x "$CAT" ] || { echo "no $CAT: build first (or pass the bin folder)" >&2; exit 1; }
"$PY" -c 'import zarr, numcodecs, numpy' 2>/dev/null ||
    { echo "$PY lacks zarr-python: run tools/install-deps.sh as root" >&2; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/zf_bench_v2.XXXXXX")
trap 'rm -rf "$W"' EXIT
S=$W/field.zarr

# py MODE: write (the store; prints the sha256 of the C-order LE bytes) or
# read (prints the median seconds of z[...]).
py() {
    "$PY" - "$1" "$S" "$RUNS" <<'EOF'
import hashlib, statistics, sys, time
import numpy as np
import zarr
from numcodecs import Zstd

mode, store, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
N, C = 512, 64
if mode == "write":
    z = zarr.open_array(store, mode="w", shape=(N, N, N), chunks=(C, C, C),
                        dtype="<u2", compressor=Zstd(level=1), fill_value=0)
    rng = np.random.default_rng(20240601)
    y = np.arange(N, dtype=np.float32)[:, None]
    x = np.arange(N, dtype=np.float32)[None, :]
    sha = hashlib.sha256()
    for k0 in range(0, N, C):          # one slab of chunks at a time
        k = np.arange(k0, k0 + C, dtype=np.float32)[:, None, None]
        f = (30000 + 12000 * np.sin(k / 41.0) * np.cos(y / 57.0)
             + 9000 * np.sin((x + k) / 73.0) + 4000 * np.cos((x - y) / 31.0))
        f = f + rng.normal(0, 40, size=(C, N, N)).astype(np.float32)
        slab = np.clip(f, 0, 65535).astype("<u2")
        z[k0:k0 + C] = slab
        sha.update(slab.tobytes(order="C"))
    print(sha.hexdigest())
else:
    z = zarr.open_array(store, mode="r")
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        a = z[...]
        times.append(time.perf_counter() - t0)
        assert a.shape == (N, N, N)
        del a
    print(f"{statistics.median(times):.4f} {min(times):.4f}")
EOF
}

echo "writing 512x512x512 uint16 (256 MiB) with zarr-python $("$PY" -c 'import zarr; print(zarr.__version__)') ..."
want=$(py write)
echo "store: $(du -sh "$S" | cut -f1) in $(find "$S" -type f | wc -l) files"
got=$("$CAT" "$S" | sha256sum | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
    echo "FAIL: zarrfs-cat's bytes differ from numpy's (sha256 $got, want $want)"
    exit 1
fi
echo "ok: zarrfs-cat's bytes are numpy's"

read -r zp zp_best < <(py read)
times=()
for ((r = 0; r < RUNS; r++)); do
    t0=$(date +%s%N)
    "$CAT" "$S" >/dev/null
    t1=$(date +%s%N)
    times+=("$(((t1 - t0) / 1000))")
done
zc=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$((RUNS / 2 + 1))p")
zc=$(awk -v us="$zc" 'BEGIN { printf "%.4f", us / 1e6 }')
echo "medians of $RUNS runs (zarr-python best $zp_best s); $(nproc) cores"
awk -v a="$zp" -v b="$zc" 'BEGIN {
    printf "v2 read 256 MiB: zarr-python %.2fs, zarrfs-cat %.2fs, ratio %.2fx (target >= 1.7x)\n",
        a, b, a / b }'
