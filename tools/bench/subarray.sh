#!/usr/bin/env bash
# subarray.sh - benchmark (not a test, not part of CI): planes of a 1 GiB
# 3-d array read by name, a[k] along each axis, in C and Fortran order.
#
# The data: an 812^3 uint16 volume (about 1 GiB; tools/bench/gen_field.c),
# packed by zarrfs-pack (64^3 inner chunks in 256^3 shards, zstd 1) for
# zarrfs and zarrita.js, and written by zarr-python 2 as a v2 array of the
# same 64^3 chunks (zstd 1) for zarr-python.  The stores stay in the page
# cache.  For each axis, the plane k = N/2 (vol[k], vol[:,k], vol[...,k]):
#   C      zarrfs-cat STORE 'vol[EXPR]' > /dev/null, the whole process
#          (a fresh, cold engine each run);
#   F      the same with @F (the plane's transpose order); a last row
#          times C and F for the block vol[:256,:256,:256] (32 MiB), whose
#          Fortran order transposes every chunk in all three dimensions;
#   chunks inner chunks decoded (--stats) / inner chunks the plane
#          intersects (13 x 13 = 169 for every axis).  Target <= 1.1;
#   zarr-python  z[EXPR] inside one Python process (open excluded);
#   zarrita.js   zarr.get(arr, selection) inside one node process, open
#          included (tools/bench/zarrita_get.mjs --plane), zarrita pinned
#          and installed from npm as run.sh does.  Target: C at least 2x
#          faster than zarrita.js.
# Every time is the median of RUNS (5) runs, the sides interleaved; the
# bytes of C, F, zarr-python and zarrita are checked against numpy's plane
# of the raw volume (sha256) once.  Runs at nice -20 (ZF_BENCH_NICE).
#
# usage: bash tools/bench/subarray.sh [BIN]   (BIN: build/bin by default;
#   ZF_BENCH_RUNS, ZF_BENCH_SIZE (812), ZF_NPM_CACHE as in run.sh)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-${ZF_BIN:-build/bin}}
RUNS=${ZF_BENCH_RUNS:-5}
N=${ZF_BENCH_SIZE:-812}
PY=/usr/bin/python3
for b in zarrfs-cat zarrfs-pack zf-gen-field; do
    [ -x "$BIN/$b" ] || { echo "no $BIN/$b: build first (or pass the bin folder)" >&2; exit 1; }
done
"$PY" -c 'import zarr, numcodecs, numpy' 2>/dev/null ||
    { echo "$PY lacks zarr-python: run tools/install-deps.sh as root" >&2; exit 1; }
renice -n "${ZF_BENCH_NICE:--20}" -p $$ >/dev/null 2>&1 ||
    echo "warning: cannot renice: other processes compete for the cores" >&2
W=$(mktemp -d "${TMPDIR:-/tmp}/zf_bench_sub.XXXXXX")
trap 'rm -rf "$W"' EXIT
source "$SRC/tools/bench/common.bash"

echo "making the ${N}^3 uint16 volume ($((N * N * N * 2 / 1048576)) MiB) and its stores ..."
"$BIN/zf-gen-field" --size "$N" >"$W/vol.raw"
"$BIN/zarrfs-pack" --shape "$N,$N,$N" --dtype uint16 --chunks 64,64,64 \
    --shards 256,256,256 --codec zstd:1 "$W/vol.raw" "$W/v3/vol" 2>/dev/null
printf '%s\n' '{"zarr_format":3,"node_type":"group","attributes":{}}' >"$W/v3/zarr.json"
"$PY" - "$W" "$N" <<'PYEOF'
import sys, numpy as np, zarr
from numcodecs import Zstd
w, n = sys.argv[1], int(sys.argv[2])
a = np.memmap(f"{w}/vol.raw", dtype="<u2", mode="r", shape=(n, n, n))
z = zarr.open(f"{w}/v2.zarr", mode="w", shape=a.shape, chunks=(64, 64, 64),
              dtype="<u2", compressor=Zstd(level=1))
for i in range(0, n, 64):
    z[i:i + 64] = a[i:i + 64]
PYEOF
K=$((N / 2))
EXPRS=("$K" ":,$K" "...,$K")
PYSEL=("[$K]" "[:,$K]" "[...,$K]")

# zarrita.js, pinned and installed as run.sh does
HAVE_ZARRITA=0
MODS=$(zarrita_modules)
if [ -n "$MODS" ]; then
    HAVE_ZARRITA=1
    mkdir -p "$W/node"
    cp "$SRC/tools/bench/zarrita_get.mjs" "$W/node/"
    ln -s "$MODS" "$W/node/node_modules"
fi

# the expected planes' sha256 (numpy on the raw volume), C and F order
"$PY" - "$W" "$N" "$K" >"$W/sha" <<'PYEOF'
import sys, hashlib, numpy as np
w, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
a = np.memmap(f"{w}/vol.raw", dtype="<u2", mode="r", shape=(n, n, n))
for p in (a[k], a[:, k], a[..., k]):
    p = np.ascontiguousarray(p)
    print(hashlib.sha256(p.tobytes()).hexdigest(),
          hashlib.sha256(p.tobytes(order="F")).hexdigest())
