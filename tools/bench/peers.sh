#!/usr/bin/env bash
# peers.sh - zarrfs beside the fastest Zarr readers, side by side in one run
# (not a test, not part of CI).  Modelled on the public zarr_benchmarks
# repository's read benchmarks.
#
# The data (written once into $ZF_PEERS_DATA and reused; not by zarrfs):
#   an N^3 uint16 smooth field (zf-gen-field, N = 1024: 2 GiB) written by
#   tensorstore (tools/bench/peer_stores.py) as three Zarr v3 stores:
#     raw    chunks 256^3, uncompressed
#     zstd   chunks 256^3, zstd level 0
#     shard  shards 256^3 of inner chunks 64^3, zstd level 0
#   and the tick archive of tools/bench/partial_query.sh (float64 [64
#   symbols, 8 days of seconds], numpy + zstandard: tick_archive.py).
# The readers, each with its own API, each timed inside its own process
# (open to last byte, imports and interpreter start excluded):
#   zarrs        zarrs_benchmark_read_sync (zarrs_tools): --read-all; chunk
#                by chunk (its default: a shard at a time for shard);
#                --inner-chunks
#   tensorstore  read() into numpy; boxes: one read per box, all at once
#   zarr         zarr-python 3, default pipeline: a[...]; boxes: AsyncArray
#                getitem per box, all at once
#   zarr+zarrs   the same with the zarrs codec pipeline
#   zarrita      zarrita.js zarr.get (tools/bench/zarrita_get.mjs), boxes
#                all at once
#   zfs-read     zarrfs: read() of the mounted flat file into one buffer
#   zfs-mmap     zarrfs: numpy.memmap of the flat file copied into one array
#   zfs-api      zarrfs's engine in process, as zarrfs-cat runs it, into
#                memory: one zf_array_read of the whole array into one
#                buffer (tools/bench/peer_read.c, on the public API)
#   zfs-sub      zarrfs: each box's subarray file NAME[a:b,c:d,e:f] read
#                whole, ZF_PEERS_THREADS boxes at a time
#   zfs-runs     zarrfs: each box by one pread per contiguous byte run of
#                it in the flat file, ZF_PEERS_THREADS boxes at a time
# Patterns: all (read the whole array), chunks (boxes of 256^3: the chunks,
# the shards), inner (shard only: boxes of 64^3, the inner chunks), and
# the day query (a[:, day 3] of the tick archive; zarrfs by pread and by
# memmap: tools/bench/pq_query.py).
# Every measurement: a fresh mount for zarrfs (-o cache_size=$ZF_PEERS_CACHE,
# 1G by default: the flat file's order crosses a whole row of chunks, 16
# chunks of 32 MiB, every 2 MiB, so reading it in order needs that row, 512
# MiB decoded, in the cache; with the default 256M every 1 MiB request
# decodes its 8 chunks again (64 chunks decoded 9,786 times, 328 GB read
# from the store for 1.5 GB served, measured on raw),
# then sync + echo 3 > /proc/sys/vm/drop_caches, then the reader.  RUNS runs
# of each row, the readers' order rotating from run to run; best and median
# seconds, and the peak RSS (max over the runs; for zarrfs the reader's
# plus the daemon's, the daemon's also alone).  Ratios: a row's median over
# zfs-read's median on the same store (the day query: over zfs-pread's).
# Before the timed runs the bytes are checked once: zarrfs's four ways
# against the raw field box by box, the peers' whole arrays and every
# reader's day by sha256.
#
# usage: bash tools/bench/peers.sh [BIN]     (as root, after the README's build)
#   BIN: the build's bin folder (default $ZF_BIN or build/bin).
#   ZF_PEERS_N (1024; e.g. 512 for a quick run), ZF_BENCH_RUNS (5),
#   ZF_PEERS_DATA (the data's folder, default .bench-data/ in the checkout,
#   git-ignored), ZF_PEERS_THREADS (4), ZF_PEERS_CACHE (1G), ZF_BENCH_NICE (-20), ZF_NPM_CACHE (zarrita's install folder).
#   The peers come from tools/install-peers.sh --env --bench (pinned; the
#   first run builds zarrs_tools, some minutes).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(cd "${1:-${ZF_BIN:-build/bin}}" 2>/dev/null && pwd) ||
    { echo "no bin folder ${1:-${ZF_BIN:-build/bin}}: build first (or pass it)" >&2; exit 1; }
