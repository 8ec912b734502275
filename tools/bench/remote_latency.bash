# remote_latency.bash - tools/bench/remote.sh's latency mode
# (ZF_BENCH_LATENCY=25ms): sourced by remote.sh after its helpers (SRC, BIN,
# GEN, RAND, T, W, MNT, RUNS, NRAND, mount_it, umount_it); not run alone.
#
# One real server throughout: versitygw (tests/remote/s3gw.bash) on loopback,
# a public bucket, reached through tools/bench/latproxy (a TCP delay line:
# LATENCY before the first byte of every reply; tools/bench/latproxy.sh
# measured it).  Each row runs with no delay (the proxy at 0, so the path is
# the same) and at LATENCY, in one run, RUNS times (medians), the readers
# interleaved.  The data, written once into W (ZF_BENCH_DIR keeps it):
#  big      1 GiB sharded zstd array: 512 x 1024 x 1024 uint16 of gen_field,
#           64^3 inner chunks in 256^3 shards, zstd:3 + crc32c (zarrfs-pack)
#  big2     its Zarr v2 copy for GDAL 3.6, which reads v2 only: chunks
#           256^3 (one object a shard's box, the nearest v2 has to a
#           shard), zstd 3 (tools/bench/v2_copy.py, tensorstore)
#  ticks    the seed's day query archive of tools/bench/partial_query.sh:
#           float64 [64 symbols, 8 days of seconds], a day of one symbol an
#           inner chunk in a shard a symbol, zstd 3 (tick_archive.py)
#  ticks2   its v2 copy for GDAL: chunks (1, 86400), a day of one symbol an
#           object (v2 has no shards), zstd 3 - the same chunks the day
#           query decodes, so the layout is fair to GDAL
# The rows:
#  zarrfs-dd     cold `dd bs=1M` of big, a fresh mount
#  tensorstore   big read whole into numpy through its s3 kvstore
#  zarr+obstore  the same with zarr-python 3 on obstore's S3Store
#  gdal          big2 read whole by GDAL's /vsis3/ (multidimensional API,
#                ReadAsArray; tools/bench/peer_read.py gdal)
#  day-pread     a[:, day 3] of ticks (44 MiB) on a fresh zarrfs mount, one
#                pread a symbol (tools/bench/pq_query.py day-pread)
#  day-mmap      the same through numpy.memmap of the mounted file
#  day-ts, day-zarr, day-gdal   the same day by tensorstore, zarr-python 3
#                (obstore) and GDAL (ticks2) (peer_read.py cols:A:B)
#  zarrfs-rand   NRAND random 4 KiB preads of big (fresh mount, fixed seed),
#                with the default cache and with -o cache_size=2G
# Columns: MB/s (1e6 bytes/s of the array served) or seconds (the day),
# GETs per MiB served or GETs (the server's access log), bytes fetched per
# MiB served (zarrfs's .zarrfs/stats; versitygw logs no byte counts, so "-"
# for the peers), peak RSS (MiB) of the reader (zarrfs: the daemon, for the
# day query the daemon plus the Python reader), chunks decoded (zarrfs's
# .zarrfs/stats; the day needs 64).  Every day row's values are compared
# (sha256) with day-pread's at no delay.
#
# The random row's least (tools/bench/shards.py least) counts every inner
# chunk touched once plus one index per shard.  With the default 256 MiB
# cache, 300 reads of this 1 GiB array make 4,800 touches (16 inner chunks
# a read) of its 2,048 decoded chunks of 512 KiB; the distinct chunks they
# touch are several times what the cache holds (at 278142d: 1,840 chunks,
# 920 MiB decoded, 1.876x the least), so chunks are evicted before later
# reads reuse them and fetched again: that measures the cache's size, not
# the read path (with 20 reads nothing is evicted: 1.000x).  So the row
# that checks the target (<= 1.2x) is the one with cache_size=2G, where
# every chunk touched stays (1.000x); the default's is printed beside it.  Requests: a 4 KiB read
# of this array is 2 rows of 1,024 values, so it crosses the 16 inner
# chunks of a row, which lie in 4 shard objects (1,024 / 256).  S3 has no
# multi-object GET, so with cold chunks 4 GETs a read is the least any
# reader can do: "one request a read" cannot hold with 256^3 shards.  The
# layout lifts it: shards spanning the last axis (e.g. 64 x 64 x 1024 of
# 64^3 chunks) hold a row's 16 chunks next to each other in one object, one
# ranged GET.
ZF_SRC=$SRC
source "$SRC/tests/remote/s3gw.bash"
zf_require_s3gw
LAT=$ZF_BENCH_LATENCY
lat_cleanup() {
    [ -n "$LP" ] && kill "$LP" 2>/dev/null
    zf_s3gw_stop
    cleanup
}
trap lat_cleanup EXIT

