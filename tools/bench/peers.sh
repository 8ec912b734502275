#!/usr/bin/env bash
# peers.sh - zarrfs beside the fastest Zarr readers, side by side in one run
# (not a test, not part of CI; issue 22).  Modelled on the public
# zarr_benchmarks repository's read benchmarks.
#
# One command from a fresh clone, as root:  bash tools/bench/peers.sh
# It installs what it needs first: the build's packages on a fresh clone
# (tools/install-deps.sh), a Release build into build/ (configured once,
# then brought up to date), the pinned peers (tools/install-peers.sh
# --bench: .peers/venv, and zarrs_tools built by cargo, some minutes the
# first time) and zarrita.js (npm, into $ZF_NPM_CACHE).
#
# The data (written once into $ZF_PEERS_DATA and reused; by tensorstore,
# not by zarrfs: tools/bench/peer_stores.py):
#   an N^3 uint16 smooth field (zf-gen-field, N = 1024: 2 GiB) as three
#   Zarr v3 stores:
#     raw    chunks 256^3, uncompressed
#     zstd   chunks 256^3, zstd level 0
#     shard  shards 256^3 of inner chunks 64^3, zstd level 0
#   and the tick archive of tools/bench/partial_query.sh (float64 [64
#   symbols, 8 days of seconds], a day of one symbol an inner chunk, zstd 3;
#   the values of tick_archive.py), with the sha256 of its day 3.
# The readers, each with its own API, each timed inside its own process
# (open to last byte, imports and interpreter start excluded):
#   zarrs        zarrs_benchmark_read_sync (zarrs_tools): --read-all; chunk
#                by chunk (its default: a shard at a time for shard);
#                --inner-chunks.  It reads no subsets: no day query.
#   tensorstore  read() into numpy; boxes: one read per box, all at once
#   zarr         zarr-python 3, default pipeline: a[...]; boxes: AsyncArray
#                getitem per box, all at once
#   zarr+zarrs   the same with the zarrs codec pipeline
#   zarrita      zarrita.js zarr.get (tools/bench/zarrita_get.mjs), boxes
#                all at once (only where node and npm are)
#   zfs-read     zarrfs: read() of the mounted flat file into one buffer
#   zfs-mmap     zarrfs: numpy.memmap of the flat file copied into one array
#   zfs-api      zarrfs's engine in process, as zarrfs-cat runs it, into
#                memory: one zf_array_read of the whole array into one
#                buffer (tools/bench/peer_read.c, on the public API)
#   zfs-sub      zarrfs: each box's subarray file NAME[a:b,c:d,e:f] read
#                whole, ZF_PEERS_THREADS boxes at a time
#   zfs-runs     zarrfs: each box by one pread per contiguous byte run of
#                it in the flat file, ZF_PEERS_THREADS boxes at a time
#   zfs-pread    zarrfs, the day query: one pread per symbol
#                (tools/bench/pq_query.py day-pread)
#   zfs-daymmap  zarrfs, the day query through numpy.memmap
# Patterns: read-all (the whole array), chunks (boxes of 256^3: the chunks,
# the shards), inner (shard only: boxes of 64^3, the inner chunks), and
# day (a[:, day 3] of the tick archive).
#
# Every measurement: a fresh mount for zarrfs (-o cache_size=$ZF_PEERS_CACHE,
# 1G by default: the flat file's order crosses a whole row of chunks, 16
# chunks of 32 MiB, every 2 MiB, so reading it in order needs that row, 512
# MiB decoded, in the cache; with the default 256M every 1 MiB request
# decodes its 8 chunks again (64 chunks decoded 9,786 times, 328 GB read
# from the store for 1.5 GB served, measured on raw),
# then sync + echo 3 > /proc/sys/vm/drop_caches, then the reader.  RUNS runs
# of each row, the readers' order rotating from run to run; best and median
# seconds, and the peak RSS (max over the runs; for zarrfs the reader's
# plus the daemon's, the daemon's also alone).
#
# The bytes: before the timed runs every reader is checked once on every
# store and pattern it is timed on, untimed, against the expected bytes:
# whole arrays by sha256 against the raw field's (zarrs: zarrs_reencode of
# the store into one uncompressed chunk, that chunk's sha256), boxes each
# against the same box of the raw field (--verify), the day by sha256
# against peer_stores.py's.  Every timed run then checks its reader's byte
# count, and the day's sha256; a run that differs stops the benchmark.
#
# The output: one markdown table a pattern (paste into the closing note),
# the ratios of each row's median to zarrs's, tensorstore's and zarr's
# (zarr-python 3, default pipeline) medians on the same store and pattern
# (below 1: faster), then the issue's targets, each with its ratio and
# whether it holds.
#
# usage: bash tools/bench/peers.sh [BIN]     (as root)
#   BIN: a build's bin folder, used as it is (default: $ZF_BIN, or else
#   build/bin of this checkout, built Release as said above).
#   ZF_PEERS_N (1024; e.g. 512 for a quick run), ZF_BENCH_RUNS (5),
#   ZF_PEERS_DATA (the data's folder, default .bench-data/ in the checkout,
#   git-ignored; N=1024 takes about 7.5 GB), ZF_PEERS_THREADS (4), ZF_PEERS_CACHE
#   (1G), ZF_BENCH_NICE (-20), ZF_NPM_CACHE (zarrita's install folder).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${ZF_BENCH_RUNS:-5}
N=${ZF_PEERS_N:-1024}
THREADS=${ZF_PEERS_THREADS:-4}
CACHE=${ZF_PEERS_CACHE:-1G}
DATA=${ZF_PEERS_DATA:-$SRC/.bench-data}
SYMBOLS=64 DAYS=8 DAY=86400 QDAY=3
[ "$(id -u)" -eq 0 ] || { echo "peers.sh drops the page cache before each measurement: run it as root" >&2; exit 1; }
[ -c /dev/fuse ] || { echo "no /dev/fuse: cannot mount" >&2; exit 1; }
if [ -n "${1:-${ZF_BIN:-}}" ]; then
    BIN=$(cd "${1:-$ZF_BIN}" 2>/dev/null && pwd) || { echo "no bin folder ${1:-$ZF_BIN}" >&2; exit 1; }