RUNS=${ZF_BENCH_RUNS:-5}
N=${ZF_PEERS_N:-1024}
THREADS=${ZF_PEERS_THREADS:-4}
CACHE=${ZF_PEERS_CACHE:-1G}
DATA=${ZF_PEERS_DATA:-$SRC/.bench-data}
SYMBOLS=64 DAYS=8 DAY=86400 QDAY=3
for b in zarrfs zf-gen-field zf-bench-read; do
    [ -x "$BIN/$b" ] || { echo "no $BIN/$b: build first (or pass the bin folder)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "peers.sh drops the page cache before each measurement: run it as root" >&2; exit 1; }
[ -c /dev/fuse ] || { echo "no /dev/fuse: cannot mount" >&2; exit 1; }
case $CACHE in # MiB, for the memory target
*[kK]) CACHE_MIB=$((${CACHE%?} >> 10)) ;;
*[mM]) CACHE_MIB=${CACHE%?} ;;
*[gG]) CACHE_MIB=$((${CACHE%?} << 10)) ;;
*) CACHE_MIB=$((CACHE >> 20)) ;;
esac
eval "$(bash "$SRC/tools/install-peers.sh" --env --bench)"
[ -n "${ZF_PEER_PY:-}" ] && [ -n "${ZF_ZARRS_BENCH:-}" ] ||
    { echo "the peers are not installed (tools/install-peers.sh said why): nothing to compare" >&2; exit 1; }
renice -n "${ZF_BENCH_NICE:--20}" -p $$ >/dev/null 2>&1 ||
    echo "warning: cannot renice: other processes compete for the cores" >&2

W=$(mktemp -d "${TMPDIR:-/tmp}/zf_peers.XXXXXX")
MNT=$W/m
MPID=
cleanup() {
    set +e
    mountpoint -q "$MNT" 2>/dev/null && { fusermount3 -u "$MNT" || fusermount3 -uz "$MNT"; }
    wait 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$MNT"
source "$SRC/tools/bench/common.bash"

# ---- the data, written once ---------------------------------------------------
D=$DATA/n$N
STAMP="n=$N peer_stores.py tick_archive.py $(cat "$SRC/tools/bench/peer_stores.py" \
    "$SRC/tools/bench/tick_archive.py" | sha256sum | cut -c1-16)"
if [ "$(cat "$D/.complete" 2>/dev/null)" != "$STAMP" ]; then
    echo "writing the data into $D (once) ..."
    rm -rf "$D"
    mkdir -p "$D"
    "$BIN/zf-gen-field" --size "$N" >"$D/field.raw"
    "$ZF_PEER_PY" "$SRC/tools/bench/peer_stores.py" "$D/field.raw" "$N" "$D"
    /usr/bin/python3 "$SRC/tools/bench/tick_archive.py" ticks "$D/ticks.zarr" $SYMBOLS $DAYS >/dev/null
    sha256sum "$D/field.raw" | cut -d' ' -f1 >"$D/field.sha256"
    echo "$STAMP" >"$D/.complete"
fi
RAW=$D/field.raw
SHA=$(cat "$D/field.sha256")
SHAPE=$N,$N,$N
CHUNK=$((N < 256 ? N : 256)) INNER=$((N < 64 ? N : 64))
TN=$((DAYS * DAY))
QA=$((QDAY * DAY)) QB=$(((QDAY + 1) * DAY))

MODS=$(zarrita_modules)
if [ -n "$MODS" ]; then
    mkdir -p "$W/node"
    cp "$SRC/tools/bench/zarrita_get.mjs" "$SRC/tools/bench/zarrita_slice.mjs" "$W/node/"
    ln -s "$MODS" "$W/node/node_modules"
fi

# ---- measuring -------------------------------------------------------------------
# mount_store STORE: a fresh zarrfs -f of STORE on $MNT; MPID.
mount_store() {
    "$BIN/zarrfs" -f -o "cache_size=$CACHE" "$1" "$MNT" 2>>"$W/zarrfs.log" &
    MPID=$!
    wait_mount "$MNT" "$MPID" || { echo "zarrfs did not mount: $(tail -3 "$W/zarrfs.log")" >&2; exit 1; }
}
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }
# flat NAME: the mounted flat file of store NAME (a root array: the store's
# folder name less .zarr).
flat() { echo "$MNT/$1"; }