PYEOF

# zarr-python: RUNS timings of z[SEL] in one process, one per line
zp_times() {
    "$PY" - "$W/v2.zarr" "$1" "$RUNS" <<'PYEOF'
import sys, time, hashlib, zarr, numpy as np
z = zarr.open(sys.argv[1], mode="r")
sel, runs = sys.argv[2], int(sys.argv[3])
for r in range(runs):
    t0 = time.perf_counter()
    p = eval(f"z{sel}")
    print(f"{time.perf_counter() - t0:.4f}")
print("sha", hashlib.sha256(np.ascontiguousarray(p).tobytes()).hexdigest())
PYEOF
}

printf '\n%-12s %-9s %-9s %-6s %-16s %-12s %-12s %s\n' plane "C s" "F s" F/C \
    "decoded/inter." "zarr-py s" "zarrita s" "zarrita/C"
for axis in 0 1 2; do
    expr=${EXPRS[$axis]}
    read -r want_c want_f < <(sed -n "$((axis + 1))p" "$W/sha")
    got_c=$("$BIN/zarrfs-cat" "$W/v3" "vol[$expr]" | sha256sum | cut -d' ' -f1)
    got_f=$("$BIN/zarrfs-cat" "$W/v3" "vol[$expr]@F" | sha256sum | cut -d' ' -f1)
    [ "$got_c" = "$want_c" ] || { echo "FAIL: vol[$expr] differs from numpy" >&2; exit 1; }
    [ "$got_f" = "$want_f" ] || { echo "FAIL: vol[$expr]@F differs from numpy" >&2; exit 1; }
    dec=$("$BIN/zarrfs-cat" --stats "$W/v3" "vol[$expr]" 2>&1 >/dev/null |
        "$PY" -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])["chunks_decoded"])')
    inter=$(( ((N + 63) / 64) * ((N + 63) / 64) ))
    : >"$W/c"; : >"$W/f"; : >"$W/z"
    for ((r = 0; r < RUNS; r++)); do
        for side in c f z; do
            case $side in
            c) t0=$(now); "$BIN/zarrfs-cat" "$W/v3" "vol[$expr]" >/dev/null; t1=$(now); echo "$(secs "$t0" "$t1")" >>"$W/c" ;;
            f) t0=$(now); "$BIN/zarrfs-cat" "$W/v3" "vol[$expr]@F" >/dev/null; t1=$(now); echo "$(secs "$t0" "$t1")" >>"$W/f" ;;
            z) if [ "$HAVE_ZARRITA" = 1 ]; then
                   node "$W/node/zarrita_get.mjs" "$W/v3/vol" --plane "$axis,$K" >>"$W/z"
               fi ;;
            esac
        done
    done
    if [ "$HAVE_ZARRITA" = 1 ]; then
        read -r _ zsha < <(node "$W/node/zarrita_get.mjs" "$W/v3/vol" --plane "$axis,$K" --sha256)
        [ "$zsha" = "$want_c" ] || { echo "FAIL: zarrita's plane differs from numpy" >&2; exit 1; }
    fi
    zp_times "${PYSEL[$axis]}" >"$W/zp"
    [ "$(awk '/^sha/ { print $2 }' "$W/zp")" = "$want_c" ] ||
        { echo "FAIL: zarr-python's plane differs from numpy" >&2; exit 1; }
    C=$(median <"$W/c"); F=$(median <"$W/f"); ZP=$(grep -v sha "$W/zp" | median)
    ZJ=$( [ -s "$W/z" ] && median <"$W/z" || echo "-")
    printf '%-12s %-9s %-9s %-6s %-16s %-12s %-12s %s\n' "vol[$expr]" "$C" "$F" \
        "$(awk -v a="$F" -v b="$C" 'BEGIN { printf "%.2f", a / b }')" \
        "$dec/$inter = $(awk -v a="$dec" -v b="$inter" 'BEGIN { printf "%.2f", a / b }')" \
        "$ZP" "$ZJ" \
        "$( [ "$ZJ" = - ] && echo - || awk -v a="$ZJ" -v b="$C" 'BEGIN { printf "%.2f", a / b }')"
done
# A 3-d block, where Fortran order is a full 3-d transpose of every chunk.
B=256
: >"$W/c"; : >"$W/f"
for ((r = 0; r < RUNS; r++)); do
    t0=$(now); "$BIN/zarrfs-cat" "$W/v3" "vol[:$B,:$B,:$B]" >/dev/null; t1=$(now); echo "$(secs "$t0" "$t1")" >>"$W/c"
    t0=$(now); "$BIN/zarrfs-cat" "$W/v3" "vol[:$B,:$B,:$B]@F" >/dev/null; t1=$(now); echo "$(secs "$t0" "$t1")" >>"$W/f"
done
C=$(median <"$W/c"); F=$(median <"$W/f")
printf '%-12s %-9s %-9s %-6s\n' "vol[:$B,:$B,:$B]" "$C" "$F" \
    "$(awk -v a="$F" -v b="$C" 'BEGIN { printf "%.2f", a / b }')"
echo
echo "targets: decoded/intersected <= 1.1; zarrita/C >= 2 (C: zarrfs-cat, whole process)"