else # this checkout's build/, Release
    if [ ! -e "$SRC/build/CMakeCache.txt" ]; then
        echo "building zarrfs (Release) into $SRC/build ..." >&2
        bash "$SRC/tools/install-deps.sh" >&2
        cmake -S "$SRC" -B "$SRC/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
    fi
    cmake --build "$SRC/build" -j"$(nproc)" >/dev/null || { echo "the build failed" >&2; exit 1; }
    BIN=$SRC/build/bin
    bt=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$SRC/build/CMakeCache.txt")
    [ "$bt" = Release ] || echo "warning: build/ is a '$bt' build, not Release: zarrfs's times mean little" >&2
fi
for b in zarrfs zf-gen-field zf-bench-read; do
    [ -x "$BIN/$b" ] || { echo "no $BIN/$b: build first (or pass the bin folder)" >&2; exit 1; }
done
case $CACHE in # MiB, for the memory target
*[kK]) CACHE_MIB=$((${CACHE%?} >> 10)) ;;
*[mM]) CACHE_MIB=${CACHE%?} ;;
*[gG]) CACHE_MIB=$((${CACHE%?} << 10)) ;;
*) CACHE_MIB=$((CACHE >> 20)) ;;
esac
eval "$(bash "$SRC/tools/install-peers.sh" --env --bench)"
[ -n "${ZF_PEER_PY:-}" ] && [ -n "${ZF_ZARRS_BENCH:-}" ] ||
    { echo "the peers are not installed (tools/install-peers.sh said why): nothing to compare" >&2; exit 1; }
ZARRS_REENCODE=$(dirname "$ZF_ZARRS_BENCH")/zarrs_reencode
[ -x "$ZARRS_REENCODE" ] || { echo "no $ZARRS_REENCODE (zarrs_tools): zarrs's bytes cannot be checked" >&2; exit 1; }
source "$SRC/tools/bench/common.bash"
bench_workdir peers
MPID=

# ---- the data, written once ---------------------------------------------------
D=$DATA/n$N
STAMP="n=$N peer_stores.py $(sha256sum <"$SRC/tools/bench/peer_stores.py" | cut -c1-16)"
if [ "$(cat "$D/.complete" 2>/dev/null)" != "$STAMP" ]; then
    echo "writing the data into $D (once) ..."
    rm -rf "$D"
    mkdir -p "$D"
    "$BIN/zf-gen-field" --size "$N" >"$D/field.raw"
    "$ZF_PEER_PY" "$SRC/tools/bench/peer_stores.py" "$D/field.raw" "$N" "$D"
    sha256sum "$D/field.raw" | cut -d' ' -f1 >"$D/field.sha256"
    echo "$STAMP" >"$D/.complete"
