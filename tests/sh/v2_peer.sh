#!/usr/bin/env bash
# v2_peer.sh - Zarr v2 written at test time by a real peer: Debian's
# zarr-python 2 (python3-zarr, python3-numcodecs, python3-numpy, installed by
# tools/install-deps.sh) writes ~100 random v2 arrays (tests/peer/write_v2.py:
# every dtype in both byte orders, 1-4 dims, edge chunks and chunks larger
# than the array, orders C and F, both separators, every compressor, the
# delta/shuffle/bitround/fixedscaleoffset filters, partly written arrays with
# a fill_value) into a group tree, with numpy's z[...] as the expected flat
# content.  Every array is compared: zarrfs-cat with cmp, and the mounted
# file with cmp and with mmap + pread (zf_mount_check).  The same store after
# zarr.consolidate_metadata() must give the same `find` listing, the same
# zarrfs-info --json node list and the same bytes; and it must still read
# with only .zmetadata left (no .zarray/.zgroup/.zattrs), as zarr-python's
# open_consolidated does.
#
# The arrays follow from a seed, printed first; rerun one with ZF_SEED=N.
# Uses /usr/bin/python3 (Debian's interpreter, whatever python3 is on PATH).
# Exit 0 = pass, 77 = skip (no /dev/fuse, or zarr-python absent and not
# installable).
set -euo pipefail
source "$(dirname "$0")/mount_common.bash"
trap 'set +e; zf_cleanup' EXIT # the cleanup must run to its end
zf_require
SRC=${ZF_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3

have_peer() { "$PY" -c 'import zarr, numcodecs, numpy' 2>/dev/null; }
if ! have_peer && [ "$(id -u)" = 0 ] && [ -r "$SRC/tools/install-deps.sh" ]; then
    echo "installing zarr-python with tools/install-deps.sh"
    bash "$SRC/tools/install-deps.sh" >"$T/deps.log" 2>&1 ||
        echo "install-deps failed: $(tail -n 3 "$T/deps.log" | tr '\n' ' ')"
fi
if ! have_peer; then
    echo "skip: $PY cannot import zarr, numcodecs and numpy (Debian's" \
        "python3-zarr python3-numcodecs python3-numpy: run tools/install-deps.sh as root)"
    exit 77
fi

SEED=${ZF_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
COUNT=${ZF_V2_COUNT:-72}
echo "seed $SEED (rerun with ZF_SEED=$SEED)"
W=$T/w
mkdir -p "$W"
"$PY" "$SRC/tests/peer/write_v2.py" "$SEED" "$COUNT" "$W" >"$T/write.log" 2>&1 ||
    { bad "write_v2.py (seed $SEED): $(tail -n 5 "$T/write.log")"; zf_finish; }
cat "$T/write.log"
A=$W/plain.zarr
C=$W/consolidated.zarr
# The consolidated store with nothing but .zmetadata for metadata.
O=$W/metaonly.zarr
cp -r "$C" "$O"
find "$O" -mindepth 1 \( -name .zarray -o -name .zgroup -o -name .zattrs \) -delete
[ -z "$(find "$O" -mindepth 1 -name '.z*' ! -path "$O/.zmetadata")" ] ||
    bad "metaonly.zarr still has metadata files"

mapfile -t ROWS <"$W/manifest.tsv"
echo "${#ROWS[@]} arrays"

# --- zarrfs-cat ----------------------------------------------------------------
for row in "${ROWS[@]}"; do
    IFS=$'\t' read -r path exp what <<<"$row"
    if "$BIN/zarrfs-cat" "$A" "$path" >"$T/cat.out" 2>"$T/cat.err"; then
        cmp -s "$T/cat.out" "$W/$exp" && ok "zarrfs-cat $path" ||
            bad "zarrfs-cat $path differs ($what): $(cmp "$T/cat.out" "$W/$exp" 2>&1 | head -n 1)"
    else
        bad "zarrfs-cat $path failed ($what): $(head -c 300 "$T/cat.err")"
    fi
done

# --- the mounts ------------------------------------------------------------------
listing() { (cd "$1" && find . -mindepth 1 -printf '%y %p\n' | LC_ALL=C sort); }
nodes() { # STORE: zarrfs-info --json's node list, one node a line
    "$BIN/zarrfs-info" --json "$1" 2>"$T/info.err" |
        "$PY" -c 'import json, sys
for n in json.load(sys.stdin)["nodes"]:
    n.get("netcdf", {}).pop("file", None)  # (named after the store)
    print(json.dumps(n, sort_keys=True))'
}
# mount_and_compare NAME STORE: mounts it and compares the tree and every file.
mount_and_compare() {
    local name=$1 store=$2 m=$T/m_$1 log=$T/log_$1 row path exp what out
    if ! zf_mount_fg "$store" "$m" "$log"; then
        bad "$name: mount: $(head -c 300 "$log")"
        return 0
    fi
    listing "$m" >"$T/tree_$name"
    diff <(LC_ALL=C sort "$W/tree.txt") "$T/tree_$name" >"$T/tree.diff" &&
        ok "$name: the mount's tree is the store's groups and arrays" ||
        bad "$name: tree differs: $(head -n 10 "$T/tree.diff" | tr '\n' ' ')"
    for row in "${ROWS[@]}"; do
        IFS=$'\t' read -r path exp what <<<"$row"
        if cmp -s "$m/$path" "$W/$exp"; then
            ok "$name: mounted $path"
        else
            bad "$name: mounted $path differs ($what):" \
                "$(cmp "$m/$path" "$W/$exp" 2>&1 | head -n 1)"
            continue
        fi
        if [ "$name" = plain ]; then
            out=$("$CHECK" compare "$m/$path" "$W/$exp" 2>&1) &&
                ok "$name: mmap and pread of $path" || bad "$name: $path: $out"
        fi
    done
    zf_umount "$m" "$ZF_PID" && ok "$name: unmounted; zarrfs exited" ||
        bad "$name: unmount"
    # Nothing refused or failed, no sanitizer report (in the ASan build).
    grep -v -e '^fuse:' -e '^zarrfs: reads: ' "$log" >"$T/log.rest" || true
    [ ! -s "$T/log.rest" ] && ok "$name: zarrfs logged nothing" ||
        bad "$name: zarrfs logged: $(head -c 600 "$T/log.rest")"
}
mount_and_compare plain "$A"
mount_and_compare consolidated "$C"
mount_and_compare metaonly "$O"

check "consolidated: the same find listing as without" \
    cmp -s "$T/tree_plain" "$T/tree_consolidated"
check "metaonly: the same find listing as without" \
    cmp -s "$T/tree_plain" "$T/tree_metaonly"
nodes "$A" >"$T/nodes_plain" || bad "zarrfs-info --json plain: $(cat "$T/info.err")"
nodes "$C" >"$T/nodes_consolidated" ||
    bad "zarrfs-info --json consolidated: $(cat "$T/info.err")"
nodes "$O" >"$T/nodes_metaonly" || bad "zarrfs-info --json metaonly: $(cat "$T/info.err")"
n=$(grep -c '"kind": "array"' "$T/nodes_plain" || true)
check "zarrfs-info lists all ${#ROWS[@]} arrays ($n)" [ "$n" -eq "${#ROWS[@]}" ]
check "zarrfs-info reports no errors" sh -c "! grep -q '\"error\"' '$T/nodes_plain'"
for v in consolidated metaonly; do
    diff "$T/nodes_plain" "$T/nodes_$v" >"$T/nodes.diff" &&
        ok "$v: the same zarrfs-info --json node list as without" ||
        bad "$v: node lists differ: $(head -c 600 "$T/nodes.diff")"
done

[ "$failed" -eq 0 ] || echo "seed was $SEED (rerun with ZF_SEED=$SEED)"
zf_finish
