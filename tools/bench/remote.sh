#!/usr/bin/env bash
# remote.sh - the remote-store benchmark (not a test, not part of CI): the
# 256 MiB benchmark array served by nginx on loopback (tests/remote/nginx.bash)
# and mounted from its URL, against the same store mounted from the folder.
#
# The data: a 512x512x512 uint16 volume from tools/bench/gen_field.c, packed
# by zarrfs-pack with 64^3 inner chunks in 256^3 shards, zstd level 3 +
# crc32c.  The store's files stay in the page cache (for nginx too), so the
# comparison isolates what HTTP costs: requests, copies, latency.
#
#  seq     cold `dd bs=1M` of the whole file, a fresh mount each run (median
#          of RUNS): MiB/s over HTTP and from the folder, their ratio
#          (target >= 0.7); HTTP requests (nginx's access log) per MiB read.
#  random  N random 4 KiB preads (POSIX_FADV_RANDOM, fresh mount, fixed
#          seed): the bytes zarrfs fetched (.zarrfs/stats; nginx's bytes sent
#          beside it) over the least any reader must fetch (the inner chunks
#          touched, once each, plus one index per shard:
#          tools/bench/shards.py least); target <= 1.2; requests per read
#          and the latency median / p99.
#  raw     the same random reads of a 1 GiB uncompressed uint16 array in
#          64 MiB chunks (the bytes codec alone, packed from /dev/urandom):
#          read in part, the bytes fetched over the bytes asked (target
#          <= 1.2), requests per read, latency median / p99.
#
# Latency mode (ZF_BENCH_LATENCY=25ms, for example): instead of the above,
# the real S3 server (versitygw) behind a delay proxy, zarrfs against
# tensorstore, zarr-python 3 (obstore) and GDAL's /vsis3/ (on a Zarr v2
# copy) on the same 1 GiB array and the seed's day query, and zarrfs's
# random reads with the default cache and with 2G, with no delay and with
# the delay, in one run: tools/bench/remote_latency.bash.  It also needs
# the peers (tools/install-peers.sh), versitygw and go
# (tools/install-s3server.sh), and python3-gdal.
#
# usage: bash tools/bench/remote.sh [BIN]   (BIN: the build's bin folder;
#   ZF_BENCH_RUNS (default 3), ZF_BENCH_RANDOM (default 300), ZF_BENCH_DIR (a
#   folder for the 256 MiB volume and its store, and the 1 GiB raw store,
#   kept between runs; default a temporary one), ZF_BENCH_REMOTE_OPTS (mount options for the URL mount,
#   e.g. "-o threads=2").  Needs nginx, python3, fuse3, a C compiler (helpers).
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-${ZF_BIN:-$SRC/build/bin}}
RUNS=${ZF_BENCH_RUNS:-3}
NRAND=${ZF_BENCH_RANDOM:-300}
source "$SRC/tools/bench/common.bash" # median
source "$SRC/tests/remote/nginx.bash"
T=$(mktemp -d /tmp/zf_bench_remote.XXXXXX)
W=${ZF_BENCH_DIR:-$T}
MNT=$T/mnt
mkdir -p "$MNT" "$W"
ZPID=
cleanup() {
    mountpoint -q "$MNT" && fusermount3 -u "$MNT"
    [ -n "$ZPID" ] && wait "$ZPID" 2>/dev/null
    zf_nginx_stop
    rm -rf "$T"
}
trap cleanup EXIT
for b in zarrfs zarrfs-pack; do
    [ -x "$BIN/$b" ] || { echo "remote.sh: no $BIN/$b (build first)" >&2; exit 1; }
done

# helpers: from the build when there, else compiled here
helper() { # NAME SOURCE
    if [ -x "$BIN/$1" ]; then echo "$BIN/$1"; return; fi
    cc -O2 -o "$T/$1" "$SRC/tools/bench/$2" -lm && echo "$T/$1"
}
GEN=$(helper zf-gen-field gen_field.c) || exit 1
RAND=$(helper zf-bench-randread randread.c) || exit 1
mount_it() { # STORE [opts...]
    local s=$1 i
    shift
    "$BIN/zarrfs" -f "$@" "$s" "$MNT" 2>"$T/zarrfs.log" &
    ZPID=$!
    for ((i = 0; i < 400; i++)); do
        mountpoint -q "$MNT" && return 0
        sleep 0.05
    done
    echo "mount of $s failed: $(cat "$T/zarrfs.log")" >&2
    exit 1
}
umount_it() {
    fusermount3 -u "$MNT"
    wait "$ZPID" 2>/dev/null
    ZPID=
}
if [ -n "${ZF_BENCH_LATENCY:-}" ]; then
    source "$SRC/tools/bench/remote_latency.bash"
    exit
fi

STORE=$W/bench.zarr
if [ ! -f "$STORE/zarr.json" ]; then
    echo "packing the 256 MiB volume into $STORE ..."
    rm -rf "$STORE"
    "$GEN" --size 512 | "$BIN/zarrfs-pack" --shape 512,512,512 --dtype uint16 \
        --chunks 64,64,64 --shards 256,256,256 --codec zstd:3 --crc32c - "$STORE" ||
        exit 1