fi
RAW=$D/field.raw
SHA=$(cat "$D/field.sha256")
DAYSHA=$(cat "$D/ticks.day.sha256")
SHAPE=$N,$N,$N
CHUNK=$((N < 256 ? N : 256)) INNER=$((N < 64 ? N : 64))
TN=$((DAYS * DAY))
QA=$((QDAY * DAY)) QB=$(((QDAY + 1) * DAY))
FIELD_BYTES=$((N * N * N * 2)) DAY_BYTES=$((SYMBOLS * DAY * 8))

MODS=$(zarrita_modules)
if [ -n "$MODS" ]; then
    mkdir -p "$W/node"
    cp "$SRC/tools/bench/zarrita_get.mjs" "$SRC/tools/bench/zarrita_slice.mjs" "$W/node/"
    ln -s "$MODS" "$W/node/node_modules"
else
    echo "warning: no node/npm or no zarrita.js: no zarrita rows" >&2
fi

# ---- measuring -------------------------------------------------------------------
# mount_store STORE: a fresh zarrfs -f of STORE on $MNT; MPID.
mount_store() {
    "$BIN/zarrfs" -f -o "cache_size=$CACHE" "$1" "$MNT" 2>>"$W/zarrfs.log" &
    MPID=$!
    wait_mount "$MNT" "$MPID" || { echo "zarrfs did not mount: $(tail -3 "$W/zarrfs.log")" >&2; exit 1; }
}
umount_store() { unmount "$MNT" "$MPID"; MPID=; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }
is_zfs() { [[ $1 == zfs-* && $1 != zfs-api ]]; } # needs a mount
# flat NAME: the mounted flat file of store NAME (a root array: the store's
# folder name less .zarr).
flat() { echo "$MNT/$1"; }