# reader_cmd READER STORE PATTERN: the command line of one reader (stdout:
# seconds first, as each reader prints them; zarrs's line is converted by
# `seconds`).  PATTERN: all, box:B,B,B or day.
reader_cmd() {
    local r=$1 s=$2 p=$3 store=$D/$2.zarr box=${3#box:}
    case $r in
    zarrs)
        case $p in
        all) echo "$ZF_ZARRS_BENCH --read-all $store" ;;
        "box:$INNER,$INNER,$INNER") echo "$ZF_ZARRS_BENCH --inner-chunks $store" ;;
        *) echo "$ZF_ZARRS_BENCH $store" ;;
        esac ;;
    tensorstore | zarr | zarr+zarrs)
        local lib=${r/+/-}
        [ "$p" = day ] && p=cols:$QA:$QB
        echo "$ZF_PEER_PY $SRC/tools/bench/peer_read.py $lib $store $p" ;;
    zarrita)
        case $p in
        all) echo "node $W/node/zarrita_get.mjs $store" ;;
        day) echo "node $W/node/zarrita_slice.mjs $store $QA $QB" ;;
        *) echo "node $W/node/zarrita_get.mjs $store --boxes $box" ;;
        esac ;;
    zfs-read) echo "$BIN/zf-bench-read read $(flat "$s")" ;;
    zfs-api) echo "$BIN/zf-bench-read api $store" ;;
    zfs-mmap) echo "$ZF_PEER_PY $SRC/tools/bench/peer_read.py memmap:$SHAPE:<u2 $(flat "$s") all" ;;
    zfs-sub) echo "$BIN/zf-bench-read sub $(flat "$s") $SHAPE $box $THREADS 2" ;;
    zfs-runs) echo "$BIN/zf-bench-read runs $(flat "$s") $SHAPE $box $THREADS 2" ;;
    zfs-pread | zfs-daymmap)
        local k=day-pread
        [ "$r" = zfs-daymmap ] && k=day-mmap
        echo "/usr/bin/python3 $SRC/tools/bench/pq_query.py $(flat "$s") $SYMBOLS $TN $k $QDAY" ;;
    esac
}
# seconds: the first field of a reader's line, or zarrs's "in X ms".
seconds() { awk '/^Decoded .* in [0-9.]+ms/ { sub(/ms$/, "", $4); printf "%.4f\n", $4 / 1000; next } { print $1 }'; }

# measure ROW READER STORE PATTERN: one cold run; appends
# "seconds reader_MiB daemon_MiB" to $W/t.ROW (daemon 0 without a mount).
measure() {
    local row=$1 r=$2 s=$3 p=$4 cmd hwm=0
    cmd=$(reader_cmd "$r" "$s" "$p")
    case $r in zfs-read | zfs-mmap | zfs-sub | zfs-runs | zfs-pread | zfs-daymmap) mount_store "$D/$s.zarr" ;; esac
    drop_caches
    # shellcheck disable=SC2086  # the command line is words, no globs
    if ! /usr/bin/time -f %M -o "$W/rss" $cmd >"$W/out" 2>"$W/err"; then
        echo "FAIL: $r on $s ($p): $(tail -3 "$W/err")" >&2
        exit 1
    fi
    if [ -n "$MPID" ]; then
        hwm=$(vmhwm "$MPID")
        unmount "$MNT" "$MPID"
        MPID=
    fi
    echo "$(seconds <"$W/out") $(($(tail -1 "$W/rss") / 1024)) $hwm" >>"$W/t.$row"
    grep -o '[0-9a-f]\{64\}' "$W/out" | head -1 >"$W/sha" || true
}

