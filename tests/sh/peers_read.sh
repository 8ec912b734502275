#!/usr/bin/env bash
# peers_read.sh - written here, read by the peers (issue 22): zarr-python 3
# (default pipeline), tensorstore (driver zarr3 for v3, zarr for v2) and
# zarr-python 3 with the zarrs codec pipeline read every array of the
# generated corpus (ZF_CORPUS: v2 arrays by zarr-python 2, v3 arrays by the
# project's spec writer tests/corpus/zarr3.py) and every array zarrfs-pack
# writes here, and what each reads must be the expected bytes.  The reading
# and the table of the peers' known limits and deviations from the spec are
# in tests/peer/read_peers.py; this script packs the arrays and runs it with
# the pinned peers' Python (tools/install-peers.sh).
#
# The packs cover, between them, every data type, both endians (each data
# type in both), sharded with the index at the end and at the start and
# unsharded, each codec zarrfs-pack writes (none, zstd, gzip, at several
# levels), crc32c on and off (every layout x codec x crc32c combination
# once), edge chunks and edge shards, and a 0-d array.  The input is random
# bits (floats: any NaN payload too; bool: 0 or 1), and the expected bytes
# are the input itself.
# Exit 0 = pass, 77 = skip (no peers, outside CI).
source "$(dirname "$0")/mount_common.bash"
SRC=${ZF_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
zf_require_corpus
zf_require_peers
PACK=$BIN/zarrfs-pack
[ -x "$PACK" ] || { echo "FAIL: $PACK is not built"; echo "0 passed, 1 failed"; exit 1; }

DTYPES=(bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 float32
        float64 complex64 complex128)
LAYOUTS=(end start unsharded)
CODECS=(none zstd:3 gzip:6 none zstd:0 gzip:1 none zstd:19 gzip:9)
# shape chunks shards: edge chunks and edge shards in each.
SHAPES=("1000 64 256" "37,50 8,16 16,32" "9,10,11 4,4,4 8,8,4"
        "5,3,7,6 2,2,3,3 4,2,3,6" "300,7 32,7 96,7")

# packs: one line a pack, "NAME DTYPE SHAPE CHUNKS SHARDS|- ARGS...".  Pack j
# (dtype j/2, endian j%2) takes layout j%3, codec j/3%9 (its name: j/3%3)
# and crc32c j/9%2, so packs 0..17 hold every layout x codec x crc32c once.
packs() {
    local j dt endian layout codec crc shape chunks shards
    for ((j = 0; j < 2 * ${#DTYPES[@]}; j++)); do
        dt=${DTYPES[j / 2]}
        endian=$([ $((j % 2)) = 0 ] && echo little || echo big)
        layout=${LAYOUTS[j % 3]}
        codec=${CODECS[j / 3 % ${#CODECS[@]}]}
        crc=$([ $((j / 9 % 2)) = 0 ] && echo off || echo on)
        read -r shape chunks shards <<<"${SHAPES[j % ${#SHAPES[@]}]}"
        [ "$layout" = unsharded ] && shards=-
        printf 'p%02d_%s_%s_%s_crc%s_%s %s %s %s %s --codec %s --endian %s%s%s\n' \
            "$j" "$dt" "$endian" "$layout" "$crc" "${codec%%:*}" "$dt" "$shape" \
            "$chunks" "$shards" "$codec" "$endian" \
            "$([ "$layout" = unsharded ] || echo " --index-location $layout")" \
            "$([ "$crc" = off ] || echo " --crc32c")"
    done
    echo "p_0d_float64 float64 '' '' - --codec zstd:1 --endian big"
    echo "p_0d_int16_sharded int16 '' '' '' --codec gzip:2 --crc32c"
}

# inputs LIST: writes each pack's input, NAME.in in $T, random bits.
inputs() {
    "$PEER_PY" - "$T" "$1" <<'EOF'
import os, shlex, sys
import numpy as np
out, lines = sys.argv[1], open(sys.argv[2]).read().splitlines()
rng = np.random.default_rng(22)
for line in lines:
    name, dtype, shape = shlex.split(line)[:3]
    n = int(np.prod([int(x) for x in shape.split(",") if x]))
    b = rng.integers(0, 256, n * np.dtype(dtype).itemsize, dtype=np.uint8)
    if dtype == "bool":
        b &= 1
    b.tofile(os.path.join(out, name + ".in"))
EOF
}

packs >"$T/packs"
inputs "$T/packs" || bad "writing the packs' inputs"
: >"$T/packlist"
npack=0
while read -r line; do
    eval "set -- $line"
    name=$1 dt=$2 shape=$3 chunks=$4 shards=$5
    shift 5
    args=(--shape "$shape" --dtype "$dt" --chunks "$chunks" "$@")
    [ "$shards" = - ] || args+=(--shards "$shards")
    if "$PACK" "${args[@]}" "$T/$name.in" "$T/$name.zarr" 2>"$T/pack.err"; then
        npack=$((npack + 1))
        printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$T/$name.zarr" "$T/$name.in" "$dt" \
            "$shape" >>"$T/packlist"
    else
        bad "$name: zarrfs-pack ${args[*]}: $(cat "$T/pack.err")"
    fi
done <"$T/packs"
[ "$npack" -ge 30 ] && ok "$npack arrays packed with zarrfs-pack" ||
    bad "only $npack arrays packed"

echo "peers: $("$PEER_PY" -c 'from importlib.metadata import version as v
print(", ".join(p + " " + v(p) for p in ("zarr", "zarrs", "tensorstore", "numcodecs")))')"
PY=$PEER_PY pycheck "$SRC/tests/peer/read_peers.py" "$CORPUS" "$T/packlist"
zf_finish
