#!/usr/bin/env bash
# decode_targets.sh - issue 23's decode targets, at the benchmark's own
# geometry, as counts from .zarrfs/stats, in the mode the mount runs in.
#
# The data: tools/bench/tick_archive.py (numpy + zstandard from the spec, as
# tools/bench/partial_query.sh writes it, with 5 days in place of 8) -
# float64 [64 symbols, 5 days of 86400 s], inner chunks (1, 86400) in
# shards of one symbol: a day starts inside a page.  The queries are the
# benchmark's own reader (tools/bench/pq_query.py), each on a fresh mount
# with the defaults, day 2 (two neighbours on either side):
#   - a day by pread decodes exactly the 64 chunks that hold it;
#   - a day by numpy.memmap decodes at most 1.25 x the chunks its pages
#     touch.  (Not 1.25 x pread's 64, the issue's words: a page across a
#     chunk end needs both chunks, and this day's pages touch 160 chunks,
#     2.5 a symbol; the benchmark's 8-day file's touch 128, 2 a symbol.
#     With the defaults' 128K window: 192, 1.2 x.)
#   - float64 3072 x 8192 in 64 MiB chunks, -o cache_size=32M: dd bs=1M
#     decodes each of the 3 chunks once;
# and every query gives the values numpy wrote.  Those are the bounds of
# direct reads (libfuse 3.16+, kernel 6.6+: the Debian 13 leg).  Cached
# reads (Debian 12's libfuse 3.14) go through the page cache, whose page
# rounding, readahead and fault read-around reach into neighbouring chunks;
# their bounds, measured on the Debian 12 host (kernel 6.18, 2 shared
# cores, 3 runs, the same counts each time): pread decodes 160 (2.5 a
# symbol; bound: the day and one chunk on either side, 192); memmap 319 of
# the file's 320 chunks, 1.99 x the 160 its pages touch (bound 2 x: the
# read-around takes nearly the whole file, which direct reads fix); dd with
# cache_size=32M 3 (bound: each chunk once, as direct).
# The mode a mount must run in: $ZF_EXPECT_READS (the Debian 13 leg sets
# direct), else what zf_reads_expected says this build and kernel give.
# ZF_ZARRFS: the command that mounts (mount_common.bash), e.g. the Debian 13
# build's zarrfs in its root, read from this machine's numpy.
# Exit 0 = pass, 77 = skip (no /dev/fuse).
source "$(dirname "$0")/mount_common.bash"
zf_require
SRC=${ZF_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
zf_require_py numpy zstandard

SYMBOLS=64 DAYS=5 DAY=86400 QDAY=2
N=$((DAYS * DAY))
RAW=$T/ticks.raw "$PY" "$SRC/tools/bench/tick_archive.py" ticks "$T/ticks.zarr" \
    $SYMBOLS $DAYS $DAY >/dev/null
# The values' sha256, and the chunks the day's pages touch.
read -r want_sha touched < <("$PY" -c 'import hashlib, sys, numpy as np
s, n, day, q = map(int, sys.argv[2:])
a = np.fromfile(sys.argv[1], "<f8").reshape(s, n)
t = set()
for r in range(s):
    first = (r * n + q * day) * 8 // 4096 * 4096 // 8
    last = min(-(-(r * n + (q + 1) * day) * 8 // 4096) * 4096 // 8, s * n) - 1
    t.update((first // day, last // day, (r * n + q * day) // day))
print(hashlib.sha256(np.ascontiguousarray(a[:, q * day:(q + 1) * day]).tobytes()).hexdigest(), len(t))' \
    "$T/ticks.raw" $SYMBOLS $N $DAY $QDAY)
rm -f "$T/ticks.raw"
stat_field() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
decoded() { echo $(($(stat_field "$T/s1" chunks_decoded) - $(stat_field "$T/s0" chunks_decoded))); }

expect=${ZF_EXPECT_READS:-$(zf_reads_expected)}
M=$T/m
# query KIND: a day by pread or memmap on a fresh mount; sets got (decoded).
query() {
    zf_mount_fg "$T/ticks.zarr" "$M" "$T/log" || { bad "mount: $(tail -3 "$T/log")"; return 1; }
    local mode
    mode=$(zf_reads "$M")
    check "$1: the mount reads $mode ($expect expected)" [ "$mode" = "$expect" ]
    cp "$M/.zarrfs/stats" "$T/s0"
    local out
    out=$("$PY" "$SRC/tools/bench/pq_query.py" "$M/ticks" $SYMBOLS $N "$1" $QDAY)
    cp "$M/.zarrfs/stats" "$T/s1"
    zf_umount "$M" "$ZF_PID"
    got=$(decoded)
    check "$1: the values numpy wrote" [ "$(cut -d' ' -f2 <<<"$out")" = "$want_sha" ]
}

if [ "$expect" = direct ]; then
    pread_max=$SYMBOLS mmap_max=$((touched * 5 / 4))
else
    pread_max=$((SYMBOLS * 3)) mmap_max=$((touched * 2))
fi
if query day-pread; then
    if [ "$expect" = direct ]; then
        check "day by pread decodes exactly the $SYMBOLS chunks that hold it ($got)" \
            [ "$got" -eq $SYMBOLS ]
    else
        check "day by pread decodes $got chunks: the $SYMBOLS that hold it, at most $pread_max (cached reads)" \
            test "$got" -ge $SYMBOLS -a "$got" -le $pread_max
    fi
fi
if query day-mmap; then
    check "day by memmap decodes $got chunks: the $touched its pages touch, at most $mmap_max" \
        test "$got" -ge "$touched" -a "$got" -le "$mmap_max"
fi

# --- 64 MiB chunks, cache_size=32M --------------------------------------------
rm -rf "$T/ticks.zarr"
ROWS=3072 COLS=8192 CROWS=1024
RAW=$T/big.raw "$PY" "$SRC/tools/bench/tick_archive.py" big "$T/big.zarr" $ROWS $COLS $CROWS >/dev/null
big_sha=$(sha256sum <"$T/big.raw" | cut -d' ' -f1)
rm -f "$T/big.raw"
if zf_mount_fg "$T/big.zarr" "$M" "$T/log" -o cache_size=32M; then
    check "64 MiB chunks: the mount reads $(zf_reads "$M") ($expect expected)" \
        [ "$(zf_reads "$M")" = "$expect" ]
    cp "$M/.zarrfs/stats" "$T/s0"
    sha=$(dd if="$M/big" bs=1M 2>/dev/null | sha256sum | cut -d' ' -f1)
    cp "$M/.zarrfs/stats" "$T/s1"
    zf_umount "$M" "$ZF_PID"
    check "64 MiB chunks, cache_size=32M: dd bs=1M gives the bytes numpy wrote" [ "$sha" = "$big_sha" ]
    check "64 MiB chunks, cache_size=32M: dd decodes each of the $((ROWS / CROWS)) chunks once ($(decoded))" \
        [ "$(decoded)" -eq $((ROWS / CROWS)) ]
else
    bad "mount with cache_size=32M: $(tail -3 "$T/log")"
fi
zf_finish
