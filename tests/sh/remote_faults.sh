#!/usr/bin/env bash
# remote_faults.sh - zarrfs reading over HTTP through tests/remote/faultproxy.py,
# which spoils some of the chunk and shard requests between zarrfs and nginx:
# 500s, 503s with Retry-After, connections dropped before the reply,
# truncated bodies under a correct Content-Length, replies slower than the
# timeout, stalls mid-body, a 206 at the wrong offset, a 200 that ignores the
# Range.  With retries, every read returns the right bytes (cmp); with every
# request spoiled, reads fail with EIO once the retry budget is spent, in
# bounded time, and the mount stays up and reads correctly again afterwards.
# The same faults then spoil signed S3 requests between zarrfs and the real
# S3 server (versitygw, tests/remote/s3gw.bash; the store uploaded by
# boto3): each retry is signed anew and read back exactly; wrongrange and
# fullbody, which rewrite the signed Range header, unsigned from a public
# bucket (skipped without the server, failed under CI=true).
# Exit 0 = pass, 77 = skip (no /dev/fuse, no nginx).
source "$(dirname "$0")/mount_common.bash"
source "$(dirname "$0")/../remote/nginx.bash"
source "$(dirname "$0")/../remote/s3gw.bash"
zf_require
zf_require_corpus
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] ||
    { echo "skip: nginx is not installed"; exit 77; }
PROXY=${ZF_SRC:-$(dirname "$0")/../..}/tests/remote/faultproxy.py
PPID_=
trap '[ -n "$PPID_" ] && kill "$PPID_" 2>/dev/null; zf_nginx_stop; zf_s3gw_stop; zf_cleanup' EXIT

WWW=$T/www
mkdir -p "$WWW"
# a sharded v3 array (8 shards of 8 inner chunks), and an unsharded v2 one
python3 -c '
import sys
out = bytearray()
for z in range(64):
    for y in range(128):
        out += bytes(((z * 7 + y * 3 + x + (x * y) % 17) & 0xFF for x in range(256)))
open(sys.argv[1], "wb").write(out)' "$T/field.raw"
zf_pack "$T/field.raw" "$WWW/field.zarr" --shape 64,128,128 --dtype uint16 \
    --chunks 16,32,32 --shards 32,64,64 --codec zstd:1 --crc32c ||
    { bad "zarrfs-pack"; zf_finish; }
