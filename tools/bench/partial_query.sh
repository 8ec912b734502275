#!/usr/bin/env bash
# partial_query.sh - does the work a read causes follow the chunk grid?  (Not
# a test, not part of CI.)
#
# The archive: float64 [64 symbols, 8 days of seconds] (354 MB), inner
# chunks (1, 86400) - one day of one symbol - in shards (1, 691200), bytes +
# zstd 3, written from the Zarr spec by tools/bench/tick_archive.py (numpy +
# zstandard, not zarrfs).  The store's files stay in the page cache.
#
# Each query runs on a fresh mount (so the kernel's page cache of the file
# is empty) RUNS times; medians.  For each: seconds, chunks decoded, store
# bytes read, bytes served (.zarrfs/stats), the daemon's peak RSS, the CPU
# seconds the reader and the daemon took during the query, and whether the
# values equal those of the first way of asking (sha256).
#   day-pread    one day of all 64 symbols: 64 preads of 691,200 bytes
#   day-again    day-pread twice on one mount, the second on the clock: the
#                kernel's page cache serves it (the reader's own floor)
#   day-into     the same into one buffer touched before the clock starts
#                (what the query costs without the reader's page faults)
#   day-mmap     the same through numpy.memmap, a[:, d*86400:(d+1)*86400]
#   day-threads  the same as day-pread over 4 threads
#   column       one symbol, all days: 1 MiB reads in order
#   whole        the whole file, 1 MiB reads in order (dd bs=1M)
# and zarrita.js 0.7.5's zarr.get(arr, [null, slice]) of the same day, in
# process (tools/bench/zarrita_slice.mjs), interleaved with the mounts.
# The chunks a day query must decode: 64.  Last, the least time the day
# query by pread could take on this machine with the work it causes now:
# (reader CPU + daemon CPU) / cores, as if both overlapped perfectly.
#
# Then the large-chunk rows: float64 8192 x 8192 (512 MiB) in 64 MiB chunks
# (1024 x 8192, zstd 1), dd bs=1M of the mount with -o cache_size=32M and
# with the defaults: seconds, chunks decoded (8 hold the data) and the
# daemon's peak RSS.
#
# usage: bash tools/bench/partial_query.sh [BIN]
#   BIN: the build's bin folder (default $ZF_BIN or build/bin).
#   ZF_BENCH_RUNS (default 5), ZF_BENCH_NICE (default -20), ZF_PQ_OPTS
#   (extra -o options for every zarrfs mount, e.g. readahead=0),
#   ZF_NPM_CACHE, ZF_ZARRFS (the command that mounts, in place of
#   BIN/zarrfs; it must become the zarrfs process: for the Debian 13 build,
#   ZF_ZARRFS="bash tools/debian13.sh zarrfs" with TMPDIR=.debian13/root/tmp,
#   so that the mount is made in the root and read from here).  Run as root
#   (read_ahead_kb, nice).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-${ZF_BIN:-build/bin}}
RUNS=${ZF_BENCH_RUNS:-5}
SYMBOLS=64 DAYS=8 DAY=86400
N=$((DAYS * DAY))
QDAY=3 # the day asked for
read -ra ZARRFS <<<"${ZF_ZARRFS:-$BIN/zarrfs}"
[ -n "${ZF_ZARRFS:-}" ] || [ -x "$BIN/zarrfs" ] ||
    { echo "no $BIN/zarrfs: build first (or pass the bin folder)" >&2; exit 1; }
[ -c /dev/fuse ] || { echo "no /dev/fuse: cannot mount" >&2; exit 1; }
source "$SRC/tools/bench/common.bash"
bench_workdir pq
PY=/usr/bin/python3
OPTS=()
[ -z "${ZF_PQ_OPTS:-}" ] || OPTS=(-o "$ZF_PQ_OPTS")