# ---- the check, once, untimed -------------------------------------------------------
echo "checking every reader's bytes once ..."
check_zfs() { # STORE: zarrfs's four ways against the raw field
    local s=$1
    "$BIN/zf-bench-read" --verify "$RAW" api "$D/$s.zarr" >/dev/null
    mount_store "$D/$s.zarr"
    "$BIN/zf-bench-read" --verify "$RAW" read "$(flat "$s")" >/dev/null
    "$BIN/zf-bench-read" --verify "$RAW" sub "$(flat "$s")" "$SHAPE" "$CHUNK,$CHUNK,$CHUNK" "$THREADS" 2 >/dev/null
    "$BIN/zf-bench-read" --verify "$RAW" runs "$(flat "$s")" "$SHAPE" "$CHUNK,$CHUNK,$CHUNK" "$THREADS" 2 >/dev/null
    if [ "$s" = shard ]; then
        "$BIN/zf-bench-read" --verify "$RAW" sub "$(flat "$s")" "$SHAPE" "$INNER,$INNER,$INNER" "$THREADS" 2 >/dev/null
    fi
    local got
    got=$("$ZF_PEER_PY" "$SRC/tools/bench/peer_read.py" "memmap:$SHAPE:<u2" "$(flat "$s")" all --sha256 | cut -d' ' -f3)
    unmount "$MNT" "$MPID"
    MPID=
    [ "$got" = "$SHA" ] || { echo "FAIL: zfs-mmap of $s differs from the field" >&2; exit 1; }
}
for s in raw zstd shard; do
    check_zfs "$s"
    for r in tensorstore zarr zarr+zarrs; do
        got=$($(reader_cmd "$r" "$s" all) --sha256 | cut -d' ' -f3)
        [ "$got" = "$SHA" ] || { echo "FAIL: $r read $s differently from the field" >&2; exit 1; }
    done
    if [ -n "$MODS" ]; then
        got=$(node "$W/node/zarrita_get.mjs" "$D/$s.zarr" --sha256 | cut -d' ' -f2)
        [ "$got" = "$SHA" ] || { echo "FAIL: zarrita read $s differently from the field" >&2; exit 1; }
    fi
done
DAYSHA=
for r in zfs-pread zfs-daymmap tensorstore zarr zarr+zarrs ${MODS:+zarrita}; do
    [[ $r == zfs-* ]] && mount_store "$D/ticks.zarr"
    # shellcheck disable=SC2046
    got=$($(reader_cmd "$r" ticks day) $([[ $r == zfs-* || $r == zarrita ]] || echo --sha256) |
        grep -o '[0-9a-f]\{64\}' | head -1)
    [[ $r == zfs-* ]] && { unmount "$MNT" "$MPID"; MPID=; }
    DAYSHA=${DAYSHA:-$got}
    [ "$got" = "$DAYSHA" ] || { echo "FAIL: $r's day differs from zfs-pread's" >&2; exit 1; }
done
echo "all equal: the field's sha256 $SHA; the day's $DAYSHA"

# ---- the timed runs -------------------------------------------------------------------
PEERS=(zarrs tensorstore zarr zarr+zarrs)
[ -n "$MODS" ] && PEERS+=(zarrita)
# GROUPS: "store pattern label readers..."
GROUPS_=()
for s in raw zstd shard; do
    GROUPS_+=("$s all read-all ${PEERS[*]} zfs-read zfs-mmap zfs-api")
    GROUPS_+=("$s box:$CHUNK,$CHUNK,$CHUNK chunks ${PEERS[*]} zfs-sub zfs-runs")