fi
cat "$STORE"/c/*/*/* >/dev/null # page cache

zf_nginx_start "$W" "$T/ngx" || exit 1
URL=http://127.0.0.1:$NGX_PORT/bench.zarr
SIZE=$((512 * 512 * 512 * 2))

# seq STORE: seconds of a cold dd of the whole file
seq_once() {
    mount_it "$@"
    local t0 t1
    t0=$(date +%s.%N)
    dd if="$MNT/bench" of=/dev/null bs=1M 2>/dev/null
    t1=$(date +%s.%N)
    umount_it
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

: >"$T/local" && : >"$T/http"
: >"$NGX_LOG"
for ((r = 0; r < RUNS; r++)); do
    seq_once "$STORE" >>"$T/local"
    seq_once "$URL" ${ZF_BENCH_REMOTE_OPTS:-} >>"$T/http"
done
reqs=$(grep -c . "$NGX_LOG")
tl=$(median <"$T/local")
th=$(median <"$T/http")
mib=$((SIZE >> 20))

# random reads over HTTP
: >"$NGX_LOG"
mount_it "$URL" ${ZF_BENCH_REMOTE_OPTS:-}
read -r p50 p99 mean < <("$RAND" "$MNT/bench" "$NRAND" 4096 7 "$T/offs")
read -r got sreads < <(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["store_bytes_read"], s["store_reads"])' "$MNT/.zarrfs/stats")
umount_it
sent=$(awk '$1 == "GET" { s += $5 } END { print s + 0 }' "$NGX_LOG")
rreqs=$(awk '$1 == "GET"' "$NGX_LOG" | wc -l)
read -r least nchunks nshards < <(python3 "$SRC/tools/bench/shards.py" least "$STORE" "$T/offs" 4096)

# random reads of an uncompressed array, read in part
RAW=$W/raw.zarr
if [ ! -f "$RAW/zarr.json" ]; then
    echo "packing the 1 GiB uncompressed array into $RAW ..."
    rm -rf "$RAW"
    head -c $((1 << 30)) /dev/urandom | "$BIN/zarrfs-pack" --shape $((1 << 29)) \
        --dtype uint16 --chunks $((1 << 25)) --codec none - "$RAW" || exit 1
fi
cat "$RAW"/c/* >/dev/null # page cache
: >"$NGX_LOG"
mount_it "http://127.0.0.1:$NGX_PORT/raw.zarr" ${ZF_BENCH_REMOTE_OPTS:-}
read -r wp50 wp99 wmean < <("$RAND" "$MNT/raw" "$NRAND" 4096 7 "$T/woffs")
read -r wgot < <(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["store_bytes_read"])' "$MNT/.zarrfs/stats")
umount_it
wsent=$(awk '$1 == "GET" && $2 ~ /\/c\// { s += $5 } END { print s + 0 }' "$NGX_LOG")
wreqs=$(awk '$1 == "GET" && $2 ~ /\/c\//' "$NGX_LOG" | wc -l)
wheads=$(awk '$1 == "HEAD" && $2 ~ /\/c\//' "$NGX_LOG" | wc -l)

echo
echo "remote store benchmark: 512^3 uint16 (256 MiB), 64^3 chunks in 256^3 shards, zstd:3 + crc32c; nginx on loopback; $(nproc) cores; median of $RUNS; URL mount options: ${ZF_BENCH_REMOTE_OPTS:-none}"
awk -v tl="$tl" -v th="$th" -v m="$mib" -v q="$reqs" -v runs="$RUNS" 'BEGIN {
    printf "seq     dd bs=1M cold: local folder %.0f MiB/s, HTTP %.0f MiB/s: ratio %.2f (target >= 0.7); %.2f requests/MiB\n",
        m / tl, m / th, tl / th, q / runs / m }'
awk -v g="$got" -v s="$sent" -v l="$least" -v n="$NRAND" -v rq="$rreqs" -v sr="$sreads" \
    -v a="$p50" -v b="$p99" -v c="$nchunks" -v h="$nshards" 'BEGIN {
    printf "random  %d x 4 KiB: fetched %d bytes (nginx sent %d), least %d: %.3f x (target <= 1.2); %d HTTP requests (%d store reads), %.2f/read; %d chunks in %d shards; latency median %d us, p99 %d us\n",
        n, g, s, l, g / l, rq, sr, rq / n, c, h, a, b }'
awk -v g="$wgot" -v s="$wsent" -v n="$NRAND" -v rq="$wreqs" -v hd="$wheads" \
    -v a="$wp50" -v b="$wp99" 'BEGIN {
    printf "raw     %d x 4 KiB of 1 GiB uncompressed in 64 MiB chunks: fetched %.0f bytes (nginx sent %.0f) for %d asked: %.3f x (target <= 1.2); %d ranged GETs of chunks, %.2f/read, and %d HEADs of chunks (one a chunk met); latency median %d us, p99 %d us\n",
        n, g, s, n * 4096, g / (n * 4096), rq, rq / n, hd, a, b }'