# mount_store STORE [options...]: a fresh zarrfs -f of STORE on $MNT; MPID.
mount_store() {
    local store=$1
    shift
    "${ZARRFS[@]}" -f "${OPTS[@]}" "$@" "$store" "$MNT" 2>>"$W/zarrfs.log" &
    MPID=$!
    wait_mount "$MNT" "$MPID" || { echo "zarrfs did not mount: $(tail -3 "$W/zarrfs.log")" >&2; exit 1; }
}

echo "writing the archive (tick_archive.py) ..."
STORE=$W/ticks.zarr
stored=$("$PY" "$SRC/tools/bench/tick_archive.py" ticks "$STORE" $SYMBOLS $DAYS)
cat "$STORE"/c/*/* >/dev/null

# query KIND [ARG]: one fresh-mount run; appends "secs decoded store served
# sha" to $W/q.KIND.
query() {
    local kind=$1 arg=${2:-$QDAY} out
    mount_store "$STORE"
    local how=$kind c0 c1
    if [ "$kind" = day-again ]; then # off the clock and the counters: fills the page cache
        how=day-pread
        "$PY" "$SRC/tools/bench/pq_query.py" "$MNT/ticks" $SYMBOLS $N $how "$arg" >/dev/null
    fi
    cp "$MNT/.zarrfs/stats" "$W/s0"
    c0=$(cpu_of "$MPID")
    out=$("$PY" "$SRC/tools/bench/pq_query.py" "$MNT/ticks" $SYMBOLS $N $how "$arg")
    c1=$(cpu_of "$MPID")
    cp "$MNT/.zarrfs/stats" "$W/s1"
    echo "$out $(vmhwm "$MPID")" >"$W/last"
    unmount "$MNT" "$MPID"
    read -r t sha rcpu hwm <"$W/last"
    echo "$t $(stats_delta "$W/s0" "$W/s1" chunks_decoded) $(stats_delta "$W/s0" "$W/s1" store_bytes_read)" \
         "$(stats_delta "$W/s0" "$W/s1" bytes_served) $hwm $sha $rcpu $(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" \
         >>"$W/q.$kind"
}

MODS=$(zarrita_modules)
if [ -n "$MODS" ]; then
    mkdir -p "$W/node"
    cp "$SRC/tools/bench/zarrita_slice.mjs" "$W/node/"
    ln -s "$MODS" "$W/node/node_modules"
fi
KINDS=(day-pread day-again day-into day-mmap day-threads column whole)
echo "queries: ${KINDS[*]}${MODS:+ zarrita}; $RUNS runs each, interleaved ..."
for ((r = 0; r < RUNS; r++)); do
    for k in "${KINDS[@]}"; do
        query "$k"
    done
    if [ -n "$MODS" ]; then
        node "$W/node/zarrita_slice.mjs" "$STORE" $((QDAY * DAY)) $(((QDAY + 1) * DAY)) |
            awk '{ print $1, "-", "-", "-", "-", $2, "-", "-" }' >>"$W/q.zarrita"
    fi
done

DAYSHA=$(awk 'NR == 1 { print $6 }' "$W/q.day-pread")
same() { # FILE SHA: "yes" when every run's values hash to SHA
    awk -v s="$2" '$6 != s { bad = 1 } END { print bad ? "NO" : "yes" }' "$1"
}
echo
echo "partial queries: float64 [$SYMBOLS, $N], inner (1, $DAY) in shards (1, $N), zstd 3;" \
     "store $stored bytes; $(nproc) cores; mount options: ${ZF_PQ_OPTS:-defaults};" \
     "$(grep -o 'reads: .*' "$W/zarrfs.log" | sort | uniq -c | sed 's/^ *//' | paste -sd';')"
echo "medians of $RUNS runs, each on a fresh mount; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-12s %9s %9s %12s %12s %8s %7s %7s %s\n' query seconds decoded store_bytes served rss_MiB \
    cpu_rd cpu_zfs "values"