done
GROUPS_+=("shard box:$INNER,$INNER,$INNER inner ${PEERS[*]} zfs-sub zfs-runs")
GROUPS_+=("ticks day day ${PEERS[*]:1} zfs-pread zfs-daymmap") # zarrs_tools reads no subsets
t_start=$(now)
for g in "${GROUPS_[@]}"; do
    read -r s p label rs <<<"$g"
    read -ra readers <<<"$rs"
    echo "$s $label: ${readers[*]}; $RUNS runs ..."
    for ((run = 0; run < RUNS; run++)); do
        n=${#readers[@]}
        for ((i = 0; i < n; i++)); do
            r=${readers[$(((i + run) % n))]}
            measure "$s.$label.$r" "$r" "$s" "$p"
        done
    done
done
t_end=$(now)

# ---- the table --------------------------------------------------------------------------
best() { awk -v c="$2" '{ print $c }' "$1" | sort -g | head -1; }
top() { awk -v c="$2" '{ print $c }' "$1" | sort -g | tail -1; }
echo
echo "zarrfs beside the peers: ${N}^3 uint16 ($((N * N * N * 2 >> 20)) MiB) in three stores written by" \
    "tensorstore; the tick archive ($SYMBOLS x $TN float64)"
echo "$(nproc) cores, nice $(nice); $RUNS cold runs a row (page cache dropped before each);" \
    "zarrfs -o cache_size=$CACHE; zfs-sub/zfs-runs $THREADS threads; $(secs "$t_start" "$t_end") s in all"
echo "versions: zarrs_tools 0.8.1, $("$ZF_PEER_PY" -c 'import zarr, zarrs, tensorstore, numpy
print(f"zarr-python {zarr.__version__}, zarrs-python {zarrs.__version__}, tensorstore {tensorstore.__version__}, numpy {numpy.__version__}")')${MODS:+, zarrita.js 0.7.5}"
printf '%-6s %-8s %-12s %9s %9s %9s %14s %10s\n' store pattern reader "best s" "median s" "x zfs-read" \
    "peak RSS MiB" "daemon MiB"
declare -A MED
DAEMON_MAX=0
for g in "${GROUPS_[@]}"; do
    read -r s p label rs <<<"$g"
    read -ra readers <<<"$rs"
    base=$W/t.$s.read-all.zfs-read
    [ "$s" = ticks ] && base=$W/t.$s.day.zfs-pread
    bmed=$(col "$base" 1)
    for r in "${readers[@]}"; do
        f=$W/t.$s.$label.$r
        m=$(col "$f" 1)
        MED[$s.$label.$r]=$m
        dm=$(top "$f" 3)
        rss=$(awk '{ v = $2 + $3; if (v > m) m = v } END { print m }' "$f")
        ((dm > DAEMON_MAX)) && DAEMON_MAX=$dm
        printf '%-6s %-8s %-12s %9s %9s %9s %14s %10s\n' "$s" "$label" "$r" "$(best "$f" 1)" "$m" \
            "$(awk -v a="$m" -v b="$bmed" 'BEGIN { printf "%.2f", a / b }')" "$rss" \
            "$([[ $r == zfs-* && $r != zfs-api ]] && echo "$dm" || echo -)"
    done
done

# ---- the targets ------------------------------------------------------------------------
echo
echo "targets (medians):"
verdict() { # TEXT A OP B: "TEXT: A OP B met|MISSED" (OP: <, <=, with B a ratio limit)
    awk -v t="$1" -v a="$2" -v op="$3" -v b="$4" 'BEGIN {
        ok = (op == "<") ? a < b : a <= b
        printf "  %-58s %8.4f %-2s %8.4f  %s\n", t, a, op, b, ok ? "met" : "MISSED" }'
}
times() { awk -v a="$1" -v k="$2" 'BEGIN { printf "%.4f", a * k }'; }
for s in raw zstd shard; do
    zr=${MED[$s.read-all.zfs-read]} za=${MED[$s.read-all.zfs-api]} zs=${MED[$s.read-all.zarrs]}
    for r in tensorstore zarr zarr+zarrs; do
        verdict "$s read-all: zfs-read < $r" "$zr" "<" "${MED[$s.read-all.$r]}"
    done
    verdict "$s read-all: zfs-read <= 1.25 x zarrs" "$zr" "<=" "$(times "$zs" 1.25)"
    verdict "$s read-all: zfs-api <= 1.0 x zarrs" "$za" "<=" "$zs"
    for label in chunks $([ "$s" = shard ] && echo inner); do
        for r in tensorstore zarr zarr+zarrs; do
            verdict "$s $label: zfs-sub < $r" "${MED[$s.$label.zfs-sub]}" "<" "${MED[$s.$label.$r]}"
        done
    done
done
zp=${MED[ticks.day.zfs-pread]}
verdict "day: zfs-pread <= zarr / 2" "$zp" "<=" "$(times "${MED[ticks.day.zarr]}" 0.5)"
verdict "day: zfs-pread <= tensorstore" "$zp" "<=" "${MED[ticks.day.tensorstore]}"
verdict "daemon peak RSS (MiB, all runs) <= cache_size + 64" "$DAEMON_MAX" "<=" "$((CACHE_MIB + 64))"