latproxy_build "$T" || exit 1

BIG=$W/big.zarr
if [ ! -f "$BIG/zarr.json" ]; then
    echo "packing the 1 GiB volume into $BIG ..."
    rm -rf "$BIG"
    "$GEN" --size 1024 | head -c $((1 << 30)) | "$BIN/zarrfs-pack" \
        --shape 512,1024,1024 --dtype uint16 --chunks 64,64,64 \
        --shards 256,256,256 --codec zstd:3 --crc32c - "$BIG" || exit 1
fi
DAY=86400 QDAY=3
TICKS=$W/ticks.zarr
if [ ! -f "$TICKS/zarr.json" ]; then
    echo "writing the tick archive into $TICKS ..."
    rm -rf "$TICKS"
    /usr/bin/python3 "$SRC/tools/bench/tick_archive.py" ticks "$TICKS" 64 8 >/dev/null || exit 1
fi
# v2_copy V3 V2 CHUNKS: the v2 copy for GDAL, once (.complete: whole)
v2_copy() {
    [ -f "$2/.complete" ] && return 0
    echo "writing the Zarr v2 copy $2 ..."
    "$PEER_PY" "$SRC/tools/bench/v2_copy.py" "$1" "$2" "$3" && touch "$2/.complete"
}
v2_copy "$BIG" "$W/big2.zarr" 256,256,256 || exit 1
v2_copy "$TICKS" "$W/ticks2.zarr" 1,$DAY || exit 1
# shape STORE: its shape, one number a dimension (a smaller store left in
# ZF_BENCH_DIR makes a quick trial run)
shape() { python3 -c 'import json, sys; print(*json.load(open(sys.argv[1]))["shape"])' "$1/zarr.json"; }
SIZE=$(shape "$BIG" | awk '{ n = 2; for (i = 1; i <= NF; i++) n *= $i; print n }') # uint16
read -r SYMBOLS TN < <(shape "$TICKS")
zf_s3gw_start "$T/gw" --access-log "$T/access.log" || exit 1
zf_s3 mb pub && zf_s3 public pub || exit 1
for s in big big2 ticks ticks2; do
    zf_s3 put-tree pub $s "$W/$s.zarr" >/dev/null || exit 1
done

gets() { grep -c ' s3_GetObject ' "$T/access.log"; } # GETs served so far

