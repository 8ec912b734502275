#!/usr/bin/env bash
# remote_version.sh - remote reads are version-checked (store_http.h): a read
# planned on one version of a shard gets that version's bytes or is planned
# again; it never joins two versions.  On the real S3 server
# (tests/remote/s3gw.bash), 8 readers read a sharded array (O_DIRECT, two
# inner chunks a read, each read inside one shard) while a writer (boto3,
# tests/remote/s3put.py flip) keeps replacing its 4 shards with a second
# version of the same size and layout, so that an index of one version fits
# the chunks of the other and only a read that takes all its bytes from one
# version is right.  Every read must be all v1 or all v2: 0 mixed; and 0 EIO,
# since the writer pauses between rounds: a key changes slower than a read
# takes.  A reader stalled under load can still meet a replacement during its
# re-plan; the engine plans a read up to 4 times (ZF_READ_TRIES), so an EIO
# needs a replacement during each of 4 runs in a row: a key that changes
# faster than it can be read (test_partial's test_replans checks the bound).
# Then, without the checks' help from the server: the same through
# tests/remote/faultproxy.py, which strips If-Match from the requests (a
# server that ignores it): the replies' ETags still catch every change.
# Last, a server without ETags (nginx behind the proxy removing them): the
# store falls back to If-Unmodified-Since with the Last-Modified the read
# was planned on; the shards are replaced by rename, each with an mtime one
# second later than the last (Last-Modified has one-second steps).
# The mount has a tiny chunk cache (-o cache_size=64K), so that reads go to
# the server rather than being served from decoded chunks.
# Exit 0 = pass, 77 = skip (no /dev/fuse, no server or peers).
source "$(dirname "$0")/mount_common.bash"
source "$(dirname "$0")/../remote/s3gw.bash"
source "$(dirname "$0")/../remote/nginx.bash"
zf_require
zf_require_s3gw
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE \
    AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_REGION AWS_DEFAULT_REGION
PROXY=${ZF_SRC:-$(dirname "$0")/../..}/tests/remote/faultproxy.py
PPID_=
trap '[ -n "$PPID_" ] && kill "$PPID_" 2>/dev/null; zf_s3gw_stop; zf_nginx_stop; zf_cleanup' EXIT
SECS=${ZF_FLIP_SECS:-4}

# 32 x 32768 uint8 (1 MiB), inner chunks 2 x 32768 (64 KiB), shards 8 x 32768
# (256 KiB): shard s is bytes [s*256K, (s+1)*256K) of the flat file.
KI=65536
SH=$((4 * KI))
SIZE=$((4 * SH))
GEOM=(--shape 32,32768 --dtype uint8 --chunks 2,32768 --shards 8,32768 --threads 2)
for v in 1 2; do
    head -c $SIZE /dev/urandom >"$T/v$v.raw"
    zf_pack "$T/v$v.raw" "$T/v$v.zarr" "${GEOM[@]}" || zf_finish
done
for s in 0 1 2 3; do
    [ "$(stat -c %s "$T/v1.zarr/c/$s/0")" = "$(stat -c %s "$T/v2.zarr/c/$s/0")" ] ||
        bad "shard $s: v1 and v2 differ in size"
done
zf_s3gw_start "$T/gw" --access-log "$T/access.log" || { bad "versitygw"; zf_finish; }
zf_s3 mb bkt && zf_s3 put-tree bkt flip "$T/v1.zarr" >/dev/null ||
    { bad "uploading v1"; zf_finish; }
FLIP=()
for s in 0 1 2 3; do FLIP+=("flip/c/$s/0" "$T/v1.zarr/c/$s/0" "$T/v2.zarr/c/$s/0"); done

# flip_files SECS PAUSE: the writer of the nginx run: replaces the 4 shard
# files under $WWW by rename, in turn with v2's and v1's, each with an mtime
# one second after the last; prints the number of replacements.
flip_files() {
    local end=$((SECONDS + $1)) n=0 r=0 s v t=$(($(date +%s) + 1))
    while [ $SECONDS -lt $end ]; do
        r=$((r + 1))
        v=$((r % 2 + 1))
        for s in 0 1 2 3; do
            cp "$T/v$v.zarr/c/$s/0" "$WWW/flip/c/$s/.next"
            touch -d "@$t" "$WWW/flip/c/$s/.next"
            mv "$WWW/flip/c/$s/.next" "$WWW/flip/c/$s/0"
            n=$((n + 1))
        done
        t=$((t + 1))
        sleep "$2"
    done
    echo $n
}

