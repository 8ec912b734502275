# remote_latency.bash - tools/bench/remote.sh's latency mode
# (ZF_BENCH_LATENCY=25ms): sourced by remote.sh after its helpers (SRC, BIN,
# GEN, RAND, T, W, MNT, RUNS, NRAND, mount_it, umount_it); not run alone.
#
# One real server throughout: versitygw (tests/remote/s3gw.bash) on loopback,
# a public bucket, reached through tools/bench/latproxy (a TCP delay line:
# LATENCY before the first byte of every reply; tools/bench/latproxy.sh
# measured it).  Each row runs with no delay (the proxy at 0, so the path is
# the same) and at LATENCY, in one run:
#  zarrfs dd     cold `dd bs=1M` of a 1 GiB sharded zstd array (512 x 1024 x
#                1024 uint16 of gen_field, 64^3 inner chunks in 256^3
#                shards, zstd:3 + crc32c), a fresh mount (median of RUNS)
#  tensorstore   the same array read whole into numpy through its s3 kvstore
#  zarr+obstore  the same with zarr-python 3 on obstore's S3Store
#  zarrfs rand   NRAND random 4 KiB preads (fresh mount, fixed seed): the
#                latency median and p99, the bytes fetched over the least
#                (the inner chunks touched plus one index per shard), and
#                the GETs a read beyond the one index GET per shard met
# Columns: MB/s (1e6 bytes/s of the array served), GETs per MiB served (the
# server's access log), bytes fetched per MiB served (zarrfs's
# .zarrfs/stats; versitygw logs no byte counts, so "-" for the peers), peak
# RSS (MiB) of the reader (zarrfs's daemon; the peer's process).

source "$SRC/tools/bench/common.bash"
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
SIZE=$((1 << 30))
zf_s3gw_start "$T/gw" --access-log "$T/access.log" || exit 1
zf_s3 mb pub && zf_s3 public pub && zf_s3 put-tree pub big "$BIG" >/dev/null || exit 1

gets() { grep -c ' s3_GetObject ' "$T/access.log"; } # GETs served so far

# zfs_dd [OPTS]: "secs gets bytes rss" of one cold dd on a fresh mount
zfs_dd() {
    local g0 t0 t1 b rss
    mount_it s3://pub/big -o "s3_endpoint=$PX${1:+,$1}" ${ZF_BENCH_REMOTE_OPTS:-}
    g0=$(gets)
    t0=$(now)
    dd if="$MNT/big" of=/dev/null bs=1M 2>/dev/null
    t1=$(now)
    b=$(stat_field "$MNT/.zarrfs/stats" store_bytes_read)
    rss=$(vmhwm "$ZPID")
    umount_it
    echo "$(secs "$t0" "$t1") $(($(gets) - g0)) $b $rss"
}
# peer READER: "secs gets - rss" of one whole read by tensorstore or zarr
peer() {
    local g0 out
    g0=$(gets)
    out=$(AWS_ENDPOINT_URL=$PX /usr/bin/time -f 'RSS %M' "$PEER_PY" \
        "$SRC/tools/bench/peer_read.py" "$1" s3://pub/big all 2>&1) ||
        { echo "remote.sh: $1 failed: $(tail -3 <<<"$out")" >&2; echo "0 0 - 0"; return; }
    awk -v g=$(($(gets) - g0)) '/^RSS/ { r = $2 / 1024 } /^[0-9.]+ [0-9]+$/ { s = $1 }
        END { printf "%s %d - %.0f\n", s, g, r }' <<<"$out"
}
# rand: "p50 p99 bytes least gets nshards rss" of NRAND 4 KiB reads
rand() {
    local g0 p50 p99 mean b rss least nch nsh
    mount_it s3://pub/big -o "s3_endpoint=$PX" ${ZF_BENCH_REMOTE_OPTS:-}
    g0=$(gets)
    read -r p50 p99 mean < <("$RAND" "$MNT/big" "$NRAND" 4096 7 "$T/offs")
    b=$(stat_field "$MNT/.zarrfs/stats" store_bytes_read)
    rss=$(vmhwm "$ZPID")
    umount_it
    read -r least nch nsh < <(python3 "$SRC/tools/bench/shards.py" least "$BIG" "$T/offs" 4096)
    echo "$p50 $p99 $b $least $(($(gets) - g0)) $nsh $rss"
}
# row NAME DELAY "secs gets bytes rss"...: the median run's figures
row() {
    local name=$1 d=$2
    shift 2
    printf '%s\n' "$@" | sort -g | awk -v n="$name" -v d="$d" -v size="$SIZE" -v k=$# '
        { v[NR] = $0 } END { split(v[int((k + 1) / 2)], f, " ")
          mib = size / 1048576
          printf "%-14s %6s %9.0f %9.2f %12s %8d\n", n, d, size / f[1] / 1e6, f[2] / mib,
              f[3] == "-" ? "-" : sprintf("%.0f", f[3] / mib), f[4] }'
}

declare -A R
for d in 0s "$LAT"; do
    latproxy_start "$T" "$S3_EP" "$d"
    dd_runs=() ts_runs=() zr_runs=()
    for ((r = 0; r < RUNS; r++)); do
        dd_runs+=("$(zfs_dd)")
        ts_runs+=("$(peer tensorstore)")
        zr_runs+=("$(peer zarr)")
    done
    R[dd$d]=$(row zarrfs-dd "$d" "${dd_runs[@]}")
    R[ts$d]=$(row tensorstore "$d" "${ts_runs[@]}")
    R[zr$d]=$(row zarr+obstore "$d" "${zr_runs[@]}")
    R[rand$d]=$(rand)
done

echo
echo "latency mode: 1 GiB 512x1024x1024 uint16, 64^3 chunks in 256^3 shards, zstd:3 + crc32c, on versitygw (loopback) through latproxy; $(nproc) cores; median of $RUNS; mount options: ${ZF_BENCH_REMOTE_OPTS:-none}"
printf '%-14s %6s %9s %9s %12s %8s\n' reader delay MB/s GETs/MiB bytes/MiB RSS_MiB
for d in 0s "$LAT"; do
    for k in dd ts zr; do echo "${R[$k$d]}"; done
done
for d in 0s "$LAT"; do
    read -r p50 p99 b least g nsh rss <<<"${R[rand$d]}"
    awk -v d="$d" -v n="$NRAND" -v a="$p50" -v b="$p99" -v by="$b" -v l="$least" \
        -v g="$g" -v s="$nsh" -v r="$rss" 'BEGIN {
        printf "zarrfs-rand   %6s %d x 4 KiB: latency median %.1f ms, p99 %.1f ms; fetched %.3f x the least (target <= 1.2); %d GETs, %.2f a read beyond one index GET per shard (%d shards; target <= 1); RSS %d MiB\n",
            d, n, a / 1000, b / 1000, by / l, g, (g - s) / n, s, r }'
done
awk -v a="${R[dd0s]}" -v b="${R[dd$LAT]}" -v t="${R[ts$LAT]}" -v z="${R[zr$LAT]}" 'BEGIN {
    split(a, x, " "); split(b, y, " "); split(t, u, " "); split(z, v, " ")
    printf "targets: zarrfs dd at %s / at 0: %.2f (>= 0.7); over tensorstore %.2f, over zarr+obstore %.2f (> 1)\n",
        y[2], y[3] / x[3], y[3] / u[3], y[3] / v[3] }'