for k in "${KINDS[@]}" zarrita; do
    f=$W/q.$k
    [ -s "$f" ] || continue
    case $k in column|whole) ok=consistent ;; *) ok=$(same "$f" "$DAYSHA") ;; esac
    [ "$k" = zarrita ] && ok="$(same "$f" "$DAYSHA") (same as day-pread)"
    printf '%-12s %9s %9s %12s %12s %8s %7s %7s %s\n' "$k" "$(col "$f" 1)" "$(col "$f" 2)" \
        "$(col "$f" 3)" "$(col "$f" 4)" "$(col "$f" 5)" "$(col "$f" 7)" "$(col "$f" 8)" "$ok"
done
if [ -s "$W/q.zarrita" ]; then
    z=$(col "$W/q.zarrita" 1)
    for k in day-pread day-into day-mmap day-threads; do
        awk -v z="$z" -v t="$(col "$W/q.$k" 1)" -v k="$k" \
            'BEGIN { printf "zarrita / %-12s %.2fx (target >= 2.5 for pread and mmap)\n", k, z / t }'
    done
fi
# The chunks the day query's page-rounded ranges touch (each symbol's day,
# and the days its first and last pages reach into).
TOUCHED=$(awk -v S=$SYMBOLS -v N=$N -v D=$DAY -v q=$QDAY 'BEGIN {
    for (s = 0; s < S; s++) {
        a = int((s * N + q * D) * 8 / 4096) * 4096
        b = int(((s * N + (q + 1) * D) * 8 + 4095) / 4096) * 4096
        t += int((b / 8 - 1) / D) - int(a / 8 / D) + 1
    }
    print t }')
awk -v m="$(col "$W/q.day-mmap" 2)" -v p="$(col "$W/q.day-pread" 2)" -v t="$TOUCHED" \
    'BEGIN { printf "decoded: mmap / pread %.2f (target <= 1.25); pread / %d touched %.2f (target <= 1.1)\n", m / p, t, p / t }'
if [ -s "$W/q.zarrita" ]; then
    awk -v r="$(col "$W/q.day-pread" 7)" -v d="$(col "$W/q.day-pread" 8)" -v c="$(nproc)" \
        -v z="$(col "$W/q.zarrita" 1)" 'BEGIN {
        printf "day-pread with perfect overlap: (reader %.3f + daemon %.3f CPU s) / %d cores = %.3f s;", r, d, c, (r + d) / c
        printf " 2.5x zarrita needs %.3f s\n", z / 2.5 }'
fi

# ---- chunks larger than the cache ------------------------------------------------
[ "${ZF_PQ_BIG:-1}" = 1 ] || exit 0
echo
echo "writing the large-chunk array (8192 x 8192 float64, 64 MiB chunks) ..."
BIG=$W/big.zarr
"$PY" "$SRC/tools/bench/tick_archive.py" big "$BIG" >/dev/null
cat "$BIG"/c/*/* >/dev/null
rm -f "$STORE" -r
for ((r = 0; r < RUNS; r++)); do
    for opts in "cache_size=32M,threads=8" "defaults"; do
        if [ "$opts" = defaults ]; then mount_store "$BIG"; else mount_store "$BIG" -o "$opts"; fi
        cp "$MNT/.zarrfs/stats" "$W/s0"
        t0=$(now)
        dd if="$MNT/big" of=/dev/null bs=1M 2>/dev/null
        t1=$(now)
        cp "$MNT/.zarrfs/stats" "$W/s1"
        echo "$(secs "$t0" "$t1") $(stats_delta "$W/s0" "$W/s1" chunks_decoded) $(vmhwm "$MPID")" >>"$W/b.${opts%%,*}"
        unmount "$MNT" "$MPID"
    done
done
printf '%-26s %9s %9s %8s\n' "dd bs=1M, 64 MiB chunks" seconds decoded rss_MiB
for o in cache_size=32M defaults; do
    printf '%-26s %9s %9s %8s\n' "$o" "$(col "$W/b.$o" 1)" "$(col "$W/b.$o" 2)" "$(col "$W/b.$o" 3)"
done
awk -v s="$(col "$W/b.cache_size=32M" 1)" -v d="$(col "$W/b.defaults" 1)" \
    'BEGIN { printf "speed 32M / defaults: %.2f (target >= 0.8)\n", d / s }'