# run LABEL ENDPOINT PAUSE [STORE WRITER]: mounts STORE (s3://bkt/flip, on
# the S3 server at ENDPOINT), runs the readers and the writer (PAUSE seconds between its
# rounds; WRITER: "s3" = boto3, "files" = flip_files) for SECS seconds, and
# checks the counts.
run() {
    local label=$1 ep=$2 pause=$3 store=${4:-s3://bkt/flip} writer=${5:-s3}
    local mnt=$T/m i readers=() hung=0 flips opts=cache_size=64K
    [[ $store == s3://* ]] && opts=s3_endpoint=$ep,$opts
    if ! AWS_ACCESS_KEY_ID=$S3_AK AWS_SECRET_ACCESS_KEY=$S3_SK zf_mount_fg \
        "$store" "$mnt" "$T/$label.log" -o "$opts"; then
        bad "$label: mount: $(head -c 300 "$T/$label.log")"
        return
    fi
    for i in $(seq 8); do
        local s=$((i % 4))
        timeout $((SECS + 60)) /usr/bin/python3 "$T/rd.py" stress "$mnt/flip" "$SECS" \
            $((s * SH)) $(((s + 1) * SH)) $((2 * KI)) $((i % 2)) \
            "v1=$T/v1.raw" "v2=$T/v2.raw" >"$T/$label.$i" 2>&1 &
        readers+=($!)
    done
    if [ "$writer" = s3 ]; then
        flips=$(zf_s3 flip bkt "$SECS" "$pause" "${FLIP[@]}")
    else
        flips=$(flip_files "$SECS" "$pause")
    fi
    for p in "${readers[@]}"; do wait "$p" || hung=$((hung + 1)); done
    check "$label: the 8 readers ended in time ($flips shard replacements)" [ $hung -eq 0 ]
    sum_counts "$T/$label".[0-9]* >"$T/$label.sum"
    echo "$label: reads: $(cat "$T/$label.sum")"
    check "$label: no read mixed the versions" sh -c "! grep -q 'mix' '$T/$label.sum'"
    check "$label: no read failed (no EIO, no other error)" \
        sh -c "! grep -Eq 'eio|err:|short|open:|Traceback' $T/$label.[0-9]*"
    check "$label: reads saw both versions" grep -q "v1=.*v2=\|v2=.*v1=" "$T/$label.sum"
    zf_umount "$mnt" "$ZF_PID"
}

cp "$(dirname "$0")/zf_versions.py" "$T/rd.py"
# sum_counts FILE...: adds up the "NAME=N" counts of the stress runs.
sum_counts() {
    cat "$@" | tr ' ' '\n' | grep . |
        awk -F= '{n[$1] += $2} END {for (k in n) printf "%s=%d ", k, n[k]; print ""}'
}

run if-match "$S3_EP" 0.05
n412=$(grep -c ' 412 PreconditionFailed ' "$T/access.log")
[ "$n412" -gt 0 ] && ok "if-match: the server refused $n412 ranged GETs of replaced shards (412)" ||
    bad "if-match: no 412 in the server's log: If-Match was not sent?"

# A server that ignores If-Match: the proxy drops it.  Through this Python
# proxy a read takes about 0.1 s, as long as the writer's round: the writer
# pauses 0.4 s, so that a key changes slower than it can be read.
echo "strip-if-match 1" >"$T/control"
python3 "$PROXY" --upstream "$S3_EP" --control "$T/control" \
    >"$T/proxy.port" 2>"$T/proxy.err" &
PPID_=$!
for ((i = 0; i < 100; i++)); do [ -s "$T/proxy.port" ] && break; sleep 0.05; done
run etag-only "http://127.0.0.1:$(awk '{ print $2 }' "$T/proxy.port")" 0.4
[ "$(grep -c ' 412 PreconditionFailed ' "$T/access.log")" = "$n412" ] &&
    ok "etag-only: no 412 more (the proxy stripped If-Match): the replies' ETags caught the changes" ||
    bad "etag-only: 412s came through the proxy"

WWW=$T/www
mkdir -p "$WWW"
cp -r "$T/v1.zarr" "$WWW/flip"
kill "$PPID_" 2>/dev/null
wait "$PPID_" 2>/dev/null
PPID_=
if zf_nginx_start "$WWW" "$T/ngx"; then
    echo "no-etag 1" >"$T/control"
    python3 "$PROXY" --upstream "http://127.0.0.1:$NGX_PORT" --control "$T/control" \
        >"$T/proxy_ngx.port" 2>"$T/proxy.err" &
    PPID_=$!
    for ((i = 0; i < 100; i++)); do [ -s "$T/proxy_ngx.port" ] && break; sleep 0.05; done
    url=http://127.0.0.1:$(awk '{ print $2 }' "$T/proxy_ngx.port")
    run last-modified "$url" 0.4 "$url/flip" files
    n412=$(grep -c ' 412 ' "$NGX_LOG")
    [ "$n412" -gt 0 ] && ok "last-modified: nginx refused $n412 ranged GETs with If-Unmodified-Since (412)" ||
        bad "last-modified: no 412 in nginx's log: If-Unmodified-Since was not sent?"
else
    skip "no nginx: no Last-Modified run"
fi
zf_finish