# reader_cmd READER STORE PATTERN: the command line of one reader.
# PATTERN: all, box:B,B,B or day.  Each prints one line, normalised by
# `parse`: zarrs "Decoded STORE in X ms (Y MB decoded ...)"; zarrita_slice
# and pq_query "SECONDS SHA256 ..."; the others "SECONDS BYTES [SHA256]".
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
        local lib=${r/+/-} q=$p
        [ "$p" = day ] && q="cols:$QA:$QB --sha256"
        echo "$ZF_PEER_PY $SRC/tools/bench/peer_read.py $lib $store $q" ;;
    zarrita)
        case $p in
        all) echo "node $W/node/zarrita_get.mjs $store --bytes" ;;
        day) echo "node $W/node/zarrita_slice.mjs $store $QA $QB" ;;
        *) echo "node $W/node/zarrita_get.mjs $store --bytes --boxes $box" ;;
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
# parse READER PATTERN <LINE: "SECONDS BYTES SHA256" (- where the reader
# gives none).
parse() {
    awk -v r="$1" -v p="$2" '
        r == "zarrs" && /^Decoded .* in [0-9.]+ms \([0-9.]+MB/ {
            match($0, / in [0-9.]+ms/); s = substr($0, RSTART + 4, RLENGTH - 6) / 1000
            match($0, /\([0-9.]+MB/); b = substr($0, RSTART + 1, RLENGTH - 3) * 1e6
            printf "%.4f %.0f -\n", s, b; exit }
        r == "zarrs" { exit }
        p == "day" && (r == "zarrita" || r ~ /^zfs-/) { print $1, "-", $2; exit }
        { print $1, ($2 == "" ? "-" : $2), (length($3) == 64 && $3 ~ /^[0-9a-f]+$/ ? $3 : "-"); exit }'
}
# bytes_ok READER PATTERN BYTES: whether a run read the bytes it should
# (zarrs prints MB to two decimals).
bytes_ok() {
    local want=$FIELD_BYTES
    [ "$2" = day ] && return 0 # the day: its sha256 is checked
    awk -v r="$1" -v got="$3" -v want="$want" 'BEGIN {
        d = got - want; if (d < 0) d = -d
        exit !(got != "-" && (r == "zarrs" ? d < 1e4 : d == 0)) }'
}

# measure ROW READER STORE PATTERN: one cold run; appends
# "seconds reader_MiB daemon_MiB" to $W/t.ROW (daemon 0 without a mount).
measure() {
    local row=$1 r=$2 s=$3 p=$4 cmd hwm=0 secs got sha
    cmd=$(reader_cmd "$r" "$s" "$p")
    if is_zfs "$r"; then mount_store "$D/$s.zarr"; fi
    drop_caches
    # shellcheck disable=SC2086  # the command line is words, no globs
    if ! /usr/bin/time -f %M -o "$W/rss" $cmd >"$W/out" 2>"$W/err"; then
        echo "FAIL: $r on $s ($p): $(tail -3 "$W/err")" >&2
        exit 1
    fi
    if [ -n "$MPID" ]; then
        hwm=$(vmhwm "$MPID")
        umount_store
    fi
    read -r secs got sha < <(parse "$r" "$p" <"$W/out") || true
    if [ -z "${secs:-}" ] || ! bytes_ok "$r" "$p" "$got" ||
        { [ "$p" = day ] && [ "$sha" != "$DAYSHA" ]; }; then
        echo "FAIL: $r on $s ($p) read wrong bytes: $(head -c 300 "$W/out")" >&2
        exit 1
    fi
    echo "$secs $(($(tail -1 "$W/rss") / 1024)) $hwm" >>"$W/t.$row"
}

# ---- the check, once, untimed -------------------------------------------------------
T_CHECK=$(now)
echo "checking every reader's bytes once (untimed) ..."
die() { echo "FAIL: $*" >&2; exit 1; }
word() { cut -d' ' -f"$1"; }
BOX_C=$CHUNK,$CHUNK,$CHUNK BOX_I=$INNER,$INNER,$INNER
for s in raw zstd shard; do
    boxes=("$BOX_C")
    [ "$s" = shard ] && boxes+=("$BOX_I")
    # zarrfs: the engine in process, then the mount four ways
    "$BIN/zf-bench-read" --verify "$RAW" api "$D/$s.zarr" >/dev/null || die "zfs-api read $s wrong"
    mount_store "$D/$s.zarr"
    "$BIN/zf-bench-read" --verify "$RAW" read "$(flat "$s")" >/dev/null || die "zfs-read read $s wrong"
    for b in "${boxes[@]}"; do
        for m in sub runs; do
            "$BIN/zf-bench-read" --verify "$RAW" "$m" "$(flat "$s")" "$SHAPE" "$b" "$THREADS" 2 >/dev/null ||
                die "zfs-$m read $s by boxes $b wrong"
        done
    done
    got=$("$ZF_PEER_PY" "$SRC/tools/bench/peer_read.py" "memmap:$SHAPE:<u2" "$(flat "$s")" all --sha256 | word 3)
    umount_store
    [ "$got" = "$SHA" ] || die "zfs-mmap of $s differs from the field"
    # zarrs: the store re-encoded into one shard of one uncompressed inner
    # chunk (zarrs_tools 0.8.1 leaves the chunk grid of an unsharded output
    # as it was: --chunk-shape alone does not make one chunk), so the
    # shard's first bytes are the field's, its index (20 bytes) after them
    rm -rf "$W/zarrs.zarr"
    "$ZARRS_REENCODE" --shard-shape "$SHAPE" --chunk-shape "$SHAPE" --ignore-input-sharding \
        --bytes-to-bytes-codecs '[]' "$D/$s.zarr" "$W/zarrs.zarr" >/dev/null 2>"$W/err" ||
        die "zarrs_reencode of $s: $(tail -3 "$W/err")"
    got=-
    [ "$(stat -c %s "$W/zarrs.zarr/c/0/0/0")" = $((FIELD_BYTES + 20)) ] &&
        got=$(head -c "$FIELD_BYTES" "$W/zarrs.zarr/c/0/0/0" | sha256sum | word 1)
    rm -rf "$W/zarrs.zarr"
    [ "$got" = "$SHA" ] || die "zarrs read $s differently from the field"
    # the Python peers and zarrita: the whole array, then each box
    for r in tensorstore zarr zarr+zarrs ${MODS:+zarrita}; do
        if [ "$r" = zarrita ]; then
            got=$(node "$W/node/zarrita_get.mjs" "$D/$s.zarr" --sha256 | word 2)
        else
            got=$($(reader_cmd "$r" "$s" all) --sha256 | word 3)
        fi
        [ "$got" = "$SHA" ] || die "$r read $s differently from the field"
        for b in "${boxes[@]}"; do
            # shellcheck disable=SC2046
            $(reader_cmd "$r" "$s" "box:$b") --verify "$RAW" | grep -q ' verified$' ||
                die "$r read $s by boxes $b wrong"
        done
    done
    echo "  $s: every reader equal to the field, whole and by boxes"
done
for r in zfs-pread zfs-daymmap tensorstore zarr zarr+zarrs ${MODS:+zarrita}; do
    if is_zfs "$r"; then mount_store "$D/ticks.zarr"; fi
    read -r _ _ got < <($(reader_cmd "$r" ticks day) | parse "$r" day) || true
    if is_zfs "$r"; then umount_store; fi
    [ "$got" = "$DAYSHA" ] || die "$r's day differs from the one written"
done
echo "  ticks: every reader's day equal to the one written"
echo "all equal: the field's sha256 $SHA; the day's $DAYSHA ($(secs "$T_CHECK" "$(now)") s)"

# ---- the timed runs -------------------------------------------------------------------
PEERS=(zarrs tensorstore zarr zarr+zarrs)
[ -n "$MODS" ] && PEERS+=(zarrita)
# GROUPS_: "store pattern label readers..."
GROUPS_=()
for s in raw zstd shard; do
    GROUPS_+=("$s all read-all ${PEERS[*]} zfs-read zfs-mmap zfs-api")
    GROUPS_+=("$s box:$BOX_C chunks ${PEERS[*]} zfs-sub zfs-runs")
done
GROUPS_+=("shard box:$BOX_I inner ${PEERS[*]} zfs-sub zfs-runs")
GROUPS_+=("ticks day day ${PEERS[*]:1} zfs-pread zfs-daymmap") # zarrs_tools reads no subsets
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(now)
for g in "${GROUPS_[@]}"; do
    read -r s p label rs <<<"$g"
    read -ra readers <<<"$rs"
    printf '%s %s: %s; %s runs ... ' "$s" "$label" "${readers[*]}" "$RUNS"
    t0=$(now)
    for ((run = 0; run < RUNS; run++)); do
        n=${#readers[@]}
        for ((i = 0; i < n; i++)); do
            r=${readers[$(((i + run) % n))]}
            measure "$s.$label.$r" "$r" "$s" "$p"
        done
    done
    echo "$(secs "$t0" "$(now)") s"
done
t_end=$(now)

# ---- the tables --------------------------------------------------------------------------
best() { awk -v c="$2" '{ print $c }' "$1" | sort -g | head -1; }
top() { awk -v c="$2" '{ print $c }' "$1" | sort -g | tail -1; }
ratio() { [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' || echo -; }
declare -A MED
for g in "${GROUPS_[@]}"; do
    read -r s p label rs <<<"$g"
    for r in $rs; do MED[$s.$label.$r]=$(col "$W/t.$s.$label.$r" 1); done
done
echo
echo "### zarrfs beside the peers"
echo
echo "${N}^3 uint16 ($(awk -v b="$FIELD_BYTES" 'BEGIN { printf "%g", b / 1048576 }') MiB) in three Zarr v3 stores written by tensorstore" \
    "(raw: chunks ${CHUNK}^3; zstd: the same, zstd 0; shard: shards ${CHUNK}^3 of ${INNER}^3, zstd 0)," \
    "and the tick archive ($SYMBOLS x $TN float64, written by tensorstore; the day query a[:, day $QDAY])." \
    "$(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB, nice $(nice); cold runs a row: $RUNS" \
    "(page cache dropped before each, readers interleaved); zarrfs -o cache_size=$CACHE," \
    "zfs-sub/zfs-runs $THREADS threads. Load average $LOAD0 before, $(cut -d' ' -f1-3 /proc/loadavg) after;" \
    "$(secs "$t_start" "$t_end") s of timed runs."
echo "Versions: $("$ZF_ZARRS_BENCH" --version), $("$ZF_PEER_PY" -c 'from importlib.metadata import version as v
print(", ".join(f"{n} {v(p)}" for n, p in (("zarr-python", "zarr"), ("zarrs-python", "zarrs"),
                                            ("tensorstore", "tensorstore"), ("numpy", "numpy"))))')${MODS:+, zarrita.js $(node -p "require('$MODS/zarrita/package.json').version")}," \
    "zarrfs $(git -C "$SRC" describe --always --dirty 2>/dev/null || echo '?')."
echo "Every reader's bytes were checked against the expected ones (sha256 or box by box) before the timed runs," \
    "and every timed run's byte count (the day: its sha256)."
echo "Seconds: best and median; ÷ X: this row's median over X's on the same store and pattern (below 1: faster than X);" \
    "zarr: zarr-python 3, default pipeline. Peak RSS: max over the runs, for zarrfs the reader's plus the daemon's."
DAEMON_MAX=0
for g in "${GROUPS_[@]}"; do
    read -r s p label rs <<<"$g"
    read -ra readers <<<"$rs"
    case $label in
    read-all) what="read all" ;;
    chunks) what="chunk by chunk (boxes of ${CHUNK}^3$([ "$s" != shard ] || echo ": the shards"))" ;;
    inner) what="inner chunk by inner chunk (boxes of ${INNER}^3)" ;;
    day) what="the day query, a[:, day $QDAY] ($((DAY_BYTES >> 20)) MiB)" ;;
    esac
    echo
    echo "#### $s: $what"
    echo
    echo "| reader | best s | median s | ÷ zarrs | ÷ tensorstore | ÷ zarr | peak RSS MiB | daemon MiB |"
    echo "|---|--:|--:|--:|--:|--:|--:|--:|"
    for r in "${readers[@]}"; do
        f=$W/t.$s.$label.$r
        m=${MED[$s.$label.$r]}
        dm=$(top "$f" 3)
        rss=$(awk '{ v = $2 + $3; if (v > m) m = v } END { print m }' "$f")
        ((dm > DAEMON_MAX)) && DAEMON_MAX=$dm
        echo "| $r | $(best "$f" 1) | $m | $(ratio "$m" "${MED[$s.$label.zarrs]:-}") |" \
            "$(ratio "$m" "${MED[$s.$label.tensorstore]}") | $(ratio "$m" "${MED[$s.$label.zarr]}") |" \
            "$rss | $(is_zfs "$r" && echo "$dm" || echo -) |"
    done
