#!/usr/bin/env bash
# nc_refresh.sh - benchmark (not a test, not part of CI): what a metadata
# refresh costs with -o views=nc when one array of a store of many groups
# changes.
#
# The store: a v3 root group (written from the spec with Python, no zarrfs
# code) holding GROUPS groups (1,000), g0000 ... , each with attributes and
# one int16 array v of 100 elements (fill value only, no chunk).  It is
# mounted with views=nc,metadata_ttl=TTL; then, RUNS times, g0500/v's
# zarr.json is rewritten with a new shape (alternately 200 and 100
# elements), and once the mount has logged the refresh:
#   read    the refresh's re-reading of the metadata (zf_refresh), seconds,
#           as the mount logs it ("metadata refreshed (read X s, table Y s)");
#   table   building the new inode table (the group files with it), seconds;
#   inodes  how many of the mount's entries changed inode number (every
#           entry listed by ls -iR, before and after);
#   nc      of those, how many are group files (*.nc);
#   built   the group files the refresh built (the others were kept), as
#           the mount logs it ("group files: N built, M kept"; every one
#           when the mount does not say).
# Printed per run, then the medians.  Only g0500.nc and the root group's
# file (which holds every group) have new bytes, so 2 is the least number
# of .nc files whose inode can change.
#
# usage: bash tools/bench/nc_refresh.sh [BIN]   (BIN: build/bin by default;
#   ZF_BENCH_GROUPS (1000), ZF_BENCH_RUNS (5), ZF_BENCH_TTL (0.5))
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-${ZF_BIN:-build/bin}}
GROUPS_N=${ZF_BENCH_GROUPS:-1000}
RUNS=${ZF_BENCH_RUNS:-5}
TTL=${ZF_BENCH_TTL:-0.5}
PY=/usr/bin/python3
[ -x "$BIN/zarrfs" ] || { echo "no $BIN/zarrfs: build first (or pass the bin folder)" >&2; exit 1; }
[ -c /dev/fuse ] || { echo "no /dev/fuse: cannot mount" >&2; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/zf_bench_ncr.XXXXXX")
M=$W/m
PID=
trap '[ -n "$PID" ] && unmount "$M" "$PID"; rm -rf "$W"' EXIT
source "$SRC/tools/bench/common.bash"

cat >"$W/store.py" <<'EOF'
import json, os, sys
root, n, step = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def node(path, doc):
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "zarr.json.tmp"), "w") as f:
        json.dump(doc, f)
    os.replace(os.path.join(path, "zarr.json.tmp"), os.path.join(path, "zarr.json"))

def array(path, size, fill):
    node(path, {"zarr_format": 3, "node_type": "array", "shape": [size],
                "data_type": "int16", "fill_value": fill,
                "chunk_grid": {"name": "regular",
                               "configuration": {"chunk_shape": [100]}},
                "chunk_key_encoding": {"name": "default"},
                "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
                "dimension_names": ["n"],
                "attributes": {"units": "K", "index": fill}})

if step == "init":
    node(root, {"zarr_format": 3, "node_type": "group", "attributes": {"title": "nc_refresh"}})
    for i in range(n):
        g = os.path.join(root, "g%04d" % i)
        node(g, {"zarr_format": 3, "node_type": "group", "attributes": {"group": i}})
        array(os.path.join(g, "v"), 100, i)
else:  # the changed array: a new shape
    array(os.path.join(root, "g0500", "v"), int(step), 500)
EOF
S=$W/store.zarr
"$PY" "$W/store.py" "$S" "$GROUPS_N" init
mkdir -p "$M"
"$BIN/zarrfs" -f -o "views=nc,metadata_ttl=$TTL" "$S" "$M" 2>"$W/log" &
PID=$!
wait_mount "$M" "$PID" || { echo "mount failed: $(cat "$W/log")" >&2; PID=; exit 1; }
echo "$GROUPS_N groups, views=nc, metadata_ttl=$TTL; g0500/v changes $RUNS times"
printf '%-4s %8s %8s %7s %4s %6s\n' run read table inodes nc built
# inodes: "INODE PATH" for every entry of the mount.
inodes() { (cd "$M" && find . -printf '%i %p\n' | sort -k2); }
for ((run = 1; run <= RUNS; run++)); do
    inodes >"$W/before"
    seen=$(grep -c 'metadata refreshed' "$W/log" || true)
    "$PY" "$W/store.py" "$S" "$GROUPS_N" $((run % 2 ? 200 : 100))
    for ((i = 0; i < 600; i++)); do
        [ "$(grep -c 'metadata refreshed' "$W/log" || true)" -gt "$seen" ] && break
        sleep 0.1
    done
    line=$(grep 'metadata refreshed' "$W/log" | tail -1)
    read_s=$(sed -n 's/.*(read \([0-9.]*\) s, table \([0-9.]*\) s).*/\1/p' <<<"$line")
    table_s=$(sed -n 's/.*(read \([0-9.]*\) s, table \([0-9.]*\) s).*/\2/p' <<<"$line")
    sleep "$(awk -v t="$TTL" 'BEGIN { print t + 0.2 }')" # (past the entry timeout: every name looked up anew)
    inodes >"$W/after"
    changed=$(join -1 2 -2 2 "$W/before" "$W/after" | awk '$2 != $3' | wc -l)
    nc=$(join -1 2 -2 2 "$W/before" "$W/after" | awk '$2 != $3 && $1 ~ /\.nc$/' | wc -l)
    built=$(sed -n 's/.*group files: \([0-9]*\) built.*/\1/p' <<<"$line")
    [ -n "$built" ] || built=$((GROUPS_N + 1))
    printf '%-4s %8s %8s %7s %4s %6s\n' "$run" "$read_s" "$table_s" "$changed" "$nc" "$built"
    echo "$read_s $table_s $changed $nc $built" >>"$W/rows"
done
echo "last log line: $(grep "metadata refreshed" "$W/log" | tail -1)"
printf '%-4s %8s %8s %7s %4s %6s\n' median "$(col "$W/rows" 1)" "$(col "$W/rows" 2)" \
    "$(col "$W/rows" 3)" "$(col "$W/rows" 4)" "$(col "$W/rows" 5)"
unmount "$M" "$PID"
PID=