V2=v2/v2_f4_bloscZstdBitshuf_F
cp -r "$CORPUS/$V2.zarr" "$WWW/v2.zarr"
V2EXP=$CORPUS/expected/${V2#v2/}.raw

zf_nginx_start "$WWW" "$T/ngx" || { echo "FAIL: nginx"; exit 1; }
CTL=$T/control
echo none >"$CTL"
python3 "$PROXY" --upstream "http://127.0.0.1:$NGX_PORT" --control "$CTL" \
    --log "$T/proxy.log" >"$T/proxy.port" 2>"$T/proxy.err" &
PPID_=$!
for ((i = 0; i < 100; i++)); do [ -s "$T/proxy.port" ] && break; sleep 0.05; done
PURL=http://127.0.0.1:$(awk '{ print $2 }' "$T/proxy.port")
[ "$PURL" != "http://127.0.0.1:" ] || { echo "FAIL: proxy: $(cat "$T/proxy.err")"; exit 1; }

mnt=$T/m
ROOT=$PURL EXTRA=
# faulty "ARRAYS" MODE EVERY [ARG]: fresh mounts of ROOT/ARRAY.zarr (with
# the options EXTRA) with that fault on every EVERY-th chunk request; each
# must read back exactly.
faulty() {
    local arrays=$1 t0 t1 hits
    shift
    local what="${LABEL:-}$*"
    echo "$*" >"$CTL"
    : >"$T/proxy.log"
    t0=$(date +%s.%N)
    for a in $arrays; do
        if zf_mount_fg "$ROOT/$a.zarr" "$mnt" "$T/$a.log" \
            -o retries=8,timeout=1,connections=8$EXTRA; then
            exp=$T/field.raw
            [ $a = v2 ] && exp=$V2EXP
            if timeout 120 cmp -s "$mnt/$a" "$exp"; then
                ok "$what: $a reads back exactly"
            else
                bad "$what: $a differs or failed: $(tail -c 300 "$T/$a.log")"
            fi
            zf_umount "$mnt" "$ZF_PID" || bad "$what: unmount"
        else
            bad "$what: mount failed: $(head -c 300 "$T/$a.log")"
        fi
    done
    t1=$(date +%s.%N)
    hits=$(grep -vc -- '-> none$' "$T/proxy.log")
    [ "$hits" -gt 0 ] && ok "$what: $hits requests spoiled ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s)" ||
        bad "$what: the proxy spoiled nothing"
}

faulty "field v2" 500 3
faulty "field" 503 4 1
faulty "field v2" drop 3
faulty "field" truncate 2
faulty "field" slow 5 2
faulty "field" stall 5 2
faulty "field v2" wrongrange 3
faulty "field v2" fullbody 2

# ---- every request spoiled: EIO in bounded time, the mount survives ----------
echo none >"$CTL"
if zf_mount_fg "$PURL/field.zarr" "$mnt" "$T/eio.log" -o retries=2,timeout=1; then
    for mode in "500 1" "drop 1" "slow 1 4" "truncate 1" "wrongrange 1"; do
        echo "$mode" >"$CTL"
        t0=$(date +%s)
        out=$(timeout 60 dd if="$mnt/field" of=/dev/null bs=1M 2>&1)
        rc=$?
        t1=$(date +%s)
        if [ $rc = 124 ]; then
            bad "$mode on every request: the read hung (60 s)"
        elif [ $rc != 0 ] && echo "$out" | grep -q "Input/output error"; then
            ok "$mode on every request: EIO after $((t1 - t0)) s"
        else
            bad "$mode on every request: dd exited $rc: $out"
        fi
        mountpoint -q "$mnt" && zf_alive "$ZF_PID" ||
            bad "$mode: the mount went away"
    done
    echo none >"$CTL"
    cmp -s "$mnt/field" "$T/field.raw" && ok "faults gone: the same mount reads exactly" ||
        bad "after the faults, the mount reads wrong bytes"
    grep -q "after 3 attempts: http://[^ ]*field.zarr/c/" "$T/eio.log" &&
        ok "the log names the URL and the attempts: $(grep -m1 -o 'after 3 attempts: http://[^ ]*field.zarr/c/[^ ]*' "$T/eio.log")" ||
        bad "no log line with the URL and attempts: $(tail -c 300 "$T/eio.log")"
    zf_umount "$mnt" "$ZF_PID"
else
    bad "mount for the EIO checks: $(head -c 300 "$T/eio.log")"
fi

# ---- S3: signed requests through the proxy to versitygw ------------------------
if ! (zf_require_s3gw >"$T/s3req.out"); then
    [ "${CI:-}" = true ] && bad "$(cat "$T/s3req.out")" || skip "no S3 faults: $(cat "$T/s3req.out")"
    zf_finish
fi
zf_require_s3gw
zf_s3gw_start "$T/gw" && zf_s3 mb bkt && zf_s3 put-tree bkt field.zarr "$WWW/field.zarr" >/dev/null &&
    zf_s3 put-tree bkt v2.zarr "$WWW/v2.zarr" >/dev/null || { bad "versitygw"; zf_finish; }
kill "$PPID_" 2>/dev/null
wait "$PPID_" 2>/dev/null
python3 "$PROXY" --upstream "$S3_EP" --control "$CTL" --log "$T/proxy.log" \
    >"$T/proxy_s3.port" 2>"$T/proxy.err" &
PPID_=$!
for ((i = 0; i < 100; i++)); do [ -s "$T/proxy_s3.port" ] && break; sleep 0.05; done
export AWS_ACCESS_KEY_ID=$S3_AK AWS_SECRET_ACCESS_KEY=$S3_SK
LABEL="s3: " ROOT=s3://bkt EXTRA=,s3_endpoint=http://127.0.0.1:$(awk '{ print $2 }' "$T/proxy_s3.port")
faulty "field v2" "500" 3
faulty "field" "503" 4 1
faulty "field v2" "drop" 3
faulty "field" "truncate" 2
# wrongrange and fullbody change the Range header, which is signed: the
# server refuses them (SignatureDoesNotMatch), so they run unsigned, on the
# bucket made public.
zf_s3 public bkt || bad "public-read policy"
EXTRA=$EXTRA,s3_anonymous
faulty "field v2" "wrongrange" 3
faulty "field v2" "fullbody" 2
zf_finish