# zfs_dd: "secs gets bytes rss" of one cold dd on a fresh mount
zfs_dd() {
    local g0 t0 t1 b rss
    mount_it s3://pub/big -o "s3_endpoint=$PX" ${ZF_BENCH_REMOTE_OPTS:-}
    g0=$(gets)
    t0=$(now)
    dd if="$MNT/big" of=/dev/null bs=1M 2>/dev/null
    t1=$(now)
    b=$(stat_field "$MNT/.zarrfs/stats" store_bytes_read)
    rss=$(vmhwm "$ZPID")
    umount_it
    echo "$(secs "$t0" "$t1") $(($(gets) - g0)) $b $rss"
}
# peer PY READER STORE PATTERN: "secs gets - rss sha" of one read by a peer
# (tools/bench/peer_read.py; sha "-" unless PATTERN is the day)
peer() {
    local g0 out py=$1
    shift
    g0=$(gets)
    out=$(AWS_ENDPOINT_URL=$PX /usr/bin/time -f 'RSS %M' "$py" \
        "$SRC/tools/bench/peer_read.py" "$@" $([[ $3 == cols:* ]] && echo --sha256) 2>&1) ||
        { echo "remote.sh: $1 on $2 failed: $(tail -3 <<<"$out")" >&2; echo "0 0 - 0 -"; return; }
    awk -v g=$(($(gets) - g0)) '/^RSS/ { r = $2 / 1024 } /^[0-9.]+ [0-9]+/ { s = $1; h = NF > 2 ? $3 : "-" }
        END { printf "%s %d - %.0f %s\n", s, g, r, h }' <<<"$out"
}
# zfs_day KIND: "secs gets decoded rss sha" of one day query (pq_query.py
# KIND) on a fresh mount; rss: the daemon's plus the reader's
zfs_day() {
    local g0 out secs sha rss
    mount_it s3://pub/ticks -o "s3_endpoint=$PX" ${ZF_BENCH_REMOTE_OPTS:-}
    cp "$MNT/.zarrfs/stats" "$T/s0"
    g0=$(gets)
    # (not `read < <(...)`: that returns before time has written its file)
    out=$(/usr/bin/time -f %M -o "$T/rss" /usr/bin/python3 \
        "$SRC/tools/bench/pq_query.py" "$MNT/ticks" $SYMBOLS $TN "$1" $QDAY)
    read -r secs sha _ <<<"$out"
    cp "$MNT/.zarrfs/stats" "$T/s1"
    rss=$(($(vmhwm "$ZPID") + $(tail -1 "$T/rss") / 1024))
    umount_it
    echo "$secs $(($(gets) - g0)) $(stats_delta "$T/s0" "$T/s1" chunks_decoded) $rss $sha"
}
# rand [OPTS]: "p50 p99 bytes least gets nshards rss" of NRAND 4 KiB reads
rand() {
    local g0 p50 p99 mean b rss least nch nsh
    mount_it s3://pub/big -o "s3_endpoint=$PX${1:+,$1}" ${ZF_BENCH_REMOTE_OPTS:-}
    g0=$(gets)
    read -r p50 p99 mean < <("$RAND" "$MNT/big" "$NRAND" 4096 7 "$T/offs")
    b=$(stat_field "$MNT/.zarrfs/stats" store_bytes_read)
    rss=$(vmhwm "$ZPID")
    umount_it
    read -r least nch nsh < <(python3 "$SRC/tools/bench/shards.py" least "$BIG" "$T/offs" 4096)
    echo "$p50 $p99 $b $least $(($(gets) - g0)) $nsh $rss $nch"
}
# median_run "f1 f2 ..."...: the run whose first field is the median
median_run() { printf '%s\n' "$@" | sort -g | awk -v k=$# '{ v[NR] = $0 } END { print v[int((k + 1) / 2)] }'; }
# row NAME DELAY "secs gets bytes rss"...: the median run's figures
row() {
    local name=$1 d=$2
    shift 2
    median_run "$@" | awk -v n="$name" -v d="$d" -v size="$SIZE" '
        $1 == 0 { printf "%-14s %6s failed\n", n, d; next }
        {   mib = size / 1048576
        printf "%-14s %6s %9.0f %9.2f %12s %8d\n", n, d, size / $1 / 1e6, $2 / mib,
            $3 == "-" ? "-" : sprintf("%.0f", $3 / mib), $4 }'
}
# day_row NAME DELAY "secs gets decoded rss sha"...: the median run's
# figures, and whether every run's values equal day-pread's at no delay
day_row() {
    local name=$1 d=$2 m
    shift 2
    m=$(median_run "$@")
    printf '%s\n' "$@" | awk -v n="$name" -v d="$d" -v m="$m" -v ref="${DAYSHA:-}" '
        { if ($5 != ref) bad = 1 }
        END { split(m, f, " ")
              printf "%-14s %6s %9.3f %6d %8s %8d  %s\n", n, d, f[1], f[2], f[3], f[4], bad ? "DIFFER" : "equal" }'
}

declare -A R
DAYSHA=
for d in 0s "$LAT"; do
    latproxy_start "$T" "$S3_EP" "$d"
    dd_runs=() ts_runs=() zr_runs=() gd_runs=()
    dp_runs=() dm_runs=() dh_runs=() dt_runs=() dz_runs=() dg_runs=()
    for ((r = 0; r < RUNS; r++)); do
        dd_runs+=("$(zfs_dd)")
        ts_runs+=("$(peer "$PEER_PY" tensorstore s3://pub/big all)")
        zr_runs+=("$(peer "$PEER_PY" zarr s3://pub/big all)")
        gd_runs+=("$(peer /usr/bin/python3 gdal s3://pub/big2 all)")
        dp_runs+=("$(zfs_day day-pread)")
        [ -n "$DAYSHA" ] || DAYSHA=$(awk '{ print $5 }' <<<"${dp_runs[0]}")
        dm_runs+=("$(zfs_day day-mmap)")
        dh_runs+=("$(zfs_day day-threads)")
        dt_runs+=("$(peer "$PEER_PY" tensorstore s3://pub/ticks cols:$((QDAY * DAY)):$(((QDAY + 1) * DAY)))")
        dz_runs+=("$(peer "$PEER_PY" zarr s3://pub/ticks cols:$((QDAY * DAY)):$(((QDAY + 1) * DAY)))")
        dg_runs+=("$(peer /usr/bin/python3 gdal s3://pub/ticks2 cols:$((QDAY * DAY)):$(((QDAY + 1) * DAY)))")
    done
    R[dd$d]=$(row zarrfs-dd "$d" "${dd_runs[@]}")
    R[ts$d]=$(row tensorstore "$d" "${ts_runs[@]}")
    R[zr$d]=$(row zarr+obstore "$d" "${zr_runs[@]}")
    R[gd$d]=$(row gdal "$d" "${gd_runs[@]}")
    R[dp$d]=$(day_row day-pread "$d" "${dp_runs[@]}")
    R[dm$d]=$(day_row day-mmap "$d" "${dm_runs[@]}")
    R[dh$d]=$(day_row day-threads "$d" "${dh_runs[@]}")
    R[dt$d]=$(day_row day-ts "$d" "${dt_runs[@]}")
    R[dz$d]=$(day_row day-zarr "$d" "${dz_runs[@]}")
    R[dg$d]=$(day_row day-gdal "$d" "${dg_runs[@]}")
    R[rand$d]=$(rand)
    R[rand2G$d]=$(rand cache_size=2G)
done

echo
echo "latency mode: $(shape "$BIG" | tr ' ' x) uint16 ($((SIZE >> 20)) MiB), 64^3 chunks in 256^3 shards, zstd:3 + crc32c (gdal: its v2 copy, 256^3 chunks, zstd 3), on versitygw (loopback) through latproxy; $(nproc) cores; median of $RUNS; mount options: ${ZF_BENCH_REMOTE_OPTS:-none}; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; zarrfs $(git -C "$SRC" describe --always --dirty 2>/dev/null || echo '?')"
printf '%-14s %6s %9s %9s %12s %8s\n' reader delay MB/s GETs/MiB bytes/MiB RSS_MiB
for d in 0s "$LAT"; do
    for k in dd ts zr gd; do echo "${R[$k$d]}"; done
done
echo
echo "day query: a[:, day $QDAY] of float64 [$SYMBOLS, $TN] ($((SYMBOLS * DAY * 8 >> 20)) MiB), inner chunks (1, $DAY) in shards (1, $TN), zstd 3 (day-gdal: its v2 copy, chunks (1, $DAY)); values against day-pread's at 0s"
printf '%-14s %6s %9s %6s %8s %8s  %s\n' reader delay seconds GETs decoded RSS_MiB values
for d in 0s "$LAT"; do
    for k in dp dm dh dt dz dg; do echo "${R[$k$d]}"; done
done
echo
for d in 0s "$LAT"; do
    for c in "" 2G; do
        read -r p50 p99 b least g nsh rss nch <<<"${R[rand$c$d]}"
        awk -v d="$d" -v c="${c:-default}" -v n="$NRAND" -v a="$p50" -v b="$p99" -v by="$b" -v l="$least" \
            -v g="$g" -v s="$nsh" -v r="$rss" -v ch="$nch" 'BEGIN {
            printf "zarrfs-rand   %6s cache %-7s %d x 4 KiB: latency median %.1f ms, p99 %.1f ms; fetched %.3f x the least (%d chunks in %d shards once each; target <= 1.2 with the cache holding them: 2G); %d GETs, %.2f a read beyond one index GET per shard (least with cold chunks: 4); RSS %d MiB\n",
                d, c, n, a / 1000, b / 1000, by / l, ch, s, g, (g - s) / n, r }'
    done
done
# ratio FIELD ROW_A ROW_B: ROW_A's FIELD over ROW_B's
ratio() { awk -v f="$1" -v a="$2" -v b="$3" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.2f", x[f] / y[f] }'; }
echo "targets: zarrfs dd at $LAT / at 0: $(ratio 3 "${R[dd$LAT]}" "${R[dd0s]}") (>= 0.7);" \
    "dd at $LAT over tensorstore $(ratio 3 "${R[dd$LAT]}" "${R[ts$LAT]}"), over zarr+obstore $(ratio 3 "${R[dd$LAT]}" "${R[zr$LAT]}")," \
    "over gdal $(ratio 3 "${R[dd$LAT]}" "${R[gd$LAT]}") (> 1)"
for k in dp dm dh; do
    echo "targets: ${R[$k$LAT]%% *} at $LAT faster than day-ts $(ratio 3 "${R[dt$LAT]}" "${R[$k$LAT]}")," \
        "day-zarr $(ratio 3 "${R[dz$LAT]}" "${R[$k$LAT]}"), day-gdal $(ratio 3 "${R[dg$LAT]}" "${R[$k$LAT]}") (their seconds over its: > 1)"
done