done

# ---- the targets ------------------------------------------------------------------------
# target TEXT A OP LIMIT B: the row "TEXT | A/B | OP LIMIT | holds?"
HELD=0 ALL=0
target() {
    local v
    v=$(awk -v a="$2" -v b="$5" 'BEGIN { printf "%.2f", a / b }')
    ALL=$((ALL + 1))
    if awk -v a="$2" -v b="$5" -v op="$3" -v l="$4" 'BEGIN { v = a / b; exit !(op == "<" ? v < l : v <= l) }'; then
        HELD=$((HELD + 1))
        echo "| $1 | $v | $3 $4 | yes |"
    else
        echo "| $1 | $v | $3 $4 | **no** |"
    fi
}
echo
echo "#### The targets of issue 22 (medians)"
echo
echo "| target | ratio | must be | holds |"
echo "|---|--:|--:|---|"
for s in raw zstd shard; do
    zr=${MED[$s.read-all.zfs-read]}
    target "$s read all: zfs-read faster than tensorstore (zfs-read / tensorstore)" "$zr" "<" 1 "${MED[$s.read-all.tensorstore]}"
    target "$s read all: zfs-read faster than zarr-python 3 (zfs-read / zarr)" "$zr" "<" 1 "${MED[$s.read-all.zarr]}"
    target "$s read all: zfs-read faster than zarr-python 3 + zarrs (zfs-read / zarr+zarrs)" "$zr" "<" 1 "${MED[$s.read-all.zarr+zarrs]}"
    target "$s read all: zfs-read at most 1.25x zarrs (zfs-read / zarrs)" "$zr" "<=" 1.25 "${MED[$s.read-all.zarrs]}"
    target "$s read all: zfs-api (zarrfs-cat in process) at most 1.0x zarrs (zfs-api / zarrs)" \
        "${MED[$s.read-all.zfs-api]}" "<=" 1.0 "${MED[$s.read-all.zarrs]}"
done
for sl in raw.chunks zstd.chunks shard.chunks shard.inner; do
    s=${sl%.*} label=${sl#*.}
    zs=${MED[$sl.zfs-sub]}
    for r in tensorstore zarr zarr+zarrs; do
        target "$s $label: zfs-sub faster than $r (zfs-sub / $r)" "$zs" "<" 1 "${MED[$sl.$r]}"
    done
done
zp=${MED[ticks.day.zfs-pread]}
target "day query: zfs-pread at least 2x faster than zarr-python 3 (zfs-pread / zarr)" "$zp" "<=" 0.5 "${MED[ticks.day.zarr]}"
target "day query: zfs-pread not slower than tensorstore (zfs-pread / tensorstore)" "$zp" "<=" 1.0 "${MED[ticks.day.tensorstore]}"
target "memory: daemon peak RSS within cache_size + 64 MiB (peak MiB / ($CACHE_MIB + 64))" "$DAEMON_MAX" "<=" 1.0 "$((CACHE_MIB + 64))"
echo
echo "$HELD of $ALL targets hold."
