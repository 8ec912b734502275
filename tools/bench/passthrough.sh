#!/usr/bin/env bash
# passthrough.sh - what FUSE passthrough (libfuse 3.16+, Linux 6.9+) would
# give zarrfs where a flat file's bytes are one store file's bytes
# unchanged: an uncompressed single-chunk array, bytes codec only, native
# order, local store (256 MiB uint8, zarrfs-pack --codec none, one chunk).
# Not a test, not part of CI.  Four sides, side by side in one run, their
# order rotated each run, RUNS runs, medians:
#   direct  zarrfs -o reads=direct (needs FUSE_DIRECT_IO_ALLOW_MMAP)
#   cached  zarrfs -o reads=cached
#   pass    the store's chunk file passed through: zf-bench-memfs
#           -o passthrough=c/0 (fuse_passthrough_open on its fd), which
#           is what zarrfs's open would do; reads never reach the daemon
#   native  the chunk file itself, no FUSE (the floor)
# Each run, for each side: a fresh mount with the chunk file's pages
# dropped (dd iflag=nocache: only that file, not the machine's cache), then
#   dd_cold  dd bs=1M of the whole file, s;  dd_warm  the same again, s;
# a fresh mount, dropped again:  rand_us  NRAND random 4 KiB preads
# (zf-bench-randread, POSIX_FADV_RANDOM), mean us;  a fresh mount, dropped
# again:  mmap_s  numpy.memmap of the file, one byte of every page read in
# order, s;  mmap_warm  the same again on the same mapping, s.
# usage (in the Debian 13 root, as root):
#   tools/debian13.sh run bash tools/bench/passthrough.sh build-deb13/bin [RUNS [NRAND]]
# RUNS default 5, NRAND default 4000 (arguments: the root's commands get a
# clean environment).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
source "$SRC/tools/bench/common.bash"
BIN=$(cd "${1:-build/bin}" && pwd)
RUNS=${2:-5}
NRAND=${3:-4000}
SIZE=$((256 << 20))
bench_workdir passthrough

S=$W/a.zarr
head -c "$SIZE" /dev/urandom >"$W/a.raw"
"$BIN/zarrfs-pack" --shape "$SIZE" --dtype uint8 --chunks "$SIZE" --codec none \
    "$W/a.raw" "$S" 2>"$W/pack.err" || { cat "$W/pack.err"; exit 1; }
CHUNK=$S/c/0
cmp -s "$CHUNK" "$W/a.raw" || { echo "the chunk file is not the flat bytes" >&2; exit 1; }
rm "$W/a.raw"

# up SIDE: mounts SIDE at $W/SIDE (or nothing, native); sets F, PID.
up() {
    local m=$W/$1
    mkdir -p "$m"
    dd if="$CHUNK" iflag=nocache count=0 status=none
    case $1 in
    direct | cached)
        "$BIN/zarrfs" -f -o "reads=$1" "$S" "$m" 2>>"$W/$1.log" &
        PID=$!; F=$m/a ;;
    pass)
        "$BIN/zf-bench-memfs" 0 "$m" -f -o readahead=1048576 \
            -o "passthrough=$CHUNK" 2>>"$W/pass.log" &
        PID=$!; F=$m/data ;;
    native) PID=; F=$CHUNK; return 0 ;;
    esac
    wait_mount "$m" "$PID" || { echo "$1 did not mount: $(cat "$W/$1.log")" >&2; exit 1; }
    if [ "$1" = direct ]; then
        [ "$(stat_field "$m/.zarrfs/stats" reads)" = direct ] ||
            { echo "reads=direct not negotiated here" >&2; exit 1; }
    fi
}
down() { [ -z "$PID" ] || unmount "$W/$1" "$PID"; }

timed_dd() {
    local t0
    t0=$(now); dd if="$1" of=/dev/null bs=1M status=none; secs "$t0" "$(now)"
}

SIDES=(direct cached pass native)
for ((r = 0; r < RUNS; r++)); do
    for ((k = 0; k < ${#SIDES[@]}; k++)); do
        side=${SIDES[(k + r) % ${#SIDES[@]}]}
        up "$side"
        cmp -s "$F" "$CHUNK" || { echo "$side: the file's bytes differ" >&2; exit 1; }
        down "$side"; up "$side"
        cold=$(timed_dd "$F"); warm=$(timed_dd "$F")
        down "$side"; up "$side"
        # ($(...), not <(...): the reader must have closed the file before
        # the unmount)
        out=$("$BIN/zf-bench-randread" "$F" "$NRAND" 4096 $((7 + r)) /dev/null)
        read -r _ _ rmean <<<"$out"
        down "$side"; up "$side"
        out=$(python3 -c '
import sys, time, numpy as np
m = np.memmap(sys.argv[1], dtype=np.uint8, mode="r")
out = []
for _ in range(2):
    t = time.perf_counter(); int(m[::4096].sum()); out.append(time.perf_counter() - t)
print("%.4f %.4f" % tuple(out))' "$F")
        read -r mc mw <<<"$out"
        down "$side"
        echo "$cold $warm $rmean $mc $mw" >>"$W/$side.tsv"
    done
    echo "run $((r + 1)) of $RUNS done" >&2
done

printf '%-7s %9s %9s %9s %9s %9s\n' side dd_cold dd_warm rand_us mmap_s mmap_warm
for side in "${SIDES[@]}"; do
    printf '%-7s %9s %9s %9s %9s %9s\n' "$side" "$(col "$W/$side.tsv" 1)" \
        "$(col "$W/$side.tsv" 2)" "$(col "$W/$side.tsv" 3)" \
        "$(col "$W/$side.tsv" 4)" "$(col "$W/$side.tsv" 5)"
done
echo "(medians of $RUNS runs, $(nproc) cores, $(uname -r), libfuse $(pkg-config --modversion fuse3 2>/dev/null || echo '?'))"
